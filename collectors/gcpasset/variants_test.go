package gcpasset

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
)

// A GCS export (snake_case, one asset per line) with a line cut short in
// the middle, a names-only asset and a line carrying both key spellings.
const snakeExport = `{"name":"//compute.googleapis.com/projects/acme-prod/global/firewalls/allow-ssh","asset_type":"compute.googleapis.com/Firewall","resource":{"version":"v1","discovery_document_uri":"https://www.googleapis.com/discovery/v1/apis/compute/v1/rest","discovery_name":"Firewall","parent":"//cloudresourcemanager.googleapis.com/projects/111222333444","data":{"name":"allow-ssh","network":"https://www.googleapis.com/compute/v1/projects/acme-prod/global/networks/default","direction":"INGRESS","priority":1000,"sourceRanges":["0.0.0.0/0"],"allowed":[{"IPProtocol":"tcp","ports":["22"]}],"disabled":false},"location":"global"},"ancestors":["projects/111222333444","organizations/999"],"update_time":"2026-03-01T09:00:00.123456Z"}
{"name":"//storage.googleapis.com/acme-logs","asset_type":"storage.googleapis.com/Bucket","resource":{"version":"v1","discovery_name":"Bucket","parent":"//cloudresourcemanager.googleapis.com/projects/111222333444","data":{"name":"acme-lo
{"name":"//storage.googleapis.com/acme-data","assetType":"","asset_type":"storage.googleapis.com/Bucket","resource":{"version":"v1","parent":"//cloudresourcemanager.googleapis.com/projects/111222333444","data":{"name":"acme-data","location":"EU","labels":{"team":"data"}},"location":"eu"},"ancestors":["projects/111222333444"]}
{"name":"//compute.googleapis.com/projects/acme-prod/zones/europe-west1-b/disks/web-1","asset_type":"compute.googleapis.com/Disk","ancestors":["projects/111222333444"],"update_time":"2026-03-01T09:00:00Z"}
{"name":"//cloudresourcemanager.googleapis.com/projects/111222333444","asset_type":"cloudresourcemanager.googleapis.com/Project","resource":{"version":"v1","data":{"projectId":"acme-prod","projectNumber":"111222333444","lifecycleState":"ACTIVE"}}}
`

// An IAM-policy export of the same project: it must not make every
// managed bucket "missing".
const iamExport = `{"name":"//storage.googleapis.com/acme-logs","asset_type":"storage.googleapis.com/Bucket","iam_policy":{"version":1,"etag":"CAE=","bindings":[{"role":"roles/storage.objectViewer","members":["allUsers"]}]},"ancestors":["projects/111222333444"]}
{"name":"//cloudresourcemanager.googleapis.com/projects/111222333444","asset_type":"cloudresourcemanager.googleapis.com/Project","org_policy":[{"constraint":"constraints/compute.vmExternalIpAccess","listPolicy":{"allValues":"DENY"}}]}
`

// gcloud asset search-all-resources --format=json.
const searchResults = `[
  {
    "additionalAttributes": {},
    "assetType": "storage.googleapis.com/Bucket",
    "createTime": "2025-06-01T10:00:00Z",
    "displayName": "acme-archive",
    "labels": {
      "team": "archive"
    },
    "location": "eu",
    "name": "//storage.googleapis.com/acme-archive",
    "parentAssetType": "cloudresourcemanager.googleapis.com/Project",
    "parentFullResourceName": "//cloudresourcemanager.googleapis.com/projects/acme-prod",
    "project": "projects/111222333444",
    "state": "ACTIVE"
  }
]
`

func TestExportVariants(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, data string) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
	}
	// A per-asset-type export copied from GCS: <prefix>/<asset type>/<shard>.
	write("export/compute.googleapis.com/Firewall/0", snakeExport)
	write("export/README.md", "not an export")
	write("iam/iam.json", iamExport)
	write("search.json", searchResults)

	inv, errs := NewFileSource("cai", FileConfig{Paths: []string{filepath.Join(dir, "export")}}).Inventory(context.Background())
	require.Len(t, errs, 1, "the cut line costs only itself: %v", errs)
	var ie *collectors.InputError
	require.ErrorAs(t, errs[0], &ie)
	require.Equal(t, filepath.Join(dir, "export", "compute.googleapis.com", "Firewall", "0"), ie.Location)
	require.Equal(t, "line 2", ie.Place)
	ids := byID(inv)
	fw := ids["//compute.googleapis.com/projects/acme-prod/global/firewalls/allow-ssh"]
	require.Equal(t, "google_compute_firewall", fw.Type)
	require.Equal(t, []any{"0.0.0.0/0"}, fw.Attributes["source_ranges"])
	b := ids["//storage.googleapis.com/acme-data"]
	require.Equal(t, "google_storage_bucket", b.Type, "an empty assetType beside asset_type does not hide it")
	require.Equal(t, "acme-prod", b.Account)
	require.Equal(t, map[string]string{"team": "data"}, b.Tags)
	disk := ids["//compute.googleapis.com/projects/acme-prod/zones/europe-west1-b/disks/web-1"]
	require.Equal(t, "google_compute_disk", disk.Type, "a names-only asset still says the resource exists")
	require.Nil(t, disk.Attributes)
	require.True(t, disk.Partial)
	require.False(t, inv.Coverage.Covers("google_compute_disk", "acme-prod", ""), "the cut line lost an asset: nothing is declared complete")

	// Without the cut line, what was read is complete.
	lines := strings.Split(snakeExport, "\n")
	write("export/compute.googleapis.com/Firewall/0", strings.Join(append(lines[:1:1], lines[2:]...), "\n"))
	inv, errs = NewFileSource("cai", FileConfig{Paths: []string{filepath.Join(dir, "export")}}).Inventory(context.Background())
	require.Empty(t, errs)
	require.True(t, inv.Coverage.Covers("google_compute_disk", "acme-prod", ""))
	require.True(t, inv.Coverage.Covers("google_storage_bucket", "acme-prod", ""))

	inv, errs = NewFileSource("cai", FileConfig{Paths: []string{filepath.Join(dir, "iam")}}).Inventory(context.Background())
	require.Empty(t, errs)
	require.False(t, inv.Coverage.Covers("google_storage_bucket", "acme-prod", ""), "an IAM-only export covers no resource type")
	require.Contains(t, byID(inv), "//storage.googleapis.com/acme-logs/iamPolicy/roles/storage.objectViewer/members/allUsers")
	require.NotContains(t, byID(inv), "//storage.googleapis.com/acme-logs", "an IAM policy is not the resource")

	inv, errs = NewFileSource("cai", FileConfig{Paths: []string{filepath.Join(dir, "search.json")}}).Inventory(context.Background())
	require.Empty(t, errs)
	arch := byID(inv)["//storage.googleapis.com/acme-archive"]
	require.Equal(t, "google_storage_bucket", arch.Type)
	require.Equal(t, "eu", arch.Region)
	require.Equal(t, "111222333444", arch.Account, "a search result names its project by number")
	require.Equal(t, map[string]string{"team": "archive"}, arch.Tags)

	// A directory without any export file is an error naming it.
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.MkdirAll(empty, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(empty, "notes.md"), []byte("x"), 0o644))
	_, errs = NewFileSource("cai", FileConfig{Paths: []string{empty}}).Inventory(context.Background())
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "empty")
}

func TestDecodeAssetsPrettyArrayWithBadElement(t *testing.T) {
	in := "[{\n  \"name\": \"//storage.googleapis.com/a\",\n  \"asset_type\": \"storage.googleapis.com/Bucket\"\n},  {\n" +
		"  \"name\": \"//storage.googleapis.com/b\"\n  \"asset_type\": \"storage.googleapis.com/Bucket\"\n},\n" +
		"{\n  \"name\": \"//storage.googleapis.com/c\",\n  \"asset_type\": \"storage.googleapis.com/Bucket\"\n}]\n"
	var names []string
	n, err := DecodeAssets(strings.NewReader(in), func(a Asset) { names = append(names, a.Name) })
	require.Equal(t, 2, n)
	require.Equal(t, []string{"//storage.googleapis.com/a", "//storage.googleapis.com/c"}, names)
	require.ErrorContains(t, err, "lines 1-7")
}

// Projects and service accounts listed by number and unique id, without
// the data that re-keys them to what states use, cover nothing: otherwise
// every managed one would look missing and the live ones unmanaged.
func TestUnkeyedAssetsCoverNothing(t *testing.T) {
	dir := t.TempDir()
	namesOnly := `{"name":"//iam.googleapis.com/projects/acme-prod/serviceAccounts/112233445566778899","assetType":"iam.googleapis.com/ServiceAccount","ancestors":["projects/111222333444"]}
{"name":"//cloudresourcemanager.googleapis.com/projects/111222333444","assetType":"cloudresourcemanager.googleapis.com/Project"}
{"name":"//storage.googleapis.com/acme-data","assetType":"storage.googleapis.com/Bucket","ancestors":["projects/111222333444"]}
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "names.json"), []byte(namesOnly), 0o644))
	inv, errs := NewFileSource("cai", FileConfig{Paths: []string{filepath.Join(dir, "names.json")}, Projects: []string{"acme-prod"}}).Inventory(context.Background())
	require.Empty(t, errs)
	require.False(t, inv.Coverage.Covers("google_service_account", "acme-prod", ""))
	require.False(t, inv.Coverage.Covers("google_project", "acme-prod", ""))
	require.True(t, inv.Coverage.Covers("google_storage_bucket", "acme-prod", ""), "a bucket's name is what states use")

	// With their data they are re-keyed, and covered.
	full := `{"name":"//iam.googleapis.com/projects/acme-prod/serviceAccounts/112233445566778899","assetType":"iam.googleapis.com/ServiceAccount","resource":{"data":{"email":"deployer@acme-prod.iam.gserviceaccount.com","uniqueId":"112233445566778899"}}}
{"name":"//cloudresourcemanager.googleapis.com/projects/111222333444","assetType":"cloudresourcemanager.googleapis.com/Project","resource":{"data":{"projectId":"acme-prod","projectNumber":"111222333444"}}}
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "full.json"), []byte(full), 0o644))
	inv, errs = NewFileSource("cai", FileConfig{Paths: []string{filepath.Join(dir, "full.json")}, Projects: []string{"acme-prod"}}).Inventory(context.Background())
	require.Empty(t, errs)
	require.True(t, inv.Coverage.Covers("google_service_account", "acme-prod", ""))
	require.True(t, inv.Coverage.Covers("google_project", "acme-prod", ""))
	ids := byID(inv)
	require.Contains(t, ids, "//iam.googleapis.com/projects/acme-prod/serviceAccounts/deployer@acme-prod.iam.gserviceaccount.com")
}
