package driftwarden.event.root_access_key_test

import data.driftwarden.event.root_access_key as policy

event(typ, request, error_code) := {"kind": "event", "event": {
	"id": "e1", "action": "iam:CreateAccessKey", "account": "123456789012", "error_code": error_code, "request": request,
	"principal": {"id": "arn:aws:iam::123456789012:root", "type": typ},
}}

test_root_own_key_denied if {
	policy.deny == {"the root user of account 123456789012 created an access key for itself"} with input as event("Root", null, "")
}

test_root_key_for_user_allowed if {
	count(policy.deny) == 0 with input as event("Root", {"userName": "example-user"}, "")
}

test_user_key_allowed if {
	count(policy.deny) == 0 with input as event("IAMUser", null, "")
}

test_failed_call_allowed if {
	count(policy.deny) == 0 with input as event("Root", null, "LimitExceeded")
}
