package driftwarden.event.root_activity_test

import data.driftwarden.event.root_activity as policy

event(typ, via, error_code) := {"kind": "event", "event": {
	"id": "e1", "source": "cloudtrail", "action": "signin:ConsoleLogin", "account": "111122223333",
	"principal": {"id": "arn:aws:iam::111122223333:root", "type": typ},
	"via": via, "source_ip": "198.51.100.7", "error_code": error_code,
}}

test_root_login_denied if {
	policy.deny == {"the root user of account 111122223333 called signin:ConsoleLogin from 198.51.100.7"} with input as event("Root", "console", "")
}

test_iam_user_allowed if {
	count(policy.deny) == 0 with input as event("IAMUser", "console", "")
}

test_failed_root_call_allowed if {
	count(policy.deny) == 0 with input as event("Root", "console", "Failed authentication")
}

test_service_on_behalf_of_root_allowed if {
	count(policy.deny) == 0 with input as event("Root", "service", "")
}

test_root_api_call_without_address_denied if {
	policy.deny == {"the root user of account 111122223333 called iam:CreateUser"} with input as {"kind": "event", "event": {
		"action": "iam:CreateUser", "account": "111122223333", "principal": {"id": "root", "type": "Root"},
		"via": "cli", "source_ip": "", "error_code": "",
	}}
}
