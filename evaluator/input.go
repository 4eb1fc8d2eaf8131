package evaluator

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/driftwarden/driftwarden/model"
)

// resourceInput builds {"kind": "resource", "resource": {...}} as a lazy
// AST object: OPA converts a Go value only when a policy reads it, and a
// policy usually reads a few of a resource's ~20 attributes, so converting
// everything up front would dominate evaluation time.
func resourceInput(r *model.Resource) (ast.Value, error) {
	return resourceInputBuf(r, nil)
}

// inputBuf holds the Go maps of one worker's resource inputs, reused from
// one resource to the next (an evaluation keeps no reference to its input
// once it returns), so that building an input allocates no map.
type inputBuf struct {
	top, res, tags map[string]any
}

// resourceInputBuf is resourceInput with the maps of buf (nil: fresh maps).
func resourceInputBuf(r *model.Resource, buf *inputBuf) (ast.Value, error) {
	var top, res map[string]any
	if buf != nil {
		if buf.top == nil {
			buf.top, buf.res, buf.tags = make(map[string]any, 2), make(map[string]any, 12), map[string]any{}
		}
		top, res = buf.top, buf.res
		clear(res)
		clear(buf.tags)
		for k, v := range r.Tags {
			buf.tags[k] = v
		}
	} else {
		top, res = make(map[string]any, 2), make(map[string]any, 12)
	}
	if err := fillResourceMap(res, r); err != nil {
		return nil, err
	}
	if buf != nil {
		res["tags"] = buf.tags
	}
	top["kind"] = string(model.SubjectResource)
	top["resource"] = res
	return ast.LazyObject(top), nil
}

// driftInput builds {"kind": "drift", "drift": {kind, resource, diffs, sources}}.
func driftInput(d *model.Drift) (ast.Value, error) {
	res, err := resourceMap(&d.Resource)
	if err != nil {
		return nil, err
	}
	diffs := make([]any, len(d.Diffs))
	for i, df := range d.Diffs {
		diffs[i] = map[string]any{"path": df.Path, "applied": df.Applied, "live": df.Live, "sensitive": df.Sensitive}
	}
	sources := make([]any, len(d.Sources))
	for i, s := range d.Sources {
		sources[i] = s
	}
	drift := map[string]any{"kind": string(d.Kind), "resource": res, "diffs": diffs, "sources": sources}
	return ast.LazyObject(map[string]any{"kind": string(model.SubjectDrift), "drift": drift}), nil
}

// resourceMap is the input's resource object. Every key is present (empty
// strings, {} tags and attributes) so policies need no existence checks.
// Sensitive attribute values are replaced by model.Redacted before any
// policy sees them, so no message can leak them.
func resourceMap(r *model.Resource) (map[string]any, error) {
	m := make(map[string]any, 12)
	if err := fillResourceMap(m, r); err != nil {
		return nil, err
	}
	return m, nil
}

// fillResourceMap puts resourceMap's keys into m.
func fillResourceMap(m map[string]any, r *model.Resource) error {
	attrs, err := r.Attrs()
	if err != nil {
		return err
	}
	if len(r.Sensitive) > 0 {
		attrs = redact(attrs, r.Sensitive)
	}
	if attrs == nil {
		attrs = map[string]any{}
	}
	tags := r.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	provider := r.Provider
	if provider == "" {
		provider = model.ProviderOf(r.Type)
	}
	m["id"] = r.ID
	m["type"] = r.Type
	m["provider"] = provider
	m["native_id"] = r.NativeID
	m["address"] = r.Address
	m["stack"] = r.Stack
	m["account"] = r.Account
	m["region"] = r.Region
	m["tags"] = tags
	m["attributes"] = attrs
	m["managed"] = r.Managed()
	m["source"] = r.Source
	return nil
}

// redact returns attrs with the value at each path (dotted, [n] indexes:
// root_block_device[0].kms_key_id) replaced by model.Redacted. The maps and
// slices along a path are copied; attrs itself is never modified.
func redact(attrs map[string]any, paths []string) map[string]any {
	var out any = attrs
	for _, p := range paths {
		if segs := splitPath(p); len(segs) > 0 {
			out = redactAt(out, segs)
		}
	}
	m, _ := out.(map[string]any)
	return m
}

func redactAt(v any, segs []string) any {
	if len(segs) == 0 {
		return model.Redacted
	}
	switch x := v.(type) {
	case map[string]any:
		child, ok := x[segs[0]]
		if !ok {
			return v
		}
		c := maps.Clone(x)
		c[segs[0]] = redactAt(child, segs[1:])
		return c
	case []any:
		i, err := strconv.Atoi(segs[0])
		if err != nil || i < 0 || i >= len(x) {
			return v
		}
		c := slices.Clone(x)
		c[i] = redactAt(x[i], segs[1:])
		return c
	default:
		return v
	}
}

// splitPath splits a.b[0].c into a, b, 0, c.
func splitPath(p string) []string {
	p = strings.NewReplacer("[", ".", "]", "").Replace(p)
	var out []string
	for s := range strings.SplitSeq(p, ".") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
