# METADATA
# title: S3 bucket without default encryption
# description: >-
#   A bucket has no default server-side encryption rule (the legacy
#   server_side_encryption_configuration block of aws_s3_bucket is empty, or
#   an aws_s3_bucket_server_side_encryption_configuration has no rule with a
#   known algorithm), so objects written without encryption headers are
#   stored unencrypted. Buckets created since January 2023 get SSE-S3 by
#   default; an empty configuration marks an older bucket.
# custom:
#   id: DW-AWS-S3-003
#   severity: medium
#   controls:
#     - SOC2:CC6.1
#     - PCI-DSS-4.0:3.5.1
#   remediation: >-
#     Add an aws_s3_bucket_server_side_encryption_configuration with
#     sse_algorithm = "aws:kms" (or "AES256") for the bucket.
#   input: resource
#   resource_types:
#     - aws_s3_bucket
#     - aws_s3_bucket_server_side_encryption_configuration
package driftwarden.aws.s3_encryption

import data.driftwarden.lib

algorithms := {"AES256", "aws:kms", "aws:kms:dsse"}

# Legacy block: present (a list) but empty. null means unknown.
deny contains msg if {
	input.resource.type == "aws_s3_bucket"
	config := input.resource.attributes.server_side_encryption_configuration
	is_array(config)
	count(config) == 0
	msg := sprintf("%s has no default server-side encryption", [lib.name])
}

deny contains msg if {
	input.resource.type == "aws_s3_bucket_server_side_encryption_configuration"
	not encrypting_rule
	msg := sprintf("%s sets no default encryption algorithm (want one of %s)", [lib.name, concat(", ", sort(algorithms))])
}

encrypting_rule if {
	some rule in input.resource.attributes.rule
	some by_default in rule.apply_server_side_encryption_by_default
	by_default.sse_algorithm in algorithms
}
