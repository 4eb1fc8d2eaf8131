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

# The account-wide block, as the cycle's inventory lists it.
inventory_block(account, flags) := {"aws_s3_account_public_access_block": [{
	"id": sprintf("%s/s3-account-block", [account]), "type": "aws_s3_account_public_access_block",
	"account": account, "region": "", "address": "aws_s3_account_public_access_block.this", "stack": "org",
	"attributes": object.union({"account_id": account}, flags),
}]}

all_on := {"block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true}

public_bucket_in(account) := {"kind": "resource", "resource": {
	"id": "arn:aws:s3:::logs", "type": "aws_s3_bucket", "address": "aws_s3_bucket.logs",
	"account": account, "attributes": {"acl": "public-read"},
}}

test_account_block_all_on_suppresses_bucket_finding if {
	count(policy.deny) == 0 with input as public_bucket_in("111122223333")
		with data.driftwarden.inventory as inventory_block("111122223333", all_on)
}

test_account_block_matched_by_account_id_attribute if {
	inv := {"aws_s3_account_public_access_block": [{
		"id": "x", "type": "aws_s3_account_public_access_block", "account": "",
		"attributes": object.union(all_on, {"account_id": "111122223333"}),
	}]}
	count(policy.deny) == 0 with input as public_bucket_in("111122223333")
		with data.driftwarden.inventory as inv
}

test_account_block_suppresses_bucket_acl_and_bucket_block if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {
		"id": "logs", "type": "aws_s3_bucket_public_access_block", "account": "111122223333",
		"attributes": {"block_public_acls": false, "block_public_policy": false, "ignore_public_acls": true, "restrict_public_buckets": true},
	}}
		with data.driftwarden.inventory as inventory_block("111122223333", all_on)
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {
		"id": "logs,public-read", "type": "aws_s3_bucket_acl", "account": "111122223333",
		"attributes": {"acl": "public-read"},
	}}
		with data.driftwarden.inventory as inventory_block("111122223333", all_on)
}

test_account_block_with_a_flag_off_does_not_suppress if {
	count(policy.deny) == 1 with input as public_bucket_in("111122223333")
		with data.driftwarden.inventory as inventory_block("111122223333", object.union(all_on, {"restrict_public_buckets": false}))
}

test_account_block_of_another_account_does_not_suppress if {
	count(policy.deny) == 1 with input as public_bucket_in("111122223333")
		with data.driftwarden.inventory as inventory_block("444455556666", all_on)
}

test_bucket_without_account_not_suppressed if {
	count(policy.deny) == 1 with input as public_bucket_in("")
		with data.driftwarden.inventory as inventory_block("", all_on)
}

test_empty_inventory_does_not_suppress if {
	count(policy.deny) == 1 with input as public_bucket_in("111122223333")
		with data.driftwarden.inventory as {}
	count(policy.deny) == 1 with input as public_bucket_in("111122223333")
}

test_account_block_never_suppresses_its_own_finding if {
	count(policy.deny) == 1 with input as {"kind": "resource", "resource": {
		"id": "111122223333", "type": "aws_s3_account_public_access_block", "account": "111122223333",
		"address": "aws_s3_account_public_access_block.this",
		"attributes": object.union(all_on, {"ignore_public_acls": false}),
	}}
		with data.driftwarden.inventory as inventory_block("111122223333", all_on)
}
