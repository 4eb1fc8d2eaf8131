package driftwarden.aws.rds_public_test

import data.driftwarden.aws.rds_public as policy

db(typ, public) := {"kind": "resource", "resource": {
	"id": "db-1", "type": typ, "address": sprintf("%s.main", [typ]),
	"attributes": {"engine": "postgres", "publicly_accessible": public},
}}

test_private_allowed if {
	count(policy.deny) == 0 with input as db("aws_db_instance", false)
}

test_public_instance_denied if {
	policy.deny == {"aws_db_instance.main is publicly accessible"} with input as db("aws_db_instance", true)
}

test_public_cluster_instance_denied if {
	count(policy.deny) == 1 with input as db("aws_rds_cluster_instance", true)
}

test_unknown_allowed if {
	count(policy.deny) == 0 with input as db("aws_rds_cluster_instance", null)
}

# Multi-AZ DB clusters carry publicly_accessible on aws_rds_cluster.
test_public_multi_az_cluster_denied if {
	policy.deny == {"aws_rds_cluster.main is publicly accessible"} with input as db("aws_rds_cluster", true)
}

test_aurora_cluster_without_flag_allowed if {
	count(policy.deny) == 0 with input as db("aws_rds_cluster", null)
}
