package driftwarden.drift.missing_resource_test

import data.driftwarden.drift.missing_resource as policy

drift(kind, typ, stack) := {"kind": "drift", "drift": {
	"kind": kind,
	"resource": {"id": "x", "type": typ, "address": sprintf("%s.x", [typ]), "stack": stack, "source": "states"},
	"diffs": [],
}}

test_missing_denied_with_default_severity if {
	policy.deny == {{"msg": `aws_instance.x (aws_instance) is in the state of stack "app" but no longer exists`, "severity": "medium"}} with input as drift("missing", "aws_instance", "app")
}

test_severity_from_config if {
	some result in policy.deny with input as drift("missing", "aws_lambda_function", "app")
		with data.driftwarden.config.missing_resource_severity as "high"
	result.severity == "high"
}

test_changed_allowed if {
	count(policy.deny) == 0 with input as drift("changed", "aws_instance", "app")
}

test_critical_type_left_to_drift_001 if {
	count(policy.deny) == 0 with input as drift("missing", "aws_kms_key", "app")
}

test_production_left_to_drift_002 if {
	count(policy.deny) == 0 with input as drift("missing", "aws_instance", "prod")
		with data.driftwarden.config.production_stacks as ["prod"]
}
