package jsonscan

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// docs are valid and invalid JSON documents covering the grammar's corners;
// every prefix of each is also tried as a truncated input.
var docs = []string{
	`{}`, `[]`, ` { } `, "\t[\n]\r", `""`, `"a"`, `0`, `-0`, `1`, `-12.5e+3`, `1E-2`, `0.0`, `true`, `false`, `null`,
	`{"a":1}`, `{"a":"b","c":[1,2,{"d":null}],"e":{"f":true,"g":false}}`,
	`{"a":"x","a":"y"}`, `[1, "two", [3], {"four": 4}]`, ` [ 1 , 2 ] `,
	`{"k\u0041":"v\ud83d\ude00\n\t\"\\\/\b\f\r"}`, `"\u00e9\u20ac"`, `"\ud800"`, `"\udc00\ud800x"`, `"\ud800\u0041"`,
	"\"\xff\xfe\"", "\"\xed\xa0\x80\"", "\"caf\xc3\xa9\"", `"\u0000"`,
	// invalid
	``, ` `, `{`, `[`, `}`, `]`, `{"a"}`, `{"a":}`, `{"a" 1}`, `{"a":1,}`, `[1,]`, `[,1]`, `[1 2]`, `{,}`, `{"a":1 "b":2}`,
	`{a:1}`, `{'a':1}`, `01`, `1.`, `.5`, `-`, `+1`, `1e`, `1e+`, `0x10`, `NaN`, `tru`, `truex`, `nul`, `fals`,
	`"\x"`, `"\u12"`, `"\u12G4"`, `"\'"`, "\"a\x01b\"", "\"tab\there\"", `"abc`, `{}x`, `{} {}`, `[]]`, `{"a":1}}`,
	"\ufeff{}", "{\"a\":1\v}", `{"a":[}`, `{"a":{]}`, `[{"a":1]`, `{"a":1]`, `["a":1]`, `{1:2}`, `{"a"::1}`,
}

func TestValidMatchesEncodingJSON(t *testing.T) {
	for _, d := range docs {
		for i := 0; i <= len(d); i++ {
			p := d[:i]
			require.Equal(t, json.Valid([]byte(p)), Valid([]byte(p)), "Valid(%q)", p)
		}
	}
}

func TestSkip(t *testing.T) {
	cases := []struct {
		in   string
		n    int
		ok   bool
		what string
	}{
		{`{"a":1} rest`, 7, true, "object, rest not looked at"},
		{`  [1,2]x`, 7, true, "leading space counted"},
		{`"a\"b"c`, 6, true, "string with escaped quote"},
		{`123,`, 3, true, "number"},
		{`-0.5e10]`, 7, true, "number with fraction and exponent"},
		{`true}`, 4, true, "literal"},
		{`null`, 4, true, "null"},
		{`{"a":[1,{"b":"}"}]}`, 19, true, "brackets inside strings"},
		{``, 0, false, "empty"},
		{`   `, 0, false, "only space"},
		{`{"a":1`, 0, false, "truncated object"},
		{`[1,2`, 0, false, "truncated array"},
		{`"abc`, 0, false, "truncated string"},
		{`"ab\`, 0, false, "truncated escape"},
		{`"\u00`, 0, false, "truncated unicode escape"},
		{`{"a":1,}`, 0, false, "trailing comma"},
		{`[1 2]`, 0, false, "missing comma"},
		{`x`, 0, false, "not a value"},
		{`-`, 0, false, "lone minus"},
		{`tr`, 0, false, "truncated literal"},
		{`}`, 0, false, "close without open"},
	}
	for _, c := range cases {
		t.Run(c.what, func(t *testing.T) {
			n, ok := Skip([]byte(c.in))
			require.Equal(t, c.ok, ok)
			require.Equal(t, c.n, n)
		})
	}
	for _, d := range docs {
		for i := 0; i <= len(d); i++ {
			Skip([]byte(d[:i])) // never panics
		}
	}
}

func TestDepth(t *testing.T) {
	nest := func(n int) []byte {
		return []byte(strings.Repeat("[", n) + strings.Repeat("]", n))
	}
	for _, n := range []int{1, 63, 64, 65, 200, MaxDepth - 1, MaxDepth, MaxDepth + 1, MaxDepth + 50} {
		d := nest(n)
		require.Equal(t, json.Valid(d), Valid(d), "depth %d", n)
		require.Equal(t, n <= MaxDepth, Valid(d), "depth %d", n)
		if n <= MaxDepth {
			end, ok := Skip(d)
			require.True(t, ok)
			require.Equal(t, len(d), end)
		}
		require.False(t, Valid(d[:len(d)-1]), "truncated depth %d", n)
	}
	// Objects and arrays mixed past the small stack.
	var sb strings.Builder
	for i := 0; i < 100; i++ {
		if i%2 == 0 {
			sb.WriteString(`{"k":`)
		} else {
			sb.WriteString(`[`)
		}
	}
	sb.WriteString(`1`)
	for i := 99; i >= 0; i-- {
		if i%2 == 0 {
			sb.WriteString(`}`)
		} else {
			sb.WriteString(`]`)
		}
	}
	require.True(t, Valid([]byte(sb.String())))
	// Checking iterators count nesting from the object they walk.
	for _, n := range []int{MaxDepth - 1, MaxDepth} {
		obj := []byte(`{"a":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`)
		it := TrustedMembers(obj)
		_, _, ok := it.NextFunc(func(int, int) {})
		require.Equal(t, n < MaxDepth, ok, "object holding %d levels", n)
		require.Equal(t, Valid(obj), ok)
	}
	bad := strings.Replace(sb.String(), "]}]", "}]}", 1)
	require.False(t, Valid([]byte(bad)), "mismatched close deep down")
}

// elements is an iterator over the array at the start of b, without
// extents.
func elements(b []byte) ArrayIter {
	var x *Extents
	return x.Elements(b)
}

func TestMembers(t *testing.T) {
	type kv struct{ k, v string }
	collect := func(s string) ([]kv, bool) {
		var out []kv
		it := TrustedMembers([]byte(s))
		for {
			k, v, ok := it.Next()
			if !ok {
				break
			}
			out = append(out, kv{string(k), string(v)})
		}
		return out, it.Err()
	}
	t.Run("members in order, raw tokens", func(t *testing.T) {
		got, bad := collect(` { "a" : 1 , "b\u0041":"x", "c":{"d":[1, 2]},"a":null } tail`)
		require.False(t, bad)
		require.Equal(t, []kv{{`"a"`, `1`}, {`"b\u0041"`, `"x"`}, {`"c"`, `{"d":[1, 2]}`}, {`"a"`, `null`}}, got)
	})
	t.Run("empty", func(t *testing.T) {
		got, bad := collect(`{ }`)
		require.Empty(t, got)
		require.False(t, bad)
	})
	for _, s := range []string{``, `[]`, `"x"`, `{`, `{"a"`, `{"a":`, `{"a":1`, `{"a":1,`, `{"a":1,}`, `{,}`, `{"a" 1}`,
		`{"a":1 "b":2}`, `{a:1}`, `{"a":1]`} {
		t.Run("malformed "+s, func(t *testing.T) {
			_, bad := collect(s)
			require.True(t, bad)
		})
	}
	t.Run("members before a fault are returned", func(t *testing.T) {
		got, bad := collect(`{"a":1,"b":"x}`)
		require.True(t, bad)
		require.Equal(t, []kv{{`"a"`, `1`}}, got)
	})
	t.Run("zero value is exhausted", func(t *testing.T) {
		var it ObjectIter
		_, _, ok := it.Next()
		require.False(t, ok)
		require.False(t, it.Err())
	})
	t.Run("next after the end stays ended", func(t *testing.T) {
		it := TrustedMembers([]byte(`{"a":1}`))
		_, _, ok := it.Next()
		require.True(t, ok)
		_, _, ok = it.Next()
		require.False(t, ok)
		_, _, ok = it.Next()
		require.False(t, ok)
		require.False(t, it.Err())
	})
}

func TestTrusted(t *testing.T) {
	doc := []byte(` { "a" : "x\"}]" , "b\\" :[1, {"c":"\\"}, "]" ,true] ,"d":-1.5e3,"e":null,"f":{}} `)
	require.True(t, Valid(doc))
	type kv struct{ k, v string }
	walk := func(it ObjectIter) (out []kv) {
		for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
			out = append(out, kv{string(k), string(v)})
		}
		require.False(t, it.Err())
		return out
	}
	require.Equal(t, []kv{{`"a"`, `"x\"}]"`}, {`"b\\"`, `[1, {"c":"\\"}, "]" ,true]`}, {`"d"`, `-1.5e3`}, {`"e"`, `null`}, {`"f"`, `{}`}},
		walk(TrustedMembers(doc)))
	var arr []string
	ai := elements([]byte(`[1,"a\\",[2,[3]],{"x":"]"},false]`))
	for v, ok := ai.Next(); ok; v, ok = ai.Next() {
		arr = append(arr, string(v))
	}
	require.Equal(t, []string{`1`, `"a\\"`, `[2,[3]]`, `{"x":"]"}`, `false`}, arr)

	// Grammar is not checked again...
	it := TrustedMembers([]byte(`{"a":[1 2],"b":tru}`))
	got := walk(it)
	require.Equal(t, []kv{{`"a"`, `[1 2]`}, {`"b"`, `tru`}}, got)
	// ...but a broken structure stops the walk, and onString checks.
	for _, s := range []string{`{"a":[1,2}`, `{"a":"x`, `{"a":"x\"}`, `{"a":`, `{"a":,}`, `{"a"}`, `[,]`, `{"a":1 "b":2}`, `{`, `[`,
		``, `[1`, `[1,`, `[1,]`, `[1 2]`, `[1}`, `["a]`} {
		if strings.HasPrefix(s, "{") {
			it := TrustedMembers([]byte(s))
			for _, _, ok := it.Next(); ok; _, _, ok = it.Next() {
			}
			require.True(t, it.Err(), s)
		} else {
			it := elements([]byte(s))
			for _, ok := it.Next(); ok; _, ok = it.Next() {
			}
			require.Equal(t, iterErr, int(it.state), s)
		}
	}
	notArray := elements([]byte(`{}`))
	_, ok := notArray.Next()
	require.False(t, ok)
	require.Equal(t, iterErr, int(notArray.state), "not an array")
	for _, s := range []string{`{"a":[1 2]}`, `{"a":tru}`, `{"a":"\x"}`, `{"a":[1,]}`} {
		it = TrustedMembers([]byte(s))
		_, _, ok := it.NextFunc(func(int, int) {})
		require.False(t, ok, "with onString, values are checked: %s", s)
		require.True(t, it.Err())
	}
}

// sameWalk checks that iterating v with x (extents recorded over the
// document) gives what iterating without extents gives, at every level.
func sameWalk(t testing.TB, x *Extents, v []byte) {
	switch KindOf(v) {
	case Object:
		want, got := TrustedMembers(v), x.Members(v)
		for {
			k1, v1, ok1 := want.Next()
			k2, v2, ok2 := got.Next()
			if ok1 != ok2 || string(k1) != string(k2) || string(v1) != string(v2) {
				t.Fatalf("members of %q: %q %q %v, with extents %q %q %v", v, k1, v1, ok1, k2, v2, ok2)
			}
			if !ok1 {
				break
			}
			sameWalk(t, x, v2)
		}
		if want.Err() != got.Err() || want.i != got.i {
			t.Fatalf("end of %q: %v %d, with extents %v %d", v, want.Err(), want.i, got.Err(), got.i)
		}
	case Array:
		want, got := elements(v), x.Elements(v)
		for {
			v1, ok1 := want.Next()
			v2, ok2 := got.Next()
			if ok1 != ok2 || string(v1) != string(v2) {
				t.Fatalf("elements of %q: %q %v, with extents %q %v", v, v1, ok1, v2, ok2)
			}
			if !ok1 {
				break
			}
			sameWalk(t, x, v2)
		}
		if want.state != got.state || want.i != got.i {
			t.Fatalf("end of %q: %v %d, with extents %v %d", v, want.state, want.i, got.state, got.i)
		}
	}
}

// record checks doc with ScanObject, recording its extents in x, and
// reports whether it is one valid object.
func record(doc []byte, x *Extents) bool {
	_, _, ok := ScanObject(doc, nil, nil, x)
	return ok
}

func TestExtents(t *testing.T) {
	docs := []string{
		`{"a":{"b":[1,{"c":[[],[{}]]},"x]"],"d":{}},"e":[{"f":"}"}],"g":1}`,
		` { "a" : [ { "b" : { } } , [ ] ] , "c" : "{" } `,
		`{"deep":` + strings.Repeat(`[{"k":`, 40) + `1` + strings.Repeat(`}]`, 40) + `,"after":[1,2]}`,
		`{"many":[` + strings.Repeat(`{"a":[1]},`, 60) + `{}],"last":{"x":[]}}`,
		`{"verydeep":` + strings.Repeat(`[`, 100) + strings.Repeat(`]`, 100) + `,"z":{}}`,
	}
	for _, d := range docs {
		var x Extents
		doc := []byte(d)
		require.True(t, record(doc, &x), d)
		sameWalk(t, &x, doc)
	}
	t.Run("recorded containers are skipped without reading them", func(t *testing.T) {
		doc := []byte(`{"a":[1,2,3],"b":{"c":"d"}}`)
		var x Extents
		require.True(t, record(doc, &x))
		// Corrupt the bytes inside the recorded array: a walk that reads
		// them would fail.
		doc[6] = '{'
		it := x.Members(doc)
		k, v, ok := it.Next()
		require.True(t, ok)
		require.Equal(t, `"a"`, string(k))
		require.Equal(t, `[{,2,3]`, string(v))
	})
	t.Run("bytes outside the document", func(t *testing.T) {
		var x Extents
		require.True(t, record([]byte(`{"a":[1]}`), &x))
		other := []byte(`{"a":[1,[2]],"b":{}}`)
		sameWalk(t, &x, other)
		var nilX *Extents
		sameWalk(t, nilX, other)
		var zero Extents
		sameWalk(t, &zero, other)
	})
	t.Run("failed recording never panics", func(t *testing.T) {
		for _, d := range []string{`{"a":[1,{"b":2}],"c":[}`, `{"a":{"b":[1,2]},`, `{"a":[[[[`} {
			var x Extents
			doc := []byte(d)
			require.False(t, record(doc, &x), d)
			for it := x.Members(doc); ; {
				_, v, ok := it.Next()
				if !ok {
					break
				}
				for ai := x.Elements(v); ; {
					if _, ok := ai.Next(); !ok {
						break
					}
				}
			}
		}
	})
	t.Run("no allocation", func(t *testing.T) {
		doc := []byte(`{"a":{"b":[1,{"c":"d"}]},"e":"f"}`)
		var x Extents
		allocs := testing.AllocsPerRun(100, func() {
			record(doc, &x)
			it := x.Members(doc)
			for _, v, ok := it.Next(); ok; _, v, ok = it.Next() {
				inner := x.Members(v)
				for _, _, ok := inner.Next(); ok; _, _, ok = inner.Next() {
				}
			}
		})
		require.Zero(t, allocs)
	})
}

func TestNextFunc(t *testing.T) {
	doc := []byte(`{"k1":"v1","k2":{"k3":["a",1,"b\"c",{"k4":"d"}],"k5":null},"k6":"e","k7":["f"]}`)
	var got []string
	it := TrustedMembers(doc)
	var cur []byte
	hook := func(start, end int) { got = append(got, string(cur[start:end])) }
	cur = doc
	var keys []string
	for k, _, ok := it.NextFunc(hook); ok; k, _, ok = it.NextFunc(hook) {
		keys = append(keys, string(k))
	}
	require.False(t, it.Err())
	require.Equal(t, []string{`"v1"`, `"a"`, `"b\"c"`, `"d"`, `"e"`, `"f"`}, got, "values only, in order, nested ones included")
	require.Equal(t, []string{`"k1"`, `"k2"`, `"k6"`, `"k7"`}, keys)

	got = nil
	cur = []byte(`{"a":"1","b":["2",}`)
	it = TrustedMembers(cur)
	for _, _, ok := it.NextFunc(hook); ok; _, _, ok = it.NextFunc(hook) {
	}
	require.True(t, it.Err())
	require.Equal(t, []string{`"1"`, `"2"`}, got, "strings before the fault are reported")
}

func TestElements(t *testing.T) {
	collect := func(s string) ([]string, bool) {
		var out []string
		it := elements([]byte(s))
		for {
			v, ok := it.Next()
			if !ok {
				break
			}
			out = append(out, string(v))
		}
		return out, it.state == iterErr
	}
	got, bad := collect(` [ 1, "a" ,{"b":[2]} , [ ] ,null] x`)
	require.False(t, bad)
	require.Equal(t, []string{`1`, `"a"`, `{"b":[2]}`, `[ ]`, `null`}, got)
	got, bad = collect(`[]`)
	require.Empty(t, got)
	require.False(t, bad)
	for _, s := range []string{``, `{}`, `[`, `[1`, `[1,`, `[1,]`, `[,]`, `[1 2]`, `[1}`, `["a]`} {
		_, bad := collect(s)
		require.True(t, bad, s)
	}
	var it ArrayIter
	_, ok := it.Next()
	require.False(t, ok)
}

func TestUnquote(t *testing.T) {
	valid := []string{
		`""`, `"abc"`, `"a b/c"`, `"\/"`, `"\"\\\/\b\f\n\r\t"`, `"\u0041\u00e9\u20ac"`, `"\ud83d\ude00"`,
		`"\ud800"`, `"\udc00"`, `"\ud800\u0041"`, `"\ud800\ud800"`, `"\udc00\ud800\udc00"`, `"x\ud800"`, `"\ud800\"`[:0] + `"\ud800\\"`,
		`"\u0000"`, "\"\xff\"", "\"a\xc3\"", "\"\xed\xa0\x80\"", "\"caf\xc3\xa9\"", "\"\xef\xbf\xbd\"", `"\uFFFD"`, `"\uD834\uDD1E"`,
		"\"\x7f\"", `"\u005c"`, `"\u0022"`,
	}
	for _, s := range valid {
		t.Run(s, func(t *testing.T) {
			var want string
			require.NoError(t, json.Unmarshal([]byte(s), &want))
			var buf [8]byte
			got, ok := Unquote([]byte(s), buf[:0])
			require.True(t, ok)
			require.Equal(t, want, string(got))
			require.True(t, Equal([]byte(s), want))
			require.False(t, Equal([]byte(s), want+"x"))
		})
	}
	t.Run("no escapes: a sub-slice, no copy", func(t *testing.T) {
		for _, s := range []string{`"arn:aws:s3:::b"`, "\"caf\xc3\xa9\""} {
			in := []byte(s)
			got, ok := Unquote(in, nil)
			require.True(t, ok)
			require.Equal(t, &in[1], &got[0])
		}
	})
	t.Run("escapes: decoded into buf", func(t *testing.T) {
		var buf [32]byte
		got, ok := Unquote([]byte(`"a\/b"`), buf[:0])
		require.True(t, ok)
		require.Equal(t, "a/b", string(got))
		require.Equal(t, &buf[0], &got[0])
	})
	for _, s := range []string{``, `"`, `abc`, `"abc`, `abc"`, `"a"b"`, `"\x"`, `"\'"`, `"\u12"`, `"\u12G4"`, `"\"`, `"a\"`,
		"\"a\x01\"", "\"\n\"", `'a'`, ` "a"`, `"a" `} {
		t.Run("malformed "+s, func(t *testing.T) {
			_, ok := Unquote([]byte(s), nil)
			require.False(t, ok)
			require.False(t, Equal([]byte(s), ""))
			require.False(t, Equal([]byte(s), "a"))
		})
	}
	t.Run("equal fast and slow forms", func(t *testing.T) {
		require.True(t, Equal([]byte(`"groupId"`), "groupId"))
		require.True(t, Equal([]byte(`"group\u0049d"`), "groupId"))
		require.False(t, Equal([]byte(`"groupId"`), "groupid"))
		require.False(t, Equal([]byte("\"\xff\""), "\xff"), "invalid UTF-8 decodes to U+FFFD")
		require.True(t, Equal([]byte("\"\xff\""), "\uFFFD"))
		require.True(t, Equal([]byte(`""`), ""))
		long := strings.Repeat(`\u0061`, 100)
		require.True(t, Equal([]byte(`"`+long+`"`), strings.Repeat("a", 100)), "longer than the stack buffer")
	})
}

func TestKindsAndLiterals(t *testing.T) {
	kinds := map[string]Kind{
		``: Invalid, `  `: Invalid, `x`: Invalid, `}`: Invalid, `{`: Object, ` [1]`: Array, `"`: String, `-`: Number,
		`7`: Number, `true`: Bool, `f`: Bool, `null`: Null, `+1`: Invalid,
	}
	for in, want := range kinds {
		require.Equal(t, want, KindOf([]byte(in)), "%q", in)
	}
	require.True(t, IsTrue([]byte(`true`)))
	require.True(t, IsTrue([]byte(" true\n")))
	require.False(t, IsTrue([]byte(`tru`)))
	require.False(t, IsTrue([]byte(`truex`)))
	require.False(t, IsTrue([]byte(`"true"`)))
	require.False(t, IsTrue(nil))
	require.False(t, IsTrue([]byte(`true true`)))
	require.False(t, IsTrue([]byte(`false`)))
}

func TestSkipSpace(t *testing.T) {
	require.Equal(t, 3, SkipSpace([]byte(" \t\nx"), 0))
	require.Equal(t, 4, SkipSpace([]byte(" \r\n\t"), 0))
	require.Equal(t, 2, SkipSpace([]byte("a b"), 1))
	require.Equal(t, 0, SkipSpace([]byte("\vx"), 0), "vertical tab is not JSON whitespace")
	require.Equal(t, 9, SkipSpace([]byte("ab"), 9), "out of range is returned as is")
	require.Equal(t, -1, SkipSpace([]byte("ab"), -1))
	require.Equal(t, 0, SkipSpace(nil, 0))
}

func TestNoAllocations(t *testing.T) {
	doc := []byte(`{"groupId":"sg-1","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":443,"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8"}]}}]},"k\u0041":"v\/w"}`)
	allocs := testing.AllocsPerRun(100, func() {
		if !Valid(doc) {
			panic("invalid")
		}
		it := TrustedMembers(doc)
		for {
			k, v, ok := it.Next()
			if !ok {
				break
			}
			var buf [32]byte
			if _, ok := Unquote(k, buf[:0]); !ok {
				panic("key")
			}
			if KindOf(v) == String {
				if _, ok := Unquote(v, buf[:0]); !ok {
					panic("value")
				}
			}
			if KindOf(v) == Object {
				inner := TrustedMembers(v)
				for _, iv, ok := inner.Next(); ok; _, iv, ok = inner.Next() {
					arr := elements(iv)
					for _, ok := arr.Next(); ok; _, ok = arr.Next() {
					}
				}
			}
		}
		_ = Equal([]byte(`"k\u0041"`), "kA")
	})
	require.Zero(t, allocs)
}

// decode builds the value encoding/json would build, through this package,
// from v, exactly one valid value.
func decode(v []byte) (any, bool) {
	switch KindOf(v) {
	case Object:
		m := map[string]any{}
		it := TrustedMembers(v)
		for {
			k, val, ok := it.Next()
			if !ok {
				break
			}
			ks, ok := Unquote(k, nil)
			if !ok {
				return nil, false
			}
			x, ok := decode(val)
			if !ok {
				return nil, false
			}
			m[string(ks)] = x // the last of duplicate keys wins, as in encoding/json
		}
		return m, !it.Err()
	case Array:
		out := []any{}
		it := elements(v)
		for {
			e, ok := it.Next()
			if !ok {
				break
			}
			x, ok := decode(e)
			if !ok {
				return nil, false
			}
			out = append(out, x)
		}
		return out, it.state != iterErr
	case String:
		s, ok := Unquote(v, nil)
		return string(s), ok
	case Number:
		f, err := strconv.ParseFloat(string(v), 64)
		return f, err == nil
	case Bool:
		return IsTrue(v), IsTrue(v) || string(v) == "false"
	case Null:
		return nil, string(v) == "null"
	}
	return nil, false
}

func checkAgainstEncodingJSON(t *testing.T, data []byte) {
	valid := Valid(data)
	if valid != json.Valid(data) {
		t.Fatalf("Valid(%q) = %v, encoding/json says %v", data, valid, !valid)
	}
	n, ok := Skip(data)
	if ok && (n <= 0 || n > len(data)) {
		t.Fatalf("Skip(%q) = %d out of range", data, n)
	}
	// Iterators never panic and always end.
	for it := TrustedMembers(data); ; {
		if _, _, ok := it.Next(); !ok {
			break
		}
	}
	for it := elements(data); ; {
		if _, ok := it.Next(); !ok {
			break
		}
	}
	for it := TrustedMembers(data); ; {
		if _, _, ok := it.NextFunc(func(int, int) {}); !ok {
			break
		}
	}
	Unquote(data, nil)
	// Walking a valid object's members with onString sees every string
	// value, in order.
	if valid && KindOf(data) == Object {
		var strs [][]byte
		hook := func(start, end int) { strs = append(strs, data[start:end]) }
		it := TrustedMembers(data)
		for _, _, ok := it.NextFunc(hook); ok; _, _, ok = it.NextFunc(hook) {
		}
		if it.Err() {
			t.Fatalf("walking valid %q with onString failed", data)
		}
		want := valueStrings(t, data)
		got := make([]string, 0, len(strs))
		for _, tok := range strs {
			u, ok := Unquote(tok, nil)
			if !ok {
				t.Fatalf("OnString token %q does not unquote", tok)
			}
			got = append(got, string(u))
		}
		if len(want) != len(got) || (len(want) > 0 && !reflect.DeepEqual(want, got)) {
			t.Fatalf("OnString on %q: %q, want %q", data, got, want)
		}
	}
	// Iterators reading recorded extents agree with those that do not,
	// and never panic.
	if KindOf(data) == Object {
		var x Extents
		if record(data, &x) != valid {
			t.Fatalf("recording %q: valid %v", data, !valid)
		}
		if valid {
			sameWalk(t, &x, data)
		} else {
			for it := x.Members(data); ; {
				if _, _, ok := it.Next(); !ok {
					break
				}
			}
		}
	}
	if !valid {
		return
	}
	var want any
	if err := json.Unmarshal(data, &want); err != nil {
		return // a number out of float64 range
	}
	i := SkipSpace(data, 0)
	got, ok := decode(data[i:n])
	if !ok {
		t.Fatalf("decode(%q) failed on valid input", data)
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("decode(%q) = %#v, encoding/json gives %#v", data, got, want)
	}
	if s, ok := want.(string); ok {
		if !Equal(data[i:n], s) {
			t.Fatalf("Equal(%q, %q) = false", data[i:n], s)
		}
	}
}

// valueStrings lists the string values (not keys) of a valid document in
// order, through encoding/json's tokenizer.
func valueStrings(t *testing.T, data []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct{ obj, wantKey bool }
	var stack []frame
	var out []string
	for {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, frame{obj: true, wantKey: true})
				continue
			case '[':
				stack = append(stack, frame{})
				continue
			}
			stack = stack[:len(stack)-1] // a container ends: a value of its parent
		case string:
			if n := len(stack); n > 0 && stack[n-1].wantKey {
				stack[n-1].wantKey = false
				continue
			}
			out = append(out, v)
		}
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].wantKey = true
		}
	}
}

func TestAgainstEncodingJSON(t *testing.T) {
	for _, d := range docs {
		for i := 0; i <= len(d); i++ {
			checkAgainstEncodingJSON(t, []byte(d[:i]))
		}
	}
}

// FuzzAgainstEncodingJSON checks Valid against encoding/json.Valid on any
// input and, on valid input, that walking the bytes with this package
// rebuilds the value encoding/json decodes.
func FuzzAgainstEncodingJSON(f *testing.F) {
	for _, d := range docs {
		f.Add([]byte(d))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAgainstEncodingJSON(t, data)
	})
}

var benchDoc = []byte(`{"requestId":"0c5b6a0e-3f7e-4c1b-9a59-2f1d7d1c0e11","_return":true,"securityGroupRuleSet":{"items":[{"groupOwnerId":"111122223333","groupId":"sg-0a1b2c","securityGroupRuleId":"sgr-0a1b2c","isEgress":false,"ipProtocol":"tcp","fromPort":443,"toPort":443,"cidrIpv4":"10.0.0.0/8","description":"internal"}]},"bucketPolicy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::assets-42/*"}]},"bucketName":"assets-42","Host":"assets-42.s3.eu-west-1.amazonaws.com","policy":""}`)

func BenchmarkValid(b *testing.B) {
	b.SetBytes(int64(len(benchDoc)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if !Valid(benchDoc) {
			b.Fatal("invalid")
		}
	}
}

func BenchmarkEncodingJSONValid(b *testing.B) {
	b.SetBytes(int64(len(benchDoc)))
	for i := 0; i < b.N; i++ {
		if !json.Valid(benchDoc) {
			b.Fatal("invalid")
		}
	}
}

func BenchmarkExtentsMembers(b *testing.B) {
	var x Extents
	if !record(benchDoc, &x) {
		b.Fatal("invalid")
	}
	b.SetBytes(int64(len(benchDoc)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		it := x.Members(benchDoc)
		for _, _, ok := it.Next(); ok; _, _, ok = it.Next() {
		}
	}
}

func BenchmarkTrustedMembers(b *testing.B) {
	b.SetBytes(int64(len(benchDoc)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		it := TrustedMembers(benchDoc)
		for _, _, ok := it.Next(); ok; _, _, ok = it.Next() {
		}
	}
}
