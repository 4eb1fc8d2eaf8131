package gcpaudit

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/logging/apiv2/loggingpb"
	"github.com/stretchr/testify/require"
	"google.golang.org/api/option"
	"google.golang.org/genproto/googleapis/api/monitoredres"
	"google.golang.org/genproto/googleapis/cloud/audit"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/store"
)

// fakeLogging is a real gRPC Logging service holding entries; it applies
// the filter's logName and timestamp bounds, pages with offset tokens, and
// fails the calls listed in failAt with the given codes.
type fakeLogging struct {
	loggingpb.UnimplementedLoggingServiceV2Server
	mu      sync.Mutex
	entries []*loggingpb.LogEntry
	calls   int
	failAt  map[int]codes.Code
	filters []string
	pageMax int
}

var (
	tsGE  = regexp.MustCompile(`timestamp>="([^"]+)"`)
	tsLT  = regexp.MustCompile(`timestamp<"([^"]+)"`)
	logRe = regexp.MustCompile(`logName="([^"]+)"`)
)

func (f *fakeLogging) ListLogEntries(_ context.Context, req *loggingpb.ListLogEntriesRequest) (*loggingpb.ListLogEntriesResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.filters = append(f.filters, req.GetFilter())
	if c, ok := f.failAt[f.calls]; ok {
		return nil, status.Error(c, "injected "+c.String())
	}
	ge, lt := tsGE.FindStringSubmatch(req.Filter), tsLT.FindStringSubmatch(req.Filter)
	if ge == nil || lt == nil {
		return nil, status.Error(codes.InvalidArgument, "filter without explicit timestamp bounds")
	}
	if req.OrderBy != "" && req.OrderBy != "timestamp asc" {
		return nil, status.Error(codes.InvalidArgument, "want oldest first")
	}
	from, _ := time.Parse(time.RFC3339Nano, ge[1])
	to, _ := time.Parse(time.RFC3339Nano, lt[1])
	logs := map[string]bool{}
	for _, m := range logRe.FindAllStringSubmatch(req.Filter, -1) {
		logs[m[1]] = true
	}
	var match []*loggingpb.LogEntry
	for _, e := range f.entries {
		t := e.Timestamp.AsTime()
		if logs[e.LogName] && !t.Before(from) && t.Before(to) {
			match = append(match, e)
		}
	}
	sort.SliceStable(match, func(i, j int) bool { return match[i].Timestamp.AsTime().Before(match[j].Timestamp.AsTime()) })
	off := 0
	if req.PageToken != "" {
		off, _ = strconv.Atoi(req.PageToken)
	}
	size := int(req.PageSize)
	if f.pageMax > 0 && size > f.pageMax {
		size = f.pageMax
	}
	end := min(off+size, len(match))
	resp := &loggingpb.ListLogEntriesResponse{Entries: match[off:end]}
	if end < len(match) {
		resp.NextPageToken = strconv.Itoa(end)
	}
	return resp, nil
}

func (f *fakeLogging) add(t *testing.T, e *loggingpb.LogEntry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entries = append(f.entries, e)
}

func startLogging(t *testing.T, f *fakeLogging) []option.ClientOption {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	loggingpb.RegisterLoggingServiceV2Server(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return []option.ClientOption{
		option.WithEndpoint(lis.Addr().String()),
		option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
	}
}

const activity = "projects/p1/logs/cloudaudit.googleapis.com%2Factivity"

func auditEntry(t *testing.T, id string, ts time.Time, method, resource, ua string, req map[string]any) *loggingpb.LogEntry {
	t.Helper()
	al := &audit.AuditLog{
		ServiceName:        "compute.googleapis.com",
		MethodName:         method,
		ResourceName:       resource,
		AuthenticationInfo: &audit.AuthenticationInfo{PrincipalEmail: "jane@example.com"},
		RequestMetadata:    &audit.RequestMetadata{CallerIp: "203.0.113.9", CallerSuppliedUserAgent: ua},
	}
	if req != nil {
		s, err := structpb.NewStruct(req)
		require.NoError(t, err)
		al.Request = s
	}
	p, err := anypb.New(al)
	require.NoError(t, err)
	return &loggingpb.LogEntry{
		InsertId: id, LogName: activity, Timestamp: timestamppb.New(ts),
		Resource: &monitoredres.MonitoredResource{Type: "gce_firewall_rule", Labels: map[string]string{"project_id": "p1"}},
		Payload:  &loggingpb.LogEntry_ProtoPayload{ProtoPayload: p},
	}
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "dw.db"), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func commit(t *testing.T, st store.Store, b collectors.EventBatch) {
	t.Helper()
	for k, v := range b.Checkpoints {
		require.NoError(t, st.SetCheckpoint(context.Background(), b.Source, k, v))
	}
}

func ids(b collectors.EventBatch) []string {
	var out []string
	for _, e := range b.Events {
		out = append(out, e.ID)
	}
	return out
}

func TestAPIPagingRetriesAndNormalisation(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f := &fakeLogging{pageMax: 2, failAt: map[int]codes.Code{2: codes.ResourceExhausted, 4: codes.Unavailable}}
	for i := range 7 {
		f.add(t, auditEntry(t, fmt.Sprintf("e%d", i), base.Add(time.Duration(i)*time.Minute),
			"v1.compute.firewalls.patch", "projects/p1/global/firewalls/fw", "google-cloud-sdk gcloud/480.0.0",
			map[string]any{"sourceRanges": []any{"0.0.0.0/0"}, "password": "hunter2-planted"}))
	}
	// An entry in another log is not asked for.
	other := auditEntry(t, "dataaccess", base, "v1.compute.firewalls.get", "projects/p1/global/firewalls/fw", "", nil)
	other.LogName = "projects/p1/logs/cloudaudit.googleapis.com%2Fdata_access"
	f.add(t, other)

	src := NewAPISource("gcp", APIConfig{
		Parents: []string{"projects/p1"}, PageSize: 2, RetryWait: time.Millisecond, RequestsPerMinute: 6000,
		ClientOptions: startLogging(t, f), Now: func() time.Time { return base.Add(time.Hour) },
	})
	defer src.Close()
	st := openStore(t)
	b, errs := src.Events(context.Background(), st)
	require.Empty(t, errs)
	require.Equal(t, []string{"e0", "e1", "e2", "e3", "e4", "e5", "e6"}, ids(b), "every page, oldest first, once")
	require.GreaterOrEqual(t, f.calls, 6, "4 pages plus 2 failed calls")
	for _, fl := range f.filters {
		require.Contains(t, fl, `timestamp>="2026-02-28T12:50:00Z"`, "first read: 24h look-back minus the overlap")
		require.Contains(t, fl, `timestamp<"2026-03-01T13:00:00Z"`)
		require.Contains(t, fl, `logName="`+activity+`"`)
	}
	ev := b.Events[0]
	require.Equal(t, "compute.googleapis.com:v1.compute.firewalls.patch", ev.Action)
	require.Equal(t, []string{"//compute.googleapis.com/projects/p1/global/firewalls/fw"}, ev.Resources)
	require.Equal(t, "jane@example.com", ev.Principal.ID)
	require.Equal(t, "cli", string(ev.Via))
	require.Equal(t, "203.0.113.9", ev.SourceIP)
	require.Equal(t, "p1", ev.Account)
	require.Equal(t, []any{"0.0.0.0/0"}, ev.Request["sourceRanges"])
	require.NotContains(t, fmt.Sprint(ev.Request), "hunter2-planted")
	require.NotContains(t, string(ev.Raw), "hunter2-planted")
}

func TestAPIQuotaExhaustedGivesUpWithError(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f := &fakeLogging{pageMax: 1, failAt: map[int]codes.Code{}}
	for i := 2; i < 20; i++ {
		f.failAt[i] = codes.ResourceExhausted
	}
	for i := range 3 {
		f.add(t, auditEntry(t, fmt.Sprintf("e%d", i), base.Add(time.Duration(i)*time.Minute), "v1.compute.firewalls.patch", "projects/p1/global/firewalls/fw", "", nil))
	}
	src := NewAPISource("gcp", APIConfig{Parents: []string{"projects/p1"}, PageSize: 1, Retries: 2, RetryWait: time.Millisecond,
		RequestsPerMinute: 6000, ClientOptions: startLogging(t, f), Now: func() time.Time { return base.Add(time.Hour) }})
	defer src.Close()
	st := openStore(t)
	b, errs := src.Events(context.Background(), st)
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "projects/p1")
	require.Equal(t, codes.ResourceExhausted, status.Code(errs[0]))
	require.Equal(t, []string{"e0"}, ids(b), "what was read before the quota ran out is kept")
	commit(t, st, b)

	// The quota recovers: the rest comes, nothing twice.
	f.failAt = nil
	b, errs = src.Events(context.Background(), st)
	require.Empty(t, errs)
	require.Equal(t, []string{"e1", "e2"}, ids(b))
}

func TestAPIRestartLosesAndDuplicatesNothing(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := base.Add(10 * time.Minute)
	clock := func() time.Time { return now }
	f := &fakeLogging{}
	for i := range 3 {
		f.add(t, auditEntry(t, fmt.Sprintf("a%d", i), base.Add(time.Duration(i)*time.Minute), "v1.compute.firewalls.patch", "projects/p1/global/firewalls/fw", "", nil))
	}
	opts := startLogging(t, f)
	st := openStore(t)
	cfg := APIConfig{Parents: []string{"projects/p1"}, RequestsPerMinute: 6000, ClientOptions: opts, Now: clock, Overlap: 5 * time.Minute}

	// Cycle 1: read and recorded.
	src := NewAPISource("gcp", cfg)
	b, errs := src.Events(context.Background(), st)
	require.Empty(t, errs)
	require.Equal(t, []string{"a0", "a1", "a2"}, ids(b))
	commit(t, st, b)
	_ = src.Close()

	// New entries, one of them late (timestamp before the checkpoint but
	// within the overlap) and one at the same timestamp as the newest read.
	f.add(t, auditEntry(t, "b-late", base.Add(90*time.Second), "v1.compute.firewalls.patch", "projects/p1/global/firewalls/fw", "", nil))
	f.add(t, auditEntry(t, "b-same", base.Add(2*time.Minute), "v1.compute.firewalls.patch", "projects/p1/global/firewalls/fw", "", nil))
	f.add(t, auditEntry(t, "b-new", base.Add(12*time.Minute), "v1.compute.firewalls.patch", "projects/p1/global/firewalls/fw", "", nil))
	now = base.Add(15 * time.Minute)

	// Cycle 2 reads, then the daemon crashes before recording the cycle.
	src = NewAPISource("gcp", cfg)
	b, errs = src.Events(context.Background(), st)
	require.Empty(t, errs)
	require.ElementsMatch(t, []string{"b-late", "b-same", "b-new"}, ids(b))
	_ = src.Close()

	// After the restart the same events come again (nothing lost), once.
	src = NewAPISource("gcp", cfg)
	b, errs = src.Events(context.Background(), st)
	require.Empty(t, errs)
	require.ElementsMatch(t, []string{"b-late", "b-same", "b-new"}, ids(b))
	commit(t, st, b)
	_ = src.Close()

	// And once recorded, never again.
	now = base.Add(16 * time.Minute)
	src = NewAPISource("gcp", cfg)
	defer src.Close()
	b, errs = src.Events(context.Background(), st)
	require.Empty(t, errs)
	require.Empty(t, ids(b))
}

func TestFilterHasExplicitBounds(t *testing.T) {
	from := time.Date(2026, 1, 2, 3, 4, 5, 600, time.UTC)
	f := Filter("organizations/42", []string{"activity", "system_event"}, from, from.Add(time.Hour))
	require.Equal(t, `(logName="organizations/42/logs/cloudaudit.googleapis.com%2Factivity" OR `+
		`logName="organizations/42/logs/cloudaudit.googleapis.com%2Fsystem_event") AND `+
		`timestamp>="2026-01-02T03:04:05.0000006Z" AND timestamp<"2026-01-02T04:04:05.0000006Z"`, f)
}
