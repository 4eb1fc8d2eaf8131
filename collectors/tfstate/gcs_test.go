package tfstate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/storage"
	"github.com/stretchr/testify/require"
	"google.golang.org/api/option"

	"github.com/driftwarden/driftwarden/collectors"
)

// gcsBackend is a Cloud Storage JSON API server holding versioned objects:
// objects.list (prefix, pageToken; one item per page to exercise paging)
// and objects.get with alt=media and generation.
type gcsBackend struct {
	mu      sync.Mutex
	bucket  string
	objects map[string]gcsObject
	gen     int64
	media   map[string]int // downloads per object
}

type gcsObject struct {
	data string
	gen  int64
}

func (b *gcsBackend) put(name, data string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.gen++
	b.objects[name] = gcsObject{data: data, gen: b.gen}
}

func (b *gcsBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := r.URL.EscapedPath()
	base := "/storage/v1/b/" + b.bucket + "/o"
	q := r.URL.Query()
	switch {
	case p == base:
		var names []string
		for n := range b.objects {
			if strings.HasPrefix(n, q.Get("prefix")) {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		off, _ := strconv.Atoi(q.Get("pageToken"))
		end := min(off+1, len(names))
		items := []any{}
		for _, n := range names[off:end] {
			o := b.objects[n]
			items = append(items, map[string]any{"name": n, "bucket": b.bucket, "generation": strconv.FormatInt(o.gen, 10), "size": strconv.Itoa(len(o.data))})
		}
		resp := map[string]any{"kind": "storage#objects", "items": items}
		if end < len(names) {
			resp["nextPageToken"] = strconv.Itoa(end)
		}
		_ = json.NewEncoder(w).Encode(resp)
	case strings.HasPrefix(p, base+"/") && q.Get("alt") == "media":
		name, _ := url.PathUnescape(strings.TrimPrefix(p, base+"/"))
		o, ok := b.objects[name]
		if !ok || (q.Get("generation") != "" && q.Get("generation") != strconv.FormatInt(o.gen, 10)) {
			http.Error(w, `{"error":{"code":404,"message":"No such object"}}`, http.StatusNotFound)
			return
		}
		b.media[name]++
		w.Header().Set("X-Goog-Generation", strconv.FormatInt(o.gen, 10))
		_, _ = fmt.Fprint(w, o.data)
	default:
		http.Error(w, "unexpected "+r.Method+" "+r.URL.String(), http.StatusNotImplemented)
	}
}

func newGCSBackend(t *testing.T) (*gcsBackend, *storage.Client) {
	t.Helper()
	b := &gcsBackend{bucket: "tf", objects: map[string]gcsObject{}, media: map[string]int{}}
	srv := httptest.NewServer(b)
	t.Cleanup(srv.Close)
	c, err := storage.NewClient(context.Background(), option.WithEndpoint(srv.URL+"/storage/v1/"),
		option.WithoutAuthentication(), storage.WithJSONReads())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return b, c
}

func TestGCSSourceDiscoveryAndGenerations(t *testing.T) {
	b, client := newGCSBackend(t)
	b.put("envs/network/default.tfstate", stateWith("vpc-default"))
	b.put("envs/network/staging.tfstate", stateWith("vpc-staging"))
	b.put("envs/network/default.tflock", "{}")
	b.put("envs/app/default.tfstate", stateWith("vpc-app"))
	b.put("other/default.tfstate", stateWith("not-under-prefix"))

	src := NewGCSSource("gcs", GCSConfig{Bucket: "tf", Prefix: "envs/", Client: client})
	stacks, errs := src.States(context.Background())
	require.Empty(t, errs)
	require.Equal(t, []named{
		{name: "app/default", workspace: "default", native: "vpc-app"},
		{name: "network/default", workspace: "default", native: "vpc-default"},
		{name: "network/staging", workspace: "staging", native: "vpc-staging"},
	}, summarize(stacks))
	require.Equal(t, "gs://tf/envs/network/staging.tfstate", stacks[2].Location)

	// Unchanged objects are not downloaded again; a new generation is.
	b.put("envs/network/staging.tfstate", stateWith("vpc-staging-2"))
	stacks, errs = src.States(context.Background())
	require.Empty(t, errs)
	require.Equal(t, "vpc-staging-2", summarize(stacks)[2].native)
	require.Equal(t, map[string]int{"envs/network/default.tfstate": 1, "envs/network/staging.tfstate": 2, "envs/app/default.tfstate": 1}, b.media)
}

func TestGCSSourceStackNameAndBadState(t *testing.T) {
	b, client := newGCSBackend(t)
	b.put("net/default.tfstate", stateWith("a"))
	b.put("net/broken.tfstate", `{"version":4,"resources":[`)
	src := NewGCSSource("gcs", GCSConfig{Bucket: "tf", Prefix: "net", StackName: "network", Client: client})
	stacks, errs := src.States(context.Background())
	require.Equal(t, []named{{name: "network", workspace: "default", native: "a"}}, summarize(stacks))
	require.Len(t, errs, 1)
	var ie *collectors.InputError
	require.ErrorAs(t, errs[0], &ie)
	require.Equal(t, "gs://tf/net/broken.tfstate", ie.Location)

	// The broken generation is not downloaded again; its error stays.
	_, errs = src.States(context.Background())
	require.Len(t, errs, 1)
	require.Equal(t, 1, b.media["net/broken.tfstate"])
}
