package driftwarden.common.approved_regions_test

import data.driftwarden.common.approved_regions as policy

res(region) := {"kind": "resource", "resource": {
	"id": "x", "type": "aws_instance", "address": "aws_instance.x", "region": region, "attributes": {},
}}

test_any_region_by_default if {
	count(policy.deny) == 0 with input as res("ap-southeast-2")
}

test_approved_region_allowed if {
	count(policy.deny) == 0 with input as res("eu-west-1")
		with data.driftwarden.config.approved_regions as ["eu-west-1", "eu-central-1"]
}

test_case_insensitive if {
	count(policy.deny) == 0 with input as res("EUROPE-WEST1")
		with data.driftwarden.config.approved_regions as ["europe-west1"]
}

test_other_region_denied if {
	policy.deny == {"aws_instance.x is in region us-east-1, which is not approved (approved: eu-west-1, eu-central-1)"} with input as res("us-east-1")
		with data.driftwarden.config.approved_regions as ["eu-west-1", "eu-central-1"]
}

test_global_resource_allowed if {
	count(policy.deny) == 0 with input as res("")
		with data.driftwarden.config.approved_regions as ["eu-west-1"]
}
