package driftwarden.aws.sg_open_db_ports_test

import data.driftwarden.aws.sg_open_db_ports as policy

sg(ingress) := {"kind": "resource", "resource": {
	"id": "sg-1", "type": "aws_security_group", "address": "aws_security_group.db",
	"attributes": {"ingress": ingress},
}}

rule(from, to, cidrs) := {"protocol": "tcp", "from_port": from, "to_port": to, "cidr_blocks": cidrs, "ipv6_cidr_blocks": []}

test_postgres_from_vpc_allowed if {
	count(policy.deny) == 0 with input as sg([rule(5432, 5432, ["10.0.0.0/16"])])
}

test_https_from_world_allowed if {
	count(policy.deny) == 0 with input as sg([rule(443, 443, ["0.0.0.0/0"])])
}

test_postgres_from_world_denied if {
	policy.deny == {"aws_security_group.db allows database port(s) 5432 from 0.0.0.0/0"} with input as sg([rule(5432, 5432, ["0.0.0.0/0"])])
}

test_range_covering_several_denied if {
	policy.deny == {"aws_security_group.db allows database port(s) 3306, 5432 from ::/0"} with input as sg([{
		"protocol": "tcp", "from_port": 3000, "to_port": 6000,
		"cidr_blocks": [], "ipv6_cidr_blocks": ["::/0"],
	}])
		with data.driftwarden.config.database_ports as [3306, 5432, 27017]
}

test_all_traffic_left_to_ec2_002 if {
	count(policy.deny) == 0 with input as sg([{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}])
}

test_redis_vpc_rule_denied if {
	count(policy.deny) == 1 with input as {"kind": "resource", "resource": {
		"id": "sgr-1", "type": "aws_vpc_security_group_ingress_rule",
		"attributes": {"ip_protocol": "tcp", "from_port": 6379, "to_port": 6379, "cidr_ipv4": "0.0.0.0/0"},
	}}
}

test_mongo_sg_rule_denied if {
	count(policy.deny) == 1 with input as {"kind": "resource", "resource": {
		"id": "sgrule-1", "type": "aws_security_group_rule",
		"attributes": {"type": "ingress", "protocol": "6", "from_port": 27017, "to_port": 27017, "cidr_blocks": ["0.0.0.0/0"]},
	}}
}

test_default_security_group_denied if {
	count(policy.deny) == 1 with input as {"kind": "resource", "resource": {
		"id": "sg-0default", "type": "aws_default_security_group", "address": "aws_default_security_group.default",
		"attributes": {"ingress": [rule(5432, 5432, ["0.0.0.0/0"])]},
	}}
}
