// Package tfplan is a live-inventory source that reads the drift Terraform
// found while refreshing: the JSON of a refresh-only plan.
//
// Two formats are read, told apart by content:
//
//   - the plan representation, `terraform show -json PLANFILE` of a
//     `terraform plan -refresh-only -out=PLANFILE` plan (format_version 0.2
//     to any 1.x). Each managed resource_drift entry gives exact live values
//     (change.after) and applied values (change.before); resource_changes
//     are ignored;
//   - the machine-readable UI stream, `terraform plan -refresh-only -json`
//     (JSON lines). Its resource_drift messages name the resource and the
//     action but carry no values, so an update becomes a Partial resource
//     without attributes.
//
// Files may be UTF-8 with or without a byte order mark, or UTF-16 LE/BE
// with one (PowerShell redirection), with LF or CRLF line endings.
//
// Other Terraform files are refused with an error saying what they are,
// rather than read as "no drift": a binary plan file (zip), the JSON of a
// state (`terraform show -json` without a plan file: "values" and no plan
// keys), and a state file itself.
//
// A plan only speaks about the addresses it lists, so the inventory's
// Coverage is empty: absence from a plan never means "missing".
//
// Each file is one stack. Its name is Config.Stack when set (one file only),
// otherwise derived from the file name by StackName.
package tfplan

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/internal/fileinput"
)

// Config configures a tfplan source.
type Config struct {
	// Paths are plan files or globs (* ? [...] within a path element, **
	// across elements), relative to BaseDir unless absolute.
	Paths []string
	// BaseDir resolves relative paths (normally the config file's folder).
	BaseDir string
	// Stack names the stack of the plan; allowed with exactly one path that
	// is not a glob. Empty derives the name from the file name.
	Stack string
}

// Validate checks the configuration without reading any file.
func (c Config) Validate() error {
	var paths []string
	for _, p := range c.Paths {
		if strings.TrimSpace(p) != "" {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		return errors.New("tfplan source needs at least one path")
	}
	if c.Stack != "" {
		if len(paths) != 1 {
			return fmt.Errorf("stack %q names one plan, but %d paths are configured", c.Stack, len(paths))
		}
		if strings.ContainsAny(paths[0], "*?[") {
			return fmt.Errorf("stack %q names one plan, but path %q is a glob", c.Stack, paths[0])
		}
	}
	return nil
}

// Source reads refresh-only plans.
type Source struct {
	name string
	cfg  Config
}

// NewSource returns a tfplan inventory source called name.
func NewSource(name string, cfg Config) collectors.InventorySource {
	return &Source{name: name, cfg: cfg}
}

// Name is the configured source name.
func (s *Source) Name() string { return s.name }

// Inventory reads every configured plan. A file that cannot be read costs
// only that file (one *collectors.InputError); a bad drift entry or UI line
// costs only that entry.
func (s *Source) Inventory(ctx context.Context) (collectors.Inventory, []error) {
	inv := collectors.Inventory{Source: s.name}
	if err := s.cfg.Validate(); err != nil {
		return inv, []error{&collectors.InputError{Source: s.name, Location: "config", Err: err}}
	}
	files, expandErrs := fileinput.Expand(s.cfg.BaseDir, s.cfg.Paths, fileinput.Options{})
	var errs []error
	for _, err := range expandErrs {
		errs = append(errs, patternError(s.name, err))
	}
	stackFiles := map[string]string{}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("reading plans of %s: %w", s.name, err))
			break
		}
		stack := s.cfg.Stack
		if stack == "" {
			stack = StackName(f)
		}
		if prev, dup := stackFiles[stack]; dup {
			errs = append(errs, &collectors.InputError{Source: s.name, Location: f,
				Err: fmt.Errorf("stack %q is already read from %s; rename one file or configure a source per plan with its stack", stack, prev)})
			continue
		}
		stackFiles[stack] = f
		res, err := readFile(f, stack, s.name)
		for _, e := range res.entryErrs {
			errs = append(errs, inputError(s.name, f, e))
		}
		if err != nil {
			errs = append(errs, inputError(s.name, f, err))
			continue
		}
		inv.Resources = append(inv.Resources, res.resources...)
	}
	return inv, errs
}

// patternError wraps an error of fileinput.Expand as an InputError naming
// the path or glob.
func patternError(source string, err error) error {
	var pe *fileinput.PatternError
	if !errors.As(err, &pe) {
		return &collectors.InputError{Source: source, Err: err}
	}
	ie := &collectors.InputError{Source: source, Location: pe.Path, Err: pe.Err}
	switch {
	case errors.Is(pe.Err, path.ErrBadPattern):
		ie.Err = fmt.Errorf("expanding pattern: %w", pe.Err)
	case errors.Is(pe.Err, fileinput.ErrNoMatch), errors.Is(pe.Err, fileinput.ErrIsDirectory):
	case !strings.ContainsAny(pe.Path, "*?["):
		ie.Err = fmt.Errorf("opening plan: %w", pe.Err) // a missing or unreadable file
	default:
		ie.Err = fmt.Errorf("expanding pattern: %w", pe.Err)
	}
	return ie
}

// inputError wraps err as an InputError, lifting its place when known.
func inputError(source, file string, err error) error {
	ie := &collectors.InputError{Source: source, Location: file, Err: err}
	var pe *placedError
	if errors.As(err, &pe) && pe == err {
		ie.Place, ie.Err = pe.place, pe.err
	}
	return ie
}

// readFile reads one plan file of either format.
func readFile(path, stack, source string) (planResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return planResult{}, fmt.Errorf("opening plan: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(fileinput.DecodedReader(f), 64<<10)
	stream, err := isUIStream(br)
	if err != nil {
		return planResult{}, err
	}
	if stream {
		return readStream(br, stack, source)
	}
	res, err := readPlan(br, stack, source)
	var se *syntaxError
	if errors.As(err, &se) {
		// Find the exact place by reading the file again (error path only).
		data, rerr := readDecodedFile(path)
		if rerr != nil {
			return res, fmt.Errorf("decoding plan JSON: %w", se.err)
		}
		if place, lerr := locate(data); place != "" {
			return res, placed(place, fmt.Errorf("decoding plan JSON: %w", lerr))
		}
		return res, placed(fmt.Sprintf("offset %d", len(data)), fmt.Errorf("decoding plan JSON: %w", se.err))
	}
	return res, err
}

// isUIStream tells a machine-readable UI stream (JSON lines whose objects
// start with "@level"/"@message", or carry a "type" and no format_version)
// from a plan document, looking only at the start of the input.
func isUIStream(br *bufio.Reader) (bool, error) {
	head, err := br.Peek(64 << 10)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return false, fmt.Errorf("reading plan: %w", err)
	}
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return false, placed("offset 0", errors.New("this is a binary plan file (a zip archive), not its JSON: convert it with `terraform show -json PLANFILE > plan.json` (or `tofu show -json`) and read that"))
	}
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 {
		return false, errors.New("file is empty: no plan")
	}
	if trimmed[0] != '{' {
		return false, nil
	}
	rest := bytes.TrimLeft(trimmed[1:], " \t\r\n")
	if bytes.HasPrefix(rest, []byte(`"@`)) {
		return true, nil
	}
	first, _, found := bytes.Cut(trimmed, []byte{'\n'})
	if !found {
		return false, nil
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(first, &probe) != nil {
		return false, nil
	}
	_, hasType := probe["type"]
	_, hasVersion := probe["format_version"]
	return hasType && !hasVersion, nil
}

// StackName derives a stack name from a plan file's name: the extension
// .json (or .jsonl, .ndjson) is dropped, then the suffixes .plan, .tfplan,
// -plan and .refresh, repeatedly (prod.refresh.tfplan.json -> prod). When
// nothing specific is left (plan.json, tfplan.json, refresh.json,
// output.json) the parent folder names the stack (stacks/network/tfplan.json
// -> network).
func StackName(path string) string {
	base := filepath.Base(path)
	lower := strings.ToLower(base)
	for _, ext := range []string{".json", ".jsonl", ".ndjson"} {
		if strings.HasSuffix(lower, ext) && len(base) > len(ext) {
			base = base[:len(base)-len(ext)]
			break
		}
	}
	for changed := true; changed; {
		changed = false
		lower = strings.ToLower(base)
		for _, suf := range []string{".plan", ".tfplan", "-plan", ".refresh"} {
			if strings.HasSuffix(lower, suf) && len(base) > len(suf) {
				base = base[:len(base)-len(suf)]
				changed = true
				break
			}
		}
	}
	switch strings.ToLower(base) {
	case "plan", "tfplan", "refresh", "output", "":
		if dir := filepath.Base(filepath.Dir(path)); dir != "." && dir != string(filepath.Separator) {
			return dir
		}
	}
	return base
}
