# METADATA
# title: Managed resource deleted outside Terraform
# description: >-
#   A resource in a stack's Terraform state no longer exists in the cloud:
#   someone or something deleted it outside the pipeline, and the next apply
#   will recreate it (possibly empty). The severity is
#   data.driftwarden.config.missing_resource_severity (default medium).
#   Security-critical types (DW-DRIFT-001) and production stacks
#   (DW-DRIFT-002) are reported by those policies instead.
# custom:
#   id: DW-DRIFT-003
#   severity: medium
#   controls:
#     - SOC2:CC8.1
#     - SOC2:A1.2
#     - PCI-DSS-4.0:11.5.2
#   remediation: >-
#     Find who deleted it (the drift's attributed events); restore it from
#     backup or re-apply the stack, or remove it from the configuration if the
#     deletion was intended.
#   input: drift
package driftwarden.drift.missing_resource

import data.driftwarden.lib

deny contains result if {
	input.drift.kind == "missing"
	resource := input.drift.resource
	not resource.type in data.driftwarden.config.critical_types
	not resource.stack in data.driftwarden.config.production_stacks
	not resource.source in data.driftwarden.config.production_sources
	result := {
		"msg": sprintf("%s (%s) is in the state of stack %q but no longer exists", [lib.name, resource.type, object.get(resource, "stack", "")]),
		"severity": data.driftwarden.config.missing_resource_severity,
	}
}
