package driftwarden.aws.s3_encryption_test

import data.driftwarden.aws.s3_encryption as policy

bucket(sse) := {"kind": "resource", "resource": {
	"id": "arn:aws:s3:::logs", "type": "aws_s3_bucket", "address": "aws_s3_bucket.logs",
	"attributes": {"bucket": "logs", "server_side_encryption_configuration": sse},
}}

sse_config(rules) := {"kind": "resource", "resource": {
	"id": "logs", "type": "aws_s3_bucket_server_side_encryption_configuration",
	"address": "aws_s3_bucket_server_side_encryption_configuration.logs",
	"attributes": {"bucket": "logs", "rule": rules},
}}

test_legacy_encrypted_allowed if {
	count(policy.deny) == 0 with input as bucket([{"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}]}])
}

test_legacy_unknown_allowed if {
	count(policy.deny) == 0 with input as bucket(null)
}

# An empty legacy block is a state read before S3 encrypted every bucket
# (January 2023): reported, at low severity.
test_legacy_empty_denied if {
	some result in policy.deny with input as bucket([])
	result.severity == "low"
	startswith(result.msg, "aws_s3_bucket.logs records no default server-side encryption")
	count(policy.deny) == 1 with input as bucket([])
}

# What provider 4.x+ records for a bucket since 2023: SSE-S3.
test_legacy_default_sse_s3_allowed if {
	count(policy.deny) == 0 with input as bucket([{"rule": [{"bucket_key_enabled": false, "apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256", "kms_master_key_id": ""}]}]}])
}

test_config_kms_allowed if {
	count(policy.deny) == 0 with input as sse_config([{"bucket_key_enabled": true, "apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms", "kms_master_key_id": "k"}]}])
}

test_config_without_default_denied if {
	count(policy.deny) == 1 with input as sse_config([{"bucket_key_enabled": true, "apply_server_side_encryption_by_default": []}])
}

test_config_unknown_algorithm_denied if {
	count(policy.deny) == 1 with input as sse_config([{"apply_server_side_encryption_by_default": [{"sse_algorithm": "none"}]}])
}
