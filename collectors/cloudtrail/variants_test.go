package cloudtrail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
)

// Records in the shapes CloudTrail delivers beyond the usual management
// call: each written in the real format, each asserting what a user of the
// event relies on (is it a change, who did it, how, what it touched).

const insightRecordJSON = `{"eventVersion":"1.08","eventTime":"2024-05-01T10:00:00Z","awsRegion":"us-east-1","eventID":"ins-1","eventType":"AwsCloudTrailInsight","recipientAccountId":"111122223333","sharedEventID":"5e4fd2b4-4a2e-4f4c-b9e1-d1c1ac7e2a01","insightDetails":{"state":"Start","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","insightType":"ApiCallRateInsight","insightContext":{"statistics":{"baseline":{"average":0.0179},"insight":{"average":2.5},"insightDuration":1},"attributions":[{"attribute":"userIdentityArn","insight":[{"value":"arn:aws:sts::111122223333:assumed-role/Admin/alice","average":2.5}],"baseline":[{"value":"arn:aws:sts::111122223333:assumed-role/Admin/alice","average":0.0179}]}]}},"eventCategory":"Insight"}`

const vpceRecordJSON = `{"eventVersion":"1.11","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEID:alice@example.com","arn":"arn:aws:sts::111122223333:assumed-role/admin/alice@example.com","accountId":"111122223333","accessKeyId":"ASIAEXAMPLEKEY","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEID","arn":"arn:aws:iam::111122223333:role/admin","accountId":"111122223333","userName":"admin"},"attributes":{"creationDate":"2025-02-26T16:08:09Z","mfaAuthenticated":"false"}}},"eventTime":"2025-02-26T16:41:35Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"10.0.141.54","requestID":"QAJAEXAMPLE","eventID":"vpce-1","eventType":"AwsVpceEvent","recipientAccountId":"111122223333","sharedEventID":"735fbea7-a934-43f7-a926-355589c59007","vpcEndpointId":"vpce-03a53b4c2d1e0f987","vpcEndpointAccountId":"111122223333","eventCategory":"NetworkActivity"}`

const kmsRotationJSON = `{"eventVersion":"1.08","userIdentity":{"accountId":"111122223333","invokedBy":"kms.amazonaws.com"},"eventTime":"2024-05-01T10:00:00Z","eventSource":"kms.amazonaws.com","eventName":"RotateKey","awsRegion":"eu-west-1","sourceIPAddress":"kms.amazonaws.com","userAgent":"kms.amazonaws.com","requestParameters":null,"responseElements":null,"eventID":"svc-1","readOnly":false,"resources":[{"accountId":"111122223333","type":"AWS::KMS::Key","ARN":"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}],"eventType":"AwsServiceEvent","managementEvent":true,"recipientAccountId":"111122223333","serviceEventDetails":{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab"},"eventCategory":"Management"}`

func consoleLogin(identity, result, extra string) string {
	return `{"eventVersion":"1.08","userIdentity":` + identity + `,"eventTime":"2024-05-01T10:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0","requestParameters":null,"responseElements":{"ConsoleLogin":"` + result + `"},"additionalEventData":{"LoginTo":"https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true","MobileVersion":"No","MFAUsed":"Yes"}` + extra + `,"eventID":"login-` + result + `","readOnly":false,"eventType":"AwsConsoleSignIn","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"signin.aws.amazon.com"}}`
}

const s3PutObjectJSON = `{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEID:i-0abc1234def567890","arn":"arn:aws:sts::111122223333:assumed-role/app/i-0abc1234def567890","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEID","arn":"arn:aws:iam::111122223333:role/app","accountId":"111122223333","userName":"app"},"attributes":{"creationDate":"2024-05-01T09:00:00Z","mfaAuthenticated":"false"},"ec2RoleDelivery":"2.0"}},"eventTime":"2024-05-01T10:00:00.123Z","eventSource":"s3.amazonaws.com","eventName":"PutObject","awsRegion":"eu-west-1","sourceIPAddress":"10.0.0.1","userAgent":"[aws-sdk-go-v2/1.30.1 os/linux lang/go#1.22.3 md/GOOS#linux api/s3#1.58.0]","requestParameters":{"bucketName":"reports-bucket","Host":"reports-bucket.s3.eu-west-1.amazonaws.com","key":"2024/rapport d’activité – été.csv","x-amz-server-side-encryption":"aws:kms"},"responseElements":{"x-amz-server-side-encryption":"aws:kms","x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:eu-west-1:111122223333:key/k1"},"additionalEventData":{"SignatureVersion":"SigV4","bytesTransferredIn":1024,"x-amz-id-2":"abc"},"requestID":"R1","eventID":"data-put","readOnly":false,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::reports-bucket/2024/rapport d’activité – été.csv"},{"accountId":"111122223333","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::reports-bucket"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333","eventCategory":"Data","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"reports-bucket.s3.eu-west-1.amazonaws.com"}}`

const s3GetObjectJSON = `{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333","userName":"bob"},"eventTime":"2024-05-01T10:00:01Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1","sourceIPAddress":"192.0.2.1","userAgent":"[aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.1]","requestParameters":{"bucketName":"reports-bucket","Host":"reports-bucket.s3.eu-west-1.amazonaws.com","key":"a.csv"},"responseElements":null,"additionalEventData":{"bytesTransferredOut":10},"requestID":"R2","eventID":"data-get","readOnly":true,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::reports-bucket/a.csv"},{"accountId":"111122223333","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::reports-bucket"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"111122223333","eventCategory":"Data"}`

func TestInsightsEvent(t *testing.T) {
	ev, err := Normalize([]byte(insightRecordJSON))
	require.NoError(t, err)
	require.True(t, ev.ReadOnly, "an insight is never a change")
	require.Equal(t, "ec2:RunInstances", ev.Action, "the API the insight is about")
	require.Equal(t, model.Principal{ID: "cloudtrail.amazonaws.com", Type: "AWSService"}, ev.Principal)
	require.Equal(t, model.ViaService, ev.Via)
	require.Equal(t, "111122223333", ev.Account)
	require.Equal(t, "ins-1", ev.ID)
	_, err = normalizeWith([]byte(insightRecordJSON), nil, Options{}, rawCopy, nil)
	require.ErrorIs(t, err, errSkipped, "dropped with the read-only events by default")
}

func TestNetworkActivityEvent(t *testing.T) {
	ev, err := Normalize([]byte(vpceRecordJSON))
	require.NoError(t, err)
	require.True(t, ev.ReadOnly, "the call through the endpoint is its own management event: not a second change")
	require.Equal(t, "cloudtrail:StopLogging", ev.Action)
	require.Equal(t, "alice@example.com", ev.Principal.Person)
	_, err = normalizeWith([]byte(vpceRecordJSON), nil, Options{}, rawCopy, nil)
	require.ErrorIs(t, err, errSkipped)

	// The management event of the same call stays a change.
	mgmt := strings.Replace(strings.Replace(vpceRecordJSON, `"eventType":"AwsVpceEvent"`, `"eventType":"AwsApiCall","readOnly":false`, 1),
		`"eventCategory":"NetworkActivity"`, `"eventCategory":"Management"`, 1)
	ev, err = normalizeWith([]byte(mgmt), nil, Options{}, rawCopy, nil)
	require.NoError(t, err)
	require.False(t, ev.ReadOnly)
	// A call whose request names the type (an event selector) is no
	// network activity event.
	sel := `{"eventTime":"2024-05-01T10:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"PutEventSelectors","requestParameters":{"trailName":"main","advancedEventSelectors":[{"name":"vpce","fieldSelectors":[{"field":"eventCategory","equals":["NetworkActivity"]},{"field":"eventType","equals":["AwsVpceEvent"]}]}]},"eventID":"sel-1","eventCategory":"Management"}`
	ev, err = normalizeWith([]byte(sel), nil, Options{}, rawCopy, nil)
	require.NoError(t, err)
	require.False(t, ev.ReadOnly)
}

func TestServiceEvent(t *testing.T) {
	ev, err := Normalize([]byte(kmsRotationJSON))
	require.NoError(t, err)
	require.Equal(t, model.Principal{ID: "kms.amazonaws.com", Type: "AWSService"}, ev.Principal)
	require.Equal(t, model.ViaService, ev.Via)
	require.Equal(t, "kms:RotateKey", ev.Action)
	require.Equal(t, []string{"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}, ev.Resources)
	require.False(t, ev.ReadOnly)
}

func TestConsoleSignIn(t *testing.T) {
	alice := `{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"}`
	root := `{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333","accessKeyId":""}`
	hidden := `{"type":"IAMUser","principalId":"","accountId":"111122223333","accessKeyId":"","userName":"HIDDEN_DUE_TO_SECURITY_REASONS"}`
	cases := []struct {
		name, rec string
		person    string
		errorCode string
		typ       string
	}{
		{"success", consoleLogin(alice, "Success", ""), "alice", "", "IAMUser"},
		{"root failure", consoleLogin(root, "Failure", `,"errorMessage":"Failed authentication"`), "", "Failed authentication", "Root"},
		{"mistyped user name", consoleLogin(hidden, "Failure", `,"errorMessage":"No username found in supplied account"`), "", "No username found in supplied account", "IAMUser"},
		{"failure without message", consoleLogin(alice, "Failure", ""), "alice", "Failure", "IAMUser"},
	}
	var ar arena
	for _, c := range cases {
		for _, arenaToo := range []bool{false, true} {
			var ev model.Event
			var err error
			if arenaToo { // a file's arena remembers via per user agent
				ev, err = normalizeWith([]byte(c.rec), nil, Options{}, rawCopy, &ar)
			} else {
				ev, err = Normalize([]byte(c.rec))
			}
			require.NoError(t, err, c.name)
			require.Equal(t, "signin:ConsoleLogin", ev.Action, c.name)
			require.Equal(t, model.ViaConsole, ev.Via, c.name)
			require.Equal(t, c.errorCode, ev.ErrorCode, "%s: a failed sign-in must not read as a successful call", c.name)
			require.Equal(t, c.person, ev.Principal.Person, c.name)
			require.Equal(t, c.typ, ev.Principal.Type, c.name)
			require.NotEmpty(t, ev.Principal.ID, c.name)
		}
	}
	// The same browser outside sign-in, with no console flag: the console.
	ev, err := Normalize([]byte(`{"eventTime":"2024-05-01T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"CreateVpc","userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)"}`))
	require.NoError(t, err)
	require.Equal(t, model.ViaConsole, ev.Via)
}

func TestDataEvents(t *testing.T) {
	ev, err := Normalize([]byte(s3PutObjectJSON))
	require.NoError(t, err)
	require.False(t, ev.ReadOnly)
	require.Equal(t, "s3:PutObject", ev.Action)
	require.Equal(t, model.ViaSDK, ev.Via)
	require.Equal(t, "arn:aws:iam::111122223333:role/app", ev.Principal.Issuer)
	require.Empty(t, ev.Principal.Person, "an instance session is no person")
	require.Contains(t, ev.Resources, "arn:aws:s3:::reports-bucket")
	require.Contains(t, ev.Resources, "arn:aws:s3:::reports-bucket/2024/rapport d’activité – été.csv", "non-ASCII kept as is")
	require.Equal(t, time.Date(2024, 5, 1, 10, 0, 0, 123e6, time.UTC), ev.Time, "fractional seconds kept")
	require.Equal(t, "2024/rapport d’activité – été.csv", ev.Params()["key"])
	require.JSONEq(t, s3PutObjectJSON, string(ev.Raw))

	ev, err = Normalize([]byte(s3GetObjectJSON))
	require.NoError(t, err)
	require.True(t, ev.ReadOnly)
	require.Equal(t, model.ViaCLI, ev.Via, "CloudTrail brackets S3 user agents")
	_, err = normalizeWith([]byte(s3GetObjectJSON), nil, Options{}, rawCopy, nil)
	require.ErrorIs(t, err, errSkipped)

	// The S3 console's own agent names an SDK: still the console.
	ev, err = Normalize([]byte(strings.Replace(s3PutObjectJSON, `[aws-sdk-go-v2/1.30.1 os/linux lang/go#1.22.3 md/GOOS#linux api/s3#1.58.0]`,
		`[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10 OpenJDK_64-Bit_Server_VM/25.372-b08 java/1.8.0_372 vendor/Oracle_Corporation cfg/retry-mode/standard]`, 1)))
	require.NoError(t, err)
	require.Equal(t, model.ViaConsole, ev.Via)
}

func TestMorePrincipals(t *testing.T) {
	cases := []struct {
		name, identity string
		want           model.Principal
	}{
		{"directory user", `{"type":"Directory","principalId":"d-1234567890:S-1-5-21-1111111111-2222222222-3333333333-1104","accountId":"111122223333","userName":"carol"}`,
			model.Principal{ID: "d-1234567890:S-1-5-21-1111111111-2222222222-3333333333-1104", Type: "Directory", Person: "carol"}},
		{"identity center sign-in", `{"type":"Unknown","principalId":"111122223333","arn":"","accountId":"111122223333","accessKeyId":"","userName":"dana"}`,
			model.Principal{ID: "111122223333", Type: "Unknown", Person: "dana"}},
		{"identity center user with credential", `{"type":"IdentityCenterUser","accountId":"111122223333","onBehalfOf":{"userId":"906799e5-e061-7016-1b25-6da22bfa2d2f","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-9067642ac7"},"credentialId":"EXAMPLEVHULjJdTUdPJfofVa1sufHDoj7aYcOYcxFVllWR_Whr1fEXAMPLE"}`,
			model.Principal{ID: "906799e5-e061-7016-1b25-6da22bfa2d2f", Type: "IdentityCenterUser", Person: "906799e5-e061-7016-1b25-6da22bfa2d2f", Issuer: "arn:aws:identitystore::111122223333:identitystore/d-9067642ac7"}},
		{"role", `{"type":"Role","principalId":"AROAEXAMPLEID","arn":"arn:aws:iam::111122223333:role/lambda-exec","accountId":"111122223333","userName":"lambda-exec"}`,
			model.Principal{ID: "arn:aws:iam::111122223333:role/lambda-exec", Type: "Role"}},
		{"root with alias", `{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333","userName":"my-alias"}`,
			model.Principal{ID: "arn:aws:iam::111122223333:root", Type: "Root"}},
		{"source identity", `{"type":"AssumedRole","principalId":"AROAEXAMPLEID:ci-1234","arn":"arn:aws:sts::111122223333:assumed-role/deployer/ci-1234","accountId":"111122223333","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/deployer"},"sourceIdentity":"erin@example.com"}}`,
			model.Principal{ID: "arn:aws:sts::111122223333:assumed-role/deployer/ci-1234", Type: "AssumedRole", Person: "erin@example.com", Issuer: "arn:aws:iam::111122223333:role/deployer"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev, err := Normalize([]byte(`{"eventTime":"2024-05-01T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"CreateVpc","userIdentity":` + c.identity + `}`))
			require.NoError(t, err)
			require.Equal(t, c.want, ev.Principal)
		})
	}
}

// A call made from another account: the event belongs to the account that
// received it, the principal stays the caller's.
func TestCrossAccountCall(t *testing.T) {
	rec := `{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEID:bob","arn":"arn:aws:sts::444455556666:assumed-role/Deployer/bob","accountId":"444455556666","accessKeyId":"ASIAEXAMPLEKEY","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEID","arn":"arn:aws:iam::444455556666:role/Deployer","accountId":"444455556666","userName":"Deployer"}}},"eventTime":"2024-05-01T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"DeleteSecurityGroup","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.5","userAgent":"aws-cli/2.15.30","requestParameters":{"groupId":"sg-0123456789abcdef0"},"responseElements":{"requestId":"r","_return":true},"eventID":"x-1","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","sharedEventID":"9d4c1b2a-0000-4000-8000-000000000001","eventCategory":"Management"}`
	ev, err := Normalize([]byte(rec))
	require.NoError(t, err)
	require.Equal(t, "111122223333", ev.Account)
	require.Equal(t, []string{"arn:aws:ec2:us-east-1:111122223333:security-group/sg-0123456789abcdef0"}, ev.Resources)
	require.Equal(t, "arn:aws:iam::444455556666:role/Deployer", ev.Principal.Issuer)
	require.Equal(t, "bob", ev.Principal.Person)

	anon := `{"eventVersion":"1.08","userIdentity":{"type":"AWSAccount","principalId":"AIDAEXAMPLE","accountId":"444455556666"},"eventTime":"2024-05-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"PutObject","awsRegion":"us-east-1","requestParameters":{"bucketName":"shared","key":"x"},"eventID":"x-2","readOnly":false,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::shared/x"},{"accountId":"111122223333","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::shared"}],"recipientAccountId":"111122223333","eventCategory":"Data"}`
	ev, err = Normalize([]byte(anon))
	require.NoError(t, err)
	require.Equal(t, model.Principal{ID: "444455556666", Type: "AWSAccount"}, ev.Principal)
	require.Equal(t, "111122223333", ev.Account)
}

// Fields of an unexpected type cost only themselves.
func TestFieldsOfUnexpectedType(t *testing.T) {
	base := `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333","userName":"bob"},"eventTime":"2024-05-01T10:00:00.123456Z","eventSource":"ec2.amazonaws.com","eventName":"CreateVpc","awsRegion":"us-east-1","recipientAccountId":"111122223333"%s}`
	cases := []struct {
		name, extra string
		check       func(t *testing.T, ev model.Event)
	}{
		{"console flag as a string", `,"sessionCredentialFromConsole":"true"`, func(t *testing.T, ev model.Event) { require.Equal(t, model.ViaConsole, ev.Via) }},
		{"readOnly as a string", `,"readOnly":"true"`, func(t *testing.T, ev model.Event) { require.True(t, ev.ReadOnly) }},
		{"readOnly false as a string", `,"readOnly":"false"`, func(t *testing.T, ev model.Event) { require.False(t, ev.ReadOnly) }},
		{"responseElements a string", `,"responseElements":"Success","requestParameters":{"cidrBlock":"10.0.0.0/16"}`, func(t *testing.T, ev model.Event) {
			require.Equal(t, "10.0.0.0/16", ev.Params()["cidrBlock"])
		}},
		{"null request and response", `,"requestParameters":null,"responseElements":null`, func(t *testing.T, ev model.Event) { require.Nil(t, ev.Params()) }},
		{"request a string", `,"requestParameters":"{\"cidrBlock\":\"10.0.0.0/16\"}"`, func(t *testing.T, ev model.Event) { require.Nil(t, ev.Params()) }},
		{"resources null", `,"resources":null`, func(t *testing.T, ev model.Event) { require.Empty(t, ev.Resources) }},
		{"userIdentity a string", `,"userIdentity":"bob"`, func(t *testing.T, ev model.Event) { require.Equal(t, "unknown", ev.Principal.ID) }},
		{"errorCode a number", `,"errorCode":403`, func(t *testing.T, ev model.Event) { require.Equal(t, "ec2:CreateVpc", ev.Action) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := fmt.Sprintf(base, c.extra)
			for _, withArena := range []bool{false, true} {
				var ar *arena
				if withArena {
					ar = &arena{}
				}
				ev, err := normalizeWith([]byte(raw), nil, Options{IncludeReadOnly: true}, rawCopy, ar)
				require.NoError(t, err)
				require.True(t, strings.HasPrefix(ev.ID, "sha256:"), "no eventID: a stable id from the content")
				require.Equal(t, time.Date(2024, 5, 1, 10, 0, 0, 123456000, time.UTC), ev.Time)
				require.Equal(t, "ec2:CreateVpc", ev.Action)
				c.check(t, ev)
			}
		})
	}
}

func TestEventBridgeEnvelopes(t *testing.T) {
	wrap := func(detailType, source, detail string) []byte {
		return []byte(`{"version":"0","id":"6f8a3c2e-1b2d-4e5f-8a9b-0c1d2e3f4a5b","detail-type":"` + detailType + `","source":"` + source + `","account":"111122223333","time":"2024-05-01T10:00:00Z","region":"us-east-1","resources":[],"detail":` + detail + `}`)
	}
	alice := `{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"}`
	cases := []struct {
		env    []byte
		action string
	}{
		{wrap("AWS API Call via CloudTrail", "aws.s3", s3PutObjectJSON), "s3:PutObject"},
		{wrap("AWS Console Sign In via CloudTrail", "aws.signin", consoleLogin(alice, "Success", "")), "signin:ConsoleLogin"},
		{wrap("AWS Service Event via CloudTrail", "aws.kms", kmsRotationJSON), "kms:RotateKey"},
	}
	for _, c := range cases {
		rec, ok := UnwrapEventBridge(c.env)
		require.True(t, ok, c.action)
		ev, err := Normalize(rec)
		require.NoError(t, err)
		require.Equal(t, c.action, ev.Action)
	}
	// Insights and other services' events are not calls: left to the caller.
	_, ok := UnwrapEventBridge(wrap("AWS Insight via CloudTrail", "aws.ec2", insightRecordJSON))
	require.False(t, ok)
	_, ok = UnwrapEventBridge(wrap("EC2 Instance State-change Notification", "aws.ec2", `{"instance-id":"i-1","state":"running"}`))
	require.False(t, ok)
}

// A trail bucket holds more than log files: digests, Insights files, AWS
// Config's objects, markers, stray JSON. Each is skipped or read on
// purpose; none holds the account/region back.
func TestFilesBesideTheLogs(t *testing.T) {
	for _, ls := range logStores(t) {
		t.Run(ls.name, func(t *testing.T) {
			day := "AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/"
			ls.put(logKey(0, "a"), gz(t, records(rec("a1", "DeleteVpc", ""))))
			// Files of other kinds in their own folders.
			ls.put("AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2024/05/01/111122223333_CloudTrail-Digest_eu-west-1_main_us-east-1_20240501T110000Z.json.gz",
				gz(t, `{"awsAccountId":"111122223333","digestStartTime":"2024-05-01T10:00:00Z","digestEndTime":"2024-05-01T11:00:00Z","logFiles":[]}`))
			ls.put("AWSLogs/111122223333/CloudTrail-Insight/eu-west-1/2024/05/01/111122223333_CloudTrail-Insight_eu-west-1_20240501T1005Z_Qp3kLm9ZxYw2Tv1R.json.gz",
				gz(t, records(insightRecordJSON)))
			ls.put("AWSLogs/111122223333/Config/ConfigWritabilityCheckFile", []byte("check"))
			ls.put("AWSLogs/111122223333/Config/eu-west-1/2024/5/1/ConfigSnapshot/111122223333_Config_eu-west-1_ConfigSnapshot_20240501T100000Z_abc.json.gz",
				gz(t, `{"fileVersion":"1.0","configurationItems":[]}`))
			ls.put("AWSLogs/ConfigWritabilityCheckFile", []byte("check"))
			ls.put("AWSLogs/111122223333/CloudTrail/ConfigWritabilityCheckFile", []byte("check"))
			if ls.name == "s3" { // a "folder" made in the S3 console
				ls.put(day, nil)
			}
			// Beside the log files of the region.
			ls.put(day+"_SUCCESS", nil)
			ls.put(day+".DS_Store", []byte{0, 0, 0, 1})
			ls.put(day+"manifest.json", []byte(`{"sourceBucket":"trail","fileCount":2}`))
			ls.put(logKey(1, "b"), []byte(records(rec("b1", "CreateVpc", "")))) // downloaded and gunzipped, name kept
			ls.put(strings.TrimSuffix(logKey(2, "c"), ".gz"), []byte(records(rec("c1", "CreateSubnet", ""))))
			ls.put(logKey(3, "d"), gz(t, `{"Records":[]}`))
			ls.put(logKey(4, "e"), gz(t, records(rec("e1", "DeleteSubnet", ""))))

			src, err := NewFileSource("trail", ls.config(FileConfig{}))
			require.NoError(t, err)
			cp := memCheckpoints{}
			b, errs := src.Events(context.Background(), cp)
			require.Equal(t, []string{"a1", "b1", "c1", "e1"}, ids(b.Events), "log files only; nothing after the stray file is held back")
			require.Len(t, errs, 1, "%v", errs)
			require.ErrorContains(t, errs[0], day+"manifest.json")
			require.ErrorContains(t, errs[0], "not a CloudTrail log file")
			require.ErrorContains(t, errs[0], "skipped")
			cp.commit(b)

			b, errs = src.Events(context.Background(), cp)
			require.Empty(t, errs, "a stray file is reported once")
			require.Empty(t, b.Events)
		})
	}
}

// A very large record (a big policy document) between small ones: every
// record is read, the large one whole.
func TestFilesLargeRecord(t *testing.T) {
	var stmts []string
	for i, n := 0, 0; n < 3<<20; i++ {
		stmts = append(stmts, fmt.Sprintf(`{\"Sid\":\"S%d\",\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/p%d/*\",\"Condition\":{\"StringEquals\":{\"aws:PrincipalTag/équipe\":\"données\"}}}`, i, i))
		n += len(stmts[i]) + 1
	}
	big := `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333","userName":"bob"},"eventTime":"2024-05-01T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreatePolicy","awsRegion":"us-east-1","requestParameters":{"policyName":"big","policyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[` + strings.Join(stmts, ",") + `]}"},"responseElements":{"policy":{"policyName":"big","arn":"arn:aws:iam::111122223333:policy/big"}},"eventID":"big-1","readOnly":false,"recipientAccountId":"111122223333"}`
	require.True(t, json.Valid([]byte(big)))
	dir := t.TempDir()
	writeFile(t, dir, logKey(0, "a"), gz(t, records(rec("s1", "DeleteVpc", ""), big, rec("s2", "DeleteVpc", ""))))
	src, err := NewFileSource("trail", FileConfig{Dir: dir})
	require.NoError(t, err)
	b, errs := src.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Equal(t, []string{"big-1", "s1", "s2"}, ids(b.Events))
	for _, ev := range b.Events {
		if ev.ID == "big-1" {
			require.Nil(t, ev.Raw, "a file's events locate their record instead of copying it")
			require.Equal(t, 1, ev.Origin.Record)
			require.True(t, strings.HasSuffix(ev.Origin.File, logKey(0, "a")), ev.Origin.File)
			require.Contains(t, ev.Resources, "arn:aws:iam::111122223333:policy/big")
			doc, _ := ev.Params()["policyDocument"].(string)
			require.Contains(t, doc, `"aws:PrincipalTag/équipe":"données"`)
		}
	}
}

// LookupEvents: a failed sign-in and a network activity event come back
// as the API gives them (CloudTrailEvent, a JSON string); neither reads as
// a successful change.
func TestAPIEventShapes(t *testing.T) {
	clock := newClock()
	f := newFakeCloudTrail(50)
	root := `{"type":"Root","principalId":"111122223333","arn":"arn:aws:iam::111122223333:root","accountId":"111122223333","accessKeyId":""}`
	login := strings.Replace(consoleLogin(root, "Failure", `,"errorMessage":"Failed authentication"`), `"eventID":"login-Failure"`, `"eventID":"api-login"`, 1)
	f.add(acctA, "eu-west-1",
		ctEvent{id: "api-login", t: clock.ago(2 * time.Minute), name: "ConsoleLogin", record: login},
		ctEvent{id: "vpce-1", t: clock.ago(time.Minute), name: "StopLogging", record: vpceRecordJSON})
	srv := httptest.NewServer(f)
	defer srv.Close()
	src, err := NewAPISource("ct-api", apiTestConfig(srv.URL, clock, []string{acctA}, []string{"eu-west-1"}))
	require.NoError(t, err)
	b, errs := src.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Equal(t, []string{"api-login"}, eventIDs(b), "the network activity event is not a write")
	require.Equal(t, "Failed authentication", b.Events[0].ErrorCode)
	require.Equal(t, model.ViaConsole, b.Events[0].Via)
}

// A file that is not JSON from its first byte (another compression, a
// binary format) is skipped at once: reading it again cannot help, and the
// files after it are read in the same cycle. Bytes after the last document
// of a log file cost nothing: its records are kept, a warning names it, and
// it is not read again.
func TestFilesNotJSONAndTrailingBytes(t *testing.T) {
	for _, ls := range logStores(t) {
		t.Run(ls.name, func(t *testing.T) {
			ls.put(logKey(0, "a"), append([]byte("PK\x03\x04"), gz(t, records(rec("zip", "DeleteVpc", "")))...))
			ls.put(logKey(1, "b"), gz(t, records(rec("e1", "DeleteVpc", ""))+"\x00\x00\x00garbage"))
			ls.put(logKey(2, "c"), gz(t, records(rec("e2", "DeleteVpc", ""))))
			var buf bytes.Buffer
			src, err := NewFileSource("trail", ls.config(FileConfig{MaxAttempts: 3, Logger: slog.New(slog.NewTextHandler(&buf, nil))}))
			require.NoError(t, err)
			cp := memCheckpoints{}
			b, errs := src.Events(context.Background(), cp)
			require.Len(t, errs, 1, "%v", errs)
			require.ErrorIs(t, errs[0], ErrNotLogFile)
			require.ErrorContains(t, errs[0], "skipped")
			require.Equal(t, []string{"e1", "e2"}, ids(b.Events))
			require.Contains(t, buf.String(), "bytes after the last document")
			cp.commit(b)
			b, errs = src.Events(context.Background(), cp)
			require.Empty(t, errs)
			require.Empty(t, b.Events)
		})
	}
}
