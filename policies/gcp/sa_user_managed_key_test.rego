package driftwarden.gcp.sa_user_managed_key_test

import data.driftwarden.gcp.sa_user_managed_key as policy

key(attrs) := {"kind": "resource", "resource": {
	"id": "k1", "type": "google_service_account_key", "address": "google_service_account_key.ci",
	"attributes": attrs,
}}

test_user_managed_key_denied if {
	policy.deny == {"google_service_account_key.ci is a user-managed key of projects/p1/serviceAccounts/ci@p1.iam.gserviceaccount.com"} with input as key({
		"service_account_id": "projects/p1/serviceAccounts/ci@p1.iam.gserviceaccount.com",
		"key_algorithm": "KEY_ALG_RSA_2048", "private_key": "(sensitive)",
	})
}

test_system_managed_key_allowed if {
	count(policy.deny) == 0 with input as key({"key_type": "SYSTEM_MANAGED"})
}
