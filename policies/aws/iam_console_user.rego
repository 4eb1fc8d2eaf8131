# METADATA
# title: IAM user with console access
# description: >-
#   An IAM user has a console password (aws_iam_user_login_profile). Long-lived
#   IAM user passwords bypass the identity provider's MFA, session length and
#   off-boarding; people should sign in through federation (IAM Identity
#   Center) instead. Users listed in
#   data.driftwarden.config.iam_console_users_allowed (break-glass accounts)
#   are exempt.
# custom:
#   id: DW-AWS-IAM-002
#   severity: medium
#   controls:
#     - CIS-AWS-2.0:1.10
#     - CIS-AWS-3.0:1.10
#     - SOC2:CC6.2
#     - PCI-DSS-4.0:8.4.2
#   remediation: >-
#     Remove the login profile and give the person federated access through
#     IAM Identity Center; if the user must keep a password, enforce MFA and
#     add it to iam_console_users_allowed.
#   input: resource
#   resource_types:
#     - aws_iam_user_login_profile
package driftwarden.aws.iam_console_user

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "aws_iam_user_login_profile"
	user := object.get(input.resource.attributes, "user", "")
	not user in data.driftwarden.config.iam_console_users_allowed
	msg := sprintf("%s gives IAM user %q a console password", [lib.name, user])
}
