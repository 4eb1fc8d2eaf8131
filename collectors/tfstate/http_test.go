package tfstate

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
)

const (
	plantedPassword = "s3cr3t-PASSWORD-planted"
	plantedToken    = "t0k3n-in-query-planted"
	plantedHeader   = "header-secret-planted"
)

// backend is a scripted http backend: each request gets the next handler
// (the last one repeats).
type backend struct {
	t        *testing.T
	steps    []http.HandlerFunc
	requests atomic.Int32
	lastReq  atomic.Pointer[http.Request]
}

func (b *backend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(b.requests.Add(1)) - 1
	b.lastReq.Store(r)
	user, pass, ok := r.BasicAuth()
	if !ok || user != "ci" || pass != plantedPassword || r.Header.Get("X-Token") != plantedHeader {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	b.steps[min(n, len(b.steps)-1)](w, r)
}

func serve(t *testing.T, steps ...http.HandlerFunc) (*backend, *httptest.Server) {
	b := &backend{t: t, steps: steps}
	srv := httptest.NewServer(b)
	t.Cleanup(srv.Close)
	return b, srv
}

func stateBody(id string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		_, _ = w.Write([]byte(stateWith(id)))
	}
}

func status(code int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}
}

func newTestHTTPSource(url string) *HTTPSource {
	return NewHTTPSource("remote", HTTPConfig{
		URL:       url + "/state/prod?token=" + plantedToken,
		Username:  "ci",
		Password:  plantedPassword,
		Headers:   map[string]string{"X-Token": plantedHeader},
		Timeout:   5 * time.Second,
		RetryWait: time.Millisecond,
	})
}

func requireNoSecret(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{plantedPassword, plantedToken, plantedHeader} {
		require.NotContains(t, s, secret)
	}
}

func TestHTTPSource(t *testing.T) {
	tests := []struct {
		name     string
		steps    []http.HandlerFunc
		cycles   int
		native   string // first resource of the last cycle; "" for an empty stack
		err      string
		requests int32
	}{
		{name: "200", steps: []http.HandlerFunc{stateBody("vpc-1")}, cycles: 1, native: "vpc-1", requests: 1},
		{name: "304 reuses the cached stack", steps: []http.HandlerFunc{stateBody("vpc-1")}, cycles: 3, native: "vpc-1", requests: 3},
		{name: "204 no state yet", steps: []http.HandlerFunc{status(http.StatusNoContent, "")}, cycles: 1, requests: 1},
		{name: "404 empty no state yet", steps: []http.HandlerFunc{status(http.StatusNotFound, "")}, cycles: 1, requests: 1},
		{name: "200 empty body", steps: []http.HandlerFunc{status(http.StatusOK, "\n")}, cycles: 1, requests: 1},
		{name: "404 with a body", steps: []http.HandlerFunc{status(http.StatusNotFound, "<html>no such page</html>")}, cycles: 1, err: "HTTP 404: state not found", requests: 1},
		{name: "401 not retried", steps: []http.HandlerFunc{status(http.StatusUnauthorized, "")}, cycles: 1, err: "HTTP 401: access denied", requests: 1},
		{name: "500 then 200", steps: []http.HandlerFunc{status(http.StatusInternalServerError, "boom "+plantedPassword), status(http.StatusBadGateway, ""), stateBody("vpc-2")}, cycles: 1, native: "vpc-2", requests: 3},
		{name: "500 until retries run out", steps: []http.HandlerFunc{status(http.StatusServiceUnavailable, "")}, cycles: 1, err: "HTTP 503: server error", requests: 4},
		{name: "truncated body not retried", steps: []http.HandlerFunc{status(http.StatusOK, `{"version":4,"resources":[{"mode":"managed","type":"aws_vpc","name":"v","instances":[{"attributes":{"id":`)}, cycles: 1, err: "resources[0].instances[0] (aws_vpc.v): invalid JSON at offset 105: unexpected end of input", requests: 1},
		{name: "version 0", steps: []http.HandlerFunc{status(http.StatusOK, `{"version":0,"modules":[]}`)}, cycles: 1, err: "version 0 is not supported", requests: 1},
		{name: "418 unexpected", steps: []http.HandlerFunc{status(http.StatusTeapot, "")}, cycles: 1, err: "HTTP 418: unexpected answer", requests: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, srv := serve(t, tt.steps...)
			src := newTestHTTPSource(srv.URL)
			var stacks []collectors.Stack
			var errs []error
			for range tt.cycles {
				stacks, errs = src.States(context.Background())
			}
			require.Equal(t, tt.requests, b.requests.Load())
			if tt.err != "" {
				require.Empty(t, stacks)
				require.Len(t, errs, 1)
				var ie *collectors.InputError
				require.ErrorAs(t, errs[0], &ie)
				require.Contains(t, errs[0].Error(), tt.err)
				require.Contains(t, errs[0].Error(), srv.URL+"/state/prod?token=REDACTED")
				requireNoSecret(t, errs[0].Error())
				return
			}
			require.Empty(t, errs)
			require.Len(t, stacks, 1)
			st := stacks[0]
			require.Equal(t, "prod", st.Name)
			require.Equal(t, "remote", st.Source)
			require.Equal(t, srv.URL+"/state/prod?token=REDACTED", st.Location)
			requireNoSecret(t, st.Location)
			if tt.native == "" {
				require.Empty(t, st.Resources)
				return
			}
			require.Equal(t, tt.native, st.Resources[0].NativeID)
			require.Equal(t, "prod", st.Resources[0].Stack)
		})
	}
}

func TestHTTPSourceForgetsAfterNoContent(t *testing.T) {
	b, srv := serve(t, stateBody("vpc-1"), status(http.StatusNoContent, ""), stateBody("vpc-1"))
	src := newTestHTTPSource(srv.URL)
	for _, want := range []int{1, 0, 1} {
		stacks, errs := src.States(context.Background())
		require.Empty(t, errs)
		require.Len(t, stacks[0].Resources, want)
	}
	require.Empty(t, b.lastReq.Load().Header.Get("If-None-Match"), "no conditional request once the state was gone")
}

func TestHTTPSourceNetworkErrorLeaksNoSecret(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // connection refused from now on
	src := NewHTTPSource("remote", HTTPConfig{
		URL:       strings.Replace(url, "http://", "http://ci:"+plantedPassword+"@", 1) + "/state?token=" + plantedToken + "&x=" + plantedToken,
		Password:  plantedPassword,
		Headers:   map[string]string{"X-Token": plantedHeader},
		Retries:   1,
		RetryWait: time.Millisecond,
	})
	stacks, errs := src.States(context.Background())
	require.Empty(t, stacks)
	require.Len(t, errs, 1)
	msg := errs[0].Error()
	require.Contains(t, msg, "fetching state")
	require.Contains(t, msg, "REDACTED@")
	requireNoSecret(t, msg)
}

func TestHTTPSourceCancelledDuringBackoff(t *testing.T) {
	_, srv := serve(t, status(http.StatusInternalServerError, ""))
	src := NewHTTPSource("remote", HTTPConfig{URL: srv.URL, Username: "ci", Password: plantedPassword,
		Headers: map[string]string{"X-Token": plantedHeader}, RetryWait: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, errs := src.States(ctx)
	require.Len(t, errs, 1)
	require.Less(t, time.Since(t0), 5*time.Second)
}

func TestHTTPSourceConnectionDroppedMidBody(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			// Promise more than is sent: the client sees an unexpected EOF.
			w.Header().Set("Content-Length", "100000")
			_, _ = w.Write([]byte(`{"version":4,"resources":[`))
			return
		}
		_, _ = w.Write([]byte(stateWith("vpc-9")))
	}))
	defer srv.Close()
	src := NewHTTPSource("remote", HTTPConfig{URL: srv.URL + "/s", RetryWait: time.Millisecond})
	stacks, errs := src.States(context.Background())
	require.Empty(t, errs)
	require.Equal(t, "vpc-9", stacks[0].Resources[0].NativeID)
	require.Equal(t, int32(2), n.Load(), "a read error mid-body is retried")
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://u:p@example.com/a/b?token=x&y=z#frag": "https://REDACTED@example.com/a/b?token=REDACTED&y=REDACTED",
		"https://example.com/state":                    "https://example.com/state",
		"://bad":                                       "(unparsable URL)",
	} {
		require.Equal(t, want, RedactURL(in))
	}
}

func TestDefaultHTTPStackName(t *testing.T) {
	require.Equal(t, "prod", defaultHTTPStackName("https://gitlab.com/api/v4/projects/1/terraform/state/prod"))
	require.Equal(t, "example.com", defaultHTTPStackName("https://example.com/"))
	require.Equal(t, "x", NewHTTPSource("s", HTTPConfig{URL: "https://e.com/a", StackName: "x"}).stack)
}
