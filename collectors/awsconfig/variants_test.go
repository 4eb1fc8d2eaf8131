package awsconfig_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/collectors/awsconfig"
	"github.com/driftwarden/driftwarden/collectors/tfstate/s3state/s3fake"
	"github.com/driftwarden/driftwarden/drift"
)

func decodeOne(t *testing.T, doc string) []*awsconfig.Item {
	t.Helper()
	items, errs := awsconfig.Decode(strings.NewReader(doc), awsconfig.DecodeOptions{Source: "cfg", Location: "doc.json"})
	require.Empty(t, errs)
	return items
}

func byType(res []collectors.LiveResource) map[string]collectors.LiveResource {
	out := map[string]collectors.LiveResource{}
	for _, r := range res {
		out[r.Type] = r
	}
	return out
}

// historyKey is the real name of a configuration history file:
// <acct>_Config_<region>_ConfigHistory_<type>_<start>_<end>_<n>.json.gz.
func historyKey(account, reg, typ string, y, m, d int, start, end string) string {
	return fmt.Sprintf("AWSLogs/%s/Config/%s/%d/%d/%d/ConfigHistory/%s_Config_%s_ConfigHistory_%s_%s_%s_1.json.gz", account, reg, y, m, d, account, reg, typ, start, end)
}

// TestHistoryAndNotificationFilesAreNotInventory: a local copy of the
// delivery bucket holds history files and oversized change notifications
// under their real names next to the snapshots; only the latest snapshot
// is the inventory (a history file mentions only the resources that
// changed, and an older change must not override the snapshot).
func TestHistoryAndNotificationFilesAreNotInventory(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, snapshotKey(acct, region, 2026, 11, 20, "20261120T100000Z"), gz(snapshot(sgItem("sg-0web", "web", nil), sgItem("sg-0db", "db", nil))))
	deleted := sgItem("sg-0web", "web", nil)
	deleted["configurationItemStatus"] = "ResourceDeleted"
	deleted["configuration"] = nil
	deleted["configurationItemCaptureTime"] = "2026-11-20T11:00:00.000Z"
	hist, _ := json.Marshal(map[string]any{"fileVersion": "1.0", "configurationItems": []any{deleted, sgItem("sg-0gone", "x", nil)}})
	writeFile(t, dir, historyKey(acct, region, "AWS::EC2::SecurityGroup", 2026, 11, 20, "20261120T100000Z", "20261120T160000Z"), gz(hist))
	oversized, _ := json.Marshal(map[string]any{"configurationItem": sgItem("sg-0big", "big", nil), "configurationItemDiff": nil, "messageType": "ConfigurationItemChangeNotification", "recordVersion": "1.3"})
	writeFile(t, dir, fmt.Sprintf("AWSLogs/%s/Config/%s/2026/11/20/OversizedChangeNotification/AWS::EC2::SecurityGroup/sg-0big/%s_Config_%s_ChangeNotification_AWS::EC2::SecurityGroup_sg-0big_20261120T120000Z_1763640000000.json.gz", acct, region, acct, region), gz(oversized))
	writeFile(t, dir, "AWSLogs/"+acct+"/Config/ConfigWritabilityCheckFile", []byte("x"))

	inv, errs := awsconfig.NewSource("cfg", awsconfig.Config{Paths: []string{dir}}).Inventory(context.Background())
	require.Empty(t, errs)
	require.Equal(t, []string{"sg-0db/aws_security_group", "sg-0web/aws_security_group"}, ids(inv))
	for _, r := range inv.Resources {
		require.False(t, r.Gone, r.NativeID)
	}

	// Only history: nothing is inventoried, and the error says why.
	only := t.TempDir()
	writeFile(t, only, historyKey(acct, region, "AWS::EC2::SecurityGroup", 2026, 11, 20, "20261120T100000Z", "20261120T160000Z"), gz(hist))
	inv, errs = awsconfig.NewSource("cfg", awsconfig.Config{Paths: []string{only}}).Inventory(context.Background())
	require.Empty(t, inv.Resources)
	require.Empty(t, inv.Coverage.Types)
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "no configuration snapshot")
	require.Contains(t, errs[0].Error(), "deliveryFrequency")
	require.Contains(t, errs[0].Error(), "_ConfigHistory_AWS::EC2::SecurityGroup_")
}

// TestS3NoRecentSnapshot: a region whose newest snapshot is older than the
// window (Config stopped snapshotting there, or only history is delivered)
// is not read as the current inventory; the error names the region's
// folder and the setting to fix. Other regions are unaffected.
func TestS3NoRecentSnapshot(t *testing.T) {
	srv := s3fake.New()
	defer srv.Close()
	srv.Put("cfg", snapshotKey(acct, region, 2026, 11, 25, "20261125T000000Z"), gz(snapshot(sgItem("sg-fresh", "f", nil))), "")
	stale := sgItem("sg-stale", "s", nil)
	stale["awsRegion"] = "us-east-1"
	srv.Put("cfg", snapshotKey(acct, "us-east-1", 2026, 8, 1, "20260801T000000Z"), gz(snapshot(stale)), "")
	srv.Put("cfg", historyKey(acct, "us-east-1", "AWS::EC2::SecurityGroup", 2026, 11, 25, "20261125T000000Z", "20261125T060000Z"), gz(snapshot(sgItem("sg-h", "h", nil))), "")
	srv.Put("cfg", historyKey(acct, "ap-south-1", "AWS::EC2::SecurityGroup", 2026, 11, 24, "20261124T000000Z", "20261124T060000Z"), gz(snapshot(sgItem("sg-h2", "h", nil))), "")

	src := awsconfig.NewSource("cfg", awsconfig.Config{Bucket: "cfg", Client: clientConfig(srv.URL)})
	awsconfig.SetNow(src, func() time.Time { return time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC) })
	inv, errs := src.Inventory(context.Background())
	require.Equal(t, []string{"sg-fresh/aws_security_group"}, ids(inv))
	require.Equal(t, map[string]bool{region: true}, inv.Coverage.Regions, "stale and history-only regions are not covered")
	require.Len(t, errs, 2)
	var msgs []string
	for _, err := range errs {
		var ie *collectors.InputError
		require.True(t, errors.As(err, &ie))
		msgs = append(msgs, ie.Location+" "+err.Error())
		require.Contains(t, err.Error(), "no configuration snapshot delivered in the 62 days before 2026-11-26")
	}
	require.Contains(t, strings.Join(msgs, "\n"), "s3://cfg/AWSLogs/"+acct+"/Config/us-east-1/")
	require.Contains(t, strings.Join(msgs, "\n"), "s3://cfg/AWSLogs/"+acct+"/Config/ap-south-1/")
}

// TestItemVersionsAndStatuses: one snapshot with a 1.2 item (MD5 hash,
// relatedEvents), 1.3 items, and every configurationItemStatus.
func TestItemVersionsAndStatuses(t *testing.T) {
	v12 := instanceItem("i-0v12", "t3.micro")
	v12["configurationItemVersion"] = "1.2"
	v12["configurationItemMD5Hash"] = "b5a0f5fc3e7ef9b4bd9f7c6d0c4bb0f1"
	delete(v12, "configurationStateMd5Hash")
	v12["relatedEvents"] = []any{"3d3e2a3c-6c2f-4a5e-9d0f-1b2c3d4e5f60"}
	v12["relationships"] = []any{map[string]any{"resourceId": "sg-0web", "resourceType": "AWS::EC2::SecurityGroup", "name": "Is associated with SecurityGroup"}}
	discovered := sgItem("sg-0new", "new", nil)
	discovered["configurationItemStatus"] = "ResourceDiscovered"
	deleted := instanceItem("i-0del", "t3.micro")
	deleted["configurationItemStatus"] = "ResourceDeleted"
	deleted["configuration"] = nil
	deleted["supplementaryConfiguration"] = map[string]any{}
	deleted["tags"] = map[string]any{}
	deletedNR := item("AWS::EC2::Volume", "vol-0dnr", "", "", nil, nil, nil)
	deletedNR["configurationItemStatus"] = "ResourceDeletedNotRecorded"
	deletedNR["configuration"] = nil
	notRecorded := item("AWS::EC2::Volume", "vol-0nr", "", "arn:aws:ec2:"+region+":"+acct+":volume/vol-0nr", nil, nil, nil)
	notRecorded["configurationItemStatus"] = "ResourceNotRecorded"
	notRecorded["configuration"] = nil

	items, errs := awsconfig.Decode(bytes.NewReader(gz(snapshot(v12, discovered, deleted, deletedNR, notRecorded))), awsconfig.DecodeOptions{Location: "snap.json.gz"})
	require.Empty(t, errs)
	require.Len(t, items, 5)
	require.Equal(t, "1.2", items[0].Version)
	require.Equal(t, []string{"3d3e2a3c-6c2f-4a5e-9d0f-1b2c3d4e5f60"}, items[0].RelatedEvents)
	require.Equal(t, time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), items[0].CaptureTime)
	require.Equal(t, "1763632800000", items[0].StateID)

	got := map[string]string{}
	for _, it := range items {
		for _, r := range awsconfig.Resources(it, "cfg") {
			state := "live"
			if r.Gone {
				state = "gone"
			}
			got[r.NativeID] = r.Type + " " + state
		}
	}
	require.Equal(t, map[string]string{
		"i-0v12":   "aws_instance live",
		"sg-0new":  "aws_security_group live",
		"i-0del":   "aws_instance gone",
		"vol-0dnr": "aws_ebs_volume gone",
		// vol-0nr: ResourceNotRecorded says nothing about the resource.
	}, got)
	r := awsconfig.Resources(items[0], "cfg")[0]
	require.Equal(t, "t3.micro", r.Attributes["instance_type"])
	require.Equal(t, map[string]string{"Name": "app-1"}, r.Tags)
	// The deleted volume has no ARN: its id is built from the table's template.
	require.Equal(t, "arn:aws:ec2:"+region+":"+acct+":volume/vol-0dnr", awsconfig.Resources(items[3], "cfg")[0].ID)
}

// apiDialect rewrites a snapshot item the way GetResourceConfigHistory and
// BatchGetResourceConfig return it: accountId/arn, capture time in epoch
// seconds, configuration and every supplementaryConfiguration value as
// JSON text.
func apiDialect(t *testing.T, it map[string]any) map[string]any {
	t.Helper()
	m := map[string]any{}
	for k, v := range it {
		m[k] = v
	}
	m["accountId"], m["arn"] = m["awsAccountId"], m["ARN"]
	delete(m, "awsAccountId")
	delete(m, "ARN")
	m["version"] = m["configurationItemVersion"]
	delete(m, "configurationItemVersion")
	m["configurationItemCaptureTime"] = 1795168800.123
	m["configurationStateId"] = "1795168800123"
	b, err := json.Marshal(m["configuration"])
	require.NoError(t, err)
	m["configuration"] = string(b)
	sup := map[string]any{}
	for k, v := range m["supplementaryConfiguration"].(map[string]any) {
		if s, ok := v.(string); ok {
			sup[k] = s
			continue
		}
		b, err := json.Marshal(v)
		require.NoError(t, err)
		sup[k] = string(b)
	}
	m["supplementaryConfiguration"] = sup
	return m
}

// TestAPIDialectDocumentsInStrings: configuration and supplementary
// configuration given as JSON text (a GetResourceConfigHistory answer, a
// BatchGetResourceConfig answer), and IAM documents URL-encoded, compare
// equal to the applied state: the encodings are seen through.
func TestAPIDialectDocumentsInStrings(t *testing.T) {
	bucket := apiDialect(t, bucketItem("acme-logs", "Enabled"))
	require.IsType(t, "", bucket["supplementaryConfiguration"].(map[string]any)["BucketPolicy"])
	history, _ := json.Marshal(map[string]any{"configurationItems": []any{bucket}, "nextToken": "AAEAAZ1vkRq"})
	items := decodeOne(t, string(history))
	require.Len(t, items, 1)
	require.Equal(t, time.Date(2026, 11, 20, 10, 0, 0, 123000000, time.UTC), items[0].CaptureTime)
	parts := byType(awsconfig.Resources(items[0], "cfg"))
	require.JSONEq(t, bucketPolicyLive, parts["aws_s3_bucket_policy"].Attributes["policy"].(string))
	require.Equal(t, true, parts["aws_s3_bucket_public_access_block"].Attributes["block_public_policy"])
	require.Equal(t, []any{map[string]any{"status": "Enabled"}}, parts["aws_s3_bucket_versioning"].Attributes["versioning_configuration"])
	require.Equal(t, []any{map[string]any{"apply_server_side_encryption_by_default": []any{map[string]any{"sse_algorithm": "AES256"}}, "bucket_key_enabled": false}},
		parts["aws_s3_bucket_server_side_encryption_configuration"].Attributes["rule"])

	role := apiDialect(t, roleItem("app", trustLive))
	batch, _ := json.Marshal(map[string]any{"baseConfigurationItems": []any{role, apiDialect(t, sgItem("sg-0web", "web", baseIngress))}, "unprocessedResourceKeys": []any{}})
	items = decodeOne(t, string(batch))
	require.Len(t, items, 2)
	r := awsconfig.Resources(items[0], "cfg")[0]
	require.Equal(t, "aws_iam_role", r.Type)
	require.JSONEq(t, trustLive, r.Attributes["assume_role_policy"].(string))
	require.Equal(t, int64(3600), r.Attributes["max_session_duration"])

	// The whole set, API dialect, against the applied state: no drift.
	l := liveItems(baseIngress)
	for i := range l {
		l[i] = apiDialect(t, l[i])
	}
	inv := inventoryFrom(t, l...)
	res := drift.Compare([]collectors.Stack{loadState(t)}, []collectors.Inventory{inv}, drift.DefaultOptions())
	require.Empty(t, res.Drifts, "%+v", res.Drifts)
}

// TestIAMPolicyDefaultVersion: the policy attribute is the default
// version's URL-encoded document, decoded; other versions are ignored.
func TestIAMPolicyDefaultVersion(t *testing.T) {
	v1 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	v2 := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::acme-logs/*"}]}`
	pol := item("AWS::IAM::Policy", "ANPAEXAMPLEPOLICY0001", "read-logs", "arn:aws:iam::"+acct+":policy/read-logs", map[string]any{
		"policyName": "read-logs", "policyId": "ANPAEXAMPLEPOLICY0001", "arn": "arn:aws:iam::" + acct + ":policy/read-logs", "path": "/",
		"defaultVersionId": "v2", "attachmentCount": 1, "isAttachable": true, "description": nil,
		"policyVersionList": []any{
			map[string]any{"document": url.QueryEscape(v1), "versionId": "v1", "isDefaultVersion": false, "createDate": "2026-01-01T00:00:00.000Z"},
			map[string]any{"document": url.PathEscape(v2), "versionId": "v2", "isDefaultVersion": true, "createDate": "2026-02-01T00:00:00.000Z"},
		},
	}, nil, nil)
	pol["awsRegion"] = "global"
	b, _ := json.Marshal(pol)
	r := awsconfig.Resources(decodeOne(t, string(b))[0], "cfg")[0]
	require.Equal(t, "aws_iam_policy", r.Type)
	require.Equal(t, "arn:aws:iam::"+acct+":policy/read-logs", r.NativeID)
	require.Equal(t, "", r.Region)
	require.JSONEq(t, v2, r.Attributes["policy"].(string))
	_, hasDesc := r.Attributes["description"]
	require.False(t, hasDesc, "a null description is not observed as a value")
}

// TestTagShapes: tags as the item's map, as a list inside configuration
// (IAM, EC2 1.2 items), as the advanced query's [{key, value, tag}] list;
// aws: tags are not Terraform's.
func TestTagShapes(t *testing.T) {
	mapTags := sgItem("sg-a", "a", nil)
	mapTags["tags"] = map[string]any{"team": "web", "aws:cloudformation:stack-name": "s"}
	listInConf := sgItem("sg-b", "b", nil)
	listInConf["tags"] = map[string]any{}
	listInConf["configuration"].(map[string]any)["tags"] = []any{map[string]any{"key": "team", "value": "web"}}
	selectTags := sgItem("sg-c", "c", nil)
	selectTags["tags"] = []any{map[string]any{"key": "team", "value": "web", "tag": "team=web"}}
	noTags := sgItem("sg-d", "d", nil)
	noTags["tags"] = nil
	delete(noTags["configuration"].(map[string]any), "tags")
	for _, c := range []struct {
		it   map[string]any
		want map[string]string
	}{
		{mapTags, map[string]string{"team": "web"}},
		{listInConf, map[string]string{"team": "web"}},
		{selectTags, map[string]string{"team": "web"}},
		{noTags, nil},
	} {
		b, _ := json.Marshal(c.it)
		r := awsconfig.Resources(decodeOne(t, string(b))[0], "cfg")[0]
		require.Equal(t, c.want, r.Tags, c.it["resourceId"])
		if c.want == nil {
			require.NotContains(t, r.Attributes, "tags")
		}
	}
}

// TestIdentityWithoutARN: items without an ARN get the ARN Terraform's arn
// attribute has (in the item's partition), unknown types stay at presence
// level under their Config type, and a log group's ":*" ARN suffix is
// dropped as the AWS provider drops it.
func TestIdentityWithoutARN(t *testing.T) {
	sg := sgItem("sg-0cn", "cn", nil)
	delete(sg, "ARN")
	sg["awsRegion"] = "cn-north-1"
	unknown := item("AWS::Foo::Widget", "widget-1", "w", "", map[string]any{"size": 3}, nil, nil)
	delete(unknown, "ARN")
	lg := item("AWS::Logs::LogGroup", "/aws/lambda/app", "/aws/lambda/app", "arn:aws:logs:"+region+":"+acct+":log-group:/aws/lambda/app:*", map[string]any{"logGroupName": "/aws/lambda/app", "retentionInDays": 30}, nil, nil)
	doc, _ := json.Marshal([]any{sg, unknown, lg})
	items := decodeOne(t, string(doc))
	require.Len(t, items, 3)

	r := awsconfig.Resources(items[0], "cfg")[0]
	require.Equal(t, "arn:aws-cn:ec2:cn-north-1:"+acct+":security-group/sg-0cn", r.ID)
	require.Equal(t, "cn-north-1", r.Region)

	r = awsconfig.Resources(items[1], "cfg")[0]
	require.Equal(t, "AWS::Foo::Widget", r.Type)
	require.Equal(t, "aws/AWS::Foo::Widget/widget-1", r.ID)
	require.Equal(t, map[string]any{"id": "widget-1"}, r.Attributes, "presence only: no attribute to compare")

	r = awsconfig.Resources(items[2], "cfg")[0]
	require.Equal(t, "aws_cloudwatch_log_group", r.Type)
	require.Equal(t, "arn:aws:logs:"+region+":"+acct+":log-group:/aws/lambda/app", r.ID)
	require.Equal(t, r.ID, r.Attributes["arn"])
}

// TestSelectResultsShapes: advanced query results as the service returns
// them: numbers as floats (22.0), tags as a list, supplementaryConfiguration
// values as objects or JSON text.
func TestSelectResultsShapes(t *testing.T) {
	res := `{"resourceId":"sg-0sel","resourceType":"AWS::EC2::SecurityGroup","accountId":"111122223333","awsRegion":"eu-west-1",` +
		`"arn":"arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0sel","configurationItemStatus":"OK","configurationItemCaptureTime":"2026-11-20T10:00:00.000Z","configurationStateId":"1763632800000",` +
		`"configuration":{"groupName":"sel","groupId":"sg-0sel","vpcId":"vpc-1","description":"sel","ownerId":"111122223333",` +
		`"ipPermissions":[{"fromPort":22.0,"toPort":22.0,"ipProtocol":"tcp","ipRanges":["0.0.0.0/0"],"ipv4Ranges":[{"cidrIp":"0.0.0.0/0"}],"ipv6Ranges":[],"prefixListIds":[],"userIdGroupPairs":[{"groupId":"sg-0sel","userId":"111122223333"}]}],` +
		`"ipPermissionsEgress":[]},"supplementaryConfiguration":{},"tags":[{"key":"team","value":"web","tag":"team=web"}]}`
	out, _ := json.Marshal(map[string]any{"Results": []string{res}, "QueryInfo": map[string]any{"SelectFields": []any{map[string]any{"Name": "resourceId"}}}, "NextToken": "tok"})
	items := decodeOne(t, string(out))
	require.Len(t, items, 1)
	r := awsconfig.Resources(items[0], "cfg")[0]
	require.Equal(t, []any{map[string]any{
		"protocol": "tcp", "from_port": int64(22), "to_port": int64(22), "description": "",
		"cidr_blocks": []any{"0.0.0.0/0"}, "ipv6_cidr_blocks": []any{}, "prefix_list_ids": []any{},
		"security_groups": []any{}, "self": true,
	}}, r.Attributes["ingress"])
	require.Equal(t, []any{}, r.Attributes["egress"])
	require.Equal(t, map[string]string{"team": "web"}, r.Tags)
}

// TestNotificationShapes: Config notifications as SNS delivers them (the
// envelope's Message is JSON text), as EventBridge delivers them, and the
// oversized notification whose item went to S3 (its summary still counts
// for presence and deletion).
func TestNotificationShapes(t *testing.T) {
	sg := sgItem("sg-1", "one", nil)
	ntf, _ := json.Marshal(map[string]any{"configurationItemDiff": map[string]any{"changedProperties": map[string]any{}, "changeType": "UPDATE"}, "configurationItem": sg,
		"notificationCreationTime": "2026-11-20T10:00:01.000Z", "messageType": "ConfigurationItemChangeNotification", "recordVersion": "1.3"})
	sns := func(msg string) string {
		b, _ := json.Marshal(map[string]any{"Type": "Notification", "MessageId": "8b1a4d5e-0000-4000-8000-000000000001", "TopicArn": "arn:aws:sns:eu-west-1:111122223333:config-topic",
			"Subject": "[AWS Config:eu-west-1] AWS::EC2::SecurityGroup sg-1 Updated in Account 111122223333", "Message": msg,
			"Timestamp": "2026-11-20T10:00:02.000Z", "SignatureVersion": "1", "Signature": "c2ln", "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/x.pem", "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe"})
		return string(b)
	}
	summary := map[string]any{"changeType": "DELETE", "configurationItemVersion": "1.3", "configurationItemCaptureTime": "2026-11-20T10:05:00.000Z", "configurationStateId": 1763633100000,
		"awsAccountId": acct, "configurationItemStatus": "ResourceDeleted", "resourceType": "AWS::EC2::SecurityGroup", "resourceId": "sg-1", "resourceName": nil,
		"ARN": "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1", "awsRegion": region, "availabilityZone": nil, "configurationStateMd5Hash": "", "resourceCreationTime": nil}
	oversized, _ := json.Marshal(map[string]any{"configurationItemSummary": summary,
		"s3DeliverySummary":        map[string]any{"s3BucketLocation": "cfg-bucket/AWSLogs/111122223333/Config/eu-west-1/2026/11/20/OversizedChangeNotification/AWS::EC2::SecurityGroup/sg-1/111122223333_Config_eu-west-1_ChangeNotification_AWS::EC2::SecurityGroup_sg-1_20261120T100500Z_1763633100000.json.gz", "errorCode": nil, "errorMessage": nil},
		"notificationCreationTime": "2026-11-20T10:05:01.000Z", "messageType": "OversizedConfigurationItemChangeNotification", "recordVersion": "1.0"})
	snapshotDone, _ := json.Marshal(map[string]any{"configSnapshotId": "16da64e4-0000-4000-8000-000000000001", "s3ObjectKey": "AWSLogs/111122223333/Config/eu-west-1/2026/11/20/ConfigSnapshot/x.json.gz",
		"s3Bucket": "cfg-bucket", "notificationCreationTime": "2026-11-20T10:00:00.000Z", "messageType": "ConfigurationSnapshotDeliveryCompleted", "recordVersion": "1.1"})
	eb := func(detailType string, detail json.RawMessage) string {
		b, _ := json.Marshal(map[string]any{"version": "0", "id": "0f2e3d4c-0000-4000-8000-000000000001", "detail-type": detailType, "source": "aws.config",
			"account": acct, "time": "2026-11-20T10:00:02Z", "region": region, "resources": []any{"arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1"}, "detail": detail})
		return string(b)
	}
	ruleOversized, _ := json.Marshal(map[string]any{"version": "1.0", "invokingEvent": string(oversized), "ruleParameters": "{}", "resultToken": "tok", "eventLeftScope": false,
		"executionRoleArn": "arn:aws:iam::111122223333:role/config", "configRuleArn": "arn:aws:config:eu-west-1:111122223333:config-rule/config-rule-abc", "configRuleName": "r", "configRuleId": "config-rule-abc", "accountId": acct})
	cases := []struct {
		name   string
		doc    string
		n      int
		status string
	}{
		{"sns change notification", sns(string(ntf)), 1, "OK"},
		{"sns snapshot delivered", sns(string(snapshotDone)), 0, ""},
		{"sns oversized", sns(string(oversized)), 1, "ResourceDeleted"},
		{"oversized alone", string(oversized), 1, "ResourceDeleted"},
		{"rule event, oversized", string(ruleOversized), 1, "ResourceDeleted"},
		{"eventbridge item change", eb("Config Configuration Item Change", ntf), 1, "OK"},
		{"eventbridge compliance change", eb("Config Rules Compliance Change", json.RawMessage(`{"resourceId":"sg-1","awsRegion":"eu-west-1","awsAccountId":"111122223333","configRuleName":"r","recordVersion":"1.0","messageType":"ComplianceChangeNotification","newEvaluationResult":{"complianceType":"NON_COMPLIANT"}}`)), 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			items := decodeOne(t, c.doc)
			require.Len(t, items, c.n)
			for _, it := range items {
				require.Equal(t, "sg-1", it.ResourceID)
				require.Equal(t, "AWS::EC2::SecurityGroup", it.ResourceType)
				require.Equal(t, c.status, it.Status)
				r := awsconfig.Resources(it, "cfg")[0]
				require.Equal(t, "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1", r.ID)
				require.Equal(t, c.status == "ResourceDeleted", r.Gone)
			}
		})
	}
}

// TestHugeItemAndBrokenEncodings: a multi-megabyte item decodes; a snapshot
// cut inside such an item keeps the items before it and names the item
// being read; a file saved as UTF-16 (PowerShell's ">") or with a UTF-8
// byte order mark decodes.
func TestHugeItemAndBrokenEncodings(t *testing.T) {
	var perms []any
	for i := 0; i < 20000; i++ {
		perms = append(perms, perm("tcp", 1000+i%5000, 1000+i%5000, map[string]string{fmt.Sprintf("10.%d.%d.0/24", i/256%256, i%256): fmt.Sprintf("rule number %d for a very large group", i)}))
	}
	huge := sgItem("sg-0huge", "huge", perms)
	doc := snapshot(sgItem("sg-0a", "a", nil), huge, sgItem("sg-0b", "b", nil))
	require.Greater(t, len(doc), 4<<20)
	items, errs := awsconfig.Decode(bytes.NewReader(gz(doc)), awsconfig.DecodeOptions{Location: "big.json.gz"})
	require.Empty(t, errs)
	require.Len(t, items, 3)
	r := awsconfig.Resources(items[1], "cfg")[0]
	require.Len(t, r.Attributes["ingress"], 20000)

	full := gz(doc)
	items, errs = awsconfig.Decode(bytes.NewReader(full[:len(full)/2]), awsconfig.DecodeOptions{Location: "big.json.gz"})
	require.Len(t, items, 1, "the item before the break is kept")
	require.Equal(t, "sg-0a", items[0].ResourceID)
	require.Len(t, errs, 1)
	var ie *collectors.InputError
	require.True(t, errors.As(errs[0], &ie))
	require.Equal(t, "big.json.gz", ie.Location)
	require.True(t, strings.HasPrefix(ie.Place, "configurationItems[1], offset "), ie.Place)
	require.Contains(t, errs[0].Error(), "ends early")

	// Not JSON in the middle of a long document: the item and the line.
	broken := bytes.Replace(snapshot(sgItem("sg-0a", "a", nil), sgItem("sg-0b", "b", nil)), []byte(`"groupName":"b"`), []byte(`"groupName":b"`), 1)
	broken = bytes.ReplaceAll(broken, []byte(`},{`), []byte("},\n{"))
	items, errs = awsconfig.Decode(bytes.NewReader(broken), awsconfig.DecodeOptions{Location: "b.json"})
	require.Len(t, items, 1)
	require.Len(t, errs, 1)
	require.True(t, errors.As(errs[0], &ie))
	require.True(t, strings.HasPrefix(ie.Place, "configurationItems[1], line "), ie.Place)

	sgJSON, _ := json.Marshal(sgItem("sg-0bom", "bom", nil))
	u16 := []byte{0xFF, 0xFE}
	for _, r := range utf16.Encode([]rune(string(sgJSON))) {
		u16 = binary.LittleEndian.AppendUint16(u16, r)
	}
	for name, b := range map[string][]byte{"utf-16": u16, "utf-8 bom": append([]byte{0xEF, 0xBB, 0xBF}, sgJSON...), "gzip utf-8 bom": gz(append([]byte{0xEF, 0xBB, 0xBF}, sgJSON...))} {
		items, errs := awsconfig.Decode(bytes.NewReader(b), awsconfig.DecodeOptions{Location: name})
		require.Empty(t, errs, name)
		require.Len(t, items, 1, name)
		require.Equal(t, "sg-0bom", items[0].ResourceID, name)
	}
}

// TestIncompleteInputCoversNothing: a managed resource that an unreadable
// or truncated snapshot, a failed query page or an unidentifiable item may
// have listed is not reported missing; what was read is still compared.
func TestIncompleteInputCoversNothing(t *testing.T) {
	// A truncated snapshot of eu-west-1 (the instance and the role were
	// after the break), an empty one for us-east-1.
	dir := t.TempDir()
	full := gz(snapshot(liveItems(baseIngress)...))
	writeFile(t, dir, snapshotKey(acct, region, 2026, 11, 20, "20261120T100000Z"), full[:len(full)/2])
	writeFile(t, dir, snapshotKey(acct, "us-east-1", 2026, 11, 20, "20261120T100000Z"), nil)
	inv, errs := awsconfig.NewSource("awsconfig", awsconfig.Config{Paths: []string{dir}, Types: []string{"aws_instance", "aws_iam_role"}}).Inventory(context.Background())
	require.Len(t, errs, 2)
	require.NotEmpty(t, inv.Resources, "the items before the break are kept")
	require.Empty(t, inv.Coverage.Types)
	res := drift.Compare([]collectors.Stack{loadState(t)}, []collectors.Inventory{inv}, drift.DefaultOptions())
	for _, d := range res.Drifts {
		require.NotEqual(t, "missing", string(d.Kind), "%+v", d)
	}

	// One complete snapshot, one truncated: only the complete one covers.
	dir = t.TempDir()
	other := sgItem("sg-0us", "us", nil)
	other["awsRegion"] = "us-east-1"
	writeFile(t, dir, snapshotKey(acct, "us-east-1", 2026, 11, 20, "20261120T100000Z"), gz(snapshot(other)))
	writeFile(t, dir, snapshotKey(acct, region, 2026, 11, 20, "20261120T100000Z"), full[:len(full)/2])
	inv, _ = awsconfig.NewSource("awsconfig", awsconfig.Config{Paths: []string{dir}}).Inventory(context.Background())
	require.True(t, inv.Coverage.Covers("aws_security_group", acct, "us-east-1"))
	require.False(t, inv.Coverage.Covers("aws_security_group", acct, region))

	// An item naming its type but no resource: that type is not covered.
	noID := sgItem("", "x", nil)
	delete(noID, "resourceId")
	delete(noID, "ARN")
	dir = t.TempDir()
	writeFile(t, dir, snapshotKey(acct, region, 2026, 11, 20, "20261120T100000Z"), gz(snapshot(noID, instanceItem("i-0app", "t3.micro"))))
	inv, errs = awsconfig.NewSource("awsconfig", awsconfig.Config{Paths: []string{dir}}).Inventory(context.Background())
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "neither resourceId nor arn")
	require.False(t, inv.Coverage.Covers("aws_security_group", acct, region))
	require.True(t, inv.Coverage.Covers("aws_instance", acct, region))
}

// TestAPIFailedPageUncoversItsType: a query whose second page fails keeps
// the first page's resources, but its type is not covered; the other types
// are.
func TestAPIFailedPageUncoversItsType(t *testing.T) {
	cs := newConfigServer(t)
	defer cs.Close()
	for i := 0; i < 150; i++ {
		cs.results["AWS::EC2::SecurityGroup"] = append(cs.results["AWS::EC2::SecurityGroup"], resultString(sgItem(fmt.Sprintf("sg-%04d", i), "n", nil)))
	}
	cs.results["AWS::EC2::Instance"] = []string{resultString(instanceItem("i-1", "t3.micro"))}
	src := awsconfig.NewSource("cfg-api", awsconfig.Config{
		API:    &awsconfig.APIConfig{Types: []string{"aws_security_group", "aws_instance"}},
		Client: clientConfig(cs.URL),
	})
	// The second security group page fails with a non-retryable error.
	cs.failPaged = true
	inv, errs := src.Inventory(context.Background())
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "AWS::EC2::SecurityGroup page 2")
	require.Len(t, inv.Resources, 101)
	require.True(t, inv.Coverage.Covers("aws_instance", acct, region))
	require.False(t, inv.Coverage.Covers("aws_security_group", acct, region))
}

// Coverage is a product of accounts and regions: a snapshot that could not
// be read whole keeps its own account and region pair uncovered even when
// other snapshots name that account and that region.
func TestIncompleteSnapshotPairStaysUncovered(t *testing.T) {
	const other = "999988887777"
	dir := t.TempDir()
	inOther := sgItem("sg-b", "b", nil)
	inOther["awsAccountId"] = other
	inOther["awsRegion"] = "us-east-1"
	inUS := sgItem("sg-us", "us", nil)
	inUS["awsRegion"] = "us-east-1"
	writeFile(t, dir, snapshotKey(acct, region, 2026, 11, 20, "20261120T100000Z"), gz(snapshot(sgItem("sg-a", "a", nil))))
	writeFile(t, dir, snapshotKey(other, "us-east-1", 2026, 11, 20, "20261120T100000Z"), gz(snapshot(inOther)))
	full := gz(snapshot(inUS, sgItem("sg-x", "x", nil), sgItem("sg-y", "y", nil)))
	writeFile(t, dir, snapshotKey(acct, "us-east-1", 2026, 11, 20, "20261120T100000Z"), full[:len(full)*2/3])

	inv, errs := awsconfig.NewSource("cfg", awsconfig.Config{Paths: []string{dir}}).Inventory(context.Background())
	require.Len(t, errs, 1, "the truncated snapshot")
	require.True(t, inv.Coverage.Covers("aws_security_group", acct, region))
	require.True(t, inv.Coverage.Covers("aws_security_group", other, "us-east-1"))
	require.False(t, inv.Coverage.Covers("aws_security_group", acct, "us-east-1"), "the truncated pair is not covered")
}
