package driftwarden.gcp.gke_shielded_nodes_test

import data.driftwarden.gcp.gke_shielded_nodes as policy

cluster(attrs) := {"kind": "resource", "resource": {
	"id": "projects/p1/locations/us-central1/clusters/main", "type": "google_container_cluster",
	"address": "google_container_cluster.main",
	"attributes": object.union({"name": "main", "location": "us-central1"}, attrs),
}}

test_disabled_denied if {
	policy.deny == {"google_container_cluster.main has Shielded GKE Nodes disabled"} with input as cluster({"enable_shielded_nodes": false})
	policy.deny == {"google_container_cluster.main has Shielded GKE Nodes disabled"} with input as cluster({"enable_shielded_nodes": false, "enable_autopilot": false})
}

test_enabled_allowed if {
	count(policy.deny) == 0 with input as cluster({"enable_shielded_nodes": true})
}

# Provider 3.x states have no enable_shielded_nodes; partial live resources
# may not observe it. Unknown is no finding.
test_unknown_allowed if {
	count(policy.deny) == 0 with input as cluster({})
	count(policy.deny) == 0 with input as cluster({"enable_shielded_nodes": null})
}

# Autopilot nodes are always shielded.
test_autopilot_allowed if {
	count(policy.deny) == 0 with input as cluster({"enable_shielded_nodes": false, "enable_autopilot": true})
}
