package gcpasset

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
// A cycle that lost input (an unreadable file or listing, a bad line)
// declares no Coverage: what it read is compared, but nothing is reported
// missing or unmanaged until the exports read whole again.
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
		_, err := DecodeAssets(r, func(a Asset) { mp.add(a) })
		var de *DecodeError
		if errors.As(err, &de) {
			for _, re := range de.Records {
				var x *recordError
				if errors.As(re, &x) {
					errs = append(errs, &collectors.InputError{Source: s.name, Location: loc, Place: x.place, Err: x.err})
				} else {
					errs = append(errs, &collectors.InputError{Source: s.name, Location: loc, Err: re})
				}
			}
		} else if err != nil {
			errs = append(errs, &collectors.InputError{Source: s.name, Location: loc, Err: err})
		}
	}
	if s.cfg.Bucket != "" {
		errs = append(errs, s.readGCS(ctx, readOne)...)
	}
	if len(s.cfg.Paths) > 0 {
		files, perrs := expandExports(s.cfg.BaseDir, s.cfg.Paths)
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
	if len(errs) > 0 {
		// Input was lost (a file, a line, a listing): an asset it held
		// would look missing, and which types it held is unknown. The
		// resources read are still compared, but nothing is declared
		// complete this cycle, as the snapshot and Config sources do.
		return collectors.Inventory{Source: s.name, Resources: res}, errs
	}
	// A project or service account listed without the data that re-keys
	// it (names-only ListAssets, search results) keeps its number or
	// unique id, which no state uses: its type is not covered, or every
	// managed one would look missing and the live ones unmanaged.
	unkeyed := map[string]bool{}
	for _, a := range mp.assets {
		if a.Exists && !mp.rekeyed(a) {
			unkeyed[a.AssetType] = true
		}
	}
	types := s.cfg.AssetTypes
	if len(types) == 0 {
		seen := map[string]bool{}
		for _, a := range mp.assets {
			// An IAM-only (or org-policy, access-policy) export says
			// nothing of which resources exist: it covers no type.
			if (a.Data != nil || a.Exists) && !seen[a.AssetType] {
				seen[a.AssetType] = true
				types = append(types, a.AssetType)
			}
		}
		sort.Strings(types)
	}
	if len(unkeyed) > 0 {
		kept := types[:0:0]
		for _, t := range types {
			if !unkeyed[t] {
				kept = append(kept, t)
			}
		}
		types = kept
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
	// Folders are covered when configured (AssetTypes say what the export
	// holds completely) or when the files hold an organisation's export,
	// not a folder's.
	orgLevel := len(s.cfg.AssetTypes) > 0 || holdsEveryFolder(mp.assets)
	return collectors.Inventory{Source: s.name, Resources: res, Coverage: coverage(types, projects, orgLevel)}, errs
}

// expandExports resolves the configured paths. A directory means the
// export files below it: *.json, *.jsonl, *.ndjson, *.txt, and the shards
// of a per-asset-type export (<prefix>/<asset type>/<shard number>, files
// named by a number alone); files and globs are taken as named.
func expandExports(base string, paths []string) ([]string, []error) {
	var dirs, rest []string
	for _, p := range paths {
		full := p
		if !filepath.IsAbs(full) && base != "" {
			full = filepath.Join(base, full)
		}
		if fi, err := os.Stat(full); err == nil && fi.IsDir() {
			dirs = append(dirs, p)
		} else {
			rest = append(rest, p)
		}
	}
	files, errs := fileinput.Expand(base, rest, fileinput.Options{})
	if len(dirs) > 0 {
		all, derrs := fileinput.Expand(base, dirs, fileinput.Options{DirPattern: "*"})
		found := 0
		for _, f := range all {
			if exportName(filepath.Base(f)) {
				files = append(files, f)
				found++
			}
		}
		errs = append(errs, derrs...)
		if found == 0 && len(derrs) == 0 {
			errs = append(errs, fmt.Errorf("%s: no export files (*.json, *.jsonl, *.ndjson, *.txt or numbered shards) in the directory", strings.Join(dirs, ", ")))
		}
	}
	return files, errs
}

// exportName reports whether a file found in a directory is an export.
func exportName(name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json", ".jsonl", ".ndjson", ".txt":
		return true
	}
	for _, c := range name {
		if c < '0' || c > '9' {
			return false
		}
	}
	return name != ""
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

// maxRecordBytes bounds one asset (a line, or one pretty-printed object).
const maxRecordBytes = 64 << 20

// recordError is a bad record: its place (lines) and the cause.
type recordError struct {
	place string
	err   error
}

func (e *recordError) Error() string { return e.place + ": " + e.err.Error() }
func (e *recordError) Unwrap() error { return e.err }

// DecodeError lists the bad records of one file; the others were read.
type DecodeError struct {
	Records []error // each a *recordError naming its lines
}

func (e *DecodeError) Error() string {
	s := e.Records[0].Error()
	if len(e.Records) > 1 {
		s += fmt.Sprintf(" (and %d more bad records)", len(e.Records)-1)
	}
	return s
}

// DecodeAssets streams assets from r: one per line (what ExportAssets
// writes), a JSON array (pretty-printed or not, what `gcloud asset list
// --format=json` prints), or concatenated, pretty-printed objects. It calls
// fn for each asset and returns how many it decoded. A bad record (a line
// cut short, malformed JSON, an object that is not an asset) costs only
// itself: reading goes on, and the error returned (a *DecodeError) names
// the lines of every bad record.
func DecodeAssets(r io.Reader, fn func(Asset)) (int, error) {
	rr := fileinput.NewRecordReader(r, maxRecordBytes)
	n := 0
	var bad []error
	fail := func(place string, err error) {
		bad = append(bad, &recordError{place: place, err: err})
	}
	for {
		rec, err := rr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fail(fmt.Sprintf("after line %d", rr.Line()), fmt.Errorf("reading assets: %w", err))
			break
		}
		if rec.Problem != "" {
			fail(rec.Place(), fmt.Errorf("asset %s", rec.Problem))
			continue
		}
		vals, err := fileinput.SplitValues(rec.Data)
		if err != nil {
			fail(rec.Place(), fmt.Errorf("decoding assets: %w", err))
		}
		k := 0
		for _, raw := range vals {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			var v any
			if err := dec.Decode(&v); err != nil {
				fail(rec.Place(), fmt.Errorf("decoding assets: %w", err))
				continue
			}
			items := []any{v}
			if arr, ok := v.([]any); ok {
				items = arr
			}
			for _, it := range items {
				k++
				m, ok := it.(map[string]any)
				if !ok {
					fail(rec.Place(), fmt.Errorf("item %d: %s where an asset object should be", k, fileinput.JSONKind(it)))
					continue
				}
				a, err := assetFromMap(m)
				if err != nil {
					fail(rec.Place(), fmt.Errorf("item %d: %w", k, err))
					continue
				}
				n++
				fn(a)
			}
		}
	}
	if len(bad) > 0 {
		return n, &DecodeError{Records: bad}
	}
	return n, nil
}
