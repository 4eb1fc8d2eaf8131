package config

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCloudTrailDigestValidationKeys(t *testing.T) {
	cfg, err := Parse([]byte(`
events:
  - name: trail
    type: cloudtrail_files
    path: trail
    validate_digests: true
    public_keys_file: keys/cloudtrail.pem
`), "dw.yaml", "/d")
	require.NoError(t, err)
	require.True(t, cfg.Events[0].ValidateDigests)
	require.Equal(t, "/d/keys/cloudtrail.pem", cfg.Events[0].PublicKeysFile, "relative to the config file")

	for _, c := range []struct{ name, yaml, want string }{
		{"keys without validation", "events:\n  - type: cloudtrail_files\n    path: t\n    public_keys_file: k.pem\n", "events[0].public_keys_file"},
		{"validation on another type", "events:\n  - type: gcpaudit_files\n    path: t\n    validate_digests: true\n", "events[0].validate_digests"},
		{"not a bool", "events:\n  - type: cloudtrail_files\n    path: t\n    validate_digests: maybe\n", "validate_digests"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml), "dw.yaml", "/d")
			require.ErrorContains(t, err, c.want)
		})
	}
}

func TestCloudTrailLayout(t *testing.T) {
	cfg, err := Parse([]byte("events:\n  - name: ct\n    type: cloudtrail_files\n    bucket: b\n    prefix: firehose/ct\n    layout: firehose\n"), "dw.yaml", "/d")
	require.NoError(t, err)
	require.Equal(t, "firehose", cfg.Events[0].Layout)
	for _, c := range []struct{ name, yaml, want string }{
		{"unknown layout", "events:\n  - type: cloudtrail_files\n    path: t\n    layout: kinesis\n", `events[0].layout: layout must be cloudtrail (the default) or firehose, got "kinesis"`},
		{"firehose with digests", "events:\n  - type: cloudtrail_files\n    path: t\n    layout: firehose\n    validate_digests: true\n", "events[0].layout: validate_digests applies to CloudTrail's own delivery"},
		{"layout on another type", "events:\n  - type: gcpaudit_files\n    path: t\n    layout: firehose\n", "events[0].layout: layout applies only to cloudtrail_files"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml), "dw.yaml", "/d")
			require.ErrorContains(t, err, c.want)
		})
	}
}
