package cloudtrail

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/store"
)

const euPrefix = "AWSLogs/111122223333/CloudTrail/eu-west-1/"

// keyAt is the real key of a log file delivered at ts (YYYYMMDDTHHmmZ) with
// a 16-character random suffix.
func keyAt(t testing.TB, ts, suffix string) string {
	d, err := time.Parse("20060102T1504Z", ts)
	require.NoError(t, err)
	require.Len(t, suffix, 16)
	return fmt.Sprintf("%s%s/111122223333_CloudTrail_eu-west-1_%s_%s.json.gz", euPrefix, d.Format("2006/01/02"), ts, suffix)
}

// logStore is where a test delivers log files: a local directory or the
// fake S3 bucket.
type logStore struct {
	name   string
	put    func(key string, data []byte)
	config func(FileConfig) FileConfig
	afters func() []string // S3 start-after values, nil for a directory
}

func logStores(t *testing.T) []logStore {
	dir := t.TempDir()
	f := &fakeS3{objects: map[string][]byte{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	client := s3Client(srv.URL)
	return []logStore{
		{name: "local", put: func(k string, d []byte) { writeFile(t, dir, k, d) },
			config: func(c FileConfig) FileConfig { c.Dir = dir; return c }},
		{name: "s3", put: func(k string, d []byte) { f.mu.Lock(); f.objects[k] = d; f.mu.Unlock() },
			config: func(c FileConfig) FileConfig { c.Bucket, c.Client = "logs", client; return c },
			afters: func() []string { f.mu.Lock(); defer f.mu.Unlock(); return append([]string(nil), f.afters...) }},
	}
}

type logFile struct{ ts, suffix, id string }

func TestFilesResumeWindow(t *testing.T) {
	cases := []struct {
		name     string
		window   time.Duration
		first    []logFile // delivered before cycle 1
		late     []logFile // delivered after cycle 1
		wantLate []string  // read by cycle 2
		restart  bool      // cycle 2 and 3 run on a new source over the same checkpoints
	}{
		{name: "same minute, smaller random suffix, delivered after the first",
			first:    []logFile{{"20240501T1000Z", "q7Rk2mXw9LpT4vBn", "m1"}},
			late:     []logFile{{"20240501T1000Z", "A3fGh8JkL1mN0pQr", "s1"}},
			wantLate: []string{"s1"}},
		{name: "same minute after a restart",
			first:    []logFile{{"20240501T1000Z", "q7Rk2mXw9LpT4vBn", "m1"}, {"20240501T1005Z", "Zz0aB1cD2eF3gH4i", "m2"}},
			late:     []logFile{{"20240501T1000Z", "A3fGh8JkL1mN0pQr", "s1"}, {"20240501T1006Z", "b0b0b0b0b0b0b0b0", "m3"}},
			wantLate: []string{"m3", "s1"}, restart: true},
		{name: "late file for an earlier hour within the window",
			first:    []logFile{{"20240501T1050Z", "k1k1k1k1k1k1k1k1", "h1"}, {"20240501T1105Z", "k2k2k2k2k2k2k2k2", "h2"}},
			late:     []logFile{{"20240501T1040Z", "zzzzzzzzzzzzzzzz", "l1"}},
			wantLate: []string{"l1"}},
		{name: "late file in the previous day's folder within the window",
			first:    []logFile{{"20240502T0005Z", "k1k1k1k1k1k1k1k1", "d1"}},
			late:     []logFile{{"20240501T2350Z", "k2k2k2k2k2k2k2k2", "l1"}},
			wantLate: []string{"l1"}, restart: true},
		{name: "late file older than the window is never read",
			first:    []logFile{{"20240501T1045Z", "k1k1k1k1k1k1k1k1", "n1"}},
			late:     []logFile{{"20240501T1014Z", "k2k2k2k2k2k2k2k2", "old"}, {"20240501T1015Z", "k3k3k3k3k3k3k3k3", "edge"}},
			wantLate: []string{"edge"}},
		{name: "a longer relist_window reaches it",
			window:   time.Hour,
			first:    []logFile{{"20240501T1045Z", "k1k1k1k1k1k1k1k1", "n1"}},
			late:     []logFile{{"20240501T1014Z", "k2k2k2k2k2k2k2k2", "old"}},
			wantLate: []string{"old"}},
	}
	for _, tc := range cases {
		for _, ls := range logStores(t) {
			t.Run(tc.name+"/"+ls.name, func(t *testing.T) {
				ctx := context.Background()
				cp := memCheckpoints{}
				ingested := 0
				cfg := ls.config(FileConfig{RelistWindow: tc.window, Ingested: func(n int) { ingested += n }})
				newSource := func() *FileSource {
					s, err := NewFileSource("trail", cfg)
					require.NoError(t, err)
					return s
				}
				src := newSource()
				read := map[string]int{}
				cycle := func() []string {
					b, errs := src.Events(ctx, cp)
					require.Empty(t, errs)
					cp.commit(b)
					for _, e := range b.Events {
						read[e.ID]++
					}
					return ids(b.Events)
				}
				var wantFirst []string
				for _, f := range tc.first {
					ls.put(keyAt(t, f.ts, f.suffix), gz(t, records(rec(f.id, "DeleteVpc", ""))))
					wantFirst = append(wantFirst, f.id)
				}
				sort.Strings(wantFirst)
				require.Equal(t, wantFirst, cycle())
				for _, f := range tc.late {
					ls.put(keyAt(t, f.ts, f.suffix), gz(t, records(rec(f.id, "DeleteVpc", ""))))
				}
				if tc.restart {
					src = newSource()
				}
				require.Equal(t, tc.wantLate, cycle())
				require.Empty(t, cycle(), "nothing is read twice")
				src = newSource()
				require.Empty(t, cycle(), "nothing is read twice after a restart")
				for id, n := range read {
					require.Equal(t, 1, n, "event %s read %d times", id, n)
				}
				require.Equal(t, len(read), ingested)
			})
		}
	}
}

// TestFilesResumeWindowListsFromWindowStart checks the S3 listing starts at
// the window computed from the names (StartAfter), not at the bucket start,
// and that the checkpoint keeps only the keys inside the window.
func TestFilesResumeWindowListsFromWindowStart(t *testing.T) {
	ls := logStores(t)[1]
	for _, f := range []logFile{{"20240501T0950Z", "a0a0a0a0a0a0a0a0", "e0"}, {"20240501T1020Z", "a1a1a1a1a1a1a1a1", "e1"}, {"20240501T1045Z", "a2a2a2a2a2a2a2a2", "e2"}} {
		ls.put(keyAt(t, f.ts, f.suffix), gz(t, records(rec(f.id, "DeleteVpc", ""))))
	}
	src, err := NewFileSource("trail", ls.config(FileConfig{}))
	require.NoError(t, err)
	cp := memCheckpoints{}
	b, errs := src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, []string{"e0", "e1", "e2"}, ids(b.Events))
	cp.commit(b)
	var c fileCheckpoint
	require.NoError(t, json.Unmarshal([]byte(cp["trail|files:"+euPrefix]), &c))
	require.Equal(t, euPrefix+"2024/05/01/111122223333_CloudTrail_eu-west-1_20240501T1015Z", c.After)
	require.Equal(t, []string{
		"2024/05/01/111122223333_CloudTrail_eu-west-1_20240501T1020Z_a1a1a1a1a1a1a1a1.json.gz",
		"2024/05/01/111122223333_CloudTrail_eu-west-1_20240501T1045Z_a2a2a2a2a2a2a2a2.json.gz",
	}, c.Done)

	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Empty(t, b.Events)
	require.Empty(t, b.Checkpoints, "an unchanged checkpoint is not written again")
	afters := ls.afters()
	require.Equal(t, c.After, afters[len(afters)-1])
}

func TestFilesOldCheckpointFormats(t *testing.T) {
	cases := []struct {
		name       string
		checkpoint string
		want       []string
		errs       []string
	}{
		{name: "bare key", checkpoint: logKey(1, "x"), want: []string{"e2"}},
		{name: "after only", checkpoint: `{"after":"` + logKey(1, "x") + `"}`, want: []string{"e2"}},
		{name: "failing file keeps its attempts", checkpoint: `{"after":"` + logKey(1, "x") + `","failing":"` + logKey(2, "c") + `","attempts":1}`,
			want: []string{"e3"}, errs: []string{"skipped after 2 attempts"}},
	}
	for _, tc := range cases {
		for _, ls := range logStores(t) {
			t.Run(tc.name+"/"+ls.name, func(t *testing.T) {
				ls.put(logKey(0, "a"), gz(t, records(rec("e0", "DeleteVpc", ""))))
				ls.put(logKey(1, "x"), gz(t, records(rec("e1", "DeleteVpc", ""))))
				if tc.errs != nil {
					ls.put(logKey(2, "c"), gz(t, records(rec("e2", "DeleteVpc", "")))[:30]) // cut: damaged, not another kind of file
					ls.put(logKey(3, "d"), gz(t, records(rec("e3", "DeleteVpc", ""))))
				} else {
					ls.put(logKey(2, "c"), gz(t, records(rec("e2", "DeleteVpc", ""))))
				}
				cp := memCheckpoints{"trail|files:" + euPrefix: tc.checkpoint}
				src, err := NewFileSource("trail", ls.config(FileConfig{MaxAttempts: 2}))
				require.NoError(t, err)
				b, errs := src.Events(context.Background(), cp)
				require.Len(t, errs, len(tc.errs))
				for i, e := range tc.errs {
					require.ErrorContains(t, errs[i], e)
				}
				require.Equal(t, tc.want, ids(b.Events), "files up to the old checkpoint are not read again")
				cp.commit(b)
				var c fileCheckpoint
				require.NoError(t, json.Unmarshal([]byte(cp["trail|files:"+euPrefix]), &c))
				require.Equal(t, logKey(1, "x"), c.After, "the low-water mark never moves back before the old checkpoint")

				// A file delivered now for a later minute is read, once.
				ls.put(logKey(4, "e"), gz(t, records(rec("e4", "DeleteVpc", ""))))
				b, errs = src.Events(context.Background(), cp)
				require.Empty(t, errs)
				require.Equal(t, []string{"e4"}, ids(b.Events))
				cp.commit(b)
				b, _ = src.Events(context.Background(), cp)
				require.Empty(t, b.Events)
			})
		}
	}
}

// TestFilesResumeWindowWithStore runs late and out-of-order deliveries
// against a real (SQLite) checkpoint store with a new source every cycle:
// every event is read exactly once.
func TestFilesResumeWindowWithStore(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "dw.db"), store.Options{})
	require.NoError(t, err)
	defer st.Close()
	ls := logStores(t)[0]
	read := map[string]int{}
	cycle := func() {
		src, err := NewFileSource("trail", ls.config(FileConfig{}))
		require.NoError(t, err)
		b, errs := src.Events(ctx, st)
		require.Empty(t, errs)
		for k, v := range b.Checkpoints {
			require.NoError(t, st.SetCheckpoint(ctx, b.Source, k, v))
		}
		for _, e := range b.Events {
			read[e.ID]++
		}
	}
	deliveries := [][]logFile{
		{{"20240501T1000Z", "mmmmmmmmmmmmmmmm", "a"}},
		{{"20240501T1000Z", "aaaaaaaaaaaaaaaa", "b"}, {"20240501T1005Z", "zzzzzzzzzzzzzzzz", "c"}},
		{{"20240501T1005Z", "bbbbbbbbbbbbbbbb", "d"}, {"20240501T1002Z", "cccccccccccccccc", "e"}},
		{},
		{{"20240501T1031Z", "dddddddddddddddd", "f"}, {"20240501T1003Z", "eeeeeeeeeeeeeeee", "g"}},
	}
	for _, d := range deliveries {
		for _, f := range d {
			ls.put(keyAt(t, f.ts, f.suffix), gz(t, records(rec(f.id, "DeleteVpc", ""))))
		}
		cycle()
	}
	for _, id := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		require.Equal(t, 1, read[id], "event %s", id)
	}
}

// BenchmarkResumeWindowIdleCycle is a cycle with nothing new over a
// checkpoint holding 1000 processed files: the cost of the resume window
// (decode, list, skip, prune, encode) on every cycle.
func BenchmarkResumeWindowIdleCycle(b *testing.B) {
	dir := b.TempDir()
	data := gz(b, records(rec("e", "DeleteVpc", "")))
	start := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 1000; i++ {
		ts := start.Add(time.Duration(i) * time.Minute).Format("20060102T1504Z")
		writeFile(b, dir, keyAt(b, ts, fmt.Sprintf("%016d", i)), data)
	}
	src, err := NewFileSource("trail", FileConfig{Dir: dir, RelistWindow: 24 * time.Hour})
	require.NoError(b, err)
	cp := memCheckpoints{}
	batch, errs := src.Events(context.Background(), cp)
	require.Empty(b, errs)
	cp.commit(batch)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		batch, errs := src.Events(context.Background(), cp)
		if len(errs) > 0 || len(batch.Events) > 0 {
			b.Fatal(errs, len(batch.Events))
		}
	}
	b.ReportMetric(float64(len(cp["trail|files:"+euPrefix])), "checkpoint_bytes")
}
