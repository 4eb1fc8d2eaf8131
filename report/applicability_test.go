package report

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

// scopedPolicies exercise every applicability rule.
var scopedPolicies = []Policy{
	// Console users need MFA: no aws_iam_user exists anywhere audited.
	{ID: "DW-AWS-IAM-MFA", Input: "resource", ResourceTypes: []string{"aws_iam_user"}, Controls: []string{"CIS-AWS-2.0:1.10"}},
	// Buckets were audited and none violated.
	{ID: "DW-AWS-S3-001", Input: "resource", ResourceTypes: []string{"aws_s3_bucket"}, Controls: []string{"SOC2:CC6.1"}},
	// Instances were audited and one violated.
	{ID: "DW-AWS-EC2-001", Input: "resource", ResourceTypes: []string{"aws_instance"}, Controls: []string{"CIS-AWS-2.0:5.2"}},
	// Two policies: one with nothing in scope, one with buckets.
	{ID: "DW-AWS-KMS-001", Input: "resource", ResourceTypes: []string{"aws_kms_key"}, Controls: []string{"PCI-DSS-4.0:3.6"}},
	{ID: "DW-AWS-S3-002", Input: "resource", ResourceTypes: []string{"aws_s3_bucket", "aws_s3_bucket_policy"}, Controls: []string{"PCI-DSS-4.0:3.6"}},
	// Drift of a type never audited.
	{ID: "DW-DRIFT-SG", Input: "drift", ResourceTypes: []string{"aws_security_group"}, Controls: []string{"CIS-AWS-2.0:5.3"}},
	// Policies for every type, and plan policies: applicable whenever cycles ran.
	{ID: "DW-TAGS", Input: "resource", Controls: []string{"SOC2:CC8.1"}},
	{ID: "DW-PLAN-001", Input: "plan", Controls: []string{"SOC2:CC8.2"}},
	// Event policies need an audit-event source.
	{ID: "DW-EVT-ROOT", Input: "event", Controls: []string{"CIS-AWS-2.0:4.3"}},
}

var (
	auditedAWS = &store.Audited{
		Types:    map[string]int{"aws_s3_bucket": 2, "aws_instance": 1},
		Stacks:   []string{"network", "prod"},
		Accounts: []string{"111122223333"},
		Projects: []string{},
	}
	statesOK  = store.SourceStatus{Source: "states", Kind: "tfstate", OK: true}
	eventsOK  = store.SourceStatus{Source: "cloudtrail", Kind: "events", OK: true}
	eventsBad = store.SourceStatus{Source: "cloudtrail", Kind: "events", Errors: []string{"trail/x.json.gz: unexpected EOF"}}
)

func recordScoped(t *testing.T, st store.Store, at time.Time, audited *store.Audited, sources []store.SourceStatus, fs ...model.Finding) {
	t.Helper()
	_, _, err := st.RecordCycle(context.Background(), store.CycleRecord{StartedAt: at.Add(-time.Minute), FinishedAt: at, Status: "ok",
		Findings: fs, AuditedScopes: []string{"prod", "network"}, Sources: sources, Counts: map[string]int{"stacks": 2}, Audited: audited})
	require.NoError(t, err)
}

func ec2Violation() model.Finding {
	f := violation("e1", "DW-AWS-EC2-001", "prod", "platform", "CIS-AWS-2.0:5.2")
	f.ResourceType = "aws_instance"
	return f
}

func TestControlsWithNothingInScopeAreNotApplicable(t *testing.T) {
	st := newStore(t)
	for d := 1; d <= 3; d++ {
		recordScoped(t, st, day(float64(d)), auditedAWS, []store.SourceStatus{statesOK}, ec2Violation())
	}
	r := build(t, st, RawRequest{From: ts3339(day(0)), To: ts3339(day(4))}, Options{Policies: scopedPolicies})
	require.Equal(t, map[string]string{
		"CIS-AWS-2.0:1.10": ControlNotApplicable, // no aws_iam_user audited
		"SOC2:CC6.1":       ControlPass,          // buckets audited, no finding
		"CIS-AWS-2.0:5.2":  ControlFail,          // an instance violated
		"PCI-DSS-4.0:3.6":  ControlPass,          // one of its policies had buckets
		"CIS-AWS-2.0:5.3":  ControlNotApplicable, // no security group to drift
		"SOC2:CC8.1":       ControlPass,          // every type
		"SOC2:CC8.2":       ControlPass,          // plan policy
		"CIS-AWS-2.0:4.3":  ControlNotApplicable, // no event source at all
	}, controlStatus(r))
	reasons := map[string]string{}
	for _, c := range r.Controls {
		reasons[c.ID] = c.Reason
	}
	require.Equal(t, "nothing in scope: no resource of type aws_iam_user was audited in the window", reasons["CIS-AWS-2.0:1.10"])
	require.Contains(t, reasons["CIS-AWS-2.0:4.3"], "no audit-event source was audited")
	require.Empty(t, reasons["SOC2:CC6.1"])
	s := r.Summary
	require.Equal(t, [4]int{1, 4, 3, 0}, [4]int{s.ControlsFailed, s.ControlsPassed, s.ControlsNotApplicable, s.ControlsNotAssessed})
	require.Equal(t, StatusFail, s.Status)

	// Coverage lists what the cycles recorded, not what findings name.
	require.Equal(t, []string{"network", "prod"}, r.Coverage.Stacks, "network has no finding but was audited")
	require.Equal(t, []string{"111122223333"}, r.Coverage.Accounts)
	require.Empty(t, r.Coverage.Projects)
	require.Equal(t, []ResourceTypeCoverage{{Type: "aws_instance", Resources: 1, Cycles: 3}, {Type: "aws_s3_bucket", Resources: 2, Cycles: 3}}, r.Coverage.ResourceTypes)
	require.Zero(t, r.Coverage.ScopeUnknownCycles)
	require.Contains(t, strings.Join(r.Coverage.Notes, " "), "as recorded with each cycle")

	// Every format shows it, and still verifies.
	want := map[string][]string{
		FormatJSON:     {`"status": "not_applicable"`, `"controls_not_applicable": 3`},
		FormatCSV:      {"# control CIS-AWS-2.0:1.10 not_applicable: nothing in scope: no resource of type aws_iam_user", "controls: 1 failed, 4 passed, 3 not applicable, 0 not assessed"},
		FormatMarkdown: {"| CIS-AWS-2.0:1.10 | not applicable |", "1 failed, 4 passed, 3 not applicable, 0 not assessed", "aws_s3_bucket (2)"},
		FormatHTML:     {`<span class="badge b-not_applicable">not applicable</span>`, ".b-not_applicable {", "1 failed, 4 passed, 3 not applicable, 0 not assessed", "aws_instance (1)"},
	}
	for _, f := range Formats {
		out, err := Render(r, f)
		require.NoError(t, err, f)
		for _, w := range want[f] {
			require.Contains(t, string(out), w, f)
		}
		v, err := Verify(out)
		require.NoError(t, err, f)
		require.Equal(t, f, v.Format)
	}
	md, err := Render(r, FormatMarkdown)
	require.NoError(t, err)
	fail, notApplicable := strings.Index(string(md), "| CIS-AWS-2.0:5.2 | FAIL"), strings.Index(string(md), "| CIS-AWS-2.0:1.10 | not applicable")
	pass := strings.Index(string(md), "| SOC2:CC6.1 | PASS")
	require.True(t, fail < pass && pass < notApplicable, "failed first, not applicable last")
}

func TestResourcesWithoutFindingsPass(t *testing.T) {
	st := newStore(t)
	iam := &store.Audited{Types: map[string]int{"aws_iam_user": 4}, Stacks: []string{"iam"}, Accounts: []string{"111122223333"}}
	recordScoped(t, st, day(1), iam, []store.SourceStatus{statesOK})
	r := build(t, st, RawRequest{From: ts3339(day(0)), To: ts3339(day(2))}, Options{Policies: scopedPolicies})
	status := controlStatus(r)
	require.Equal(t, ControlPass, status["CIS-AWS-2.0:1.10"], "users were audited and none lacked MFA")
	require.Equal(t, ControlNotApplicable, status["SOC2:CC6.1"], "no bucket this time")
	require.Equal(t, ControlNotApplicable, status["CIS-AWS-2.0:5.2"])

	// A type seen in any cycle of the window makes its policies applicable.
	recordScoped(t, st, day(1.5), auditedAWS, []store.SourceStatus{statesOK})
	r = build(t, st, RawRequest{From: ts3339(day(0)), To: ts3339(day(2))}, Options{Policies: scopedPolicies})
	require.Equal(t, ControlPass, controlStatus(r)["CIS-AWS-2.0:1.10"])
	require.Equal(t, ControlPass, controlStatus(r)["SOC2:CC6.1"])
	require.Equal(t, []string{"iam", "network", "prod"}, r.Coverage.Stacks)
}

func TestEventPoliciesNeedAnEventSource(t *testing.T) {
	for _, tc := range []struct {
		name    string
		sources [][]store.SourceStatus
		want    string
		reason  string
	}{
		{"no event source", [][]store.SourceStatus{{statesOK}}, ControlNotApplicable, "no audit-event source was audited"},
		{"event source read", [][]store.SourceStatus{{statesOK, eventsBad}, {statesOK, eventsOK}}, ControlPass, ""},
		{"event source always failed", [][]store.SourceStatus{{statesOK, eventsBad}, {statesOK, eventsBad}}, ControlNotAssessed, "no audit-event source succeeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newStore(t)
			for i, srcs := range tc.sources {
				recordScoped(t, st, day(1+float64(i)), auditedAWS, srcs)
			}
			r := build(t, st, RawRequest{From: ts3339(day(0)), To: ts3339(day(5))}, Options{Policies: scopedPolicies})
			for _, c := range r.Controls {
				if c.ID == "CIS-AWS-2.0:4.3" {
					require.Equal(t, tc.want, c.Status)
					require.Contains(t, c.Reason, tc.reason)
					return
				}
			}
			t.Fatal("control CIS-AWS-2.0:4.3 missing")
		})
	}
}

// Cycles recorded before the audited scope was kept (migrated rows read
// back with a nil Audited) cannot rule resource types out: such controls
// pass as they did before, and coverage falls back to what findings name.
func TestCyclesWithoutRecordedScopeKeepPass(t *testing.T) {
	st := newStore(t)
	recordScoped(t, st, day(1), nil, []store.SourceStatus{statesOK}, ec2Violation()) // as a migrated row reads
	recordScoped(t, st, day(2), auditedAWS, []store.SourceStatus{statesOK}, ec2Violation())
	cycles, err := st.(History).CyclesBetween(context.Background(), day(0), day(3))
	require.NoError(t, err)
	require.Nil(t, cycles[0].Audited)

	r := build(t, st, RawRequest{From: ts3339(day(0)), To: ts3339(day(3))}, Options{Policies: scopedPolicies})
	status := controlStatus(r)
	require.Equal(t, ControlPass, status["CIS-AWS-2.0:1.10"], "an old cycle may have audited IAM users")
	require.Equal(t, ControlPass, status["CIS-AWS-2.0:5.3"])
	require.Equal(t, ControlFail, status["CIS-AWS-2.0:5.2"])
	require.Equal(t, ControlNotApplicable, status["CIS-AWS-2.0:4.3"], "sources were always recorded: no event source ran")
	require.Equal(t, 1, r.Coverage.ScopeUnknownCycles)
	require.Contains(t, strings.Join(r.Coverage.Notes, " "), "1 of 2 cycles in the window were recorded before driftwarden kept what each cycle audited")
	require.Equal(t, []string{"network", "prod"}, r.Coverage.Stacks)

	// Only the new cycle in the window: types are known again.
	r = build(t, st, RawRequest{From: ts3339(day(1.5)), To: ts3339(day(3))}, Options{Policies: scopedPolicies})
	require.Equal(t, ControlNotApplicable, controlStatus(r)["CIS-AWS-2.0:1.10"])
}

func TestNoCyclesIsNotAssessedEvenWithNothingInScope(t *testing.T) {
	st := newStore(t)
	recordScoped(t, st, day(1), auditedAWS, []store.SourceStatus{statesOK})
	r := build(t, st, RawRequest{From: ts3339(day(5)), To: ts3339(day(6))}, Options{Policies: scopedPolicies})
	require.Equal(t, StatusCoverageMissing, r.Summary.Status)
	for _, c := range r.Controls {
		require.Equal(t, ControlNotAssessed, c.Status, c.ID)
		require.Equal(t, "no audit cycle ran in the window", c.Reason)
	}
	require.Zero(t, r.Summary.ControlsNotApplicable)
	require.Empty(t, r.Coverage.Stacks, "nothing was audited")
}

func TestStackFilterNarrowsAuditedStacks(t *testing.T) {
	st := newStore(t)
	recordScoped(t, st, day(1), auditedAWS, []store.SourceStatus{statesOK})
	r := build(t, st, RawRequest{From: ts3339(day(0)), To: ts3339(day(2)), Stacks: []string{"prod", "billing"}}, Options{Policies: scopedPolicies})
	require.Equal(t, []string{"prod"}, r.Coverage.Stacks)
	require.Contains(t, strings.Join(r.Coverage.Notes, " "), `Stack "billing" was requested, but no cycle in the window audited it.`)
}

func TestReasonNamesEveryMissingInput(t *testing.T) {
	sc := scopeOf([]store.Cycle{{Audited: auditedAWS, Sources: []store.SourceStatus{statesOK}}})
	a, why := controlApplicability([]Policy{
		{ID: "k1", Input: "resource", ResourceTypes: []string{"aws_kms_key"}},
		{ID: "k2", Input: "drift", ResourceTypes: []string{"google_kms_crypto_key", "aws_kms_key"}},
		{ID: "e", Input: "event"},
	}, sc)
	require.Equal(t, notApplicable, a)
	require.Equal(t, "nothing in scope: no resource of type aws_kms_key, google_kms_crypto_key was audited and no audit-event source was audited in the window", why)
}
