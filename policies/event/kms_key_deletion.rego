# METADATA
# title: KMS key disabled or scheduled for deletion
# description: >-
#   A successful call scheduled an AWS KMS key for deletion
#   (ScheduleKeyDeletion) or disabled it (DisableKey), or destroyed a Cloud
#   KMS key version (DestroyCryptoKeyVersion). Data encrypted under the key
#   becomes unreadable, and after deletion, permanently.
# custom:
#   id: DW-EVT-006
#   severity: high
#   controls:
#     - CIS-AWS-2.0:4.7
#     - CIS-AWS-3.0:4.7
#     - SOC2:CC6.1
#     - SOC2:A1.2
#   remediation: >-
#     If not intended, cancel the deletion (CancelKeyDeletion) and re-enable
#     the key (EnableKey), or restore the Cloud KMS key version
#     (RestoreCryptoKeyVersion) within its scheduled-destruction window.
#   input: event
package driftwarden.event.kms_key_deletion

import data.driftwarden.lib

deny contains result if {
	input.event.action == "kms:ScheduleKeyDeletion"
	lib.event_succeeded
	result := {
		"msg": sprintf("%s scheduled KMS key %s for deletion in %v days", [lib.actor, key_id, object.get(input.event, ["request", "pendingWindowInDays"], 30)]),
		"severity": "critical",
	}
}

deny contains result if {
	input.event.action == "kms:DisableKey"
	lib.event_succeeded
	result := {"msg": sprintf("%s disabled KMS key %s", [lib.actor, key_id]), "severity": "high"}
}

deny contains result if {
	input.event.action == "cloudkms.googleapis.com:DestroyCryptoKeyVersion"
	lib.event_succeeded
	result := {
		"msg": sprintf("%s scheduled destruction of key version %s", [lib.actor, object.get(input.event, ["request", "name"], lib.event_subject)]),
		"severity": "critical",
	}
}

key_id := object.get(input.event, ["request", "keyId"], lib.event_subject)
