package driftwarden.drift.production_drift_test

import data.driftwarden.drift.production_drift as policy

drift(kind, typ, stack, source) := {"kind": "drift", "drift": {
	"kind": kind,
	"resource": {"id": "x", "type": typ, "address": sprintf("%s.x", [typ]), "stack": stack, "source": source},
	"diffs": [{"path": "instance_type", "applied": "m5.large", "live": "m5.4xlarge", "sensitive": false}],
}}

test_non_production_allowed if {
	count(policy.deny) == 0 with input as drift("changed", "aws_instance", "dev", "dev-states")
		with data.driftwarden.config.production_stacks as ["prod-core"]
}

test_production_stack_changed_denied if {
	policy.deny == {`aws_instance.x in production stack "prod-core" was changed outside Terraform: instance_type`} with input as drift("changed", "aws_instance", "prod-core", "states")
		with data.driftwarden.config.production_stacks as ["prod-core"]
}

test_production_source_missing_denied if {
	policy.deny == {`aws_instance.x in production stack "core" was deleted outside Terraform`} with input as drift("missing", "aws_instance", "core", "prod-states")
		with data.driftwarden.config.production_sources as ["prod-states"]
}

test_critical_type_left_to_drift_001 if {
	count(policy.deny) == 0 with input as drift("changed", "aws_security_group", "prod-core", "")
		with data.driftwarden.config.production_stacks as ["prod-core"]
}

test_unmanaged_allowed if {
	count(policy.deny) == 0 with input as drift("unmanaged", "aws_instance", "prod-core", "")
		with data.driftwarden.config.production_stacks as ["prod-core"]
}

test_default_has_no_production if {
	count(policy.deny) == 0 with input as drift("changed", "aws_instance", "prod-core", "")
}
