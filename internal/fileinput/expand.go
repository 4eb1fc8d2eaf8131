package fileinput

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// ErrNoMatch is the error of a glob (or a directory expansion) that matches
// no file.
var ErrNoMatch = errors.New("pattern matches no file")

// ErrIsDirectory is the error of a literal directory path when
// Options.DirPattern is empty.
var ErrIsDirectory = errors.New("is a directory, not a file (name the files or use a glob)")

// skipDirs are directories that globs and directory expansion never enter
// (naming one literally still works): .terraform holds backend
// configuration (its terraform.tfstate is not a state) and provider
// binaries; .git holds a repository's internals.
var skipDirs = map[string]bool{".terraform": true, ".git": true}

// Options says how Expand treats directories and which files it leaves out.
type Options struct {
	// DirPattern is what a literal directory path means: every file below
	// it, at any depth, whose name matches DirPattern ("*.tfstate" makes
	// "states" mean "states/**/*.tfstate"). Empty means a directory path is
	// an error (ErrIsDirectory): a directory where files are expected is a
	// configuration mistake, better reported than silently ignored.
	DirPattern string
	// SkipSuffixes are file name endings (".tfstate.backup") that globs and
	// directory expansion never match. A file named literally is kept
	// whatever its name.
	SkipSuffixes []string
}

// PatternError is a configured path or glob that could not be expanded.
type PatternError struct {
	// Pattern is the pattern as given to Expand.
	Pattern string
	// Path is Pattern resolved against the base directory (absolute and
	// cleaned): the file a literal pattern names.
	Path string
	// Err is the cause: ErrNoMatch, ErrIsDirectory, path.ErrBadPattern,
	// the *fs.PathError of a missing or unreadable file or directory.
	Err error
}

func (e *PatternError) Error() string { return e.Pattern + ": " + e.Err.Error() }

func (e *PatternError) Unwrap() error { return e.Err }

// Expand resolves patterns against baseDir (empty means the working
// directory) into absolute file paths. A pattern is
//
//   - a file, kept as is (symlinks are followed);
//   - a directory, expanded as <dir>/**/<Options.DirPattern>;
//   - a glob: * ? [...] match within one path element, ** as a whole
//     element matches any number of directories, zero included.
//
// Globs match files only (regular files and symlinks to them), never enter
// .terraform or .git directories (unless named literally) and leave out
// Options.SkipSuffixes. Symbolic links to directories are followed where a
// path element names or matches them, but not by **, so that a link cycle
// cannot trap it. Blank patterns are ignored.
//
// Files come in the order of the patterns, each pattern's matches sorted by
// name, with a file matched by several patterns listed once, at its first
// place; callers to whom order does not matter may sort them.
//
// Each pattern that fails yields one *PatternError: a missing or unreadable
// literal path, a malformed glob, a glob matching nothing (ErrNoMatch), a
// directory when Options.DirPattern is empty (ErrIsDirectory). A directory
// that cannot be read while matching is also an error, but the files
// matched elsewhere are still returned.
func Expand(baseDir string, patterns []string, opts Options) ([]string, []error) {
	var (
		files []string
		errs  []error
		seen  = map[string]bool{}
	)
	base, baseErr := filepath.Abs(baseDir)
	for _, pat := range patterns {
		if strings.TrimSpace(pat) == "" {
			continue
		}
		full := pat
		if !filepath.IsAbs(full) {
			if baseErr != nil {
				errs = append(errs, &PatternError{Pattern: pat, Path: pat, Err: fmt.Errorf("resolving base directory: %w", baseErr)})
				continue
			}
			full = filepath.Join(base, full)
		}
		full = filepath.Clean(full)
		got, err := expand(full, opts)
		for _, f := range got {
			if !seen[f] {
				seen[f] = true
				files = append(files, f)
			}
		}
		if err != nil {
			errs = append(errs, &PatternError{Pattern: pat, Path: full, Err: err})
		}
	}
	return files, errs
}

func hasMeta(s string) bool { return strings.ContainsAny(s, "*?[") }

// expand resolves one absolute, clean pattern.
func expand(pat string, opts Options) ([]string, error) {
	if !hasMeta(pat) {
		fi, err := os.Stat(pat)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			return []string{pat}, nil
		}
		if opts.DirPattern == "" {
			return nil, ErrIsDirectory
		}
		pat = filepath.Join(pat, "**", opts.DirPattern)
	}
	vol := filepath.VolumeName(pat)
	var elems []string
	for _, e := range strings.Split(filepath.ToSlash(pat[len(vol):]), "/") {
		if e == "" || (e == "**" && len(elems) > 0 && elems[len(elems)-1] == "**") {
			continue // the root, or a repeated ** (which means no more)
		}
		if e != "**" && hasMeta(e) {
			if _, err := path.Match(e, ""); err != nil {
				return nil, err
			}
		}
		elems = append(elems, e)
	}
	if len(elems) == 0 {
		return nil, ErrNoMatch
	}
	g := globber{opts: opts}
	g.match(vol+string(filepath.Separator), elems)
	if len(g.out) == 0 && g.err == nil {
		return nil, ErrNoMatch
	}
	sort.Strings(g.out)
	return slices.Compact(g.out), g.err // "a/**/b/**/c" can reach a file twice
}

// globber collects the files matching one pattern.
type globber struct {
	opts Options
	out  []string
	err  error // the first directory that could not be read
}

func (g *globber) fail(err error) {
	if g.err == nil {
		g.err = err
	}
}

// readDir lists dir; a directory that vanished is simply empty.
func (g *globber) readDir(dir string) []fs.DirEntry {
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		g.fail(err)
	}
	return ents // what could be read, even on error
}

// match adds the files below dir that match elems (at least one element).
func (g *globber) match(dir string, elems []string) {
	e, rest := elems[0], elems[1:]
	switch {
	case e == "**":
		g.walk(dir, func(d string, ents []fs.DirEntry) {
			if len(rest) == 0 {
				for _, ent := range ents {
					g.addFile(filepath.Join(d, ent.Name()), ent)
				}
				return
			}
			if hasMeta(rest[0]) {
				g.matchEntries(d, ents, rest[0], rest[1:])
				return
			}
			g.match(d, rest)
		})
	case hasMeta(e):
		g.matchEntries(dir, g.readDir(dir), e, rest)
	default:
		p := filepath.Join(dir, e)
		fi, err := os.Stat(p)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				g.fail(err)
			}
			return
		}
		if len(rest) == 0 {
			if fi.Mode().IsRegular() && !g.skipFile(e) {
				g.out = append(g.out, p)
			}
			return
		}
		if fi.IsDir() {
			g.match(p, rest)
		}
	}
}

// matchEntries matches the entries of dir against the glob element e, then
// the entries that match against rest.
func (g *globber) matchEntries(dir string, ents []fs.DirEntry, e string, rest []string) {
	for _, ent := range ents {
		if ok, _ := path.Match(e, ent.Name()); !ok {
			continue
		}
		p := filepath.Join(dir, ent.Name())
		if len(rest) == 0 {
			g.addFile(p, ent)
			continue
		}
		if skipDirs[ent.Name()] {
			continue
		}
		if ent.IsDir() || (ent.Type()&fs.ModeSymlink != 0 && isDir(p)) {
			g.match(p, rest)
		}
	}
}

// walk calls fn with dir and every directory below it, with its entries.
// It neither follows symbolic links nor enters skipDirs.
func (g *globber) walk(dir string, fn func(dir string, ents []fs.DirEntry)) {
	ents := g.readDir(dir)
	fn(dir, ents)
	for _, ent := range ents {
		if ent.IsDir() && !skipDirs[ent.Name()] {
			g.walk(filepath.Join(dir, ent.Name()), fn)
		}
	}
}

// addFile adds p when it is a regular file or a symbolic link to one, and
// its name is not skipped.
func (g *globber) addFile(p string, ent fs.DirEntry) {
	if g.skipFile(ent.Name()) {
		return
	}
	switch {
	case ent.Type().IsRegular():
	case ent.Type()&fs.ModeSymlink != 0:
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() {
			return
		}
	default:
		return
	}
	g.out = append(g.out, p)
}

func (g *globber) skipFile(name string) bool {
	for _, s := range g.opts.SkipSuffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
