package gcpasset

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"cloud.google.com/go/asset/apiv1/assetpb"
	"cloud.google.com/go/iam/apiv1/iampb"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/type/expr"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/collectors/tfstate"
	"github.com/driftwarden/driftwarden/drift"
	"github.com/driftwarden/driftwarden/model"
)

const (
	crmName = "//cloudresourcemanager.googleapis.com/"
	orgID   = crmName + "organizations/123456789012"
	engID   = crmName + "folders/281736450012"
	appsID  = crmName + "folders/590124873365"
	oldID   = crmName + "folders/733100248815"
	sandID  = crmName + "folders/918273645500"
)

// An organisation-level export (gcloud asset export --organization,
// RESOURCE and IAM_POLICY contents, one asset per line): the organisation,
// a folder in Resource Manager v1 form (lifecycleState) renamed since the
// apply, one in v3 form (state), one pending deletion, one that no state
// manages, and the IAM policies of the organisation and a folder, each
// with a conditional binding.
const orgExport = `{"name":"//cloudresourcemanager.googleapis.com/organizations/123456789012","asset_type":"cloudresourcemanager.googleapis.com/Organization","resource":{"version":"v1","discovery_document_uri":"https://cloudresourcemanager.googleapis.com/$discovery/rest","discovery_name":"Organization","data":{"name":"organizations/123456789012","displayName":"acme.example","owner":{"directoryCustomerId":"C03x7abcd"},"creationTime":"2019-02-11T16:02:17.441Z","lifecycleState":"ACTIVE"},"location":"global"},"ancestors":["organizations/123456789012"],"update_time":"2026-04-14T06:00:00Z"}
{"name":"//cloudresourcemanager.googleapis.com/folders/281736450012","asset_type":"cloudresourcemanager.googleapis.com/Folder","resource":{"version":"v1","discovery_name":"Folder","parent":"//cloudresourcemanager.googleapis.com/organizations/123456789012","data":{"name":"folders/281736450012","parent":"organizations/123456789012","displayName":"Engineering (legacy)","lifecycleState":"ACTIVE","createTime":"2025-05-12T08:31:07.412Z"},"location":"global"},"ancestors":["folders/281736450012","organizations/123456789012"]}
{"name":"//cloudresourcemanager.googleapis.com/folders/590124873365","assetType":"cloudresourcemanager.googleapis.com/Folder","resource":{"version":"v3","discoveryName":"Folder","parent":"//cloudresourcemanager.googleapis.com/folders/281736450012","data":{"name":"folders/590124873365","parent":"folders/281736450012","displayName":"Apps","state":"ACTIVE","createTime":"2025-05-12T08:33:51.006Z","updateTime":"2025-05-12T08:33:51.006Z","etag":"W/\"8a1d\""}},"ancestors":["folders/590124873365","folders/281736450012","organizations/123456789012"]}
{"name":"//cloudresourcemanager.googleapis.com/folders/733100248815","asset_type":"cloudresourcemanager.googleapis.com/Folder","resource":{"version":"v1","discovery_name":"Folder","parent":"//cloudresourcemanager.googleapis.com/organizations/123456789012","data":{"name":"folders/733100248815","parent":"organizations/123456789012","displayName":"Old","lifecycleState":"DELETE_REQUESTED"}},"ancestors":["folders/733100248815","organizations/123456789012"]}
{"name":"//cloudresourcemanager.googleapis.com/folders/918273645500","asset_type":"cloudresourcemanager.googleapis.com/Folder","resource":{"version":"v1","discovery_name":"Folder","parent":"//cloudresourcemanager.googleapis.com/organizations/123456789012","data":{"parent":"organizations/123456789012","displayName":"Sandbox","lifecycleState":"ACTIVE"}},"ancestors":["folders/918273645500","organizations/123456789012"]}
{"name":"//cloudresourcemanager.googleapis.com/organizations/123456789012","asset_type":"cloudresourcemanager.googleapis.com/Organization","iam_policy":{"version":3,"etag":"BwYc1bQ0x9A=","bindings":[{"role":"roles/billing.user","members":["user:finance-lead@acme.example"]},{"role":"roles/resourcemanager.organizationAdmin","members":["group:admins@acme.example"]},{"role":"roles/resourcemanager.organizationAdmin","members":["user:break-glass@acme.example"],"condition":{"title":"incident only","description":"Break-glass during incidents","expression":"request.time < timestamp(\"2026-05-01T00:00:00Z\")"}}]},"ancestors":["organizations/123456789012"]}
{"name":"//cloudresourcemanager.googleapis.com/folders/281736450012","asset_type":"cloudresourcemanager.googleapis.com/Folder","iam_policy":{"version":3,"etag":"BwYc1aZ2kJo=","bindings":[{"role":"roles/resourcemanager.folderViewer","members":["group:eng@acme.example"]},{"role":"roles/resourcemanager.folderEditor","members":["group:oncall@acme.example"],"condition":{"title":"until-july","expression":"request.time < timestamp(\"2026-07-01T00:00:00Z\")"}}]},"ancestors":["folders/281736450012","organizations/123456789012"]}
`

// The state that applied them (google provider 6.x): the folders as they
// were, and the IAM resources of the organisation and the folder in all
// three styles.
const orgState = `{
  "version": 4, "terraform_version": "1.9.8", "serial": 12, "lineage": "9b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", "outputs": {},
  "resources": [
    {"mode": "managed", "type": "google_folder", "name": "eng", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"configured_capabilities": [], "create_time": "2025-05-12T08:31:07.412Z",
       "deletion_protection": true, "display_name": "Engineering", "folder_id": "281736450012", "id": "folders/281736450012",
       "lifecycle_state": "ACTIVE", "management_project": "", "name": "folders/281736450012", "parent": "organizations/123456789012",
       "tags": null, "timeouts": null}, "sensitive_attributes": []}]},
    {"mode": "managed", "type": "google_folder", "name": "apps", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"create_time": "2025-05-12T08:33:51.006Z", "deletion_protection": true,
       "display_name": "Apps", "folder_id": "590124873365", "id": "folders/590124873365", "lifecycle_state": "ACTIVE",
       "name": "folders/590124873365", "parent": "folders/281736450012"}, "sensitive_attributes": []}]},
    {"mode": "managed", "type": "google_folder", "name": "old", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"display_name": "Old", "folder_id": "733100248815", "id": "folders/733100248815",
       "lifecycle_state": "ACTIVE", "name": "folders/733100248815", "parent": "organizations/123456789012"}, "sensitive_attributes": []}]},
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
    {"mode": "managed", "type": "google_organization_iam_member", "name": "break_glass", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {
       "condition": [{"description": "Break-glass during incidents", "expression": "request.time < timestamp(\"2026-05-01T00:00:00Z\")", "title": "incident only"}],
       "etag": "BwYc1bQ0x9A=", "id": "123456789012/roles/resourcemanager.organizationAdmin/user:break-glass@acme.example/incident only/Break-glass during incidents/request.time < timestamp(\"2026-05-01T00:00:00Z\")",
       "member": "user:break-glass@acme.example", "org_id": "123456789012", "role": "roles/resourcemanager.organizationAdmin"}, "sensitive_attributes": []}]},
    {"mode": "managed", "type": "google_organization_iam_binding", "name": "admins", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"condition": [], "etag": "BwYc1bQ0x9A=", "id": "123456789012/roles/resourcemanager.organizationAdmin",
       "members": ["group:admins@acme.example"], "org_id": "123456789012", "role": "roles/resourcemanager.organizationAdmin"}, "sensitive_attributes": []}]},
    {"mode": "managed", "type": "google_organization_iam_policy", "name": "org", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"etag": "BwYc1bQ0x9A=", "id": "123456789012", "org_id": "123456789012",
       "policy_data": "{\"bindings\":[{\"members\":[\"user:finance-lead@acme.example\"],\"role\":\"roles/billing.user\"},{\"members\":[\"group:admins@acme.example\"],\"role\":\"roles/resourcemanager.organizationAdmin\"},{\"condition\":{\"description\":\"Break-glass during incidents\",\"expression\":\"request.time < timestamp(\\\"2026-05-01T00:00:00Z\\\")\",\"title\":\"incident only\"},\"members\":[\"user:break-glass@acme.example\"],\"role\":\"roles/resourcemanager.organizationAdmin\"}]}"}, "sensitive_attributes": []}]},
    {"mode": "data", "type": "google_organization", "name": "acme", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"domain": "acme.example", "id": "organizations/123456789012", "name": "organizations/123456789012",
       "org_id": "123456789012"}, "sensitive_attributes": []}]}
  ]
}`

func orgInventory(t *testing.T, export string) collectors.Inventory {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "org.json"), []byte(export), 0o644))
	inv, errs := NewFileSource("cai-org", FileConfig{Paths: []string{dir}}).Inventory(context.Background())
	require.Empty(t, errs)
	return inv
}

func TestOrgExportMapping(t *testing.T) {
	inv := orgInventory(t, orgExport)
	ids := byID(inv)

	org := ids[orgID]
	require.Equal(t, "google_organization", org.Type)
	require.Equal(t, map[string]any{"id": "organizations/123456789012", "name": "organizations/123456789012", "org_id": "123456789012",
		"domain": "acme.example", "directory_customer_id": "C03x7abcd", "lifecycle_state": "ACTIVE"}, org.Attributes)

	eng := ids[engID]
	require.Equal(t, "google_folder", eng.Type)
	require.Equal(t, map[string]any{"id": "folders/281736450012", "name": "folders/281736450012", "folder_id": "281736450012",
		"display_name": "Engineering (legacy)", "parent": "organizations/123456789012", "lifecycle_state": "ACTIVE"}, eng.Attributes)
	require.Equal(t, "folders/281736450012", eng.NativeID)
	require.Empty(t, eng.Account, "a folder lies in no project")
	require.False(t, eng.Gone)
	require.Equal(t, "ACTIVE", ids[appsID].Attributes["lifecycle_state"], "v3's state is Terraform's lifecycle_state")
	require.Equal(t, "folders/281736450012", ids[appsID].Attributes["parent"])
	require.True(t, ids[oldID].Gone, "a folder pending deletion is not live")
	require.Equal(t, "918273645500", ids[sandID].Attributes["folder_id"], "data without its name: the asset name says it")

	// IAM: the conditional grant of a role is its own binding and member.
	condKeyed := func(prefix string) []string {
		var out []string
		for id := range ids {
			if strings.HasPrefix(id, prefix) {
				out = append(out, id)
			}
		}
		sort.Strings(out)
		return out
	}
	admins := condKeyed(orgID + "/iamPolicy/roles/resourcemanager.organizationAdmin")
	require.Len(t, admins, 4, "unconditional and conditional binding, one member each: %v", admins)
	require.Equal(t, "google_organization_iam_member", ids[orgID+"/iamPolicy/roles/billing.user/members/user:finance-lead@acme.example"].Type)
	require.Equal(t, "google_folder_iam_binding", ids[engID+"/iamPolicy/roles/resourcemanager.folderViewer"].Type)
	require.Equal(t, "google_folder_iam_policy", ids[engID+"/iamPolicy"].Type)

	// The organisation is never covered (Terraform cannot manage it);
	// folders are, in an organisation's export; IAM never is.
	require.False(t, inv.Coverage.Covers("google_organization", "", ""))
	require.True(t, inv.Coverage.Covers("google_folder", "", ""))
	require.False(t, inv.Coverage.Covers("google_organization_iam_member", "", ""))
}

// The export against the state that applied it: the renamed folder is a
// changed drift on display_name, the folder pending deletion is missing,
// the unmanaged folder is reported, and nothing else: no organisation,
// no IAM resource, no false drift.
func TestOrgExportDrift(t *testing.T) {
	st, err := tfstate.Decode(strings.NewReader(orgState), tfstate.DecodeOptions{Source: "states", Location: "org.tfstate", Stack: "org"})
	require.NoError(t, err)
	inv := orgInventory(t, orgExport)
	res := drift.Compare([]collectors.Stack{*st}, []collectors.Inventory{inv}, drift.DefaultOptions())
	require.Empty(t, res.Warnings)

	got := map[string]model.Drift{}
	for _, d := range res.Drifts {
		got[string(d.Kind)+" "+d.Resource.ID] = d
	}
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	require.Equal(t, []string{
		"changed " + engID,
		"missing " + oldID,
		"unmanaged " + sandID,
	}, keys)
	renamed := got["changed "+engID]
	require.Equal(t, "google_folder.eng", renamed.Resource.Address)
	require.Equal(t, []model.Diff{{Path: "display_name", Applied: "Engineering", Live: "Engineering (legacy)"}}, renamed.Diffs)
	require.Equal(t, 8, res.Stacks["org"].Observed, "every resource of the state but the folder pending deletion was seen")
}

func TestOrgExportBadInput(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(orgExport), "\n")
	bad := []string{
		// A Folder asset without a name.
		`{"asset_type":"cloudresourcemanager.googleapis.com/Folder","resource":{"data":{"displayName":"Nameless","lifecycleState":"ACTIVE"}}}`,
		// An IAM policy that is not an object, and one whose bindings are not.
		`{"name":"//cloudresourcemanager.googleapis.com/folders/281736450012","asset_type":"cloudresourcemanager.googleapis.com/Folder","iam_policy":"roles/owner=user:x@acme.example"}`,
		`{"name":"//cloudresourcemanager.googleapis.com/organizations/123456789012","assetType":"cloudresourcemanager.googleapis.com/Organization","iamPolicy":{"bindings":{"role":"roles/owner"}}}`,
		`{"name":"//cloudresourcemanager.googleapis.com/organizations/123456789012","assetType":"cloudresourcemanager.googleapis.com/Organization","iamPolicy":{"bindings":[{"role":"roles/viewer","members":["domain:acme.example"]},"roles/owner"]}}`,
	}
	in := strings.Join(append(append([]string{lines[0], lines[1]}, bad...), lines[2:]...), "\n") + "\n"
	dir := t.TempDir()
	path := filepath.Join(dir, "org.json")
	require.NoError(t, os.WriteFile(path, []byte(in), 0o644))
	inv, errs := NewFileSource("cai-org", FileConfig{Paths: []string{dir}}).Inventory(context.Background())

	require.Len(t, errs, 4)
	want := []struct{ place, msg string }{
		{"line 3", "item 1: asset without name (asset type cloudresourcemanager.googleapis.com/Folder)"},
		{"line 4", "item 1: asset //cloudresourcemanager.googleapis.com/folders/281736450012: iam_policy is a string, not an object"},
		{"line 5", "item 1: asset //cloudresourcemanager.googleapis.com/organizations/123456789012: iamPolicy.bindings is an object, not an array"},
		{"line 6", "item 1: asset //cloudresourcemanager.googleapis.com/organizations/123456789012: iamPolicy.bindings[1] is a string, not an object"},
	}
	for i, w := range want {
		var ie *collectors.InputError
		require.ErrorAs(t, errs[i], &ie)
		require.Equal(t, path, ie.Location)
		require.Equal(t, w.place, ie.Place)
		require.EqualError(t, ie.Err, w.msg)
	}

	// Everything else was read, the policies of the good lines included.
	ids := byID(inv)
	for _, id := range []string{orgID, engID, appsID, oldID, sandID, orgID + "/iamPolicy", engID + "/iamPolicy",
		engID + "/iamPolicy/roles/resourcemanager.folderViewer/members/group:eng@acme.example"} {
		require.Contains(t, ids, id)
	}
	require.NotContains(t, ids, orgID+"/iamPolicy/roles/viewer", "the bad policy's good binding costs with its record")
	require.Empty(t, inv.Coverage.Types, "input was lost: nothing is declared complete")
}

// ListAssets: folders are covered by an organisation's listing only (a
// project's listing never holds them), the organisation never, and IAM
// conditions survive the conversion from the API's protos.
func TestAPIOrgLevelCoverageAndConditions(t *testing.T) {
	f := &fakeAsset{assets: map[assetpb.ContentType][]*assetpb.Asset{
		assetpb.ContentType_RESOURCE: {
			{Name: orgID, AssetType: "cloudresourcemanager.googleapis.com/Organization",
				Resource: &assetpb.Resource{Data: pbData(t, map[string]any{"name": "organizations/123456789012", "displayName": "acme.example", "state": "ACTIVE"})}},
			{Name: engID, AssetType: "cloudresourcemanager.googleapis.com/Folder",
				Resource: &assetpb.Resource{Data: pbData(t, map[string]any{"name": "folders/281736450012", "parent": "organizations/123456789012",
					"displayName": "Engineering", "state": "ACTIVE"})}},
		},
		assetpb.ContentType_IAM_POLICY: {
			{Name: engID, AssetType: "cloudresourcemanager.googleapis.com/Folder", IamPolicy: &iampb.Policy{Bindings: []*iampb.Binding{
				{Role: "roles/resourcemanager.folderEditor", Members: []string{"group:oncall@acme.example"}},
				{Role: "roles/resourcemanager.folderEditor", Members: []string{"group:oncall@acme.example"},
					Condition: &expr.Expr{Title: "until-july", Expression: `request.time < timestamp("2026-07-01T00:00:00Z")`}},
			}}},
		},
	}}
	opts := startAsset(t, f)

	src := NewAPISource("cai", APIConfig{Parents: []string{"organizations/123456789012"}, ClientOptions: opts})
	defer src.Close()
	inv, errs := src.Inventory(context.Background())
	require.Empty(t, errs)
	ids := byID(inv)
	require.Equal(t, "google_folder", ids[engID].Type)
	require.Equal(t, "google_organization", ids[orgID].Type)
	require.True(t, inv.Coverage.Covers("google_folder", "", ""))
	require.False(t, inv.Coverage.Covers("google_organization", "", ""))
	var members []string
	for id := range ids {
		if strings.Contains(id, "/members/") {
			members = append(members, id)
		}
	}
	require.Len(t, members, 2, "the conditional grant is not folded into the unconditional one: %v", members)

	for _, parents := range [][]string{{"projects/acme-prod"}, {"folders/281736450012"}} {
		src := NewAPISource("cai", APIConfig{Parents: parents, ClientOptions: opts})
		inv, errs := src.Inventory(context.Background())
		src.Close()
		require.Empty(t, errs)
		require.False(t, inv.Coverage.Covers("google_folder", "", ""), "%v does not list every folder", parents)
		require.True(t, inv.Coverage.Covers("google_storage_bucket", "acme-prod", ""), "%v", parents)
	}
}

// A folder's export (gcloud asset export --folder) holds that folder and
// the folders under it, not the organisation's other folders: folders are
// not covered, or every other folder a state manages would be missing. An
// organisation's export is recognised by the Organization asset, or,
// restricted to folders, by every folder's parent being held or the
// organisation, with at least two top-level folders.
func TestFolderExportDoesNotCoverFolders(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(orgExport), "\n")
	org, eng, apps, old, sand := lines[0], lines[1], lines[2], lines[3], lines[4]
	const sub = `{"name":"//cloudresourcemanager.googleapis.com/folders/604411982231","asset_type":"cloudresourcemanager.googleapis.com/Folder","resource":{"version":"v3","discovery_name":"Folder","parent":"//cloudresourcemanager.googleapis.com/folders/590124873365","data":{"name":"folders/604411982231","parent":"folders/590124873365","displayName":"Apps prod","state":"ACTIVE"}},"ancestors":["folders/604411982231","folders/590124873365","folders/281736450012","organizations/123456789012"]}`
	join := func(ls ...string) string { return strings.Join(ls, "\n") + "\n" }
	named := func(num, parent string) string {
		return `{"name":"//cloudresourcemanager.googleapis.com/folders/` + num + `","assetType":"cloudresourcemanager.googleapis.com/Folder","ancestors":["folders/` + num + `","` + parent + `"]}`
	}
	for _, tt := range []struct {
		name    string
		export  string
		covered bool
	}{
		{"export of a nested folder", join(apps, sub), false},
		{"export of a top-level folder", join(eng, apps, sub), false},
		{"organisation export", join(org, eng, apps, old, sand), true},
		{"organisation export of folders only", join(eng, apps, old, sand, sub), true},
		// Names only (no content type): the ancestors say the parents.
		{"names of an organisation's folders", join(named("281736450012", "organizations/123456789012"), named("918273645500", "organizations/123456789012"),
			named("590124873365", "folders/281736450012")), true},
		{"names of a folder's folders", join(named("590124873365", "folders/281736450012"), named("604411982231", "folders/590124873365")), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			inv := orgInventory(t, tt.export)
			require.Equal(t, tt.covered, inv.Coverage.Covers("google_folder", "", ""))
		})
	}

	// Against the state: the folder export's folders compare, and the
	// state's folders outside it are not reported missing.
	st, err := tfstate.Decode(strings.NewReader(orgState), tfstate.DecodeOptions{Source: "states", Location: "org.tfstate", Stack: "org"})
	require.NoError(t, err)
	inv := orgInventory(t, join(apps, sub))
	res := drift.Compare([]collectors.Stack{*st}, []collectors.Inventory{inv}, drift.DefaultOptions())
	for _, d := range res.Drifts {
		require.NotEqual(t, model.DriftMissing, d.Kind, "%s is outside the exported folder", d.Resource.ID)
	}
}
