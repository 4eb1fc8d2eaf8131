# METADATA
# title: Resource outside the approved regions
# description: >-
#   A resource lives in a region that is not in
#   data.driftwarden.config.approved_regions (empty, the default, approves
#   every region). Data residency commitments and the monitoring, backup and
#   network controls usually exist only in the approved regions. Global
#   resources (no region) are not reported.
# custom:
#   id: DW-REGION-001
#   severity: medium
#   controls:
#     - SOC2:CC6.1
#     - PCI-DSS-4.0:12.5.1
#   remediation: >-
#     Move the resource to an approved region, or add the region to
#     approved_regions; deny other regions with an SCP (aws:RequestedRegion)
#     or the gcp.resourceLocations organisation policy.
#   input: resource
package driftwarden.common.approved_regions

import data.driftwarden.lib

deny contains msg if {
	count(data.driftwarden.config.approved_regions) > 0
	region := input.resource.region
	not region in {"", "global", "aws-global"}
	not approved(lower(region))
	msg := sprintf("%s is in region %s, which is not approved (approved: %s)", [lib.name, region, concat(", ", data.driftwarden.config.approved_regions)])
}

approved(region) if {
	some r in data.driftwarden.config.approved_regions
	lower(r) == region
}
