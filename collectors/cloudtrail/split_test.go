package cloudtrail

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/klauspost/compress/gzip"

	"github.com/driftwarden/driftwarden/internal/testcorpus"
)

// scanValueReference is scanValue as it was before the fast splitter, kept
// word for word: the oracle of the differential tests below.
func scanValueReference(b []byte, members *[]int32) (end int, readOnly, eventName []byte, ok bool) {
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

// splitConfig is a pairing of kernel and walk for splitter.object.
type splitConfig struct {
	name   string
	kernel func(src []byte, out []uint64, st *splitState)
	walk   splitWalkFunc
}

// splitConfigs are the pairings to test: the portable ones always, the
// assembly ones where the CPU runs them.
func splitConfigs() []splitConfig {
	c := []splitConfig{{"Go", splitBlocksGeneric, splitCountWalk(splitWalkGeneric)}}
	if splitAsm && splitFast {
		c = append(c,
			splitConfig{"asm", nil, splitCountWalk(splitWalk)},
			splitConfig{"asm kernel, Go walk", nil, splitCountWalk(splitWalkGeneric)},
			splitConfig{"Go kernel, asm walk", splitBlocksGeneric, splitCountWalk(splitWalk)})
	}
	return c
}

// splitWalkCounts counts how walks end, by splitWalkEnds: the tests check
// that the fast path is taken, and how often it declines.
var (
	splitWalkCounts = map[string]int{}
	splitWalkEnds   = map[int]string{1: "", splitWalkMore: "more", splitWalkBad: "bad", splitWalkFull: "full", splitWalkOdd: "odd"}
)

type splitWalkFunc = func(masks []uint64, buf []byte, mem []int32, w *splitWalkState) int

func splitCountWalk(walk splitWalkFunc) splitWalkFunc {
	return func(masks []uint64, buf []byte, mem []int32, w *splitWalkState) int {
		e := walk(masks, buf, mem, w)
		splitWalkCounts[splitWalkEnds[min(e, 1)]]++
		return e
	}
}

// splitSameBytes reports whether a and b are the same bytes of the same
// array (or both nil).
func splitSameBytes(a, b []byte) bool {
	return (a == nil) == (b == nil) && len(a) == len(b) && unsafe.SliceData(a) == unsafe.SliceData(b)
}

func splitQuote(b []byte) string {
	if len(b) > 300 {
		return fmt.Sprintf("%q... (%d bytes)", b[:300], len(b))
	}
	return fmt.Sprintf("%q", b)
}

type splitResult struct {
	end        int
	ro, name   []byte
	ok         bool
	members    []int32
	whatMember string
}

func (r splitResult) same(o splitResult) bool {
	if r.end != o.end || r.ok != o.ok || !splitSameBytes(r.ro, o.ro) || !splitSameBytes(r.name, o.name) || len(r.members) != len(o.members) {
		return false
	}
	for i := range r.members {
		if r.members[i] != o.members[i] {
			return false
		}
	}
	return true
}

func (r splitResult) String() string {
	return fmt.Sprintf("end %d ok %v readOnly %q (nil %v) eventName %q (nil %v) members %v", r.end, r.ok, r.ro, r.ro == nil, r.name, r.name == nil, r.members)
}

// splitChecks counts the values checkSplit compared, for the logs.
var splitChecks int

// checkSplit compares scanValue and splitter.object with the reference on
// buf[start:], with no key offsets noted before and with some.
func checkSplit(t testing.TB, where string, buf []byte, start int) {
	t.Helper()
	b := buf[start:]
	for _, before := range [][]int32{{}, {-7, 3}} {
		var want splitResult
		want.members = append([]int32(nil), before...)
		want.end, want.ro, want.name, want.ok = scanValueReference(b, &want.members)

		got := splitResult{members: append([]int32(nil), before...)}
		got.end, got.ro, got.name, got.ok = scanValue(b, &got.members)
		if !got.same(want) {
			t.Fatalf("%s: scanValue differs from the reference on %s\n got %v\nwant %v", where, splitQuote(b), got, want)
		}
		if len(b) == 0 || b[0] != '{' {
			return
		}
		for _, c := range splitConfigs() {
			sp := splitter{kernel: c.kernel, walk: c.walk}
			sp.reset()
			got := splitResult{members: append(make([]int32, 0, len(before)), before...)}
			got.end, got.ro, got.name, got.ok = sp.object(buf, start, &got.members)
			if !got.same(want) {
				t.Fatalf("%s (%s, at %d): splitter differs from scanValue on %s\n got %v\nwant %v", where, c.name, start, splitQuote(b), got, want)
			}
			splitChecks++
		}
	}
}

// checkSplitAt checks b alone and after prefixes that move it across a
// 64-byte block.
func checkSplitAt(t testing.TB, where string, b []byte, rnd *rand.Rand) {
	t.Helper()
	checkSplit(t, where, b, 0)
	for _, n := range []int{1, 63, 64 + rnd.Intn(64)} {
		buf := make([]byte, n, n+len(b))
		for i := range buf {
			buf[i] = `"\{}[]:, x`[rnd.Intn(10)]
		}
		checkSplit(t, where, append(buf, b...), n)
	}
}

// checkSplitSequence splits doc the way the scanner walks an array: at
// every '{' after a record (or after a byte it skips), with one splitter,
// so that records reuse what the kernel classified for those before.
func checkSplitSequence(t testing.TB, where string, doc []byte) {
	t.Helper()
	for _, c := range splitConfigs() {
		sp := splitter{kernel: c.kernel, walk: c.walk}
		sp.reset()
		var mem []int32
		for p := 0; p < len(doc); {
			if doc[p] != '{' {
				p++
				continue
			}
			var want splitResult
			want.members = []int32{}
			want.end, want.ro, want.name, want.ok = scanValueReference(doc[p:], &want.members)
			got := splitResult{members: mem[:0]}
			got.end, got.ro, got.name, got.ok = sp.object(doc, p, &got.members)
			mem = got.members
			if !got.same(want) {
				t.Fatalf("%s (%s): in a sequence, at %d, splitter differs from scanValue on %s\n got %v\nwant %v", where, c.name, p, splitQuote(doc[p:]), got, want)
			}
			splitChecks++
			if !got.ok {
				break
			}
			p += got.end
		}
	}
}

// splitChunkReader hands out its bytes in pieces of random sizes.
type splitChunkReader struct {
	b   []byte
	rnd *rand.Rand
	max int
}

func (r *splitChunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(r.b), 1+r.rnd.Intn(r.max))
	copy(p, r.b[:n])
	r.b = r.b[n:]
	return n, nil
}

type splitStreamed struct {
	i             int
	raw, ro, name string
	roNil, nmNil  bool
	members       []int32
}

// checkSplitStream runs streamRecords on doc with and without the fast
// splitter, reading it in pieces of up to maxChunk bytes (0: all at once),
// and compares all it reports.
func checkSplitStream(t testing.TB, where string, doc []byte, maxChunk int, seed int64) {
	t.Helper()
	if splitAsm && !splitFast {
		return // the CPU cannot run the kernel
	}
	run := func(fast bool) ([]splitStreamed, int, error) {
		defer func(f bool) { splitFast = f }(splitFast)
		splitFast = fast
		var recs []splitStreamed
		var r io.Reader = bytes.NewReader(doc)
		if maxChunk > 0 {
			r = &splitChunkReader{doc, rand.New(rand.NewSource(seed)), maxChunk}
		}
		n, err := streamRecords(r, func(i int, raw, ro, name []byte, members []int32) error {
			recs = append(recs, splitStreamed{i, string(raw), string(ro), string(name), ro == nil, name == nil, append([]int32(nil), members...)})
			return nil
		})
		return recs, n, err
	}
	want, wn, werr := run(false)
	got, gn, gerr := run(true)
	if gn != wn || fmt.Sprint(gerr) != fmt.Sprint(werr) || len(got) != len(want) {
		t.Fatalf("%s: streamRecords with the splitter: %d records (%d calls), %v; without: %d (%d), %v", where, gn, len(got), gerr, wn, len(want), werr)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.i != w.i || g.raw != w.raw || g.ro != w.ro || g.name != w.name || g.roNil != w.roNil || g.nmNil != w.nmNil || fmt.Sprint(g.members) != fmt.Sprint(w.members) {
			t.Fatalf("%s: record %d differs with the splitter:\n got %+v\nwant %+v", where, i, g, w)
		}
	}
}

// splitBenchRecords returns the records of the benchmark's files.
func splitBenchRecords(t testing.TB, nfiles, per int) (docs [][]byte, recs [][]byte) {
	for _, p := range writeBenchFiles(t, t.TempDir(), nfiles, per) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, doc)
		if _, err := StreamRecords(bytes.NewReader(doc), func(_ int, raw []byte) error {
			recs = append(recs, append([]byte(nil), raw...))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	return docs, recs
}

func TestSplitBenchRecords(t *testing.T) {
	docs, recs := splitBenchRecords(t, benchFiles, benchPer)
	rnd := rand.New(rand.NewSource(1))
	clear(splitWalkCounts)
	checks := splitChecks
	for i, r := range recs {
		checkSplit(t, fmt.Sprintf("bench record %d", i), r, 0)
		if i%50 == 0 {
			checkSplitAt(t, fmt.Sprintf("bench record %d", i), r, rnd)
		}
		if splitWalkCounts[""] != splitChecks-checks || splitWalkCounts["bad"]+splitWalkCounts["odd"] > 0 {
			t.Fatalf("bench record %d: the splitter did not find the end itself: %v", i, splitWalkCounts)
		}
	}
	for i, doc := range docs {
		checkSplitSequence(t, fmt.Sprintf("bench file %d", i), doc)
		checkSplitStream(t, fmt.Sprintf("bench file %d", i), doc, 0, 0)
		if i < 2 {
			checkSplitStream(t, fmt.Sprintf("bench file %d in pieces", i), doc, 3000, int64(i))
		}
	}
	t.Logf("%d records, %d splitter checks", len(recs), splitChecks)
}

// splitCorpusRecords returns the CloudTrail records of the shared corpus (the
// sources corpus_test.go reads) and its files that hold arrays of them.
func splitCorpusRecords(t testing.TB) (recs [][]byte, arrays [][]byte) {
	dir := testcorpus.Dir(t)
	glob := func(elem ...string) []string {
		files, _ := filepath.Glob(filepath.Join(append([]string{dir}, elem...)...))
		if len(files) == 0 {
			t.Logf("no corpus files at %s", filepath.Join(elem...))
		}
		return files
	}
	read := func(f string) []byte {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	for _, f := range glob("panther-analysis", "rules", "aws_cloudtrail_rules", "*.json") {
		var doc struct {
			Tests []struct {
				Log json.RawMessage `json:"log"`
			} `json:"tests"`
		}
		if json.Unmarshal(read(f), &doc) != nil {
			continue
		}
		for _, tc := range doc.Tests {
			var m map[string]json.RawMessage
			if json.Unmarshal(tc.Log, &m) == nil && isCloudTrailRecord(m) {
				recs = append(recs, tc.Log)
			}
		}
	}
	for _, f := range glob("stratus-red-team", "docs", "detonation-logs", "*.json") {
		data := read(f)
		arrays = append(arrays, data)
		var rs []json.RawMessage
		if json.Unmarshal(data, &rs) == nil {
			for _, r := range rs {
				recs = append(recs, r)
			}
		}
	}
	for _, f := range glob("cloud-custodian", "tests", "data", "cwe", "*.json") {
		data := read(f)
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		if isCloudTrailRecord(m) {
			recs = append(recs, data)
		} else if rec, ok := UnwrapEventBridge(data); ok {
			recs = append(recs, rec, data)
		}
	}
	for _, f := range glob("plaso", "test_data", "jsonl", "aws_cloudtrail.jsonl") {
		sc := bufio.NewScanner(bytes.NewReader(read(f)))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var le struct {
				CloudTrailEvent string `json:"CloudTrailEvent"`
			}
			if json.Unmarshal(sc.Bytes(), &le) == nil && le.CloudTrailEvent != "" {
				recs = append(recs, []byte(le.CloudTrailEvent), append([]byte(nil), sc.Bytes()...))
			}
		}
	}
	if len(recs) == 0 {
		t.Skip("no CloudTrail records in the shared corpus")
	}
	return recs, arrays
}

func TestSplitCorpus(t *testing.T) {
	recs, arrays := splitCorpusRecords(t)
	clear(splitWalkCounts)
	rnd := rand.New(rand.NewSource(2))
	var doc bytes.Buffer
	doc.WriteString(`{"Records":[`)
	for i, r := range recs {
		checkSplitAt(t, fmt.Sprintf("corpus record %d", i), r, rnd)
		if i > 0 {
			doc.WriteString(",\n ")
		}
		doc.Write(r)
	}
	doc.WriteString("]}")
	checkSplitSequence(t, "corpus records", doc.Bytes())
	checkSplitStream(t, "corpus records", doc.Bytes(), 0, 0)
	checkSplitStream(t, "corpus records in pieces", doc.Bytes(), 700, 3)
	for i, a := range arrays {
		checkSplitSequence(t, fmt.Sprintf("corpus array %d", i), a)
		checkSplitStream(t, fmt.Sprintf("corpus array %d", i), a, 0, 0)
		checkSplitStream(t, fmt.Sprintf("corpus array %d in pieces", i), a, 500, int64(i))
	}
	t.Logf("%d corpus records, %d arrays, %d splitter checks, walks ending %v", len(recs), len(arrays), splitChecks, splitWalkCounts)
	if splitWalkCounts["odd"]+splitWalkCounts["bad"] > 0 {
		t.Errorf("the fast path declined corpus records: %v", splitWalkCounts)
	}
}

// splitPieces are what mutations insert: escapes, strings holding
// structure, nesting, keys the scanner reports, whitespace, unicode and
// bytes that are not JSON.
var splitPieces = []string{
	`\`, `\\`, `\\\`, `\\\\`, `\\\\\`, `\"`, `\\"`, `\\\"`, `"`, `""`, `"\\"`,
	`"a\"b{c}[d]:e,f"`, `"}"`, `"]"`, `"{"`, `"["`, `":"`, `"\\\\"`, `"\u0022"`,
	`{`, `}`, `[`, `]`, `:`, `,`, `{}`, `[]`, `{"a":[{"b":[[{}]]},"c\"}"]}`, `[[[[[[[[[[`, `]]]]]]]]]]`,
	`"readOnly":true,`, `"readOnly":false,`, `"readOnly": "true" ,`, `"readOnly":{"a":1},`, `"readOnly":`,
	`"eventName":"X",`, `"eventName":"A\"B\\",`, `"eventName" : "Y",`, `"eventName":{"x":"}"},`, `"eventName":7,`, `"eventName"`,
	`"k" :1,`, `"k"	:1,`, "\"k\"\n:1,", `1:2,`, `:`, `"a"::`,
	" ", "\n", "\t", "\r", "  \n\t ",
	"é", "日本語", "😀", "\xff", "\x80\x80", "\x00", "\x7f", "\xc3",
}

// splitMutate returns a copy of rec with a few random changes, some of them
// placed around the 64-byte blocks.
func splitMutate(rec []byte, rnd *rand.Rand) []byte {
	b := append([]byte(nil), rec...)
	at := func() int {
		if len(b) == 0 {
			return 0
		}
		if rnd.Intn(2) == 0 && len(b) > 70 {
			// around a block's end
			p := 64*(1+rnd.Intn(len(b)/64)) + rnd.Intn(5) - 3
			return min(max(p, 0), len(b))
		}
		return rnd.Intn(len(b) + 1)
	}
	for n := 1 + rnd.Intn(4); n > 0; n-- {
		switch p := at(); rnd.Intn(8) {
		case 0, 1, 2: // insert a piece
			piece := splitPieces[rnd.Intn(len(splitPieces))]
			b = append(b[:p], append([]byte(piece), b[p:]...)...)
		case 3: // a run of backslashes ending at p
			k := 1 + rnd.Intn(6)
			s := max(p-k, 0)
			b = append(b[:s], append(bytes.Repeat([]byte{'\\'}, k), b[s:]...)...)
		case 4: // delete bytes
			if p < len(b) {
				b = append(b[:p], b[min(p+1+rnd.Intn(4), len(b)):]...)
			}
		case 5: // replace a byte
			if p < len(b) {
				b[p] = `"\{}[]:, x`[rnd.Intn(10)]
			}
		case 6: // a random byte
			if p < len(b) {
				b[p] = byte(rnd.Intn(256))
			}
		case 7: // a key the scanner reports, at the top level
			piece := splitPieces[30+rnd.Intn(12)]
			if len(b) > 0 && b[0] == '{' {
				b = append(b[:1], append([]byte(piece), b[1:]...)...)
			}
		}
	}
	return b
}

// splitSamples are records to splitMutate: the benchmark's kinds and a few
// odd shapes.
func splitSamples(t testing.TB) [][]byte {
	_, recs := splitBenchRecords(t, 1, 60)
	samples := recs[:30]
	samples = append(samples,
		[]byte(`{}`),
		[]byte(`{"readOnly":true,"eventName":"Get"}`),
		[]byte(`{"a":"\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\\","b":1}`),
		[]byte("{\n  \"eventName\": \"PutObject\",\n  \"readOnly\": false,\n  \"x\": [1, 2, {\"y\": \"}\"}]\n}"),
		[]byte(`{"`+strings.Repeat(`a\"`, 50)+`":{"`+strings.Repeat("[", 70)+`"}`),
		[]byte(`{`+strings.Repeat(`"k":{`, 40)+strings.Repeat(`}`, 40)+`,"eventName":"Deep"}`),
		[]byte(`{`+strings.Repeat(`"readOnly":true,"eventName":"A",`, 5)+`"readOnly":false}`),
		[]byte(`{`+strings.Repeat(`"readOnly":true,"eventName":"A",`, 3)+`"readOnly":false}`),
		[]byte(`{`+strings.Repeat(`"k":1,`, 200)+`"eventName":"Many"}`),
		// past the kernel's window, with escapes all the way
		[]byte(`{"eventVersion":"1.08","requestParameters":{"policy":"`+strings.Repeat(`{\"Statement\":[{\"Effect\":\"Allow\"}]}`, 150)+
			`"},`+strings.Repeat(`"k":{"a":[1,{"b":"c"}]},`, 100)+`"eventName":"Big","readOnly":false}`),
	)
	return samples
}

func TestSplitMutations(t *testing.T) {
	clear(splitWalkCounts)
	rnd := rand.New(rand.NewSource(3))
	samples := splitSamples(t)
	n := 0
	for i := 0; i < 12000; i++ {
		b := splitMutate(samples[rnd.Intn(len(samples))], rnd)
		where := fmt.Sprintf("mutation %d", i)
		checkSplit(t, where, b, 0)
		if i%10 == 0 {
			checkSplitAt(t, where, b, rnd)
		}
		if i%20 == 0 {
			// some records in a row, for the kernel's reuse
			doc := append(append([]byte(`[`), b...), ',')
			doc = append(append(doc, splitMutate(samples[rnd.Intn(len(samples))], rnd)...), "\n,"...)
			doc = append(append(doc, samples[rnd.Intn(len(samples))]...), ']')
			checkSplitSequence(t, where, doc)
			checkSplitStream(t, where, doc, 1+rnd.Intn(200), int64(i))
		}
		n++
	}
	t.Logf("%d mutations, %d splitter checks, walks ending %v", n, splitChecks, splitWalkCounts)
	for _, how := range []string{"", "more", "bad", "full", "odd"} {
		if splitWalkCounts[how] < 100 {
			t.Errorf("only %d walks ending %q", splitWalkCounts[how], how)
		}
	}
}

func TestSplitTruncations(t *testing.T) {
	samples := splitSamples(t)
	for _, b := range append(samples[:6:6], samples[30:]...) {
		for i := 0; i <= len(b); i++ {
			checkSplit(t, fmt.Sprintf("truncated at %d", i), b[:i], 0)
		}
	}
	// every piece of the benchmark's file, as the scanner refills
	docs, _ := splitBenchRecords(t, 1, 40)
	for _, n := range []int{1, 7, 64, 65, 1000} {
		checkSplitStream(t, fmt.Sprintf("in pieces of up to %d", n), docs[0], n, int64(n))
	}
	for i := 0; i < len(docs[0]); i += 97 {
		checkSplitStream(t, fmt.Sprintf("file truncated at %d", i), docs[0][:i], 0, 0)
	}
}

// TestSplitStreamShapes checks the scanner's other paths: keys around
// Records whose values are objects, pretty-printed and compressed files.
func TestSplitStreamShapes(t *testing.T) {
	_, recs := splitBenchRecords(t, 1, 30)
	var pretty bytes.Buffer
	pretty.WriteString("{\n  \"Records\": [\n")
	for i, r := range recs {
		var v any
		if err := json.Unmarshal(r, &v); err != nil {
			t.Fatal(err)
		}
		b, _ := json.MarshalIndent(v, "    ", "  ")
		if i > 0 {
			pretty.WriteString(",\n")
		}
		pretty.WriteString("    ")
		pretty.Write(b)
	}
	pretty.WriteString("\n  ]\n}\n")
	docs := map[string][]byte{
		"pretty": pretty.Bytes(),
		"keys around": []byte(`{"Digest":{"a":"}","b":[{}]},"Records":[` + string(bytes.Join(recs[:5], []byte(","))) +
			`],"Other":{"x":[1,2,{"readOnly":true}]},"Records":[` + string(recs[5]) + `]}`),
		"bare array": append(append([]byte("[\n"), bytes.Join(recs, []byte(",\n"))...), "\n]"...),
	}
	for name, doc := range docs {
		for _, chunk := range []int{0, 1, 100, 5000} {
			checkSplitStream(t, fmt.Sprintf("%s in pieces of %d", name, chunk), doc, chunk, int64(chunk))
		}
		checkSplitSequence(t, name, doc)
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(doc)
		zw.Close()
		checkSplitStream(t, name+", compressed", gz.Bytes(), 0, 0)
		checkSplitStream(t, name+", compressed, in pieces", gz.Bytes(), 300, 1)
		checkSplitStream(t, name+", compressed and cut", gz.Bytes()[:gz.Len()*2/3], 0, 0)
	}
}

// splitEscapedReference is splitEscaped one byte at a time (marking the escaped
// backslashes in runs too).
func splitEscapedReference(bs uint64, carry *uint64) uint64 {
	var esc uint64
	escaping := *carry == 1
	for i := 0; i < 64; i++ {
		bit := uint64(1) << i
		if escaping {
			esc |= bit
			escaping = false
		} else if bs&bit != 0 {
			escaping = true
		}
	}
	*carry = 0
	if escaping {
		*carry = 1
	}
	return esc
}

func TestSplitEscapes(t *testing.T) {
	rnd := rand.New(rand.NewSource(4))
	for i := 0; i < 200000; i++ {
		var bs uint64
		switch i % 4 {
		case 0:
			bs = rnd.Uint64()
		case 1:
			bs = rnd.Uint64() & rnd.Uint64() & rnd.Uint64()
		case 2:
			bs = ^(rnd.Uint64() & rnd.Uint64())
		default:
			bs = (1<<uint(rnd.Intn(64)) - 1) << uint(rnd.Intn(64))
		}
		c1 := uint64(rnd.Intn(2))
		c2 := c1
		// Only what a backslash escapes matters: the escaped backslashes
		// in a run are left out.
		got, want := splitEscaped(bs, &c1)&^bs, splitEscapedReference(bs, &c2)&^bs
		if got != want || c1 != c2 {
			t.Fatalf("splitEscaped(%064b, %d) = %064b, %d; want %064b, %d", bs, c2, got, c1, want, c2)
		}
	}
	for x := uint64(1); x != 0; x <<= 1 {
		if splitPrefixXor(x) != ^(x - 1) {
			t.Fatalf("splitPrefixXor(%x) = %x", x, splitPrefixXor(x))
		}
	}
}

// TestSplitKernel compares the assembly kernel with the Go one.
func TestSplitKernel(t *testing.T) {
	if !splitAsm || !splitFast {
		t.Skip("no assembly kernel on this CPU or architecture")
	}
	rnd := rand.New(rand.NewSource(5))
	// Backslashes in most blocks, in some or in none.
	alphabets := []string{`"""\\\\{}[]:, ax`, `""{}[]:, abcdefghijklmnopqrstuvwxyz\`, `""{}[]:, abcdefghijklmnopqrstuvwxyz`}
	src := make([]byte, 64*splitWindow)
	got, want := make([]uint64, 4*splitWindow), make([]uint64, 4*splitWindow)
	for i := 0; i < 4000; i++ {
		alphabet := alphabets[i%4%3]
		for j := range src {
			if i%4 == 3 {
				src[j] = byte(rnd.Intn(256))
			} else {
				src[j] = alphabet[rnd.Intn(len(alphabet))]
			}
		}
		n := 64 * (1 + rnd.Intn(splitWindow))
		st1 := splitState{inString: -uint64(rnd.Intn(2)), escaped: uint64(rnd.Intn(2))}
		st2 := st1
		splitBlocks(src[:n], got, &st1)
		splitBlocksGeneric(src[:n], want, &st2)
		if st1 != st2 {
			t.Fatalf("state %+v, want %+v", st1, st2)
		}
		for k := 0; k < n/64*4; k++ {
			if got[k] != want[k] {
				t.Fatalf("block %d mask %d: %064b, want %064b (input %q)", k/4, k%4, bits.Reverse64(got[k]), bits.Reverse64(want[k]), src[k/4*64:k/4*64+64])
			}
		}
	}
}

func FuzzSplit(f *testing.F) {
	rnd := rand.New(rand.NewSource(6))
	samples := splitSamples(f)
	for _, s := range samples {
		f.Add(s, uint8(0))
	}
	for i := 0; i < 200; i++ {
		f.Add(splitMutate(samples[rnd.Intn(len(samples))], rnd), uint8(rnd.Intn(256)))
	}
	for _, p := range splitPieces {
		f.Add([]byte("{"+p+"}"), uint8(1))
	}
	f.Fuzz(func(t *testing.T, b []byte, off uint8) {
		checkSplit(t, "fuzz", b, 0)
		buf := append(bytes.Repeat([]byte{'"'}, int(off%130)), b...)
		checkSplit(t, "fuzz after quotes", buf, int(off%130))
		checkSplitSequence(t, "fuzz", b)
		doc := append(append([]byte(`{"Records":[`), b...), "]}"...)
		checkSplitStream(t, "fuzz", doc, int(off)+1, int64(off))
	})
}

// BenchmarkSplitOnly is decompression plus splitting into records (the
// stream scanner), with a callback that does nothing: the difference from
// BenchmarkDecompressOnly is what splitting costs.
func BenchmarkSplitOnly(b *testing.B) {
	benchEvents(b, func(files [][]byte) {
		for _, f := range files {
			n, err := streamRecords(bytes.NewReader(f), func(int, []byte, []byte, []byte, []int32) error { return nil })
			if err != nil {
				b.Fatal(err)
			}
			if n != benchPer {
				b.Fatalf("%d records, want %d", n, benchPer)
			}
		}
	})
}
