package engine

import (
	"maps"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/model"
)

// view is the best knowledge of every existing resource this cycle: the
// applied attributes overlaid with what a live source saw. Policies are
// evaluated on it, so a bucket made public by hand is caught even though
// its state says private.
type view struct {
	resources []model.Resource
	managed   int
	unmanaged int
	// liveSources names the inventory sources (to build scopes).
	liveSources map[string]bool
}

// liveView builds the view. Live resources that match no state are
// included only when every state loaded (withUnmatched): otherwise they may
// belong to the state that could not be read.
func liveView(stacks []collectors.Stack, invs []collectors.Inventory, withUnmatched bool) *view {
	v := &view{liveSources: map[string]bool{}}
	type key struct{ a, b string }
	byID := map[string]int{}
	byAddr := map[key]int{}
	byNative := map[key]int{}
	for _, s := range stacks {
		for _, r := range s.Resources {
			i := len(v.resources)
			v.resources = append(v.resources, r)
			if r.ID != "" {
				byID[r.ID] = i
			}
			byAddr[key{s.Name, r.Address}] = i
			if r.NativeID != "" {
				byNative[key{r.Type, r.NativeID}] = i
			}
		}
	}
	// Deposed objects (collectors.Stack.Deposed) are in the view only when
	// a live source lists them: managed by their stack, never unmanaged.
	depByID := map[string]model.Resource{}
	depByNative := map[key]model.Resource{}
	for _, s := range stacks {
		for _, d := range s.Deposed {
			if d.ID != "" {
				depByID[d.ID] = d.Resource
			}
			if d.NativeID != "" {
				depByNative[key{d.Type, d.NativeID}] = d.Resource
			}
		}
	}
	deposed := func(lr collectors.LiveResource) (model.Resource, bool) {
		if d, ok := depByID[lr.ID]; ok && lr.ID != "" {
			return d, true
		}
		d, ok := depByNative[key{lr.Type, lr.NativeID}]
		return d, ok && lr.NativeID != ""
	}
	gone := map[int]bool{}
	for _, inv := range invs {
		v.liveSources[inv.Source] = true
		for _, lr := range inv.Resources {
			i, ok := -1, false
			if lr.Stack != "" && lr.Address != "" {
				i, ok = byAddr[key{lr.Stack, lr.Address}]
			}
			if !ok && lr.ID != "" {
				i, ok = byID[lr.ID]
			}
			if !ok && lr.NativeID != "" {
				i, ok = byNative[key{lr.Type, lr.NativeID}]
			}
			var dep model.Resource
			isDep := false
			if !ok && !lr.Gone && lr.Address == "" {
				dep, isDep = deposed(lr)
			}
			switch {
			case ok && lr.Gone:
				gone[i] = true
			case ok:
				v.resources[i] = overlay(v.resources[i], lr, inv.Source)
			case lr.Gone:
				// Gone and not in any loaded state: nothing exists to evaluate.
			case isDep:
				// A deposed object still live: its stack manages it.
				i := len(v.resources)
				v.resources = append(v.resources, overlay(dep, lr, inv.Source))
				if lr.ID != "" {
					byID[lr.ID] = i
				}
				if lr.NativeID != "" {
					byNative[key{lr.Type, lr.NativeID}] = i
				}
			case lr.Address != "":
				// Managed by a stack whose state was not loaded (plan only).
				r := lr.Resource
				if r.Source == "" {
					r.Source = inv.Source
				}
				if len(r.Attributes) == 0 && len(lr.Before) > 0 {
					r.Attributes, r.Sensitive = lr.Before, lr.BeforeSensitive
				}
				i := len(v.resources)
				v.resources = append(v.resources, r)
				byAddr[key{lr.Stack, lr.Address}] = i
			case !withUnmatched:
				// Possibly managed by an unreadable state: not judged this cycle.
			default:
				r := lr.Resource
				if r.Source == "" {
					r.Source = inv.Source
				}
				i := len(v.resources)
				v.resources = append(v.resources, r)
				if r.ID != "" {
					byID[r.ID] = i
				}
				if r.NativeID != "" {
					byNative[key{r.Type, r.NativeID}] = i
				}
			}
		}
	}
	if len(gone) > 0 {
		kept := v.resources[:0]
		for i, r := range v.resources {
			if !gone[i] {
				kept = append(kept, r)
			}
		}
		v.resources = kept
	}
	for _, r := range v.resources {
		if r.Managed() {
			v.managed++
		} else {
			v.unmanaged++
		}
	}
	return v
}

// overlay returns the applied resource with what the live source saw on top:
// a full observation replaces the attributes, a partial one replaces the
// attributes it observed.
func overlay(applied model.Resource, lr collectors.LiveResource, source string) model.Resource {
	// What the state leaves unsaid of where the resource lives (an S3
	// bucket's ARN names no account) the live source knows.
	if applied.Account == "" {
		applied.Account = lr.Account
	}
	if applied.Region == "" {
		applied.Region = lr.Region
	}
	if len(lr.Attributes) == 0 {
		return applied
	}
	out := applied
	out.Source = source
	if !lr.Partial {
		out.Attributes, out.RawAttributes = lr.Attributes, nil
	} else {
		base, err := applied.Attrs()
		if err != nil || base == nil {
			base = map[string]any{}
		}
		merged := maps.Clone(base)
		maps.Copy(merged, lr.Attributes)
		out.Attributes, out.RawAttributes = merged, nil
	}
	out.Sensitive = append(append([]string(nil), applied.Sensitive...), lr.Sensitive...)
	if len(lr.Tags) > 0 {
		out.Tags = lr.Tags
	}
	return out
}
