# METADATA
# title: GKE cluster with legacy ABAC authorization
# description: >-
#   A GKE cluster has legacy attribute-based access control enabled
#   (enable_legacy_abac = true). ABAC grants broad, static permissions that
#   bypass Kubernetes RBAC, so RoleBindings no longer limit what users and
#   service accounts can do.
# custom:
#   id: DW-GCP-GKE-001
#   severity: high
#   controls:
#     - CIS-GKE-1.7:5.8.3
#     - SOC2:CC6.1
#     - SOC2:CC6.3
#     - PCI-DSS-4.0:7.2.1
#   remediation: >-
#     Grant the access workloads and users need with RBAC Roles and
#     RoleBindings, then set enable_legacy_abac = false on the
#     google_container_cluster (or gcloud container clusters update CLUSTER
#     --no-enable-legacy-authorization).
#   input: resource
#   resource_types:
#     - google_container_cluster
package driftwarden.gcp.gke_legacy_abac

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "google_container_cluster"
	input.resource.attributes.enable_legacy_abac == true
	msg := sprintf("%s has legacy ABAC authorization enabled", [lib.name])
}
