package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

type findingBuilder struct {
	e           *Engine
	stackSource map[string]string
	view        *view
	// driftScopes maps stack + subject id to the scope of its drift finding:
	// a violation about a drift depends on the same inputs as the drift.
	driftScopes map[string]string
	// events are this cycle's events by id (event violations).
	events map[string]*model.Event
}

var driftTitles = map[model.DriftKind]string{
	model.DriftChanged:   "Resource changed outside Terraform",
	model.DriftMissing:   "Managed resource no longer exists",
	model.DriftUnmanaged: "Resource not managed by any Terraform state",
}

func (b findingBuilder) drift(d model.Drift) model.Finding {
	r := d.Resource
	id := subjectID(r)
	f := model.Finding{
		Fingerprint:  model.DriftFingerprint(d.Kind, r.Stack, id),
		Kind:         model.FindingKind(d.Kind),
		Severity:     driftSeverity[d.Kind],
		Title:        driftTitles[d.Kind],
		Message:      driftMessage(d),
		ResourceID:   id,
		ResourceType: r.Type,
		Address:      r.Address,
		Stack:        r.Stack,
		Account:      r.Account,
		Region:       r.Region,
		Team:         b.owner(r),
		Scope:        scopeOf(r.Stack, b.liveSource(d.Sources...)),
		Evidence:     model.Evidence{Diffs: d.Diffs, Events: d.Events},
	}
	if f.Severity == "" {
		f.Severity = model.SeverityMedium
	}
	return f
}

func (b findingBuilder) violation(v model.Violation) model.Finding {
	f := model.Finding{
		Kind:        model.FindingViolation,
		Severity:    v.Severity,
		PolicyID:    v.PolicyID,
		Title:       v.Title,
		Message:     v.Message,
		Controls:    v.Controls,
		Remediation: v.Remediation,
		ResourceID:  v.Subject,
	}
	var stack, source string
	if r := v.Resource; r != nil {
		f.ResourceID = subjectID(*r)
		f.ResourceType, f.Address, f.Account, f.Region = r.Type, r.Address, r.Account, r.Region
		stack, source = r.Stack, b.liveSource(r.Source)
		f.Team = b.owner(*r)
	}
	if v.Owner != "" {
		f.Team = v.Owner
	}
	f.Stack = stack
	f.Scope = scopeOf(stack, source)
	if v.SubjectKind == model.SubjectDrift {
		if sc, ok := b.driftScopes[stack+"\x00"+f.ResourceID]; ok {
			f.Scope = sc
		}
	}
	if v.SubjectKind == model.SubjectEvent {
		return b.eventViolation(v, f)
	}
	f.Fingerprint = model.ViolationFingerprint(v.PolicyID, v.SubjectKind, stack, f.ResourceID)
	return f
}

// eventViolation completes the finding of a violation about an audit
// event. Its fingerprint is policy + event id (the same event read again
// is the same finding); it is about the first resource the event touched
// (the event id when none), carries the event as evidence (without the raw
// record) and is scoped "events=<source>", a scope never audited: the
// finding stays open until waived.
func (b findingBuilder) eventViolation(v model.Violation, f model.Finding) model.Finding {
	f.ResourceID = "event:" + v.Subject
	f.Scope = eventScopePrefix
	if ev := b.events[v.Subject]; ev != nil {
		if len(ev.Resources) > 0 {
			f.ResourceID = ev.Resources[0]
		}
		f.Stack, f.Account, f.Region = ev.Stack, ev.Account, ev.Region
		if src, ok := b.stackSource[ev.Stack]; ok && f.Team == "" && b.e.Owners == nil {
			// With an ownership resolver, Run owns it through its resource.
			f.Team = b.e.Meta[src].Owner
		}
		f.Scope = eventScopePrefix + ev.Source
		evidence := *ev
		evidence.Raw = nil
		f.Evidence = model.Evidence{Events: []model.Event{evidence}}
	}
	f.Fingerprint = model.ViolationFingerprint(v.PolicyID, model.SubjectEvent, "", v.Subject)
	return f
}

// eventsByID indexes events by id (the last of duplicates wins).
func eventsByID(events []model.Event) map[string]*model.Event {
	out := make(map[string]*model.Event, len(events))
	for i := range events {
		out[events[i].ID] = &events[i]
	}
	return out
}

// attributedEvents returns events with the verdict and stack attribution
// found for them (carried by the drifts it explains) filled in, so event
// policies can tell a pipeline change from a hand-made one. events is not
// modified.
func attributedEvents(events []model.Event, drifts []model.Drift) []model.Event {
	known := map[string]*model.Event{}
	for i := range drifts {
		for j := range drifts[i].Events {
			ev := &drifts[i].Events[j]
			if ev.Verdict != "" || ev.Stack != "" {
				known[ev.ID] = ev
			}
		}
	}
	out := make([]model.Event, len(events))
	copy(out, events)
	if len(known) == 0 {
		return out
	}
	for i := range out {
		if a := known[out[i].ID]; a != nil {
			if out[i].Verdict == "" {
				out[i].Verdict = a.Verdict
			}
			if out[i].Stack == "" {
				out[i].Stack = a.Stack
			}
		}
	}
	return out
}

// liveSource returns the first of names that is an inventory source.
func (b findingBuilder) liveSource(names ...string) string {
	for _, n := range names {
		if b.view.liveSources[n] {
			return n
		}
	}
	return ""
}

// owner resolves the owning team: a tag/label, then the stack's owner.
func (b findingBuilder) owner(r model.Resource) string {
	if b.e.Owners != nil {
		return b.e.Owners(r, b.stackSource[r.Stack])
	}
	keys := b.e.OwnerTags
	if len(keys) == 0 {
		keys = []string{"team", "owner"}
	}
	for _, k := range keys {
		if t := r.Tags[k]; t != "" {
			return t
		}
	}
	if src, ok := b.stackSource[r.Stack]; ok {
		return b.e.Meta[src].Owner
	}
	return ""
}

// subjectID is the identity a finding is about: the canonical id, else the
// Terraform address (a plan that carries no attributes).
func subjectID(r model.Resource) string {
	if r.ID != "" {
		return r.ID
	}
	if r.Address != "" {
		return "tf:" + r.Stack + ":" + r.Address
	}
	return model.CanonicalID(r.Provider, r.Type, r.NativeID)
}

func driftMessage(d model.Drift) string {
	switch d.Kind {
	case model.DriftMissing:
		return fmt.Sprintf("%s is in state %q but was not found live", label(d.Resource), d.Resource.Stack)
	case model.DriftUnmanaged:
		return fmt.Sprintf("%s exists but no Terraform state manages it", label(d.Resource))
	}
	if len(d.Diffs) == 0 {
		return fmt.Sprintf("%s differs from its applied state", label(d.Resource))
	}
	paths := make([]string, 0, len(d.Diffs))
	for _, df := range d.Diffs {
		paths = append(paths, df.Path)
	}
	sort.Strings(paths)
	const max = 5
	more := ""
	if len(paths) > max {
		more = fmt.Sprintf(" and %d more", len(paths)-max)
		paths = paths[:max]
	}
	noun := "attributes differ"
	if len(d.Diffs) == 1 {
		noun = "attribute differs"
	}
	return fmt.Sprintf("%s: %d %s from the applied state: %s%s", label(d.Resource), len(d.Diffs), noun, strings.Join(paths, ", "), more)
}

func label(r model.Resource) string {
	if r.Address != "" {
		return r.Address
	}
	if r.ID != "" {
		return r.ID
	}
	return r.Type + " " + r.NativeID
}

// openEventViolations returns the open violations about audit events that
// this cycle did not observe again: an event is read once, so its
// violation is observed again every cycle (like attribution's event
// findings) until it is waived, and cycles report it as still open.
func (e *Engine) openEventViolations(ctx context.Context, observed []model.Finding) ([]model.Finding, error) {
	open, err := e.Store.Findings(ctx, store.FindingFilter{
		States: []model.FindingState{model.StateOpen},
		Kinds:  []model.FindingKind{model.FindingViolation},
	})
	if err != nil {
		return nil, fmt.Errorf("reading open event violations: %w", err)
	}
	seen := make(map[string]bool, len(observed))
	for _, f := range observed {
		seen[f.Fingerprint] = true
	}
	var out []model.Finding
	for _, f := range open {
		if strings.HasPrefix(f.Scope, eventScopePrefix) && !seen[f.Fingerprint] {
			out = append(out, f)
		}
	}
	return out, nil
}

// eventScopePrefix starts the scope of event violations ("events=<source>"),
// a scope no cycle audits.
const eventScopePrefix = "events="
