# METADATA
# title: Security group opens SSH or RDP to the world
# description: >-
#   A security group ingress rule allows SSH (22) or RDP (3389) from 0.0.0.0/0
#   or ::/0, directly or through a port range or an all-protocols rule.
# custom:
#   id: DW-AWS-EC2-001
#   severity: high
#   controls:
#     - CIS-AWS-2.0:5.2
#     - CIS-AWS-2.0:5.3
#     - SOC2:CC6.6
#     - PCI-DSS-4.0:1.3.1
#   remediation: >-
#     Restrict the rule's source to known address ranges (a VPN or bastion
#     prefix list), or remove it and reach instances through SSM Session
#     Manager or a bastion host.
#   input: resource
#   resource_types:
#     - aws_security_group
#     - aws_security_group_rule
#     - aws_vpc_security_group_ingress_rule
package driftwarden.aws.sg_open_admin_ports

import data.driftwarden.lib

admin_ports := {22: "SSH", 3389: "RDP"}

# Inline ingress blocks of aws_security_group.
deny contains msg if {
	input.resource.type == "aws_security_group"
	some rule in input.resource.attributes.ingress
	some field in ["cidr_blocks", "ipv6_cidr_blocks"]
	some cidr in rule[field]
	cidr in lib.world_cidrs
	some port, name in admin_ports
	covers(rule.protocol, object.get(rule, "from_port", null), object.get(rule, "to_port", null), port)
	msg := sprintf("%s allows %s (port %d) from %s", [lib.name, name, port, cidr])
}

# Standalone aws_security_group_rule of type ingress.
deny contains msg if {
	input.resource.type == "aws_security_group_rule"
	rule := input.resource.attributes
	rule.type == "ingress"
	some field in ["cidr_blocks", "ipv6_cidr_blocks"]
	some cidr in rule[field]
	cidr in lib.world_cidrs
	some port, name in admin_ports
	covers(rule.protocol, object.get(rule, "from_port", null), object.get(rule, "to_port", null), port)
	msg := sprintf("%s allows %s (port %d) from %s", [lib.name, name, port, cidr])
}

# aws_vpc_security_group_ingress_rule (one CIDR per rule).
deny contains msg if {
	input.resource.type == "aws_vpc_security_group_ingress_rule"
	rule := input.resource.attributes
	some field in ["cidr_ipv4", "cidr_ipv6"]
	cidr := rule[field]
	cidr in lib.world_cidrs
	some port, name in admin_ports
	covers(rule.ip_protocol, object.get(rule, "from_port", null), object.get(rule, "to_port", null), port)
	msg := sprintf("%s allows %s (port %d) from %s", [lib.name, name, port, cidr])
}

# covers is true when a rule with this protocol and port range admits TCP
# traffic to port. Ports are numbers, as in Terraform state.
covers(protocol, _, _, _) if protocol in {"-1", "all", -1}

covers(protocol, from, to, port) if {
	protocol in {"tcp", "TCP", "6", 6}
	from <= port
	port <= to
}
