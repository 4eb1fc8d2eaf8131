# METADATA
# title: User-managed service account key
# description: >-
#   A service account has a user-managed key (every google_service_account_key
#   is one). Exported keys are long-lived bearer credentials that leak
#   through files, CI variables and repositories; Google-managed keys are
#   rotated automatically and never leave Google.
# custom:
#   id: DW-GCP-IAM-002
#   severity: medium
#   controls:
#     - CIS-GCP-2.0:1.4
#     - SOC2:CC6.1
#     - PCI-DSS-4.0:8.6.3
#   remediation: >-
#     Delete the key and use attached service accounts, Workload Identity or
#     Workload Identity Federation (e.g. OIDC from CI) instead; enforce the
#     iam.disableServiceAccountKeyCreation organisation policy.
#   input: resource
#   resource_types:
#     - google_service_account_key
package driftwarden.gcp.sa_user_managed_key

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "google_service_account_key"
	object.get(input.resource.attributes, "key_type", "USER_MANAGED") != "SYSTEM_MANAGED"
	msg := sprintf("%s is a user-managed key of %s", [lib.name, object.get(input.resource.attributes, "service_account_id", "a service account")])
}
