package cloudtrail

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
)

func TestPrincipals(t *testing.T) {
	cases := []struct {
		name, identity, extra string
		want                  model.Principal
	}{
		{"iam user", `{"type":"IAMUser","arn":"arn:aws:iam::1:user/bob","userName":"bob"}`, "",
			model.Principal{ID: "arn:aws:iam::1:user/bob", Type: "IAMUser", Person: "bob"}},
		{"assumed role, machine session", `{"type":"AssumedRole","principalId":"AROA:terraform-run-42","arn":"arn:aws:sts::1:assumed-role/deployer/terraform-run-42","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::1:role/deployer"}}}`, "",
			model.Principal{ID: "arn:aws:sts::1:assumed-role/deployer/terraform-run-42", Type: "AssumedRole", Issuer: "arn:aws:iam::1:role/deployer"}},
		{"assumed role, email session", `{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/admin/jane@example.com","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/admin"}}}`, "",
			model.Principal{ID: "arn:aws:sts::1:assumed-role/admin/jane@example.com", Type: "AssumedRole", Person: "jane@example.com", Issuer: "arn:aws:iam::1:role/admin"}},
		{"identity center role", `{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_abc/jdoe42","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_abc"}}}`, "",
			model.Principal{ID: "arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_abc/jdoe42", Type: "AssumedRole", Person: "jdoe42", Issuer: "arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_abc"}},
		{"instance role", `{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/node/i-0abc","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/node"}}}`, "",
			model.Principal{ID: "arn:aws:sts::1:assumed-role/node/i-0abc", Type: "AssumedRole", Issuer: "arn:aws:iam::1:role/node"}},
		{"root", `{"type":"Root","accountId":"1"}`, "", model.Principal{ID: "arn:aws:iam::1:root", Type: "Root"}},
		{"federated", `{"type":"FederatedUser","arn":"arn:aws:sts::1:federated-user/carol","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:user/broker"}}}`, "",
			model.Principal{ID: "arn:aws:sts::1:federated-user/carol", Type: "FederatedUser", Person: "carol", Issuer: "arn:aws:iam::1:user/broker"}},
		{"saml", `{"type":"SAMLUser","principalId":"SAML:dave","userName":"dave","identityProvider":"idp"}`, "",
			model.Principal{ID: "SAML:dave", Type: "SAMLUser", Person: "dave", Issuer: "idp"}},
		{"web identity", `{"type":"WebIdentityUser","principalId":"accounts.google.com:123","userName":"123","identityProvider":"accounts.google.com"}`, "",
			model.Principal{ID: "accounts.google.com:123", Type: "WebIdentityUser", Person: "123", Issuer: "accounts.google.com"}},
		{"aws account", `{"type":"AWSAccount","accountId":"999","principalId":"AIDA"}`, "", model.Principal{ID: "999", Type: "AWSAccount"}},
		{"aws service", `{"type":"AWSService","invokedBy":"autoscaling.amazonaws.com"}`, "", model.Principal{ID: "autoscaling.amazonaws.com", Type: "AWSService"}},
		{"identity center user", `{"type":"IdentityCenterUser","accountId":"1","onBehalfOf":{"userId":"u-123","identityStoreArn":"arn:aws:identitystore::1:identitystore/d-1"}}`, "",
			model.Principal{ID: "u-123", Type: "IdentityCenterUser", Person: "u-123", Issuer: "arn:aws:identitystore::1:identitystore/d-1"}},
		{"unknown", `{"type":"Unknown","principalId":"anon","accountId":"1"}`, "", model.Principal{ID: "anon", Type: "Unknown"}},
		{"missing type", `{"accountId":"1","invokedBy":"config.amazonaws.com"}`, "", model.Principal{ID: "config.amazonaws.com", Type: "AWSService"}},
		{"no identity at all", `null`, "", model.Principal{ID: "unknown", Type: "Unknown"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev, err := Normalize([]byte(`{"eventTime":"2024-05-01T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"CreateVpc","userIdentity":` + c.identity + `}`))
			require.NoError(t, err)
			require.Equal(t, c.want, ev.Principal)
		})
	}
}

func TestVia(t *testing.T) {
	cases := []struct {
		ua, extra string
		want      model.Via
	}{
		{"APN/1.0 HashiCorp/1.0 Terraform/1.8.5 (+https://www.terraform.io) terraform-provider-aws/5.56.1 aws-sdk-go-v2/1.30.1", "", model.ViaTerraform},
		{"OpenTofu/1.7.0 aws-sdk-go-v2/1.30.1", "", model.ViaTerraform},
		{"aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux botocore/2.0", "", model.ViaCLI},
		{"Boto3/1.34.0 md/Botocore#1.34.0 Python/3.11", "", model.ViaSDK},
		{"aws-sdk-java/1.12.0 Linux", "", model.ViaSDK},
		{"cloudformation.amazonaws.com", "", model.ViaCloudFormation},
		{"[Mozilla/5.0 (Macintosh)]", `,"sessionCredentialFromConsole":"true"`, model.ViaConsole},
		{"AWS Internal", `,"sessionCredentialFromConsole":true`, model.ViaConsole},
		{"s3.console.amazonaws.com", "", model.ViaConsole},
		{"autoscaling.amazonaws.com", "", model.ViaService},
		{"AWS Internal", "", model.ViaService},
		{"curl/8.0", "", model.ViaOther},
	}
	for _, c := range cases {
		ev, err := Normalize([]byte(`{"eventTime":"2024-05-01T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"CreateVpc","userAgent":` + mustJSON(c.ua) + c.extra + `}`))
		require.NoError(t, err)
		require.Equal(t, c.want, ev.Via, c.ua)
	}
	// Through a file's arena, which remembers via per user agent: the
	// same agent with and without the console flag, in both orders.
	var ar arena
	for round := 0; round < 2; round++ {
		for i := range cases {
			c := cases[i]
			if round == 1 {
				c = cases[len(cases)-1-i]
			}
			raw := []byte(`{"eventTime":"2024-05-01T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"CreateVpc","userAgent":` + mustJSON(c.ua) + c.extra + `}`)
			ev, err := normalizeWith(raw, nil, Options{}, rawCopy, &ar)
			require.NoError(t, err)
			require.Equal(t, c.want, ev.Via, "%s (arena, round %d)", c.ua, round)
		}
	}
}

func mustJSON(s string) string { b, _ := json.Marshal(s); return string(b) }

func TestNormalizeFields(t *testing.T) {
	raw := `{"eventTime":"2024-05-01 10:00:00","eventSource":"rds.amazonaws.com","eventName":"ModifyDBInstance","awsRegion":"eu-west-1","sourceIPAddress":"192.0.2.9","errorCode":"AccessDenied","recipientAccountId":"111122223333",
	"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","userName":"bob"},
	"requestParameters":{"dBInstanceIdentifier":"prod","masterUserPassword":"PLANTED-SECRET-1","nested":{"clientSecret":"PLANTED-SECRET-2","secretId":"keep-me"}},
	"responseElements":{"sessionToken":"PLANTED-SECRET-3"}}`
	ev, err := Normalize([]byte(raw))
	require.NoError(t, err)
	require.Equal(t, "rds:ModifyDBInstance", ev.Action)
	require.Equal(t, "AccessDenied", ev.ErrorCode)
	require.False(t, ev.ReadOnly)
	require.Equal(t, "111122223333", ev.Account)
	require.Equal(t, "eu-west-1", ev.Region)
	require.Equal(t, "192.0.2.9", ev.SourceIP)
	require.Equal(t, "2024-05-01T10:00:00Z", ev.Time.Format("2006-01-02T15:04:05Z07:00"))
	require.Equal(t, []string{"arn:aws:rds:eu-west-1:111122223333:db:prod"}, ev.Resources)
	require.True(t, strings.HasPrefix(ev.ID, "sha256:"), "a stable id when eventID is missing")
	ev2, _ := Normalize([]byte(raw))
	require.Equal(t, ev.ID, ev2.ID)
	// Planted secrets never survive: not in Request, not in Raw.
	out, _ := json.Marshal(ev)
	for _, s := range []string{"PLANTED-SECRET-1", "PLANTED-SECRET-2", "PLANTED-SECRET-3"} {
		require.NotContains(t, string(out), s)
		require.NotContains(t, string(ev.Raw), s)
	}
	require.Equal(t, "keep-me", ev.Request["nested"].(map[string]any)["secretId"])
	require.Equal(t, model.Redacted, ev.Request["masterUserPassword"])

	// readOnly from the name when the field is absent; from the field otherwise.
	ev, _ = Normalize([]byte(`{"eventTime":"2024-05-01T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeVpcs"}`))
	require.True(t, ev.ReadOnly)
	ev, _ = Normalize([]byte(`{"eventTime":"2024-05-01T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"GetConsoleOutput","readOnly":false}`))
	require.False(t, ev.ReadOnly)

	_, err = Normalize([]byte(`not json`))
	require.Error(t, err)
}

// The request stays JSON bytes (Event.RequestJSON) unless it may hold a
// secret, in which case it is decoded and redacted; either way the event
// no longer depends on the reader's buffer.
func TestNormalizeRequest(t *testing.T) {
	const plain = `{"eventTime":"2024-05-01T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress","awsRegion":"eu-west-1","recipientAccountId":"111122223333","requestParameters":{"groupId":"sg-1","ipPermissions":{"items":[{"fromPort":22}]}},"responseElements":{"_return":true},"eventID":"e1"}`
	const secret = `{"eventTime":"2024-05-01T10:00:00Z","eventSource":"rds.amazonaws.com","eventName":"ModifyDBInstance","awsRegion":"eu-west-1","requestParameters":{"dBInstanceIdentifier":"db1","masterUserPassword":"hunter2"},"responseElements":{"dBInstanceIdentifier":"db1"},"eventID":"e2"}`
	for _, withOffsets := range []bool{false, true} {
		var ar arena
		norm := func(rec string) model.Event {
			buf := []byte(rec)
			var members []int32
			if withOffsets {
				_, _, _, ok := scanValue(buf, &members)
				require.True(t, ok)
			}
			ev, err := normalizeWith(buf, members, Options{}, rawCopy, &ar)
			require.NoError(t, err)
			for i := range buf { // the reader reuses its buffer
				buf[i] = 'x'
			}
			return ev
		}
		ev := norm(plain)
		require.Nil(t, ev.Request)
		require.JSONEq(t, `{"groupId":"sg-1","ipPermissions":{"items":[{"fromPort":22}]}}`, string(ev.RequestJSON))
		require.Contains(t, ev.Resources, "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1")
		require.Equal(t, "sg-1", ev.Params()["groupId"])
		require.JSONEq(t, plain, string(ev.Raw))

		ev = norm(secret)
		require.Nil(t, ev.RequestJSON)
		require.Equal(t, model.Redacted, ev.Request["masterUserPassword"])
		require.NotContains(t, string(ev.Raw), "hunter2")
		out, err := json.Marshal(ev)
		require.NoError(t, err)
		require.NotContains(t, string(out), "hunter2")
	}
}
