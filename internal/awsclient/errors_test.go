package awsclient

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/stretchr/testify/require"
)

// jsonAnswer is one canned answer of a JSON 1.1 service.
type jsonAnswer struct {
	status int
	header string // x-amzn-ErrorType
	body   string
	cut    bool // announce a longer body, send part of it and close
}

// jsonServer answers CloudTrail JSON 1.1 requests from a script; once it is
// used up, every request gets an empty LookupEvents page.
type jsonServer struct {
	mu      sync.Mutex
	script  []jsonAnswer
	answers int
	ok      int
}

func (s *jsonServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	var a jsonAnswer
	if len(s.script) > 0 {
		a, s.script = s.script[0], s.script[1:]
	} else {
		a = jsonAnswer{status: 200, body: `{"Events":[]}`}
		s.ok++
	}
	s.answers++
	s.mu.Unlock()
	if a.cut {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-RequestId: cut\r\nContent-Length: %d\r\n\r\n%s", len(a.body)+500, a.body)
		_ = buf.Flush()
		_ = conn.Close()
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("x-amzn-RequestId", "5d4e0b4a-1c2b-4e1f-9c1e-0123456789ab")
	if a.header != "" {
		w.Header().Set("x-amzn-ErrorType", a.header)
	}
	w.WriteHeader(a.status)
	fmt.Fprint(w, a.body)
}

func (s *jsonServer) counts() (answers, ok int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.answers, s.ok
}

func lookup(t *testing.T, url string, attempts int) error {
	t.Helper()
	ac, err := LoadAWSConfig(context.Background(), ClientConfig{Region: "eu-west-1", RetryMaxAttempts: attempts, RetryMaxBackoff: time.Millisecond,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})
	require.NoError(t, err)
	c := cloudtrail.NewFromConfig(ac, func(o *cloudtrail.Options) { o.BaseEndpoint = aws.String(url) })
	_, err = c.LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{MaxResults: aws.Int32(50)})
	return err
}

// TestRetryerRealErrorShapes: the answers AWS JSON services really give
// when they throttle or fail, in each of their spellings, are retried; the
// ones no retry can fix are not.
func TestRetryerRealErrorShapes(t *testing.T) {
	isolate(t)
	for _, tc := range []struct {
		name      string
		answer    jsonAnswer
		retried   bool
		wantCode  string
		wantInErr string
	}{
		{"namespaced __type throttling", jsonAnswer{status: 400, body: `{"__type":"com.amazonaws.cloudtrail#ThrottlingException","message":"Rate exceeded"}`}, true, "", ""},
		{"plain __type throttling", jsonAnswer{status: 400, body: `{"__type":"ThrottlingException","message":"Rate exceeded"}`}, true, "", ""},
		{"throttling named by the header only", jsonAnswer{status: 400, header: "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.availability/", body: `{"message":"Rate exceeded"}`}, true, "", ""},
		{"Config LimitExceededException", jsonAnswer{status: 400, body: `{"__type":"com.amazonaws.starlingdove#LimitExceededException","message":"Rate exceeded"}`}, true, "", ""},
		{"500 InternalFailure", jsonAnswer{status: 500, body: `{"__type":"InternalFailure","message":"An internal error occurred"}`}, true, "", ""},
		{"503 ServiceUnavailable", jsonAnswer{status: 503, header: "ServiceUnavailable", body: `{"message":"Service Unavailable"}`}, true, "", ""},
		{"503 with an HTML body", jsonAnswer{status: 503, body: `<html><body>Service Unavailable</body></html>`}, true, "", ""},
		{"response cut mid-body", jsonAnswer{cut: true, body: `{"Events":[{"EventId":"0a1b","EventTime":1.714564805E9,"CloudTrailEvent":"{\"eventVersion\":`}, true, "", ""},
		{"access denied", jsonAnswer{status: 400, body: `{"__type":"com.amazonaws.cloudtrail#AccessDeniedException","message":"User: arn:aws:iam::111122223333:user/x is not authorized to perform: cloudtrail:LookupEvents"}`}, false, "AccessDeniedException", "not authorized"},
		{"expired token", jsonAnswer{status: 400, body: `{"__type":"ExpiredTokenException","message":"The security token included in the request is expired"}`}, false, "ExpiredTokenException", "expired"},
		{"unknown key", jsonAnswer{status: 400, body: `{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}`}, false, "UnrecognizedClientException", "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := &jsonServer{script: []jsonAnswer{tc.answer, tc.answer}}
			hs := httptest.NewServer(srv)
			defer hs.Close()
			err := lookup(t, hs.URL, 5)
			answers, ok := srv.counts()
			if tc.retried {
				require.NoError(t, err)
				require.Equal(t, 3, answers, "two failures, then the answer")
				require.Equal(t, 1, ok)
				return
			}
			require.Error(t, err)
			require.Equal(t, 1, answers, "not retried")
			require.Equal(t, tc.wantCode, ErrorCode(err))
			require.Contains(t, err.Error(), tc.wantInErr)
			code, retrieval, isCred := CredentialError(err)
			require.Equal(t, tc.wantCode != "AccessDeniedException", isCred)
			require.False(t, retrieval)
			if isCred {
				require.Equal(t, tc.wantCode, code)
			}
		})
	}
}

// TestRetryerNoQuota: a long run of failing calls (an outage, hours of
// throttling) must not leave the client refusing to even send the calls
// that follow ("retry quota exceeded"), as the SDK's default client-side
// quota would.
func TestRetryerNoQuota(t *testing.T) {
	isolate(t)
	var script []jsonAnswer
	for i := 0; i < 30*4; i++ {
		script = append(script, jsonAnswer{status: 500, body: `{"__type":"InternalFailure"}`})
	}
	srv := &jsonServer{script: script}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ac, err := LoadAWSConfig(context.Background(), ClientConfig{Region: "eu-west-1", RetryMaxAttempts: 4, RetryMaxBackoff: time.Microsecond,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})
	require.NoError(t, err)
	c := cloudtrail.NewFromConfig(ac, func(o *cloudtrail.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	for i := 0; i < 30; i++ {
		_, err := c.LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{})
		require.Error(t, err)
		require.NotContains(t, err.Error(), "quota")
		require.Contains(t, err.Error(), "InternalFailure")
	}
	_, err = c.LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{})
	require.NoError(t, err, "the service is back: the call goes through")
	answers, ok := srv.counts()
	require.Equal(t, 30*4+1, answers, "every attempt was sent")
	require.Equal(t, 1, ok)
}

// stsServer answers AssumeRole the way STS does (query protocol, XML).
type stsServer struct {
	mu     sync.Mutex
	calls  int
	fail   string // error code answered while set
	status int
	// throttle is how many of the next calls are answered Throttling.
	throttle int
	expires  time.Time
}

func (s *stsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	s.calls++
	n, fail, status, expires := s.calls, s.fail, s.status, s.expires
	if s.throttle > 0 {
		s.throttle--
		fail, status = "Throttling", 400
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	if fail != "" {
		w.WriteHeader(status)
		msg := map[string]string{
			"AccessDenied":            "User: arn:aws:iam::111122223333:user/base is not authorized to perform: sts:AssumeRole on resource: " + r.PostForm.Get("RoleArn"),
			"RegionDisabledException": "STS is not activated in this region for account:111122223333. Your account administrator can activate STS in this region using the IAM Console.",
			"ExpiredToken":            "The security token included in the request is expired",
			"InvalidClientTokenId":    "The security token included in the request is invalid.",
			"Throttling":              "Rate exceeded",
		}[fail]
		fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>%s</Code>
    <Message>%s</Message>
  </Error>
  <RequestId>8f2c1d0e-aaaa-bbbb-cccc-0123456789ab</RequestId>
</ErrorResponse>`, fail, msg)
		return
	}
	fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>base</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::111122223333:assumed-role/audit/%[2]s</Arn>
      <AssumedRoleId>AROA3XFRBF535PLBIFPI4:%[2]s</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAROLE%[1]d</AccessKeyId>
      <SecretAccessKey>rolesecret%[1]d</SecretAccessKey>
      <SessionToken>TOKEN%[1]d</SessionToken>
      <Expiration>%[3]s</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>`, n, r.PostForm.Get("RoleSessionName"), expires.UTC().Format(time.RFC3339))
}

func (s *stsServer) set(fail string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail, s.status = fail, status
}

func (s *stsServer) callCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// TestAssumeRoleErrorsAndRefresh: STS's XML errors come back with their
// code (never the external id), a failure is not cached, credentials are
// cached until shortly before they expire and are fetched again once
// invalidated.
func TestAssumeRoleErrorsAndRefresh(t *testing.T) {
	isolate(t)
	const ext = "PLANTED-ext-id-77aa"
	s := &stsServer{expires: time.Now().Add(time.Hour)}
	hs := httptest.NewServer(s)
	defer hs.Close()
	base, err := LoadAWSConfig(context.Background(), ClientConfig{Region: "eu-west-1", RetryMaxAttempts: 3, RetryMaxBackoff: time.Millisecond,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDBASE", "basesecret", "")})
	require.NoError(t, err)
	role := Role{ARN: "arn:aws:iam::111122223333:role/audit", ExternalID: ext, STSEndpointURL: hs.URL}

	for _, tc := range []struct {
		code   string
		status int
		hint   string
	}{
		{"AccessDenied", 403, "not authorized to perform: sts:AssumeRole"},
		{"RegionDisabledException", 403, "STS is not activated"},
		{"ExpiredToken", 400, "expired"},
		{"InvalidClientTokenId", 403, "invalid"},
	} {
		s.set(tc.code, tc.status)
		before := s.callCount()
		creds := AssumeRole(base, role)
		_, err := creds.Retrieve(context.Background())
		require.Error(t, err, tc.code)
		require.Equal(t, tc.code, ErrorCode(err))
		require.Contains(t, err.Error(), tc.hint)
		require.NotContains(t, err.Error(), ext)
		require.Equal(t, 1, s.callCount()-before, "%s is not retried", tc.code)
		_, err = creds.Retrieve(context.Background())
		require.Error(t, err)
		require.Equal(t, 2, s.callCount()-before, "a failure is not cached: the next request asks STS again")
	}

	// Throttled STS is retried by the SDK: one Retrieve succeeds after
	// two throttled answers (base allows 3 attempts).
	s.set("", 0)
	s.mu.Lock()
	s.throttle = 2
	s.mu.Unlock()
	before := s.callCount()
	_, err = AssumeRole(base, role).Retrieve(context.Background())
	require.NoError(t, err, "throttling is retried within one Retrieve")
	require.Equal(t, 3, s.callCount()-before, "two throttled attempts, then the answer")

	// Cached while far from expiry; fetched again once invalidated.
	s.set("", 0)
	creds := AssumeRole(base, role)
	before = s.callCount()
	c1, err := creds.Retrieve(context.Background())
	require.NoError(t, err)
	c2, err := creds.Retrieve(context.Background())
	require.NoError(t, err)
	require.Equal(t, c1.AccessKeyID, c2.AccessKeyID)
	require.Equal(t, 1, s.callCount()-before)
	require.True(t, Invalidate(creds))
	c3, err := creds.Retrieve(context.Background())
	require.NoError(t, err)
	require.NotEqual(t, c1.AccessKeyID, c3.AccessKeyID, "a new session after Invalidate")
	require.False(t, Invalidate(credentials.NewStaticCredentialsProvider("a", "b", "")))

	// Credentials expiring within the refresh window are refreshed before
	// they are used, not used until AWS rejects them.
	s.mu.Lock()
	s.expires = time.Now().Add(2 * time.Minute)
	s.mu.Unlock()
	creds = AssumeRole(base, role)
	before = s.callCount()
	for i := 0; i < 3; i++ {
		_, err := creds.Retrieve(context.Background())
		require.NoError(t, err)
	}
	require.Equal(t, 3, s.callCount()-before, "2 minutes left: inside the %v refresh window", RoleExpiryWindow)
}

// TestCredentialErrorRetrieval: a request whose credentials could not be
// obtained (AssumeRole denied) is a credentials problem of the account,
// with STS's code, distinct from a rejected signature.
func TestCredentialErrorRetrieval(t *testing.T) {
	isolate(t)
	s := &stsServer{fail: "AccessDenied", status: 403}
	stsSrv := httptest.NewServer(s)
	defer stsSrv.Close()
	var ctCalls atomic.Int32
	ct := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ctCalls.Add(1) }))
	defer ct.Close()
	ac, err := LoadAWSConfig(context.Background(), ClientConfig{Region: "eu-west-1", RetryMaxAttempts: 3, RetryMaxBackoff: time.Millisecond,
		Credentials:   credentials.NewStaticCredentialsProvider("AKIDBASE", "basesecret", ""),
		AssumeRoleARN: "arn:aws:iam::111122223333:role/audit", STSEndpointURL: stsSrv.URL})
	require.NoError(t, err)
	c := cloudtrail.NewFromConfig(ac, func(o *cloudtrail.Options) { o.BaseEndpoint = aws.String(ct.URL) })
	_, err = c.LookupEvents(context.Background(), &cloudtrail.LookupEventsInput{})
	require.Error(t, err)
	code, retrieval, ok := CredentialError(err)
	require.True(t, ok)
	require.True(t, retrieval)
	require.Equal(t, "AccessDenied", code)
	t.Log(err)
	require.Zero(t, ctCalls.Load(), "nothing sent without credentials")
	t.Log(err)

	_, _, ok = CredentialError(&net.OpError{Op: "dial", Err: fmt.Errorf("refused")})
	require.False(t, ok)
}
