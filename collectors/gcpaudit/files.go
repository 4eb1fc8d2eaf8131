package gcpaudit

import (
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
	"time"

	"cloud.google.com/go/storage"
	"google.golang.org/api/iterator"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/internal/fileinput"
	"github.com/driftwarden/driftwarden/internal/relist"
	"github.com/driftwarden/driftwarden/model"
)

// maxRecordBytes bounds one record of an export file: a LogEntry line
// (audit entries are capped at 512 KiB, plus JSON escaping) or a whole
// Pub/Sub pull response, whose messages carry their entries in base64 (a
// third larger) and which is one JSON value however many messages it holds.
const maxRecordBytes = 32 << 20

// DefaultLogs are the audit logs read when none are configured.
var DefaultLogs = []string{"activity"}

// KnownLogs are the Cloud Audit Logs a source may read.
var KnownLogs = map[string]bool{"activity": true, "data_access": true, "system_event": true, "policy": true}

// FilesConfig configures a source of log-sink exports.
type FilesConfig struct {
	// Dir is a local directory holding a copy of the sink's bucket (the
	// folder containing cloudaudit.googleapis.com/).
	Dir string
	// Bucket and Prefix name the sink's GCS bucket (Prefix optional, the
	// folder containing cloudaudit.googleapis.com/). Used when Dir is empty.
	Bucket string
	Prefix string
	// Client is the GCS client (required with Bucket).
	Client *storage.Client
	// Logs are the audit logs to read (activity, data_access,
	// system_event, policy); default DefaultLogs.
	Logs []string
	// RelistWindow is how far back, in the start times of the file names,
	// each cycle lists again to find files written late or out of order
	// (default DefaultRelistWindow). A file older than this when it appears
	// is never read.
	RelistWindow time.Duration
	Logger       *slog.Logger
}

// DefaultRelistWindow is how far back a files source lists again for files
// written late or out of order, by default.
const DefaultRelistWindow = 30 * time.Minute

// maxProcessedFiles bounds the processed file names kept per log.
const maxProcessedFiles = 4096

// FilesSource reads the JSON files a Cloud Logging sink writes to Cloud
// Storage (cloudaudit.googleapis.com/<log>/YYYY/MM/DD/HH:MM:SS_HH:MM:SS_S0.json,
// one LogEntry JSON per line), from GCS or a local directory. Files laid
// out the same way may also hold the Pub/Sub deliveries of a sink to a
// topic (push requests, pulled messages, pull responses; see the package
// documentation).
//
// Files are read in name order, which is time order within one log. Name
// order is not write order: the sink writes the shards of an hour (S0, S1,
// ...) one after the other, and an hour's file can be written after a later
// hour's. So the checkpoint of each log ("files/<log>") is a resume window,
// not a single name: a low-water mark (every name up to it is done) and the
// names processed after it. Each cycle lists from the low-water mark
// (StartOffset), skips the files already processed, reads the new ones in
// name order, then moves the low-water mark to the start of the hour
// RelistWindow before the start time of the newest file read, forgetting
// the processed names before it. A file whose hour reaches into that window
// is read exactly once whenever it appears; one written later than that is
// never read. At most maxProcessedFiles names are kept per log (the oldest
// are dropped past that). A malformed line is an *collectors.InputError naming
// the file and line and costs only that line; a file that cannot be read
// (I/O error) stops that log for the cycle before it, keeping the
// checkpoint at the previous file, and its partly read events are dropped
// so that the next cycle reads it whole without counting anything twice.
// Checkpoints of earlier versions (the bare name of the last file read)
// are read as a low-water mark with nothing processed after it.
type FilesSource struct {
	name string
	cfg  FilesConfig
	log  *slog.Logger
}

var _ collectors.EventSource = (*FilesSource)(nil)

// NewFilesSource returns a source of sink exports.
func NewFilesSource(name string, cfg FilesConfig) *FilesSource {
	if len(cfg.Logs) == 0 {
		cfg.Logs = DefaultLogs
	}
	l := cfg.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &FilesSource{name: name, cfg: cfg, log: l}
}

// Name is the configured source name.
func (s *FilesSource) Name() string { return s.name }

// object is one export file to read.
type object struct {
	name string // checkpoint name: path relative to Dir or the object name
	open func(ctx context.Context) (io.ReadCloser, error)
	loc  string // for errors
}

// filesCheckpoint is the stored value per log.
type filesCheckpoint struct {
	// After is the low-water mark: every name up to it was read (or is
	// older than the window); listing starts after it.
	After string `json:"after,omitempty"`
	// Done are the names after After read, relative to the log's folder
	// (cloudaudit.googleapis.com/<log>/), sorted.
	Done []string `json:"done,omitempty"`
}

// Events reads the files written since the checkpoints.
func (s *FilesSource) Events(ctx context.Context, cp collectors.CheckpointReader) (collectors.EventBatch, []error) {
	batch := collectors.EventBatch{Source: s.name, Checkpoints: map[string]string{}}
	var errs []error
	seen := map[string]bool{}
	for _, lg := range s.cfg.Logs {
		key := "files/" + lg
		stored, err := cp.Checkpoint(ctx, s.name, key)
		if err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("%s: reading checkpoint %s: %w", s.name, key, err))
			continue
		}
		c := filesCheckpoint{After: stored} // a bare name (earlier versions)
		if strings.HasPrefix(stored, "{") {
			c = filesCheckpoint{}
			if err := json.Unmarshal([]byte(stored), &c); err != nil {
				errs = append(errs, fmt.Errorf("%s: reading checkpoint %s: %w", s.name, key, err))
				continue
			}
		}
		prefix := s.namePrefix(lg)
		done := make(map[string]bool, len(c.Done))
		for _, d := range c.Done {
			if n := prefix + d; n > c.After {
				done[n] = true
			}
		}
		objs, err := s.list(ctx, lg, c.After)
		if err != nil {
			errs = append(errs, &collectors.InputError{Source: s.name, Location: s.where(lg), Err: err})
			continue
		}
		held := ""
		for _, o := range objs {
			if done[o.name] {
				continue
			}
			evs, ferrs, err := s.readObject(ctx, o)
			errs = append(errs, ferrs...)
			if err != nil {
				errs = append(errs, &collectors.InputError{Source: s.name, Location: o.loc, Err: err})
				held = o.name
				break
			}
			for _, ev := range evs {
				if !seen[ev.ID] {
					seen[ev.ID] = true
					batch.Add(ev)
				}
			}
			done[o.name] = true
		}
		var next filesCheckpoint
		next.After, next.Done = relist.Advance(c.After, done, held, s.windowStart(prefix), maxProcessedFiles)
		for i, n := range next.Done {
			next.Done[i] = strings.TrimPrefix(n, prefix)
		}
		if next.After == "" && len(next.Done) == 0 {
			continue
		}
		if v, err := json.Marshal(next); err == nil && string(v) != stored {
			batch.Checkpoints[key] = string(v)
		}
	}
	sort.SliceStable(batch.Events, func(i, j int) bool { return batch.Events[i].Time.Before(batch.Events[j].Time) })
	batch.Events = MergeOperations(batch.Events)
	return batch, errs
}

// namePrefix is the part of a log's file names (checkpoint names) before
// YYYY/MM/DD/.
func (s *FilesSource) namePrefix(lg string) string {
	if s.cfg.Dir != "" {
		return "cloudaudit.googleapis.com/" + lg + "/"
	}
	return s.logPrefix(lg)
}

// windowStart returns the function giving the low-water name of the window
// ending at the newest processed name: the start of the hour RelistWindow
// before its start time, which sorts before every file of that hour and
// after every earlier one ("" when the name has no start time).
func (s *FilesSource) windowStart(prefix string) func(newest string) string {
	window := s.cfg.RelistWindow
	if window <= 0 {
		window = DefaultRelistWindow
	}
	return func(newest string) string {
		rel := strings.TrimPrefix(newest, prefix)
		if len(rel) < len("2006/01/02/15:04:05") || len(rel) == len(newest) {
			return ""
		}
		t, err := time.Parse("2006/01/02/15:04:05", rel[:len("2006/01/02/15:04:05")])
		if err != nil {
			return ""
		}
		return prefix + t.Add(-window).Truncate(time.Hour).Format("2006/01/02/15:04:05")
	}
}

func (s *FilesSource) where(lg string) string {
	if s.cfg.Dir != "" {
		return filepath.Join(s.cfg.Dir, "cloudaudit.googleapis.com", lg)
	}
	return "gs://" + s.cfg.Bucket + "/" + s.logPrefix(lg)
}

func (s *FilesSource) logPrefix(lg string) string {
	p := strings.Trim(s.cfg.Prefix, "/")
	if p != "" {
		p += "/"
	}
	return p + "cloudaudit.googleapis.com/" + lg + "/"
}

// list returns the files of a log with names greater than after, in name order.
func (s *FilesSource) list(ctx context.Context, lg, after string) ([]object, error) {
	if s.cfg.Dir != "" {
		return s.listDir(lg, after)
	}
	if s.cfg.Client == nil {
		return nil, errors.New("listing sink exports: no GCS client configured")
	}
	prefix := s.logPrefix(lg)
	q := &storage.Query{Prefix: prefix, StartOffset: after}
	if err := q.SetAttrSelection([]string{"Name", "Size"}); err != nil {
		return nil, fmt.Errorf("listing sink exports: %w", err)
	}
	bkt := s.cfg.Client.Bucket(s.cfg.Bucket)
	it := bkt.Objects(ctx, q)
	var out []object
	for {
		a, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("listing sink exports: %w", err)
		}
		if a.Name <= after || !strings.HasSuffix(a.Name, ".json") {
			continue
		}
		name := a.Name
		out = append(out, object{name: name, loc: "gs://" + s.cfg.Bucket + "/" + name,
			open: func(ctx context.Context) (io.ReadCloser, error) { return bkt.Object(name).NewReader(ctx) }})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

func (s *FilesSource) listDir(lg, after string) ([]object, error) {
	if _, err := os.Stat(s.cfg.Dir); err != nil {
		return nil, fmt.Errorf("listing sink exports: %w", err)
	}
	root := filepath.Join(s.cfg.Dir, "cloudaudit.googleapis.com", lg)
	var out []object
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll // nothing exported for this log yet
			}
			return err
		}
		rel, err := filepath.Rel(s.cfg.Dir, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		if d.IsDir() {
			// A folder whose every name sorts before after (an earlier
			// day) is not walked.
			if dir := name + "/"; p != root && dir < after && !strings.HasPrefix(after, dir) {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(d.Name(), ".json") {
			return nil
		}
		if name <= after {
			return nil
		}
		file := p
		out = append(out, object{name: name, loc: file,
			open: func(context.Context) (io.ReadCloser, error) { return os.Open(file) }})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing sink exports: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// readObject streams one file. Bad records are returned as errors; err is
// set when the file itself could not be read. Files hold one LogEntry per
// line (what a sink writes); entries pretty-printed one after the other or
// in a JSON array (`gcloud logging read --format=json`) are read too, and
// so are Pub/Sub push deliveries, received messages and pull responses
// carrying entries (parseValue), recognised one JSON value at a time.
func (s *FilesSource) readObject(ctx context.Context, o object) (evs []model.Event, lineErrs []error, err error) {
	rc, err := o.open(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("opening export file: %w", err)
	}
	defer rc.Close()
	rr := fileinput.NewRecordReader(fileinput.DecodedReader(rc), maxRecordBytes)
	skipped := 0
	records := -1 // the index of the entry at hand among the file's
	for {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		rec, rerr := rr.Next()
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return nil, nil, fmt.Errorf("reading export file after line %d: %w", rr.Line(), rerr)
		}
		bad := func(place string, err error) {
			lineErrs = append(lineErrs, &collectors.InputError{Source: s.name, Location: o.loc, Place: place, Err: err})
		}
		if rec.Problem != "" {
			bad(rec.Place(), fmt.Errorf("LogEntry %s", rec.Problem))
			continue
		}
		vals, verr := fileinput.SplitValues(rec.Data)
		if verr != nil {
			bad(rec.Place(), fmt.Errorf("decoding LogEntry JSON: %w", verr))
		}
		var entries []json.RawMessage
		isArray := len(vals) > 1
		for _, v := range vals {
			if len(v) > 0 && v[0] == '[' {
				isArray = true
				var arr []json.RawMessage
				if err := json.Unmarshal(v, &arr); err != nil {
					bad(rec.Place(), fmt.Errorf("decoding array of LogEntry JSON: %w", err))
					continue
				}
				entries = append(entries, arr...)
				continue
			}
			entries = append(entries, v)
		}
		for i, e := range entries {
			for _, p := range parseValue(e) {
				records++
				if errors.Is(p.err, ErrNotAuditLog) {
					skipped++
					continue
				}
				if p.err != nil {
					place := rec.Place()
					if isArray {
						place += fmt.Sprintf(", entry %d", i+1)
					}
					if p.where != "" {
						place += ", " + p.where
					}
					bad(place, p.err)
					continue
				}
				p.ev.Origin = model.Origin{File: o.loc, Record: records, Line: rec.First}
				evs = append(evs, p.ev)
			}
		}
	}
	if skipped > 0 {
		s.log.Debug("skipped non-audit log entries", "source", s.name, "file", path.Base(o.name), "entries", skipped)
	}
	return evs, lineErrs, nil
}
