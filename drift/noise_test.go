package drift

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
)

var baseInstance = map[string]any{
	"id": "i-1", "arn": "arn:aws:ec2:eu-west-1:111122223333:instance/i-1",
	"ami": "ami-1", "instance_type": "t3.micro", "monitoring": true,
	"vpc_security_group_ids": []any{"sg-1", "sg-2", "sg-3"},
	"root_block_device":      []any{map[string]any{"volume_size": float64(8), "volume_type": "gp3", "volume_id": "vol-1", "encrypted": true}},
	"tags":                   map[string]any{"Name": "web"},
	"tags_all":               map[string]any{"Name": "web", "env": "prod"},
}

const policyApplied = `{"Version":"2012-10-17","Statement":[
 {"Sid":"","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Principal":{"AWS":"111122223333"}},
 {"Effect":"Deny","Action":["s3:DeleteObject","s3:PutObject"],"Resource":["arn:aws:s3:::b/*"],"Principal":"*",
  "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`

// policyLive is policyApplied as AWS returns it: statements and actions
// reordered, scalars as lists, account id as a root ARN, action case changed.
const policyLive = `{"Statement": [
  {"Effect": "Deny", "Principal": {"AWS": ["*"]}, "Action": ["s3:putobject", "s3:DeleteObject"],
   "Resource": "arn:aws:s3:::b/*", "Condition": {"Bool": {"aws:SecureTransport": ["false"]}}},
  {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}
 ], "Version": "2012-10-17"}`

func TestNoiseRules(t *testing.T) {
	type tc struct {
		name    string
		typ     string // default aws_instance
		applied map[string]any
		live    map[string]any
		partial bool
		opts    Options
		want    []string // diff paths; nil = no drift
	}
	cases := []tc{
		{name: "identical", applied: baseInstance, live: cp(baseInstance)},
		{name: "real change is reported", applied: baseInstance, live: with(baseInstance, "instance_type", "t3.large"), want: []string{"instance_type"}},
		{name: "global computed: arn, id, timeouts, timestamps", applied: baseInstance,
			live: with(baseInstance, "arn", "arn:other", "timeouts", map[string]any{"create": "5m"}, "creation_date", "2026-01-01", "last_modified", "x")},
		{name: "per-type computed: aws_instance public_ip and private_dns", applied: with(baseInstance, "public_ip", "1.2.3.4"),
			live: with(baseInstance, "public_ip", "5.6.7.8", "private_dns", "ip-10-0-0-1")},
		{name: "per-type computed nested: root_block_device[*].volume_id", applied: baseInstance,
			live: with(baseInstance, "root_block_device", []any{map[string]any{"volume_size": 8, "volume_type": "gp3", "volume_id": "vol-2", "encrypted": true}})},
		{name: "per-type computed: aws_s3_bucket domain names and region", typ: "aws_s3_bucket",
			applied: map[string]any{"bucket": "b", "bucket_domain_name": "b.s3.amazonaws.com", "region": "eu-west-1"},
			live:    map[string]any{"bucket": "b", "bucket_regional_domain_name": "b.s3.eu-west-1.amazonaws.com", "hosted_zone_id": "Z1"}},
		{name: "per-type computed: google self_link, creation_timestamp, fingerprint", typ: "google_compute_firewall",
			applied: map[string]any{"name": "fw", "self_link": "a", "creation_timestamp": "t1", "fingerprint": "f1"},
			live:    map[string]any{"name": "fw", "self_link": "b", "creation_timestamp": "t2", "fingerprint": "f2"}},
		{name: "null equals empty string", applied: with(baseInstance, "key_name", ""), live: with(baseInstance, "key_name", nil)},
		{name: "null equals empty list and map", applied: with(baseInstance, "ipv6_addresses", []any{}, "metadata", map[string]any{}),
			live: with(baseInstance, "ipv6_addresses", nil, "metadata", nil)},
		{name: "absent equals false and 0 (SDK zero values)", applied: with(baseInstance, "ebs_optimized", false, "cpu_credits_count", float64(0)),
			live: baseInstance},
		{name: "unset block stored as zero values equals absent", typ: "aws_s3_bucket",
			applied: map[string]any{"bucket": "b", "versioning": []any{map[string]any{"enabled": false, "mfa_delete": false}}},
			live:    map[string]any{"bucket": "b"}},
		{name: "null does not equal a value", applied: with(baseInstance, "key_name", "k"), live: baseInstance, want: []string{"key_name"}},
		{name: "numbers: int, float64 and json.Number", applied: with(baseInstance, "n", 1, "m", json.Number("2.0")),
			live: with(baseInstance, "n", 1.0, "m", float64(2))},
		{name: "numbers: stringified by the inventory", applied: with(baseInstance, "port", float64(80), "flag", true),
			live: with(baseInstance, "port", "80", "flag", "true")},
		{name: "numbers: different values", applied: with(baseInstance, "port", 80), live: with(baseInstance, "port", 81.5), want: []string{"port"}},
		{name: "lists without schema ignore order", applied: baseInstance,
			live: with(baseInstance, "vpc_security_group_ids", []any{"sg-3", "sg-1", "sg-2"})},
		{name: "sets of objects ignore order at depth", typ: "aws_security_group",
			applied: map[string]any{"ingress": []any{
				map[string]any{"from_port": 22, "cidr_blocks": []any{"10.0.0.0/8", "192.168.0.0/16"}},
				map[string]any{"from_port": 443, "cidr_blocks": []any{"0.0.0.0/0"}}}},
			live: map[string]any{"ingress": []any{
				map[string]any{"from_port": 443, "cidr_blocks": []any{"0.0.0.0/0"}},
				map[string]any{"from_port": 22, "cidr_blocks": []any{"192.168.0.0/16", "10.0.0.0/8"}}}}},
		{name: "multiset counts duplicates", applied: with(baseInstance, "l", []any{"a", "a", "b"}),
			live: with(baseInstance, "l", []any{"a", "b", "b"}), want: []string{"l"}},
		{name: "differing set is one diff on its path", applied: baseInstance,
			live: with(baseInstance, "vpc_security_group_ids", []any{"sg-1", "sg-2", "sg-9"}), want: []string{"vpc_security_group_ids"}},
		{name: "nested block reports the leaf", applied: baseInstance,
			live: with(baseInstance, "root_block_device", []any{map[string]any{"volume_size": 20, "volume_type": "gp3", "volume_id": "vol-1", "encrypted": true}}),
			want: []string{"root_block_device[0].volume_size"}},
		{name: "live-only attribute is reported", applied: baseInstance, live: with(baseInstance, "source_dest_check", true), want: []string{"source_dest_check"}},
		{name: "tags: live tags compared with applied tags_all", applied: baseInstance,
			live: with(baseInstance, "tags", map[string]any{"Name": "web", "env": "prod"}, "tags_all", nil)},
		{name: "tags: a change is reported once under tags", applied: baseInstance,
			live: with(baseInstance, "tags", map[string]any{"Name": "web", "env": "dev"}, "tags_all", map[string]any{"Name": "web", "env": "dev"}),
			want: []string{"tags.env"}},
		{name: "tags: added and removed tags", applied: baseInstance,
			live: with(baseInstance, "tags", map[string]any{"Name": "web", "owner": "x"}, "tags_all", nil),
			want: []string{"tags.env", "tags.owner"}},
		{name: "tags: an empty tag differs from no tag", applied: baseInstance,
			live: with(baseInstance, "tags_all", map[string]any{"Name": "web", "env": "prod", "Backup": ""}), want: []string{"tags.Backup"}},
		{name: "tags: keys that are not identifiers are quoted", applied: baseInstance,
			live: with(baseInstance, "tags_all", map[string]any{"Name": "web", "env": "prod", "kubernetes.io/cluster/x": "owned"}),
			want: []string{`tags["kubernetes.io/cluster/x"]`}},
		{name: "labels: effective_labels against live labels", typ: "google_storage_bucket",
			applied: map[string]any{"name": "b", "labels": map[string]any{"team": "a"}, "terraform_labels": map[string]any{"team": "a", "goog-terraform-provisioned": "true"},
				"effective_labels": map[string]any{"team": "a", "goog-terraform-provisioned": "true"}},
			live: map[string]any{"name": "b", "labels": map[string]any{"team": "b", "goog-terraform-provisioned": "true"}},
			want: []string{"labels.team"}},
		{name: "JSON policy: equivalent IAM documents", typ: "aws_s3_bucket_policy",
			applied: map[string]any{"bucket": "b", "policy": policyApplied}, live: map[string]any{"bucket": "b", "policy": policyLive}},
		{name: "JSON policy: absent Version is 2008-10-17", typ: "aws_iam_policy",
			applied: map[string]any{"policy": `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`},
			live:    map[string]any{"policy": `{"Statement":[{"Effect":"Allow","Action":["*"],"Resource":["*"]}]}`}},
		{name: "JSON policy: a real change is one diff on the attribute", typ: "aws_s3_bucket_policy",
			applied: map[string]any{"policy": policyApplied},
			live:    map[string]any{"policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":"*"}]}`},
			want:    []string{"policy"}},
		{name: "JSON policy: a different Sid is reported", typ: "aws_iam_policy",
			applied: map[string]any{"policy": `{"Statement":[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"}]}`},
			live:    map[string]any{"policy": `{"Statement":[{"Sid":"B","Effect":"Allow","Action":"*","Resource":"*"}]}`},
			want:    []string{"policy"}},
		{name: "JSON policy: URL-encoded by AWS Config", typ: "aws_iam_role",
			applied: map[string]any{"assume_role_policy": policyApplied}, live: map[string]any{"assume_role_policy": url.QueryEscape(policyLive)}},
		{name: "JSON policy: string against decoded document", typ: "aws_iam_role",
			applied: map[string]any{"assume_role_policy": policyApplied},
			live:    map[string]any{"assume_role_policy": mustJSON(policyLive)}},
		{name: "JSON array attribute: container_definitions", typ: "aws_ecs_task_definition",
			applied: map[string]any{"container_definitions": `[{"name":"app","image":"nginx","cpu":0,"environment":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}]`},
			live:    map[string]any{"container_definitions": `[{"environment":[{"value":"2","name":"B"},{"name":"A","value":"1"}],"image":"nginx","name":"app","mountPoints":[]}]`}},
		{name: "partial live: only observed attributes compared", applied: baseInstance,
			live: map[string]any{"instance_type": "t3.micro"}, partial: true},
		{name: "partial live: observed change reported", applied: baseInstance,
			live: map[string]any{"instance_type": "t3.large"}, partial: true, want: []string{"instance_type"}},
		{name: "partial live without tags does not report tags", applied: baseInstance,
			live: map[string]any{"ami": "ami-1"}, partial: true},
		{name: "ignore rule: attribute", applied: with(baseInstance, "user_data", "a"), live: with(baseInstance, "user_data", "b", "ami", "ami-2"),
			opts: Options{Ignore: []IgnoreRule{{Resource: "aws_instance.*", Attributes: []string{"user_data"}}}}, want: []string{"ami"}},
		{name: "ignore rule: one tag", applied: baseInstance,
			live: with(baseInstance, "tags_all", map[string]any{"Name": "web", "env": "prod", "LastScanned": "today"}),
			opts: Options{Ignore: []IgnoreRule{{Resource: "aws_instance", Attributes: []string{"tags.LastScanned"}}}}},
		{name: "ignore rule: tag glob", applied: baseInstance,
			live: with(baseInstance, "tags_all", map[string]any{"Name": "web", "env": "prod", "LastScanned": "today", "LastPatched": "x"}),
			opts: Options{Ignore: []IgnoreRule{{Resource: "aws_instance.x", Attributes: []string{"tags.Last*"}}}}},
		{name: "ignore rule: field inside a set", typ: "aws_security_group",
			applied: map[string]any{"ingress": []any{map[string]any{"from_port": 22, "description": "ssh"}, map[string]any{"from_port": 80, "description": "web"}}},
			live:    map[string]any{"ingress": []any{map[string]any{"from_port": 80, "description": "http"}, map[string]any{"from_port": 22, "description": "SSH"}}},
			opts:    Options{Ignore: []IgnoreRule{{Resource: "aws_security_group.*", Attributes: []string{"ingress[*].description"}}}}},
		{name: "ignore rule: by canonical id glob", applied: with(baseInstance, "user_data", "a"), live: with(baseInstance, "user_data", "b"),
			opts: Options{Ignore: []IgnoreRule{{Resource: "aws/aws_instance/i-*", Attributes: []string{"user_data"}}}}},
		{name: "ignore rule: not yet expired still applies", applied: with(baseInstance, "user_data", "a"), live: with(baseInstance, "user_data", "b"),
			opts: Options{Ignore: []IgnoreRule{{Resource: "*", Attributes: []string{"user_data"}, Expires: fixedNow.Add(time.Hour)}}}},
		{name: "ignore rule: expired no longer applies", applied: with(baseInstance, "user_data", "a"), live: with(baseInstance, "user_data", "b"),
			opts: Options{Ignore: []IgnoreRule{{Resource: "*", Attributes: []string{"user_data"}, Expires: fixedNow}}}, want: []string{"user_data"}},
		{name: "ignore rule: other resource does not apply", applied: with(baseInstance, "user_data", "a"), live: with(baseInstance, "user_data", "b"),
			opts: Options{Ignore: []IgnoreRule{{Resource: "module.legacy.*", Attributes: []string{"user_data"}}}}, want: []string{"user_data"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			typ := c.typ
			if typ == "" {
				typ = "aws_instance"
			}
			diffs, _ := diffOne(t, typ, cp(c.applied), cp(c.live), c.partial, c.opts)
			require.Equal(t, c.want, paths(diffs))
		})
	}
}

func mustJSON(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		panic(err)
	}
	return v
}

func TestDiffValues(t *testing.T) {
	diffs, _ := diffOne(t, "aws_instance", baseInstance, with(baseInstance, "instance_type", "t3.large",
		"tags_all", map[string]any{"Name": "web"}, "vpc_security_group_ids", []any{"sg-1"}), false, Options{})
	require.Equal(t, []model.Diff{
		{Path: "instance_type", Applied: "t3.micro", Live: "t3.large"},
		{Path: "tags.env", Applied: "prod", Live: nil},
		{Path: "vpc_security_group_ids", Applied: []any{"sg-1", "sg-2", "sg-3"}, Live: []any{"sg-1"}},
	}, diffs)
}

func TestExpiredRuleWarns(t *testing.T) {
	o := Options{Ignore: []IgnoreRule{
		{Resource: "*", Attributes: []string{"user_data"}, Reason: "migration", Expires: fixedNow.Add(-time.Hour)},
		{Resource: "nothing.matches.this"},
		{Resource: "", Reason: "typo"},
		{Resource: "x", Attributes: []string{"a[b"}},
	}}
	_, r := diffOne(t, "aws_instance", baseInstance, baseInstance, false, o)
	require.Len(t, r.Warnings, 4)
	require.Contains(t, r.Warnings[0], `ignore rule 1 (resource "*", reason "migration") expired on 2026-03-01T11:00:00Z`)
	require.Contains(t, r.Warnings[1], "ignore rule 3")
	require.Contains(t, r.Warnings[2], "ignore rule 4")
	require.Contains(t, r.Warnings[3], `ignore rule 2 (resource "nothing.matches.this") matched no resource`)
}

func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"aws_instance.*", "aws_instance.web", true},
		{"module.legacy.*", "module.legacy.aws_s3_bucket.b[0]", true},
		{"module.legacy.*", "module.other.aws_s3_bucket.b", false},
		{"arn:aws:s3:::tmp-*", "arn:aws:s3:::tmp-123", true},
		{"arn:aws:s3:::tmp-*", "arn:aws:s3:::prod", false},
		{"*", "", true},
		{"a?c", "abc", true},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
	} {
		require.Equal(t, c.want, globMatch(c.p, c.s), "%s ~ %s", c.p, c.s)
	}
	require.Equal(t, "aws_instance.web", typeName(`module.a["x.y"].aws_instance.web[0]`))
	require.Equal(t, "aws_instance.web", typeName("aws_instance.web"))
}
