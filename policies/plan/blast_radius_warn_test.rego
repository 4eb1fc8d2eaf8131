package driftwarden.plan.blast_radius_warn_test

import data.driftwarden.plan.blast_radius_warn as policy

change(address, actions) := {"address": address, "type": split(address, ".")[0], "mode": "managed", "actions": actions}

plan(changes, tracked) := {"kind": "plan", "plan": {"stack": "core", "branch": "main", "tracked_branch": tracked, "resource_changes": changes}}

# 2 replaces (22) + 1 create = 23: above 20, not above 50.
medium := [
	change("aws_instance.a", ["delete", "create"]),
	change("aws_instance.b", ["create", "delete"]),
	change("aws_s3_bucket.c", ["create"]),
]

test_tracked_branch_warned if {
	policy.deny == {`plan for stack "core" on the tracked branch has blast radius 23, above the warning threshold 20; largest changes: aws_instance.a (delete,create: 11), aws_instance.b (create,delete: 11), aws_s3_bucket.c (create: 1)`} with input as plan(medium, true)
}

test_other_branch_allowed if {
	count(policy.deny) == 0 with input as plan(medium, false)
}

test_small_plan_allowed if {
	count(policy.deny) == 0 with input as plan(array.slice(medium, 0, 1), true)
}

test_above_deny_threshold_left_to_plan_001 if {
	count(policy.deny) == 0 with input as plan(medium, true)
		with data.driftwarden.config.blast_radius.threshold as 22
}

test_warn_threshold_from_config if {
	count(policy.deny) == 1 with input as plan(array.slice(medium, 0, 1), true)
		with data.driftwarden.config.blast_radius.warn_threshold as 10
}

test_tracked_branch_by_name if {
	count(policy.deny) == 1 with input as {"kind": "plan", "plan": {"stack": "core", "branch": "main", "tracked_branch": "main", "resource_changes": medium}}
	count(policy.deny) == 0 with input as {"kind": "plan", "plan": {"stack": "core", "branch": "feature/x", "tracked_branch": "main", "resource_changes": medium}}
	count(policy.deny) == 0 with input as {"kind": "plan", "plan": {"stack": "core", "branch": "", "tracked_branch": "", "resource_changes": medium}}
}
