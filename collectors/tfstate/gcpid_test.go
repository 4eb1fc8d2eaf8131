package tfstate_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/collectors/gcpasset"
	"github.com/driftwarden/driftwarden/collectors/gcpaudit"
	"github.com/driftwarden/driftwarden/collectors/snapshot"
	"github.com/driftwarden/driftwarden/collectors/tfplan"
	"github.com/driftwarden/driftwarden/collectors/tfstate"
)

// Every source names a google resource the same way: its CAI full resource
// name. A firewall, a bucket, a service account and a bucket IAM member
// from a state, a refresh-only plan and a snapshot line meet their CAI asset
// and the audit events that touch them.
const (
	gcpFirewallID = "//compute.googleapis.com/projects/acme-demo-prod/global/firewalls/allow-https"
	gcpBucketID   = "//storage.googleapis.com/acme-demo-prod-assets"
	gcpSAID       = "//iam.googleapis.com/projects/acme-demo-prod/serviceAccounts/app-runtime@acme-demo-prod.iam.gserviceaccount.com"
	gcpMemberID   = gcpBucketID + "/iamPolicy/roles/storage.objectViewer/members/serviceAccount:app-runtime@acme-demo-prod.iam.gserviceaccount.com"
)

const gcpState = `{
  "version": 4, "terraform_version": "1.9.8", "serial": 7, "lineage": "4f0c2a9e-1b7d-4c1e-9a53-0d6f1e2b3c4d", "outputs": {},
  "resources": [
    {"mode": "managed", "type": "google_compute_firewall", "name": "https",
     "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 1, "attributes": {
       "allow": [{"ports": ["443"], "protocol": "tcp"}], "deny": [], "direction": "INGRESS", "disabled": false,
       "id": "projects/acme-demo-prod/global/firewalls/allow-https", "name": "allow-https",
       "network": "https://www.googleapis.com/compute/v1/projects/acme-demo-prod/global/networks/prod-vpc",
       "priority": 1000, "project": "acme-demo-prod",
       "self_link": "https://www.googleapis.com/compute/v1/projects/acme-demo-prod/global/firewalls/allow-https",
       "source_ranges": ["0.0.0.0/0"], "target_tags": ["web"]}}]},
    {"mode": "managed", "type": "google_storage_bucket", "name": "assets",
     "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 1, "attributes": {
       "id": "acme-demo-prod-assets", "name": "acme-demo-prod-assets", "location": "EU", "project": "acme-demo-prod",
       "labels": {"team": "platform"}, "effective_labels": {"team": "platform"}, "uniform_bucket_level_access": true}}]},
    {"mode": "managed", "type": "google_service_account", "name": "app",
     "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {
       "account_id": "app-runtime", "email": "app-runtime@acme-demo-prod.iam.gserviceaccount.com",
       "id": "projects/acme-demo-prod/serviceAccounts/app-runtime@acme-demo-prod.iam.gserviceaccount.com",
       "name": "projects/acme-demo-prod/serviceAccounts/app-runtime@acme-demo-prod.iam.gserviceaccount.com",
       "project": "acme-demo-prod", "unique_id": "104729384756102938475"}}]},
    {"mode": "managed", "type": "google_storage_bucket_iam_member", "name": "viewer",
     "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {
       "bucket": "b/acme-demo-prod-assets", "etag": "CAE=",
       "id": "b/acme-demo-prod-assets/roles/storage.objectViewer/serviceAccount:app-runtime@acme-demo-prod.iam.gserviceaccount.com",
       "member": "serviceAccount:app-runtime@acme-demo-prod.iam.gserviceaccount.com", "role": "roles/storage.objectViewer"}}]}
  ]
}`

const gcpPlan = `{
  "format_version": "1.2", "terraform_version": "1.9.8",
  "resource_drift": [
    {"address": "google_compute_firewall.https", "mode": "managed", "type": "google_compute_firewall", "name": "https",
     "provider_name": "registry.terraform.io/hashicorp/google",
     "change": {"actions": ["update"],
       "before": {"id": "projects/acme-demo-prod/global/firewalls/allow-https", "name": "allow-https", "project": "acme-demo-prod", "allow": [{"ports": ["443"], "protocol": "tcp"}]},
       "after": {"id": "projects/acme-demo-prod/global/firewalls/allow-https", "name": "allow-https", "project": "acme-demo-prod", "allow": [{"ports": ["22", "443"], "protocol": "tcp"}]},
       "before_sensitive": {}, "after_sensitive": {}}},
    {"address": "google_storage_bucket.assets", "mode": "managed", "type": "google_storage_bucket", "name": "assets",
     "provider_name": "registry.terraform.io/hashicorp/google",
     "change": {"actions": ["update"],
       "before": {"id": "acme-demo-prod-assets", "name": "acme-demo-prod-assets", "project": "acme-demo-prod", "uniform_bucket_level_access": true},
       "after": {"id": "acme-demo-prod-assets", "name": "acme-demo-prod-assets", "project": "acme-demo-prod", "uniform_bucket_level_access": false},
       "before_sensitive": {}, "after_sensitive": {}}}
  ]
}`

const gcpSnapshot = `{"type": "google_compute_firewall", "provider": "google", "id": "projects/acme-demo-prod/global/firewalls/allow-https", "attributes": {"name": "allow-https", "project": "acme-demo-prod"}}
{"type": "google_storage_bucket", "provider": "google", "id": "acme-demo-prod-assets", "attributes": {"name": "acme-demo-prod-assets", "project": "acme-demo-prod"}}
{"type": "google_service_account", "id": "projects/acme-demo-prod/serviceAccounts/app-runtime@acme-demo-prod.iam.gserviceaccount.com", "attributes": {"email": "app-runtime@acme-demo-prod.iam.gserviceaccount.com"}}
{"type": "google_compute_network", "id": "//compute.googleapis.com/projects/acme-demo-prod/global/networks/prod-vpc"}
`

const gcpAssets = `{"name": "//compute.googleapis.com/projects/acme-demo-prod/global/firewalls/allow-https", "assetType": "compute.googleapis.com/Firewall", "resource": {"version": "v1", "discoveryName": "Firewall", "parent": "//cloudresourcemanager.googleapis.com/projects/493827160514", "data": {"name": "allow-https", "allowed": [{"IPProtocol": "tcp", "ports": ["22", "443"]}], "sourceRanges": ["0.0.0.0/0"], "direction": "INGRESS", "priority": 1000}}, "ancestors": ["projects/493827160514"]}
{"name": "//storage.googleapis.com/acme-demo-prod-assets", "assetType": "storage.googleapis.com/Bucket", "resource": {"version": "v1", "discoveryName": "Bucket", "parent": "//cloudresourcemanager.googleapis.com/projects/493827160514", "location": "eu", "data": {"name": "acme-demo-prod-assets", "id": "acme-demo-prod-assets", "iamConfiguration": {"uniformBucketLevelAccess": {"enabled": false}}}}, "iamPolicy": {"bindings": [{"role": "roles/storage.objectViewer", "members": ["serviceAccount:app-runtime@acme-demo-prod.iam.gserviceaccount.com"]}]}, "ancestors": ["projects/493827160514"]}
{"name": "//iam.googleapis.com/projects/acme-demo-prod/serviceAccounts/104729384756102938475", "assetType": "iam.googleapis.com/ServiceAccount", "resource": {"version": "v1", "discoveryName": "ServiceAccount", "parent": "//cloudresourcemanager.googleapis.com/projects/493827160514", "data": {"email": "app-runtime@acme-demo-prod.iam.gserviceaccount.com", "name": "projects/acme-demo-prod/serviceAccounts/app-runtime@acme-demo-prod.iam.gserviceaccount.com", "uniqueId": "104729384756102938475"}}, "ancestors": ["projects/493827160514"]}
`

func auditEntry(service, method, resourceName string) string {
	return `{"insertId": "x1", "logName": "projects/acme-demo-prod/logs/cloudaudit.googleapis.com%2Factivity",
	  "timestamp": "2026-11-25T21:14:03.123Z", "resource": {"type": "gce_firewall_rule", "labels": {"project_id": "acme-demo-prod"}},
	  "protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "serviceName": "` + service + `",
	    "methodName": "` + method + `", "resourceName": "` + resourceName + `",
	    "authenticationInfo": {"principalEmail": "carol@example.com"}}}`
}

func TestGCPResourcesHaveOneIDAcrossSources(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}

	st, err := tfstate.Decode(strings.NewReader(gcpState), tfstate.DecodeOptions{Source: "s", Location: "gcp.tfstate", Stack: "gcp-prod"})
	require.NoError(t, err)
	stateIDs := map[string]string{}
	for _, r := range st.Resources {
		stateIDs[r.Address] = r.ID
	}

	liveIDs := func(inv collectors.Inventory, errs []error) map[string]string {
		require.Empty(t, errs)
		out := map[string]string{}
		for _, r := range inv.Resources {
			out[r.Type+" "+r.ID] = r.ID
		}
		return out
	}
	planInv, planErrs := tfplan.NewSource("p", tfplan.Config{Paths: []string{write("gcp-prod.json", gcpPlan)}, Stack: "gcp-prod"}).Inventory(ctx)
	plan := liveIDs(planInv, planErrs)
	snap := liveIDs(snapshot.NewSource("n", snapshot.Config{Paths: []string{write("gcp.jsonl", gcpSnapshot)}}).Inventory(ctx))
	cai := liveIDs(gcpasset.NewFileSource("c", gcpasset.FileConfig{Paths: []string{write("cai.json", gcpAssets)}}).Inventory(ctx))

	for _, c := range []struct {
		address, typ, want  string
		inPlan, inSnap      bool
		service, method, rn string
	}{
		{"google_compute_firewall.https", "google_compute_firewall", gcpFirewallID, true, true,
			"compute.googleapis.com", "v1.compute.firewalls.patch", "projects/acme-demo-prod/global/firewalls/allow-https"},
		{"google_storage_bucket.assets", "google_storage_bucket", gcpBucketID, true, true,
			"storage.googleapis.com", "storage.buckets.update", "projects/_/buckets/acme-demo-prod-assets"},
		{"google_service_account.app", "google_service_account", gcpSAID, false, true,
			"iam.googleapis.com", "google.iam.admin.v1.PatchServiceAccount", "projects/acme-demo-prod/serviceAccounts/app-runtime@acme-demo-prod.iam.gserviceaccount.com"},
		{"google_storage_bucket_iam_member.viewer", "google_storage_bucket_iam_member", gcpMemberID, false, false,
			"storage.googleapis.com", "storage.setIamPermissions", "projects/_/buckets/acme-demo-prod-assets"},
	} {
		t.Run(c.address, func(t *testing.T) {
			require.Equal(t, c.want, stateIDs[c.address], "state")
			require.Contains(t, cai, c.typ+" "+c.want, "CAI asset: %v", cai)
			if c.inPlan {
				require.Contains(t, plan, c.typ+" "+c.want, "plan: %v", plan)
			}
			if c.inSnap {
				require.Contains(t, snap, c.typ+" "+c.want, "snapshot: %v", snap)
			}
			ev, err := gcpaudit.ParseEntry([]byte(auditEntry(c.service, c.method, c.rn)))
			require.NoError(t, err)
			hit := false
			for _, id := range ev.Resources {
				// An IAM change names the policy; binding and member ids extend it.
				hit = hit || id == c.want || strings.HasPrefix(c.want, id+"/")
			}
			require.True(t, hit, "audit event resources %v", ev.Resources)
		})
	}
	require.Contains(t, snap, "google_compute_network "+"//compute.googleapis.com/projects/acme-demo-prod/global/networks/prod-vpc",
		"a full resource name given as id is kept")
}
