package config

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseAlerts(t *testing.T) {
	dir := t.TempDir()
	next := time.Now().AddDate(0, 6, 0).Format("2006-01-02")
	far := time.Now().AddDate(2, 0, 0).Format("2006-01-02")
	src := `
stacks:
  - {name: "payments-*", owner: payments}
alerts:
  notifier: slack
  slack:
    token_env: SLACK_BOT_TOKEN
    signing_secret_file: secrets/signing
    default_channel: "#alerts"
  teams:
    platform: {channel: "#platform", min_severity: high, mention: "<!subteam^S1>"}
  owner_tags: [team, owner]
  default_team: platform
  rules:
    - match: {module: "net.*", type: "aws_*"}
      team: network
  codeowners: {file: repo/CODEOWNERS, modules_json: repo/.terraform/modules/modules.json}
  runbook_url: "https://runbooks/{{.PolicyID}}?f={{.Fingerprint}}"
  rate_per_channel: 0.5
waivers:
  - policy: DW-AWS-S3-001
    resource: "arn:aws:s3:::legacy-*"
    reason: legacy bucket, migration ticket OPS-12
    approver: ciso@example.com
    expires: ` + next + `
  - stack: sandbox
    reason: sandbox is not production
    approver: cto@example.com
    expires: ` + far + `
`
	cfg, err := Parse([]byte(src), "dw.yaml", dir)
	require.NoError(t, err)
	require.Equal(t, "slack", cfg.Alerts.Notifier)
	require.Equal(t, filepath.Join(dir, "secrets/signing"), cfg.Alerts.Slack.SigningSecretFile)
	require.Equal(t, filepath.Join(dir, "repo/CODEOWNERS"), cfg.Alerts.Codeowners.File)
	require.Equal(t, 0.5, cfg.Alerts.RatePerChannel)
	require.Equal(t, 10, cfg.Alerts.MaxItems)
	require.Len(t, cfg.Waivers, 2)
	require.Equal(t, "dw.yaml:21", cfg.Waivers[0].Origin)
	require.Len(t, cfg.Warnings, 1, "an expiry more than a year out is a warning")
	require.Contains(t, cfg.Warnings[0], "dw.yaml:29: waivers[1].expires")
}

func TestAlertsConfigErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"inline token is refused", "alerts:\n  notifier: slack\n  slack:\n    token: xoxb-123\n", `dw.yaml:4: alerts.slack.token: unknown key "token": secrets are never written`},
		{"inline webhook is refused", "alerts:\n  slack:\n    webhook_url: https://hooks.slack.com/x\n", `unknown key "webhook_url": secrets are never written`},
		{"unknown notifier", "alerts:\n  notifier: email\n", `dw.yaml:2: alerts.notifier: unknown notifier "email"`},
		{"slack without credentials", "alerts:\n  notifier: slack\n", "needs token_env/token_file"},
		{"file without path", "alerts:\n  notifier: file\n", "dw.yaml:1: alerts.file.path: the file notifier needs a path"},
		{"bad severity", "alerts:\n  teams:\n    web: {channel: '#w', min_severity: urgent}\n", `dw.yaml:3: alerts.teams.web.min_severity: unknown severity "urgent"`},
		{"rule without team", "alerts:\n  rules:\n    - match: {type: aws_s3_bucket}\n", "alerts.rules[0].team: a rule needs a team"},
		{"rule without match", "alerts:\n  rules:\n    - team: x\n", "alerts.rules[0].match"},
		{"bad runbook template", "alerts:\n  runbook_url: 'https://x/{{.PolicyID'\n", "dw.yaml:2: alerts.runbook_url: invalid template"},
		{"waiver without reason", "waivers:\n  - policy: P\n    approver: a\n    expires: 2027-01-01\n", "dw.yaml:2: waivers[0].reason: a waiver needs a reason"},
		{"waiver without approver", "waivers:\n  - policy: P\n    reason: r\n    expires: 2027-01-01\n", "waivers[0].approver: a waiver needs an approver"},
		{"waiver without expiry", "waivers:\n  - policy: P\n    reason: r\n    approver: a\n", "waivers[0].expires: a waiver needs an expiry date"},
		{"waiver without selector", "waivers:\n  - reason: r\n    approver: a\n    expires: 2027-01-01\n", "waivers[0]: a waiver needs a selector"},
		{"waiver bad date", "waivers:\n  - policy: P\n    reason: r\n    approver: a\n    expires: next year\n", `dw.yaml:5: waivers[0].expires: invalid date "next year"`},
		{"waiver unknown key", "waivers:\n  - policy: P\n    reasn: r\n", `dw.yaml:3: waivers[0].reasn: unknown key "reasn"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.src), "dw.yaml", t.TempDir())
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
			require.NotContains(t, err.Error(), "xoxb-123")
		})
	}
}

func TestWaiversFile(t *testing.T) {
	dir := t.TempDir()
	good := "waivers:\n  - policy: DW-1\n    reason: accepted risk\n    approver: ciso\n    expires: " + time.Now().AddDate(0, 1, 0).Format("2006-01-02") + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "waivers.yaml"), []byte(good), 0o600))
	cfg, err := Parse([]byte("waivers_file: waivers.yaml\n"), "dw.yaml", dir)
	require.NoError(t, err)
	require.Len(t, cfg.Waivers, 1)
	require.Equal(t, "waivers.yaml:2", cfg.Waivers[0].Origin)

	bad := "waivers:\n  - policy: DW-1\n    reason: accepted risk\n    expires: 2027-01-01\n  - policy: DW-2\n    approver: x\n    reason: y\n    expires: 2027-01-01\n    colour: red\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o600))
	_, err = Parse([]byte("waivers_file: bad.yaml\n"), "dw.yaml", dir)
	require.ErrorContains(t, err, `bad.yaml:9: waivers[1].colour: unknown key "colour"`)

	missing := "waivers:\n  - policy: DW-1\n    reason: accepted risk\n    expires: 2027-01-01\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "missing.yaml"), []byte(missing), 0o600))
	_, err = Parse([]byte("waivers_file: missing.yaml\n"), "dw.yaml", dir)
	require.ErrorContains(t, err, "missing.yaml:2: waivers[0].approver: a waiver needs an approver")

	_, err = Parse([]byte("waivers_file: nowhere.yaml\n"), "dw.yaml", dir)
	require.ErrorContains(t, err, "nowhere.yaml")
}
