package driftwarden.aws.rds_unencrypted_test

import data.driftwarden.aws.rds_unencrypted as policy

db(engine, encrypted) := {"kind": "resource", "resource": {
	"id": "arn:aws:rds:eu-west-1:111122223333:db:orders",
	"type": "aws_db_instance",
	"address": "aws_db_instance.orders",
	"attributes": {"engine": engine, "storage_encrypted": encrypted},
}}

test_encrypted_instance_allowed if {
	count(policy.deny) == 0 with input as db("postgres", true)
}

test_unencrypted_instance_denied if {
	count(policy.deny) == 1 with input as db("postgres", false)
}

test_aurora_instance_left_to_cluster if {
	count(policy.deny) == 0 with input as db("aurora-postgresql", false)
}

test_unencrypted_cluster_denied if {
	count(policy.deny) == 1 with input as {"kind": "resource", "resource": {
		"id": "arn:aws:rds:eu-west-1:111122223333:cluster:orders",
		"type": "aws_rds_cluster",
		"attributes": {"engine": "aurora-postgresql", "storage_encrypted": false},
	}}
}

test_encrypted_cluster_allowed if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {
		"id": "arn:aws:rds:eu-west-1:111122223333:cluster:orders",
		"type": "aws_rds_cluster",
		"attributes": {"engine": "aurora-postgresql", "storage_encrypted": true},
	}}
}
