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
