package s3state_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/collectors/tfstate/s3state"
	"github.com/driftwarden/driftwarden/collectors/tfstate/s3state/s3fake"
)

const secretKey = "PLANTEDSECRETs3state0123456789"

func state(serial int, sgIDs ...string) []byte {
	var res []string
	for i, id := range sgIDs {
		res = append(res, fmt.Sprintf(`{"mode":"managed","type":"aws_security_group","name":"sg%d","provider":"provider[\"registry.terraform.io/hashicorp/aws\"]","instances":[{"schema_version":1,"attributes":{"id":%q,"arn":"arn:aws:ec2:eu-west-1:111122223333:security-group/%s","name":"n%d"}}]}`, i, id, id, i))
	}
	return []byte(fmt.Sprintf(`{"version":4,"terraform_version":"1.9.0","serial":%d,"lineage":"l-1","outputs":{},"resources":[%s]}`, serial, strings.Join(res, ",")))
}

func newSource(t *testing.T, srv *s3fake.Server, cfg s3state.Config) *s3state.Source {
	t.Helper()
	cfg.Client = s3state.ClientConfig{
		Region: "eu-west-1", EndpointURL: srv.URL, ForcePathStyle: true,
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", secretKey, ""),
		RetryMaxAttempts: 4, RetryMaxBackoff: 5 * time.Millisecond,
	}
	return s3state.NewSource("s3-states", cfg)
}

func byName(stacks []collectors.Stack) map[string]collectors.Stack {
	m := map[string]collectors.Stack{}
	for _, s := range stacks {
		m[s.Name] = s
	}
	return m
}

func names(stacks []collectors.Stack) []string {
	var out []string
	for _, s := range stacks {
		out = append(out, s.Name+"@"+s.Workspace)
	}
	sort.Strings(out)
	return out
}

func TestKeyWithWorkspaces(t *testing.T) {
	srv := s3fake.New()
	defer srv.Close()
	srv.Put("acme-tf", "network/terraform.tfstate", state(3, "sg-1"), "arn:aws:kms:eu-west-1:111122223333:key/k1")
	srv.Put("acme-tf", "env:/staging/network/terraform.tfstate", state(1, "sg-2", "sg-3"), "arn:aws:kms:eu-west-1:111122223333:key/k1")
	srv.Put("acme-tf", "env:/dev/network/terraform.tfstate", state(1), "")
	// Not workspaces of this key: another key, a backup, a nested path.
	srv.Put("acme-tf", "env:/staging/other/terraform.tfstate", state(1, "sg-9"), "")
	srv.Put("acme-tf", "env:/staging/network/terraform.tfstate.backup", state(1, "sg-9"), "")
	srv.Put("acme-tf", "network/terraform.tfstate.tflock", []byte("{}"), "")
	src := newSource(t, srv, s3state.Config{Bucket: "acme-tf", Key: "network/terraform.tfstate"})

	stacks, errs := src.States(context.Background())
	require.Empty(t, errs)
	require.Equal(t, []string{"network/dev@dev", "network/staging@staging", "network@default"}, names(stacks))
	m := byName(stacks)
	require.Len(t, m["network"].Resources, 1)
	require.Equal(t, "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1", m["network"].Resources[0].ID)
	require.Equal(t, "s3://acme-tf/network/terraform.tfstate", m["network"].Location)
	require.Equal(t, int64(3), m["network"].Serial)
	require.Len(t, m["network/staging"].Resources, 2)
	require.Equal(t, "network/staging", m["network/staging"].Resources[0].Stack)
	require.Empty(t, m["network/dev"].Resources)
}

func TestCustomWorkspacePrefixAndFixedStack(t *testing.T) {
	srv := s3fake.New()
	defer srv.Close()
	srv.Put("b", "terraform.tfstate", state(1, "sg-1"), "")
	srv.Put("b", "workspaces/prod/terraform.tfstate", state(1, "sg-2"), "")
	srv.Put("b", "env:/prod/terraform.tfstate", state(1, "sg-3"), "") // default prefix: not this backend's
	stacks, errs := newSource(t, srv, s3state.Config{Bucket: "b", Key: "terraform.tfstate", WorkspaceKeyPrefix: "workspaces"}).States(context.Background())
	require.Empty(t, errs)
	require.Equal(t, []string{"b/prod@prod", "b@default"}, names(stacks))

	stacks, errs = newSource(t, srv, s3state.Config{Bucket: "b", Key: "terraform.tfstate", WorkspaceKeyPrefix: "workspaces", Stack: "core"}).States(context.Background())
	require.Empty(t, errs)
	require.Equal(t, []string{"core/prod@prod", "core@default"}, names(stacks))
}

func TestDiscoveryUnderPrefixWithPaging(t *testing.T) {
	srv := s3fake.New()
	defer srv.Close()
	srv.PageSize = 2 // force continuation tokens
	srv.Put("b", "teams/pay/terraform.tfstate", state(1, "sg-1"), "")
	srv.Put("b", "teams/pay/db.tfstate", state(1, "sg-2"), "")
	srv.Put("b", "teams/web/terraform.tfstate", state(1, "sg-3"), "k")
	srv.Put("b", "teams/web/terraform.tfstate.backup", state(1, "sg-3"), "")
	srv.Put("b", "teams/web/notes.txt", []byte("x"), "")
	srv.Put("b", "env:/prod/teams/web/terraform.tfstate", state(1, "sg-4"), "")
	srv.Put("b", "env:/prod/elsewhere/terraform.tfstate", state(1, "sg-5"), "")
	srv.Put("b", "other/terraform.tfstate", state(1, "sg-6"), "")

	stacks, errs := newSource(t, srv, s3state.Config{Bucket: "b", KeysUnder: "teams/"}).States(context.Background())
	require.Empty(t, errs)
	require.Equal(t, []string{"pay/db@default", "pay@default", "web/prod@prod", "web@default"}, names(stacks))
	require.GreaterOrEqual(t, srv.Count("LIST b"), 4, "listing must follow continuation tokens")

	// The whole bucket.
	stacks, errs = newSource(t, srv, s3state.Config{Bucket: "b", KeysUnder: "/"}).States(context.Background())
	require.Empty(t, errs)
	require.Equal(t, []string{"elsewhere/prod@prod", "other@default", "teams/pay/db@default", "teams/pay@default", "teams/web/prod@prod", "teams/web@default"}, names(stacks))
}

func TestNameCollisionsUseURLs(t *testing.T) {
	srv := s3fake.New()
	defer srv.Close()
	srv.Put("b", "x/pay.tfstate", state(1), "")
	srv.Put("b", "x/pay/terraform.tfstate", state(1), "")
	srv.Put("b", "x/web.tfstate", state(1), "")
	stacks, errs := newSource(t, srv, s3state.Config{Bucket: "b", KeysUnder: "x/"}).States(context.Background())
	require.Empty(t, errs)
	require.Equal(t, []string{"s3://b/x/pay.tfstate@default", "s3://b/x/pay/terraform.tfstate@default", "web@default"}, names(stacks))
}

func TestOnlyChangedStatesAreReRead(t *testing.T) {
	srv := s3fake.New()
	defer srv.Close()
	srv.Put("b", "a/terraform.tfstate", state(1, "sg-1"), "kms-key")
	srv.Put("b", "c/terraform.tfstate", state(1, "sg-2"), "")
	src := newSource(t, srv, s3state.Config{Bucket: "b", KeysUnder: "/"})
	ctx := context.Background()

	_, errs := src.States(ctx)
	require.Empty(t, errs)
	_, errs = src.States(ctx)
	require.Empty(t, errs)
	require.Equal(t, 1, srv.Count("GET b/a/terraform.tfstate"))
	require.Equal(t, 1, srv.Count("GET b/c/terraform.tfstate"))

	srv.Put("b", "a/terraform.tfstate", state(2, "sg-1", "sg-7"), "kms-key")
	stacks, errs := src.States(ctx)
	require.Empty(t, errs)
	require.Equal(t, 2, srv.Count("GET b/a/terraform.tfstate"))
	require.Equal(t, 1, srv.Count("GET b/c/terraform.tfstate"))
	require.Equal(t, int64(2), byName(stacks)["a"].Serial)
	require.Len(t, byName(stacks)["a"].Resources, 2)

	// A deleted state is gone next cycle.
	srv.Delete("b", "c/terraform.tfstate")
	stacks, errs = src.States(ctx)
	require.Empty(t, errs)
	require.Equal(t, []string{"a@default"}, names(stacks))
}

func TestKeyModeReReadsOnlyOnETagChange(t *testing.T) {
	srv := s3fake.New()
	defer srv.Close()
	srv.Put("b", "n/terraform.tfstate", state(1, "sg-1"), "arn:aws:kms:eu-west-1:111122223333:key/k")
	src := newSource(t, srv, s3state.Config{Bucket: "b", Key: "n/terraform.tfstate"})
	for i := 0; i < 3; i++ {
		stacks, errs := src.States(context.Background())
		require.Empty(t, errs)
		require.Len(t, stacks, 1)
	}
	require.Equal(t, 3, srv.Count("HEAD b/n/terraform.tfstate"))
	require.Equal(t, 1, srv.Count("GET b/n/terraform.tfstate"))
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("access denied names bucket and key, others load", func(t *testing.T) {
		srv := s3fake.New()
		defer srv.Close()
		srv.Put("b", "a/terraform.tfstate", state(1, "sg-1"), "")
		srv.Put("b", "z/terraform.tfstate", state(1, "sg-2"), "")
		srv.Fail("b/a/terraform.tfstate", s3fake.Fault{Status: http.StatusForbidden, Code: "AccessDenied"})
		stacks, errs := newSource(t, srv, s3state.Config{Bucket: "b", KeysUnder: "/"}).States(ctx)
		require.Equal(t, []string{"z@default"}, names(stacks))
		require.Len(t, errs, 1)
		var ie *collectors.InputError
		require.True(t, errors.As(errs[0], &ie))
		require.Equal(t, "s3://b/a/terraform.tfstate", ie.Location)
		require.Contains(t, errs[0].Error(), `access denied to bucket "b"`)
		require.Contains(t, errs[0].Error(), "kms:Decrypt")
		require.Contains(t, errs[0].Error(), "AccessDenied")
		require.NotContains(t, errs[0].Error(), secretKey)
	})
	t.Run("503 SlowDown is retried", func(t *testing.T) {
		srv := s3fake.New()
		defer srv.Close()
		srv.Put("b", "a/terraform.tfstate", state(1, "sg-1"), "")
		srv.Fail("b?list", s3fake.Fault{Status: http.StatusServiceUnavailable, Code: "SlowDown", Times: 2})
		srv.Fail("b/a/terraform.tfstate", s3fake.Fault{Status: http.StatusServiceUnavailable, Code: "SlowDown", Times: 2})
		stacks, errs := newSource(t, srv, s3state.Config{Bucket: "b", KeysUnder: "/"}).States(ctx)
		require.Empty(t, errs)
		require.Len(t, stacks, 1)
		require.Equal(t, 3, srv.Count("GET b/a/terraform.tfstate"))
	})
	t.Run("SlowDown that never ends is an error after the retries", func(t *testing.T) {
		srv := s3fake.New()
		defer srv.Close()
		srv.Put("b", "a/terraform.tfstate", state(1, "sg-1"), "")
		srv.Fail("b/a/terraform.tfstate", s3fake.Fault{Status: http.StatusServiceUnavailable, Code: "SlowDown"})
		_, errs := newSource(t, srv, s3state.Config{Bucket: "b", KeysUnder: "/"}).States(ctx)
		require.Len(t, errs, 1)
		require.Contains(t, errs[0].Error(), "SlowDown")
		require.Equal(t, 4, srv.Count("GET b/a/terraform.tfstate"))
	})
	t.Run("no state at all", func(t *testing.T) {
		srv := s3fake.New()
		defer srv.Close()
		srv.Put("b", "other", []byte("x"), "")
		_, errs := newSource(t, srv, s3state.Config{Bucket: "b", Key: "net/terraform.tfstate"}).States(ctx)
		require.Len(t, errs, 1)
		require.Contains(t, errs[0].Error(), "s3://b/net/terraform.tfstate")
		require.Contains(t, errs[0].Error(), "NoSuchKey")
	})
	t.Run("missing default workspace is fine when workspaces exist", func(t *testing.T) {
		srv := s3fake.New()
		defer srv.Close()
		srv.Put("b", "env:/prod/net/terraform.tfstate", state(1, "sg-1"), "")
		stacks, errs := newSource(t, srv, s3state.Config{Bucket: "b", Key: "net/terraform.tfstate"}).States(ctx)
		require.Empty(t, errs)
		require.Equal(t, []string{"net/prod@prod"}, names(stacks))
	})
	t.Run("no such bucket", func(t *testing.T) {
		srv := s3fake.New()
		defer srv.Close()
		_, errs := newSource(t, srv, s3state.Config{Bucket: "nope", KeysUnder: "/"}).States(ctx)
		require.NotEmpty(t, errs)
		require.Contains(t, errs[0].Error(), `bucket "nope" does not exist`)
	})
	t.Run("expired credentials", func(t *testing.T) {
		srv := s3fake.New()
		defer srv.Close()
		srv.Put("b", "a/terraform.tfstate", state(1), "")
		srv.Fail("b?list", s3fake.Fault{Status: http.StatusBadRequest, Code: "ExpiredToken"})
		_, errs := newSource(t, srv, s3state.Config{Bucket: "b", KeysUnder: "/"}).States(ctx)
		require.Len(t, errs, 1)
		require.Contains(t, errs[0].Error(), "credentials have expired")
		require.Equal(t, 1, srv.Count("LIST b"), "an expired token is not retried")
	})
	t.Run("corrupt state names its object, is cached, others load", func(t *testing.T) {
		srv := s3fake.New()
		defer srv.Close()
		srv.Put("b", "a/terraform.tfstate", []byte(`{"version":4,"resources":[`), "")
		srv.Put("b", "c/terraform.tfstate", state(1, "sg-1"), "")
		src := newSource(t, srv, s3state.Config{Bucket: "b", KeysUnder: "/"})
		for i := 0; i < 2; i++ {
			stacks, errs := src.States(ctx)
			require.Equal(t, []string{"c@default"}, names(stacks))
			require.Len(t, errs, 1)
			var ie *collectors.InputError
			require.True(t, errors.As(errs[0], &ie))
			require.Equal(t, "s3://b/a/terraform.tfstate", ie.Location)
		}
		require.Equal(t, 1, srv.Count("GET b/a/terraform.tfstate"), "an unchanged corrupt state is not downloaded again")
	})
	t.Run("empty object is an empty stack", func(t *testing.T) {
		srv := s3fake.New()
		defer srv.Close()
		srv.Put("b", "a/terraform.tfstate", nil, "")
		stacks, errs := newSource(t, srv, s3state.Config{Bucket: "b", Key: "a/terraform.tfstate"}).States(ctx)
		require.Empty(t, errs)
		require.Len(t, stacks, 1)
		require.Empty(t, stacks[0].Resources)
	})
	t.Run("bad configuration", func(t *testing.T) {
		_, errs := s3state.NewSource("x", s3state.Config{Bucket: "b", Key: "k", KeysUnder: "p/"}).States(ctx)
		require.Len(t, errs, 1)
		require.Contains(t, errs[0].Error(), "either key or keys_under")
	})
}

// TestAssumeRole: the source assumes the configured role through STS (with
// the external id) and signs S3 requests with the session credentials.
func TestAssumeRole(t *testing.T) {
	var gotForm url.Values
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		gotForm = r.PostForm
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIASESSIONKEY</AccessKeyId><SecretAccessKey>sessionsecret</SecretAccessKey><SessionToken>SESSIONTOKEN</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::111122223333:assumed-role/reader/driftwarden</Arn><AssumedRoleId>AROAEXAMPLE:driftwarden</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></AssumeRoleResponse>`)
	}))
	defer sts.Close()
	srv := s3fake.New()
	defer srv.Close()
	srv.Put("b", "n/terraform.tfstate", state(1, "sg-1"), "")
	src := s3state.NewSource("s3", s3state.Config{Bucket: "b", Key: "n/terraform.tfstate", Client: s3state.ClientConfig{
		Region: "eu-west-1", EndpointURL: srv.URL, ForcePathStyle: true, STSEndpointURL: sts.URL,
		Credentials:   credentials.NewStaticCredentialsProvider("AKIDBASE", secretKey, ""),
		AssumeRoleARN: "arn:aws:iam::111122223333:role/reader", ExternalID: "ext-123",
	}})
	stacks, errs := src.States(context.Background())
	require.Empty(t, errs)
	require.Len(t, stacks, 1)
	require.Equal(t, "AssumeRole", gotForm.Get("Action"))
	require.Equal(t, "arn:aws:iam::111122223333:role/reader", gotForm.Get("RoleArn"))
	require.Equal(t, "ext-123", gotForm.Get("ExternalId"))
	require.Equal(t, "driftwarden", gotForm.Get("RoleSessionName"))
	h := srv.LastHeaders()
	require.Equal(t, "SESSIONTOKEN", h.Get("X-Amz-Security-Token"))
	require.Contains(t, h.Get("Authorization"), "Credential=ASIASESSIONKEY/")
}
