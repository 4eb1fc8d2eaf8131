package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestGCPSources(t *testing.T) {
	cfg, err := Parse([]byte(`
states:
  - name: tf-gcs
    type: gcs
    bucket: acme-tf
    prefix: envs/prod
    stack: prod
    credentials_file: keys/reader.json
inventories:
  - name: cai-api
    type: gcpasset
    parents: [organizations/123, projects/p1]
    asset_types: [compute.googleapis.com/Firewall]
  - name: cai-files
    type: gcpasset
    paths: [cai/]
    projects: [p1]
  - name: cai-gcs
    type: gcpasset
    bucket: acme-cai
    prefix: exports/
    endpoint: http://127.0.0.1:4443/storage/v1/
events:
  - name: audit-api
    type: gcpaudit_api
    parents: [projects/p1, folders/42]
    logs: [activity, data_access]
    overlap: 5m
    initial_lookback: 2d
    requests_per_minute: 30
  - name: audit-files
    type: gcpaudit_files
    path: sink
`), "dw.yaml", "/d")
	require.NoError(t, err)
	require.Equal(t, "envs/prod", cfg.States[0].Prefix)
	require.Equal(t, "/d/keys/reader.json", cfg.States[0].CredentialsFile)
	require.Equal(t, []string{"organizations/123", "projects/p1"}, cfg.Inventories[0].Parents)
	require.Equal(t, []string{"/d/cai"}, cfg.Inventories[1].Paths)
	require.Equal(t, "http://127.0.0.1:4443/storage/v1/", cfg.Inventories[2].Endpoint)
	require.Equal(t, []string{"activity", "data_access"}, cfg.Events[0].Logs)
	require.Equal(t, 5*time.Minute, cfg.Events[0].Overlap.D())
	require.Equal(t, 48*time.Hour, cfg.Events[0].InitialLookback.D())
	require.Equal(t, 30, cfg.Events[0].RequestsPerMinute)
	require.Equal(t, "/d/sink", cfg.Events[1].Path)
}

func TestGCPSourcesBadInput(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"gcs without bucket", "states:\n  - type: gcs\n    prefix: p\n", []string{"states[0].bucket", "needs bucket"}},
		{"prefix on a file state", "states:\n  - type: file\n    paths: [x]\n    prefix: p\n", []string{"states[0].prefix", "only to type gcs"}},
		{"gcpasset nothing", "inventories:\n  - type: gcpasset\n", []string{"inventories[0]", "exactly one of parents"}},
		{"gcpasset two inputs", "inventories:\n  - type: gcpasset\n    parents: [projects/p]\n    paths: [x]\n", []string{"exactly one of parents"}},
		{"gcpasset bad parent", "inventories:\n  - type: gcpasset\n    parents: [p1]\n", []string{"inventories[0].parents[0]", "projects/ID"}},
		{"parents on snapshot", "inventories:\n  - type: snapshot\n    paths: [x]\n    parents: [projects/p]\n", []string{"inventories[0].parents", "only to type gcpasset"}},
		{"audit api without parents", "events:\n  - type: gcpaudit_api\n", []string{"events[0].parents", "needs parents"}},
		{"audit api bad log", "events:\n  - type: gcpaudit_api\n    parents: [projects/p]\n    logs: [activty]\n", []string{"events[0].logs[0]", "activty"}},
		{"audit files neither", "events:\n  - type: gcpaudit_files\n", []string{"events[0].path", "exactly one"}},
		{"audit files with parents", "events:\n  - type: gcpaudit_files\n    path: x\n    parents: [projects/p]\n", []string{"events[0].parents"}},
		{"gcp keys on cloudtrail", "events:\n  - type: cloudtrail_files\n    path: x\n    logs: [activity]\n", []string{"events[0].parents", "only to gcpaudit"}},
		{"inline key", "events:\n  - type: gcpaudit_api\n    parents: [projects/p]\n    private_key: x\n", []string{`unknown key "private_key"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml), "dw.yaml", "/d")
			require.Error(t, err)
			for _, w := range c.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}
