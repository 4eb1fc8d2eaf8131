# METADATA
# title: Security group allows all traffic from the world
# description: >-
#   A security group ingress rule admits every protocol (-1) or every TCP or
#   UDP port (0-65535) from 0.0.0.0/0 or ::/0, exposing every service on the
#   attached instances, load balancers and databases to the internet.
# custom:
#   id: DW-AWS-EC2-002
#   severity: critical
#   controls:
#     - CIS-AWS-2.0:5.2
#     - CIS-AWS-2.0:5.3
#     - SOC2:CC6.6
#     - PCI-DSS-4.0:1.3.1
#     - PCI-DSS-4.0:1.4.2
#   remediation: >-
#     Replace the rule with rules for the specific ports the workload serves,
#     from the narrowest source ranges or security groups that need them.
#   input: resource
#   resource_types:
#     - aws_security_group
#     - aws_default_security_group
#     - aws_security_group_rule
#     - aws_vpc_security_group_ingress_rule
package driftwarden.aws.sg_open_all_ports

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
	lib.all_ports(r.protocol, r.from, r.to)
	msg := sprintf("%s allows all %s from %s", [lib.name, what(r.protocol), r.cidr])
}

what(protocol) := "traffic (every protocol)" if {
	lib.all_protocols(protocol)
} else := sprintf("ports of protocol %v", [protocol])
