# METADATA
# title: Change made outside the deploy pipeline
# description: >-
#   A successful write call changed a resource managed by Terraform, and
#   attribution found it was not the pipeline's apply: a person (verdict
#   human) or the pipeline's credentials used outside an apply (verdict
#   pipeline_outside_apply). Such changes skip review and become drift.
# custom:
#   id: DW-EVT-001
#   severity: medium
#   controls:
#     - SOC2:CC8.1
#     - PCI-DSS-4.0:6.5.1
#   remediation: >-
#     Confirm the change with the person who made it; codify it in Terraform
#     or revert it by re-applying the stack, and restrict write access to
#     production to the pipeline's role.
#   input: event
package driftwarden.event.outside_pipeline

import data.driftwarden.lib

verdicts := {
	"human": "by hand",
	"pipeline_outside_apply": "with the pipeline's credentials outside an apply",
}

deny contains msg if {
	how := verdicts[input.event.verdict]
	lib.event_succeeded
	object.get(input.event, "read_only", false) != true
	msg := sprintf("%s changed %s %s (%s%s)", [lib.actor, lib.event_subject, how, input.event.action, where])
}

where := sprintf(" via %s", [via]) if {
	via := object.get(input.event, "via", "")
	via != ""
} else := ""
