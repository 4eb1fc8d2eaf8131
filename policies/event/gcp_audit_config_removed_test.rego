package driftwarden.event.gcp_audit_config_removed_test

import data.driftwarden.event.gcp_audit_config_removed as policy

event(mask, policy_doc, error_code) := {"kind": "event", "event": {
	"id": "e1", "source": "gcpaudit", "action": "cloudresourcemanager.googleapis.com:SetIamPolicy", "error_code": error_code,
	"principal": {"id": "chris@example.com", "type": "user"},
	"request": {
		"@type": "type.googleapis.com/google.iam.v1.SetIamPolicyRequest",
		"resource": "organizations/888888888888",
		"policy": policy_doc,
		"updateMask": mask,
	},
}}

bindings := [{"members": ["group:admins@example.com"], "role": "roles/owner"}]

test_audit_configs_removed_critical if {
	policy.deny == {{"msg": "chris@example.com removed every audit log configuration of organizations/888888888888", "severity": "critical"}} with input as event("bindings,etag,auditConfigs", {"bindings": bindings, "etag": "BwXcRFUAtX4="}, "")
}

test_bindings_only_allowed if {
	count(policy.deny) == 0 with input as event("bindings,etag", {"bindings": bindings}, "")
	count(policy.deny) == 0 with input as event("", {"bindings": bindings}, "")
}

test_full_audit_config_allowed if {
	count(policy.deny) == 0 with input as event(
		"auditConfigs", {"auditConfigs": [{"service": "allServices", "auditLogConfigs": [
			{"logType": "ADMIN_READ"}, {"logType": "DATA_READ"}, {"logType": "DATA_WRITE"},
		]}]},
		"",
	)
}

test_exempted_members_denied if {
	some result in policy.deny with input as event(
		"auditConfigs", {"auditConfigs": [{"service": "allServices", "auditLogConfigs": [
			{"logType": "DATA_READ", "exemptedMembers": ["user:mallory@example.com"]},
		]}]},
		"",
	)
	result.severity == "high"
	contains(result.msg, "exempted user:mallory@example.com from DATA_READ audit logging of allServices")
}

test_failed_call_allowed if {
	count(policy.deny) == 0 with input as event("auditConfigs", {"bindings": bindings}, "PERMISSION_DENIED")
}
