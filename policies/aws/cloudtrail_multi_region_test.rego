package driftwarden.aws.cloudtrail_multi_region_test

import data.driftwarden.aws.cloudtrail_multi_region as policy

trail(multi) := {"kind": "resource", "resource": {
	"id": "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main", "type": "aws_cloudtrail", "address": "aws_cloudtrail.main",
	"attributes": {"name": "main", "is_multi_region_trail": multi, "enable_log_file_validation": true},
}}

test_multi_region_allowed if {
	count(policy.deny) == 0 with input as trail(true)
}

test_single_region_denied if {
	policy.deny == {"aws_cloudtrail.main records only its home region (is_multi_region_trail = false)"} with input as trail(false)
}
