package drift

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/driftwarden/driftwarden/model"
)

// equal reports whether an applied value a and a live value b are the same
// after noise control. s is the schema of the value (nil when unknown), f the
// ignored paths below it. It does not allocate unless a JSON string must be
// parsed or a list longer than 64 compared out of order.
func equal(a, b any, s *node, f *filter) bool {
	if f.stopped() {
		return true
	}
	switch av := a.(type) {
	case string:
		if bv, ok := b.(string); ok {
			return av == bv || equalJSONStrings(av, bv)
		}
	case map[string]any:
		if bv, ok := b.(map[string]any); ok {
			return equalMaps(av, bv, s, f)
		}
	case []any:
		if bv, ok := b.([]any); ok {
			return equalLists(av, bv, s, f)
		}
	case bool:
		if bv, ok := b.(bool); ok {
			return av == bv
		}
	case float64:
		if bv, ok := b.(float64); ok {
			return av == bv
		}
	case nil:
		return isEmpty(b)
	}
	return equalMixed(a, b)
}

// equalMixed compares values of different dynamic types.
func equalMixed(a, b any) bool {
	if an, ok := number(a); ok {
		if bn, ok := number(b); ok {
			return an == bn
		}
	}
	if isEmpty(a) && isEmpty(b) {
		return true
	}
	// Inventories stringify scalars: "80" == 80, "true" == true.
	if as, ok := a.(string); ok {
		return scalarString(as, b)
	}
	if bs, ok := b.(string); ok {
		return scalarString(bs, a)
	}
	return false
}

func scalarString(s string, v any) bool {
	switch t := v.(type) {
	case bool:
		bv, err := strconv.ParseBool(s)
		return err == nil && bv == t
	case map[string]any, []any:
		// A JSON document held as a string on one side, decoded on the other.
		doc, ok := parseJSONString(s)
		return ok && equal(doc, canonicalDoc(v), nil, nil)
	}
	if n, ok := number(v); ok {
		f, err := strconv.ParseFloat(s, 64)
		return err == nil && f == n
	}
	return false
}

// equalJSONStrings compares two different strings that both hold JSON
// documents semantically (policies, container definitions).
func equalJSONStrings(a, b string) bool {
	if !looksJSON(a) || !looksJSON(b) {
		return false
	}
	da, ok := parseJSONString(a)
	if !ok {
		return false
	}
	db, ok := parseJSONString(b)
	return ok && equal(da, db, nil, nil)
}

func looksJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			continue
		case '{', '[', '%':
			return true
		}
		return false
	}
	return false
}

// skipAttr reports whether a schema says an attribute is not to be compared:
// computed-only, or optional+computed left to the server (applied empty).
func skipAttr(s *node, applied any) bool {
	return s != nil && s.computed && (!s.optional || isEmpty(applied))
}

func equalMaps(a, b map[string]any, s *node, f *filter) bool {
	for k, av := range a {
		cf := f.key(k)
		if cf.stopped() {
			continue
		}
		cs := s.child(k)
		if skipAttr(cs, av) {
			continue
		}
		bv, ok := b[k]
		if !ok {
			if !isEmpty(av) {
				return false
			}
			continue
		}
		if !equal(av, bv, cs, cf) {
			return false
		}
	}
	for k, bv := range b {
		if _, ok := a[k]; ok {
			continue
		}
		if f.key(k).stopped() || skipAttr(s.child(k), nil) {
			continue
		}
		if !isEmpty(bv) {
			return false
		}
	}
	return true
}

// ordered reports whether a list is compared in order: only when a schema
// says it is a list. Sets and lists of unknown kind are multisets.
func ordered(s *node) bool { return s != nil && s.kind == kindList }

func equalLists(a, b []any, s *node, f *filter) bool {
	if len(a) != len(b) {
		return isEmpty(a) && isEmpty(b)
	}
	es := s.element()
	if ordered(s) {
		for i := range a {
			if !equal(a[i], b[i], es, f.index(i)) {
				return false
			}
		}
		return true
	}
	ef := f.index(-1)
	if len(a) <= 64 {
		var used uint64
	next:
		for i, x := range a {
			if used&(1<<uint(i)) == 0 && equal(x, b[i], es, ef) {
				used |= 1 << uint(i)
				continue
			}
			for j := range b {
				if used&(1<<uint(j)) == 0 && j != i && equal(x, b[j], es, ef) {
					used |= 1 << uint(j)
					continue next
				}
			}
			return false
		}
		return true
	}
	used := make([]bool, len(b))
next2:
	for i, x := range a {
		if !used[i] && equal(x, b[i], es, ef) {
			used[i] = true
			continue
		}
		for j := range b {
			if !used[j] && j != i && equal(x, b[j], es, ef) {
				used[j] = true
				continue next2
			}
		}
		return false
	}
	return true
}

// isEmpty reports whether a value counts as absent: nil, "", false, 0, an
// empty list or map, a map whose values are all empty, or a list of such
// maps (an unset nested block that SDKv2 stores as [{"enabled": false}]).
func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case bool:
		return !t
	case float64:
		return t == 0
	case map[string]any:
		for _, e := range t {
			if !isEmpty(e) {
				return false
			}
		}
		return true
	case []any:
		for _, e := range t {
			if _, ok := e.(map[string]any); !ok || !isEmpty(e) {
				return false
			}
		}
		return true
	}
	n, ok := number(v)
	return ok && n == 0
}

// number returns the numeric value of any Go or JSON number.
func number(v any) (float64, bool) {
	switch t := v.(type) {
	case float64:
		return t, true
	case int:
		return float64(t), true
	case int64:
		return float64(t), true
	case int32:
		return float64(t), true
	case uint64:
		return float64(t), true
	case uint32:
		return float64(t), true
	case uint:
		return float64(t), true
	case float32:
		return float64(t), true
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		return f, err == nil && !math.IsNaN(f)
	}
	return 0, false
}

// differ collects the diffs of one resource.
type differ struct {
	out  []model.Diff
	sens sensitivePaths
}

// diff records where a and b (known to differ) differ: it descends into
// objects and into lists compared in order (or single-element lists), and
// reports a differing set, or a list whose length changed, as one diff on
// its own path. secret is true below a sensitive or secret-looking key.
func (d *differ) diff(path string, a, b any, s *node, f *filter, secret bool) {
	if s != nil && s.sensitive {
		secret = true
	}
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			break
		}
		for k, x := range av {
			cf := f.key(k)
			cs := s.child(k)
			if cf.stopped() || skipAttr(cs, x) {
				continue
			}
			y, ok := bv[k]
			if (!ok && isEmpty(x)) || (ok && equal(x, y, cs, cf)) {
				continue
			}
			d.diff(model.JoinPath(path, k), x, y, cs, cf, secret || secretKey(k))
		}
		for k, y := range bv {
			if _, ok := av[k]; ok {
				continue
			}
			cf := f.key(k)
			cs := s.child(k)
			if cf.stopped() || skipAttr(cs, nil) || isEmpty(y) {
				continue
			}
			d.diff(model.JoinPath(path, k), nil, y, cs, cf, secret || secretKey(k))
		}
		return
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			break
		}
		if ordered(s) {
			for i := range av {
				if !equal(av[i], bv[i], s.element(), f.index(i)) {
					d.diff(model.IndexPath(path, i), av[i], bv[i], s.element(), f.index(i), secret)
				}
			}
			return
		}
		if len(av) == 1 {
			d.diff(model.IndexPath(path, 0), av[0], bv[0], s.element(), f.index(-1), secret)
			return
		}
	}
	d.leaf(path, a, b, secret)
}

func (d *differ) leaf(path string, a, b any, secret bool) {
	if secret || d.sens.overlaps(path) || containsSecret(a) || containsSecret(b) {
		d.out = append(d.out, model.Diff{Path: path, Applied: model.Redacted, Live: model.Redacted, Sensitive: true})
		return
	}
	d.out = append(d.out, model.Diff{Path: path, Applied: a, Live: b})
}
