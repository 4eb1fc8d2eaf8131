package tfplan

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/identity"
	"github.com/driftwarden/driftwarden/internal/fileinput"
	"github.com/driftwarden/driftwarden/model"
)

// ErrUnsupportedVersion reports a plan (format_version) or UI stream (ui
// version) this reader does not understand.
var ErrUnsupportedVersion = errors.New("unsupported format version")

// placedError is an error at a known place inside a file ("line 3, column
// 7", "resource_drift[2]", "format_version").
type placedError struct {
	place string
	err   error
}

func (e *placedError) Error() string { return e.place + ": " + e.err.Error() }
func (e *placedError) Unwrap() error { return e.err }

func placed(place string, err error) error { return &placedError{place: place, err: err} }

// driftEntry is one resource_drift item; unknown keys are ignored.
type driftEntry struct {
	Address      string     `json:"address"`
	Mode         string     `json:"mode"`
	Type         string     `json:"type"`
	ProviderName string     `json:"provider_name"`
	Deposed      string     `json:"deposed"`
	Change       *planDelta `json:"change"`
}

type planDelta struct {
	Actions         []string `json:"actions"`
	Before          any      `json:"before"`
	After           any      `json:"after"`
	BeforeSensitive any      `json:"before_sensitive"`
	AfterSensitive  any      `json:"after_sensitive"`
}

// skipValue consumes a JSON value without keeping it (the decoder still
// checks its syntax).
type skipValue struct{}

func (*skipValue) UnmarshalJSON([]byte) error { return nil }

// planResult is what one plan file yields: resources plus entry-level
// problems that cost only their entry.
type planResult struct {
	resources []collectors.LiveResource
	entryErrs []error
}

// readPlan reads a `terraform show -json` plan from r. A returned error is
// fatal for the file; entry-level problems are in the result.
func readPlan(r io.Reader, stack, source string) (planResult, error) {
	var res planResult
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil {
		return res, syntaxErr(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return res, placed("line 1", fmt.Errorf("top-level value is %s, want a plan object", describeToken(tok)))
	}
	var (
		sawVersion bool
		errored    bool
		entries    []driftEntry
		entryIdx   []int
		// keys telling a plan from other Terraform JSON documents
		planKeys, stateValues, stateVersion, stateKeys bool
		versionErr                                     error
	)
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return res, syntaxErr(err)
		}
		key, _ := kt.(string)
		switch key {
		case "planned_values", "resource_changes", "prior_state", "configuration", "output_changes", "relevant_attributes":
			planKeys = true
		case "values":
			stateValues = true
		case "version":
			stateVersion = true
		case "lineage", "resources":
			stateKeys = true
		}
		switch key {
		case "format_version":
			var v any
			if err := dec.Decode(&v); err != nil {
				return res, syntaxErr(err)
			}
			// A version error is reported after the other top-level keys
			// are seen, so that a document that is no plan at all says so.
			sawVersion = true
			if s, ok := v.(string); !ok {
				versionErr = placed("format_version", fmt.Errorf("format_version is %s, want a string such as \"1.2\": %w", fileinput.JSONKind(v), ErrUnsupportedVersion))
			} else if err := checkFormatVersion(s); err != nil {
				versionErr = placed("format_version", err)
			}
		case "errored":
			var b any
			if err := dec.Decode(&b); err != nil {
				return res, syntaxErr(err)
			}
			errored = b == true
		case "resource_drift":
			planKeys = true
			if versionErr != nil {
				var s skipValue
				if err := dec.Decode(&s); err != nil {
					return res, syntaxErr(err)
				}
				continue
			}
			t, err := dec.Token()
			if err != nil {
				return res, syntaxErr(err)
			}
			if t == nil {
				continue // "resource_drift": null
			}
			if d, ok := t.(json.Delim); !ok || d != '[' {
				return res, placed("resource_drift", fmt.Errorf("resource_drift is %s, want an array", describeToken(t)))
			}
			for i := 0; dec.More(); i++ {
				var e driftEntry
				if err := dec.Decode(&e); err != nil {
					var te *json.UnmarshalTypeError
					if errors.As(err, &te) {
						// The decoder consumed the whole entry: only this entry is lost.
						res.entryErrs = append(res.entryErrs, placed(fmt.Sprintf("resource_drift[%d]", i), fmt.Errorf("decoding drift entry: %w", err)))
						continue
					}
					return res, syntaxErr(err)
				}
				entries = append(entries, e)
				entryIdx = append(entryIdx, i)
			}
			if _, err := dec.Token(); err != nil { // closing ]
				return res, syntaxErr(err)
			}
		default:
			var s skipValue
			if err := dec.Decode(&s); err != nil {
				return res, syntaxErr(err)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // closing }
		return res, syntaxErr(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err == nil {
			err = errors.New("unexpected data after the plan object")
		}
		return res, syntaxErr(err)
	}
	if !sawVersion {
		if stateVersion && stateKeys {
			return res, placed("format_version", fmt.Errorf("no format_version: this is a Terraform state file, not a plan's JSON; read it with a tfstate source, or make the plan's JSON with `terraform plan -refresh-only -out=PLANFILE` and `terraform show -json PLANFILE`: %w", ErrUnsupportedVersion))
		}
		return res, placed("format_version", fmt.Errorf("no format_version: not the output of `terraform show -json PLANFILE`: %w", ErrUnsupportedVersion))
	}
	if stateValues && !planKeys {
		// `terraform show -json` without a plan file renders the state:
		// reading it as a plan would report "no drift" for everything.
		return res, placed("values", errors.New("this is the JSON of a state (`terraform show -json` without a plan file), not of a plan: it holds no drift; give `terraform show -json PLANFILE` of a `terraform plan -refresh-only -out=PLANFILE` plan"))
	}
	if versionErr != nil {
		return planResult{}, versionErr
	}
	for k, e := range entries {
		place := fmt.Sprintf("resource_drift[%d]", entryIdx[k])
		lr, keep, err := driftToLive(e, stack, source)
		if err != nil {
			res.entryErrs = append(res.entryErrs, placed(place, err))
			continue
		}
		if keep {
			res.resources = append(res.resources, lr)
		}
	}
	if errored {
		res.entryErrs = append(res.entryErrs, placed("errored", errors.New("the plan is marked errored: Terraform could not refresh every resource, so its drift list may be incomplete")))
	}
	return res, nil
}

// checkFormatVersion accepts plan format 0.2 (Terraform 0.15.4, the first
// with resource_drift and -refresh-only) up to any 1.x. Format 0.1 predates
// refresh-only plans and could only ever report "no drift", so it is
// rejected rather than read as a clean bill of health.
func checkFormatVersion(v string) error {
	major, minor, ok := parseMajorMinor(v)
	switch {
	case !ok:
		return fmt.Errorf("format_version %q is not a version number: %w", v, ErrUnsupportedVersion)
	case major == 1:
		return nil
	case major == 0 && minor >= 2:
		return nil
	case major == 0:
		return fmt.Errorf("plan format_version %q predates refresh-only plans and resource_drift (format 0.2, Terraform 0.15.4); re-create the plan with a newer Terraform: %w", v, ErrUnsupportedVersion)
	default:
		return fmt.Errorf("plan format_version %q is not supported (this reader understands 0.2 to 1.x): %w", v, ErrUnsupportedVersion)
	}
}

func parseMajorMinor(v string) (major, minor int, ok bool) {
	ms, rest, _ := strings.Cut(v, ".")
	ns, _, _ := strings.Cut(rest, ".")
	var err error
	if major, err = strconv.Atoi(ms); err != nil || major < 0 {
		return 0, 0, false
	}
	if ns == "" {
		return major, 0, true
	}
	if minor, err = strconv.Atoi(ns); err != nil || minor < 0 {
		return 0, 0, false
	}
	return major, minor, true
}

// driftToLive turns one resource_drift entry into a live resource. keep is
// false for entries that are not drift of a current managed object.
func driftToLive(e driftEntry, stack, source string) (lr collectors.LiveResource, keep bool, err error) {
	if e.Mode == "data" || (e.Mode == "" && isDataAddress(e.Address)) {
		return lr, false, nil
	}
	if e.Deposed != "" {
		// A deposed object is a leftover of create_before_destroy, not the
		// instance the address names.
		return lr, false, nil
	}
	if e.Address == "" || e.Type == "" {
		return lr, false, errors.New("drift entry has no address or type")
	}
	if e.Change == nil {
		return lr, false, fmt.Errorf("drift entry %s has no change", e.Address)
	}
	var hasDelete, hasOther bool
	for _, a := range e.Change.Actions {
		switch a {
		case "no-op", "read", "forget":
		case "delete":
			hasDelete = true
		default: // update, create, and the halves of a replace
			hasOther = true
		}
	}
	if !hasDelete && !hasOther {
		return lr, false, nil
	}
	after, err := asObject("change.after", e.Change.After)
	if err != nil {
		return lr, false, fmt.Errorf("drift entry %s: %w", e.Address, err)
	}
	before, err := asObject("change.before", e.Change.Before)
	if err != nil {
		return lr, false, fmt.Errorf("drift entry %s: %w", e.Address, err)
	}
	gone := after == nil
	if gone && !hasDelete {
		return lr, false, fmt.Errorf("drift entry %s: actions %v but change.after is null", e.Address, e.Change.Actions)
	}
	idAttrs := after
	if gone {
		idAttrs = before
	}
	r := model.Identity(providerShortName(e.ProviderName, e.Type), e.Type, idAttrs)
	if strings.HasPrefix(e.Type, "google_") {
		// Google resources are named by their CAI full resource name, as
		// states, the asset inventory and the audit logs name them.
		if id := identity.GCPCanonicalFromTerraform(e.Type, idAttrs); id != "" {
			r.ID = id
		}
	}
	r.Address = e.Address
	r.Stack = stack
	r.Source = source
	lr = collectors.LiveResource{Resource: r, Gone: gone, Before: before}
	if before != nil {
		lr.BeforeSensitive = sensitivePaths(e.Change.BeforeSensitive, before)
	}
	if !gone {
		lr.Attributes = after
		lr.Sensitive = sensitivePaths(e.Change.AfterSensitive, after)
	}
	return lr, true, nil
}

func asObject(field string, v any) (map[string]any, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return t, nil
	default:
		return nil, fmt.Errorf("%s is %s, want an object", field, fileinput.JSONKind(v))
	}
}

// isDataAddress reports whether a resource address names a data source
// (data.x.y, module.m.data.x.y).
func isDataAddress(addr string) bool {
	return strings.HasPrefix(addr, "data.") || strings.Contains(addr, ".data.")
}

// providerShortName returns the provider's type name from a source address
// (registry.terraform.io/hashicorp/aws -> aws); plans of format 0.1 carry
// the short name already. Without one it falls back to the type's prefix.
func providerShortName(providerName, typ string) string {
	if providerName == "" {
		return model.ProviderOf(typ)
	}
	if i := strings.LastIndexByte(providerName, '/'); i >= 0 {
		return providerName[i+1:]
	}
	return providerName
}

// sensitivePaths turns a sensitivity tree (the value's shape, true at
// sensitive leaves) into sorted attribute paths. A tree that is true as a
// whole marks every top-level attribute of value.
func sensitivePaths(tree any, value map[string]any) []string {
	if tree == true {
		out := make([]string, 0, len(value))
		for k := range value {
			out = append(out, model.JoinPath("", k))
		}
		sort.Strings(out)
		return out
	}
	var out []string
	walkSensitive(tree, "", &out)
	return out
}

func walkSensitive(tree any, path string, out *[]string) {
	switch t := tree.(type) {
	case bool:
		if t && path != "" {
			*out = append(*out, path)
		}
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			walkSensitive(t[k], model.JoinPath(path, k), out)
		}
	case []any:
		for i, v := range t {
			walkSensitive(v, model.IndexPath(path, i), out)
		}
	}
}

func describeToken(t json.Token) string {
	switch v := t.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}
		return "an object"
	default:
		return fileinput.JSONKind(v)
	}
}

// syntaxErr marks an error the decoder cannot recover from; its place is
// found later by re-reading the file (see locate).
type syntaxError struct{ err error }

func (e *syntaxError) Error() string { return e.err.Error() }
func (e *syntaxError) Unwrap() error { return e.err }

func syntaxErr(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return &syntaxError{err: err}
}

// locate finds where a file's JSON goes wrong: json.Unmarshal reports exact
// offsets where the streaming decoder does not.
func locate(data []byte) (place string, err error) {
	var s skipValue
	uerr := json.Unmarshal(data, &s)
	var se *json.SyntaxError
	if errors.As(uerr, &se) {
		if se.Offset >= int64(len(data)) {
			line, col := lineCol(data, int64(len(data)))
			return fmt.Sprintf("line %d, column %d", line, col), fmt.Errorf("truncated JSON: %w", se)
		}
		// Offset counts the offending byte itself.
		line, col := lineCol(data, se.Offset-1)
		return fmt.Sprintf("line %d, column %d", line, col), se
	}
	if uerr != nil {
		return "", uerr
	}
	return "", nil
}
