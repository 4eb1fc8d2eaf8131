package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCloudTrailAPISource(t *testing.T) {
	cfg, err := Parse([]byte(`
events:
  - name: ct-api
    type: cloudtrail_api
    accounts: ["111122223333", "444455556666"]
    regions: [eu-west-1, us-east-1]
    role_arn_template: arn:aws:iam::{account}:role/driftwarden-audit
    external_id_env: DW_EXTERNAL_ID
    session_name: dw-audit
    overlap: 10m
    initial_lookback: 2d
    rate_limit: 1.5
    include_read_only: true
    region: eu-west-1
    endpoint_url: http://127.0.0.1:4566
  - name: ct-default
    type: cloudtrail_api
    regions: [eu-central-1]
`), "dw.yaml", "/d")
	require.NoError(t, err)
	e := cfg.Events[0]
	require.Equal(t, "cloudtrail_api", e.Type)
	require.Equal(t, []string{"111122223333", "444455556666"}, e.Accounts)
	require.Equal(t, []string{"eu-west-1", "us-east-1"}, e.Regions)
	require.Equal(t, "arn:aws:iam::{account}:role/driftwarden-audit", e.RoleARNTemplate)
	require.Equal(t, "DW_EXTERNAL_ID", e.ExternalIDEnv)
	require.Equal(t, "dw-audit", e.SessionName)
	require.Equal(t, 10*time.Minute, e.Overlap.D())
	require.Equal(t, 48*time.Hour, e.InitialLookback.D())
	require.Equal(t, 1.5, e.RateLimit)
	require.True(t, e.IncludeReadOnly)
	require.Equal(t, "http://127.0.0.1:4566", e.EndpointURL)
	d := cfg.Events[1]
	require.Zero(t, d.RateLimit, "unset: the source's default (2/s)")
	require.Empty(t, d.Accounts, "the default chain's account")
}

func TestCloudTrailAPISourceBadInput(t *testing.T) {
	const base = "events:\n  - type: cloudtrail_api\n"
	for _, c := range []struct {
		name, yaml string
		want       []string
	}{
		{"no regions", base, []string{"dw.yaml:2: events[0]", "needs regions"}},
		{"bad region", base + "    regions: [Europe]\n", []string{"events[0].regions[0]", `"Europe" is not an AWS region`}},
		{"short account", base + "    regions: [eu-west-1]\n    accounts: [\"12345\"]\n", []string{"events[0].accounts[0]", "12 digits"}},
		{"account not digits", base + "    regions: [eu-west-1]\n    accounts: [\"11112222333a\"]\n    role_arn_template: arn:aws:iam::{account}:role/r\n", []string{"events[0].accounts[0]"}},
		{"two accounts without template", base + "    regions: [eu-west-1]\n    accounts: [\"111122223333\", \"444455556666\"]\n", []string{"dw.yaml:4: events[0].accounts", "role_arn_template"}},
		{"template without accounts", base + "    regions: [eu-west-1]\n    role_arn_template: arn:aws:iam::{account}:role/r\n", []string{"events[0].accounts", "needs the accounts"}},
		{"template without placeholder", base + "    regions: [eu-west-1]\n    accounts: [\"111122223333\"]\n    role_arn_template: arn:aws:iam::111122223333:role/r\n", []string{"events[0].role_arn_template", "{account}"}},
		{"rate above the limit", base + "    regions: [eu-west-1]\n    rate_limit: 5\n", []string{"dw.yaml:4: events[0].rate_limit", "at most 2"}},
		{"negative rate", base + "    regions: [eu-west-1]\n    rate_limit: -1\n", []string{"events[0].rate_limit"}},
		{"rate not a number", base + "    regions: [eu-west-1]\n    rate_limit: fast\n", []string{"rate_limit"}},
		{"lookback beyond 90 days", base + "    regions: [eu-west-1]\n    initial_lookback: 100d\n", []string{"events[0].initial_lookback", "90 days"}},
		{"external id without template", base + "    regions: [eu-west-1]\n    external_id_env: X\n", []string{"events[0].external_id_env"}},
		{"bucket on the api", base + "    regions: [eu-west-1]\n    bucket: b\n", []string{"events[0].path", "do not apply to cloudtrail_api"}},
		{"bad endpoint", base + "    regions: [eu-west-1]\n    endpoint_url: http://user:hunter2@x\n", []string{"events[0].endpoint_url", "credentials are not allowed"}},
		{"api keys on files", "events:\n  - type: cloudtrail_files\n    path: t\n    rate_limit: 1\n", []string{"events[0].role_arn_template", "only to cloudtrail_api"}},
		{"overlap on files", "events:\n  - type: cloudtrail_files\n    path: t\n    overlap: 5m\n", []string{"events[0].parents", "overlap and initial_lookback also to cloudtrail_api"}},
		{"inline external id", base + "    regions: [eu-west-1]\n    external_id: hunter2\n", []string{`unknown key "external_id"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml), "dw.yaml", "/d")
			require.Error(t, err)
			for _, w := range c.want {
				require.Contains(t, err.Error(), w)
			}
			require.NotContains(t, err.Error(), "hunter2")
		})
	}
}
