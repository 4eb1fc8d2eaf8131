package jsonscan

import (
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// isPlainRef is isPlain one byte at a time.
func isPlainRef(raw []byte) bool {
	for _, c := range raw {
		if c < utf8.RuneSelf && !plain[c] {
			return false
		}
	}
	return utf8.Valid(raw)
}

// TestIsPlain compares isPlain with isPlainRef at every length up to 40,
// with each kind of byte at each offset, and on random bytes.
func TestIsPlain(t *testing.T) {
	special := []string{"\"", "\\", "\x00", "\x1f", "\x7f", "\x80", "\xff", "é", "\xe2\x82", "€", "\U0001F600", " ", "a"}
	for n := range 41 {
		base := make([]byte, n)
		for i := range base {
			base[i] = 'a' + byte(i%26)
		}
		if got, want := isPlain(base), isPlainRef(base); got != want {
			t.Fatalf("isPlain(%q) = %v, want %v", base, got, want)
		}
		for i := 0; i <= n; i++ {
			for _, s := range special {
				b := append(append(append([]byte{}, base[:i]...), s...), base[i:]...)
				if got, want := isPlain(b), isPlainRef(b); got != want {
					t.Fatalf("isPlain(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab\"\\\x01\x1f\x20\x7f\x80\xbf\xc3\xa9\xe2\x82\xac\xf0\x9f")
	for range 200000 {
		b := make([]byte, r.IntN(24))
		for i := range b {
			if r.IntN(4) == 0 {
				b[i] = alphabet[r.IntN(len(alphabet))]
			} else {
				b[i] = 'a' + byte(r.IntN(26))
			}
		}
		if got, want := isPlain(b), isPlainRef(b); got != want {
			t.Fatalf("isPlain(%q) = %v, want %v", b, got, want)
		}
	}
}

// TestEqualAgainstUnquote compares Equal with Unquote on tokens with and
// without escapes, invalid UTF-8 and malformed tokens, against strings
// that do and do not match them.
func TestEqualAgainstUnquote(t *testing.T) {
	toks := []string{`""`, `"a"`, `"groupId"`, `"group\u0049d"`, `"\u0067roupId"`, `"\\x"`, `"\"x"`, `"é"`, `"\u00e9"`,
		"\"\xff\"", "\"a\xff\"", `"\ud800"`, `"`, `x`, ``, `"abc`, `abc"`, `"a"b"`, `"\x"`, `"\"`, `"ab\/c"`, `"ab/c"`, `"securityGroupRuleId"`}
	strs := []string{"", "a", "groupId", "groupid", "gid", "\\x", "\"x", "é", "\ufffd", "a\ufffd", "x", "abc", "ab/c", "securityGroupRuleId", "s", "\\"}
	for _, tok := range toks {
		for _, s := range strs {
			var buf [64]byte
			u, ok := Unquote([]byte(tok), buf[:0])
			want := ok && string(u) == s
			if got := Equal([]byte(tok), s); got != want {
				t.Errorf("Equal(%q, %q) = %v, want %v", tok, s, got, want)
			}
		}
	}
}

// TestInKeyHighByteEachOffset: inKey reports a byte >= 0x80 at any offset
// of keys of every length, whatever the words' q-gram and stride (the
// q-grams read note those bytes where they cover the key).
func TestInKeyHighByteEachOffset(t *testing.T) {
	sets := [][]string{{"zz"}, {"zzz", "qqqq"}, {"zzzz", "qqqq_x"}, {"zzzzz"}, {"zzzzzzzz", "qqqqqqqqq"}, secretWords}
	for _, set := range sets {
		w := NewWords(set...)
		for n := range 30 {
			k := make([]byte, n)
			for i := range k {
				k[i] = 'a' + byte(i%20) // (no z, no q: no word)
			}
			if w.inKey(k) {
				t.Fatalf("%v: %q: true, want false", set, k)
			}
			for i := range k {
				for _, c := range []byte{0x80, 0xc3, 0xff} {
					old := k[i]
					k[i] = c
					if !w.inKey(k) {
						t.Fatalf("%v: %q: false, want true", set, k)
					}
					k[i] = old
				}
			}
		}
	}
}
