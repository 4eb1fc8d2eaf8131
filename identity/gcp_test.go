package identity

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// gcpRowCase exercises one row: the Terraform attributes as the google
// provider writes them, an audit resourceName (with resource.labels), and the
// canonical id both must give; plus one mutating method of the row.
type gcpRowCase struct {
	tf        map[string]any
	audit     string
	labels    map[string]string
	method    string
	op        GCPOp
	canonical string
}

var gcpRowCases = map[string]gcpRowCase{
	"google_storage_bucket": {
		tf: map[string]any{"id": "my-bucket", "name": "my-bucket"}, audit: "projects/_/buckets/my-bucket",
		method: "storage.buckets.update", op: GCPUpdate, canonical: "//storage.googleapis.com/my-bucket",
	},
	"google_compute_instance": {
		tf:    map[string]any{"id": "projects/p1/zones/europe-west1-b/instances/vm1", "name": "vm1"},
		audit: "projects/p1/zones/europe-west1-b/instances/vm1", method: "v1.compute.instances.setLabels", op: GCPUpdate,
		canonical: "//compute.googleapis.com/projects/p1/zones/europe-west1-b/instances/vm1",
	},
	"google_compute_disk": {
		tf:    map[string]any{"id": "projects/p1/zones/europe-west1-b/disks/d1"},
		audit: "projects/p1/zones/europe-west1-b/disks/d1", method: "v1.compute.disks.resize", op: GCPUpdate,
		canonical: "//compute.googleapis.com/projects/p1/zones/europe-west1-b/disks/d1",
	},
	"google_compute_firewall": {
		tf:    map[string]any{"id": "projects/p1/global/firewalls/allow-ssh"},
		audit: "projects/p1/global/firewalls/allow-ssh", method: "v1.compute.firewalls.patch", op: GCPUpdate,
		canonical: "//compute.googleapis.com/projects/p1/global/firewalls/allow-ssh",
	},
	"google_compute_network": {
		tf:    map[string]any{"id": "projects/p1/global/networks/vpc"},
		audit: "projects/p1/global/networks/vpc", method: "beta.compute.networks.insert", op: GCPCreate,
		canonical: "//compute.googleapis.com/projects/p1/global/networks/vpc",
	},
	"google_compute_subnetwork": {
		tf:    map[string]any{"id": "projects/p1/regions/us-central1/subnetworks/default"},
		audit: "projects/p1/regions/us-central1/subnetworks/default", method: "v1.compute.subnetworks.patch", op: GCPUpdate,
		canonical: "//compute.googleapis.com/projects/p1/regions/us-central1/subnetworks/default",
	},
	"google_compute_router": {
		tf:    map[string]any{"id": "projects/p1/regions/us-central1/routers/r1"},
		audit: "projects/p1/regions/us-central1/routers/r1", method: "beta.compute.routers.insert", op: GCPCreate,
		canonical: "//compute.googleapis.com/projects/p1/regions/us-central1/routers/r1",
	},
	"google_compute_address": {
		tf:    map[string]any{"id": "projects/p1/regions/us-central1/addresses/a1"},
		audit: "projects/p1/regions/us-central1/addresses/a1", method: "v1.compute.addresses.delete", op: GCPDelete,
		canonical: "//compute.googleapis.com/projects/p1/regions/us-central1/addresses/a1",
	},
	"google_project": {
		tf: map[string]any{"id": "projects/p1", "project_id": "p1"}, audit: "projects/p1",
		method: "UpdateProject", op: GCPUpdate, canonical: "//cloudresourcemanager.googleapis.com/projects/p1",
	},
	"google_folder": {
		tf: map[string]any{"id": "folders/4417", "name": "folders/4417", "folder_id": "4417"}, audit: "folders/4417",
		method: "google.cloud.resourcemanager.v3.Folders.UpdateFolder", op: GCPUpdate,
		canonical: "//cloudresourcemanager.googleapis.com/folders/4417",
	},
	"google_organization": {
		// A data source: only its IAM policy changes (no method of its own).
		tf: map[string]any{"id": "organizations/8802", "org_id": "8802"}, audit: "organizations/8802",
		method: "SetIamPolicy", op: GCPSetIAM, canonical: "//cloudresourcemanager.googleapis.com/organizations/8802",
	},
	"google_service_account": {
		tf:    map[string]any{"id": "projects/p1/serviceAccounts/ci@p1.iam.gserviceaccount.com"},
		audit: "projects/p1/serviceAccounts/ci@p1.iam.gserviceaccount.com", method: "google.iam.admin.v1.CreateServiceAccount", op: GCPCreate,
		canonical: "//iam.googleapis.com/projects/p1/serviceAccounts/ci@p1.iam.gserviceaccount.com",
	},
	"google_service_account_key": {
		tf:     map[string]any{"id": "projects/p1/serviceAccounts/ci@p1.iam.gserviceaccount.com/keys/abc123"},
		audit:  "projects/p1/serviceAccounts/ci@p1.iam.gserviceaccount.com/keys/abc123",
		method: "google.iam.admin.v1.DeleteServiceAccountKey", op: GCPDelete,
		canonical: "//iam.googleapis.com/projects/p1/serviceAccounts/ci@p1.iam.gserviceaccount.com/keys/abc123",
	},
	"google_kms_key_ring": {
		tf:    map[string]any{"id": "projects/p1/locations/us-central1/keyRings/kr"},
		audit: "projects/p1/locations/us-central1/keyRings/kr", method: "CreateKeyRing", op: GCPCreate,
		canonical: "//cloudkms.googleapis.com/projects/p1/locations/us-central1/keyRings/kr",
	},
	"google_kms_crypto_key": {
		tf:    map[string]any{"id": "projects/p1/locations/us-central1/keyRings/kr/cryptoKeys/k"},
		audit: "projects/p1/locations/us-central1/keyRings/kr/cryptoKeys/k", method: "UpdateCryptoKeyPrimaryVersion", op: GCPUpdate,
		canonical: "//cloudkms.googleapis.com/projects/p1/locations/us-central1/keyRings/kr/cryptoKeys/k",
	},
	"google_sql_database_instance": {
		tf: map[string]any{"id": "db1", "name": "db1", "project": "p1"}, audit: "projects/p1/instances/db1",
		method: "cloudsql.instances.patch", op: GCPUpdate, canonical: "//cloudsql.googleapis.com/projects/p1/instances/db1",
	},
	"google_container_cluster": {
		tf:    map[string]any{"id": "projects/p1/locations/europe-west1/clusters/gke"},
		audit: "projects/p1/zones/europe-west1/clusters/gke", method: "google.container.v1.ClusterManager.UpdateCluster", op: GCPUpdate,
		canonical: "//container.googleapis.com/projects/p1/locations/europe-west1/clusters/gke",
	},
	"google_container_node_pool": {
		tf:    map[string]any{"id": "projects/p1/locations/europe-west1/clusters/gke/nodePools/pool"},
		audit: "projects/p1/locations/europe-west1/clusters/gke/nodePools/pool", method: "google.container.v1.ClusterManager.SetNodePoolSize", op: GCPUpdate,
		canonical: "//container.googleapis.com/projects/p1/locations/europe-west1/clusters/gke/nodePools/pool",
	},
	"google_pubsub_topic": {
		tf: map[string]any{"id": "projects/p1/topics/t"}, audit: "projects/p1/topics/t",
		method: "google.pubsub.v1.Publisher.DeleteTopic", op: GCPDelete, canonical: "//pubsub.googleapis.com/projects/p1/topics/t",
	},
	"google_pubsub_subscription": {
		tf: map[string]any{"id": "projects/p1/subscriptions/s"}, audit: "projects/p1/subscriptions/s",
		method: "google.pubsub.v1.Subscriber.CreateSubscription", op: GCPCreate, canonical: "//pubsub.googleapis.com/projects/p1/subscriptions/s",
	},
	"google_bigquery_dataset": {
		tf: map[string]any{"id": "projects/p1/datasets/ds"}, audit: "projects/p1/datasets/ds",
		method: "google.cloud.bigquery.v2.DatasetService.PatchDataset", op: GCPUpdate, canonical: "//bigquery.googleapis.com/projects/p1/datasets/ds",
	},
	"google_cloud_run_service": {
		tf:    map[string]any{"id": "locations/europe-west1/namespaces/p1/services/api"},
		audit: "namespaces/p1/services/api", labels: map[string]string{"location": "europe-west1", "project_id": "p1"},
		method: "google.cloud.run.v1.Services.ReplaceService", op: GCPUpdate,
		canonical: "//run.googleapis.com/projects/p1/locations/europe-west1/services/api",
	},
	"google_cloud_run_v2_service": {
		tf:     map[string]any{"id": "projects/p1/locations/europe-west1/services/api"},
		audit:  "projects/p1/locations/europe-west1/services/api",
		method: "google.cloud.run.v2.Services.UpdateService", op: GCPUpdate,
		canonical: "//run.googleapis.com/projects/p1/locations/europe-west1/services/api",
	},
	"google_dns_managed_zone": {
		tf:    map[string]any{"id": "projects/p1/managedZones/zone1"},
		audit: "managedZones/zone1", labels: map[string]string{"project_id": "p1"},
		method: "dns.managedZones.patch", op: GCPUpdate, canonical: "//dns.googleapis.com/projects/p1/managedZones/zone1",
	},
	"google_dns_record_set": {
		tf:     map[string]any{"id": "projects/p1/managedZones/zone1/rrsets/www.example.com./A"},
		audit:  "projects/p1/managedZones/zone1/rrsets/www.example.com./A",
		method: "dns.resourceRecordSets.patch", op: GCPUpdate,
		canonical: "//dns.googleapis.com/projects/p1/managedZones/zone1/rrsets/www.example.com./A",
	},
	// IAM rows: the audit event names the parent; the canonical id of the
	// IAM resource hangs below the parent's.
	"google_storage_bucket_iam_policy": {
		tf: map[string]any{"id": "b/my-bucket", "bucket": "b/my-bucket"}, audit: "projects/_/buckets/my-bucket",
		method: "storage.setIamPermissions", op: GCPSetIAM, canonical: "//storage.googleapis.com/my-bucket/iamPolicy",
	},
	"google_storage_bucket_iam_binding": {
		tf:    map[string]any{"id": "b/my-bucket roles/storage.admin", "bucket": "b/my-bucket", "role": "roles/storage.admin"},
		audit: "projects/_/buckets/my-bucket", method: "storage.setIamPermissions", op: GCPSetIAM,
		canonical: "//storage.googleapis.com/my-bucket/iamPolicy/roles/storage.admin",
	},
	"google_storage_bucket_iam_member": {
		tf:    map[string]any{"bucket": "my-bucket", "role": "roles/storage.admin", "member": "user:jane@example.com"},
		audit: "projects/_/buckets/my-bucket", method: "storage.setIamPermissions", op: GCPSetIAM,
		canonical: "//storage.googleapis.com/my-bucket/iamPolicy/roles/storage.admin/members/user:jane@example.com",
	},
	"google_project_iam_policy": {
		tf: map[string]any{"id": "p1", "project": "p1"}, audit: "projects/p1", method: "SetIamPolicy", op: GCPSetIAM,
		canonical: "//cloudresourcemanager.googleapis.com/projects/p1/iamPolicy",
	},
	"google_project_iam_binding": {
		tf: map[string]any{"project": "p1", "role": "roles/viewer"}, audit: "projects/p1", method: "SetIamPolicy", op: GCPSetIAM,
		canonical: "//cloudresourcemanager.googleapis.com/projects/p1/iamPolicy/roles/viewer",
	},
	"google_project_iam_member": {
		tf:    map[string]any{"id": "p1 roles/viewer user:jane@example.com", "project": "p1", "role": "roles/viewer", "member": "user:jane@example.com"},
		audit: "projects/p1", method: "SetIamPolicy", op: GCPSetIAM,
		canonical: "//cloudresourcemanager.googleapis.com/projects/p1/iamPolicy/roles/viewer/members/user:jane@example.com",
	},
	// The google provider accepts folder as "folders/N" or "N" and keys
	// folder IAM resources by "folders/N"; org_id is the bare number.
	"google_folder_iam_policy": {
		tf: map[string]any{"id": "folders/4417", "folder": "folders/4417"}, audit: "folders/4417",
		method: "google.cloud.resourcemanager.v3.Folders.SetIamPolicy", op: GCPSetIAM,
		canonical: "//cloudresourcemanager.googleapis.com/folders/4417/iamPolicy",
	},
	"google_folder_iam_binding": {
		tf:    map[string]any{"id": "folders/4417/roles/resourcemanager.folderViewer", "folder": "4417", "role": "roles/resourcemanager.folderViewer"},
		audit: "folders/4417", method: "google.cloud.resourcemanager.v2.Folders.SetIamPolicy", op: GCPSetIAM,
		canonical: "//cloudresourcemanager.googleapis.com/folders/4417/iamPolicy/roles/resourcemanager.folderViewer",
	},
	"google_folder_iam_member": {
		tf: map[string]any{"id": "folders/4417/roles/editor/group:platform@example.com", "folder": "folders/4417",
			"role": "roles/editor", "member": "group:platform@example.com"},
		audit: "folders/4417", method: "google.cloud.resourcemanager.v3.Folders.SetIamPolicy", op: GCPSetIAM,
		canonical: "//cloudresourcemanager.googleapis.com/folders/4417/iamPolicy/roles/editor/members/group:platform@example.com",
	},
	"google_organization_iam_policy": {
		tf: map[string]any{"id": "8802", "org_id": "8802"}, audit: "organizations/8802", method: "SetIamPolicy", op: GCPSetIAM,
		canonical: "//cloudresourcemanager.googleapis.com/organizations/8802/iamPolicy",
	},
	"google_organization_iam_binding": {
		tf:    map[string]any{"id": "8802/roles/orgpolicy.policyAdmin", "org_id": "8802", "role": "roles/orgpolicy.policyAdmin"},
		audit: "organizations/8802", method: "google.cloud.resourcemanager.v3.Organizations.SetIamPolicy", op: GCPSetIAM,
		canonical: "//cloudresourcemanager.googleapis.com/organizations/8802/iamPolicy/roles/orgpolicy.policyAdmin",
	},
	"google_organization_iam_member": {
		tf: map[string]any{"id": "8802/roles/billing.user/user:jane@example.com", "org_id": "8802",
			"role": "roles/billing.user", "member": "user:Jane@example.com"},
		audit: "organizations/8802", method: "SetIamPolicy", op: GCPSetIAM,
		canonical: "//cloudresourcemanager.googleapis.com/organizations/8802/iamPolicy/roles/billing.user/members/user:jane@example.com",
	},
	"google_pubsub_topic_iam_policy": {
		tf: map[string]any{"topic": "projects/p1/topics/t"}, audit: "projects/p1/topics/t",
		method: "google.iam.v1.IAMPolicy.SetIamPolicy", op: GCPSetIAM, canonical: "//pubsub.googleapis.com/projects/p1/topics/t/iamPolicy",
	},
	"google_pubsub_topic_iam_binding": {
		tf: map[string]any{"topic": "projects/p1/topics/t", "role": "roles/pubsub.publisher"}, audit: "projects/p1/topics/t",
		method: "google.iam.v1.IAMPolicy.SetIamPolicy", op: GCPSetIAM, canonical: "//pubsub.googleapis.com/projects/p1/topics/t/iamPolicy/roles/pubsub.publisher",
	},
	"google_pubsub_topic_iam_member": {
		tf: map[string]any{"topic": "projects/p1/topics/t", "role": "roles/pubsub.publisher", "member": "serviceAccount:x@p1.iam.gserviceaccount.com"}, audit: "projects/p1/topics/t",
		method: "google.iam.v1.IAMPolicy.SetIamPolicy", op: GCPSetIAM,
		canonical: "//pubsub.googleapis.com/projects/p1/topics/t/iamPolicy/roles/pubsub.publisher/members/serviceAccount:x@p1.iam.gserviceaccount.com",
	},
	"google_service_account_iam_policy": {
		tf:    map[string]any{"service_account_id": "projects/p1/serviceAccounts/ci@p1.iam.gserviceaccount.com"},
		audit: "projects/p1/serviceAccounts/ci@p1.iam.gserviceaccount.com", method: "google.iam.admin.v1.SetIAMPolicy", op: GCPSetIAM,
		canonical: "//iam.googleapis.com/projects/p1/serviceAccounts/ci@p1.iam.gserviceaccount.com/iamPolicy",
	},
	"google_service_account_iam_binding": {
		tf:    map[string]any{"service_account_id": "ci@p1.iam.gserviceaccount.com", "role": "roles/iam.serviceAccountUser"},
		audit: "projects/p1/serviceAccounts/ci@p1.iam.gserviceaccount.com", method: "google.iam.admin.v1.SetIAMPolicy", op: GCPSetIAM,
		canonical: "//iam.googleapis.com/projects/p1/serviceAccounts/ci@p1.iam.gserviceaccount.com/iamPolicy/roles/iam.serviceAccountUser",
	},
	"google_service_account_iam_member": {
		tf: map[string]any{"service_account_id": "projects/p1/serviceAccounts/ci@p1.iam.gserviceaccount.com",
			"role": "roles/iam.serviceAccountTokenCreator", "member": "user:jane@example.com"},
		audit: "projects/p1/serviceAccounts/ci@p1.iam.gserviceaccount.com", method: "google.iam.admin.v1.SetIAMPolicy", op: GCPSetIAM,
		canonical: "//iam.googleapis.com/projects/p1/serviceAccounts/ci@p1.iam.gserviceaccount.com/iamPolicy/roles/iam.serviceAccountTokenCreator/members/user:jane@example.com",
	},
	"google_kms_crypto_key_iam_policy": {
		tf:    map[string]any{"crypto_key_id": "projects/p1/locations/us-central1/keyRings/kr/cryptoKeys/k"},
		audit: "projects/p1/locations/us-central1/keyRings/kr/cryptoKeys/k", method: "SetIamPolicy", op: GCPSetIAM,
		canonical: "//cloudkms.googleapis.com/projects/p1/locations/us-central1/keyRings/kr/cryptoKeys/k/iamPolicy",
	},
	"google_kms_crypto_key_iam_binding": {
		tf:    map[string]any{"crypto_key_id": "projects/p1/locations/us-central1/keyRings/kr/cryptoKeys/k", "role": "roles/cloudkms.cryptoKeyEncrypter"},
		audit: "projects/p1/locations/us-central1/keyRings/kr/cryptoKeys/k", method: "SetIamPolicy", op: GCPSetIAM,
		canonical: "//cloudkms.googleapis.com/projects/p1/locations/us-central1/keyRings/kr/cryptoKeys/k/iamPolicy/roles/cloudkms.cryptoKeyEncrypter",
	},
	"google_kms_crypto_key_iam_member": {
		tf: map[string]any{"crypto_key_id": "projects/p1/locations/us-central1/keyRings/kr/cryptoKeys/k",
			"role": "roles/cloudkms.cryptoKeyEncrypter", "member": "group:ops@example.com"},
		audit: "projects/p1/locations/us-central1/keyRings/kr/cryptoKeys/k", method: "SetIamPolicy", op: GCPSetIAM,
		canonical: "//cloudkms.googleapis.com/projects/p1/locations/us-central1/keyRings/kr/cryptoKeys/k/iamPolicy/roles/cloudkms.cryptoKeyEncrypter/members/group:ops@example.com",
	},
}

func TestGCPTableRows(t *testing.T) {
	require.GreaterOrEqual(t, len(GCPTypes), 20)
	seen := map[string]bool{}
	for i := range GCPTypes {
		row := &GCPTypes[i]
		t.Run(row.Terraform, func(t *testing.T) {
			require.False(t, seen[row.Terraform], "duplicate row")
			seen[row.Terraform] = true
			c, ok := gcpRowCases[row.Terraform]
			require.True(t, ok, "every row needs a test case")
			require.NotEmpty(t, row.AssetType)
			require.NotEmpty(t, row.Service)
			if row.DataSource {
				// Terraform only reads it: nothing it manages changes it.
				require.Empty(t, row.Methods)
				require.False(t, row.Managed())
			} else {
				require.NotEmpty(t, row.Methods)
				require.True(t, row.Managed())
			}

			// Terraform -> canonical.
			require.Equal(t, c.canonical, GCPCanonicalFromTerraform(row.Terraform, c.tf))

			// Audit resourceName -> canonical, and the method is known.
			ids, _, m, known := GCPAuditResources(row.Service, c.method, c.audit, c.labels, nil)
			require.True(t, known, "method %s", c.method)
			require.Equal(t, c.op, m.Op)
			require.NotEmpty(t, ids)
			if row.IAM == GCPIAMNone {
				require.Equal(t, c.canonical, ids[0])
				// CAI: the canonical id is the CAI full name of the asset type.
				got, ok := GCPByAssetType(row.AssetType)
				require.True(t, ok)
				require.Equal(t, row.AssetType, got.AssetType)
			} else {
				// The event names parent and parent/iamPolicy; the IAM
				// resource's id starts with the latter.
				require.Len(t, ids, 2)
				require.Equal(t, ids[0]+"/iamPolicy", ids[1])
				require.GreaterOrEqual(t, len(c.canonical), len(ids[1]))
				require.Equal(t, ids[1], c.canonical[:len(ids[1])])
			}
		})
	}
	for k := range gcpRowCases {
		require.True(t, seen[k], "test case %s has no row", k)
	}
}

func TestGCPCanonicalFromTerraformAttributesOnly(t *testing.T) {
	// Without an id (or with an id that is not the full path) the
	// attributes fill the name.
	require.Equal(t, "//compute.googleapis.com/projects/p1/global/firewalls/fw",
		GCPCanonicalFromTerraform("google_compute_firewall", map[string]any{"name": "fw", "project": "p1"}))
	require.Equal(t, "//compute.googleapis.com/projects/p1/zones/z1/instances/vm",
		GCPCanonicalFromTerraform("google_compute_instance", map[string]any{"name": "vm", "project": "p1", "zone": "https://www.googleapis.com/compute/v1/projects/p1/zones/z1"}))
	require.Equal(t, "//bigquery.googleapis.com/projects/p1/datasets/ds",
		GCPCanonicalFromTerraform("google_bigquery_dataset", map[string]any{"dataset_id": "ds", "project": "p1"}))
	// Not enough to name it, unknown type.
	require.Empty(t, GCPCanonicalFromTerraform("google_compute_firewall", map[string]any{"name": "fw"}))
	require.Empty(t, GCPCanonicalFromTerraform("google_unknown_thing", map[string]any{"id": "x"}))
	require.Empty(t, GCPCanonicalFromTerraform("google_project_iam_member", map[string]any{"project": "p1", "role": "roles/viewer"}))
}

func TestGCPCanonicalFromAuditFallbacks(t *testing.T) {
	// Unknown resource of a known service: generic full name.
	id, row := gcpCanonicalFromAudit("compute.googleapis.com", "projects/p/global/routes/r", nil, nil)
	require.Nil(t, row)
	require.Equal(t, "//compute.googleapis.com/projects/p/global/routes/r", id)
	// Missing project and no labels: no row matches, still a usable id.
	id, row = gcpCanonicalFromAudit("dns.googleapis.com", "managedZones/z", nil, nil)
	require.Nil(t, row)
	require.Equal(t, "//dns.googleapis.com/managedZones/z", id)
	// Empty name.
	id, _ = gcpCanonicalFromAudit("compute.googleapis.com", "", nil, nil)
	require.Empty(t, id)
}

func TestGCPMethodAttributes(t *testing.T) {
	m, ok := GCPMethodOf(nil, "compute.googleapis.com", "v1.compute.instances.setMachineType")
	require.True(t, ok)
	require.Equal(t, []string{"machine_type"}, m.Attributes)
	m, ok = GCPMethodOf(nil, "compute.googleapis.com", "v1.compute.firewalls.patch")
	require.True(t, ok)
	require.Nil(t, m.Attributes, "patch may change any attribute")
	_, ok = GCPMethodOf(nil, "compute.googleapis.com", "v1.compute.firewalls.get")
	require.False(t, ok)
	require.True(t, GCPIsSetIAM("v1.compute.instances.setIamPolicy"))
	require.False(t, GCPIsSetIAM("GetIamPolicy"))
}

func TestGCPAssetTypesSorted(t *testing.T) {
	ts := GCPAssetTypes()
	require.Contains(t, ts, "storage.googleapis.com/Bucket")
	require.IsIncreasing(t, ts)
}
