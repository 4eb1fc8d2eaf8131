# METADATA
# title: Access key created for the root user
# description: >-
#   The root user successfully created an access key for itself
#   (CreateAccessKey by Root without a userName). Root access keys grant
#   unrestricted, unrestrictable programmatic access to the account.
# custom:
#   id: DW-EVT-009
#   severity: critical
#   controls:
#     - CIS-AWS-2.0:1.4
#     - CIS-AWS-3.0:1.4
#     - SOC2:CC6.1
#     - PCI-DSS-4.0:8.2.2
#     - PCI-DSS-4.0:10.2.1.5
#   remediation: >-
#     Delete the root access key immediately (Security credentials page of
#     the root user), rotate the root password, and review what the key was
#     used for.
#   input: event
package driftwarden.event.root_access_key

deny contains msg if {
	input.event.action == "iam:CreateAccessKey"
	input.event.principal.type == "Root"
	object.get(input.event, "error_code", "") in {"", null}
	object.get(input.event, ["request", "userName"], "") in {"", null}
	msg := sprintf("the root user of account %s created an access key for itself", [object.get(input.event, "account", "")])
}
