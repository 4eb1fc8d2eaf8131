package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/driftwarden/driftwarden/api"
	"github.com/driftwarden/driftwarden/app"
	"github.com/driftwarden/driftwarden/config"
	"github.com/driftwarden/driftwarden/report"
)

// The demo's planted secrets: the applied and the live RDS password.
var demoSecrets = []string{"demo-S3cr3t-do-not-leak", "rotated-by-hand-S3cr3t"}

const token = "test-token-0123456789"

// demo runs one cycle on the demo and serves the daemon's handler; with
// withToken the API token comes from an environment variable.
func demo(t *testing.T, withToken bool) *httptest.Server {
	t.Helper()
	cfg, err := config.Load(filepath.Join("..", "examples", "demo", "driftwarden.yaml"))
	require.NoError(t, err)
	cfg.Store.URL = filepath.Join(t.TempDir(), "dw.db")
	if withToken {
		t.Setenv("DW_TEST_API_TOKEN", token)
		cfg.Server.APITokenEnv = "DW_TEST_API_TOKEN"
	}
	a, err := app.New(context.Background(), cfg, app.Options{Registry: prometheus.NewPedanticRegistry(), Version: "test"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	_, err = a.Cycle(context.Background())
	require.NoError(t, err)
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server, path, tok string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+path, nil)
	require.NoError(t, err)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, b
}

type apiErr struct {
	Error     string `json:"error"`
	Parameter string `json:"parameter"`
}

func TestAuthentication(t *testing.T) {
	srv := demo(t, true)
	for _, tc := range []struct {
		name, path, tok string
		code            int
	}{
		{"no token", "/api/v1/findings", "", 401},
		{"wrong token", "/api/v1/findings", "test-token-0123456788", 401},
		{"prefix of the token", "/api/v1/findings", "test-token", 401},
		{"right token", "/api/v1/findings", token, 200},
		{"report without token", "/api/v1/reports?format=html", "", 401},
		{"cycles without token", "/api/v1/cycles", "", 401},
		{"health is open", "/healthz", "", 200},
		{"metrics are open", "/metrics", "", 200},
		{"unknown API path", "/api/v1/nope", token, 404},
		{"unknown API path needs a token too", "/api/v1/nope", "", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, h, body := get(t, srv, tc.path, tc.tok)
			require.Equal(t, tc.code, code, string(body))
			if code == 401 {
				require.Contains(t, h.Get("WWW-Authenticate"), "Bearer")
				var e apiErr
				require.NoError(t, json.Unmarshal(body, &e))
				require.NotEmpty(t, e.Error)
				require.NotContains(t, string(body), token)
			}
		})
	}
	// Basic auth or a bare token is not a bearer token.
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/findings", nil)
	req.Header.Set("Authorization", token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, 401, resp.StatusCode)
}

func TestDisabledWithoutToken(t *testing.T) {
	srv := demo(t, false)
	code, _, body := get(t, srv, "/api/v1/findings", "anything")
	require.Equal(t, http.StatusForbidden, code)
	require.Contains(t, string(body), "api_token_env")
	code, _, _ = get(t, srv, "/api/v1/findings", "")
	require.Equal(t, http.StatusForbidden, code, "never open by default")
	code, _, _ = get(t, srv, "/metrics", "")
	require.Equal(t, 200, code)
}

func TestBadParameters(t *testing.T) {
	srv := demo(t, true)
	for _, tc := range []struct{ query, param string }{
		{"limit=0", "limit"},
		{"limit=1001", "limit"},
		{"limit=ten", "limit"},
		{"limit=", "limit"},
		{"offset=-1", "offset"},
		{"offset=x", "offset"},
		{"cursor=%21%21", "cursor"},
		{"cursor=", "cursor"},
		{"cursor=WzQsIiIsIiIsImEiXQ&offset=3", "offset"},
		{"state=closed", "state"},
		{"kind=drift", "kind"},
		{"severity=urgent", "severity"},
		{"colour=red", "colour"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			code, h, body := get(t, srv, "/api/v1/findings?"+tc.query, token)
			require.Equal(t, 400, code, string(body))
			require.Equal(t, "application/json", h.Get("Content-Type"))
			var e apiErr
			require.NoError(t, json.Unmarshal(body, &e))
			require.Equal(t, tc.param, e.Parameter, e.Error)
			require.Contains(t, e.Error, tc.param)
		})
	}
	for _, tc := range []struct{ path, param string }{
		{"/api/v1/cycles?limit=5000", "limit"},
		{"/api/v1/reports?period=forever", "period"},
		{"/api/v1/reports?format=pdf", "format"},
		{"/api/v1/reports?framework=HIPAA", "framework"},
		{"/api/v1/reports?as_of=yesterday", "as_of"},
		{"/api/v1/reports?from=2026-01-01T00:00:00Z", "to"},
		{"/api/v1/reports?period=30d&as_of=2026-01-01T00:00:00Z", "period"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			code, _, body := get(t, srv, tc.path, token)
			require.Equal(t, 400, code, string(body))
			var e apiErr
			require.NoError(t, json.Unmarshal(body, &e))
			require.Equal(t, tc.param, e.Parameter, e.Error)
		})
	}
	code, _, body := get(t, srv, "/api/v1/reports?framework=HIPAA", token)
	require.Equal(t, 400, code)
	require.Contains(t, string(body), "CIS-AWS-2.0", "the error lists the known frameworks")
}

func TestPaginationWalksEveryFindingOnce(t *testing.T) {
	srv := demo(t, true)
	code, _, body := get(t, srv, "/api/v1/findings?state=open,resolved&limit=1000", token)
	require.Equal(t, 200, code)
	var all api.FindingsPage
	require.NoError(t, json.Unmarshal(body, &all))
	require.Greater(t, len(all.Findings), 8)
	require.Empty(t, all.NextCursor)

	seen := map[string]int{}
	var order []string
	cursor := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 100)
		q := url.Values{"limit": {"3"}, "state": {"open", "resolved"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		code, _, body := get(t, srv, "/api/v1/findings?"+q.Encode(), token)
		require.Equal(t, 200, code, string(body))
		var p api.FindingsPage
		require.NoError(t, json.Unmarshal(body, &p))
		require.LessOrEqual(t, len(p.Findings), 3)
		for _, f := range p.Findings {
			seen[f.Fingerprint]++
			order = append(order, f.Fingerprint)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	require.Len(t, seen, len(all.Findings))
	for fp, n := range seen {
		require.Equal(t, 1, n, fp)
	}
	var want []string
	for _, f := range all.Findings {
		want = append(want, f.Fingerprint)
	}
	require.Equal(t, want, order, "pages follow the listing order")

	// Offset paging too.
	code, _, body = get(t, srv, "/api/v1/findings?limit=2&offset=4", token)
	require.Equal(t, 200, code)
	var p api.FindingsPage
	require.NoError(t, json.Unmarshal(body, &p))
	require.Equal(t, want[4:6], []string{p.Findings[0].Fingerprint, p.Findings[1].Fingerprint})

	// Filters.
	code, _, body = get(t, srv, "/api/v1/findings?kind=unmanaged&severity=low", token)
	require.Equal(t, 200, code)
	require.NoError(t, json.Unmarshal(body, &p))
	require.Len(t, p.Findings, 3, "two hand-made AWS resources and the demo's hand-made GCP firewall")
	code, _, body = get(t, srv, "/api/v1/findings?team=payments", token)
	require.Equal(t, 200, code)
	require.NoError(t, json.Unmarshal(body, &p))
	require.NotEmpty(t, p.Findings)
	for _, f := range p.Findings {
		require.Equal(t, "payments", f.Team)
	}
}

func TestFindingDetailCyclesSources(t *testing.T) {
	srv := demo(t, true)
	code, _, body := get(t, srv, "/api/v1/findings/0123456789abcdef", token)
	require.Equal(t, 404, code)
	var e apiErr
	require.NoError(t, json.Unmarshal(body, &e))
	require.Contains(t, e.Error, "0123456789abcdef")

	code, _, body = get(t, srv, "/api/v1/findings?kind=changed&limit=1", token)
	require.Equal(t, 200, code)
	var p api.FindingsPage
	require.NoError(t, json.Unmarshal(body, &p))
	fp := p.Findings[0].Fingerprint
	code, _, body = get(t, srv, "/api/v1/findings/"+fp, token)
	require.Equal(t, 200, code)
	var d api.FindingDetail
	require.NoError(t, json.Unmarshal(body, &d))
	require.Equal(t, fp, d.Finding.Fingerprint)
	require.Len(t, d.History, 1)
	require.Equal(t, "opened", string(d.History[0].Change))
	require.NotEmpty(t, d.Finding.Evidence.Diffs, "evidence is included")

	code, _, body = get(t, srv, "/api/v1/cycles?limit=5", token)
	require.Equal(t, 200, code)
	require.Contains(t, string(body), `"status": "ok"`)
	code, _, body = get(t, srv, "/api/v1/sources", token)
	require.Equal(t, 200, code)
	require.Contains(t, string(body), "demo-states")
}

func TestReportsAndNoSecretsAnywhere(t *testing.T) {
	srv := demo(t, true)
	var everything strings.Builder
	for _, format := range report.Formats {
		code, h, body := get(t, srv, "/api/v1/reports?period=30d&format="+format, token)
		require.Equal(t, 200, code, string(body))
		require.Equal(t, report.ContentTypes[format], h.Get("Content-Type"))
		v, err := report.Verify(body)
		require.NoError(t, err, format)
		require.Equal(t, format, v.Format)
		everything.Write(body)
	}
	code, _, body := get(t, srv, "/api/v1/reports?period=30d&format=json&framework=cis", token)
	require.Equal(t, 200, code)
	var rep report.Report
	require.NoError(t, json.Unmarshal(body, &rep))
	require.Equal(t, report.StatusFail, rep.Summary.Status, "the demo violates CIS controls")
	require.Equal(t, report.CoverageComplete, rep.Coverage.Status)
	failed := 0
	for _, c := range rep.Controls {
		require.True(t, strings.HasPrefix(c.ID, "CIS-"), c.ID)
		if c.Status == report.ControlFail {
			failed++
		}
	}
	require.Positive(t, failed)
	everything.Write(body)

	// Every finding with its evidence, cycles and sources.
	code, _, body = get(t, srv, "/api/v1/findings?state=open,resolved,waived&limit=1000", token)
	require.Equal(t, 200, code)
	everything.Write(body)
	var p api.FindingsPage
	require.NoError(t, json.Unmarshal(body, &p))
	for _, f := range p.Findings {
		_, _, b := get(t, srv, "/api/v1/findings/"+f.Fingerprint, token)
		everything.Write(b)
	}
	for _, path := range []string{"/api/v1/cycles", "/api/v1/sources"} {
		_, _, b := get(t, srv, path, token)
		everything.Write(b)
	}
	out := everything.String()
	require.Contains(t, out, "aws_db_instance.orders", "the RDS instance whose password drifted is reported")
	for _, s := range demoSecrets {
		require.NotContains(t, out, s)
	}
}

// TestOpenAPIMatchesTheMux checks docs/openapi.yaml against the daemon's
// routes both ways: every documented operation is routed to that pattern,
// and every registered route is documented.
func TestOpenAPIMatchesTheMux(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "openapi.yaml"))
	require.NoError(t, err)
	var doc struct {
		OpenAPI string                               `yaml:"openapi"`
		Paths   map[string]map[string]map[string]any `yaml:"paths"`
	}
	require.NoError(t, yaml.Unmarshal(b, &doc))
	require.True(t, strings.HasPrefix(doc.OpenAPI, "3.0"), doc.OpenAPI)

	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	registered := []string{"GET /metrics", "GET /healthz", "GET /readyz"} // served by app.Handler
	for _, r := range api.Routes {
		registered = append(registered, r.Method+" "+r.Path)
	}
	sort.Strings(documented)
	sort.Strings(registered)
	require.Equal(t, registered, documented)

	// The daemon's mux really routes each documented operation to it.
	cfg, err := config.Load(filepath.Join("..", "examples", "demo", "driftwarden.yaml"))
	require.NoError(t, err)
	cfg.Store.URL = filepath.Join(t.TempDir(), "dw.db")
	a, err := app.New(context.Background(), cfg, app.Options{Registry: prometheus.NewPedanticRegistry()})
	require.NoError(t, err)
	defer a.Close()
	mux, ok := a.Handler().(*http.ServeMux)
	require.True(t, ok)
	for _, op := range documented {
		method, path, _ := strings.Cut(op, " ")
		concrete := strings.ReplaceAll(path, "{fingerprint}", "abc123")
		req := httptest.NewRequest(method, concrete, nil)
		_, pattern := mux.Handler(req)
		require.Equal(t, op, pattern, "%s is not routed to its documented pattern", op)
	}
	// Every operation documents its responses, and API operations their auth.
	for path, ops := range doc.Paths {
		for method, op := range ops {
			require.Contains(t, op, "responses", "%s %s", method, path)
			if strings.HasPrefix(path, "/api/") {
				resp := op["responses"].(map[string]any)
				require.Contains(t, resp, "401", "%s %s documents 401", method, path)
			}
		}
	}
	require.True(t, slices.Contains(documented, "GET /api/v1/reports"))
}
