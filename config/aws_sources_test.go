package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAWSSources(t *testing.T) {
	cfg, err := Parse([]byte(`
states:
  - name: tf-s3
    type: s3
    bucket: acme-tf
    key: network/terraform.tfstate
    workspace_key_prefix: workspaces
    region: eu-west-1
    assume_role_arn: arn:aws:iam::111122223333:role/driftwarden-read
    external_id_env: DW_EXTERNAL_ID
  - name: tf-s3-all
    type: s3
    bucket: acme-tf
    keys_under: teams/
    endpoint_url: http://127.0.0.1:9000
    force_path_style: true
inventories:
  - name: cfg-files
    type: awsconfig
    path: snapshots
  - name: cfg-bucket
    type: awsconfig
    bucket: acme-config
    prefix: org
    region: eu-west-1
    types: [aws_instance]
  - name: cfg-api
    type: awsconfig
    api:
      aggregator: org
      accounts: ["111122223333"]
      regions: [eu-west-1]
      types: [aws_security_group, AWS::S3::Bucket]
`), "dw.yaml", "/d")
	require.NoError(t, err)
	require.Equal(t, "network/terraform.tfstate", cfg.States[0].Key)
	require.Equal(t, "workspaces", cfg.States[0].WorkspaceKeyPrefix)
	require.Equal(t, "arn:aws:iam::111122223333:role/driftwarden-read", cfg.States[0].AssumeRoleARN)
	require.Equal(t, "DW_EXTERNAL_ID", cfg.States[0].ExternalIDEnv)
	require.True(t, cfg.States[1].ForcePathStyle)
	require.Equal(t, "/d/snapshots", cfg.Inventories[0].Path)
	require.Equal(t, "org", cfg.Inventories[1].Prefix)
	require.Equal(t, "org", cfg.Inventories[2].API.Aggregator)
	require.Equal(t, []string{"aws_security_group", "AWS::S3::Bucket"}, cfg.Inventories[2].API.Types)
}

func TestAWSSourcesBadInput(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"s3 without bucket", "states:\n  - type: s3\n    key: k\n", []string{"states[0].bucket", "needs bucket"}},
		{"s3 key and keys_under", "states:\n  - type: s3\n    bucket: b\n    key: k\n    keys_under: p/\n", []string{"states[0].key", "not both"}},
		{"s3 neither", "states:\n  - type: s3\n    bucket: b\n", []string{"states[0].key"}},
		{"s3 stack with discovery", "states:\n  - type: s3\n    bucket: b\n    keys_under: p/\n    stack: x\n", []string{"states[0].stack"}},
		{"bucket on a file source", "states:\n  - type: file\n    paths: [x]\n    bucket: b\n", []string{"states[0].bucket", "only to type s3"}},
		{"bad endpoint", "states:\n  - type: s3\n    bucket: b\n    key: k\n    endpoint_url: ftp://x\n", []string{"states[0].endpoint_url"}},
		{"external id without role", "states:\n  - type: s3\n    bucket: b\n    key: k\n    external_id_env: X\n", []string{"states[0].external_id_env"}},
		{"inline secret key", "states:\n  - type: s3\n    bucket: b\n    key: k\n    secret_access_key: hunter2\n", []string{`unknown key "secret_access_key"`}},
		{"awsconfig nothing", "inventories:\n  - type: awsconfig\n", []string{"inventories[0]", "exactly one of path"}},
		{"awsconfig two inputs", "inventories:\n  - type: awsconfig\n    path: x\n    bucket: b\n", []string{"exactly one of path"}},
		{"awsconfig paths", "inventories:\n  - type: awsconfig\n    path: x\n    paths: [y]\n", []string{"inventories[0].paths"}},
		{"awsconfig prefix alone", "inventories:\n  - type: awsconfig\n    api: {}\n    prefix: p\n", []string{"inventories[0].prefix"}},
		{"awsconfig accounts without aggregator", "inventories:\n  - type: awsconfig\n    api:\n      accounts: [\"1\"]\n", []string{"inventories[0].api.accounts"}},
		{"path on a snapshot inventory", "inventories:\n  - type: snapshot\n    paths: [x]\n    path: y\n", []string{"inventories[0].path", "only to type awsconfig"}},
		{"unknown api key", "inventories:\n  - type: awsconfig\n    api:\n      agregator: x\n", []string{`unknown key "agregator"`}},
	}
	for _, c := range cases {
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

// The state encryption keys are secrets: only their variables are in the
// configuration, and each applies to its own backend type.
func TestStateEncryptionKeyVariables(t *testing.T) {
	c, err := Parse([]byte("states:\n  - name: s\n    type: s3\n    bucket: b\n    key: k\n    sse_customer_key_env: TF_SSE\n  - name: g\n    type: gcs\n    bucket: b\n    encryption_key_env: TF_GCS_KEY\n"), "dw.yaml", "/d")
	require.NoError(t, err)
	require.Equal(t, "TF_SSE", c.States[0].SSECustomerKeyEnv)
	require.Equal(t, "TF_GCS_KEY", c.States[1].EncryptionKeyEnv)

	_, err = Parse([]byte("states:\n  - name: s\n    type: file\n    paths: [a]\n    sse_customer_key_env: TF_SSE\n"), "dw.yaml", "/d")
	require.ErrorContains(t, err, "sse_customer_key_env")
	_, err = Parse([]byte("states:\n  - name: g\n    type: s3\n    bucket: b\n    key: k\n    encryption_key_env: K\n"), "dw.yaml", "/d")
	require.ErrorContains(t, err, "encryption_key_env")
	c, err = Parse([]byte("states:\n  - name: s\n    type: s3\n    bucket: b\n    key: k\n    sse_customer_key_file: keys/sse\n"), "dw.yaml", "/d")
	require.NoError(t, err)
	require.Equal(t, "/d/keys/sse", c.States[0].SSECustomerKeyFile, "relative to the configuration")
	_, err = Parse([]byte("states:\n  - name: s\n    type: s3\n    bucket: b\n    key: k\n    sse_customer_key_file: f\n    sse_customer_key_env: E\n"), "dw.yaml", "/d")
	require.ErrorContains(t, err, "not both")
	_, err = Parse([]byte("states:\n  - name: g\n    type: s3\n    bucket: b\n    key: k\n    sse_customer_key: c2VjcmV0\n"), "dw.yaml", "/d")
	require.ErrorContains(t, err, `unknown key "sse_customer_key"`, "the key itself is never accepted inline")
}
