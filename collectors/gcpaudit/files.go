package gcpaudit

import (
	"bytes"
	"context"
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

	"cloud.google.com/go/storage"
	"google.golang.org/api/iterator"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/internal/fileinput"
	"github.com/driftwarden/driftwarden/model"
)

// maxLineBytes bounds one LogEntry line (audit entries are capped at
// 512 KiB; the rest is JSON escaping headroom).
const maxLineBytes = 2 << 20

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
	Logs   []string
	Logger *slog.Logger
}

// FilesSource reads the JSON files a Cloud Logging sink writes to Cloud
// Storage (cloudaudit.googleapis.com/<log>/YYYY/MM/DD/HH:MM:SS_HH:MM:SS_S0.json,
// one LogEntry JSON per line), from GCS or a local directory.
//
// Files are read in name order, which is time order within one log. The
// checkpoint of each log ("files/<log>") is the name of the last file read
// completely; the next cycle reads only files with a greater name, so no
// file is read twice. A malformed line is an *collectors.InputError naming
// the file and line and costs only that line; a file that cannot be read
// (I/O error) stops that log for the cycle before it, keeping the
// checkpoint at the previous file, and its partly read events are dropped
// so that the next cycle reads it whole without counting anything twice.
// A sink writes each file once, after its time window closed; a file that
// appears later with a smaller name than the checkpoint would be missed.
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

// Events reads the files written since the checkpoints.
func (s *FilesSource) Events(ctx context.Context, cp collectors.CheckpointReader) (collectors.EventBatch, []error) {
	batch := collectors.EventBatch{Source: s.name, Checkpoints: map[string]string{}}
	var errs []error
	seen := map[string]bool{}
	for _, lg := range s.cfg.Logs {
		key := "files/" + lg
		after, err := cp.Checkpoint(ctx, s.name, key)
		if err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("%s: reading checkpoint %s: %w", s.name, key, err))
			continue
		}
		objs, err := s.list(ctx, lg, after)
		if err != nil {
			errs = append(errs, &collectors.InputError{Source: s.name, Location: s.where(lg), Err: err})
			continue
		}
		for _, o := range objs {
			evs, ferrs, err := s.readObject(ctx, o)
			errs = append(errs, ferrs...)
			if err != nil {
				errs = append(errs, &collectors.InputError{Source: s.name, Location: o.loc, Err: err})
				break
			}
			for _, ev := range evs {
				if !seen[ev.ID] {
					seen[ev.ID] = true
					batch.Events = append(batch.Events, ev)
				}
			}
			batch.Checkpoints[key] = o.name
		}
	}
	sort.SliceStable(batch.Events, func(i, j int) bool { return batch.Events[i].Time.Before(batch.Events[j].Time) })
	batch.Events = MergeOperations(batch.Events)
	return batch, errs
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
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".json") {
			return nil
		}
		rel, err := filepath.Rel(s.cfg.Dir, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
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

// readObject streams one file. Bad lines are returned as errors; err is
// set when the file itself could not be read.
func (s *FilesSource) readObject(ctx context.Context, o object) (evs []model.Event, lineErrs []error, err error) {
	rc, err := o.open(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("opening export file: %w", err)
	}
	defer rc.Close()
	lr := fileinput.NewLineReader(fileinput.DecodedReader(rc), maxLineBytes)
	skipped := 0
	for {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		line, tooLong, rerr := lr.Next()
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return nil, nil, fmt.Errorf("reading export file after line %d: %w", lr.Line(), rerr)
		}
		place := fmt.Sprintf("line %d", lr.Line())
		if tooLong {
			lineErrs = append(lineErrs, &collectors.InputError{Source: s.name, Location: o.loc, Place: place,
				Err: fmt.Errorf("line longer than %d bytes", maxLineBytes)})
			continue
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		ev, perr := ParseEntry(line)
		if errors.Is(perr, ErrNotAuditLog) {
			skipped++
			continue
		}
		if perr != nil {
			lineErrs = append(lineErrs, &collectors.InputError{Source: s.name, Location: o.loc, Place: place, Err: perr})
			continue
		}
		evs = append(evs, ev)
	}
	if skipped > 0 {
		s.log.Debug("skipped non-audit log entries", "source", s.name, "file", path.Base(o.name), "entries", skipped)
	}
	return evs, lineErrs, nil
}
