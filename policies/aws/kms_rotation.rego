# METADATA
# title: KMS key rotation disabled
# description: >-
#   An enabled, customer-managed symmetric encryption KMS key has automatic
#   key rotation off (enable_key_rotation = false), so the same key material
#   protects data indefinitely. Asymmetric and HMAC keys, and keys in a
#   custom key store (custom_key_store_id: CloudHSM or external), cannot
#   rotate automatically and are not reported.
# custom:
#   id: DW-AWS-KMS-001
#   severity: medium
#   controls:
#     - CIS-AWS-2.0:3.8
#     - CIS-AWS-3.0:3.6
#     - SOC2:CC6.1
#     - PCI-DSS-4.0:3.7.4
#   remediation: Set enable_key_rotation = true on the aws_kms_key.
#   input: resource
#   resource_types:
#     - aws_kms_key
package driftwarden.aws.kms_rotation

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "aws_kms_key"
	attrs := input.resource.attributes
	attrs.enable_key_rotation == false
	object.get(attrs, "is_enabled", true) != false
	object.get(attrs, "key_usage", "ENCRYPT_DECRYPT") in {"ENCRYPT_DECRYPT", ""}
	symmetric(object.get(attrs, "key_spec", ""), object.get(attrs, "customer_master_key_spec", ""))
	object.get(attrs, "custom_key_store_id", "") in {"", null}
	msg := sprintf("%s does not rotate its key material (enable_key_rotation = false)", [lib.name])
}

symmetric(spec, legacy) if {
	spec in {"SYMMETRIC_DEFAULT", "", null}
	legacy in {"SYMMETRIC_DEFAULT", "", null}
}
