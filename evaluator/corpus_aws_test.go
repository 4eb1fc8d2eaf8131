package evaluator

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors/tfstate"
	"github.com/driftwarden/driftwarden/internal/testcorpus"
)

// TestBuiltinAWSPoliciesOnCorpusStates evaluates the built-in policies over
// real AWS provider states (driftctl's test states, decoded by
// collectors/tfstate) and checks the verdicts on resources inspected by
// hand: what must be reported, and what must not.
func TestBuiltinAWSPoliciesOnCorpusStates(t *testing.T) {
	base := testcorpus.Path(t, "driftctl", "pkg", "iac", "terraform", "state", "test")
	ev, err := New(context.Background(), Options{Builtin: true})
	require.NoError(t, err)

	// verdicts returns, by resource address, the sorted "policy severity"
	// pairs of the AWS policies' violations over one state (one violation
	// per policy and resource).
	verdicts := func(t *testing.T, dir string) map[string][]string {
		t.Helper()
		path := filepath.Join(base, dir, "terraform.tfstate")
		f, err := os.Open(path)
		if os.IsNotExist(err) {
			t.Skipf("corpus state %s not found", path)
		}
		require.NoError(t, err)
		defer f.Close()
		st, err := tfstate.Decode(f, tfstate.DecodeOptions{Location: path})
		require.NoError(t, err)
		vs, errs := ev.EvaluateResources(context.Background(), st.Resources)
		require.Empty(t, errs)
		out := map[string][]string{}
		for _, v := range vs {
			if !strings.HasPrefix(v.PolicyID, "DW-AWS-") {
				continue
			}
			out[v.Resource.Address] = append(out[v.Resource.Address], v.PolicyID+" "+string(v.Severity))
		}
		for _, l := range out {
			slices.Sort(l)
		}
		return out
	}
	none := []string(nil)

	tests := []struct {
		dir  string
		want map[string][]string // address: verdicts (nil: none)
	}{
		{"aws_vpc_security_group", map[string][]string{
			// ingress -1 from 0.0.0.0/0: all traffic, so SSH and RDP too.
			"aws_security_group.test-sg": {"DW-AWS-EC2-001 high", "DW-AWS-EC2-002 critical"},
			// the default group's self rule admits only its members.
			"aws_default_security_group.test-default-sg": none,
		}},
		{"aws_vpc_security_group_rule", map[string][]string{
			"aws_security_group_rule.ingress":     {"DW-AWS-EC2-001 high", "DW-AWS-EC2-002 critical"},
			"aws_security_group_rule.bla-ingress": {"DW-AWS-EC2-001 high", "DW-AWS-EC2-002 critical"},
			// private CIDRs, a prefix list, self/security-group sources, egress.
			"aws_security_group_rule.foo":                   none,
			"aws_security_group_rule.baz-ingress":           none,
			"aws_security_group_rule.test-ingress-rule":     none,
			"aws_security_group_rule.test-ingress-rule-bis": none,
			"aws_security_group_rule.egress":                none,
			"aws_security_group_rule.fucked-egress":         none,
		}},
		{"aws_kms_key", map[string][]string{
			// RSA signing key, disabled symmetric key, RSA encryption key:
			// none can (or needs to) rotate.
			"aws_kms_key.bar": none,
			"aws_kms_key.baz": none,
			"aws_kms_key.foo": none,
		}},
		{"aws_s3_full", map[string][]string{
			// "Principal": "*" s3:GetObject with no condition.
			"aws_s3_bucket_policy.bucket_policy": {"DW-AWS-S3-002 high"},
			// a pre-2023 state: empty encryption block (low), versioning off.
			"aws_s3_bucket.bucket": {"DW-AWS-S3-003 low", "DW-AWS-S3-004 low"},
		}},
		{"aws_s3_account_public_access_block", map[string][]string{
			"aws_s3_account_public_access_block.example": {"DW-AWS-S3-001 high"},
		}},
		{"aws_s3_bucket_public_access_block", map[string][]string{
			"aws_s3_bucket_public_access_block.example": {"DW-AWS-S3-001 high"},
		}},
		{"aws_ebs_encryption_by_default", map[string][]string{
			"aws_ebs_encryption_by_default.example": none,
		}},
		{"aws_ec2_ebs_volume", map[string][]string{
			"aws_ebs_volume.test-ebs-volume": {"DW-AWS-EBS-001 medium"},
		}},
		{"aws_db_instance", map[string][]string{
			// storage_encrypted false, publicly_accessible false.
			"aws_db_instance.default": {"DW-AWS-RDS-001 high"},
		}},
		{"aws_rds_cluster", map[string][]string{
			"aws_rds_cluster.postgresql": {"DW-AWS-RDS-001 high"},
		}},
		{"aws_cloudtrail", map[string][]string{
			"aws_cloudtrail.testtrailtrail": {"DW-AWS-CT-001 high", "DW-AWS-CT-002 medium"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			got := verdicts(t, tc.dir)
			for addr, want := range tc.want {
				require.Equal(t, want, got[addr], "%s in %s", addr, tc.dir)
			}
		})
	}

	// IAM states with nothing administrative: "account:*" on "*" inline
	// policies, customer managed policy attachments, roles with empty
	// inline_policy blocks.
	for _, dir := range []string{
		"aws_iam_role_policy_multiple", "aws_iam_role_multiple", "aws_iam_policy_multiple",
		"aws_iam_role_policy_attachment", "aws_iam_user_policy_attachment", "aws_iam_group_policy_attachment",
		"aws_iam_user_policy_multiple", "aws_iam_group_policy",
	} {
		t.Run(dir, func(t *testing.T) {
			require.Empty(t, verdicts(t, dir))
		})
	}
}
