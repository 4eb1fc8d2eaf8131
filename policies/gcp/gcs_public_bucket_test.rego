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
