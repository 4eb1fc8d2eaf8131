package identity

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A CAI IAM policy (asset iamPolicy) with one role bound three times:
// unconditionally, and under two conditions, one with a "/" in its
// description and the expression.
const caiPolicyWithConditions = `{
  "version": 3,
  "etag": "BwYb0dNq3Xs=",
  "bindings": [
    {"role": "roles/storage.objectViewer", "members": ["group:analysts@acme.example"]},
    {"role": "roles/storage.objectViewer", "members": ["user:jane@acme.example"],
     "condition": {"title": "expires_2025_06_30", "description": "Temporary read/write access for the audit",
                   "expression": "request.time < timestamp(\"2025-06-30T00:00:00Z\")"}},
    {"role": "roles/storage.objectViewer", "members": ["user:jane@acme.example", "serviceAccount:etl@acme-prod.iam.gserviceaccount.com"],
     "condition": {"title": "reports prefix only",
                   "expression": "resource.name.startsWith(\"projects/_/buckets/acme-reports/objects/reports/\")"}}
  ]
}`

type caiBinding struct {
	Role      string         `json:"role"`
	Members   []string       `json:"members"`
	Condition map[string]any `json:"condition"`
}

func caiBindings(t *testing.T) []caiBinding {
	t.Helper()
	var p struct {
		Bindings []caiBinding `json:"bindings"`
	}
	require.NoError(t, json.Unmarshal([]byte(caiPolicyWithConditions), &p))
	return p.Bindings
}

func TestGCPIAMConditionalIDsMatchTerraform(t *testing.T) {
	const bucket = "//storage.googleapis.com/acme-reports"
	bs := caiBindings(t)

	// CAI side: one id per binding and per member, all distinct.
	seen := map[string]bool{}
	caiID := map[string]string{} // title|member -> member id
	for _, b := range bs {
		cond := GCPIAMConditionOf(b.Condition)
		id := GCPIAMCanonicalWithCondition(bucket, GCPIAMBinding, b.Role, "", cond)
		require.False(t, seen[id], "duplicate binding id %s", id)
		seen[id] = true
		for _, m := range b.Members {
			mid := GCPIAMCanonicalWithCondition(bucket, GCPIAMMember, b.Role, m, cond)
			require.False(t, seen[mid], "duplicate member id %s", mid)
			seen[mid] = true
			caiID[cond.Title+"|"+m] = mid
		}
	}
	require.Len(t, seen, 7)

	// The unconditional binding keeps today's ids exactly.
	require.Equal(t, bucket+"/iamPolicy/roles/storage.objectViewer/members/group:analysts@acme.example", caiID["|group:analysts@acme.example"])
	require.Equal(t, GCPIAMCanonical(bucket, GCPIAMMember, "roles/storage.objectViewer", "group:analysts@acme.example"), caiID["|group:analysts@acme.example"])

	// Terraform side, google_storage_bucket_iam_member with a condition
	// block as the provider writes it to the state: the id ends with
	// "/<title>/<description>/<expression>" and the member is lower-cased there.
	expires := bs[1].Condition
	tfState := map[string]any{
		"bucket": "b/acme-reports", "role": "roles/storage.objectViewer", "member": "user:jane@acme.example",
		"id": "b/acme-reports/roles/storage.objectViewer/user:jane@acme.example/expires_2025_06_30/Temporary read/write access for the audit/" +
			`request.time < timestamp("2025-06-30T00:00:00Z")`,
		"condition": []any{map[string]any{"title": expires["title"], "description": expires["description"], "expression": expires["expression"]}},
		"etag":      "BwYb0dNq3Xs=",
	}
	want := caiID["expires_2025_06_30|user:jane@acme.example"]
	require.Equal(t, want, GCPCanonicalFromTerraform("google_storage_bucket_iam_member", tfState))
	require.True(t, strings.HasPrefix(want, bucket+"/iamPolicy/roles/storage.objectViewer/conditions/expires_2025_06_30~"), want)

	// The state reader passes the id but not the condition block: same id.
	noBlock := map[string]any{"bucket": tfState["bucket"], "role": tfState["role"], "member": tfState["member"], "id": tfState["id"]}
	require.Equal(t, want, GCPCanonicalFromTerraform("google_storage_bucket_iam_member", noBlock))

	// Member spelled with capitals in the attribute, lower-cased in the id.
	mixed := map[string]any{"bucket": "acme-reports", "role": "roles/storage.objectViewer", "member": "user:Jane@acme.example",
		"id": "b/acme-reports/roles/storage.objectViewer/user:jane@acme.example/expires_2025_06_30/Temporary read/write access for the audit/" +
			`request.time < timestamp("2025-06-30T00:00:00Z")`}
	require.Equal(t, GCPIAMCanonicalWithCondition(bucket, GCPIAMMember, "roles/storage.objectViewer", "user:Jane@acme.example", GCPIAMConditionOf(expires)),
		GCPCanonicalFromTerraform("google_storage_bucket_iam_member", mixed))

	// A plan's after value: description null.
	reports := bs[2].Condition
	plan := map[string]any{"bucket": "acme-reports", "role": "roles/storage.objectViewer", "member": "serviceAccount:etl@acme-prod.iam.gserviceaccount.com",
		"condition": []any{map[string]any{"title": "reports prefix only", "description": nil, "expression": reports["expression"]}}}
	require.Equal(t, caiID["reports prefix only|serviceAccount:etl@acme-prod.iam.gserviceaccount.com"],
		GCPCanonicalFromTerraform("google_storage_bucket_iam_member", plan))

	// google_storage_bucket_iam_binding with the same condition, from its
	// state id alone (expression with "/" and quotes, empty description).
	binding := map[string]any{"bucket": "b/acme-reports", "role": "roles/storage.objectViewer",
		"members": []any{"serviceAccount:etl@acme-prod.iam.gserviceaccount.com", "user:jane@acme.example"},
		"id": "b/acme-reports/roles/storage.objectViewer/reports prefix only//" +
			`resource.name.startsWith("projects/_/buckets/acme-reports/objects/reports/")`}
	require.Equal(t, GCPIAMCanonicalWithCondition(bucket, GCPIAMBinding, "roles/storage.objectViewer", "", GCPIAMConditionOf(reports)),
		GCPCanonicalFromTerraform("google_storage_bucket_iam_binding", binding))

	// Same title, different expression: a different id (the provider tells
	// them apart too).
	other := map[string]any{"title": "expires_2025_06_30", "description": "Temporary read/write access for the audit",
		"expression": `request.time < timestamp("2025-12-31T00:00:00Z")`}
	require.NotEqual(t, want, GCPIAMCanonicalWithCondition(bucket, GCPIAMMember, "roles/storage.objectViewer", "user:jane@acme.example", GCPIAMConditionOf(other)))
}

func TestGCPIAMConditionProjectMember(t *testing.T) {
	const project = "//cloudresourcemanager.googleapis.com/projects/acme-prod"
	cond := map[string]any{"title": "Business hours", "description": "",
		"expression": `request.time.getHours("Europe/Berlin") >= 9 && request.time.getHours("Europe/Berlin") < 17`}
	// google_project_iam_member state: id "<project>/<role>/<member>/<title>/<description>/<expression>".
	state := map[string]any{"project": "acme-prod", "role": "roles/compute.instanceAdmin.v1", "member": "group:oncall@acme.example",
		"id": "acme-prod/roles/compute.instanceAdmin.v1/group:oncall@acme.example/Business hours//" + gcpStr(cond["expression"])}
	got := GCPCanonicalFromTerraform("google_project_iam_member", state)
	require.Equal(t, GCPIAMCanonicalWithCondition(project, GCPIAMMember, "roles/compute.instanceAdmin.v1", "group:oncall@acme.example", GCPIAMConditionOf(cond)), got)
	require.NotEqual(t, GCPIAMCanonical(project, GCPIAMMember, "roles/compute.instanceAdmin.v1", "group:oncall@acme.example"), got)

	// Unconditional member and binding states keep today's ids.
	require.Equal(t, project+"/iamPolicy/roles/viewer/members/user:jane@acme.example",
		GCPCanonicalFromTerraform("google_project_iam_member", map[string]any{"project": "acme-prod", "role": "roles/viewer",
			"member": "user:jane@acme.example", "id": "acme-prod/roles/viewer/user:jane@acme.example", "condition": []any{}}))
	require.Equal(t, project+"/iamPolicy/roles/viewer",
		GCPCanonicalFromTerraform("google_project_iam_binding", map[string]any{"project": "acme-prod", "role": "roles/viewer",
			"id": "acme-prod/roles/viewer", "members": []any{"user:jane@acme.example"}}))
	// A custom role whose name ends like a predefined one is not confused.
	require.Equal(t, project+"/iamPolicy/projects/acme-prod/roles/viewer",
		GCPCanonicalFromTerraform("google_project_iam_binding", map[string]any{"project": "acme-prod", "role": "projects/acme-prod/roles/viewer",
			"id": "acme-prod/projects/acme-prod/roles/viewer"}))
	// The policy id ignores conditions.
	require.Equal(t, project+"/iamPolicy", GCPIAMCanonicalWithCondition(project, GCPIAMPolicy, "", "", GCPIAMConditionOf(cond)))
}

func TestGCPIAMConditionKey(t *testing.T) {
	require.Empty(t, GCPIAMCondition{}.Key())
	require.Empty(t, GCPIAMConditionOf(nil).Key())
	require.Empty(t, GCPIAMConditionOf([]any{}).Key())
	a := GCPIAMCondition{Title: "t", Expression: "e"}
	require.Equal(t, a, GCPIAMConditionOf(map[string]any{"title": "t", "expression": "e"}))
	require.Equal(t, a, GCPIAMConditionOf([]any{map[string]any{"title": "t", "expression": "e", "description": nil}}))
	require.Regexp(t, `^t~[0-9a-f]{12}$`, a.Key())
	// A title with "/" is kept up to it, on both sides alike.
	slash := GCPIAMCondition{Title: "prod/readonly", Description: "d", Expression: "true"}
	require.True(t, strings.HasPrefix(slash.Key(), "prod~"))
	fromID := gcpIAMConditionFromID("acme-prod/roles/viewer/user:a@acme.example/prod/readonly/d/true", GCPIAMMember, "roles/viewer", "user:a@acme.example")
	require.Equal(t, slash.Key(), fromID.Key())
}
