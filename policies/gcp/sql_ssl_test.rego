package driftwarden.gcp.sql_ssl_test

import data.driftwarden.gcp.sql_ssl as policy

sql(ip) := {"kind": "resource", "resource": {
	"id": "projects/p1/instances/main", "type": "google_sql_database_instance", "address": "google_sql_database_instance.main",
	"attributes": {"settings": [{"ip_configuration": [ip]}]},
}}

test_encrypted_only_allowed if {
	count(policy.deny) == 0 with input as sql({"ssl_mode": "ENCRYPTED_ONLY", "require_ssl": false})
}

test_client_certificates_allowed if {
	count(policy.deny) == 0 with input as sql({"ssl_mode": "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"})
}

test_legacy_require_ssl_allowed if {
	count(policy.deny) == 0 with input as sql({"ssl_mode": "", "require_ssl": true})
}

test_allow_unencrypted_denied if {
	policy.deny == {`google_sql_database_instance.main accepts unencrypted connections (ssl_mode "ALLOW_UNENCRYPTED_AND_ENCRYPTED")`} with input as sql({"ssl_mode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED", "require_ssl": false})
}

test_nothing_set_denied if {
	policy.deny == {`google_sql_database_instance.main accepts unencrypted connections (ssl_mode "unset")`} with input as sql({"require_ssl": false})
}

# Provider 6.x state: require_ssl is gone, ssl_mode holds the API default.
test_provider6_default_mode_denied if {
	policy.deny == {`google_sql_database_instance.main accepts unencrypted connections (ssl_mode "ALLOW_UNENCRYPTED_AND_ENCRYPTED")`} with input as sql({"ipv4_enabled": true, "ssl_mode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED"})
}

# Provider 4.x state before ssl_mode existed: require_ssl only.
test_provider4_require_ssl_false_denied if {
	count(policy.deny) == 1 with input as sql({"ipv4_enabled": true, "require_ssl": false, "authorized_networks": []})
}
