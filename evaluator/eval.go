// How evaluation is made fast (issue 6, "Evaluation speed"; measured with
// go test -run '^$' -bench 'EvaluateResources100k$' -benchtime 1x -cpu 1 ./evaluator/,
// the resources/cpu-s metric, median of 3 runs on the shared 2-core machine:
// 5.46 CPU-s (18.3k resources/cpu-s) before the direct topdown call, the
// reused caches and input maps and the has_tag default; 4.44 CPU-s (22.5k
// resources/cpu-s, 22.6k resources/s) after them):
//
//   - Nothing is compiled per subject: every policy set prepares, once, one
//     combined query per resource type (evaluator.go) over only the policies
//     that apply to that type, and OPA's rule indexing picks the rules.
//   - The combined query runs on OPA's topdown evaluator directly
//     (direct.go), with exactly the options the rego package sets (strict
//     builtin errors, indexing, early exit, no print hook): no evaluation
//     context, cancellation goroutine or result set per subject (~10%).
//     The rego prepared queries remain for --explain.
//   - Each worker keeps, for its whole batch, one read transaction, one
//     cancellation watcher, one virtual cache (vcache.go; reset empties it
//     but keeps its memory, refs copied into one slab) and one base-document
//     cache (direct.go; the data cannot change within the transaction, so
//     data.driftwarden.config is read from the store once per worker, ~5%).
//   - Policies that cannot deny a type under the set's data are not
//     evaluated at all (prune.go): partial evaluation with the data known and
//     the input unknown except its kind and resource type proves it, e.g.
//     DW-REGION-001 while approved_regions is empty (~11% of the CPU time).
//   - The input is a lazy AST object (input.go): only what a policy reads is
//     converted. Its Go maps (outer, resource, tags) are reused from one
//     resource to the next by each worker (~4%, less GC).
//   - DW-TAG-001: OPA memoises a function's defined results only, so the
//     missing-tag path scanned every tag source twice (deny, then missing for
//     the message); `default has_tag(_) := false` makes the second call a
//     cache hit (~3% overall; same deny sets and errors, checked against the
//     old rule on 20,000 generated inputs including malformed ones).
//   - OPA metrics are off (noMetrics) and results stay AST.
//
// Measured and rejected: batching several resources into one evaluation
// with `with input as` (15% slower: each `with` pushes fresh caches);
// evaluating the partial-evaluation residuals instead of the policies (some
// residuals do not compile, e.g. comprehensions in DW-AWS-EC2-003, and the
// gain was small); building the input's outer objects as eager AST objects
// (an AST object hashes its values on insert, which forces the lazy
// attributes: +45% allocations); for DW-TAG-001, one lower-cased set of
// present keys per evaluation (the tagged path went from ~10 to ~40 us per
// resource: comprehension iterations cost more than the four has_tag
// branches), `else` chains and taggable first (no measurable gain, and
// different errors on malformed input), and a json.marshal substring
// prefilter (slower). What remains is OPA's per-expression machinery and the
// GC (~25%: the live heap is the caller's resources).
package evaluator

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/open-policy-agent/opa/v1/ast"
	opametrics "github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/topdown"

	"github.com/driftwarden/driftwarden/model"
)

// EvalError is a runtime error of one policy on one subject. It never stops
// the evaluation of other policies or subjects.
type EvalError struct {
	PolicyID    string
	File        string
	SubjectKind model.SubjectKind
	Subject     string // the resource's canonical id, the event id or the plan's stack
	Err         error
}

func (e *EvalError) Error() string {
	return fmt.Sprintf("evaluating policy %s (%s) on %s %s: %v", e.PolicyID, e.File, e.SubjectKind, e.Subject, e.Err)
}

func (e *EvalError) Unwrap() error { return e.Err }

// chunkSize is how many subjects one worker takes at a time.
const chunkSize = 512

// EvaluateResources evaluates every resource against the enabled policies
// whose input kind is resource and whose resource_types include the
// resource's type (or which have none). Violations come in input order.
// Errors are per policy and resource (*EvalError) or per resource (bad
// input); they never stop the evaluation of the others. A cancelled ctx
// stops early and adds ctx's error.
func (e *Evaluator) EvaluateResources(ctx context.Context, resources []model.Resource) ([]model.Violation, []error) {
	return e.evaluate(ctx, model.SubjectResource, len(resources),
		func(i int) subjectRef { return resourceRef(&resources[i]) },
		func(i int, buf *inputBuf) (ast.Value, error) { return resourceInputBuf(&resources[i], buf) })
}

// EvaluateDrifts evaluates every drift against the enabled policies whose
// input kind is drift, partitioned by the drifted resource's type like
// EvaluateResources. The violations' Subject is the drifted resource's id.
func (e *Evaluator) EvaluateDrifts(ctx context.Context, drifts []model.Drift) ([]model.Violation, []error) {
	return e.evaluate(ctx, model.SubjectDrift, len(drifts),
		func(i int) subjectRef { return resourceRef(&drifts[i].Resource) },
		func(i int, _ *inputBuf) (ast.Value, error) { return driftInput(&drifts[i]) })
}

// subjectRef is what evaluation needs to know about one subject: the type
// that selects its query, the id violations name, and the resource a
// violation carries (nil for events and plans).
type subjectRef struct {
	typ, id  string
	resource *model.Resource
}

func resourceRef(r *model.Resource) subjectRef {
	return subjectRef{typ: r.Type, id: r.ID, resource: r}
}

type chunkResult struct {
	violations []model.Violation
	errs       []error
}

func (e *Evaluator) evaluate(ctx context.Context, kind model.SubjectKind, n int,
	subject func(int) subjectRef, input func(int, *inputBuf) (ast.Value, error),
) ([]model.Violation, []error) {
	set := e.set.Load()
	return e.evaluateOn(ctx, set, set.store, kind, n, subject, input)
}

// evaluateOn is evaluate with set's policies on store: set.store, or a store
// holding set.data and one call's inventory. Every worker opens its own
// transaction (and caches) on it, so nothing read from one call's store
// outlives the call.
func (e *Evaluator) evaluateOn(ctx context.Context, set *policySet, store storage.Store, kind model.SubjectKind, n int,
	subject func(int) subjectRef, input func(int, *inputBuf) (ast.Value, error),
) ([]model.Violation, []error) {
	kp := set.plans[kind]
	if kp == nil || n == 0 {
		return nil, nil
	}
	chunks := make([]chunkResult, (n+chunkSize-1)/chunkSize)
	workers := min(e.workers, len(chunks))
	var next atomic.Int64
	work := func() error {
		txn, err := store.NewTransaction(ctx)
		if err != nil {
			return fmt.Errorf("opening a policy data transaction: %w", err)
		}
		defer store.Abort(ctx, txn)
		r := newRunner(ctx, store, txn)
		defer r.close()
		w := &worker{e: e, kind: kind, txn: txn, subject: subject, input: input, r: r}
		for {
			c := int(next.Add(1) - 1)
			if c >= len(chunks) {
				return nil
			}
			if ctx.Err() != nil {
				return nil // reported below
			}
			w.out = &chunks[c]
			for i := c * chunkSize; i < min(n, (c+1)*chunkSize); i++ {
				w.evalOne(ctx, kp, i)
			}
		}
	}
	var fatal []error
	if workers <= 1 {
		if err := work(); err != nil {
			fatal = append(fatal, err)
		}
	} else {
		var (
			wg sync.WaitGroup
			mu sync.Mutex
		)
		for range workers {
			wg.Go(func() {
				if err := work(); err != nil {
					mu.Lock()
					fatal = append(fatal, err)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	}

	var (
		violations []model.Violation
		errs       []error
	)
	nv, ne := 0, 0
	for i := range chunks {
		nv += len(chunks[i].violations)
		ne += len(chunks[i].errs)
	}
	violations = make([]model.Violation, 0, nv)
	errs = make([]error, 0, ne+len(fatal))
	for i := range chunks {
		violations = append(violations, chunks[i].violations...)
		errs = append(errs, chunks[i].errs...)
	}
	errs = append(errs, fatal...)
	if err := ctx.Err(); err != nil {
		errs = append(errs, fmt.Errorf("evaluating policies (stopped early): %w", err))
	}
	if len(errs) == 0 {
		errs = nil
	}
	return violations, errs
}

// worker evaluates subjects with one storage transaction.
type worker struct {
	e       *Evaluator
	kind    model.SubjectKind
	txn     storage.Transaction
	subject func(int) subjectRef
	input   func(int, *inputBuf) (ast.Value, error)
	buf     inputBuf
	out     *chunkResult
	r       *runner
}

func (w *worker) evalOne(ctx context.Context, kp *kindPlans, i int) {
	res := w.subject(i)
	pl := kp.planFor(res.typ)
	if pl == nil {
		return
	}
	in, err := w.input(i, &w.buf)
	if err != nil {
		w.out.errs = append(w.out.errs, fmt.Errorf("building the policy input for %s %s: %w", w.kind, res.id, err))
		return
	}
	var qr topdown.QueryResult
	if perPolicyQueries {
		err = errPerPolicy
	} else {
		qr, err = w.r.eval(ctx, pl.direct, in)
	}
	if err == nil {
		if qr == nil {
			return
		}
		for j, p := range pl.policies {
			w.collect(p, res, qr[pl.direct.vars[j]])
		}
		return
	}
	if ctx.Err() != nil {
		return // reported once by the caller
	}
	if err != errPerPolicy {
		w.e.log.Debug("combined policy query failed; evaluating policies one by one", "subject", res.id, "error", err)
	}
	// One policy failed: evaluate them one by one to attribute the error and
	// keep the others' results.
	for _, p := range pl.policies {
		qr, err := w.r.eval(ctx, p.direct, in)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			w.fail(p, res, err)
			continue
		}
		if qr != nil {
			w.collect(p, res, qr[p.direct.vars[0]])
		}
	}
}

func (w *worker) fail(p *policy, res subjectRef, err error) {
	w.e.metrics.evalErrors.WithLabelValues(p.info.ID).Inc()
	ee := &EvalError{PolicyID: p.info.ID, File: p.info.File, SubjectKind: w.kind, Subject: res.id, Err: err}
	w.out.errs = append(w.out.errs, ee)
	w.e.log.Debug("policy evaluation error", "policy_id", p.info.ID, "subject", res.id, "error", err)
}

// collect turns one policy's deny set into at most one violation: several
// results of one policy on one subject are joined ("; "), since they share
// the violation's fingerprint, and take the highest returned severity.
func (w *worker) collect(p *policy, res subjectRef, t *ast.Term) {
	if t == nil {
		return
	}
	set, ok := t.Value.(ast.Set)
	if !ok {
		w.fail(p, res, fmt.Errorf("%s is a %s, want a set (deny contains result if { ... })", denyRule, ast.ValueName(t.Value)))
		return
	}
	if set.Len() == 0 {
		return
	}
	var (
		msgs []string
		sev  model.Severity
	)
	var problem error
	set.Foreach(func(el *ast.Term) {
		switch v := el.Value.(type) {
		case ast.String:
			msgs = append(msgs, string(v))
		case ast.Object:
			mt := v.Get(msgKey)
			if mt == nil {
				problem = fmt.Errorf("%s result %v has no msg", denyRule, v)
				return
			}
			m, ok := mt.Value.(ast.String)
			if !ok {
				problem = fmt.Errorf("%s result %v has no string msg", denyRule, v)
				return
			}
			msgs = append(msgs, string(m))
			if st := v.Get(severityKey); st != nil {
				s, ok := st.Value.(ast.String)
				rs, valid := model.ParseSeverity(string(s))
				if !ok || !valid {
					problem = fmt.Errorf("%s result severity %v is not one of %v", denyRule, st, model.Severities)
					return
				}
				if rs.Rank() > sev.Rank() {
					sev = rs
				}
			}
		default:
			problem = fmt.Errorf("%s result %v is a %s, want a string or an object with msg", denyRule, el, ast.ValueName(el.Value))
		}
	})
	if problem != nil {
		w.fail(p, res, problem)
		if len(msgs) == 0 {
			return
		}
	}
	slices.Sort(msgs)
	if p.overridden || sev == "" {
		sev = p.info.Severity
	}
	var rc *model.Resource
	if res.resource != nil {
		c := *res.resource
		rc = &c
	}
	w.out.violations = append(w.out.violations, model.Violation{
		PolicyID:    p.info.ID,
		Title:       p.info.Title,
		Severity:    sev,
		Controls:    slices.Clone(p.info.Controls),
		Remediation: p.info.Remediation,
		Message:     strings.Join(slices.Compact(msgs), "; "),
		SubjectKind: w.kind,
		Subject:     res.id,
		Resource:    rc,
	})
}

// perPolicyQueries makes evaluation use one query per policy instead of one
// combined query per resource type; benchmarks compare the two.
var perPolicyQueries = false

var errPerPolicy = errors.New("per-policy evaluation")

// noMetrics skips OPA's per-evaluation timers.
var noMetrics = opametrics.NoOp()

var (
	msgKey      = ast.StringTerm("msg")
	severityKey = ast.StringTerm("severity")
)
