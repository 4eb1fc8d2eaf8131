# METADATA
# title: Plan deletes a protected resource type
# description: >-
#   The plan deletes or replaces (destroy then create, or create then
#   destroy) a resource whose type is listed in
#   data.driftwarden.config.protected_types: databases, buckets, KMS keys and
#   other resources whose deletion loses data or cannot be undone.
# custom:
#   id: DW-PLAN-003
#   severity: high
#   controls:
#     - SOC2:CC8.1
#     - SOC2:A1.2
#     - PCI-DSS-4.0:6.5.1
#   remediation: >-
#     Check why Terraform deletes or replaces the resource (a renamed
#     address needs a moved block; a ForceNew attribute change needs a
#     migration plan); add lifecycle { prevent_destroy = true } to protected
#     resources.
#   input: plan
package driftwarden.plan.protected_deletion

deny contains msg if {
	input.kind == "plan"
	some rc in input.plan.resource_changes
	"delete" in rc.actions
	object.get(rc, "mode", "managed") == "managed"
	rc.type in data.driftwarden.config.protected_types
	msg := sprintf("plan for stack %q %s protected resource %s", [object.get(input.plan, "stack", ""), verb(rc.actions), rc.address])
}

verb(actions) := "replaces" if {
	"create" in actions
} else := "deletes"
