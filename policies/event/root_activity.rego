# METADATA
# title: Root account used
# description: >-
#   The AWS account root user made a successful call (console sign-in or
#   API). The root user cannot be restricted by IAM policies and should be
#   used only for the few tasks that require it. Calls AWS services make on
#   the root user's behalf (via service) are not reported.
# custom:
#   id: DW-EVT-002
#   severity: high
#   controls:
#     - CIS-AWS-2.0:1.7
#     - CIS-AWS-2.0:4.3
#     - CIS-AWS-3.0:1.7
#     - CIS-AWS-3.0:4.3
#     - SOC2:CC6.1
#     - PCI-DSS-4.0:10.2.1.2
#   remediation: >-
#     Confirm who used the root credentials and why; use IAM Identity Center
#     roles for daily work, keep root with hardware MFA and no access keys,
#     and rotate the root password if the use was not expected.
#   input: event
package driftwarden.event.root_activity

import data.driftwarden.lib

deny contains msg if {
	input.event.principal.type == "Root"
	lib.event_succeeded
	object.get(input.event, "via", "") != "service"
	msg := sprintf("the root user of account %s called %s%s", [object.get(input.event, "account", ""), input.event.action, from])
}

from := sprintf(" from %s", [ip]) if {
	ip := object.get(input.event, "source_ip", "")
	ip != ""
} else := ""
