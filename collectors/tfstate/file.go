package tfstate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/internal/fileinput"
)

// FileConfig configures a file source.
type FileConfig struct {
	// Paths are state files, directories (every *.tfstate below) and globs
	// (* ? [...] within a path element, ** across elements).
	Paths []string
	// BaseDir resolves relative paths and anchors fallback stack names;
	// empty means the working directory.
	BaseDir string
	// Stack fixes the stack name; valid only when Paths match one file.
	Stack string
	// Owner is the team owning this source's stacks; Production marks them
	// as production. Both are for the caller (see FileSource.Owner).
	Owner      string
	Production bool
}

// FileSource reads Terraform states from local files: one stack per file.
// It implements collectors.StateSource.
type FileSource struct {
	name string
	cfg  FileConfig

	mu    sync.Mutex
	cache map[string]*fileEntry
}

// fileEntry is the outcome of the last decode of one file.
type fileEntry struct {
	size     int64
	mtime    time.Time
	name, ws string
	stack    *collectors.Stack
	err      error
	warns    []error // deposed objects skipped (the state itself loaded)
}

var _ collectors.StateSource = (*FileSource)(nil)

// NewFileSource returns a source reading the state files cfg names.
// Configuration problems (a bad glob, a fixed stack name with several
// files) are reported by States.
func NewFileSource(name string, cfg FileConfig) *FileSource {
	return &FileSource{name: name, cfg: cfg, cache: map[string]*fileEntry{}}
}

// Name is the configured source name.
func (s *FileSource) Name() string { return s.name }

// Owner is the configured owner of the source's stacks.
func (s *FileSource) Owner() string { return s.cfg.Owner }

// Production reports whether the source's stacks are production.
func (s *FileSource) Production() bool { return s.cfg.Production }

// States loads every state file, one stack each. A file that cannot be
// read or decoded yields one *collectors.InputError; the others still load.
func (s *FileSource) States(ctx context.Context) ([]collectors.Stack, []error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	base, err := s.baseDir()
	if err != nil {
		return nil, []error{&collectors.InputError{Source: s.name, Location: s.cfg.BaseDir, Err: err}}
	}
	files, errs := s.files(base)
	if s.cfg.Stack != "" && len(files) > 1 {
		return nil, append(errs, &collectors.InputError{Source: s.name, Location: strings.Join(s.cfg.Paths, ", "),
			Err: fmt.Errorf("stack name %q is fixed but the paths match %d files; a fixed name needs exactly one", s.cfg.Stack, len(files))})
	}
	names := stackNames(files, base)
	if s.cfg.Stack != "" && len(files) == 1 {
		n := names[files[0]]
		n.name = s.cfg.Stack
		names[files[0]] = n
	}
	var stacks []collectors.Stack
	seen := make(map[string]bool, len(files))
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			errs = append(errs, &collectors.InputError{Source: s.name, Location: f, Err: fmt.Errorf("loading state: %w", err)})
			break
		}
		seen[f] = true
		st, warns, err := s.load(ctx, f, names[f])
		errs = append(errs, warns...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		stacks = append(stacks, *st)
	}
	for f := range s.cache {
		if !seen[f] {
			delete(s.cache, f)
		}
	}
	return stacks, errs
}

func (s *FileSource) baseDir() (string, error) {
	base := s.cfg.BaseDir
	if base == "" {
		base = "."
	}
	abs, err := filepath.Abs(base)
	if err != nil {
		return "", fmt.Errorf("resolving base directory: %w", err)
	}
	return abs, nil
}

// load returns the stack of one file, decoding it only when it changed,
// and the warnings of its decoding (deposed objects skipped), repeated on
// every cycle the cached stack is used.
func (s *FileSource) load(ctx context.Context, file string, n stackName) (*collectors.Stack, []error, error) {
	fi, err := os.Stat(file)
	if err != nil {
		delete(s.cache, file)
		return nil, nil, &collectors.InputError{Source: s.name, Location: file, Err: fmt.Errorf("reading state file: %w", err)}
	}
	if e := s.cache[file]; e != nil && e.size == fi.Size() && e.mtime.Equal(fi.ModTime()) && e.name == n.name && e.ws == n.workspace {
		return e.stack, e.warns, e.err
	}
	var warns []error
	st, err := decodeFile(ctx, file, fi.Size(), DecodeOptions{Source: s.name, Location: file, Stack: n.name, Workspace: n.workspace,
		Warn: func(w error) { warns = append(warns, w) }})
	var re *ReadError
	if err != nil && errors.As(err, &re) {
		// An I/O failure says nothing about the content: try again next cycle.
		delete(s.cache, file)
		return nil, nil, err
	}
	s.cache[file] = &fileEntry{size: fi.Size(), mtime: fi.ModTime(), name: n.name, ws: n.workspace, stack: st, err: err, warns: warns}
	return st, warns, err
}

func decodeFile(ctx context.Context, file string, size int64, opts DecodeOptions) (*collectors.Stack, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, &collectors.InputError{Source: opts.Source, Location: file, Err: fmt.Errorf("opening state file: %w", err)}
	}
	defer f.Close()
	opts.SizeHint = size
	st, err := Decode(ctxReader{ctx: ctx, r: f}, opts)
	if err != nil {
		var ie *collectors.InputError
		if errors.As(err, &ie) && errors.Is(err, ErrEmptyState) {
			ie.Err = fmt.Errorf("empty state file (%w)", ErrEmptyState)
		}
		return nil, err
	}
	return st, nil
}

// ctxReader stops a read when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// fileOptions make a directory mean every *.tfstate below it and leave out
// the backups Terraform writes next to a state.
var fileOptions = fileinput.Options{DirPattern: "*.tfstate", SkipSuffixes: []string{".tfstate.backup"}}

// files resolves the configured paths into a sorted, de-duplicated list of
// absolute file paths.
func (s *FileSource) files(base string) ([]string, []error) {
	files, expandErrs := fileinput.Expand(base, s.cfg.Paths, fileOptions)
	sort.Strings(files)
	var errs []error
	for _, err := range expandErrs {
		var pe *fileinput.PatternError
		if !errors.As(err, &pe) {
			errs = append(errs, &collectors.InputError{Source: s.name, Location: strings.Join(s.cfg.Paths, ", "), Err: err})
			continue
		}
		errs = append(errs, &collectors.InputError{Source: s.name, Location: pe.Pattern, Err: pathError(pe)})
	}
	return files, errs
}

// pathError words a path that could not be expanded.
func pathError(pe *fileinput.PatternError) error {
	switch {
	case errors.Is(pe.Err, fileinput.ErrNoMatch):
		pat := pe.Path
		if !strings.ContainsAny(pat, "*?[") {
			pat = filepath.Join(pat, "**", fileOptions.DirPattern) // a directory
		}
		return fmt.Errorf("no state file matches %q", pat)
	case errors.Is(pe.Err, path.ErrBadPattern):
		return fmt.Errorf("glob %q: %w", pe.Path, pe.Err)
	default:
		return fmt.Errorf("reading state path: %w", pe.Err)
	}
}

// stackName is a file's stack name and workspace.
type stackName struct {
	name, workspace string
}

// stackNames names each file's stack (see the package documentation):
// the short name, else on a collision the project path relative to base,
// else the file path relative to base.
func stackNames(files []string, base string) map[string]stackName {
	type cand struct {
		short, long, rel, ws string
	}
	cands := make(map[string]cand, len(files))
	for _, f := range files {
		rel, err := filepath.Rel(base, f)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			rel = f
		}
		rel = filepath.ToSlash(rel)
		dir, file := path.Split(rel)
		dir = strings.TrimSuffix(dir, "/")
		if dir == "" {
			dir = "."
		}
		c := cand{rel: rel, ws: "default"}
		if file == "terraform.tfstate" {
			proj := dir
			if path.Base(path.Dir(dir)) == "terraform.tfstate.d" && dir != "." {
				c.ws = path.Base(dir)
				proj = path.Dir(path.Dir(dir))
			}
			projName := path.Base(proj)
			if proj == "." {
				projName = filepath.Base(base)
			}
			c.short, c.long = projName, proj
			if proj == "." {
				c.long = projName
			}
			if c.ws != "default" {
				c.short += "/" + c.ws
				c.long += "/" + c.ws
			}
		} else {
			trimmed := strings.TrimSuffix(file, ".tfstate")
			c.short, c.long = trimmed, path.Join(dir, trimmed)
		}
		cands[f] = c
	}
	pick := func(get func(cand) string, prev map[string]string) map[string]string {
		count := map[string]int{}
		for _, f := range files {
			count[prev[f]]++
		}
		out := make(map[string]string, len(files))
		for _, f := range files {
			out[f] = prev[f]
			if count[prev[f]] > 1 {
				out[f] = get(cands[f])
			}
		}
		return out
	}
	names := make(map[string]string, len(files))
	for _, f := range files {
		names[f] = cands[f].short
	}
	names = pick(func(c cand) string { return c.long }, names)
	names = pick(func(c cand) string { return c.rel }, names)
	out := make(map[string]stackName, len(files))
	for _, f := range files {
		out[f] = stackName{name: names[f], workspace: cands[f].ws}
	}
	return out
}
