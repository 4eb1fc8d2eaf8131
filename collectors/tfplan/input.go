package tfplan

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// maxLineBytes bounds one line of a machine-readable UI stream. Terraform's
// lines are small; a longer line is reported and skipped.
const maxLineBytes = 64 << 20

// patternError is a path or glob that could not be expanded.
type patternError struct {
	pattern string
	err     error
}

// expandPaths resolves cfg paths against baseDir and expands globs. A literal
// path is kept even when missing (opening reports it); a glob that matches
// nothing is an error.
func expandPaths(baseDir string, patterns []string) ([]string, []patternError) {
	var (
		files []string
		errs  []patternError
		seen  = map[string]bool{}
	)
	for _, p := range patterns {
		if strings.TrimSpace(p) == "" {
			continue
		}
		full := p
		if !filepath.IsAbs(full) && baseDir != "" {
			full = filepath.Join(baseDir, full)
		}
		matches := []string{full}
		if strings.ContainsAny(p, "*?[") {
			var err error
			matches, err = filepath.Glob(full)
			if err != nil {
				errs = append(errs, patternError{full, fmt.Errorf("expanding pattern: %w", err)})
				continue
			}
			if len(matches) == 0 {
				errs = append(errs, patternError{full, errors.New("pattern matches no file")})
				continue
			}
			sort.Strings(matches)
		}
		for _, m := range matches {
			if fi, err := os.Stat(m); err == nil && fi.IsDir() {
				continue
			}
			if !seen[m] {
				seen[m] = true
				files = append(files, m)
			}
		}
	}
	return files, errs
}

// decodedReader turns raw file bytes into UTF-8: a UTF-8 byte order mark is
// dropped, UTF-16 LE/BE with a byte order mark (what PowerShell's ">" writes)
// is transcoded, anything else is read as UTF-8.
func decodedReader(r io.Reader) io.Reader {
	return transform.NewReader(r, unicode.BOMOverride(unicode.UTF8.NewDecoder()))
}

// readDecodedFile reads a whole file as UTF-8 (used only to locate an error).
func readDecodedFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(decodedReader(f))
}

// lineCol converts a byte offset into 1-based line and column numbers.
func lineCol(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	if offset < 0 {
		offset = 0
	}
	prefix := data[:offset]
	line = bytes.Count(prefix, []byte{'\n'}) + 1
	col = int(offset) - (bytes.LastIndexByte(prefix, '\n') + 1) + 1
	return line, col
}

// lineReader reads lines of any length up to a limit, reusing its buffer.
type lineReader struct {
	br    *bufio.Reader
	limit int
	buf   []byte
	n     int // number of the line last returned, 1-based
}

func newLineReader(r io.Reader, limit int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), limit: limit}
}

// next returns the next line without its line ending; the slice is valid
// until the following call. A line longer than the limit is consumed and
// reported with tooLong, without its content. At end of input it returns
// io.EOF.
func (lr *lineReader) next() (line []byte, tooLong bool, err error) {
	lr.buf = lr.buf[:0]
	read := false
	for {
		chunk, rerr := lr.br.ReadSlice('\n')
		read = read || len(chunk) > 0
		if !tooLong {
			if len(lr.buf)+len(chunk) > lr.limit+2 { // +2 leaves room for "\r\n"
				tooLong = true
				lr.buf = lr.buf[:0]
			} else {
				lr.buf = append(lr.buf, chunk...)
			}
		}
		if errors.Is(rerr, bufio.ErrBufferFull) {
			continue
		}
		if rerr != nil && (!errors.Is(rerr, io.EOF) || !read) {
			return nil, false, rerr
		}
		lr.n++
		return bytes.TrimRight(lr.buf, "\r\n"), tooLong, nil
	}
}
