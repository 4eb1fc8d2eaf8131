# METADATA
# title: IAM policy grants full administrative privileges
# description: >-
#   An IAM policy document (aws_iam_policy, an inline role, user or group
#   policy, or an aws_iam_role inline_policy block) has an Allow statement
#   with Action "*" (or "*:*") on Resource "*": whoever holds it can do
#   anything in the account, including removing every other control.
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
package driftwarden.aws.iam_admin_policy

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "aws_iam_policy"
	admin(input.resource.attributes.policy)
	msg := sprintf("%s allows Action \"*\" on Resource \"*\"", [lib.name])
}

deny contains msg if {
	input.resource.type == "aws_iam_role_policy"
	admin(input.resource.attributes.policy)
	msg := sprintf("%s allows Action \"*\" on Resource \"*\"", [lib.name])
}

deny contains msg if {
	input.resource.type == "aws_iam_user_policy"
	admin(input.resource.attributes.policy)
	msg := sprintf("%s allows Action \"*\" on Resource \"*\"", [lib.name])
}

deny contains msg if {
	input.resource.type == "aws_iam_group_policy"
	admin(input.resource.attributes.policy)
	msg := sprintf("%s allows Action \"*\" on Resource \"*\"", [lib.name])
}

deny contains msg if {
	input.resource.type == "aws_iam_role"
	some inline in input.resource.attributes.inline_policy
	admin(inline.policy)
	msg := sprintf("%s has inline policy %q allowing Action \"*\" on Resource \"*\"", [lib.name, object.get(inline, "name", "")])
}

admin(doc) if {
	some stmt in lib.statements(doc)
	object.get(stmt, "Effect", "") == "Allow"
	some action in lib.as_array(object.get(stmt, "Action", []))
	action in {"*", "*:*"}
	some resource in lib.as_array(object.get(stmt, "Resource", []))
	resource == "*"
}
