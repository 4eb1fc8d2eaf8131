package driftwarden.gcp.gcs_public_bucket_test

import data.driftwarden.gcp.gcs_public_bucket as policy

res(typ, attrs) := {"kind": "resource", "resource": {
	"id": "b/data", "type": typ, "address": sprintf("%s.x", [typ]),
	"attributes": object.union({"bucket": "b/data"}, attrs),
}}

test_group_member_allowed if {
	count(policy.deny) == 0 with input as res("google_storage_bucket_iam_member", {"role": "roles/storage.objectViewer", "member": "group:data@example.com"})
}

test_all_users_member_denied if {
	policy.deny == {"google_storage_bucket_iam_member.x grants roles/storage.objectViewer to allUsers on bucket b/data"} with input as res("google_storage_bucket_iam_member", {"role": "roles/storage.objectViewer", "member": "allUsers"})
}

test_all_authenticated_binding_denied if {
	count(policy.deny) == 1 with input as res("google_storage_bucket_iam_binding", {"role": "roles/storage.objectViewer", "members": ["user:a@example.com", "allAuthenticatedUsers"]})
}

test_private_binding_allowed if {
	count(policy.deny) == 0 with input as res("google_storage_bucket_iam_binding", {"role": "roles/storage.admin", "members": ["user:a@example.com"]})
}

test_policy_data_denied if {
	count(policy.deny) == 1 with input as res("google_storage_bucket_iam_policy", {"policy_data": json.marshal({"bindings": [{"role": "roles/storage.objectViewer", "members": ["allUsers"]}]})})
}

test_policy_data_private_allowed if {
	count(policy.deny) == 0 with input as res("google_storage_bucket_iam_policy", {"policy_data": json.marshal({"bindings": [{"role": "roles/storage.objectViewer", "members": ["group:g@example.com"]}]})})
	count(policy.deny) == 0 with input as res("google_storage_bucket_iam_policy", {"policy_data": "not json"})
}

test_bucket_access_control_all_users_denied if {
	policy.deny == {"google_storage_bucket_access_control.public grants READER to allUsers on bucket site"} with input as {"kind": "resource", "resource": {
		"id": "site/allUsers", "type": "google_storage_bucket_access_control", "address": "google_storage_bucket_access_control.public",
		"attributes": {"bucket": "site", "entity": "allUsers", "role": "READER", "domain": "", "email": ""},
	}}
}

test_default_object_access_control_authenticated_denied if {
	count(policy.deny) == 1 with input as {"kind": "resource", "resource": {
		"id": "site/allAuthenticatedUsers", "type": "google_storage_default_object_access_control",
		"attributes": {"bucket": "site", "entity": "allAuthenticatedUsers", "role": "READER"},
	}}
}

test_object_access_control_user_allowed if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {
		"id": "site/o/user-a@example.com", "type": "google_storage_object_access_control",
		"attributes": {"bucket": "site", "object": "o", "entity": "user-a@example.com", "role": "READER"},
	}}
}

test_bucket_acl_role_entity_denied if {
	policy.deny == {"google_storage_bucket_acl.a grants READER to allUsers on bucket site"} with input as {"kind": "resource", "resource": {
		"id": "site", "type": "google_storage_bucket_acl", "address": "google_storage_bucket_acl.a",
		"attributes": {"bucket": "site", "role_entity": ["OWNER:project-owners-123", "READER:allUsers"], "predefined_acl": null},
	}}
}

test_object_acl_predefined_public_denied if {
	policy.deny == {"google_storage_object_acl.a applies the canned ACL publicRead on bucket site"} with input as {"kind": "resource", "resource": {
		"id": "site/o", "type": "google_storage_object_acl", "address": "google_storage_object_acl.a",
		"attributes": {"bucket": "site", "object": "o", "predefined_acl": "publicRead", "role_entity": []},
	}}
}

test_bucket_acl_private_allowed if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {
		"id": "site", "type": "google_storage_bucket_acl",
		"attributes": {"bucket": "site", "predefined_acl": "projectPrivate", "role_entity": ["OWNER:project-owners-123", "READER:group-g@example.com"]},
	}}
}

test_inventory_member_without_bucket_attribute if {
	policy.deny == {"//storage.googleapis.com/site/iamPolicy/roles/storage.objectViewer/members/allusers grants roles/storage.objectViewer to allUsers"} with input as {"kind": "resource", "resource": {
		"id": "//storage.googleapis.com/site/iamPolicy/roles/storage.objectViewer/members/allusers", "type": "google_storage_bucket_iam_member",
		"attributes": {"role": "roles/storage.objectViewer", "member": "allUsers"},
	}}
}

bucket_inventory(name, pap) := {"google_storage_bucket": [{
	"id": sprintf("//storage.googleapis.com/%s", [name]), "type": "google_storage_bucket",
	"account": "proj-1", "region": "us", "address": "", "stack": "",
	"attributes": {"name": name, "public_access_prevention": pap},
}]}

public_member := res("google_storage_bucket_iam_member", {"role": "roles/storage.objectViewer", "member": "allUsers"})

test_enforced_public_access_prevention_suppresses_iam_grant if {
	count(policy.deny) == 0 with input as public_member
		with data.driftwarden.inventory as bucket_inventory("data", "enforced")
	count(policy.deny) == 0 with input as res("google_storage_bucket_iam_binding", {"role": "roles/storage.objectViewer", "members": ["allAuthenticatedUsers"]})
		with data.driftwarden.inventory as bucket_inventory("data", "enforced")
	count(policy.deny) == 0 with input as res("google_storage_bucket_iam_policy", {"policy_data": json.marshal({"bindings": [{"role": "roles/storage.objectViewer", "members": ["allUsers"]}]})})
		with data.driftwarden.inventory as bucket_inventory("data", "enforced")
}

test_plain_bucket_name_matches if {
	count(policy.deny) == 0 with input as res("google_storage_bucket_iam_member", {"bucket": "data", "role": "roles/storage.objectViewer", "member": "allUsers"})
		with data.driftwarden.inventory as bucket_inventory("data", "enforced")
}

test_inherited_public_access_prevention_does_not_suppress if {
	count(policy.deny) == 1 with input as public_member
		with data.driftwarden.inventory as bucket_inventory("data", "inherited")
}

test_other_bucket_enforced_does_not_suppress if {
	count(policy.deny) == 1 with input as public_member
		with data.driftwarden.inventory as bucket_inventory("other", "enforced")
}

test_no_inventory_does_not_suppress if {
	count(policy.deny) == 1 with input as public_member
	count(policy.deny) == 1 with input as public_member with data.driftwarden.inventory as {}
}

public_acl := {"kind": "resource", "resource": {
	"id": "data/allUsers", "type": "google_storage_bucket_access_control",
	"attributes": {"bucket": "data", "entity": "allUsers", "role": "READER"},
}}

test_enforced_prevention_suppresses_acl_findings if {
	count(policy.deny) == 0 with input as public_acl
		with data.driftwarden.inventory as bucket_inventory("data", "enforced")
	count(policy.deny) == 1 with input as public_acl
		with data.driftwarden.inventory as bucket_inventory("data", "inherited")
	count(policy.deny) == 1 with input as public_acl
}

test_inventory_grant_without_bucket_attribute_uses_its_id if {
	grant := {"kind": "resource", "resource": {
		"id": "//storage.googleapis.com/data/iamPolicy/roles/storage.objectViewer/members/allUsers",
		"type": "google_storage_bucket_iam_member",
		"attributes": {"role": "roles/storage.objectViewer", "member": "allUsers"},
	}}
	count(policy.deny) == 0 with input as grant with data.driftwarden.inventory as bucket_inventory("data", "enforced")
	count(policy.deny) == 1 with input as grant with data.driftwarden.inventory as bucket_inventory("data", "inherited")
}
