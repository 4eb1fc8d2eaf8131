# METADATA
# title: Cloud SQL instance open to the internet
# description: >-
#   A Cloud SQL instance has a public IPv4 address and an authorized network
#   of 0.0.0.0/0 (or any /0), so anyone on the internet can reach its
#   database port and try credentials.
# custom:
#   id: DW-GCP-SQL-001
#   severity: critical
#   controls:
#     - CIS-GCP-2.0:6.5
#     - SOC2:CC6.6
#     - PCI-DSS-4.0:1.3.1
#     - PCI-DSS-4.0:1.4.4
#   remediation: >-
#     Remove the 0.0.0.0/0 authorized network; connect through private IP,
#     the Cloud SQL Auth Proxy, or a short list of known addresses.
#   input: resource
#   resource_types:
#     - google_sql_database_instance
package driftwarden.gcp.sql_public

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "google_sql_database_instance"
	some settings in input.resource.attributes.settings
	some ip in settings.ip_configuration
	object.get(ip, "ipv4_enabled", true) != false
	some network in ip.authorized_networks
	lib.world_cidr(network.value)
	msg := sprintf("%s accepts connections from %s%s", [lib.name, network.value, network_label(object.get(network, "name", ""))])
}

# network_label names the authorized network when it has a name (the API
# and inventories often leave it out).
network_label(name) := sprintf(" (authorized network %q)", [name]) if {
	is_string(name)
	name != ""
} else := ""
