package gcpaudit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/storage"
	"github.com/stretchr/testify/require"
	"google.golang.org/api/option"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/store"
)

// fakeGCS speaks the parts of the Cloud Storage JSON API the client uses
// here: objects.list (prefix, startOffset, pageToken; two items per page)
// and objects.get with alt=media.
type fakeGCS struct {
	mu      sync.Mutex
	bucket  string
	objects map[string][]byte
	gets    map[string]int
	lists   []url.Values
	failGet map[string]bool
}

func newFakeGCS(t *testing.T, bucket string) (*fakeGCS, *storage.Client) {
	t.Helper()
	f := &fakeGCS{bucket: bucket, objects: map[string][]byte{}, gets: map[string]int{}, failGet: map[string]bool{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := storage.NewClient(context.Background(), option.WithEndpoint(srv.URL+"/storage/v1/"),
		option.WithoutAuthentication(), storage.WithJSONReads())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return f, c
}

func (f *fakeGCS) put(name, data string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[name] = []byte(data)
}

func (f *fakeGCS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := r.URL.EscapedPath()
	listPath := "/storage/v1/b/" + f.bucket + "/o"
	switch {
	case r.Method == http.MethodGet && p == listPath:
		q := r.URL.Query()
		f.lists = append(f.lists, q)
		var names []string
		for n := range f.objects {
			if strings.HasPrefix(n, q.Get("prefix")) && n >= q.Get("startOffset") {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		start := 0
		if tok := q.Get("pageToken"); tok != "" {
			fmt.Sscan(tok, &start)
		}
		end := min(start+2, len(names))
		resp := map[string]any{"kind": "storage#objects"}
		var items []any
		for _, n := range names[start:end] {
			items = append(items, map[string]any{"kind": "storage#object", "name": n, "bucket": f.bucket,
				"generation": "1", "size": fmt.Sprint(len(f.objects[n]))})
		}
		resp["items"] = items
		if end < len(names) {
			resp["nextPageToken"] = fmt.Sprint(end)
		}
		_ = json.NewEncoder(w).Encode(resp)
	case r.Method == http.MethodGet && strings.HasPrefix(p, listPath+"/"):
		name, err := url.PathUnescape(strings.TrimPrefix(p, listPath+"/"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		data, ok := f.objects[name]
		if !ok {
			http.Error(w, `{"error":{"code":404,"message":"No such object"}}`, http.StatusNotFound)
			return
		}
		if f.failGet[name] {
			http.Error(w, `{"error":{"code":403,"message":"denied"}}`, http.StatusForbidden)
			return
		}
		if r.URL.Query().Get("alt") != "media" {
			_ = json.NewEncoder(w).Encode(map[string]any{"name": name, "bucket": f.bucket, "generation": "1", "size": fmt.Sprint(len(data))})
			return
		}
		f.gets[name]++
		w.Header().Set("X-Goog-Generation", "1")
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		_, _ = w.Write(data)
	default:
		http.Error(w, "unexpected "+r.Method+" "+p, http.StatusNotImplemented)
	}
}

// memCheckpoints is a CheckpointReader over a map (recorded checkpoints).
type memCheckpoints map[string]string

func (m memCheckpoints) Checkpoint(_ context.Context, source, key string) (string, error) {
	if v, ok := m[source+"|"+key]; ok {
		return v, nil
	}
	return "", fmt.Errorf("checkpoint %s/%s: %w", source, key, storeNotFound())
}

func (m memCheckpoints) record(b collectors.EventBatch) {
	for k, v := range b.Checkpoints {
		m[b.Source+"|"+k] = v
	}
}

func line(id, method, ts string) string {
	return fmt.Sprintf(`{"insertId":%q,"logName":"projects/p1/logs/cloudaudit.googleapis.com%%2Factivity","timestamp":%q,`+
		`"resource":{"type":"gcs_bucket","labels":{"project_id":"p1","bucket_name":"b1"}},`+
		`"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"storage.googleapis.com",`+
		`"methodName":%q,"resourceName":"projects/_/buckets/b1","authenticationInfo":{"principalEmail":"jane@example.com"},`+
		`"requestMetadata":{"callerIp":"198.51.100.7","callerSuppliedUserAgent":"Terraform/1.9.0 terraform-provider-google/6.0"}}}`,
		id, ts, method)
}

const exportDir = "cloudaudit.googleapis.com/activity/2026/03/01/"

func TestFilesFromGCSIncremental(t *testing.T) {
	f, client := newFakeGCS(t, "sink")
	f.put("logs/"+exportDir+"10:00:00_10:59:59_S0.json", line("a1", "storage.buckets.update", "2026-03-01T10:05:00Z")+"\n"+
		`{"insertId":"j1","jsonPayload":{"message":"not audit"}}`+"\n")
	f.put("logs/"+exportDir+"11:00:00_11:59:59_S0.json", line("a2", "storage.setIamPermissions", "2026-03-01T11:05:00Z")+"\n"+
		"{not json\n"+line("a3", "storage.buckets.delete", "2026-03-01T11:06:00Z")+"\n")
	f.put("logs/"+exportDir+"11:00:00_11:59:59_S1.json", line("a4", "storage.buckets.create", "2026-03-01T11:30:00Z"))
	f.put("logs/other/ignored.json", line("x", "storage.buckets.create", "2026-03-01T11:30:00Z"))

	src := NewFilesSource("sink", FilesConfig{Bucket: "sink", Prefix: "logs/", Client: client})
	cp := memCheckpoints{}
	b, errs := src.Events(context.Background(), cp)
	require.Equal(t, []string{"a1", "a2", "a3", "a4"}, ids(b))
	require.Len(t, errs, 1, "the malformed line costs only itself")
	var ie *collectors.InputError
	require.ErrorAs(t, errs[0], &ie)
	require.Equal(t, "gs://sink/logs/"+exportDir+"11:00:00_11:59:59_S0.json", ie.Location)
	require.Equal(t, "line 2", ie.Place)
	require.Equal(t, filesCheckpoint{After: "logs/" + exportDir + "10:00:00", Done: []string{
		"2026/03/01/10:00:00_10:59:59_S0.json", "2026/03/01/11:00:00_11:59:59_S0.json", "2026/03/01/11:00:00_11:59:59_S1.json",
	}}, decodeCheckpoint(t, b.Checkpoints["files/activity"]), "the window reaches back to the hour before the newest file")
	ev := b.Events[1]
	require.Equal(t, []string{"//storage.googleapis.com/b1", "//storage.googleapis.com/b1/iamPolicy"}, ev.Resources)
	require.Equal(t, "terraform", string(ev.Via))
	cp.record(b)

	// Next cycle: listed from the window's start, only the new file is read.
	f.put("logs/"+exportDir+"12:00:00_12:59:59_S0.json", line("a5", "storage.buckets.update", "2026-03-01T12:01:00Z"))
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, []string{"a5"}, ids(b))
	require.Equal(t, "logs/"+exportDir+"10:00:00", f.lists[len(f.lists)-1].Get("startOffset"))
	require.Len(t, f.gets, 4, "each export read with alt=media")
	for name, n := range f.gets {
		require.Equal(t, 1, n, "%s read more than once", name)
	}
}

func TestFilesUnreadableObjectKeepsCheckpointBeforeIt(t *testing.T) {
	f, client := newFakeGCS(t, "sink")
	f.put(exportDir+"10:00:00_10:59:59_S0.json", line("a1", "storage.buckets.update", "2026-03-01T10:05:00Z"))
	f.put(exportDir+"11:00:00_11:59:59_S0.json", line("a2", "storage.buckets.update", "2026-03-01T11:05:00Z"))
	f.put(exportDir+"12:00:00_12:59:59_S0.json", line("a3", "storage.buckets.update", "2026-03-01T12:05:00Z"))
	f.failGet[exportDir+"11:00:00_11:59:59_S0.json"] = true
	src := NewFilesSource("sink", FilesConfig{Bucket: "sink", Client: client})
	cp := memCheckpoints{}
	b, errs := src.Events(context.Background(), cp)
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "11:00:00_11:59:59_S0.json")
	require.Equal(t, []string{"a1"}, ids(b))
	c := decodeCheckpoint(t, b.Checkpoints["files/activity"])
	require.Less(t, c.After, exportDir+"11:00:00_11:59:59_S0.json", "the low-water mark stays before the unreadable file")
	require.Equal(t, []string{"2026/03/01/10:00:00_10:59:59_S0.json"}, c.Done)
	cp.record(b)
	f.failGet = map[string]bool{}
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, []string{"a2", "a3"}, ids(b))
}

func TestFilesFromLocalDirectory(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, data string) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
	}
	write(exportDir+"10:00:00_10:59:59_S0.json", line("a1", "storage.buckets.update", "2026-03-01T10:05:00Z")+"\r\n\r\n")
	write("cloudaudit.googleapis.com/data_access/2026/03/01/10:00:00_10:59:59_S0.json", line("d1", "storage.buckets.get", "2026-03-01T10:05:00Z"))
	src := NewFilesSource("local", FilesConfig{Dir: dir, Logs: []string{"activity", "data_access", "system_event"}})
	cp := memCheckpoints{}
	b, errs := src.Events(context.Background(), cp)
	require.Empty(t, errs, "a log without exports yet is not an error")
	require.Equal(t, []string{"a1", "d1"}, ids(b))
	require.True(t, b.Events[1].ReadOnly)
	require.Equal(t, []string{"2026/03/01/10:00:00_10:59:59_S0.json"}, decodeCheckpoint(t, b.Checkpoints["files/activity"]).Done)
	cp.record(b)
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Empty(t, b.Events)

	// A missing directory is an error naming it, not a crash.
	src = NewFilesSource("local", FilesConfig{Dir: filepath.Join(dir, "nope")})
	_, errs = src.Events(context.Background(), memCheckpoints{})
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "nope")
}

func storeNotFound() error { return store.ErrNotFound }

func decodeCheckpoint(t *testing.T, v string) filesCheckpoint {
	t.Helper()
	var c filesCheckpoint
	require.NoError(t, json.Unmarshal([]byte(v), &c), v)
	return c
}
