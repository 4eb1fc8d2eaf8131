package awsconfig_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/collectors/awsconfig"
	"github.com/driftwarden/driftwarden/identity"
	"github.com/driftwarden/driftwarden/internal/testcorpus"
)

func decodeFile(t *testing.T, path, defaultType string) ([]*awsconfig.Item, []error) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	return awsconfig.Decode(f, awsconfig.DecodeOptions{Source: "cfg", Location: path, DefaultType: defaultType})
}

// TestCorpusRDK: every sample configuration item of aws-config-rdk parses
// (both field dialects, arrays, change notifications), except the two files
// that are malformed upstream, which fail naming the file and the place.
func TestCorpusRDK(t *testing.T) {
	dir := testcorpus.Path(t, "aws-config-rdk", "rdk", "template", "example_ci")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 80)
	// place, cause
	malformed := map[string][2]string{
		"AWS_EC2_NetworkInterface.json":               {"line 87", "document ends early"}, // the closing ] is missing
		"AWS_SSM_ManagedInstanceInventory_Linux.json": {"line 51", "invalid JSON"},        // raw control character
	}
	for _, f := range files {
		base := filepath.Base(f)
		t.Run(base, func(t *testing.T) {
			items, errs := decodeFile(t, f, "")
			if want, bad := malformed[base]; bad {
				require.Len(t, errs, 1)
				var ie *collectors.InputError
				require.True(t, errors.As(errs[0], &ie))
				require.Equal(t, f, ie.Location)
				require.Contains(t, ie.Place, want[0])
				require.Contains(t, errs[0].Error(), want[1])
				return
			}
			require.Empty(t, errs)
			require.Len(t, items, 1)
			it := items[0]
			require.NotEmpty(t, it.ResourceType)
			require.NotEmpty(t, it.ResourceID)
			require.NotEmpty(t, it.AccountID, "both accountId and awsAccountId dialects")
			require.NotNil(t, it.Configuration)
			res := awsconfig.Resources(it, "cfg")
			require.NotEmpty(t, res)
			r := res[0]
			require.True(t, r.Partial)
			require.NotEmpty(t, r.ID)
			require.NotEmpty(t, r.Attributes, "a matched resource must carry attributes, or drift reports it changed")
			if tf := identity.TerraformType(it.ResourceType); tf != "" {
				require.Equal(t, tf, r.Type)
			} else {
				require.Equal(t, it.ResourceType, r.Type)
			}
		})
	}
}

// TestCorpusMappedTypes checks the Terraform type and id of mapped corpus items.
func TestCorpusMappedTypes(t *testing.T) {
	dir := testcorpus.Path(t, "aws-config-rdk", "rdk", "template", "example_ci")
	cases := []struct {
		file, typ, id, nativeID, region string
	}{
		{"AWS_EC2_SecurityGroup.json", "aws_security_group", "arn:aws:ec2:us-east-1:264683526309:security-group/sg-1d56fc66", "sg-1d56fc66", "us-east-1"},
		{"AWS_S3_Bucket.json", "aws_s3_bucket", "arn:aws:s3:::mborch-test-bucket-config-item", "mborch-test-bucket-config-item", "us-east-1"},
		{"AWS_IAM_Role.json", "aws_iam_role", "arn:aws:iam::264683526309:role/service-role/config-role-ezcrc2", "config-role-ezcrc2", ""},
		{"AWS_IAM_Policy.json", "aws_iam_policy", "arn:aws:iam::264683526309:policy/ELB-policy", "arn:aws:iam::264683526309:policy/ELB-policy", ""},
		{"AWS_IAM_User.json", "aws_iam_user", "arn:aws:iam::112233445566:user/johndoe", "johndoe", ""},
		{"AWS_EC2_Instance.json", "aws_instance", "", "i-03402838daac1d611", "us-east-1"},
		{"AWS_EC2_VPC.json", "aws_vpc", "", "vpc-0990dc6d", "us-east-1"},
		{"AWS_EC2_NatGateway.json", "aws_nat_gateway", "aws/aws_nat_gateway/nat-test", "nat-test", "us-east-2"},
		{"AWS_KMS_Key.json", "aws_kms_key", "", "test", "us-east-1"},
		{"AWS_LAMBDA_FUNCTION.json", "aws_lambda_function", "", "test-function", "us-east-1"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			items, errs := decodeFile(t, filepath.Join(dir, c.file), "")
			require.Empty(t, errs)
			r := awsconfig.Resources(items[0], "cfg")[0]
			require.Equal(t, c.typ, r.Type)
			if c.id != "" {
				require.Equal(t, c.id, r.ID)
			} else {
				require.True(t, strings.HasPrefix(r.ID, "arn:aws:"), r.ID)
			}
			require.Equal(t, c.nativeID, r.NativeID)
			require.Equal(t, c.region, r.Region)
		})
	}
}

// TestCorpusCustodian: rule invocation events (invokingEvent as a JSON
// string) and recorded API answers (configuration as a JSON string).
func TestCorpusCustodian(t *testing.T) {
	dir := testcorpus.Path(t, "cloud-custodian", "tests", "data")
	files, err := filepath.Glob(filepath.Join(dir, "config", "*.json"))
	require.NoError(t, err)
	rules, _ := filepath.Glob(filepath.Join(dir, "cwe", "event-config-rule-*.json"))
	files = append(files, rules...)
	require.Len(t, files, 19)
	total := 0
	for _, f := range files {
		items, errs := decodeFile(t, f, "")
		if filepath.Base(f) == "event-cloudsearch.json" {
			// Misfiled upstream: an EventBridge CloudTrail envelope.
			require.Len(t, errs, 1)
			require.Contains(t, errs[0].Error(), "not an AWS Config configuration item: an EventBridge event")
			require.Contains(t, errs[0].Error(), f)
			continue
		}
		require.Empty(t, errs, f)
		for _, it := range items {
			require.NotEmpty(t, it.ResourceType, f)
			require.NotNil(t, it.Configuration, f)
			require.NotEmpty(t, awsconfig.Resources(it, "cfg"), f)
		}
		total += len(items)
	}
	require.GreaterOrEqual(t, total, 16, "every rule event but the scheduled one holds an item")

	placebo, err := filepath.Glob(filepath.Join(dir, "placebo", "*", "config.*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, placebo)
	withItems := 0
	for _, f := range placebo {
		base := filepath.Base(f)
		if !strings.HasPrefix(base, "config.SelectResourceConfig") && !strings.HasPrefix(base, "config.GetResourceConfigHistory") && !strings.HasPrefix(base, "config.BatchGetResourceConfig") {
			continue
		}
		// Select answers carry only the selected fields; the query named the type.
		items, errs := decodeFile(t, f, "AWS::Placebo::Selected")
		for _, err := range errs {
			// Some recorded queries selected only configuration: nothing
			// identifies the resource, and the error says so.
			require.Contains(t, err.Error(), "has neither resourceId nor arn", f)
			require.Contains(t, err.Error(), "data.Results[", f)
		}
		for _, it := range items {
			require.NotEmpty(t, it.ResourceID, f)
		}
		if len(items) > 0 {
			withItems++
		}
	}
	require.GreaterOrEqual(t, withItems, 7)
}

// TestCorpusSecurityGroupRules checks the conversion of a real rule event's
// security group (ipRanges and ipv4Ranges both present) to ingress blocks.
func TestCorpusSecurityGroupRules(t *testing.T) {
	f := testcorpus.Path(t, "cloud-custodian", "tests", "data", "cwe", "event-config-rule-security-group.json")
	items, errs := decodeFile(t, f, "")
	require.Empty(t, errs)
	require.Len(t, items, 1)
	r := awsconfig.Resources(items[0], "cfg")[0]
	require.Equal(t, "aws_security_group", r.Type)
	require.Equal(t, []any{map[string]any{
		"protocol": "tcp", "from_port": int64(22), "to_port": int64(22), "description": "",
		"cidr_blocks": []any{"0.0.0.0/0"}, "ipv6_cidr_blocks": []any{}, "prefix_list_ids": []any{},
		"security_groups": []any{}, "self": false,
	}}, r.Attributes["ingress"])
	require.Equal(t, []string{"8645ad37-23fd-464a-9375-b25fa21b5289"}, items[0].RelatedEvents)
}
