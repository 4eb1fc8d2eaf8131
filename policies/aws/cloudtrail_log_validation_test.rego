package driftwarden.aws.cloudtrail_log_validation_test

import data.driftwarden.aws.cloudtrail_log_validation as policy

trail(validation) := {"kind": "resource", "resource": {
	"id": "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main", "type": "aws_cloudtrail", "address": "aws_cloudtrail.main",
	"attributes": {"name": "main", "is_multi_region_trail": true, "enable_log_file_validation": validation},
}}

test_validation_on_allowed if {
	count(policy.deny) == 0 with input as trail(true)
}

test_validation_off_denied if {
	policy.deny == {"aws_cloudtrail.main does not validate its log files (enable_log_file_validation = false)"} with input as trail(false)
}
