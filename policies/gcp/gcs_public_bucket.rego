# METADATA
# title: Cloud Storage bucket open to the public
# description: >-
#   A bucket IAM member, binding or policy grants a role to allUsers (anyone
#   on the internet) or allAuthenticatedUsers (anyone with a Google account).
# custom:
#   id: DW-GCP-GCS-001
#   severity: high
#   controls:
#     - CIS-GCP-2.0:5.1
#     - SOC2:CC6.1
#     - PCI-DSS-4.0:1.4.1
#   remediation: >-
#     Remove the allUsers/allAuthenticatedUsers grant, grant access to the
#     groups or service accounts that need it, and set
#     public_access_prevention = "enforced" on the bucket.
#   input: resource
#   resource_types:
#     - google_storage_bucket_iam_member
#     - google_storage_bucket_iam_binding
#     - google_storage_bucket_iam_policy
package driftwarden.gcp.gcs_public_bucket

import data.driftwarden.lib

public_members := {"allUsers", "allAuthenticatedUsers"}

deny contains msg if {
	input.resource.type == "google_storage_bucket_iam_member"
	member := input.resource.attributes.member
	member in public_members
	msg := sprintf("%s grants %s to %s on bucket %s", [lib.name, input.resource.attributes.role, member, bucket])
}

deny contains msg if {
	input.resource.type == "google_storage_bucket_iam_binding"
	some member in input.resource.attributes.members
	member in public_members
	msg := sprintf("%s grants %s to %s on bucket %s", [lib.name, input.resource.attributes.role, member, bucket])
}

deny contains msg if {
	input.resource.type == "google_storage_bucket_iam_policy"
	doc := input.resource.attributes.policy_data
	is_string(doc)
	json.is_valid(doc)
	some binding in object.get(json.unmarshal(doc), "bindings", [])
	some member in binding.members
	member in public_members
	msg := sprintf("%s grants %s to %s on bucket %s", [lib.name, binding.role, member, bucket])
}

bucket := object.get(input.resource.attributes, "bucket", "")
