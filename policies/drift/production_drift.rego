# METADATA
# title: Drift in a production stack
# description: >-
#   A resource of a production stack (its name in
#   data.driftwarden.config.production_stacks, or its configured source in
#   production_sources) was changed or deleted outside Terraform. Production
#   changes must go through the reviewed pipeline. Security-critical types
#   are reported by DW-DRIFT-001 (as critical) instead, so each drift is
#   reported once.
# custom:
#   id: DW-DRIFT-002
#   severity: high
#   controls:
#     - SOC2:CC8.1
#     - PCI-DSS-4.0:6.5.1
#     - PCI-DSS-4.0:11.5.2
#   remediation: >-
#     Find who made the change (the drift's attributed events) and whether it
#     was an emergency fix; codify it in Terraform through the pipeline, or
#     re-apply the stack to restore the reviewed configuration.
#   input: drift
package driftwarden.drift.production_drift

import data.driftwarden.lib

deny contains msg if {
	input.drift.kind in {"changed", "missing"}
	production
	not input.drift.resource.type in data.driftwarden.config.critical_types
	msg := message
}

production if input.drift.resource.stack in data.driftwarden.config.production_stacks

production if input.drift.resource.source in data.driftwarden.config.production_sources

message := sprintf("%s in production stack %q was changed outside Terraform: %s", [lib.name, stack, changed_paths]) if {
	input.drift.kind == "changed"
}

message := sprintf("%s in production stack %q was deleted outside Terraform", [lib.name, stack]) if {
	input.drift.kind == "missing"
}

changed_paths := concat(", ", sort(paths)) if {
	paths := {d.path | some d in input.drift.diffs}
	count(paths) > 0
} else := "attributes differ"

stack := object.get(input.drift.resource, "stack", "")
