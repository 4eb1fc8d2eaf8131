# METADATA
# title: MFA device deactivated or deleted
# description: >-
#   A successful DeactivateMFADevice or DeleteVirtualMFADevice call removed a
#   user's (or the root user's) second factor, leaving the account protected
#   by a password alone.
# custom:
#   id: DW-EVT-008
#   severity: high
#   controls:
#     - CIS-AWS-2.0:1.10
#     - CIS-AWS-3.0:1.10
#     - SOC2:CC6.1
#     - PCI-DSS-4.0:8.4.2
#     - PCI-DSS-4.0:10.2.1.5
#   remediation: >-
#     Confirm with the user that the device was lost or replaced, and make
#     sure a new MFA device is registered; deny iam:DeactivateMFADevice
#     without MFA in an SCP.
#   input: event
package driftwarden.event.mfa_disabled

import data.driftwarden.lib

deny contains msg if {
	input.event.action == "iam:DeactivateMFADevice"
	lib.event_succeeded
	msg := sprintf("%s deactivated MFA device %s of %s", [lib.actor, device, user])
}

deny contains msg if {
	input.event.action == "iam:DeleteVirtualMFADevice"
	lib.event_succeeded
	msg := sprintf("%s deleted virtual MFA device %s", [lib.actor, device])
}

device := object.get(input.event, ["request", "serialNumber"], lib.event_subject)

user := sprintf("user %s", [u]) if {
	u := object.get(input.event, ["request", "userName"], "")
	u != ""
} else := "the calling user"
