package tfstate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
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
	// afterList runs (locked) after a listing's last page: changes made
	// between a listing and the downloads.
	afterList func(b *gcsBackend)
	stale     int // downloads of a generation no longer there
}

type gcsObject struct {
	data string
	gen  int64
	// keySha256 is the base64 SHA-256 of the object's customer-supplied
	// key (CSEK), "" when Google-managed.
	keySha256 string
}

func (b *gcsBackend) put(name, data string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.putLocked(name, data, "")
}

func (b *gcsBackend) putLocked(name, data, keySha256 string) {
	b.gen++
	b.objects[name] = gcsObject{data: data, gen: b.gen, keySha256: keySha256}
}

// gcsError answers as the JSON API does.
func gcsError(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg,
		"errors": []any{map[string]any{"domain": "global", "reason": reason, "message": msg}}}})
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
		if b.afterList != nil && end == len(names) {
			b.afterList(b)
		}
	case strings.HasPrefix(p, base+"/") && q.Get("alt") == "media":
		name, _ := url.PathUnescape(strings.TrimPrefix(p, base+"/"))
		o, ok := b.objects[name]
		if ok && q.Get("generation") != "" && q.Get("generation") != strconv.FormatInt(o.gen, 10) {
			b.stale++
		}
		if !ok || (q.Get("generation") != "" && q.Get("generation") != strconv.FormatInt(o.gen, 10)) {
			http.Error(w, `{"error":{"code":404,"message":"No such object"}}`, http.StatusNotFound)
			return
		}
		got := r.Header.Get("X-Goog-Encryption-Key-Sha256")
		switch {
		case o.keySha256 != "" && got == "":
			gcsError(w, http.StatusBadRequest, "resourceIsEncryptedWithCustomerEncryptionKey", "The target object is encrypted by a customer-supplied encryption key.")
			return
		case o.keySha256 != "" && got != o.keySha256:
			gcsError(w, http.StatusBadRequest, "customerEncryptionKeySha256IsInvalid", "The provided encryption key is incorrect.")
			return
		case o.keySha256 == "" && got != "":
			gcsError(w, http.StatusBadRequest, "resourceNotEncryptedWithCustomerEncryptionKey", "The target object is not encrypted by a customer-supplied encryption key.")
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

func csekKey(c byte) (b64, sha string) {
	raw := bytes.Repeat([]byte{c}, 32)
	sum := sha256.Sum256(raw)
	return base64.StdEncoding.EncodeToString(raw), base64.StdEncoding.EncodeToString(sum[:])
}

// TestGCSSourceCSEK: states written with the backend's encryption_key.
func TestGCSSourceCSEK(t *testing.T) {
	ctx := context.Background()
	b, client := newGCSBackend(t)
	key, sha := csekKey('k')
	other, _ := csekKey('o')
	b.mu.Lock()
	b.putLocked("net/default.tfstate", stateWith("vpc-1"), sha)
	b.putLocked("net/prod.tfstate", stateWith("vpc-2"), sha)
	b.mu.Unlock()
	b.put("net/plain.tfstate", stateWith("vpc-3")) // not encrypted with the key

	stacks, errs := NewGCSSource("gcs", GCSConfig{Bucket: "tf", Prefix: "net", Client: client}).States(ctx)
	require.Equal(t, []named{{name: "plain", workspace: "plain", native: "vpc-3"}}, summarize(stacks))
	require.Len(t, errs, 2)
	var ie *collectors.InputError
	require.ErrorAs(t, errs[0], &ie)
	require.Equal(t, "gs://tf/net/default.tfstate", ie.Location)
	require.Contains(t, errs[0].Error(), "configure encryption_key")

	stacks, errs = NewGCSSource("gcs", GCSConfig{Bucket: "tf", Prefix: "net", Client: client, EncryptionKey: key}).States(ctx)
	require.Empty(t, errs)
	require.Len(t, stacks, 3)

	_, errs = NewGCSSource("gcs", GCSConfig{Bucket: "tf", Prefix: "net", Client: client, EncryptionKey: other}).States(ctx)
	require.Len(t, errs, 2)
	require.Contains(t, errs[0].Error(), "not the key this object is encrypted with")
	require.NotContains(t, errs[0].Error(), other)

	_, errs = NewGCSSource("gcs", GCSConfig{Bucket: "tf", Prefix: "net", Client: client, EncryptionKey: "c2hvcnQ="}).States(ctx)
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "256-bit")
}

// TestGCSSourceChangedBetweenListAndRead: an apply replacing a state after
// the listing (the listed generation is gone) still yields the state, at
// its new generation; a deleted one is skipped without error.
func TestGCSSourceChangedBetweenListAndRead(t *testing.T) {
	b, client := newGCSBackend(t)
	b.put("env/default.tfstate", stateWith("vpc-old"))
	b.put("env/gone.tfstate", stateWith("vpc-gone"))
	b.put("env/default.tflock", `{"ID":"1"}`)
	b.put("env/", "") // folder placeholder
	b.afterList = func(b *gcsBackend) {
		b.putLocked("env/default.tfstate", stateWith("vpc-new"), "")
		delete(b.objects, "env/gone.tfstate")
		b.afterList = nil
	}
	src := NewGCSSource("gcs", GCSConfig{Bucket: "tf", Prefix: "env", Client: client})
	stacks, errs := src.States(context.Background())
	require.Empty(t, errs)
	require.Equal(t, []named{{name: "default", workspace: "default", native: "vpc-new"}}, summarize(stacks))
	require.Equal(t, 1, b.stale, "the listed generation was asked for first")

	// Cached at the generation read: not downloaded again.
	stacks, errs = src.States(context.Background())
	require.Empty(t, errs)
	require.Equal(t, "vpc-new", summarize(stacks)[0].native)
	require.Equal(t, 1, b.media["env/default.tfstate"])
}

// TestGCSSourceConcurrentStatesWithKey: States may be called concurrently
// (run with -race); the customer key is decoded once, not per call.
func TestGCSSourceConcurrentStatesWithKey(t *testing.T) {
	b, client := newGCSBackend(t)
	key, sha := csekKey('k')
	b.mu.Lock()
	b.putLocked("net/default.tfstate", stateWith("vpc-1"), sha)
	b.mu.Unlock()
	src := NewGCSSource("gcs", GCSConfig{Bucket: "tf", Prefix: "net", Client: client, EncryptionKey: key})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stacks, errs := src.States(context.Background())
			require.Empty(t, errs)
			require.Len(t, stacks, 1)
		}()
	}
	wg.Wait()
}

// badDeposedState has a current object and a deposed one whose
// sensitive_attributes is not a list.
const badDeposedState = `{"version":4,"terraform_version":"1.9.5","serial":3,"lineage":"l","outputs":{},"resources":[
{"mode":"managed","type":"google_compute_network","name":"vpc","provider":"provider[\"registry.terraform.io/hashicorp/google\"]","instances":[
{"schema_version":0,"attributes":{"id":"projects/p/global/networks/vpc","name":"vpc","project":"p"},"sensitive_attributes":[]},
{"deposed":"9f8e7d6c","schema_version":0,"attributes":{"id":"projects/p/global/networks/vpc-old","name":"vpc-old","project":"p"},"sensitive_attributes":{"x":1}}]}]}`

// TestGCSSourceBadDeposedObjectIsAWarning: the stack loads; the skipped
// deposed object is reported each cycle, cached or not.
func TestGCSSourceBadDeposedObjectIsAWarning(t *testing.T) {
	b, client := newGCSBackend(t)
	b.put("net/default.tfstate", badDeposedState)
	src := NewGCSSource("gcs", GCSConfig{Bucket: "tf", Prefix: "net", Client: client})
	for i := 0; i < 2; i++ {
		stacks, errs := src.States(context.Background())
		require.Len(t, stacks, 1)
		require.Len(t, stacks[0].Resources, 1)
		require.Len(t, errs, 1)
		require.Contains(t, errs[0].Error(), "gs://tf/net/default.tfstate")
		require.Contains(t, errs[0].Error(), "resources[0].instances[1] (google_compute_network.vpc) deposed object 9f8e7d6c")
	}
	require.Equal(t, 1, b.media["net/default.tfstate"])
}
