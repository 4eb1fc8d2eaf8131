package evaluator

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/driftwarden/driftwarden/model"
)

// Input is one subject for Evaluate: exactly one field is set.
type Input struct {
	Resource *model.Resource
	Drift    *model.Drift
	Event    *model.Event
	Plan     *PlanInput
}

// Kind is the input kind of the subject set.
func (in Input) Kind() model.SubjectKind {
	switch {
	case in.Resource != nil:
		return model.SubjectResource
	case in.Drift != nil:
		return model.SubjectDrift
	case in.Event != nil:
		return model.SubjectEvent
	case in.Plan != nil:
		return model.SubjectPlan
	}
	return ""
}

// Evaluate evaluates one subject like EvaluateResources (EvaluateDrifts,
// EvaluateEvents, EvaluatePlan) would. When explain is not nil it evaluates
// the applicable policies one by one with OPA's tracer and writes each
// policy's evaluation trace to explain (`policy eval --explain`; slow).
func (e *Evaluator) Evaluate(ctx context.Context, in Input, explain io.Writer) ([]model.Violation, []error) {
	if explain == nil {
		switch in.Kind() {
		case model.SubjectResource:
			return e.EvaluateResources(ctx, []model.Resource{*in.Resource})
		case model.SubjectDrift:
			return e.EvaluateDrifts(ctx, []model.Drift{*in.Drift})
		case model.SubjectEvent:
			return e.EvaluateEvents(ctx, []model.Event{*in.Event})
		case model.SubjectPlan:
			return e.EvaluatePlan(ctx, *in.Plan)
		}
		return nil, []error{errors.New("evaluating: no input given")}
	}

	var (
		ref   subjectRef
		value ast.Value
		err   error
	)
	switch in.Kind() {
	case model.SubjectResource:
		ref = resourceRef(in.Resource)
		value, err = resourceInput(in.Resource)
	case model.SubjectDrift:
		ref = resourceRef(&in.Drift.Resource)
		value, err = driftInput(in.Drift)
	case model.SubjectEvent:
		ref = subjectRef{id: in.Event.ID}
		value = eventInput(in.Event)
	case model.SubjectPlan:
		ref = subjectRef{id: in.Plan.Stack}
		value, err = planInput(in.Plan)
	default:
		return nil, []error{errors.New("evaluating: no input given")}
	}
	if err != nil {
		return nil, []error{fmt.Errorf("building the policy input: %w", err)}
	}
	set := e.set.Load()
	pl := set.plans[in.Kind()].planFor(ref.typ)
	if pl == nil {
		fmt.Fprintf(explain, "no enabled %s policy applies to this input\n", in.Kind())
		return nil, nil
	}
	txn, err := set.store.NewTransaction(ctx)
	if err != nil {
		return nil, []error{fmt.Errorf("opening a policy data transaction: %w", err)}
	}
	defer set.store.Abort(ctx, txn)
	out := &chunkResult{}
	w := &worker{e: e, kind: in.Kind(), txn: txn, out: out}
	for _, p := range pl.policies {
		tracer := topdown.NewBufferTracer()
		rs, err := p.query.Eval(ctx, rego.EvalParsedInput(value), rego.EvalTransaction(txn), rego.EvalQueryTracer(tracer))
		fmt.Fprintf(explain, "# policy %s (%s, package %s)\n", p.info.ID, p.info.File, p.info.Package)
		topdown.PrettyTraceWithLocation(explain, *tracer)
		fmt.Fprintln(explain)
		if err != nil {
			w.fail(p, ref, err)
			continue
		}
		if len(rs) > 0 {
			t, _ := rs[0].Bindings[resultVar(0)].(*ast.Term)
			w.collect(p, ref, t)
		}
	}
	return out.violations, out.errs
}
