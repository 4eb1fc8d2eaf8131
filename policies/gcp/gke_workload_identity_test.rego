package driftwarden.gcp.gke_workload_identity_test

import data.driftwarden.gcp.gke_workload_identity as policy

cluster(attrs) := {"kind": "resource", "resource": {
	"id": "projects/p1/locations/us-central1/clusters/main", "type": "google_container_cluster",
	"address": "google_container_cluster.main",
	"attributes": object.union({"name": "main", "location": "us-central1"}, attrs),
}}

want := {"google_container_cluster.main does not enable Workload Identity"}

# Terraform state writes an unset block as an empty list.
test_no_block_denied if {
	policy.deny == want with input as cluster({"workload_identity_config": []})
}

test_empty_pool_denied if {
	policy.deny == want with input as cluster({"workload_identity_config": [{"workload_pool": ""}]})
	policy.deny == want with input as cluster({"workload_identity_config": [{"workload_pool": null}]})
}

# Provider 4.0+ (workload_pool).
test_workload_pool_allowed if {
	count(policy.deny) == 0 with input as cluster({"workload_identity_config": [{"workload_pool": "p1.svc.id.goog"}]})
}

# Provider 3.x (identity_namespace).
test_identity_namespace_allowed if {
	count(policy.deny) == 0 with input as cluster({"workload_identity_config": [{"identity_namespace": "p1.svc.id.goog"}]})
	policy.deny == want with input as cluster({"workload_identity_config": [{"identity_namespace": ""}]})
}

test_unknown_allowed if {
	count(policy.deny) == 0 with input as cluster({})
	count(policy.deny) == 0 with input as cluster({"workload_identity_config": null})
	count(policy.deny) == 0 with input as cluster({"workload_identity_config": [{}]})
}

# Autopilot always runs Workload Identity.
test_autopilot_allowed if {
	count(policy.deny) == 0 with input as cluster({"enable_autopilot": true, "workload_identity_config": []})
}
