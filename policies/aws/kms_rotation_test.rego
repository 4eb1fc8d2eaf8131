package driftwarden.aws.kms_rotation_test

import data.driftwarden.aws.kms_rotation as policy

key(attrs) := {"kind": "resource", "resource": {
	"id": "arn:aws:kms:eu-west-1:111122223333:key/1", "type": "aws_kms_key", "address": "aws_kms_key.data",
	"attributes": attrs,
}}

test_rotating_key_allowed if {
	count(policy.deny) == 0 with input as key({"enable_key_rotation": true, "key_spec": "SYMMETRIC_DEFAULT", "key_usage": "ENCRYPT_DECRYPT", "is_enabled": true})
}

test_not_rotating_key_denied if {
	policy.deny == {"aws_kms_key.data does not rotate its key material (enable_key_rotation = false)"} with input as key({"enable_key_rotation": false, "key_spec": "SYMMETRIC_DEFAULT", "key_usage": "ENCRYPT_DECRYPT", "is_enabled": true})
}

test_legacy_spec_denied if {
	count(policy.deny) == 1 with input as key({"enable_key_rotation": false, "customer_master_key_spec": "SYMMETRIC_DEFAULT"})
}

test_asymmetric_key_allowed if {
	count(policy.deny) == 0 with input as key({"enable_key_rotation": false, "key_spec": "RSA_2048", "key_usage": "SIGN_VERIFY"})
}

test_hmac_key_allowed if {
	count(policy.deny) == 0 with input as key({"enable_key_rotation": false, "key_spec": "HMAC_256", "key_usage": "GENERATE_VERIFY_MAC"})
}

test_disabled_key_allowed if {
	count(policy.deny) == 0 with input as key({"enable_key_rotation": false, "key_spec": "SYMMETRIC_DEFAULT", "is_enabled": false})
}

# Keys in a CloudHSM or external key store cannot rotate automatically.
test_custom_key_store_allowed if {
	count(policy.deny) == 0 with input as key({"enable_key_rotation": false, "key_spec": "SYMMETRIC_DEFAULT", "key_usage": "ENCRYPT_DECRYPT", "is_enabled": true, "custom_key_store_id": "cks-1234567890abcdef0"})
}

test_empty_custom_key_store_denied if {
	count(policy.deny) == 1 with input as key({"enable_key_rotation": false, "key_spec": "SYMMETRIC_DEFAULT", "key_usage": "ENCRYPT_DECRYPT", "is_enabled": true, "custom_key_store_id": ""})
}

test_hmac_key_allowed if {
	count(policy.deny) == 0 with input as key({"enable_key_rotation": false, "key_spec": "HMAC_256", "customer_master_key_spec": "HMAC_256", "key_usage": "GENERATE_VERIFY_MAC", "is_enabled": true})
}
