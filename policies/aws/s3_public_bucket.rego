# METADATA
# title: S3 bucket open to the public
# description: >-
#   An S3 bucket grants access to everyone (AllUsers) or to every AWS account
#   (AuthenticatedUsers) through a canned ACL or an ACL grant, or its public
#   access block (or the account-wide aws_s3_account_public_access_block)
#   leaves one of the four protections off. A bucket-level finding (ACL,
#   grant, bucket public access block) is not reported when the same
#   account's aws_s3_account_public_access_block, seen in the same cycle, has
#   all four protections on: the account block overrides the bucket's.
# custom:
#   id: DW-AWS-S3-001
#   severity: high
#   controls:
#     - CIS-AWS-2.0:2.1.4
#     - SOC2:CC6.1
#     - PCI-DSS-4.0:1.4.1
#   remediation: >-
#     Set the bucket ACL to private (or disable ACLs with object ownership
#     BucketOwnerEnforced), remove AllUsers/AuthenticatedUsers grants, and set
#     block_public_acls, block_public_policy, ignore_public_acls and
#     restrict_public_buckets to true in aws_s3_bucket_public_access_block.
#   input: resource
#   resource_types:
#     - aws_s3_bucket
#     - aws_s3_bucket_acl
#     - aws_s3_bucket_public_access_block
#     - aws_s3_account_public_access_block
#   inventory_types:
#     - aws_s3_account_public_access_block
package driftwarden.aws.s3_public_bucket

import data.driftwarden.lib

public_acls := {"public-read", "public-read-write", "authenticated-read"}

public_groups := {
	"http://acs.amazonaws.com/groups/global/AllUsers",
	"http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
}

block_flags := ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]

# Bucket-level findings are reported unless the account-wide block has all
# four protections on (then no ACL or policy can make a bucket public).
deny contains msg if {
	some msg in bucket_findings
	not account_blocked
}

# account_blocked: an aws_s3_account_public_access_block of the resource's
# account (its account, or its account_id attribute) in this cycle's
# inventory has all four flags true.
account_blocked if {
	account := input.resource.account
	is_string(account)
	account != ""
	some block in lib.inventory("aws_s3_account_public_access_block")
	account in {block.account, object.get(block.attributes, "account_id", "")}
	every flag in block_flags {
		block.attributes[flag] == true
	}
}

# Canned ACL on the bucket itself (AWS provider < 4).
bucket_findings contains msg if {
	input.resource.type == "aws_s3_bucket"
	some msg in public_acl_messages
}

# Canned ACL on aws_s3_bucket_acl (AWS provider >= 4).
bucket_findings contains msg if {
	input.resource.type == "aws_s3_bucket_acl"
	some msg in public_acl_messages
}

public_acl_messages contains msg if {
	acl := input.resource.attributes.acl
	acl in public_acls
	msg := sprintf("%s has the canned ACL %q, which opens the bucket to the public", [lib.name, acl])
}

# Legacy inline grant blocks on aws_s3_bucket.
bucket_findings contains msg if {
	input.resource.type == "aws_s3_bucket"
	some grant in input.resource.attributes.grant
	grant.uri in public_groups
	msg := sprintf("%s grants %v to %s", [lib.name, object.get(grant, "permissions", []), grant.uri])
}

# access_control_policy grants on aws_s3_bucket_acl.
bucket_findings contains msg if {
	input.resource.type == "aws_s3_bucket_acl"
	some policy in input.resource.attributes.access_control_policy
	some grant in policy.grant
	some grantee in grant.grantee
	grantee.uri in public_groups
	msg := sprintf("%s grants %v to %s", [lib.name, object.get(grant, "permission", "access"), grantee.uri])
}

bucket_findings contains msg if {
	input.resource.type == "aws_s3_bucket_public_access_block"
	some msg in block_messages
}

# The account-wide block: with a protection off there, every bucket relies
# on its own block alone.
deny contains msg if {
	input.resource.type == "aws_s3_account_public_access_block"
	some msg in block_messages
}

block_messages contains msg if {
	off := [flag | some flag in block_flags; input.resource.attributes[flag] == false]
	count(off) > 0
	msg := sprintf("%s leaves public access protections off: %s", [lib.name, concat(", ", off)])
}
