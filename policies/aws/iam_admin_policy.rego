# METADATA
# title: IAM policy grants full administrative privileges
# description: >-
#   An IAM policy document (aws_iam_policy, an inline role, user or group
#   policy, or an aws_iam_role inline_policy block) has an Allow statement
#   on Resource "*" with Action "*" (or "*:*", or "iam:*", which can grant
#   the rest), or with a NotAction that leaves IAM allowed; or the AWS
#   managed AdministratorAccess policy is attached
#   (aws_iam_role/user/group_policy_attachment, aws_iam_policy_attachment,
#   the *_policy_attachments_exclusive resources, or aws_iam_role
#   managed_policy_arns). Whoever holds it can do anything in the account,
#   including removing every other control.
# custom:
#   id: DW-AWS-IAM-001
#   severity: high
#   controls:
#     - CIS-AWS-2.0:1.16
#     - CIS-AWS-3.0:1.16
#     - SOC2:CC6.3
#     - PCI-DSS-4.0:7.2.1
#     - PCI-DSS-4.0:7.2.2
#   remediation: >-
#     Grant only the actions and resources the principal needs (start from
#     IAM Access Analyzer's generated policy); keep break-glass administrator
#     access in a separate, monitored role.
#   input: resource
#   resource_types:
#     - aws_iam_policy
#     - aws_iam_role_policy
#     - aws_iam_user_policy
#     - aws_iam_group_policy
#     - aws_iam_role
#     - aws_iam_role_policy_attachment
#     - aws_iam_user_policy_attachment
#     - aws_iam_group_policy_attachment
#     - aws_iam_policy_attachment
#     - aws_iam_role_policy_attachments_exclusive
#     - aws_iam_user_policy_attachments_exclusive
#     - aws_iam_group_policy_attachments_exclusive
package driftwarden.aws.iam_admin_policy

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "aws_iam_policy"
	some grant in grants(input.resource.attributes.policy)
	msg := sprintf("%s allows %s", [lib.name, grant])
}

deny contains msg if {
	input.resource.type == "aws_iam_role_policy"
	some grant in grants(input.resource.attributes.policy)
	msg := sprintf("%s allows %s", [lib.name, grant])
}

deny contains msg if {
	input.resource.type == "aws_iam_user_policy"
	some grant in grants(input.resource.attributes.policy)
	msg := sprintf("%s allows %s", [lib.name, grant])
}

deny contains msg if {
	input.resource.type == "aws_iam_group_policy"
	some grant in grants(input.resource.attributes.policy)
	msg := sprintf("%s allows %s", [lib.name, grant])
}

deny contains msg if {
	input.resource.type == "aws_iam_role"
	some inline in input.resource.attributes.inline_policy
	some grant in grants(inline.policy)
	msg := sprintf("%s has inline policy %q allowing %s", [lib.name, object.get(inline, "name", ""), grant])
}

# managed_policy_arns of aws_iam_role (exclusive attachments).
deny contains msg if {
	input.resource.type == "aws_iam_role"
	some arn in input.resource.attributes.managed_policy_arns
	admin_arn(arn)
	msg := sprintf("%s has the managed policy %s attached", [lib.name, arn])
}

# One attachment: policy_arn (role, user, group and the multi-principal
# aws_iam_policy_attachment).
deny contains msg if {
	input.resource.type in {
		"aws_iam_role_policy_attachment", "aws_iam_user_policy_attachment",
		"aws_iam_group_policy_attachment", "aws_iam_policy_attachment",
	}
	some msg in attachment_messages
}

# Exclusive attachments (provider 5.x/6.x): a set of policy_arns.
deny contains msg if {
	input.resource.type in {
		"aws_iam_role_policy_attachments_exclusive", "aws_iam_user_policy_attachments_exclusive",
		"aws_iam_group_policy_attachments_exclusive",
	}
	some arn in input.resource.attributes.policy_arns
	admin_arn(arn)
	msg := sprintf("%s attaches the managed policy %s", [lib.name, arn])
}

attachment_messages contains msg if {
	arn := input.resource.attributes.policy_arn
	admin_arn(arn)
	msg := sprintf("%s attaches the managed policy %s", [lib.name, arn])
}

# admin_arn matches AdministratorAccess in every partition (aws, aws-cn,
# aws-us-gov, ...).
admin_arn(arn) if {
	is_string(arn)
	regex.match(`^arn:aws[a-z-]*:iam::aws:policy/AdministratorAccess$`, arn)
}

# grants is the set of descriptions of the administrative grants of a
# policy document.
grants(doc) := {grant |
	some stmt in lib.statements(doc)
	object.get(stmt, "Effect", "") == "Allow"
	some resource in lib.as_array(object.get(stmt, "Resource", []))
	resource == "*"
	some grant in statement_grants(stmt)
}

statement_grants(stmt) := action_grants(stmt) | not_action_grants(stmt)

action_grants(stmt) := {grant |
	some action in lib.as_array(object.get(stmt, "Action", []))
	some grant in action_grant(action)
}

action_grant(action) := {`Action "*" on Resource "*"`} if {
	action in {"*", "*:*"}
} else := {sprintf(`Action %q on Resource "*", which can grant every other permission`, [action])} if {
	is_string(action)
	lower(action) == "iam:*"
} else := set()

not_action_grants(stmt) := {sprintf(`every action but NotAction %v on Resource "*", IAM included`, [not_actions]) |
	not_actions := lib.as_array(object.get(stmt, "NotAction", []))
	count(not_actions) > 0
	not excludes_iam(not_actions)
}

# excludes_iam is true when a NotAction list keeps IAM write access out
# ("iam:*", "iam:Put*", "*", ...): any iam: entry counts, to stay quiet on
# PowerUserAccess-style policies.
excludes_iam(not_actions) if {
	some a in not_actions
	is_string(a)
	startswith(lower(a), "iam:")
}

excludes_iam(not_actions) if "*" in not_actions
