package driftwarden.drift.critical_type_drift_test

import data.driftwarden.drift.critical_type_drift as policy

drift(kind, typ, stack, diffs) := {"kind": "drift", "drift": {
	"kind": kind,
	"resource": {
		"id": sprintf("aws/%s/x", [typ]),
		"type": typ,
		"address": sprintf("%s.x", [typ]),
		"stack": stack,
		"attributes": {},
	},
	"diffs": diffs,
}}

test_changed_security_group_denied if {
	policy.deny == {{
		"msg": "aws_security_group.x (aws_security_group) was changed outside Terraform: egress, ingress",
		"severity": "high",
	}} with input as drift("changed", "aws_security_group", "network", [
		{"path": "ingress", "applied": [], "live": [{"from_port": 22}]},
		{"path": "egress", "applied": [], "live": []},
	])
}

test_missing_kms_key_denied if {
	some result in policy.deny with input as drift("missing", "aws_kms_key", "security", [])
	contains(result.msg, "no longer exists")
}

test_production_stack_is_critical if {
	some result in policy.deny with input as drift("changed", "aws_iam_role", "prod-core", [{"path": "assume_role_policy"}])
		with data.driftwarden.config.production_stacks as ["prod-core"]
	result.severity == "critical"
}

test_production_source_is_critical if {
	some result in policy.deny with input as {"kind": "drift", "drift": {
		"kind": "missing",
		"resource": {"id": "x", "type": "aws_kms_key", "stack": "core", "source": "prod-states"},
	}}
		with data.driftwarden.config.production_sources as ["prod-states"]
	result.severity == "critical"
}

test_non_critical_type_allowed if {
	count(policy.deny) == 0 with input as drift("changed", "aws_instance", "app", [{"path": "instance_type"}])
}

test_unmanaged_allowed if {
	count(policy.deny) == 0 with input as drift("unmanaged", "aws_security_group", "", [])
}

test_critical_types_from_config if {
	count(policy.deny) == 1 with input as drift("changed", "aws_instance", "app", [{"path": "instance_type"}])
		with data.driftwarden.config.critical_types as ["aws_instance"]
}
