package cloudtrail

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/bits"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
)

// Pools of what a file's reading needs: its buffers cost more than the
// reading of a small file.
var gzipPool, bufioPool, scannerPool sync.Pool

// StreamRecords decodes a CloudTrail log file, gzip-compressed or not, one
// record at a time: {"Records":[...]} (other top-level keys skipped) or a
// bare array of records. It never holds more than one record in memory;
// fn receives the record's index and bytes, valid only during the call.
// It returns the number of records read; on a truncated or malformed file
// the records before the damage have been passed to fn and the error names
// the record index where reading stopped.
func StreamRecords(r io.Reader, fn func(i int, raw []byte) error) (int, error) {
	return streamRecords(r, func(i int, raw, _, _ []byte, _ []int32) error { return fn(i, raw) })
}

func streamRecords(r io.Reader, fn recordFunc) (int, error) {
	var src flate.Reader // what the gzip reader reads, byte by byte
	var head []byte
	if br, ok := r.(*bytes.Reader); ok {
		// Bytes in memory: the gzip reader reads them directly, which is
		// faster than through a bufio.Reader.
		var h [2]byte
		n, _ := br.ReadAt(h[:], br.Size()-int64(br.Len()))
		head, src = h[:n], br
	} else {
		br, _ := bufioPool.Get().(*bufio.Reader)
		if br == nil {
			br = bufio.NewReaderSize(r, 64<<10)
		} else {
			br.Reset(r)
		}
		defer func() {
			br.Reset(nil)
			bufioPool.Put(br)
		}()
		var err error
		head, err = br.Peek(2)
		if err != nil && len(head) == 0 {
			if err == io.EOF {
				return 0, errors.New("empty file")
			}
			return 0, err
		}
		src = br
	}
	if len(head) == 0 {
		return 0, errors.New("empty file")
	}
	if len(head) < 2 || head[0] != 0x1f || head[1] != 0x8b {
		return scanRecords(src, nil, fn)
	}
	zr, _ := gzipPool.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(src)
	} else {
		err = zr.Reset(src)
	}
	if err != nil {
		return 0, fmt.Errorf("opening gzip stream: %w", err)
	}
	defer gzipPool.Put(zr)
	// The decompressor hands out its window a piece at a time (WriteTo);
	// the scanner splits records in place, copying only those cut at a
	// piece's end. iter.Pull turns the pushed pieces into pulled ones.
	var werr error
	next, stop := iter.Pull(func(yield func([]byte) bool) {
		_, werr = zr.WriteTo(chunkWriter(yield))
	})
	defer stop()
	return scanRecords(nil, &chunks{next: next, err: &werr}, fn)
}

// chunks are the pieces of a decompressed stream: each is valid until the
// next call of next; err is the decompressor's error once next reports
// the end.
type chunks struct {
	next func() ([]byte, bool)
	err  *error
}

// chunkWriter passes what is written to a consumer; it fails once the
// consumer stops.
type chunkWriter func([]byte) bool

var errStopped = errors.New("reading stopped")

func (w chunkWriter) Write(p []byte) (int, error) {
	if !w(p) {
		return 0, errStopped
	}
	return len(p), nil
}

// ErrNoRecords is returned for a JSON object, read whole, that has no
// Records array: a file of another kind (a digest, a manifest), not a
// damaged log file.
var ErrNoRecords = fmt.Errorf("%w: no Records array", ErrNotLogFile)

// ErrNotLogFile is returned, wrapped, for input that is not a CloudTrail
// log file at all (ErrNoRecords; bytes that are not JSON from the start:
// another compression, a binary format): reading it again cannot help.
var ErrNotLogFile = errors.New("not a CloudTrail log file")

// ErrTrailingData is returned, wrapped, when bytes that are not a document
// follow the last one: every record was read.
var ErrTrailingData = errors.New("unexpected bytes after the document")

// recordFunc receives one record's bytes and what the scanner saw of its
// top level: readOnly ("true", "false", "" when absent), eventName and the
// offsets of its keys in raw (for decodeTopAt; valid only during the call).
type recordFunc func(i int, raw []byte, readOnly, eventName []byte, members []int32) error

// scanner splits a JSON document into its records without decoding them.
// It reads from r into own, or, in chunk mode, scans the decompressor's
// pieces in place: a record cut at a piece's end is copied into own with
// as much of the next piece as it needs, and the scanner goes back to
// the piece itself once past the seam.
type scanner struct {
	r     io.Reader
	ch    *chunks
	own   []byte // the scanner's buffer
	buf   []byte // what is scanned: own, or cur
	start int    // first unconsumed byte
	end   int    // end of data
	eof   bool
	err   error
	// Chunk mode: cur is the current piece, its first curUsed bytes are
	// in buf; when buf is own, cur[0] is at own[seam].
	cur     []byte
	curUsed int
	seam    int
	inCur   bool // buf is cur
	// members are the key offsets of the last value scanned (scanValue).
	members []int32
	split   splitter
}

// fill compacts and reads more data; it grows the buffer when it is full.
func (s *scanner) fill() bool {
	if s.ch != nil {
		return s.fillChunk()
	}
	if s.eof {
		return false
	}
	s.split.reset()
	if s.start > 0 {
		n := copy(s.buf, s.buf[s.start:s.end])
		s.start, s.end = 0, n
	}
	if s.end == len(s.buf) {
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
		s.own = nb
	}
	// Read until the buffer is half full: the record cut at the end of
	// the data is scanned again after each fill.
	read := 0
	for {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		read += n
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.err = err
			}
			break
		}
		if n == 0 || s.end >= len(s.buf)/2 {
			break
		}
	}
	return read > 0 || !s.eof
}

// seamStep is how much of a piece is first copied after a cut record.
const seamStep = 2 << 10

// fillChunk is fill in chunk mode.
func (s *scanner) fillChunk() bool {
	s.split.reset()
	if s.curUsed < len(s.cur) { // buf is own, cur is not all in it
		if s.start >= s.seam {
			// Past the seam: scan the rest of the piece in place.
			s.buf, s.start, s.end = s.cur, s.start-s.seam, len(s.cur)
			s.curUsed, s.inCur = len(s.cur), true
			return true
		}
		// The record at hand spans the seam: copy more of the piece.
		s.compact()
		k := min(len(s.cur)-s.curUsed, max(seamStep, s.end))
		s.own = append(s.own[:s.end], s.cur[s.curUsed:s.curUsed+k]...)
		s.buf, s.end = s.own, s.end+k
		s.curUsed += k
		return true
	}
	if s.eof {
		return false
	}
	// Keep what is left before the piece goes.
	if s.inCur {
		s.own = append(s.own[:0], s.buf[s.start:s.end]...)
		s.buf, s.start, s.end, s.inCur = s.own, 0, s.end-s.start, false
	} else {
		s.compact()
	}
	s.cur, s.curUsed = nil, 0
	// What is left is a record cut at the piece's end: copy at least as
	// much again after it (pieces may be tiny; the cut record is scanned
	// again from its start after each fill).
	want, added := max(seamStep, s.end), 0
	for added < want {
		p, ok := s.ch.next()
		if !ok {
			s.eof = true
			s.err = *s.ch.err
			return added > 0
		}
		if len(p) == 0 {
			continue
		}
		if s.end == 0 {
			s.buf, s.start, s.end = p, 0, len(p)
			s.cur, s.curUsed, s.inCur = p, len(p), true
			return true
		}
		k := min(len(p), want-added)
		s.own = append(s.own[:s.end], p[:k]...)
		s.buf, s.seam, s.end = s.own, s.end, s.end+k
		s.cur, s.curUsed = p, k
		added += k
	}
	return true
}

// compact moves the unconsumed bytes of own to its start.
func (s *scanner) compact() {
	if s.start > 0 {
		n := copy(s.own, s.own[s.start:s.end])
		s.seam -= s.start
		s.start, s.end = 0, n
	}
}

// skipSpace advances over whitespace; false at end of input.
func (s *scanner) skipSpace() bool {
	for {
		for s.start < s.end {
			switch s.buf[s.start] {
			case ' ', '\t', '\n', '\r':
				s.start++
			default:
				return true
			}
		}
		if !s.fill() {
			return false
		}
	}
}

func (s *scanner) unexpectedEnd() error {
	if s.err != nil {
		return s.err
	}
	return io.ErrUnexpectedEOF
}

// value scans one JSON value starting at s.start and returns its end
// (exclusive, relative to s.buf). For objects it reports the top-level
// readOnly and eventName values.
func (s *scanner) value() (end int, readOnly, eventName []byte, err error) {
	for {
		s.members = s.members[:0]
		var ok bool
		if splitFast && s.start < s.end && s.buf[s.start] == '{' {
			end, readOnly, eventName, ok = s.split.object(s.buf[:s.end], s.start, &s.members)
		} else {
			end, readOnly, eventName, ok = scanValue(s.buf[s.start:s.end], &s.members)
		}
		if ok {
			return s.start + end, readOnly, eventName, nil
		}
		if end < 0 {
			return 0, nil, nil, errors.New("malformed JSON")
		}
		if !s.fill() {
			return 0, nil, nil, s.unexpectedEnd()
		}
	}
}

// scanValue finds the end of the JSON value at the start of b. ok is false
// when b ends first (end >= 0) or the bytes are not JSON (end < 0).
//
// When members is not nil, the offsets of the keys of a top-level object
// (their opening quotes) are appended to it, so that the record's fields
// can be read without scanning it again (decodeTopAt).
func scanValue(b []byte, members *[]int32) (end int, readOnly, eventName []byte, ok bool) {
	if len(b) == 0 {
		return 0, nil, nil, false
	}
	switch b[0] {
	case '{', '[':
	case '"':
		e := stringEnd(b, 1)
		if e < 0 {
			return 0, nil, nil, false
		}
		return e, nil, nil, true
	default: // number, true, false, null
		for i := 0; i < len(b); i++ {
			switch b[i] {
			case ',', '}', ']', ' ', '\n', '\r', '\t':
				return i, nil, nil, true
			}
		}
		return 0, nil, nil, false
	}
	depth := 0
	for i := 0; i < len(b); i++ {
		if !structural[b[i]] {
			continue
		}
		switch b[i] {
		case '"':
			e := stringEnd(b, i+1)
			if e < 0 {
				return 0, nil, nil, false
			}
			if depth == 1 && b[0] == '{' {
				key := b[i+1 : e-1]
				if members != nil {
					j := e
					for j < len(b) && (b[j] == ' ' || b[j] == '\n' || b[j] == '\t' || b[j] == '\r') {
						j++
					}
					if j < len(b) && b[j] == ':' {
						*members = append(*members, int32(i))
					}
				}
				if string(key) == "readOnly" || string(key) == "eventName" {
					readOnly, eventName = scanKeyValue(b, key, e, readOnly, eventName)
				}
			}
			i = e - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1, readOnly, eventName, true
			}
		}
	}
	return 0, nil, nil, false
}

// scanKeyValue notes the value of the top-level key readOnly or eventName
// whose string ends at e, when a colon follows it: the bytes of readOnly's
// value up to the next ',' or '}' without quotes and spaces, eventName's
// string value without its quotes (a value of another kind is ignored).
func scanKeyValue(b, key []byte, e int, readOnly, eventName []byte) ([]byte, []byte) {
	if j := e + 1; j < len(b) && b[e] == ':' && b[j] != ' ' && b[j] != ':' && b[j] != '\n' && b[j] != '\t' && b[j] != '\r' {
		// The usual "key":value, with nothing to skip before the value.
		switch {
		case string(key) != "readOnly":
			if b[j] == '"' {
				if ve := stringEnd(b, j+1); ve > 0 {
					eventName = b[j+1 : ve-1]
				}
			}
			return readOnly, eventName
		case j+4 < len(b) && string(b[j:j+4]) == "true" && (b[j+4] == ',' || b[j+4] == '}'):
			return b[j : j+4], eventName
		case j+5 < len(b) && string(b[j:j+5]) == "false" && (b[j+5] == ',' || b[j+5] == '}'):
			return b[j : j+5], eventName
		}
	}
	j := e
	for j < len(b) && (b[j] == ' ' || b[j] == ':' || b[j] == '\n' || b[j] == '\t' || b[j] == '\r') {
		j++
	}
	if j < len(b) && e < len(b) && bytes.IndexByte(b[e:j], ':') >= 0 {
		if string(key) == "readOnly" {
			v := j
			for v < len(b) && b[v] != ',' && b[v] != '}' {
				v++
			}
			readOnly = bytes.Trim(b[j:v], `" `)
		} else if b[j] == '"' {
			if ve := stringEnd(b, j+1); ve > 0 {
				eventName = b[j+1 : ve-1]
			}
		}
	}
	return readOnly, eventName
}

// structural marks the bytes scanValue acts on.
var structural = [256]bool{'"': true, '{': true, '[': true, '}': true, ']': true}

// stringEnd returns the index after the closing quote of the string whose
// content starts at i, or -1 when b ends first. It looks at eight bytes at
// a time for a quote or a backslash (most of a record is inside strings).
func stringEnd(b []byte, i int) int {
	for {
		for i+8 <= len(b) {
			w := binary.LittleEndian.Uint64(b[i:])
			if t := zeroBytes(w^quotes) | zeroBytes(w^backslashes); t != 0 {
				i += bits.TrailingZeros64(t) / 8
				break
			}
			i += 8
		}
		for i < len(b) && b[i] != '"' && b[i] != '\\' {
			i++
		}
		if i >= len(b) {
			return -1
		}
		if b[i] == '"' {
			return i + 1
		}
		i += 2 // a backslash and the byte it escapes
	}
}

const (
	quotes      = 0x2222222222222222
	backslashes = 0x5c5c5c5c5c5c5c5c
	lows        = 0x0101010101010101
	highs       = 0x8080808080808080
)

// zeroBytes has the high bit set of the first zero byte of w (and maybe of
// later bytes, never of earlier ones).
func zeroBytes(w uint64) uint64 {
	return (w - lows) &^ w & highs
}

// expect consumes the byte c after optional whitespace.
func (s *scanner) expect(c byte) error {
	if !s.skipSpace() {
		return s.unexpectedEnd()
	}
	if s.buf[s.start] != c {
		return fmt.Errorf("expected %q, found %q", c, s.buf[s.start])
	}
	s.start++
	return nil
}

// notJSON is the error for input whose first byte, c, starts no JSON
// value: ErrNotLogFile, unless the input ends (or its reading fails)
// inside a gzip magic number or a byte order mark, which is a log file
// cut short (a partial download, a copy being written): that is damage,
// read again.
func (s *scanner) notJSON(c byte) error {
	if rest := s.buf[s.start:s.end]; s.eof && len(rest) < 3 &&
		(bytes.HasPrefix([]byte("\x1f\x8b"), rest) || bytes.HasPrefix([]byte("\xef\xbb\xbf"), rest)) {
		return s.unexpectedEnd()
	}
	return fmt.Errorf("%w: starts with %q", ErrNotLogFile, c)
}

// drain reads the input to its end and returns the error that ended it
// (nil at a clean end).
func (s *scanner) drain() error {
	for {
		s.start = s.end
		if !s.fill() {
			return s.err
		}
	}
}

// scanRecords streams the records of {"Records":[...]} or of a bare array.
// It reads from r, or from ch when ch is not nil.
func scanRecords(r io.Reader, ch *chunks, fn recordFunc) (int, error) {
	s, _ := scannerPool.Get().(*scanner)
	if s == nil {
		s = &scanner{own: make([]byte, 256<<10)}
	}
	s.r, s.ch, s.start, s.end, s.eof, s.err = r, ch, 0, 0, false, nil
	s.cur, s.curUsed, s.seam, s.inCur = nil, 0, 0, false
	if ch != nil {
		s.own = s.own[:0]
	} else {
		s.own = s.own[:cap(s.own)]
	}
	s.buf = s.own
	s.split.reset()
	defer func() {
		s.r, s.ch, s.err, s.cur, s.buf = nil, nil, nil, nil, nil
		if cap(s.own) <= 1<<20 { // not the buffer of a huge record
			scannerPool.Put(s)
		}
	}()
	if !s.skipSpace() {
		if s.err != nil {
			return 0, s.err
		}
		return 0, errors.New("empty document")
	}
	// A byte order mark (a file saved by an editor) is not part of the
	// document.
	for s.end-s.start < 3 && s.fill() {
	}
	if s.end-s.start >= 3 && string(s.buf[s.start:s.start+3]) == "\xef\xbb\xbf" {
		s.start += 3
		if !s.skipSpace() {
			if s.err != nil {
				return 0, s.err
			}
			return 0, errors.New("empty document")
		}
	}
	n := 0
	readArray := func() error {
		if err := s.expect('['); err != nil {
			return fmt.Errorf("reading Records: %w", err)
		}
		for {
			if !s.skipSpace() {
				return fmt.Errorf("record %d: %w", n, s.unexpectedEnd())
			}
			switch s.buf[s.start] {
			case ']':
				s.start++
				return nil
			case ',':
				if n == 0 {
					return fmt.Errorf("record %d: unexpected ','", n)
				}
				s.start++
				if !s.skipSpace() {
					return fmt.Errorf("record %d: %w", n, s.unexpectedEnd())
				}
			}
			// An element that is not an object (never written by
			// CloudTrail) is handed over like a record, for fn to reject:
			// it costs only itself.
			end, ro, name, err := s.value()
			if err != nil {
				return fmt.Errorf("record %d: %w", n, err)
			}
			if end == s.start { // no value here: '}' or ':' where one should be
				return fmt.Errorf("record %d: unexpected %q", n, s.buf[s.start])
			}
			if err := fn(n, s.buf[s.start:end], ro, name, s.members); err != nil {
				return fmt.Errorf("record %d: %w", n, err)
			}
			s.start = end
			n++
		}
	}
	found := false
	// readObject reads the members of {"Records":[...],...} after its '{'.
	readObject := func() error {
		for {
			if !s.skipSpace() {
				return fmt.Errorf("after record %d: %w", n, s.unexpectedEnd())
			}
			c := s.buf[s.start]
			if c == '}' {
				s.start++
				return nil
			}
			if c == ',' {
				s.start++
				continue
			}
			if c != '"' {
				return fmt.Errorf("not a CloudTrail log file: unexpected %q", c)
			}
			end, _, _, err := s.value()
			if err != nil {
				return fmt.Errorf("reading a top-level key: %w", err)
			}
			key := string(s.buf[s.start+1 : end-1])
			s.start = end
			if err := s.expect(':'); err != nil {
				return fmt.Errorf("after key %q: %w", key, err)
			}
			if key == "Records" {
				found = true
				if err := readArray(); err != nil {
					return err
				}
				continue
			}
			if !s.skipSpace() {
				return s.unexpectedEnd()
			}
			end, _, _, err = s.value()
			if err != nil {
				return fmt.Errorf("reading top-level key %q: %w", key, err)
			}
			s.start = end
		}
	}
	// Documents one after another (an export that concatenates files) are
	// read in turn; the input is read to its end, so that a compressed
	// file's checksum is checked.
	for doc := 0; ; doc++ {
		var err error
		switch c := s.buf[s.start]; {
		case c == '[':
			found = true
			err = readArray()
		case c == '{':
			s.start++
			err = readObject()
		case doc == 0:
			return 0, s.notJSON(c)
		default:
			// Trailing bytes only if the input reads to its end: a read
			// error or a checksum error after them is damage.
			if err := s.drain(); err != nil {
				return n, fmt.Errorf("after record %d: %w", n, err)
			}
			return n, fmt.Errorf("after record %d: %w (%q)", n, ErrTrailingData, c)
		}
		if err != nil {
			return n, err
		}
		if !s.skipSpace() {
			if s.err != nil {
				return n, fmt.Errorf("after record %d: %w", n, s.err)
			}
			break
		}
	}
	if !found {
		return n, ErrNoRecords
	}
	return n, nil
}
