package drift

import gcpid "github.com/driftwarden/driftwarden/identity"

// The role, member and condition of a google_*_iam_member are its identity
// (the canonical id is parent/role/condition/member, with the member
// normalised as the google provider compares it, case-insensitively for
// users, groups and service accounts): a live member matched to an applied
// one is the same grant, so these attributes are never compared, as id and
// arn are not. Otherwise "user:Jane@x" in state and "user:jane@x" in CAI
// would be one resource with a drift on its member. A binding's role and
// condition are its identity likewise.
func init() {
	for _, t := range gcpid.GCPTypes {
		switch t.IAM {
		case gcpid.GCPIAMMember:
			typeComputed[t.Terraform] = append(typeComputed[t.Terraform], "member", "role", "condition")
		case gcpid.GCPIAMBinding:
			typeComputed[t.Terraform] = append(typeComputed[t.Terraform], "role", "condition")
		}
	}
}
