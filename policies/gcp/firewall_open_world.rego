# METADATA
# title: Firewall rule opens SSH, RDP or all ports to the world
# description: >-
#   An enabled ingress VPC firewall rule allows traffic from 0.0.0.0/0 (or
#   ::/0, or no source at all, which Google treats as 0.0.0.0/0) to SSH (22),
#   RDP (3389), or to every port or protocol.
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
	object.get(attrs, "direction", "INGRESS") in {"INGRESS", "", null}
	object.get(attrs, "disabled", false) != true
	some cidr in world_sources
	some allow in attrs.allow
	some what in opened(object.get(allow, "protocol", ""), ports_of(allow))
	msg := sprintf("%s allows %s from %s", [lib.name, what, cidr])
}

# world_sources are the sources of the rule under evaluation that admit the
# whole internet: a /0 source range, or no source at all (Google applies an
# ingress rule without source_ranges, source_tags or source_service_accounts
# to 0.0.0.0/0; state then shows source_ranges empty until a refresh reads
# back the range the API filled in). Sources count as observed when state
# has source_ranges (always, possibly empty) or an inventory has the rule's
# direction (the API omits empty lists); else they are unknown, not none.
world_sources contains cidr if {
	some cidr in input.resource.attributes.source_ranges
	lib.world_cidr(cidr)
}

world_sources contains "0.0.0.0/0 (no source set)" if {
	attrs := input.resource.attributes
	observed_sources(attrs)
	every key in ["source_ranges", "source_tags", "source_service_accounts"] {
		object.get(attrs, key, null) in {null, []}
	}
}

observed_sources(attrs) if "source_ranges" in object.keys(attrs)

observed_sources(attrs) if "direction" in object.keys(attrs)

ports_of(allow) := ports if {
	ports := object.get(allow, "ports", [])
	is_array(ports)
} else := []

# opened names what one allow block exposes: everything for the all
# protocol, every port of a TCP/UDP block without ports or with a range
# covering 1-65535, else the admin ports covered.
opened(protocol, _) := {"all traffic"} if lib.all_protocols(protocol)

opened(protocol, ports) := {sprintf("every %s port", [proto_label(protocol)])} if {
	tcp_or_udp(protocol)
	every_port(ports)
}

opened(protocol, ports) := {sprintf("%s (port %d)", [name, port]) |
	some port, name in admin_ports
	some spec in ports
	port_in(spec, port)
} if {
	lib.tcp(protocol)
	not every_port(ports)
}

tcp_or_udp(protocol) if lib.tcp(protocol)

tcp_or_udp(protocol) if protocol in {"udp", "UDP", "17", 17}

proto_label(protocol) := "tcp" if lib.tcp(protocol)

proto_label(protocol) := "udp" if protocol in {"udp", "UDP", "17", 17}

# every_port is true for no port list (the protocol's every port) or a list
# with a range from 0 or 1 up to 65535.
every_port(ports) if count(ports) == 0

every_port(ports) if {
	some spec in ports
	port_in(spec, 1)
	port_in(spec, 65535)
}

# port_in matches a firewall port spec ("22" or "20-30", a number in some
# converted inventories) against port.
port_in(spec, port) if {
	is_number(spec)
	spec == port
}

port_in(spec, port) if {
	is_string(spec)
	regex.match(`^\s*\d+\s*$`, spec)
	to_number(trim_space(spec)) == port
}

port_in(spec, port) if {
	is_string(spec)
	regex.match(`^\s*\d+\s*-\s*\d+\s*$`, spec)
	bounds := split(spec, "-")
	to_number(trim_space(bounds[0])) <= port
	port <= to_number(trim_space(bounds[1]))
}
