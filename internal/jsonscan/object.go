package jsonscan

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/bits"
)

// Member is a member of an object as offsets in the bytes given to
// ScanObject: the key token is b[K0:K1] (quotes included), the value
// b[V0:V1].
type Member struct{ K0, K1, V0, V1 int32 }

// ScanObject reports whether b is exactly one JSON object with optional
// whitespace around it (what Valid accepts, when the value is an object),
// and records its first len(top) top-level members in top, in document
// order, and in hits the offsets of the opening quotes of the first
// len(hits) string values (not keys) whose text may start with "arn:":
// those whose bytes start so, and those holding an escape. n is the
// number of top-level members and nhits of such strings (more than
// len(top) or len(hits) when some were not recorded); both are
// meaningless when ok is false.
//
// When x is not nil, it also records in x where the objects and arrays of
// b below its top object end (x then serves later walks of b: Members,
// Elements, LastMember; after a failure its content is meaningless).
//
// It is Valid in one tight loop with no call per token: the usual
// path for small documents read in full once.
func ScanObject(b []byte, top []Member, hits []int32, x *Extents) (n, nhits int, ok bool) {
	n, nhits, _, ok = scanObject(b, top, hits, x, nil)
	return n, nhits, ok
}

// ScanObjectKeys is ScanObject also reporting, in keyMatch, whether a
// key of the object may hold one of the words of w: whether any key at
// any depth (in nested objects, and in objects within arrays; never a
// string value) is spelled, between its quotes,
//   - with one of the words of w, ASCII letters in either case, or
//   - with a backslash (any escape), or
//   - with a byte >= 0x80.
//
// That is exact on the raw key bytes; on the decoded keys it is a
// superset of "strings.ToLower(key) contains a word" (escapes and
// non-ASCII keys count whatever they decode to, since ToLower folds some
// non-ASCII letters onto ASCII ones). With w nil, keyMatch is false; when
// ok is false (and w is not nil) keyMatch is true: nothing is known of
// the keys. The words are looked for while the keys are read, in the
// same pass.
func ScanObjectKeys(b []byte, top []Member, hits []int32, x *Extents, w *Words) (n, nhits int, keyMatch, ok bool) {
	n, nhits, keyMatch, ok = scanObject(b, top, hits, x, w)
	if w == nil {
		return n, nhits, false, ok
	}
	return n, nhits, keyMatch || !ok, ok
}

// scanObject is ScanObject and ScanObjectKeys: km is whether a key holds
// a word of w (when w is not nil), an escape or a byte >= 0x80 (also set
// on escapes when w is nil; meaningless when ok is false).
func scanObject(b []byte, top []Member, hits []int32, x *Extents, w *Words) (n, nhits int, km, ok bool) {
	if len(b) > math.MaxInt32 {
		return scanObjectSlow(b, top, hits, x, w)
	}
	if x != nil {
		x.doc, x.n = b, 0
	}
	const stackBits = 128
	var stack [stackBits / 64]uint64 // one bit per open container: 1 object
	l := len(b)
	i := 0
	for i < l && b[i] <= ' ' && isSpace(b[i]) {
		i++
	}
	if i >= l || b[i] != '{' {
		return 0, 0, false, false
	}
	i++
	stack[0] = 1
	depth := 1 // containers open
	var (
		c   byte
		v0  int
		obj bool
		hit bool
	)

objOpen: // just past '{'
	for i < l && b[i] <= ' ' && isSpace(b[i]) {
		i++
	}
	if i >= l {
		return 0, 0, false, false
	}
	if b[i] == '}' {
		i++
		depth--
		goto closed
	}

key: // at a member's key
	if b[i] != '"' {
		return 0, 0, false, false
	}
	v0 = i // the key's start, for now
	i++
	for {
		for l-i >= 8 {
			if m := specialBytes(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				goto keySpecial
			}
			i += 8
		}
		for i < l && plain[b[i]] {
			i++
		}
		if i >= l {
			return 0, 0, false, false
		}
	keySpecial:
		switch b[i] {
		case '"':
			i++
			goto keyDone
		case '\\':
			km = true // (a key spelled with an escape may be anything)
			if i = escape(b, i); i < 0 {
				return 0, 0, false, false
			}
		default:
			return 0, 0, false, false
		}
	}
keyDone:
	if w != nil && !km && w.inKey(b[v0+1:i-1]) {
		km = true
	}
	if depth == 1 {
		if n < len(top) {
			top[n].K0, top[n].K1 = int32(v0), int32(i)
		}
		n++
	}
	for i < l && b[i] <= ' ' && isSpace(b[i]) {
		i++
	}
	if i >= l || b[i] != ':' {
		return 0, 0, false, false
	}
	i++
	for i < l && b[i] <= ' ' && isSpace(b[i]) {
		i++
	}
	if i >= l {
		return 0, 0, false, false
	}
	if depth == 1 && n <= len(top) {
		top[n-1].V0 = int32(i)
	}

value: // at a value (i < l)
	switch c = b[i]; c {
	case '"':
		v0, hit = i, false
		if l-i >= 5 && binary.LittleEndian.Uint32(b[i+1:]) == arnWord {
			if nhits < len(hits) {
				hits[nhits] = int32(i)
			}
			nhits++
			hit = true
		}
		i++
		for {
			for l-i >= 8 {
				if m := specialBytes(binary.LittleEndian.Uint64(b[i:])); m != 0 {
					i += bits.TrailingZeros64(m) >> 3
					goto special
				}
				i += 8
			}
			for i < l && plain[b[i]] {
				i++
			}
			if i >= l {
				return 0, 0, false, false
			}
		special:
			switch b[i] {
			case '"':
				i++
				goto after
			case '\\':
				if !hit {
					if nhits < len(hits) {
						hits[nhits] = int32(v0)
					}
					nhits++
					hit = true
				}
				if i = escape(b, i); i < 0 {
					return 0, 0, false, false
				}
			default:
				return 0, 0, false, false
			}
		}
	case '{', '[':
		if depth >= stackBits {
			return scanObjectSlow(b, top, hits, x, w)
		}
		if x != nil { // (depth 0: a container in the top object, which is not recorded)
			x.opened(depth-1, i)
		}
		w, bit := depth>>6, uint64(1)<<uint(depth&63)
		depth++
		i++
		if c == '{' {
			stack[w] |= bit
			goto objOpen
		}
		stack[w] &^= bit
		for i < l && b[i] <= ' ' && isSpace(b[i]) {
			i++
		}
		if i >= l {
			return 0, 0, false, false
		}
		if b[i] == ']' {
			i++
			depth--
			goto closed
		}
		goto value
	case 't':
		if l-i < 4 || string(b[i:i+4]) != "true" {
			return 0, 0, false, false
		}
		i += 4
	case 'f':
		if l-i < 5 || string(b[i:i+5]) != "false" {
			return 0, 0, false, false
		}
		i += 5
	case 'n':
		if l-i < 4 || string(b[i:i+4]) != "null" {
			return 0, 0, false, false
		}
		i += 4
	default:
		if c != '-' && (c < '0' || c > '9') {
			return 0, 0, false, false
		}
		if i, ok = scanNumber(b, i); !ok {
			return 0, 0, false, false
		}
	}

after: // after a value
	if depth == 1 && n <= len(top) {
		top[n-1].V1 = int32(i)
	}
	for i < l && b[i] <= ' ' && isSpace(b[i]) {
		i++
	}
	if i >= l {
		return 0, 0, false, false
	}
	obj = stack[(depth-1)>>6]&(1<<uint((depth-1)&63)) != 0
	switch c = b[i]; {
	case c == ',':
		i++
		for i < l && b[i] <= ' ' && isSpace(b[i]) {
			i++
		}
		if i >= l {
			return 0, 0, false, false
		}
		if obj {
			goto key
		}
		goto value
	case obj && c == '}', !obj && c == ']':
		i++
		depth--
		goto closed
	}
	return 0, 0, false, false

closed: // past a container's close
	if x != nil && depth > 0 {
		x.closed(depth-1, i)
	}
	if depth > 0 {
		goto after
	}
	for i < l && b[i] <= ' ' && isSpace(b[i]) {
		i++
	}
	return n, nhits, km, i == l
}

// arnWord is "arn:" read as a little-endian uint32.
const arnWord = 'a' | 'r'<<8 | 'n'<<16 | ':'<<24

// escape checks the escape at b[i] (a backslash) and returns the offset
// past it, -1 when it is malformed.
func escape(b []byte, i int) int {
	i++
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return i + 1
	case 'u':
		if len(b)-i < 5 || !isHex(b[i+1]) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) {
			return -1
		}
		return i + 5
	}
	return -1
}

// scanObjectSlow is ScanObject for documents nested deeper than its
// stack (or too large for its offsets).
//
//go:noinline
func scanObjectSlow(b []byte, top []Member, hits []int32, x *Extents, w *Words) (n, nhits int, km, ok bool) {
	if x != nil {
		x.doc, x.n = nil, 0 // records nothing
	}
	if KindOf(b) != Object || !Valid(b) || len(b) > math.MaxInt32 {
		return 0, 0, false, false
	}
	if w != nil {
		km = w.inKeys(b)
	}
	hook := func(start, end int) {
		tok := b[start:end]
		if len(tok) >= 5 && string(tok[1:5]) == "arn:" || bytes.IndexByte(tok, '\\') >= 0 {
			if nhits < len(hits) {
				hits[nhits] = int32(start)
			}
			nhits++
		}
	}
	it := TrustedMembers(b)
	for {
		k, v, ok := it.NextFunc(hook)
		if !ok {
			break
		}
		if n < len(top) {
			// k and v are sub-slices of b: their capacity gives their offset.
			k0, v0 := cap(b)-cap(k), cap(b)-cap(v)
			top[n] = Member{int32(k0), int32(k0 + len(k)), int32(v0), int32(v0 + len(v))}
		}
		n++
	}
	return n, nhits, km, !it.Err()
}

// EndString returns the end (past the closing quote) of the string token
// at b[i] in bytes already checked, by its closing quote alone.
func EndString(b []byte, i int) (int, bool) { return endString(b, i) }

// LastMember returns the value of the last member of obj (an object within
// the document x recorded, or other bytes already checked) whose key
// decodes (Unquote) to key; nil when there is none or obj is not an
// object. It reads as x.Members does, in one loop.
func (x *Extents) LastMember(obj []byte, key string) []byte {
	i := SkipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil
	}
	var base int32 = -1
	if x != nil {
		base = x.locate(obj)
	}
	b := obj
	var val []byte
	i++
	for first := true; ; first = false {
		for i < len(b) && b[i] <= ' ' && isSpace(b[i]) {
			i++
		}
		if i >= len(b) {
			return nil
		}
		switch c := b[i]; {
		case c == '}':
			return val
		case first:
		case c == ',':
			i++
			for i < len(b) && b[i] <= ' ' && isSpace(b[i]) {
				i++
			}
		default:
			return nil
		}
		k0 := i
		kend, ok := endString(b, i)
		if !ok {
			return nil
		}
		i = kend
		for i < len(b) && b[i] <= ' ' && isSpace(b[i]) {
			i++
		}
		if i >= len(b) || b[i] != ':' {
			return nil
		}
		i++
		for i < len(b) && b[i] <= ' ' && isSpace(b[i]) {
			i++
		}
		if i >= len(b) {
			return nil
		}
		v0 := i
		switch c := b[i]; c {
		case '"':
			if i, ok = endString(b, i); !ok {
				return nil
			}
		case '{', '[':
			if end, ok := x.endAt(base, i); ok && end > i && end <= len(b) {
				i = end
			} else {
				n, ok := skipStructure(b[i:])
				if !ok {
					return nil
				}
				i += n
			}
		default:
			for i < len(b) && !delimiter[b[i]] {
				i++
			}
			if i == v0 {
				return nil
			}
		}
		if !firstDiffers(b[k0:kend], key) && equal(b[k0:kend], key) { // (Equal)
			val = b[v0:i]
		}
	}
}

// endAt returns the end, as an offset in the bytes at base in x's
// document, of the container recorded at offset i of those bytes.
func (x *Extents) endAt(base int32, i int) (int, bool) {
	if base < 0 {
		return 0, false
	}
	end, ok := x.end(int(base) + i)
	return end - int(base), ok
}
