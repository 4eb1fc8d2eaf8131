package tfstate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/driftwarden/driftwarden/collectors"
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
		st, err := s.load(ctx, f, names[f])
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

// load returns the stack of one file, decoding it only when it changed.
func (s *FileSource) load(ctx context.Context, file string, n stackName) (*collectors.Stack, error) {
	fi, err := os.Stat(file)
	if err != nil {
		delete(s.cache, file)
		return nil, &collectors.InputError{Source: s.name, Location: file, Err: fmt.Errorf("reading state file: %w", err)}
	}
	if e := s.cache[file]; e != nil && e.size == fi.Size() && e.mtime.Equal(fi.ModTime()) && e.name == n.name && e.ws == n.workspace {
		return e.stack, e.err
	}
	st, err := decodeFile(ctx, file, fi.Size(), DecodeOptions{Source: s.name, Location: file, Stack: n.name, Workspace: n.workspace})
	var re *ReadError
	if err != nil && errors.As(err, &re) {
		// An I/O failure says nothing about the content: try again next cycle.
		delete(s.cache, file)
		return nil, err
	}
	s.cache[file] = &fileEntry{size: fi.Size(), mtime: fi.ModTime(), name: n.name, ws: n.workspace, stack: st, err: err}
	return st, err
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

// files resolves the configured paths into a sorted, de-duplicated list of
// absolute file paths.
func (s *FileSource) files(base string) ([]string, []error) {
	var errs []error
	set := map[string]bool{}
	for _, p := range s.cfg.Paths {
		pat := p
		if !filepath.IsAbs(pat) {
			pat = filepath.Join(base, pat)
		}
		pat = filepath.Clean(pat)
		got, err := expandPath(pat)
		if err != nil {
			errs = append(errs, &collectors.InputError{Source: s.name, Location: p, Err: err})
			continue
		}
		for _, f := range got {
			set[f] = true
		}
	}
	files := make([]string, 0, len(set))
	for f := range set {
		files = append(files, f)
	}
	sort.Strings(files)
	return files, errs
}

// skipDirs are never walked: .terraform holds backend configuration (its
// terraform.tfstate is not a state) and provider binaries.
var skipDirs = map[string]bool{".terraform": true, ".git": true}

func hasMeta(s string) bool { return strings.ContainsAny(s, "*?[") }

// expandPath resolves one path: a file, a directory or a glob.
func expandPath(pat string) ([]string, error) {
	if !hasMeta(pat) {
		fi, err := os.Stat(pat)
		if err != nil {
			return nil, fmt.Errorf("reading state path: %w", err)
		}
		if !fi.IsDir() {
			return []string{pat}, nil
		}
		pat = filepath.Join(pat, "**", "*.tfstate")
	}
	// Walk from the longest leading part without glob characters.
	elems := strings.Split(filepath.ToSlash(pat), "/")
	i := 0
	for i < len(elems) && !hasMeta(elems[i]) {
		i++
	}
	root := strings.Join(elems[:i], "/")
	if root == "" {
		root = "/"
	}
	root = filepath.FromSlash(root)
	patElems := elems[i:]
	for _, e := range patElems {
		if e == "**" {
			continue
		}
		if _, err := path.Match(e, ""); err != nil {
			return nil, fmt.Errorf("glob %q: %w", pat, err)
		}
	}
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() {
			if p != root && skipDirs[d.Name()] {
				return fs.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), ".tfstate.backup") {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if !matchElems(patElems, strings.Split(filepath.ToSlash(rel), "/")) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("walking %s: %w", root, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no state file matches %q", pat)
	}
	return out, nil
}

// matchElems matches path elements against pattern elements, where "**"
// matches any number of elements (zero included).
func matchElems(pat, name []string) bool {
	if len(pat) == 0 {
		return len(name) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(name); i++ {
			if matchElems(pat[1:], name[i:]) {
				return true
			}
		}
		return false
	}
	if len(name) == 0 {
		return false
	}
	ok, _ := path.Match(pat[0], name[0])
	return ok && matchElems(pat[1:], name[1:])
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
