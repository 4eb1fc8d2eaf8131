package tfplan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/internal/testcorpus"
)

// TestRefreshOnlyPlan reads a complete refresh-only plan as Terraform 1.9
// writes it: drift comes from resource_drift only, sensitive paths follow
// before_sensitive/after_sensitive, and every other key (resource_changes,
// prior_state, output_changes, relevant_attributes, checks, identities) is
// ignored, whatever the format version of the 1.x line.
func TestRefreshOnlyPlan(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "refresh-only.tfplan.json"))
	require.NoError(t, err)
	for _, version := range []string{"1.0", "1.1", "1.2", "1.3"} {
		t.Run(version, func(t *testing.T) {
			doc := strings.Replace(string(src), `"format_version": "1.2"`, `"format_version": "`+version+`"`, 1)
			dir := t.TempDir()
			writeFile(t, dir, "prod.refresh.tfplan.json", []byte(doc))
			inv, errs := inventory(t, Config{Paths: []string{"*.json"}, BaseDir: dir})
			require.Empty(t, errs)
			require.Empty(t, inv.Coverage.Types)

			byAddr := map[string]collectors.LiveResource{}
			for _, r := range inv.Resources {
				require.Equal(t, "prod", r.Stack)
				byAddr[r.Address] = r
			}
			// The moved-only no-op entry and the deposed object are not drift.
			require.Len(t, byAddr, 2)

			db := byAddr[`module.db["eu.west"].aws_db_instance.main`]
			require.Equal(t, "aws_db_instance", db.Type)
			require.Equal(t, "arn:aws:rds:eu-west-1:111122223333:db:main", db.ID)
			require.Equal(t, "111122223333", db.Account)
			require.Equal(t, "eu-west-1", db.Region)
			require.False(t, db.Gone)
			require.False(t, db.Partial)
			require.Equal(t, "15.7", db.Attributes["engine_version"], "live values come from change.after")
			require.Equal(t, "15.4", db.Before["engine_version"], "applied values from change.before")
			require.Equal(t, map[string]string{"team": "ops", "env": "prod"}, db.Tags)
			require.Equal(t, []string{"parameter[0].value", "password"}, db.Sensitive)
			require.Equal(t, []string{"password"}, db.BeforeSensitive)

			gone := byAddr["aws_s3_bucket.legacy[0]"]
			require.True(t, gone.Gone)
			require.Nil(t, gone.Attributes)
			require.Equal(t, "arn:aws:s3:::legacy-logs", gone.ID)
			require.Empty(t, gone.BeforeSensitive)
		})
	}
}

// normalPlan is a plan (not refresh-only) with every kind of planned
// action; only its resource_drift entry is drift.
const normalPlan = `{
  "format_version": "1.2",
  "terraform_version": "1.10.0",
  "planned_values": {"root_module": {}},
  "resource_drift": [
    {"address": "aws_iam_role.ci", "mode": "managed", "type": "aws_iam_role", "name": "ci", "provider_name": "registry.terraform.io/hashicorp/aws",
     "change": {"actions": ["update"], "before": {"id": "ci", "arn": "arn:aws:iam::111122223333:role/ci", "max_session_duration": 3600},
       "after": {"id": "ci", "arn": "arn:aws:iam::111122223333:role/ci", "max_session_duration": 43200}, "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}}}
  ],
  "resource_changes": [
    {"address": "aws_vpc.a", "mode": "managed", "type": "aws_vpc", "name": "a", "provider_name": "registry.terraform.io/hashicorp/aws",
     "change": {"actions": ["no-op"], "before": {"id": "vpc-1"}, "after": {"id": "vpc-1"}, "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}}},
    {"address": "aws_iam_role.ci", "mode": "managed", "type": "aws_iam_role", "name": "ci", "provider_name": "registry.terraform.io/hashicorp/aws",
     "change": {"actions": ["update"], "before": {"id": "ci", "max_session_duration": 43200}, "after": {"id": "ci", "max_session_duration": 3600}, "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}}},
    {"address": "aws_instance.web", "mode": "managed", "type": "aws_instance", "name": "web", "provider_name": "registry.terraform.io/hashicorp/aws", "action_reason": "replace_because_tainted",
     "change": {"actions": ["delete", "create"], "before": {"id": "i-1"}, "after": {"ami": "ami-2"}, "after_unknown": {"id": true}, "before_sensitive": {}, "after_sensitive": {}}},
    {"address": "aws_lb.x", "mode": "managed", "type": "aws_lb", "name": "x", "provider_name": "registry.terraform.io/hashicorp/aws", "action_reason": "replace_because_cannot_update",
     "change": {"actions": ["create", "delete"], "before": {"id": "lb-1"}, "after": {"name": "x"}, "after_unknown": {"id": true, "arn": true}, "before_sensitive": {}, "after_sensitive": {}, "replace_paths": [["name"]]}},
    {"address": "data.aws_iam_policy_document.p", "mode": "data", "type": "aws_iam_policy_document", "name": "p", "provider_name": "registry.terraform.io/hashicorp/aws", "action_reason": "read_because_config_unknown",
     "change": {"actions": ["read"], "before": null, "after": {}, "after_unknown": {"json": true}, "before_sensitive": false, "after_sensitive": {}}},
    {"address": "aws_s3_bucket.old", "mode": "managed", "type": "aws_s3_bucket", "name": "old", "provider_name": "registry.terraform.io/hashicorp/aws",
     "change": {"actions": ["forget"], "before": {"id": "old"}, "after": null, "after_unknown": {}, "before_sensitive": {}, "after_sensitive": false}},
    {"address": "aws_s3_bucket.imported", "mode": "managed", "type": "aws_s3_bucket", "name": "imported", "provider_name": "registry.terraform.io/hashicorp/aws",
     "change": {"actions": ["no-op"], "before": {"id": "imp"}, "after": {"id": "imp"}, "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}, "importing": {"id": "imp"}}},
    {"address": "aws_sqs_queue.q", "mode": "managed", "type": "aws_sqs_queue", "name": "q", "provider_name": "registry.terraform.io/hashicorp/aws",
     "change": {"actions": ["delete"], "before": {"id": "https://sqs/q"}, "after": null, "after_unknown": {}, "before_sensitive": {}, "after_sensitive": false}, "action_reason": "delete_because_no_resource_config"}
  ],
  "deferred_changes": [],
  "relevant_attributes": [{"resource": "aws_iam_role.ci", "attribute": ["max_session_duration"]}],
  "applyable": true,
  "complete": true,
  "errored": false
}`

func TestNormalPlanDriftOnlyFromResourceDrift(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "iam.json", []byte(normalPlan))
	inv, errs := inventory(t, Config{Paths: []string{"iam.json"}, BaseDir: dir})
	require.Empty(t, errs)
	require.Len(t, inv.Resources, 1, "planned actions are not drift")
	r := inv.Resources[0]
	require.Equal(t, "aws_iam_role.ci", r.Address)
	require.Equal(t, float64(43200), r.Attributes["max_session_duration"])
	require.Equal(t, "arn:aws:iam::111122223333:role/ci", r.ID)
}

func TestErroredPlanKeepsItsDrift(t *testing.T) {
	dir := t.TempDir()
	doc := strings.Replace(normalPlan, `"errored": false`, `"errored": true`, 1)
	doc = strings.Replace(doc, `"applyable": true`, `"applyable": false`, 1)
	p := writeFile(t, dir, "iam.json", []byte(doc))
	inv, errs := inventory(t, Config{Paths: []string{"iam.json"}, BaseDir: dir})
	require.Len(t, inv.Resources, 1, "what was refreshed is still reported")
	require.Len(t, errs, 1)
	ie := inputErr(t, errs[0])
	require.Equal(t, p, ie.Location)
	require.Equal(t, "errored", ie.Place)
	require.ErrorContains(t, errs[0], "may be incomplete")
}

func TestNotAPlanJSON(t *testing.T) {
	tests := []struct {
		name, content, place, msg string
	}{
		{"binary plan file", "PK\x03\x04\x14\x00\x08\x00\x08\x00tfplan\x00\x00garbage", "offset 0", "binary plan file"},
		{"state rendered by terraform show -json",
			`{"format_version":"1.0","terraform_version":"1.9.5","values":{"outputs":{"pw":{"sensitive":true,"value":"state-secret","type":"string"}},"root_module":{"resources":[{"address":"aws_vpc.a","mode":"managed","type":"aws_vpc","name":"a","values":{"id":"vpc-1"},"sensitive_values":{}}]}}}`,
			"values", "JSON of a state"},
		{"empty state rendered by terraform show -json", `{"format_version":"1.0","terraform_version":"1.9.5","values":{}}`, "values", "JSON of a state"},
		{"raw state file", `{"version":4,"terraform_version":"1.9.5","serial":3,"lineage":"l","outputs":{"pw":{"value":"state-secret","type":"string","sensitive":true}},"resources":[],"check_results":null}`,
			"format_version", "this is a Terraform state file"},
		{"OpenTofu encrypted state", `{"meta":{"key_provider.pbkdf2.k":"e30="},"encrypted_data":"c3RhdGUtc2VjcmV0","encryption_version":"v0"}`, "format_version", "no format_version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := writeFile(t, dir, "x.json", []byte(tt.content))
			ok := writeFile(t, dir, "ok.json", []byte(normalPlan))
			inv, errs := inventory(t, Config{Paths: []string{p, ok}})
			require.Len(t, inv.Resources, 1, "the other file still loads")
			require.Len(t, errs, 1)
			ie := inputErr(t, errs[0])
			require.Equal(t, p, ie.Location)
			require.Equal(t, tt.place, ie.Place)
			require.ErrorContains(t, errs[0], tt.msg)
			require.NotContains(t, errs[0].Error(), "secret")
		})
	}
}

// TestCorpusStateJSONRejected: terraform-json's state.json files are the
// `terraform show -json` rendering of a state; read as plans they would
// report no drift at all.
func TestCorpusStateJSONRejected(t *testing.T) {
	dir := testcorpus.Path(t, "terraform-json", "testdata")
	files, err := filepath.Glob(filepath.Join(dir, "*", "state.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f)), func(t *testing.T) {
			_, errs := inventory(t, Config{Paths: []string{f}, Stack: "s"})
			require.Len(t, errs, 1)
			ie := inputErr(t, errs[0])
			require.Equal(t, f, ie.Location)
			if strings.Contains(f, "invalid") {
				require.Regexp(t, `^line \d+, column \d+$`, ie.Place)
				require.NotContains(t, errs[0].Error(), "PASSWORD123")
				return
			}
			require.Equal(t, "values", ie.Place)
		})
	}
}
