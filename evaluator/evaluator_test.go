package evaluator

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/policies"
)

// builtinIDs are the ids of the built-in policies, read from the embedded
// files' METADATA text (not through the loader under test), sorted.
var builtinIDs = func() []string {
	idLine := regexp.MustCompile(`(?m)^#\s+id:\s*(\S+)`)
	var ids []string
	_ = fs.WalkDir(policies.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") || strings.HasSuffix(p, "_test.rego") {
			return err
		}
		bs, err := fs.ReadFile(policies.FS, p)
		if err != nil {
			return err
		}
		if m := idLine.FindSubmatch(bs); m != nil {
			ids = append(ids, string(m[1]))
		}
		return nil
	})
	slices.Sort(ids)
	return ids
}()

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	}
}

func policyDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	return dir
}

// userPolicy is a valid user policy flagging aws_instance without monitoring.
const userPolicy = `# METADATA
# title: Detailed monitoring disabled
# description: EC2 instance without detailed monitoring.
# custom:
#   id: ACME-EC2-001
#   severity: low
#   controls: ["ACME:OPS-1"]
#   remediation: Set monitoring = true.
#   input: resource
#   resource_types: [aws_instance]
package acme.monitoring

deny contains msg if {
	input.resource.type == "aws_instance"
	input.resource.attributes.monitoring == false
	msg := sprintf("%s has detailed monitoring off", [input.resource.address])
}
`

func newEval(t *testing.T, opts Options) *Evaluator {
	t.Helper()
	ev, err := New(context.Background(), opts)
	require.NoError(t, err)
	return ev
}

func res(typ, name string, attrs map[string]any, tags map[string]string) model.Resource {
	provider := model.ProviderOf(typ)
	return model.Resource{
		ID:         model.CanonicalID(provider, typ, name),
		Type:       typ,
		Provider:   provider,
		NativeID:   name,
		Address:    typ + "." + name,
		Stack:      "app",
		Tags:       tags,
		Attributes: attrs,
	}
}

var owned = map[string]string{"owner": "payments"}

func byPolicy(vs []model.Violation) map[string][]model.Violation {
	out := map[string][]model.Violation{}
	for _, v := range vs {
		out[v.PolicyID] = append(out[v.PolicyID], v)
	}
	return out
}

func TestNewLoadsBuiltinPolicies(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	ev := newEval(t, Options{Builtin: true, Registerer: reg})

	infos := ev.Policies()
	ids := make([]string, len(infos))
	for i, p := range infos {
		ids[i] = p.ID
		require.NotEmpty(t, p.Title, p.ID)
		require.NotEmpty(t, p.Description, p.ID)
		require.NotEmpty(t, p.Remediation, p.ID)
		require.NotEmpty(t, p.Controls, p.ID)
		require.True(t, p.Severity.Valid(), p.ID)
		require.Equal(t, p.Severity, p.DefaultSeverity, p.ID)
		require.True(t, p.Builtin, p.ID)
		require.True(t, strings.HasPrefix(p.File, BuiltinPrefix), p.File)
		require.False(t, strings.HasSuffix(p.File, "_test.rego"), p.File)
	}
	require.Equal(t, builtinIDs, ids)
	require.Subset(t, ids, []string{"DW-AWS-EBS-001", "DW-AWS-EC2-001", "DW-AWS-RDS-001", "DW-AWS-S3-001", "DW-DRIFT-001", "DW-TAG-001"})

	s3 := infos[slices.IndexFunc(infos, func(p PolicyInfo) bool { return p.ID == "DW-AWS-S3-001" })]
	require.Equal(t, model.SubjectResource, s3.Input)
	require.Equal(t, "builtin/aws/s3_public_bucket.rego", s3.File)
	require.Equal(t, "driftwarden.aws.s3_public_bucket", s3.Package)
	require.Contains(t, s3.ResourceTypes, "aws_s3_bucket_public_access_block")
	require.Contains(t, s3.Controls, "SOC2:CC6.1")

	require.Len(t, ev.Revision(), 16)
	require.Equal(t, float64(len(builtinIDs)), testutil.ToFloat64(ev.metrics.loaded))
	require.Equal(t, 1.0, testutil.ToFloat64(ev.metrics.reloadOK))
	require.Positive(t, testutil.ToFloat64(ev.metrics.lastSuccess))
	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	require.Empty(t, problems)
	n, err := testutil.GatherAndCount(reg,
		"driftwarden_policies_loaded",
		"driftwarden_policy_reloads_total",
		"driftwarden_policy_last_reload_success_timestamp_seconds",
		"driftwarden_policy_reload_successful",
		"driftwarden_policy_evaluation_errors_total",
		"driftwarden_policy_revision_info")
	require.NoError(t, err)
	require.Equal(t, 1+2+1+1+len(builtinIDs)+1, n)
	require.Equal(t, 1.0, testutil.ToFloat64(ev.metrics.revision.WithLabelValues(ev.Revision())))
}

func TestNoBuiltinStillHasLibAndDefaults(t *testing.T) {
	dir := policyDir(t, map[string]string{"tags.rego": `# METADATA
# title: Team tag
# custom:
#   id: ACME-TAG-001
#   severity: info
#   input: resource
package acme.tags

import data.driftwarden.lib

deny contains sprintf("%s: required tags are %v", [lib.name, data.driftwarden.config.required_tags]) if {
	input.resource.type == "aws_s3_bucket"
}
`})
	ev := newEval(t, Options{Dirs: []string{dir}})
	require.Len(t, ev.Policies(), 1)
	vs, errs := ev.EvaluateResources(context.Background(), []model.Resource{res("aws_s3_bucket", "b", nil, nil)})
	require.Empty(t, errs)
	require.Len(t, vs, 1)
	require.Equal(t, `aws_s3_bucket.b: required tags are ["owner"]`, vs[0].Message)
}

func TestUserPolicyDirAddsPolicy(t *testing.T) {
	dir := policyDir(t, map[string]string{
		"ec2/monitoring.rego":      userPolicy,
		"ec2/monitoring_test.rego": "this file is not even Rego, and is skipped for evaluation",
		".git/HEAD":                "ref: refs/heads/main",
	})
	ev := newEval(t, Options{Builtin: true, Dirs: []string{dir}})
	require.Len(t, ev.Policies(), len(builtinIDs)+1)

	inst := res("aws_instance", "app", map[string]any{"monitoring": false, "tags": map[string]any{"owner": "x"}}, owned)
	vs, errs := ev.EvaluateResources(context.Background(), []model.Resource{inst})
	require.Empty(t, errs)
	require.Len(t, vs, 1)
	v := vs[0]
	require.Equal(t, "ACME-EC2-001", v.PolicyID)
	require.Equal(t, "Detailed monitoring disabled", v.Title)
	require.Equal(t, model.SeverityLow, v.Severity)
	require.Equal(t, []string{"ACME:OPS-1"}, v.Controls)
	require.Equal(t, "Set monitoring = true.", v.Remediation)
	require.Equal(t, "aws_instance.app has detailed monitoring off", v.Message)
	require.Equal(t, model.SubjectResource, v.SubjectKind)
	require.Equal(t, inst.ID, v.Subject)
	require.NotNil(t, v.Resource)
	require.Equal(t, inst.Address, v.Resource.Address)

	info := ev.Policies()[slices.IndexFunc(ev.Policies(), func(p PolicyInfo) bool { return p.ID == "ACME-EC2-001" })]
	require.Equal(t, filepath.Join(dir, "ec2", "monitoring.rego"), info.File)
	require.False(t, info.Builtin)
}

func TestUserPolicySyntaxErrorNamesFileAndLine(t *testing.T) {
	dir := policyDir(t, map[string]string{
		"ok.rego":  userPolicy,
		"bad.rego": "package acme.bad\n\ndeny contains msg if {\n\tmsg := \"x\"\n\tinput.resource.type ==\n}\n",
	})
	_, err := New(context.Background(), Options{Builtin: true, Dirs: []string{dir}})
	require.Error(t, err)
	require.Contains(t, err.Error(), filepath.Join(dir, "bad.rego")+":6")
	require.Contains(t, err.Error(), "rego_parse_error")

	_, err = RunTests(context.Background(), TestOptions{Dirs: []string{dir}})
	require.ErrorContains(t, err, filepath.Join(dir, "bad.rego")+":6")
}

func TestUserPolicyCompileErrorNamesFileAndLine(t *testing.T) {
	dir := policyDir(t, map[string]string{"bad.rego": `# METADATA
# title: t
# custom:
#   id: ACME-1
#   severity: low
#   input: resource
package acme.bad

deny contains msg if {
	msg := no_such_function(input.resource.id)
}
`})
	_, err := New(context.Background(), Options{Dirs: []string{dir}})
	require.ErrorContains(t, err, filepath.Join(dir, "bad.rego")+":10")
	require.ErrorContains(t, err, "undefined function")
}

func TestMetadataErrors(t *testing.T) {
	const body = "\ndeny contains \"x\" if input.resource.type == \"t\"\n"
	meta := func(lines ...string) string {
		return "# METADATA\n# title: A title\n# custom:\n" + strings.Join(lines, "\n") + "\n"
	}
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"no metadata", map[string]string{"p.rego": "package acme.p\n" + body},
			[]string{"p.rego: package acme.p", "no METADATA block"}},
		{"no id", map[string]string{"p.rego": meta("#   severity: low", "#   input: resource") + "package acme.p\n" + body},
			[]string{"p.rego:1: package acme.p", "custom.id"}},
		{"no severity", map[string]string{"p.rego": meta("#   id: ACME-1", "#   input: resource") + "package acme.p\n" + body},
			[]string{"p.rego:1: package acme.p", "custom.severity is missing"}},
		{"bad severity", map[string]string{"p.rego": meta("#   id: ACME-1", "#   severity: urgent", "#   input: resource") + "package acme.p\n" + body},
			[]string{"p.rego:1", `custom.severity "urgent"`}},
		{"bad input kind", map[string]string{"p.rego": meta("#   id: ACME-1", "#   severity: low", "#   input: bucket") + "package acme.p\n" + body},
			[]string{"p.rego:1", `custom.input "bucket"`}},
		{"no input kind", map[string]string{"p.rego": meta("#   id: ACME-1", "#   severity: low") + "package acme.p\n" + body},
			[]string{"custom.input is missing"}},
		{"bad control", map[string]string{"p.rego": meta("#   id: ACME-1", "#   severity: low", "#   input: resource", "#   controls: [CC6.1]") + "package acme.p\n" + body},
			[]string{`control "CC6.1"`}},
		{"inventory_types not a list", map[string]string{"p.rego": meta("#   id: ACME-1", "#   severity: low", "#   input: resource", "#   inventory_types: aws_s3_bucket") + "package acme.p\n" + body},
			[]string{"p.rego:1", "custom.inventory_types must be a list of strings"}},
		{"inventory_types not types", map[string]string{"p.rego": meta("#   id: ACME-1", "#   severity: low", "#   input: resource", "#   inventory_types: [S3 Bucket]") + "package acme.p\n" + body},
			[]string{"p.rego:1", `custom.inventory_types: "S3 Bucket" is not a resource type`}},
		{"inventory_types of objects", map[string]string{"p.rego": meta("#   id: ACME-1", "#   severity: low", "#   input: resource", "#   inventory_types: [{type: aws_s3_bucket}]") + "package acme.p\n" + body},
			[]string{"p.rego:1", "custom.inventory_types must be a list of non-empty strings"}},
		{"inventory_types empty key", map[string]string{"p.rego": meta("#   id: ACME-1", "#   severity: low", "#   input: resource", "#   inventory_types:") + "package acme.p\n" + body},
			[]string{"p.rego:1", "custom.inventory_types must be a list of resource types"}},
		{"inventory_types on an event policy", map[string]string{"p.rego": meta("#   id: ACME-1", "#   severity: low", "#   input: event", "#   inventory_types: [aws_s3_bucket]") + "package acme.p\n" + body},
			[]string{"p.rego:1", "custom.inventory_types applies to input: resource policies only, not event"}},
		{"duplicate id", map[string]string{
			"a.rego": meta("#   id: ACME-1", "#   severity: low", "#   input: resource") + "package acme.a\n" + body,
			"b.rego": meta("#   id: ACME-1", "#   severity: low", "#   input: resource") + "package acme.b\n" + body,
		}, []string{"b.rego: package acme.b", "policy id ACME-1 is already used by package acme.a in", "a.rego"}},
		{"duplicate builtin id", map[string]string{
			"a.rego": meta("#   id: DW-AWS-S3-001", "#   severity: low", "#   input: resource") + "package acme.a\n" + body,
		}, []string{"a.rego: package acme.a: policy id DW-AWS-S3-001 is already used by package driftwarden.aws.s3_public_bucket in builtin/aws/s3_public_bucket.rego"}},
		{"metadata on the rule", map[string]string{"p.rego": "package acme.p\n\n" + meta("#   id: ACME-1", "#   severity: low", "#   input: resource") + "deny contains \"x\" if input.resource.type == \"t\"\n"},
			[]string{"p.rego:3: package acme.p", "above the package declaration"}},
		{"deny not a set", map[string]string{"p.rego": meta("#   id: ACME-1", "#   severity: low", "#   input: resource") + "package acme.p\n\ndeny := \"x\"\n"},
			[]string{"p.rego:9: package acme.p", "partial set rule"}},
		{"id without deny", map[string]string{"p.rego": meta("#   id: ACME-1", "#   severity: low", "#   input: resource") + "package acme.p\n\nallow := true\n"},
			[]string{"declares policy ACME-1 but has no deny rule"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := policyDir(t, tc.files)
			_, err := New(context.Background(), Options{Builtin: true, Dirs: []string{dir}})
			require.Error(t, err)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
			_, err = RunTests(context.Background(), TestOptions{Builtin: true, Dirs: []string{dir}})
			require.Error(t, err, "policy test must reject what the daemon rejects")
		})
	}
}

func TestHelperPackageNeedsNoMetadata(t *testing.T) {
	dir := policyDir(t, map[string]string{
		"lib.rego": "package acme.lib\n\nis_prod(stack) if startswith(stack, \"prod\")\n",
	})
	ev := newEval(t, Options{Dirs: []string{dir}})
	require.Empty(t, ev.Policies())
	vs, errs := ev.EvaluateResources(context.Background(), []model.Resource{res("aws_s3_bucket", "b", nil, nil)})
	require.Empty(t, vs)
	require.Empty(t, errs)
}

func TestRuntimeErrorIsIsolated(t *testing.T) {
	dir := policyDir(t, map[string]string{"size.rego": `# METADATA
# title: Oversized volume
# custom:
#   id: ACME-EBS-002
#   severity: medium
#   input: resource
#   resource_types: [aws_ebs_volume]
package acme.size

deny contains msg if {
	input.resource.type == "aws_ebs_volume"
	to_number(input.resource.attributes.size_label) > 1000
	msg := "too big"
}
`})
	reg := prometheus.NewPedanticRegistry()
	ev := newEval(t, Options{Builtin: true, Dirs: []string{dir}, Registerer: reg})
	resources := []model.Resource{
		res("aws_ebs_volume", "big", map[string]any{"encrypted": true, "size_label": "2000"}, owned),
		res("aws_ebs_volume", "broken", map[string]any{"encrypted": false, "size_label": "lots"}, owned),
		res("aws_ebs_volume", "small", map[string]any{"encrypted": false, "size_label": "10"}, owned),
	}
	vs, errs := ev.EvaluateResources(context.Background(), resources)

	require.Len(t, errs, 1)
	var ee *EvalError
	require.True(t, errors.As(errs[0], &ee))
	require.Equal(t, "ACME-EBS-002", ee.PolicyID)
	require.Equal(t, filepath.Join(dir, "size.rego"), ee.File)
	require.Equal(t, resources[1].ID, ee.Subject)
	require.Contains(t, errs[0].Error(), "ACME-EBS-002")
	require.Contains(t, errs[0].Error(), resources[1].ID)
	require.Contains(t, errs[0].Error(), "size.rego:12") // OPA's location of the failing call

	got := map[string][]string{}
	for _, v := range vs {
		got[v.Subject] = append(got[v.Subject], v.PolicyID)
	}
	require.Equal(t, map[string][]string{
		resources[0].ID: {"ACME-EBS-002"},
		resources[1].ID: {"DW-AWS-EBS-001"}, // the other policies still ran on the broken resource
		resources[2].ID: {"DW-AWS-EBS-001"},
	}, got)
	require.Equal(t, 1.0, testutil.ToFloat64(ev.metrics.evalErrors.WithLabelValues("ACME-EBS-002")))
	require.Equal(t, 0.0, testutil.ToFloat64(ev.metrics.evalErrors.WithLabelValues("DW-AWS-EBS-001")))
}

func TestMalformedDenyResultIsAnError(t *testing.T) {
	dir := policyDir(t, map[string]string{"p.rego": `# METADATA
# title: t
# custom:
#   id: ACME-1
#   severity: low
#   input: resource
package acme.p

deny contains {"message": "no msg key"} if input.resource.type == "aws_s3_bucket"
`})
	ev := newEval(t, Options{Dirs: []string{dir}})
	vs, errs := ev.EvaluateResources(context.Background(), []model.Resource{res("aws_s3_bucket", "b", nil, nil)})
	require.Empty(t, vs)
	require.Len(t, errs, 1)
	require.ErrorContains(t, errs[0], "has no msg")
}

func TestReloadKeepsLastGoodSet(t *testing.T) {
	ctx := context.Background()
	dir := policyDir(t, map[string]string{"monitoring.rego": userPolicy})
	reg := prometheus.NewPedanticRegistry()
	ev := newEval(t, Options{Builtin: true, Dirs: []string{dir}, Registerer: reg})
	rev := ev.Revision()
	inst := res("aws_instance", "app", map[string]any{"monitoring": false, "tags": map[string]any{"owner": "x"}}, owned)

	// Unchanged sources: success, same revision.
	require.NoError(t, ev.Reload(ctx))
	require.Equal(t, rev, ev.Revision())
	require.Equal(t, 1.0, testutil.ToFloat64(ev.metrics.reloads.WithLabelValues("success")))

	// A broken file is dropped in: the reload fails, the old set keeps running.
	broken := "# METADATA\n# title: t\n# custom:\n#   id: ACME-2\n#   severity: low\n#   input: resource\npackage acme.new\n\ndeny contains msg if {\n\tmsg := \n}\n"
	writeFiles(t, dir, map[string]string{"new.rego": broken})
	err := ev.Reload(ctx)
	require.Error(t, err)
	require.Contains(t, err.Error(), filepath.Join(dir, "new.rego")+":11")
	require.Contains(t, err.Error(), rev)
	require.Equal(t, rev, ev.Revision())
	require.Len(t, ev.Policies(), len(builtinIDs)+1)
	require.Equal(t, 1.0, testutil.ToFloat64(ev.metrics.reloads.WithLabelValues("failure")))
	require.Equal(t, 0.0, testutil.ToFloat64(ev.metrics.reloadOK))
	vs, errs := ev.EvaluateResources(ctx, []model.Resource{inst})
	require.Empty(t, errs)
	require.Len(t, vs, 1)

	// Fixed: the new set is swapped in.
	writeFiles(t, dir, map[string]string{"new.rego": strings.Replace(broken, "msg := \n", "msg := \"new\"\n\tinput.resource.type == \"aws_instance\"\n", 1)})
	require.NoError(t, ev.Reload(ctx))
	require.NotEqual(t, rev, ev.Revision())
	require.Len(t, ev.Policies(), len(builtinIDs)+2)
	require.Equal(t, 2.0, testutil.ToFloat64(ev.metrics.reloads.WithLabelValues("success")))
	require.Equal(t, 1.0, testutil.ToFloat64(ev.metrics.reloadOK))
	require.Equal(t, float64(len(builtinIDs)+2), testutil.ToFloat64(ev.metrics.loaded))
	vs, errs = ev.EvaluateResources(ctx, []model.Resource{inst})
	require.Empty(t, errs)
	require.ElementsMatch(t, []string{"ACME-EC2-001", "ACME-2"}, []string{vs[0].PolicyID, vs[1].PolicyID})

	// A metadata error is rejected the same way.
	writeFiles(t, dir, map[string]string{"new.rego": strings.Replace(broken, "msg := \n", "msg := \"new\"\n", 1)})
	writeFiles(t, dir, map[string]string{"dup.rego": strings.Replace(userPolicy, "acme.monitoring", "acme.other", 1)})
	require.ErrorContains(t, ev.Reload(ctx), "policy id ACME-EC2-001 is already used")
	require.Len(t, ev.Policies(), len(builtinIDs)+2)
}

func TestSeverityOverride(t *testing.T) {
	ctx := context.Background()
	ev := newEval(t, Options{Builtin: true, Severity: map[string]model.Severity{
		"DW-AWS-S3-001": model.SeverityCritical,
		"DW-DRIFT-001":  model.SeverityLow,
	}})
	info := ev.Policies()[slices.IndexFunc(ev.Policies(), func(p PolicyInfo) bool { return p.ID == "DW-AWS-S3-001" })]
	require.Equal(t, model.SeverityCritical, info.Severity)
	require.Equal(t, model.SeverityHigh, info.DefaultSeverity)

	vs, errs := ev.EvaluateResources(ctx, []model.Resource{res("aws_s3_bucket", "b", map[string]any{"acl": "public-read", "tags": map[string]any{}}, owned)})
	require.Empty(t, errs)
	require.Len(t, vs, 1)
	require.Equal(t, model.SeverityCritical, vs[0].Severity)

	// The override also wins over a severity the rule returns.
	sg := res("aws_security_group", "web", nil, owned)
	sg.Stack = "prod"
	ev2 := newEval(t, Options{Builtin: true, Data: map[string]any{"production_stacks": []string{"prod"}}})
	vs, _ = ev2.EvaluateDrifts(ctx, []model.Drift{{Kind: model.DriftChanged, Resource: sg}})
	require.Equal(t, model.SeverityCritical, vs[0].Severity)
	vs, _ = ev.EvaluateDrifts(ctx, []model.Drift{{Kind: model.DriftChanged, Resource: sg}})
	require.Equal(t, model.SeverityLow, vs[0].Severity)

	_, err := New(ctx, Options{Builtin: true, Severity: map[string]model.Severity{"DW-AWS-S3-001": "urgent"}})
	require.ErrorContains(t, err, `"urgent"`)
}

func TestDisabledPolicy(t *testing.T) {
	ev := newEval(t, Options{Builtin: true, Disabled: []string{"DW-TAG-001", "NO-SUCH-ID"}})
	vs, errs := ev.EvaluateResources(context.Background(), []model.Resource{res("aws_s3_bucket", "b", map[string]any{"acl": "public-read", "tags": map[string]any{}}, nil)})
	require.Empty(t, errs)
	got := byPolicy(vs)
	require.Len(t, got["DW-AWS-S3-001"], 1)
	require.Empty(t, got["DW-TAG-001"], "a disabled policy is never evaluated")
	info := ev.Policies()[slices.IndexFunc(ev.Policies(), func(p PolicyInfo) bool { return p.ID == "DW-TAG-001" })]
	require.True(t, info.Disabled)
	require.Equal(t, float64(len(builtinIDs)-1), testutil.ToFloat64(ev.metrics.loaded))
}

func TestConfigDataOverridesDefaults(t *testing.T) {
	ev := newEval(t, Options{Builtin: true, Data: map[string]any{"required_tags": []string{"owner", "team"}}})
	vs, errs := ev.EvaluateResources(context.Background(), []model.Resource{
		res("aws_s3_bucket", "b", map[string]any{"tags": map[string]any{"owner": "x"}}, owned),
	})
	require.Empty(t, errs)
	require.Len(t, vs, 1)
	require.Equal(t, "aws_s3_bucket.b is missing required tag(s): team", vs[0].Message)
}

func TestUserDataFileAndOptionsData(t *testing.T) {
	dir := policyDir(t, map[string]string{
		"data.json": `{"driftwarden": {"config": {"required_tags": ["team"], "production_stacks": ["prod"]}}}`,
	})
	ctx := context.Background()
	bucket := res("aws_s3_bucket", "b", map[string]any{"tags": map[string]any{"owner": "x"}}, owned)

	ev := newEval(t, Options{Builtin: true, Dirs: []string{dir}})
	vs, errs := ev.EvaluateResources(ctx, []model.Resource{bucket})
	require.Empty(t, errs)
	require.Len(t, vs, 1)
	require.Equal(t, "aws_s3_bucket.b is missing required tag(s): team", vs[0].Message)

	// Options.Data (the config file) wins over data files, key by key.
	ev = newEval(t, Options{Builtin: true, Dirs: []string{dir}, Data: map[string]any{"required_tags": []string{"owner"}}})
	vs, errs = ev.EvaluateResources(ctx, []model.Resource{bucket})
	require.Empty(t, errs)
	require.Empty(t, vs)
	sg := res("aws_security_group", "sg", nil, owned)
	sg.Stack = "prod"
	vs, _ = ev.EvaluateDrifts(ctx, []model.Drift{{Kind: model.DriftMissing, Resource: sg}})
	require.Len(t, vs, 1)
	require.Equal(t, model.SeverityCritical, vs[0].Severity, "production_stacks from data.json kept")
}

func TestUnconvertibleAttributeCostsOneResource(t *testing.T) {
	ev := newEval(t, Options{Builtin: true})
	bad := res("aws_ebs_volume", "bad", map[string]any{"encrypted": make(chan int), "tags": map[string]any{}}, nil)
	good := res("aws_ebs_volume", "good", map[string]any{"encrypted": false}, owned)
	vs, errs := ev.EvaluateResources(context.Background(), []model.Resource{bad, good})
	require.Len(t, errs, 1)
	require.ErrorContains(t, errs[0], "DW-AWS-EBS-001")
	require.ErrorContains(t, errs[0], bad.ID)
	require.Len(t, vs, 2)
	require.Equal(t, bad.ID, vs[0].Subject)
	require.Equal(t, "DW-TAG-001", vs[0].PolicyID, "the other policy still ran on the bad resource")
	require.Equal(t, good.ID, vs[1].Subject)
}

func TestSensitiveValuesNeverReachPolicies(t *testing.T) {
	dir := policyDir(t, map[string]string{"leak.rego": `# METADATA
# title: Leaky
# custom:
#   id: ACME-LEAK
#   severity: info
#   input: resource
package acme.leak

deny contains sprintf("password=%v key=%v", [input.resource.attributes.password, input.resource.attributes.disk[0].key]) if {
	input.resource.type == "aws_db_instance"
}
`})
	ev := newEval(t, Options{Dirs: []string{dir}})
	r := res("aws_db_instance", "db", map[string]any{
		"password": "hunter2-planted-secret",
		"disk":     []any{map[string]any{"key": "another-planted-secret"}},
	}, nil)
	r.Sensitive = []string{"password", "disk[0].key", "no.such.path"}
	vs, errs := ev.EvaluateResources(context.Background(), []model.Resource{r})
	require.Empty(t, errs)
	require.Len(t, vs, 1)
	require.Equal(t, "password=(sensitive) key=(sensitive)", vs[0].Message)
	require.Equal(t, "hunter2-planted-secret", r.Attributes["password"], "the caller's attributes are not modified")
}

func TestRawAttributesAreDecoded(t *testing.T) {
	ev := newEval(t, Options{Builtin: true})
	r := res("aws_ebs_volume", "v", nil, owned)
	r.RawAttributes = []byte(`{"encrypted": false, "size": 10}`)
	vs, errs := ev.EvaluateResources(context.Background(), []model.Resource{r})
	require.Empty(t, errs)
	require.Len(t, vs, 1)
	require.Equal(t, "DW-AWS-EBS-001", vs[0].PolicyID)

	r.RawAttributes = []byte(`{"encrypted": `)
	vs, errs = ev.EvaluateResources(context.Background(), []model.Resource{r})
	require.Empty(t, vs)
	require.Len(t, errs, 1)
	require.ErrorContains(t, errs[0], r.ID)
}

func TestEvaluateDrifts(t *testing.T) {
	ev := newEval(t, Options{Builtin: true, Data: map[string]any{"production_stacks": []string{"prod-net"}}})
	sg := res("aws_security_group", "web", map[string]any{"name": "web"}, owned)
	inst := res("aws_instance", "app", nil, owned)
	prodSG := sg
	prodSG.ID += "-prod"
	prodSG.Stack = "prod-net"
	drifts := []model.Drift{
		{Kind: model.DriftChanged, Resource: sg, Diffs: []model.Diff{{Path: "ingress", Applied: []any{}, Live: []any{map[string]any{"from_port": 22.0}}}, {Path: "tags.team", Applied: "a", Live: "b"}}},
		{Kind: model.DriftChanged, Resource: inst, Diffs: []model.Diff{{Path: "instance_type", Applied: "t3.small", Live: "t3.large"}}},
		{Kind: model.DriftMissing, Resource: prodSG},
		{Kind: model.DriftUnmanaged, Resource: sg},
	}
	vs, errs := ev.EvaluateDrifts(context.Background(), drifts)
	require.Empty(t, errs)
	require.Len(t, vs, 2)
	require.Equal(t, "DW-DRIFT-001", vs[0].PolicyID)
	require.Equal(t, model.SubjectDrift, vs[0].SubjectKind)
	require.Equal(t, sg.ID, vs[0].Subject)
	require.Equal(t, model.SeverityHigh, vs[0].Severity)
	require.Equal(t, "aws_security_group.web (aws_security_group) was changed outside Terraform: ingress, tags.team", vs[0].Message)
	require.Equal(t, prodSG.ID, vs[1].Subject)
	require.Equal(t, model.SeverityCritical, vs[1].Severity)
	require.Contains(t, vs[1].Message, "no longer exists")
}

func TestParallelEvaluationKeepsOrder(t *testing.T) {
	resources := synthResources(5000)
	ctx := context.Background()
	one := newEval(t, Options{Builtin: true, Workers: 1})
	many := newEval(t, Options{Builtin: true, Workers: 4})
	v1, e1 := one.EvaluateResources(ctx, resources)
	v4, e4 := many.EvaluateResources(ctx, resources)
	require.Empty(t, e1)
	require.Empty(t, e4)
	require.NotEmpty(t, v1)
	require.Equal(t, v1, v4)
}

func TestCancelledContextStopsEvaluation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ev := newEval(t, Options{Builtin: true})
	_, errs := ev.EvaluateResources(ctx, synthResources(2000))
	require.NotEmpty(t, errs)
	require.ErrorIs(t, errs[len(errs)-1], context.Canceled)
}

func TestRunTestsBuiltin(t *testing.T) {
	var out bytes.Buffer
	sum, err := RunTests(context.Background(), TestOptions{Builtin: true, Out: &out})
	require.NoError(t, err)
	require.True(t, sum.OK(), out.String())
	require.Zero(t, sum.Fail+sum.Error)
	require.GreaterOrEqual(t, sum.Pass, 50)
	require.Contains(t, out.String(), "PASS: ")

	out.Reset()
	_, err = RunTests(context.Background(), TestOptions{Builtin: true, Verbose: true, Out: &out})
	require.NoError(t, err)
	require.Contains(t, out.String(), "builtin/aws/s3_public_bucket_test.rego:\n")
	require.Contains(t, out.String(), "data.driftwarden.aws.s3_public_bucket_test.test_public_read_acl_denied: PASS (")
}

func TestRunTestsUserDir(t *testing.T) {
	dir := policyDir(t, map[string]string{
		"monitoring.rego": userPolicy,
		"monitoring_test.rego": `package acme.monitoring_test

import data.acme.monitoring

test_defaults_visible if {
	data.driftwarden.config.required_tags == ["owner"]
}

test_denied if {
	count(monitoring.deny) == 1 with input as {"resource": {"type": "aws_instance", "address": "a", "attributes": {"monitoring": false}}}
}

test_wrong if {
	count(monitoring.deny) == 2 with input as {"resource": {"type": "aws_instance", "address": "a", "attributes": {"monitoring": false}}}
}

test_errors if {
	to_number("nope") == 1
}

todo_test_later if {
	false
}
`,
	})
	var out bytes.Buffer
	sum, err := RunTests(context.Background(), TestOptions{Dirs: []string{dir}, Out: &out})
	require.NoError(t, err)
	require.Equal(t, TestSummary{Pass: 2, Fail: 1, Error: 1, Skip: 1}, sum, out.String())
	require.False(t, sum.OK())
	require.Contains(t, out.String(), "data.acme.monitoring_test.test_wrong: FAIL (")
	require.Contains(t, out.String(), "data.acme.monitoring_test.test_errors: ERROR (")
	require.Contains(t, out.String(), filepath.Join(dir, "monitoring_test.rego")+":13")
	require.NotContains(t, out.String(), "test_denied")
	require.Contains(t, out.String(), "PASS: 2/5\nFAIL: 1/5\nSKIPPED: 1/5\nERROR: 1/5\n")

	// A test file that does not parse is an error naming the file and line.
	writeFiles(t, dir, map[string]string{"broken_test.rego": "package acme.broken_test\n\ntest_x if {\n"})
	_, err = RunTests(context.Background(), TestOptions{Dirs: []string{dir}, Out: &out})
	require.ErrorContains(t, err, filepath.Join(dir, "broken_test.rego")+":")
}

func TestReloadDuringEvaluation(t *testing.T) {
	ctx := context.Background()
	dir := policyDir(t, map[string]string{"monitoring.rego": userPolicy})
	ev := newEval(t, Options{Builtin: true, Dirs: []string{dir}, Workers: 2})
	resources := synthResources(3000)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 3 {
			writeFiles(t, dir, map[string]string{"monitoring.rego": strings.Replace(userPolicy, "severity: low", []string{"severity: medium", "severity: high", "severity: low"}[i], 1)})
			if err := ev.Reload(ctx); err != nil {
				t.Error(err)
			}
		}
	}()
	for range 3 {
		_, errs := ev.EvaluateResources(ctx, resources)
		require.Empty(t, errs)
	}
	<-done
}
