package identity

// The map-based implementation EventResources had before it read the bytes
// of requestParameters and responseElements in place, kept here (and only
// here) as the reference the byte path must match: differential tests over
// the table's cases, crafted shapes, the shared corpus and a fuzz target,
// and the "before" of the benchmarks.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	gojson "github.com/goccy/go-json"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/internal/testcorpus"
)

// oldRecord is the Record of the map-based implementation.
type oldRecord struct {
	EventSource       string
	EventName         string
	Region            string
	Account           string
	RequestParameters map[string]any
	ResponseElements  map[string]any
	Resources         []RecordResource
	ARNs              []string
	ARNsScanned       bool
}

func (r *oldRecord) record() *Record {
	return &Record{EventSource: r.EventSource, EventName: r.EventName, Region: r.Region, Account: r.Account, Resources: r.Resources}
}

// decodeObject decodes bytes as the collector did (a map, nil when they are
// not a JSON object), with encoding/json; goccy/go-json, which the
// collector used, must agree.
func decodeObject(tb testing.TB, b []byte) map[string]any {
	tb.Helper()
	var m, g map[string]any
	err := json.Unmarshal(b, &m)
	gerr := gojson.UnmarshalNoEscape(bytes.Clone(b), &g)
	if (err == nil) != (gerr == nil) || (err == nil && !reflect.DeepEqual(m, g)) {
		if err == nil || !goccyTrailingBytes(b) {
			tb.Fatalf("encoding/json and goccy/go-json disagree on %q: %v %v / %v %v", b, m, err, g, gerr)
		}
	}
	if err != nil {
		return nil
	}
	return m
}

// goccyTrailingBytes reports the one divergence known between the two
// decoders: goccy/go-json ignores some bytes after the value ({"a":1}}),
// encoding/json rejects them. Such bytes are not bracket-balanced, which
// the collector guarantees.
func goccyTrailingBytes(b []byte) bool {
	depth := 0
	inStr := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inStr && c == '\\':
			i++
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth < 0 {
				return true
			}
		}
	}
	return depth != 0
}

// oldRecordOf is the record the collector built for the map-based path:
// both objects decoded (absent when they do not decode) and, when scanned,
// the ARNs found by ARNsInJSON in the objects that decoded.
func oldRecordOf(tb testing.TB, rec *Record, scanned bool) *oldRecord {
	tb.Helper()
	o := &oldRecord{EventSource: rec.EventSource, EventName: rec.EventName, Region: rec.Region, Account: rec.Account, Resources: rec.Resources}
	if len(rec.Request) > 0 {
		o.RequestParameters = decodeObject(tb, rec.Request)
	}
	if len(rec.Response) > 0 {
		o.ResponseElements = decodeObject(tb, rec.Response)
	}
	if scanned {
		o.ARNsScanned = true
		if o.RequestParameters != nil {
			o.ARNs = ARNsInJSON(rec.Request, o.ARNs)
		}
		if o.ResponseElements != nil {
			o.ARNs = ARNsInJSON(rec.Response, o.ARNs)
		}
	}
	return o
}

// requireSameAsMaps checks EventResources on the bytes against the
// map-based implementation on the decoded record.
func requireSameAsMaps(t testing.TB, rec *Record, where string) []ResourceRef {
	t.Helper()
	want := oldEventResources(oldRecordOf(t, rec, true))
	got := EventResources(rec)
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("%s: %s %s\nrequest  %q\nresponse %q\nbytes: %+v\nmaps:  %+v", where, rec.EventSource, rec.EventName, rec.Request, rec.Response, got, want)
	}
	requireIDsOf(t, rec, got, where)
	return got
}

// ---- the map-based implementation, as it was

func oldEventResources(rec *oldRecord) []ResourceRef {
	var out []ResourceRef
	var seen map[string]int // once out is long; a linear search before
	add := func(ref ResourceRef) {
		if ref.ID == "" {
			return
		}
		i, ok := -1, false
		if seen != nil {
			i, ok = seen[ref.ID]
		} else {
			for j := range out {
				if out[j].ID == ref.ID {
					i, ok = j, true
					break
				}
			}
		}
		if ok {
			if out[i].TerraformType == "" && ref.TerraformType != "" {
				out[i] = ref
			}
			return
		}
		out = append(out, ref)
		switch {
		case seen != nil:
			seen[ref.ID] = len(out) - 1
		case len(out) == 16:
			seen = make(map[string]int, 32)
			for j := range out {
				seen[out[j].ID] = j
			}
		}
	}
	name := NormalizeEventName(rec.EventName)
	for _, rr := range byEvent[rec.EventSource+" "+name] {
		attrs := rr.rule.Attributes
		if rr.rule.ByRequest != nil {
			attrs = oldRequestAttributes(rr.rule.ByRequest, rec.RequestParameters)
		}
		for _, loc := range rr.rule.Locators {
			ids := oldLocate(loc, rec)
			for _, id := range ids {
				add(ResourceRef{TerraformType: rr.typ.Terraform, ID: rr.typ.canonicalFromEvent(id, rec.record()), Attributes: attrs, Change: rr.rule.Change})
			}
			if len(ids) > 0 {
				break
			}
		}
	}
	if rec.EventSource == "ec2.amazonaws.com" && (name == "CreateTags" || name == "DeleteTags") {
		for _, id := range oldLocate("requestParameters.resourcesSet.items[].resourceId", rec) {
			if t := ec2TypeOf(id); t != nil {
				add(ResourceRef{TerraformType: t.Terraform, ID: t.Canonical(id, rec.Region, rec.Account, ""), Attributes: []string{"tags"}, Change: ChangeUpdate})
			}
		}
	}
	for _, r := range rec.Resources {
		if strings.HasPrefix(r.ARN, "arn:") {
			add(oldGenericRef(r.ARN))
		}
	}
	var found []string
	if rec.ARNsScanned {
		found = append(found, rec.ARNs...)
	} else {
		oldWalkARNs(rec.RequestParameters, func(s string) { found = append(found, s) })
		oldWalkARNs(rec.ResponseElements, func(s string) { found = append(found, s) })
	}
	sort.Strings(found)
	for _, s := range found {
		add(oldGenericRef(s))
	}
	return out
}

func oldRequestAttributes(m map[string]string, req map[string]any) []string {
	var out []string
	addAttr := func(v string) {
		for _, x := range out {
			if x == v {
				return
			}
		}
		out = append(out, v)
	}
	visit := func(obj map[string]any) {
		for k, v := range obj {
			attr, ok := m[k]
			if !ok {
				continue
			}
			if i := strings.IndexByte(attr, '|'); i >= 0 { // "egress|ingress": boolean picks
				if b, _ := v.(bool); b {
					attr = attr[:i]
				} else {
					attr = attr[i+1:]
				}
			}
			addAttr(attr)
		}
	}
	visit(req)
	// SetTopicAttributes names the attribute in a value; SetQueueAttributes
	// nests keys under "attributes"; some APIs wrap in *Request.
	if an, ok := req["attributeName"].(string); ok {
		if attr, ok := m[an]; ok {
			addAttr(attr)
		}
	}
	for k, v := range req {
		if obj, ok := v.(map[string]any); ok && (k == "attributes" || strings.HasSuffix(k, "Request")) {
			visit(obj)
		}
	}
	if req != nil {
		if at, ok := req["attribute"].(string); ok { // ModifyInstanceAttribute attribute=instanceType form
			if attr, ok := m[at]; ok {
				addAttr(attr)
			}
		}
	}
	sort.Strings(out)
	return out
}

func oldLocate(loc string, rec *oldRecord) []string {
	if loc == "route53:changes" {
		return oldRoute53Records(rec)
	}
	if loc == "resources" {
		var out []string
		for _, r := range rec.Resources {
			if r.ARN != "" {
				out = append(out, r.ARN)
			}
		}
		return out
	}
	if strings.Contains(loc, " + ") {
		parts := strings.Split(loc, " + ")
		vals := make([]string, 0, len(parts))
		for _, p := range parts {
			v := oldLocate(p, rec)
			if len(v) == 0 {
				return nil
			}
			vals = append(vals, v[0])
		}
		return []string{strings.Join(vals, "/")}
	}
	if strings.HasPrefix(loc, "=") {
		return []string{loc[1:]}
	}
	last := false
	if strings.HasSuffix(loc, "#last") {
		last, loc = true, strings.TrimSuffix(loc, "#last")
	}
	var root any
	switch {
	case strings.HasPrefix(loc, "requestParameters."):
		root, loc = rec.RequestParameters, loc[len("requestParameters."):]
	case strings.HasPrefix(loc, "responseElements."):
		root, loc = rec.ResponseElements, loc[len("responseElements."):]
	default:
		return nil
	}
	var out []string
	oldWalkPath(root, strings.Split(loc, "."), func(v any) {
		s, ok := v.(string)
		if !ok || s == "" {
			return
		}
		if last {
			s = strings.TrimRight(s, "/")
			if i := strings.LastIndexByte(s, '/'); i >= 0 {
				s = s[i+1:]
			}
		}
		out = append(out, s)
	})
	return out
}

func oldWalkPath(v any, segs []string, fn func(any)) {
	if len(segs) == 0 {
		fn(v)
		return
	}
	seg := segs[0]
	arr := strings.HasSuffix(seg, "[]")
	seg = strings.TrimSuffix(seg, "[]")
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	next, ok := m[seg]
	if !ok {
		return
	}
	if arr {
		if list, ok := next.([]any); ok {
			for _, e := range list {
				oldWalkPath(e, segs[1:], fn)
			}
			return
		}
		// A single element where an array was expected (XML-ish EC2 shapes).
	}
	oldWalkPath(next, segs[1:], fn)
}

func oldRoute53Records(rec *oldRecord) []string {
	zone, _ := rec.RequestParameters["hostedZoneId"].(string)
	zone = strings.TrimPrefix(zone, "/hostedzone/")
	if zone == "" {
		return nil
	}
	var out []string
	oldWalkPath(rec.RequestParameters, []string{"changeBatch", "changes[]", "resourceRecordSet"}, func(v any) {
		rs, ok := v.(map[string]any)
		if !ok {
			return
		}
		name, _ := rs["name"].(string)
		typ, _ := rs["type"].(string)
		if name == "" || typ == "" {
			return
		}
		out = append(out, zone+"_"+strings.ToLower(strings.TrimSuffix(name, "."))+"_"+typ)
	})
	return out
}

func oldWalkARNs(v any, fn func(string)) {
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			oldWalkARNs(e, fn)
		}
	case []any:
		for _, e := range x {
			oldWalkARNs(e, fn)
		}
	case string:
		if strings.HasPrefix(x, "arn:") && strings.Count(x, ":") >= 5 {
			fn(x)
		}
	}
}

func oldGenericRef(arn string) ResourceRef {
	arn = normalizeARN(arn)
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 {
		for _, k := range arnIndex {
			if k.svc == parts[2] && k.res != "" && strings.HasPrefix(parts[5], k.res) {
				return ResourceRef{TerraformType: k.typ.Terraform, ID: arn}
			}
		}
		if parts[2] == "s3" && parts[3] == "" && parts[4] == "" && !strings.Contains(parts[5], "/") {
			return ResourceRef{TerraformType: "aws_s3_bucket", ID: arn}
		}
	}
	return ResourceRef{ID: arn}
}

// ---- differential tests

// crafted are shapes the table's cases do not show: repeated keys,
// escapes, a single element for an array, values of the wrong kind,
// malformed objects (absent on both paths).
var crafted = []struct{ source, name, req, resp string }{
	// repeated keys: the last member wins
	{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-1","groupId":"sg-2"}`, `{"securityGroupRuleSet":{"items":[{"securityGroupRuleId":"sgr-1"}]},"securityGroupRuleSet":{"items":[{"securityGroupRuleId":"sgr-2"}]}}`},
	{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-1","groupId":5}`, ``},
	{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":5,"groupId":"sg-1"}`, ``},
	{"ec2.amazonaws.com", "CreateNetworkAclEntry", `{"networkAclId":"acl-1","egress":true,"egress":false}`, ``},
	{"ec2.amazonaws.com", "CreateNetworkAclEntry", `{"networkAclId":"acl-1","egress":false,"egress":true}`, ``},
	{"ec2.amazonaws.com", "CreateNetworkAclEntry", `{"networkAclId":"acl-1","egress":"true"}`, ``},
	{"ec2.amazonaws.com", "CreateNetworkAclEntry", `{"networkAclId":"acl-1","egress":null}`, ``},
	{"ec2.amazonaws.com", "CreateNetworkAclEntry", `{"networkAclId":"acl-1","egre\u0073s":true}`, ``},
	{"sqs.amazonaws.com", "SetQueueAttributes", `{"queueUrl":"https://q/1/jobs","attributes":{"VisibilityTimeout":"1"},"attributes":{"Policy":"{}"}}`, ``},
	{"sqs.amazonaws.com", "SetQueueAttributes", `{"queueUrl":"https://q/1/jobs","attributes":{"VisibilityTimeout":"1"},"attributes":5}`, ``},
	{"sqs.amazonaws.com", "SetQueueAttributes", `{"queueUrl":"https://q/1/jobs","attributes":[{"Policy":"x"}]}`, ``},
	{"ec2.amazonaws.com", "ModifyInstanceAttribute", `{"instanceId":"i-1","ModifyInstanceAttributeRequest":{"instanceType":{"value":"t3.large"}},"ModifyInstanceAttributeRequest":{"userData":{}}}`, ``},
	{"ec2.amazonaws.com", "ModifyInstanceAttribute", `{"instanceId":"i-1","XRequest":{"groupSet":{}},"Request":{"sourceDestCheck":{}},"Modify\u0052equest":{"ebsOptimized":{}}}`, ``},
	{"ec2.amazonaws.com", "ModifyInstanceAttribute", `{"instanceId":"i-1","attribute":"instanceType","value":"t3.large"}`, ``},
	{"ec2.amazonaws.com", "ModifyInstanceAttribute", `{"instanceId":"i-1","attribute":"disableApiTermination","attribute":"userData"}`, ``},
	{"ec2.amazonaws.com", "ModifyInstanceAttribute", `{"instanceId":"i-1","attribute":5,"instanceType":null}`, ``},
	{"sns.amazonaws.com", "SetTopicAttributes", `{"topicArn":"arn:aws:sns:eu-west-1:1:t","attributeName":"DisplayName","attributeName":"Policy"}`, ``},
	{"sns.amazonaws.com", "SetTopicAttributes", `{"topicArn":"arn:aws:sns:eu-west-1:1:t","attributeName":{"Policy":1}}`, ``},
	{"rds.amazonaws.com", "ModifyDBInstance", `{"dBInstanceIdentifier":"db","allocatedStorage":100,"multiAZ":true,"masterUserPassword":"x","iops":3000,"applyImmediately":true}`, ``},
	{"lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", `{"functionName":"arn:aws:lambda:eu-west-1:1:function:f","environment":{},"layers":[],"description":""}`, ``},
	// escapes in keys and values
	{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"group\u0049d":"sg-\u0031\/x"}`, ``},
	{"sqs.amazonaws.com", "DeleteQueue", `{"queueUrl":"https:\/\/sqs.eu-west-1.amazonaws.com\/111122223333\/jobs\/"}`, ``},
	{"sqs.amazonaws.com", "DeleteQueue", `{"queueUrl":"jobs"}`, ``},
	{"sqs.amazonaws.com", "DeleteQueue", `{"queueUrl":"/"}`, ``},
	{"s3.amazonaws.com", "PutBucketPolicy", `{"bucketName":"b\ud83d\ude00"}`, ``},
	{"s3.amazonaws.com", "PutBucketPolicy", `{"bucketName":"b\ud800x\udc00"}`, ``},
	{"s3.amazonaws.com", "PutBucketPolicy", "{\"bucketName\":\"b\xffc\xc3\"}", ``},
	{"s3.amazonaws.com", "PutBucketPolicy", `{"bucketName":"b\u0000\t\n"}`, ``},
	{"s3.amazonaws.com", "PutBucketPolicy", "{\"b\xffucketName\":\"b\"}", ``},
	{"logs.amazonaws.com", "PutRetentionPolicy", `{"logGroupName":"\/aws\/lambda\/f"}`, `{"x":"arn:aws:logs:eu-west-1:1:log-group:\/aws\/x:*"}`},
	{"example.amazonaws.com", "DoThing", `{"a":"\u0061rn:aws:s3:::a","b":["arn:aws:s3:::b","arn:x"],"arn:aws:s3:::key":1}`, `{"c":{"d":"arn:aws:iam::1:role\/r"},"c":"arn:aws:sns:eu-west-1:1:t"}`},
	// a single element where an array is expected, and other wrong kinds
	{"ec2.amazonaws.com", "RunInstances", ``, `{"instancesSet":{"items":{"instanceId":"i-1"}}}`},
	{"ec2.amazonaws.com", "RunInstances", ``, `{"instancesSet":{"items":[{"instanceId":"i-1"},{"instanceId":""},{"instanceId":7},{},null,"i-9",[{"instanceId":"i-2"}],{"instanceId":"i-3"}]}}`},
	{"ec2.amazonaws.com", "RunInstances", ``, `{"instancesSet":[{"items":[{"instanceId":"i-1"}]}]}`},
	{"ec2.amazonaws.com", "RunInstances", ``, `{"instancesSet":{"items":"i-1"}}`},
	{"ec2.amazonaws.com", "RunInstances", ``, `{"instancesSet":{"items":[]}}`},
	{"ec2.amazonaws.com", "RunInstances", ``, `{"instancesSet":null}`},
	{"ec2.amazonaws.com", "TerminateInstances", `{"instancesSet":{"items":[{"instanceId":"i-1"},{"instanceId":"i-1"},{"instanceId":"i-2"}]}}`, ``},
	{"ec2.amazonaws.com", "CreateTags", `{"resourcesSet":{"items":[{"resourceId":"sg-1"},{"resourceId":"i-2"},{"resourceId":"nat-3"},{"resourceId":"x"},{"resourceId":""}]},"tagSet":{}}`, ``},
	{"ec2.amazonaws.com", "DeleteTags", `{"resourcesSet":{"items":{"resourceId":"vpc-1"}}}`, ``},
	{"elasticloadbalancing.amazonaws.com", "CreateLoadBalancer", ``, `{"loadBalancers":[{"loadBalancerArn":"arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/a/1"},{"loadBalancerArn":"arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/b/2"}]}`},
	{"elasticloadbalancing.amazonaws.com", "CreateLoadBalancer", ``, `{"loadBalancers":{"loadBalancerArn":"arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/a/1"}}`},
	{"iam.amazonaws.com", "AttachRolePolicy", `{"roleName":"r"}`, ``},
	{"iam.amazonaws.com", "AttachRolePolicy", `{"roleName":"","policyArn":"arn:aws:iam::aws:policy/P"}`, ``},
	{"iam.amazonaws.com", "CreateRole", `{"roleName":"r"}`, `{"role":{"arn":""}}`},
	{"iam.amazonaws.com", "CreateRole", `{"roleName":"r"}`, `{"role":{"arn":"arn:aws:iam::1:role/p/r"}}`},
	{"kms.amazonaws.com", "DisableKey", `{"keyId":"alias/x"}`, ``},
	{"kms.amazonaws.com", "DisableKey", `{}`, ``},
	{"secretsmanager.amazonaws.com", "CreateSecret", `{"name":"s"}`, `{"aRN":"arn:aws:secretsmanager:eu-west-1:1:secret:s-AbCdEf"}`},
	// Route 53
	{"route53.amazonaws.com", "ChangeResourceRecordSets", `{"hostedZoneId":"/hostedzone/Z1","changeBatch":{"changes":[{"resourceRecordSet":{"name":"A.example.com.","type":"A"}},{"resourceRecordSet":{"name":"b.example.com","type":"CNAME"}},{"resourceRecordSet":{"name":"","type":"A"}},{"resourceRecordSet":{"name":"c","type":5}},{"resourceRecordSet":[]}]}}`, ``},
	{"route53.amazonaws.com", "ChangeResourceRecordSets", `{"hostedZoneId":"Z1","changeBatch":{"changes":{"resourceRecordSet":{"name":"one.example.com","type":"TXT"}}}}`, ``},
	{"route53.amazonaws.com", "ChangeResourceRecordSets", `{"hostedZoneId":"Z1","hostedZoneId":"Z2","changeBatch":{"changes":[{"resourceRecordSet":{"name":"x","name":"y","type":"A","type":"AAAA"}}]}}`, ``},
	{"route53.amazonaws.com", "ChangeResourceRecordSets", `{"hostedZoneId":"\/hostedzone\/Z\u0031","changeBatch":{"changes":[{"resourceRecordSet":{"name":"\u0057WW.example.com.","type":"A"}}]}}`, ``},
	{"route53.amazonaws.com", "ChangeResourceRecordSets", `{"hostedZoneId":"/hostedzone/","changeBatch":{"changes":[{"resourceRecordSet":{"name":"x","type":"A"}}]}}`, ``},
	{"route53.amazonaws.com", "ChangeResourceRecordSets", `{"hostedZoneId":7,"changeBatch":{"changes":[{"resourceRecordSet":{"name":"x","type":"A"}}]}}`, ``},
	{"route53.amazonaws.com", "ChangeResourceRecordSets", `{"hostedZoneId":"Z1","changeBatch":{"changes":[{"resourceRecordSet":{"name":"ÉCOLE.Example.COM.","type":"A"}},{"resourceRecordSet":{"name":"\u00c9T\u00c9.example","type":"AAAA"}},{"resourceRecordSet":{"name":"ǅ.x","type":"A"}}]}}`, ``},
	// more top-level members than are indexed, more ARN candidates than
	// are noted in one pass (with escapes)
	{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{` + manyMembers(20) + `,"groupId":"sg-1",` + manyMembers(3) + `,"groupId":"sg-2"}`, `{` + manyMembers(30) + `,"securityGroupRuleSet":{"items":[{"securityGroupRuleId":"sgr-1"}]}}`},
	{"example.amazonaws.com", "DoThing", `{"a":[` + manyARNs(10) + `,"\u0061rn:aws:s3:::e","x\n","arn:aws:s3:::k\/x"]}`, `{"b":[` + manyARNs(7) + `]}`},
	// many resources: the de-duplication switches to a map
	{"example.amazonaws.com", "DoThing", `{"a":[` + manyARNs(20) + `]}`, `{"b":[` + manyARNs(25) + `]}`},
	{"ec2.amazonaws.com", "TerminateInstances", `{"instancesSet":{"items":[` + manyIDs(30) + `]}}`, ``},
	// objects of another kind, whitespace, malformed objects
	{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `  { "groupId" : "sg-1" ,"x" : [ 1 , { } ] }  `, " \n{\"securityGroupRuleSet\":{\"items\":[{\"securityGroupRuleId\":\"sgr-1\"}]}}\t"},
	{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `[{"groupId":"sg-1"}]`, `"arn:aws:s3:::x"`},
	{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `null`, `5`},
	{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-1",}`, `{"securityGroupRuleSet":{"items":[{"securityGroupRuleId":"sgr-1"}]}`},
	{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-1","x":[1 2],"y":"arn:aws:s3:::y"}`, `{"securityGroupRuleSet":{"items":[{"securityGroupRuleId":"sgr-1"}]},"z":"arn:aws:s3:::z"}`},
	{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", "{\"groupId\":\"sg-\x01\"}", `{"a":tru}`},
	{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-1"} {}`, `{"a":"\x"}`},
	{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-1","n":01}`, `{"a":"arn:aws:s3:::a","b":.5}`},
	{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-1"`, `{"a":{"b":[}]}`},
	{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-1","deep":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`, `{"ok":` + strings.Repeat("[", 9998) + `"arn:aws:s3:::deep"` + strings.Repeat("]", 9998) + `}`},
}

func manyARNs(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`"arn:aws:sns:eu-west-1:1:t%d"`, i%18)
	}
	return strings.Join(parts, ",")
}

func manyMembers(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`"m%d":{"groupId":"sg-x%d","v":[%d]}`, i, i, i)
	}
	return strings.Join(parts, ",")
}

func manyIDs(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`{"instanceId":"i-%d"}`, i%22)
	}
	return strings.Join(parts, ",")
}

// detailCases are the events of TestEventResourcesDetails and
// TestResourceIDMatchesEvents.
var detailCases = []struct{ source, name, req, resp string }{
	{"ec2.amazonaws.com", "ModifyInstanceAttribute", `{"instanceId":"i-1","instanceType":{"value":"m5.large"}}`, ``},
	{"ec2.amazonaws.com", "ModifyInstanceAttribute", `{"instanceId":"i-1","groupSet":{"items":[{"groupId":"sg-1"}]}}`, ``},
	{"ec2.amazonaws.com", "ReplaceNetworkAclEntry", `{"networkAclId":"acl-1","egress":true}`, ``},
	{"ec2.amazonaws.com", "TerminateInstances", `{"instancesSet":{"items":[{"instanceId":"i-1"},{"instanceId":"i-2"}]}}`, ``},
	{"ec2.amazonaws.com", "CreateTags", `{"resourcesSet":{"items":[{"resourceId":"sg-1"},{"resourceId":"vol-2"},{"resourceId":"ami-3"}]}}`, ``},
	{"bedrock.amazonaws.com", "PutModelInvocationLoggingConfiguration", `{"loggingConfig":{"cloudWatchConfig":{"roleArn":"arn:aws:iam::111122223333:role/log","logGroupName":"x"}}}`, `{"thing":"arn:aws:bedrock:eu-west-1:111122223333:model/x"}`},
	{"kms.amazonaws.com", "ScheduleKeyDeletion", `{"keyId":"arn:aws:kms:eu-west-1:111122223333:key/k-1","pendingWindowInDays":7}`, ``},
	{"sqs.amazonaws.com", "CreateQueue", `{"queueName":"jobs"}`, `{"queueUrl":"https://sqs.eu-west-1.amazonaws.com/111122223333/jobs"}`},
	{"secretsmanager.amazonaws.com", "PutResourcePolicy", `{"secretId":"db-password"}`, ``},
	{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupName":"default"}`, ``},
	{"s3.amazonaws.com", "PutBucketPolicy", ``, ``},
	{"route53.amazonaws.com", "ChangeResourceRecordSets", `{"changeBatch":{}}`, ``},
	{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-0abc"}`, ``},
	{"ec2.amazonaws.com", "DeleteVpc", `{"vpcId":"vpc-1"}`, ``},
}

func rawRecord(source, name, req, resp string) *Record {
	r := &Record{EventSource: source, EventName: name, Region: region, Account: acct}
	if req != "" {
		r.Request = []byte(req)
	}
	if resp != "" {
		r.Response = []byte(resp)
	}
	return r
}

// TestEventResourcesMatchesMaps compares the byte path with the map-based
// one on every event of the table's tests and on crafted shapes.
func TestEventResourcesMatchesMaps(t *testing.T) {
	n := 0
	for _, c := range everyRow {
		requireSameAsMaps(t, rawRecord(c.source, c.event, c.req, c.resp), "row "+c.tf)
		n++
	}
	for i, c := range detailCases {
		requireSameAsMaps(t, rawRecord(c.source, c.name, c.req, c.resp), fmt.Sprintf("detail %d", i))
		n++
	}
	for i, c := range crafted {
		rec := rawRecord(c.source, c.name, c.req, c.resp)
		requireSameAsMaps(t, rec, fmt.Sprintf("crafted %d", i))
		n++
		// The same again in other regions and with resources[].
		rec.Region = "cn-north-1"
		rec.Resources = []RecordResource{{ARN: "arn:aws:s3:::from-resources"}, {ARN: "not-an-arn"}, {ARN: ""}}
		requireSameAsMaps(t, rec, fmt.Sprintf("crafted %d in cn-north-1", i))
		rec.Region = "us-gov-west-1"
		requireSameAsMaps(t, rec, fmt.Sprintf("crafted %d in us-gov-west-1", i))
		n += 2
	}
	// Every event name of the table, with every locator's path present.
	for _, typ := range Types {
		for _, r := range typ.Events {
			req, resp := locatorDocs(r.Locators)
			for _, name := range r.Names {
				requireSameAsMaps(t, rawRecord(typ.EventSource, name, req, resp), typ.Terraform+" "+name)
				requireSameAsMaps(t, rawRecord(typ.EventSource, name, ``, resp), typ.Terraform+" "+name+" without request")
				requireSameAsMaps(t, rawRecord(typ.EventSource, name, req, ``), typ.Terraform+" "+name+" without response")
				n += 3
			}
		}
	}
	t.Logf("%d records compared", n)
}

// locatorDocs builds a request and a response in which every locator of a
// rule finds a value (an id per path, arrays where the path says "[]").
func locatorDocs(locs []string) (req, resp string) {
	docs := map[string]map[string]any{"requestParameters": {}, "responseElements": {}}
	for _, loc := range locs {
		for _, part := range strings.Split(loc, " + ") {
			part = strings.TrimSuffix(part, "#last")
			root, path, ok := strings.Cut(part, ".")
			if !ok || docs[root] == nil {
				continue
			}
			segs := strings.Split(path, ".")
			cur := docs[root]
			for i, seg := range segs {
				key := strings.TrimSuffix(seg, "[]")
				if i == len(segs)-1 {
					cur[key] = "id-" + key
					if strings.Contains(key, "Arn") || key == "arn" {
						cur[key] = "arn:aws:example:eu-west-1:111122223333:thing/" + key
					}
					if key == "queueUrl" {
						cur[key] = "https://sqs.eu-west-1.amazonaws.com/111122223333/q"
					}
					break
				}
				next := map[string]any{}
				if strings.HasSuffix(seg, "[]") {
					cur[key] = []any{next, map[string]any{}}
				} else {
					cur[key] = next
				}
				cur = next
			}
		}
	}
	b1, _ := json.Marshal(docs["requestParameters"])
	b2, _ := json.Marshal(docs["responseElements"])
	return string(b1), string(b2)
}

// TestMalformedObjectsAreAbsent pins the behaviour on bytes that are not a
// valid JSON object (what the collector never hands over, or hands over
// only bracket-balanced): they count as absent, as a map that failed to
// decode did; no locator reads them and no ARN is taken from them.
func TestMalformedObjectsAreAbsent(t *testing.T) {
	valid := rawRecord("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-1","x":"arn:aws:s3:::x"}`,
		`{"securityGroupRuleSet":{"items":[{"securityGroupRuleId":"sgr-1"}]},"y":"arn:aws:s3:::y"}`)
	refs := EventResources(valid)
	require.Len(t, refs, 5)
	for _, bad := range []string{
		`{"groupId":"sg-1","x":"arn:aws:s3:::x",}`, `{"groupId":"sg-1","x":"arn:aws:s3:::x"`, `{"groupId":"sg-1" "x":"arn:aws:s3:::x"}`,
		`{"groupId":"sg-1","x":"arn:aws:s3:::x"}}`, `{"groupId":"sg-1","x":"arn:aws:s3:::x"} x`, `{"groupId":"sg-1","x":"arn:aws:s3:::x","n":-}`,
		"{\"groupId\":\"sg-1\x02\",\"x\":\"arn:aws:s3:::x\"}", `{"groupId":"sg-1","x":"arn:aws:s3:::x\q"}`, `["groupId","sg-1"]`, `{`, `}`,
	} {
		t.Run(bad, func(t *testing.T) {
			rec := *valid
			rec.Request = []byte(bad)
			got := EventResources(&rec)
			for _, r := range got {
				require.NotContains(t, r.ID, "sg-1")
				require.NotEqual(t, "arn:aws:s3:::x", r.ID)
			}
			require.Len(t, got, 2, "the response's rule and ARN remain")
			requireSameAsMaps(t, &rec, "request "+bad)
			rec = *valid
			rec.Response = []byte(bad)
			got = EventResources(&rec)
			require.Len(t, got, 3, "the request's two rules and ARN remain")
			requireSameAsMaps(t, &rec, "response "+bad)
		})
	}
}

// TestARNFields checks the ARN splitting of genericRef against the
// strings.SplitN it replaced.
func TestARNFields(t *testing.T) {
	for _, arn := range []string{
		"arn:aws:s3:::b", "arn:aws:s3:::b/k:x", "arn:aws:iam::1:role/r", "arn:aws:logs:eu-west-1:1:log-group:/a:*",
		"arn:aws:sns:eu-west-1:1:t", "arn:aws", "arn:aws:s3::", "arn:aws:s3:::", "arn:::::", "::::", "", "arn:a:b:c:d:e:f:g",
	} {
		parts := strings.SplitN(arn, ":", 6)
		svc, region, account, res, ok := arnFields(arn)
		require.Equal(t, len(parts) == 6, ok, arn)
		if ok {
			require.Equal(t, []string{parts[2], parts[3], parts[4], parts[5]}, []string{svc, region, account, res}, arn)
		}
		require.Equal(t, oldGenericRef(arn), genericRef(arn), arn)
	}
}

// TestRequestAttributesMatchesMaps compares requestAttributes on bytes with
// the map-based one for every ByRequest table, including its keys nested
// under "attributes" or a *Request wrapper and named by attributeName or
// attribute.
func TestRequestAttributesMatchesMaps(t *testing.T) {
	tables := map[string]map[string]string{}
	for _, typ := range Types {
		for _, r := range typ.Events {
			if r.ByRequest != nil {
				tables[typ.Terraform+" "+r.Names[0]] = r.ByRequest
			}
		}
	}
	require.GreaterOrEqual(t, len(tables), 7)
	for name, m := range tables {
		keys := make([]string, 0, len(m))
		for k := range m {
			require.Equal(t, k, strings.Map(func(r rune) rune {
				if r >= 0x80 || r == '\\' || r == '"' || r < ' ' {
					return -1
				}
				return r
			}, k), "ByRequest keys are plain ASCII")
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var docs []string
		for i, k := range keys {
			docs = append(docs,
				fmt.Sprintf(`{%q:{"value":1}}`, k),
				fmt.Sprintf(`{%q:true,"other":1,%q:false}`, k, k),
				fmt.Sprintf(`{%q:false,%q:true}`, k, k),
				fmt.Sprintf(`{"attributes":{%q:"1"}}`, k),
				fmt.Sprintf(`{"attributes":{%q:"1"},"attributes":{}}`, k),
				fmt.Sprintf(`{"ThingRequest":{%q:1},"attributeName":%q,"attribute":%q}`, k, keys[(i+1)%len(keys)], keys[(i+2)%len(keys)]),
				fmt.Sprintf(`{"attributeName":%q,"attributeName":7}`, k),
				fmt.Sprintf(`{"attribute":%q,"x":{"attribute":%q}}`, k, keys[(i+1)%len(keys)]),
			)
		}
		all := map[string]any{}
		for _, k := range keys {
			all[k] = true
		}
		b, _ := json.Marshal(all)
		docs = append(docs, string(b), `{}`, `{"ARequest":{"BRequest":{}}}`)
		for _, d := range docs {
			var req map[string]any
			require.NoError(t, json.Unmarshal([]byte(d), &req), d)
			var o object
			o.load([]byte(d))
			require.Equal(t, oldRequestAttributes(m, req), requestAttributes(m, &o), "%s: %s", name, d)
		}
		var absent object
		absent.load(nil)
		require.Equal(t, oldRequestAttributes(m, nil), requestAttributes(m, &absent))
	}
}

// corpusRecords returns the CloudTrail records of the shared corpus (the
// files the cloudtrail collector's corpus tests read), skipping the test
// when the corpus is absent.
func corpusRecords(t *testing.T) map[string][]byte {
	out := map[string][]byte{}
	add := func(where string, raw []byte) {
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return
		}
		if d, ok := m["detail"]; ok && len(d) > 0 && d[0] == '{' { // an EventBridge envelope
			var inner map[string]json.RawMessage
			if json.Unmarshal(d, &inner) == nil && (inner["eventName"] != nil || inner["eventSource"] != nil) {
				raw = d
			}
		}
		out[where] = raw
	}
	dir := testcorpus.Dir(t)
	panther, _ := filepath.Glob(filepath.Join(dir, "panther-analysis", "rules", "aws_cloudtrail_rules", "*.json"))
	for _, f := range panther {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var doc struct {
			Tests []struct {
				Log json.RawMessage `json:"log"`
			} `json:"tests"`
		}
		if json.Unmarshal(data, &doc) != nil {
			continue
		}
		for i, tc := range doc.Tests {
			add(fmt.Sprintf("%s tests[%d]", filepath.Base(f), i), tc.Log)
		}
	}
	stratus, _ := filepath.Glob(filepath.Join(dir, "stratus-red-team", "docs", "detonation-logs", "*.json"))
	for _, f := range stratus {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var recs []json.RawMessage
		if json.Unmarshal(data, &recs) != nil {
			continue
		}
		for i, r := range recs {
			add(fmt.Sprintf("%s[%d]", filepath.Base(f), i), r)
		}
	}
	custodian, _ := filepath.Glob(filepath.Join(dir, "cloud-custodian", "tests", "data", "cwe", "*.json"))
	for _, f := range custodian {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		add(filepath.Base(f), data)
	}
	if f, err := os.Open(filepath.Join(dir, "plaso", "test_data", "jsonl", "aws_cloudtrail.jsonl")); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for i := 0; sc.Scan(); i++ {
			var le struct {
				CloudTrailEvent string `json:"CloudTrailEvent"`
			}
			if json.Unmarshal(sc.Bytes(), &le) == nil && le.CloudTrailEvent != "" {
				add(fmt.Sprintf("plaso line %d", i+1), []byte(le.CloudTrailEvent))
			}
		}
	}
	return out
}

// corpusRecord builds the identity Record of a corpus record the way the
// collector does: requestParameters and responseElements only when they
// are objects.
func corpusRecord(raw []byte) (*Record, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil, false
	}
	field := func(name string) json.RawMessage {
		if v, ok := m[name]; ok {
			return v
		}
		for k, v := range m {
			if strings.EqualFold(k, name) {
				return v
			}
		}
		return nil
	}
	str := func(name string) string {
		var s string
		_ = json.Unmarshal(field(name), &s)
		return s
	}
	rec := &Record{EventSource: str("eventSource"), EventName: str("eventName"), Region: str("awsRegion"), Account: str("recipientAccountId")}
	if rec.EventName == "" {
		return nil, false
	}
	if rec.Account == "" {
		var ui struct {
			AccountID string `json:"accountId"`
		}
		_ = json.Unmarshal(field("userIdentity"), &ui)
		rec.Account = ui.AccountID
	}
	object := func(v json.RawMessage) []byte {
		v = bytes.TrimSpace(v)
		if len(v) == 0 || v[0] != '{' {
			return nil
		}
		return v
	}
	rec.Request = object(field("requestParameters"))
	rec.Response = object(field("responseElements"))
	var res []struct {
		ARN       string `json:"ARN"`
		AccountID string `json:"accountId"`
		Type      string `json:"type"`
	}
	if json.Unmarshal(field("resources"), &res) == nil {
		for _, r := range res {
			rec.Resources = append(rec.Resources, RecordResource{ARN: r.ARN, AccountID: r.AccountID, Type: r.Type})
		}
	}
	return rec, true
}

// TestEventResourcesMatchesMapsCorpus compares the byte path with the
// map-based one on every CloudTrail record of the shared corpus.
func TestEventResourcesMatchesMapsCorpus(t *testing.T) {
	recs := corpusRecords(t)
	names := make([]string, 0, len(recs))
	for k := range recs {
		names = append(names, k)
	}
	sort.Strings(names)
	n, withRefs, typed := 0, 0, 0
	for _, where := range names {
		rec, ok := corpusRecord(recs[where])
		if !ok {
			continue
		}
		refs := requireSameAsMaps(t, rec, where)
		n++
		if len(refs) > 0 {
			withRefs++
		}
		for _, r := range refs {
			if r.TerraformType != "" {
				typed++
				break
			}
		}
	}
	t.Logf("%d corpus records compared: %d with resources, %d with a typed resource", n, withRefs, typed)
	require.GreaterOrEqual(t, n, 750, "panther, stratus-red-team, custodian and plaso hold about 800 CloudTrail records")
	require.Greater(t, typed, 100)
}

// FuzzEventResourcesAgainstMaps compares the byte path with the map-based
// one on arbitrary requestParameters and responseElements bytes for the
// events of the table.
func FuzzEventResourcesAgainstMaps(f *testing.F) {
	type evName struct{ source, name string }
	var events []evName
	for _, typ := range Types {
		for _, r := range typ.Events {
			for _, name := range r.Names {
				events = append(events, evName{typ.EventSource, name})
			}
		}
	}
	events = append(events, evName{"ec2.amazonaws.com", "CreateTags"}, evName{"example.amazonaws.com", "DoThing"})
	index := func(source, name string) uint16 {
		for i, e := range events {
			if e.source == source && e.name == NormalizeEventName(name) {
				return uint16(i)
			}
		}
		return uint16(len(events) - 1)
	}
	for _, c := range everyRow {
		f.Add(index(c.source, c.event), []byte(c.req), []byte(c.resp))
	}
	for _, c := range crafted {
		if len(c.req)+len(c.resp) < 4096 {
			f.Add(index(c.source, c.name), []byte(c.req), []byte(c.resp))
		}
	}
	f.Fuzz(func(t *testing.T, ev uint16, req, resp []byte) {
		e := events[int(ev)%len(events)]
		rec := &Record{EventSource: e.source, EventName: e.name, Region: region, Account: acct, Request: req, Response: resp}
		if len(req) == 0 {
			rec.Request = nil
		}
		if len(resp) == 0 {
			rec.Response = nil
		}
		requireSameAsMaps(t, rec, "fuzz")
	})
}

// ---- benchmarks

// benchRecords are write events of the ingest benchmark's mix (and a
// Route 53 change) as the collector hands them over.
var benchRecords = []struct {
	name      string
	rec       Record
	resources []RecordResource
}{
	{"AuthorizeSecurityGroupIngress", Record{EventSource: "ec2.amazonaws.com", EventName: "AuthorizeSecurityGroupIngress", Region: region, Account: acct,
		Request:  []byte(`{"groupId":"sg-0a1b2c","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":443,"toPort":443,"groups":{},"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8","description":"internal"}]},"ipv6Ranges":{},"prefixListIds":{}}]}}`),
		Response: []byte(`{"requestId":"0c5b6a0e-3f7e-4c1b-9a59-2f1d7d1c0e11","_return":true,"securityGroupRuleSet":{"items":[{"groupOwnerId":"111122223333","groupId":"sg-0a1b2c","securityGroupRuleId":"sgr-0a1b2c","isEgress":false,"ipProtocol":"tcp","fromPort":443,"toPort":443,"cidrIpv4":"10.0.0.0/8","description":"internal"}]}}`)}, nil},
	{"PutBucketPolicy", Record{EventSource: "s3.amazonaws.com", EventName: "PutBucketPolicy", Region: region, Account: acct,
		Request: []byte(`{"bucketPolicy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::assets-42/*"}]},"bucketName":"assets-42","Host":"assets-42.s3.eu-west-1.amazonaws.com","policy":""}`)},
		[]RecordResource{{ARN: "arn:aws:s3:::assets-42", AccountID: acct, Type: "AWS::S3::Bucket"}}},
	{"ChangeResourceRecordSets", Record{EventSource: "route53.amazonaws.com", EventName: "ChangeResourceRecordSets", Region: "us-east-1", Account: acct,
		Request:  []byte(`{"hostedZoneId":"Z0123456789ABCDEFGHIJ","changeBatch":{"comment":"Managed by Terraform","changes":[{"action":"UPSERT","resourceRecordSet":{"name":"www.example.com","type":"A","tTL":300,"resourceRecords":[{"value":"192.0.2.10"}]}}]}}`),
		Response: []byte(`{"changeInfo":{"id":"/change/C0123456789ABCDEFGHIJ","status":"PENDING","submittedAt":"May 1, 2024 10:00:00 AM"}}`)}, nil},
}

// BenchmarkEventResources measures the byte path ("bytes") against what the
// map-based path cost the collector ("maps": decoding requestParameters,
// and responseElements where a locator reads it, with goccy/go-json,
// scanning the ARNs, then the map walk) and the map walk alone
// ("maps-predecoded").
func BenchmarkEventResources(b *testing.B) {
	for _, br := range benchRecords {
		rec := br.rec
		rec.Resources = br.resources
		want := oldEventResources(oldRecordOf(b, &rec, true))
		require.Equal(b, want, EventResources(&rec))
		require.NotEmpty(b, want)
		b.Run(br.name+"/bytes", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				EventResources(&rec)
			}
		})
		b.Run(br.name+"/maps", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				o := oldRecord{EventSource: rec.EventSource, EventName: rec.EventName, Region: rec.Region, Account: rec.Account, Resources: rec.Resources, ARNsScanned: true}
				if gojson.UnmarshalNoEscape(rec.Request, &o.RequestParameters) == nil {
					o.ARNs = ARNsInJSON(rec.Request, o.ARNs)
				}
				if UsesResponseElements(rec.EventSource, rec.EventName) {
					_ = gojson.UnmarshalNoEscape(rec.Response, &o.ResponseElements)
				}
				if len(rec.Response) > 0 {
					o.ARNs = ARNsInJSON(rec.Response, o.ARNs)
				}
				oldEventResources(&o)
			}
		})
		pre := oldRecordOf(b, &rec, true)
		b.Run(br.name+"/maps-predecoded", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				oldEventResources(pre)
			}
		})
	}
}
