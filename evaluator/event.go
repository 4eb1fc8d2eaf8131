package evaluator

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/driftwarden/driftwarden/model"
)

// EvaluateEvents evaluates every audit event against the enabled policies
// whose input kind is event (all of them: resource_types does not apply to
// events). A violation's SubjectKind is event and its Subject the event id;
// it carries no Resource. The input is
//
//	{"kind": "event", "event": {id, time (RFC 3339, UTC), source, service, action,
//	  principal: {id, type, person, issuer}, via, source_ip, user_agent, error_code,
//	  read_only, account, region, resources: [...], request: {...}, verdict, stack}}
//
// with every key present; the raw record (Event.Raw) is never part of it.
func (e *Evaluator) EvaluateEvents(ctx context.Context, events []model.Event) ([]model.Violation, []error) {
	return e.evaluate(ctx, model.SubjectEvent, len(events),
		func(i int) subjectRef { return subjectRef{id: events[i].ID} },
		func(i int, _ *inputBuf) (ast.Value, error) { return eventInput(&events[i]), nil })
}

// EvaluatePlan evaluates one plan against the enabled policies whose input
// kind is plan. Violations have SubjectKind plan and the plan's stack as
// Subject. See PlanInput for the input document.
func (e *Evaluator) EvaluatePlan(ctx context.Context, p PlanInput) ([]model.Violation, []error) {
	return e.evaluate(ctx, model.SubjectPlan, 1,
		func(int) subjectRef { return subjectRef{id: p.Stack} },
		func(int, *inputBuf) (ast.Value, error) { return planInput(&p) })
}

// eventInput builds the event document lazily, like resources.
func eventInput(ev *model.Event) ast.Value {
	resources := make([]any, len(ev.Resources))
	for i, r := range ev.Resources {
		resources[i] = r
	}
	// An undecoded request stays bytes until a policy reads
	// input.event.request: the lazy object converts a value on first
	// access, and most policies return on the action before that.
	var request any = ev.Request
	switch {
	case ev.Request != nil:
	case len(ev.RequestJSON) > 0 && ev.RequestJSON[0] == '{' && json.Valid(ev.RequestJSON):
		request = ev.RequestJSON
	default:
		request = map[string]any{}
	}
	t := ""
	if !ev.Time.IsZero() {
		t = ev.Time.UTC().Format(time.RFC3339)
	}
	doc := map[string]any{
		"id":      ev.ID,
		"time":    t,
		"source":  ev.Source,
		"service": ev.Service,
		"action":  ev.Action,
		"principal": map[string]any{
			"id": ev.Principal.ID, "type": ev.Principal.Type,
			"person": ev.Principal.Person, "issuer": ev.Principal.Issuer,
		},
		"via":        string(ev.Via),
		"source_ip":  ev.SourceIP,
		"user_agent": ev.UserAgent,
		"error_code": ev.ErrorCode,
		"read_only":  ev.ReadOnly,
		"account":    ev.Account,
		"region":     ev.Region,
		"resources":  resources,
		"request":    request,
		"verdict":    ev.Verdict,
		"stack":      ev.Stack,
	}
	return ast.LazyObject(map[string]any{"kind": string(model.SubjectEvent), "event": doc})
}

// planInput converts the plan eagerly: one plan is evaluated once, and
// its values come from JSON (json.Number, maps, slices) which always convert.
func planInput(p *PlanInput) (ast.Value, error) {
	changes := make([]any, len(p.ResourceChanges))
	for i, c := range p.ResourceChanges {
		actions := make([]any, len(c.Actions))
		for j, a := range c.Actions {
			actions[j] = a
		}
		changes[i] = map[string]any{
			"address":       c.Address,
			"type":          c.Type,
			"name":          c.Name,
			"provider_name": c.ProviderName,
			"mode":          c.Mode,
			"actions":       actions,
			"before":        c.Before,
			"after":         c.After,
		}
	}
	doc := map[string]any{
		"kind": string(model.SubjectPlan),
		"plan": map[string]any{
			"stack":            p.Stack,
			"branch":           p.Branch,
			"tracked_branch":   p.TrackedBranch,
			"format_version":   p.FormatVersion,
			"resource_changes": changes,
		},
	}
	v, err := ast.InterfaceToValue(doc)
	if err != nil {
		return nil, fmt.Errorf("converting the plan of %s: %w", p.Stack, err)
	}
	return v, nil
}
