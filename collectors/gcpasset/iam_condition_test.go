package gcpasset

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/identity"
)

// A CAI export line (IAM_POLICY content) binding one role unconditionally
// and under two conditions.
const conditionalPolicyExport = `{"name":"//storage.googleapis.com/acme-reports","assetType":"storage.googleapis.com/Bucket","iamPolicy":{"version":3,"etag":"BwYb0dNq3Xs=","bindings":[` +
	`{"role":"roles/storage.objectViewer","members":["group:analysts@acme.example"]},` +
	`{"role":"roles/storage.objectViewer","members":["user:jane@acme.example"],"condition":{"title":"expires_2025_06_30","description":"Temporary access","expression":"request.time < timestamp(\"2025-06-30T00:00:00Z\")"}},` +
	`{"role":"roles/storage.objectViewer","members":["user:jane@acme.example"],"condition":{"title":"reports prefix only","expression":"resource.name.startsWith(\"projects/_/buckets/acme-reports/objects/reports/\")"}}]},` +
	`"ancestors":["projects/111222333444","organizations/123456789012"]}
`

func TestConditionalBindingsAreDistinct(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "iam.json"), []byte(conditionalPolicyExport), 0o644))
	inv, errs := NewFileSource("cai", FileConfig{Paths: []string{dir}}).Inventory(context.Background())
	require.Empty(t, errs)
	ids := byID(inv)
	seen := map[string]int{}
	for _, r := range inv.Resources {
		seen[r.ID]++
	}
	for id, n := range seen {
		require.Equal(t, 1, n, "duplicate id %s", id)
	}
	// policy + 3 bindings + 3 members
	require.Len(t, seen, 7)

	// The unconditional binding keeps its id; the conditional member has
	// the id the Terraform state of the same google_storage_bucket_iam_member gives.
	require.Contains(t, ids, "//storage.googleapis.com/acme-reports/iamPolicy/roles/storage.objectViewer/members/group:analysts@acme.example")
	tf := identity.GCPCanonicalFromTerraform("google_storage_bucket_iam_member", map[string]any{
		"bucket": "b/acme-reports", "role": "roles/storage.objectViewer", "member": "user:jane@acme.example",
		"id": `b/acme-reports/roles/storage.objectViewer/user:jane@acme.example/expires_2025_06_30/Temporary access/request.time < timestamp("2025-06-30T00:00:00Z")`,
	})
	m, ok := ids[tf]
	require.True(t, ok, "no CAI member with id %s", tf)
	require.Equal(t, "google_storage_bucket_iam_member", m.Type)
	require.Equal(t, []any{map[string]any{"title": "expires_2025_06_30", "description": "Temporary access",
		"expression": `request.time < timestamp("2025-06-30T00:00:00Z")`}}, m.Attributes["condition"])
}
