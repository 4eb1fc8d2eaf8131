# METADATA
# title: Cloud SQL instance accepts unencrypted connections
# description: >-
#   A Cloud SQL instance does not require SSL/TLS: its ssl_mode is neither
#   ENCRYPTED_ONLY nor TRUSTED_CLIENT_CERTIFICATE_REQUIRED and the older
#   require_ssl flag is not set, so credentials and data can cross the
#   network in clear text.
# custom:
#   id: DW-GCP-SQL-002
#   severity: high
#   controls:
#     - CIS-GCP-2.0:6.4
#     - SOC2:CC6.7
#     - PCI-DSS-4.0:4.2.1
#   remediation: >-
#     Set settings.ip_configuration.ssl_mode = "ENCRYPTED_ONLY" (or
#     "TRUSTED_CLIENT_CERTIFICATE_REQUIRED") on the instance.
#   input: resource
#   resource_types:
#     - google_sql_database_instance
package driftwarden.gcp.sql_ssl

import data.driftwarden.lib

enforcing_modes := {"ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"}

deny contains msg if {
	input.resource.type == "google_sql_database_instance"
	some settings in input.resource.attributes.settings
	some ip in settings.ip_configuration
	mode := object.get(ip, "ssl_mode", "")
	not mode in enforcing_modes
	object.get(ip, "require_ssl", false) != true
	msg := sprintf("%s accepts unencrypted connections (ssl_mode %q)", [lib.name, mode_label(mode)])
}

mode_label(mode) := mode if {
	is_string(mode)
	mode != ""
} else := "unset"
