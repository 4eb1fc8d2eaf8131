package gcpaudit

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/iam/apiv1/iampb"
	"cloud.google.com/go/logging/apiv2/loggingpb"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/api/monitoredres"
	"google.golang.org/genproto/googleapis/cloud/audit"
	iamlogging "google.golang.org/genproto/googleapis/iam/v1/logging"
	statuspb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/genproto/googleapis/type/expr"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// A SetIamPolicy entry read through the Logging API carries its policy
// delta (serviceData, an Any of google.iam.v1.logging.AuditData) and
// authorizationInfo as the JSON export does, so the event names the
// bindings and members it changed.
func TestAPISetIamPolicyDelta(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sd, err := anypb.New(&iamlogging.AuditData{PolicyDelta: &iampb.PolicyDelta{BindingDeltas: []*iampb.BindingDelta{
		{Action: iampb.BindingDelta_ADD, Role: "roles/storage.admin", Member: "user:mallory@example.com"},
		{Action: iampb.BindingDelta_REMOVE, Role: "roles/viewer", Member: "group:ops@example.com",
			Condition: &expr.Expr{Title: "business-hours", Expression: `request.time.getHours("Europe/Paris") < 18`}},
	}}})
	require.NoError(t, err)
	al := &audit.AuditLog{
		ServiceName: "cloudresourcemanager.googleapis.com", MethodName: "SetIamPolicy", ResourceName: "projects/p1",
		AuthenticationInfo: &audit.AuthenticationInfo{PrincipalEmail: "jane@example.com"},
		RequestMetadata:    &audit.RequestMetadata{CallerIp: "203.0.113.9", CallerSuppliedUserAgent: "Mozilla/5.0"},
		AuthorizationInfo: []*audit.AuthorizationInfo{{Resource: "projects/p1", Permission: "resourcemanager.projects.setIamPolicy", Granted: true,
			ResourceAttributes: nil}},
		ServiceData: sd,
	}
	p, err := anypb.New(al)
	require.NoError(t, err)
	f := &fakeLogging{}
	f.add(t, &loggingpb.LogEntry{
		InsertId: "iam1", LogName: activity, Timestamp: timestamppb.New(base),
		Resource: &monitoredres.MonitoredResource{Type: "project", Labels: map[string]string{"project_id": "p1"}},
		Payload:  &loggingpb.LogEntry_ProtoPayload{ProtoPayload: p},
	})
	src := NewAPISource("gcp", APIConfig{Parents: []string{"projects/p1"}, RetryWait: time.Millisecond, RequestsPerMinute: 6000,
		ClientOptions: startLogging(t, f), Now: func() time.Time { return base.Add(time.Hour) }})
	defer src.Close()
	b, errs := src.Events(context.Background(), openStore(t))
	require.Empty(t, errs)
	require.Len(t, b.Events, 1)
	res := b.Events[0].Resources
	const proj = "//cloudresourcemanager.googleapis.com/projects/p1"
	require.Contains(t, res, proj+"/iamPolicy")
	require.Contains(t, res, proj+"/iamPolicy/roles/storage.admin")
	require.Contains(t, res, proj+"/iamPolicy/roles/storage.admin/members/user:mallory@example.com")
	conditional := 0
	for _, id := range res {
		if strings.HasPrefix(id, proj) && strings.Contains(id, "/conditions/business-hours~") {
			conditional++
		}
	}
	require.Equal(t, 2, conditional, "the conditional binding and its member: %v", res)
}

// The same entry read through the Logging API and from a sink's JSON (the
// LogEntry as protojson writes it) gives the same event: nothing the
// normalisation or the identity table reads is lost on the API path.
func TestAPIAndFileAgree(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sd, err := anypb.New(&iamlogging.AuditData{PolicyDelta: &iampb.PolicyDelta{BindingDeltas: []*iampb.BindingDelta{
		{Action: iampb.BindingDelta_ADD, Role: "roles/iam.serviceAccountUser", Member: "user:Mallory@Example.com"},
	}}})
	require.NoError(t, err)
	req, err := structpb.NewStruct(map[string]any{"name": "projects/-/serviceAccounts/deployer@p1.iam.gserviceaccount.com"})
	require.NoError(t, err)
	resp, err := structpb.NewStruct(map[string]any{"name": "projects/p1/serviceAccounts/deployer@p1.iam.gserviceaccount.com/keys/0123abcd", "keyAlgorithm": 2})
	require.NoError(t, err)
	entries := []*audit.AuditLog{
		{ServiceName: "iam.googleapis.com", MethodName: "google.iam.admin.v1.SetIAMPolicy", ResourceName: "projects/-/serviceAccounts/112233445566778899001",
			AuthenticationInfo: &audit.AuthenticationInfo{PrincipalEmail: "jane@example.com"},
			RequestMetadata:    &audit.RequestMetadata{CallerIp: "203.0.113.9", CallerSuppliedUserAgent: "google-cloud-sdk gcloud/480.0.0"},
			AuthorizationInfo: []*audit.AuthorizationInfo{{Resource: "projects/-/serviceAccounts/deployer@p1.iam.gserviceaccount.com",
				Permission: "iam.serviceAccounts.setIamPolicy", Granted: true}},
			ServiceData: sd},
		{ServiceName: "iam.googleapis.com", MethodName: "google.iam.admin.v1.CreateServiceAccountKey", ResourceName: "projects/-/serviceAccounts/112233445566778899001",
			AuthenticationInfo: &audit.AuthenticationInfo{PrincipalEmail: "jane@example.com"},
			RequestMetadata:    &audit.RequestMetadata{CallerIp: "203.0.113.9", CallerSuppliedUserAgent: "Mozilla/5.0 (X11; Linux x86_64)"},
			Request:            req, Response: resp},
		{ServiceName: "compute.googleapis.com", MethodName: "v1.compute.firewalls.patch", ResourceName: "projects/p1/global/firewalls/fw",
			AuthenticationInfo: &audit.AuthenticationInfo{PrincipalEmail: "terraform@p1.iam.gserviceaccount.com"},
			RequestMetadata:    &audit.RequestMetadata{CallerIp: "10.0.0.3", CallerSuppliedUserAgent: "Terraform/1.8.5 terraform-provider-google/5.30.0"},
			Status:             &statuspb.Status{Code: 7, Message: "PERMISSION_DENIED"}},
	}
	f := &fakeLogging{}
	var files [][]byte
	for i, al := range entries {
		p, err := anypb.New(al)
		require.NoError(t, err)
		e := &loggingpb.LogEntry{
			InsertId: fmt.Sprintf("e%d", i), LogName: activity, Timestamp: timestamppb.New(base.Add(time.Duration(i) * time.Minute)),
			Resource: &monitoredres.MonitoredResource{Type: "service_account", Labels: map[string]string{
				"project_id": "p1", "email_id": "deployer@p1.iam.gserviceaccount.com", "unique_id": "112233445566778899001"}},
			Payload: &loggingpb.LogEntry_ProtoPayload{ProtoPayload: p},
		}
		f.add(t, e)
		b, err := protojson.Marshal(e)
		require.NoError(t, err)
		files = append(files, b)
	}
	src := NewAPISource("gcp", APIConfig{Parents: []string{"projects/p1"}, RetryWait: time.Millisecond, RequestsPerMinute: 6000,
		ClientOptions: startLogging(t, f), Now: func() time.Time { return base.Add(time.Hour) }})
	defer src.Close()
	b, errs := src.Events(context.Background(), openStore(t))
	require.Empty(t, errs)
	require.Len(t, b.Events, len(entries))
	for i, raw := range files {
		want, err := ParseEntry(raw)
		require.NoError(t, err, "entry %d", i)
		got := b.Events[i]
		require.Equal(t, want.ID, got.ID)
		require.True(t, want.Time.Equal(got.Time), "entry %d", i)
		require.Equal(t, want.Action, got.Action, "entry %d", i)
		require.Equal(t, want.Resources, got.Resources, "entry %d", i)
		require.NotEmpty(t, got.Resources, "entry %d", i)
		require.Equal(t, want.Principal, got.Principal, "entry %d", i)
		require.Equal(t, want.Via, got.Via, "entry %d", i)
		require.Equal(t, want.SourceIP, got.SourceIP, "entry %d", i)
		require.Equal(t, want.ErrorCode, got.ErrorCode, "entry %d", i)
		require.Equal(t, want.Account, got.Account, "entry %d", i)
	}
	const sa = "//iam.googleapis.com/projects/p1/serviceAccounts/deployer@p1.iam.gserviceaccount.com"
	require.Contains(t, b.Events[0].Resources, sa, "the unique id resolves to the email")
	require.Contains(t, b.Events[0].Resources, sa+"/iamPolicy/roles/iam.serviceAccountUser/members/user:mallory@example.com")
	require.Contains(t, b.Events[1].Resources, sa)
	require.Equal(t, "PERMISSION_DENIED", b.Events[2].ErrorCode)
}
