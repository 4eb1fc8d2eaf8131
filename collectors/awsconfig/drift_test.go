package awsconfig_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/collectors/awsconfig"
	"github.com/driftwarden/driftwarden/collectors/tfstate"
	"github.com/driftwarden/driftwarden/drift"
	"github.com/driftwarden/driftwarden/model"
)

// appliedState is a state as the AWS provider (v5) writes it: a security
// group with inline rules, a bucket with its configuration resources, an
// IAM role and an instance.
const appliedState = `{
  "version": 4, "terraform_version": "1.9.5", "serial": 12, "lineage": "5b2f0c1e-0000-4000-8000-000000000001", "outputs": {},
  "resources": [
    {"mode": "managed", "type": "aws_security_group", "name": "web", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
     "instances": [{"schema_version": 1, "attributes": {
        "arn": "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0web", "description": "web",
        "egress": [{"cidr_blocks": ["0.0.0.0/0"], "description": "", "from_port": 0, "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "-1", "security_groups": [], "self": false, "to_port": 0}],
        "id": "sg-0web",
        "ingress": [
          {"cidr_blocks": ["10.0.0.0/8"], "description": "https", "from_port": 443, "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "tcp", "security_groups": [], "self": false, "to_port": 443},
          {"cidr_blocks": ["10.1.0.0/16", "10.2.0.0/16"], "description": "", "from_port": 8080, "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "tcp", "security_groups": [], "self": false, "to_port": 8080}
        ],
        "name": "web", "name_prefix": "", "owner_id": "111122223333", "revoke_rules_on_delete": false,
        "tags": {"team": "web"}, "tags_all": {"env": "prod", "team": "web"}, "timeouts": null, "vpc_id": "vpc-0a1b2c3d"}}]},
    {"mode": "managed", "type": "aws_s3_bucket", "name": "logs", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
     "instances": [{"schema_version": 0, "attributes": {
        "acceleration_status": "", "acl": null, "arn": "arn:aws:s3:::acme-logs", "bucket": "acme-logs", "bucket_domain_name": "acme-logs.s3.amazonaws.com",
        "bucket_prefix": "", "force_destroy": false, "hosted_zone_id": "Z1BKCTXD74EZPE", "id": "acme-logs", "object_lock_enabled": false,
        "policy": "", "region": "eu-west-1", "request_payer": "BucketOwner",
        "server_side_encryption_configuration": [{"rule": [{"apply_server_side_encryption_by_default": [{"kms_master_key_id": "", "sse_algorithm": "AES256"}], "bucket_key_enabled": false}]}],
        "tags": {"team": "data"}, "tags_all": {"team": "data"}, "timeouts": null,
        "versioning": [{"enabled": false, "mfa_delete": false}]}}]},
    {"mode": "managed", "type": "aws_s3_bucket_versioning", "name": "logs", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
     "instances": [{"schema_version": 0, "attributes": {"bucket": "acme-logs", "expected_bucket_owner": "", "id": "acme-logs", "mfa": null,
        "versioning_configuration": [{"mfa_delete": "", "status": "Enabled"}]}}]},
    {"mode": "managed", "type": "aws_s3_bucket_public_access_block", "name": "logs", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
     "instances": [{"schema_version": 0, "attributes": {"block_public_acls": true, "block_public_policy": true, "bucket": "acme-logs", "id": "acme-logs", "ignore_public_acls": true, "restrict_public_buckets": true}}]},
    {"mode": "managed", "type": "aws_s3_bucket_server_side_encryption_configuration", "name": "logs", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
     "instances": [{"schema_version": 0, "attributes": {"bucket": "acme-logs", "expected_bucket_owner": "", "id": "acme-logs",
        "rule": [{"apply_server_side_encryption_by_default": [{"kms_master_key_id": "", "sse_algorithm": "AES256"}], "bucket_key_enabled": false}]}}]},
    {"mode": "managed", "type": "aws_s3_bucket_policy", "name": "logs", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
     "instances": [{"schema_version": 0, "attributes": {"bucket": "acme-logs", "id": "acme-logs",
        "policy": "{\"Statement\":[{\"Action\":\"s3:*\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}},\"Effect\":\"Deny\",\"Principal\":\"*\",\"Resource\":[\"arn:aws:s3:::acme-logs\",\"arn:aws:s3:::acme-logs/*\"],\"Sid\":\"DenyInsecure\"}],\"Version\":\"2012-10-17\"}"}}]},
    {"mode": "managed", "type": "aws_iam_role", "name": "app", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
     "instances": [{"schema_version": 0, "attributes": {"arn": "arn:aws:iam::111122223333:role/app",
        "assume_role_policy": "{\"Statement\":[{\"Action\":\"sts:AssumeRole\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"}}],\"Version\":\"2012-10-17\"}",
        "create_date": "2026-01-01T00:00:00Z", "description": "", "force_detach_policies": false, "id": "app", "inline_policy": [], "managed_policy_arns": [],
        "max_session_duration": 3600, "name": "app", "name_prefix": "", "path": "/", "permissions_boundary": "", "tags": {}, "tags_all": {}, "unique_id": "AROAEXAMPLEID0000001"}}]},
    {"mode": "managed", "type": "aws_instance", "name": "app", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
     "instances": [{"schema_version": 1, "attributes": {"ami": "ami-0123456789abcdef0", "arn": "arn:aws:ec2:eu-west-1:111122223333:instance/i-0app",
        "id": "i-0app", "instance_type": "t3.micro", "key_name": "", "subnet_id": "subnet-0a1b", "tags": {"Name": "app-1"}, "tags_all": {"Name": "app-1"},
        "vpc_security_group_ids": ["sg-0web"]}}]}
  ]
}`

const trustLive = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole"]}]}`

func loadState(t *testing.T) collectors.Stack {
	t.Helper()
	st, err := tfstate.Decode(strings.NewReader(appliedState), tfstate.DecodeOptions{Source: "states", Location: "mem", Stack: "prod", Workspace: "default"})
	require.NoError(t, err)
	return *st
}

func inventoryFrom(t *testing.T, items ...map[string]any) collectors.Inventory {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, snapshotKey(acct, region, 2026, 11, 20, "20261120T100000Z"), gz(snapshot(items...)))
	inv, errs := awsconfig.NewSource("awsconfig", awsconfig.Config{Paths: []string{dir}}).Inventory(context.Background())
	require.Empty(t, errs)
	return inv
}

func liveItems(sgIngress []any) []map[string]any {
	return []map[string]any{
		sgItem("sg-0web", "web", sgIngress),
		sgItem("sg-0default", "default", nil), // provider default: never unmanaged
		bucketItem("acme-logs", "Enabled"),
		roleItem("app", trustLive),
		instanceItem("i-0app", "t3.micro"),
	}
}

var baseIngress = []any{
	perm("tcp", 443, 443, map[string]string{"10.0.0.0/8": "https"}),
	perm("tcp", 8080, 8080, map[string]string{"10.2.0.0/16": "", "10.1.0.0/16": ""}),
}

// TestDriftInLine: the Config view of resources that match the state
// reports nothing (no false positives from Config's representation).
func TestDriftInLine(t *testing.T) {
	inv := inventoryFrom(t, liveItems(baseIngress)...)
	res := drift.Compare([]collectors.Stack{loadState(t)}, []collectors.Inventory{inv}, drift.DefaultOptions())
	require.Empty(t, res.Drifts, "%+v", res.Drifts)
	require.Empty(t, res.Warnings)
	require.Equal(t, 8, res.Stacks["prod"].Observed, "every applied resource is seen")
}

// TestDriftOpenedSSH: someone added 0.0.0.0/0 on port 22: one changed
// drift on the security group, with the ingress diff and nothing else.
func TestDriftOpenedSSH(t *testing.T) {
	ingress := append([]any{perm("tcp", 22, 22, map[string]string{"0.0.0.0/0": ""})}, baseIngress...)
	inv := inventoryFrom(t, liveItems(ingress)...)
	res := drift.Compare([]collectors.Stack{loadState(t)}, []collectors.Inventory{inv}, drift.DefaultOptions())
	require.Len(t, res.Drifts, 1, "%+v", res.Drifts)
	d := res.Drifts[0]
	require.Equal(t, model.DriftChanged, d.Kind)
	require.Equal(t, "aws_security_group.web", d.Resource.Address)
	require.Equal(t, "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0web", d.Resource.ID)
	require.Len(t, d.Diffs, 1)
	require.Equal(t, "ingress", d.Diffs[0].Path)
	live, ok := d.Diffs[0].Live.([]any)
	require.True(t, ok)
	require.Len(t, live, 3)
	require.Contains(t, live, map[string]any{
		"protocol": "tcp", "from_port": int64(22), "to_port": int64(22), "description": "",
		"cidr_blocks": []any{"0.0.0.0/0"}, "ipv6_cidr_blocks": []any{}, "prefix_list_ids": []any{},
		"security_groups": []any{}, "self": false,
	})
	require.Equal(t, []string{"awsconfig"}, d.Sources)
}

func TestDriftOtherChanges(t *testing.T) {
	cases := []struct {
		name  string
		items func() []map[string]any
		want  map[string][]string // address -> diff paths
	}{
		{"instance type", func() []map[string]any {
			l := liveItems(baseIngress)
			l[4] = instanceItem("i-0app", "m5.large")
			return l
		}, map[string][]string{"aws_instance.app": {"instance_type"}}},
		{"versioning suspended", func() []map[string]any {
			l := liveItems(baseIngress)
			l[2] = bucketItem("acme-logs", "Suspended")
			return l
		}, map[string][]string{"aws_s3_bucket_versioning.logs": {"versioning_configuration[0].status"}}},
		{"trust policy widened", func() []map[string]any {
			l := liveItems(baseIngress)
			l[3] = roleItem("app", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`)
			return l
		}, map[string][]string{"aws_iam_role.app": {"assume_role_policy"}}},
		{"tag removed", func() []map[string]any {
			l := liveItems(baseIngress)
			l[0]["tags"] = map[string]string{"team": "web"}
			return l
		}, map[string][]string{"aws_security_group.web": {"tags.env"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv := inventoryFrom(t, c.items()...)
			res := drift.Compare([]collectors.Stack{loadState(t)}, []collectors.Inventory{inv}, drift.DefaultOptions())
			got := map[string][]string{}
			for _, d := range res.Drifts {
				require.Equal(t, model.DriftChanged, d.Kind, "%+v", d)
				for _, df := range d.Diffs {
					got[d.Resource.Address] = append(got[d.Resource.Address], df.Path)
				}
			}
			require.Equal(t, c.want, got)
		})
	}
}

// TestMissingAndUnmanaged: a managed resource absent from the snapshot of
// its covered type/account/region is missing, a deleted one too, a Config
// resource no state knows is unmanaged; the global IAM role is covered
// even though the snapshot is regional.
func TestMissingAndUnmanaged(t *testing.T) {
	deletedInstance := instanceItem("i-0app", "t3.micro")
	deletedInstance["configurationItemStatus"] = "ResourceDeleted"
	deletedInstance["configuration"] = nil
	notRecorded := item("AWS::EC2::Volume", "vol-0nr", "", "arn:aws:ec2:"+region+":"+acct+":volume/vol-0nr", nil, nil, nil)
	notRecorded["configurationItemStatus"] = "ResourceNotRecorded"
	inv := inventoryFrom(t,
		sgItem("sg-0web", "web", baseIngress),
		sgItem("sg-0hand", "handmade", nil),
		bucketItem("acme-logs", "Enabled"),
		deletedInstance,
		notRecorded,
		// no IAM role item, but another IAM role: IAM is enumerated
		roleItem("other", trustLive),
	)
	require.True(t, inv.Coverage.Covers("aws_iam_role", acct, ""))
	require.False(t, inv.Coverage.Covers("aws_ebs_volume", acct, region), "ResourceNotRecorded is no coverage")
	require.False(t, inv.Coverage.Covers("aws_security_group", acct, "us-east-1"), "only the snapshot's region")
	res := drift.Compare([]collectors.Stack{loadState(t)}, []collectors.Inventory{inv}, drift.DefaultOptions())
	got := map[string]model.DriftKind{}
	for _, d := range res.Drifts {
		k := d.Resource.Address
		if k == "" {
			k = d.Resource.ID
		}
		got[k] = d.Kind
	}
	require.Equal(t, map[string]model.DriftKind{
		"aws_instance.app": model.DriftMissing,
		"aws_iam_role.app": model.DriftMissing,
		"arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0hand": model.DriftUnmanaged,
		"arn:aws:iam::111122223333:role/other":                       model.DriftUnmanaged,
	}, got)
}
