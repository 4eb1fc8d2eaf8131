package fileinput

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// LineReader reads lines of any length up to a limit, reusing its buffer.
type LineReader struct {
	br    *bufio.Reader
	limit int
	buf   []byte
	n     int // number of the line last returned, 1-based
}

// NewLineReader returns a reader of r's lines; a line longer than limit
// bytes (without its line ending) is skipped and reported by Next.
func NewLineReader(r io.Reader, limit int) *LineReader {
	return &LineReader{br: bufio.NewReaderSize(r, 64<<10), limit: limit}
}

// Line is the 1-based number of the line Next last returned (0 before the
// first): after an error, the line that failed is Line()+1.
func (lr *LineReader) Line() int { return lr.n }

// Next returns the next line without its line ending ("\n" or "\r\n"); the
// slice is valid until the following call. A last line without a line
// ending is returned like the others. A line longer than the limit is
// consumed and reported with tooLong, without its content. At end of input
// it returns io.EOF.
func (lr *LineReader) Next() (line []byte, tooLong bool, err error) {
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
