package gcpaudit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/model"
)

// sinkDir lays testdata files out as a Cloud Storage sink writes them:
// cloudaudit.googleapis.com/<log>/YYYY/MM/DD/HH:00:00_HH:59:59_S0.json.
func sinkDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, src := range files {
		b, err := os.ReadFile(filepath.Join("testdata", src))
		require.NoError(t, err)
		p := filepath.Join(dir, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, b, 0o644))
	}
	return dir
}

func inputErrors(t *testing.T, errs []error) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, err := range errs {
		var ie *collectors.InputError
		require.ErrorAs(t, err, &ie)
		out[filepath.Base(ie.Location)+" "+ie.Place] = ie.Err.Error()
	}
	return out
}

func TestFilesSinkExportVariants(t *testing.T) {
	dir := sinkDir(t, map[string]string{
		"cloudaudit.googleapis.com/activity/2026/03/01/10:00:00_10:59:59_S0.json":     "activity_sink.json",
		"cloudaudit.googleapis.com/system_event/2026/03/01/11:00:00_11:59:59_S0.json": "gcloud_read.json",
		"cloudaudit.googleapis.com/policy/2026/03/01/12:00:00_12:59:59_S0.json":       "policy_sink.json",
	})
	src := NewFilesSource("sink", FilesConfig{Dir: dir, Logs: []string{"activity", "data_access", "system_event", "policy"}})
	b, errs := src.Events(context.Background(), memCheckpoints{})

	// Every bad record is one error naming its file and line(s); the
	// jsonPayload and textPayload entries are skipped silently.
	got := inputErrors(t, errs)
	require.Len(t, got, 3, "%v", got)
	require.Contains(t, got["10:00:00_10:59:59_S0.json line 5"], "incomplete", "a truncated line in the middle")
	require.Contains(t, got["10:00:00_10:59:59_S0.json line 8"], "incomplete", "a truncated last line")
	require.Contains(t, got["11:00:00_11:59:59_S0.json lines 33-38"], "protoPayload is not an object", "an array element names its lines")

	byID := map[string]model.Event{}
	for _, ev := range b.Events {
		byID[ev.ID] = ev
	}
	require.ElementsMatch(t, []string{"-f2k9x3e1a2b3", "1q2w3e4r5t", "-a8s7d6f5g", "-f2k9x3e1a2c9", "1ab2cd3ef4", "5gh6ij7kl", "pol-1x2y3z"}, ids(b),
		"everything around the bad records is read, from NDJSON and from a pretty-printed gcloud array")

	// Long-running operation: two entries, the last one counts and carries
	// the first one's request and user agent.
	first, last := byID["-f2k9x3e1a2b3"], byID["-f2k9x3e1a2c9"]
	require.False(t, CountsAsChange(first))
	require.True(t, CountsAsChange(last))
	require.Equal(t, "e2-small", lastSegment(last.Request["machineType"]))
	require.Equal(t, model.ViaTerraform, last.Via)
	require.Equal(t, "gce-internal-ip", last.SourceIP, "callerIp kept as logged")
	require.Equal(t, model.Principal{ID: "tf-deployer@acme-prod.iam.gserviceaccount.com", Type: "serviceAccount",
		Issuer: "tf-deployer@acme-prod.iam.gserviceaccount.com"}, last.Principal, "a pipeline's service account chain has no person")
	require.Equal(t, []string{"//compute.googleapis.com/projects/acme-prod/zones/europe-west1-b/instances/web-1"}, last.Resources)
	require.Equal(t, "europe-west1-b", first.Region)

	console := byID["1q2w3e4r5t"]
	require.Equal(t, model.ViaConsole, console.Via)
	require.Equal(t, "user", console.Principal.Type)
	require.Equal(t, "alice@acme.example", console.Principal.Person)
	require.Equal(t, []string{"//storage.googleapis.com/acme-logs", "//storage.googleapis.com/acme-logs/iamPolicy",
		"//storage.googleapis.com/acme-logs/iamPolicy/roles/storage.objectViewer",
		"//storage.googleapis.com/acme-logs/iamPolicy/roles/storage.objectViewer/members/allUsers"}, console.Resources,
		"the policy delta names the binding and member it touched")
	require.True(t, CountsAsChange(console))

	denied := byID["-a8s7d6f5g"]
	require.Equal(t, "PERMISSION_DENIED", denied.ErrorCode)
	require.Equal(t, model.ViaCLI, denied.Via)
	require.False(t, CountsAsChange(denied), "a failed call changes nothing")

	sys := byID["1ab2cd3ef4"]
	require.Equal(t, "private", sys.SourceIP)
	require.Equal(t, "acme-prod", sys.Account)
	require.Equal(t, time.Date(2026, 3, 1, 11, 15, 1, 654000000, time.UTC), sys.Time)
	require.Empty(t, sys.ErrorCode, "a status with only a message is OK")

	pol := byID["pol-1x2y3z"]
	require.Equal(t, "PERMISSION_DENIED", pol.ErrorCode)
	require.True(t, pol.ReadOnly)
	require.Equal(t, model.ViaSDK, pol.Via)
}

func lastSegment(v any) string {
	s, _ := v.(string)
	return s[strings.LastIndexByte(s, '/')+1:]
}

func TestParseEntryExportShapes(t *testing.T) {
	// A row of a BigQuery sink table (cloudaudit_googleapis_com_activity)
	// exported as newline-delimited JSON.
	bq := `{"logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity","resource":{"type":"gcs_bucket","labels":{"bucket_name":"acme-logs","project_id":"acme-prod","location":"eu"}},` +
		`"protopayload_auditlog":{"serviceName":"storage.googleapis.com","methodName":"storage.buckets.update","resourceName":"projects/_/buckets/acme-logs",` +
		`"authenticationInfo":{"principalEmail":"alice@acme.example"},"requestMetadata":{"callerIp":"203.0.113.5","callerSuppliedUserAgent":"Terraform/1.8.0 terraform-provider-google/5.30.0"},` +
		`"status":{"code":null},"requestJson":"{\"@type\":\"type.googleapis.com/storage.buckets.update\",\"versioning\":{\"enabled\":false}}"},` +
		`"textPayload":null,"timestamp":"2026-03-01 10:04:30.551000 UTC","receiveTimestamp":"2026-03-01 10:04:31.200000 UTC","severity":"NOTICE","insertId":"bq-1","operation":null}`
	ev, err := ParseEntry([]byte(bq))
	require.NoError(t, err)
	require.Equal(t, "bq-1", ev.ID)
	require.Equal(t, time.Date(2026, 3, 1, 10, 4, 30, 551000000, time.UTC), ev.Time)
	require.Equal(t, "storage.googleapis.com:storage.buckets.update", ev.Action)
	require.Equal(t, "alice@acme.example", ev.Principal.ID)
	require.Equal(t, model.ViaTerraform, ev.Via)
	require.Equal(t, map[string]any{"enabled": false}, ev.Request["versioning"])
	require.Equal(t, []string{"//storage.googleapis.com/acme-logs"}, ev.Resources)
	require.Empty(t, ev.ErrorCode)

	// Proto field names (snake_case) as some exporters write them.
	snake := `{"insert_id":"s-1","log_name":"projects/p/logs/cloudaudit.googleapis.com%2Factivity","timestamp":"2026-03-01T10:00:00Z",` +
		`"proto_payload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","service_name":"compute.googleapis.com","method_name":"v1.compute.firewalls.delete",` +
		`"resource_name":"projects/p/global/firewalls/fw","authentication_info":{"principal_email":"bob@acme.example"},"request_metadata":{"caller_ip":"192.0.2.1"}}}`
	ev, err = ParseEntry([]byte(snake))
	require.NoError(t, err)
	require.Equal(t, "s-1", ev.ID)
	require.Equal(t, "compute.googleapis.com:v1.compute.firewalls.delete", ev.Action)
	require.Equal(t, "bob@acme.example", ev.Principal.ID)
	require.Equal(t, "192.0.2.1", ev.SourceIP)
	require.Equal(t, "p", ev.Account)
	require.Equal(t, []string{"//compute.googleapis.com/projects/p/global/firewalls/fw"}, ev.Resources)
}

func TestParseEntryLessCommonFields(t *testing.T) {
	entry := func(pp string) model.Event {
		t.Helper()
		ev, err := ParseEntry([]byte(`{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog",` + pp + `}}`))
		require.NoError(t, err)
		return ev
	}
	// A full resource name in resourceName is not prefixed a second time.
	ev := entry(`"serviceName":"compute.googleapis.com","methodName":"v1.compute.instances.delete","resourceName":"//compute.googleapis.com/projects/p/zones/z/instances/i"`)
	require.Equal(t, []string{"//compute.googleapis.com/projects/p/zones/z/instances/i"}, ev.Resources)

	// principalSubject written as an IAM member, without principalEmail.
	ev = entry(`"serviceName":"storage.googleapis.com","methodName":"storage.buckets.delete","authenticationInfo":{"principalSubject":"user:dana@acme.example"}`)
	require.Equal(t, model.Principal{ID: "dana@acme.example", Type: "user", Person: "dana@acme.example"}, ev.Principal)

	// Workforce identity federation keeps the principal:// subject.
	ev = entry(`"serviceName":"storage.googleapis.com","methodName":"storage.buckets.delete","authenticationInfo":{"principalSubject":"principal://iam.googleapis.com/locations/global/workforcePools/acme/subject/dana"}`)
	require.Equal(t, "federated", ev.Principal.Type)

	// No insertId, no timestamp, an unknown method: a best-effort event
	// with a stable content id, a zero time and a generic resource id.
	raw := `{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"frobnicator.googleapis.com","methodName":"google.frob.v1.Frobs.Twiddle","resourceName":"projects/p/locations/l/frobs/f"}}`
	a, err := ParseEntry([]byte(raw))
	require.NoError(t, err)
	b, _ := ParseEntry([]byte(raw))
	require.Equal(t, a.ID, b.ID)
	require.True(t, strings.HasPrefix(a.ID, "sha256:"))
	require.True(t, a.Time.IsZero())
	require.Equal(t, "frobnicator.googleapis.com:google.frob.v1.Frobs.Twiddle", a.Action)
	require.Equal(t, []string{"//frobnicator.googleapis.com/projects/p/locations/l/frobs/f"}, a.Resources)
	require.True(t, CountsAsChange(a), "an unknown write method may be a change")
}
