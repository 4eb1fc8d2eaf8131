package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPolicyBundlesAndReloadKeys(t *testing.T) {
	cfg, err := Parse([]byte(`
policies:
  require_tests_pass: true
  bundles:
    - url: https://policies.example.com/b.tar.gz
      verification_key_file: keys/b.pub
      key_id: corp
      poll_interval: 5m
    - name: local
      path: bundles/local.tar.gz
`), "dw.yaml", "/etc/dw")
	require.NoError(t, err)
	p := cfg.Policies
	require.True(t, *p.Watch, "watch defaults to true")
	require.True(t, p.RequireTestsPass)
	require.Len(t, p.Bundles, 2)
	require.Equal(t, "bundle-1", p.Bundles[0].Name)
	require.Equal(t, "/etc/dw/keys/b.pub", p.Bundles[0].VerificationKeyFile)
	require.Equal(t, 5*time.Minute, p.Bundles[0].PollInterval.D())
	require.Equal(t, "/etc/dw/bundles/local.tar.gz", p.Bundles[1].Path)
	require.Equal(t, time.Minute, p.Bundles[1].PollInterval.D())

	cfg, err = Parse([]byte("policies:\n  watch: false\n"), "dw.yaml", "/d")
	require.NoError(t, err)
	require.False(t, *cfg.Policies.Watch)
}

func TestPolicyBundleBadInput(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"policies:\n  bundles:\n    - name: a\n", "dw.yaml:3: policies.bundles[0]: set exactly one of url and path"},
		{"policies:\n  bundles:\n    - url: https://x/b.tar.gz\n      path: b.tar.gz\n", "policies.bundles[0]: set exactly one of url and path"},
		{"policies:\n  bundles:\n    - url: ftp://x/b.tar.gz\n", `policies.bundles[0].url: must be an https:// URL, not "ftp://x/b.tar.gz"`},
		{"policies:\n  bundles:\n    - {name: a, path: a.tar.gz}\n    - {name: a, path: b.tar.gz}\n", `policies.bundles[1].name: bundle name "a" is used twice`},
		{"policies:\n  bundles:\n    - {path: a.tar.gz, key_id: k}\n", "policies.bundles[0].key_id: key_id needs verification_key_file"},
		{"policies:\n  bundles:\n    - {path: a.tar.gz, poll_interval: 10ms}\n", "policies.bundles[0].poll_interval: must be at least 1s"},
		{"policies:\n  bundles:\n    - {path: a.tar.gz, signing_key: x}\n", "signing_key"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.yaml), "dw.yaml", "/d")
		require.Error(t, err, c.yaml)
		require.Contains(t, err.Error(), c.want)
	}
}
