package cloudtrail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/store"
)

const (
	acctA   = "111122223333"
	acctB   = "444455556666"
	apiBase = "2024-05-01T12:00:00Z"
)

// ctEvent is one event the fake CloudTrail holds.
type ctEvent struct {
	id       string
	t        time.Time
	name     string
	readOnly bool
	record   string // CloudTrailEvent; generated when empty
}

// fakeCloudTrail speaks CloudTrail's JSON 1.1 protocol for LookupEvents:
// POST / with X-Amz-Target, epoch-second timestamps, NextToken paging,
// newest events first. The account is the access key's suffix (AK<acct> or
// ASIA<acct>), the region comes from the SigV4 credential scope.
type fakeCloudTrail struct {
	mu       sync.Mutex
	events   map[string][]ctEvent // account/region -> events
	pageSize int
	// fail, when set, answers a request with an error: status and __type
	// (status 0: no failure). page counts from 1.
	fail func(account, region string, page int) (int, string)
	// requests: account/region -> arrival times; inputs: decoded bodies.
	requests map[string][]time.Time
	inputs   map[string][]map[string]any
	pages    map[string]int // account/region/page -> successful reads
}

func newFakeCloudTrail(pageSize int) *fakeCloudTrail {
	return &fakeCloudTrail{events: map[string][]ctEvent{}, pageSize: pageSize,
		requests: map[string][]time.Time{}, inputs: map[string][]map[string]any{}, pages: map[string]int{}}
}

func (f *fakeCloudTrail) add(account, region string, evs ...ctEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events[account+"/"+region] = append(f.events[account+"/"+region], evs...)
}

var credScope = regexp.MustCompile(`Credential=(?:AK|ASIA)(\d{12})/\d{8}/([a-z0-9-]+)/cloudtrail/aws4_request`)

func jsonError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"__type":%q,"message":%q}`, typ, msg)
}

func epoch(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func fromEpoch(v any) time.Time {
	f, _ := v.(float64)
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1000))*int64(time.Millisecond)).UTC()
}

func (f *fakeCloudTrail) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// aws-sdk-go-v2 sends the short target; older clients (the CLI through
	// botocore's legacy model) the namespaced one: CloudTrail takes both.
	target := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "com.amazonaws.cloudtrail.v20131101.")
	if r.Method != http.MethodPost || r.URL.Path != "/" || target != "CloudTrail_20131101.LookupEvents" ||
		r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		jsonError(w, 400, "UnknownOperationException", "unexpected request "+r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Amz-Target"))
		return
	}
	m := credScope.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		jsonError(w, 403, "UnrecognizedClientException", "unsigned request")
		return
	}
	account, region := m[1], m[2]
	key := account + "/" + region
	var in map[string]any
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &in); err != nil {
		jsonError(w, 400, "SerializationException", err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests[key] = append(f.requests[key], time.Now())
	f.inputs[key] = append(f.inputs[key], in)
	offset := 0
	if tok, _ := in["NextToken"].(string); tok != "" {
		if _, err := fmt.Sscanf(tok, "tok-"+key+"-%d", &offset); err != nil {
			jsonError(w, 400, "InvalidNextTokenException", "bad token")
			return
		}
	}
	page := offset/f.pageSize + 1
	if f.fail != nil {
		if status, typ := f.fail(account, region, page); status != 0 {
			jsonError(w, status, typ, typ+" for "+key)
			return
		}
	}
	start, end := fromEpoch(in["StartTime"]), fromEpoch(in["EndTime"])
	writeOnly := false
	if attrs, _ := in["LookupAttributes"].([]any); len(attrs) == 1 {
		a := attrs[0].(map[string]any)
		writeOnly = a["AttributeKey"] == "ReadOnly" && a["AttributeValue"] == "false"
	}
	var match []ctEvent
	for _, e := range f.events[key] {
		if e.t.Before(start) || e.t.After(end) || (writeOnly && e.readOnly) {
			continue
		}
		match = append(match, e)
	}
	sort.SliceStable(match, func(i, j int) bool { return match[i].t.After(match[j].t) })
	size := f.pageSize
	if mr, ok := in["MaxResults"].(float64); ok && int(mr) < size {
		size = int(mr)
	}
	out := map[string]any{}
	var evs []map[string]any
	for i := offset; i < len(match) && i < offset+size; i++ {
		e := match[i]
		recJSON := e.record
		if recJSON == "" {
			recJSON = apiRecord(e.id, account, region, e.t, e.name, e.readOnly)
		}
		evs = append(evs, map[string]any{"EventId": e.id, "EventName": e.name, "EventTime": epoch(e.t),
			"EventSource": "ec2.amazonaws.com", "ReadOnly": fmt.Sprint(e.readOnly), "Username": "bob",
			"Resources":       []map[string]string{{"ResourceType": "AWS::EC2::SecurityGroup", "ResourceName": "sg-1"}},
			"CloudTrailEvent": recJSON})
	}
	out["Events"] = evs
	if offset+size < len(match) {
		out["NextToken"] = fmt.Sprintf("tok-%s-%d", key, offset+size)
	}
	f.pages[fmt.Sprintf("%s/%d", key, page)]++
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func (f *fakeCloudTrail) requestCount(account, region string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests[account+"/"+region])
}

func (f *fakeCloudTrail) lastInput(account, region string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	in := f.inputs[account+"/"+region]
	return in[len(in)-1]
}

func apiRecord(id, account, region string, t time.Time, name string, readOnly bool) string {
	return fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::%[2]s:user/bob","accountId":"%[2]s","userName":"bob"},"eventTime":%[4]q,"eventSource":"ec2.amazonaws.com","eventName":%[5]q,"awsRegion":%[3]q,"sourceIPAddress":"192.0.2.1","userAgent":"aws-cli/2.15.30","requestParameters":{"groupId":"sg-1"},"responseElements":null,"eventID":%[1]q,"readOnly":%[6]t,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"%[2]s"}`,
		id, account, region, t.UTC().Format(time.RFC3339), name, readOnly)
}

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock {
	t, _ := time.Parse(time.RFC3339, apiBase)
	return &testClock{t: t}
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// ago is an event time d before the clock's current time.
func (c *testClock) ago(d time.Duration) time.Time { return c.Now().Add(-d) }

// apiClients builds clients the way the test server identifies callers:
// static keys AK<account>.
func apiClients(url string) func(account, region string) (LookupAPI, error) {
	return func(account, region string) (LookupAPI, error) {
		if account == "" {
			account = acctA
		}
		return cloudtrail.New(cloudtrail.Options{Region: region, BaseEndpoint: aws.String(url),
			Credentials: credentials.NewStaticCredentialsProvider("AK"+account, "testsecret", "")}), nil
	}
}

type counters struct{ throttled, ingested atomic.Int64 }

func (c *counters) apply(cfg *APIConfig) {
	cfg.Throttled = func() { c.throttled.Add(1) }
	cfg.Ingested = func(n int) { c.ingested.Add(int64(n)) }
}

// apiTestConfig is a fast configuration against the fake server.
func apiTestConfig(srvURL string, clock *testClock, accounts, regions []string) APIConfig {
	cfg := APIConfig{Accounts: accounts, Regions: regions, RateLimit: 1000, BaseBackoff: time.Millisecond,
		MaxBackoff: 5 * time.Millisecond, Now: clock.Now, ClientFor: apiClients(srvURL)}
	if len(accounts) > 1 {
		cfg.RoleARNTemplate = "arn:aws:iam::{account}:role/audit"
	}
	return cfg
}

func eventIDs(b collectors.EventBatch) []string {
	out := make([]string, len(b.Events))
	for i, e := range b.Events {
		out[i] = e.ID
	}
	return out
}

func readCheckpoint(t *testing.T, v string) apiCheckpoint {
	t.Helper()
	var c apiCheckpoint
	require.NoError(t, json.Unmarshal([]byte(v), &c))
	return c
}

func TestAPIPaginationOrderAndCheckpoint(t *testing.T) {
	clock := newClock()
	f := newFakeCloudTrail(3)
	for i := 0; i < 7; i++ {
		f.add(acctA, "eu-west-1", ctEvent{id: fmt.Sprintf("e%d", i), t: clock.ago(time.Duration(50-i*6) * time.Minute), name: "AuthorizeSecurityGroupIngress"})
	}
	f.add(acctA, "eu-west-1", ctEvent{id: "ro", t: clock.ago(10 * time.Minute), name: "DescribeInstances", readOnly: true})
	f.add(acctA, "eu-west-1", ctEvent{id: "too-old", t: clock.ago(2 * time.Hour), name: "DeleteVpc"})
	srv := httptest.NewServer(f)
	defer srv.Close()

	var c counters
	cfg := apiTestConfig(srv.URL, clock, []string{acctA}, []string{"eu-west-1"})
	c.apply(&cfg)
	src, err := NewAPISource("ct-api", cfg)
	require.NoError(t, err)
	cp := memCheckpoints{}
	b, errs := src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, []string{"e0", "e1", "e2", "e3", "e4", "e5", "e6"}, eventIDs(b), "all three pages, oldest first, read-only and older than the lookback left out")
	require.Equal(t, 3, f.requestCount(acctA, "eu-west-1"))
	require.EqualValues(t, 7, c.ingested.Load())
	for i := 1; i < len(b.Events); i++ {
		require.True(t, b.Events[i-1].Time.Before(b.Events[i].Time))
	}
	e := b.Events[0]
	require.Equal(t, "ec2:AuthorizeSecurityGroupIngress", e.Action)
	require.Equal(t, "arn:aws:iam::111122223333:user/bob", e.Principal.ID)
	require.Contains(t, e.Resources, "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1", "resources from the identity table")
	require.Equal(t, acctA, e.Account)
	require.Equal(t, "eu-west-1", e.Region)

	in := f.lastInput(acctA, "eu-west-1")
	require.EqualValues(t, 50, in["MaxResults"])
	require.Equal(t, []any{map[string]any{"AttributeKey": "ReadOnly", "AttributeValue": "false"}}, in["LookupAttributes"])
	require.Equal(t, clock.ago(time.Hour), fromEpoch(in["StartTime"]), "first run: now - initial lookback")
	require.Equal(t, clock.Now(), fromEpoch(in["EndTime"]))

	require.Len(t, b.Checkpoints, 1)
	v := b.Checkpoints["api:111122223333/eu-west-1"]
	c1 := readCheckpoint(t, v)
	require.True(t, c1.Time.Equal(clock.Now()))
	require.Empty(t, c1.IDs, "no event in the last 5 minutes")
	cp.commit(b)

	// Next cycle: from checkpoint - overlap; nothing new, nothing returned.
	clock.add(10 * time.Minute)
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Empty(t, b.Events)
	in = f.lastInput(acctA, "eu-west-1")
	require.Equal(t, clock.ago(15*time.Minute), fromEpoch(in["StartTime"]))
	require.EqualValues(t, 7, c.ingested.Load())

	// include_read_only: no attribute filter, read-only events kept.
	cfg.IncludeReadOnly = true
	src2, err := NewAPISource("ct-api-ro", cfg)
	require.NoError(t, err)
	b, errs = src2.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Contains(t, eventIDs(b), "ro")
	require.NotContains(t, f.lastInput(acctA, "eu-west-1"), "LookupAttributes")
}

func TestAPIRetries(t *testing.T) {
	for _, tc := range []struct {
		name          string
		failures      []int // statuses answered to page 2 before it succeeds
		typ           string
		wantErr       string
		wantThrottled int64
	}{
		{name: "throttling then success", failures: []int{400, 400}, typ: "ThrottlingException", wantThrottled: 2},
		{name: "500 then success", failures: []int{500}, typ: "InternalServerError"},
		{name: "503 then success", failures: []int{503, 503}, typ: "ServiceUnavailable"},
		{name: "throttled beyond max attempts", failures: []int{400, 400, 400, 400, 400}, typ: "ThrottlingException", wantThrottled: 4,
			wantErr: "ct-api: account 111122223333 region eu-west-1: looking up events (page 2): giving up after 4 attempts"},
		{name: "persistent 500", failures: []int{500, 500, 500, 500, 500}, typ: "InternalServerError",
			wantErr: "account 111122223333 region eu-west-1: looking up events (page 2): giving up after 4 attempts"},
		{name: "client error not retried", failures: []int{400, 400}, typ: "InvalidLookupAttributesException",
			wantErr: "account 111122223333 region eu-west-1: looking up events (page 2)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			f := newFakeCloudTrail(2)
			for i := 0; i < 5; i++ {
				f.add(acctA, "eu-west-1", ctEvent{id: fmt.Sprintf("e%d", i), t: clock.ago(time.Duration(30-i) * time.Minute), name: "DeleteVpc"})
			}
			failed := 0
			f.fail = func(_, _ string, page int) (int, string) {
				if page == 2 && failed < len(tc.failures) {
					failed++
					return tc.failures[failed-1], tc.typ
				}
				return 0, ""
			}
			srv := httptest.NewServer(f)
			defer srv.Close()
			var c counters
			cfg := apiTestConfig(srv.URL, clock, []string{acctA}, []string{"eu-west-1"})
			cfg.MaxAttempts = 4
			c.apply(&cfg)
			src, err := NewAPISource("ct-api", cfg)
			require.NoError(t, err)
			b, errs := src.Events(context.Background(), memCheckpoints{})
			require.Equal(t, tc.wantThrottled, c.throttled.Load())
			if tc.wantErr != "" {
				require.Len(t, errs, 1)
				require.Contains(t, errs[0].Error(), tc.wantErr)
				var ie *collectors.InputError
				require.ErrorAs(t, errs[0], &ie)
				require.Empty(t, b.Checkpoints, "a failed account/region keeps its checkpoint")
				require.Empty(t, b.Events, "a partly read window is not returned")
				require.Zero(t, c.ingested.Load())
				if tc.typ == "InvalidLookupAttributesException" {
					require.Equal(t, 1, failed, "a client error is not retried")
				}
				return
			}
			require.Empty(t, errs)
			require.Equal(t, []string{"e0", "e1", "e2", "e3", "e4"}, eventIDs(b), "each event once, though page 2 was requested several times")
			require.Equal(t, 1, f.pages[acctA+"/eu-west-1/1"], "page 1 read once")
			require.Equal(t, 1, f.pages[acctA+"/eu-west-1/2"], "page 2 read once it succeeded")
			require.Len(t, b.Checkpoints, 1)
		})
	}
}

func TestAPIExpiredCredentials(t *testing.T) {
	clock := newClock()
	f := newFakeCloudTrail(50)
	for _, a := range []string{acctA, acctB} {
		for _, r := range []string{"eu-west-1", "us-east-1"} {
			f.add(a, r, ctEvent{id: a + r, t: clock.ago(time.Minute), name: "DeleteVpc"})
		}
	}
	f.fail = func(account, _ string, _ int) (int, string) {
		if account == acctA {
			return 400, "ExpiredTokenException"
		}
		return 0, ""
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	cfg := apiTestConfig(srv.URL, clock, []string{acctA, acctB}, []string{"eu-west-1", "us-east-1"})
	cfg.Concurrency = 1
	src, err := NewAPISource("ct-api", cfg)
	require.NoError(t, err)
	b, errs := src.Events(context.Background(), memCheckpoints{})
	require.Len(t, errs, 1, "one error for the account, not one per region or attempt")
	require.Contains(t, errs[0].Error(), "credentials of account 111122223333 rejected (ExpiredTokenException)")
	require.Equal(t, 1, f.requestCount(acctA, "eu-west-1")+f.requestCount(acctA, "us-east-1"), "no retry, the account's other region skipped")
	require.Equal(t, []string{acctB + "eu-west-1", acctB + "us-east-1"}, ids(b.Events))
	require.Len(t, b.Checkpoints, 2)
	require.Contains(t, b.Checkpoints, "api:444455556666/eu-west-1")
	require.Contains(t, b.Checkpoints, "api:444455556666/us-east-1")

	// Fresh credentials next cycle: the account is read again.
	f.fail = nil
	b, errs = src.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Len(t, b.Events, 4)
}

func TestAPIOverlapDoesNotDuplicate(t *testing.T) {
	clock := newClock()
	f := newFakeCloudTrail(2)
	f.add(acctA, "eu-west-1",
		ctEvent{id: "old", t: clock.ago(20 * time.Minute), name: "DeleteVpc"},
		ctEvent{id: "in-overlap-1", t: clock.ago(4 * time.Minute), name: "DeleteVpc"},
		ctEvent{id: "in-overlap-2", t: clock.ago(time.Minute), name: "DeleteVpc"})
	srv := httptest.NewServer(f)
	defer srv.Close()
	cfg := apiTestConfig(srv.URL, clock, []string{acctA}, []string{"eu-west-1"})
	src, err := NewAPISource("ct-api", cfg)
	require.NoError(t, err)
	cp := memCheckpoints{}
	b, errs := src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, []string{"old", "in-overlap-1", "in-overlap-2"}, eventIDs(b))
	c1 := readCheckpoint(t, b.Checkpoints["api:111122223333/eu-west-1"])
	require.Equal(t, []string{"in-overlap-1", "in-overlap-2"}, c1.IDs, "the ids the next cycle reads again")
	cp.commit(b)
	first := clock.Now()

	// Two minutes later: a new event, and one CloudTrail made visible late
	// (it happened before the checkpoint, inside the overlap).
	clock.add(2 * time.Minute)
	f.add(acctA, "eu-west-1",
		ctEvent{id: "late", t: first.Add(-2 * time.Minute), name: "DeleteVpc"},
		ctEvent{id: "new", t: clock.ago(30 * time.Second), name: "DeleteVpc"})
	before := f.requestCount(acctA, "eu-west-1")
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, first.Add(-5*time.Minute), fromEpoch(f.lastInput(acctA, "eu-west-1")["StartTime"]))
	require.Equal(t, 2, f.requestCount(acctA, "eu-west-1")-before, "the server re-delivered the overlap (4 events, 2 pages)")
	require.Equal(t, []string{"late", "new"}, eventIDs(b), "events seen in the overlap are not returned again")
	c2 := readCheckpoint(t, b.Checkpoints["api:111122223333/eu-west-1"])
	require.Equal(t, []string{"in-overlap-2", "late", "new"}, c2.IDs)
	cp.commit(b)

	// And again: nothing.
	clock.add(time.Minute)
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Empty(t, b.Events)
}

func TestAPIAccountsRegionsOwnCheckpoints(t *testing.T) {
	clock := newClock()
	f := newFakeCloudTrail(50)
	accounts, regions := []string{acctA, acctB}, []string{"eu-west-1", "us-east-1"}
	for i, a := range accounts {
		for j, r := range regions {
			f.add(a, r, ctEvent{id: a + "-" + r, t: clock.ago(time.Duration(1+i*2+j) * time.Minute), name: "DeleteVpc"})
		}
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	src, err := NewAPISource("ct-api", apiTestConfig(srv.URL, clock, accounts, regions))
	require.NoError(t, err)
	cp := memCheckpoints{}
	b, errs := src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, []string{acctB + "-us-east-1", acctB + "-eu-west-1", acctA + "-us-east-1", acctA + "-eu-west-1"}, eventIDs(b), "oldest first across accounts and regions")
	require.Len(t, b.Checkpoints, 4)
	for _, a := range accounts {
		for _, r := range regions {
			c := readCheckpoint(t, b.Checkpoints["api:"+a+"/"+r])
			require.Equal(t, []string{a + "-" + r}, c.IDs, "each account/region records its own events")
			require.Equal(t, 1, f.requestCount(a, r))
		}
	}
	cp.commit(b)

	// One account/region advances on its own: only its event is new.
	clock.add(time.Minute)
	f.add(acctB, "eu-west-1", ctEvent{id: "b-new", t: clock.ago(10 * time.Second), name: "DeleteVpc"})
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, []string{"b-new"}, eventIDs(b))
	require.Len(t, b.Checkpoints, 4)
}

func TestAPIBadRecord(t *testing.T) {
	clock := newClock()
	f := newFakeCloudTrail(50)
	f.add(acctA, "eu-west-1",
		ctEvent{id: "good", t: clock.ago(3 * time.Minute), name: "DeleteVpc"},
		ctEvent{id: "broken", t: clock.ago(2 * time.Minute), name: "DeleteVpc", record: `{"eventVersion": "1.0", truncated`},
		ctEvent{id: "no-time", t: clock.ago(time.Minute), name: "DeleteVpc", record: `{"eventSource":"ec2.amazonaws.com","eventName":"DeleteVpc","userIdentity":{"type":"SomethingNew","arn":"arn:aws:iam::111122223333:user/x"}}`})
	srv := httptest.NewServer(f)
	defer srv.Close()
	src, err := NewAPISource("ct-api", apiTestConfig(srv.URL, clock, []string{acctA}, []string{"eu-west-1"}))
	require.NoError(t, err)
	b, errs := src.Events(context.Background(), memCheckpoints{})
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "ct-api: account 111122223333 region eu-west-1: event broken: decoding CloudTrail record")
	require.Equal(t, []string{"good", "no-time"}, eventIDs(b), "a bad record costs only itself")
	nt := b.Events[1]
	require.Equal(t, clock.ago(time.Minute), nt.Time, "a record without eventTime takes the API's EventTime")
	require.Equal(t, acctA, nt.Account)
	require.Len(t, b.Checkpoints, 1, "a record that can never be read does not hold the checkpoint back")
}

func TestAPIRateLimiter(t *testing.T) {
	clock := newClock()
	f := newFakeCloudTrail(1)
	for i := 0; i < 6; i++ {
		f.add(acctA, "eu-west-1", ctEvent{id: fmt.Sprintf("e%d", i), t: clock.ago(time.Duration(10+i) * time.Minute), name: "DeleteVpc"})
		f.add(acctA, "us-east-1", ctEvent{id: fmt.Sprintf("u%d", i), t: clock.ago(time.Duration(10+i) * time.Minute), name: "DeleteVpc"})
	}
	throttledOnce := false
	f.fail = func(_, region string, page int) (int, string) {
		if region == "eu-west-1" && page == 3 && !throttledOnce {
			throttledOnce = true
			return 400, "ThrottlingException"
		}
		return 0, ""
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	const perSecond = 20.0
	cfg := apiTestConfig(srv.URL, clock, []string{acctA}, []string{"eu-west-1", "us-east-1"})
	cfg.RateLimit = perSecond
	cfg.BaseBackoff = time.Nanosecond // the limiter alone spaces the retry
	src, err := NewAPISource("ct-api", cfg)
	require.NoError(t, err)
	for cycle := 0; cycle < 2; cycle++ { // the bucket persists across cycles
		b, errs := src.Events(context.Background(), memCheckpoints{})
		require.Empty(t, errs)
		require.Len(t, b.Events, 12)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range []string{"eu-west-1", "us-east-1"} {
		times := f.requests[acctA+"/"+r]
		require.GreaterOrEqual(t, len(times), 12)
		// At most rate x window + 1 (the burst) requests in any window.
		window := 250 * time.Millisecond
		for i := range times {
			n := 0
			for j := i; j < len(times) && times[j].Sub(times[i]) < window; j++ {
				n++
			}
			require.LessOrEqual(t, float64(n), perSecond*window.Seconds()+1, "%s: %d requests within %v", r, n, window)
		}
		total := times[len(times)-1].Sub(times[0])
		require.GreaterOrEqual(t, total.Seconds(), float64(len(times)-1)/perSecond*0.9, "%s: %d requests in %v", r, len(times), total)
	}
	// The regions have their own buckets: they ran side by side.
	eu, us := f.requests[acctA+"/eu-west-1"], f.requests[acctA+"/us-east-1"]
	require.Less(t, us[0].Sub(eu[0]).Abs(), 200*time.Millisecond)
}

// fakeSTS answers AssumeRole (query protocol, XML) with per-account keys.
type fakeSTS struct {
	mu    sync.Mutex
	calls []map[string]string
	deny  string // account whose role cannot be assumed
}

var roleAccount = regexp.MustCompile(`^arn:aws:iam::(\d{12}):role/`)

func (s *fakeSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	call := map[string]string{}
	for k := range r.PostForm {
		call[k] = r.PostForm.Get(k)
	}
	s.mu.Lock()
	s.calls = append(s.calls, call)
	s.mu.Unlock()
	m := roleAccount.FindStringSubmatch(call["RoleArn"])
	w.Header().Set("Content-Type", "text/xml")
	if call["Action"] != "AssumeRole" || m == nil || m[1] == s.deny {
		w.WriteHeader(403)
		fmt.Fprint(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform sts:AssumeRole</Message></Error><RequestId>r</RequestId></ErrorResponse>`)
		return
	}
	fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIA%[1]s</AccessKeyId><SecretAccessKey>sessionsecret%[1]s</SecretAccessKey><SessionToken>TOKEN%[1]s</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::%[1]s:assumed-role/audit/%[2]s</Arn><AssumedRoleId>AROAEXAMPLE:%[2]s</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></AssumeRoleResponse>`, m[1], call["RoleSessionName"])
}

func TestAPIAssumeRolePerAccount(t *testing.T) {
	const externalID = "PLANTED-external-id-5f2a9c"
	clock := newClock()
	f := newFakeCloudTrail(50)
	const acctC = "777788889999"
	for _, a := range []string{acctA, acctB, acctC} {
		f.add(a, "eu-west-1", ctEvent{id: "ev-" + a, t: clock.ago(time.Minute), name: "DeleteVpc"})
	}
	ct := httptest.NewServer(f)
	defer ct.Close()
	sts := &fakeSTS{deny: acctC}
	stsSrv := httptest.NewServer(sts)
	defer stsSrv.Close()

	var logs bytes.Buffer
	src, err := NewAPISource("ct-api", APIConfig{
		Accounts: []string{acctA, acctB, acctC}, Regions: []string{"eu-west-1"},
		RoleARNTemplate: "arn:aws:iam::{account}:role/driftwarden-audit", ExternalID: externalID, SessionName: "dw-audit",
		Endpoint: ct.URL, STSEndpoint: stsSrv.URL, Region: "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDBASE", "basesecret", ""),
		RateLimit:   1000, MaxAttempts: 2, BaseBackoff: time.Millisecond, Now: clock.Now,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	require.NoError(t, err)
	var errs []error
	var all []string
	for cycle := 0; cycle < 2; cycle++ {
		var b collectors.EventBatch
		b, errs = src.Events(context.Background(), memCheckpoints{})
		all = append(all, ids(b.Events)...)
		require.Len(t, errs, 1, "the account whose role cannot be assumed")
		require.Contains(t, errs[0].Error(), "account 777788889999 region eu-west-1")
		require.Contains(t, errs[0].Error(), "AccessDenied")
		require.NotContains(t, b.Checkpoints, "api:777788889999/eu-west-1")
		require.Len(t, b.Checkpoints, 2)
	}
	require.Equal(t, []string{"ev-" + acctA, "ev-" + acctB, "ev-" + acctA, "ev-" + acctB}, all, "each account read with its own role's credentials")

	sts.mu.Lock()
	defer sts.mu.Unlock()
	perRole := map[string]int{}
	for _, c := range sts.calls {
		if c["RoleArn"] == "" {
			continue
		}
		perRole[c["RoleArn"]]++
		require.Equal(t, "AssumeRole", c["Action"])
		require.Equal(t, externalID, c["ExternalId"], "the external id is sent")
		require.Equal(t, "dw-audit", c["RoleSessionName"])
	}
	require.Equal(t, 1, perRole["arn:aws:iam::111122223333:role/driftwarden-audit"], "credentials cached across cycles")
	require.Equal(t, 1, perRole["arn:aws:iam::444455556666:role/driftwarden-audit"])
	require.GreaterOrEqual(t, perRole["arn:aws:iam::777788889999:role/driftwarden-audit"], 1)

	require.NotEmpty(t, logs.String())
	require.NotContains(t, logs.String(), externalID, "the external id never reaches the logs")
	require.NotContains(t, logs.String(), "basesecret")
	require.NotContains(t, logs.String(), "sessionsecret")
	for _, err := range errs {
		require.NotContains(t, err.Error(), externalID)
	}
}

// TestAPIRestartLosesAndDuplicatesNothing runs the source against a real
// (SQLite) store with the engine's commit: checkpoints are written by
// RecordCycle together with the cycle, and only then do its events count.
func TestAPIRestartLosesAndDuplicatesNothing(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "dw.db"), store.Options{})
	require.NoError(t, err)
	defer st.Close()

	clock := newClock()
	f := newFakeCloudTrail(2)
	accounts, regions := []string{acctA, acctB}, []string{"eu-west-1", "us-east-1"}
	var want []string
	addEvents := func(tag string, n int, age time.Duration) {
		for _, a := range accounts {
			for _, r := range regions {
				for i := 0; i < n; i++ {
					id := fmt.Sprintf("%s-%s-%s-%d", tag, a, r, i)
					f.add(a, r, ctEvent{id: id, t: clock.ago(age - time.Duration(i)*time.Second), name: "DeleteVpc"})
					want = append(want, id)
				}
			}
		}
	}
	addEvents("c1", 5, 20*time.Minute) // 3 pages per account/region

	cfg := apiTestConfig(srv0(t, f), clock, accounts, regions)
	cfg.MaxAttempts = 2
	src, err := NewAPISource("ct-api", cfg)
	require.NoError(t, err)

	recorded := map[string]int{}
	commit := func(b collectors.EventBatch, errs []error) {
		rec := store.CycleRecord{StartedAt: clock.Now(), FinishedAt: clock.Now(), Status: "ok"}
		if len(errs) > 0 {
			rec.Status = "partial"
		}
		for k, v := range b.Checkpoints {
			rec.Checkpoints = append(rec.Checkpoints, store.Checkpoint{Source: b.Source, Key: k, Value: v})
		}
		_, _, err := st.RecordCycle(ctx, rec)
		require.NoError(t, err)
		for _, e := range b.Events {
			recorded[e.ID]++
		}
	}
	failB := func(account, region string, page int) (int, string) {
		if account == acctB && region == "us-east-1" && page == 2 {
			return 500, "InternalServerError"
		}
		return 0, ""
	}

	// Cycle 1: account A read whole, B/us-east-1 fails on page 2; the
	// process dies before the cycle is recorded.
	f.fail = failB
	b, errs := src.Events(ctx, st)
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "account 444455556666 region us-east-1: looking up events (page 2)")
	require.Len(t, b.Events, 15, "A's two regions and B/eu-west-1")
	require.Len(t, b.Checkpoints, 3)

	// Restart: a new source (new process), same store. Still failing; this
	// cycle is recorded.
	clock.add(2 * time.Minute)
	addEvents("c2", 1, 30*time.Second)
	src, err = NewAPISource("ct-api", cfg)
	require.NoError(t, err)
	b, errs = src.Events(ctx, st)
	require.Len(t, errs, 1)
	require.Len(t, b.Events, 18)
	commit(b, errs)

	// Cycle 3: recovered; a late event in the overlap and new ones arrive.
	clock.add(3 * time.Minute)
	f.fail = nil
	f.add(acctA, "eu-west-1", ctEvent{id: "late", t: clock.ago(4 * time.Minute), name: "DeleteVpc"})
	want = append(want, "late")
	addEvents("c3", 1, 10*time.Second)
	b, errs = src.Events(ctx, st)
	require.Empty(t, errs)
	commit(b, errs)

	// Cycle 4: nothing new.
	clock.add(time.Minute)
	b, errs = src.Events(ctx, st)
	require.Empty(t, errs)
	require.Empty(t, b.Events)
	commit(b, errs)

	var got []string
	for id, n := range recorded {
		require.Equal(t, 1, n, "event %s recorded %d times", id, n)
		got = append(got, id)
	}
	sort.Strings(got)
	sort.Strings(want)
	require.Equal(t, want, got, "nothing lost")
	v, err := st.Checkpoint(ctx, "ct-api", "api:444455556666/us-east-1")
	require.NoError(t, err)
	require.True(t, readCheckpoint(t, v).Time.Equal(clock.Now()))
}

func srv0(t *testing.T, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestNewAPISourceRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  APIConfig
		want string
	}{
		{APIConfig{Accounts: []string{acctA}}, "at least one region"},
		{APIConfig{Regions: []string{"eu-west-1"}, RoleARNTemplate: "arn:aws:iam::{account}:role/x"}, "needs the accounts"},
		{APIConfig{Regions: []string{"eu-west-1"}, Accounts: []string{acctA, acctB}}, "several accounts need a role ARN template"},
		{APIConfig{Regions: []string{"eu-west-1"}, RateLimit: -1}, "rate limit"},
	} {
		_, err := NewAPISource("x", tc.cfg)
		require.ErrorContains(t, err, tc.want)
	}
}

func TestAPIDefaultAccountAndBackoff(t *testing.T) {
	clock := newClock()
	f := newFakeCloudTrail(50)
	f.add(acctA, "eu-west-1", ctEvent{id: "e", t: clock.ago(time.Minute), name: "DeleteVpc"})
	src, err := NewAPISource("ct-api", APIConfig{Regions: []string{"eu-west-1"}, Now: clock.Now, RateLimit: 1000,
		Endpoint: srv0(t, f), Credentials: credentials.NewStaticCredentialsProvider("AK"+acctA, "s", "")})
	require.NoError(t, err)
	b, errs := src.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Equal(t, []string{"e"}, eventIDs(b))
	require.Contains(t, b.Checkpoints, "api:default/eu-west-1", "the default chain's account")

	// Defaults, and backoff within [d/2, d], doubling up to the cap.
	require.Equal(t, DefaultAPIOverlap, src.cfg.Overlap)
	require.Equal(t, DefaultAPIInitialLookback, src.cfg.InitialLookback)
	require.Equal(t, DefaultAPIMaxAge, src.cfg.MaxAge)
	for attempt, d := range map[int]time.Duration{1: 500 * time.Millisecond, 2: time.Second, 3: 2 * time.Second, 10: 20 * time.Second, 60: 20 * time.Second} {
		for i := 0; i < 20; i++ {
			got := src.backoff(attempt)
			require.GreaterOrEqual(t, got, d/2)
			require.LessOrEqual(t, got, d)
		}
	}

	// A checkpoint older than LookupEvents reaches starts at now - 90 days.
	cp := memCheckpoints{"ct-api|api:default/eu-west-1": fmt.Sprintf(`{"time":%q}`, clock.ago(200*24*time.Hour).Format(time.RFC3339))}
	_, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, clock.ago(DefaultAPIMaxAge), fromEpoch(f.lastInput(acctA, "eu-west-1")["StartTime"]))
	// An unreadable checkpoint starts over from the initial lookback.
	cp = memCheckpoints{"ct-api|api:default/eu-west-1": `not json`}
	_, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, clock.ago(time.Hour), fromEpoch(f.lastInput(acctA, "eu-west-1")["StartTime"]))
}
