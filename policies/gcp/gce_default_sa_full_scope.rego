# METADATA
# title: Instance uses the default service account with full API access
# description: >-
#   A Compute Engine instance or instance template runs as the default
#   compute service account (PROJECT_NUMBER-compute@developer.gserviceaccount.com,
#   which has the Editor role by default) with the cloud-platform scope, so
#   anything running on the VM can use every API the project allows.
# custom:
#   id: DW-GCP-GCE-001
#   severity: high
#   controls:
#     - CIS-GCP-2.0:4.1
#     - CIS-GCP-2.0:4.2
#     - SOC2:CC6.3
#     - PCI-DSS-4.0:7.2.5
#   remediation: >-
#     Create a dedicated service account with only the roles the workload
#     needs and attach it to the instance (service_account { email = ...,
#     scopes = ["cloud-platform"] } is fine for a least-privilege account).
#   input: resource
#   resource_types:
#     - google_compute_instance
#     - google_compute_instance_template
#     - google_compute_region_instance_template
#     - google_compute_instance_from_template
package driftwarden.gcp.gce_default_sa_full_scope

import data.driftwarden.lib

full_scopes := {"cloud-platform", "https://www.googleapis.com/auth/cloud-platform"}

instance_types := {
	"google_compute_instance",
	"google_compute_instance_template",
	"google_compute_region_instance_template",
	"google_compute_instance_from_template",
}

deny contains msg if {
	input.resource.type in instance_types
	some msg in messages
}

messages contains msg if {
	some sa in input.resource.attributes.service_account
	email := sa.email
	endswith(email, "-compute@developer.gserviceaccount.com")
	some scope in sa.scopes
	scope in full_scopes
	msg := sprintf("%s runs as the default service account %s with the cloud-platform scope", [lib.name, email])
}
