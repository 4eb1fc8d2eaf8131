package driftwarden.aws.s3_versioning_test

import data.driftwarden.aws.s3_versioning as policy

bucket(enabled) := {"kind": "resource", "resource": {
	"id": "arn:aws:s3:::logs", "type": "aws_s3_bucket", "address": "aws_s3_bucket.logs",
	"attributes": {"versioning": [{"enabled": enabled, "mfa_delete": false}]},
}}

versioning(status) := {"kind": "resource", "resource": {
	"id": "logs", "type": "aws_s3_bucket_versioning", "address": "aws_s3_bucket_versioning.logs",
	"attributes": {"bucket": "logs", "versioning_configuration": [{"status": status, "mfa_delete": ""}]},
}}

test_legacy_enabled_allowed if {
	count(policy.deny) == 0 with input as bucket(true)
}

test_legacy_disabled_denied if {
	policy.deny == {"aws_s3_bucket.logs does not have versioning enabled"} with input as bucket(false)
}

test_no_versioning_block_allowed if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {"id": "x", "type": "aws_s3_bucket", "attributes": {}}}
}

test_enabled_allowed if {
	count(policy.deny) == 0 with input as versioning("Enabled")
}

test_suspended_denied if {
	policy.deny == {`aws_s3_bucket_versioning.logs has versioning status "Suspended", not Enabled`} with input as versioning("Suspended")
}

test_disabled_denied if {
	count(policy.deny) == 1 with input as versioning("Disabled")
}
