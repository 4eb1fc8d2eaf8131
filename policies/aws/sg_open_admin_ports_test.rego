package driftwarden.aws.sg_open_admin_ports_test

import data.driftwarden.aws.sg_open_admin_ports as policy

sg(ingress) := {"kind": "resource", "resource": {
	"id": "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0abc",
	"type": "aws_security_group",
	"address": "aws_security_group.web",
	"attributes": {"name": "web", "ingress": ingress},
}}

ingress(protocol, from, to, cidrs) := {
	"protocol": protocol,
	"from_port": from,
	"to_port": to,
	"cidr_blocks": cidrs,
	"ipv6_cidr_blocks": [],
}

test_https_from_world_allowed if {
	count(policy.deny) == 0 with input as sg([ingress("tcp", 443, 443, ["0.0.0.0/0"])])
}

test_ssh_from_office_allowed if {
	count(policy.deny) == 0 with input as sg([ingress("tcp", 22, 22, ["203.0.113.0/24"])])
}

test_no_ingress_allowed if {
	count(policy.deny) == 0 with input as sg(null)
}

test_ssh_from_world_denied if {
	some msg in policy.deny with input as sg([ingress("tcp", 22, 22, ["10.0.0.0/8", "0.0.0.0/0"])])
	msg == "aws_security_group.web allows SSH (port 22) from 0.0.0.0/0"
}

test_rdp_from_world_ipv6_denied if {
	count(policy.deny) == 1 with input as sg([{
		"protocol": "tcp", "from_port": 3389, "to_port": 3389,
		"cidr_blocks": null, "ipv6_cidr_blocks": ["::/0"],
	}])
}

test_port_range_covering_both_denied if {
	count(policy.deny) == 2 with input as sg([ingress("tcp", 0, 65535, ["0.0.0.0/0"])])
}

test_all_protocols_denied if {
	count(policy.deny) == 2 with input as sg([ingress("-1", 0, 0, ["0.0.0.0/0"])])
}

test_udp_ssh_allowed if {
	count(policy.deny) == 0 with input as sg([ingress("udp", 22, 22, ["0.0.0.0/0"])])
}

test_sg_rule_ingress_denied if {
	count(policy.deny) == 1 with input as {"kind": "resource", "resource": {
		"id": "sgrule-1",
		"type": "aws_security_group_rule",
		"attributes": {
			"type": "ingress", "protocol": "6", "from_port": 3389, "to_port": 3389,
			"cidr_blocks": ["0.0.0.0/0"],
		},
	}}
}

test_sg_rule_egress_allowed if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {
		"id": "sgrule-2",
		"type": "aws_security_group_rule",
		"attributes": {
			"type": "egress", "protocol": "-1", "from_port": 0, "to_port": 0,
			"cidr_blocks": ["0.0.0.0/0"],
		},
	}}
}

test_vpc_ingress_rule_denied if {
	count(policy.deny) == 1 with input as {"kind": "resource", "resource": {
		"id": "sgr-1",
		"type": "aws_vpc_security_group_ingress_rule",
		"attributes": {"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "0.0.0.0/0", "cidr_ipv6": null},
	}}
}

test_vpc_ingress_rule_all_traffic_denied if {
	count(policy.deny) == 2 with input as {"kind": "resource", "resource": {
		"id": "sgr-2",
		"type": "aws_vpc_security_group_ingress_rule",
		"attributes": {"ip_protocol": "-1", "from_port": null, "to_port": null, "cidr_ipv6": "::/0"},
	}}
}

test_vpc_ingress_rule_private_allowed if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {
		"id": "sgr-3",
		"type": "aws_vpc_security_group_ingress_rule",
		"attributes": {"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "10.0.0.0/8"},
	}}
}

# aws_default_security_group has the same inline ingress blocks.
test_default_security_group_denied if {
	policy.deny == {
		"aws_default_security_group.default allows SSH (port 22) from 0.0.0.0/0",
		"aws_default_security_group.default allows RDP (port 3389) from 0.0.0.0/0",
	} with input as {"kind": "resource", "resource": {
		"id": "sg-0default", "type": "aws_default_security_group", "address": "aws_default_security_group.default",
		"attributes": {"ingress": [{
			"cidr_blocks": ["0.0.0.0/0"], "description": "", "from_port": 0, "ipv6_cidr_blocks": [],
			"prefix_list_ids": [], "protocol": "-1", "security_groups": [], "self": false, "to_port": 0,
		}]},
	}}
}

# The default group's own rule (self, all protocols) admits only its members.
test_default_security_group_self_allowed if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {
		"id": "sg-0default", "type": "aws_default_security_group",
		"attributes": {"ingress": [{
			"cidr_blocks": [], "from_port": 0, "ipv6_cidr_blocks": [], "prefix_list_ids": [],
			"protocol": "-1", "security_groups": [], "self": true, "to_port": 0,
		}]},
	}}
}

# Any /0 admits every address, not only the canonical 0.0.0.0/0 and ::/0.
test_non_canonical_world_ipv6_denied if {
	count(policy.deny) == 1 with input as sg([{
		"protocol": "tcp", "from_port": 22, "to_port": 22,
		"cidr_blocks": [], "ipv6_cidr_blocks": ["0::/0"],
	}])
}

test_vpc_ingress_rule_protocol_number_denied if {
	count(policy.deny) == 1 with input as {"kind": "resource", "resource": {
		"id": "sgr-4", "type": "aws_vpc_security_group_ingress_rule",
		"attributes": {"ip_protocol": "6", "from_port": 3389, "to_port": 3389, "cidr_ipv4": "0.0.0.0/0", "cidr_ipv6": null, "prefix_list_id": null, "referenced_security_group_id": null},
	}}
}

test_prefix_list_rule_allowed if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {
		"id": "sgrule-3", "type": "aws_security_group_rule",
		"attributes": {"type": "ingress", "protocol": "tcp", "from_port": 0, "to_port": 65535, "cidr_blocks": [], "ipv6_cidr_blocks": [], "prefix_list_ids": ["pl-abb451c2"], "self": false},
	}}
}
