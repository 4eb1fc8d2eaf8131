package attribution

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/engine"
	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

// memCP is the store's checkpoint table for one test: the engine commits
// AttributionOutput.Checkpoints with the cycle.
type memCP map[string]string

func (m memCP) Checkpoint(_ context.Context, source, key string) (string, error) {
	v, ok := m[source+"/"+key]
	if !ok {
		return "", fmt.Errorf("reading checkpoint %s/%s: %w", source, key, store.ErrNotFound)
	}
	return v, nil
}

func (m memCP) commit(out engine.AttributionOutput) {
	for k, v := range out.Checkpoints {
		m[CheckpointSource+"/"+k] = v
	}
}

const (
	sgARN    = "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1"
	deployer = "arn:aws:iam::111122223333:role/terraform-deployer"
)

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func stacks(serial int64) []collectors.Stack {
	return []collectors.Stack{{Name: "network", Serial: serial, Lineage: "L", Resources: []model.Resource{
		{ID: sgARN, Type: "aws_security_group", Address: "aws_security_group.admin", Stack: "network"},
	}}}
}

func event(id string, at time.Time, p model.Principal, via model.Via, action string) model.Event {
	return model.Event{ID: id, Time: at, Source: "cloudtrail", Action: action, Principal: p, Via: via, Resources: []string{sgARN}}
}

var (
	alice = model.Principal{ID: "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_abc/alice@example.com", Type: "AssumedRole",
		Person: "alice@example.com", Issuer: "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_abc"}
	pipeline = model.Principal{ID: "arn:aws:sts::111122223333:assumed-role/terraform-deployer/ci-run-42", Type: "AssumedRole", Issuer: deployer}
	asg      = model.Principal{ID: "autoscaling.amazonaws.com", Type: "AWSService"}
)

func newAttributor() *Attributor {
	return New(Config{
		Deployers: []DeployerRule{{Stacks: []string{"net*"}, Principals: []string{"arn:aws:iam::111122223333:role/terraform-*"}}},
		ChangedAttributes: func(ev model.Event, typ string) []string {
			if ev.Action == "ec2:AuthorizeSecurityGroupIngress" && typ == "aws_security_group" {
				return []string{"ingress"}
			}
			return nil
		},
	})
}

func run(t *testing.T, a *Attributor, cp memCP, in engine.AttributionInput) engine.AttributionOutput {
	t.Helper()
	in.Checkpoints = cp
	out, err := a.Attribute(context.Background(), in)
	require.NoError(t, err)
	cp.commit(out)
	return out
}

func TestVerdicts(t *testing.T) {
	cases := []struct {
		name     string
		ev       model.Event
		serials  []int64 // serial seen at t0-20m, t0+20m (the event is at t0)
		verdict  string
		severity model.Severity
	}{
		{"console change by a person", event("e1", t0, alice, model.ViaConsole, "ec2:AuthorizeSecurityGroupIngress"), []int64{7, 7}, VerdictHuman, model.SeverityHigh},
		{"deployer during an apply", event("e2", t0, pipeline, model.ViaTerraform, "ec2:AuthorizeSecurityGroupIngress"), []int64{7, 8}, VerdictPipeline, ""},
		{"deployer with no apply", event("e3", t0, pipeline, model.ViaCLI, "ec2:AuthorizeSecurityGroupIngress"), []int64{7, 7}, VerdictPipelineOutsideApply, model.SeverityCritical},
		{"autoscaling", event("e4", t0, asg, model.ViaService, "ec2:AuthorizeSecurityGroupIngress"), []int64{7, 7}, VerdictService, model.SeverityLow},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, cp := newAttributor(), memCP{}
			run(t, a, cp, engine.AttributionInput{Stacks: stacks(c.serials[0]), Now: t0.Add(-20 * time.Minute)})
			out := run(t, a, cp, engine.AttributionInput{Stacks: stacks(c.serials[1]), Events: []model.Event{c.ev}, Now: t0.Add(40 * time.Minute)})
			require.Len(t, out.Events, 1)
			require.Equal(t, c.verdict, out.Events[0].Verdict)
			require.Equal(t, "network", out.Events[0].Stack)
			if c.verdict == VerdictPipeline {
				require.Empty(t, out.Findings)
				return
			}
			require.Len(t, out.Findings, 1)
			f := out.Findings[0]
			require.Equal(t, model.FindingOutOfBandChange, f.Kind)
			require.Equal(t, c.severity, f.Severity)
			require.Equal(t, "aws_security_group.admin", f.Address)
			require.Contains(t, f.Message, c.verdict)
			require.Equal(t, oobScope("network"), f.Scope)
			require.Contains(t, out.AuditedScopes, oobScope("network"))
			require.Nil(t, f.Evidence.Events[0].Raw, "raw records never go into evidence")
		})
	}
}

func TestFailedAndReadOnlyCallsAreNotChanges(t *testing.T) {
	a, cp := newAttributor(), memCP{}
	failed := event("f", t0, alice, model.ViaConsole, "ec2:AuthorizeSecurityGroupIngress")
	failed.ErrorCode = "UnauthorizedOperation"
	ro := event("r", t0, alice, model.ViaConsole, "ec2:DescribeSecurityGroups")
	ro.ReadOnly = true
	out := run(t, a, cp, engine.AttributionInput{Stacks: stacks(1), Events: []model.Event{failed, ro}, Now: t0})
	require.Empty(t, out.Findings)
}

func TestDeployerEventWaitsForItsApply(t *testing.T) {
	a, cp := newAttributor(), memCP{}
	run(t, a, cp, engine.AttributionInput{Stacks: stacks(7), Now: t0.Add(-10 * time.Minute)})
	ev := event("e", t0, pipeline, model.ViaTerraform, "ec2:AuthorizeSecurityGroupIngress")
	// The apply is still running: no new serial yet. The event is held.
	out := run(t, a, cp, engine.AttributionInput{Stacks: stacks(7), Events: []model.Event{ev}, Now: t0.Add(2 * time.Minute)})
	require.Empty(t, out.Findings)
	// Next cycle the apply's serial appears: pipeline, nothing to report.
	out = run(t, a, cp, engine.AttributionInput{Stacks: stacks(8), Now: t0.Add(12 * time.Minute)})
	require.Empty(t, out.Findings)
	require.Equal(t, VerdictPipeline, out.Events[0].Verdict)
	pend, err := loadEvents(context.Background(), cp, pendingKey)
	require.NoError(t, err)
	require.Empty(t, pend, "nothing is held any more")

	// Same again, but no apply ever comes: after the grace it is misuse.
	a, cp = newAttributor(), memCP{}
	run(t, a, cp, engine.AttributionInput{Stacks: stacks(7), Now: t0.Add(-10 * time.Minute)})
	run(t, a, cp, engine.AttributionInput{Stacks: stacks(7), Events: []model.Event{ev}, Now: t0.Add(2 * time.Minute)})
	out = run(t, a, cp, engine.AttributionInput{Stacks: stacks(7), Now: t0.Add(45 * time.Minute)})
	require.Len(t, out.Findings, 1)
	require.Equal(t, model.SeverityCritical, out.Findings[0].Severity)
}

func TestOutOfBandFindingLifecycle(t *testing.T) {
	a, cp := newAttributor(), memCP{}
	run(t, a, cp, engine.AttributionInput{Stacks: stacks(7), Now: t0.Add(-10 * time.Minute)})
	out := run(t, a, cp, engine.AttributionInput{Stacks: stacks(7), Now: t0.Add(5 * time.Minute),
		Events: []model.Event{event("e1", t0, alice, model.ViaConsole, "ec2:AuthorizeSecurityGroupIngress")}})
	require.Len(t, out.Findings, 1)
	open := out.Findings[0]
	open.FirstSeen = t0.Add(5 * time.Minute)
	drift := model.Drift{Kind: model.DriftChanged, Resource: model.Resource{ID: sgARN, Type: "aws_security_group"},
		Diffs: []model.Diff{{Path: "ingress", Applied: "a", Live: "b"}, {Path: "tags.team", Applied: "x", Live: "y"}}}

	// A later cycle without new events keeps it open and explains the drift.
	out = run(t, a, cp, engine.AttributionInput{Stacks: stacks(7), Open: []model.Finding{open}, Drifts: []model.Drift{drift},
		Observed: map[string]bool{sgARN: true}, Now: t0.Add(15 * time.Minute)})
	require.Len(t, out.Findings, 1, "kept open")
	d := out.Drifts[0]
	require.Len(t, d.Events, 1)
	require.Equal(t, "e1", d.Events[0].ID)
	require.Equal(t, []string{"e1"}, d.Diffs[0].Events, "ingress was changed by AuthorizeSecurityGroupIngress")
	require.Empty(t, d.Diffs[1].Events, "tags were not")

	// The live inventory shows the resource back in line (no drift): resolves.
	out = run(t, a, cp, engine.AttributionInput{Stacks: stacks(7), Open: []model.Finding{open},
		Observed: map[string]bool{sgARN: true}, Now: t0.Add(60 * time.Minute)})
	require.Empty(t, out.Findings)

	// Or a new apply does.
	out = run(t, a, cp, engine.AttributionInput{Stacks: stacks(8), Open: []model.Finding{open}, Drifts: []model.Drift{drift}, Now: t0.Add(70 * time.Minute)})
	require.Empty(t, out.Findings)

	// A stack that was not loaded keeps its findings (and is not audited).
	out = run(t, a, cp, engine.AttributionInput{Open: []model.Finding{open}, Now: t0.Add(80 * time.Minute)})
	require.Len(t, out.Findings, 1)
	require.Empty(t, out.AuditedScopes)
}

func TestHandMadeResourceIsUnmanagedWithItsCreator(t *testing.T) {
	a, cp := newAttributor(), memCP{}
	create := model.Event{ID: "c1", Time: t0, Action: "ec2:CreateSecurityGroup", Principal: alice, Via: model.ViaConsole,
		Resources: []string{"arn:aws:ec2:eu-west-1:111122223333:security-group/sg-handmade"}, Raw: []byte(`{"secret":"x"}`)}
	out := run(t, a, cp, engine.AttributionInput{Stacks: stacks(1), Events: []model.Event{create}, Now: t0})
	require.Empty(t, out.Findings, "no state knows it: nothing out of band, yet")

	// The inventory finds it two cycles later: unmanaged, with its creator.
	drift := model.Drift{Kind: model.DriftUnmanaged, Resource: model.Resource{ID: "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-handmade"}}
	out = run(t, a, cp, engine.AttributionInput{Stacks: stacks(1), Drifts: []model.Drift{drift}, Now: t0.Add(20 * time.Minute)})
	require.Len(t, out.Drifts[0].Events, 1)
	require.Equal(t, "alice@example.com", out.Drifts[0].Events[0].Principal.Person)
	require.Nil(t, out.Drifts[0].Events[0].Raw)
}

func TestGlob(t *testing.T) {
	require.True(t, glob("arn:aws:iam::*:role/terraform-*", deployer))
	require.True(t, glob("*@p.iam.gserviceaccount.com", "deploy@p.iam.gserviceaccount.com"))
	require.False(t, glob("arn:aws:iam::*:role/terraform-*", "arn:aws:iam::1:role/admin"))
	require.True(t, glob("a?c", "abc"))
}

func TestDeployersBySource(t *testing.T) {
	a := New(Config{Deployers: []DeployerRule{{Sources: []string{"prod-states"}, Principals: []string{deployer}}}})
	cp := memCP{}
	st := stacks(7)
	st[0].Source = "prod-states"
	run(t, a, cp, engine.AttributionInput{Stacks: st, Now: t0.Add(-20 * time.Minute)})
	st2 := stacks(8)
	st2[0].Source = "prod-states"
	out := run(t, a, cp, engine.AttributionInput{Stacks: st2, Now: t0.Add(20 * time.Minute),
		Events: []model.Event{event("e", t0, pipeline, model.ViaTerraform, "ec2:AuthorizeSecurityGroupIngress")}})
	require.Empty(t, out.Findings)
	require.Equal(t, VerdictPipeline, out.Events[0].Verdict)

	// The same principal on a stack of another source is not a deployer there.
	other := stacks(8)
	other[0].Source = "dev-states"
	out = run(t, New(Config{Deployers: a.cfg.Deployers}), memCP{}, engine.AttributionInput{Stacks: other, Now: t0.Add(20 * time.Minute),
		Events: []model.Event{event("e2", t0, pipeline, model.ViaTerraform, "ec2:AuthorizeSecurityGroupIngress")}})
	require.Len(t, out.Findings, 1)
	require.Equal(t, VerdictHuman, out.Events[0].Verdict)
}

// A write on a deposed object (the old object of a replacement, still to
// destroy) is judged like one on any managed resource of its stack.
func TestDeposedObjectIsManaged(t *testing.T) {
	const oldSG = "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-old"
	st := stacks(7)
	st[0].Deposed = []collectors.DeposedObject{{Key: "1a2b3c4d",
		Resource: model.Resource{ID: oldSG, Type: "aws_security_group", Address: "aws_security_group.admin", Stack: "network"}}}
	a, cp := newAttributor(), memCP{}
	run(t, a, cp, engine.AttributionInput{Stacks: st, Now: t0.Add(-10 * time.Minute)})
	ev := event("e1", t0, alice, model.ViaConsole, "ec2:RevokeSecurityGroupIngress")
	ev.Resources = []string{oldSG}
	out := run(t, a, cp, engine.AttributionInput{Stacks: st, Now: t0.Add(5 * time.Minute), Events: []model.Event{ev}})
	require.Len(t, out.Findings, 1, "a human edit of the stack's deposed object is out of band")
	require.Equal(t, model.FindingOutOfBandChange, out.Findings[0].Kind)
	require.Equal(t, "network", out.Findings[0].Stack)
	require.Equal(t, oldSG, out.Findings[0].ResourceID)
}
