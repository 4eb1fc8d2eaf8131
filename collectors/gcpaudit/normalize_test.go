package gcpaudit

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
)

func TestParseEntryBadInput(t *testing.T) {
	cases := []struct {
		name, in, err string
		notAudit      bool
	}{
		{name: "not json", in: `{"insertId":`, err: "decoding LogEntry JSON"},
		{name: "array", in: `[1,2]`, err: "decoding LogEntry JSON"},
		{name: "null", in: `null`, err: "not an object"},
		{name: "no payload", in: `{"insertId":"x","logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity"}`, err: "no protoPayload"},
		{name: "payload not object", in: `{"protoPayload":"..."}`, err: "protoPayload is not an object"},
		{name: "json payload", in: `{"jsonPayload":{"a":1}}`, notAudit: true},
		{name: "text payload", in: `{"textPayload":"hello"}`, notAudit: true},
		{name: "other proto", in: `{"protoPayload":{"@type":"type.googleapis.com/google.appengine.logging.v1.RequestLog"}}`, notAudit: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseEntry([]byte(c.in))
			require.Error(t, err)
			require.Equal(t, c.notAudit, errors.Is(err, ErrNotAuditLog), err.Error())
			if c.err != "" {
				require.Contains(t, err.Error(), c.err)
			}
		})
	}
}

func TestParseEntryBestEffort(t *testing.T) {
	// Wrong types and missing fields: an event with what could be read.
	ev, err := ParseEntry([]byte(`{"protoPayload":{"methodName":"v1.compute.instances.delete","serviceName":7,` +
		`"authenticationInfo":"x","requestMetadata":[],"status":{"code":"seven"},"request":"str"},"timestamp":12}`))
	require.NoError(t, err)
	require.Equal(t, "7:v1.compute.instances.delete", ev.Action, "numbers read as text")
	require.True(t, ev.Time.IsZero())
	require.Empty(t, ev.Principal.ID)
	require.Equal(t, "seven", ev.ErrorCode)
	require.NotEmpty(t, ev.ID, "a stable id from the content")
	ev2, _ := ParseEntry([]byte(`{"protoPayload":{"methodName":"v1.compute.instances.delete","serviceName":7,` +
		`"authenticationInfo":"x","requestMetadata":[],"status":{"code":"seven"},"request":"str"},"timestamp":12}`))
	require.Equal(t, ev.ID, ev2.ID)
}

func TestParseEntryFields(t *testing.T) {
	in := `{"insertid":"i1","logname":"projects/p9/logs/cloudaudit.googleapis.com%2Factivity",
	 "timestamp":"2024-02-02 09:44:26.029835000","operation":{"id":"op1","first":true},
	 "resource":{"type":"gce_instance","labels":{"project_id":"p9","zone":"europe-west1-b","instance_id":"1"}},
	 "protoPayload":{"at_sign_type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"compute.googleapis.com",
	  "methodName":"v1.compute.instances.setMetadata","resourceName":"projects/p9/zones/europe-west1-b/instances/vm",
	  "authenticationInfo":{"principalEmail":"deployer@p9.iam.gserviceaccount.com",
	   "serviceAccountDelegationInfo":[{"firstPartyPrincipal":{"principalEmail":"alice@example.com"}},
	    {"firstPartyPrincipal":{"principalEmail":"hop@p9.iam.gserviceaccount.com"}}]},
	  "requestMetadata":{"callerIP":"192.0.2.1","callerSuppliedUserAgent":"google-api-go-client/0.5 Terraform/1.8.0 (+https://www.terraform.io) terraform-provider-google/5.0.0"},
	  "status":{"code":3,"message":"bad"},
	  "request":{"metadata":{"items":[{"key":"startup-script","value":"echo"},{"key":"DB_PASSWORD","value":"s3cr3t-planted"}]},
	   "clientSecret":"planted-2","nested":[{"pem":"-----BEGIN RSA PRIVATE KEY-----\nMIIplanted\n-----END RSA PRIVATE KEY-----"}]}}}`
	ev, err := ParseEntry([]byte(in))
	require.NoError(t, err)
	require.Equal(t, "i1", ev.ID)
	require.Equal(t, time.Date(2024, 2, 2, 9, 44, 26, 29835000, time.UTC), ev.Time)
	require.Equal(t, "compute.googleapis.com:v1.compute.instances.setMetadata", ev.Action)
	require.Equal(t, "compute.googleapis.com", ev.Service)
	require.Equal(t, []string{"//compute.googleapis.com/projects/p9/zones/europe-west1-b/instances/vm"}, ev.Resources)
	require.Equal(t, model.Principal{ID: "deployer@p9.iam.gserviceaccount.com", Type: "serviceAccount",
		Person: "alice@example.com", Issuer: "deployer@p9.iam.gserviceaccount.com"}, ev.Principal)
	require.Equal(t, model.ViaTerraform, ev.Via)
	require.Equal(t, "192.0.2.1", ev.SourceIP)
	require.Equal(t, "INVALID_ARGUMENT", ev.ErrorCode)
	require.False(t, CountsAsChange(ev), "failed calls are never changes")
	require.Equal(t, "p9", ev.Account)
	require.Equal(t, "europe-west1-b", ev.Region)
	require.Equal(t, "op1", OperationID(ev))
	for _, planted := range []string{"s3cr3t-planted", "planted-2", "MIIplanted"} {
		require.NotContains(t, toJSON(t, ev.Request), planted)
		require.NotContains(t, string(ev.Raw), planted)
	}
	require.Contains(t, toJSON(t, ev.Request), "startup-script", "non-secret values stay")
}

func TestViaOf(t *testing.T) {
	cases := map[string]model.Via{
		"Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0,gzip(gfe)": model.ViaConsole,
		"Cloud Console": model.ViaConsole,
		"google-cloud-sdk gcloud/460.0.0 command/gcloud.compute.firewall-rules.update":                             model.ViaCLI,
		"Terraform/1.5.7 (+https://www.terraform.io) Terraform-Plugin-SDK/2.10.1 terraform-provider-google/4.84.0": model.ViaTerraform,
		"OpenTofu/1.7.0 terraform-provider-google/5.1":                                                             model.ViaTerraform,
		"google-api-go-client/0.5":                            model.ViaSDK,
		"gl-python/3.11.2 grpc/1.60.0 gax/2.15.0 gccl/2.14.0": model.ViaSDK,
		"curl/8.0": model.ViaOther,
	}
	for ua, want := range cases {
		require.Equal(t, want, ViaOf(ua, "jane@example.com"), ua)
	}
	require.Equal(t, model.ViaService, ViaOf("", "service-123@compute-system.iam.gserviceaccount.com"))
	require.Equal(t, model.ViaService, ViaOf("", "123@cloudservices.gserviceaccount.com"))
	require.Equal(t, model.Via(""), ViaOf("", "jane@example.com"))
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2021-10-19T02:57:47.339377Z":   time.Date(2021, 10, 19, 2, 57, 47, 339377000, time.UTC),
		"2023-05-23 19:28:35.049":       time.Date(2023, 5, 23, 19, 28, 35, 49000000, time.UTC),
		"2023-03-08T10:52:52.510-08:00": time.Date(2023, 3, 8, 18, 52, 52, 510000000, time.UTC),
		"2024-02-02 09:44:26.029835000": time.Date(2024, 2, 2, 9, 44, 26, 29835000, time.UTC),
	} {
		got, err := ParseTime(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	_, err := ParseTime("yesterday")
	require.ErrorContains(t, err, "yesterday")
}

func TestReadOnlyAndChange(t *testing.T) {
	for m, ro := range map[string]bool{"v1.compute.firewalls.get": true, "storage.buckets.list": true, "GetIamPolicy": true,
		"v1.compute.firewalls.patch": false, "SetIamPolicy": false, "google.iam.admin.v1.CreateServiceAccountKey": false} {
		require.Equal(t, ro, readMethod(m), m)
	}
	last := model.Event{Request: map[string]any{OperationKey: map[string]any{"id": "o", "first": false, "last": true}}}
	first := model.Event{Request: map[string]any{OperationKey: map[string]any{"id": "o", "first": true, "last": false}}}
	both := model.Event{Request: map[string]any{OperationKey: map[string]any{"id": "o", "first": true, "last": true}}}
	require.True(t, CountsAsChange(last))
	require.False(t, CountsAsChange(first))
	require.True(t, CountsAsChange(both))
	require.True(t, CountsAsChange(model.Event{}))
	require.False(t, CountsAsChange(model.Event{ReadOnly: true}))
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
