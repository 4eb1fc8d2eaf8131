# METADATA
# title: Security group opens a database port to the world
# description: >-
#   A security group ingress rule admits TCP traffic from 0.0.0.0/0 or ::/0
#   to a database or cache port (MySQL 3306, PostgreSQL 5432, SQL Server
#   1433, Oracle 1521, MongoDB 27017, Redis 6379, Elasticsearch 9200, ...;
#   the list is data.driftwarden.config.database_ports). Rules that admit all
#   traffic are reported by DW-AWS-EC2-002 instead.
# custom:
#   id: DW-AWS-EC2-003
#   severity: high
#   controls:
#     - SOC2:CC6.6
#     - PCI-DSS-4.0:1.3.1
#     - PCI-DSS-4.0:1.4.2
#   remediation: >-
#     Put databases in private subnets and allow their ports only from the
#     application security groups (source_security_group_id) or private
#     ranges that need them.
#   input: resource
#   resource_types:
#     - aws_security_group
#     - aws_default_security_group
#     - aws_security_group_rule
#     - aws_vpc_security_group_ingress_rule
package driftwarden.aws.sg_open_db_ports

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "aws_security_group"
	some msg in messages
}

deny contains msg if {
	input.resource.type == "aws_default_security_group"
	some msg in messages
}

deny contains msg if {
	input.resource.type == "aws_security_group_rule"
	some msg in messages
}

deny contains msg if {
	input.resource.type == "aws_vpc_security_group_ingress_rule"
	some msg in messages
}

messages contains msg if {
	some r in lib.sg_world_ingress
	lib.tcp(r.protocol)
	not lib.all_ports(r.protocol, r.from, r.to)
	is_number(r.from)
	is_number(r.to)
	ports := [p | some p in data.driftwarden.config.database_ports; r.from <= p; p <= r.to]
	count(ports) > 0
	msg := sprintf("%s allows database port(s) %s from %s", [lib.name, concat(", ", [sprintf("%v", [p]) | some p in ports]), r.cidr])
}
