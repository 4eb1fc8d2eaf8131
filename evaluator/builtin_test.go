package evaluator

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/policies"
)

// TestBuiltinPoliciesThroughEvaluator runs every built-in policy through
// the Go evaluator (input building, type partitioning, result parsing) with
// an allowed and a denied fixture, as model values.
func TestBuiltinPoliciesThroughEvaluator(t *testing.T) {
	type fixture struct {
		resource *model.Resource
		drift    *model.Drift
		event    *model.Event
		plan     *PlanInput
	}
	r := func(typ string, attrs map[string]any) fixture {
		x := res(typ, "x", attrs, owned)
		return fixture{resource: &x}
	}
	d := func(kind model.DriftKind, typ string) fixture {
		x := res(typ, "x", nil, owned)
		return fixture{drift: &model.Drift{Kind: kind, Resource: x, Diffs: []model.Diff{{Path: "description", Applied: "a", Live: "b"}}}}
	}
	// prod is a drift of a resource in the stack "prod-core" (production in
	// the data below).
	prod := func(kind model.DriftKind, typ string) fixture {
		f := d(kind, typ)
		f.drift.Resource.Stack = "prod-core"
		return f
	}
	e := func(action, principalType, errorCode string, request map[string]any) fixture {
		return fixture{event: &model.Event{
			ID: "ev-1", Time: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), Source: "cloudtrail", Action: action,
			Principal: model.Principal{ID: "arn:aws:sts::111122223333:assumed-role/admin/alice", Type: principalType, Person: "alice"},
			Via:       model.ViaConsole, Account: "111122223333", Region: "eu-west-1", ErrorCode: errorCode, Request: request,
			Resources: []string{"aws/aws_security_group/sg-1"},
		}}
	}
	verdict := func(v string, readOnly bool, errorCode string) fixture {
		f := e("ec2:ModifyInstanceAttribute", "AssumedRole", errorCode, nil)
		f.event.Verdict, f.event.ReadOnly = v, readOnly
		return f
	}
	change := func(address string, actions ...string) ResourceChange {
		typ, name, _ := strings.Cut(address, ".")
		return ResourceChange{Address: address, Type: typ, Name: name, ProviderName: "registry.terraform.io/hashicorp/aws", Mode: "managed", Actions: actions}
	}
	pl := func(branch string, changes ...ResourceChange) fixture {
		return fixture{plan: &PlanInput{Stack: "core", Branch: branch, TrackedBranch: "main", FormatVersion: "1.2", ResourceChanges: changes}}
	}
	deletes := func(n int) []ResourceChange {
		var out []ResourceChange
		for i := range n {
			out = append(out, change(fmt.Sprintf("aws_instance.i%d", i), "delete"))
		}
		return out
	}
	doc := func(stmts ...map[string]any) string {
		b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
		require.NoError(t, err)
		return string(b)
	}
	sgRule := func(protocol string, from, to float64, cidr string) map[string]any {
		return map[string]any{"protocol": protocol, "from_port": from, "to_port": to, "cidr_blocks": []any{cidr}, "ipv6_cidr_blocks": []any{}}
	}
	sqlIP := func(ip map[string]any) map[string]any {
		return map[string]any{"settings": []any{map[string]any{"ip_configuration": []any{ip}}}}
	}
	perms := func(protocol string, from, to float64, cidr string) map[string]any {
		return map[string]any{"groupId": "sg-1", "ipPermissions": map[string]any{"items": []any{map[string]any{
			"ipProtocol": protocol, "fromPort": from, "toPort": to,
			"ipRanges": map[string]any{"items": []any{map[string]any{"cidrIp": cidr}}},
		}}}}
	}
	old := time.Now().AddDate(0, 0, -200).UTC().Format(time.RFC3339)
	recent := time.Now().AddDate(0, 0, -10).UTC().Format(time.RFC3339)
	regional := func(region string) fixture {
		f := r("aws_instance", map[string]any{})
		f.resource.Region = region
		return f
	}

	cases := map[string]struct {
		allow, deny []fixture
		msg         string
	}{
		"DW-AWS-S3-001": {
			allow: []fixture{
				r("aws_s3_bucket", map[string]any{"acl": "private", "grant": []any{}}),
				r("aws_s3_bucket_public_access_block", map[string]any{"block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true}),
			},
			deny: []fixture{
				r("aws_s3_bucket", map[string]any{"acl": "public-read-write"}),
				r("aws_s3_bucket_acl", map[string]any{"acl": "authenticated-read"}),
				r("aws_s3_bucket_public_access_block", map[string]any{"block_public_acls": true, "block_public_policy": true, "ignore_public_acls": false, "restrict_public_buckets": true}),
			},
			msg: `aws_s3_bucket.x has the canned ACL "public-read-write", which opens the bucket to the public`,
		},
		"DW-AWS-S3-002": {
			allow: []fixture{
				r("aws_s3_bucket_policy", map[string]any{"policy": doc(map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject"})}),
				r("aws_s3_bucket_policy", map[string]any{"policy": doc(map[string]any{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Condition": map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": "o-1"}}})}),
				r("aws_s3_bucket", map[string]any{"policy": ""}),
			},
			deny: []fixture{
				r("aws_s3_bucket_policy", map[string]any{"policy": doc(map[string]any{"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": []any{"s3:GetObject"}})}),
				r("aws_s3_bucket", map[string]any{"policy": doc(map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": []any{"*"}}, "Action": "s3:*"})}),
			},
			msg: `aws_s3_bucket_policy.x has a bucket policy allowing s3:GetObject to everyone (statement "Public") without a restricting condition`,
		},
		"DW-AWS-S3-003": {
			allow: []fixture{
				r("aws_s3_bucket", map[string]any{"server_side_encryption_configuration": []any{map[string]any{"rule": []any{map[string]any{"apply_server_side_encryption_by_default": []any{map[string]any{"sse_algorithm": "AES256"}}}}}}}),
				r("aws_s3_bucket_server_side_encryption_configuration", map[string]any{"rule": []any{map[string]any{"apply_server_side_encryption_by_default": []any{map[string]any{"sse_algorithm": "aws:kms"}}}}}),
			},
			deny: []fixture{
				r("aws_s3_bucket", map[string]any{"server_side_encryption_configuration": []any{}}),
				r("aws_s3_bucket_server_side_encryption_configuration", map[string]any{"rule": []any{}}),
			},
			// An empty legacy block is a state read before S3 encrypted every
			// bucket (January 2023); reported at low severity.
			msg: "aws_s3_bucket.x records no default server-side encryption (a state read before S3 began encrypting every bucket with SSE-S3 in January 2023): refresh it, and manage encryption with aws_s3_bucket_server_side_encryption_configuration",
		},
		"DW-AWS-S3-004": {
			allow: []fixture{
				r("aws_s3_bucket", map[string]any{"versioning": []any{map[string]any{"enabled": true}}}),
				r("aws_s3_bucket_versioning", map[string]any{"versioning_configuration": []any{map[string]any{"status": "Enabled"}}}),
			},
			deny: []fixture{
				r("aws_s3_bucket_versioning", map[string]any{"versioning_configuration": []any{map[string]any{"status": "Suspended"}}}),
				r("aws_s3_bucket", map[string]any{"versioning": []any{map[string]any{"enabled": false}}}),
			},
			msg: `aws_s3_bucket_versioning.x has versioning status "Suspended", not Enabled`,
		},
		"DW-AWS-EC2-001": {
			allow: []fixture{
				r("aws_security_group", map[string]any{"ingress": []any{map[string]any{"protocol": "tcp", "from_port": 443.0, "to_port": 443.0, "cidr_blocks": []any{"0.0.0.0/0"}}}}),
				r("aws_vpc_security_group_ingress_rule", map[string]any{"ip_protocol": "tcp", "from_port": 22.0, "to_port": 22.0, "cidr_ipv4": "10.0.0.0/8"}),
			},
			deny: []fixture{
				r("aws_security_group", map[string]any{"ingress": []any{map[string]any{"protocol": "tcp", "from_port": 20.0, "to_port": 25.0, "cidr_blocks": []any{"0.0.0.0/0"}}}}),
				r("aws_security_group_rule", map[string]any{"type": "ingress", "protocol": "-1", "from_port": 0.0, "to_port": 0.0, "ipv6_cidr_blocks": []any{"::/0"}}),
				r("aws_vpc_security_group_ingress_rule", map[string]any{"ip_protocol": "tcp", "from_port": 3389.0, "to_port": 3389.0, "cidr_ipv4": "0.0.0.0/0"}),
			},
			msg: "aws_security_group.x allows SSH (port 22) from 0.0.0.0/0",
		},
		"DW-AWS-EC2-002": {
			allow: []fixture{
				r("aws_security_group", map[string]any{"ingress": []any{sgRule("tcp", 443, 443, "0.0.0.0/0"), sgRule("-1", 0, 0, "10.0.0.0/8")}}),
				r("aws_security_group_rule", map[string]any{"type": "egress", "protocol": "-1", "from_port": 0.0, "to_port": 0.0, "cidr_blocks": []any{"0.0.0.0/0"}}),
			},
			deny: []fixture{
				r("aws_security_group", map[string]any{"ingress": []any{sgRule("-1", 0, 0, "0.0.0.0/0")}}),
				r("aws_vpc_security_group_ingress_rule", map[string]any{"ip_protocol": "tcp", "from_port": 0.0, "to_port": 65535.0, "cidr_ipv6": "::/0"}),
			},
			msg: "aws_security_group.x allows all traffic (every protocol) from 0.0.0.0/0",
		},
		"DW-AWS-EC2-003": {
			allow: []fixture{
				r("aws_security_group", map[string]any{"ingress": []any{sgRule("tcp", 5432, 5432, "10.0.0.0/16")}}),
				r("aws_vpc_security_group_ingress_rule", map[string]any{"ip_protocol": "tcp", "from_port": 443.0, "to_port": 443.0, "cidr_ipv4": "0.0.0.0/0"}),
			},
			deny: []fixture{
				r("aws_security_group", map[string]any{"ingress": []any{sgRule("tcp", 3306, 3306, "0.0.0.0/0")}}),
				r("aws_security_group_rule", map[string]any{"type": "ingress", "protocol": "tcp", "from_port": 27017.0, "to_port": 27017.0, "cidr_blocks": []any{"0.0.0.0/0"}}),
				r("aws_vpc_security_group_ingress_rule", map[string]any{"ip_protocol": "tcp", "from_port": 6379.0, "to_port": 6379.0, "cidr_ipv4": "0.0.0.0/0"}),
			},
			msg: "aws_security_group.x allows database port(s) 3306 from 0.0.0.0/0",
		},
		"DW-AWS-EC2-004": {
			allow: []fixture{
				r("aws_ami", map[string]any{"public": false}),
				r("aws_ami_launch_permission", map[string]any{"image_id": "ami-1", "account_id": "111122223333"}),
			},
			deny: []fixture{
				r("aws_ami_launch_permission", map[string]any{"image_id": "ami-1", "group": "all"}),
				r("aws_ami", map[string]any{"public": true}),
			},
			msg: `aws_ami_launch_permission.x makes image ami-1 public (group "all")`,
		},
		"DW-AWS-EBS-001": {
			allow: []fixture{r("aws_ebs_volume", map[string]any{"encrypted": true}), r("aws_instance", map[string]any{"root_block_device": []any{map[string]any{"encrypted": true}}})},
			deny:  []fixture{r("aws_ebs_volume", map[string]any{"encrypted": false}), r("aws_instance", map[string]any{"root_block_device": []any{map[string]any{"encrypted": false}}})},
			msg:   "aws_ebs_volume.x is not encrypted at rest",
		},
		"DW-AWS-RDS-001": {
			allow: []fixture{r("aws_db_instance", map[string]any{"engine": "mysql", "storage_encrypted": true})},
			deny:  []fixture{r("aws_db_instance", map[string]any{"engine": "mysql", "storage_encrypted": false}), r("aws_rds_cluster", map[string]any{"storage_encrypted": false})},
			msg:   "aws_db_instance.x stores its data unencrypted (storage_encrypted = false)",
		},
		"DW-AWS-RDS-002": {
			allow: []fixture{r("aws_db_instance", map[string]any{"publicly_accessible": false}), r("aws_rds_cluster_instance", map[string]any{"publicly_accessible": false})},
			deny:  []fixture{r("aws_db_instance", map[string]any{"publicly_accessible": true}), r("aws_rds_cluster_instance", map[string]any{"publicly_accessible": true})},
			msg:   "aws_db_instance.x is publicly accessible",
		},
		"DW-AWS-IAM-001": {
			allow: []fixture{
				r("aws_iam_policy", map[string]any{"policy": doc(map[string]any{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})}),
				r("aws_iam_role", map[string]any{"inline_policy": []any{}}),
			},
			deny: []fixture{
				r("aws_iam_policy", map[string]any{"policy": doc(map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"})}),
				r("aws_iam_role_policy", map[string]any{"policy": doc(map[string]any{"Effect": "Allow", "Action": []any{"*:*"}, "Resource": []any{"*"}})}),
				r("aws_iam_user_policy", map[string]any{"policy": doc(map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"})}),
				r("aws_iam_role", map[string]any{"inline_policy": []any{map[string]any{"name": "admin", "policy": doc(map[string]any{"Effect": "Allow", "Action": "*", "Resource": "*"})}}}),
			},
			msg: `aws_iam_policy.x allows Action "*" on Resource "*"`,
		},
		"DW-AWS-IAM-002": {
			allow: []fixture{r("aws_iam_user", map[string]any{"name": "alice"})},
			deny:  []fixture{r("aws_iam_user_login_profile", map[string]any{"user": "alice", "password_reset_required": true})},
			msg:   `aws_iam_user_login_profile.x gives IAM user "alice" a console password`,
		},
		"DW-AWS-IAM-003": {
			allow: []fixture{
				r("aws_iam_access_key", map[string]any{"user": "ci", "status": "Active", "create_date": recent}),
				r("aws_iam_access_key", map[string]any{"user": "ci", "status": "Inactive", "create_date": old}),
			},
			deny: []fixture{r("aws_iam_access_key", map[string]any{"user": "ci", "status": "Active", "create_date": old})},
			msg:  `aws_iam_access_key.x (user "ci") is 200 days old, more than 90`,
		},
		"DW-AWS-KMS-001": {
			allow: []fixture{
				r("aws_kms_key", map[string]any{"enable_key_rotation": true, "key_spec": "SYMMETRIC_DEFAULT", "key_usage": "ENCRYPT_DECRYPT", "is_enabled": true}),
				r("aws_kms_key", map[string]any{"enable_key_rotation": false, "key_spec": "RSA_2048", "key_usage": "SIGN_VERIFY", "is_enabled": true}),
			},
			deny: []fixture{r("aws_kms_key", map[string]any{"enable_key_rotation": false, "key_spec": "SYMMETRIC_DEFAULT", "key_usage": "ENCRYPT_DECRYPT", "is_enabled": true})},
			msg:  "aws_kms_key.x does not rotate its key material (enable_key_rotation = false)",
		},
		"DW-AWS-CT-001": {
			allow: []fixture{r("aws_cloudtrail", map[string]any{"is_multi_region_trail": true, "enable_log_file_validation": false})},
			deny:  []fixture{r("aws_cloudtrail", map[string]any{"is_multi_region_trail": false, "enable_log_file_validation": true})},
			msg:   "aws_cloudtrail.x records only its home region (is_multi_region_trail = false)",
		},
		"DW-AWS-CT-002": {
			allow: []fixture{r("aws_cloudtrail", map[string]any{"is_multi_region_trail": false, "enable_log_file_validation": true})},
			deny:  []fixture{r("aws_cloudtrail", map[string]any{"is_multi_region_trail": true, "enable_log_file_validation": false})},
			msg:   "aws_cloudtrail.x does not validate its log files (enable_log_file_validation = false)",
		},
		"DW-AWS-VPC-001": {
			allow: []fixture{r("aws_vpc", map[string]any{"default": false, "cidr_block": "10.0.0.0/16"})},
			deny:  []fixture{r("aws_vpc", map[string]any{"default": true}), r("aws_default_vpc", map[string]any{}), r("aws_default_subnet", map[string]any{"availability_zone": "eu-west-1a"})},
			msg:   "aws_vpc.x is the default VPC of its region",
		},
		"DW-GCP-GCS-001": {
			allow: []fixture{
				r("google_storage_bucket_iam_member", map[string]any{"bucket": "b/data", "role": "roles/storage.objectViewer", "member": "group:g@example.com"}),
				r("google_storage_bucket_iam_binding", map[string]any{"bucket": "b/data", "role": "roles/storage.objectViewer", "members": []any{"user:a@example.com"}}),
			},
			deny: []fixture{
				r("google_storage_bucket_iam_member", map[string]any{"bucket": "b/data", "role": "roles/storage.objectViewer", "member": "allUsers"}),
				r("google_storage_bucket_iam_binding", map[string]any{"bucket": "b/data", "role": "roles/storage.objectViewer", "members": []any{"allAuthenticatedUsers"}}),
				r("google_storage_bucket_iam_policy", map[string]any{"bucket": "b/data", "policy_data": `{"bindings":[{"role":"roles/storage.objectViewer","members":["allUsers"]}]}`}),
			},
			msg: "google_storage_bucket_iam_member.x grants roles/storage.objectViewer to allUsers on bucket b/data",
		},
		"DW-GCP-GCS-002": {
			allow: []fixture{r("google_storage_bucket", map[string]any{"uniform_bucket_level_access": true, "labels": map[string]any{"owner": "data"}})},
			deny:  []fixture{r("google_storage_bucket", map[string]any{"uniform_bucket_level_access": false})},
			msg:   "google_storage_bucket.x does not enforce uniform bucket-level access",
		},
		"DW-GCP-NET-001": {
			allow: []fixture{
				r("google_compute_firewall", map[string]any{"direction": "INGRESS", "disabled": false, "source_ranges": []any{"0.0.0.0/0"}, "allow": []any{map[string]any{"protocol": "tcp", "ports": []any{"443"}}}}),
				r("google_compute_firewall", map[string]any{"direction": "INGRESS", "disabled": false, "source_ranges": []any{"35.235.240.0/20"}, "allow": []any{map[string]any{"protocol": "tcp", "ports": []any{"22"}}}}),
			},
			deny: []fixture{
				r("google_compute_firewall", map[string]any{"direction": "INGRESS", "disabled": false, "source_ranges": []any{"0.0.0.0/0"}, "allow": []any{map[string]any{"protocol": "tcp", "ports": []any{"22"}}}}),
				r("google_compute_firewall", map[string]any{"direction": "INGRESS", "source_ranges": []any{"0.0.0.0/0"}, "allow": []any{map[string]any{"protocol": "all", "ports": []any{}}}}),
			},
			msg: "google_compute_firewall.x allows SSH (port 22) from 0.0.0.0/0",
		},
		"DW-GCP-IAM-001": {
			allow: []fixture{
				r("google_project_iam_member", map[string]any{"role": "roles/owner", "member": "group:admins@example.com"}),
				r("google_project_iam_binding", map[string]any{"role": "roles/viewer", "members": []any{"user:a@example.com"}}),
			},
			deny: []fixture{
				r("google_project_iam_member", map[string]any{"role": "roles/owner", "member": "user:alice@example.com"}),
				r("google_project_iam_binding", map[string]any{"role": "roles/editor", "members": []any{"user:bob@example.com"}}),
				r("google_project_iam_policy", map[string]any{"policy_data": `{"bindings":[{"role":"roles/owner","members":["user:alice@example.com"]}]}`}),
			},
			msg: "google_project_iam_member.x grants roles/owner to user:alice@example.com",
		},
		"DW-GCP-IAM-002": {
			allow: []fixture{r("google_service_account", map[string]any{"account_id": "ci"})},
			deny:  []fixture{r("google_service_account_key", map[string]any{"service_account_id": "projects/p1/serviceAccounts/ci@p1.iam.gserviceaccount.com", "key_algorithm": "KEY_ALG_RSA_2048"})},
			msg:   "google_service_account_key.x is a user-managed key of projects/p1/serviceAccounts/ci@p1.iam.gserviceaccount.com",
		},
		"DW-GCP-GCE-001": {
			allow: []fixture{r("google_compute_instance", map[string]any{"labels": map[string]any{"owner": "web"}, "service_account": []any{map[string]any{"email": "web@p1.iam.gserviceaccount.com", "scopes": []any{"https://www.googleapis.com/auth/cloud-platform"}}}})},
			deny: []fixture{
				r("google_compute_instance", map[string]any{"service_account": []any{map[string]any{"email": "123-compute@developer.gserviceaccount.com", "scopes": []any{"https://www.googleapis.com/auth/cloud-platform"}}}}),
				r("google_compute_instance_template", map[string]any{"service_account": []any{map[string]any{"email": "123-compute@developer.gserviceaccount.com", "scopes": []any{"cloud-platform"}}}}),
			},
			msg: "google_compute_instance.x runs as the default service account 123-compute@developer.gserviceaccount.com with the cloud-platform scope",
		},
		"DW-GCP-SQL-001": {
			allow: []fixture{r("google_sql_database_instance", sqlIP(map[string]any{"ipv4_enabled": true, "ssl_mode": "ENCRYPTED_ONLY", "authorized_networks": []any{map[string]any{"name": "office", "value": "203.0.113.0/24"}}}))},
			deny:  []fixture{r("google_sql_database_instance", sqlIP(map[string]any{"ipv4_enabled": true, "ssl_mode": "ENCRYPTED_ONLY", "authorized_networks": []any{map[string]any{"name": "all", "value": "0.0.0.0/0"}}}))},
			msg:   `google_sql_database_instance.x accepts connections from 0.0.0.0/0 (authorized network "all")`,
		},
		"DW-GCP-SQL-002": {
			allow: []fixture{
				r("google_sql_database_instance", sqlIP(map[string]any{"ssl_mode": "ENCRYPTED_ONLY", "require_ssl": false})),
				r("google_sql_database_instance", sqlIP(map[string]any{"ssl_mode": "", "require_ssl": true})),
			},
			deny: []fixture{r("google_sql_database_instance", sqlIP(map[string]any{"ssl_mode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED", "require_ssl": false}))},
			msg:  `google_sql_database_instance.x accepts unencrypted connections (ssl_mode "ALLOW_UNENCRYPTED_AND_ENCRYPTED")`,
		},
		"DW-GCP-KMS-001": {
			allow: []fixture{r("google_kms_crypto_key", map[string]any{"purpose": "ENCRYPT_DECRYPT", "rotation_period": "7776000s"})},
			deny:  []fixture{r("google_kms_crypto_key", map[string]any{"purpose": "ENCRYPT_DECRYPT", "rotation_period": ""}), r("google_kms_crypto_key", map[string]any{"purpose": "ENCRYPT_DECRYPT", "rotation_period": "31536000s"})},
			msg:   "google_kms_crypto_key.x has no automatic rotation (rotation_period unset)",
		},
		"DW-GCP-GKE-001": {
			allow: []fixture{r("google_container_cluster", map[string]any{"enable_legacy_abac": false}), r("google_container_cluster", map[string]any{})},
			deny:  []fixture{r("google_container_cluster", map[string]any{"enable_legacy_abac": true})},
			msg:   "google_container_cluster.x has legacy ABAC authorization enabled",
		},
		"DW-GCP-GKE-002": {
			allow: []fixture{
				r("google_container_cluster", map[string]any{"private_cluster_config": []any{}, "master_authorized_networks_config": []any{map[string]any{"cidr_blocks": []any{map[string]any{"cidr_block": "203.0.113.0/24"}}}}}),
				r("google_container_cluster", map[string]any{"private_cluster_config": []any{map[string]any{"enable_private_endpoint": true}}, "master_authorized_networks_config": []any{}}),
				r("google_container_cluster", map[string]any{"master_authorized_networks_config": []any{}}),
			},
			deny: []fixture{
				r("google_container_cluster", map[string]any{"private_cluster_config": []any{}, "master_authorized_networks_config": []any{}}),
				r("google_container_cluster", map[string]any{"private_cluster_config": []any{map[string]any{"enable_private_endpoint": false}}, "master_authorized_networks_config": []any{map[string]any{"cidr_blocks": []any{map[string]any{"cidr_block": "0.0.0.0/0"}}}}}),
			},
			msg: "google_container_cluster.x has a public control plane endpoint and no master authorized networks",
		},
		"DW-GCP-GKE-003": {
			allow: []fixture{r("google_container_cluster", map[string]any{"enable_shielded_nodes": true}), r("google_container_cluster", map[string]any{})},
			deny:  []fixture{r("google_container_cluster", map[string]any{"enable_shielded_nodes": false})},
			msg:   "google_container_cluster.x has Shielded GKE Nodes disabled",
		},
		"DW-GCP-GKE-004": {
			allow: []fixture{r("google_container_cluster", map[string]any{"workload_identity_config": []any{map[string]any{"workload_pool": "p1.svc.id.goog"}}}), r("google_container_cluster", map[string]any{})},
			deny:  []fixture{r("google_container_cluster", map[string]any{"workload_identity_config": []any{}})},
			msg:   "google_container_cluster.x does not enable Workload Identity",
		},
		"DW-GCP-GKE-005": {
			allow: []fixture{r("google_container_cluster", map[string]any{"master_auth": []any{map[string]any{"client_certificate": "", "client_certificate_config": []any{map[string]any{"issue_client_certificate": false}}}}})},
			deny: []fixture{
				r("google_container_cluster", map[string]any{"master_auth": []any{map[string]any{"client_certificate_config": []any{map[string]any{"issue_client_certificate": true}}}}}),
				r("google_container_cluster", map[string]any{"master_auth": []any{map[string]any{"username": "admin", "client_certificate_config": []any{map[string]any{"issue_client_certificate": false}}}}}),
			},
			msg: "google_container_cluster.x issues client certificates",
		},
		"DW-TAG-001": {
			allow: []fixture{
				r("aws_iam_role", map[string]any{"tags": map[string]any{"Owner": "sec"}}),
				r("aws_iam_role_policy_attachment", map[string]any{"role": "x"}),
				r("azurerm_resource_group", map[string]any{"tags": map[string]any{}}),
			},
			deny: []fixture{
				func() fixture {
					f := r("aws_iam_role", map[string]any{"tags": map[string]any{"env": "prod"}})
					f.resource.Tags = map[string]string{"env": "prod"}
					return f
				}(),
				func() fixture {
					f := r("google_storage_bucket", map[string]any{"labels": map[string]any{"owner": ""}})
					f.resource.Tags = nil
					return f
				}(),
			},
			msg: "aws_iam_role.x is missing required tag(s): owner",
		},
		"DW-REGION-001": {
			allow: []fixture{regional("eu-west-1"), regional("")},
			deny:  []fixture{regional("us-east-1")},
			msg:   "aws_instance.x is in region us-east-1, which is not approved (approved: eu-west-1, europe-west1)",
		},
		"DW-DRIFT-001": {
			allow: []fixture{d(model.DriftChanged, "aws_instance"), d(model.DriftUnmanaged, "aws_iam_role")},
			deny:  []fixture{d(model.DriftChanged, "aws_iam_role"), d(model.DriftMissing, "google_compute_firewall"), d(model.DriftChanged, "aws_kms_key")},
			msg:   "aws_iam_role.x (aws_iam_role) was changed outside Terraform: description",
		},
		"DW-DRIFT-002": {
			allow: []fixture{d(model.DriftChanged, "aws_instance"), prod(model.DriftChanged, "aws_security_group"), prod(model.DriftUnmanaged, "aws_instance")},
			deny:  []fixture{prod(model.DriftChanged, "aws_instance"), prod(model.DriftMissing, "aws_lambda_function")},
			msg:   `aws_instance.x in production stack "prod-core" was changed outside Terraform: description`,
		},
		"DW-DRIFT-003": {
			allow: []fixture{d(model.DriftChanged, "aws_instance"), d(model.DriftMissing, "aws_kms_key"), prod(model.DriftMissing, "aws_instance")},
			deny:  []fixture{d(model.DriftMissing, "aws_instance")},
			msg:   `aws_instance.x (aws_instance) is in the state of stack "app" but no longer exists`,
		},
		"DW-EVT-001": {
			allow: []fixture{verdict("pipeline", false, ""), verdict("human", false, "AccessDenied"), verdict("human", true, "")},
			deny:  []fixture{verdict("human", false, ""), verdict("pipeline_outside_apply", false, "")},
			msg:   "alice changed aws/aws_security_group/sg-1 by hand (ec2:ModifyInstanceAttribute via console)",
		},
		"DW-EVT-002": {
			allow: []fixture{e("signin:ConsoleLogin", "IAMUser", "", nil), e("signin:ConsoleLogin", "Root", "Failed authentication", nil)},
			deny:  []fixture{e("signin:ConsoleLogin", "Root", "", nil)},
			msg:   "the root user of account 111122223333 called signin:ConsoleLogin",
		},
		"DW-EVT-003": {
			allow: []fixture{e("cloudtrail:StartLogging", "AssumedRole", "", nil), e("cloudtrail:StopLogging", "AssumedRole", "AccessDenied", nil)},
			deny: []fixture{
				e("cloudtrail:StopLogging", "AssumedRole", "", map[string]any{"name": "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main"}),
				e("cloudtrail:DeleteTrail", "AssumedRole", "", map[string]any{"name": "main"}),
				e("cloudtrail:UpdateTrail", "AssumedRole", "", map[string]any{"name": "main"}),
			},
			msg: "alice stopped logging of trail arn:aws:cloudtrail:eu-west-1:111122223333:trail/main",
		},
		"DW-EVT-004": {
			allow: []fixture{e("logging.googleapis.com:google.logging.v2.ConfigServiceV2.GetBucket", "user", "", nil), e("logging.googleapis.com:google.logging.v2.ConfigServiceV2.DeleteSink", "user", "7", nil)},
			deny: []fixture{
				e("logging.googleapis.com:google.logging.v2.ConfigServiceV2.DeleteSink", "user", "", map[string]any{"sinkName": "projects/p/sinks/audit"}),
				e("logging.googleapis.com:google.logging.v2.ConfigServiceV2.UpdateSink", "user", "", map[string]any{"sinkName": "projects/p/sinks/audit", "sink": map[string]any{"disabled": true}}),
			},
			msg: "alice deleted log sink projects/p/sinks/audit",
		},
		"DW-EVT-005": {
			allow: []fixture{e("cloudresourcemanager.googleapis.com:SetIamPolicy", "user", "", map[string]any{"resource": "projects/p", "policy": map[string]any{"bindings": []any{}}, "updateMask": "bindings,etag"})},
			deny: []fixture{
				e("cloudresourcemanager.googleapis.com:SetIamPolicy", "user", "", map[string]any{"resource": "projects/p", "policy": map[string]any{"bindings": []any{}}, "updateMask": "bindings,etag,auditConfigs"}),
				e("cloudresourcemanager.googleapis.com:SetIamPolicy", "user", "", map[string]any{"resource": "projects/p", "updateMask": "auditConfigs", "policy": map[string]any{"auditConfigs": []any{map[string]any{
					"service": "allServices", "auditLogConfigs": []any{map[string]any{"logType": "DATA_READ", "exemptedMembers": []any{"user:m@example.com"}}},
				}}}}),
			},
			msg: "alice removed every audit log configuration of projects/p",
		},
		"DW-EVT-006": {
			allow: []fixture{e("kms:EnableKey", "IAMUser", "", map[string]any{"keyId": "k"}), e("kms:ScheduleKeyDeletion", "IAMUser", "AccessDeniedException", map[string]any{"keyId": "k"})},
			deny:  []fixture{e("kms:ScheduleKeyDeletion", "IAMUser", "", map[string]any{"keyId": "k", "pendingWindowInDays": 7.0}), e("kms:DisableKey", "IAMUser", "", map[string]any{"keyId": "k"})},
			msg:   "alice scheduled KMS key k for deletion in 7 days",
		},
		"DW-EVT-007": {
			allow: []fixture{
				e("ec2:AuthorizeSecurityGroupIngress", "AssumedRole", "", perms("tcp", 22, 22, "127.0.0.1/32")),
				e("ec2:AuthorizeSecurityGroupIngress", "AssumedRole", "Client.UnauthorizedOperation", perms("tcp", 22, 22, "0.0.0.0/0")),
			},
			deny: []fixture{
				e("ec2:AuthorizeSecurityGroupIngress", "AssumedRole", "", perms("tcp", 22, 22, "0.0.0.0/0")),
				e("ec2:AuthorizeSecurityGroupIngress", "AssumedRole", "", map[string]any{"groupId": "sg-2", "cidrIp": "1.2.3.4/0", "ipProtocol": "tcp", "fromPort": 80.0, "toPort": 80.0, "ipPermissions": map[string]any{}}),
			},
			msg: "alice opened tcp port 22 of security group sg-1 to 0.0.0.0/0",
		},
		"DW-EVT-008": {
			allow: []fixture{e("iam:EnableMFADevice", "IAMUser", "", map[string]any{"userName": "bob"})},
			deny:  []fixture{e("iam:DeactivateMFADevice", "IAMUser", "", map[string]any{"userName": "bob", "serialNumber": "arn:aws:iam::111122223333:mfa/bob"}), e("iam:DeleteVirtualMFADevice", "IAMUser", "", map[string]any{"serialNumber": "arn:aws:iam::111122223333:mfa/bob"})},
			msg:   "alice deactivated MFA device arn:aws:iam::111122223333:mfa/bob of user bob",
		},
		"DW-EVT-009": {
			allow: []fixture{e("iam:CreateAccessKey", "Root", "", map[string]any{"userName": "ci"}), e("iam:CreateAccessKey", "IAMUser", "", nil)},
			deny:  []fixture{e("iam:CreateAccessKey", "Root", "", nil)},
			msg:   "the root user of account 111122223333 created an access key for itself",
		},
		"DW-EVT-010": {
			allow: []fixture{e("ec2:ModifySnapshotAttribute", "AssumedRole", "", map[string]any{"snapshotId": "snap-1", "createVolumePermission": map[string]any{"add": map[string]any{"items": []any{map[string]any{"userId": "222233334444"}}}}})},
			deny: []fixture{
				e("ec2:ModifySnapshotAttribute", "AssumedRole", "", map[string]any{"snapshotId": "snap-1", "createVolumePermission": map[string]any{"add": map[string]any{"items": []any{map[string]any{"group": "all"}}}}}),
				e("ec2:ModifyImageAttribute", "AssumedRole", "", map[string]any{"imageId": "ami-1", "launchPermission": map[string]any{"add": map[string]any{"items": []any{map[string]any{"group": "all"}}}}}),
				e("rds:ModifyDBSnapshotAttribute", "AssumedRole", "", map[string]any{"dBSnapshotIdentifier": "db-snap", "attributeName": "restore", "valuesToAdd": []any{"all"}}),
			},
			msg: "alice made EBS snapshot snap-1 public",
		},
		"DW-PLAN-001": {
			allow: []fixture{pl("feature", deletes(5)...), pl("main", change("aws_instance.a", "update"))},
			deny:  []fixture{pl("feature", append(deletes(5), change("aws_instance.u", "update"))...), pl("main", change("aws_db_instance.main", "delete", "create"))},
			msg:   `plan for stack "core" has blast radius 55, above the threshold 50; largest changes: aws_instance.i0 (delete: 10), aws_instance.i1 (delete: 10), aws_instance.i2 (delete: 10), aws_instance.i3 (delete: 10), aws_instance.i4 (delete: 10)`,
		},
		"DW-PLAN-002": {
			allow: []fixture{pl("feature", deletes(3)...), pl("main", deletes(1)...), pl("main", deletes(6)...)},
			deny:  []fixture{pl("main", deletes(3)...)},
			msg:   `plan for stack "core" on the tracked branch has blast radius 30, above the warning threshold 20; largest changes: aws_instance.i0 (delete: 10), aws_instance.i1 (delete: 10), aws_instance.i2 (delete: 10)`,
		},
		"DW-PLAN-003": {
			allow: []fixture{pl("main", change("aws_db_instance.main", "update"), change("aws_instance.a", "delete"))},
			deny:  []fixture{pl("feature", change("aws_db_instance.main", "delete")), pl("main", change("aws_kms_key.k", "create", "delete"))},
			msg:   `plan for stack "core" deletes protected resource aws_db_instance.main`,
		},
	}

	// Configuration the fixtures rely on: a production stack, approved
	// regions and a multiplier that makes one replaced database exceed the
	// blast-radius threshold.
	ev := newEval(t, Options{Builtin: true, Data: map[string]any{
		"production_stacks": []any{"prod-core"},
		"approved_regions":  []any{"eu-west-1", "europe-west1"},
		"blast_radius":      map[string]any{"multipliers": map[string]any{"aws_db_instance": 5}},
	}})
	for _, p := range ev.Policies() {
		require.Contains(t, cases, p.ID, "every built-in policy needs fixtures here")
	}
	require.GreaterOrEqual(t, len(ev.Policies()), 40, "the built-in library has at least 40 policies")
	eval := func(t *testing.T, f fixture) []model.Violation {
		t.Helper()
		var (
			vs   []model.Violation
			errs []error
		)
		switch {
		case f.resource != nil:
			vs, errs = ev.EvaluateResources(context.Background(), []model.Resource{*f.resource})
		case f.drift != nil:
			vs, errs = ev.EvaluateDrifts(context.Background(), []model.Drift{*f.drift})
		case f.event != nil:
			vs, errs = ev.EvaluateEvents(context.Background(), []model.Event{*f.event})
		default:
			vs, errs = ev.EvaluatePlan(context.Background(), *f.plan)
		}
		require.Empty(t, errs)
		return vs
	}
	for id, tc := range cases {
		t.Run(id, func(t *testing.T) {
			for i, f := range tc.allow {
				require.Empty(t, byPolicy(eval(t, f))[id], "allow fixture %d", i)
			}
			for i, f := range tc.deny {
				got := byPolicy(eval(t, f))[id]
				require.Len(t, got, 1, "deny fixture %d", i)
				v := got[0]
				require.NotEmpty(t, v.Title)
				require.True(t, v.Severity.Valid())
				require.NotEmpty(t, v.Controls)
				require.NotEmpty(t, v.Remediation)
				require.NotEmpty(t, v.Message)
				if i == 0 {
					require.Equal(t, tc.msg, v.Message)
				}
			}
		})
	}
}

// TestBuiltinPoliciesCompileStrict compiles the built-in library and its
// tests in OPA's strict mode (no unused variables or imports, no deprecated
// built-ins) so that `opa check --strict` has nothing to say about it.
func TestBuiltinPoliciesCompileStrict(t *testing.T) {
	src, err := loadSources(true, nil, true)
	require.NoError(t, err)
	modules := map[string]*ast.Module{}
	maps.Copy(modules, src.modules)
	maps.Copy(modules, src.tests)
	c := ast.NewCompiler().WithDefaultRegoVersion(ast.RegoV1).WithStrict(true)
	c.Compile(modules)
	require.False(t, c.Failed(), "%v", c.Errors)
}

// TestBuiltinPoliciesAreFormatted keeps the library in `opa fmt` style.
// Run with DRIFTWARDEN_FMT_WRITE=1 to rewrite the files in place.
func TestBuiltinPoliciesAreFormatted(t *testing.T) {
	err := fs.WalkDir(policies.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".rego" {
			return err
		}
		src, err := fs.ReadFile(policies.FS, p)
		require.NoError(t, err)
		got, err := format.Source(p, src)
		require.NoError(t, err)
		if os.Getenv("DRIFTWARDEN_FMT_WRITE") != "" {
			require.NoError(t, os.WriteFile(filepath.Join("..", "policies", p), got, 0o644))
			return nil
		}
		require.Equal(t, string(got), string(src), "policies/%s is not formatted like opa fmt", p)
		return nil
	})
	require.NoError(t, err)
}
