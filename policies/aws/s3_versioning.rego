# METADATA
# title: S3 bucket versioning not enabled
# description: >-
#   Versioning is off or suspended on a bucket (aws_s3_bucket_versioning
#   status other than Enabled, or the legacy versioning block of
#   aws_s3_bucket with enabled = false), so overwritten or deleted objects
#   cannot be recovered and MFA delete cannot be turned on.
# custom:
#   id: DW-AWS-S3-004
#   severity: low
#   controls:
#     - SOC2:A1.2
#     - SOC2:CC6.1
#   remediation: >-
#     Add aws_s3_bucket_versioning with versioning_configuration { status =
#     "Enabled" } and a lifecycle rule expiring noncurrent versions.
#   input: resource
#   resource_types:
#     - aws_s3_bucket
#     - aws_s3_bucket_versioning
package driftwarden.aws.s3_versioning

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "aws_s3_bucket"
	some v in input.resource.attributes.versioning
	v.enabled == false
	msg := sprintf("%s does not have versioning enabled", [lib.name])
}

deny contains msg if {
	input.resource.type == "aws_s3_bucket_versioning"
	some v in input.resource.attributes.versioning_configuration
	status := v.status
	status != "Enabled"
	msg := sprintf("%s has versioning status %q, not Enabled", [lib.name, status])
}
