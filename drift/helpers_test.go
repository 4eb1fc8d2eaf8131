package drift

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/model"
)

// fixedNow is the clock of every test.
var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testOpts completes options for a test with the fixed clock.
func testOpts(o Options) Options {
	if o.Now == nil {
		o.Now = func() time.Time { return fixedNow }
	}
	return o
}

// res builds an applied or live resource of a type with native id id.
func res(typ, name, id string, attrs map[string]any) model.Resource {
	return model.Resource{
		ID: model.CanonicalID("", typ, id), Type: typ, Provider: model.ProviderOf(typ),
		NativeID: id, Address: typ + "." + name, Attributes: attrs,
	}
}

func live(r model.Resource) collectors.LiveResource {
	r.Address, r.Stack = "", ""
	return collectors.LiveResource{Resource: r}
}

func stack(name string, rs ...model.Resource) collectors.Stack {
	return collectors.Stack{Name: name, Source: "state", Resources: rs}
}

func inventory(source string, covers []string, lrs ...collectors.LiveResource) collectors.Inventory {
	inv := collectors.Inventory{Source: source, Resources: lrs}
	if len(covers) > 0 {
		inv.Coverage.Types = map[string]bool{}
		for _, t := range covers {
			inv.Coverage.Types[t] = true
		}
	}
	return inv
}

// diffOne compares one applied attribute map with one live map of a type.
func diffOne(t *testing.T, typ string, applied, liveAttrs map[string]any, partial bool, o Options) ([]model.Diff, Result) {
	t.Helper()
	a := res(typ, "x", "i-1", applied)
	l := live(res(typ, "x", "i-1", liveAttrs))
	l.Partial = partial
	r := Compare([]collectors.Stack{stack("s", a)}, []collectors.Inventory{inventory("inv", nil, l)}, testOpts(o))
	switch len(r.Drifts) {
	case 0:
		return nil, r
	case 1:
		require.Equal(t, model.DriftChanged, r.Drifts[0].Kind)
		return r.Drifts[0].Diffs, r
	}
	t.Fatalf("want at most one drift, got %d: %+v", len(r.Drifts), r.Drifts)
	return nil, r
}

// copyJSON deep-copies a decoded JSON value.
func copyJSON(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[k] = copyJSON(e)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, e := range t {
			l[i] = copyJSON(e)
		}
		return l
	}
	return v
}

func cp(m map[string]any) map[string]any { return copyJSON(m).(map[string]any) }

// with returns a copy of m with keys set (a nil value deletes the key).
func with(m map[string]any, kv ...any) map[string]any {
	c := cp(m)
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
			continue
		}
		c[kv[i].(string)] = kv[i+1]
	}
	return c
}

func paths(ds []model.Diff) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Path)
	}
	return out
}
