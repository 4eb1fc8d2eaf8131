package cloudtrail

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/internal/relist"
	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

// objectStore is where log files live: a local directory or an S3 bucket,
// both holding the S3 delivery layout with "/" separated keys.
type objectStore interface {
	// Prefixes lists the "sub-directories" directly under prefix.
	Prefixes(ctx context.Context, prefix string) ([]string, error)
	// Keys lists every object under prefix that sorts after startAfter, sorted.
	Keys(ctx context.Context, prefix, startAfter string) ([]string, error)
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Location names the store in messages (a directory or s3://bucket).
	Location(key string) string
	// Signature is a digest file's hex signature (S3 metadata
	// x-amz-meta-signature; a local "<key>.sig" sidecar), "" when absent.
	Signature(ctx context.Context, key string) (string, error)
}

// FileConfig configures a log file source.
type FileConfig struct {
	// Dir is a local directory holding the delivery layout; or Bucket (with
	// Prefix) in S3 through Client.
	Dir    string
	Bucket string
	Prefix string
	Client S3API
	// Accounts and Regions restrict what is read (empty: every one found).
	Accounts []string
	Regions  []string
	Options  Options
	// MaxAttempts is how many cycles a file that cannot be read holds its
	// account/region back before it is skipped with an error (default 3).
	MaxAttempts int
	// RelistWindow is how far back, in the delivery time of the file names,
	// each cycle lists again to find files delivered late or out of order
	// (default DefaultRelistWindow). A file older than this when it appears
	// is never read.
	RelistWindow time.Duration
	Logger       *slog.Logger
	// Ingested, when set, is called with the number of events read per file
	// (driftwarden_events_ingested_total{source}).
	Ingested func(n int)
	// Layout is where the objects are: LayoutCloudTrail ("" too), the
	// delivery layout above, or LayoutFirehose, a Firehose stream's objects
	// under Prefix (CloudTrail through CloudWatch Logs). Either may hold
	// CloudTrail log files or CloudWatch Logs subscription envelopes: each
	// file is read as its content says (cwlogs.go).
	Layout string
	// ValidateDigests turns on log file integrity validation: the hourly
	// digest files under CloudTrail-Digest/ are verified (signature, chain,
	// the SHA-256 of every log file they list) and every problem becomes a
	// critical integrity_failure finding. PublicKeys is then required.
	ValidateDigests bool
	PublicKeys      PublicKeys
}

// S3API is the part of the S3 client the sources use.
type S3API interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

// FileSource reads CloudTrail log files incrementally, per account and
// region, in key order (which is delivery time order: the date folder, then
// the YYYYMMDDTHHmmZ of the name, then its random suffix).
//
// Key order is not arrival order: two files delivered in the same minute
// sort by their random suffix, and CloudTrail delivers some files late. So
// the checkpoint of an account/region is a resume window, not a single key:
// a low-water mark (every key up to it is done) and the keys processed
// after it. Each cycle lists from the low-water mark, skips the keys
// already processed, reads the new ones in order, then moves the low-water
// mark to RelistWindow before the delivery time of the newest file read
// and forgets the processed keys before it. A file that appears within the
// window of the newest file read, whatever its name, is read exactly once;
// one that appears later than that (its delivery time more than
// RelistWindow before the newest file's) is never read. At most
// maxProcessedKeys keys are kept per account/region; past that the oldest
// are dropped and the low-water mark moves up to them.
//
// A file that cannot be read completely (truncated gzip, not JSON) keeps
// the events before the damage, reports an *collectors.InputError naming
// the file and record, and is not marked processed: the next cycle reads it
// again (events are de-duplicated by eventID downstream, so the re-read
// records count once) and nothing after it is read this cycle, so the
// low-water mark never passes it. After MaxAttempts cycles it is skipped
// with an error saying so, so one corrupt file cannot stop ingestion for
// good.
type FileSource struct {
	name  string
	cfg   FileConfig
	store objectStore
	log   *slog.Logger
}

// NewFileSource builds a log file source.
func NewFileSource(name string, cfg FileConfig) (*FileSource, error) {
	s := &FileSource{name: name, cfg: cfg, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.cfg.MaxAttempts <= 0 {
		s.cfg.MaxAttempts = 3
	}
	switch {
	case cfg.Dir != "" && cfg.Bucket != "":
		return nil, errors.New("cloudtrail files: set a directory or a bucket, not both")
	case cfg.Dir != "":
		s.store = localStore{root: cfg.Dir}
	case cfg.Bucket != "":
		if cfg.Client == nil {
			return nil, errors.New("cloudtrail files: bucket without an S3 client")
		}
		s.store = &s3Store{client: cfg.Client, bucket: cfg.Bucket}
	default:
		return nil, errors.New("cloudtrail files: a directory or a bucket is required")
	}
	switch cfg.Layout {
	case "", LayoutCloudTrail, LayoutFirehose:
	default:
		return nil, fmt.Errorf("cloudtrail files: unknown layout %q (%s or %s)", cfg.Layout, LayoutCloudTrail, LayoutFirehose)
	}
	if cfg.ValidateDigests && cfg.Layout == LayoutFirehose {
		return nil, errors.New("cloudtrail files: digest validation applies to CloudTrail's own delivery, not to Firehose objects (no digest covers them)")
	}
	if cfg.ValidateDigests && cfg.PublicKeys == nil {
		return nil, errors.New("cloudtrail files: digest validation needs CloudTrail public keys (ListPublicKeys or a PEM file)")
	}
	return s, nil
}

// Name is the configured source name.
func (s *FileSource) Name() string { return s.name }

// DefaultRelistWindow is how far back a file source lists again for files
// delivered late or out of order, by default.
const DefaultRelistWindow = 30 * time.Minute

// maxProcessedKeys bounds the processed keys kept per account/region
// (CloudTrail delivers a few files per 5 minutes per account and region;
// very busy ones more).
const maxProcessedKeys = 4096

// fileCheckpoint is the stored value per account/region prefix. Earlier
// versions stored a bare key, then {"after","failing","attempts"} with
// After the last key read: both read as a low-water mark with nothing
// processed after it.
type fileCheckpoint struct {
	// After is the low-water mark: every key up to it was read completely
	// (or skipped, or is older than the window); listing starts after it.
	After string `json:"after,omitempty"`
	// Done are the keys after After read completely (or skipped), relative
	// to the account/region prefix, sorted.
	Done []string `json:"done,omitempty"`
	// Failing is a key that could not be read, and how often.
	Failing  string `json:"failing,omitempty"`
	Attempts int    `json:"attempts,omitempty"`
}

// Events reads the log files delivered since the checkpoints.
func (s *FileSource) Events(ctx context.Context, cp collectors.CheckpointReader) (collectors.EventBatch, []error) {
	batch := collectors.EventBatch{Source: s.name, Checkpoints: map[string]string{}}
	prefixes, errs := s.logPrefixes(ctx)
	seen := map[string]bool{}
	for _, p := range prefixes {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		key := "files:" + p
		var c fileCheckpoint
		stored, err := cp.Checkpoint(ctx, s.name, key)
		if err == nil {
			if err := json.Unmarshal([]byte(stored), &c); err != nil {
				c = fileCheckpoint{After: stored} // a bare key
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			errs = append(errs, fmt.Errorf("cloudtrail source %s: reading checkpoint %s: %w", s.name, key, err))
			continue
		}
		done := make(map[string]bool, len(c.Done))
		for _, d := range c.Done {
			if k := p + d; k > c.After {
				done[k] = true
			}
		}
		keys, err := s.store.Keys(ctx, p, c.After)
		if err != nil {
			errs = append(errs, &collectors.InputError{Source: s.name, Location: s.store.Location(p), Err: fmt.Errorf("listing log files: %w", err)})
			continue
		}
		held, attempts := "", 0 // the file holding the prefix back this cycle
		for _, k := range keys {
			if done[k] || !s.isLogKey(p, k) {
				continue
			}
			if ctx.Err() != nil {
				errs = append(errs, ctx.Err())
				held = k
				break
			}
			n, err := s.readFile(ctx, k, &batch, seen)
			if s.cfg.Ingested != nil && n > 0 {
				s.cfg.Ingested(n)
			}
			if err == nil {
				done[k] = true
				continue
			}
			if ctx.Err() != nil { // interrupted, not damaged: no attempt spent
				errs = append(errs, err)
				held = k
				if c.Failing == k {
					attempts = c.Attempts
				}
				break
			}
			if errors.Is(err, ErrNotLogFile) {
				// Not a log file (a digest, a manifest, another tool's
				// JSON, no Records array; another compression or a binary
				// format): reading it again cannot help.
				errs = append(errs, fmt.Errorf("%w (skipped)", err))
				done[k] = true
				continue
			}
			attempts = 1
			if c.Failing == k {
				attempts = c.Attempts + 1
			}
			if attempts >= s.cfg.MaxAttempts {
				errs = append(errs, fmt.Errorf("%w (skipped after %d attempts)", err, attempts))
				done[k] = true
				continue
			}
			errs = append(errs, err)
			held = k
			break
		}
		next := fileCheckpoint{Failing: held, Attempts: attempts}
		if held == "" {
			next.Attempts = 0
		}
		next.After, next.Done = relist.Advance(c.After, done, held, s.windowStart(p), maxProcessedKeys)
		for i, k := range next.Done {
			next.Done[i] = strings.TrimPrefix(k, p)
		}
		if next.After == "" && next.Failing == "" && len(next.Done) == 0 {
			continue
		}
		if v, err := json.Marshal(next); err == nil && string(v) != stored {
			batch.Checkpoints[key] = string(v)
		}
	}
	if s.cfg.ValidateDigests && ctx.Err() == nil {
		errs = append(errs, s.validateDigests(ctx, cp, &batch)...)
	}
	return batch, errs
}

// windowStart returns, for the account/region prefix p, the function giving
// the low-water key of the window ending at the newest processed key: a key
// that sorts before every key of the prefix delivered at most RelistWindow
// before it and after every older one ("" when the newest key has no
// delivery time).
func (s *FileSource) windowStart(p string) func(newest string) string {
	window := s.cfg.RelistWindow
	if window <= 0 {
		window = DefaultRelistWindow
	}
	if s.firehose() {
		return firehoseWindowStart(p, window)
	}
	segs := strings.Split(strings.TrimSuffix(p, "/"), "/")
	return func(newest string) string {
		t := deliveryTime(newest)
		if t.IsZero() {
			return ""
		}
		w := t.Add(-window).UTC()
		day := p + w.Format("2006/01/02/")
		if len(segs) < 3 {
			return day
		}
		// <prefix>/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ: every
		// file of that minute extends it, every earlier one sorts below it.
		n := len(segs)
		return day + segs[n-3] + "_" + segs[n-2] + "_" + segs[n-1] + "_" + w.Format("20060102T1504Z")
	}
}

// readFile streams one log file into the batch (or, when its content says
// so, a file of CloudWatch Logs envelopes: readDocuments). It returns the
// number of events kept and an *InputError when the file could not be read
// whole. A file in memory is tried as a log file first, so that a log
// file's reading costs nothing more.
func (s *FileSource) readFile(ctx context.Context, key string, batch *collectors.EventBatch, seen map[string]bool) (int, error) {
	loc := s.store.Location(key)
	rc, err := s.store.Open(ctx, key)
	if err != nil {
		return 0, &collectors.InputError{Source: s.name, Location: loc, Err: fmt.Errorf("opening log file: %w", err)}
	}
	defer rc.Close()
	in, release := readAhead(rc)
	defer release()
	mem, _ := in.(*bytes.Reader)
	if mem == nil {
		// Streamed (large): what it holds is told from its start.
		var content fileContent
		if content, in = sniffContent(in); content == contentDocuments {
			return s.readDocuments(key, in, batch, seen)
		}
	}
	kept, scanned, err := s.readLogFile(key, in, batch, seen)
	if err != nil && scanned == 0 && mem != nil && holdsDocuments(mem) {
		// No record from its start: it may be a file of CloudWatch Logs
		// envelopes (told by its content, cwlogs.go), read again as such.
		return s.readDocuments(key, mem, batch, seen)
	}
	if errors.Is(err, ErrTrailingData) {
		// Every record was read; reading it again would give the same.
		s.log.Warn("bytes after the last document of a CloudTrail log file; its records were read", "source", s.name, "file", s.store.Location(key), "error", err)
		err = nil
	}
	if err != nil {
		return kept, &collectors.InputError{Source: s.name, Location: s.store.Location(key), Place: placeOf(err), Err: err}
	}
	return kept, nil
}

// readLogFile reads the records of a CloudTrail log file into the batch
// (events whose id is in seen are not added again). It returns the events
// kept, the records scanned and streamRecords' error.
func (s *FileSource) readLogFile(key string, in io.Reader, batch *collectors.EventBatch, seen map[string]bool) (kept, scanned int, err error) {
	loc := s.store.Location(key)
	delivered := s.fileTime(key)
	var ar arena // the kept events' strings and RequestJSON
	scanned, err = streamRecords(in, func(i int, raw, ro, name []byte, members []int32) error {
		if s.cfg.Options.skipFast(ro, name) {
			return nil
		}
		ev, err := fileEvent(raw, members, s.cfg.Options, &ar)
		if err == errSkipped {
			return nil
		}
		if err != nil {
			// One bad record costs only itself.
			s.log.Warn("skipping a CloudTrail record", "source", s.name, "file", loc, "record", i, "error", err)
			return nil
		}
		if ev.Time.IsZero() {
			s.log.Warn("CloudTrail record without a usable eventTime; using the file's delivery time", "source", s.name, "file", loc, "record", i)
			ev.Time = delivered
		}
		if seen[ev.ID] || !s.wanted(ev) {
			return nil
		}
		seen[ev.ID] = true
		ev.Origin = model.Origin{File: loc, Record: i}
		batch.Add(ev)
		kept++
		return nil
	})
	return kept, scanned, err
}

// fileEvent normalises one record of a log file as the file source keeps
// it: without Raw, which nothing downstream reads (evidence and the API
// drop it) and which would cost a copy of every kept record; the event's
// Origin names the file and record instead.
func fileEvent(raw []byte, members []int32, opts Options, ar *arena) (model.Event, error) {
	return normalizeWith(raw, members, opts, rawOmit, ar)
}

// readAheadMax is the size up to which a log file is read into memory
// before it is decoded (CloudTrail's files are a few MB compressed at
// most): the decompressor reads bytes in memory faster than through a
// buffered reader. A larger file is streamed.
const readAheadMax = 16 << 20

var readAheadPool sync.Pool

// readAhead reads r into a pooled buffer, up to readAheadMax bytes: the
// returned reader is a *bytes.Reader when that was all of it, or the bytes
// read followed by the rest of r, or by r's error. release returns the
// buffer; the reader must not be used after it.
func readAhead(r io.Reader) (io.Reader, func()) {
	buf, _ := readAheadPool.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	release := func() {
		if buf.Cap() <= 2*readAheadMax {
			readAheadPool.Put(buf)
		}
	}
	n, err := buf.ReadFrom(io.LimitReader(r, readAheadMax))
	switch {
	case err != nil:
		return io.MultiReader(bytes.NewReader(buf.Bytes()), failReader{err}), release
	case n < readAheadMax:
		return bytes.NewReader(buf.Bytes()), release
	default:
		return io.MultiReader(bytes.NewReader(buf.Bytes()), r), release
	}
}

// failReader fails every read with its error.
type failReader struct{ err error }

func (f failReader) Read([]byte) (int, error) { return 0, f.err }

func placeOf(err error) string {
	msg := err.Error()
	if strings.HasPrefix(msg, "record ") {
		if i := strings.IndexByte(msg, ':'); i > 0 {
			return msg[:i]
		}
	}
	return ""
}

// deliveryTime parses the YYYYMMDDTHHmmZ of a log file name (zero if absent).
func deliveryTime(key string) time.Time {
	base := path.Base(key)
	for _, part := range strings.Split(base, "_") {
		if len(part) == 14 && part[8] == 'T' && part[13] == 'Z' {
			if t, err := time.Parse("20060102T1504Z", part); err == nil {
				return t
			}
		}
	}
	return time.Time{}
}

// trailPrefixes discovers the account/region prefixes of the layout:
// <prefix>/AWSLogs/[o-org/]ACCOUNT/<kind>/REGION/.
func (s *FileSource) trailPrefixes(ctx context.Context, kind string) ([]string, []error) {
	root := strings.Trim(s.cfg.Prefix, "/")
	if root != "" {
		root += "/"
	}
	root += "AWSLogs/"
	var errs []error
	top, err := s.store.Prefixes(ctx, root)
	if err != nil {
		return nil, []error{&collectors.InputError{Source: s.name, Location: s.store.Location(root), Err: fmt.Errorf("listing accounts: %w", err)}}
	}
	var accounts []string // prefixes ending in ACCOUNT/
	for _, p := range top {
		seg := path.Base(strings.TrimSuffix(p, "/"))
		if strings.HasPrefix(seg, "o-") { // organisation trail
			sub, err := s.store.Prefixes(ctx, p)
			if err != nil {
				errs = append(errs, &collectors.InputError{Source: s.name, Location: s.store.Location(p), Err: fmt.Errorf("listing organisation accounts: %w", err)})
				continue
			}
			accounts = append(accounts, sub...)
			continue
		}
		accounts = append(accounts, p)
	}
	var out []string
	for _, a := range accounts {
		acct := path.Base(strings.TrimSuffix(a, "/"))
		if len(s.cfg.Accounts) > 0 && !contains(s.cfg.Accounts, acct) {
			continue
		}
		regions, err := s.store.Prefixes(ctx, a+kind+"/")
		if err != nil {
			errs = append(errs, &collectors.InputError{Source: s.name, Location: s.store.Location(a + kind + "/"), Err: fmt.Errorf("listing regions: %w", err)})
			continue
		}
		for _, r := range regions {
			reg := path.Base(strings.TrimSuffix(r, "/"))
			if len(s.cfg.Regions) > 0 && !contains(s.cfg.Regions, reg) {
				continue
			}
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out, errs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// localStore serves the layout from a directory.
type localStore struct{ root string }

func (l localStore) Location(key string) string {
	return filepath.Join(l.root, filepath.FromSlash(key))
}

func (l localStore) Prefixes(_ context.Context, prefix string) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(l.root, filepath.FromSlash(prefix)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, prefix+e.Name()+"/")
		}
	}
	return out, nil
}

// Keys lists the files whose keys start with prefix, as S3 lists objects:
// a prefix that is not a folder ("logs/ct-") takes the names in its
// folder that start with it. Keys are spelled as the prefix is (an empty
// or "." segment in it names the same folder).
func (l localStore) Keys(_ context.Context, prefix, startAfter string) ([]string, error) {
	var out []string
	folder := prefix[:strings.LastIndexByte(prefix, '/')+1]
	base := filepath.Join(l.root, filepath.FromSlash(folder))
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == base {
			return nil
		}
		rel, err := filepath.Rel(base, p)
		if err != nil {
			return err
		}
		k := folder + filepath.ToSlash(rel)
		if d.IsDir() {
			dir := k + "/"
			// A folder outside the prefix, or whose every key sorts
			// before startAfter (an earlier day), is not walked.
			if !strings.HasPrefix(dir, prefix) || dir < startAfter && !strings.HasPrefix(startAfter, dir) {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(k, prefix) && k > startAfter {
			out = append(out, k)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	sort.Strings(out)
	return out, err
}

func (l localStore) Open(_ context.Context, key string) (io.ReadCloser, error) {
	return os.Open(filepath.Join(l.root, filepath.FromSlash(key)))
}

// s3Store serves the layout from a bucket.
type s3Store struct {
	client S3API
	bucket string
}

func (s *s3Store) Location(key string) string { return "s3://" + s.bucket + "/" + key }

func (s *s3Store) Prefixes(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	var token *string
	for {
		o, err := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/"), ContinuationToken: token})
		if err != nil {
			return nil, err
		}
		for _, p := range o.CommonPrefixes {
			out = append(out, aws.ToString(p.Prefix))
		}
		if !aws.ToBool(o.IsTruncated) || o.NextContinuationToken == nil {
			return out, nil
		}
		token = o.NextContinuationToken
	}
}

func (s *s3Store) Keys(ctx context.Context, prefix, startAfter string) ([]string, error) {
	var out []string
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket), Prefix: aws.String(prefix)}
	if startAfter != "" {
		in.StartAfter = aws.String(startAfter)
	}
	for {
		o, err := s.client.ListObjectsV2(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, obj := range o.Contents {
			out = append(out, aws.ToString(obj.Key))
		}
		if !aws.ToBool(o.IsTruncated) || o.NextContinuationToken == nil {
			return out, nil
		}
		in.ContinuationToken = o.NextContinuationToken
	}
}

func (s *s3Store) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	o, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		return nil, err
	}
	return o.Body, nil
}

var _ collectors.EventSource = (*FileSource)(nil)
