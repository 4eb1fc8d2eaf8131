package driftwarden.gcp.gke_legacy_auth_test

import data.driftwarden.gcp.gke_legacy_auth as policy

cluster(attrs) := {"kind": "resource", "resource": {
	"id": "projects/p1/locations/us-central1/clusters/main", "type": "google_container_cluster",
	"address": "google_container_cluster.main",
	"attributes": object.union({"name": "main", "location": "us-central1"}, attrs),
}}

# Provider 4.x-6.x master_auth: no username or password.
auth4(issue, cert) := {"master_auth": [{
	"client_certificate": cert,
	"client_certificate_config": [{"issue_client_certificate": issue}],
	"client_key": "(sensitive)",
	"cluster_ca_certificate": "LS0tLS1CRUdJTi...",
}]}

# Provider 3.x master_auth: username and password (sensitive, redacted).
auth3(username, config) := {"master_auth": [{
	"client_certificate": "",
	"client_certificate_config": config,
	"client_key": "(sensitive)",
	"cluster_ca_certificate": "LS0tLS1CRUdJTi...",
	"password": "(sensitive)",
	"username": username,
}]}

test_client_certificate_denied if {
	policy.deny == {"google_container_cluster.main issues client certificates"} with input as cluster(auth4(true, "LS0tLS1CRUdJTiBDRVJU..."))
}

test_no_client_certificate_allowed if {
	count(policy.deny) == 0 with input as cluster(auth4(false, ""))
}

test_basic_auth_denied if {
	policy.deny == {"google_container_cluster.main accepts HTTP basic authentication"} with input as cluster(auth3("admin", [{"issue_client_certificate": false}]))
}

test_basic_auth_and_certificate_denied if {
	policy.deny == {
		"google_container_cluster.main accepts HTTP basic authentication",
		"google_container_cluster.main issues client certificates",
	} with input as cluster(auth3("admin", [{"issue_client_certificate": true}]))
}

test_empty_username_allowed if {
	count(policy.deny) == 0 with input as cluster(auth3("", [{"issue_client_certificate": false}]))
	count(policy.deny) == 0 with input as cluster(auth3("(sensitive)", [{"issue_client_certificate": false}]))
}

# Older states leave client_certificate_config empty; the issued
# certificate shows that client certificates are on.
test_issued_certificate_without_flag_denied if {
	policy.deny == {"google_container_cluster.main issues client certificates"} with input as cluster({"master_auth": [{"client_certificate": "LS0tLS1CRUdJTiBDRVJU...", "client_certificate_config": []}]})
}

test_unknown_allowed if {
	count(policy.deny) == 0 with input as cluster({})
	count(policy.deny) == 0 with input as cluster({"master_auth": []})
	count(policy.deny) == 0 with input as cluster({"master_auth": [{}]})
	count(policy.deny) == 0 with input as cluster({"master_auth": [{"client_certificate_config": [{}]}]})
}
