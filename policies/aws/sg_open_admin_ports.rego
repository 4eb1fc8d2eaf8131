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
#     - aws_default_security_group
#     - aws_security_group_rule
#     - aws_vpc_security_group_ingress_rule
package driftwarden.aws.sg_open_admin_ports

import data.driftwarden.lib

admin_ports := {22: "SSH", 3389: "RDP"}

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

# World-open ingress (inline blocks, standalone rules of type ingress,
# aws_vpc_security_group_ingress_rule) whose protocol and ports admit TCP to
# an admin port.
messages contains msg if {
	some r in lib.sg_world_ingress
	some port, name in admin_ports
	lib.port_covered(r.protocol, r.from, r.to, port)
	msg := sprintf("%s allows %s (port %d) from %s", [lib.name, name, port, r.cidr])
}
