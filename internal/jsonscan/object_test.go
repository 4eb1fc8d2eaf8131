package jsonscan

import (
	"slices"
	"strings"
	"testing"
)

// checkScanObject compares ScanObject with Valid, KindOf and a walk of the
// members (and, with fewer slots than members, the part recorded), and
// the extents it records with a plain walk of the bytes.
func checkScanObject(t *testing.T, data []byte) {
	t.Helper()
	want := KindOf(data) == Object && Valid(data)
	checkScanObjectKeys(t, data)
	var wantMembers []Member
	var wantHits []int32
	if want {
		it := TrustedMembers(data)
		hook := func(start, end int) {
			tok := data[start:end]
			if strings.HasPrefix(string(tok), `"arn:`) || strings.Contains(string(tok), `\`) {
				wantHits = append(wantHits, int32(start))
			}
		}
		for {
			k, v, ok := it.NextFunc(hook)
			if !ok {
				break
			}
			k0, v0 := cap(data)-cap(k), cap(data)-cap(v)
			wantMembers = append(wantMembers, Member{int32(k0), int32(k0 + len(k)), int32(v0), int32(v0 + len(v))})
		}
		if it.Err() {
			t.Fatalf("%q: Valid but TrustedMembers with onString fails", data)
		}
	}
	for _, slots := range []int{0, 1, 3, 32} {
		top := make([]Member, slots)
		hits := make([]int32, slots)
		var x Extents
		n, nhits, ok := ScanObject(data, top, hits, &x)
		if ok != want {
			t.Fatalf("%q: ScanObject ok=%v, Valid object=%v", data, ok, want)
		}
		if !ok {
			continue
		}
		if n != len(wantMembers) {
			t.Fatalf("%q: %d members, want %d", data, n, len(wantMembers))
		}
		for i := 0; i < n && i < slots; i++ {
			if top[i] != wantMembers[i] {
				t.Fatalf("%q: member %d %+v, want %+v", data, i, top[i], wantMembers[i])
			}
		}
		if x.doc != nil { // (nothing is recorded when the document is too deep)
			wn, wstart, wstop := wantExtents(data)
			if x.n != wn || !slices.Equal(x.start[:wn], wstart[:wn]) || !slices.Equal(x.stop[:wn], wstop[:wn]) {
				t.Fatalf("%q: extents %d %v %v, want %d %v %v", data, x.n, x.start[:x.n], x.stop[:x.n], wn, wstart[:wn], wstop[:wn])
			}
		}
		if len(data) < 2000 { // (quadratic on deep documents)
			sameWalk(t, &x, data)
			checkLastMember(t, &x, data)
		}
		if nhits != len(wantHits) {
			t.Fatalf("%q: %d hits, want %d", data, nhits, len(wantHits))
		}
		for i := 0; i < nhits && i < slots; i++ {
			if hits[i] != wantHits[i] {
				t.Fatalf("%q: hit %d at %d, want %d", data, i, hits[i], wantHits[i])
			}
		}
	}
}

// wantExtents returns what ScanObject records in an Extents for doc (a
// valid object), found by a plain walk of its bytes: the first maxExtents
// containers, in document order, of those below the top object at most
// 31 levels deeper than it, and where they end.
func wantExtents(doc []byte) (n int, start, stop [maxExtents]int32) {
	type container struct{ start, end, depth int }
	var all []container
	var open []int // indexes in all of the containers open
	for i := 0; i < len(doc); i++ {
		switch doc[i] {
		case '"':
			for i++; doc[i] != '"'; i++ {
				if doc[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			all = append(all, container{start: i, depth: len(open) - 1})
			open = append(open, len(all)-1)
		case '}', ']':
			all[open[len(open)-1]].end = i + 1
			open = open[:len(open)-1]
		}
	}
	for _, c := range all[1:] { // (the top object is not recorded)
		if c.depth < 32 && n < maxExtents {
			start[n], stop[n] = int32(c.start), int32(c.end)
			n++
		}
	}
	return n, start, stop
}

var objectDocs = []string{
	`{"a":{"b":[1,2,{"c":"d"}],"e":[]},"f":[[]],"g":{},"h":"x\"y\\z\u0041","i":-1.5e3,"j":true,"k":false,"l":null}`,
	` {"a" : [ 1 , { "b" : [ ] } ] , "c" : "0123456789abcdefghij" } `,
	`{"a":[1,2}`, `{"a":{"b":1]}`, `{"a":[{"b":1}],}`, `{"a":"b" "c":1}`, `{"a":"\u00zz"}`, `{"a":"x` + "\x1f" + `"}`,
	`{"a":1}x`, `{"a":1}{}`, `{"":""}`, `{"a":"` + strings.Repeat("y", 40) + `\n` + strings.Repeat("z", 17) + `"}`,
	`{"a":` + strings.Repeat("[", 127) + strings.Repeat("]", 127) + `}`,
	`{"a":` + strings.Repeat("[", 128) + strings.Repeat("]", 128) + `,"b":2}`,
	`{"a":` + strings.Repeat(`{"b":`, 300) + `1` + strings.Repeat("}", 300) + `}`,
	`{"a":` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `}`,
	`{"a":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
	`{"a":` + strings.Repeat("[", 200) + strings.Repeat("]", 199) + `}`,
	`{"arn:x":"arn:y","b":["arn:","arn","\u0061rn:x","a\/b","x"],"c":{"d":"arn:aws:s3:::b\n"}}`,
	`{"a":` + strings.Repeat("[", 130) + `"arn:x","\n",{"arn:k":"v"}` + strings.Repeat("]", 130) + `,"b":"arn:z"}`,
}

func TestScanObject(t *testing.T) {
	for _, d := range append(append([]string{}, docs...), objectDocs...) {
		for i := 0; i <= len(d); i++ {
			if len(d) > 1000 && i < len(d)-3 {
				continue
			}
			checkScanObject(t, []byte(d[:i]))
		}
		// one byte changed, everywhere
		if len(d) < 200 {
			for i := range d {
				for _, c := range []byte{'"', '\\', '{', '}', '[', ']', ',', ':', ' ', '1', 'x', 0x01} {
					b := []byte(d)
					b[i] = c
					checkScanObject(t, b)
				}
			}
		}
	}
}

func FuzzScanObject(f *testing.F) {
	for _, d := range append(append([]string{}, docs...), objectDocs...) {
		f.Add([]byte(d))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkScanObject(t, data)
	})
}

func BenchmarkScanObject(b *testing.B) {
	var top [24]Member
	var hits [8]int32
	b.SetBytes(int64(len(benchDoc)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, ok := ScanObject(benchDoc, top[:], hits[:], nil); !ok {
			b.Fatal("invalid")
		}
	}
}

// checkLastMember compares LastMember with a walk of the members keeping the
// last match, for every key of every object of data (valid, recorded in x).
func checkLastMember(t *testing.T, x *Extents, v []byte) {
	t.Helper()
	switch KindOf(v) {
	case Object:
		it := TrustedMembers(v)
		var keys []string
		for {
			k, val, ok := it.Next()
			if !ok {
				break
			}
			u, _ := Unquote(k, nil)
			keys = append(keys, string(u))
			checkLastMember(t, x, val)
		}
		for _, key := range append(keys, "", "zz") {
			var want []byte
			it := TrustedMembers(v)
			for {
				k, val, ok := it.Next()
				if !ok {
					break
				}
				if Equal(k, key) {
					want = val
				}
			}
			for _, ext := range []*Extents{x, nil} {
				if got := ext.LastMember(v, key); string(got) != string(want) || (got == nil) != (want == nil) {
					t.Fatalf("LastMember(%q, %q) = %q, want %q", v, key, got, want)
				}
			}
		}
	case Array:
		it := elements(v)
		for {
			val, ok := it.Next()
			if !ok {
				break
			}
			checkLastMember(t, x, val)
		}
	}
}

func TestEndString(t *testing.T) {
	b := []byte(`{"a\"b":"c\\","d":"x`)
	end, ok := EndString(b, 1)
	if !ok || end != 7 {
		t.Fatalf("key: %d %v", end, ok)
	}
	end, ok = EndString(b, 8)
	if !ok || end != 13 {
		t.Fatalf("value ending in an escaped backslash: %d %v", end, ok)
	}
	for _, i := range []int{0, 18, len(b)} {
		if _, ok := EndString(b, i); ok {
			t.Fatalf("EndString at %d: ok", i)
		}
	}
}
