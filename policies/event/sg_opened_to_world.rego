# METADATA
# title: Security group opened to the world by an API call
# description: >-
#   A successful AuthorizeSecurityGroupIngress call added an ingress rule
#   whose source is the whole internet (0.0.0.0/0, ::/0 or any /0), in the
#   ipPermissions form (ipRanges/ipv6Ranges items) or the older top-level
#   cidrIp form. All-ports and SSH/RDP openings are high, others medium.
# custom:
#   id: DW-EVT-007
#   severity: medium
#   controls:
#     - CIS-AWS-2.0:4.10
#     - CIS-AWS-3.0:4.10
#     - SOC2:CC6.6
#     - PCI-DSS-4.0:1.3.1
#   remediation: >-
#     Revoke the rule (RevokeSecurityGroupIngress) or re-apply the stack that
#     manages the group, then find out who needed the access and grant it
#     from a narrower source.
#   input: event
package driftwarden.event.sg_opened_to_world

import data.driftwarden.lib

deny contains result if {
	input.event.action == "ec2:AuthorizeSecurityGroupIngress"
	lib.event_succeeded
	some perm in opened
	result := {
		"msg": sprintf("%s opened %s of security group %s to %s", [lib.actor, ports(perm), group, perm.cidr]),
		"severity": severity(perm),
	}
}

# ipPermissions.items[].ipRanges.items[].cidrIp (and ipv6Ranges/cidrIpv6).
opened contains perm if {
	some item in input.event.request.ipPermissions.items
	some range_field, cidr_field in {"ipRanges": "cidrIp", "ipv6Ranges": "cidrIpv6"}
	some r in item[range_field].items
	lib.world_cidr(r[cidr_field])
	perm := permission(item, r[cidr_field])
}

# The older form: cidrIp, ipProtocol, fromPort and toPort at the top level.
opened contains perm if {
	request := input.event.request
	lib.world_cidr(request.cidrIp)
	perm := permission(request, request.cidrIp)
}

permission(item, cidr) := {
	"protocol": object.get(item, "ipProtocol", "-1"),
	"from": object.get(item, "fromPort", null),
	"to": object.get(item, "toPort", null),
	"cidr": cidr,
}

ports(perm) := "all traffic" if {
	lib.all_protocols(perm.protocol)
} else := sprintf("%v port %v", [perm.protocol, perm.from]) if {
	perm.from == perm.to
} else := sprintf("%v ports %v-%v", [perm.protocol, perm.from, perm.to])

severity(perm) := "high" if {
	lib.all_ports(perm.protocol, perm.from, perm.to)
} else := "high" if {
	some port in [22, 3389]
	lib.port_covered(perm.protocol, perm.from, perm.to, port)
} else := "medium"

group := object.get(input.event.request, "groupId", lib.event_subject)
