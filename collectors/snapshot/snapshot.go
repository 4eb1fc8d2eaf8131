// Package snapshot is a live-inventory source that reads snapshot files:
// JSON lines of normalised resources, so that any tool (a cloud inventory
// export, a CMDB, a script) can feed the daemon. The format is documented in
// docs/snapshot-format.md.
//
// Each line is a resource ({"type":...,"id":...}), a coverage directive
// ({"coverage":{"types":[...]}}), a comment (# ...) or blank. Files may be
// gzip-compressed (recognised by their magic bytes, whatever their name)
// and are streamed line by line; a line may be many megabytes long.
//
// A bad line costs only that line: it is reported as a
// *collectors.InputError naming the file and the line, and the rest of the
// file still loads. Coverage, which decides what counts as missing and
// unmanaged, is withheld rather than guessed whenever input was lost in a
// way that could make a resource look missing.
package snapshot

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"reflect"
	"slices"
	"strings"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/internal/fileinput"
)

// DefaultMaxLineBytes bounds one line when Config.MaxLineBytes is zero.
const DefaultMaxLineBytes = 64 << 20

// MaxLineErrors is how many bad lines of one file are reported one by one;
// the rest are counted in one further error.
const MaxLineErrors = 20

// Config configures a snapshot source.
type Config struct {
	// Paths are snapshot files or globs (* ? [...] within a path element,
	// ** across elements), relative to BaseDir unless absolute. Files are
	// read in the order of Paths, the files of one glob sorted by name.
	Paths []string
	// BaseDir resolves relative paths (normally the config file's folder).
	BaseDir string
	// Types are resource types the snapshots enumerate completely, in
	// addition to those their coverage directives (or, without directives,
	// their resources) name.
	Types []string
	// MaxLineBytes bounds one line; longer lines are reported and skipped.
	// Zero means DefaultMaxLineBytes.
	MaxLineBytes int
}

// Validate checks the configuration without reading any file.
func (c Config) Validate() error {
	for _, p := range c.Paths {
		if strings.TrimSpace(p) != "" {
			return nil
		}
	}
	return errors.New("snapshot source needs at least one path")
}

// Source reads snapshot files.
type Source struct {
	name string
	cfg  Config
}

// NewSource returns a snapshot inventory source called name.
func NewSource(name string, cfg Config) collectors.InventorySource {
	return &Source{name: name, cfg: cfg}
}

// Name is the configured source name.
func (s *Source) Name() string { return s.name }

// reader is the state of one Inventory call across files.
type reader struct {
	source   string
	maxLine  int
	inv      collectors.Inventory
	errs     []error
	byID     map[string]int    // resource ID -> index in inv.Resources
	placeOf  map[string]string // resource ID -> "file:line"
	dirs     []placedDirective
	excluded map[string]bool // types whose coverage is withheld
	void     bool            // withhold all coverage
}

type placedDirective struct {
	directive
	place string
}

// Inventory reads every configured snapshot file.
func (s *Source) Inventory(ctx context.Context) (collectors.Inventory, []error) {
	rd := &reader{
		source:   s.name,
		maxLine:  s.cfg.MaxLineBytes,
		inv:      collectors.Inventory{Source: s.name},
		byID:     map[string]int{},
		placeOf:  map[string]string{},
		excluded: map[string]bool{},
	}
	if rd.maxLine <= 0 {
		rd.maxLine = DefaultMaxLineBytes
	}
	if err := s.cfg.Validate(); err != nil {
		return rd.inv, []error{&collectors.InputError{Source: s.name, Location: "config", Err: err}}
	}
	files, expandErrs := fileinput.Expand(s.cfg.BaseDir, s.cfg.Paths, fileinput.Options{})
	for _, err := range expandErrs {
		rd.void = true // a file we were meant to read may hold covered resources
		location, err := patternError(err)
		rd.errs = append(rd.errs, &collectors.InputError{Source: s.name, Location: location,
			Err: fmt.Errorf("%w (coverage of source %s is withheld this cycle)", err, s.name)})
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			rd.void = true
			rd.errs = append(rd.errs, fmt.Errorf("reading snapshots of %s: %w", s.name, err))
			break
		}
		rd.readFile(ctx, f)
	}
	rd.inv.Coverage = rd.coverage(s.cfg.Types)
	return rd.inv, rd.errs
}

// patternError returns the location and the cause of an error of
// fileinput.Expand.
func patternError(err error) (string, error) {
	var pe *fileinput.PatternError
	if !errors.As(err, &pe) {
		return "config", err
	}
	switch {
	case errors.Is(pe.Err, path.ErrBadPattern):
		return pe.Path, fmt.Errorf("expanding pattern: %w", pe.Err)
	case errors.Is(pe.Err, fileinput.ErrNoMatch), errors.Is(pe.Err, fileinput.ErrIsDirectory):
		return pe.Path, pe.Err
	case !strings.ContainsAny(pe.Path, "*?["):
		return pe.Path, fmt.Errorf("opening snapshot: %w", pe.Err) // a missing or unreadable file
	default:
		return pe.Path, fmt.Errorf("expanding pattern: %w", pe.Err)
	}
}

// readFile reads one file; problems are recorded on rd.
func (rd *reader) readFile(ctx context.Context, path string) {
	fileErr := func(place string, err error) {
		rd.void = true
		rd.errs = append(rd.errs, &collectors.InputError{Source: rd.source, Location: path, Place: place,
			Err: fmt.Errorf("%w (coverage of source %s is withheld this cycle)", err, rd.source)})
	}
	f, err := os.Open(path)
	if err != nil {
		fileErr("", fmt.Errorf("opening snapshot: %w", err))
		return
	}
	defer f.Close()
	in, err := decompress(f)
	if err != nil {
		fileErr("", err)
		return
	}
	lr := fileinput.NewLineReader(fileinput.DecodedReader(in), rd.maxLine)
	var (
		badLines   int
		firstExtra int
		content    bool
	)
	bad := func(line int, err error) {
		badLines++
		if badLines > MaxLineErrors {
			if firstExtra == 0 {
				firstExtra = line
			}
			return
		}
		rd.errs = append(rd.errs, &collectors.InputError{Source: rd.source, Location: path, Place: fmt.Sprintf("line %d", line), Err: err})
	}
	for {
		if lr.Line()%4096 == 0 && ctx.Err() != nil {
			fileErr(fmt.Sprintf("line %d", lr.Line()+1), fmt.Errorf("reading snapshot: %w", ctx.Err()))
			break
		}
		line, tooLong, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fileErr(fmt.Sprintf("line %d", lr.Line()+1), fmt.Errorf("reading snapshot: %w", err))
			break
		}
		if tooLong {
			content = true
			rd.void = true
			bad(lr.Line(), fmt.Errorf("line longer than %d bytes, skipped; its resource is unknown, so coverage of source %s is withheld this cycle", rd.maxLine, rd.source))
			continue
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		content = true
		if line[0] == '#' {
			continue
		}
		res, dir, err := parseLine(line, rd.source)
		if err != nil {
			var le *lineError
			if errors.As(err, &le) && le.typ != "" {
				rd.excluded[le.typ] = true
				err = fmt.Errorf("%w (line skipped; coverage of %s is withheld this cycle)", err, le.typ)
			} else {
				rd.void = true
				err = fmt.Errorf("%w (line skipped; its resource type is unknown, so coverage of source %s is withheld this cycle)", err, rd.source)
			}
			bad(lr.Line(), err)
			continue
		}
		place := fmt.Sprintf("%s:%d", path, lr.Line())
		if dir != nil {
			rd.addDirective(*dir, path, lr.Line())
			continue
		}
		rd.addResource(*res, place, path, lr.Line())
	}
	if badLines > MaxLineErrors {
		rd.errs = append(rd.errs, &collectors.InputError{Source: rd.source, Location: path, Place: fmt.Sprintf("line %d", firstExtra),
			Err: fmt.Errorf("%d more bad lines not listed (%d in all)", badLines-MaxLineErrors, badLines)})
	}
	if !content {
		fileErr("", errors.New("snapshot is empty (a file describing no resources still holds a coverage directive)"))
	}
}

// addResource records a resource; a duplicate identity keeps the last line
// and, unless both lines say the same, reports the later one.
func (rd *reader) addResource(r collectors.LiveResource, place, path string, line int) {
	if i, dup := rd.byID[r.ID]; dup {
		prev := rd.inv.Resources[i]
		if !reflect.DeepEqual(prev, r) {
			rd.errs = append(rd.errs, &collectors.InputError{Source: rd.source, Location: path, Place: fmt.Sprintf("line %d", line),
				Err: fmt.Errorf("resource %s is also described at %s; the later line wins", r.ID, rd.placeOf[r.ID])})
		}
		rd.inv.Resources[i] = r
		rd.placeOf[r.ID] = place
		return
	}
	rd.byID[r.ID] = len(rd.inv.Resources)
	rd.placeOf[r.ID] = place
	rd.inv.Resources = append(rd.inv.Resources, r)
}

// addDirective records a coverage directive. All directives of a source
// must restrict accounts and regions alike, because one Coverage cannot say
// "these types here, those types there"; a disagreeing one is reported and
// ignored (its types are then not covered, which is the safe side).
func (rd *reader) addDirective(d directive, path string, line int) {
	place := fmt.Sprintf("%s:%d", path, line)
	if len(rd.dirs) > 0 {
		first := rd.dirs[0]
		if !sameSet(first.accounts, d.accounts) || !sameSet(first.regions, d.regions) {
			rd.errs = append(rd.errs, &collectors.InputError{Source: rd.source, Location: path, Place: fmt.Sprintf("line %d", line),
				Err: fmt.Errorf("coverage directive restricts accounts or regions differently from the one at %s; directive ignored (use one source per account/region scope)", first.place)})
			return
		}
	}
	rd.dirs = append(rd.dirs, placedDirective{directive: d, place: place})
}

// coverage computes the source's coverage: directives when there are any,
// otherwise the types, accounts and regions of the resources read; plus
// the configured extra types; minus whatever bad input put in doubt.
func (rd *reader) coverage(extra []string) collectors.Coverage {
	var c collectors.Coverage
	if rd.void {
		return c
	}
	c.Types = map[string]bool{}
	if len(rd.dirs) > 0 {
		for _, d := range rd.dirs {
			for _, t := range d.types {
				c.Types[t] = true
			}
		}
		c.Accounts = toSet(rd.dirs[0].accounts)
		c.Regions = toSet(rd.dirs[0].regions)
	} else {
		accounts, regions := map[string]bool{}, map[string]bool{}
		for _, r := range rd.inv.Resources {
			c.Types[r.Type] = true
			if r.Account != "" {
				accounts[r.Account] = true
			}
			if r.Region != "" {
				regions[r.Region] = true
			}
		}
		if len(accounts) > 0 {
			c.Accounts = accounts
		}
		if len(regions) > 0 {
			c.Regions = regions
		}
	}
	for _, t := range extra {
		if t != "" {
			c.Types[t] = true
		}
	}
	for t := range rd.excluded {
		delete(c.Types, t)
	}
	if len(c.Types) == 0 {
		return collectors.Coverage{}
	}
	return c
}

func toSet(list []string) map[string]bool {
	if len(list) == 0 {
		return nil
	}
	m := make(map[string]bool, len(list))
	for _, v := range list {
		m[v] = true
	}
	return m
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// decompress returns a gzip reader when the input starts with the gzip
// magic bytes, else the input itself.
func decompress(f io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(f, 64<<10)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading snapshot: %w", err)
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("opening gzip stream: %w", err)
		}
		return zr, nil
	}
	return br, nil
}
