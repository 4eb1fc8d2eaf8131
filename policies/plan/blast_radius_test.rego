package driftwarden.plan.blast_radius_test

import data.driftwarden.lib
import data.driftwarden.plan.blast_radius as policy

change(address, actions) := {
	"address": address,
	"type": split(address, ".")[0],
	"name": split(address, ".")[1],
	"provider_name": "registry.terraform.io/hashicorp/aws",
	"mode": "managed",
	"actions": actions,
	"before": {},
	"after": {},
}

plan(changes, tracked) := {"kind": "plan", "plan": {
	"stack": "core", "branch": "main", "tracked_branch": tracked, "format_version": "1.2",
	"resource_changes": changes,
}}

# 5 deletes (50) + 1 update (5) = 55 > 50.
big := [
	change("aws_instance.a", ["delete"]),
	change("aws_instance.b", ["delete"]),
	change("aws_instance.c", ["delete"]),
	change("aws_instance.d", ["delete"]),
	change("aws_instance.e", ["delete"]),
	change("aws_s3_bucket.logs", ["update"]),
	change("aws_iam_role.x", ["no-op"]),
]

test_scores if {
	lib.blast_score == 55 with input as plan(big, false)
	lib.blast_score == 11 with input as plan([change("aws_instance.a", ["delete", "create"])], false)
	lib.blast_score == 11 with input as plan([change("aws_instance.a", ["create", "delete"])], false)
	lib.blast_score == 0 with input as plan([change("aws_instance.a", ["no-op"]), change("aws_instance.b", ["read"])], false)
	lib.blast_score == 0 with input as plan([], false)
}

test_data_sources_not_scored if {
	lib.blast_score == 0 with input as plan([object.union(change("aws_ami.base", ["read"]), {"mode": "data"})], false)
	lib.blast_score == 0 with input as plan([object.union(change("aws_ami.base", ["delete"]), {"mode": "data"})], false)
}

test_big_plan_denied if {
	policy.deny == {`plan for stack "core" has blast radius 55, above the threshold 50; largest changes: aws_instance.a (delete: 10), aws_instance.b (delete: 10), aws_instance.c (delete: 10), aws_instance.d (delete: 10), aws_instance.e (delete: 10)`} with input as plan(big, false)
}

test_at_threshold_allowed if {
	count(policy.deny) == 0 with input as plan(array.slice(big, 0, 5), false)
}

test_multiplier_from_config if {
	policy.deny == {`plan for stack "core" has blast radius 60, above the threshold 50; largest changes: aws_db_instance.main (delete: 60)`} with input as plan([change("aws_db_instance.main", ["delete"])], false)
		with data.driftwarden.config.blast_radius as {"threshold": 50, "multipliers": {"aws_db_instance": 6}}
}

test_threshold_from_config if {
	count(policy.deny) == 0 with input as plan(big, false)
		with data.driftwarden.config.blast_radius.threshold as 100
	count(policy.deny) == 1 with input as plan([change("aws_instance.a", ["update"])], false)
		with data.driftwarden.config.blast_radius.threshold as 4
}
