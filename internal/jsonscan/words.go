package jsonscan

import (
	"encoding/binary"
	"math/bits"
	"strings"
)

// Words is a set of lower-case ASCII words that ScanObjectKeys looks for
// in the keys of an object, in either case. It is built once (NewWords)
// and only read afterwards: one Words may serve any number of goroutines.
//
// A key is searched by its q-grams (q bytes in a row, q = min(4, the
// shortest word's length)) at every s-th offset (s = the shortest word's
// length - q + 1): every occurrence of a word then covers one sampled
// q-gram, at one of its first s offsets. Those q-grams of the words (ASCII
// letters folded) are marked, hashed, in a bit set; a key is compared with
// the words only where a sampled q-gram's bit is set.
type Words struct {
	q, s int
	set  [1 << hashBits / 64]uint64
	// rank counts the bits of set in the words before each, so that the
	// candidates of bit h are buckets[rank[h/64] + the bits below h in
	// set[h/64]].
	rank    [1 << hashBits / 64]uint16
	buckets [][]candidate
}

// candidate is a word whose q-gram at offset off has a bit of Words.set.
type candidate struct {
	word string
	off  int
}

const hashBits = 12

// gramHash hashes a q-gram (its bytes little-endian, OR 0x20 each: A-Z
// folded onto a-z).
func gramHash(g uint32) uint { return uint(g*0x9E3779B1) >> (32 - hashBits) }

// NewWords returns the set of words given. Each must be at least two bytes
// of lower-case ASCII (no A-Z, no byte >= 0x80, no '"' or '\\', no
// control character); NewWords panics otherwise, as on a programming
// error. With no words, no key matches (but those with an escape or a
// byte >= 0x80).
func NewWords(words ...string) *Words {
	minLen := 0
	for _, s := range words {
		if len(s) < 2 {
			panic("jsonscan.NewWords: word shorter than two bytes: " + strings.Clone(s))
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || (c >= 'A' && c <= 'Z') {
				panic("jsonscan.NewWords: not a lower-case ASCII word: " + strings.Clone(s))
			}
		}
		if minLen == 0 || len(s) < minLen {
			minLen = len(s)
		}
	}
	w := &Words{q: min(4, minLen), s: minLen - min(4, minLen) + 1}
	var byHash [1 << hashBits][]candidate
	for _, s := range words {
		for off := 0; off < w.s; off++ {
			h := gramHash(gram([]byte(s), off, w.q))
			w.set[h>>6] |= 1 << (h & 63)
			byHash[h] = append(byHash[h], candidate{s, off})
		}
	}
	for h, cs := range byHash {
		if h&63 == 0 {
			w.rank[h>>6] = uint16(len(w.buckets))
		}
		if len(cs) > 0 {
			w.buckets = append(w.buckets, cs)
		}
	}
	return w
}

// gram returns the q bytes of b at j, little-endian, OR 0x20 each.
func gram(b []byte, j, q int) uint32 {
	var g uint32
	for i := q - 1; i >= 0; i-- {
		g = g<<8 | uint32(b[j+i]|0x20)
	}
	return g
}

// inKey reports whether the bytes of a key between its quotes hold one of
// the words (ASCII case folded) or a byte >= 0x80. (Escapes are the
// caller's business: a backslash is just a byte here.)
func (w *Words) inKey(k []byte) bool {
	n := len(k)
	if w.q == 4 && w.s <= 4 && n >= 4 {
		// The q-grams read, s <= q apart, cover the key but for its last
		// s-1 bytes at most, which its last four bytes cover: ORed, they
		// tell whether a byte is >= 0x80 without a pass of their own.
		hi := binary.LittleEndian.Uint32(k[n-4:])
		for j := 0; j <= n-4; j += w.s {
			g := binary.LittleEndian.Uint32(k[j:])
			hi |= g
			h := gramHash(g | 0x20202020)
			if w.set[h>>6]&(1<<(h&63)) != 0 && w.at(h, k, j) {
				return true
			}
		}
		return hi&0x80808080 != 0
	}
	// Bytes >= 0x80, a few at a time (overlapping).
	var hi uint64
	switch {
	case n >= 8:
		for j := 0; j < n-8; j += 8 {
			hi |= binary.LittleEndian.Uint64(k[j:])
		}
		hi |= binary.LittleEndian.Uint64(k[n-8:])
	case n >= 4:
		hi = uint64(binary.LittleEndian.Uint32(k) | binary.LittleEndian.Uint32(k[n-4:]))
	default:
		for _, c := range k {
			hi |= uint64(c)
		}
	}
	if hi&highs != 0 {
		return true
	}
	if w.q == 4 {
		for j := 0; j <= n-4; j += w.s {
			h := gramHash(binary.LittleEndian.Uint32(k[j:]) | 0x20202020)
			if w.set[h>>6]&(1<<(h&63)) != 0 && w.at(h, k, j) {
				return true
			}
		}
		return false
	}
	for j := 0; j <= n-w.q; j += w.s {
		h := gramHash(gram(k, j, w.q))
		if w.set[h>>6]&(1<<(h&63)) != 0 && w.at(h, k, j) {
			return true
		}
	}
	return false
}

// at reports whether k holds, ASCII case folded, a word of the candidates
// of bit h where its q-gram would be at j.
func (w *Words) at(h uint, k []byte, j int) bool {
	m := w.set[h>>6]
	for _, c := range w.buckets[int(w.rank[h>>6])+bits.OnesCount64(m&(1<<(h&63)-1))] {
		p := j - c.off
		if p < 0 || len(k)-p < len(c.word) {
			continue
		}
		match := true
		for i := 0; i < len(c.word); i++ {
			b := k[p+i]
			if b >= 'A' && b <= 'Z' {
				b += 'a' - 'A'
			}
			if b != c.word[i] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// inKeys reports whether a key of b, a valid JSON document, at any depth,
// holds one of the words (ASCII case folded), a backslash or a byte >=
// 0x80: ScanObjectKeys's report, found by a walk of the string tokens
// (a string followed by ':' is a key).
func (w *Words) inKeys(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		end, ok := endString(b, i)
		if !ok {
			return true // (not valid: nothing is known)
		}
		if j := SkipSpace(b, end); j < len(b) && b[j] == ':' {
			k := b[i+1 : end-1]
			if w.inKey(k) {
				return true
			}
			for _, c := range k {
				if c == '\\' {
					return true
				}
			}
		}
		i = end - 1
	}
	return false
}
