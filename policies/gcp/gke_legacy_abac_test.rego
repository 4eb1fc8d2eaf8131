package driftwarden.gcp.gke_legacy_abac_test

import data.driftwarden.gcp.gke_legacy_abac as policy

cluster(attrs) := {"kind": "resource", "resource": {
	"id": "projects/p1/locations/us-central1/clusters/main", "type": "google_container_cluster",
	"address": "google_container_cluster.main",
	"attributes": object.union({"name": "main", "location": "us-central1"}, attrs),
}}

test_abac_enabled_denied if {
	policy.deny == {"google_container_cluster.main has legacy ABAC authorization enabled"} with input as cluster({"enable_legacy_abac": true})
}

test_abac_disabled_allowed if {
	count(policy.deny) == 0 with input as cluster({"enable_legacy_abac": false})
}

# A partial live resource that did not observe the setting is no finding.
test_abac_unknown_allowed if {
	count(policy.deny) == 0 with input as cluster({})
	count(policy.deny) == 0 with input as cluster({"enable_legacy_abac": null})
}

test_other_type_ignored if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {
		"id": "np", "type": "google_container_node_pool", "address": "google_container_node_pool.np",
		"attributes": {"enable_legacy_abac": true},
	}}
}

# A resource without an address is named by its id.
test_unmanaged_named_by_id if {
	policy.deny == {"//container.googleapis.com/projects/p1/locations/us-central1/clusters/main has legacy ABAC authorization enabled"} with input as {"kind": "resource", "resource": {
		"id": "//container.googleapis.com/projects/p1/locations/us-central1/clusters/main", "type": "google_container_cluster",
		"address": "", "attributes": {"enable_legacy_abac": true},
	}}
}
