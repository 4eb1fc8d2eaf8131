# METADATA
# title: GKE control plane reachable from the whole internet
# description: >-
#   A GKE cluster's control plane has a public endpoint (no private
#   endpoint: private_cluster_config absent or enable_private_endpoint
#   false, and IP endpoints not disabled) and no master authorized networks
#   restrict it, or they include 0.0.0.0/0. Anyone on the internet can reach
#   the Kubernetes API server and try credentials or exploit its
#   vulnerabilities.
# custom:
#   id: DW-GCP-GKE-002
#   severity: high
#   controls:
#     - CIS-GKE-1.7:5.6.3
#     - SOC2:CC6.6
#     - PCI-DSS-4.0:1.3.1
#     - PCI-DSS-4.0:1.4.1
#   remediation: >-
#     Add master_authorized_networks_config with cidr_blocks for the
#     networks that administer the cluster (never 0.0.0.0/0), or make the
#     endpoint private (private_cluster_config { enable_private_endpoint =
#     true }) and reach it through a VPN, bastion or the DNS endpoint.
#   input: resource
#   resource_types:
#     - google_container_cluster
package driftwarden.gcp.gke_public_control_plane

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "google_container_cluster"
	attrs := input.resource.attributes
	public_endpoint(attrs.private_cluster_config)
	not ip_endpoints_disabled(attrs)
	some reason in open_reasons(attrs.master_authorized_networks_config)
	msg := sprintf("%s has a public control plane endpoint %s", [lib.name, reason])
}

# public_endpoint is true when private_cluster_config is known to leave
# the public endpoint on: no block (an empty list in Terraform state) or a
# block whose enable_private_endpoint is false or unset. An attribute that
# is not there at all is unknown, and no finding.
public_endpoint(config) if {
	is_array(config)
	count(config) == 0
}

public_endpoint(config) if {
	some block in config
	is_object(block)
	object.get(block, "enable_private_endpoint", false) in {false, null}
}

# Provider 6.x: control_plane_endpoints_config.ip_endpoints_config.enabled
# = false turns every IP endpoint off (only the DNS endpoint is left, which
# IAM guards).
ip_endpoints_disabled(attrs) if {
	some endpoints in attrs.control_plane_endpoints_config
	some ip in endpoints.ip_endpoints_config
	ip.enabled == false
}

# open_reasons says why the authorized networks admit everyone. A present
# block with no cidr_blocks enables authorized networks with no external
# network: that is locked down, not open.
open_reasons(config) := {"and no master authorized networks"} if {
	is_array(config)
	count(config) == 0
} else := {sprintf("and authorizes %s", [block.cidr_block]) |
	some networks in config
	some block in networks.cidr_blocks
	lib.world_cidr(block.cidr_block)
}
