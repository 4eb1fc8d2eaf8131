# METADATA
# title: GKE cluster with Shielded GKE Nodes disabled
# description: >-
#   A GKE cluster has enable_shielded_nodes = false, so its nodes do not get
#   verifiable boot integrity (Secure Boot, vTPM, integrity monitoring) and
#   the control plane cannot verify a node's identity before it joins: a
#   node credential stolen from a pod can be used to impersonate a node.
#   Shielded nodes are the default since GKE 1.18 and Google provider 4.0.
# custom:
#   id: DW-GCP-GKE-003
#   severity: medium
#   controls:
#     - CIS-GKE-1.7:5.5.5
#     - SOC2:CC6.1
#     - SOC2:CC6.8
#   remediation: >-
#     Set enable_shielded_nodes = true on the google_container_cluster (or
#     remove the argument: it defaults to true). Nodes are recreated, so plan
#     a maintenance window.
#   input: resource
#   resource_types:
#     - google_container_cluster
package driftwarden.gcp.gke_shielded_nodes

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "google_container_cluster"
	attrs := input.resource.attributes
	attrs.enable_shielded_nodes == false
	not attrs.enable_autopilot == true
	msg := sprintf("%s has Shielded GKE Nodes disabled", [lib.name])
}
