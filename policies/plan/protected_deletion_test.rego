package driftwarden.plan.protected_deletion_test

import data.driftwarden.plan.protected_deletion as policy

change(address, actions) := {"address": address, "type": split(address, ".")[0], "mode": "managed", "actions": actions}

plan(changes) := {"kind": "plan", "plan": {"stack": "data", "branch": "main", "tracked_branch": true, "resource_changes": changes}}

test_delete_database_denied if {
	policy.deny == {`plan for stack "data" deletes protected resource aws_db_instance.main`} with input as plan([
		change("aws_db_instance.main", ["delete"]),
		change("aws_instance.web", ["delete"]),
	])
}

test_replace_bucket_denied if {
	policy.deny == {`plan for stack "data" replaces protected resource google_storage_bucket.data`} with input as plan([change("google_storage_bucket.data", ["create", "delete"])])
}

test_update_protected_allowed if {
	count(policy.deny) == 0 with input as plan([change("aws_db_instance.main", ["update"]), change("aws_kms_key.k", ["no-op"])])
}

test_unprotected_delete_allowed if {
	count(policy.deny) == 0 with input as plan([change("aws_instance.web", ["delete"])])
}

test_protected_types_from_config if {
	count(policy.deny) == 1 with input as plan([change("aws_instance.web", ["delete"])])
		with data.driftwarden.config.protected_types as ["aws_instance"]
}
