package gcpasset

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"cloud.google.com/go/storage"
	"google.golang.org/api/iterator"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/internal/fileinput"
)

// FileConfig configures a source of CAI export files.
type FileConfig struct {
	// Paths are files, directories or globs (** allowed) of local exports.
	Paths   []string
	BaseDir string
	// Bucket and Prefix name exports in GCS (every object under Prefix);
	// Client is the GCS client.
	Bucket string
	Prefix string
	Client *storage.Client
	// AssetTypes are the CAI asset types the export holds completely
	// (its Coverage). Empty means the mapped types seen in the files.
	AssetTypes []string
	// Projects restrict the Coverage to these project ids; empty means
	// the projects seen.
	Projects []string
}

// FileSource reads CAI exports. It implements collectors.InventorySource.
type FileSource struct {
	name string
	cfg  FileConfig
}

var _ collectors.InventorySource = (*FileSource)(nil)

// NewFileSource returns a source of CAI export files.
func NewFileSource(name string, cfg FileConfig) *FileSource { return &FileSource{name: name, cfg: cfg} }

// Name is the configured source name.
func (s *FileSource) Name() string { return s.name }

// Inventory reads every export file.
func (s *FileSource) Inventory(ctx context.Context) (collectors.Inventory, []error) {
	mp := newMapper(s.name)
	var errs []error
	readOne := func(loc string, r io.Reader) {
		n, err := DecodeAssets(r, func(a Asset) { mp.add(a) })
		if err != nil {
			errs = append(errs, &collectors.InputError{Source: s.name, Location: loc, Place: placeOf(err, n), Err: err})
		}
	}
	if s.cfg.Bucket != "" {
		errs = append(errs, s.readGCS(ctx, readOne)...)
	}
	if len(s.cfg.Paths) > 0 {
		files, perrs := fileinput.Expand(s.cfg.BaseDir, s.cfg.Paths, fileinput.Options{DirPattern: "**/*.json"})
		for _, e := range perrs {
			errs = append(errs, &collectors.InputError{Source: s.name, Location: e.Error(), Err: e})
		}
		for _, f := range files {
			if ctx.Err() != nil {
				errs = append(errs, ctx.Err())
				break
			}
			fh, err := os.Open(f)
			if err != nil {
				errs = append(errs, &collectors.InputError{Source: s.name, Location: f, Err: fmt.Errorf("opening CAI export: %w", err)})
				continue
			}
			readOne(f, fileinput.DecodedReader(fh))
			fh.Close()
		}
	}
	res := mp.resources()
	types := s.cfg.AssetTypes
	if len(types) == 0 {
		seen := map[string]bool{}
		for _, a := range mp.assets {
			if !seen[a.AssetType] {
				seen[a.AssetType] = true
				types = append(types, a.AssetType)
			}
		}
		sort.Strings(types)
	}
	projects := s.cfg.Projects
	if len(projects) == 0 {
		seen := map[string]bool{}
		for _, r := range res {
			if r.Account != "" && !seen[r.Account] {
				seen[r.Account] = true
				projects = append(projects, r.Account)
			}
		}
	}
	return collectors.Inventory{Source: s.name, Resources: res, Coverage: coverage(types, projects)}, errs
}

func (s *FileSource) readGCS(ctx context.Context, readOne func(string, io.Reader)) []error {
	if s.cfg.Client == nil {
		return []error{&collectors.InputError{Source: s.name, Location: "gs://" + s.cfg.Bucket, Err: errors.New("no GCS client configured")}}
	}
	bkt := s.cfg.Client.Bucket(s.cfg.Bucket)
	it := bkt.Objects(ctx, &storage.Query{Prefix: s.cfg.Prefix})
	var errs []error
	for {
		a, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return append(errs, &collectors.InputError{Source: s.name, Location: "gs://" + s.cfg.Bucket + "/" + s.cfg.Prefix,
				Err: fmt.Errorf("listing CAI exports: %w", err)})
		}
		if strings.HasSuffix(a.Name, "/") {
			continue
		}
		loc := "gs://" + s.cfg.Bucket + "/" + a.Name
		rc, err := bkt.Object(a.Name).NewReader(ctx)
		if err != nil {
			errs = append(errs, &collectors.InputError{Source: s.name, Location: loc, Err: fmt.Errorf("reading CAI export: %w", err)})
			continue
		}
		readOne(loc, rc)
		rc.Close()
	}
	return errs
}

// offsetError carries the byte offset of a decoding error.
type offsetError struct {
	off int64
	err error
}

func (e *offsetError) Error() string { return e.err.Error() }
func (e *offsetError) Unwrap() error { return e.err }

func placeOf(err error, n int) string {
	var oe *offsetError
	if errors.As(err, &oe) {
		return fmt.Sprintf("offset %d (after %d assets)", oe.off, n)
	}
	return fmt.Sprintf("asset %d", n+1)
}

// DecodeAssets streams assets from r: one per line, a JSON array, or
// concatenated objects. It calls fn for each and returns how many it
// decoded; it stops at the first syntax error (an error carrying the byte
// offset), keeping what came before. Objects that are not assets (no name
// or asset type) are skipped and reported after the rest was read.
func DecodeAssets(r io.Reader, fn func(Asset)) (int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	first := byte(0)
	for {
		b, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return 0, nil // empty file: no assets
		}
		if err != nil {
			return 0, fmt.Errorf("reading assets: %w", err)
		}
		if b == ' ' || b == '\n' || b == '\r' || b == '\t' {
			continue
		}
		first = b
		_ = br.UnreadByte()
		break
	}
	dec := json.NewDecoder(br)
	dec.UseNumber()
	n := 0
	var bad error
	one := func() error {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return err
		}
		a, err := assetFromMap(m)
		if err != nil {
			if bad == nil {
				bad = fmt.Errorf("asset %d: %w", n+1, err)
			}
			return nil
		}
		n++
		fn(a)
		return nil
	}
	wrap := func(err error) error {
		return &offsetError{off: dec.InputOffset(), err: fmt.Errorf("decoding assets: %w", err)}
	}
	switch first {
	case '[':
		if _, err := dec.Token(); err != nil {
			return n, wrap(err)
		}
		for dec.More() {
			if err := one(); err != nil {
				return n, wrap(err)
			}
		}
		if _, err := dec.Token(); err != nil {
			return n, wrap(err)
		}
		if t, err := dec.Token(); !errors.Is(err, io.EOF) {
			if err == nil {
				err = fmt.Errorf("unexpected %v after the asset array", t)
			} else {
				err = fmt.Errorf("after the asset array: %w", err)
			}
			return n, wrap(err)
		}
	case '{':
		for {
			err := one()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return n, wrap(err)
			}
		}
	default:
		return 0, wrap(fmt.Errorf("unexpected %q where an asset object or array should start", first))
	}
	return n, bad
}
