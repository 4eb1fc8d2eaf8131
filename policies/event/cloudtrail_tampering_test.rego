package driftwarden.event.cloudtrail_tampering_test

import data.driftwarden.event.cloudtrail_tampering as policy

event(action, error_code) := {"kind": "event", "event": {
	"id": "e1", "source": "cloudtrail", "action": action, "error_code": error_code,
	"principal": {"id": "arn:aws:sts::111122223333:assumed-role/admin/mallory", "type": "AssumedRole", "person": "mallory"},
	"request": {"name": "arn:aws:cloudtrail:us-west-2:123456789012:trail/example-trail"},
}}

test_stop_logging_critical if {
	policy.deny == {{
		"msg": "mallory stopped logging of trail arn:aws:cloudtrail:us-west-2:123456789012:trail/example-trail",
		"severity": "critical",
	}} with input as event("cloudtrail:StopLogging", "")
}

test_delete_trail_denied if {
	some result in policy.deny with input as event("cloudtrail:DeleteTrail", "")
	result.severity == "critical"
}

test_update_trail_high if {
	some result in policy.deny with input as event("cloudtrail:UpdateTrail", "")
	result.severity == "high"
}

test_start_logging_allowed if {
	count(policy.deny) == 0 with input as event("cloudtrail:StartLogging", "")
}

test_failed_stop_allowed if {
	count(policy.deny) == 0 with input as event("cloudtrail:StopLogging", "AccessDenied")
}
