package driftwarden.gcp.gke_public_control_plane_test

import data.driftwarden.gcp.gke_public_control_plane as policy

cluster(attrs) := {"kind": "resource", "resource": {
	"id": "projects/p1/locations/us-central1/clusters/main", "type": "google_container_cluster",
	"address": "google_container_cluster.main",
	"attributes": object.union({"name": "main", "location": "us-central1"}, attrs),
}}

no_networks := "google_container_cluster.main has a public control plane endpoint and no master authorized networks"

world := "google_container_cluster.main has a public control plane endpoint and authorizes 0.0.0.0/0"

# Provider 4.x private_cluster_config block (enable_private_endpoint false).
private_nodes(private_endpoint) := [{
	"enable_private_endpoint": private_endpoint,
	"enable_private_nodes": true,
	"master_global_access_config": [],
	"master_ipv4_cidr_block": "172.16.0.0/28",
	"peering_name": "gke-n1234-peer",
	"private_endpoint": "172.16.0.2",
	"private_endpoint_subnetwork": "",
	"public_endpoint": "34.123.45.67",
}]

# Provider 4.x master_authorized_networks_config block.
networks4(cidrs) := [{
	"cidr_blocks": [{"cidr_block": c, "display_name": "net"} | some c in cidrs],
	"gcp_public_cidrs_access_enabled": false,
}]

# Provider 6.x adds private_endpoint_enforcement_enabled.
networks6(cidrs) := [{
	"cidr_blocks": [{"cidr_block": c, "display_name": ""} | some c in cidrs],
	"gcp_public_cidrs_access_enabled": false,
	"private_endpoint_enforcement_enabled": false,
}]

# Provider 6.x control_plane_endpoints_config.
endpoints6(ip_enabled) := [{
	"dns_endpoint_config": [{"allow_external_traffic": false, "endpoint": "gke-abc-123.us-central1.gke.goog"}],
	"ip_endpoints_config": [{"enabled": ip_enabled}],
}]

# A default public cluster: both blocks are empty lists in the state.
test_public_without_networks_denied if {
	policy.deny == {no_networks} with input as cluster({"private_cluster_config": [], "master_authorized_networks_config": []})
}

test_private_nodes_public_endpoint_without_networks_denied if {
	policy.deny == {no_networks} with input as cluster({"private_cluster_config": private_nodes(false), "master_authorized_networks_config": []})
	policy.deny == {no_networks} with input as cluster({"private_cluster_config": private_nodes(null), "master_authorized_networks_config": []})
	policy.deny == {no_networks} with input as cluster({"private_cluster_config": [{"enable_private_nodes": true}], "master_authorized_networks_config": []})
}

test_world_network_denied if {
	policy.deny == {world} with input as cluster({"private_cluster_config": [], "master_authorized_networks_config": networks4(["10.0.0.0/8", "0.0.0.0/0"])})
	policy.deny == {world} with input as cluster({
		"private_cluster_config": private_nodes(false),
		"master_authorized_networks_config": networks6(["0.0.0.0/0"]),
		"control_plane_endpoints_config": endpoints6(true),
	})
}

test_office_network_allowed if {
	count(policy.deny) == 0 with input as cluster({"private_cluster_config": [], "master_authorized_networks_config": networks4(["203.0.113.0/24"])})
	count(policy.deny) == 0 with input as cluster({
		"private_cluster_config": private_nodes(false),
		"master_authorized_networks_config": networks6(["203.0.113.0/24"]),
		"control_plane_endpoints_config": endpoints6(true),
	})
}

# A block with no cidr_blocks enables authorized networks with no external
# network at all.
test_networks_enabled_without_cidrs_allowed if {
	count(policy.deny) == 0 with input as cluster({"private_cluster_config": [], "master_authorized_networks_config": networks4([])})
}

test_private_endpoint_allowed if {
	count(policy.deny) == 0 with input as cluster({"private_cluster_config": private_nodes(true), "master_authorized_networks_config": []})
	count(policy.deny) == 0 with input as cluster({"private_cluster_config": private_nodes(true), "master_authorized_networks_config": networks4(["0.0.0.0/0"])})
}

# Provider 6.x: IP endpoints off leaves only the DNS endpoint.
test_ip_endpoints_disabled_allowed if {
	count(policy.deny) == 0 with input as cluster({
		"private_cluster_config": private_nodes(false),
		"master_authorized_networks_config": [],
		"control_plane_endpoints_config": endpoints6(false),
	})
}

test_unknown_allowed if {
	count(policy.deny) == 0 with input as cluster({})
	count(policy.deny) == 0 with input as cluster({"master_authorized_networks_config": []})
	count(policy.deny) == 0 with input as cluster({"private_cluster_config": []})
	count(policy.deny) == 0 with input as cluster({"private_cluster_config": null, "master_authorized_networks_config": null})
}
