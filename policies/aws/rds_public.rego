# METADATA
# title: RDS database publicly accessible
# description: >-
#   An RDS DB instance, Aurora cluster instance or Multi-AZ DB cluster
#   (aws_rds_cluster) has publicly_accessible = true: it gets a public DNS name and address and can be reached from the
#   internet wherever its security groups allow.
# custom:
#   id: DW-AWS-RDS-002
#   severity: high
#   controls:
#     - CIS-AWS-2.0:2.3.3
#     - SOC2:CC6.6
#     - PCI-DSS-4.0:1.3.1
#     - PCI-DSS-4.0:1.4.4
#   remediation: >-
#     Set publicly_accessible = false, place the database in private subnets
#     and reach it through the application network, a bastion or a VPN.
#   input: resource
#   resource_types:
#     - aws_db_instance
#     - aws_rds_cluster_instance
#     - aws_rds_cluster
package driftwarden.aws.rds_public

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "aws_db_instance"
	input.resource.attributes.publicly_accessible == true
	msg := sprintf("%s is publicly accessible", [lib.name])
}

deny contains msg if {
	input.resource.type == "aws_rds_cluster_instance"
	input.resource.attributes.publicly_accessible == true
	msg := sprintf("%s is publicly accessible", [lib.name])
}

# Multi-AZ DB clusters (non-Aurora aws_rds_cluster) carry the flag on the
# cluster; Aurora clusters leave it null.
deny contains msg if {
	input.resource.type == "aws_rds_cluster"
	input.resource.attributes.publicly_accessible == true
	msg := sprintf("%s is publicly accessible", [lib.name])
}
