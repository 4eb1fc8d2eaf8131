# METADATA
# title: CloudTrail log file validation disabled
# description: >-
#   A CloudTrail trail does not write digest files (enable_log_file_validation
#   = false), so nobody can prove that its log files were not modified or
#   deleted after delivery.
# custom:
#   id: DW-AWS-CT-002
#   severity: medium
#   controls:
#     - CIS-AWS-2.0:3.2
#     - CIS-AWS-3.0:3.2
#     - SOC2:CC7.2
#     - PCI-DSS-4.0:10.3.2
#     - PCI-DSS-4.0:10.3.4
#   remediation: Set enable_log_file_validation = true on the aws_cloudtrail.
#   input: resource
#   resource_types:
#     - aws_cloudtrail
package driftwarden.aws.cloudtrail_log_validation

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "aws_cloudtrail"
	input.resource.attributes.enable_log_file_validation == false
	msg := sprintf("%s does not validate its log files (enable_log_file_validation = false)", [lib.name])
}
