# METADATA
# title: EBS volume not encrypted
# description: >-
#   An EBS volume, or a root or attached block device of an EC2 instance, is
#   stored without encryption at rest, or the region's EBS encryption by
#   default is turned off (aws_ebs_encryption_by_default enabled = false).
# custom:
#   id: DW-AWS-EBS-001
#   severity: medium
#   controls:
#     - CIS-AWS-2.0:2.2.1
#     - SOC2:CC6.1
#     - PCI-DSS-4.0:3.5.1
#   remediation: >-
#     Enable EBS encryption by default in every region
#     (aws_ebs_encryption_by_default), and replace unencrypted volumes with
#     encrypted copies (snapshot, copy with encryption, restore).
#   input: resource
#   resource_types:
#     - aws_ebs_volume
#     - aws_instance
#     - aws_ebs_encryption_by_default
package driftwarden.aws.ebs_unencrypted

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "aws_ebs_volume"
	input.resource.attributes.encrypted == false
	msg := sprintf("%s is not encrypted at rest", [lib.name])
}

deny contains msg if {
	input.resource.type == "aws_instance"
	some block in ["root_block_device", "ebs_block_device"]
	some device in input.resource.attributes[block]
	device.encrypted == false
	msg := sprintf("%s has an unencrypted %s (%s)", [lib.name, block, object.get(device, "device_name", "root")])
}

deny contains msg if {
	input.resource.type == "aws_ebs_encryption_by_default"
	input.resource.attributes.enabled == false
	msg := sprintf("%s turns EBS encryption by default off in %s", [lib.name, region])
}

region := r if {
	r := input.resource.region
	is_string(r)
	r != ""
} else := "its region"
