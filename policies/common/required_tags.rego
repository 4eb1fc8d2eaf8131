# METADATA
# title: Required ownership tags missing
# description: >-
#   A taggable AWS or Google Cloud resource (one with a tags or labels
#   attribute) lacks one of the tag keys listed in
#   data.driftwarden.config.required_tags (default ["owner"]). Keys compare
#   case-insensitively (Owner satisfies owner); empty values count as missing.
# custom:
#   id: DW-TAG-001
#   severity: low
#   controls:
#     - SOC2:CC1.3
#     - PCI-DSS-4.0:12.5.1
#   remediation: >-
#     Add the missing tags (labels on Google Cloud) in Terraform, or through
#     provider default_tags so every resource of the stack carries them.
#   input: resource
package driftwarden.common.required_tags

import data.driftwarden.lib

# The conditions are ordered for speed: the common case (the tag is in the
# normalised tags) fails the rule after a few builtin calls, without a
# function call or a rule lookup.
deny contains msg if {
	input.resource.provider in {"aws", "google", "google-beta"}
	some key in data.driftwarden.config.required_tags
	trim_space(object.get(input.resource, ["tags", key], "")) == ""
	not has_tag(key)
	taggable
	msg := sprintf("%s is missing required tag(s): %s", [lib.name, concat(", ", missing)])
}

missing := [key |
	some key in data.driftwarden.config.required_tags
	not has_tag(key)
]

taggable if {
	_ = input.resource.attributes.tags
}

taggable if {
	_ = input.resource.attributes.labels
}

# has_tag looks for key with a non-empty value in the normalised tags, the
# tags and tags_all attributes (AWS, tags_all includes provider
# default_tags) and the labels attribute (Google): exactly first (cheap),
# then case-insensitively.
#
# The default makes a missing tag a false result, which OPA memoises like a
# true one, where an undefined result is not: without it, missing (the
# message) would scan every tag source again after the deny rule did.
default has_tag(_) := false

has_tag(key) if {
	v := input.resource.tags[key]
	is_string(v)
	trim_space(v) != ""
}

has_tag(key) if {
	some attr in ["tags", "tags_all", "labels"]
	v := input.resource.attributes[attr][key]
	is_string(v)
	trim_space(v) != ""
}

has_tag(key) if {
	some k, v in object.get(input.resource, "tags", {})
	lower(k) == lower(key)
	is_string(v)
	trim_space(v) != ""
}

has_tag(key) if {
	some attr in ["tags", "tags_all", "labels"]
	tags := input.resource.attributes[attr]
	is_object(tags)
	some k, v in tags
	lower(k) == lower(key)
	is_string(v)
	trim_space(v) != ""
}
