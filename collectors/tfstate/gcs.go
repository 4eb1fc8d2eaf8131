package tfstate

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"cloud.google.com/go/storage"
	"google.golang.org/api/iterator"

	"github.com/driftwarden/driftwarden/collectors"
)

// GCSConfig configures a source of states in Terraform's gcs backend.
type GCSConfig struct {
	// Bucket is the backend bucket.
	Bucket string
	// Prefix is the backend prefix: every <Prefix>/<workspace>.tfstate
	// object below it is one stack (discovery). Empty means the whole
	// bucket.
	Prefix string
	// StackName prefixes the stack names ("<StackName>/<workspace>", and
	// just StackName for the default workspace). Empty means the object
	// name relative to Prefix without ".tfstate".
	StackName string
	// Client is the Cloud Storage client (credentials and endpoint are
	// the caller's choice).
	Client *storage.Client
	// Owner and Production classify the stacks, for the caller.
	Owner      string
	Production bool
}

// GCSSource reads states from Terraform's gcs backend. It implements
// collectors.StateSource.
//
// Each cycle lists the objects under the prefix (all pages) and takes every
// "*.tfstate" object as one stack, the workspace being the object's base
// name without ".tfstate" (default.tfstate is the default workspace; lock
// files, *.tflock, are ignored). An object is downloaded again only when its
// generation changed since it was last decoded; otherwise the stack (or the
// decode error) of that generation is returned again. The download is
// streamed into Decode.
type GCSSource struct {
	name string
	cfg  GCSConfig

	mu    sync.Mutex
	cache map[string]*gcsEntry
}

type gcsEntry struct {
	generation int64
	stack      *collectors.Stack
	err        error
}

var _ collectors.StateSource = (*GCSSource)(nil)

// NewGCSSource returns a gcs backend source.
func NewGCSSource(name string, cfg GCSConfig) *GCSSource {
	return &GCSSource{name: name, cfg: cfg, cache: map[string]*gcsEntry{}}
}

// Name is the configured source name.
func (s *GCSSource) Name() string { return s.name }

// Owner is the configured owner of the stacks.
func (s *GCSSource) Owner() string { return s.cfg.Owner }

// Production reports whether the stacks are production.
func (s *GCSSource) Production() bool { return s.cfg.Production }

func (s *GCSSource) prefix() string {
	p := strings.Trim(s.cfg.Prefix, "/")
	if p != "" {
		p += "/"
	}
	return p
}

// stackName names the stack of an object.
func (s *GCSSource) stackName(object string) (name, workspace string) {
	rel := strings.TrimSuffix(strings.TrimPrefix(object, s.prefix()), ".tfstate")
	workspace = path.Base(rel)
	if s.cfg.StackName == "" {
		return rel, workspace
	}
	if rel == "default" {
		return s.cfg.StackName, workspace
	}
	return s.cfg.StackName + "/" + rel, workspace
}

// States lists and reads the states under the prefix.
func (s *GCSSource) States(ctx context.Context) ([]collectors.Stack, []error) {
	loc := "gs://" + s.cfg.Bucket + "/" + s.prefix()
	if s.cfg.Client == nil {
		return nil, []error{&collectors.InputError{Source: s.name, Location: loc, Err: errors.New("no GCS client configured")}}
	}
	bkt := s.cfg.Client.Bucket(s.cfg.Bucket)
	q := &storage.Query{Prefix: s.prefix()}
	if err := q.SetAttrSelection([]string{"Name", "Generation", "Size"}); err != nil {
		return nil, []error{err}
	}
	it := bkt.Objects(ctx, q)
	var objs []*storage.ObjectAttrs
	for {
		a, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, []error{&collectors.InputError{Source: s.name, Location: loc, Err: fmt.Errorf("listing states: %w", err)}}
		}
		if strings.HasSuffix(a.Name, ".tfstate") {
			objs = append(objs, a)
		}
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Name < objs[j].Name })

	s.mu.Lock()
	defer s.mu.Unlock()
	var stacks []collectors.Stack
	var errs []error
	live := map[string]bool{}
	for _, a := range objs {
		live[a.Name] = true
		if e := s.cache[a.Name]; e != nil && e.generation == a.Generation {
			if e.err != nil {
				errs = append(errs, e.err)
			} else {
				stacks = append(stacks, *e.stack)
			}
			continue
		}
		st, err := s.read(ctx, bkt, a)
		var re *ReadError
		if err != nil && (errors.As(err, &re) || ctx.Err() != nil || isFetchError(err)) {
			delete(s.cache, a.Name) // transient: try again next cycle
			errs = append(errs, err)
			continue
		}
		s.cache[a.Name] = &gcsEntry{generation: a.Generation, stack: st, err: err}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		stacks = append(stacks, *st)
	}
	for k := range s.cache {
		if !live[k] {
			delete(s.cache, k)
		}
	}
	return stacks, errs
}

// fetchError marks a failure to download (not a bad state).
type fetchError struct{ error }

func (e fetchError) Unwrap() error { return e.error }

func isFetchError(err error) bool {
	var fe fetchError
	return errors.As(err, &fe)
}

func (s *GCSSource) read(ctx context.Context, bkt *storage.BucketHandle, a *storage.ObjectAttrs) (*collectors.Stack, error) {
	loc := "gs://" + s.cfg.Bucket + "/" + a.Name
	name, ws := s.stackName(a.Name)
	rc, err := bkt.Object(a.Name).Generation(a.Generation).NewReader(ctx)
	if err != nil {
		return nil, &collectors.InputError{Source: s.name, Location: loc, Err: fetchError{fmt.Errorf("reading state object: %w", err)}}
	}
	defer rc.Close()
	st, err := Decode(ctxReader{ctx: ctx, r: rc}, DecodeOptions{Source: s.name, Location: loc, Stack: name, Workspace: ws, SizeHint: a.Size})
	if err != nil {
		return nil, err
	}
	return st, nil
}
