package drift

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/model"
)

// A project IAM member written "user:Jane@…" in state and listed
// "user:jane@…" by CAI is one grant (their ids match): no drift on its
// member. A binding's members are still compared.
func TestGCPIAMMemberCaseIsIdentity(t *testing.T) {
	const id = "//cloudresourcemanager.googleapis.com/projects/acme/iamPolicy/roles/viewer/members/user:jane@acme.example"
	applied := model.Resource{ID: id, Type: "google_project_iam_member", Address: "google_project_iam_member.jane", Stack: "s",
		Attributes: map[string]any{"project": "acme", "role": "roles/viewer", "member": "user:Jane@acme.example", "condition": []any{}}}
	live := collectors.LiveResource{Resource: model.Resource{ID: id, Type: "google_project_iam_member",
		Attributes: map[string]any{"project": "acme", "role": "roles/viewer", "member": "user:jane@acme.example"}}, Partial: true}
	res := Compare([]collectors.Stack{{Name: "s", Resources: []model.Resource{applied}}},
		[]collectors.Inventory{{Source: "cai", Resources: []collectors.LiveResource{live}}}, Options{})
	require.Empty(t, res.Drifts)

	const bid = "//cloudresourcemanager.googleapis.com/projects/acme/iamPolicy/roles/viewer"
	ab := model.Resource{ID: bid, Type: "google_project_iam_binding", Address: "google_project_iam_binding.viewers", Stack: "s",
		Attributes: map[string]any{"project": "acme", "role": "roles/viewer", "members": []any{"user:jane@acme.example"}}}
	lb := collectors.LiveResource{Resource: model.Resource{ID: bid, Type: "google_project_iam_binding",
		Attributes: map[string]any{"project": "acme", "role": "roles/viewer", "members": []any{"user:jane@acme.example", "user:mallory@evil.example"}}}, Partial: true}
	res = Compare([]collectors.Stack{{Name: "s", Resources: []model.Resource{ab}}},
		[]collectors.Inventory{{Source: "cai", Resources: []collectors.LiveResource{lb}}}, Options{})
	require.Len(t, res.Drifts, 1, "a member added by hand to a binding is drift")
	require.Equal(t, model.DriftChanged, res.Drifts[0].Kind)
}
