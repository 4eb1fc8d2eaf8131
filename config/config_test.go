package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const full = `
log:
  level: debug
  format: json
server:
  listen: 127.0.0.1:9999
store:
  url: data/dw.db
  retention: 90d
schedule:
  scan: "*/5 * * * *"
  run_on_start: false
  timeout: 10m
states:
  - name: local
    type: file
    paths: ["states/**/*.tfstate"]
    owner: platform
    production: true
  - name: remote
    type: http
    url: https://tfstate.example.com/state/prod
    username: ci
    password_env: TF_HTTP_PASSWORD
inventories:
  - name: plans
    type: tfplan
    paths: [plans/*.json]
  - name: snap
    type: snapshot
    paths: [live.jsonl]
    types: [aws_s3_bucket]
drift:
  provider_schemas: [schema.json]
  ignore:
    - resource: "aws_instance.*"
      attributes: [user_data]
      reason: rendered at boot
      expires: 2027-01-31
policies:
  dirs: [policies]
  disabled: [DW-TAG-001]
  severity: {DW-AWS-S3-001: critical}
  data:
    required_tags: [owner, team]
`

func TestParseFull(t *testing.T) {
	cfg, err := Parse([]byte(full), "dw.yaml", "/etc/dw")
	require.NoError(t, err)
	require.Equal(t, "debug", cfg.Log.Level)
	require.Equal(t, "/etc/dw/data/dw.db", cfg.Store.URL)
	require.Equal(t, 90*24*time.Hour, cfg.Store.Retention.D())
	require.False(t, *cfg.Schedule.RunOnStart)
	require.Equal(t, []string{"/etc/dw/states/**/*.tfstate"}, cfg.States[0].Paths)
	require.Equal(t, "TF_HTTP_PASSWORD", cfg.States[1].PasswordEnv)
	require.Equal(t, "/etc/dw/policies", cfg.Policies.Dirs[0])
	require.Equal(t, 2027, cfg.Drift.Ignore[0].Expires.Year())
	require.True(t, cfg.Drift.Ignore[0].Expires.After(time.Date(2027, 1, 31, 23, 0, 0, 0, time.UTC)), "a date expires at the end of the day")
	require.Equal(t, []any{"owner", "team"}, cfg.Policies.Data["required_tags"])
}

func TestDefaults(t *testing.T) {
	cfg, err := Parse([]byte("{}"), "dw.yaml", "/d")
	require.NoError(t, err)
	require.Equal(t, DefaultListen, cfg.Server.Listen)
	require.Equal(t, "/d/driftwarden.db", cfg.Store.URL)
	require.Equal(t, CronSpec(DefaultSchedule), cfg.Schedule.Scan)
	require.True(t, *cfg.Schedule.RunOnStart)
	require.True(t, *cfg.Drift.Unmanaged)
	require.True(t, *cfg.Policies.Builtin)
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string // substrings of the error
	}{
		{"unknown key", "server:\n  listen: 127.0.0.1:1\n  lisen: x\n", []string{"dw.yaml:3", "server.lisen", `unknown key "lisen"`}},
		{"typo at top", "\nstates: []\ninventorys: []\n", []string{"dw.yaml:3", `unknown key "inventorys"`}},
		{"wrong type", "schedule:\n  run_on_start: maybe\n", []string{"dw.yaml:2", "schedule.run_on_start", "wrong type"}},
		{"bad cron", "schedule:\n  scan: \"61 * * * *\"\n", []string{"dw.yaml:2", "schedule.scan", "invalid cron spec"}},
		{"bad duration", "store:\n  retention: forever\n", []string{"dw.yaml:2", "store.retention", "invalid duration"}},
		{"bad date", "drift:\n  ignore:\n    - resource: x\n      expires: soon\n", []string{"dw.yaml:4", "invalid date"}},
		{"inline secret", "states:\n  - type: http\n    url: https://x/y\n    password: hunter2\n", []string{"dw.yaml:4", `unknown key "password"`, "password_env", "password_file"}},
		{"secret in url", "store:\n  url: postgres://dw:hunter2@db/dw\n", []string{"dw.yaml:2", "store.url", "password must not be written"}},
		{"http credentials in url", "states:\n  - type: http\n    url: https://u:p@x/y\n", []string{"dw.yaml:3", "states[0].url", "credentials are not allowed"}},
		{"unknown state type", "states:\n  - name: a\n    type: s4\n", []string{"dw.yaml:3", "states[0].type", `unknown state source type "s4"`}},
		{"missing paths", "inventories:\n  - type: snapshot\n", []string{"dw.yaml:2", "inventories[0].paths"}},
		{"duplicate names", "states:\n  - {name: a, type: file, paths: [x]}\ninventories:\n  - {name: a, type: snapshot, paths: [y]}\n", []string{"dw.yaml:4", `source name "a" is already used`}},
		{"bad severity", "policies:\n  severity:\n    X: urgent\n", []string{"dw.yaml:3", "policies.severity.X", `unknown severity "urgent"`}},
		{"bad level", "log:\n  level: loud\n", []string{"dw.yaml:2", "log.level"}},
		{"syntax", "states:\n  - name: [\n", []string{"dw.yaml", "invalid YAML"}},
		{"both secret refs", "store:\n  url: postgres://dw@db/dw\n  password_env: A\n  password_file: b\n", []string{"dw.yaml:3", "not both"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml), "dw.yaml", "/d")
			require.Error(t, err)
			for _, w := range c.want {
				require.Contains(t, err.Error(), w)
			}
			require.NotContains(t, err.Error(), "hunter2", "an error must never echo a secret")
		})
	}
}

func TestSeveralErrorsReportedTogether(t *testing.T) {
	_, err := Parse([]byte("log:\n  level: loud\n  format: xml\n"), "dw.yaml", "/d")
	require.Error(t, err)
	require.Len(t, err.(Errors), 2)
	require.True(t, strings.Index(err.Error(), "log.level") < strings.Index(err.Error(), "log.format"))
}

func TestStoreURLSecret(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	require.NoError(t, os.WriteFile(pw, []byte("s3cret\n"), 0o600))
	cfg, err := Parse([]byte("store:\n  url: postgres://dw@db:5432/dw?sslmode=disable\n  password_file: pw\n"), "dw.yaml", dir)
	require.NoError(t, err)
	u, err := cfg.StoreURL()
	require.NoError(t, err)
	require.Equal(t, "postgres://dw:s3cret@db:5432/dw?sslmode=disable", u)

	t.Setenv("DW_TEST_MISSING", "")
	os.Unsetenv("DW_TEST_MISSING")
	_, err = ResolveSecret("DW_TEST_MISSING", "")
	require.ErrorContains(t, err, "DW_TEST_MISSING is not set")
}

func TestLoadNamesFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	require.ErrorContains(t, err, "nope.yaml")
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"90s": 90 * time.Second, "30d": 720 * time.Hour, "1d12h": 36 * time.Hour} {
		got, err := ParseDuration(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "d", "-1d", "5x", "-5m"} {
		_, err := ParseDuration(bad)
		require.Error(t, err, bad)
	}
}
