# METADATA
# title: GKE cluster with client certificate or basic authentication
# description: >-
#   A GKE cluster issues a client certificate
#   (master_auth.client_certificate_config.issue_client_certificate = true)
#   or accepts HTTP basic authentication (a master_auth username, provider
#   3.x and older clusters). Both are static cluster-admin credentials that
#   cannot be revoked short of recreating the cluster, and anyone who reads
#   them (from Terraform state too) owns the cluster.
# custom:
#   id: DW-GCP-GKE-005
#   severity: high
#   controls:
#     - CIS-GKE-1.7:5.8.1
#     - SOC2:CC6.1
#     - PCI-DSS-4.0:8.2.2
#     - PCI-DSS-4.0:8.3.1
#   remediation: >-
#     Authenticate with Google identities (gcloud / gke-gcloud-auth-plugin)
#     and RBAC. Remove the master_auth username and password; a client
#     certificate cannot be revoked, so recreate the cluster with
#     master_auth { client_certificate_config { issue_client_certificate =
#     false } } and rotate the cluster credentials.
#   input: resource
#   resource_types:
#     - google_container_cluster
package driftwarden.gcp.gke_legacy_auth

import data.driftwarden.lib

deny contains msg if {
	input.resource.type == "google_container_cluster"
	some reason in reasons
	msg := sprintf("%s %s", [lib.name, reason])
}

reasons contains "issues client certificates" if {
	some auth in input.resource.attributes.master_auth
	some config in auth.client_certificate_config
	config.issue_client_certificate == true
}

# A certificate was issued (older providers read an unset
# client_certificate_config as "issue"): the state holds it.
reasons contains "issues client certificates" if {
	some auth in input.resource.attributes.master_auth
	not issue_flag_known(auth)
	issued(object.get(auth, "client_certificate", ""))
}

reasons contains "accepts HTTP basic authentication" if {
	some auth in input.resource.attributes.master_auth
	issued(object.get(auth, "username", ""))
}

issue_flag_known(auth) if {
	some config in auth.client_certificate_config
	is_boolean(config.issue_client_certificate)
}

# issued is true for a non-empty value that is not the redaction marker
# (a redacted value may be an empty string).
issued(v) if {
	is_string(v)
	v != ""
	v != "(sensitive)"
}
