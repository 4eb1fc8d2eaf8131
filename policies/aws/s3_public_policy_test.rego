package driftwarden.aws.s3_public_policy_test

import data.driftwarden.aws.s3_public_policy as policy

bucket_policy(doc) := {"kind": "resource", "resource": {
	"id": "logs",
	"type": "aws_s3_bucket_policy",
	"address": "aws_s3_bucket_policy.logs",
	"attributes": {"bucket": "logs", "policy": json.marshal(doc)},
}}

stmt(principal, condition) := {
	"Sid": "Read",
	"Effect": "Allow",
	"Principal": principal,
	"Action": "s3:GetObject",
	"Resource": "arn:aws:s3:::logs/*",
	"Condition": condition,
}

test_account_principal_allowed if {
	count(policy.deny) == 0 with input as bucket_policy({"Version": "2012-10-17", "Statement": [stmt({"AWS": "arn:aws:iam::111122223333:root"}, {})]})
}

test_public_principal_denied if {
	policy.deny == {`aws_s3_bucket_policy.logs has a bucket policy allowing s3:GetObject to everyone (statement "Read") without a restricting condition`} with input as bucket_policy({"Statement": [stmt("*", {})]})
}

test_public_aws_list_principal_denied if {
	count(policy.deny) == 1 with input as bucket_policy({"Statement": stmt({"AWS": ["*"]}, {"Bool": {"aws:SecureTransport": "true"}})})
}

test_org_condition_allowed if {
	count(policy.deny) == 0 with input as bucket_policy({"Statement": [stmt("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}})]})
}

test_vpce_condition_allowed if {
	count(policy.deny) == 0 with input as bucket_policy({"Statement": [stmt({"AWS": "*"}, {"StringEquals": {"aws:sourceVpce": "vpce-1"}})]})
}

test_world_source_ip_denied if {
	count(policy.deny) == 1 with input as bucket_policy({"Statement": [stmt("*", {"IpAddress": {"aws:SourceIp": ["0.0.0.0/0"]}})]})
}

test_deny_statement_allowed if {
	count(policy.deny) == 0 with input as bucket_policy({"Statement": [{
		"Effect": "Deny", "Principal": "*", "Action": "s3:*",
		"Condition": {"Bool": {"aws:SecureTransport": "false"}},
	}]})
}

test_invalid_or_redacted_policy_allowed if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {"id": "logs", "type": "aws_s3_bucket_policy", "attributes": {"policy": "(sensitive)"}}}
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {"id": "logs", "type": "aws_s3_bucket", "attributes": {"policy": ""}}}
}

test_inline_bucket_policy_denied if {
	count(policy.deny) == 1 with input as {"kind": "resource", "resource": {
		"id": "logs", "type": "aws_s3_bucket",
		"attributes": {"policy": json.marshal({"Statement": [stmt("*", null)]})},
	}}
}

# Negated operators admit everyone but the named endpoint or organisation.
test_negated_condition_denied if {
	count(policy.deny) == 1 with input as bucket_policy({"Statement": [stmt("*", {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}})]})
	count(policy.deny) == 1 with input as bucket_policy({"Statement": [stmt("*", {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}})]})
}

# ...IfExists passes when the key is absent, as it is for an anonymous caller.
test_if_exists_condition_denied if {
	count(policy.deny) == 1 with input as bucket_policy({"Statement": [stmt("*", {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}})]})
}

test_null_and_for_all_values_conditions_denied if {
	count(policy.deny) == 1 with input as bucket_policy({"Statement": [stmt("*", {"Null": {"aws:SourceVpce": "false"}})]})
	count(policy.deny) == 1 with input as bucket_policy({"Statement": [stmt("*", {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": ["o-abc"]}})]})
}

test_wildcard_condition_value_denied if {
	count(policy.deny) == 1 with input as bucket_policy({"Statement": [stmt("*", {"StringLike": {"aws:PrincipalOrgID": "*"}})]})
}

test_source_arn_like_allowed if {
	count(policy.deny) == 0 with input as bucket_policy({"Statement": [stmt({"Service": "logging.s3.amazonaws.com", "AWS": "*"}, {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::source-*"}})]})
	count(policy.deny) == 0 with input as bucket_policy({"Statement": [stmt("*", {"ForAnyValue:StringEquals": {"aws:PrincipalOrgID": ["o-abc"]}})]})
}

test_not_principal_allow_denied if {
	count(policy.deny) == 1 with input as bucket_policy({"Statement": [{
		"Sid": "AllButAudit", "Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/audit"},
		"Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/*",
	}]})
}
