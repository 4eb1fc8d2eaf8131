package tfstate

import (
	"errors"
	"fmt"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// SyntaxError is malformed JSON at a byte offset of the input.
type SyntaxError struct {
	Offset int64 // byte offset from the start of the input
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

// ReadError is an I/O failure while reading the input (not a problem of
// its content); the HTTP source retries these.
type ReadError struct {
	Offset int64
	Err    error
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("reading input at offset %d: %v", e.Offset, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }

// maxDepth bounds JSON nesting so hostile input cannot exhaust the stack.
const maxDepth = 512

// scanner is a minimal streaming JSON tokenizer over a fixed window. It
// validates everything it reads, can copy a value out in compact form, and
// never builds a tree: the caller walks the document key by key.
type scanner struct {
	r    io.Reader // nil for an in-memory scanner
	buf  []byte
	pos  int
	end  int
	base int64 // stream offset of buf[0]
	rerr error // sticky read error; io.EOF at the end of input
}

func newScanner(r io.Reader, bufSize int) *scanner {
	return &scanner{r: r, buf: make([]byte, bufSize)}
}

// reset points the scanner at an in-memory document (already read).
func (s *scanner) resetBytes(b []byte) {
	s.r, s.buf, s.pos, s.end, s.base, s.rerr = nil, b, 0, len(b), 0, io.EOF
}

func (s *scanner) offset() int64 { return s.base + int64(s.pos) }

// fill reads more input after the unread bytes; false at end of input.
func (s *scanner) fill() bool {
	if s.rerr != nil {
		return false
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:s.end])
		s.base += int64(s.pos)
		s.pos, s.end = 0, n
	}
	if s.end == len(s.buf) {
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	for {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.rerr = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

func (s *scanner) errorf(format string, args ...any) error {
	return &SyntaxError{Offset: s.offset(), Msg: fmt.Sprintf(format, args...)}
}

// eof explains why no more input is available.
func (s *scanner) eof() error {
	if s.rerr == nil || errors.Is(s.rerr, io.EOF) {
		return s.errorf("unexpected end of input (truncated state?)")
	}
	return &ReadError{Offset: s.offset(), Err: s.rerr}
}

// peek skips whitespace and returns the next byte without consuming it.
func (s *scanner) peek() (byte, error) {
	for {
		for s.pos < s.end {
			c := s.buf[s.pos]
			if c == ' ' || c == '\n' || c == '\r' || c == '\t' {
				s.pos++
				continue
			}
			return c, nil
		}
		if !s.fill() {
			return 0, s.eof()
		}
	}
}

// atEOF reports whether only whitespace remains.
func (s *scanner) atEOF() (bool, error) {
	_, err := s.peek()
	if err == nil {
		return false, nil
	}
	var se *SyntaxError
	if errors.As(err, &se) {
		return true, nil
	}
	return false, err
}

// expect consumes c (after whitespace) or fails naming what was wanted.
func (s *scanner) expect(c byte, what string) error {
	got, err := s.peek()
	if err != nil {
		return err
	}
	if got != c {
		return s.errorf("expected %s, found %s", what, quoteChar(got))
	}
	s.pos++
	return nil
}

// rawByte consumes the next byte, whitespace included.
func (s *scanner) rawByte() (byte, error) {
	if s.pos == s.end && !s.fill() {
		return 0, s.eof()
	}
	c := s.buf[s.pos]
	s.pos++
	return c, nil
}

// next reports, after a member or element, whether another follows
// (a comma) or the container ends with the closing byte.
func (s *scanner) next(closing byte) (bool, error) {
	c, err := s.peek()
	if err != nil {
		return false, err
	}
	switch c {
	case ',':
		s.pos++
		return true, nil
	case closing:
		s.pos++
		return false, nil
	}
	return false, s.errorf("expected ',' or '%c', found %s", closing, quoteChar(c))
}

// enter consumes the opening byte of an object or array (already peeked
// as open) and reports whether the container is empty (then consumed whole).
func (s *scanner) enter(closing byte) (empty bool, err error) {
	s.pos++
	c, err := s.peek()
	if err != nil {
		return false, err
	}
	if c == closing {
		s.pos++
		return true, nil
	}
	return false, nil
}

// key reads an object key and its colon, unescaped into dst.
func (s *scanner) key(dst []byte) ([]byte, error) {
	c, err := s.peek()
	if err != nil {
		return dst, err
	}
	if c != '"' {
		return dst, s.errorf("expected a string key, found %s", quoteChar(c))
	}
	dst, err = s.str(dst[:0])
	if err != nil {
		return dst, err
	}
	return dst, s.expect(':', "':' after object key")
}

// value validates the next value and, when keep is set, appends its
// compact form to dst.
func (s *scanner) value(dst []byte, keep bool) ([]byte, error) {
	return s.valueDepth(dst, keep, 0)
}

func (s *scanner) valueDepth(dst []byte, keep bool, depth int) ([]byte, error) {
	c, err := s.peek()
	if err != nil {
		return dst, err
	}
	switch {
	case c == '{' || c == '[':
		if depth >= maxDepth {
			return dst, s.errorf("nesting deeper than %d levels", maxDepth)
		}
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		if keep {
			dst = append(dst, c)
		}
		empty, err := s.enter(closing)
		if err != nil || empty {
			if keep && empty {
				dst = append(dst, closing)
			}
			return dst, err
		}
		for {
			if c == '{' {
				if err := s.expectQuote(); err != nil {
					return dst, err
				}
				if dst, err = s.rawStr(dst, keep); err != nil {
					return dst, err
				}
				if err := s.expect(':', "':' after object key"); err != nil {
					return dst, err
				}
				if keep {
					dst = append(dst, ':')
				}
			}
			if dst, err = s.valueDepth(dst, keep, depth+1); err != nil {
				return dst, err
			}
			more, err := s.next(closing)
			if err != nil {
				return dst, err
			}
			if !more {
				if keep {
					dst = append(dst, closing)
				}
				return dst, nil
			}
			if keep {
				dst = append(dst, ',')
			}
		}
	case c == '"':
		return s.rawStr(dst, keep)
	case c == 't':
		return s.literal(dst, keep, "true")
	case c == 'f':
		return s.literal(dst, keep, "false")
	case c == 'n':
		return s.literal(dst, keep, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number(dst, keep)
	}
	return dst, s.errorf("invalid character %s looking for a value", quoteChar(c))
}

func (s *scanner) expectQuote() error {
	c, err := s.peek()
	if err != nil {
		return err
	}
	if c != '"' {
		return s.errorf("expected a string key, found %s", quoteChar(c))
	}
	return nil
}

func (s *scanner) literal(dst []byte, keep bool, lit string) ([]byte, error) {
	start := s.offset()
	for i := 0; i < len(lit); i++ {
		c, err := s.rawByte()
		if err != nil {
			return dst, err
		}
		if c != lit[i] {
			return dst, &SyntaxError{Offset: start, Msg: fmt.Sprintf("invalid literal, expected %s", lit)}
		}
	}
	if keep {
		dst = append(dst, lit...)
	}
	return dst, nil
}

// peekRaw returns the next byte (no whitespace skipping); ok is false at
// end of input.
func (s *scanner) peekRaw() (byte, bool) {
	if s.pos == s.end && !s.fill() {
		return 0, false
	}
	return s.buf[s.pos], true
}

// number validates a JSON number and appends it when keep is set.
func (s *scanner) number(dst []byte, keep bool) ([]byte, error) {
	start := s.offset()
	bad := func() error { return &SyntaxError{Offset: start, Msg: "invalid number"} }
	take := func() byte {
		c := s.buf[s.pos]
		s.pos++
		if keep {
			dst = append(dst, c)
		}
		return c
	}
	digits := func() int {
		n := 0
		for {
			c, ok := s.peekRaw()
			if !ok || c < '0' || c > '9' {
				return n
			}
			take()
			n++
		}
	}
	if c, _ := s.peekRaw(); c == '-' {
		take()
	}
	c, ok := s.peekRaw()
	switch {
	case !ok:
		return dst, s.eof()
	case c == '0':
		take()
	case c >= '1' && c <= '9':
		digits()
	default:
		return dst, bad()
	}
	if c, ok := s.peekRaw(); ok && c == '.' {
		take()
		if digits() == 0 {
			return dst, bad()
		}
	}
	if c, ok := s.peekRaw(); ok && (c == 'e' || c == 'E') {
		take()
		if c, ok := s.peekRaw(); ok && (c == '+' || c == '-') {
			take()
		}
		if digits() == 0 {
			return dst, bad()
		}
	}
	return dst, nil
}

// plain marks the bytes a string may hold without escaping.
var plain = func() (t [256]bool) {
	for i := range t {
		t[i] = i >= 0x20 && i != '"' && i != '\\'
	}
	return t
}()

// rawStr validates a string (the scanner is on its opening quote) and
// appends it, quotes and escapes included, when keep is set.
func (s *scanner) rawStr(dst []byte, keep bool) ([]byte, error) {
	s.pos++
	if keep {
		dst = append(dst, '"')
	}
	for {
		i := s.pos
		buf := s.buf[:s.end]
		for i < len(buf) && plain[buf[i]] {
			i++
		}
		if keep {
			dst = append(dst, buf[s.pos:i]...)
		}
		s.pos = i
		if i == s.end {
			if !s.fill() {
				return dst, s.eof()
			}
			continue
		}
		switch c := buf[i]; c {
		case '"':
			s.pos++
			if keep {
				dst = append(dst, '"')
			}
			return dst, nil
		case '\\':
			s.pos++
			e, err := s.rawByte()
			if err != nil {
				return dst, err
			}
			if keep {
				dst = append(dst, '\\', e)
			}
			switch e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				for k := 0; k < 4; k++ {
					h, err := s.rawByte()
					if err != nil {
						return dst, err
					}
					if hexVal(h) < 0 {
						s.pos--
						return dst, s.errorf("invalid \\u escape in string")
					}
					if keep {
						dst = append(dst, h)
					}
				}
			default:
				s.pos--
				return dst, s.errorf("invalid escape %s in string", quoteChar(e))
			}
		default:
			return dst, s.errorf("control character %s in string", quoteChar(c))
		}
	}
}

// str reads a string (the scanner is on its opening quote), appending its
// unescaped value to dst.
func (s *scanner) str(dst []byte) ([]byte, error) {
	s.pos++
	for {
		i := s.pos
		buf := s.buf[:s.end]
		for i < len(buf) && plain[buf[i]] {
			i++
		}
		dst = append(dst, buf[s.pos:i]...)
		s.pos = i
		if i == s.end {
			if !s.fill() {
				return dst, s.eof()
			}
			continue
		}
		switch c := buf[i]; c {
		case '"':
			s.pos++
			return dst, nil
		case '\\':
			s.pos++
			e, err := s.rawByte()
			if err != nil {
				return dst, err
			}
			switch e {
			case '"', '\\', '/':
				dst = append(dst, e)
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r, err := s.hex4()
				if err != nil {
					return dst, err
				}
				if utf16.IsSurrogate(r) {
					for s.end-s.pos < 2 && s.fill() {
					}
					if s.end-s.pos >= 2 && s.buf[s.pos] == '\\' && s.buf[s.pos+1] == 'u' {
						s.pos += 2
						r2, err := s.hex4()
						if err != nil {
							return dst, err
						}
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							r = d
						} else {
							dst = utf8.AppendRune(dst, utf8.RuneError)
							r = r2
						}
					}
					if utf16.IsSurrogate(r) {
						r = utf8.RuneError
					}
				}
				dst = utf8.AppendRune(dst, r)
			default:
				s.pos--
				return dst, s.errorf("invalid escape %s in string", quoteChar(e))
			}
		default:
			return dst, s.errorf("control character %s in string", quoteChar(c))
		}
	}
}

func (s *scanner) hex4() (rune, error) {
	var r rune
	for k := 0; k < 4; k++ {
		h, err := s.rawByte()
		if err != nil {
			return 0, err
		}
		v := hexVal(h)
		if v < 0 {
			s.pos--
			return 0, s.errorf("invalid \\u escape in string")
		}
		r = r<<4 | rune(v)
	}
	return r, nil
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func quoteChar(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("'%c'", c)
	}
	return fmt.Sprintf("byte 0x%02x", c)
}
