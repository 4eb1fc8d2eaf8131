package snapshot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/identity"
	"github.com/driftwarden/driftwarden/model"
)

// lineError is a bad line. typ is the resource type when the line said
// which one it was, so that only that type loses coverage.
type lineError struct {
	typ string
	err error
}

func (e *lineError) Error() string { return e.err.Error() }
func (e *lineError) Unwrap() error { return e.err }

// directive is a decoded coverage line.
type directive struct {
	types, accounts, regions []string
}

// resourceKeys are the fields of a resource line; keys starting with "_"
// are free for producers (comments, provenance) and ignored.
var resourceKeys = map[string]bool{
	"type": true, "id": true, "arn": true, "provider": true, "account": true,
	"region": true, "tags": true, "attributes": true, "address": true,
	"stack": true, "sensitive": true,
}

// parseLine decodes one non-blank, non-comment line into a resource or a
// coverage directive.
func parseLine(line []byte, source string) (*collectors.LiveResource, *directive, error) {
	if line[0] != '{' {
		return nil, nil, &lineError{err: fmt.Errorf("line is not a JSON object (starts with %q)", firstRune(line))}
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(line, &raw); err != nil {
		return nil, nil, &lineError{err: fmt.Errorf("decoding JSON: %w", err)}
	}
	if cov, ok := raw["coverage"]; ok {
		d, err := parseDirective(raw, cov)
		if err != nil {
			return nil, nil, &lineError{err: err}
		}
		return nil, d, nil
	}
	typ, err := stringField(raw, "type")
	if err != nil {
		return nil, nil, &lineError{err: err}
	}
	if typ == "" {
		return nil, nil, &lineError{err: errors.New(`resource line has no "type"`)}
	}
	r, err := parseResource(raw, typ, source)
	if err != nil {
		return nil, nil, &lineError{typ: typ, err: fmt.Errorf("%s: %w", typ, err)}
	}
	return r, nil, nil
}

func parseResource(raw map[string]json.RawMessage, typ, source string) (*collectors.LiveResource, error) {
	var unknown []string
	for k := range raw {
		if !resourceKeys[k] && !strings.HasPrefix(k, "_") {
			unknown = append(unknown, strconvQuote(k))
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("unknown field %s (fields of your own start with \"_\")", strings.Join(unknown, ", "))
	}
	var f struct {
		id, arn, provider, account, region, address, stack string
	}
	for _, s := range []struct {
		key string
		dst *string
	}{
		{"id", &f.id}, {"arn", &f.arn}, {"provider", &f.provider}, {"account", &f.account},
		{"region", &f.region}, {"address", &f.address}, {"stack", &f.stack},
	} {
		v, err := stringField(raw, s.key)
		if err != nil {
			return nil, err
		}
		*s.dst = v
	}
	var attrs map[string]any
	if v, ok := raw["attributes"]; ok && !isNull(v) {
		if err := json.Unmarshal(v, &attrs); err != nil {
			return nil, fmt.Errorf(`decoding "attributes" (want an object): %w`, err)
		}
	}
	var tags map[string]string
	if v, ok := raw["tags"]; ok && !isNull(v) {
		if err := json.Unmarshal(v, &tags); err != nil {
			return nil, fmt.Errorf(`decoding "tags" (want an object of strings): %w`, err)
		}
	}
	var sensitive []string
	if v, ok := raw["sensitive"]; ok && !isNull(v) {
		if err := json.Unmarshal(v, &sensitive); err != nil {
			return nil, fmt.Errorf(`decoding "sensitive" (want a list of attribute paths): %w`, err)
		}
		for i, p := range sensitive {
			if p == "" {
				return nil, fmt.Errorf(`"sensitive"[%d] is empty`, i)
			}
		}
	}
	if f.id == "" && f.arn == "" && str(attrs["id"]) == "" && str(attrs["arn"]) == "" {
		return nil, errors.New(`resource line has neither "id" nor "arn"`)
	}
	idAttrs, err := identityAttrs(attrs, f.id, f.arn)
	if err != nil {
		return nil, err
	}
	r := model.Identity(f.provider, typ, idAttrs)
	if r.Provider == "google" {
		if id := gcpID(typ, attrs, idAttrs); id != "" {
			r.ID = id
		}
	}
	if r.ID == "" {
		return nil, fmt.Errorf(`no identity: "arn" %q is not an ARN and there is no "id"`, f.arn)
	}
	if f.account != "" {
		r.Account = f.account
	}
	if f.region != "" {
		r.Region = f.region
	}
	if tags != nil {
		r.Tags = tags
	}
	r.Address = f.address
	r.Stack = f.stack
	r.Source = source
	r.Attributes = attrs
	r.Sensitive = sensitive
	return &collectors.LiveResource{Resource: r, Partial: true}, nil
}

// identityKeys are the attributes model.Identity reads.
var identityKeys = []string{
	"id", "arn", "region", "location", "zone", "account_id", "owner_id", "project",
	"tags_all", "tags", "effective_labels", "labels",
}

// gcpID returns the canonical id of a google resource line: its CAI full
// resource name, as states, plans, the asset inventory and the audit logs
// name it. An "id" that already is a full resource name ("//...") is kept;
// otherwise the GCP identity table derives it from the attributes and id.
// It returns "" for types the table does not know.
func gcpID(typ string, attrs, idAttrs map[string]any) string {
	if id := str(idAttrs["id"]); strings.HasPrefix(id, "//") {
		return id
	}
	if _, ok := identity.GCPByTerraform(typ); !ok {
		return ""
	}
	m := make(map[string]any, len(attrs)+2)
	for k, v := range attrs {
		m[k] = v
	}
	for k, v := range idAttrs {
		m[k] = v
	}
	return identity.GCPCanonicalFromTerraform(typ, m)
}

// identityAttrs merges the top-level id and arn into a small copy of the
// identity-bearing attributes; a top-level value that contradicts the
// attribute of the same name is an error.
func identityAttrs(attrs map[string]any, id, arn string) (map[string]any, error) {
	m := make(map[string]any, len(identityKeys))
	for _, k := range identityKeys {
		if v, ok := attrs[k]; ok {
			m[k] = v
		}
	}
	for _, kv := range [][2]string{{"id", id}, {"arn", arn}} {
		k, v := kv[0], kv[1]
		if v == "" {
			continue
		}
		if a, ok := attrs[k]; ok && a != nil && str(a) != v {
			return nil, fmt.Errorf("%q %q contradicts attributes.%s %v", k, v, k, a)
		}
		m[k] = v
	}
	return m, nil
}

func parseDirective(raw map[string]json.RawMessage, cov json.RawMessage) (*directive, error) {
	for k := range raw {
		if k != "coverage" && !strings.HasPrefix(k, "_") {
			return nil, fmt.Errorf("a coverage directive line holds only \"coverage\", found %s", strconvQuote(k))
		}
	}
	var c struct {
		Types    []string `json:"types"`
		Accounts []string `json:"accounts"`
		Regions  []string `json:"regions"`
	}
	dec := json.NewDecoder(bytes.NewReader(cov))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("decoding coverage directive (want {\"types\":[...],\"accounts\":[...],\"regions\":[...]}): %w", err)
	}
	if len(c.Types) == 0 {
		return nil, errors.New("coverage directive lists no types")
	}
	for _, list := range [][]string{c.Types, c.Accounts, c.Regions} {
		for _, v := range list {
			if v == "" {
				return nil, errors.New("coverage directive holds an empty name")
			}
		}
	}
	return &directive{types: c.Types, accounts: c.Accounts, regions: c.Regions}, nil
}

func stringField(raw map[string]json.RawMessage, key string) (string, error) {
	v, ok := raw[key]
	if !ok || isNull(v) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", fmt.Errorf("%q is not a string: %s", key, truncate(string(v), 40))
	}
	return s, nil
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func firstRune(b []byte) string {
	for _, r := range string(truncateBytes(b, 8)) {
		return string(r)
	}
	return ""
}

func truncateBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
