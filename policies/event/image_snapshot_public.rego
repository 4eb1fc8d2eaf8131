# METADATA
# title: Snapshot or image made public by an API call
# description: >-
#   A successful call shared an EBS snapshot (ModifySnapshotAttribute,
#   createVolumePermission add group "all"), an AMI (ModifyImageAttribute,
#   launchPermission add group "all") or an RDS snapshot
#   (ModifyDBSnapshotAttribute / ModifyDBClusterSnapshotAttribute, restore
#   valuesToAdd "all") with every AWS account: a common exfiltration step.
# custom:
#   id: DW-EVT-010
#   severity: critical
#   controls:
#     - SOC2:CC6.1
#     - SOC2:C1.1
#     - PCI-DSS-4.0:3.5.1
#   remediation: >-
#     Remove the public permission at once, find who made the call and what
#     the snapshot or image contains, and enable EBS snapshot and AMI block
#     public access for the account.
#   input: event
package driftwarden.event.image_snapshot_public

import data.driftwarden.lib

deny contains msg if {
	input.event.action == "ec2:ModifySnapshotAttribute"
	lib.event_succeeded
	some item in input.event.request.createVolumePermission.add.items
	item.group == "all"
	msg := sprintf("%s made EBS snapshot %s public", [lib.actor, object.get(input.event.request, "snapshotId", lib.event_subject)])
}

deny contains msg if {
	input.event.action == "ec2:ModifyImageAttribute"
	lib.event_succeeded
	some item in input.event.request.launchPermission.add.items
	item.group == "all"
	msg := sprintf("%s made AMI %s public", [lib.actor, object.get(input.event.request, "imageId", lib.event_subject)])
}

deny contains msg if {
	input.event.action == "rds:ModifyDBSnapshotAttribute"
	some msg in rds_public("dBSnapshotIdentifier")
}

deny contains msg if {
	input.event.action == "rds:ModifyDBClusterSnapshotAttribute"
	some msg in rds_public("dBClusterSnapshotIdentifier")
}

rds_public(id_field) := {msg |
	lib.event_succeeded
	request := input.event.request
	request.attributeName == "restore"
	"all" in request.valuesToAdd
	msg := sprintf("%s made RDS snapshot %s public", [lib.actor, object.get(request, id_field, lib.event_subject)])
}
