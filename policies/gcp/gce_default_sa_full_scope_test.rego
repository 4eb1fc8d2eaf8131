package driftwarden.gcp.gce_default_sa_full_scope_test

import data.driftwarden.gcp.gce_default_sa_full_scope as policy

vm(typ, email, scopes) := {"kind": "resource", "resource": {
	"id": "vm", "type": typ, "address": sprintf("%s.web", [typ]),
	"attributes": {"service_account": [{"email": email, "scopes": scopes}]},
}}

test_dedicated_sa_allowed if {
	count(policy.deny) == 0 with input as vm("google_compute_instance", "web@p1.iam.gserviceaccount.com", ["https://www.googleapis.com/auth/cloud-platform"])
}

test_default_sa_narrow_scopes_allowed if {
	count(policy.deny) == 0 with input as vm("google_compute_instance", "123-compute@developer.gserviceaccount.com", ["https://www.googleapis.com/auth/devstorage.read_only"])
}

test_default_sa_full_scope_denied if {
	policy.deny == {"google_compute_instance.web runs as the default service account 123-compute@developer.gserviceaccount.com with the cloud-platform scope"} with input as vm("google_compute_instance", "123-compute@developer.gserviceaccount.com", ["https://www.googleapis.com/auth/cloud-platform"])
}

test_template_alias_scope_denied if {
	count(policy.deny) == 1 with input as vm("google_compute_instance_template", "123-compute@developer.gserviceaccount.com", ["cloud-platform"])
}

test_no_service_account_allowed if {
	count(policy.deny) == 0 with input as {"kind": "resource", "resource": {"id": "vm", "type": "google_compute_instance", "attributes": {"service_account": []}}}
}

test_region_template_denied if {
	count(policy.deny) == 1 with input as vm("google_compute_region_instance_template", "123-compute@developer.gserviceaccount.com", ["https://www.googleapis.com/auth/cloud-platform"])
}

test_instance_from_template_denied if {
	count(policy.deny) == 1 with input as vm("google_compute_instance_from_template", "123-compute@developer.gserviceaccount.com", ["https://www.googleapis.com/auth/cloud-platform"])
}
