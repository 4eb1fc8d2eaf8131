package cloudtrail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
)

// intercept answers some requests itself before they reach the fake
// CloudTrail: answer returns true when it wrote the response.
type intercept struct {
	next   http.Handler
	mu     sync.Mutex
	answer func(account, region, token, session string, w http.ResponseWriter) bool
}

func (i *intercept) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var in struct{ NextToken string }
	_ = json.Unmarshal(body, &in)
	account, region := "", ""
	if m := credScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		account, region = m[1], m[2]
	}
	i.mu.Lock()
	answered := i.answer != nil && i.answer(account, region, in.NextToken, r.Header.Get("X-Amz-Security-Token"), w)
	i.mu.Unlock()
	if !answered {
		i.next.ServeHTTP(w, r)
	}
}

// cutResponse announces a LookupEvents page, sends part of it and closes
// the connection; reset makes the close an RST (connection reset by peer).
func cutResponse(w http.ResponseWriter, reset bool) {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	part := `{"Events":[{"EventId":"partial","EventName":"DeleteVpc","EventTime":1.714564805E9,"CloudTrailEvent":"{\"eventVersion\":\"1.09\",`
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-RequestId: 0c7d1f2e-0000-4000-8000-000000000001\r\nContent-Length: %d\r\n\r\n%s", len(part)+4000, part)
	_ = buf.Flush()
	if tc, ok := conn.(*net.TCPConn); ok && reset {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// TestAPIRealErrorShapes: CloudTrail's throttling and failure answers, in
// each spelling the service uses, and a connection lost mid-response, are
// retried on the same page; nothing is lost or returned twice.
func TestAPIRealErrorShapes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		write     func(w http.ResponseWriter)
		throttled int64
	}{
		{"namespaced __type", func(w http.ResponseWriter) {
			jsonError(w, 400, "com.amazonaws.cloudtrail#ThrottlingException", "Rate exceeded")
		}, 2},
		{"plain __type", func(w http.ResponseWriter) { jsonError(w, 400, "ThrottlingException", "Rate exceeded") }, 2},
		{"x-amzn-ErrorType header only", func(w http.ResponseWriter) {
			w.Header().Set("x-amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.availability/")
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(400)
			fmt.Fprint(w, `{"message":"Rate exceeded"}`)
		}, 2},
		{"500 InternalFailure", func(w http.ResponseWriter) { jsonError(w, 500, "InternalFailure", "An internal error occurred") }, 0},
		{"503 ServiceUnavailable", func(w http.ResponseWriter) {
			w.Header().Set("x-amzn-ErrorType", "ServiceUnavailable")
			w.WriteHeader(503)
			fmt.Fprint(w, `{"message":"Service Unavailable"}`)
		}, 0},
		{"connection closed mid-response", func(w http.ResponseWriter) { cutResponse(w, false) }, 0},
		{"connection reset mid-response", func(w http.ResponseWriter) { cutResponse(w, true) }, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newClock()
			f := newFakeCloudTrail(2)
			for i := 0; i < 5; i++ {
				f.add(acctA, "eu-west-1", ctEvent{id: fmt.Sprintf("e%d", i), t: clock.ago(time.Duration(30-i) * time.Minute), name: "DeleteVpc"})
			}
			failures := 0
			h := &intercept{next: f, answer: func(_, _, token, _ string, w http.ResponseWriter) bool {
				if token != "" && failures < 2 {
					failures++
					tc.write(w)
					return true
				}
				return false
			}}
			var c counters
			cfg := apiTestConfig(srv0(t, h), clock, []string{acctA}, []string{"eu-west-1"})
			c.apply(&cfg)
			src, err := NewAPISource("ct-api", cfg)
			require.NoError(t, err)
			b, errs := src.Events(context.Background(), memCheckpoints{})
			require.Empty(t, errs)
			require.Equal(t, 2, failures)
			require.Equal(t, tc.throttled, c.throttled.Load(), "throttling is counted as such")
			require.Equal(t, []string{"e0", "e1", "e2", "e3", "e4"}, eventIDs(b))
			require.Equal(t, 1, f.pages[acctA+"/eu-west-1/2"], "page 2 read into the batch once")
			require.Len(t, b.Checkpoints, 1)
		})
	}
}

// TestAPIDeniedRegionCostsOnlyItself: AccessDeniedException (an SCP denying
// a region, a missing cloudtrail:LookupEvents) fails that account and
// region alone, once, with an error naming both; the rest is read.
func TestAPIDeniedRegionCostsOnlyItself(t *testing.T) {
	clock := newClock()
	f := newFakeCloudTrail(50)
	accounts, regions := []string{acctA, acctB}, []string{"eu-west-1", "us-east-1"}
	for _, a := range accounts {
		for _, r := range regions {
			f.add(a, r, ctEvent{id: a + "-" + r, t: clock.ago(time.Minute), name: "DeleteVpc"})
		}
	}
	denied := 0
	h := &intercept{next: f, answer: func(account, region, _, _ string, w http.ResponseWriter) bool {
		if account == acctA && region == "us-east-1" {
			denied++
			jsonError(w, 400, "com.amazonaws.cloudtrail#AccessDeniedException",
				"User: arn:aws:sts::111122223333:assumed-role/audit/driftwarden is not authorized to perform: cloudtrail:LookupEvents with an explicit deny in a service control policy")
			return true
		}
		return false
	}}
	src, err := NewAPISource("ct-api", apiTestConfig(srv0(t, h), clock, accounts, regions))
	require.NoError(t, err)
	b, errs := src.Events(context.Background(), memCheckpoints{})
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "ct-api: account 111122223333 region us-east-1: looking up events (page 1)")
	require.Contains(t, errs[0].Error(), "AccessDeniedException")
	require.Contains(t, errs[0].Error(), "service control policy")
	require.Equal(t, 1, denied, "not retried")
	require.Len(t, b.Events, 3)
	require.Len(t, b.Checkpoints, 3)
	require.NotContains(t, b.Checkpoints, "api:111122223333/us-east-1")
}

// TestAPIStaleNextToken: InvalidNextTokenException mid-listing reads the
// window again from its first page, once: nothing lost, nothing twice; a
// token that keeps failing ends with one error, not a loop.
func TestAPIStaleNextToken(t *testing.T) {
	for _, persistent := range []bool{false, true} {
		t.Run(fmt.Sprint("persistent=", persistent), func(t *testing.T) {
			clock := newClock()
			f := newFakeCloudTrail(2)
			for i := 0; i < 5; i++ {
				f.add(acctA, "eu-west-1", ctEvent{id: fmt.Sprintf("e%d", i), t: clock.ago(time.Duration(30-i) * time.Minute), name: "DeleteVpc"})
			}
			rejected := 0
			h := &intercept{next: f, answer: func(_, _, token, _ string, w http.ResponseWriter) bool {
				if strings.HasSuffix(token, "-4") && (persistent || rejected == 0) {
					rejected++
					jsonError(w, 400, "com.amazonaws.cloudtrail#InvalidNextTokenException", "Invalid NextToken")
					return true
				}
				return false
			}}
			var logs bytes.Buffer
			cfg := apiTestConfig(srv0(t, h), clock, []string{acctA}, []string{"eu-west-1"})
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			src, err := NewAPISource("ct-api", cfg)
			require.NoError(t, err)
			b, errs := src.Events(context.Background(), memCheckpoints{})
			require.Contains(t, logs.String(), "reading the window again from the first page")
			if persistent {
				require.Equal(t, 2, rejected, "one restart, then give up")
				require.Len(t, errs, 1)
				require.Contains(t, errs[0].Error(), "account 111122223333 region eu-west-1: looking up events (page 3)")
				require.Contains(t, errs[0].Error(), "InvalidNextTokenException")
				require.Empty(t, b.Events)
				require.Empty(t, b.Checkpoints, "the window is read again next cycle")
				return
			}
			require.Empty(t, errs)
			require.Equal(t, 1, rejected)
			require.Equal(t, []string{"e0", "e1", "e2", "e3", "e4"}, eventIDs(b), "each once, though pages 1 and 2 were read twice")
			c := readCheckpoint(t, b.Checkpoints["api:111122223333/eu-west-1"])
			require.True(t, c.Time.Equal(clock.Now()))
		})
	}
}

// TestAPIStaleNextTokenBadRecordOnce: a bad record on a page read again
// after a stale NextToken is reported once, not once per reading.
func TestAPIStaleNextTokenBadRecordOnce(t *testing.T) {
	clock := newClock()
	f := newFakeCloudTrail(2)
	f.add(acctA, "eu-west-1", ctEvent{id: "bad-1", t: clock.ago(10 * time.Minute), name: "DeleteVpc", record: `{"eventVersion":"1.09","eventTime":`})
	for i := 0; i < 5; i++ {
		f.add(acctA, "eu-west-1", ctEvent{id: fmt.Sprintf("e%d", i), t: clock.ago(time.Duration(30-i) * time.Minute), name: "DeleteVpc"})
	}
	rejected := 0
	h := &intercept{next: f, answer: func(_, _, token, _ string, w http.ResponseWriter) bool {
		if strings.HasSuffix(token, "-4") && rejected == 0 {
			rejected++
			jsonError(w, 400, "InvalidNextTokenException", "Invalid NextToken")
			return true
		}
		return false
	}}
	src, err := NewAPISource("ct-api", apiTestConfig(srv0(t, h), clock, []string{acctA}, []string{"eu-west-1"}))
	require.NoError(t, err)
	b, errs := src.Events(context.Background(), memCheckpoints{})
	require.Equal(t, 1, rejected)
	require.Len(t, errs, 1, "the bad record once, though page 1 was read twice")
	require.Contains(t, errs[0].Error(), "event bad-1")
	require.Equal(t, []string{"e0", "e1", "e2", "e3", "e4"}, eventIDs(b))
	require.Contains(t, b.Checkpoints, "api:111122223333/eu-west-1", "a bad record does not hold the checkpoint back")
}

// TestAPIRepeatedNextToken: a service answering the same NextToken again
// ends the listing with an error instead of looping.
func TestAPIRepeatedNextToken(t *testing.T) {
	clock := newClock()
	n := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fmt.Fprintf(w, `{"Events":[{"EventId":"e%d","EventName":"DeleteVpc","EventTime":%d,"CloudTrailEvent":%q}],"NextToken":"same-token"}`,
			n, clock.ago(time.Minute).Unix(), apiRecord(fmt.Sprint("e", n), acctA, "eu-west-1", clock.ago(time.Minute), "DeleteVpc", false))
	})
	src, err := NewAPISource("ct-api", apiTestConfig(srv0(t, h), clock, []string{acctA}, []string{"eu-west-1"}))
	require.NoError(t, err)
	b, errs := src.Events(context.Background(), memCheckpoints{})
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "NextToken it had already returned")
	require.Equal(t, 2, n)
	require.Empty(t, b.Checkpoints)
}

// TestAPILookupEventsWireShape: a LookupEvents answer as CloudTrail writes
// it (EventTime in epoch seconds in exponent notation, ReadOnly a string,
// Resources, CloudTrailEvent a JSON document in a string) is read with the
// same normaliser as the delivered files.
func TestAPILookupEventsWireShape(t *testing.T) {
	clock := newClock()
	t1 := clock.ago(3 * time.Minute).Add(123 * time.Millisecond)
	record := `{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEID:alice@example.com","arn":"arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEID","arn":"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef","accountId":"111122223333","userName":"AWSReservedSSO_Admin_0123456789abcdef"},"attributes":{"creationDate":"2024-05-01T11:00:00Z","mfaAuthenticated":"false"}}},"eventTime":"` +
		t1.UTC().Format("2006-01-02T15:04:05Z") + `","eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15.30","requestParameters":{"groupId":"sg-0abc","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}},"responseElements":{"requestId":"r","_return":true},"requestID":"r","eventID":"6e1d0c1a-2b3c-4d5e-8f90-0123456789ab","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3"}}`
	page := map[string]any{"Events": []map[string]any{{
		"EventId": "6e1d0c1a-2b3c-4d5e-8f90-0123456789ab", "EventName": "AuthorizeSecurityGroupIngress", "ReadOnly": "false",
		"AccessKeyId": "ASIAEXAMPLE", "EventSource": "ec2.amazonaws.com", "Username": "alice@example.com",
		"Resources":       []map[string]string{{"ResourceType": "AWS::EC2::SecurityGroup", "ResourceName": "sg-0abc"}},
		"CloudTrailEvent": record,
	}}}
	body, err := json.Marshal(page)
	require.NoError(t, err)
	// CloudTrail writes EventTime like 1.714564805123E9.
	epochText := strings.ToUpper(fmt.Sprintf("%.12e", float64(t1.UnixMilli())/1000))
	epochText = regexp.MustCompile(`E\+0*`).ReplaceAllString(epochText, "E")
	body = bytes.Replace(body, []byte(`"EventName"`), []byte(`"EventTime":`+epochText+`,"EventName"`), 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = w.Write(body)
	})
	src, err := NewAPISource("ct-api", apiTestConfig(srv0(t, h), clock, []string{acctA}, []string{"eu-west-1"}))
	require.NoError(t, err)
	b, errs := src.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Len(t, b.Events, 1)
	e := b.Events[0]
	require.Equal(t, "6e1d0c1a-2b3c-4d5e-8f90-0123456789ab", e.ID)
	require.Equal(t, "ec2:AuthorizeSecurityGroupIngress", e.Action)
	require.Equal(t, t1.Truncate(time.Second), e.Time.UTC(), "the record's own eventTime")
	require.Equal(t, acctA, e.Account)
	require.Equal(t, "eu-west-1", e.Region)
	require.Equal(t, "AssumedRole", e.Principal.Type)
	require.Contains(t, e.Principal.ID, "AWSReservedSSO_Admin_0123456789abcdef")
	require.Contains(t, e.Resources, "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0abc")
	c := readCheckpoint(t, b.Checkpoints["api:111122223333/eu-west-1"])
	require.Equal(t, []string{e.ID}, c.IDs, "inside the overlap by the API's EventTime")
}

// rotatingSTS answers AssumeRole (query protocol, XML) with a new session
// token per call, ASIA<account> keys, or the XML error deny[account].
type rotatingSTS struct {
	mu    sync.Mutex
	calls map[string]int // account -> AssumeRole calls
	deny  map[string][2]string
	forms []map[string]string
}

func (s *rotatingSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	m := roleAccount.FindStringSubmatch(r.PostForm.Get("RoleArn"))
	s.mu.Lock()
	defer s.mu.Unlock()
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostForm.Get(k)
	}
	s.forms = append(s.forms, form)
	w.Header().Set("Content-Type", "text/xml")
	if m == nil {
		w.WriteHeader(400)
		return
	}
	account := m[1]
	s.calls[account]++
	if d, ok := s.deny[account]; ok {
		w.WriteHeader(403)
		fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>%s</Code>
    <Message>%s</Message>
  </Error>
  <RequestId>4a1b2c3d-0000-4000-8000-00000000000a</RequestId>
</ErrorResponse>`, d[0], d[1])
		return
	}
	fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::%[1]s:assumed-role/driftwarden-audit/%[3]s</Arn>
      <AssumedRoleId>AROAEXAMPLE:%[3]s</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIA%[1]s</AccessKeyId>
      <SecretAccessKey>sessionsecret</SecretAccessKey>
      <SessionToken>TOKEN-%[1]s-%[2]d</SessionToken>
      <Expiration>%[4]s</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>`, account, s.calls[account], r.PostForm.Get("RoleSessionName"), time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
}

func (s *rotatingSTS) count(account string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[account]
}

// TestAPIExpiredMidRunReassumes: credentials rejected as expired in the
// middle of a run (the session revoked, or cut short) are replaced by a
// new AssumeRole at once: the cycle reads the account as usual.
func TestAPIExpiredMidRunReassumes(t *testing.T) {
	const externalID = "PLANTED-ext-2c9e"
	clock := newClock()
	f := newFakeCloudTrail(50)
	for _, r := range []string{"eu-west-1", "us-east-1"} {
		f.add(acctA, r, ctEvent{id: "a-" + r, t: clock.ago(time.Minute), name: "DeleteVpc"})
	}
	revoked := map[string]bool{}
	h := &intercept{next: f, answer: func(_, _, _, session string, w http.ResponseWriter) bool {
		if revoked[session] {
			jsonError(w, 400, "ExpiredTokenException", "The security token included in the request is expired")
			return true
		}
		return false
	}}
	ct := srv0(t, h)
	sts := &rotatingSTS{calls: map[string]int{}}
	var logs bytes.Buffer
	src, err := NewAPISource("ct-api", APIConfig{
		Accounts: []string{acctA}, Regions: []string{"eu-west-1", "us-east-1"}, Concurrency: 1,
		RoleARNTemplate: "arn:aws:iam::{account}:role/driftwarden-audit", ExternalID: externalID,
		Endpoint: ct, STSEndpoint: srv0(t, sts), Region: "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDBASE", "basesecret", ""),
		RateLimit:   1000, MaxAttempts: 2, BaseBackoff: time.Millisecond, Now: clock.Now,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	require.NoError(t, err)
	b, errs := src.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Len(t, b.Events, 2)
	require.Equal(t, 1, sts.count(acctA))

	// The session is revoked between cycles: the first request is refused,
	// the role is assumed again, the cycle carries on.
	h.mu.Lock()
	revoked["TOKEN-"+acctA+"-1"] = true
	h.mu.Unlock()
	b, errs = src.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Len(t, b.Events, 2)
	require.Len(t, b.Checkpoints, 2)
	require.Equal(t, 2, sts.count(acctA), "one new AssumeRole for the account")
	require.Contains(t, logs.String(), "obtaining new ones")

	// The new session is refused too: one error for the account, its other
	// region skipped, and the next cycle tries again.
	h.mu.Lock()
	revoked["TOKEN-"+acctA+"-2"] = true
	revoked["TOKEN-"+acctA+"-3"] = true
	h.mu.Unlock()
	b, errs = src.Events(context.Background(), memCheckpoints{})
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "credentials of account 111122223333 rejected (ExpiredTokenException)")
	require.Empty(t, b.Checkpoints)
	b, errs = src.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs, "the fourth session works")
	require.Len(t, b.Events, 2)
	require.NotContains(t, logs.String(), externalID)
	for _, f := range sts.forms {
		require.Equal(t, externalID, f["ExternalId"])
		require.Equal(t, "driftwarden", f["RoleSessionName"])
	}
}

// TestAPIAssumeRoleFailures: STS refusing a role (the trust policy, STS
// disabled in the region, the base credentials expired) costs that account
// alone, with one error naming the account and the role and saying what to
// check, and one AssumeRole per cycle, not one per region.
func TestAPIAssumeRoleFailures(t *testing.T) {
	const (
		externalID = "PLANTED-ext-91bd"
		acctC      = "777788889999"
		acctD      = "222233334444"
		acctE      = "555566667777"
	)
	clock := newClock()
	f := newFakeCloudTrail(50)
	regions := []string{"eu-west-1", "us-east-1"}
	for _, r := range regions {
		f.add(acctA, r, ctEvent{id: "a-" + r, t: clock.ago(time.Minute), name: "DeleteVpc"})
	}
	sts := &rotatingSTS{calls: map[string]int{}, deny: map[string][2]string{
		acctC: {"AccessDenied", "User: arn:aws:iam::111122223333:user/driftwarden is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::777788889999:role/driftwarden-audit"},
		acctD: {"RegionDisabledException", "STS is not activated in this region for account:222233334444. Your account administrator can activate STS in this region using the IAM Console."},
		acctE: {"ExpiredToken", "The security token included in the request is expired"},
	}}
	var logs bytes.Buffer
	src, err := NewAPISource("ct-api", APIConfig{
		Accounts: []string{acctA, acctC, acctD, acctE}, Regions: regions, Concurrency: 1,
		RoleARNTemplate: "arn:aws:iam::{account}:role/driftwarden-audit", ExternalID: externalID,
		Endpoint: srv0(t, f), STSEndpoint: srv0(t, sts), Region: "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDBASE", "basesecret", ""),
		RateLimit:   1000, MaxAttempts: 2, BaseBackoff: time.Millisecond, Now: clock.Now,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	require.NoError(t, err)
	for cycle := 1; cycle <= 2; cycle++ {
		b, errs := src.Events(context.Background(), memCheckpoints{})
		require.Len(t, errs, 3, "one per refused account")
		require.Len(t, b.Events, 2)
		require.Len(t, b.Checkpoints, 2)
		byAccount := map[string]string{}
		for _, err := range errs {
			var ie *collectors.InputError
			require.ErrorAs(t, err, &ie)
			require.NotContains(t, err.Error(), externalID)
			for _, a := range []string{acctC, acctD, acctE} {
				if strings.Contains(ie.Location, a) {
					byAccount[a] = err.Error()
				}
			}
		}
		require.Contains(t, byAccount[acctC], "obtaining the credentials of account 777788889999 failed (AccessDenied): role arn:aws:iam::777788889999:role/driftwarden-audit cannot be assumed: check that its trust policy allows the caller, and the external id it requires")
		require.Contains(t, byAccount[acctD], "(RegionDisabledException)")
		require.Contains(t, byAccount[acctD], "STS is not activated in region eu-west-1")
		require.Contains(t, byAccount[acctE], "(ExpiredToken)")
		for _, a := range []string{acctC, acctD, acctE} {
			require.Equal(t, cycle, sts.count(a), "one AssumeRole per cycle for %s", a)
		}
	}
	require.NotContains(t, logs.String(), externalID)
	require.NotContains(t, logs.String(), "basesecret")
}

// TestAPIWindowOlderThan90Days: a checkpoint older than LookupEvents'
// 90 days starts the window at the oldest readable time with one warning,
// and no error; a first run's lookback beyond 90 days is clamped quietly.
func TestAPIWindowOlderThan90Days(t *testing.T) {
	clock := newClock()
	f := newFakeCloudTrail(50)
	f.add(acctA, "eu-west-1", ctEvent{id: "e", t: clock.ago(89 * 24 * time.Hour), name: "DeleteVpc"})
	var logs bytes.Buffer
	cfg := apiTestConfig(srv0(t, f), clock, []string{acctA}, []string{"eu-west-1"})
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	src, err := NewAPISource("ct-api", cfg)
	require.NoError(t, err)
	cp := memCheckpoints{"ct-api|api:111122223333/eu-west-1": fmt.Sprintf(`{"time":%q}`, clock.ago(365*24*time.Hour).Format(time.RFC3339))}
	b, errs := src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, []string{"e"}, eventIDs(b))
	require.Equal(t, clock.ago(90*24*time.Hour), fromEpoch(f.lastInput(acctA, "eu-west-1")["StartTime"]))
	require.Equal(t, 1, strings.Count(logs.String(), "older than LookupEvents reaches"))

	logs.Reset()
	cfg.InitialLookback = 400 * 24 * time.Hour
	src, err = NewAPISource("ct-api", cfg)
	require.NoError(t, err)
	_, errs = src.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Equal(t, clock.ago(90*24*time.Hour), fromEpoch(f.lastInput(acctA, "eu-west-1")["StartTime"]))
	require.NotContains(t, logs.String(), "older than LookupEvents reaches")
}

// TestAPIOptInRegionNotEnabled: a region the account has not enabled
// answers UnrecognizedClientException; only that region is skipped, the
// account's other regions are read.
func TestAPIOptInRegionNotEnabled(t *testing.T) {
	clock := newClock()
	f := newFakeCloudTrail(50)
	regions := []string{"eu-west-1", "me-central-1", "us-east-1"}
	for _, r := range regions {
		f.add(acctA, r, ctEvent{id: acctA + "-" + r, t: clock.ago(time.Minute), name: "DeleteVpc"})
	}
	h := &intercept{next: f, answer: func(account, region, _, _ string, w http.ResponseWriter) bool {
		if region == "me-central-1" {
			jsonError(w, 400, "UnrecognizedClientException", "The security token included in the request is invalid.")
			return true
		}
		return false
	}}
	src, err := NewAPISource("ct-api", apiTestConfig(srv0(t, h), clock, []string{acctA}, regions))
	require.NoError(t, err)
	b, errs := src.Events(context.Background(), memCheckpoints{})
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "me-central-1")
	require.Contains(t, errs[0].Error(), "opt-in")
	require.Len(t, b.Events, 2, "the other regions are read")
}
