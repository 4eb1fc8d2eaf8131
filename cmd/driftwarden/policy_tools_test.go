package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/internal/testcorpus"
)

// The catalogue in docs/ is generated from the built-in library: a policy
// added or changed without `make docs` fails here.
func TestPolicyCatalogueIsUpToDate(t *testing.T) {
	code, stdout, stderr := runCLI(t, "policy", "list", "--output", "markdown")
	require.Zero(t, code, stderr)
	want, err := os.ReadFile("../../docs/policies.md")
	require.NoError(t, err)
	require.Equal(t, string(want), stdout, "docs/policies.md is out of date: run make docs")

	code, js, _ := runCLI(t, "policy", "list", "--output", "json")
	require.Zero(t, code)
	var infos []struct {
		ID       string   `json:"id"`
		Controls []string `json:"controls"`
	}
	require.NoError(t, json.Unmarshal([]byte(js), &infos))
	require.NotEmpty(t, infos)
	for _, p := range infos {
		require.Contains(t, stdout, "\n## "+p.ID+"\n", "every policy has a section")
		for _, c := range p.Controls {
			require.Contains(t, stdout, "`"+c+"`", "every control is listed")
		}
	}
}

func TestPolicyListTable(t *testing.T) {
	code, stdout, _ := runCLI(t, "policy", "list")
	require.Zero(t, code)
	require.Regexp(t, `(?m)^DW-AWS-S3-001\s+high\s+resource\s+S3 bucket open to the public\s+.*SOC2:CC6\.1.*aws_s3_bucket`, stdout)
	code, _, stderr := runCLI(t, "policy", "list", "--output", "yaml")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, `--output "yaml" is not one of table, json, markdown`)
}

const lintGood = `# METADATA
# title: Bucket named
# description: A bucket without a name.
# custom:
#   id: ACME-S3-001
#   severity: low
#   controls: ["SOC2:CC6.1", "CIS-AWS-2.0:2.1.1"]
#   remediation: Name it.
#   input: resource
package acme.bucket_named

deny contains "unnamed" if {
	input.resource.type == "aws_s3_bucket"
	not input.resource.attributes.bucket
}
`

const lintGoodTest = `package acme.bucket_named_test

import data.acme.bucket_named

test_unnamed if {
	count(bucket_named.deny) == 1 with input as {"resource": {"type": "aws_s3_bucket", "attributes": {}}}
}
`

func TestPolicyLint(t *testing.T) {
	good := t.TempDir()
	writeTree(t, good, map[string]string{"named.rego": lintGood, "named_test.rego": lintGoodTest})
	code, stdout, stderr := runCLI(t, "policy", "lint", "--no-builtin", good)
	require.Zero(t, code, stdout+stderr)
	require.Contains(t, stdout, "no problem found")

	bad := t.TempDir()
	incomplete := strings.NewReplacer("# description: A bucket without a name.\n", "",
		"#   remediation: Name it.\n", "",
		`"SOC2:CC6.1", "CIS-AWS-2.0:2.1.1"`, `"ACME:OPS-1", "SOC2:CC6.1"`,
		"acme.bucket_named", "acme.untested", "ACME-S3-001", "ACME-S3-002").Replace(lintGood)
	writeTree(t, bad, map[string]string{
		"untested.rego": incomplete,
		"dup.rego":      strings.ReplaceAll(lintGood, "acme.bucket_named", "acme.dup"),
		"named.rego":    lintGood, "named_test.rego": lintGoodTest,
		"syntax.rego": "package acme.syntax\n\ndeny contains x if {\n",
	})
	code, stdout, stderr = runCLI(t, "policy", "lint", "--no-builtin", bad)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "policy lint:")
	for _, want := range []string{
		filepath.Join(bad, "syntax.rego") + ":4: unexpected eof token",
		filepath.Join(bad, "untested.rego") + ":1: policy ACME-S3-002: METADATA has no description",
		"policy ACME-S3-002: METADATA has no custom.remediation",
		`control "ACME:OPS-1" is not FRAMEWORK:CONTROL with a known framework`,
		"has no test: add a test_ rule in a _test.rego file (package acme.untested_test)",
	} {
		require.Contains(t, stdout, want)
	}
	require.Contains(t, stdout, filepath.Join(bad, "dup.rego")+": package acme.dup: policy id ACME-S3-001 is already used by package acme.bucket_named")
	// A company framework can be allowed.
	_, stdout, _ = runCLI(t, "policy", "lint", "--no-builtin", "--framework", "ACME", bad)
	require.NotContains(t, stdout, `"ACME:OPS-1"`)
}

func TestPolicyLintBuiltinLibrary(t *testing.T) {
	code, stdout, stderr := runCLI(t, "policy", "lint")
	require.Zero(t, code, stdout+stderr)
}

func TestPolicyTestCoverage(t *testing.T) {
	dir := t.TempDir()
	// The second rule is never exercised by the test.
	policy := strings.Replace(lintGood, "deny contains \"unnamed\" if {", "deny contains \"empty\" if {\n\tinput.resource.type == \"aws_s3_bucket\"\n\tinput.resource.attributes.bucket == \"\"\n}\n\ndeny contains \"unnamed\" if {", 1)
	writeTree(t, dir, map[string]string{"named.rego": policy, "named_test.rego": lintGoodTest})
	code, stdout, stderr := runCLI(t, "policy", "test", "--no-builtin", "--coverage", dir)
	require.Zero(t, code, stderr)
	require.Regexp(t, `(?m)^`+regexpQuote(filepath.Join(dir, "named.rego"))+`\s+50\.0%\s+12,13,14$`, stdout)
	require.NotContains(t, stdout, "named_test.rego", "tests are not part of the coverage")
	require.Contains(t, stdout, "COVERAGE: 50.0% (3 of 6 lines)\n")
	require.NotContains(t, stdout, "builtin/lib", "without the built-in tests the lib is not counted")

	code, _, stderr = runCLI(t, "policy", "test", "--no-builtin", "--min-coverage", "100", dir)
	require.Equal(t, 1, code)
	require.Regexp(t, `coverage \d+\.\d% is below the required 100\.0%`, stderr)

	code, _, stderr = runCLI(t, "policy", "test", "--min-coverage", "80")
	require.Zero(t, code, "the built-in library is covered: %s", stderr)
}

func regexpQuote(s string) string {
	return strings.NewReplacer(`\`, `\\`, ".", `\.`, "+", `\+`, "(", `\(`, ")", `\)`).Replace(s)
}

func TestPolicyEvalDetectsInputs(t *testing.T) {
	dir := t.TempDir()
	const secret = "PLANTED-PLAN-SECRET-42"
	plan := `{"format_version": "1.2", "planned_values": {}, "resource_changes": [
	 {"address": "aws_db_instance.main", "mode": "managed", "type": "aws_db_instance", "name": "main",
	  "change": {"actions": ["delete"], "before": {"password": "` + secret + `"}, "after": null,
	             "before_sensitive": {"password": true}, "after_sensitive": false}}]}`
	root := `{"eventVersion": "1.08", "eventID": "e-1", "eventTime": "2026-11-25T09:00:00Z",
	  "eventSource": "iam.amazonaws.com", "eventName": "CreateUser", "awsRegion": "us-east-1",
	  "sourceIPAddress": "203.0.113.9", "recipientAccountId": "111122223333",
	  "userIdentity": {"type": "Root", "arn": "arn:aws:iam::111122223333:root", "principalId": "111122223333"},
	  "requestParameters": {"userName": "bob"}}`
	bucket := `{"type":"aws_s3_bucket","id":"open-bucket","arn":"arn:aws:s3:::open-bucket","tags":{"owner":"x"},"attributes":{"bucket":"open-bucket","acl":"public-read"}}` + "\n"
	writeTree(t, dir, map[string]string{"prod-core.json": plan, "root.json": root, "bucket.jsonl": bucket})

	cases := []struct {
		file, want string
	}{
		{"prod-core.json", "DW-PLAN-003 [Plan deletes a protected resource type] prod-core"},
		{"root.json", "HIGH DW-EVT-002 [Root account used] e-1"},
		{"bucket.jsonl", "HIGH DW-AWS-S3-001 [S3 bucket open to the public] arn:aws:s3:::open-bucket"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "policy", "eval", "--input", filepath.Join(dir, c.file))
			require.Equal(t, 1, code, "a violation exits 1: %s", stderr)
			require.Contains(t, stdout, c.want)
			require.Contains(t, stdout, "  controls:    ")
			require.Contains(t, stdout, "  remediation: ")
			require.NotContains(t, stdout+stderr, secret)
		})
	}

	code, stdout, stderr := runCLI(t, "policy", "eval", "--explain", "--input", filepath.Join(dir, "prod-core.json"))
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stdout, "# policy DW-PLAN-003 (builtin/plan/protected_deletion.rego, package driftwarden.plan.protected_deletion)")
	require.Contains(t, stdout, "Enter data.driftwarden.plan.protected_deletion.deny")
	require.NotContains(t, stdout, secret, "the trace shows the redacted input")

	code, stdout, _ = runCLI(t, "policy", "eval", "--output", "json", "--kind", "event", "--input", filepath.Join(dir, "root.json"))
	require.Equal(t, 1, code)
	var vs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &vs))
	require.Equal(t, "event", vs[0]["subject_kind"])
}

func TestPolicyEvalBadInput(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"plan.json":   "{\"format_version\": \"1.2\", \"resource_changes\": [\n  {\"address\": 3}\n]}",
		"empty.jsonl": "# nothing\n",
	})
	code, _, stderr := runCLI(t, "policy", "eval", "--input", filepath.Join(dir, "plan.json"))
	require.Equal(t, 1, code)
	require.Contains(t, stderr, filepath.Join(dir, "plan.json"))
	code, _, stderr = runCLI(t, "policy", "eval", "--input", filepath.Join(dir, "empty.jsonl"))
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "no resource found")
	code, _, stderr = runCLI(t, "policy", "eval", "--input", filepath.Join(dir, "missing.json"))
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "missing.json")
	code, _, stderr = runCLI(t, "policy", "eval", "--kind", "sql", "--input", filepath.Join(dir, "plan.json"))
	require.Equal(t, 1, code)
	require.Contains(t, stderr, `--kind "sql"`)
}

func TestPolicyEvalCorpusPlanUTF16(t *testing.T) {
	path := testcorpus.Path(t, "checkov", "tests", "terraform", "parser", "resources", "plan_encodings", "tfplan_win_utf16.json")
	code, stdout, stderr := runCLI(t, "policy", "eval", "--input", path)
	require.Contains(t, []int{0, 1}, code, stderr)
	require.NotContains(t, stderr, "error")
	require.True(t, strings.Contains(stdout, "violations") || strings.Contains(stdout, "no violation"))
}

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	}
}

// A policy that reads the inventory without declaring inventory_types
// would silently see none: lint says so.
func TestPolicyLintUndeclaredInventory(t *testing.T) {
	const pol = `# METADATA
# title: Bucket outside a blocked account
# description: A bucket in an account without an account-level block.
# custom:
#   id: ACME-INV-001
#   severity: low
#   controls: ["SOC2:CC6.1"]
#   remediation: Add the block.
#   input: resource
#   resource_types: [aws_s3_bucket]
DECLARE
package acme.inventory_reader

import data.driftwarden.lib

deny contains "no account block" if {
	input.resource.type == "aws_s3_bucket"
	count(lib.inventory("aws_s3_account_public_access_block")) == 0
}
`
	const test = `package acme.inventory_reader_test

import data.acme.inventory_reader

test_reported if {
	count(inventory_reader.deny) == 1 with input as {"resource": {"type": "aws_s3_bucket", "attributes": {}}}
}
`
	for declared, wantCode := range map[bool]int{false: 1, true: 0} {
		dir := t.TempDir()
		decl := "#"
		if declared {
			decl = "#   inventory_types: [aws_s3_account_public_access_block]"
		}
		writeTree(t, dir, map[string]string{"reader.rego": strings.Replace(pol, "DECLARE", decl, 1), "reader_test.rego": test})
		code, stdout, stderr := runCLI(t, "policy", "lint", dir)
		require.Equal(t, wantCode, code, stdout+stderr)
		if !declared {
			require.Contains(t, stdout, "policy ACME-INV-001: reads the inventory")
		}
	}
}
