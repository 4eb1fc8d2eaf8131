# METADATA
# title: CloudTrail trail is not multi-region
# description: >-
#   A CloudTrail trail records only its home region (is_multi_region_trail =
#   false), so API activity in every other region, including regions an
#   attacker picks because nobody watches them, goes unrecorded.
# custom:
#   id: DW-AWS-CT-001
#   severity: high
#   controls:
#     - CIS-AWS-2.0:3.1
#     - CIS-AWS-3.0:3.1
#     - SOC2:CC7.2
#     - PCI-DSS-4.0:10.2.1
#   remediation: >-
#     Set is_multi_region_trail = true (and include_global_service_events =
#     true), or use an organization trail.
#   input: resource
#   resource_types:
#     - aws_cloudtrail
package driftwarden.aws.cloudtrail_multi_region

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "aws_cloudtrail"
	input.resource.attributes.is_multi_region_trail == false
	msg := sprintf("%s records only its home region (is_multi_region_trail = false)", [lib.name])
}
