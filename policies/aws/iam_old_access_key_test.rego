package driftwarden.aws.iam_old_access_key_test

import data.driftwarden.aws.iam_old_access_key as policy

# 2025-01-01T00:00:00Z
now := 1735689600000000000

key(created, status) := {"kind": "resource", "resource": {
	"id": "AKIAEXAMPLE", "type": "aws_iam_access_key", "address": "aws_iam_access_key.ci",
	"attributes": {"user": "ci", "status": status, "create_date": created},
}}

test_recent_key_allowed if {
	count(policy.deny) == 0 with input as key("2024-12-01T10:00:00Z", "Active") with time.now_ns as now
}

test_old_key_denied if {
	policy.deny == {`aws_iam_access_key.ci (user "ci") is 366 days old, more than 90`} with input as key("2024-01-01T00:00:00Z", "Active") with time.now_ns as now
}

test_old_inactive_key_allowed if {
	count(policy.deny) == 0 with input as key("2020-01-01T00:00:00Z", "Inactive") with time.now_ns as now
}

test_max_age_from_config if {
	count(policy.deny) == 1 with input as key("2024-12-01T10:00:00Z", "Active") with time.now_ns as now
		with data.driftwarden.config.access_key_max_age_days as 7
}

test_bad_date_allowed if {
	count(policy.deny) == 0 with input as key("yesterday", "Active") with time.now_ns as now
	count(policy.deny) == 0 with input as key(null, "Active") with time.now_ns as now
}
