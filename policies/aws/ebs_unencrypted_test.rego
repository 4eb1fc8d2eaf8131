package driftwarden.aws.ebs_unencrypted_test

import data.driftwarden.aws.ebs_unencrypted as policy

volume(encrypted) := {"kind": "resource", "resource": {
	"id": "arn:aws:ec2:eu-west-1:111122223333:volume/vol-1",
	"type": "aws_ebs_volume",
	"address": "aws_ebs_volume.data",
	"attributes": {"size": 100, "encrypted": encrypted},
}}

instance(root, extra) := {"kind": "resource", "resource": {
	"id": "arn:aws:ec2:eu-west-1:111122223333:instance/i-1",
	"type": "aws_instance",
	"address": "aws_instance.app",
	"attributes": {"root_block_device": root, "ebs_block_device": extra},
}}

test_encrypted_volume_allowed if {
	count(policy.deny) == 0 with input as volume(true)
}

test_unknown_encryption_allowed if {
	count(policy.deny) == 0 with input as volume(null)
}

test_unencrypted_volume_denied if {
	policy.deny == {"aws_ebs_volume.data is not encrypted at rest"} with input as volume(false)
}

test_instance_encrypted_allowed if {
	count(policy.deny) == 0 with input as instance([{"encrypted": true}], [])
}

test_instance_unencrypted_root_denied if {
	count(policy.deny) == 1 with input as instance([{"encrypted": false, "device_name": "/dev/xvda"}], null)
}

test_instance_unencrypted_data_device_denied if {
	count(policy.deny) == 1 with input as instance([{"encrypted": true}], [{"encrypted": false, "device_name": "/dev/sdf"}])
}

ebs_default(enabled) := {"kind": "resource", "resource": {
	"id": "aws/aws_ebs_encryption_by_default/111122223333/eu-west-1", "type": "aws_ebs_encryption_by_default",
	"address": "aws_ebs_encryption_by_default.this", "region": "eu-west-1",
	"attributes": {"id": "terraform-20210101000000000000000001", "enabled": enabled},
}}

test_encryption_by_default_on_allowed if {
	count(policy.deny) == 0 with input as ebs_default(true)
}

test_encryption_by_default_off_denied if {
	policy.deny == {"aws_ebs_encryption_by_default.this turns EBS encryption by default off in eu-west-1"} with input as ebs_default(false)
}

test_encryption_by_default_off_without_region_denied if {
	policy.deny == {"aws_ebs_encryption_by_default.this turns EBS encryption by default off in its region"} with input as {"kind": "resource", "resource": {
		"id": "x", "type": "aws_ebs_encryption_by_default", "address": "aws_ebs_encryption_by_default.this", "region": "",
		"attributes": {"enabled": false},
	}}
}
