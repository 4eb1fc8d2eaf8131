package driftwarden.event.outside_pipeline_test

import data.driftwarden.event.outside_pipeline as policy

event(verdict, error_code) := {"kind": "event", "event": {
	"id": "e1", "source": "cloudtrail", "action": "ec2:ModifyInstanceAttribute",
	"principal": {"id": "arn:aws:sts::111122223333:assumed-role/admin/alice", "type": "AssumedRole", "person": "alice"},
	"via": "console", "error_code": error_code, "read_only": false,
	"resources": ["aws/aws_instance/i-1"], "verdict": verdict, "stack": "app",
}}

test_human_change_denied if {
	policy.deny == {"alice changed aws/aws_instance/i-1 by hand (ec2:ModifyInstanceAttribute via console)"} with input as event("human", "")
}

test_pipeline_outside_apply_denied if {
	count(policy.deny) == 1 with input as event("pipeline_outside_apply", "")
}

test_pipeline_allowed if {
	count(policy.deny) == 0 with input as event("pipeline", "")
	count(policy.deny) == 0 with input as event("service", "")
	count(policy.deny) == 0 with input as event("", "")
}

test_failed_call_allowed if {
	count(policy.deny) == 0 with input as event("human", "AccessDenied")
}

test_read_only_allowed if {
	count(policy.deny) == 0 with input as {"kind": "event", "event": {
		"action": "ec2:DescribeInstances", "principal": {"id": "alice"}, "read_only": true, "verdict": "human",
	}}
}

test_principal_id_without_person if {
	policy.deny == {"arn:aws:iam::111122223333:user/bob changed ec2:RunInstances by hand (ec2:RunInstances)"} with input as {"kind": "event", "event": {
		"action": "ec2:RunInstances", "principal": {"id": "arn:aws:iam::111122223333:user/bob"}, "verdict": "human",
	}}
}
