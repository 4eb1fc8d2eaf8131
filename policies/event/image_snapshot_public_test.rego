package driftwarden.event.image_snapshot_public_test

import data.driftwarden.event.image_snapshot_public as policy

event(action, request, error_code) := {"kind": "event", "event": {
	"id": "e1", "action": action, "error_code": error_code, "request": request,
	"principal": {"id": "arn:aws:sts::123456789012:assumed-role/example-role/example-user", "type": "AssumedRole", "person": "example-user"},
}}

# Request shapes from panther-analysis (aws_snapshot_made_public,
# aws_ami_modified_for_public_access, aws_rds_snapshot_shared).
test_snapshot_public_denied if {
	policy.deny == {"example-user made EBS snapshot snap-1111 public"} with input as event(
		"ec2:ModifySnapshotAttribute", {
			"attributeType": "CREATE_VOLUME_PERMISSION",
			"createVolumePermission": {"add": {"items": [{"group": "all"}]}},
			"snapshotId": "snap-1111",
		},
		"",
	)
}

test_snapshot_other_group_allowed if {
	count(policy.deny) == 0 with input as event(
		"ec2:ModifySnapshotAttribute", {
			"attributeType": "CREATE_VOLUME_PERMISSION",
			"createVolumePermission": {"add": {"items": [{"group": "none"}]}},
			"snapshotId": "snap-1111",
		},
		"",
	)
}

test_snapshot_failed_allowed if {
	count(policy.deny) == 0 with input as event("ec2:ModifySnapshotAttribute", {"createVolumePermission": {"add": {"items": [{"group": "all"}]}}}, "Client.InvalidSnapshot.NotFound")
}

test_ami_public_denied if {
	policy.deny == {"example-user made AMI ami-1111 public"} with input as event(
		"ec2:ModifyImageAttribute", {
			"attributeType": "launchPermission", "imageId": "ami-1111",
			"launchPermission": {"add": {"items": [{"group": "all"}]}},
		},
		"",
	)
}

test_ami_other_attribute_allowed if {
	count(policy.deny) == 0 with input as event(
		"ec2:ModifyImageAttribute", {
			"attributeType": "someThing", "imageId": "ami-1111",
			"someThing": {"add": {"items": [{"group": "all"}]}},
		},
		"",
	)
}

test_rds_snapshot_public_denied if {
	policy.deny == {"example-user made RDS snapshot exfiltration public"} with input as event(
		"rds:ModifyDBSnapshotAttribute", {
			"dBSnapshotIdentifier": "exfiltration", "attributeName": "restore", "valuesToAdd": ["all"],
		},
		"",
	)
}

test_rds_snapshot_shared_with_account_allowed if {
	count(policy.deny) == 0 with input as event(
		"rds:ModifyDBSnapshotAttribute", {
			"dBSnapshotIdentifier": "exfiltration", "attributeName": "restore", "valuesToAdd": ["193672423079"],
		},
		"",
	)
}

test_rds_cluster_snapshot_public_denied if {
	policy.deny == {"example-user made RDS snapshot aurora-snap public"} with input as event(
		"rds:ModifyDBClusterSnapshotAttribute", {
			"dBClusterSnapshotIdentifier": "aurora-snap", "attributeName": "restore", "valuesToAdd": ["all"],
		},
		"",
	)
}
