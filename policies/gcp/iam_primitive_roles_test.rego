package driftwarden.gcp.iam_primitive_roles_test

import data.driftwarden.gcp.iam_primitive_roles as policy

res(typ, attrs) := {"kind": "resource", "resource": {
	"id": "p1", "type": typ, "address": sprintf("%s.x", [typ]),
	"attributes": object.union({"project": "p1"}, attrs),
}}

test_owner_to_user_denied if {
	policy.deny == {"google_project_iam_member.x grants roles/owner to user:alice@example.com"} with input as res("google_project_iam_member", {"role": "roles/owner", "member": "user:alice@example.com"})
}

test_owner_to_group_allowed if {
	count(policy.deny) == 0 with input as res("google_project_iam_member", {"role": "roles/owner", "member": "group:admins@example.com"})
}

test_viewer_to_user_allowed if {
	count(policy.deny) == 0 with input as res("google_project_iam_member", {"role": "roles/viewer", "member": "user:alice@example.com"})
}

test_editor_binding_denied if {
	count(policy.deny) == 1 with input as res("google_project_iam_binding", {"role": "roles/editor", "members": ["serviceAccount:ci@p1.iam.gserviceaccount.com", "user:bob@example.com"]})
}

test_org_member_denied if {
	count(policy.deny) == 1 with input as res("google_organization_iam_member", {"role": "roles/editor", "member": "user:bob@example.com"})
}

test_policy_data_denied if {
	count(policy.deny) == 1 with input as res("google_project_iam_policy", {"policy_data": json.marshal({"bindings": [
		{"role": "roles/owner", "members": ["user:alice@example.com"]},
		{"role": "roles/viewer", "members": ["user:bob@example.com"]},
	]})})
}

test_folder_policy_data_denied if {
	count(policy.deny) == 1 with input as res("google_folder_iam_policy", {"folder": "folders/123", "policy_data": json.marshal({"bindings": [{"role": "roles/owner", "members": ["user:alice@example.com"]}]})})
}

test_organization_policy_data_denied if {
	count(policy.deny) == 1 with input as res("google_organization_iam_policy", {"org_id": "123456", "policy_data": json.marshal({"bindings": [{"role": "roles/editor", "members": ["group:eng@example.com", "user:bob@example.com"]}]})})
}

test_conditional_member_denied if {
	count(policy.deny) == 1 with input as res("google_project_iam_member", {
		"role": "roles/owner", "member": "user:bob@example.com",
		"condition": [{"title": "expires", "description": "", "expression": "request.time < timestamp(\"2030-01-01T00:00:00Z\")"}],
	})
}

test_policy_data_with_audit_configs_only_allowed if {
	count(policy.deny) == 0 with input as res("google_project_iam_policy", {"policy_data": json.marshal({"auditConfigs": [{"service": "allServices", "auditLogConfigs": [{"logType": "DATA_READ"}]}]})})
}
