package awsconfig_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/collectors/awsconfig"
	"github.com/driftwarden/driftwarden/collectors/tfstate/s3state"
	"github.com/driftwarden/driftwarden/collectors/tfstate/s3state/s3fake"
)

const plantedSecret = "PLANTEDSECRETawsconfig987654321"

func clientConfig(endpoint string) s3state.ClientConfig {
	return s3state.ClientConfig{
		Region: region, EndpointURL: endpoint, ForcePathStyle: true,
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", plantedSecret, ""),
		RetryMaxAttempts: 4, RetryMaxBackoff: 5 * time.Millisecond,
	}
}

func ids(inv collectors.Inventory) []string {
	var out []string
	for _, r := range inv.Resources {
		out = append(out, r.NativeID+"/"+r.Type)
	}
	sort.Strings(out)
	return out
}

func TestLocalSnapshotsLatestPerAccountRegion(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, snapshotKey(acct, region, 2026, 9, 30, "20260930T100000Z"), gz(snapshot(sgItem("sg-old", "old", nil))))
	writeFile(t, dir, snapshotKey(acct, region, 2026, 10, 1, "20261001T100000Z"), gz(snapshot(sgItem("sg-new", "new", nil))))
	writeFile(t, dir, strings.Replace(snapshotKey(acct, region, 2026, 10, 2, "20261002T100000Z"), "ConfigSnapshot", "ConfigHistory", 2), gz(snapshot(sgItem("sg-hist", "hist", nil))))
	other := sgItem("sg-us", "us", nil)
	other["awsRegion"] = "us-east-1"
	writeFile(t, dir, snapshotKey(acct, "us-east-1", 2026, 10, 1, "20261001T000000Z"), gz(snapshot(other)))
	// An exported item (not a delivered snapshot) is read as it is.
	b, _ := json.Marshal(instanceItem("i-0export", "t3.small"))
	writeFile(t, dir, "exports/instance.json", b)

	src := awsconfig.NewSource("cfg", awsconfig.Config{Paths: []string{dir}})
	inv, errs := src.Inventory(context.Background())
	require.Empty(t, errs)
	require.Equal(t, []string{"i-0export/aws_instance", "sg-new/aws_security_group", "sg-us/aws_security_group"}, ids(inv))
	require.Equal(t, map[string]bool{region: true, "us-east-1": true}, inv.Coverage.Regions)
	require.Equal(t, map[string]bool{acct: true}, inv.Coverage.Accounts)
	require.True(t, inv.Coverage.Types["aws_security_group"])
	require.Equal(t, "cfg", inv.Source)

	// Cached: the same answer again.
	inv2, errs := src.Inventory(context.Background())
	require.Empty(t, errs)
	require.Equal(t, ids(inv), ids(inv2))
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.json", snapshot(sgItem("sg-good", "good", nil)))
	full := gz(snapshot(sgItem("sg-t1", "a", nil), sgItem("sg-t2", "b", nil), sgItem("sg-t3", "c", nil)))
	truncated := writeFile(t, dir, "truncated.json.gz", full[:len(full)*2/3])
	notJSON := writeFile(t, dir, "notjson.json", []byte("<html>503 Service Unavailable</html>"))
	noType := sgItem("sg-nt", "nt", nil)
	delete(noType, "resourceType")
	badConf := sgItem("sg-bc", "bc", nil)
	badConf["configuration"] = `{"groupName": "x",`
	mixed := writeFile(t, dir, "mixed.json", snapshot(sgItem("sg-m0", "m0", nil), noType, sgItem("sg-m2", "m2", nil), badConf))

	inv, errs := awsconfig.NewSource("cfg", awsconfig.Config{Paths: []string{dir}}).Inventory(context.Background())
	got := ids(inv)
	require.Contains(t, got, "sg-good/aws_security_group")
	require.Contains(t, got, "sg-m0/aws_security_group")
	require.Contains(t, got, "sg-m2/aws_security_group")
	byLoc := map[string][]*collectors.InputError{}
	for _, err := range errs {
		var ie *collectors.InputError
		require.True(t, errors.As(err, &ie), err.Error())
		byLoc[ie.Location] = append(byLoc[ie.Location], ie)
	}
	require.NotContains(t, byLoc, good)
	require.Len(t, byLoc[truncated], 1)
	require.Contains(t, byLoc[truncated][0].Error(), "ends early")
	require.Len(t, byLoc[notJSON], 1)
	require.Contains(t, byLoc[notJSON][0].Place, "line 1")
	require.Contains(t, byLoc[notJSON][0].Error(), "invalid JSON")
	require.Len(t, byLoc[mixed], 2)
	require.Equal(t, "configurationItems[1]", byLoc[mixed][0].Place)
	require.Contains(t, byLoc[mixed][0].Error(), "no resourceType")
	require.Equal(t, "configurationItems[3]", byLoc[mixed][1].Place)
	require.Contains(t, byLoc[mixed][1].Error(), "sg-bc")
	require.Len(t, errs, 4)
}

func TestDecodeShapes(t *testing.T) {
	sg := sgItem("sg-1", "one", nil)
	sgJSON, _ := json.Marshal(sg)
	notification, _ := json.Marshal(map[string]any{"configurationItemDiff": map[string]any{"changeType": "UPDATE"}, "configurationItem": sg, "notificationCreationTime": "2026-11-20T10:00:00Z", "messageType": "ConfigurationItemChangeNotification", "recordVersion": "1.3"})
	ruleEvent, _ := json.Marshal(map[string]any{"version": "1.0", "invokingEvent": string(notification), "ruleParameters": "{}", "resultToken": "x", "eventLeftScope": false})
	scheduled, _ := json.Marshal(map[string]any{"version": "1.0", "invokingEvent": `{"awsAccountId":"111122223333","messageType":"ScheduledNotification"}`})
	selectOut, _ := json.Marshal(map[string]any{"Results": []string{string(sgJSON)}, "QueryInfo": map[string]any{}})
	placebo, _ := json.Marshal(map[string]any{"status_code": 200, "data": map[string]any{"Results": []string{`{"resourceId":"sg-1","configuration":{"groupName":"one"}}`}}})
	cases := []struct {
		name  string
		doc   []byte
		n     int
		place string // of an error, if any
	}{
		{"single item", sgJSON, 1, ""},
		{"array", []byte("[" + string(sgJSON) + "]"), 1, ""},
		{"notification", notification, 1, ""},
		{"rule event", ruleEvent, 1, ""},
		{"scheduled rule event", scheduled, 0, ""},
		{"select output", selectOut, 1, ""},
		{"placebo select with default type", placebo, 1, ""},
		{"gzip", gz(snapshot(sg, sg)), 2, ""},
		{"empty", []byte("  "), 0, ""},
		{"trailing data", []byte(string(sgJSON) + " {}"), 1, "offset"},
		{"number", []byte("42"), 0, "offset 0"},
		{"cloudtrail record", []byte(`{"eventName":"RunInstances","eventSource":"ec2.amazonaws.com"}`), 0, "configuration item"},
		{"bad invokingEvent", []byte(`{"invokingEvent":"{not json"}`), 0, "invokingEvent"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			items, errs := awsconfig.Decode(strings.NewReader(string(c.doc)), awsconfig.DecodeOptions{Source: "s", Location: "doc.json", DefaultType: "AWS::EC2::SecurityGroup"})
			require.Len(t, items, c.n)
			if c.place == "" && c.name != "empty" {
				require.Empty(t, errs)
			} else {
				require.Len(t, errs, 1)
				require.Contains(t, errs[0].Error(), "doc.json")
				require.Contains(t, errs[0].Error(), c.place)
			}
			for _, it := range items {
				require.Equal(t, "sg-1", it.ResourceID)
				require.Equal(t, "AWS::EC2::SecurityGroup", it.ResourceType)
			}
		})
	}
}

func TestS3Snapshots(t *testing.T) {
	srv := s3fake.New()
	defer srv.Close()
	srv.PageSize = 3
	const other = "444455556666"
	srv.Put("cfg-bucket", "org/"+snapshotKey(acct, region, 2026, 9, 30, "20260930T100000Z"), gz(snapshot(sgItem("sg-old", "old", nil))), "")
	srv.Put("cfg-bucket", "org/"+snapshotKey(acct, region, 2026, 10, 1, "20261001T100000Z"), gz(snapshot(sgItem("sg-new", "new", nil))), "arn:aws:kms:eu-west-1:111122223333:key/k")
	srv.Put("cfg-bucket", "org/"+snapshotKey(acct, region, 2026, 10, 1, "20261001T040000Z"), gz(snapshot(sgItem("sg-earlier", "earlier", nil))), "")
	// The other account's newest day only has history; the snapshot is a day before.
	bItem := sgItem("sg-b", "b", nil)
	bItem["awsAccountId"] = other
	srv.Put("cfg-bucket", "org/"+strings.Replace(snapshotKey(other, region, 2026, 10, 2, "20261002T100000Z"), "ConfigSnapshot", "ConfigHistory", 2), gz(snapshot(sgItem("sg-hist", "h", nil))), "")
	srv.Put("cfg-bucket", "org/"+snapshotKey(other, region, 2026, 10, 1, "20261001T100000Z"), gz(snapshot(bItem)), "")
	srv.Put("cfg-bucket", "org/AWSLogs/"+acct+"/Config/ConfigWritabilityCheckFile", []byte("x"), "")

	src := awsconfig.NewSource("cfg", awsconfig.Config{Bucket: "cfg-bucket", Prefix: "org", Client: clientConfig(srv.URL)})
	awsconfig.SetNow(src, func() time.Time { return time.Date(2026, 10, 2, 12, 0, 0, 0, time.UTC) })
	inv, errs := src.Inventory(context.Background())
	require.Empty(t, errs)
	require.Equal(t, []string{"sg-b/aws_security_group", "sg-new/aws_security_group"}, ids(inv))
	require.Equal(t, map[string]bool{acct: true, other: true}, inv.Coverage.Accounts)

	newKey := "cfg-bucket/org/" + snapshotKey(acct, region, 2026, 10, 1, "20261001T100000Z")
	require.Equal(t, 1, srv.Count("GET "+newKey))
	_, errs = src.Inventory(context.Background())
	require.Empty(t, errs)
	require.Equal(t, 1, srv.Count("GET "+newKey), "an unchanged snapshot is not downloaded again")

	// Access denied on one snapshot costs only that account and region.
	srv.Fail(strings.TrimPrefix(newKey, ""), s3fake.Fault{Status: http.StatusForbidden, Code: "AccessDenied"})
	srv.Put("cfg-bucket", "org/"+snapshotKey(acct, region, 2026, 10, 1, "20261001T100000Z"), gz(snapshot(sgItem("sg-new2", "new", nil))), "")
	inv, errs = src.Inventory(context.Background())
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "s3://cfg-bucket/org/AWSLogs/"+acct)
	require.Contains(t, errs[0].Error(), "AccessDenied")
	require.NotContains(t, errs[0].Error(), plantedSecret)
	require.Equal(t, []string{"sg-b/aws_security_group"}, ids(inv))
	require.False(t, inv.Coverage.Covers("aws_security_group", acct, region), "an unread snapshot covers nothing: its resources are not missing")
	require.True(t, inv.Coverage.Covers("aws_security_group", other, region))
}

// configServer speaks the Config JSON 1.1 protocol for the advanced queries.
type configServer struct {
	*httptest.Server
	mu        sync.Mutex
	throttle  int // answer this many requests with ThrottlingException
	deny      bool
	failPaged bool                // answer every request with a NextToken with InvalidNextTokenException
	results   map[string][]string // resource type -> result strings
	requests  []map[string]any
	targets   []string
	pageLimit int
}

func newConfigServer(t *testing.T) *configServer {
	cs := &configServer{results: map[string][]string{}, pageLimit: 100}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.mu.Lock()
		defer cs.mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(r.Header.Get("Authorization"), plantedSecret) {
			t.Errorf("secret sent in clear")
		}
		var in map[string]any
		if err := json.Unmarshal(body, &in); err != nil {
			w.WriteHeader(400)
			return
		}
		target := r.Header.Get("X-Amz-Target")
		cs.targets = append(cs.targets, target)
		cs.requests = append(cs.requests, in)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if cs.throttle > 0 {
			cs.throttle--
			w.WriteHeader(400)
			fmt.Fprint(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
			return
		}
		if tok, _ := in["NextToken"].(string); cs.failPaged && tok != "" {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"__type":"InvalidNextTokenException","message":"The specified next token is invalid."}`)
			return
		}
		if cs.deny {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"__type":"AccessDeniedException","message":"User is not authorized to perform config:SelectResourceConfig"}`)
			return
		}
		if target != "StarlingDoveService.SelectResourceConfig" && target != "StarlingDoveService.SelectAggregateResourceConfig" {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"__type":"UnknownOperationException"}`)
			return
		}
		expr, _ := in["Expression"].(string)
		var typ string
		if i := strings.Index(expr, "resourceType = '"); i >= 0 {
			typ = expr[i+len("resourceType = '"):]
			typ = typ[:strings.IndexByte(typ, '\'')]
		}
		all := cs.results[typ]
		start := 0
		if tok, _ := in["NextToken"].(string); tok != "" {
			fmt.Sscanf(tok, "tok-%d", &start)
		}
		limit := cs.pageLimit
		if l, ok := in["Limit"].(float64); ok && int(l) < limit && l > 0 {
			limit = int(l)
		}
		end := min(start+limit, len(all))
		out := map[string]any{"Results": all[start:end], "QueryInfo": map[string]any{"SelectFields": []any{map[string]any{"Name": "resourceId"}}}}
		if end < len(all) {
			out["NextToken"] = fmt.Sprintf("tok-%d", end)
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	return cs
}

func resultString(it map[string]any) string {
	// The API dialect: accountId/arn, configuration as an object.
	m := map[string]any{}
	for k, v := range it {
		m[k] = v
	}
	m["accountId"], m["arn"] = m["awsAccountId"], m["ARN"]
	delete(m, "awsAccountId")
	delete(m, "ARN")
	b, _ := json.Marshal(m)
	return string(b)
}

func TestAPISelectResourceConfigPagingAndThrottling(t *testing.T) {
	cs := newConfigServer(t)
	defer cs.Close()
	for i := 0; i < 250; i++ {
		cs.results["AWS::EC2::SecurityGroup"] = append(cs.results["AWS::EC2::SecurityGroup"], resultString(sgItem(fmt.Sprintf("sg-%04d", i), "n", nil)))
	}
	cs.results["AWS::EC2::SecurityGroup"][7] = `{"resourceId": "sg-broken", "configuration": "{not json"}`
	cs.results["AWS::IAM::Role"] = []string{resultString(roleItem("app", trustLive))}
	cs.throttle = 2

	src := awsconfig.NewSource("cfg-api", awsconfig.Config{
		API:    &awsconfig.APIConfig{Types: []string{"aws_security_group", "AWS::IAM::Role", "aws_s3_bucket"}},
		Client: clientConfig(cs.URL),
	})
	inv, errs := src.Inventory(context.Background())
	require.Len(t, errs, 1)
	var ie *collectors.InputError
	require.True(t, errors.As(errs[0], &ie))
	require.Equal(t, "config "+region, ie.Location)
	require.Equal(t, "AWS::EC2::SecurityGroup page 1 Results[7]", ie.Place)
	require.Contains(t, ie.Error(), "kept for presence only")
	require.Len(t, inv.Resources, 251, "the result with a broken configuration still names its resource")
	require.True(t, inv.Coverage.Covers("aws_security_group", acct, region))
	require.True(t, inv.Coverage.Covers("aws_s3_bucket", acct, region), "configured types are covered even when empty")
	require.True(t, inv.Coverage.Covers("aws_iam_role", acct, ""))

	cs.mu.Lock()
	defer cs.mu.Unlock()
	var sgTokens []any
	for i, in := range cs.requests {
		require.Equal(t, "StarlingDoveService.SelectResourceConfig", cs.targets[i])
		require.EqualValues(t, 100, in["Limit"])
		if strings.Contains(in["Expression"].(string), "AWS::EC2::SecurityGroup") {
			sgTokens = append(sgTokens, in["NextToken"])
		}
	}
	// Two throttled attempts, then three pages. (A connection the SDK
	// sees closed while reading an answer is retried too, so a page may be
	// asked for more than once: what matters is that no page is skipped
	// and the throttled first page is asked again.)
	require.GreaterOrEqual(t, len(sgTokens), 2+3)
	require.Nil(t, sgTokens[0])
	require.Nil(t, sgTokens[2], "the first page again after two throttled attempts")
	require.Contains(t, sgTokens, any("tok-100"))
	require.Contains(t, sgTokens, any("tok-200"))
	require.Contains(t, cs.requests[0]["Expression"], "SELECT resourceId, resourceType")
}

func TestAPIAggregator(t *testing.T) {
	cs := newConfigServer(t)
	defer cs.Close()
	cs.results["AWS::EC2::Instance"] = []string{resultString(instanceItem("i-1", "t3.micro"))}
	src := awsconfig.NewSource("cfg-agg", awsconfig.Config{
		API:    &awsconfig.APIConfig{Aggregator: "org", Accounts: []string{acct}, Regions: []string{region, "us-east-1"}, Types: []string{"aws_instance", "aws_iam_role"}},
		Client: clientConfig(cs.URL),
	})
	inv, errs := src.Inventory(context.Background())
	require.Empty(t, errs)
	require.Equal(t, []string{"i-1/aws_instance"}, ids(inv))
	require.Equal(t, map[string]bool{region: true, "us-east-1": true}, inv.Coverage.Regions)
	cs.mu.Lock()
	defer cs.mu.Unlock()
	require.Len(t, cs.requests, 2)
	for i, in := range cs.requests {
		require.Equal(t, "StarlingDoveService.SelectAggregateResourceConfig", cs.targets[i])
		require.Equal(t, "org", in["ConfigurationAggregatorName"])
		require.Contains(t, in["Expression"], "accountId IN ('111122223333')")
	}
	require.Contains(t, cs.requests[0]["Expression"], "AWS::EC2::Instance")
	require.Contains(t, cs.requests[0]["Expression"], "awsRegion IN ('eu-west-1', 'us-east-1')")
	require.Contains(t, cs.requests[1]["Expression"], "AWS::IAM::Role")
	require.NotContains(t, cs.requests[1]["Expression"], "awsRegion IN", "global types are not filtered by region")
}

func TestAPIAccessDenied(t *testing.T) {
	cs := newConfigServer(t)
	defer cs.Close()
	cs.deny = true
	src := awsconfig.NewSource("cfg-api", awsconfig.Config{
		API:    &awsconfig.APIConfig{Types: []string{"aws_security_group", "aws_instance"}},
		Client: clientConfig(cs.URL),
	})
	inv, errs := src.Inventory(context.Background())
	require.Empty(t, inv.Resources)
	require.Empty(t, inv.Coverage.Types, "nothing was enumerated: nothing may be reported missing")
	require.Len(t, errs, 1, "the first denial stops the queries of that region")
	require.Contains(t, errs[0].Error(), "access denied")
	require.Contains(t, errs[0].Error(), "AccessDeniedException")
	require.NotContains(t, errs[0].Error(), plantedSecret)
}

func TestExpressionQuoting(t *testing.T) {
	require.Equal(t,
		"SELECT resourceId, resourceType, resourceName, arn, accountId, awsRegion, configurationItemStatus, configurationItemCaptureTime, configurationStateId, configuration, supplementaryConfiguration, tags WHERE resourceType = 'AWS::S3::Bucket' AND accountId IN ('1', 'x''y')",
		awsconfig.Expression("AWS::S3::Bucket", []string{"1", "x'y"}, nil))
	require.Contains(t, awsconfig.QueryTypes(nil), "AWS::EC2::SecurityGroup")
	require.Equal(t, []string{"AWS::EC2::SecurityGroup", "AWS::Foo::Bar"}, awsconfig.QueryTypes([]string{"aws_security_group", "AWS::Foo::Bar"}))
}
