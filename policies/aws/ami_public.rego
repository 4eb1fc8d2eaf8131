# METADATA
# title: AMI shared publicly
# description: >-
#   An AMI can be launched by every AWS account: the image is public (public
#   = true on aws_ami, aws_ami_copy or aws_ami_from_instance), or an
#   aws_ami_launch_permission grants the group "all". Images often hold
#   credentials, keys and internal software baked in at build time.
# custom:
#   id: DW-AWS-EC2-004
#   severity: high
#   controls:
#     - SOC2:CC6.1
#     - PCI-DSS-4.0:7.2.1
#   remediation: >-
#     Remove the "all" launch permission (aws ec2 modify-image-attribute
#     --launch-permission "Remove=[{Group=all}]") and share the image only
#     with the accounts or organisation that need it; enable the account's
#     image block public access setting.
#   input: resource
#   resource_types:
#     - aws_ami
#     - aws_ami_copy
#     - aws_ami_from_instance
#     - aws_ami_launch_permission
package driftwarden.aws.ami_public

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "aws_ami_launch_permission"
	input.resource.attributes.group == "all"
	msg := sprintf("%s makes image %s public (group \"all\")", [lib.name, object.get(input.resource.attributes, "image_id", "")])
}

deny contains msg if {
	input.resource.type == "aws_ami"
	input.resource.attributes.public == true
	msg := sprintf("%s is a public image", [lib.name])
}

deny contains msg if {
	input.resource.type == "aws_ami_copy"
	input.resource.attributes.public == true
	msg := sprintf("%s is a public image", [lib.name])
}

deny contains msg if {
	input.resource.type == "aws_ami_from_instance"
	input.resource.attributes.public == true
	msg := sprintf("%s is a public image", [lib.name])
}
