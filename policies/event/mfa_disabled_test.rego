package driftwarden.event.mfa_disabled_test

import data.driftwarden.event.mfa_disabled as policy

event(action, request, error_code) := {"kind": "event", "event": {
	"id": "e1", "action": action, "error_code": error_code, "request": request,
	"principal": {"id": "arn:aws:iam::111122223333:user/alice", "type": "IAMUser", "person": "alice"},
}}

test_deactivate_denied if {
	policy.deny == {"alice deactivated MFA device arn:aws:iam::111122223333:mfa/bob of user bob"} with input as event("iam:DeactivateMFADevice", {"userName": "bob", "serialNumber": "arn:aws:iam::111122223333:mfa/bob"}, "")
}

test_delete_virtual_denied if {
	count(policy.deny) == 1 with input as event("iam:DeleteVirtualMFADevice", {"serialNumber": "arn:aws:iam::111122223333:mfa/bob"}, "")
}

test_enable_allowed if {
	count(policy.deny) == 0 with input as event("iam:EnableMFADevice", {"userName": "bob"}, "")
}

test_failed_call_allowed if {
	count(policy.deny) == 0 with input as event("iam:DeactivateMFADevice", {"userName": "bob"}, "AccessDenied")
}

test_own_device_denied if {
	policy.deny == {"alice deactivated MFA device arn:aws:iam::111122223333:mfa/alice of the calling user"} with input as event("iam:DeactivateMFADevice", {"serialNumber": "arn:aws:iam::111122223333:mfa/alice"}, "")
}
