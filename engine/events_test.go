package engine

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/evaluator"
	"github.com/driftwarden/driftwarden/model"
)

const handOpenedPolicy = `# METADATA
# title: Security group opened by hand
# custom:
#   id: T-EVT-001
#   severity: high
#   input: event
package test.events.hand_opened

deny contains msg if {
	input.event.action == "ec2:AuthorizeSecurityGroupIngress"
	input.event.verdict == "human"
	msg := sprintf("%s opened %s by hand (request %v)", [input.event.principal.id, input.event.resources[0], input.event.request.cidr])
}
`

// verdictAttributor explains the drift of sg-1 with the event ev-1 and
// calls it a human change, the way attribution does.
type verdictAttributor struct{}

func (verdictAttributor) Attribute(_ context.Context, in AttributionInput) (AttributionOutput, error) {
	out := AttributionOutput{Drifts: in.Drifts}
	for i := range out.Drifts {
		for _, ev := range in.Events {
			if ev.Resources[0] == out.Drifts[i].Resource.ID {
				ev.Verdict, ev.Stack = "human", "prod"
				out.Drifts[i].Events = append(out.Drifts[i].Events, ev)
			}
		}
	}
	return out, nil
}

func TestEventViolationsBecomeFindingsThatStayOpen(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hand_opened.rego"), []byte(handOpenedPolicy), 0o600))
	ev, err := evaluator.New(context.Background(), evaluator.Options{Dirs: []string{dir}})
	require.NoError(t, err)

	st := &fakeStates{name: "states", stacks: []collectors.Stack{{Name: "prod", Resources: []model.Resource{res("prod", "sg-1", false, nil)}}}}
	inv := &fakeInventory{name: "live", inv: collectors.Inventory{Source: "live", Resources: []collectors.LiveResource{live("sg-1", true)}}}
	e, _ := newEngine(t, st, inv)
	e.Evaluator = ev
	e.Attributor = verdictAttributor{}
	secret := "AKIA-PLANTED-SECRET-0001"
	event := model.Event{ID: "ev-1", Time: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), Source: "trail",
		Action: "ec2:AuthorizeSecurityGroupIngress", Principal: model.Principal{ID: "arn:aws:iam::111122223333:user/alice"},
		Resources: []string{"sg-1"}, Request: map[string]any{"cidr": "0.0.0.0/0"}, Raw: []byte(`{"secret":"` + secret + `"}`)}
	// A read-only event on another resource: no verdict, no violation.
	other := model.Event{ID: "ev-2", Source: "trail", Action: "ec2:AuthorizeSecurityGroupIngress", Resources: []string{"sg-9"}}
	evs := &fakeEvents{name: "trail", batch: collectors.EventBatch{Events: []model.Event{event, other}}}
	e.EventSources = []collectors.EventSource{evs}

	r, err := e.Run(context.Background())
	require.NoError(t, err)
	var got []model.Finding
	for _, f := range r.Findings {
		if f.PolicyID == "T-EVT-001" {
			got = append(got, f)
		}
	}
	require.Len(t, got, 1, "only the attributed human change violates")
	f := got[0]
	require.Equal(t, model.FindingViolation, f.Kind)
	require.Equal(t, "sg-1", f.ResourceID)
	require.Equal(t, "prod", f.Stack)
	require.Equal(t, "platform", f.Team, "the stack's owner")
	require.Equal(t, "events=trail", f.Scope)
	require.Equal(t, model.ViolationFingerprint("T-EVT-001", model.SubjectEvent, "", "ev-1"), f.Fingerprint)
	require.Contains(t, f.Message, "arn:aws:iam::111122223333:user/alice opened sg-1 by hand (request 0.0.0.0/0)")
	require.Len(t, f.Evidence.Events, 1)
	require.Nil(t, f.Evidence.Events[0].Raw, "the raw record is not evidence of a violation")
	require.NotContains(t, strings.Join([]string{f.Message, f.Title}, " "), secret)

	// The event is not read again: its violation stays open.
	evs.batch = collectors.EventBatch{}
	r, err = e.Run(context.Background())
	require.NoError(t, err)
	for _, tr := range r.Transitions {
		require.NotEqual(t, f.Fingerprint, tr.Finding.Fingerprint, "an event violation does not resolve when the event is not seen again")
	}
	stored, _, err := e.Store.Finding(context.Background(), f.Fingerprint)
	require.NoError(t, err)
	require.Equal(t, model.StateOpen, stored.State)
	require.True(t, slices.ContainsFunc(r.Findings, func(g model.Finding) bool { return g.Fingerprint == f.Fingerprint }),
		"the cycle reports the event violation as still open")

	// The same event read again (overlapping windows) is the same finding.
	evs.batch = collectors.EventBatch{Events: []model.Event{event}}
	r, err = e.Run(context.Background())
	require.NoError(t, err)
	for _, tr := range r.Transitions {
		require.NotEqual(t, f.Fingerprint, tr.Finding.Fingerprint, "re-reading an event opens nothing new")
	}
}
