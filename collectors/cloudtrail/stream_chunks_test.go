package cloudtrail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/require"
)

// testPieces hands out doc in pieces of random sizes (empty ones too), as
// the decompressor's WriteTo does, each from a buffer that is overwritten
// as soon as the next piece is asked for: a scanner that kept a piece
// beyond its time would see garbage.
func testPieces(doc []byte, rnd *rand.Rand, maxPiece int, end error) *chunks {
	buf := make([]byte, maxPiece)
	err := new(error)
	next := func() ([]byte, bool) {
		for i := range buf {
			buf[i] = '}'
		}
		if len(doc) == 0 {
			*err = end
			return nil, false
		}
		n := min(len(doc), rnd.Intn(maxPiece+1))
		copy(buf, doc[:n])
		doc = doc[n:]
		return buf[:n], true
	}
	return &chunks{next: next, err: err}
}

// endErrReader returns its bytes, then err instead of io.EOF.
type endErrReader struct {
	r   io.Reader
	err error
}

func (r *endErrReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err == io.EOF {
		err = r.err
	}
	return n, err
}

// The scanner's chunk mode (records split in place in the decompressor's
// pieces, copied only across a piece's end) gives the same records, key
// offsets and errors as its reader mode, whatever the pieces' sizes: one
// byte, smaller than a record, larger than many, and records larger than
// the scanner's own buffer.
func TestStreamChunksMatchReader(t *testing.T) {
	_, recs := splitBenchRecords(t, 1, 60)
	huge := strings.Replace(string(recs[3]), `"eventVersion"`, `"big":"`+strings.Repeat("x", 700<<10)+`","eventVersion"`, 1)
	docs := map[string][]byte{
		"records": []byte(`{"Records":[` + string(bytes.Join(recs, []byte(","))) + `]}`),
		"keys around": []byte(`{"Digest":{"a":"}","b":[{}]},"Records":[` + string(bytes.Join(recs[:5], []byte(",\n"))) +
			`],"Other":{"x":[1,2,{"readOnly":true}]},"Records":[` + string(recs[5]) + `]}`),
		"bare array":  append(append([]byte("[\n"), bytes.Join(recs, []byte(",\n"))...), "\n]"...),
		"huge record": []byte(`{"Records":[` + string(recs[0]) + "," + huge + "," + string(recs[1]) + `]}`),
		"bom":         []byte("\xef\xbb\xbf" + `{"Records":[` + string(recs[0]) + `]}`),
		"no records":  []byte(`{"Digest":"x"}`),
		"not json":    []byte(`<?xml version="1.0"?><Error/>`),
		"bad element": []byte(`{"Records":[` + string(recs[0]) + `,{"a":]` + string(recs[1]) + `]}`),
		"trailing":    []byte(`{"Records":[` + string(recs[0]) + `]}x` + strings.Repeat("y", 40<<10)),
	}
	docs["cut"] = docs["records"][:len(docs["records"])*2/3]
	type result struct {
		recs []splitStreamed
		n    int
		err  string
	}
	collect := func(r io.Reader, ch *chunks) result {
		var res result
		n, err := scanRecords(r, ch, func(i int, raw, ro, name []byte, members []int32) error {
			res.recs = append(res.recs, splitStreamed{i, string(raw), string(ro), string(name), ro == nil, name == nil, append([]int32(nil), members...)})
			return nil
		})
		res.n, res.err = n, fmt.Sprint(err)
		return res
	}
	rnd := rand.New(rand.NewSource(7))
	for name, doc := range docs {
		for _, end := range []error{nil, errors.New("gzip: invalid checksum")} {
			var r io.Reader = bytes.NewReader(doc)
			if end != nil {
				r = &endErrReader{r, end}
			}
			want := collect(r, nil)
			switch {
			case name == "records" && end == nil:
				require.Equal(t, "<nil>", want.err)
				require.Equal(t, len(recs), want.n)
			case name == "huge record" && end == nil:
				require.Equal(t, "<nil>", want.err)
				require.Equal(t, 3, want.n)
				require.Equal(t, huge, want.recs[1].raw)
			}
			for _, maxPiece := range []int{1, 7, 700, 2 << 10, 5000, 32 << 10, 300 << 10} {
				got := collect(nil, testPieces(doc, rnd, maxPiece, end))
				where := fmt.Sprintf("%s (end %v) in pieces up to %d", name, end, maxPiece)
				require.Equal(t, want.err, got.err, where)
				require.Equal(t, want.n, got.n, where)
				require.Equal(t, len(want.recs), len(got.recs), where)
				for i := range want.recs {
					if fmt.Sprint(want.recs[i]) != fmt.Sprint(got.recs[i]) {
						t.Fatalf("%s: record %d differs:\n got %.300v\nwant %.300v", where, i, got.recs[i], want.recs[i])
					}
				}
			}
		}
	}
}

// A gzip file read in chunk mode and stopped early (fn fails) leaves
// nothing running: the decompressor's coroutine ends with the read.
func TestStreamGzipStopLeavesNothing(t *testing.T) {
	_, recs := splitBenchRecords(t, 1, 50)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"Records":[` + string(bytes.Join(recs, []byte(","))) + `]}`))
	zw.Close()
	before := runtime.NumGoroutine()
	stop := errors.New("stop here")
	for i := 0; i < 200; i++ {
		n, err := streamRecords(bytes.NewReader(gz.Bytes()), func(i int, _, _, _ []byte, _ []int32) error {
			if i == 10 {
				return stop
			}
			return nil
		})
		require.ErrorIs(t, err, stop)
		require.Equal(t, 10, n)
		require.Contains(t, err.Error(), "record 10")
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+5 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), before+5)
}

// A gzip stream that goes bad mid-file (a flipped byte: a corrupt block or
// a checksum mismatch) hands over the records before the damage and
// names where reading stopped; reading the same bytes through a reader
// that is not in memory gives the same.
func TestStreamGzipCorrupt(t *testing.T) {
	_, recs := splitBenchRecords(t, 1, 200)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"Records":[` + string(bytes.Join(recs, []byte(","))) + `]}`))
	zw.Close()
	for _, at := range []int{gz.Len() / 2, gz.Len() - 6} {
		bad := bytes.Clone(gz.Bytes())
		bad[at] ^= 0x55
		var counts []int
		var errs []string
		for _, r := range []io.Reader{bytes.NewReader(bad), io.MultiReader(bytes.NewReader(bad))} {
			n, err := streamRecords(r, func(int, []byte, []byte, []byte, []int32) error { return nil })
			require.Error(t, err, "byte %d", at)
			require.Regexp(t, `record \d+|after record \d+`, err.Error())
			counts = append(counts, n)
			errs = append(errs, err.Error())
		}
		require.Equal(t, counts[0], counts[1], "byte %d", at)
		require.Equal(t, errs[0], errs[1], "byte %d", at)
	}
}

// readAhead keeps a file's bytes whole: all of a small file as bytes in
// memory, a large one streamed after its first part, and a read error
// after the bytes read before it.
func TestReadAhead(t *testing.T) {
	small := bytes.Repeat([]byte("a"), 1000)
	in, release := readAhead(bytes.NewReader(small))
	_, isBytes := in.(*bytes.Reader)
	require.True(t, isBytes, "a small file is read into memory")
	got, err := io.ReadAll(in)
	require.NoError(t, err)
	require.Equal(t, small, got)
	release()

	large := readAheadMax + 12345
	in, release = readAhead(io.LimitReader(rand.New(rand.NewSource(1)), int64(large)))
	_, isBytes = in.(*bytes.Reader)
	require.False(t, isBytes, "a large file is streamed")
	n, err := io.Copy(io.Discard, in)
	require.NoError(t, err)
	require.Equal(t, int64(large), n)
	release()

	reset := errors.New("connection reset by peer")
	in, release = readAhead(io.MultiReader(bytes.NewReader(small[:100]), &endErrReader{bytes.NewReader(nil), reset}))
	got, err = io.ReadAll(in)
	require.ErrorIs(t, err, reset)
	require.Len(t, got, 100)
	release()
}
