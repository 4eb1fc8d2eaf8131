package identity_test

// Folders and the organisation: the ids the Terraform state reader gives
// google_folder and the folder and organisation IAM resources are the ids
// the audit entries that change them name. Both sides run through the
// collectors (tfstate.Decode, gcpaudit.ParseEntry), as the daemon does.

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors/gcpaudit"
	"github.com/driftwarden/driftwarden/collectors/tfstate"
	"github.com/driftwarden/driftwarden/identity"
)

const (
	crm       = "//cloudresourcemanager.googleapis.com/"
	folderEng = crm + "folders/281736450012"
	folderApp = crm + "folders/590124873365"
	orgAcme   = crm + "organizations/123456789012"
)

// A state managing a folder, a sub-folder, IAM on the folder (one grant
// under a condition) and on the organisation, as google provider 6.x writes
// it: folder ids "folders/N"; IAM ids "<folders/N or org number>/<role>
// [/<member>][/<title>/<description>/<expression>]".
const folderState = `{
  "version": 4, "terraform_version": "1.9.8", "serial": 12, "lineage": "9b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", "outputs": {},
  "resources": [
    {"mode": "managed", "type": "google_folder", "name": "eng", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"configured_capabilities": [], "create_time": "2025-05-12T08:31:07.412Z",
       "deletion_protection": true, "display_name": "Engineering", "folder_id": "281736450012", "id": "folders/281736450012",
       "lifecycle_state": "ACTIVE", "management_project": "", "name": "folders/281736450012", "parent": "organizations/123456789012",
       "tags": null, "timeouts": null}, "sensitive_attributes": []}]},
    {"mode": "managed", "type": "google_folder", "name": "apps", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"display_name": "Apps", "folder_id": "590124873365", "id": "folders/590124873365",
       "lifecycle_state": "ACTIVE", "name": "folders/590124873365", "parent": "folders/281736450012"}, "sensitive_attributes": []}]},
    {"mode": "managed", "type": "google_folder_iam_member", "name": "oncall", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {
       "condition": [{"description": "", "expression": "request.time < timestamp(\"2026-07-01T00:00:00Z\")", "title": "until-july"}],
       "etag": "BwYc1aZ2kJo=", "folder": "folders/281736450012",
       "id": "folders/281736450012/roles/resourcemanager.folderEditor/group:oncall@acme.example/until-july//request.time < timestamp(\"2026-07-01T00:00:00Z\")",
       "member": "group:Oncall@acme.example", "role": "roles/resourcemanager.folderEditor"}, "sensitive_attributes": []}]},
    {"mode": "managed", "type": "google_folder_iam_binding", "name": "viewers", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"condition": [], "etag": "BwYc1aZ2kJo=", "folder": "281736450012",
       "id": "folders/281736450012/roles/resourcemanager.folderViewer", "members": ["group:eng@acme.example"],
       "role": "roles/resourcemanager.folderViewer"}, "sensitive_attributes": []}]},
    {"mode": "managed", "type": "google_organization_iam_member", "name": "billing", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"condition": [], "etag": "BwYc1bQ0x9A=", "id": "123456789012/roles/billing.user/user:finance-lead@acme.example",
       "member": "user:finance-lead@acme.example", "org_id": "123456789012", "role": "roles/billing.user"}, "sensitive_attributes": []}]},
    {"mode": "managed", "type": "google_organization_iam_policy", "name": "org", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"etag": "BwYc1bQ0x9A=", "id": "123456789012", "org_id": "123456789012",
       "policy_data": "{\"bindings\":[{\"members\":[\"group:admins@acme.example\"],\"role\":\"roles/resourcemanager.organizationAdmin\"}]}"}, "sensitive_attributes": []}]},
    {"mode": "data", "type": "google_organization", "name": "acme", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"domain": "acme.example", "id": "organizations/123456789012", "name": "organizations/123456789012",
       "org_id": "123456789012", "lifecycle_state": "ACTIVE"}, "sensitive_attributes": []}]}
  ]
}`

const untilJuly = `request.time < timestamp("2026-07-01T00:00:00Z")`

func folderStateIDs(t *testing.T) map[string]string {
	t.Helper()
	st, err := tfstate.Decode(strings.NewReader(folderState), tfstate.DecodeOptions{Source: "states", Location: "org.tfstate", Stack: "org"})
	require.NoError(t, err)
	out := map[string]string{}
	for _, r := range st.Resources {
		out[r.Address] = r.ID
	}
	return out
}

// auditEntry wraps a protoPayload in the LogEntry Cloud Logging writes for
// a folder or organisation (resource.type folder / organization).
func orgAuditEntry(resourceType, label, payload string) string {
	return `{"insertId": "1x2y3z", "logName": "organizations/123456789012/logs/cloudaudit.googleapis.com%2Factivity",
	  "timestamp": "2026-04-14T10:21:33.514Z", "receiveTimestamp": "2026-04-14T10:21:34.201Z", "severity": "NOTICE",
	  "resource": {"type": "` + resourceType + `", "labels": {` + label + `}},
	  "protoPayload": ` + payload + `}`
}

func TestGCPFolderAndOrgStateIDs(t *testing.T) {
	ids := folderStateIDs(t)
	cond := identity.GCPIAMCondition{Title: "until-july", Expression: untilJuly}
	require.Equal(t, map[string]string{
		"google_folder.eng":  folderEng,
		"google_folder.apps": folderApp,
		// The state reader keeps no folder or org_id attribute: the parent
		// comes from the id; the condition and the lower-cased member too.
		"google_folder_iam_member.oncall": identity.GCPIAMCanonicalWithCondition(folderEng, identity.GCPIAMMember,
			"roles/resourcemanager.folderEditor", "group:oncall@acme.example", cond),
		"google_folder_iam_binding.viewers":      folderEng + "/iamPolicy/roles/resourcemanager.folderViewer",
		"google_organization_iam_member.billing": orgAcme + "/iamPolicy/roles/billing.user/members/user:finance-lead@acme.example",
		"google_organization_iam_policy.org":     orgAcme + "/iamPolicy",
	}, ids, "data sources are not resources of the state")
	require.Contains(t, ids["google_folder_iam_member.oncall"], "/conditions/until-july~")
}

func TestGCPFolderAuditEntries(t *testing.T) {
	state := folderStateIDs(t)
	parse := func(entry string) []string {
		t.Helper()
		ev, err := gcpaudit.ParseEntry([]byte(entry))
		require.NoError(t, err)
		return ev.Resources
	}

	// A rename in the console (v3 UpdateFolder, display_name only).
	update := orgAuditEntry("folder", `"folder_id": "281736450012"`, `{"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
	  "status": {}, "authenticationInfo": {"principalEmail": "dana@acme.example"},
	  "requestMetadata": {"callerIp": "198.51.100.23", "callerSuppliedUserAgent": "Mozilla/5.0 (X11; Linux x86_64),gzip(gfe)"},
	  "serviceName": "cloudresourcemanager.googleapis.com", "methodName": "google.cloud.resourcemanager.v3.Folders.UpdateFolder",
	  "authorizationInfo": [{"resource": "folders/281736450012", "permission": "resourcemanager.folders.update", "granted": true, "resourceAttributes": {}}],
	  "resourceName": "folders/281736450012",
	  "request": {"@type": "type.googleapis.com/google.cloud.resourcemanager.v3.UpdateFolderRequest",
	    "folder": {"name": "folders/281736450012", "displayName": "Engineering (legacy)"}, "updateMask": "displayName"},
	  "response": {"@type": "type.googleapis.com/google.longrunning.Operation", "name": "operations/fu.7142203950431125504"}}`)
	require.Equal(t, []string{state["google_folder.eng"]}, parse(update))
	m, ok := identity.GCPMethodOf(nil, "cloudresourcemanager.googleapis.com", "google.cloud.resourcemanager.v3.Folders.UpdateFolder")
	require.True(t, ok)
	require.Equal(t, identity.GCPMethod{Name: "google.cloud.resourcemanager.v3.Folders.UpdateFolder", Op: identity.GCPUpdate,
		Attributes: []string{"display_name"}}, m)
	m, ok = identity.GCPMethodOf(nil, "cloudresourcemanager.googleapis.com", "google.cloud.resourcemanager.v2.Folders.MoveFolder")
	require.True(t, ok)
	require.Equal(t, []string{"parent"}, m.Attributes)

	// A folder IAM change by terraform (v3 SetIamPolicy): the folder, its
	// policy, and the binding and member of each delta, the conditional
	// one under its condition: the ids of the state's IAM resources.
	setIAM := orgAuditEntry("folder", `"folder_id": "281736450012"`, `{"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
	  "status": {}, "authenticationInfo": {"principalEmail": "terraform@acme-seed.iam.gserviceaccount.com"},
	  "requestMetadata": {"callerIp": "34.140.2.17", "callerSuppliedUserAgent": "Terraform/1.9.8 (+https://www.terraform.io) Terraform-Plugin-SDK/2.33.0 terraform-provider-google/6.12.0,gzip(gfe)"},
	  "serviceName": "cloudresourcemanager.googleapis.com", "methodName": "google.cloud.resourcemanager.v3.Folders.SetIamPolicy",
	  "authorizationInfo": [{"resource": "folders/281736450012", "permission": "resourcemanager.folders.setIamPolicy", "granted": true, "resourceAttributes": {}}],
	  "resourceName": "folders/281736450012",
	  "serviceData": {"@type": "type.googleapis.com/google.iam.v1.logging.AuditData", "policyDelta": {"bindingDeltas": [
	    {"action": "ADD", "role": "roles/resourcemanager.folderEditor", "member": "group:oncall@acme.example",
	     "condition": {"title": "until-july", "expression": "request.time < timestamp(\"2026-07-01T00:00:00Z\")"}},
	    {"action": "ADD", "role": "roles/resourcemanager.folderViewer", "member": "group:eng@acme.example"}]}},
	  "request": {"@type": "type.googleapis.com/google.iam.v1.SetIamPolicyRequest", "resource": "folders/281736450012", "updateMask": "bindings,etag,auditConfigs"}}`)
	got := parse(setIAM)
	require.Equal(t, []string{folderEng, folderEng + "/iamPolicy"}, got[:2])
	for _, addr := range []string{"google_folder.eng", "google_folder_iam_member.oncall", "google_folder_iam_binding.viewers"} {
		require.Contains(t, got, state[addr], "%s is not named by the folder SetIamPolicy", addr)
	}
	require.NotContains(t, got, folderEng+"/iamPolicy/roles/resourcemanager.folderEditor/members/group:oncall@acme.example",
		"the conditional grant is not the unconditional one")

	// The organisation (v1 SetIamPolicy, as the provider calls it).
	orgIAM := orgAuditEntry("organization", `"organization_id": "123456789012"`, `{"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
	  "status": {}, "authenticationInfo": {"principalEmail": "carol@acme.example"},
	  "serviceName": "cloudresourcemanager.googleapis.com", "methodName": "SetIamPolicy", "resourceName": "organizations/123456789012",
	  "serviceData": {"@type": "type.googleapis.com/google.iam.v1.logging.AuditData", "policyDelta": {"bindingDeltas": [
	    {"action": "REMOVE", "role": "roles/billing.user", "member": "user:finance-lead@acme.example"}]}}}`)
	got = parse(orgIAM)
	require.Equal(t, orgAcme, got[0])
	require.Contains(t, got, state["google_organization_iam_policy.org"])
	require.Contains(t, got, state["google_organization_iam_member.billing"])
}

// CreateFolder is a long-running operation; the new folder's id is in the
// response (the Folder, or a finished Operation's response) while the
// resourceName may name the parent. The entry names the new folder too.
func TestGCPCreateFolderNamesTheNewFolder(t *testing.T) {
	const svc = "cloudresourcemanager.googleapis.com"
	create := func(resourceName string, response map[string]any) []string {
		pp := map[string]any{"serviceName": svc, "methodName": "google.cloud.resourcemanager.v3.Folders.CreateFolder",
			"resourceName": resourceName, "request": map[string]any{"folder": map[string]any{"displayName": "Apps", "parent": resourceName}}}
		if response != nil {
			pp["response"] = response
		}
		ids, row, m, known := identity.GCPAuditResources(svc, "google.cloud.resourcemanager.v3.Folders.CreateFolder", resourceName, nil, pp)
		require.True(t, known)
		require.Equal(t, identity.GCPCreate, m.Op)
		require.NotNil(t, row)
		return ids
	}
	folder := map[string]any{"@type": "type.googleapis.com/google.cloud.resourcemanager.v3.Folder", "name": "folders/590124873365",
		"parent": "folders/281736450012", "displayName": "Apps", "state": "ACTIVE"}
	op := map[string]any{"@type": "type.googleapis.com/google.longrunning.Operation", "name": "operations/fc.5512093874102", "done": true,
		"response": folder}

	// Logged on the organisation, with the Folder as response.
	require.Equal(t, []string{orgAcme, folderApp}, create("organizations/123456789012", folder))
	// Logged on the parent folder (a row of its own type), with the
	// finished operation as response.
	require.Equal(t, []string{folderEng, folderApp}, create("folders/281736450012", op))
	// Logged on the new folder itself: named once.
	require.Equal(t, []string{folderApp}, create("folders/590124873365", folder))
	// The first entry of the operation: no folder id yet.
	require.Equal(t, []string{orgAcme}, create("organizations/123456789012",
		map[string]any{"name": "operations/fc.5512093874102", "metadata": map[string]any{"displayName": "Apps", "parent": "organizations/123456789012"}}))
	require.Equal(t, []string{orgAcme}, create("organizations/123456789012", nil))

	// Other folder methods do not read the response: a move names the
	// folder moved, not its destination.
	ids, _, m, known := identity.GCPAuditResources(svc, "google.cloud.resourcemanager.v3.Folders.MoveFolder", "folders/590124873365", nil,
		map[string]any{"response": map[string]any{"name": "folders/281736450012"}})
	require.True(t, known)
	require.Equal(t, identity.GCPUpdate, m.Op)
	require.Equal(t, []string{folderApp}, ids)
	_, _, m, known = identity.GCPAuditResources(svc, "google.cloud.resourcemanager.v2.Folders.DeleteFolder", "folders/590124873365", nil, nil)
	require.True(t, known)
	require.Equal(t, identity.GCPDelete, m.Op)
	_, _, m, _ = identity.GCPAuditResources(svc, "google.cloud.resourcemanager.v3.Folders.UndeleteFolder", "folders/590124873365", nil, nil)
	require.Equal(t, identity.GCPCreate, m.Op)
}

func TestGCPOrgLevelRows(t *testing.T) {
	org, ok := identity.GCPByAssetType("cloudresourcemanager.googleapis.com/Organization")
	require.True(t, ok)
	require.Equal(t, "google_organization", org.Terraform)
	require.True(t, org.DataSource)
	require.False(t, org.Managed())
	require.True(t, org.OrgLevel)
	folder, ok := identity.GCPByAssetType("cloudresourcemanager.googleapis.com/Folder")
	require.True(t, ok)
	require.True(t, folder.Managed())
	require.True(t, folder.OrgLevel)
	project, _ := identity.GCPByTerraform("google_project")
	require.False(t, project.OrgLevel)
	for _, iam := range []string{"google_organization_iam_member", "google_folder_iam_binding"} {
		r, ok := identity.GCPByTerraform(iam)
		require.True(t, ok)
		require.True(t, r.Managed(), "%s is a resource", iam)
	}

	// Another service acting on an organisation (a workforce pool created
	// under it) does not name the organisation's own resource.
	ids, row, _, _ := identity.GCPAuditResources("iam.googleapis.com", "google.iam.admin.v1.WorkforcePools.CreateWorkforcePool", "organizations/325169835352", nil, nil)
	require.Nil(t, row)
	require.Equal(t, []string{"//iam.googleapis.com/organizations/325169835352"}, ids)

	// Ids without the parent attribute: the parent is read from the id,
	// in the current ("/") and the older (" ") spelling, and with a custom
	// role that itself names the organisation.
	for id, want := range map[string]string{
		"folders/77/roles/viewer/user:a@x.example":           crm + "folders/77/iamPolicy/roles/viewer/members/user:a@x.example",
		"folders/77 roles/viewer user:a@x.example":           crm + "folders/77/iamPolicy/roles/viewer/members/user:a@x.example",
		"55/organizations/55/roles/auditor/user:a@x.example": crm + "organizations/55/iamPolicy/organizations/55/roles/auditor/members/user:a@x.example",
		"folders/77/roles/viewerPlus/user:a@x.example":       "",
		"": "",
	} {
		typ := "google_folder_iam_member"
		role := "roles/viewer"
		if strings.HasPrefix(id, "55/") {
			typ, role = "google_organization_iam_member", "organizations/55/roles/auditor"
		}
		got := identity.GCPCanonicalFromTerraform(typ, map[string]any{"id": id, "role": role, "member": "user:a@x.example"})
		require.Equal(t, want, got, id)
	}
}
