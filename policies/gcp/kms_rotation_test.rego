package driftwarden.gcp.kms_rotation_test

import data.driftwarden.gcp.kms_rotation as policy

key(attrs) := {"kind": "resource", "resource": {
	"id": "projects/p1/locations/eu/keyRings/r/cryptoKeys/k", "type": "google_kms_crypto_key", "address": "google_kms_crypto_key.k",
	"attributes": attrs,
}}

test_90_days_allowed if {
	count(policy.deny) == 0 with input as key({"purpose": "ENCRYPT_DECRYPT", "rotation_period": "7776000s"})
}

test_no_rotation_denied if {
	policy.deny == {"google_kms_crypto_key.k has no automatic rotation (rotation_period unset)"} with input as key({"purpose": "ENCRYPT_DECRYPT", "rotation_period": ""})
}

test_yearly_rotation_denied if {
	policy.deny == {"google_kms_crypto_key.k rotates every 365 days, more than 90"} with input as key({"purpose": "ENCRYPT_DECRYPT", "rotation_period": "31536000s"})
}

test_max_from_config if {
	count(policy.deny) == 0 with input as key({"purpose": "ENCRYPT_DECRYPT", "rotation_period": "31536000s"})
		with data.driftwarden.config.kms_max_rotation_days as 365
}

test_asymmetric_key_allowed if {
	count(policy.deny) == 0 with input as key({"purpose": "ASYMMETRIC_SIGN", "rotation_period": ""})
}
