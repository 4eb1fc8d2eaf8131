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

attachment(typ, attrs) := {"kind": "resource", "resource": {
	"id": "x", "type": typ, "address": sprintf("%s.x", [typ]), "attributes": attrs,
}}

test_role_admin_attachment_denied if {
	policy.deny == {"aws_iam_role_policy_attachment.x attaches the managed policy arn:aws:iam::aws:policy/AdministratorAccess"} with input as attachment("aws_iam_role_policy_attachment", {"id": "ci-20240101", "role": "ci", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"})
}

test_user_and_group_admin_attachment_denied if {
	count(policy.deny) == 1 with input as attachment("aws_iam_user_policy_attachment", {"user": "alice", "policy_arn": "arn:aws-us-gov:iam::aws:policy/AdministratorAccess"})
	count(policy.deny) == 1 with input as attachment("aws_iam_group_policy_attachment", {"group": "ops", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"})
}

test_policy_attachment_denied if {
	count(policy.deny) == 1 with input as attachment("aws_iam_policy_attachment", {"name": "admins", "roles": ["ci"], "users": [], "groups": [], "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"})
}

test_other_managed_attachments_allowed if {
	count(policy.deny) == 0 with input as attachment("aws_iam_role_policy_attachment", {"role": "ci", "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"})
	count(policy.deny) == 0 with input as attachment("aws_iam_role_policy_attachment", {"role": "ci", "policy_arn": "arn:aws:iam::111122223333:policy/AdministratorAccess"})
	count(policy.deny) == 0 with input as attachment("aws_iam_role_policy_attachment", {"role": "ci", "policy_arn": "arn:aws:iam::aws:policy/job-function/SystemAdministrator"})
}

test_exclusive_attachments_denied if {
	count(policy.deny) == 1 with input as attachment("aws_iam_role_policy_attachments_exclusive", {"role_name": "ci", "policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/AdministratorAccess"]})
}

test_role_managed_policy_arns_denied if {
	policy.deny == {"aws_iam_role.x has the managed policy arn:aws:iam::aws:policy/AdministratorAccess attached"} with input as attachment("aws_iam_role", {
		"name": "ci", "managed_policy_arns": ["arn:aws:iam::aws:policy/AdministratorAccess"],
		"inline_policy": [{"name": "", "policy": ""}],
	})
}

# NotAction on "*" that leaves IAM allowed grants everything in the end.
test_not_action_without_iam_denied if {
	policy.deny == {`aws_iam_policy.x allows every action but NotAction ["s3:DeleteBucket"] on Resource "*", IAM included`} with input as iam("aws_iam_policy", json.marshal({"Statement": [{"Effect": "Allow", "NotAction": "s3:DeleteBucket", "Resource": "*"}]}))
}

# PowerUserAccess: everything but iam:*, organizations:*, account:*.
test_power_user_not_action_allowed if {
	count(policy.deny) == 0 with input as iam("aws_iam_policy", json.marshal({"Statement": [{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}]}))
}

test_not_action_on_one_resource_allowed if {
	count(policy.deny) == 0 with input as iam("aws_iam_policy", json.marshal({"Statement": [{"Effect": "Allow", "NotAction": "s3:DeleteBucket", "Resource": "arn:aws:s3:::x"}]}))
}

test_group_policy_admin_denied if {
	policy.deny == {`aws_iam_group_policy.x allows Action "*" on Resource "*"`} with input as iam("aws_iam_group_policy", doc("Allow", "*:*", "*"))
}

test_not_action_everything_allowed if {
	count(policy.deny) == 0 with input as iam("aws_iam_role_policy", json.marshal({"Statement": [{"Effect": "Allow", "NotAction": "*", "Resource": "*"}]}))
}

# iam:* on "*" lets the holder attach AdministratorAccess to itself.
test_iam_wildcard_denied if {
	policy.deny == {`aws_iam_role_policy.x allows Action "iam:*" on Resource "*", which can grant every other permission`} with input as iam("aws_iam_role_policy", doc("Allow", "iam:*", "*"))
}

test_iam_read_only_allowed if {
	count(policy.deny) == 0 with input as iam("aws_iam_role_policy", doc("Allow", ["iam:Get*", "iam:List*"], "*"))
}
