# METADATA
# title: S3 bucket without default encryption
# description: >-
#   A bucket records no default server-side encryption: an
#   aws_s3_bucket_server_side_encryption_configuration without a rule of a
#   known algorithm (AES256, aws:kms, aws:kms:dsse), or an empty legacy
#   server_side_encryption_configuration block on aws_s3_bucket. Since 5
#   January 2023 S3 applies SSE-S3 to every bucket, new and existing, and
#   the provider reads it back, so an empty legacy block means the state was
#   last refreshed before then (or the bucket was read without it): it is
#   reported at low severity, asking for a refresh and a deliberate choice.
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

# Legacy block: present (a list) but empty. null means unknown. S3 encrypts
# every bucket with SSE-S3 since January 2023, so this is a stale record
# rather than unencrypted storage: low severity.
deny contains result if {
	input.resource.type == "aws_s3_bucket"
	config := input.resource.attributes.server_side_encryption_configuration
	is_array(config)
	count(config) == 0
	result := {
		"msg": sprintf("%s records no default server-side encryption (a state read before S3 began encrypting every bucket with SSE-S3 in January 2023): refresh it, and manage encryption with aws_s3_bucket_server_side_encryption_configuration", [lib.name]),
		"severity": "low",
	}
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
