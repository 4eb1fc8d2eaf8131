package gcpaudit

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
)

// sinkStore is where a test's sink writes its files: a local directory or
// the fake GCS bucket (under the prefix "logs/").
type sinkStore struct {
	name   string
	put    func(rel, data string) // rel: cloudaudit.googleapis.com/...
	config func(FilesConfig) FilesConfig
	prefix string // of checkpoint names
}

func sinkStores(t *testing.T) []sinkStore {
	dir := t.TempDir()
	f, client := newFakeGCS(t, "sink")
	return []sinkStore{
		{name: "local", put: func(rel, data string) {
			p := filepath.Join(dir, filepath.FromSlash(rel))
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
		}, config: func(c FilesConfig) FilesConfig { c.Dir = dir; return c }},
		{name: "gcs", put: func(rel, data string) { f.put("logs/"+rel, data) }, prefix: "logs/",
			config: func(c FilesConfig) FilesConfig { c.Bucket, c.Prefix, c.Client = "sink", "logs", client; return c }},
	}
}

// sinkFile is an hourly export file: day (YYYY/MM/DD), hour, shard.
type sinkFile struct {
	day   string
	hour  int
	shard string
	id    string
}

func (f sinkFile) rel() string {
	return "cloudaudit.googleapis.com/activity/" + f.day + "/" +
		time.Date(2000, 1, 1, f.hour, 0, 0, 0, time.UTC).Format("15:04:05") + "_" +
		time.Date(2000, 1, 1, f.hour, 59, 59, 0, time.UTC).Format("15:04:05") + "_" + f.shard + ".json"
}

func (f sinkFile) data() string {
	d, _ := time.Parse("2006/01/02", f.day)
	return line(f.id, "storage.buckets.update", d.Add(time.Duration(f.hour)*time.Hour+5*time.Minute).Format(time.RFC3339)) + "\n"
}

func sorted(ids []string) []string {
	out := append([]string{}, ids...)
	sort.Strings(out)
	return out
}

func TestFilesResumeWindow(t *testing.T) {
	const day = "2026/03/01"
	cases := []struct {
		name     string
		window   time.Duration
		first    []sinkFile // written before cycle 1
		late     []sinkFile // written after cycle 1
		wantLate []string   // read by cycle 2
		restart  bool       // cycles 2 and 3 on a new source over the same checkpoints
	}{
		{name: "shard S1 written after S0 was read",
			first:    []sinkFile{{day, 10, "S0", "a0"}},
			late:     []sinkFile{{day, 10, "S1", "a1"}},
			wantLate: []string{"a1"}},
		{name: "shard S1 after a restart",
			first:    []sinkFile{{day, 10, "S0", "a0"}, {day, 11, "S0", "b0"}},
			late:     []sinkFile{{day, 10, "S1", "a1"}, {day, 11, "S1", "b1"}, {day, 12, "S0", "c0"}},
			wantLate: []string{"a1", "b1", "c0"}, restart: true},
		{name: "earlier hour written late, within the window",
			first:    []sinkFile{{day, 11, "S0", "b0"}},
			late:     []sinkFile{{day, 10, "S0", "a0"}},
			wantLate: []string{"a0"}},
		{name: "previous day's last hour written late",
			first:    []sinkFile{{"2026/03/02", 0, "S0", "n0"}},
			late:     []sinkFile{{day, 23, "S0", "p0"}, {day, 23, "S1", "p1"}},
			wantLate: []string{"p0", "p1"}, restart: true},
		{name: "hour older than the window is never read",
			first:    []sinkFile{{day, 11, "S0", "b0"}},
			late:     []sinkFile{{day, 9, "S0", "old"}, {day, 10, "S3", "a3"}},
			wantLate: []string{"a3"}},
		{name: "a longer relist_window reaches it",
			window:   2 * time.Hour,
			first:    []sinkFile{{day, 11, "S0", "b0"}},
			late:     []sinkFile{{day, 9, "S0", "old"}},
			wantLate: []string{"old"}},
	}
	for _, tc := range cases {
		for _, ss := range sinkStores(t) {
			t.Run(tc.name+"/"+ss.name, func(t *testing.T) {
				ctx := context.Background()
				cp := memCheckpoints{}
				cfg := ss.config(FilesConfig{RelistWindow: tc.window})
				src := NewFilesSource("sink", cfg)
				read := map[string]int{}
				cycle := func() []string {
					b, errs := src.Events(ctx, cp)
					require.Empty(t, errs)
					cp.record(b)
					for _, e := range b.Events {
						read[e.ID]++
					}
					return sorted(ids(b))
				}
				var wantFirst []string
				for _, f := range tc.first {
					ss.put(f.rel(), f.data())
					wantFirst = append(wantFirst, f.id)
				}
				require.Equal(t, sorted(wantFirst), cycle())
				for _, f := range tc.late {
					ss.put(f.rel(), f.data())
				}
				if tc.restart {
					src = NewFilesSource("sink", cfg)
				}
				require.Equal(t, tc.wantLate, cycle())
				require.Empty(t, cycle(), "nothing is read twice")
				src = NewFilesSource("sink", cfg)
				require.Empty(t, cycle(), "nothing is read twice after a restart")
				for id, n := range read {
					require.Equal(t, 1, n, "event %s read %d times", id, n)
				}
			})
		}
	}
}

func TestFilesOldCheckpointFormat(t *testing.T) {
	const day = "2026/03/01"
	for _, ss := range sinkStores(t) {
		t.Run(ss.name, func(t *testing.T) {
			for _, f := range []sinkFile{{day, 9, "S0", "a9"}, {day, 10, "S0", "a10"}, {day, 11, "S0", "a11"}} {
				ss.put(f.rel(), f.data())
			}
			// Earlier versions stored the name of the last file read.
			cp := memCheckpoints{"sink|files/activity": ss.prefix + sinkFile{day, 10, "S0", ""}.rel()}
			src := NewFilesSource("sink", ss.config(FilesConfig{}))
			b, errs := src.Events(context.Background(), cp)
			require.Empty(t, errs)
			require.Equal(t, []string{"a11"}, ids(b), "files up to the old checkpoint are not read again")
			cp.record(b)
			c := decodeCheckpoint(t, cp["sink|files/activity"])
			require.Equal(t, ss.prefix+sinkFile{day, 10, "S0", ""}.rel(), c.After, "the low-water mark never moves back before the old checkpoint")

			// A shard written after the old checkpoint's file is read, once.
			late := sinkFile{day, 10, "S1", "s1"}
			ss.put(late.rel(), late.data())
			b, errs = src.Events(context.Background(), cp)
			require.Empty(t, errs)
			require.Equal(t, []string{"s1"}, ids(b))
			cp.record(b)
			b, errs = src.Events(context.Background(), cp)
			require.Empty(t, errs)
			require.Empty(t, b.Events)
		})
	}
}

func TestFilesBadCheckpoint(t *testing.T) {
	ss := sinkStores(t)[0]
	ss.put(sinkFile{"2026/03/01", 10, "S0", "a0"}.rel(), sinkFile{"2026/03/01", 10, "S0", "a0"}.data())
	ss.put("cloudaudit.googleapis.com/data_access/2026/03/01/10:00:00_10:59:59_S0.json", line("d0", "storage.buckets.get", "2026-03-01T10:05:00Z"))
	cp := memCheckpoints{"sink|files/activity": `{"after":`}
	src := NewFilesSource("sink", ss.config(FilesConfig{Logs: []string{"activity", "data_access"}}))
	b, errs := src.Events(context.Background(), cp)
	require.Len(t, errs, 1)
	require.ErrorContains(t, errs[0], "reading checkpoint files/activity")
	require.Equal(t, []string{"d0"}, ids(b), "the other logs are read")
	require.NotContains(t, b.Checkpoints, "files/activity", "the damaged checkpoint is not overwritten")
}

var _ collectors.CheckpointReader = memCheckpoints{}
