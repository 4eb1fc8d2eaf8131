package s3state_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/collectors/tfstate/s3state"
	"github.com/driftwarden/driftwarden/collectors/tfstate/s3state/s3fake"
)

// TestSSECKeyModePlainDefaultIsCached: with sse_customer_key configured and
// a default-workspace state that is not SSE-C (S3 answers a HEAD carrying
// SSE-C headers with a bare 400), the state is still downloaded only when
// its ETag changes.
func TestSSECKeyModePlainDefaultIsCached(t *testing.T) {
	ctx := context.Background()
	srv := s3fake.New()
	defer srv.Close()
	srv.Put("b", "net/terraform.tfstate", state(1, "sg-1"), "")
	srv.PutObject("b", "env:/prod/net/terraform.tfstate", s3fake.Object{Body: state(1, "sg-2"), SSECKey: ssecKey(0)})
	src := newSource(t, srv, s3state.Config{Bucket: "b", Key: "net/terraform.tfstate", SSECustomerKey: ssecKey(0)})
	for i := 0; i < 3; i++ {
		stacks, errs := src.States(ctx)
		require.Empty(t, errs)
		require.Equal(t, []string{"net/prod@prod", "net@default"}, names(stacks))
	}
	// One download (with the key refused, then without it) for the one
	// version of the plain state; the SSE-C workspace state once too.
	require.Equal(t, 2, srv.Count("GET b/net/terraform.tfstate"))
	require.Equal(t, 1, srv.Count("GET b/env:/prod/net/terraform.tfstate"))

	// A new version is read again.
	srv.Put("b", "net/terraform.tfstate", state(2, "sg-3"), "")
	stacks, errs := src.States(ctx)
	require.Empty(t, errs)
	require.Equal(t, "sg-3", byName(stacks)["net"].Resources[0].NativeID)
}

// TestKeyModeMissingKeyAfterFailedHEAD: HEAD fails for another reason than
// 404 and GET then says the configured key does not exist: with no
// workspace state either, that is the "no state found" error, not silence.
func TestKeyModeMissingKeyAfterFailedHEAD(t *testing.T) {
	ctx := context.Background()
	srv := s3fake.New()
	defer srv.Close()
	srv.Put("b", "other/terraform.tfstate", state(1, "sg-1"), "")
	srv.Fail("b/net/terraform.tfstate", s3fake.Fault{Status: http.StatusForbidden, Code: "AccessDenied", Method: http.MethodHead})
	stacks, errs := newSource(t, srv, s3state.Config{Bucket: "b", Key: "net/terraform.tfstate"}).States(ctx)
	require.Empty(t, stacks)
	require.Len(t, errs, 1)
	var ie *collectors.InputError
	require.ErrorAs(t, errs[0], &ie)
	require.Equal(t, "s3://b/net/terraform.tfstate", ie.Location)
	require.Contains(t, errs[0].Error(), "no state found")

	// With a workspace state, a missing default object is no error (as
	// when HEAD says 404).
	srv.Put("b", "env:/prod/net/terraform.tfstate", state(1, "sg-2"), "")
	stacks, errs = newSource(t, srv, s3state.Config{Bucket: "b", Key: "net/terraform.tfstate"}).States(ctx)
	require.Empty(t, errs)
	require.Equal(t, []string{"net/prod@prod"}, names(stacks))
}

// TestBadDeposedObjectIsAWarning: a deposed object that cannot be read
// costs only itself, reported again while the cached state is unchanged.
func TestBadDeposedObjectIsAWarning(t *testing.T) {
	srv := s3fake.New()
	defer srv.Close()
	doc := strings.Replace(string(state(1, "sg-1")), `"name":"n0"}}]`,
		`"name":"n0"}},{"deposed":"1a2b3c4d","schema_version":1,"attributes":{"id":"sg-0","name":"n0"},"sensitive_attributes":"oops"}]`, 1)
	srv.Put("b", "n/terraform.tfstate", []byte(doc), "")
	src := newSource(t, srv, s3state.Config{Bucket: "b", Key: "n/terraform.tfstate"})
	for i := 0; i < 2; i++ {
		stacks, errs := src.States(context.Background())
		require.Equal(t, []string{"n@default"}, names(stacks))
		require.Len(t, stacks[0].Resources, 1)
		require.Len(t, errs, 1)
		require.Contains(t, errs[0].Error(), "s3://b/n/terraform.tfstate")
		require.Contains(t, errs[0].Error(), "deposed object 1a2b3c4d")
	}
	require.Equal(t, 1, srv.Count("GET b/n/terraform.tfstate"))
}
