package driftwarden.gcp.sql_public_test

import data.driftwarden.gcp.sql_public as policy

sql(ipv4, networks) := {"kind": "resource", "resource": {
	"id": "projects/p1/instances/main", "type": "google_sql_database_instance", "address": "google_sql_database_instance.main",
	"attributes": {"database_version": "POSTGRES_16", "settings": [{"tier": "db-f1-micro", "ip_configuration": [{
		"ipv4_enabled": ipv4,
		"authorized_networks": networks,
		"ssl_mode": "ENCRYPTED_ONLY",
	}]}]},
}}

test_office_network_allowed if {
	count(policy.deny) == 0 with input as sql(true, [{"name": "office", "value": "203.0.113.0/24"}])
}

test_world_network_denied if {
	policy.deny == {`google_sql_database_instance.main accepts connections from 0.0.0.0/0 (authorized network "all")`} with input as sql(true, [{"name": "all", "value": "0.0.0.0/0"}])
}

test_private_only_allowed if {
	count(policy.deny) == 0 with input as sql(false, [{"name": "all", "value": "0.0.0.0/0"}])
}

# The API and Cloud Asset Inventory often leave an authorized network unnamed.
test_unnamed_world_network_denied if {
	policy.deny == {"google_sql_database_instance.main accepts connections from 0.0.0.0/0"} with input as sql(true, [{"value": "0.0.0.0/0", "expiration_time": ""}])
}
