package driftwarden.aws.s3_public_bucket_test

import data.driftwarden.aws.s3_public_bucket as policy

bucket(attrs) := {"kind": "resource", "resource": {
	"id": "arn:aws:s3:::logs",
	"type": "aws_s3_bucket",
	"address": "aws_s3_bucket.logs",
	"attributes": attrs,
}}

test_private_bucket_allowed if {
	count(policy.deny) == 0 with input as bucket({"acl": "private", "bucket": "logs"})
}

test_bucket_without_acl_allowed if {
	count(policy.deny) == 0 with input as bucket({"bucket": "logs"})
}

test_public_read_acl_denied if {
	some msg in policy.deny with input as bucket({"acl": "public-read"})
	contains(msg, "public-read")
	contains(msg, "aws_s3_bucket.logs")
}

test_authenticated_read_acl_denied if {
	count(policy.deny) == 1 with input as bucket({"acl": "authenticated-read"})
}

test_all_users_grant_denied if {
	count(policy.deny) == 1 with input as bucket({"grant": [
		{"type": "CanonicalUser", "id": "abc", "permissions": ["FULL_CONTROL"]},
		{"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers", "permissions": ["READ"]},
	]})
}

test_bucket_acl_resource_public_denied if {
	count(policy.deny) == 1 with input as {"kind": "resource", "resource": {
		"id": "logs,private",
		"type": "aws_s3_bucket_acl",
		"attributes": {"acl": "public-read-write"},
	}}
}

test_bucket_acl_grantee_denied if {
	count(policy.deny) == 1 with input as {"kind": "resource", "resource": {
		"id": "logs",
		"type": "aws_s3_bucket_acl",
		"attributes": {"access_control_policy": [{"grant": [{
			"permission": "READ",
			"grantee": [{"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}],
		}]}]},
	}}
}

test_public_access_block_all_on_allowed if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {
		"id": "logs",
		"type": "aws_s3_bucket_public_access_block",
		"attributes": {
			"block_public_acls": true,
			"block_public_policy": true,
			"ignore_public_acls": true,
			"restrict_public_buckets": true,
		},
	}}
}

test_public_access_block_flag_off_denied if {
	some msg in policy.deny with input as {"kind": "resource", "resource": {
		"id": "logs",
		"type": "aws_s3_bucket_public_access_block",
		"attributes": {
			"block_public_acls": true,
			"block_public_policy": false,
			"ignore_public_acls": true,
			"restrict_public_buckets": false,
		},
	}}
	contains(msg, "block_public_policy, restrict_public_buckets")
}

account_block(attrs) := {"kind": "resource", "resource": {
	"id": "111122223333", "type": "aws_s3_account_public_access_block",
	"address": "aws_s3_account_public_access_block.this", "attributes": attrs,
}}

test_account_block_all_on_allowed if {
	count(policy.deny) == 0 with input as account_block({
		"account_id": "111122223333", "block_public_acls": true, "block_public_policy": true,
		"ignore_public_acls": true, "restrict_public_buckets": true,
	})
}

test_account_block_flag_off_denied if {
	policy.deny == {"aws_s3_account_public_access_block.this leaves public access protections off: ignore_public_acls, restrict_public_buckets"} with input as account_block({
		"account_id": "111122223333", "block_public_acls": true, "block_public_policy": true,
		"ignore_public_acls": false, "restrict_public_buckets": false,
	})
}
