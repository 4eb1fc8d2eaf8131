# METADATA
# title: Firewall rule opens SSH, RDP or all ports to the world
# description: >-
#   An enabled ingress VPC firewall rule allows traffic from 0.0.0.0/0 (or
#   ::/0) to SSH (22), RDP (3389), or to every port or protocol.
# custom:
#   id: DW-GCP-NET-001
#   severity: high
#   controls:
#     - CIS-GCP-2.0:3.6
#     - CIS-GCP-2.0:3.7
#     - SOC2:CC6.6
#     - PCI-DSS-4.0:1.3.1
#     - PCI-DSS-4.0:1.4.2
#   remediation: >-
#     Restrict source_ranges to known addresses (for SSH, Identity-Aware
#     Proxy's 35.235.240.0/20), or remove the rule and use IAP TCP forwarding
#     or OS Login through a bastion.
#   input: resource
#   resource_types:
#     - google_compute_firewall
package driftwarden.gcp.firewall_open_world

import data.driftwarden.lib

admin_ports := {22: "SSH", 3389: "RDP"}

deny contains msg if {
	input.resource.type == "google_compute_firewall"
	attrs := input.resource.attributes
	object.get(attrs, "direction", "INGRESS") in {"INGRESS", ""}
	object.get(attrs, "disabled", false) != true
	some cidr in attrs.source_ranges
	lib.world_cidr(cidr)
	some allow in attrs.allow
	some what in opened(allow.protocol, object.get(allow, "ports", []))
	msg := sprintf("%s allows %s from %s", [lib.name, what, cidr])
}

# opened names what one allow block exposes: everything for the all
# protocol or a TCP/UDP block without ports, else the admin ports covered.
opened(protocol, _) := {"all traffic"} if lib.all_protocols(protocol)

opened(protocol, ports) := {sprintf("every %s port", [protocol])} if {
	protocol in {"tcp", "udp", "6", "17"}
	count(ports) == 0
}

opened(protocol, ports) := {sprintf("%s (port %d)", [name, port]) |
	some port, name in admin_ports
	some spec in ports
	port_in(spec, port)
} if {
	lib.tcp(protocol)
	count(ports) > 0
}

# port_in matches a firewall port spec ("22" or "20-30") against port.
port_in(spec, port) if {
	regex.match(`^\d+$`, spec)
	to_number(spec) == port
}

port_in(spec, port) if {
	regex.match(`^\d+-\d+$`, spec)
	bounds := split(spec, "-")
	to_number(bounds[0]) <= port
	port <= to_number(bounds[1])
}
