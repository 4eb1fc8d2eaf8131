package driftwarden.event.kms_key_deletion_test

import data.driftwarden.event.kms_key_deletion as policy

event(action, request, error_code) := {"kind": "event", "event": {
	"id": "e1", "action": action, "error_code": error_code, "request": request,
	"principal": {"id": "arn:aws:iam::111122223333:user/ops", "type": "IAMUser"},
}}

test_schedule_deletion_critical if {
	policy.deny == {{"msg": "arn:aws:iam::111122223333:user/ops scheduled KMS key 1 for deletion in 7 days", "severity": "critical"}} with input as event("kms:ScheduleKeyDeletion", {"keyId": "1", "pendingWindowInDays": 7}, "")
}

test_disable_key_high if {
	some result in policy.deny with input as event("kms:DisableKey", {"keyId": "1"}, "")
	result.severity == "high"
}

test_gcp_destroy_denied if {
	count(policy.deny) == 1 with input as event("cloudkms.googleapis.com:DestroyCryptoKeyVersion", {"name": "projects/p/locations/eu/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1"}, "")
}

test_enable_key_allowed if {
	count(policy.deny) == 0 with input as event("kms:EnableKey", {"keyId": "1"}, "")
}

test_failed_call_allowed if {
	count(policy.deny) == 0 with input as event("kms:ScheduleKeyDeletion", {"keyId": "1"}, "AccessDeniedException")
}
