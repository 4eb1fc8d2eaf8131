package awsconfig_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors/awsconfig"
)

var configScope = regexp.MustCompile(`Credential=[A-Z0-9]+/\d{8}/([a-z0-9-]+)/config/aws4_request`)

// configRequest is what the interceptor sees of a Config request.
type configRequest struct {
	region, target, token, session, expr string
}

// configIntercept answers some Config requests before the fake does.
type configIntercept struct {
	next   http.Handler
	mu     sync.Mutex
	answer func(r configRequest, w http.ResponseWriter) bool
}

func (i *configIntercept) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var in struct{ NextToken, Expression string }
	_ = json.Unmarshal(body, &in)
	cr := configRequest{target: r.Header.Get("X-Amz-Target"), token: in.NextToken, expr: in.Expression, session: r.Header.Get("X-Amz-Security-Token")}
	if m := configScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		cr.region = m[1]
	}
	i.mu.Lock()
	answered := i.answer != nil && i.answer(cr, w)
	i.mu.Unlock()
	if !answered {
		i.next.ServeHTTP(w, r)
	}
}

func configError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"__type":%q,"message":%q}`, typ, msg)
}

func sgResults(n int) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, resultString(sgItem(fmt.Sprintf("sg-%04d", i), "n", nil)))
	}
	return out
}

// TestAPIConfigRealErrorShapes: Config's throttling (ThrottlingException,
// LimitExceededException, namespaced or named by the header) and 5xx
// answers, and a connection lost mid-response, are retried; every
// resource is read once.
func TestAPIConfigRealErrorShapes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(w http.ResponseWriter)
	}{
		{"namespaced ThrottlingException", func(w http.ResponseWriter) {
			configError(w, 400, "com.amazonaws.starlingdove#ThrottlingException", "Rate exceeded")
		}},
		{"LimitExceededException", func(w http.ResponseWriter) {
			configError(w, 400, "LimitExceededException", "Rate exceeded")
		}},
		{"header only", func(w http.ResponseWriter) {
			w.Header().Set("x-amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.availability/")
			w.WriteHeader(400)
			fmt.Fprint(w, `{"message":"Rate exceeded"}`)
		}},
		{"500 InternalFailure", func(w http.ResponseWriter) { configError(w, 500, "InternalFailure", "An internal error occurred") }},
		{"503 ServiceUnavailable", func(w http.ResponseWriter) {
			w.Header().Set("x-amzn-ErrorType", "ServiceUnavailable")
			w.WriteHeader(503)
		}},
		{"connection closed mid-response", func(w http.ResponseWriter) {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				panic(err)
			}
			part := `{"Results":["{\"resourceId\":\"sg-0000\",\"resourceType\":\"AWS::EC2::SecurityGroup\",`
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: %d\r\n\r\n%s", len(part)+5000, part)
			_ = buf.Flush()
			_ = conn.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := newConfigServer(t)
			defer cs.Close()
			cs.results["AWS::EC2::SecurityGroup"] = sgResults(150)
			failures := 0
			h := httptest.NewServer(&configIntercept{next: cs.Config.Handler, answer: func(r configRequest, w http.ResponseWriter) bool {
				if r.token != "" && failures < 2 {
					failures++
					tc.write(w)
					return true
				}
				return false
			}})
			defer h.Close()
			src := awsconfig.NewSource("cfg-api", awsconfig.Config{
				API:    &awsconfig.APIConfig{Types: []string{"aws_security_group"}},
				Client: clientConfig(h.URL),
			})
			inv, errs := src.Inventory(context.Background())
			require.Empty(t, errs)
			require.Equal(t, 2, failures)
			require.Len(t, inv.Resources, 150)
			require.True(t, inv.Coverage.Covers("aws_security_group", acct, region))
		})
	}
}

// TestAPIConfigThrottledBeyondRetries: throttling that outlasts the
// retries fails that type alone, with the hint, and the next type is
// still queried.
func TestAPIConfigThrottledBeyondRetries(t *testing.T) {
	cs := newConfigServer(t)
	defer cs.Close()
	cs.results["AWS::EC2::SecurityGroup"] = sgResults(3)
	cs.results["AWS::EC2::Instance"] = []string{resultString(instanceItem("i-1", "t3.micro"))}
	h := httptest.NewServer(&configIntercept{next: cs.Config.Handler, answer: func(r configRequest, w http.ResponseWriter) bool {
		if strings.Contains(r.expr, "AWS::EC2::SecurityGroup") {
			configError(w, 400, "com.amazonaws.starlingdove#ThrottlingException", "Rate exceeded")
			return true
		}
		return false
	}})
	defer h.Close()
	src := awsconfig.NewSource("cfg-api", awsconfig.Config{
		API:    &awsconfig.APIConfig{Types: []string{"aws_security_group", "aws_instance"}},
		Client: clientConfig(h.URL),
	})
	inv, errs := src.Inventory(context.Background())
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "AWS Config kept throttling after retries (ThrottlingException)")
	require.Equal(t, []string{"i-1/aws_instance"}, ids(inv))
	require.False(t, inv.Coverage.Covers("aws_security_group", acct, region))
	require.True(t, inv.Coverage.Covers("aws_instance", acct, region))
}

// TestAPIConfigStaleNextToken: InvalidNextTokenException on a later page
// restarts the type's listing once; resources are neither lost nor
// doubled.
func TestAPIConfigStaleNextToken(t *testing.T) {
	cs := newConfigServer(t)
	defer cs.Close()
	cs.results["AWS::EC2::SecurityGroup"] = sgResults(250)
	rejected := 0
	h := httptest.NewServer(&configIntercept{next: cs.Config.Handler, answer: func(r configRequest, w http.ResponseWriter) bool {
		if r.token == "tok-200" && rejected == 0 {
			rejected++
			configError(w, 400, "InvalidNextTokenException", "The nextToken provided is invalid")
			return true
		}
		return false
	}})
	defer h.Close()
	src := awsconfig.NewSource("cfg-api", awsconfig.Config{
		API:    &awsconfig.APIConfig{Types: []string{"aws_security_group"}},
		Client: clientConfig(h.URL),
	})
	inv, errs := src.Inventory(context.Background())
	require.Empty(t, errs)
	require.Equal(t, 1, rejected)
	require.Len(t, inv.Resources, 250)
	seen := map[string]bool{}
	for _, r := range inv.Resources {
		require.False(t, seen[r.NativeID], "%s twice", r.NativeID)
		seen[r.NativeID] = true
	}
	require.True(t, inv.Coverage.Covers("aws_security_group", acct, region))
}

// configSTS answers AssumeRole with a new session token per call, or the
// XML error deny.
type configSTS struct {
	mu    sync.Mutex
	calls int
	deny  [2]string
	forms []map[string]string
}

func (s *configSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	form := map[string]string{}
	for k := range r.PostForm {
		form[k] = r.PostForm.Get(k)
	}
	s.forms = append(s.forms, form)
	w.Header().Set("Content-Type", "text/xml")
	if s.deny[0] != "" {
		w.WriteHeader(403)
		fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>%s</Code>
    <Message>%s</Message>
  </Error>
  <RequestId>4a1b2c3d-0000-4000-8000-00000000000b</RequestId>
</ErrorResponse>`, s.deny[0], s.deny[1])
		return
	}
	fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::111122223333:assumed-role/driftwarden-config/driftwarden</Arn>
      <AssumedRoleId>AROAEXAMPLE:driftwarden</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAEXAMPLE%[1]d</AccessKeyId>
      <SecretAccessKey>sessionsecret</SecretAccessKey>
      <SessionToken>TOKEN-%[1]d</SessionToken>
      <Expiration>%[2]s</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>`, s.calls, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
}

func (s *configSTS) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func roleClient(endpoint, stsURL string) awsconfig.Config {
	cc := clientConfig(endpoint)
	cc.Credentials = credentials.NewStaticCredentialsProvider("AKIDBASE", "basesecret", "")
	cc.AssumeRoleARN = "arn:aws:iam::111122223333:role/driftwarden-config"
	cc.ExternalID = plantedSecret
	cc.STSEndpointURL = stsURL
	return awsconfig.Config{
		API:    &awsconfig.APIConfig{Types: []string{"aws_security_group", "aws_instance"}, Regions: []string{region, "us-east-1"}},
		Client: cc,
	}
}

// TestAPIConfigExpiredMidRunReassumes: a session refused as expired is
// replaced by a new AssumeRole and the page asked again: the inventory is
// complete. The regions share one session.
func TestAPIConfigExpiredMidRunReassumes(t *testing.T) {
	cs := newConfigServer(t)
	defer cs.Close()
	cs.results["AWS::EC2::SecurityGroup"] = sgResults(120)
	cs.results["AWS::EC2::Instance"] = []string{resultString(instanceItem("i-1", "t3.micro"))}
	revoked := map[string]bool{}
	h := &configIntercept{next: cs.Config.Handler, answer: func(r configRequest, w http.ResponseWriter) bool {
		if revoked[r.session] {
			configError(w, 400, "ExpiredTokenException", "The security token included in the request is expired")
			return true
		}
		return false
	}}
	hs := httptest.NewServer(h)
	defer hs.Close()
	sts := &configSTS{}
	stsSrv := httptest.NewServer(sts)
	defer stsSrv.Close()
	src := awsconfig.NewSource("cfg-api", roleClient(hs.URL, stsSrv.URL))
	inv, errs := src.Inventory(context.Background())
	require.Empty(t, errs)
	require.Equal(t, 1, sts.count(), "one session for both regions")

	h.mu.Lock()
	revoked["TOKEN-1"] = true
	h.mu.Unlock()
	inv, errs = src.Inventory(context.Background())
	require.Empty(t, errs)
	require.Equal(t, 2, sts.count(), "the role assumed again once")
	require.True(t, inv.Coverage.Covers("aws_security_group", acct, region))
	require.True(t, inv.Coverage.Covers("aws_instance", acct, "us-east-1"))
	for _, f := range sts.forms {
		require.Equal(t, plantedSecret, f["ExternalId"], "the external id is sent")
	}

	// Refused again with fresh credentials: the region stops, with the
	// hint, and nothing is reported missing there.
	h.mu.Lock()
	revoked["TOKEN-2"], revoked["TOKEN-3"], revoked["TOKEN-4"] = true, true, true
	h.mu.Unlock()
	// The regions share the session: the other region is not queried.
	inv, errs = src.Inventory(context.Background())
	require.Len(t, errs, 1, "one error for the account, not one per region")
	require.Contains(t, errs[0].Error(), "ExpiredTokenException")
	require.Contains(t, errs[0].Error(), "fresh ones were refused too")
	require.Contains(t, errs[0].Error(), "other regions (us-east-1) are skipped this cycle")
	require.NotContains(t, errs[0].Error(), plantedSecret)
	require.Equal(t, 3, sts.count(), "one new session for the account, not one per region")
	require.False(t, inv.Coverage.Covers("aws_security_group", acct, region))
	require.False(t, inv.Coverage.Covers("aws_instance", acct, "us-east-1"))
}

// TestAPIConfigAssumeRoleRefused: STS refusing the role stops the queries
// of every region (one error for the account, one STS call per cycle),
// names the role and what to check, never the external id.
func TestAPIConfigAssumeRoleRefused(t *testing.T) {
	for _, tc := range []struct{ code, msg, want string }{
		{"AccessDenied", "User: arn:aws:iam::111122223333:user/driftwarden is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role/driftwarden-config",
			"role arn:aws:iam::111122223333:role/driftwarden-config cannot be assumed: check that its trust policy allows the caller, and the external id it requires (AccessDenied)"},
		{"RegionDisabledException", "STS is not activated in this region for account:111122223333.", "STS is not activated in region " + region + " for the account (activate it, or set the region STS is called in) (RegionDisabledException)"},
		{"ExpiredToken", "The security token included in the request is expired", "rejected as expired or invalid (ExpiredToken)"},
	} {
		t.Run(tc.code, func(t *testing.T) {
			cs := newConfigServer(t)
			defer cs.Close()
			sts := &configSTS{deny: [2]string{tc.code, tc.msg}}
			stsSrv := httptest.NewServer(sts)
			defer stsSrv.Close()
			src := awsconfig.NewSource("cfg-api", roleClient(cs.URL, stsSrv.URL))
			for cycle := 1; cycle <= 2; cycle++ {
				inv, errs := src.Inventory(context.Background())
				require.Len(t, errs, 1, "one error for the account, not one per region")
				require.Contains(t, errs[0].Error(), tc.want)
				require.Contains(t, errs[0].Error(), "other regions (us-east-1) are skipped this cycle")
				require.NotContains(t, errs[0].Error(), plantedSecret)
				require.Empty(t, inv.Coverage.Types, "nothing enumerated: nothing reported missing")
				require.Equal(t, cycle, sts.count(), "STS asked once per cycle, not once per region; again next cycle")
			}
			cs.mu.Lock()
			require.Empty(t, cs.requests, "nothing sent unsigned")
			cs.mu.Unlock()
		})
	}
}

// TestAPIConfigDeniedRegionCostsOnlyItself: AccessDeniedException in one
// region (an SCP) costs one error; the other region is still read. Coverage
// is kept per type, account and region separately, so the types the denied
// region failed to list are covered nowhere: nothing is reported missing.
func TestAPIConfigDeniedRegionCostsOnlyItself(t *testing.T) {
	cs := newConfigServer(t)
	defer cs.Close()
	cs.results["AWS::EC2::Instance"] = []string{resultString(instanceItem("i-1", "t3.micro"))}
	h := httptest.NewServer(&configIntercept{next: cs.Config.Handler, answer: func(r configRequest, w http.ResponseWriter) bool {
		if r.region == "us-east-1" {
			configError(w, 400, "AccessDeniedException", "User is not authorized to perform config:SelectResourceConfig with an explicit deny in a service control policy")
			return true
		}
		return false
	}})
	defer h.Close()
	src := awsconfig.NewSource("cfg-api", awsconfig.Config{
		API:    &awsconfig.APIConfig{Types: []string{"aws_instance", "aws_security_group"}, Regions: []string{region, "us-east-1"}},
		Client: clientConfig(h.URL),
	})
	inv, errs := src.Inventory(context.Background())
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "config us-east-1")
	require.Contains(t, errs[0].Error(), "access denied")
	require.Equal(t, []string{"i-1/aws_instance"}, ids(inv))
	require.False(t, inv.Coverage.Covers("aws_instance", acct, "us-east-1"))
	require.False(t, inv.Coverage.Covers("aws_security_group", acct, "us-east-1"))
}

// TestAPIConfigMissingAggregator: NoSuchConfigurationAggregatorException
// stops the aggregator's queries with one error saying what to check.
func TestAPIConfigMissingAggregator(t *testing.T) {
	cs := newConfigServer(t)
	defer cs.Close()
	n := 0
	h := httptest.NewServer(&configIntercept{next: cs.Config.Handler, answer: func(r configRequest, w http.ResponseWriter) bool {
		n++
		configError(w, 400, "NoSuchConfigurationAggregatorException", "The configuration aggregator does not exist. Check the configuration aggregator name and try again.")
		return true
	}})
	defer h.Close()
	src := awsconfig.NewSource("cfg-agg", awsconfig.Config{
		API:    &awsconfig.APIConfig{Aggregator: "org-agg", Types: []string{"aws_instance", "aws_security_group", "aws_s3_bucket"}},
		Client: clientConfig(h.URL),
	})
	inv, errs := src.Inventory(context.Background())
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "aggregator org-agg")
	require.Contains(t, errs[0].Error(), "the configuration aggregator does not exist")
	require.Equal(t, 1, n, "not retried, the other types not queried")
	require.Empty(t, inv.Coverage.Types)
}
