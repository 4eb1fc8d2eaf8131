package evaluator

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/internal/testcorpus"
	"github.com/driftwarden/driftwarden/model"
)

const rootUsePolicy = `# METADATA
# title: Root account used
# custom:
#   id: T-EVT-ROOT
#   severity: critical
#   input: event
#   resource_types: [aws_s3_bucket]
package t.events.root

deny contains msg if {
	input.event.principal.type == "Root"
	input.event.error_code == ""
	msg := sprintf("root called %s at %s from %s", [input.event.action, input.event.time, input.event.source_ip])
}
`

// portPolicy errors at runtime when the request's port is not a number.
const portPolicy = `# METADATA
# title: Port opened
# custom:
#   id: T-EVT-PORT
#   severity: medium
#   input: event
package t.events.port

deny contains msg if {
	input.event.action == "ec2:AuthorizeSecurityGroupIngress"
	to_number(input.event.request.fromPort) < 1024
	msg := sprintf("%s opened a privileged port", [input.event.principal.id])
}
`

const blastPolicy = `# METADATA
# title: Blast radius
# custom:
#   id: T-PLAN-BLAST
#   severity: high
#   input: plan
package t.plan.blast

weights := {"delete": 10, "update": 5, "create": 1, "no-op": 0}

score := sum([weights[a] | some rc in input.plan.resource_changes; some a in rc.actions])

deny contains {"msg": sprintf("%s: blast radius %d on branch %s", [input.plan.stack, score, input.plan.branch]), "severity": sev} if {
	score > 5
	sev := "critical"
	input.plan.branch != input.plan.tracked_branch
}

deny contains msg if {
	some rc in input.plan.resource_changes
	rc.after.password == "(sensitive)"
	msg := sprintf("%s sets a password (value %s)", [rc.address, rc.after.password])
}
`

func TestEvaluateEvents(t *testing.T) {
	dir := policyDir(t, map[string]string{"root.rego": rootUsePolicy, "port.rego": portPolicy})
	e := newEval(t, Options{Dirs: []string{dir}})
	at := time.Date(2026, 11, 26, 10, 30, 0, 0, time.FixedZone("CET", 3600))
	events := []model.Event{
		{ID: "ev-root", Time: at, Source: "cloudtrail", Action: "s3:PutBucketPolicy", SourceIP: "198.51.100.7",
			Principal: model.Principal{ID: "arn:aws:iam::111122223333:root", Type: "Root"}, Raw: []byte(`{"secret":"planted"}`)},
		{ID: "ev-root-failed", Source: "cloudtrail", Action: "s3:PutBucketPolicy", ErrorCode: "AccessDenied",
			Principal: model.Principal{ID: "arn:aws:iam::111122223333:root", Type: "Root"}},
		{ID: "ev-port-bad", Source: "cloudtrail", Action: "ec2:AuthorizeSecurityGroupIngress",
			Principal: model.Principal{ID: "alice"}, Request: map[string]any{"fromPort": "twenty-two"}},
		{ID: "ev-port", Source: "cloudtrail", Action: "ec2:AuthorizeSecurityGroupIngress",
			Principal: model.Principal{ID: "bob"}, Request: map[string]any{"fromPort": 22}},
	}
	vs, errs := e.EvaluateEvents(context.Background(), events)
	require.Len(t, vs, 2)
	require.Equal(t, "T-EVT-ROOT", vs[0].PolicyID, "resource_types do not hide event policies")
	require.Equal(t, model.SubjectEvent, vs[0].SubjectKind)
	require.Equal(t, "ev-root", vs[0].Subject)
	require.Nil(t, vs[0].Resource)
	require.Equal(t, model.SeverityCritical, vs[0].Severity)
	require.Equal(t, "root called s3:PutBucketPolicy at 2026-11-26T09:30:00Z from 198.51.100.7", vs[0].Message)
	require.Equal(t, "T-EVT-PORT", vs[1].PolicyID)
	require.Equal(t, "ev-port", vs[1].Subject)
	require.Len(t, errs, 1, "the bad request costs one policy on one event")
	var ee *EvalError
	require.True(t, errors.As(errs[0], &ee))
	require.Equal(t, "T-EVT-PORT", ee.PolicyID)
	require.Equal(t, "ev-port-bad", ee.Subject)
	require.Contains(t, errs[0].Error(), "port.rego")
}

func TestEventInputNeverHoldsRaw(t *testing.T) {
	const dump = `# METADATA
# title: Dump
# custom:
#   id: T-EVT-DUMP
#   severity: info
#   input: event
package t.events.dump

deny contains sprintf("%v", [input])
`
	e := newEval(t, Options{Dirs: []string{policyDir(t, map[string]string{"dump.rego": dump})}})
	vs, errs := e.EvaluateEvents(context.Background(), []model.Event{{ID: "e1", Raw: []byte(`{"planted":"SECRET-RAW-VALUE"}`)}})
	require.Empty(t, errs)
	require.Len(t, vs, 1)
	require.NotContains(t, vs[0].Message, "SECRET-RAW-VALUE")
	for _, key := range []string{"principal", "resources", "request", "verdict", "stack", "read_only", "error_code", "user_agent", "via"} {
		require.Contains(t, vs[0].Message, `"`+key+`"`, "every key is present")
	}
}

const planJSONText = `{
  "format_version": "1.2",
  "terraform_version": "1.9.0",
  "planned_values": {},
  "resource_drift": [
    {"address": "aws_instance.drifted", "type": "aws_instance", "name": "drifted", "mode": "managed",
     "change": {"actions": ["delete"], "before": {}, "after": null}}
  ],
  "resource_changes": [
    {"address": "aws_db_instance.main", "mode": "managed", "type": "aws_db_instance", "name": "main",
     "provider_name": "registry.terraform.io/hashicorp/aws",
     "change": {"actions": ["delete", "create"],
       "before": {"password": "OLD-PLANTED-SECRET", "port": 5432, "tags": [{"k": "HIDDEN-TAG"}]},
       "after": {"password": "NEW-PLANTED-SECRET", "port": 5432, "tags": [{"k": "shown"}]},
       "before_sensitive": {"password": true, "tags": [{"k": true}]},
       "after_sensitive": {"password": true, "tags": [{}]}}},
    {"address": "aws_s3_bucket.logs", "mode": "managed", "type": "aws_s3_bucket", "name": "logs",
     "provider_name": "registry.terraform.io/hashicorp/aws",
     "change": {"actions": ["no-op"], "before": {"bucket": "logs"}, "after": {"bucket": "logs"}}}
  ]
}`

func TestReadPlanAndEvaluatePlan(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "plan.json")
	require.NoError(t, os.WriteFile(path, []byte(planJSONText), 0o600))
	p, err := ReadPlanFile(path)
	require.NoError(t, err)
	require.Equal(t, "1.2", p.FormatVersion)
	require.Len(t, p.ResourceChanges, 2, "resource_drift is not part of the change")
	rc := p.ResourceChanges[0]
	require.Equal(t, []string{"delete", "create"}, rc.Actions)
	require.Equal(t, "registry.terraform.io/hashicorp/aws", rc.ProviderName)
	require.Equal(t, model.Redacted, rc.Before.(map[string]any)["password"])
	require.Equal(t, model.Redacted, rc.After.(map[string]any)["password"])
	require.Equal(t, model.Redacted, rc.Before.(map[string]any)["tags"].([]any)[0].(map[string]any)["k"])
	require.Equal(t, "shown", rc.After.(map[string]any)["tags"].([]any)[0].(map[string]any)["k"])

	p.Stack, p.Branch, p.TrackedBranch = "prod-core", "feature/x", "main"
	e := newEval(t, Options{Dirs: []string{policyDir(t, map[string]string{"blast.rego": blastPolicy})}})
	vs, errs := e.EvaluatePlan(context.Background(), p)
	require.Empty(t, errs)
	require.Len(t, vs, 1)
	v := vs[0]
	require.Equal(t, model.SubjectPlan, v.SubjectKind)
	require.Equal(t, "prod-core", v.Subject)
	require.Equal(t, model.SeverityCritical, v.Severity, "the rule's severity wins over METADATA")
	require.Equal(t, "aws_db_instance.main sets a password (value (sensitive)); prod-core: blast radius 11 on branch feature/x", v.Message)
	require.NotContains(t, v.Message, "PLANTED")

	// On the tracked branch the blast-radius rule does not fire.
	p.Branch = "main"
	vs, _ = e.EvaluatePlan(context.Background(), p)
	require.Len(t, vs, 1)
	require.NotContains(t, vs[0].Message, "blast radius")
}

func TestReadPlanCorpus(t *testing.T) {
	enc := testcorpus.Path(t, "checkov", "tests", "terraform", "parser", "resources", "plan_encodings")
	utf16, err := ReadPlanFile(filepath.Join(enc, "tfplan_win_utf16.json"))
	require.NoError(t, err, "UTF-16 with a byte order mark")
	utf8, err := ReadPlanFile(filepath.Join(enc, "tfplan_win_utf8.json"))
	require.NoError(t, err)
	require.NotEmpty(t, utf16.ResourceChanges)
	require.Equal(t, utf8, utf16)

	del, err := ReadPlanFile(testcorpus.Path(t, "checkov", "tests", "terraform", "runner", "resources", "plan_with_deleted_resources", "tfplan.json"))
	require.NoError(t, err)
	require.Equal(t, []string{"create", "delete"}, del.ResourceChanges[0].Actions)

	none, err := ReadPlanFile(testcorpus.Path(t, "terraform-json", "testdata", "no_changes", "plan.json"))
	require.NoError(t, err)
	for _, rc := range none.ResourceChanges {
		require.Equal(t, []string{"no-op"}, rc.Actions)
	}
}

func TestReadPlanBadInput(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, text, want string
	}{
		{"syntax.json", "{\n  \"format_version\": \"1.2\",\n  \"resource_changes\": [\n    {\"address\": }\n  ]\n}", "syntax.json: line 4"},
		{"state.json", `{"format_version": "1.0", "terraform_version": "1.9.0", "values": {"root_module": {}}}`, "is a state"},
		{"noversion.json", `{"resource_changes": []}`, "no format_version"},
		{"future.json", `{"format_version": "2.0", "resource_changes": []}`, `format_version "2.0" is not supported`},
		{"nochange.json", `{"format_version": "1.2", "resource_changes": [{"address": "a.b"}]}`, "resource_changes[0] has no address or no change"},
		{"wrongtype.json", `{"format_version": "1.2", "resource_changes": {"a": 1}}`, "wrongtype.json: line 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name)
			require.NoError(t, os.WriteFile(path, []byte(c.text), 0o600))
			_, err := ReadPlanFile(path)
			require.Error(t, err)
			require.Contains(t, err.Error(), c.want)
			require.True(t, strings.Contains(err.Error(), c.name), "the error names the file: %v", err)
		})
	}
	_, err := ReadPlanFile(filepath.Join(dir, "absent.json"))
	require.ErrorContains(t, err, "absent.json")

	invalid := testcorpus.Path(t, "terraform-json", "testdata", "invalid", "plan.json")
	_, err = ReadPlanFile(invalid)
	require.ErrorContains(t, err, "invalid/plan.json")
}

// A source may leave the request as JSON bytes (model.Event.RequestJSON):
// policies see the same document as for a decoded Request, and bytes that
// are not a JSON object read as an empty request.
func TestEvaluateEventsUndecodedRequest(t *testing.T) {
	dir := policyDir(t, map[string]string{"port.rego": portPolicy})
	e := newEval(t, Options{Dirs: []string{dir}})
	events := []model.Event{
		{ID: "ev-json", Source: "cloudtrail", Action: "ec2:AuthorizeSecurityGroupIngress",
			Principal: model.Principal{ID: "bob"}, RequestJSON: []byte(`{"groupId":"sg-1","fromPort":22}`)},
		{ID: "ev-json-other-port", Source: "cloudtrail", Action: "ec2:AuthorizeSecurityGroupIngress",
			Principal: model.Principal{ID: "bob"}, RequestJSON: []byte(`{"fromPort":8443}`)},
		{ID: "ev-json-broken", Source: "cloudtrail", Action: "ec2:AuthorizeSecurityGroupIngress",
			Principal: model.Principal{ID: "bob"}, RequestJSON: []byte(`{"fromPort":22,}`)},
	}
	vs, errs := e.EvaluateEvents(context.Background(), events)
	require.Empty(t, errs)
	require.Len(t, vs, 1)
	require.Equal(t, "ev-json", vs[0].Subject)
	require.Equal(t, "T-EVT-PORT", vs[0].PolicyID)
}
