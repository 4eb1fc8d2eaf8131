# METADATA
# title: CloudTrail logging stopped, deleted or changed
# description: >-
#   A successful StopLogging or DeleteTrail call turned off (critical), or an
#   UpdateTrail call changed (high), a CloudTrail trail: the first step of
#   covering tracks, and a gap in the audit record either way.
# custom:
#   id: DW-EVT-003
#   severity: high
#   controls:
#     - CIS-AWS-2.0:4.5
#     - CIS-AWS-3.0:4.5
#     - SOC2:CC7.2
#     - PCI-DSS-4.0:10.2.1.6
#     - PCI-DSS-4.0:10.7.2
#   remediation: >-
#     Restart logging (StartLogging) or re-apply the trail's stack, find who
#     made the call, and deny cloudtrail:StopLogging/DeleteTrail/UpdateTrail
#     with a service control policy to everyone but the pipeline.
#   input: event
package driftwarden.event.cloudtrail_tampering

import data.driftwarden.lib

deny contains result if {
	input.event.action == "cloudtrail:StopLogging"
	lib.event_succeeded
	result := {"msg": sprintf("%s stopped logging of trail %s", [lib.actor, trail]), "severity": "critical"}
}

deny contains result if {
	input.event.action == "cloudtrail:DeleteTrail"
	lib.event_succeeded
	result := {"msg": sprintf("%s deleted trail %s", [lib.actor, trail]), "severity": "critical"}
}

deny contains result if {
	input.event.action == "cloudtrail:UpdateTrail"
	lib.event_succeeded
	result := {"msg": sprintf("%s updated trail %s", [lib.actor, trail]), "severity": "high"}
}

trail := object.get(input.event, ["request", "name"], lib.event_subject)
