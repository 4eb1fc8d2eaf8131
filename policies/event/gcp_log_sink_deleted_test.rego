package driftwarden.event.gcp_log_sink_deleted_test

import data.driftwarden.event.gcp_log_sink_deleted as policy

prefix := "logging.googleapis.com:google.logging.v2.ConfigServiceV2."

event(method, request, error_code) := {"kind": "event", "event": {
	"id": "e1", "source": "gcpaudit", "action": concat("", [prefix, method]), "error_code": error_code,
	"principal": {"id": "mallory@example.com", "type": "user"},
	"request": request,
}}

test_delete_sink_denied if {
	policy.deny == {"mallory@example.com deleted log sink projects/test-project-123456/sinks/test-1"} with input as event(
		"DeleteSink", {
			"@type": "type.googleapis.com/google.logging.v2.DeleteSinkRequest",
			"sinkName": "projects/test-project-123456/sinks/test-1",
		},
		"",
	)
}

test_delete_bucket_denied if {
	count(policy.deny) == 1 with input as event("DeleteBucket", {"name": "projects/p/locations/global/buckets/audit"}, "")
}

test_disable_sink_denied if {
	count(policy.deny) == 1 with input as event("UpdateSink", {"sinkName": "projects/p/sinks/s", "sink": {"disabled": true}}, "")
}

test_update_sink_filter_allowed if {
	count(policy.deny) == 0 with input as event("UpdateSink", {"sinkName": "projects/p/sinks/s", "sink": {"filter": "severity>=INFO"}}, "")
}

test_get_bucket_allowed if {
	count(policy.deny) == 0 with input as event("GetBucket", {"name": "projects/p/locations/global/buckets/audit"}, "")
}

test_failed_delete_allowed if {
	count(policy.deny) == 0 with input as event("DeleteSink", {"sinkName": "projects/p/sinks/s"}, "7")
}
