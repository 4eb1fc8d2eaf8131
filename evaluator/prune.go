package evaluator

import (
	"context"
	"maps"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"

	"github.com/driftwarden/driftwarden/model"
)

// prunePlan drops from ps the policies that can never deny a subject of
// this kind and resource type (typ "" for the generic plan, whose subjects'
// type is unknown) under the set's data, e.g. DW-REGION-001 while
// approved_regions is empty. The proof is OPA's partial evaluation of the
// combined query with the data known, the input unknown except its kind and
// the subject's resource type: a policy whose deny set partially evaluates
// to the constant set() is empty for every such input (no input-dependent
// builtin call survives, so it cannot error either). When partial
// evaluation fails or its result has another shape, nothing is pruned.
// Policies declaring custom.inventory_types are never pruned (the data
// partial evaluation sees holds an empty inventory).
func (e *Evaluator) prunePlan(ctx context.Context, c *ast.Compiler, store storage.Store, kind model.SubjectKind, typ string, ps []*policy) []*policy {
	if len(ps) == 0 || !perResourceType(kind) {
		return ps
	}
	known, unknowns := partialInput(kind, typ)
	body := denyQuery(ps)
	pq, err := rego.New(
		rego.ParsedQuery(body),
		rego.Compiler(c),
		rego.Store(store),
		rego.Input(known),
		rego.Unknowns(unknowns),
		rego.StrictBuiltinErrors(true),
	).Partial(ctx)
	if err != nil || len(pq.Queries) != 1 {
		if err != nil {
			e.log.Debug("partial evaluation failed; no policy pruned", "kind", kind, "resource_type", typ, "error", err)
		}
		return ps
	}
	empty := map[string]bool{}
	for _, expr := range pq.Queries[0] {
		if !expr.IsEquality() || len(expr.With) > 0 || expr.Negated {
			continue
		}
		a, b := expr.Operand(0), expr.Operand(1)
		if _, ok := a.Value.(ast.Var); !ok {
			a, b = b, a
		}
		v, ok := a.Value.(ast.Var)
		if s, isSet := b.Value.(ast.Set); ok && isSet && s.Len() == 0 {
			empty[string(v)] = true
		}
	}
	if len(empty) == 0 {
		return ps
	}
	out := make([]*policy, 0, len(ps))
	for i, p := range ps {
		// A policy reading the inventory is proven empty only for the empty
		// inventory partial evaluation sees, not for a cycle's: keep it.
		if empty[resultVar(i)] && len(p.info.InventoryTypes) == 0 {
			e.log.Debug("policy cannot deny this resource type under the current data; not evaluated", "policy_id", p.info.ID, "kind", kind, "resource_type", typ)
			continue
		}
		out = append(out, p)
	}
	return out
}

// partialInput is the known part of a subject's input for partial
// evaluation (its kind and, unless typ is "", its resource type) and the
// unknown refs: every other key the evaluator puts in the input
// (resourceMap, driftInput), so that a policy reading any of them is kept.
func partialInput(kind model.SubjectKind, typ string) (map[string]any, []string) {
	res, _ := resourceMap(&model.Resource{})
	prefix := "input.resource."
	var unknowns []string
	known := map[string]any{"kind": string(kind)}
	knownRes := map[string]any{}
	if kind == model.SubjectDrift {
		prefix = "input.drift.resource."
		d, _ := driftInput(&model.Drift{})
		doc := d.(ast.Object).Get(ast.StringTerm("drift")).Value.(ast.Object)
		for _, k := range doc.Keys() {
			if s := string(k.Value.(ast.String)); s != "resource" {
				unknowns = append(unknowns, "input.drift."+s)
			}
		}
		known["drift"] = map[string]any{"resource": knownRes}
	} else {
		known["resource"] = knownRes
	}
	for _, k := range slices.Sorted(maps.Keys(res)) {
		if k == "type" && typ != "" {
			knownRes[k] = typ
			continue
		}
		unknowns = append(unknowns, prefix+k)
	}
	return known, unknowns
}

// denyQuery is denyBody over ps's packages.
func denyQuery(ps []*policy) ast.Body {
	pkgs := make([]ast.Ref, len(ps))
	for i, p := range ps {
		pkgs[i] = p.path
	}
	return denyBody(pkgs)
}
