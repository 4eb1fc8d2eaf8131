# METADATA
# title: Cloud Storage bucket open to the public
# description: >-
#   A bucket IAM member, binding or policy, or a bucket or object ACL (or a
#   canned publicRead/publicReadWrite/authenticatedRead ACL), grants access
#   to allUsers (anyone on the internet) or allAuthenticatedUsers (anyone
#   with a Google account). A grant or ACL is not reported when the bucket it
#   names, seen in the same cycle as a google_storage_bucket, has
#   public_access_prevention = "enforced", which keeps the bucket's data
#   from being made public through IAM policies or ACLs.
# custom:
#   id: DW-GCP-GCS-001
#   severity: high
#   controls:
#     - CIS-GCP-2.0:5.1
#     - SOC2:CC6.1
#     - PCI-DSS-4.0:1.4.1
#   remediation: >-
#     Remove the allUsers/allAuthenticatedUsers grant or ACL entry, grant
#     access to the groups or service accounts that need it, and set
#     public_access_prevention = "enforced" (and uniform bucket-level
#     access) on the bucket.
#   input: resource
#   resource_types:
#     - google_storage_bucket_iam_member
#     - google_storage_bucket_iam_binding
#     - google_storage_bucket_iam_policy
#     - google_storage_bucket_access_control
#     - google_storage_bucket_acl
#     - google_storage_default_object_access_control
#     - google_storage_default_object_acl
#     - google_storage_object_access_control
#     - google_storage_object_acl
#   inventory_types:
#     - google_storage_bucket
package driftwarden.gcp.gcs_public_bucket

import data.driftwarden.lib

public_members := {"allUsers", "allAuthenticatedUsers"}

iam_findings contains msg if {
	input.resource.type == "google_storage_bucket_iam_member"
	member := input.resource.attributes.member
	member in public_members
	msg := sprintf("%s grants %s to %s%s", [lib.name, input.resource.attributes.role, member, on_bucket])
}

iam_findings contains msg if {
	input.resource.type == "google_storage_bucket_iam_binding"
	some member in input.resource.attributes.members
	member in public_members
	msg := sprintf("%s grants %s to %s%s", [lib.name, input.resource.attributes.role, member, on_bucket])
}

iam_findings contains msg if {
	input.resource.type == "google_storage_bucket_iam_policy"
	doc := input.resource.attributes.policy_data
	is_string(doc)
	json.is_valid(doc)
	some binding in object.get(json.unmarshal(doc), "bindings", [])
	some member in binding.members
	member in public_members
	msg := sprintf("%s grants %s to %s%s", [lib.name, binding.role, member, on_bucket])
}

# A grant or ACL is reported unless its bucket enforces public access
# prevention.
deny contains msg if {
	some msg in iam_findings
	not public_access_prevented
}

deny contains msg if {
	some msg in acl_findings
	not public_access_prevented
}

# public_access_prevented: the google_storage_bucket named by the resource's
# bucket attribute ("name" or "b/name") is in this cycle's inventory with
# public_access_prevention = "enforced".
public_access_prevented if {
	name := bucket_name
	name != ""

	# A bucket's canonical id is its CAI name (identity's GCP table).
	b := lib.inventory_item("google_storage_bucket", concat("", [storage_prefix, name]))
	object.get(b.attributes, "public_access_prevention", "") == "enforced"
}

storage_prefix := "//storage.googleapis.com/"

# bucket_name: from the bucket attribute ("name" or "b/name"), else from the
# resource's id (an inventory IAM resource has no bucket attribute; its id
# is //storage.googleapis.com/<name>/iamPolicy/...).
bucket_name := trim_prefix(bucket, "b/") if {
	is_string(bucket)
	bucket != ""
} else := name if {
	startswith(input.resource.id, storage_prefix)
	name := split(trim_prefix(input.resource.id, storage_prefix), "/")[0]
} else := ""

# ACL resources name one entity (entity, role) or a list of "ROLE:entity"
# strings (role_entity); the entity is allUsers or allAuthenticatedUsers.
entity_types := {
	"google_storage_bucket_access_control",
	"google_storage_default_object_access_control",
	"google_storage_object_access_control",
}

acl_types := {"google_storage_bucket_acl", "google_storage_default_object_acl", "google_storage_object_acl"}

public_canned_acls := {"publicRead", "publicReadWrite", "authenticatedRead"}

acl_findings contains msg if {
	input.resource.type in entity_types
	entity := input.resource.attributes.entity
	entity in public_members
	msg := sprintf("%s grants %s to %s%s", [lib.name, object.get(input.resource.attributes, "role", ""), entity, on_bucket])
}

acl_findings contains msg if {
	input.resource.type in acl_types
	some entry in input.resource.attributes.role_entity
	is_string(entry)
	parts := split(entry, ":")
	count(parts) == 2
	parts[1] in public_members
	msg := sprintf("%s grants %s to %s%s", [lib.name, parts[0], parts[1], on_bucket])
}

acl_findings contains msg if {
	input.resource.type in acl_types
	some key in ["predefined_acl", "default_acl"]
	acl := object.get(input.resource.attributes, key, "")
	acl in public_canned_acls
	msg := sprintf("%s applies the canned ACL %s%s", [lib.name, acl, on_bucket])
}

bucket := object.get(input.resource.attributes, "bucket", "")

# on_bucket names the bucket when the resource says which (an inventory IAM
# resource may not; its id names it).
on_bucket := sprintf(" on bucket %s", [bucket]) if {
	is_string(bucket)
	bucket != ""
} else := ""
