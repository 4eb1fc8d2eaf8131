# METADATA
# title: IAM access key older than the rotation period
# description: >-
#   An active IAM access key was created more than
#   data.driftwarden.config.access_key_max_age_days (default 90) days ago.
#   Long-lived keys leak through laptops, CI logs and repositories; rotating
#   them bounds how long a leaked key works.
# custom:
#   id: DW-AWS-IAM-003
#   severity: medium
#   controls:
#     - CIS-AWS-2.0:1.14
#     - CIS-AWS-3.0:1.14
#     - SOC2:CC6.1
#     - PCI-DSS-4.0:8.3.9
#     - PCI-DSS-4.0:8.6.3
#   remediation: >-
#     Create a new key, move its users over, deactivate and then delete the
#     old one; better, replace the user's keys with roles (instance profiles,
#     OIDC federation for CI).
#   input: resource
#   resource_types:
#     - aws_iam_access_key
package driftwarden.aws.iam_old_access_key

import data.driftwarden.lib

ns_per_day := ((24 * 60) * 60) * 1000000000

deny contains msg if {
	input.resource.type == "aws_iam_access_key"
	attrs := input.resource.attributes
	object.get(attrs, "status", "Active") == "Active"
	created := attrs.create_date
	is_string(created)
	regex.match(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`, created)
	age_days := floor((time.now_ns() - time.parse_rfc3339_ns(created)) / ns_per_day)
	max_days := data.driftwarden.config.access_key_max_age_days
	age_days > max_days
	msg := sprintf("%s (user %q) is %d days old, more than %d", [lib.name, object.get(attrs, "user", ""), age_days, max_days])
}
