package gcpaudit

import (
	"context"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/iam/apiv1/iampb"
	"cloud.google.com/go/logging/apiv2/loggingpb"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/api/monitoredres"
	"google.golang.org/genproto/googleapis/cloud/audit"
	iamlogging "google.golang.org/genproto/googleapis/iam/v1/logging"
	"google.golang.org/genproto/googleapis/type/expr"
	"google.golang.org/protobuf/types/known/anypb"
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
