package engine

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

type fakeStates struct {
	name   string
	stacks []collectors.Stack
	errs   []error
	hook   func()
}

func (f *fakeStates) Name() string { return f.name }
func (f *fakeStates) States(context.Context) ([]collectors.Stack, []error) {
	if f.hook != nil {
		f.hook()
	}
	return f.stacks, f.errs
}

type fakeInventory struct {
	name string
	inv  collectors.Inventory
	errs []error
}

func (f *fakeInventory) Name() string { return f.name }
func (f *fakeInventory) Inventory(context.Context) (collectors.Inventory, []error) {
	return f.inv, f.errs
}

// fakeEval flags every resource whose "public" attribute is true, and every drift.
type fakeEval struct{ seen []model.Resource }

func (f *fakeEval) EvaluateResources(_ context.Context, rs []model.Resource) ([]model.Violation, []error) {
	f.seen = append(f.seen[:0], rs...)
	var out []model.Violation
	for i := range rs {
		attrs, _ := rs[i].Attrs()
		if attrs["public"] == true {
			out = append(out, model.Violation{PolicyID: "T-PUBLIC", Title: "public", Severity: model.SeverityHigh, SubjectKind: model.SubjectResource, Subject: rs[i].ID, Resource: &rs[i]})
		}
	}
	return out, nil
}

func (f *fakeEval) EvaluateDrifts(_ context.Context, ds []model.Drift) ([]model.Violation, []error) {
	var out []model.Violation
	for i := range ds {
		out = append(out, model.Violation{PolicyID: "T-DRIFT", Title: "drift", Severity: model.SeverityLow, SubjectKind: model.SubjectDrift, Subject: ds[i].Resource.ID, Resource: &ds[i].Resource})
	}
	return out, nil
}

// compareByID reports a "changed" drift for every live resource whose
// "public" differs from the applied one, and unmanaged for unknown ids.
func compareByID(stacks []collectors.Stack, invs []collectors.Inventory) ([]model.Drift, []string) {
	applied := map[string]model.Resource{}
	deposed := map[string]bool{} // never unmanaged, never compared (as drift.Compare)
	for _, s := range stacks {
		for _, r := range s.Resources {
			applied[r.ID] = r
		}
		for _, d := range s.Deposed {
			deposed[d.ID] = true
		}
	}
	var out []model.Drift
	for _, inv := range invs {
		for _, lr := range inv.Resources {
			a, ok := applied[lr.ID]
			if !ok && deposed[lr.ID] {
				continue
			}
			if !ok {
				out = append(out, model.Drift{Kind: model.DriftUnmanaged, Resource: lr.Resource, Sources: []string{inv.Source}})
				continue
			}
			aa, _ := a.Attrs()
			if aa["public"] != lr.Attributes["public"] {
				out = append(out, model.Drift{Kind: model.DriftChanged, Resource: a, Sources: []string{inv.Source},
					Diffs: []model.Diff{{Path: "public", Applied: aa["public"], Live: lr.Attributes["public"]}}})
			}
		}
	}
	return out, nil
}

func res(stack, id string, public bool, tags map[string]string) model.Resource {
	return model.Resource{ID: id, Type: "t_bucket", Stack: stack, Address: "t_bucket." + id, Source: "states",
		Tags: tags, RawAttributes: []byte(`{"id":"` + id + `","public":` + map[bool]string{true: "true", false: "false"}[public] + `}`)}
}

func live(id string, public bool) collectors.LiveResource {
	return collectors.LiveResource{Resource: model.Resource{ID: id, Type: "t_bucket", Attributes: map[string]any{"public": public}}, Partial: true}
}

func newEngine(t *testing.T, st *fakeStates, inv *fakeInventory) (*Engine, *fakeEval) {
	t.Helper()
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "e.db"), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	ev := &fakeEval{}
	return &Engine{
		States: []collectors.StateSource{st}, Inventories: []collectors.InventorySource{inv},
		Compare: compareByID, Evaluator: ev, Store: s,
		Meta: map[string]StackMeta{"states": {Owner: "platform"}},
	}, ev
}

func kinds(fs []model.Finding) map[model.FindingKind]int {
	out := map[model.FindingKind]int{}
	for _, f := range fs {
		out[f.Kind]++
	}
	return out
}

func TestLiveViewDrivesPoliciesAndFindings(t *testing.T) {
	st := &fakeStates{name: "states", stacks: []collectors.Stack{{Name: "prod", Resources: []model.Resource{
		res("prod", "a", false, map[string]string{"team": "storage"}),
		res("prod", "b", false, nil),
	}}}}
	inv := &fakeInventory{name: "live", inv: collectors.Inventory{Source: "live", Resources: []collectors.LiveResource{
		live("a", true), // made public by hand
		live("b", false),
		live("c", true), // unmanaged
	}}}
	e, ev := newEngine(t, st, inv)
	r, err := e.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, "ok", r.Status)
	require.Equal(t, map[model.FindingKind]int{model.FindingChanged: 1, model.FindingUnmanaged: 1, model.FindingViolation: 4}, kinds(r.Findings))
	for _, f := range r.Findings {
		switch {
		case f.ResourceID == "a":
			require.Equal(t, "storage", f.Team, "a tag names the team")
			require.Equal(t, "stack=prod;source=live", f.Scope)
		case f.ResourceID == "c":
			require.Equal(t, "", f.Team)
			require.Equal(t, "source=live", f.Scope)
		}
	}
	// The policy saw the live value of "a" (public) over its applied value.
	for _, r := range ev.seen {
		if r.ID == "a" {
			attrs, _ := r.Attrs()
			require.Equal(t, true, attrs["public"])
			require.Equal(t, "a", attrs["id"], "a partial observation keeps the applied attributes it did not see")
		}
	}

	// Same inputs again: nothing changes.
	r2, err := e.Run(context.Background())
	require.NoError(t, err)
	require.Empty(t, r2.Transitions)

	// Fixed by hand: the drift and both violations about "a" resolve.
	inv.inv.Resources[0] = live("a", false)
	r3, err := e.Run(context.Background())
	require.NoError(t, err)
	resolved := 0
	for _, tr := range r3.Transitions {
		require.Equal(t, store.ChangeResolved, tr.Change)
		require.Equal(t, "a", tr.Finding.ResourceID)
		resolved++
	}
	require.Equal(t, 3, resolved)
}

func TestFailedSourceKeepsItsFindingsOpen(t *testing.T) {
	st := &fakeStates{name: "states", stacks: []collectors.Stack{{Name: "prod", Resources: []model.Resource{res("prod", "a", false, nil)}}}}
	inv := &fakeInventory{name: "live", inv: collectors.Inventory{Source: "live", Resources: []collectors.LiveResource{live("a", true), live("c", false)}}}
	e, _ := newEngine(t, st, inv)
	_, err := e.Run(context.Background())
	require.NoError(t, err)

	// The inventory fails: it sees nothing and reports an error.
	inv.inv.Resources = nil
	inv.errs = []error{&collectors.InputError{Source: "live", Location: "x.jsonl", Place: "line 3", Err: errors.New("bad")}}
	r, err := e.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, "partial", r.Status)
	require.Empty(t, r.Transitions, "nothing resolves while its input is unreadable")

	// The state fails too: still nothing resolves, and nothing is unmanaged.
	inv.errs = nil
	inv.inv.Resources = []collectors.LiveResource{live("a", true), live("c", false)}
	st.errs, st.stacks = []error{errors.New("corrupt")}, nil
	r, err = e.Run(context.Background())
	require.NoError(t, err)
	require.Zero(t, kinds(r.Findings)[model.FindingUnmanaged])
	require.Empty(t, r.Transitions)
}

func TestCancelledCycleRecordsNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	st := &fakeStates{name: "states", hook: cancel, stacks: []collectors.Stack{{Name: "prod", Resources: []model.Resource{res("prod", "a", true, nil)}}}}
	inv := &fakeInventory{name: "live"}
	e, _ := newEngine(t, st, inv)
	_, err := e.Run(ctx)
	require.ErrorIs(t, err, context.Canceled)
	cycles, err := e.Store.Cycles(context.Background(), 10)
	require.NoError(t, err)
	require.Empty(t, cycles, "a cancelled cycle leaves no half-recorded trace")
}

func TestStackOwnerIsTheFallbackTeam(t *testing.T) {
	st := &fakeStates{name: "states", stacks: []collectors.Stack{{Name: "prod", Resources: []model.Resource{res("prod", "a", true, map[string]string{"owner": ""})}}}}
	e, _ := newEngine(t, st, &fakeInventory{name: "live"})
	r, err := e.Run(context.Background())
	require.NoError(t, err)
	require.Len(t, r.Findings, 1)
	require.Equal(t, "platform", r.Findings[0].Team)
}

func TestResultCarriesStoredLifecycle(t *testing.T) {
	st := &fakeStates{name: "states", stacks: []collectors.Stack{{Name: "prod", Resources: []model.Resource{res("prod", "a", true, nil)}}}}
	e, _ := newEngine(t, st, &fakeInventory{name: "live"})
	r1, err := e.Run(context.Background())
	require.NoError(t, err)
	require.Len(t, r1.Findings, 1)
	f1 := r1.Findings[0]
	require.Equal(t, model.StateOpen, f1.State)
	require.False(t, f1.FirstSeen.IsZero())
	r2, err := e.Run(context.Background())
	require.NoError(t, err)
	require.True(t, r2.Findings[0].FirstSeen.Equal(f1.FirstSeen), "first seen is kept across cycles")
	require.True(t, r2.Findings[0].LastSeen.After(f1.LastSeen) || r2.Findings[0].LastSeen.Equal(f1.LastSeen))
}

type fakeEvents struct {
	name  string
	batch collectors.EventBatch
	errs  []error
}

func (f *fakeEvents) Name() string { return f.name }
func (f *fakeEvents) Events(context.Context, collectors.CheckpointReader) (collectors.EventBatch, []error) {
	return f.batch, f.errs
}

// oobAttributor opens an out_of_band_change finding per write event and
// keeps earlier ones open until told otherwise.
type oobAttributor struct {
	keep bool
	in   AttributionInput
}

func (a *oobAttributor) Attribute(_ context.Context, in AttributionInput) (AttributionOutput, error) {
	a.in = in
	var out AttributionOutput
	for _, ev := range in.Events {
		out.Findings = append(out.Findings, model.Finding{Fingerprint: model.Fingerprint("oob", ev.ID), Kind: model.FindingOutOfBandChange,
			Severity: model.SeverityHigh, Title: "changed outside the pipeline", ResourceID: ev.Resources[0], Scope: "oob"})
	}
	if a.keep {
		out.Findings = append(out.Findings, in.Open...)
	}
	out.AuditedScopes = []string{"oob"}
	return out, nil
}

func TestEventsCheckpointsAndAttribution(t *testing.T) {
	st := &fakeStates{name: "states", stacks: []collectors.Stack{{Name: "prod"}}}
	e, _ := newEngine(t, st, &fakeInventory{name: "live"})
	evs := &fakeEvents{name: "trail", batch: collectors.EventBatch{
		Events:      []model.Event{{ID: "ev-1", Action: "ec2:AuthorizeSecurityGroupIngress", Resources: []string{"sg-1"}}},
		Checkpoints: map[string]string{"111122223333/eu-west-1": "2026-11-26T00:00:00Z"},
	}}
	attr := &oobAttributor{keep: true}
	e.EventSources = []collectors.EventSource{evs}
	e.Attributor = attr

	r, err := e.Run(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, r.Counts["events"])
	require.Len(t, r.Transitions, 1)
	require.Equal(t, model.FindingOutOfBandChange, r.Transitions[0].Finding.Kind)
	v, err := e.Store.Checkpoint(context.Background(), "trail", "111122223333/eu-west-1")
	require.NoError(t, err)
	require.Equal(t, "2026-11-26T00:00:00Z", v, "the checkpoint is stored with the cycle")
	require.True(t, attr.in.EventSourcesOK["trail"])

	// Next cycle: no new event; the attributor keeps the open finding open.
	evs.batch = collectors.EventBatch{}
	r, err = e.Run(context.Background())
	require.NoError(t, err)
	require.Empty(t, r.Transitions)
	require.Len(t, attr.in.Open, 1, "open event findings are handed back to the attributor")

	// Then it lets it go: resolved.
	attr.keep = false
	r, err = e.Run(context.Background())
	require.NoError(t, err)
	require.Len(t, r.Transitions, 1)
	require.Equal(t, store.ChangeResolved, r.Transitions[0].Change)
}

// A deposed object that is still live is its stack's, never unmanaged:
// policies see it with its stack and address, and its findings belong to
// the stack.
func TestDeposedObjectInTheView(t *testing.T) {
	old := res("prod", "old", false, map[string]string{"team": "storage"})
	st := &fakeStates{name: "states", stacks: []collectors.Stack{{Name: "prod",
		Resources: []model.Resource{res("prod", "a", false, nil)},
		Deposed:   []collectors.DeposedObject{{Resource: old, Key: "1a2b3c4d"}},
	}}}
	inv := &fakeInventory{name: "live", inv: collectors.Inventory{Source: "live", Resources: []collectors.LiveResource{
		live("a", false),
		live("old", true), // the deposed object, still live, made public
	}}}
	e, ev := newEngine(t, st, inv)
	r, err := e.Run(context.Background())
	require.NoError(t, err)
	require.Zero(t, kinds(r.Findings)[model.FindingUnmanaged])
	seen := false
	for _, res := range ev.seen {
		if res.ID == "old" {
			seen = true
			require.Equal(t, "prod", res.Stack)
			require.Equal(t, "t_bucket.old", res.Address)
			attrs, _ := res.Attrs()
			require.Equal(t, true, attrs["public"], "the live value over the deposed object's")
		}
	}
	require.True(t, seen, "policies evaluate the live deposed object")
	found := false
	for _, f := range r.Findings {
		if f.ResourceID == "old" {
			found = true
			require.Equal(t, "prod", f.Stack)
			require.Equal(t, "storage", f.Team)
		}
	}
	require.True(t, found, "the public deposed object's violation is the stack's")
}
