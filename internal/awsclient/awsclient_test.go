package awsclient

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/require"
)

func isolate(t *testing.T) {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
}

func TestLoadAWSConfigRegionAndRetries(t *testing.T) {
	isolate(t)
	for _, c := range []struct {
		name         string
		cfg          ClientConfig
		region       string
		wantAttempts int
	}{
		{"defaults", ClientConfig{}, "us-east-1", 5},
		{"configured", ClientConfig{Region: "eu-west-1", RetryMaxAttempts: 2, RetryMaxBackoff: time.Second}, "eu-west-1", 2},
		{"retries off", ClientConfig{Region: "ap-south-1", RetryMaxAttempts: 1}, "ap-south-1", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			ac, err := LoadAWSConfig(context.Background(), c.cfg)
			require.NoError(t, err)
			require.Equal(t, c.region, ac.Region)
			require.Equal(t, c.wantAttempts, ac.Retryer().MaxAttempts())
		})
	}
}

func TestAssumeRole(t *testing.T) {
	isolate(t)
	var mu sync.Mutex
	var forms []url.Values
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		forms = append(forms, r.PostForm)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIAROLE</AccessKeyId><SecretAccessKey>rolesecret</SecretAccessKey><SessionToken>ROLETOKEN</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::111122223333:assumed-role/r/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></AssumeRoleResponse>`)
	}))
	defer sts.Close()

	ac, err := LoadAWSConfig(context.Background(), ClientConfig{
		Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDBASE", "basesecret", ""),
		AssumeRoleARN: RoleARN("arn:aws:iam::{account}:role/audit", "111122223333"), ExternalID: "ext-1", STSEndpointURL: sts.URL,
	})
	require.NoError(t, err)
	for i := 0; i < 2; i++ {
		creds, err := ac.Credentials.Retrieve(context.Background())
		require.NoError(t, err)
		require.Equal(t, "ASIAROLE", creds.AccessKeyID)
		require.Equal(t, "ROLETOKEN", creds.SessionToken)
	}
	require.Len(t, forms, 1, "credentials are cached")
	require.Equal(t, "AssumeRole", forms[0].Get("Action"))
	require.Equal(t, "arn:aws:iam::111122223333:role/audit", forms[0].Get("RoleArn"))
	require.Equal(t, "ext-1", forms[0].Get("ExternalId"))
	require.Equal(t, DefaultSessionName, forms[0].Get("RoleSessionName"))

	// Without an external id none is sent; the session name is configurable.
	base, err := LoadAWSConfig(context.Background(), ClientConfig{Credentials: credentials.NewStaticCredentialsProvider("AKIDBASE", "basesecret", "")})
	require.NoError(t, err)
	_, err = AssumeRole(base, Role{ARN: "arn:aws:iam::444455556666:role/audit", SessionName: "dw-x", STSEndpointURL: sts.URL}).Retrieve(context.Background())
	require.NoError(t, err)
	require.Len(t, forms, 2)
	require.False(t, forms[1].Has("ExternalId"))
	require.Equal(t, "dw-x", forms[1].Get("RoleSessionName"))
}

func TestRoleARN(t *testing.T) {
	require.Equal(t, "arn:aws:iam::111122223333:role/driftwarden-audit", RoleARN("arn:aws:iam::{account}:role/driftwarden-audit", "111122223333"))
	require.Equal(t, "arn:aws:iam::999999999999:role/x", RoleARN("arn:aws:iam::999999999999:role/x", "111122223333"), "no placeholder: unchanged")
}

// TestRetrievalHint: one wording for every AWS source; the codes of the
// JSON and query protocols alike; the STS region named when known.
func TestRetrievalHint(t *testing.T) {
	const role = "arn:aws:iam::111122223333:role/audit"
	for _, tc := range []struct{ role, code, region, want string }{
		{"", "ExpiredToken", "", "the default credentials have expired: refresh them"},
		{"", "ExpiredTokenException", "", "the default credentials have expired: refresh them"},
		{"", "", "", "the default credential chain gave no usable credentials"},
		{role, "AccessDenied", "", "role " + role + " cannot be assumed: check that its trust policy allows the caller, and the external id it requires"},
		{role, "AccessDeniedException", "", "role " + role + " cannot be assumed: check that its trust policy allows the caller, and the external id it requires"},
		{role, "RegionDisabledException", "eu-south-2", "role " + role + " cannot be assumed: STS is not activated in region eu-south-2 for the account (activate it, or set the region STS is called in)"},
		{role, "RegionDisabledException", "", "STS is not activated in the region STS is called in for the account"},
		{role, "ExpiredToken", "", "role " + role + " cannot be assumed: the credentials it is assumed with were rejected as expired or invalid"},
		{role, "InvalidClientTokenId", "", "rejected as expired or invalid"},
		{role, "", "", "role " + role + " cannot be assumed"},
	} {
		require.Contains(t, RetrievalHint(tc.role, tc.code, tc.region), tc.want, "%s %s", tc.role, tc.code)
	}
}
