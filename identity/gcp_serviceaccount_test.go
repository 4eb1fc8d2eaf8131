package identity

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// auditEntryResources decodes a LogEntry as Cloud Logging writes it and
// returns what GCPAuditResources makes of it, as the gcpaudit collector
// calls it (protoPayload and resource.labels).
func auditEntryResources(t *testing.T, entry string) ([]string, *GCPType, GCPMethod, bool) {
	t.Helper()
	var e struct {
		ProtoPayload map[string]any `json:"protoPayload"`
		Resource     struct {
			Labels map[string]string `json:"labels"`
		} `json:"resource"`
	}
	require.NoError(t, json.Unmarshal([]byte(entry), &e))
	pp := e.ProtoPayload
	return GCPAuditResources(gcpStr(pp["serviceName"]), gcpStr(pp["methodName"]), gcpStr(pp["resourceName"]), e.Resource.Labels, pp)
}

const (
	saEmail  = "deployer@acme-prod.iam.gserviceaccount.com"
	saUID    = "109876543210987654321"
	saID     = "//iam.googleapis.com/projects/acme-prod/serviceAccounts/" + saEmail
	saKeyHex = "3f1c2b7a9d0e4c5b8a6f1e2d3c4b5a69788796a5"
)

// The applied google_service_account as the google provider writes it to
// the state: keyed by email; unique_id is an attribute only.
var saState = map[string]any{
	"account_id": "deployer", "email": saEmail, "id": "projects/acme-prod/serviceAccounts/" + saEmail,
	"member": "serviceAccount:" + saEmail, "name": "projects/acme-prod/serviceAccounts/" + saEmail,
	"project": "acme-prod", "unique_id": saUID, "disabled": false, "display_name": "CI deployer",
}

func TestGCPAuditServiceAccountByUniqueID(t *testing.T) {
	require.Equal(t, saID, GCPCanonicalFromTerraform("google_service_account", saState))
	keyID := saID + "/keys/" + saKeyHex
	require.Equal(t, keyID, GCPCanonicalFromTerraform("google_service_account_key",
		map[string]any{"id": "projects/acme-prod/serviceAccounts/" + saEmail + "/keys/" + saKeyHex, "service_account_id": saEmail}))

	cases := []struct {
		name   string
		entry  string
		ids    []string
		row    string
		op     GCPOp
		method string
	}{
		{
			name: "CreateServiceAccountKey names the account by unique id; the key is in response.name",
			entry: `{"insertId":"1x8k2d3e4f5g","logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity",
			 "protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{},
			  "authenticationInfo":{"principalEmail":"jane@acme.example","principalSubject":"user:jane@acme.example"},
			  "requestMetadata":{"callerIp":"203.0.113.7","callerSuppliedUserAgent":"google-cloud-sdk gcloud/463.0.0 command/gcloud.iam.service-accounts.keys.create"},
			  "serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.CreateServiceAccountKey",
			  "authorizationInfo":[{"resource":"projects/-/serviceAccounts/` + saUID + `","permission":"iam.serviceAccountKeys.create","granted":true,
			   "resourceAttributes":{"name":"projects/-/serviceAccounts/` + saUID + `"}}],
			  "resourceName":"projects/-/serviceAccounts/` + saUID + `",
			  "request":{"@type":"type.googleapis.com/google.iam.admin.v1.CreateServiceAccountKeyRequest","name":"projects/acme-prod/serviceAccounts/` + saUID + `","private_key_type":2},
			  "response":{"@type":"type.googleapis.com/google.iam.admin.v1.ServiceAccountKey","name":"projects/acme-prod/serviceAccounts/` + saEmail + `/keys/` + saKeyHex + `",
			   "private_key_type":2,"key_algorithm":2,"key_origin":2,"key_type":1,"valid_after_time":{"seconds":1717000000}}},
			 "resource":{"type":"service_account","labels":{"email_id":"` + saEmail + `","project_id":"acme-prod","unique_id":"` + saUID + `"}},
			 "timestamp":"2024-05-29T16:26:40.123456Z","severity":"NOTICE"}`,
			ids: []string{saID, keyID}, row: "google_service_account", op: GCPCreate, method: "google.iam.admin.v1.CreateServiceAccountKey",
		},
		{
			name: "CreateServiceAccountKey without resource labels (a trimmed export): email from response.name, project from request.name",
			entry: `{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"iam.googleapis.com",
			  "methodName":"google.iam.admin.v1.CreateServiceAccountKey","resourceName":"projects/-/serviceAccounts/` + saUID + `",
			  "request":{"name":"projects/acme-prod/serviceAccounts/` + saUID + `","private_key_type":2},
			  "response":{"name":"projects/acme-prod/serviceAccounts/` + saEmail + `/keys/` + saKeyHex + `"}}}`,
			ids: []string{saID, keyID}, row: "google_service_account", op: GCPCreate,
		},
		{
			name: "SetIAMPolicy on a service account: resourceName by unique id, request.resource by email",
			entry: `{"logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity",
			 "protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"iam.googleapis.com",
			  "methodName":"google.iam.admin.v1.SetIAMPolicy","resourceName":"projects/-/serviceAccounts/` + saUID + `",
			  "authorizationInfo":[{"resource":"projects/-/serviceAccounts/` + saUID + `","permission":"iam.serviceAccounts.setIamPolicy","granted":true}],
			  "request":{"@type":"type.googleapis.com/google.iam.v1.SetIamPolicyRequest","resource":"projects/-/serviceAccounts/` + saEmail + `",
			   "policy":{"bindings":[{"role":"roles/iam.serviceAccountUser","members":["user:bob@acme.example"]}],"etag":"BwYb0dMx8pE="}},
			  "response":{"@type":"type.googleapis.com/google.iam.v1.Policy","bindings":[{"role":"roles/iam.serviceAccountUser","members":["user:bob@acme.example"]}],"etag":"BwYb0dNq3Xs="},
			  "serviceData":{"@type":"type.googleapis.com/google.iam.v1.logging.AuditData","policyDelta":{"bindingDeltas":[{"action":"ADD","role":"roles/iam.serviceAccountUser","member":"user:bob@acme.example"}]}}},
			 "resource":{"type":"service_account","labels":{"email_id":"` + saEmail + `","project_id":"acme-prod","unique_id":"` + saUID + `"}}}`,
			ids: []string{saID, saID + "/iamPolicy", saID + "/iamPolicy/roles/iam.serviceAccountUser",
				saID + "/iamPolicy/roles/iam.serviceAccountUser/members/user:bob@acme.example"}, row: "google_service_account", op: GCPSetIAM,
		},
		{
			name: "SetIAMPolicy whose request also uses the unique id: resource labels give the email",
			entry: `{"protoPayload":{"serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.SetIAMPolicy",
			  "resourceName":"projects/-/serviceAccounts/` + saUID + `",
			  "request":{"resource":"projects/acme-prod/serviceAccounts/` + saUID + `","policy":{"bindings":[]}}},
			 "resource":{"type":"service_account","labels":{"email_id":"` + saEmail + `","project_id":"acme-prod","unique_id":"` + saUID + `"}}}`,
			ids: []string{saID, saID + "/iamPolicy"}, row: "google_service_account", op: GCPSetIAM,
		},
		{
			name: "DeleteServiceAccount: request.name by email, resourceName by unique id",
			entry: `{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"iam.googleapis.com",
			  "methodName":"google.iam.admin.v1.DeleteServiceAccount","resourceName":"projects/-/serviceAccounts/` + saUID + `",
			  "request":{"@type":"type.googleapis.com/google.iam.admin.v1.DeleteServiceAccountRequest","name":"projects/-/serviceAccounts/` + saEmail + `"},
			  "response":{"@type":"type.googleapis.com/google.protobuf.Empty"}},
			 "resource":{"type":"service_account","labels":{"email_id":"` + saEmail + `","project_id":"acme-prod","unique_id":"` + saUID + `"}}}`,
			ids: []string{saID}, row: "google_service_account", op: GCPDelete,
		},
		{
			name: "DisableServiceAccount addressed by unique id throughout: labels carry the email",
			entry: `{"protoPayload":{"serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.DisableServiceAccount",
			  "resourceName":"projects/-/serviceAccounts/` + saUID + `",
			  "request":{"@type":"type.googleapis.com/google.iam.admin.v1.DisableServiceAccountRequest","name":"projects/-/serviceAccounts/` + saUID + `"}},
			 "resource":{"type":"service_account","labels":{"email_id":"` + saEmail + `","project_id":"acme-prod","unique_id":"` + saUID + `"}}}`,
			ids: []string{saID}, row: "google_service_account", op: GCPUpdate,
		},
		{
			name: "PatchServiceAccount with JSON (camelCase) request names: serviceAccount.email",
			entry: `{"protoPayload":{"serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.PatchServiceAccount",
			  "resourceName":"projects/-/serviceAccounts/` + saUID + `",
			  "request":{"serviceAccount":{"email":"` + saEmail + `","displayName":"CI deployer (prod)"},"updateMask":"displayName"}},
			 "resource":{"type":"service_account","labels":{"project_id":"acme-prod"}}}`,
			ids: []string{saID}, row: "google_service_account", op: GCPUpdate,
		},
		{
			name: "DeleteServiceAccountKey: the key by unique id of its account",
			entry: `{"protoPayload":{"serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.DeleteServiceAccountKey",
			  "resourceName":"projects/-/serviceAccounts/` + saUID + `/keys/` + saKeyHex + `",
			  "request":{"@type":"type.googleapis.com/google.iam.admin.v1.DeleteServiceAccountKeyRequest","name":"projects/-/serviceAccounts/` + saUID + `/keys/` + saKeyHex + `"}},
			 "resource":{"type":"service_account","labels":{"email_id":"` + saEmail + `","project_id":"acme-prod","unique_id":"` + saUID + `"}}}`,
			ids: []string{keyID}, row: "google_service_account_key", op: GCPDelete,
		},
		{
			name: "CreateServiceAccount logs the project as resourceName; the account is in the response",
			entry: `{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"iam.googleapis.com",
			  "methodName":"google.iam.admin.v1.CreateServiceAccount","resourceName":"projects/acme-prod",
			  "authorizationInfo":[{"resource":"projects/acme-prod","permission":"iam.serviceAccounts.create","granted":true}],
			  "request":{"@type":"type.googleapis.com/google.iam.admin.v1.CreateServiceAccountRequest","name":"projects/acme-prod","account_id":"deployer",
			   "service_account":{"display_name":"CI deployer"}},
			  "response":{"@type":"type.googleapis.com/google.iam.admin.v1.ServiceAccount","email":"` + saEmail + `",
			   "name":"projects/acme-prod/serviceAccounts/` + saEmail + `","project_id":"acme-prod","unique_id":"` + saUID + `",
			   "oauth2_client_id":"` + saUID + `","display_name":"CI deployer","etag":"MDEwMjE5MjA="}},
			 "resource":{"type":"service_account","labels":{"email_id":"` + saEmail + `","project_id":"acme-prod","unique_id":"` + saUID + `"}}}`,
			ids: []string{saID}, row: "google_service_account", op: GCPCreate,
		},
		{
			name: "CreateServiceAccount whose response has only the email",
			entry: `{"protoPayload":{"serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.CreateServiceAccount","resourceName":"projects/acme-prod",
			  "response":{"@type":"type.googleapis.com/google.iam.admin.v1.ServiceAccount","email":"` + saEmail + `","display_name":"CI deployer"}},
			 "resource":{"type":"service_account"}}`,
			ids: []string{saID}, row: "google_service_account", op: GCPCreate,
		},
		{
			name: "the any-project wildcard with an email: project from resource labels",
			entry: `{"protoPayload":{"serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.EnableServiceAccount",
			  "resourceName":"projects/-/serviceAccounts/` + saEmail + `"},
			 "resource":{"type":"service_account","labels":{"project_id":"acme-prod"}}}`,
			ids: []string{saID}, row: "google_service_account", op: GCPUpdate,
		},
		{
			name: "the any-project wildcard with an email and no labels: project from the email",
			entry: `{"protoPayload":{"serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.UpdateServiceAccount",
			  "resourceName":"projects/-/serviceAccounts/` + saEmail + `"}}`,
			ids: []string{saID}, row: "google_service_account", op: GCPUpdate,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ids, row, m, known := auditEntryResources(t, c.entry)
			require.Equal(t, c.ids, ids)
			require.NotNil(t, row)
			require.Equal(t, c.row, row.Terraform)
			require.True(t, known)
			require.Equal(t, c.op, m.Op)
		})
	}

	// The SetIAMPolicy event names the Terraform IAM member of that account
	// (from its policy delta).
	member := GCPCanonicalFromTerraform("google_service_account_iam_member", map[string]any{
		"id":                 "projects/acme-prod/serviceAccounts/" + saEmail + "/roles/iam.serviceAccountUser/user:bob@acme.example",
		"service_account_id": "projects/acme-prod/serviceAccounts/" + saEmail, "role": "roles/iam.serviceAccountUser", "member": "user:bob@acme.example",
	})
	require.Equal(t, saID+"/iamPolicy/roles/iam.serviceAccountUser/members/user:bob@acme.example", member)
}

func TestGCPAuditServiceAccountUniqueIDOnly(t *testing.T) {
	// No email anywhere in the entry: the id keeps the unique id, in CAI's
	// own form (documented limitation: it matches no email-keyed resource).
	ids, row, _, _ := auditEntryResources(t, `{"protoPayload":{"serviceName":"iam.googleapis.com",
	  "methodName":"google.iam.admin.v1.DisableServiceAccount","resourceName":"projects/-/serviceAccounts/`+saUID+`"},
	 "resource":{"type":"service_account","labels":{"project_id":"acme-prod","unique_id":"`+saUID+`"}}}`)
	require.Equal(t, []string{"//iam.googleapis.com/projects/acme-prod/serviceAccounts/" + saUID}, ids)
	require.Equal(t, "google_service_account", row.Terraform)

	// Labels of another account (unique_id differs) are not used.
	ids, _, _, _ = auditEntryResources(t, `{"protoPayload":{"serviceName":"iam.googleapis.com",
	  "methodName":"google.iam.admin.v1.DisableServiceAccount","resourceName":"projects/-/serviceAccounts/`+saUID+`"},
	 "resource":{"type":"service_account","labels":{"email_id":"other@acme-prod.iam.gserviceaccount.com","project_id":"acme-prod","unique_id":"111111111111111111111"}}}`)
	require.Equal(t, []string{"//iam.googleapis.com/projects/acme-prod/serviceAccounts/" + saUID}, ids)

	// No project either: the generic id, as before.
	ids, row, _, _ = auditEntryResources(t, `{"protoPayload":{"serviceName":"iam.googleapis.com",
	  "methodName":"google.iam.admin.v1.DisableServiceAccount","resourceName":"projects/-/serviceAccounts/`+saUID+`"}}`)
	require.Nil(t, row)
	require.Equal(t, []string{"//iam.googleapis.com/projects/-/serviceAccounts/" + saUID}, ids)

	// Without the payload the labels still resolve it.
	ids, _, _, _ = GCPAuditResources("iam.googleapis.com", "google.iam.admin.v1.DeleteServiceAccount", "projects/-/serviceAccounts/"+saUID, map[string]string{"email_id": saEmail, "project_id": "acme-prod", "unique_id": saUID}, nil)

	require.Equal(t, []string{saID}, ids)
}

func TestGCPAuditFullResourceNames(t *testing.T) {
	// Services that log full resource names give the same ids as relative
	// names, with or without the service argument.
	for _, svc := range []string{"compute.googleapis.com", ""} {
		ids, row, m, known := GCPAuditResources(svc, "v1.compute.firewalls.patch", "//compute.googleapis.com/projects/p1/global/firewalls/allow-ssh", nil, nil)

		require.Equal(t, []string{"//compute.googleapis.com/projects/p1/global/firewalls/allow-ssh"}, ids, "service %q", svc)
		require.NotNil(t, row)
		require.Equal(t, "google_compute_firewall", row.Terraform)
		require.True(t, known)
		require.Equal(t, GCPUpdate, m.Op)
	}
	// A full name in the audit (zones) form maps to the CAI (locations) form.
	ids, row, _, _ := GCPAuditResources("container.googleapis.com", "google.container.v1.ClusterManager.UpdateCluster", "//container.googleapis.com/projects/p1/zones/europe-west1-b/clusters/gke", nil, nil)

	require.Equal(t, []string{"//container.googleapis.com/projects/p1/locations/europe-west1-b/clusters/gke"}, ids)
	require.Equal(t, "google_container_cluster", row.Terraform)
	// IAM policy change on a full name.
	ids, _, m, _ := GCPAuditResources("pubsub.googleapis.com", "google.iam.v1.IAMPolicy.SetIamPolicy", "//pubsub.googleapis.com/projects/p1/topics/orders", nil, nil)
	require.Equal(t, []string{"//pubsub.googleapis.com/projects/p1/topics/orders", "//pubsub.googleapis.com/projects/p1/topics/orders/iamPolicy"}, ids)
	require.Equal(t, GCPSetIAM, m.Op)
	// A service account full name by unique id, resolved from the labels.
	ids, _, _, _ = GCPAuditResources("iam.googleapis.com", "google.iam.admin.v1.DeleteServiceAccount", "//iam.googleapis.com/projects/acme-prod/serviceAccounts/"+saUID, map[string]string{"email_id": saEmail, "unique_id": saUID}, nil)

	require.Equal(t, []string{saID}, ids)
	// Unknown full names are kept as they are, never doubled.
	id, row := gcpCanonicalFromAudit("compute.googleapis.com", "//compute.googleapis.com/projects/p1/global/routes/r1", nil, nil)
	require.Nil(t, row)
	require.Equal(t, "//compute.googleapis.com/projects/p1/global/routes/r1", id)
	id, _ = gcpCanonicalFromAudit("", "//bigtableadmin.googleapis.com/projects/p1/instances/i1", nil, nil)
	require.Equal(t, "//bigtableadmin.googleapis.com/projects/p1/instances/i1", id)
	// A relative name with a leading "/" still works.
	id, row = gcpCanonicalFromAudit("compute.googleapis.com", "/projects/p1/global/networks/vpc", nil, nil)
	require.Equal(t, "//compute.googleapis.com/projects/p1/global/networks/vpc", id)
	require.NotNil(t, row)
}
