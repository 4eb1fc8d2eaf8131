package identity_test

// SetIamPolicy audit entries name the bindings and members their policy
// delta touched, with the ids the Terraform state reader gives the
// google_*_iam_binding and google_*_iam_member resources of that change.
// Both sides run through the collectors themselves (gcpaudit.ParseEntry,
// tfstate.Decode), as the daemon does, since attribution matches their ids
// exactly.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors/gcpaudit"
	"github.com/driftwarden/driftwarden/collectors/tfstate"
	"github.com/driftwarden/driftwarden/identity"
	"github.com/driftwarden/driftwarden/internal/testcorpus"
)

const (
	deltaProject = "//cloudresourcemanager.googleapis.com/projects/acme-prod"
	deltaBucket  = "//storage.googleapis.com/acme-reports"
	deltaCondExp = `request.time < timestamp("2026-12-31T00:00:00Z") && resource.name.startsWith("projects/_/buckets/acme-reports/objects/q4/")`
)

// A project SetIamPolicy by terraform, as Cloud Logging writes it: one
// member added (the API logs it lower-cased; the configuration spelled it
// with capitals), one removed from a binding, a deleted user's leftover
// grant removed, and a conditional grant added.
const projectSetIamPolicy = `{
  "protoPayload": {
    "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
    "status": {},
    "authenticationInfo": {"principalEmail": "terraform@acme-prod.iam.gserviceaccount.com"},
    "requestMetadata": {
      "callerIp": "34.77.10.21",
      "callerSuppliedUserAgent": "Terraform/1.9.8 (+https://www.terraform.io) Terraform-Plugin-SDK/2.33.0 terraform-provider-google/5.44.0,gzip(gfe)",
      "requestAttributes": {"time": "2026-03-02T09:15:04.118Z", "auth": {}},
      "destinationAttributes": {}
    },
    "serviceName": "cloudresourcemanager.googleapis.com",
    "methodName": "SetIamPolicy",
    "authorizationInfo": [{"resource": "projects/acme-prod", "permission": "resourcemanager.projects.setIamPolicy", "granted": true, "resourceAttributes": {}}],
    "resourceName": "projects/acme-prod",
    "serviceData": {
      "@type": "type.googleapis.com/google.iam.v1.logging.AuditData",
      "policyDelta": {
        "bindingDeltas": [
          {"action": "ADD", "role": "roles/cloudsql.client", "member": "user:alice.ng@acme.example"},
          {"action": "REMOVE", "role": "roles/editor", "member": "serviceAccount:old-ci@acme-prod.iam.gserviceaccount.com"},
          {"action": "REMOVE", "role": "roles/viewer", "member": "deleted:user:former-admin@acme.example?uid=112233445566778899001"},
          {"action": "ADD", "role": "roles/storage.objectAdmin", "member": "group:quarter-close@acme.example",
           "condition": {"title": "q4-close", "description": "Q4 close/reporting window", "expression": ` + "`" + `REPLACED` + "`" + `}}
        ]
      }
    },
    "request": {
      "@type": "type.googleapis.com/google.iam.v1.SetIamPolicyRequest",
      "resource": "acme-prod",
      "policy": {"version": 3, "etag": "BwYb0dMx8pE=", "bindings": [
        {"role": "roles/cloudsql.client", "members": ["user:alice.ng@acme.example"]},
        {"role": "roles/editor", "members": ["serviceAccount:terraform@acme-prod.iam.gserviceaccount.com"]},
        {"role": "roles/storage.objectAdmin", "members": ["group:quarter-close@acme.example"],
         "condition": {"title": "q4-close", "description": "Q4 close/reporting window", "expression": "REPLACED"}}
      ]}
    },
    "response": {
      "@type": "type.googleapis.com/google.iam.v1.Policy",
      "version": 3, "etag": "BwYb0dNq3Xs=",
      "bindings": [
        {"role": "roles/cloudsql.client", "members": ["user:alice.ng@acme.example"]},
        {"role": "roles/editor", "members": ["serviceAccount:terraform@acme-prod.iam.gserviceaccount.com"]},
        {"role": "roles/storage.objectAdmin", "members": ["group:quarter-close@acme.example"],
         "condition": {"title": "q4-close", "description": "Q4 close/reporting window", "expression": "REPLACED"}}
      ]
    }
  },
  "insertId": "-x1k2j3h4g5f6",
  "resource": {"type": "project", "labels": {"project_id": "acme-prod"}},
  "timestamp": "2026-03-02T09:15:04.101Z",
  "severity": "NOTICE",
  "logName": "projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity",
  "receiveTimestamp": "2026-03-02T09:15:05.013Z"
}`

// A bucket IAM change as Cloud Storage logs it (storage.setIamPermissions,
// projects/_/buckets/<name>).
const bucketSetIamPermissions = `{
  "protoPayload": {
    "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
    "status": {},
    "authenticationInfo": {"principalEmail": "carol@acme.example"},
    "requestMetadata": {"callerIp": "203.0.113.40", "callerSuppliedUserAgent": "google-cloud-sdk gcloud/489.0.0 command/gcloud.storage.buckets.add-iam-policy-binding invocation-id/4c1f interactive/True,gzip(gfe)",
      "requestAttributes": {"time": "2026-03-02T11:02:40.300Z", "auth": {}}, "destinationAttributes": {}},
    "serviceName": "storage.googleapis.com",
    "methodName": "storage.setIamPermissions",
    "authorizationInfo": [{"resource": "projects/_/buckets/acme-reports", "permission": "storage.buckets.setIamPolicy", "granted": true, "resourceAttributes": {}}],
    "resourceName": "projects/_/buckets/acme-reports",
    "serviceData": {
      "@type": "type.googleapis.com/google.iam.v1.logging.AuditData",
      "policyDelta": {"bindingDeltas": [
        {"action": "ADD", "role": "roles/storage.objectViewer", "member": "allUsers"},
        {"action": "ADD", "role": "roles/storage.objectViewer", "member": "serviceAccount:etl@acme-prod.iam.gserviceaccount.com"}
      ]}
    },
    "resourceLocation": {"currentLocations": ["europe-west1"]}
  },
  "insertId": "1b9x0te2k4a7",
  "resource": {"type": "gcs_bucket", "labels": {"bucket_name": "acme-reports", "project_id": "acme-prod", "location": "europe-west1"}},
  "timestamp": "2026-03-02T11:02:40.291Z",
  "severity": "NOTICE",
  "logName": "projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity",
  "receiveTimestamp": "2026-03-02T11:02:41.112Z"
}`

// The Terraform state of the IAM resources those changes touched, as the
// google provider writes it (ids "<project>/<role>/<member>" with the
// member lower-cased, "b/<bucket>/..." for buckets, a conditional one
// followed by "/<title>/<description>/<expression>").
const iamState = `{
  "version": 4,
  "terraform_version": "1.9.8",
  "serial": 41,
  "lineage": "5d0e8c1a-7f3b-4c55-9a0e-1b2c3d4e5f60",
  "outputs": {},
  "resources": [
    {"mode": "managed", "type": "google_project", "name": "prod", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 1, "attributes": {"id": "projects/acme-prod", "project_id": "acme-prod", "name": "acme-prod", "number": "493827160514"}, "sensitive_attributes": []}]},
    {"mode": "managed", "type": "google_project_iam_member", "name": "sql_client", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"condition": [], "etag": "BwYb0dNq3Xs=", "id": "acme-prod/roles/cloudsql.client/user:alice.ng@acme.example",
       "member": "user:Alice.Ng@acme.example", "project": "acme-prod", "role": "roles/cloudsql.client"}, "sensitive_attributes": [], "private": "bnVsbA=="}]},
    {"mode": "managed", "type": "google_project_iam_member", "name": "old_ci", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"condition": [], "etag": "BwYb0dMx8pE=", "id": "acme-prod/roles/editor/serviceAccount:old-ci@acme-prod.iam.gserviceaccount.com",
       "member": "serviceAccount:old-ci@acme-prod.iam.gserviceaccount.com", "project": "acme-prod", "role": "roles/editor"}, "sensitive_attributes": []}]},
    {"mode": "managed", "type": "google_project_iam_binding", "name": "editors", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"condition": [], "etag": "BwYb0dMx8pE=", "id": "acme-prod/roles/editor",
       "members": ["serviceAccount:old-ci@acme-prod.iam.gserviceaccount.com", "serviceAccount:terraform@acme-prod.iam.gserviceaccount.com"],
       "project": "acme-prod", "role": "roles/editor"}, "sensitive_attributes": []}]},
    {"mode": "managed", "type": "google_project_iam_member", "name": "former_admin", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"condition": [], "etag": "BwYb0dMx8pE=", "id": "acme-prod/roles/viewer/user:former-admin@acme.example",
       "member": "user:former-admin@acme.example", "project": "acme-prod", "role": "roles/viewer"}, "sensitive_attributes": []}]},
    {"mode": "managed", "type": "google_project_iam_member", "name": "quarter_close", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {
       "condition": [{"description": "Q4 close/reporting window", "expression": "REPLACED", "title": "q4-close"}],
       "etag": "BwYb0dNq3Xs=", "id": "acme-prod/roles/storage.objectAdmin/group:quarter-close@acme.example/q4-close/Q4 close/reporting window/REPLACED",
       "member": "group:quarter-close@acme.example", "project": "acme-prod", "role": "roles/storage.objectAdmin"}, "sensitive_attributes": []}]},
    {"mode": "managed", "type": "google_project_iam_binding", "name": "quarter_close", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {
       "condition": [{"description": "Q4 close/reporting window", "expression": "REPLACED", "title": "q4-close"}],
       "etag": "BwYb0dNq3Xs=", "id": "acme-prod/roles/storage.objectAdmin/q4-close/Q4 close/reporting window/REPLACED",
       "members": ["group:quarter-close@acme.example"], "project": "acme-prod", "role": "roles/storage.objectAdmin"}, "sensitive_attributes": []}]},
    {"mode": "managed", "type": "google_storage_bucket", "name": "reports", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 3, "attributes": {"id": "acme-reports", "name": "acme-reports", "project": "acme-prod", "location": "EUROPE-WEST1"}, "sensitive_attributes": []}]},
    {"mode": "managed", "type": "google_storage_bucket_iam_member", "name": "public", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"bucket": "b/acme-reports", "condition": [], "etag": "CAI=",
       "id": "b/acme-reports/roles/storage.objectViewer/allUsers", "member": "allUsers", "role": "roles/storage.objectViewer"}, "sensitive_attributes": []}]},
    {"mode": "managed", "type": "google_storage_bucket_iam_binding", "name": "viewers", "provider": "provider[\"registry.terraform.io/hashicorp/google\"]",
     "instances": [{"schema_version": 0, "attributes": {"bucket": "b/acme-reports", "condition": [], "etag": "CAI=",
       "id": "b/acme-reports/roles/storage.objectViewer", "members": ["allUsers", "serviceAccount:etl@acme-prod.iam.gserviceaccount.com"],
       "role": "roles/storage.objectViewer"}, "sensitive_attributes": []}]}
  ]
}`

// withExpression puts the condition expression (quotes and "/" included)
// into a JSON document at its REPLACED placeholders.
func withExpression(t *testing.T, doc string) string {
	t.Helper()
	q, err := json.Marshal(deltaCondExp)
	require.NoError(t, err)
	inner := string(q[1 : len(q)-1])
	doc = strings.ReplaceAll(doc, "`REPLACED`", string(q))
	return strings.ReplaceAll(doc, "REPLACED", inner)
}

// stateIDs decodes the state with the tfstate collector and returns each
// resource's id by address.
func stateIDs(t *testing.T) map[string]string {
	t.Helper()
	st, err := tfstate.Decode(strings.NewReader(withExpression(t, iamState)), tfstate.DecodeOptions{Source: "states", Location: "iam.tfstate", Stack: "prod"})
	require.NoError(t, err)
	out := map[string]string{}
	for _, r := range st.Resources {
		out[r.Address] = r.ID
	}
	return out
}

func TestGCPSetIamPolicyDeltaNamesTerraformIAMResources(t *testing.T) {
	state := stateIDs(t)
	ev, err := gcpaudit.ParseEntry([]byte(withExpression(t, projectSetIamPolicy)))
	require.NoError(t, err)

	q4 := identity.GCPIAMCondition{Title: "q4-close", Description: "Q4 close/reporting window", Expression: deltaCondExp}
	q4Binding := identity.GCPIAMCanonicalWithCondition(deltaProject, identity.GCPIAMBinding, "roles/storage.objectAdmin", "", q4)
	require.True(t, strings.HasPrefix(q4Binding, deltaProject+"/iamPolicy/roles/storage.objectAdmin/conditions/q4-close~"), q4Binding)
	require.Equal(t, []string{
		deltaProject,
		deltaProject + "/iamPolicy",
		deltaProject + "/iamPolicy/roles/cloudsql.client",
		deltaProject + "/iamPolicy/roles/cloudsql.client/members/user:alice.ng@acme.example",
		deltaProject + "/iamPolicy/roles/editor",
		deltaProject + "/iamPolicy/roles/editor/members/serviceAccount:old-ci@acme-prod.iam.gserviceaccount.com",
		deltaProject + "/iamPolicy/roles/viewer",
		deltaProject + "/iamPolicy/roles/viewer/members/user:former-admin@acme.example",
		deltaProject + "/iamPolicy/roles/viewer/members/deleted:user:former-admin@acme.example?uid=112233445566778899001",
		q4Binding,
		q4Binding + "/members/group:quarter-close@acme.example",
	}, ev.Resources)

	// Every Terraform IAM resource the change touched is named by the
	// event, by the id the state reader gives it: the project itself, the
	// member spelled with capitals in the configuration, the binding and
	// member a REMOVE took a member from, the deleted user's member, and
	// the conditional binding and member (whose state condition the reader
	// takes from the id).
	for _, addr := range []string{
		"google_project.prod",
		"google_project_iam_member.sql_client",
		"google_project_iam_member.old_ci",
		"google_project_iam_binding.editors",
		"google_project_iam_member.former_admin",
		"google_project_iam_member.quarter_close",
		"google_project_iam_binding.quarter_close",
	} {
		require.NotEmpty(t, state[addr], addr)
		require.Contains(t, ev.Resources, state[addr], "%s is not named by the SetIamPolicy event", addr)
	}
	require.Equal(t, deltaProject, state["google_project.prod"])
	require.Equal(t, q4Binding, state["google_project_iam_binding.quarter_close"])

	// The bucket change: the bucket id the state reader gives
	// google_storage_bucket, and the bucket IAM binding and member.
	ev, err = gcpaudit.ParseEntry([]byte(bucketSetIamPermissions))
	require.NoError(t, err)
	require.Equal(t, []string{
		deltaBucket,
		deltaBucket + "/iamPolicy",
		deltaBucket + "/iamPolicy/roles/storage.objectViewer",
		deltaBucket + "/iamPolicy/roles/storage.objectViewer/members/allUsers",
		deltaBucket + "/iamPolicy/roles/storage.objectViewer/members/serviceAccount:etl@acme-prod.iam.gserviceaccount.com",
	}, ev.Resources, "one binding id for two deltas of one role")
	require.Equal(t, deltaBucket, state["google_storage_bucket.reports"])
	require.Equal(t, deltaBucket+"/iamPolicy/roles/storage.objectViewer/members/allUsers", state["google_storage_bucket_iam_member.public"])
	require.Equal(t, deltaBucket+"/iamPolicy/roles/storage.objectViewer", state["google_storage_bucket_iam_binding.viewers"])
}

// auditIDs runs GCPAuditResources on a LogEntry as the gcpaudit collector
// calls it.
func auditIDs(t *testing.T, entry string) []string {
	t.Helper()
	var e struct {
		ProtoPayload map[string]any `json:"protoPayload"`
		Resource     struct {
			Labels map[string]string `json:"labels"`
		} `json:"resource"`
	}
	require.NoError(t, json.Unmarshal([]byte(entry), &e))
	pp := e.ProtoPayload
	svc, _ := pp["serviceName"].(string)
	method, _ := pp["methodName"].(string)
	name, _ := pp["resourceName"].(string)
	ids, _, m, known := identity.GCPAuditResources(svc, method, name, e.Resource.Labels, pp)
	if identity.GCPIsSetIAM(method) {
		require.True(t, known)
		require.Equal(t, identity.GCPSetIAM, m.Op)
	}
	return ids
}

func TestGCPSetIamPolicyDeltaVariants(t *testing.T) {
	const ds = "//bigquery.googleapis.com/projects/acme-prod/datasets/analytics"

	// No delta (Data Access or older exports, failed calls), or an empty
	// one: the resource and its policy, as before.
	require.Equal(t, []string{deltaProject, deltaProject + "/iamPolicy"}, auditIDs(t, `{"protoPayload":{
	  "serviceName":"cloudresourcemanager.googleapis.com","methodName":"SetIamPolicy","resourceName":"projects/acme-prod",
	  "request":{"policy":{"bindings":[{"role":"roles/viewer","members":["user:jane@acme.example"]}]}}},
	 "resource":{"type":"project","labels":{"project_id":"acme-prod"}}}`))
	require.Equal(t, []string{deltaProject, deltaProject + "/iamPolicy"}, auditIDs(t, `{"protoPayload":{
	  "serviceName":"cloudresourcemanager.googleapis.com","methodName":"SetIamPolicy","resourceName":"projects/acme-prod",
	  "serviceData":{"@type":"type.googleapis.com/google.iam.v1.logging.AuditData","policyDelta":{}}},
	 "resource":{"type":"project","labels":{"project_id":"acme-prod"}}}`))

	// Only SetIamPolicy-like methods read the delta: a bucket creation logs
	// the default legacy bindings, which no Terraform IAM resource holds.
	require.Equal(t, []string{deltaBucket}, auditIDs(t, `{"protoPayload":{
	  "serviceName":"storage.googleapis.com","methodName":"storage.buckets.create","resourceName":"projects/_/buckets/acme-reports",
	  "serviceData":{"@type":"type.googleapis.com/google.iam.v1.logging.AuditData","policyDelta":{"bindingDeltas":[
	    {"action":"ADD","role":"roles/storage.legacyBucketOwner","member":"projectOwner:acme-prod"}]}}},
	 "resource":{"type":"gcs_bucket","labels":{"bucket_name":"acme-reports","project_id":"acme-prod"}}}`))

	// BigQuery logs a dataset's IAM change in BigQueryAuditMetadata
	// (metadata.datasetChange.bindingDeltas); tables in tableChange.
	require.Equal(t, []string{ds, ds + "/iamPolicy", ds + "/iamPolicy/roles/bigquery.dataViewer",
		ds + "/iamPolicy/roles/bigquery.dataViewer/members/group:analysts@acme.example"}, auditIDs(t, `{"protoPayload":{
	  "@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{},
	  "authenticationInfo":{"principalEmail":"terraform@acme-prod.iam.gserviceaccount.com"},
	  "serviceName":"bigquery.googleapis.com","methodName":"google.iam.v1.IAMPolicy.SetIamPolicy",
	  "resourceName":"projects/acme-prod/datasets/analytics",
	  "metadata":{"@type":"type.googleapis.com/google.cloud.audit.BigQueryAuditMetadata",
	    "datasetChange":{"dataset":{"datasetName":"projects/acme-prod/datasets/analytics"},"reason":"SET_IAM_POLICY",
	      "bindingDeltas":[{"action":"ADD","role":"roles/bigquery.dataViewer","member":"group:analysts@acme.example"}]}}},
	 "resource":{"type":"bigquery_dataset","labels":{"dataset_id":"analytics","project_id":"acme-prod"}}}`))
	table := auditIDs(t, `{"protoPayload":{"serviceName":"bigquery.googleapis.com","methodName":"google.iam.v1.IAMPolicy.SetIamPolicy",
	  "resourceName":"projects/acme-prod/datasets/analytics/tables/events",
	  "metadata":{"@type":"type.googleapis.com/google.cloud.audit.BigQueryAuditMetadata",
	    "tableChange":{"table":{"tableName":"projects/acme-prod/datasets/analytics/tables/events"},"reason":"SET_IAM_POLICY",
	      "bindingDeltas":[{"action":"REMOVE","role":"roles/bigquery.dataEditor","member":"user:bob@acme.example"}]}}},
	 "resource":{"type":"bigquery_resource","labels":{"project_id":"acme-prod"}}}`)
	require.Equal(t, "//bigquery.googleapis.com/projects/acme-prod/datasets/analytics/tables/events/iamPolicy/roles/bigquery.dataEditor/members/user:bob@acme.example",
		table[len(table)-1])

	// A BigQuery log sink table row, exported as JSON: the AuditLog is
	// protopayload_auditlog, AuditData is servicedata_v1_iam, metadata is
	// the metadataJson string.
	ev, err := gcpaudit.ParseEntry([]byte(`{"logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity",
	  "resource":{"type":"project","labels":{"project_id":"acme-prod"}},"timestamp":"2026-03-02 09:15:04.101 UTC","insertId":"bq1",
	  "protopayload_auditlog":{"serviceName":"cloudresourcemanager.googleapis.com","methodName":"SetIamPolicy","resourceName":"projects/acme-prod",
	    "authenticationInfo":{"principalEmail":"terraform@acme-prod.iam.gserviceaccount.com"},
	    "servicedata_v1_iam":{"policyDelta":{"bindingDeltas":[{"action":"ADD","role":"roles/cloudsql.client","member":"user:alice.ng@acme.example"}]}}}}`))
	require.NoError(t, err)
	require.Equal(t, []string{deltaProject, deltaProject + "/iamPolicy", deltaProject + "/iamPolicy/roles/cloudsql.client",
		deltaProject + "/iamPolicy/roles/cloudsql.client/members/user:alice.ng@acme.example"}, ev.Resources)
	require.Equal(t, []string{ds, ds + "/iamPolicy", ds + "/iamPolicy/roles/bigquery.dataOwner",
		ds + "/iamPolicy/roles/bigquery.dataOwner/members/serviceAccount:etl@acme-prod.iam.gserviceaccount.com"}, auditIDs(t, `{"protoPayload":{
	  "serviceName":"bigquery.googleapis.com","methodName":"google.iam.v1.IAMPolicy.SetIamPolicy","resourceName":"projects/acme-prod/datasets/analytics",
	  "metadataJson":"{\"@type\":\"type.googleapis.com/google.cloud.audit.BigQueryAuditMetadata\",\"datasetChange\":{\"reason\":\"SET_IAM_POLICY\",\"bindingDeltas\":[{\"action\":\"ADD\",\"role\":\"roles/bigquery.dataOwner\",\"member\":\"serviceAccount:etl@acme-prod.iam.gserviceaccount.com\"}]}}"},
	 "resource":{"type":"bigquery_dataset","labels":{"dataset_id":"analytics","project_id":"acme-prod"}}}`))

	// Proto field names (binding_deltas, policy_delta, service_data) as some
	// exporters write them; a delta without a member still names its
	// binding; the same binding twice is named once.
	require.Equal(t, []string{deltaProject, deltaProject + "/iamPolicy", deltaProject + "/iamPolicy/roles/viewer",
		deltaProject + "/iamPolicy/roles/viewer/members/domain:acme.example"}, auditIDs(t, `{"protoPayload":{
	  "serviceName":"cloudresourcemanager.googleapis.com","methodName":"SetIamPolicy",
	  "resourceName":"projects/acme-prod",
	  "service_data":{"policy_delta":{"binding_deltas":[
	    {"action":1,"role":"roles/viewer","member":"domain:ACME.example"},{"action":2,"role":"roles/viewer"},{"action":"ADD","member":"user:x@acme.example"}]}}},
	 "resource":{"type":"project","labels":{"project_id":"acme-prod"}}}`))

	// Pub/Sub topics and service accounts log the same AuditData.
	topic := "//pubsub.googleapis.com/projects/acme-prod/topics/orders"
	require.Equal(t, []string{topic, topic + "/iamPolicy", topic + "/iamPolicy/roles/pubsub.publisher",
		topic + "/iamPolicy/roles/pubsub.publisher/members/serviceAccount:service-493827160514@gcp-sa-cloudbuild.iam.gserviceaccount.com"}, auditIDs(t, `{"protoPayload":{
	  "serviceName":"pubsub.googleapis.com","methodName":"google.iam.v1.IAMPolicy.SetIamPolicy","resourceName":"projects/acme-prod/topics/orders",
	  "serviceData":{"@type":"type.googleapis.com/google.iam.v1.logging.AuditData","policyDelta":{"bindingDeltas":[
	    {"action":"ADD","role":"roles/pubsub.publisher","member":"serviceAccount:service-493827160514@gcp-sa-cloudbuild.iam.gserviceaccount.com"}]}}},
	 "resource":{"type":"pubsub_topic","labels":{"topic_id":"orders","project_id":"acme-prod"}}}`))
	require.Equal(t, topic+"/iamPolicy/roles/pubsub.publisher/members/serviceAccount:service-493827160514@gcp-sa-cloudbuild.iam.gserviceaccount.com",
		identity.GCPCanonicalFromTerraform("google_pubsub_topic_iam_member", map[string]any{
			"id":    "projects/acme-prod/topics/orders/roles/pubsub.publisher/serviceAccount:service-493827160514@gcp-sa-cloudbuild.iam.gserviceaccount.com",
			"topic": "projects/acme-prod/topics/orders", "project": "acme-prod", "role": "roles/pubsub.publisher",
			"member": "serviceAccount:service-493827160514@gcp-sa-cloudbuild.iam.gserviceaccount.com",
		}))
}

func TestGCPNormalizeIAMMember(t *testing.T) {
	for in, want := range map[string]string{
		"user:Alice.Ng@Acme.Example":                           "user:alice.ng@acme.example",
		"group:Oncall@acme.example":                            "group:oncall@acme.example",
		"serviceAccount:ETL@acme-prod.iam.gserviceaccount.com": "serviceAccount:etl@acme-prod.iam.gserviceaccount.com",
		"domain:Acme.Example":                                  "domain:acme.example",
		"deleted:user:Former@Acme.example?uid=1122":            "deleted:user:former@acme.example?uid=1122",
		"allUsers":              "allUsers",
		"allAuthenticatedUsers": "allAuthenticatedUsers",
		"principalSet://iam.googleapis.com/projects/493827160514/locations/global/workloadIdentityPools/GitHub/attribute.repository/Acme/Infra": "principalSet://iam.googleapis.com/projects/493827160514/locations/global/workloadIdentityPools/GitHub/attribute.repository/Acme/Infra",
		"principal://iam.googleapis.com/locations/global/workforcePools/Staff/subject/Alice":                                                    "principal://iam.googleapis.com/locations/global/workforcePools/Staff/subject/Alice",
		"user:alice@acme.example": "user:alice@acme.example",
		"NoType@acme.example":     "NoType@acme.example",
	} {
		require.Equal(t, want, identity.GCPNormalizeIAMMember(in), in)
	}
	// Terraform (configuration spelling), CAI and the audit log (API
	// spelling) give one member id.
	const p = deltaProject
	require.Equal(t, identity.GCPIAMCanonical(p, identity.GCPIAMMember, "roles/viewer", "user:alice@acme.example"),
		identity.GCPCanonicalFromTerraform("google_project_iam_member", map[string]any{"project": "acme-prod", "role": "roles/viewer",
			"member": "user:Alice@Acme.Example", "id": "acme-prod/roles/viewer/user:alice@acme.example"}))
}

// The shared corpus's SetIamPolicy entries name their delta's bindings and
// members.
func TestGCPSetIamPolicyDeltaCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testcorpus.Path(t, "panther-analysis", "rules", "gcp_audit_rules"), "*.json"))
	require.NoError(t, err)
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var rule struct {
			Tests []struct {
				Name string          `json:"name"`
				Log  json.RawMessage `json:"log"`
			} `json:"tests"`
		}
		require.NoError(t, json.Unmarshal(b, &rule), f)
		for _, tc := range rule.Tests {
			var e struct {
				ProtoPayload map[string]any `json:"protoPayload"`
			}
			if json.Unmarshal(tc.Log, &e) != nil || e.ProtoPayload == nil {
				continue
			}
			method, _ := e.ProtoPayload["methodName"].(string)
			sd, _ := e.ProtoPayload["serviceData"].(map[string]any)
			pd, _ := sd["policyDelta"].(map[string]any)
			deltas, _ := pd["bindingDeltas"].([]any)
			if !identity.GCPIsSetIAM(method) || len(deltas) == 0 {
				continue
			}
			ev, err := gcpaudit.ParseEntry(tc.Log)
			if err != nil {
				continue // entries the collector rejects are its own tests' business
			}
			where := filepath.Base(f) + ": " + tc.Name
			if len(ev.Resources) == 0 {
				continue // no serviceName: the entry names no resource at all
			}
			require.GreaterOrEqual(t, len(ev.Resources), 2, where)
			parent := ev.Resources[0]
			require.Equal(t, parent+"/iamPolicy", ev.Resources[1], where)
			for _, d := range deltas {
				dm := d.(map[string]any)
				role, _ := dm["role"].(string)
				member, _ := dm["member"].(string)
				require.Contains(t, ev.Resources, parent+"/iamPolicy/"+role, where)
				require.Contains(t, ev.Resources, identity.GCPIAMCanonical(parent, identity.GCPIAMMember, role, member), where)
			}
			n++
		}
	}
	require.Positive(t, n, "the corpus holds SetIamPolicy entries with a policy delta")
}
