package driftwarden.lib

# Blast radius of a Terraform plan: the sum over managed resource_changes of
# weight(actions) x multiplier(type). A replace (["delete","create"] or
# ["create","delete"]) counts both actions. Weights, multipliers and
# thresholds come from data.driftwarden.config.blast_radius.

blast_config := object.get(data.driftwarden.config, "blast_radius", {})

default_action_weights := {"delete": 10, "update": 5, "create": 1, "no-op": 0, "read": 0}

action_weights := object.union(default_action_weights, object.get(blast_config, "weights", {}))

blast_multipliers := object.get(blast_config, "multipliers", {})

blast_threshold := object.get(blast_config, "threshold", 50)

blast_warn_threshold := object.get(blast_config, "warn_threshold", 20)

# blast_changes are the scored changes of the plan under evaluation.
blast_changes contains {"address": rc.address, "actions": concat(",", rc.actions), "score": score} if {
	some rc in input.plan.resource_changes
	object.get(rc, "mode", "managed") == "managed"
	weight := sum([object.get(action_weights, a, 0) | some a in rc.actions])
	score := weight * object.get(blast_multipliers, rc.type, 1)
	score > 0
}

blast_score := sum([c.score | some c in blast_changes])

# blast_summary names the largest contributors to the score (at most 5).
blast_summary := concat(", ", [sprintf("%s (%s: %v)", [c.address, c.actions, c.score]) |
	some c in array.slice(blast_sorted, 0, 5)
])

# blast_sorted lists the scored changes by descending score, then address.
blast_sorted := [blast_by_address[address] |
	some score in array.reverse(sort({c.score | some c in blast_changes}))
	some address in sort({c.address | some c in blast_changes; c.score == score})
]

blast_by_address := {c.address: c | some c in blast_changes}

# plan_stack labels the plan under evaluation.
plan_stack := label(object.get(input.plan, "stack", ""), "(unnamed stack)")

# on_tracked_branch is true when the plan under evaluation was made on the
# branch that deploys: plan.tracked_branch is true, or it names the branch
# (a string) and equals plan.branch.
on_tracked_branch if input.plan.tracked_branch == true

on_tracked_branch if {
	tracked := input.plan.tracked_branch
	is_string(tracked)
	tracked != ""
	tracked == input.plan.branch
}
