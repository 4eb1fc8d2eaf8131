package evaluator

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/driftwarden/driftwarden/model"
)

// The inventory lets a resource policy consult the cycle's other resources
// (Gatekeeper's data.inventory): a policy lists the types it needs in
// custom.inventory_types, and EvaluateResourcesWithInventory exposes the
// cycle's resources of every type some enabled resource policy declares at
//
//	data.driftwarden.inventory[<type>] = [{id, type, account, region, address, stack, attributes}, ...]
//
// (attributes redacted like the input's). A declared type without resources,
// and every declared type with EvaluateResources, is an empty list.
//
// Each call evaluates on a store of its own (the set's data plus that call's
// inventory) with fresh per-worker caches, so no inventory outlives its call
// and concurrent calls never see each other's. Policies that declare
// inventory_types are never pruned (prune.go): partial evaluation runs with
// the empty inventory, which proves nothing about a cycle's.

// InventoryTypes lists, sorted, the resource types the enabled resource
// policies declare in custom.inventory_types: the resources a caller should
// pass to EvaluateResourcesWithInventory.
func (e *Evaluator) InventoryTypes() []string {
	return slices.Sorted(maps.Keys(e.set.Load().inventoryTypes))
}

// EvaluateResourcesWithInventory is EvaluateResources with the cycle's
// resources of the declared inventory types (InventoryTypes) exposed to the
// policies at data.driftwarden.inventory. Resources of other types in
// inventory are ignored; inventory may hold the resources evaluated. A
// resource whose attributes cannot be read is left out of the inventory and
// reported as an error; the evaluation goes on.
func (e *Evaluator) EvaluateResourcesWithInventory(ctx context.Context, resources, inventory []model.Resource) ([]model.Violation, []error) {
	set := e.set.Load()
	store := set.store
	var invErrs []error
	if len(set.inventoryTypes) > 0 && len(inventory) > 0 {
		var byType map[string][]*ast.Term
		byType, invErrs = inventoryTerms(set.inventoryTypes, inventory)
		store = inmem.NewFromASTObject(withInventory(set.data, set.inventoryTypes, byType))
	}
	vs, errs := e.evaluateOn(ctx, set, store, model.SubjectResource, len(resources),
		func(i int) subjectRef { return resourceRef(&resources[i]) },
		func(i int, buf *inputBuf) (ast.Value, error) { return resourceInputBuf(&resources[i], buf) })
	if len(invErrs) > 0 {
		errs = append(invErrs, errs...)
	}
	return vs, errs
}

// inventoryTerms converts the resources of the declared types, in order.
func inventoryTerms(types map[string]bool, inventory []model.Resource) (map[string][]*ast.Term, []error) {
	out := map[string][]*ast.Term{}
	var errs []error
	for i := range inventory {
		r := &inventory[i]
		if !types[r.Type] {
			continue
		}
		t, err := inventoryItem(r)
		if err != nil {
			errs = append(errs, fmt.Errorf("building the policy inventory entry of resource %s: %w", r.ID, err))
			continue
		}
		out[r.Type] = append(out[r.Type], t)
	}
	return out, errs
}

// inventoryItem is one inventory entry: the input resource's identity keys
// and its redacted attributes (as fillResourceMap builds them).
func inventoryItem(r *model.Resource) (*ast.Term, error) {
	m := make(map[string]any, 12)
	if err := fillResourceMap(m, r); err != nil {
		return nil, err
	}
	v, err := ast.InterfaceToValue(map[string]any{
		"id":         m["id"],
		"type":       m["type"],
		"account":    m["account"],
		"region":     m["region"],
		"address":    m["address"],
		"stack":      m["stack"],
		"attributes": m["attributes"],
	})
	if err != nil {
		return nil, err
	}
	return ast.NewTerm(v), nil
}

var (
	driftwardenKey   = ast.StringTerm("driftwarden")
	inventoryKey     = ast.StringTerm("inventory")
	inventoryByIDKey = ast.StringTerm("inventory_by_id")
	idKey            = ast.StringTerm("id")
	emptyString      = ast.StringTerm("")
)

// withInventory returns data with data.driftwarden.inventory set to one
// list per declared type (byType's, or empty), and
// data.driftwarden.inventory_by_id to the same entries by type and id. data is not modified: the
// objects along the path are copied, the rest is shared (the store only
// reads it).
func withInventory(data ast.Object, types map[string]bool, byType map[string][]*ast.Term) ast.Object {
	inv, byID := ast.NewObject(), ast.NewObject()
	for _, t := range slices.Sorted(maps.Keys(types)) {
		inv.Insert(ast.StringTerm(t), ast.ArrayTerm(byType[t]...))
		// The same entries by id, for lookups that would otherwise scan
		// the list once per resource evaluated.
		ids := ast.NewObject()
		for _, e := range byType[t] {
			if o, ok := e.Value.(ast.Object); ok {
				// The first entry of an id wins; entries without one are in
				// the list only.
				if id := o.Get(idKey); id != nil && !id.Equal(emptyString) && ids.Get(id) == nil {
					ids.Insert(id, e)
				}
			}
		}
		byID.Insert(ast.StringTerm(t), ast.NewTerm(ids))
	}
	dw := ast.NewObject()
	if old := data.Get(driftwardenKey); old != nil {
		if o, ok := old.Value.(ast.Object); ok {
			o.Foreach(func(k, v *ast.Term) {
				if !k.Equal(inventoryKey) && !k.Equal(inventoryByIDKey) {
					dw.Insert(k, v)
				}
			})
		}
	}
	dw.Insert(inventoryKey, ast.NewTerm(inv))
	dw.Insert(inventoryByIDKey, ast.NewTerm(byID))
	out := ast.NewObject()
	data.Foreach(func(k, v *ast.Term) {
		if !k.Equal(driftwardenKey) {
			out.Insert(k, v)
		}
	})
	out.Insert(driftwardenKey, ast.NewTerm(dw))
	return out
}
