package app

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/alerts"
	"github.com/driftwarden/driftwarden/config"
	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

func readPayloads(t *testing.T, path string) []alerts.Payload {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	defer f.Close()
	var out []alerts.Payload
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var p alerts.Payload
		require.NoError(t, json.Unmarshal(sc.Bytes(), &p), "every line is a payload")
		out = append(out, p)
	}
	return out
}

// The demo with the file notifier: one grouped message per team, and a
// second cycle sends nothing new.
func TestDemoFileNotifierOneMessagePerTeamThenNothing(t *testing.T) {
	cfg := demoConfig(t)
	require.Equal(t, "file", cfg.Alerts.Notifier, "the demo turns the file notifier on")
	out := filepath.Join(t.TempDir(), "alerts.jsonl")
	cfg.Alerts.File.Path = out
	a := newTestApp(t, cfg)
	ctx := context.Background()

	_, err := a.Cycle(ctx)
	require.NoError(t, err)
	res, err := a.DeliverAlerts(ctx, 10*time.Second)
	require.NoError(t, err)
	first := readPayloads(t, out)
	require.Len(t, first, res.Sent)
	teams := map[string]int{}
	for _, p := range first {
		teams[p.Channel]++
		require.NotEmpty(t, p.Text)
		require.LessOrEqual(t, len(p.Blocks.BlockSet), alerts.MaxBlocks)
		raw, _ := json.Marshal(p)
		for _, s := range demoSecrets {
			require.NotContains(t, string(raw), s, "a planted secret reached an alert")
		}
	}
	for ch, n := range teams {
		require.Equal(t, 1, n, "one grouped message for %s", ch)
	}
	require.Contains(t, teams, "#platform-alerts")
	require.Contains(t, teams, "#payments-alerts")

	_, err = a.Cycle(ctx)
	require.NoError(t, err)
	res, err = a.DeliverAlerts(ctx, 10*time.Second)
	require.NoError(t, err)
	require.Zero(t, res.Sent)
	require.Len(t, readPayloads(t, out), len(first), "a second cycle sends nothing")

	// A restarted daemon on the same store sends nothing either.
	b := newTestApp(t, cfg)
	_, err = b.Cycle(ctx)
	require.NoError(t, err)
	res, err = b.DeliverAlerts(ctx, 10*time.Second)
	require.NoError(t, err)
	require.Zero(t, res.Sent)
}

const plantedState = `{"version": 4, "terraform_version": "1.9.5", "serial": 1, "lineage": "l-1", "outputs": {}, "resources": [
 {"mode": "managed", "type": "aws_instance", "name": "app", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
  "instances": [{"schema_version": 1, "attributes": {"id": "i-0123456789abcdef0",
   "arn": "arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0", "instance_type": "t3.micro",
   "launch_note": "APPLIED-planted-9f8e7d", "tags": {"team": "web"}},
   "sensitive_attributes": [[{"type": "get_attr", "value": "launch_note"}]], "private": "bnVsbA=="}]}]}`

const plantedLive = `{"coverage":{"types":["aws_instance"],"accounts":["111122223333"],"regions":["eu-west-1"]}}
{"type":"aws_instance","id":"i-0123456789abcdef0","arn":"arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0","provider":"aws","account":"111122223333","region":"eu-west-1","tags":{"team":"web"},"attributes":{"id":"i-0123456789abcdef0","arn":"arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789abcdef0","instance_type":"t3.large","launch_note":"LIVE-planted-1a2b3c","tags":{"team":"web"}}}
`

// A secret in an innocent-looking attribute that the state marks sensitive
// never reaches a payload, while the rest of the drift does.
func TestPlantedSecretNeverReachesAnAlert(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "states", "web"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "states", "web", "terraform.tfstate"), []byte(plantedState), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "live.jsonl"), []byte(plantedLive), 0o600))
	conf := `
store: {url: dw.db}
server: {listen: "127.0.0.1:0"}
states:
  - {name: s, type: file, paths: ["states/**/*.tfstate"]}
inventories:
  - {name: live, type: snapshot, paths: ["live.jsonl"]}
policies: {builtin: false}
alerts:
  notifier: file
  file: {path: alerts.jsonl}
  teams: {web: {channel: "#web"}}
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "driftwarden.yaml"), []byte(conf), 0o600))
	cfg, err := config.Load(filepath.Join(dir, "driftwarden.yaml"))
	require.NoError(t, err)
	a := newTestApp(t, cfg)
	ctx := context.Background()
	res, err := a.Cycle(ctx)
	require.NoError(t, err)
	var changed *model.Finding
	for i, f := range res.Findings {
		if f.Kind == model.FindingChanged {
			changed = &res.Findings[i]
		}
	}
	require.NotNil(t, changed, "the instance drifted: %+v", res.Findings)
	sent, err := a.DeliverAlerts(ctx, 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, 1, sent.Sent)
	raw, err := os.ReadFile(filepath.Join(dir, "alerts.jsonl"))
	require.NoError(t, err)
	body := string(raw)
	require.Contains(t, body, "instance_type", "the drift is shown")
	require.Contains(t, body, "t3.large")
	require.Contains(t, body, "launch_note")
	require.NotContains(t, body, "planted", "a sensitive value reached the alert")
	require.Contains(t, body, model.Redacted)

	st, _ := store.AlertsOf(a.Store())
	msgs, err := st.Outbox(ctx, "", 0)
	require.NoError(t, err)
	for _, m := range msgs {
		require.False(t, strings.Contains(string(m.Payload), "planted"))
	}
}

// Waivers from the configuration: the covered finding is recorded waived and
// raises no alert; when the waiver is gone it reopens with an alert.
func TestConfiguredWaiverSilencesThenReopens(t *testing.T) {
	cfg := demoConfig(t)
	out := filepath.Join(t.TempDir(), "alerts.jsonl")
	cfg.Alerts.File.Path = out
	exp := config.Date{Time: time.Now().Add(30 * 24 * time.Hour)}
	cfg.Waivers = []config.Waiver{{Kind: "changed", Reason: "migration in progress", Approver: "ciso@example.com", Expires: exp}}
	a := newTestApp(t, cfg)
	ctx := context.Background()
	res, err := a.Cycle(ctx)
	require.NoError(t, err)
	for _, tr := range res.Transitions {
		require.NotEqual(t, model.FindingChanged, tr.Finding.Kind, "a waived finding raises no transition")
	}
	waived, err := a.Store().Findings(ctx, store.FindingFilter{States: []model.FindingState{model.StateWaived}})
	require.NoError(t, err)
	require.NotEmpty(t, waived)
	for _, f := range waived {
		require.Equal(t, model.FindingChanged, f.Kind)
	}
	ws := a.Waivers()
	require.Len(t, ws, 1)
	require.Equal(t, "kind=changed", ws[0].Selector)
	require.Equal(t, "ciso@example.com", ws[0].Approver)
	_, err = a.DeliverAlerts(ctx, 10*time.Second)
	require.NoError(t, err)
	for _, p := range readPayloads(t, out) {
		require.NotContains(t, p.Text, "Resource changed outside Terraform")
	}

	// The waiver expired: a daemon started later reopens them, with an alert.
	cfg2 := *cfg
	cfg2.Waivers = []config.Waiver{{Kind: "changed", Reason: "migration in progress", Approver: "ciso@example.com",
		Expires: config.Date{Time: time.Now().Add(-time.Hour)}}}
	b := newTestApp(t, &cfg2)
	res, err = b.Cycle(ctx)
	require.NoError(t, err)
	reopened := 0
	for _, tr := range res.Transitions {
		if tr.Change == store.ChangeReopened {
			require.Equal(t, model.FindingChanged, tr.Finding.Kind)
			reopened++
		}
	}
	require.Equal(t, len(waived), reopened)
	before := len(readPayloads(t, out))
	_, err = b.DeliverAlerts(ctx, 10*time.Second)
	require.NoError(t, err)
	after := readPayloads(t, out)
	require.Greater(t, len(after), before)
	found := false
	for _, p := range after[before:] {
		found = found || strings.Contains(p.Text, "reopened")
	}
	require.True(t, found, "the reopening is alerted")
}
