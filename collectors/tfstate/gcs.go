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
	// EncryptionKey is the base64-encoded AES-256 customer-supplied key
	// (CSEK) of the states: the backend's encryption_key /
	// GOOGLE_ENCRYPTION_KEY. A secret: it never appears in errors. States
	// encrypted with kms_encryption_key (CMEK) need nothing here.
	EncryptionKey string
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
// streamed into Decode. A state replaced between the listing and its
// download (a concurrent apply) is read at its newest generation; one
// deleted meanwhile is skipped without error. An object encrypted with a
// customer-supplied key needs GCSConfig.EncryptionKey; without it (or with
// another key) the error says so.
type GCSSource struct {
	name string
	cfg  GCSConfig

	mu    sync.Mutex
	cache map[string]*gcsEntry
	// csek is the decoded EncryptionKey (nil without one); keyErr is
	// why it could not be decoded. Both are set by NewGCSSource only.
	csek   []byte
	keyErr error
}

type gcsEntry struct {
	generation int64
	stack      *collectors.Stack
	err        error
	warns      []error // deposed objects skipped by the decode
}

var _ collectors.StateSource = (*GCSSource)(nil)

// NewGCSSource returns a gcs backend source.
func NewGCSSource(name string, cfg GCSConfig) *GCSSource {
	s := &GCSSource{name: name, cfg: cfg, cache: map[string]*gcsEntry{}}
	if cfg.EncryptionKey != "" {
		s.csek, s.keyErr = ParseCustomerKey(cfg.EncryptionKey, "encryption_key")
	}
	return s
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
	if s.keyErr != nil {
		return nil, []error{&collectors.InputError{Source: s.name, Location: loc, Err: s.keyErr}}
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
			errs = append(errs, e.warns...)
			if e.err != nil {
				errs = append(errs, e.err)
			} else {
				stacks = append(stacks, *e.stack)
			}
			continue
		}
		st, gen, warns, err := s.read(ctx, bkt, a)
		errs = append(errs, warns...)
		if errors.Is(err, errGone) {
			delete(s.cache, a.Name)
			continue
		}
		var re *ReadError
		if err != nil && (errors.As(err, &re) || ctx.Err() != nil || isFetchError(err)) {
			delete(s.cache, a.Name) // transient: try again next cycle
			errs = append(errs, err)
			continue
		}
		s.cache[a.Name] = &gcsEntry{generation: gen, stack: st, err: err, warns: warns}
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

// errGone marks an object deleted between the listing and its download.
var errGone = errors.New("object deleted since listed")

// read downloads and decodes one object, returning the generation read and
// the decode's warnings (deposed objects skipped).
func (s *GCSSource) read(ctx context.Context, bkt *storage.BucketHandle, a *storage.ObjectAttrs) (*collectors.Stack, int64, []error, error) {
	loc := "gs://" + s.cfg.Bucket + "/" + a.Name
	name, ws := s.stackName(a.Name)
	obj := bkt.Object(a.Name)
	if s.csek != nil {
		obj = obj.Key(s.csek)
	}
	gen := a.Generation
	rc, err := obj.Generation(gen).NewReader(ctx)
	if err != nil && s.csek != nil && strings.Contains(strings.ToLower(err.Error()), "not encrypted by a customer-supplied") {
		// A prefix may mix CSEK and other objects: read this one without.
		obj = bkt.Object(a.Name)
		rc, err = obj.Generation(gen).NewReader(ctx)
	}
	if errors.Is(err, storage.ErrObjectNotExist) {
		// Replaced (an apply wrote a new generation and the bucket keeps
		// no old ones) or deleted since listed: read the newest, if any.
		rc, err = obj.NewReader(ctx)
		if errors.Is(err, storage.ErrObjectNotExist) {
			return nil, 0, nil, errGone
		}
		if err == nil {
			gen = rc.Attrs.Generation
		}
	}
	if err != nil {
		return nil, gen, nil, &collectors.InputError{Source: s.name, Location: loc, Err: fetchError{fmt.Errorf("reading state object%s: %w", s.gcsHint(err), err)}}
	}
	defer rc.Close()
	var warns []error
	st, err := Decode(ctxReader{ctx: ctx, r: rc}, DecodeOptions{Source: s.name, Location: loc, Stack: name, Workspace: ws, SizeHint: max(a.Size, rc.Attrs.Size),
		Warn: func(w error) { warns = append(warns, w) }})
	if err != nil {
		return nil, gen, warns, err
	}
	return st, gen, warns, nil
}

// gcsHint explains a refused download of a CSEK-encrypted object (GCS
// answers 400: "The target object is encrypted by a customer-supplied
// encryption key." without a key, "The provided encryption key is
// incorrect." with another one).
func (s *GCSSource) gcsHint(err error) string {
	msg := strings.ToLower(err.Error())
	switch {
	case s.csek == nil && (strings.Contains(msg, "customer-supplied encryption key") || strings.Contains(msg, "customerencryptionkey")):
		return " (the object is encrypted with a customer-supplied key: configure encryption_key, the base64 key the Terraform backend uses)"
	case s.csek != nil && strings.Contains(msg, "encryption key") && (strings.Contains(msg, "incorrect") || strings.Contains(msg, "does not match")):
		return " (the configured encryption_key is not the key this object is encrypted with)"
	}
	return ""
}
