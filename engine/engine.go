// Package engine runs one audit cycle: collect applied state and live
// inventories, compare them, evaluate policies, turn drifts and violations
// into findings, record them in the store in one transaction, and rebuild the
// metrics from the store. A cycle is a function of its inputs plus the
// store's previous findings; a failed input costs only that input.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/metrics"
	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

// Evaluator evaluates policies (implemented by evaluator.Evaluator).
type Evaluator interface {
	EvaluateResources(ctx context.Context, rs []model.Resource) ([]model.Violation, []error)
	EvaluateDrifts(ctx context.Context, ds []model.Drift) ([]model.Violation, []error)
}

// EventEvaluator is implemented by evaluators that also evaluate audit
// events (evaluator.Evaluator does). Event violations become findings that
// stay open until waived: an event is read once, so its violation is never
// observed again and nothing can show it was fixed. Their scope,
// "events=<source>", is never audited, so the store never resolves them,
// and every cycle reports the open ones again (as observed).
type EventEvaluator interface {
	EvaluateEvents(ctx context.Context, events []model.Event) ([]model.Violation, []error)
}

// InventoryEvaluator is implemented by evaluators whose resource policies
// may consult the cycle's other resources (evaluator.Evaluator does): the
// engine passes the view's resources of the types InventoryTypes lists.
type InventoryEvaluator interface {
	InventoryTypes() []string
	EvaluateResourcesWithInventory(ctx context.Context, rs, inventory []model.Resource) ([]model.Violation, []error)
}

// evaluateResources evaluates the view's resources rs, with pool (every
// resource known this cycle) as the inventory when ev supports one and some
// policy declares types: the evaluator keeps the types its own policy set
// declares, so a reload between the two calls cannot leave one out.
func evaluateResources(ctx context.Context, ev Evaluator, rs, pool []model.Resource) ([]model.Violation, []error) {
	ie, ok := ev.(InventoryEvaluator)
	if !ok || len(ie.InventoryTypes()) == 0 {
		return ev.EvaluateResources(ctx, rs)
	}
	return ie.EvaluateResourcesWithInventory(ctx, rs, pool)
}

// CompareFunc compares applied stacks with live inventories (drift.Compare
// with the configured options); it returns drifts and warnings.
type CompareFunc func(stacks []collectors.Stack, inventories []collectors.Inventory) ([]model.Drift, []string)

// Attributor links drifts to the audit events that explain them and turns
// events into findings of their own (out_of_band_change, audit-trail
// integrity failures). Implemented by the attribution package.
type Attributor interface {
	Attribute(ctx context.Context, in AttributionInput) (AttributionOutput, error)
}

// AttributionInput is one cycle's material for attribution.
type AttributionInput struct {
	Stacks []collectors.Stack
	Drifts []model.Drift
	// Events are the events read this cycle (possibly overlapping earlier ones).
	Events []model.Event
	// Open are the findings of kind out_of_band_change and integrity_failure
	// still open from earlier cycles: an event is read once, so keeping such a
	// finding open means observing it again in the output.
	Open []model.Finding
	// EventSourcesOK names the event sources that read everything this cycle.
	EventSourcesOK map[string]bool
	// Observed holds the canonical ids of managed resources a live source saw
	// this cycle (a drift-free observed resource is back in line).
	Observed map[string]bool
	// Checkpoints reads the attributor's own stored positions (the state
	// serial history of each stack).
	Checkpoints collectors.CheckpointReader
	Now         time.Time
}

// AttributionOutput is what attribution adds to the cycle.
type AttributionOutput struct {
	// Drifts are the input drifts with Events (and Diff.Events) filled in.
	Drifts []model.Drift
	// Findings are observed this cycle, with Scope set.
	Findings []model.Finding
	// AuditedScopes are the scopes of Findings whose absence means resolution.
	AuditedScopes []string
	// Events are the input events with Verdict and Stack filled in.
	Events []model.Event
	// Checkpoints are stored with the cycle (key -> value, source "attribution").
	Checkpoints map[string]string
	Warnings    []string
}

// StackMeta is what configuration says about the stacks of one state source.
type StackMeta struct {
	Owner      string
	Production bool
}

// Engine runs cycles. Fields are dependencies; set them before Run.
type Engine struct {
	States       []collectors.StateSource
	Inventories  []collectors.InventorySource
	EventSources []collectors.EventSource
	Compare      CompareFunc
	// Attributor is optional: without it drifts carry no events.
	Attributor Attributor
	Evaluator  Evaluator
	Store      store.Store
	Metrics    *metrics.Metrics // nil: no metrics
	Logger     *slog.Logger
	// Meta is keyed by state source name.
	Meta map[string]StackMeta
	// OwnerTags are the tag/label keys naming a resource's team, in order.
	OwnerTags []string
	// Owners, when set, resolves a resource's team (ownership.Resolver.Team:
	// tags, stack owner, rules, CODEOWNERS, default); source is the state
	// source of the resource's stack. It replaces OwnerTags and Meta owners.
	Owners func(r model.Resource, source string) string
	// Waive, when set, is passed to the store: findings it covers are
	// recorded waived (see store.CycleRecord.Waive).
	Waive func(now time.Time) func(model.Finding) bool
	// Plan, when set, turns transitions into outbox messages in the
	// cycle's transaction (see store.CycleRecord.Plan).
	Plan func(store.PlanInput) ([]store.OutboxMessage, error)
	Now  func() time.Time
}

// Result is what one cycle found.
type Result struct {
	CycleID     int64
	Status      string
	StartedAt   time.Time
	FinishedAt  time.Time
	Stacks      []string
	Findings    []model.Finding
	Transitions []store.Transition
	Sources     []store.SourceStatus
	Warnings    []string
	Counts      map[string]int
}

// Drift finding severities: missing resources and hand-made changes matter
// more than an unmanaged resource nobody claimed yet.
var driftSeverity = map[model.DriftKind]model.Severity{
	model.DriftChanged:   model.SeverityMedium,
	model.DriftMissing:   model.SeverityHigh,
	model.DriftUnmanaged: model.SeverityLow,
}

// ErrNoStore is returned when Run is called without a store.
var ErrNoStore = errors.New("engine has no store")

// Run executes one cycle and records it. The returned error is set only when
// the cycle could not be recorded at all; failed inputs are reported in
// Result.Sources and Result.Status ("partial").
func (e *Engine) Run(ctx context.Context) (*Result, error) {
	if e.Store == nil {
		return nil, ErrNoStore
	}
	now := e.now()
	log := e.logger()
	res := &Result{StartedAt: now, Counts: map[string]int{}}
	log.Info("cycle started", "event", "cycle_started")

	// 1. Applied state.
	var stacks []collectors.Stack
	stackSource := map[string]string{}
	loaded := map[string]bool{}
	for _, src := range e.States {
		t0 := time.Now()
		got, errs := src.States(ctx)
		st := e.sourceStatus(src.Name(), "tfstate", t0, len(got), errs)
		res.Sources = append(res.Sources, st)
		for _, s := range got {
			stacks = append(stacks, s)
			stackSource[s.Name] = src.Name()
			loaded[s.Name] = true
		}
	}
	// 2. Live inventories.
	var invs []collectors.Inventory
	invOK := map[string]bool{}
	for _, src := range e.Inventories {
		t0 := time.Now()
		inv, errs := src.Inventory(ctx)
		st := e.sourceStatus(src.Name(), "inventory", t0, len(inv.Resources), errs)
		res.Sources = append(res.Sources, st)
		if inv.Source == "" {
			inv.Source = src.Name()
		}
		invs = append(invs, inv)
		invOK[src.Name()] = st.OK
	}
	// 2b. Audit events, with the checkpoints to store once recorded.
	var events []model.Event
	var checkpoints []store.Checkpoint
	var sourceFindings []model.Finding
	var sourceScopes []string
	eventsOK := map[string]bool{}
	for _, src := range e.EventSources {
		t0 := time.Now()
		batch, errs := src.Events(ctx, e.Store)
		st := e.sourceStatus(src.Name(), "events", t0, len(batch.Events), errs)
		res.Sources = append(res.Sources, st)
		eventsOK[src.Name()] = st.OK
		events = append(events, batch.Events...)
		sourceFindings = append(sourceFindings, batch.Findings...)
		if st.OK {
			sourceScopes = append(sourceScopes, batch.AuditedScopes...)
		}
		for k, v := range batch.Checkpoints {
			checkpoints = append(checkpoints, store.Checkpoint{Source: src.Name(), Key: k, Value: v})
		}
	}
	sort.Slice(checkpoints, func(i, j int) bool {
		if checkpoints[i].Source != checkpoints[j].Source {
			return checkpoints[i].Source < checkpoints[j].Source
		}
		return checkpoints[i].Key < checkpoints[j].Key
	})
	res.Counts["events"] = len(events)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("cycle cancelled while collecting: %w", err)
	}

	// 3. Drift.
	var drifts []model.Drift
	if e.Compare != nil {
		var warns []string
		drifts, warns = e.Compare(stacks, invs)
		res.Warnings = append(res.Warnings, warns...)
		for _, w := range warns {
			log.Warn("drift comparison warning; continuing", "warning", w)
		}
	}
	// "Unmanaged" claims that no state manages a resource: it can only be
	// said when every state loaded. Otherwise the resources of a corrupt
	// state would all look unmanaged (and their violations would open again
	// under an unmanaged identity).
	statesComplete := true
	for _, st := range res.Sources {
		if st.Kind == "tfstate" && !st.OK {
			statesComplete = false
		}
	}
	if !statesComplete {
		kept := drifts[:0]
		dropped := 0
		for _, d := range drifts {
			if d.Kind == model.DriftUnmanaged {
				dropped++
				continue
			}
			kept = append(kept, d)
		}
		drifts = kept
		if dropped > 0 {
			w := fmt.Sprintf("unmanaged detection skipped this cycle (%d candidates): a state source failed, so resources of the unreadable state would look unmanaged", dropped)
			res.Warnings = append(res.Warnings, w)
			log.Warn("unmanaged detection skipped; existing unmanaged findings stay open", "candidates", dropped)
		}
	}

	// 3b. Attribution: who changed what, and changes made outside the pipeline.
	var attributed AttributionOutput
	if e.Attributor != nil {
		open, err := e.Store.Findings(ctx, store.FindingFilter{
			States: []model.FindingState{model.StateOpen, model.StateWaived},
			Kinds:  []model.FindingKind{model.FindingOutOfBandChange, model.FindingIntegrityFailure},
		})
		if err != nil {
			return nil, fmt.Errorf("reading open event findings: %w", err)
		}
		attributed, err = e.Attributor.Attribute(ctx, AttributionInput{
			Stacks: stacks, Drifts: drifts, Events: events, Open: open, EventSourcesOK: eventsOK,
			Observed: observedIDs(invs), Checkpoints: e.Store, Now: now,
		})
		if err != nil {
			return nil, fmt.Errorf("attributing drift to events: %w", err)
		}
		if attributed.Drifts != nil {
			drifts = attributed.Drifts
		}
		if attributed.Events != nil {
			events = attributed.Events
		}
		for k, v := range attributed.Checkpoints {
			checkpoints = append(checkpoints, store.Checkpoint{Source: "attribution", Key: k, Value: v})
		}
		res.Warnings = append(res.Warnings, attributed.Warnings...)
	}

	// 4. Policies over the live view of every resource, then over drifts.
	view := liveView(stacks, invs, statesComplete)
	events = attributedEvents(events, drifts)
	var violations []model.Violation
	if e.Evaluator != nil {
		// The inventory is context, not judged: it holds the live
		// resources no loaded state matches even when a state failed (an
		// account-level public access block set outside Terraform).
		pool := view.resources
		if ie, ok := e.Evaluator.(InventoryEvaluator); ok && !statesComplete && len(ie.InventoryTypes()) > 0 {
			pool = liveView(stacks, invs, true).resources
		}
		vs, errs := evaluateResources(ctx, e.Evaluator, view.resources, pool)
		violations = append(violations, vs...)
		ds, derrs := e.Evaluator.EvaluateDrifts(ctx, drifts)
		violations = append(violations, ds...)
		errs = append(errs, derrs...)
		if ee, ok := e.Evaluator.(EventEvaluator); ok && len(events) > 0 {
			vs, eerrs := ee.EvaluateEvents(ctx, events)
			violations = append(violations, vs...)
			errs = append(errs, eerrs...)
		}
		for _, err := range errs {
			res.Warnings = append(res.Warnings, err.Error())
			log.Warn("policy evaluation error; other policies and resources still evaluated", "error", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("cycle cancelled while evaluating: %w", err)
	}

	// 5. Findings.
	plans := map[string]bool{} // stacks known only through a plan
	for _, d := range drifts {
		if d.Resource.Stack != "" && !loaded[d.Resource.Stack] {
			plans[d.Resource.Stack] = true
		}
	}
	fb := findingBuilder{e: e, stackSource: stackSource, view: view, driftScopes: map[string]string{}, events: eventsByID(events)}
	for _, d := range drifts {
		f := fb.drift(d)
		fb.driftScopes[f.Stack+"\x00"+f.ResourceID] = f.Scope
		res.Findings = append(res.Findings, f)
	}
	for _, v := range violations {
		res.Findings = append(res.Findings, fb.violation(v))
	}
	kept, err := e.openEventViolations(ctx, res.Findings)
	if err != nil {
		return nil, err
	}
	res.Findings = append(res.Findings, kept...)
	res.Findings = append(res.Findings, attributed.Findings...)
	res.Findings = append(res.Findings, sourceFindings...)

	// 6. Scopes audited this cycle: a scope is "stack S" for managed things
	// and "source X" for unmanaged ones, each joined with the live source
	// that observed them. Findings resolve only in audited scopes.
	audited := map[string]bool{}
	for s := range loaded {
		audited[scopeOf(s, "")] = true
		for src, ok := range invOK {
			if ok {
				audited[scopeOf(s, src)] = true
			}
		}
	}
	for src, ok := range invOK {
		if !ok {
			continue
		}
		if statesComplete {
			audited[scopeOf("", src)] = true
		}
		for s := range plans {
			audited[scopeOf(s, src)] = true
		}
	}
	for _, s := range append(attributed.AuditedScopes, sourceScopes...) {
		audited[s] = true
	}
	var scopes []string
	for s := range audited {
		scopes = append(scopes, s)
	}
	sort.Strings(scopes)

	res.Status = "ok"
	for _, s := range res.Sources {
		if !s.OK {
			res.Status = "partial"
		}
	}
	res.Counts["stacks"] = len(stacks)
	res.Counts["resources_managed"] = view.managed
	res.Counts["resources_unmanaged"] = view.unmanaged
	res.Counts["drifts"] = len(drifts)
	res.Counts["violations"] = len(violations)
	for _, f := range res.Findings {
		res.Counts["findings_"+string(f.Kind)]++
	}
	for _, s := range stacks {
		res.Stacks = append(res.Stacks, s.Name)
	}
	res.FinishedAt = e.now()

	// Findings built without a resource (attribution, event violations)
	// take the Terraform address and type of the resource they are about
	// when this cycle knows it (neither is part of a fingerprint), and are
	// owned through it (its tags decide first), else by what the finding
	// says: stack, address, type, account.
	known := make(map[string]*model.Resource, len(view.resources))
	for i := range view.resources {
		if id := view.resources[i].ID; id != "" {
			known[id] = &view.resources[i]
		}
	}
	for i := range res.Findings {
		f := &res.Findings[i]
		if k, ok := known[f.ResourceID]; ok && f.Address == "" {
			f.Address, f.ResourceType = k.Address, nonEmpty(f.ResourceType, k.Type)
		}
	}
	if e.Owners != nil {
		for i := range res.Findings {
			f := &res.Findings[i]
			if f.Team != "" {
				continue
			}
			r := model.Resource{ID: f.ResourceID, Type: f.ResourceType, Address: f.Address, Stack: f.Stack, Account: f.Account}
			if k, ok := known[f.ResourceID]; ok {
				r = *k
			}
			f.Team = e.Owners(r, stackSource[f.Stack])
		}
	}
	// What was evaluated (types, stacks incl. plan-only ones, accounts,
	// projects): reports tell "not applicable" from "passed" with it.
	auditedStacks := make([]string, 0, len(res.Stacks)+len(plans))
	auditedStacks = append(auditedStacks, res.Stacks...)
	for s := range plans {
		auditedStacks = append(auditedStacks, s) // NewAudited sorts
	}
	rec := store.CycleRecord{
		StartedAt: res.StartedAt, FinishedAt: res.FinishedAt, Status: res.Status,
		Findings: res.Findings, AuditedScopes: scopes, Sources: res.Sources, Counts: res.Counts,
		Checkpoints: checkpoints, Plan: e.Plan, Audited: store.NewAudited(view.resources, auditedStacks),
	}
	if e.Waive != nil {
		rec.Waive = e.Waive(res.FinishedAt)
	}
	// Recording must not be cut short by a shutdown signal: a cycle is
	// either fully recorded or not at all (the store uses one transaction).
	recCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	id, trans, err := e.Store.RecordCycle(recCtx, rec)
	if err != nil {
		if e.Metrics != nil {
			e.Metrics.StoreErrors.Inc()
			e.Metrics.Cycles.WithLabelValues("failed").Inc()
		}
		return nil, fmt.Errorf("recording cycle: %w", err)
	}
	res.CycleID, res.Transitions = id, trans
	open := e.observe(recCtx, res)
	res.Findings = recorded(res.Findings, open)
	log.Info("cycle finished", "event", "cycle_finished", "cycle_id", id, "status", res.Status,
		"stacks", len(stacks), "drifts", len(drifts), "violations", len(violations),
		"transitions", len(trans), "duration", res.FinishedAt.Sub(res.StartedAt).String())
	return res, nil
}

func (e *Engine) sourceStatus(name, kind string, t0 time.Time, items int, errs []error) store.SourceStatus {
	st := store.SourceStatus{Source: name, Kind: kind, OK: len(errs) == 0, Items: items, Duration: time.Since(t0)}
	for _, err := range errs {
		st.Errors = append(st.Errors, err.Error())
		e.logger().Warn("input skipped; the rest of the cycle goes on", "source", name, "error", err)
	}
	if m := e.Metrics; m != nil {
		m.SourceDuration.WithLabelValues(name, kind).Observe(st.Duration.Seconds())
		m.SourceItems.WithLabelValues(name, kind).Set(float64(items))
		m.SourceErrors.WithLabelValues(name, kind).Add(float64(len(errs)))
		if st.OK {
			m.SourceUp.WithLabelValues(name, kind).Set(1)
			m.SourceLastSuccess.WithLabelValues(name, kind).Set(float64(e.now().Unix()))
		} else {
			m.SourceUp.WithLabelValues(name, kind).Set(0)
		}
	}
	return st
}

// observe reads back the open and waived findings and updates metrics from
// the recorded cycle: counters from its transitions, gauges rebuilt from the
// store's open findings. It returns what it read (nil if it could not).
func (e *Engine) observe(ctx context.Context, res *Result) []model.Finding {
	current, err := e.Store.Findings(ctx, store.FindingFilter{States: []model.FindingState{model.StateOpen, model.StateWaived}})
	if err != nil {
		e.logger().Warn("reading back findings failed; gauges keep their previous values", "error", err)
		current = nil
	}
	m := e.Metrics
	if m == nil {
		return current
	}
	m.Cycles.WithLabelValues(res.Status).Inc()
	m.CycleDuration.Observe(res.FinishedAt.Sub(res.StartedAt).Seconds())
	m.LastCycleSuccess.Set(float64(res.FinishedAt.Unix()))
	m.LastCycleTimestamp.Set(float64(res.FinishedAt.Unix()))
	m.ResourcesEvaluated.WithLabelValues("managed").Set(float64(res.Counts["resources_managed"]))
	m.ResourcesEvaluated.WithLabelValues("unmanaged").Set(float64(res.Counts["resources_unmanaged"]))
	for _, t := range res.Transitions {
		m.Transitions.WithLabelValues(string(t.Finding.Kind), string(t.Change)).Inc()
		if t.Finding.Kind == model.FindingOutOfBandChange && t.Change == store.ChangeOpened {
			verdict, via := "unknown", "unknown"
			if evs := t.Finding.Evidence.Events; len(evs) > 0 {
				verdict, via = nonEmpty(evs[0].Verdict, verdict), nonEmpty(string(evs[0].Via), via)
			}
			m.OutOfBandChanges.WithLabelValues(t.Finding.Team, verdict, via).Inc()
		}
		if t.Change == store.ChangeResolved && t.Finding.ResolvedAt != nil {
			m.ResolutionSeconds.WithLabelValues(string(t.Finding.Kind)).Observe(t.Finding.ResolvedAt.Sub(t.Finding.FirstSeen).Seconds())
		}
	}
	if err == nil {
		var open []model.Finding
		for _, f := range current {
			if f.State == model.StateOpen {
				open = append(open, f)
			}
		}
		RebuildGauges(m, open, res.FinishedAt)
	}
	return current
}

// recorded replaces the observed findings with their stored form (state,
// first and last seen), keeping the observed ones where none was read back.
func recorded(observed, stored []model.Finding) []model.Finding {
	if len(stored) == 0 {
		return observed
	}
	byFP := make(map[string]*model.Finding, len(stored))
	for i := range stored {
		byFP[stored[i].Fingerprint] = &stored[i]
	}
	out := make([]model.Finding, 0, len(observed))
	seen := make(map[string]bool, len(observed))
	for _, f := range observed {
		if seen[f.Fingerprint] {
			continue // the same finding observed twice (merged by the store)
		}
		seen[f.Fingerprint] = true
		if s, ok := byFP[f.Fingerprint]; ok {
			f = *s
		}
		out = append(out, f)
	}
	return out
}

// RebuildGauges sets the finding gauges from the open findings (also used
// at startup so a restarted daemon exports its gauges before its first cycle).
func RebuildGauges(m *metrics.Metrics, open []model.Finding, now time.Time) {
	m.FindingsOpen.Reset()
	m.DriftedResources.Reset()
	m.PolicyViolations.Reset()
	for _, f := range open {
		m.FindingsOpen.WithLabelValues(string(f.Kind), string(f.Severity), f.Stack, f.Team).Inc()
		switch {
		case f.Kind.IsDrift():
			m.DriftedResources.WithLabelValues(f.Stack, string(f.Kind), f.ResourceType).Inc()
		case f.Kind == model.FindingViolation:
			m.PolicyViolations.WithLabelValues(f.PolicyID, string(f.Severity), f.Stack).Inc()
		}
	}
	m.SetOpenFindingAges(now, open)
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

func (e *Engine) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func scopeOf(stack, source string) string {
	var b strings.Builder
	if stack != "" {
		b.WriteString("stack=" + stack)
	}
	if source != "" {
		if b.Len() > 0 {
			b.WriteString(";")
		}
		b.WriteString("source=" + source)
	}
	return b.String()
}

// observedIDs lists the canonical ids every live inventory saw (not gone).
func observedIDs(invs []collectors.Inventory) map[string]bool {
	out := map[string]bool{}
	for _, inv := range invs {
		for _, lr := range inv.Resources {
			if !lr.Gone && lr.ID != "" {
				out[lr.ID] = true
			}
		}
	}
	return out
}

func nonEmpty(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
