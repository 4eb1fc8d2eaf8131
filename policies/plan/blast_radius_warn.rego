# METADATA
# title: Plan blast radius high on the tracked branch
# description: >-
#   A plan of the tracked branch (the branch that deploys: plan.branch equals
#   plan.tracked_branch, or plan.tracked_branch is true) has a blast radius (see DW-PLAN-001) above
#   data.driftwarden.config.blast_radius.warn_threshold (default 20) but not
#   above the deny threshold: a warning to look closely before apply.
#   Plans above the threshold are reported by DW-PLAN-001.
# custom:
#   id: DW-PLAN-002
#   severity: low
#   controls:
#     - SOC2:CC8.1
#     - PCI-DSS-4.0:6.5.1
#   remediation: >-
#     Review every delete, replace and update in the plan before applying;
#     consider splitting it.
#   input: plan
package driftwarden.plan.blast_radius_warn

import data.driftwarden.lib

deny contains msg if {
	input.kind == "plan"
	lib.on_tracked_branch
	score := lib.blast_score
	score > lib.blast_warn_threshold
	score <= lib.blast_threshold
	msg := sprintf("plan for stack %q on the tracked branch has blast radius %v, above the warning threshold %v; largest changes: %s", [
		lib.plan_stack, score, lib.blast_warn_threshold, lib.blast_summary,
	])
}
