package s3state_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/collectors/tfstate"
	"github.com/driftwarden/driftwarden/collectors/tfstate/s3state"
	"github.com/driftwarden/driftwarden/collectors/tfstate/s3state/s3fake"
)

// A lock file as use_lockfile (Terraform >= 1.10) writes it next to the state.
const lockInfo = `{"ID":"0b7a7c0e-5f0e-4a57-9d0e-1f7c4b1e2a33","Operation":"OperationTypeApply","Info":"","Who":"ci@runner","Version":"1.10.2","Created":"2026-11-20T10:00:00Z","Path":"acme-tf/envs/prod/terraform.tfstate"}`

// TestEmptyWorkspaceKeyPrefix: workspace_key_prefix = "" (configured as
// "/") puts workspaces at <workspace>/<key>, as Terraform's keyEnv reads them.
func TestEmptyWorkspaceKeyPrefix(t *testing.T) {
	srv := s3fake.New()
	defer srv.Close()
	srv.Put("b", "network/terraform.tfstate", state(1, "sg-1"), "")
	srv.Put("b", "prod/network/terraform.tfstate", state(1, "sg-2"), "")
	srv.Put("b", "prod/network/terraform.tfstate.tflock", []byte(lockInfo), "")
	srv.Put("b", "a/b/network/terraform.tfstate", state(1, "sg-3"), "")      // two levels: not a workspace
	srv.Put("b", "env:/dev/network/terraform.tfstate", state(1, "sg-4"), "") // default prefix: not this backend's

	stacks, errs := newSource(t, srv, s3state.Config{Bucket: "b", Key: "network/terraform.tfstate", WorkspaceKeyPrefix: "/"}).States(context.Background())
	require.Empty(t, errs)
	require.Equal(t, []string{"network/prod@prod", "network@default"}, names(stacks))
	require.Equal(t, "s3://b/prod/network/terraform.tfstate", byName(stacks)["network/prod"].Location)

	// Discovery cannot tell workspaces apart without a prefix: each state
	// is a default workspace's, none is lost or counted twice.
	stacks, errs = newSource(t, srv, s3state.Config{Bucket: "b", KeysUnder: "/", WorkspaceKeyPrefix: "/"}).States(context.Background())
	require.Empty(t, errs)
	require.Equal(t, []string{"a/b/network@default", "env:/dev/network@default", "network@default", "prod/network@default"}, names(stacks))
}

// TestKeyInFolderSkipsLocksBackupsAndFolders: a key inside a folder, its
// workspaces, and what else a state bucket holds next to states.
func TestKeyInFolderSkipsLocksBackupsAndFolders(t *testing.T) {
	srv := s3fake.New()
	defer srv.Close()
	srv.Put("acme-tf", "envs/", nil, "") // console "folder"
	srv.Put("acme-tf", "envs/prod/", nil, "")
	srv.Put("acme-tf", "envs/prod/terraform.tfstate", state(7, "sg-1"), "arn:aws:kms:eu-west-1:111122223333:key/k1")
	srv.Put("acme-tf", "envs/prod/terraform.tfstate.tflock", []byte(lockInfo), "")
	srv.Put("acme-tf", "envs/prod/terraform.tfstate.backup", state(6, "sg-0"), "")
	srv.Put("acme-tf", "env:/blue/envs/prod/terraform.tfstate", state(2, "sg-2"), "")
	srv.Put("acme-tf", "env:/blue/envs/prod/terraform.tfstate.tflock", []byte(lockInfo), "")
	srv.Put("acme-tf", "env:/", nil, "")
	srv.Put("acme-tf", "envs/prod/README.md", []byte("# prod"), "")

	stacks, errs := newSource(t, srv, s3state.Config{Bucket: "acme-tf", Key: "envs/prod/terraform.tfstate"}).States(context.Background())
	require.Empty(t, errs)
	require.Equal(t, []string{"envs/prod/blue@blue", "envs/prod@default"}, names(stacks))
	require.Equal(t, int64(7), byName(stacks)["envs/prod"].Serial)
	require.Equal(t, "s3://acme-tf/env:/blue/envs/prod/terraform.tfstate", byName(stacks)["envs/prod/blue"].Location)

	stacks, errs = newSource(t, srv, s3state.Config{Bucket: "acme-tf", KeysUnder: "envs/"}).States(context.Background())
	require.Empty(t, errs)
	require.Equal(t, []string{"prod/blue@blue", "prod@default"}, names(stacks))
	require.Zero(t, srv.Count("GET acme-tf/envs/prod/terraform.tfstate.tflock"))
	require.Zero(t, srv.Count("GET acme-tf/envs/prod/"))
}

// TestDiscoveryOverThousandKeys: S3 pages at 1000 keys; every state past
// the first page is found.
func TestDiscoveryOverThousandKeys(t *testing.T) {
	srv := s3fake.New()
	defer srv.Close()
	const n = 700
	for i := 0; i < n; i++ {
		srv.Put("b", fmt.Sprintf("svc/%04d/terraform.tfstate", i), state(1), "")
		srv.Put("b", fmt.Sprintf("svc/%04d/terraform.tfstate.tflock", i), []byte(lockInfo), "")
	}
	stacks, errs := newSource(t, srv, s3state.Config{Bucket: "b", KeysUnder: "svc/"}).States(context.Background())
	require.Empty(t, errs)
	require.Len(t, stacks, n)
	require.Equal(t, "0699", byName(stacks)["0699"].Name)
	require.Equal(t, 3, srv.Count("LIST b"), "two pages under svc/, one of env:/")
}

func ssecKey(b byte) string {
	return base64.StdEncoding.EncodeToString([]byte(strings.Repeat(string(rune('a'+b)), 32)))
}

func TestSSECustomerKey(t *testing.T) {
	ctx := context.Background()
	srv := s3fake.New()
	defer srv.Close()
	key := ssecKey(0)
	srv.PutObject("b", "net/terraform.tfstate", s3fake.Object{Body: state(1, "sg-1"), SSECKey: key})
	srv.Put("b", "plain/terraform.tfstate", state(1, "sg-2"), "")

	t.Run("not configured: clear error, other states load", func(t *testing.T) {
		stacks, errs := newSource(t, srv, s3state.Config{Bucket: "b", KeysUnder: "/"}).States(ctx)
		require.Equal(t, []string{"plain@default"}, names(stacks))
		require.Len(t, errs, 1)
		var ie *collectors.InputError
		require.ErrorAs(t, errs[0], &ie)
		require.Equal(t, "s3://b/net/terraform.tfstate", ie.Location)
		require.Contains(t, errs[0].Error(), "SSE-C")
		require.Contains(t, errs[0].Error(), "sse_customer_key")
	})
	t.Run("not configured, key mode (HEAD answers a bare 400)", func(t *testing.T) {
		_, errs := newSource(t, srv, s3state.Config{Bucket: "b", Key: "net/terraform.tfstate"}).States(ctx)
		require.Len(t, errs, 1)
		require.Contains(t, errs[0].Error(), "s3://b/net/terraform.tfstate")
		require.Contains(t, errs[0].Error(), "sse_customer_key")
	})
	t.Run("configured", func(t *testing.T) {
		gets := srv.Count("GET b/net/terraform.tfstate")
		src := newSource(t, srv, s3state.Config{Bucket: "b", Key: "net/terraform.tfstate", SSECustomerKey: key})
		for i := 0; i < 2; i++ {
			stacks, errs := src.States(ctx) // the fake refuses reads without the key's headers
			require.Empty(t, errs)
			require.Equal(t, []string{"net@default"}, names(stacks))
			require.Len(t, stacks[0].Resources, 1)
		}
		require.Equal(t, gets+1, srv.Count("GET b/net/terraform.tfstate"), "HEAD (with the key) finds the ETag unchanged")
	})
	t.Run("configured, bucket mixing SSE-C and other objects", func(t *testing.T) {
		stacks, errs := newSource(t, srv, s3state.Config{Bucket: "b", KeysUnder: "/", SSECustomerKey: key}).States(ctx)
		require.Empty(t, errs)
		require.Equal(t, []string{"net@default", "plain@default"}, names(stacks))
	})
	t.Run("wrong key", func(t *testing.T) {
		_, errs := newSource(t, srv, s3state.Config{Bucket: "b", KeysUnder: "net/", SSECustomerKey: ssecKey(1)}).States(ctx)
		require.Len(t, errs, 1)
		require.Contains(t, errs[0].Error(), "different SSE-C key")
		require.NotContains(t, errs[0].Error(), ssecKey(1))
	})
	t.Run("malformed key", func(t *testing.T) {
		_, errs := newSource(t, srv, s3state.Config{Bucket: "b", KeysUnder: "net/", SSECustomerKey: "c2hvcnQ="}).States(ctx)
		require.Len(t, errs, 1)
		require.Contains(t, errs[0].Error(), "256-bit")
		require.NotContains(t, errs[0].Error(), "c2hvcnQ=")
	})
}

func TestWrongRegionNamesTheBucketsRegion(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		target string
		fault  s3fake.Fault
		cfg    s3state.Config
	}{
		{"301 PermanentRedirect on listing", "b?list", s3fake.Fault{Status: http.StatusMovedPermanently, Code: "PermanentRedirect",
			Header: http.Header{"X-Amz-Bucket-Region": {"us-east-2"}}, Extra: "<Endpoint>b.s3.us-east-2.amazonaws.com</Endpoint><Bucket>b</Bucket>"},
			s3state.Config{Bucket: "b", KeysUnder: "/"}},
		{"400 AuthorizationHeaderMalformed", "b?list", s3fake.Fault{Status: http.StatusBadRequest, Code: "AuthorizationHeaderMalformed", Extra: "<Region>us-east-2</Region>"},
			s3state.Config{Bucket: "b", KeysUnder: "/"}},
		{"301 on HEAD (no body) then GET, key mode", "b/n/terraform.tfstate", s3fake.Fault{Status: http.StatusMovedPermanently, Code: "PermanentRedirect",
			Header: http.Header{"X-Amz-Bucket-Region": {"us-east-2"}}},
			s3state.Config{Bucket: "b", Key: "n/terraform.tfstate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := s3fake.New()
			defer srv.Close()
			srv.Put("b", "n/terraform.tfstate", state(1, "sg-1"), "")
			srv.Fail(tc.target, tc.fault)
			_, errs := newSource(t, srv, tc.cfg).States(ctx)
			require.NotEmpty(t, errs)
			require.Contains(t, errs[0].Error(), `bucket "b" is in region us-east-2: set the source's region to us-east-2`)
		})
	}
}

// TestDeletedBetweenListAndGet: a state gone by the time it is fetched
// (workspace deleted) is not an error; the others load.
func TestDeletedBetweenListAndGet(t *testing.T) {
	srv := s3fake.New()
	defer srv.Close()
	srv.Put("b", "a/terraform.tfstate", state(1, "sg-1"), "")
	srv.Put("b", "c/terraform.tfstate", state(1, "sg-2"), "")
	srv.Fail("b/a/terraform.tfstate", s3fake.Fault{Status: http.StatusNotFound, Code: "NoSuchKey", Extra: "<Key>a/terraform.tfstate</Key>", Times: 1})
	src := newSource(t, srv, s3state.Config{Bucket: "b", KeysUnder: "/"})
	stacks, errs := src.States(context.Background())
	require.Empty(t, errs)
	require.Equal(t, []string{"c@default"}, names(stacks))
	// Not cached as gone: if it is still listed next cycle it is read.
	stacks, errs = src.States(context.Background())
	require.Empty(t, errs)
	require.Equal(t, []string{"a@default", "c@default"}, names(stacks))
}

// TestBadObjects: a body cut short, a non-JSON object: each an error naming
// its s3:// URL; the others load; the cut one is read again next cycle.
func TestBadObjects(t *testing.T) {
	srv := s3fake.New()
	defer srv.Close()
	srv.Put("b", "cut/terraform.tfstate", state(1, "sg-1", "sg-2", "sg-3"), "")
	srv.Put("b", "html/terraform.tfstate", []byte("<html><body>Moved</body></html>\n"), "")
	srv.Put("b", "ok/terraform.tfstate", state(1, "sg-9"), "")
	srv.Fail("b/cut/terraform.tfstate", s3fake.Fault{Truncate: true, Times: 1})
	src := newSource(t, srv, s3state.Config{Bucket: "b", KeysUnder: "/"})

	stacks, errs := src.States(context.Background())
	require.Equal(t, []string{"ok@default"}, names(stacks))
	require.Len(t, errs, 2)
	locs := map[string]error{}
	for _, e := range errs {
		var ie *collectors.InputError
		require.ErrorAs(t, e, &ie)
		locs[ie.Location] = e
	}
	require.Contains(t, locs, "s3://b/cut/terraform.tfstate")
	require.Contains(t, locs, "s3://b/html/terraform.tfstate")
	var re *tfstate.ReadError
	require.ErrorAs(t, locs["s3://b/cut/terraform.tfstate"], &re, "a cut body is a read error, not a bad state")

	stacks, errs = src.States(context.Background())
	require.Equal(t, []string{"cut@default", "ok@default"}, names(stacks))
	require.Len(t, errs, 1)
	require.Len(t, byName(stacks)["cut"].Resources, 3)
	require.Equal(t, 1, srv.Count("GET b/html/terraform.tfstate"), "an unchanged bad state is not read again")
}

// TestVirtualHostedEndpoint: a custom endpoint without path style addresses
// the bucket as bucket.<host> (MinIO with domain, LocalStack's
// s3.localhost.localstack.cloud).
func TestVirtualHostedEndpoint(t *testing.T) {
	srv := s3fake.New()
	defer srv.Close()
	srv.Put("acme-tf", "n/terraform.tfstate", state(1, "sg-1"), "")
	addr := srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	var hosts []string
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.DialContext = func(ctx context.Context, network, a string) (net.Conn, error) {
			hosts = append(hosts, a)
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}
	})
	api := s3.New(s3.Options{
		Region: "eu-west-1", BaseEndpoint: aws.String("http://s3.store.test:" + port), HTTPClient: hc,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", secretKey, ""),
	})
	stacks, errs := s3state.NewSource("s", s3state.Config{Bucket: "acme-tf", Key: "n/terraform.tfstate", API: api}).States(context.Background())
	require.Empty(t, errs)
	require.Equal(t, []string{"n@default"}, names(stacks))
	require.Contains(t, hosts, "acme-tf.s3.store.test:"+port)
}

// TestFakeSpeaksS3 checks the fake's answers the way the SDK reads them:
// error XML codes, 304 on If-None-Match.
func TestFakeSpeaksS3(t *testing.T) {
	srv := s3fake.New()
	defer srv.Close()
	body := state(1)
	srv.Put("b", "k", body, "")
	api := s3.New(s3.Options{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", secretKey, "")})
	ctx := context.Background()
	_, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("missing")})
	var nsk *s3types.NoSuchKey
	require.ErrorAs(t, err, &nsk)
	_, err = api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), IfNoneMatch: aws.String(s3fake.ETag(body))})
	var re *awshttp.ResponseError
	require.ErrorAs(t, err, &re)
	require.Equal(t, http.StatusNotModified, re.HTTPStatusCode())
	_, err = api.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("b"), Key: aws.String("missing")})
	var nf *s3types.NotFound
	require.ErrorAs(t, err, &nf)
	_, err = api.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("nope")})
	var nsb *s3types.NoSuchBucket
	require.True(t, errors.As(err, &nsb))
}
