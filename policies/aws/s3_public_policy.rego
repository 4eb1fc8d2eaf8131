# METADATA
# title: S3 bucket policy allows public access
# description: >-
#   A bucket policy has an Allow statement whose Principal is everyone ("*"
#   or {"AWS": "*"}, or a NotPrincipal) and no Condition that narrows the
#   caller to known accounts, organisations, VPCs, endpoints or source
#   addresses, so anyone on the internet can perform the statement's
#   actions. Negated, ...IfExists, ForAllValues: and Null condition
#   operators do not narrow the caller.
# custom:
#   id: DW-AWS-S3-002
#   severity: high
#   controls:
#     - CIS-AWS-2.0:2.1.4
#     - CIS-AWS-3.0:2.1.4
#     - SOC2:CC6.1
#     - PCI-DSS-4.0:1.4.1
#   remediation: >-
#     Replace the "*" principal with the accounts or roles that need access,
#     or add a condition such as aws:PrincipalOrgID, aws:SourceVpce or
#     aws:SourceArn; serve public content through CloudFront with origin
#     access control instead of a public bucket; keep block_public_policy on.
#   input: resource
#   resource_types:
#     - aws_s3_bucket
#     - aws_s3_bucket_policy
package driftwarden.aws.s3_public_policy

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "aws_s3_bucket_policy"
	some msg in public_statements
}

# aws_s3_bucket.policy (inline before provider v4, computed since).
deny contains msg if {
	input.resource.type == "aws_s3_bucket"
	some msg in public_statements
}

public_statements contains msg if {
	some stmt in lib.statements(input.resource.attributes.policy)
	object.get(stmt, "Effect", "") == "Allow"
	public(stmt)
	not lib.restricted(stmt)
	actions := lib.as_array(object.get(stmt, "Action", []))
	msg := sprintf("%s has a bucket policy allowing %s to everyone (statement %q) without a restricting condition", [
		lib.name, concat(", ", [sprintf("%v", [a]) | some a in actions]), object.get(stmt, "Sid", ""),
	])
}

public(stmt) if lib.public_principal(object.get(stmt, "Principal", null))

# Allow with NotPrincipal grants everyone but the principals named.
public(stmt) if {
	not "Principal" in object.keys(stmt)
	"NotPrincipal" in object.keys(stmt)
}
