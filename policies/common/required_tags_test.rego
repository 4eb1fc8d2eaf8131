package driftwarden.common.required_tags_test

import data.driftwarden.common.required_tags as policy

resource(typ, attrs) := {"kind": "resource", "resource": {
	"id": sprintf("aws/%s/x", [typ]),
	"type": typ,
	"provider": split(typ, "_")[0],
	"address": sprintf("%s.x", [typ]),
	"tags": {},
	"attributes": attrs,
}}

test_owner_tag_present_allowed if {
	count(policy.deny) == 0 with input as resource("aws_s3_bucket", {"tags": {"owner": "payments"}})
}

test_owner_tag_case_insensitive_allowed if {
	count(policy.deny) == 0 with input as resource("aws_instance", {"tags": {"Owner": "payments"}})
}

test_owner_from_default_tags_allowed if {
	count(policy.deny) == 0 with input as resource("aws_instance", {"tags": null, "tags_all": {"owner": "payments"}})
}

test_owner_from_normalised_tags_allowed if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {
		"id": "aws/aws_instance/i-1", "type": "aws_instance", "provider": "aws",
		"tags": {"owner": "payments"}, "attributes": {"tags": null},
	}}
}

test_gcp_label_allowed if {
	count(policy.deny) == 0 with input as resource("google_storage_bucket", {"labels": {"owner": "data"}})
}

test_missing_owner_denied if {
	policy.deny == {"aws_s3_bucket.x is missing required tag(s): owner"} with input as resource("aws_s3_bucket", {"tags": {"env": "prod"}})
}

test_empty_owner_denied if {
	count(policy.deny) == 1 with input as resource("aws_s3_bucket", {"tags": {"owner": " "}})
}

test_untagged_taggable_denied if {
	count(policy.deny) == 1 with input as resource("aws_instance", {"tags": null})
}

test_gcp_missing_label_denied if {
	count(policy.deny) == 1 with input as resource("google_compute_instance", {"labels": {}})
}

test_not_taggable_allowed if {
	count(policy.deny) == 0 with input as resource("aws_iam_role_policy_attachment", {"role": "x"})
}

test_other_provider_allowed if {
	count(policy.deny) == 0 with input as resource("azurerm_storage_account", {"tags": {}})
}

test_required_tags_from_config if {
	policy.deny == {"aws_s3_bucket.x is missing required tag(s): team, cost-center"} with input as resource("aws_s3_bucket", {"tags": {"owner": "a"}})
		with data.driftwarden.config.required_tags as ["owner", "team", "cost-center"]
}
