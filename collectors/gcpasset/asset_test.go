package gcpasset

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/internal/testcorpus"
)

func byID(inv collectors.Inventory) map[string]collectors.LiveResource {
	out := map[string]collectors.LiveResource{}
	for _, r := range inv.Resources {
		out[r.ID] = r
	}
	return out
}

func TestCorpusPolicyLibraryAssets(t *testing.T) {
	dir := testcorpus.Path(t, "gcp-policy-library", "validator", "test", "fixtures")
	src := NewFileSource("cai", FileConfig{Paths: []string{filepath.Join(dir, "**", "assets", "**", "*.json")}})
	inv, errs := src.Inventory(context.Background())
	// Exactly one file is malformed upstream (a stray trailing "]").
	require.Len(t, errs, 1)
	var ie *collectors.InputError
	require.ErrorAs(t, errs[0], &ie)
	require.Contains(t, ie.Location, filepath.Join("gke_container_optimized_os", "assets", "data.json"))
	require.Equal(t, "line 409", ie.Place)
	require.Contains(t, ie.Error(), `unexpected "]" outside an array`)

	// 424 assets in 114 files; the malformed file's assets before the error
	// are kept too. Resource and IAM views both count.
	types := map[string]int{}
	for _, r := range inv.Resources {
		types[r.Type]++
		require.True(t, r.Partial)
		require.NotEmpty(t, r.ID)
	}
	require.Equal(t, 77+4, types["google_container_cluster"], "4 read from the malformed file before its error")
	require.Equal(t, 40, types["google_storage_bucket"], "6 bucket assets carry only an IAM policy")
	require.Equal(t, 44, types["google_compute_firewall"])
	require.Equal(t, 46, types["google_compute_instance"])
	require.Equal(t, 40, types["google_sql_database_instance"])
	require.Equal(t, 11, types["bigquery.googleapis.com/Table"], "unmapped types keep their CAI type")
	require.Positive(t, types["google_project_iam_policy"])
	require.Positive(t, types["google_project_iam_member"])

	// The concatenated pretty-printed file was read.
	glb := 0
	for _, r := range inv.Resources {
		if r.Type == "compute.googleapis.com/ForwardingRule" || r.Type == "compute.googleapis.com/GlobalForwardingRule" {
			glb++
		}
	}
	require.Equal(t, 4, glb, "2 + the 2 concatenated objects of gcp_glb_external_ip")

	fw := byID(inv)["//compute.googleapis.com/projects/test-project/global/firewalls/gke-firewall-allow-all"]
	require.Equal(t, "google_compute_firewall", fw.Type)
	require.Equal(t, "test-project", fw.Account)
	require.Equal(t, []any{"10.10.10.0/24"}, fw.Attributes["source_ranges"])
	require.Equal(t, "INGRESS", fw.Attributes["direction"])
	require.Equal(t, false, fw.Attributes["disabled"])
	require.Equal(t, []any{
		map[string]any{"protocol": "icmp", "ports": []any{}},
		map[string]any{"protocol": "tcp", "ports": []any{"1-65535"}},
		map[string]any{"protocol": "udp", "ports": []any{"1-65535"}},
	}, fw.Attributes["allow"])
	require.Equal(t, []any{}, fw.Attributes["deny"])

	sa := byID(inv)["//iam.googleapis.com/projects/test-project/serviceAccounts/myserviceaccount@test-project.iam.gserviceaccount.com"]
	require.Equal(t, "google_service_account", sa.Type, "service accounts re-keyed by email")
	require.Equal(t, "myserviceaccount", sa.Attributes["account_id"])

	require.Empty(t, inv.Coverage.Types, "the malformed file lost assets, which would look missing: nothing is declared complete")
	require.False(t, inv.Coverage.Types["google_project_iam_member"], "IAM types are never covered")
}

const exportLines = `{"name":"//storage.googleapis.com/b1","assetType":"storage.googleapis.com/Bucket","resource":{"version":"v1","discoveryName":"Bucket","parent":"//cloudresourcemanager.googleapis.com/projects/123","location":"us-central1","data":{"name":"b1","location":"US-CENTRAL1","storageClass":"STANDARD","iamConfiguration":{"uniformBucketLevelAccess":{"enabled":true},"publicAccessPrevention":"enforced"},"versioning":{"enabled":false},"labels":{"team":"data"}}}}
{"name":"//storage.googleapis.com/b1","assetType":"storage.googleapis.com/Bucket","iamPolicy":{"bindings":[{"role":"roles/storage.objectViewer","members":["user:z@example.com","allUsers"]}]}}
{"name":"//cloudresourcemanager.googleapis.com/projects/123","assetType":"cloudresourcemanager.googleapis.com/Project","resource":{"data":{"projectId":"p1","projectNumber":"123","labels":{"env":"prod"}}}}
{"name":"//compute.googleapis.com/projects/p1/zones/us-central1-a/instances/vm","assetType":"compute.googleapis.com/Instance","resource":{"location":"us-central1-a","data":{"name":"vm","machineType":"https://www.googleapis.com/compute/v1/projects/p1/zones/us-central1-a/machineTypes/e2-small","zone":"https://www.googleapis.com/compute/v1/projects/p1/zones/us-central1-a","labels":{"team":"web"},"serviceAccounts":[{"email":"vm@p1.iam.gserviceaccount.com","scopes":["https://www.googleapis.com/auth/devstorage.read_only","https://www.googleapis.com/auth/cloud-platform"]}],"metadata":{"items":[{"key":"enable-oslogin","value":"TRUE"}]},"tags":{"items":["web"]}}}}
{"name":"//cloudsql.googleapis.com/projects/p1/instances/db","assetType":"sqladmin.googleapis.com/Instance","resource":{"data":{"name":"db","databaseVersion":"POSTGRES_15","region":"us-central1","settings":{"tier":"db-f1-micro","dataDiskSizeGb":"10","ipConfiguration":{"ipv4Enabled":true,"authorizedNetworks":[{"name":"all","value":"0.0.0.0/0"}]},"userLabels":{"team":"db"}}}}}
`

func TestExportFileMapping(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "resources.json"), []byte(exportLines), 0o644))
	inv, errs := NewFileSource("cai", FileConfig{Paths: []string{dir}}).Inventory(context.Background())
	require.Empty(t, errs)
	ids := byID(inv)

	b := ids["//storage.googleapis.com/b1"]
	require.Equal(t, "google_storage_bucket", b.Type)
	require.Equal(t, "p1", b.Account, "project number resolved through the project asset")
	require.Equal(t, "us-central1", b.Region)
	require.Equal(t, map[string]string{"team": "data"}, b.Tags)
	require.Equal(t, true, b.Attributes["uniform_bucket_level_access"])
	require.Equal(t, "enforced", b.Attributes["public_access_prevention"])
	require.Equal(t, []any{map[string]any{"enabled": false}}, b.Attributes["versioning"])
	require.Equal(t, "b1", b.NativeID)

	pol := ids["//storage.googleapis.com/b1/iamPolicy"]
	require.Equal(t, "google_storage_bucket_iam_policy", pol.Type)
	require.JSONEq(t, `{"bindings":[{"role":"roles/storage.objectViewer","members":["allUsers","user:z@example.com"]}]}`, pol.Attributes["policy_data"].(string))
	bind := ids["//storage.googleapis.com/b1/iamPolicy/roles/storage.objectViewer"]
	require.Equal(t, "google_storage_bucket_iam_binding", bind.Type)
	require.Equal(t, []any{"allUsers", "user:z@example.com"}, bind.Attributes["members"])
	mem := ids["//storage.googleapis.com/b1/iamPolicy/roles/storage.objectViewer/members/allUsers"]
	require.Equal(t, "google_storage_bucket_iam_member", mem.Type)

	p := ids["//cloudresourcemanager.googleapis.com/projects/p1"]
	require.Equal(t, "google_project", p.Type, "projects re-keyed from number to id")

	vm := ids["//compute.googleapis.com/projects/p1/zones/us-central1-a/instances/vm"]
	require.Equal(t, "e2-small", vm.Attributes["machine_type"])
	require.Equal(t, "us-central1-a", vm.Attributes["zone"])
	require.Equal(t, []any{map[string]any{"email": "vm@p1.iam.gserviceaccount.com", "scopes": []any{
		"https://www.googleapis.com/auth/cloud-platform", "https://www.googleapis.com/auth/devstorage.read_only"}}}, vm.Attributes["service_account"])
	require.Equal(t, map[string]any{"enable-oslogin": "TRUE"}, vm.Attributes["metadata"])
	require.Equal(t, []any{"web"}, vm.Attributes["tags"])

	db := ids["//cloudsql.googleapis.com/projects/p1/instances/db"]
	settings := db.Attributes["settings"].([]any)[0].(map[string]any)
	require.Equal(t, "db-f1-micro", settings["tier"])
	require.Equal(t, float64(10), settings["disk_size"])
	require.Equal(t, []any{map[string]any{"ipv4_enabled": true, "authorized_networks": []any{map[string]any{"name": "all", "value": "0.0.0.0/0"}}}},
		settings["ip_configuration"])
	require.Equal(t, map[string]string{"team": "db"}, db.Tags)

	require.True(t, inv.Coverage.Covers("google_storage_bucket", "p1", ""))
	require.False(t, inv.Coverage.Covers("google_storage_bucket", "other", ""))
}

func TestDecodeAssetsBadInput(t *testing.T) {
	cases := map[string]struct {
		in  string
		n   int
		err string
	}{
		"empty":            {in: "  \n", n: 0},
		"trailing bracket": {in: `[{"name":"a","asset_type":"x/Y"}]` + "\n]", n: 1, err: `line 2: asset unexpected "]" outside an array`},
		"truncated line":   {in: `{"name":"a","assetType":"x/Y"}` + "\n" + `{"name":"b",`, n: 1, err: "line 2: asset incomplete"},
		"scalar":           {in: `42`, n: 0, err: "line 1: item 1: a number where an asset object should be"},
		"not an asset":     {in: `{"name":"a","assetType":"x/Y"}{"foo":1}{"name":"c","assetType":"x/Y"}`, n: 2, err: "line 1: item 2: asset without name"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			n, err := DecodeAssets(strings.NewReader(c.in), func(Asset) {})
			require.Equal(t, c.n, n)
			if c.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, c.err)
		})
	}
}
