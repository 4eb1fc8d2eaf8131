# METADATA
# title: Cloud Storage bucket without uniform bucket-level access
# description: >-
#   A bucket has uniform_bucket_level_access = false, so object ACLs can
#   grant access that the bucket's IAM policy does not show, and access is
#   hard to review.
# custom:
#   id: DW-GCP-GCS-002
#   severity: medium
#   controls:
#     - CIS-GCP-2.0:5.2
#     - SOC2:CC6.1
#   remediation: >-
#     Move any object ACL grants to bucket IAM and set
#     uniform_bucket_level_access = true on the google_storage_bucket.
#   input: resource
#   resource_types:
#     - google_storage_bucket
package driftwarden.gcp.gcs_uniform_access

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "google_storage_bucket"
	input.resource.attributes.uniform_bucket_level_access == false
	msg := sprintf("%s does not enforce uniform bucket-level access", [lib.name])
}
