# METADATA
# title: Default VPC in use
# description: >-
#   A default VPC or default subnet exists and is managed or observed
#   (aws_default_vpc, aws_default_subnet, or an aws_vpc with default = true).
#   Default VPCs come with public subnets that assign public addresses and a
#   permissive default network layout nobody designed or reviewed; workloads
#   belong in purpose-built VPCs.
# custom:
#   id: DW-AWS-VPC-001
#   severity: low
#   controls:
#     - SOC2:CC6.6
#     - PCI-DSS-4.0:1.2.1
#   remediation: >-
#     Move workloads into a purpose-built VPC, then delete the default VPC in
#     every region (aws_default_vpc with force_destroy = true, or the console).
#   input: resource
#   resource_types:
#     - aws_default_vpc
#     - aws_default_subnet
#     - aws_vpc
package driftwarden.aws.default_vpc

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "aws_default_vpc"
	msg := sprintf("%s manages the default VPC of %s", [lib.name, region])
}

deny contains msg if {
	input.resource.type == "aws_default_subnet"
	msg := sprintf("%s manages a default subnet (%s)", [lib.name, object.get(input.resource.attributes, "availability_zone", region)])
}

deny contains msg if {
	input.resource.type == "aws_vpc"
	input.resource.attributes["default"] == true
	msg := sprintf("%s is the default VPC of %s", [lib.name, region])
}

region := r if {
	r := input.resource.region
	r != ""
} else := "its region"
