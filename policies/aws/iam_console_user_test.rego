package driftwarden.aws.iam_console_user_test

import data.driftwarden.aws.iam_console_user as policy

profile(user) := {"kind": "resource", "resource": {
	"id": user, "type": "aws_iam_user_login_profile", "address": "aws_iam_user_login_profile.alice",
	"attributes": {"user": user, "password_reset_required": true, "password_length": 20},
}}

test_login_profile_denied if {
	policy.deny == {`aws_iam_user_login_profile.alice gives IAM user "alice" a console password`} with input as profile("alice")
}

test_break_glass_user_allowed if {
	count(policy.deny) == 0 with input as profile("breakglass")
		with data.driftwarden.config.iam_console_users_allowed as ["breakglass"]
}

test_other_types_allowed if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {"id": "alice", "type": "aws_iam_user", "attributes": {"name": "alice"}}}
}
