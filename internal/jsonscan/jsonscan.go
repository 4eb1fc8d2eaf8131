// Package jsonscan reads JSON bytes in place: it checks a document and
// indexes its top-level object (ScanObject), walks an object's members and
// an array's elements, finds a member by key, unquotes strings and tests
// literals, without decoding into Go values and without allocating.
//
// It follows encoding/json's grammar exactly: what Valid (and ScanObject)
// accepts is what encoding/json.Valid accepts (including its nesting
// limit, MaxDepth), and Unquote decodes a string the way encoding/json
// does (escapes, surrogate pairs, invalid surrogates and invalid UTF-8
// become U+FFFD).
//
// Every function is safe on any input: malformed or truncated bytes give
// ok=false (or an iterator whose Err reports it), never a panic.
//
// Values are passed around as byte slices holding one JSON value (a
// "token" for strings: the quotes included). Skip, Valid and ScanObject
// check the full grammar of what they pass over; KindOf only looks at the
// first byte.
//
// Bytes are checked once: the iterators (TrustedMembers, and
// Extents.Members and Extents.Elements) and LastMember then find values
// by quotes and brackets alone, and skip without reading them the objects
// and arrays whose ends ScanObject recorded in an Extents. A document is
// read once in full, and afterwards only along the paths looked up.
package jsonscan

import (
	"encoding/binary"
	"math/bits"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of objects and arrays accepted, the limit
// encoding/json applies.
const MaxDepth = 10000

// Kind is the kind of a JSON value, from its first byte.
type Kind uint8

// Kinds.
const (
	Invalid Kind = iota
	Null
	Bool
	Number
	String
	Array
	Object
)

// KindOf classifies the value starting at the first non-space byte of v by
// that byte alone; it does not check the rest of the value.
func KindOf(v []byte) Kind {
	i := SkipSpace(v, 0)
	if i >= len(v) {
		return Invalid
	}
	switch c := v[i]; {
	case c == '"':
		return String
	case c == '{':
		return Object
	case c == '[':
		return Array
	case c == 't' || c == 'f':
		return Bool
	case c == 'n':
		return Null
	case c == '-' || (c >= '0' && c <= '9'):
		return Number
	}
	return Invalid
}

// IsTrue reports whether v is the literal true (surrounding whitespace
// allowed).
func IsTrue(v []byte) bool { return isLiteral(v, "true") }

func isLiteral(v []byte, lit string) bool {
	i := SkipSpace(v, 0)
	if len(v)-i < len(lit) || string(v[i:i+len(lit)]) != lit {
		return false
	}
	return SkipSpace(v, i+len(lit)) == len(v)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// SkipSpace returns the index of the first byte of b at or after i that is
// not JSON whitespace (len(b) when there is none; i itself when i is out of
// range).
func SkipSpace(b []byte, i int) int {
	if i < 0 {
		return i
	}
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// Valid reports whether b is exactly one JSON value, with optional
// whitespace around it, as encoding/json.Valid does.
func Valid(b []byte) bool {
	n, ok := Skip(b)
	return ok && SkipSpace(b, n) == len(b)
}

// Skip returns the end of the JSON value at the start of b (after optional
// whitespace): b[:n] holds the whitespace and the whole value. It checks
// the value's full grammar; ok is false when it is malformed, truncated or
// nested deeper than MaxDepth. Bytes after the value are not looked at.
func Skip(b []byte) (n int, ok bool) {
	sc := scan{limit: MaxDepth}
	return skip(b, &sc)
}

// scan is what a checking skip does besides finding the end.
type scan struct {
	limit    int                  // the deepest nesting accepted
	hook     func(start, end int) // called with each string value's offsets
	hookBase int                  // added to offsets in b for hook
}

// skip is Skip doing what sc says besides.
func skip(b []byte, sc *scan) (int, bool) {
	i := SkipSpace(b, 0)
	if i >= len(b) {
		return 0, false
	}
	switch c := b[i]; c {
	case '{', '[':
		var stack [1]uint64
		end, res := scanContainer(b, i, stack[:], sc)
		if res == resDeep {
			return skipDeep(b, i, sc)
		}
		return end, res == resOK
	case '"':
		end, ok := scanString(b, i)
		if ok && sc.hook != nil {
			sc.hook(sc.hookBase+i, sc.hookBase+end)
		}
		return end, ok
	default:
		return scanScalar(b, i)
	}
}

// skipDeep is skip for containers nested deeper than the small stack of
// the usual path.
//
//go:noinline
func skipDeep(b []byte, i int, sc *scan) (int, bool) {
	var stack [(MaxDepth + 63) / 64]uint64
	end, res := scanContainer(b, i, stack[:], sc)
	return end, res == resOK
}

// scanScalar returns the end of the number or literal at b[i] (strings
// are the callers' business).
func scanScalar(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch c := b[i]; {
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return scanNumber(b, i)
	}
	return 0, false
}

func scanLiteral(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, false
	}
	return i + len(lit), true
}

// scanNumber returns the end of the number at b[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(b []byte, i int) (int, bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return 0, false
	}
	switch c := b[i]; {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		i++
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return 0, false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return 0, false
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	return i, true
}

// plain marks the bytes a string holds as they are: not '"', not '\\' and
// not a control character.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// scanString returns the end (past the closing quote) of the string token
// at b[i], checking its escapes and that it holds no control character.
func scanString(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, false
	}
	j := i + 1
	for {
		// Find the next byte that is not plain, eight at a time.
		for len(b)-j >= 8 {
			m := specialBytes(binary.LittleEndian.Uint64(b[j:]))
			if m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				break
			}
			j += 8
		}
		for j < len(b) && plain[b[j]] {
			j++
		}
		if j >= len(b) {
			return 0, false
		}
		switch b[j] {
		case '"':
			return j + 1, true
		case '\\':
			j++
			if j >= len(b) {
				return 0, false
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if len(b)-j < 5 || !isHex(b[j+1]) || !isHex(b[j+2]) || !isHex(b[j+3]) || !isHex(b[j+4]) {
					return 0, false
				}
				j += 5
			default:
				return 0, false
			}
		default: // a control character
			return 0, false
		}
	}
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// specialBytes sets the high bit of the bytes of x (little endian) that
// are '"', '\\' or a control character. The lowest byte flagged is exact;
// flags above it may be spurious (borrows), so only the lowest is used.
func specialBytes(x uint64) uint64 {
	q := x ^ (ones * '"')
	e := x ^ (ones * '\\')
	return ((q-ones)&^q | (e-ones)&^e | (x-ones*0x20)&^x) & highs
}

const (
	resOK = iota
	resBad
	resDeep // deeper than the stack given
)

// scanContainer returns the end of the object or array at b[i], checking
// its full grammar and its nesting against sc.limit, calling sc.hook (when
// set) with the offsets of each string value (not key). stack holds one
// bit per open container (1: object); resDeep says it was too small.
func scanContainer(b []byte, i int, stack []uint64, sc *scan) (int, int) {
	depth := 0
	isObj := func() bool { return stack[(depth-1)>>6]&(1<<uint((depth-1)&63)) != 0 }
	const (
		stOpen  = iota // at '{' or '['
		stKey          // at a member's key
		stValue        // at a value
		stAfter        // after a value: ',' or the close
	)
	st := stOpen
	for {
		switch st {
		case stOpen:
			if depth >= sc.limit {
				return 0, resBad
			}
			if depth >= len(stack)*64 {
				return 0, resDeep
			}
			w, bit := depth>>6, uint64(1)<<uint(depth&63)
			obj := b[i] == '{'
			if obj {
				stack[w] |= bit
			} else {
				stack[w] &^= bit
			}
			depth++
			i = SkipSpace(b, i+1)
			if i >= len(b) {
				return 0, resBad
			}
			switch {
			case obj && b[i] == '}', !obj && b[i] == ']':
				i++
				depth--
				if depth == 0 {
					return i, resOK
				}
				st = stAfter
			case obj:
				st = stKey
			default:
				st = stValue
			}
		case stKey:
			end, ok := scanString(b, i)
			if !ok {
				return 0, resBad
			}
			i = SkipSpace(b, end)
			if i >= len(b) || b[i] != ':' {
				return 0, resBad
			}
			i = SkipSpace(b, i+1)
			st = stValue
		case stValue:
			if i >= len(b) {
				return 0, resBad
			}
			switch b[i] {
			case '{', '[':
				st = stOpen
				continue
			case '"':
				end, ok := scanString(b, i)
				if !ok {
					return 0, resBad
				}
				if sc.hook != nil {
					sc.hook(sc.hookBase+i, sc.hookBase+end)
				}
				i = end
			default:
				end, ok := scanScalar(b, i)
				if !ok {
					return 0, resBad
				}
				i = end
			}
			st = stAfter
		case stAfter:
			i = SkipSpace(b, i)
			if i >= len(b) {
				return 0, resBad
			}
			obj := isObj()
			switch c := b[i]; {
			case c == ',':
				i = SkipSpace(b, i+1)
				if obj {
					st = stKey
				} else {
					st = stValue
				}
			case obj && c == '}', !obj && c == ']':
				i++
				depth--
				if depth == 0 {
					return i, resOK
				}
			default:
				return 0, resBad
			}
		}
	}
}

const (
	iterDone  = iota // the zero value: nothing (more) to iterate
	iterErr          // stopped on malformed bytes
	iterNew          // not started: b not looked at yet
	iterFirst        // at the first member (element) or the close
	iterMore         // after a member (element)
)

// ObjectIter walks the members of an object. The zero value is an
// exhausted iterator.
type ObjectIter struct {
	b     []byte
	i     int
	ext   *Extents // read to skip containers, when it applies
	base  int32    // offset of b in ext's document; -1: ext does not apply
	state uint8
}

// start looks at the opening byte (open) of the container an iterator
// walks, on its first Next: the constructors only store their arguments,
// so that they inline (an iterator copied out of a call is costly).
// base is the offset of b in ext's document, -1 when the extents do not
// apply (no extents, or b is not within their document); the iterator's
// ext is left as it is (storing a pointer back through it would make it
// escape).
func start(b []byte, open byte, ext *Extents) (i int, base int32, ok bool) {
	i = SkipSpace(b, 0)
	if i >= len(b) || b[i] != open {
		return 0, 0, false
	}
	return i + 1, ext.locate(b), true
}

// TrustedMembers returns an iterator over the members of the object at
// the start of b (after optional whitespace), inside bytes already checked
// (by Valid, Skip or ScanObject): Next finds keys and values by quotes and
// brackets alone, without checking their grammar again. On bytes that
// were not checked it never panics and stops (Err) where the structure
// breaks, but it may yield values Skip would reject. NextFunc with an
// onString checks values as Skip does. Bytes after the object's closing
// brace are not looked at.
func TrustedMembers(b []byte) ObjectIter {
	return ObjectIter{b: b, state: iterNew}
}

// Next returns the next member: its key as a string token (quotes
// included; see Unquote and Equal) and its value, found by quotes and
// brackets. ok is false at the end of the object or when its structure
// breaks (Err then says so); a malformed object may still yield the
// members before the fault.
func (it *ObjectIter) Next() (key, value []byte, ok bool) { return it.NextFunc(nil) }

// NextFunc is Next calling onString (when not nil) with every string value
// (not object key) it passes over, nested ones included, in document
// order: the token is b[start:end], b being the bytes given to
// TrustedMembers. With onString, values are checked as Skip does (their
// nesting counted from the object: MaxDepth-1 levels), and one pass both
// walks the members and sees every string. A malformed object may have
// reported strings before its fault.
func (it *ObjectIter) NextFunc(onString func(start, end int)) (key, value []byte, ok bool) {
	if it.state <= iterErr {
		return nil, nil, false
	}
	if it.state == iterNew {
		if it.i, it.base, ok = start(it.b, '{', it.ext); !ok {
			it.state = iterErr
			return nil, nil, false
		}
		it.state = iterFirst
	}
	b := it.b
	i := SkipSpace(b, it.i)
	if i >= len(b) {
		it.state = iterErr
		return nil, nil, false
	}
	if b[i] == '}' {
		if it.state == iterFirst {
			it.state, it.i = iterDone, i+1
			return nil, nil, false
		}
	}
	if it.state == iterMore {
		switch b[i] {
		case '}':
			it.state, it.i = iterDone, i+1
			return nil, nil, false
		case ',':
			i = SkipSpace(b, i+1)
		default:
			it.state = iterErr
			return nil, nil, false
		}
	}
	kend, ok := endString(b, i)
	if !ok {
		it.state = iterErr
		return nil, nil, false
	}
	key = b[i:kend]
	i = SkipSpace(b, kend)
	if i >= len(b) || b[i] != ':' {
		it.state = iterErr
		return nil, nil, false
	}
	i = SkipSpace(b, i+1)
	n, ok := skipValue(it.ext, it.base, b[i:], i, onString)
	if !ok {
		it.state = iterErr
		return nil, nil, false
	}
	it.i, it.state = i+n, iterMore
	return key, b[i : i+n], true
}

// skipValue finds the end of the value v, at offset i of an iterator's
// bytes: checking it when onString is set, else by quotes and brackets
// and the extents recorded.
func skipValue(ext *Extents, base32 int32, v []byte, i int, onString func(start, end int)) (int, bool) {
	if onString != nil {
		sc := scan{limit: MaxDepth - 1, hook: onString, hookBase: i}
		return skip(v, &sc)
	}
	if base32 >= 0 && len(v) > 0 && (v[0] == '{' || v[0] == '[') {
		base := int(base32)
		if end, ok := ext.end(base + i); ok && end > base+i && end-(base+i) <= len(v) {
			return end - (base + i), true
		}
	}
	return skipStructure(v)
}

// Err reports whether the iteration stopped on malformed or truncated
// bytes (or b was not an object).
func (it *ObjectIter) Err() bool { return it.state == iterErr }

// ArrayIter walks the elements of an array. The zero value is an
// exhausted iterator.
type ArrayIter struct {
	b     []byte
	i     int
	ext   *Extents
	base  int32
	state uint8
}

// Next returns the next element, found by quotes and brackets as
// ObjectIter.Next finds values. ok is false at the end of the array or
// when its structure breaks.
func (it *ArrayIter) Next() (value []byte, ok bool) {
	if it.state <= iterErr {
		return nil, false
	}
	if it.state == iterNew {
		if it.i, it.base, ok = start(it.b, '[', it.ext); !ok {
			it.state = iterErr
			return nil, false
		}
		it.state = iterFirst
	}
	b := it.b
	i := SkipSpace(b, it.i)
	if i >= len(b) {
		it.state = iterErr
		return nil, false
	}
	if b[i] == ']' {
		if it.state == iterFirst {
			it.state, it.i = iterDone, i+1
			return nil, false
		}
	}
	if it.state == iterMore {
		switch b[i] {
		case ']':
			it.state, it.i = iterDone, i+1
			return nil, false
		case ',':
			i = SkipSpace(b, i+1)
		default:
			it.state = iterErr
			return nil, false
		}
	}
	n, ok := skipValue(it.ext, it.base, b[i:], i, nil)
	if !ok {
		it.state = iterErr
		return nil, false
	}
	it.i, it.state = i+n, iterMore
	return b[i : i+n], true
}

// Extents remembers where the objects and arrays of a document end, as
// ScanObject found them while checking it, so that later walks
// (Members, Elements, LastMember) skip them without reading them again:
// they read only the keys and scalars of the level they walk. It holds
// the first maxExtents containers within 32 levels below the document's
// top; others are skipped by reading them. The zero value records
// nothing. After a check that failed its content is meaningless (walks
// through it still never panic).
type Extents struct {
	doc   []byte
	n     int
	start [maxExtents]int32 // in document order
	stop  [maxExtents]int32 // end offsets; 0 while open
	open  [32]int16         // slot of the container open at each depth; -1: none
}

const maxExtents = 48

// Members is TrustedMembers for v, an object within the document recorded
// (a sub-slice of it): containers recorded are skipped without reading
// them. For bytes outside that document, or a nil x, it is
// TrustedMembers.
func (x *Extents) Members(v []byte) ObjectIter {
	return ObjectIter{b: v, ext: x, state: iterNew}
}

// Elements returns an iterator over the elements of the array at the
// start of v (after optional whitespace), an array within the document
// recorded, as Members does for objects. Bytes after the array's closing
// bracket are not looked at.
func (x *Extents) Elements(v []byte) ArrayIter {
	return ArrayIter{b: v, ext: x, state: iterNew}
}

// locate returns the offset of v in x's document, -1 when v is not a
// sub-slice of it.
func (x *Extents) locate(v []byte) int32 {
	if x == nil || x.doc == nil || len(v) == 0 {
		return -1
	}
	off := cap(x.doc) - cap(v)
	if off < 0 || off >= len(x.doc) || len(v) > len(x.doc)-off || &x.doc[off] != &v[0] {
		return -1
	}
	return int32(off)
}

func (x *Extents) opened(depth, off int) {
	if x.doc == nil || depth >= len(x.open) {
		return
	}
	x.open[depth] = -1
	if x.n < len(x.start) {
		x.start[x.n], x.stop[x.n] = int32(off), 0
		x.open[depth] = int16(x.n)
		x.n++
	}
}

func (x *Extents) closed(depth, end int) {
	if x.doc == nil || depth >= len(x.open) {
		return
	}
	if slot := x.open[depth]; slot >= 0 {
		x.stop[slot] = int32(end)
	}
}

// end returns the end of the container starting at off, when recorded.
func (x *Extents) end(off int) (int, bool) {
	lo, hi := 0, x.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if int(x.start[m]) < off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < x.n && int(x.start[lo]) == off && x.stop[lo] > 0 {
		return int(x.stop[lo]), true
	}
	return 0, false
}

// structural marks the bytes skipStructure stops at inside a container.
var structural = func() (t [256]bool) {
	for _, c := range []byte(`"{}[]`) {
		t[c] = true
	}
	return t
}()

// delimiter marks the bytes that end a number or a literal.
var delimiter = func() (t [256]bool) {
	for _, c := range []byte(",}] \t\n\r") {
		t[c] = true
	}
	return t
}()

// skipStructure returns the end of the value at the start of b (which
// starts at the value) by quotes and brackets alone, for bytes already
// checked. It never reads out of b and fails where the structure breaks.
func skipStructure(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	switch b[0] {
	case '"':
		return endString(b, 0)
	case '{', '[':
		depth := 0
		for i := 0; i < len(b); i++ {
			if !structural[b[i]] {
				continue
			}
			switch b[i] {
			case '"':
				end, ok := endString(b, i)
				if !ok {
					return 0, false
				}
				i = end - 1
			case '{', '[':
				depth++
			default: // '}', ']'
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
		}
		return 0, false
	}
	i := 0
	for i < len(b) && !delimiter[b[i]] {
		i++
	}
	return i, i > 0
}

// endString returns the end (past the closing quote) of the string token
// at b[i] by its closing quote alone: the first quote not escaped by an
// odd run of backslashes.
func endString(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return 0, false
	}
	j := i + 1
	for {
		// Find the next quote or backslash, eight bytes at a time.
		for len(b)-j >= 8 {
			x := binary.LittleEndian.Uint64(b[j:])
			q := x ^ (ones * '"')
			e := x ^ (ones * '\\')
			if m := ((q-ones)&^q | (e-ones)&^e) & highs; m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				break
			}
			j += 8
		}
		for j < len(b) && b[j] != '"' && b[j] != '\\' {
			j++
		}
		if j >= len(b) {
			return 0, false
		}
		if b[j] == '"' {
			return j + 1, true
		}
		j += 2 // a backslash and the byte it escapes
	}
}

// Unquote decodes the string token s (exactly one JSON string, quotes
// included, nothing around it) as encoding/json does. When s holds no
// escape and is valid UTF-8 the result is a sub-slice of s (no copy);
// otherwise it is the decoded text appended to buf[:0] (pass a stack array
// to avoid allocating). ok is false when s is not a well-formed string
// token.
func Unquote(s, buf []byte) (out []byte, ok bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return nil, false
	}
	body := s[1 : len(s)-1]
	if isPlain(body) {
		return body, true
	}
	return unquoteSlow(body, buf)
}

// unquoteSlow decodes the contents of a string token with escapes or
// invalid UTF-8, following encoding/json's unquoteBytes.
func unquoteSlow(body, buf []byte) ([]byte, bool) {
	out := buf[:0]
	for r := 0; r < len(body); {
		c := body[r]
		switch {
		case c == '\\':
			r++
			if r >= len(body) {
				return nil, false
			}
			switch body[r] {
			case '"', '\\', '/':
				out = append(out, body[r])
				r++
			case 'b':
				out = append(out, '\b')
				r++
			case 'f':
				out = append(out, '\f')
				r++
			case 'n':
				out = append(out, '\n')
				r++
			case 'r':
				out = append(out, '\r')
				r++
			case 't':
				out = append(out, '\t')
				r++
			case 'u':
				rr := hex4(body[r+1:])
				if rr < 0 {
					return nil, false
				}
				r += 5
				if utf16.IsSurrogate(rr) {
					var rr1 rune = -1
					if len(body)-r >= 6 && body[r] == '\\' && body[r+1] == 'u' {
						rr1 = hex4(body[r+2:])
					}
					if dec := utf16.DecodeRune(rr, rr1); dec != unicode.ReplacementChar {
						out = utf8.AppendRune(out, dec)
						r += 6
						break
					}
					rr = unicode.ReplacementChar
				}
				out = utf8.AppendRune(out, rr)
			default:
				return nil, false
			}
		case c == '"' || c < ' ':
			return nil, false
		case c < utf8.RuneSelf:
			out = append(out, c)
			r++
		default:
			rr, size := utf8.DecodeRune(body[r:])
			r += size
			out = utf8.AppendRune(out, rr)
		}
	}
	return out, true
}

// hex4 decodes four hex digits at the start of b (-1 when there are none).
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// Equal reports whether the string token tok decodes (Unquote) to s,
// without allocating for short strings.
func Equal(tok []byte, s string) bool {
	return !firstDiffers(tok, s) && equal(tok, s)
}

// firstDiffers reports whether the text of the string token tok surely
// differs from s by its first byte (one that decodes to itself): what
// settles most mismatches, in a test small enough to be inlined in the
// loops over members, which call equal only for the rest. (Where tok is
// not a token, Equal is false anyway.)
func firstDiffers(tok []byte, s string) bool {
	return len(tok) > 2 && len(s) > 0 && tok[1] != s[0] && decodesAlone[tok[1]]
}

// decodesAlone marks the bytes that, first in a string token's text,
// decode to themselves as its first byte: ASCII but the backslash.
var decodesAlone = func() (t [256]bool) {
	for c := range utf8.RuneSelf {
		t[c] = c != '\\'
	}
	return t
}()

// equal is Equal past its first test.
func equal(tok []byte, s string) bool {
	if len(tok) < 2 || tok[0] != '"' || tok[len(tok)-1] != '"' {
		return false
	}
	raw := tok[1 : len(tok)-1]
	if string(raw) == s {
		// The same bytes decode to themselves exactly when they hold no
		// escape and are valid UTF-8: an escape shortens the text, and
		// decoding leaves no invalid UTF-8 behind.
		return isPlain(raw)
	}
	if isPlain(raw) {
		return false // raw is its own decoding, and it differs
	}
	var buf [64]byte
	u, ok := unquoteSlow(raw, buf[:0])
	return ok && string(u) == s
}

// isPlain reports whether the contents of a string token decode to
// themselves: no escape, quote or control character, valid UTF-8.
//
// It reads eight bytes at a time (specialBytes flags some byte of a word
// exactly when one of its bytes is special: spurious flags only ever lie
// above a true one), the last word overlapping the one before
// when the length is not a multiple of eight, and four at a time (two
// overlapping halves of one word) below eight.
func isPlain(raw []byte) bool {
	n := len(raw)
	var x, hi uint64
	switch {
	case n >= 8:
		for i := 0; i < n-8; i += 8 {
			w := binary.LittleEndian.Uint64(raw[i:])
			if specialBytes(w) != 0 {
				return false
			}
			hi |= w
		}
		x = binary.LittleEndian.Uint64(raw[n-8:])
	case n >= 4:
		x = uint64(binary.LittleEndian.Uint32(raw)) | uint64(binary.LittleEndian.Uint32(raw[n-4:]))<<32
	default:
		for _, c := range raw {
			if !plain[c] {
				return false
			}
			hi |= uint64(c)
		}
		return hi < utf8.RuneSelf || utf8.Valid(raw)
	}
	if specialBytes(x) != 0 {
		return false
	}
	return (hi|x)&highs == 0 || utf8.Valid(raw)
}
