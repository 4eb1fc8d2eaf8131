# METADATA
# title: GKE cluster without Workload Identity
# description: >-
#   A GKE Standard cluster has no workload_identity_config (or an empty
#   workload pool), so pods reach Google APIs as the node's service account
#   and can read the node's metadata and credentials: every workload gets
#   the permissions of every other workload on the node.
# custom:
#   id: DW-GCP-GKE-004
#   severity: medium
#   controls:
#     - CIS-GKE-1.7:5.2.2
#     - SOC2:CC6.1
#     - SOC2:CC6.3
#     - PCI-DSS-4.0:7.2.5
#   remediation: >-
#     Add workload_identity_config { workload_pool = "PROJECT_ID.svc.id.goog" }
#     to the google_container_cluster, set workload_metadata_config { mode =
#     "GKE_METADATA" } on its node pools, and bind each Kubernetes service
#     account to a dedicated Google service account.
#   input: resource
#   resource_types:
#     - google_container_cluster
package driftwarden.gcp.gke_workload_identity

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "google_container_cluster"
	attrs := input.resource.attributes
	not attrs.enable_autopilot == true
	disabled(attrs.workload_identity_config)
	msg := sprintf("%s does not enable Workload Identity", [lib.name])
}

# disabled is true when the block is known to be absent (an empty list in
# Terraform state) or every block names no pool. An attribute that is not
# there at all is unknown, and no finding.
disabled(config) if {
	is_array(config)
	count(config) == 0
}

disabled(config) if {
	is_array(config)
	count(config) > 0
	every block in config {
		no_pool(block)
	}
}

# no_pool is true for a block whose pool attribute was read and is empty:
# workload_pool (provider 4.0+) or identity_namespace (provider 3.x).
no_pool(block) if {
	is_object(block)
	pools := [p | some key in ["workload_pool", "identity_namespace"]; p := block[key]]
	count(pools) > 0
	every p in pools {
		p in {"", null}
	}
}
