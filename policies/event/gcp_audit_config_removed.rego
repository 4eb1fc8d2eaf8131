# METADATA
# title: Cloud Audit Logs configuration removed or weakened
# description: >-
#   A successful SetIamPolicy call on a project, folder or organisation
#   updated its audit configuration (updateMask includes auditConfigs) and
#   either removed every audit config (critical) or exempted members from
#   audit logging (high), so their data access stops being recorded.
# custom:
#   id: DW-EVT-005
#   severity: high
#   controls:
#     - CIS-GCP-2.0:2.1
#     - SOC2:CC7.2
#     - PCI-DSS-4.0:10.2.1
#     - PCI-DSS-4.0:10.2.1.6
#   remediation: >-
#     Restore the audit configuration (google_project_iam_audit_config with
#     service allServices and DATA_READ, DATA_WRITE, ADMIN_READ, no exempted
#     members) by re-applying its stack, and find who made the call.
#   input: event
package driftwarden.event.gcp_audit_config_removed

import data.driftwarden.lib

deny contains result if {
	endswith(input.event.action, ":SetIamPolicy")
	lib.event_succeeded
	updates_audit_configs
	count(object.get(input.event.request, ["policy", "auditConfigs"], [])) == 0
	result := {"msg": sprintf("%s removed every audit log configuration of %s", [lib.actor, target]), "severity": "critical"}
}

deny contains result if {
	endswith(input.event.action, ":SetIamPolicy")
	lib.event_succeeded
	updates_audit_configs
	some config in input.event.request.policy.auditConfigs
	some log_config in config.auditLogConfigs
	count(object.get(log_config, "exemptedMembers", [])) > 0
	result := {
		"msg": sprintf("%s exempted %s from %s audit logging of %s on %s", [
			lib.actor, concat(", ", log_config.exemptedMembers), object.get(log_config, "logType", ""),
			object.get(config, "service", ""), target,
		]),
		"severity": "high",
	}
}

updates_audit_configs if {
	some path in split(object.get(input.event.request, "updateMask", ""), ",")
	trim_space(path) in {"auditConfigs", "audit_configs"}
}

target := object.get(input.event.request, "resource", lib.event_subject)
