package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func tfResource(module, typ, name, id, tags string) string {
	mod := ""
	if module != "" {
		mod = fmt.Sprintf(`"module": %q, `, module)
	}
	return fmt.Sprintf(`{%s"mode": "managed", "type": %q, "name": %q, "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
  "instances": [{"schema_version": 0, "attributes": {"id": %q, "arn": "arn:aws:iam::111122223333:x/%s", "tags": {%s}}, "sensitive_attributes": []}]}`,
		mod, typ, name, id, id, tags)
}

func tfState(resources ...string) string {
	return `{"version": 4, "terraform_version": "1.9.5", "serial": 1, "lineage": "l", "outputs": {}, "resources": [` +
		strings.Join(resources, ",") + `]}`
}

func ownersFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"states/core/terraform.tfstate": tfState(
			tfResource("", "aws_vpc", "tagged", "vpc-1", `"team": "web"`),
			tfResource("", "aws_iam_role", "deploy", "role-1", ""),
			tfResource("module.net", "aws_subnet", "a", "subnet-1", ""),
			tfResource("", "aws_s3_bucket", "logs", "bucket-1", ""),
		),
		"states/payments-eu/terraform.tfstate": tfState(tfResource("", "aws_s3_bucket", "ledger", "bucket-2", "")),
		"repo/CODEOWNERS":                      "# owners\n/modules/net/ @acme/network\n",
		"repo/.terraform/modules/modules.json": `{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"net","Source":"./modules/net","Dir":"modules/net"}]}`,
		"driftwarden.yaml": `
states:
  - {name: tf, type: file, paths: ["states/**/*.tfstate"]}
stacks:
  - {name: "payments-*", owner: payments}
alerts:
  default_team: platform
  rules:
    - match: {type: "aws_iam_*"}
      team: security
  codeowners: {file: repo/CODEOWNERS, modules_json: repo/.terraform/modules/modules.json}
`,
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return filepath.Join(dir, "driftwarden.yaml")
}

func TestOwnersExplainEachRuleKind(t *testing.T) {
	cfg := ownersFixture(t)
	tests := []struct {
		resource string
		want     []string
	}{
		{"aws_vpc.tagged", []string{"team: web", `decided by: tag: tag "team"`, `=> 1. tag`}},
		{"payments-eu:aws_s3_bucket.ledger", []string{"team: payments", `decided by: stack: stacks pattern "payments-*"`, "tag \"owner\": no match"}},
		{"aws_iam_role.deploy", []string{"team: security", "decided by: rule: rules[0] {type=aws_iam_*}", `owner of state source "tf"`}},
		{"core:module.net.aws_subnet.a", []string{"team: network", `decided by: codeowners:`, `line 2 "/modules/net/" matches module directory modules/net`}},
		{"aws_s3_bucket.logs", []string{"team: platform", "decided by: default: default team", "no pattern matches"}},
		{"arn:aws:iam::111122223333:x/role-1", []string{"team: security"}},
	}
	for _, tt := range tests {
		t.Run(tt.resource, func(t *testing.T) {
			code, out, errOut := runCLI(t, "owners", "explain", tt.resource, "--config", cfg)
			require.Zero(t, code, errOut)
			for _, w := range tt.want {
				require.Contains(t, out, w)
			}
		})
	}
	code, _, errOut := runCLI(t, "owners", "explain", "aws_vpc.nope", "--config", cfg)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `resource "aws_vpc.nope" not found`)
}

func TestAlertsListAndConfigValidateWarnings(t *testing.T) {
	cfg := copyDemo(t)
	code, _, errOut := runCLI(t, "scan", "--config", cfg)
	require.Zero(t, code, errOut)
	payloads, err := os.ReadFile(filepath.Join(filepath.Dir(cfg), "driftwarden-demo-alerts.jsonl"))
	require.NoError(t, err)
	require.Equal(t, 3, strings.Count(string(payloads), "\n"), "one message per team with findings")
	requireNoSecrets(t, string(payloads))

	code, out, errOut := runCLI(t, "alerts", "list", "--state", "sent", "--config", cfg)
	require.Zero(t, code, errOut)
	require.Contains(t, out, "#platform-alerts")
	require.Equal(t, 4, strings.Count(out, "\n"), "a header and three sent messages:\n%s", out)
	code, out, _ = runCLI(t, "alerts", "list", "--state", "dead", "--config", cfg)
	require.Zero(t, code)
	require.Contains(t, out, "No alerts.")
	code, _, errOut = runCLI(t, "alerts", "list", "--state", "lost", "--config", cfg)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `unknown state "lost"`)

	// A second scan sends nothing new.
	code, _, errOut = runCLI(t, "scan", "--config", cfg)
	require.Zero(t, code, errOut)
	again, err := os.ReadFile(filepath.Join(filepath.Dir(cfg), "driftwarden-demo-alerts.jsonl"))
	require.NoError(t, err)
	require.Equal(t, string(payloads), string(again))

	far := copyDemo(t, "waivers:\n", "waivers:\n  - {policy: DW-X, reason: r, approver: a, expires: 2099-01-01}\n")
	code, out, errOut = runCLI(t, "config", "validate", far)
	require.Zero(t, code, errOut)
	require.Contains(t, out, "ok")
	require.Contains(t, errOut, "more than a year from now")
}
