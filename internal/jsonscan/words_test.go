package jsonscan

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// secretWords are the words the CloudTrail collector looks for in keys.
var secretWords = []string{"password", "secret", "token", "privatekey", "credential", "passphrase", "plaintext",
	"sessionkey", "authkey", "apikey", "userdata"}

var testWords = NewWords(secretWords...)

// refKeys walks the keys of data (a valid JSON object) with encoding/json's
// Decoder: raw is the reference for ScanObjectKeys, whether the bytes of a
// key between its quotes hold a word (ASCII case folded), a backslash or a
// byte >= 0x80; decoded is whether strings.ToLower of a decoded key
// contains a word (what a redaction by decoded keys looks for, which raw
// must imply).
func refKeys(t testing.TB, data []byte, words []string) (raw, decoded bool) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct{ obj, wantKey bool }
	var stack []frame
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].wantKey = true
		}
	}
	prev := int64(0)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%q: Decoder.Token: %v", data, err)
		}
		off := dec.InputOffset()
		tokBytes := bytes.TrimLeft(data[prev:off], " \t\r\n,:")
		prev = off
		switch d := tok.(type) {
		case json.Delim:
			switch d {
			case '{':
				stack = append(stack, frame{obj: true, wantKey: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
			continue
		case string:
			if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
				stack[n-1].wantKey = false
				if len(tokBytes) < 2 || tokBytes[0] != '"' || tokBytes[len(tokBytes)-1] != '"' {
					t.Fatalf("%q: key token %q", data, tokBytes)
				}
				body := tokBytes[1 : len(tokBytes)-1]
				lower := strings.ToLower(d)
				for _, w := range words {
					if strings.Contains(lower, w) {
						decoded = true
					}
					if bytes.Contains(asciiLower(body), []byte(w)) {
						raw = true
					}
				}
				if bytes.IndexByte(body, '\\') >= 0 {
					raw = true
				}
				for _, c := range body {
					if c >= 0x80 {
						raw = true
					}
				}
				continue
			}
		}
		valueDone()
	}
	return raw, decoded
}

func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// checkScanObjectKeys compares ScanObjectKeys with ScanObject and, on
// valid objects, its report with refKeys and with the slow path's walk.
func checkScanObjectKeys(t testing.TB, data []byte) {
	t.Helper()
	var top, top2 [4]Member
	var hits, hits2 [4]int32
	var x, x2 Extents
	n, nhits, ok := ScanObject(data, top[:], hits[:], &x)
	n2, nhits2, km, ok2 := ScanObjectKeys(data, top2[:], hits2[:], &x2, testWords)
	if ok2 != ok || (ok && (n2 != n || nhits2 != nhits || top2 != top || hits2 != hits || !sameExtents(&x, &x2))) {
		t.Fatalf("%q: ScanObjectKeys differs from ScanObject", data)
	}
	if _, _, kmNil, _ := ScanObjectKeys(data, top2[:], hits2[:], nil, nil); kmNil {
		t.Fatalf("%q: keyMatch with no words", data)
	}
	if !ok {
		if !km {
			t.Fatalf("%q: not a valid object, yet no keyMatch", data)
		}
		return
	}
	raw, decoded := refKeys(t, data, secretWords)
	if km != raw {
		t.Fatalf("%q: keyMatch %v, want %v", data, km, raw)
	}
	if decoded && !km {
		t.Fatalf("%q: a decoded key holds a word, yet no keyMatch", data)
	}
	if slow := testWords.inKeys(data); slow != km {
		t.Fatalf("%q: slow path's keyMatch %v, fast %v", data, slow, km)
	}
	if _, _, kmSlow, okSlow := scanObjectSlow(data, nil, nil, nil, testWords); !okSlow || kmSlow != km {
		t.Fatalf("%q: scanObjectSlow %v %v, fast %v", data, kmSlow, okSlow, km)
	}
}

func sameExtents(a, b *Extents) bool {
	return len(a.doc) == len(b.doc) && a.n == b.n && a.start == b.start && a.stop == b.stop
}

func TestScanObjectKeys(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want bool
	}{
		{`{}`, false},
		{`{"":""}`, false},
		{`{"":{"":[{"":1}]}}`, false},
		{`{"groupId":"sg-1","ipPermissions":{"items":[{"ipProtocol":"tcp"}]}}`, false},
		// values never count
		{`{"a":"password","b":["secret",{"c":"token"}],"d":"\u00e9\\"}`, false},
		{`{"a":"` + "p\xc3\xa4ss" + `"}`, false},
		// keys, at any depth
		{`{"password":1}`, true},
		{`{"token":null}`, true},
		{`{"a":{"b":{"c":{"userData":"x"}}}}`, true},
		{`{"a":[1,[2,[{"dbSecret":true}]]]}`, true},
		{`{"items":[{"x":1},{"y":2},{"SessionKey":3}]}`, true},
		{`{"a":[],"b":{},"MasterUserPassword":"x"}`, true},
		// case variants
		{`{"PASSWORD":1}`, true},
		{`{"pAsSwOrD":1}`, true},
		{`{"xxAPIKEYxx":1}`, true},
		{`{"awsauthKey":1}`, true},
		// near misses
		{`{"passwor":1,"assword":2,"secre":3,"tokn":4,"api_key":5,"user-data":6}`, false},
		{`{"pass word":1,"to ken":2}`, false},
		// words at the key's edges, words alone, a word split by the key's end
		{`{"token":1}`, true},
		{`{"xtoken":1}`, true},
		{`{"tokenx":1}`, true},
		{`{"tok":"en"}`, false},
		{`{"tok":{"en":1}}`, false},
		// escapes in keys count, whatever they decode to
		{`{"\u0070assword":1}`, true},
		{`{"a\nb":1}`, true},
		{`{"a\/b":1}`, true},
		{`{"x":{"\"":1}}`, true},
		// non-ASCII in keys counts (ToLower folds U+212A KELVIN SIGN onto k)
		{`{"tö":1}`, true},
		{"{\"authâ\u212aey\":1}", true},
		{"{\"a\":[{\"\xff\":1}]}", true},
		// whitespace around keys
		{" { \"a\" : { \"Secret\" \t: 1 } } ", true},
		// deep documents take the slow path
		{`{"a":` + strings.Repeat("[", 200) + `{"password":1}` + strings.Repeat("]", 200) + `}`, true},
		{`{"a":` + strings.Repeat("[", 200) + `{"passwd":"password"}` + strings.Repeat("]", 200) + `}`, false},
		{`{"a":` + strings.Repeat(`{"b":`, 150) + `1` + strings.Repeat("}", 150) + `,"ApiKey":2}`, true},
	} {
		_, _, km, ok := ScanObjectKeys([]byte(tc.doc), nil, nil, nil, testWords)
		if !ok {
			t.Fatalf("%q: not valid", tc.doc)
		}
		if km != tc.want {
			t.Errorf("%q: keyMatch %v, want %v", tc.doc, km, tc.want)
		}
		checkScanObjectKeys(t, []byte(tc.doc))
	}
	// invalid documents: keyMatch, conservatively
	for _, d := range []string{``, `[]`, `"password"`, `{"a":1`, `{"a":1,}`, `{"a" 1}`, `{"a":"x"}y`, `{"\x":1}`} {
		if _, _, km, ok := ScanObjectKeys([]byte(d), nil, nil, nil, testWords); ok || !km {
			t.Errorf("%q: ok=%v keyMatch=%v, want false, true", d, ok, km)
		}
	}
}

func TestNewWords(t *testing.T) {
	for _, bad := range []string{"", "a", "Password", "p\xc3\xa4ss", "a\"b", `a\b`, "a\nb"} {
		require.Panics(t, func() { NewWords("token", bad) }, "%q", bad)
	}
	// words need not be letters; case folding touches only A-Z
	w := NewWords("a_1", "zz")
	for key, want := range map[string]bool{"xA_1": true, "a_1": true, "a-1": false, "A_!": false, "ZZ": true, "z": false, "z_z": false} {
		_, _, km, ok := ScanObjectKeys([]byte(`{"k":{"`+key+`":0}}`), nil, nil, nil, w)
		require.True(t, ok)
		require.Equal(t, want, km, key)
	}
	// pairs of non-letters share bits with pairs of letters: only a filter
	w = NewWords("pq")
	for _, key := range []string{"PQ", "pq", "Pq"} {
		require.True(t, w.inKey([]byte(key)), key)
	}
	for k := 0; k < 1<<16; k++ {
		b := []byte{byte(k >> 8), byte(k)}
		want := b[0] >= 0x80 || b[1] >= 0x80 || bytes.Equal(asciiLower(b), []byte("pq"))
		if w.inKey(b) != want {
			t.Fatalf("%q: %v", b, !want)
		}
	}
}

// randomKeyParts are pieces of keys: joined at random, they spell words
// across pieces, near misses, escapes and non-ASCII.
var randomKeyParts = []string{
	"", "a", "Id", "group", "items", "ip", "Permissions", "pass", "word", "Password", "PASS", "WoRd", "secret", "SECRET",
	"sec", "ret", "tok", "en", "Token", "private", "Key", "cred", "ential", "phrase", "plain", "Text", "session",
	"auth", "api", "KEY", "user", "Data", "userdata", "apikey", "authkey", "x", "_", "-", "1", " ", "p", "P", "s",
	`\u0070`, `\u0041`, `\n`, `\"`, `\\`, `\/`, "\u00e9", "\u212a", "\xff", "ä", `\u00e9`,
}

// randomObject writes a random JSON object to buf, nested up to depth.
func randomObject(r *rand.Rand, buf *bytes.Buffer, depth int) {
	ws := func() {
		if r.Intn(8) == 0 {
			buf.WriteString([]string{" ", "\n", "\t ", "\r\n"}[r.Intn(4)])
		}
	}
	buf.WriteByte('{')
	n := r.Intn(5)
	for i := 0; i < n; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		ws()
		buf.WriteByte('"')
		for j := r.Intn(4); j > 0; j-- {
			buf.WriteString(randomKeyParts[r.Intn(len(randomKeyParts))])
		}
		buf.WriteByte('"')
		ws()
		buf.WriteByte(':')
		ws()
		randomValue(r, buf, depth)
		ws()
	}
	buf.WriteByte('}')
}

func randomValue(r *rand.Rand, buf *bytes.Buffer, depth int) {
	k := r.Intn(10)
	if depth <= 0 && k >= 7 {
		k = r.Intn(7)
	}
	switch k {
	case 0, 1, 2:
		// strings that look like keys, even like members, never count
		buf.WriteByte('"')
		for j := r.Intn(4); j > 0; j-- {
			buf.WriteString(randomKeyParts[r.Intn(len(randomKeyParts))])
		}
		if r.Intn(4) == 0 {
			buf.WriteString(`\":1,\"password`)
		}
		buf.WriteByte('"')
	case 3:
		buf.WriteString([]string{"0", "-1.5e3", "443"}[r.Intn(3)])
	case 4:
		buf.WriteString([]string{"true", "false", "null"}[r.Intn(3)])
	case 5, 6:
		buf.WriteString([]string{`{}`, `[]`, `""`, `[{}]`}[r.Intn(4)])
	case 7, 8:
		randomObject(r, buf, depth-1)
	default:
		buf.WriteByte('[')
		for j := r.Intn(4); j > 0; j-- {
			randomValue(r, buf, depth-1)
			if j > 1 {
				buf.WriteByte(',')
			}
		}
		buf.WriteByte(']')
	}
}

// TestScanObjectKeysRandom checks random objects (valid ones, then with
// one byte changed or truncated) against refKeys, the reference computed
// by encoding/json.
func TestScanObjectKeysRandom(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	var buf bytes.Buffer
	matched := 0
	for i := 0; i < 20000; i++ {
		buf.Reset()
		if i%50 == 0 { // deep: the slow path
			buf.WriteString(`{"deep":` + strings.Repeat("[", 130))
			randomObject(r, &buf, 3)
			buf.WriteString(strings.Repeat("]", 130) + `,"z":`)
			randomObject(r, &buf, 0)
			buf.WriteString(`}`)
		} else {
			randomObject(r, &buf, 4)
		}
		doc := buf.Bytes()
		if !json.Valid(doc) {
			t.Fatalf("generated an invalid document: %q", doc)
		}
		if _, _, km, _ := ScanObjectKeys(doc, nil, nil, nil, testWords); km {
			matched++
		}
		checkScanObjectKeys(t, doc)
		if i%10 == 0 {
			b := bytes.Clone(doc)
			b[r.Intn(len(b))] = `"\{}[],: ax`[r.Intn(11)]
			checkScanObjectKeys(t, b)
			checkScanObjectKeys(t, doc[:r.Intn(len(doc))])
		}
	}
	// both outcomes are well represented
	if matched < 2000 || matched > 18000 {
		t.Fatalf("%d of 20000 random objects matched", matched)
	}
}

func FuzzScanObjectKeys(f *testing.F) {
	for _, d := range append(append([]string{}, docs...), objectDocs...) {
		f.Add([]byte(d))
	}
	f.Add([]byte(`{"a":[{"PassWord":1}],"b":"secret","\u0074oken":2,"` + "\u212a" + `":3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkScanObjectKeys(t, data)
	})
}

func TestScanObjectKeysNoAllocations(t *testing.T) {
	doc := []byte(asgiRequest)
	var top [16]Member
	var hits [16]int32
	var x Extents
	allocs := testing.AllocsPerRun(100, func() {
		if _, _, km, ok := ScanObjectKeys(doc, top[:], hits[:], &x, testWords); !ok || km {
			panic("unexpected")
		}
	})
	require.Zero(t, allocs)
}

// The requestParameters and responseElements of an
// AuthorizeSecurityGroupIngress record (collectors/cloudtrail's benchmark
// template).
const (
	asgiRequest  = `{"groupId":"sg-04d2","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":443,"toPort":443,"groups":{},"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8","description":"internal"}]},"ipv6Ranges":{},"prefixListIds":{}}]}}`
	asgiResponse = `{"requestId":"0c5b6a0e-3f7e-4c1b-9a59-2f1d7d1c0e11","_return":true,"securityGroupRuleSet":{"items":[{"groupOwnerId":"111122223333","groupId":"sg-04d2","securityGroupRuleId":"sgr-04d2","isEgress":false,"ipProtocol":"tcp","fromPort":443,"toPort":443,"cidrIpv4":"10.0.0.0/8","description":"internal"}]}}`
)

// BenchmarkScanObjectWords scans the request and the response of an
// AuthorizeSecurityGroupIngress record, as identity.EventResources does:
// without words (ScanObject), with no words (ScanObjectKeys, nil) and with
// the CloudTrail collector's words.
func BenchmarkScanObjectWords(b *testing.B) {
	req, resp := []byte(asgiRequest), []byte(asgiResponse)
	b.SetBytes(int64(len(req) + len(resp)))
	var top [16]Member
	var hits [16]int32
	var x Extents
	b.Run("ScanObject", func(b *testing.B) {
		b.SetBytes(int64(len(req) + len(resp)))
		for i := 0; i < b.N; i++ {
			_, _, ok1 := ScanObject(req, top[:], hits[:], &x)
			_, _, ok2 := ScanObject(resp, top[:], hits[:], &x)
			if !ok1 || !ok2 {
				b.Fatal("invalid")
			}
		}
	})
	for _, bc := range []struct {
		name string
		w    *Words
	}{{"nil", nil}, {"words", testWords}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(req) + len(resp)))
			for i := 0; i < b.N; i++ {
				_, _, km1, ok1 := ScanObjectKeys(req, top[:], hits[:], &x, bc.w)
				_, _, km2, ok2 := ScanObjectKeys(resp, top[:], hits[:], &x, bc.w)
				if !ok1 || !ok2 || km1 || km2 {
					b.Fatal("unexpected")
				}
			}
		})
	}
}

// TestWordsShapes compares inKey with a plain search for sets of words of
// every shortest length (q-grams of 2 to 4 bytes, strides 1 to 5).
func TestWordsShapes(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	sets := [][]string{{"ab"}, {"abc", "xyz1"}, {"abcd", "dcba_x"}, {"abcde"}, {"abcdefgh", "bcdefghij"}, secretWords}
	alphabet := "abcdefghijxyzABCDEXYZ_1 \x80"
	for _, set := range sets {
		w := NewWords(set...)
		for i := 0; i < 20000; i++ {
			k := make([]byte, r.Intn(24))
			for j := range k {
				k[j] = alphabet[r.Intn(len(alphabet))]
			}
			if r.Intn(3) == 0 && len(k) > 0 { // plant a word, in some case
				word := set[r.Intn(len(set))]
				p := r.Intn(len(k))
				for j := 0; j < len(word) && p+j < len(k); j++ {
					c := word[j]
					if r.Intn(2) == 0 && c >= 'a' && c <= 'z' {
						c -= 'a' - 'A'
					}
					k[p+j] = c
				}
			}
			want := bytes.IndexFunc(k, func(c rune) bool { return c >= 0x80 || c == 0xfffd }) >= 0
			for _, word := range set {
				if bytes.Contains(asciiLower(k), []byte(word)) {
					want = true
				}
			}
			if got := w.inKey(k); got != want {
				t.Fatalf("%v: %q: %v, want %v", set, k, got, want)
			}
		}
	}
}
