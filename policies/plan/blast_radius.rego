# METADATA
# title: Plan blast radius above the threshold
# description: >-
#   The plan's blast radius, the sum over managed resource changes of the
#   action weight (delete 10, update 5, create 1, no-op and read 0; a replace
#   counts delete and create) times the resource type's multiplier (default
#   1), is above data.driftwarden.config.blast_radius.threshold (default
#   50). Large plans are where unintended deletions hide; split them or get
#   an explicit review.
# custom:
#   id: DW-PLAN-001
#   severity: high
#   controls:
#     - SOC2:CC8.1
#     - PCI-DSS-4.0:6.5.1
#     - PCI-DSS-4.0:6.5.2
#   remediation: >-
#     Split the change into smaller plans (targeted modules, staged
#     rollouts), or have it reviewed and approved explicitly before apply;
#     check that every delete and replace is intended.
#   input: plan
package driftwarden.plan.blast_radius

import data.driftwarden.lib

deny contains msg if {
	input.kind == "plan"
	score := lib.blast_score
	score > lib.blast_threshold
	msg := sprintf("plan for stack %q has blast radius %v, above the threshold %v; largest changes: %s", [
		lib.plan_stack, score, lib.blast_threshold, lib.blast_summary,
	])
}
