package driftwarden.gcp.gcs_uniform_access_test

import data.driftwarden.gcp.gcs_uniform_access as policy

bucket(uniform) := {"kind": "resource", "resource": {
	"id": "b/data", "type": "google_storage_bucket", "address": "google_storage_bucket.data",
	"attributes": {"name": "data", "uniform_bucket_level_access": uniform},
}}

test_uniform_allowed if {
	count(policy.deny) == 0 with input as bucket(true)
}

test_fine_grained_denied if {
	policy.deny == {"google_storage_bucket.data does not enforce uniform bucket-level access"} with input as bucket(false)
}
