package driftwarden.gcp.firewall_open_world_test

import data.driftwarden.gcp.firewall_open_world as policy

fw(ranges, allow) := {"kind": "resource", "resource": {
	"id": "projects/p/global/firewalls/fw", "type": "google_compute_firewall", "address": "google_compute_firewall.fw",
	"attributes": {"name": "fw", "direction": "INGRESS", "disabled": false, "source_ranges": ranges, "allow": allow},
}}

test_https_from_world_allowed if {
	count(policy.deny) == 0 with input as fw(["0.0.0.0/0"], [{"protocol": "tcp", "ports": ["443"]}])
}

test_ssh_from_iap_allowed if {
	count(policy.deny) == 0 with input as fw(["35.235.240.0/20"], [{"protocol": "tcp", "ports": ["22"]}])
}

test_ssh_from_world_denied if {
	policy.deny == {"google_compute_firewall.fw allows SSH (port 22) from 0.0.0.0/0"} with input as fw(["0.0.0.0/0"], [{"protocol": "tcp", "ports": ["22", "443"]}])
}

test_rdp_in_range_denied if {
	policy.deny == {"google_compute_firewall.fw allows RDP (port 3389) from 0.0.0.0/0"} with input as fw(["0.0.0.0/0"], [{"protocol": "tcp", "ports": ["3000-4000"]}])
}

test_all_protocols_denied if {
	policy.deny == {"google_compute_firewall.fw allows all traffic from 0.0.0.0/0"} with input as fw(["0.0.0.0/0"], [{"protocol": "all", "ports": []}])
}

test_tcp_without_ports_denied if {
	policy.deny == {"google_compute_firewall.fw allows every tcp port from 0.0.0.0/0"} with input as fw(["0.0.0.0/0"], [{"protocol": "tcp", "ports": []}])
}

test_disabled_rule_allowed if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {
		"id": "fw", "type": "google_compute_firewall",
		"attributes": {"disabled": true, "direction": "INGRESS", "source_ranges": ["0.0.0.0/0"], "allow": [{"protocol": "all"}]},
	}}
}

test_egress_allowed if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {
		"id": "fw", "type": "google_compute_firewall",
		"attributes": {"direction": "EGRESS", "destination_ranges": ["0.0.0.0/0"], "allow": [{"protocol": "all"}]},
	}}
}

test_ipv6_world_ssh_denied if {
	policy.deny == {"google_compute_firewall.fw allows SSH (port 22) from ::/0"} with input as fw(["::/0"], [{"protocol": "tcp", "ports": ["22"]}])
}

test_full_tcp_range_denied_as_every_port if {
	policy.deny == {"google_compute_firewall.fw allows every tcp port from 0.0.0.0/0"} with input as fw(["0.0.0.0/0"], [{"protocol": "tcp", "ports": ["0-65535"]}])
}

test_full_udp_range_denied if {
	policy.deny == {"google_compute_firewall.fw allows every udp port from 0.0.0.0/0"} with input as fw(["0.0.0.0/0"], [{"protocol": "udp", "ports": ["1-65535"]}])
}

test_udp_single_port_allowed if {
	count(policy.deny) == 0 with input as fw(["0.0.0.0/0"], [{"protocol": "udp", "ports": ["53"]}])
}

test_range_around_ssh_denied if {
	policy.deny == {"google_compute_firewall.fw allows SSH (port 22) from 0.0.0.0/0"} with input as fw(["0.0.0.0/0"], [{"protocol": "tcp", "ports": ["20-30"]}])
}

test_range_below_ssh_allowed if {
	count(policy.deny) == 0 with input as fw(["0.0.0.0/0"], [{"protocol": "tcp", "ports": ["23-3388"]}])
}

test_no_source_is_world if {
	policy.deny == {"google_compute_firewall.fw allows SSH (port 22) from 0.0.0.0/0 (no source set)"} with input as {"kind": "resource", "resource": {
		"id": "fw", "type": "google_compute_firewall", "address": "google_compute_firewall.fw",
		"attributes": {
			"direction": "INGRESS", "disabled": false, "source_ranges": [], "source_tags": null,
			"source_service_accounts": [], "target_tags": ["bastion"], "allow": [{"protocol": "tcp", "ports": ["22"]}],
		},
	}}
}

test_source_tags_only_allowed if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {
		"id": "fw", "type": "google_compute_firewall",
		"attributes": {"direction": "INGRESS", "source_ranges": [], "source_tags": ["web"], "allow": [{"protocol": "all"}]},
	}}
}

test_sources_not_observed_allowed if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {
		"id": "fw", "type": "google_compute_firewall",
		"attributes": {"allow": [{"protocol": "tcp", "ports": ["22"]}]},
	}}
}

# A Cloud Asset Inventory rule omits empty lists: no sourceRanges, sourceTags
# or sourceServiceAccounts at all.
test_inventory_rule_without_sources_denied if {
	count(policy.deny) == 1 with input as {"kind": "resource", "resource": {
		"id": "fw", "type": "google_compute_firewall",
		"attributes": {"direction": "INGRESS", "disabled": false, "allow": [{"protocol": "tcp", "ports": ["22"]}], "deny": []},
	}}
}

test_world_with_source_tags_still_world if {
	count(policy.deny) == 1 with input as {"kind": "resource", "resource": {
		"id": "fw", "type": "google_compute_firewall",
		"attributes": {"direction": "INGRESS", "source_ranges": ["0.0.0.0/0"], "source_tags": ["web"], "allow": [{"protocol": "tcp", "ports": ["3389"]}]},
	}}
}

test_numeric_port_denied if {
	count(policy.deny) == 1 with input as fw(["0.0.0.0/0"], [{"protocol": "tcp", "ports": [22]}])
}

test_egress_with_empty_sources_allowed if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {
		"id": "fw", "type": "google_compute_firewall",
		"attributes": {"direction": "EGRESS", "source_ranges": [], "destination_ranges": ["0.0.0.0/0"], "allow": [{"protocol": "all"}]},
	}}
}

test_deny_block_allowed if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {
		"id": "fw", "type": "google_compute_firewall",
		"attributes": {"direction": "INGRESS", "source_ranges": ["0.0.0.0/0"], "allow": [], "deny": [{"protocol": "all", "ports": []}]},
	}}
}

test_null_ports_every_port_denied if {
	policy.deny == {"google_compute_firewall.fw allows every tcp port from 0.0.0.0/0"} with input as fw(["0.0.0.0/0"], [{"protocol": "tcp", "ports": null}])
}
