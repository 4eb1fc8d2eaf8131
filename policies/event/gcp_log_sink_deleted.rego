# METADATA
# title: Cloud Logging sink or log bucket deleted or disabled
# description: >-
#   A successful Cloud Logging call deleted a log sink (DeleteSink) or log
#   bucket (DeleteBucket), or disabled a sink (UpdateSink with disabled =
#   true): audit logs stop reaching their long-term destination.
# custom:
#   id: DW-EVT-004
#   severity: high
#   controls:
#     - CIS-GCP-2.0:2.2
#     - SOC2:CC7.2
#     - PCI-DSS-4.0:10.2.1.6
#     - PCI-DSS-4.0:10.3.2
#   remediation: >-
#     Re-create the sink or bucket by re-applying its stack, find who made the
#     call, and restrict logging.sinks.delete/update to the pipeline.
#   input: event
package driftwarden.event.gcp_log_sink_deleted

import data.driftwarden.lib

deny contains msg if {
	input.event.action == "logging.googleapis.com:google.logging.v2.ConfigServiceV2.DeleteSink"
	lib.event_succeeded
	msg := sprintf("%s deleted log sink %s", [lib.actor, object.get(input.event, ["request", "sinkName"], lib.event_subject)])
}

deny contains msg if {
	input.event.action == "logging.googleapis.com:google.logging.v2.ConfigServiceV2.DeleteBucket"
	lib.event_succeeded
	msg := sprintf("%s deleted log bucket %s", [lib.actor, object.get(input.event, ["request", "name"], lib.event_subject)])
}

deny contains msg if {
	input.event.action == "logging.googleapis.com:google.logging.v2.ConfigServiceV2.UpdateSink"
	lib.event_succeeded
	input.event.request.sink.disabled == true
	msg := sprintf("%s disabled log sink %s", [lib.actor, object.get(input.event, ["request", "sinkName"], lib.event_subject)])
}
