# METADATA
# title: Primitive role granted to a user
# description: >-
#   A project, folder or organisation IAM member, binding or policy grants
#   the basic role roles/owner or roles/editor to a user account (user:).
#   Basic roles carry thousands of permissions across every service; people
#   should get predefined or custom roles, through groups.
# custom:
#   id: DW-GCP-IAM-001
#   severity: high
#   controls:
#     - SOC2:CC6.3
#     - PCI-DSS-4.0:7.2.1
#     - PCI-DSS-4.0:7.2.2
#   remediation: >-
#     Replace the basic role with the predefined roles the person's job needs,
#     granted to a Google group rather than the individual user.
#   input: resource
#   resource_types:
#     - google_project_iam_member
#     - google_project_iam_binding
#     - google_project_iam_policy
#     - google_folder_iam_member
#     - google_folder_iam_binding
#     - google_organization_iam_member
#     - google_organization_iam_binding
#     - google_folder_iam_policy
#     - google_organization_iam_policy
package driftwarden.gcp.iam_primitive_roles

import data.driftwarden.lib

primitive := {"roles/owner", "roles/editor"}

member_types := {"google_project_iam_member", "google_folder_iam_member", "google_organization_iam_member"}

binding_types := {"google_project_iam_binding", "google_folder_iam_binding", "google_organization_iam_binding"}

policy_types := {"google_project_iam_policy", "google_folder_iam_policy", "google_organization_iam_policy"}

deny contains msg if {
	input.resource.type in member_types
	role := input.resource.attributes.role
	role in primitive
	member := input.resource.attributes.member
	startswith(member, "user:")
	msg := sprintf("%s grants %s to %s", [lib.name, role, member])
}

deny contains msg if {
	input.resource.type in binding_types
	role := input.resource.attributes.role
	role in primitive
	some member in input.resource.attributes.members
	startswith(member, "user:")
	msg := sprintf("%s grants %s to %s", [lib.name, role, member])
}

deny contains msg if {
	input.resource.type in policy_types
	doc := input.resource.attributes.policy_data
	is_string(doc)
	json.is_valid(doc)
	some binding in object.get(json.unmarshal(doc), "bindings", [])
	binding.role in primitive
	some member in binding.members
	startswith(member, "user:")
	msg := sprintf("%s grants %s to %s", [lib.name, binding.role, member])
}
