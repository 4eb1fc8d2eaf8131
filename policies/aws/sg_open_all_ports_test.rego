package driftwarden.aws.sg_open_all_ports_test

import data.driftwarden.aws.sg_open_all_ports as policy

sg(ingress) := {"kind": "resource", "resource": {
	"id": "sg-1", "type": "aws_security_group", "address": "aws_security_group.web",
	"attributes": {"ingress": ingress},
}}

rule(protocol, from, to, cidrs) := {"protocol": protocol, "from_port": from, "to_port": to, "cidr_blocks": cidrs, "ipv6_cidr_blocks": []}

test_single_port_allowed if {
	count(policy.deny) == 0 with input as sg([rule("tcp", 443, 443, ["0.0.0.0/0"])])
}

test_all_traffic_from_vpc_allowed if {
	count(policy.deny) == 0 with input as sg([rule("-1", 0, 0, ["10.0.0.0/8"])])
}

test_all_protocols_from_world_denied if {
	policy.deny == {"aws_security_group.web allows all traffic (every protocol) from 0.0.0.0/0"} with input as sg([rule("-1", 0, 0, ["0.0.0.0/0"])])
}

test_full_tcp_range_denied if {
	policy.deny == {"aws_security_group.web allows all ports of protocol tcp from 0.0.0.0/0"} with input as sg([rule("tcp", 0, 65535, ["0.0.0.0/0"])])
}

test_partial_range_allowed if {
	count(policy.deny) == 0 with input as sg([rule("tcp", 1024, 65535, ["0.0.0.0/0"])])
}

test_ipv6_rule_denied if {
	count(policy.deny) == 1 with input as {"kind": "resource", "resource": {
		"id": "sgr-1", "type": "aws_vpc_security_group_ingress_rule",
		"attributes": {"ip_protocol": "-1", "cidr_ipv6": "::/0", "from_port": null, "to_port": null},
	}}
}

test_standalone_rule_denied if {
	count(policy.deny) == 1 with input as {"kind": "resource", "resource": {
		"id": "sgrule-1", "type": "aws_security_group_rule",
		"attributes": {"type": "ingress", "protocol": "udp", "from_port": 0, "to_port": 65535, "cidr_blocks": ["0.0.0.0/0"]},
	}}
}

test_egress_allowed if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {
		"id": "sgrule-2", "type": "aws_security_group_rule",
		"attributes": {"type": "egress", "protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]},
	}}
}

test_default_security_group_denied if {
	policy.deny == {"aws_default_security_group.default allows all traffic (every protocol) from ::/0"} with input as {"kind": "resource", "resource": {
		"id": "sg-0default", "type": "aws_default_security_group", "address": "aws_default_security_group.default",
		"attributes": {"ingress": [{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": [], "ipv6_cidr_blocks": ["::/0"], "self": false}]},
	}}
}
