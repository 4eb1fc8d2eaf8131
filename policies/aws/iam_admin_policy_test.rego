package driftwarden.aws.iam_admin_policy_test

import data.driftwarden.aws.iam_admin_policy as policy

doc(effect, action, resource) := json.marshal({"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": action, "Resource": resource}]})

iam(typ, document) := {"kind": "resource", "resource": {
	"id": "x", "type": typ, "address": sprintf("%s.x", [typ]),
	"attributes": {"name": "x", "policy": document},
}}

test_scoped_policy_allowed if {
	count(policy.deny) == 0 with input as iam("aws_iam_policy", doc("Allow", ["s3:GetObject"], "*"))
}

test_admin_policy_denied if {
	policy.deny == {`aws_iam_policy.x allows Action "*" on Resource "*"`} with input as iam("aws_iam_policy", doc("Allow", "*", "*"))
}

test_admin_list_forms_denied if {
	count(policy.deny) == 1 with input as iam("aws_iam_role_policy", doc("Allow", ["s3:*", "*:*"], ["arn:aws:s3:::x", "*"]))
}

test_admin_on_one_resource_allowed if {
	count(policy.deny) == 0 with input as iam("aws_iam_user_policy", doc("Allow", "*", "arn:aws:s3:::x"))
}

test_deny_statement_allowed if {
	count(policy.deny) == 0 with input as iam("aws_iam_group_policy", doc("Deny", "*", "*"))
}

test_single_statement_object_denied if {
	count(policy.deny) == 1 with input as iam("aws_iam_user_policy", json.marshal({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}))
}

test_invalid_document_allowed if {
	count(policy.deny) == 0 with input as iam("aws_iam_policy", "{not json")
}

test_role_inline_policy_denied if {
	policy.deny == {`aws_iam_role.x has inline policy "admin" allowing Action "*" on Resource "*"`} with input as {"kind": "resource", "resource": {
		"id": "x", "type": "aws_iam_role", "address": "aws_iam_role.x",
		"attributes": {"inline_policy": [{"name": "admin", "policy": doc("Allow", "*", "*")}]},
	}}
}

test_role_without_inline_policy_allowed if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {
		"id": "x", "type": "aws_iam_role", "attributes": {"inline_policy": []},
	}}
}
