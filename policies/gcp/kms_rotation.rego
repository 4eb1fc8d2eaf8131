# METADATA
# title: Cloud KMS key not rotated within the rotation period
# description: >-
#   A symmetric Cloud KMS key (purpose ENCRYPT_DECRYPT) has no automatic
#   rotation_period, or one longer than
#   data.driftwarden.config.kms_max_rotation_days (default 90) days.
# custom:
#   id: DW-GCP-KMS-001
#   severity: medium
#   controls:
#     - CIS-GCP-2.0:1.10
#     - SOC2:CC6.1
#     - PCI-DSS-4.0:3.7.4
#   remediation: >-
#     Set rotation_period = "7776000s" (90 days) or shorter on the
#     google_kms_crypto_key.
#   input: resource
#   resource_types:
#     - google_kms_crypto_key
package driftwarden.gcp.kms_rotation

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "google_kms_crypto_key"
	object.get(input.resource.attributes, "purpose", "ENCRYPT_DECRYPT") in {"ENCRYPT_DECRYPT", ""}
	period := object.get(input.resource.attributes, "rotation_period", "")
	max_days := data.driftwarden.config.kms_max_rotation_days
	problem := rotation_problem(period, max_days)
	msg := sprintf("%s %s", [lib.name, problem])
}

rotation_problem(period, _) := "has no automatic rotation (rotation_period unset)" if {
	period in {"", null}
}

rotation_problem(period, max_days) := sprintf("rotates every %v days, more than %v", [round(days * 10) / 10, max_days]) if {
	is_string(period)
	regex.match(`^\d+(\.\d+)?s$`, period)
	days := to_number(trim_suffix(period, "s")) / 86400
	days > max_days
}
