# METADATA
# title: RDS storage not encrypted
# description: >-
#   An RDS DB instance or Aurora cluster stores its data, backups and
#   snapshots without encryption at rest.
# custom:
#   id: DW-AWS-RDS-001
#   severity: high
#   controls:
#     - CIS-AWS-2.0:2.3.1
#     - SOC2:CC6.1
#     - PCI-DSS-4.0:3.5.1
#   remediation: >-
#     Encryption cannot be turned on for an existing database: take a
#     snapshot, copy it with a KMS key, restore an encrypted instance from the
#     copy and set storage_encrypted = true in Terraform.
#   input: resource
#   resource_types:
#     - aws_db_instance
#     - aws_rds_cluster
package driftwarden.aws.rds_unencrypted

import data.driftwarden.lib

# Aurora instances inherit encryption from their cluster, which is checked
# as aws_rds_cluster.
deny contains msg if {
	input.resource.type == "aws_db_instance"
	input.resource.attributes.storage_encrypted == false
	not aurora
	msg := sprintf("%s stores its data unencrypted (storage_encrypted = false)", [lib.name])
}

deny contains msg if {
	input.resource.type == "aws_rds_cluster"
	input.resource.attributes.storage_encrypted == false
	msg := sprintf("%s stores its data unencrypted (storage_encrypted = false)", [lib.name])
}

aurora if {
	engine := input.resource.attributes.engine
	is_string(engine)
	startswith(engine, "aurora")
}
