# METADATA
# title: Security-critical resource drifted
# description: >-
#   A resource of a security-critical type (IAM, security groups and network
#   ACLs, firewalls, KMS, bucket policies and public access blocks; the list
#   is data.driftwarden.config.critical_types) was changed or deleted outside
#   Terraform. Drift in a production stack (its name in
#   data.driftwarden.config.production_stacks, or its configured source in
#   production_sources) is critical.
# custom:
#   id: DW-DRIFT-001
#   severity: high
#   controls:
#     - SOC2:CC8.1
#     - PCI-DSS-4.0:6.5.1
#   remediation: >-
#     Find who made the change (the drift's attributed events), confirm it was
#     authorised, then either codify it in Terraform or re-apply the stack to
#     restore the reviewed configuration.
#   input: drift
package driftwarden.drift.critical_type_drift

import data.driftwarden.lib

deny contains result if {
	input.drift.kind in {"changed", "missing"}
	resource := input.drift.resource
	resource.type in data.driftwarden.config.critical_types
	result := {"msg": message, "severity": severity}
}

message := sprintf("%s (%s) was changed outside Terraform: %s", [lib.name, input.drift.resource.type, changed_paths]) if {
	input.drift.kind == "changed"
}

message := sprintf("%s (%s) is in the state of stack %q but no longer exists", [lib.name, input.drift.resource.type, object.get(input.drift.resource, "stack", "")]) if {
	input.drift.kind == "missing"
}

changed_paths := concat(", ", sort(paths)) if {
	paths := {d.path | some d in input.drift.diffs}
	count(paths) > 0
} else := "attributes differ"

severity := "critical" if {
	production
} else := "high"

production if input.drift.resource.stack in data.driftwarden.config.production_stacks

production if input.drift.resource.source in data.driftwarden.config.production_sources
