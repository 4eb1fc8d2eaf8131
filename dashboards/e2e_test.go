package dashboards

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/app"
	"github.com/driftwarden/driftwarden/config"
)

// emptyOnDemo are the metrics that legitimately have no series on the demo,
// so a dashboard query naming one of them may return nothing:
//   - out-of-band changes and ingested events come from event sources
//     (CloudTrail, GCP audit logs), which the demo does not configure;
//   - throttling happens only against cloud APIs, which the demo never calls;
//   - alert delivery metrics exist once alerting is configured (Slack), which
//     the demo does not do.
//
// Every other dashboard query must return at least one series.
var emptyOnDemo = map[string]bool{
	"driftwarden_out_of_band_changes_total":     true,
	"driftwarden_events_ingested_total":         true,
	"driftwarden_api_throttled_total":           true,
	"driftwarden_alerts_sent_total":             true,
	"driftwarden_alerts_failed_total":           true,
	"driftwarden_alerts_pending":                true,
	"driftwarden_alerts_dead_lettered_total":    true,
	"driftwarden_alert_delivery_seconds_bucket": true,
}

// TestPrometheusEndToEnd runs the daemon on a copy of the demo, lets a real
// Prometheus (Debian's prometheus package) scrape it every second with the
// rules loaded, changes the demo's live inventory twice (a resource
// disappears: findings resolve; a corrupt line: the source fails), and
// checks through Prometheus's HTTP API that every rule group loaded and
// evaluates cleanly, that the dashboards' queries return series, and that
// the alerts are in the state the demo calls for. Loopback only; bounded by
// a 90 s deadline.
func TestPrometheusEndToEnd(t *testing.T) {
	if os.Getenv(e2eEnv) == "" {
		t.Skipf("set %s=1 to run against a real Prometheus (CI does)", e2eEnv)
	}
	promBin := lookTool(t, "prometheus")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	tmp := t.TempDir()

	// The daemon on a copy of the demo, a cycle every 2 s.
	demo := filepath.Join(tmp, "demo")
	copyDemo(t, filepath.Join("..", "examples", "demo"), demo)
	cfgPath := filepath.Join(demo, "driftwarden.yaml")
	raw, err := os.ReadFile(cfgPath)
	require.NoError(t, err)
	require.Contains(t, string(raw), `scan: "@every 1m"`)
	require.NoError(t, os.WriteFile(cfgPath, bytes.Replace(raw, []byte(`scan: "@every 1m"`), []byte(`scan: "@every 2s"`), 1), 0o600))
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)
	cfg.Store.URL = filepath.Join(tmp, "dw.db")
	cfg.Server.Listen = "127.0.0.1:0"
	a, err := app.New(ctx, cfg, app.Options{Version: "e2e"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	daemonCtx, stopDaemon := context.WithCancel(ctx)
	addrCh := make(chan string, 1)
	runErr := make(chan error, 1)
	go func() { runErr <- a.Run(daemonCtx, func(addr string) { addrCh <- addr }) }()
	t.Cleanup(func() {
		stopDaemon()
		select {
		case <-runErr:
		case <-time.After(15 * time.Second):
			t.Error("the daemon did not stop")
		}
	})
	var daemonAddr string
	select {
	case daemonAddr = <-addrCh:
	case err := <-runErr:
		t.Fatalf("daemon: %v", err)
	case <-ctx.Done():
		t.Fatal("the daemon did not start")
	}

	// Prometheus scraping it every second, with the rules.
	rules, err := filepath.Glob(filepath.Join("rules", "*.rules.yml"))
	require.NoError(t, err)
	for i := range rules {
		rules[i], err = filepath.Abs(rules[i])
		require.NoError(t, err)
	}
	rulesJSON, _ := json.Marshal(rules)
	promCfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: %s
scrape_configs:
  - job_name: driftwarden
    static_configs:
      - targets: [%q]
`, rulesJSON, daemonAddr)
	promCfgPath := filepath.Join(tmp, "prometheus.yml")
	require.NoError(t, os.WriteFile(promCfgPath, []byte(promCfg), 0o600))
	promAddr := freeLoopbackAddr(t)
	var promLog bytes.Buffer
	cmd := exec.CommandContext(ctx, promBin,
		"--config.file="+promCfgPath,
		"--storage.tsdb.path="+filepath.Join(tmp, "tsdb"),
		"--web.listen-address="+promAddr,
		"--log.level=warn")
	cmd.Stdout, cmd.Stderr = &promLog, &promLog
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus output:\n%s", promLog.String())
		}
	})
	prom := &promAPI{t: t, ctx: ctx, base: "http://" + promAddr}
	prom.waitFor("Prometheus ready", 20*time.Second, func() bool {
		resp, err := http.Get(prom.base + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	// Phase 1: the demo as shipped, a few scrapes and cycles.
	prom.waitFor("3 scrapes and 2 cycles", 30*time.Second, func() bool {
		return prom.value(`sum(count_over_time(up{job="driftwarden"}[1m]))`) >= 3 &&
			prom.value(`sum(driftwarden_cycles_total{result="ok"})`) >= 2
	})
	// Phase 2: the orphan volume is gone from the live inventory: its
	// findings resolve (time-to-reconcile gets data).
	live := filepath.Join(demo, "live", "aws-inventory.jsonl")
	inv, err := os.ReadFile(live)
	require.NoError(t, err)
	var kept []string
	for _, line := range strings.Split(strings.TrimRight(string(inv), "\n"), "\n") {
		if !strings.Contains(line, "vol-0orphan00000001") {
			kept = append(kept, line)
		}
	}
	require.Less(t, len(kept), strings.Count(string(inv), "\n")+1, "the demo's orphan volume is in the snapshot")
	require.NoError(t, os.WriteFile(live, []byte(strings.Join(kept, "\n")+"\n"), 0o600))
	prom.waitFor("a resolution", 20*time.Second, func() bool {
		return prom.value(`sum(driftwarden_finding_transitions_total{change="resolved"})`) >= 1
	})
	// Phase 3: a corrupt line: the source reads the rest but is not up.
	require.NoError(t, os.WriteFile(live, []byte(strings.Join(kept, "\n")+"\n{\"type\": truncated\n"), 0o600))
	prom.waitFor("the inventory source failing and its alert pending", 20*time.Second, func() bool {
		return prom.value(`sum(driftwarden_source_up{source="aws-inventory"})`) == 0 &&
			prom.alertStates()["DriftwardenSourceFailing"] == "pending"
	})
	prom.waitFor("a rate window of samples", 10*time.Second, func() bool {
		return prom.value(`sum(count_over_time(up{job="driftwarden"}[1m]))`) >= 8
	})

	t.Run("rules loaded and healthy", func(t *testing.T) {
		rf, _ := loadRules(t)
		groups := prom.rules()
		var want, got []string
		for _, g := range rf.Groups {
			want = append(want, g.Name)
			require.Len(t, groups[g.Name], len(g.Rules), "rules of group %s", g.Name)
		}
		for name, rs := range groups {
			got = append(got, name)
			for _, r := range rs {
				require.Equal(t, "ok", r.Health, "%s/%s: %s", name, r.Name, r.LastError)
				require.Empty(t, r.LastError, "%s/%s", name, r.Name)
			}
		}
		sort.Strings(want)
		sort.Strings(got)
		require.Equal(t, want, got)
	})

	t.Run("dashboard queries return series", func(t *testing.T) {
		teams := prom.labelValues("team", "driftwarden_findings_open")
		require.Contains(t, teams, "platform", "the team variable's values")
		for _, q := range dashboardQueries(t, loadDashboards(t)) {
			expr := substitute(q.expr, "platform")
			n := prom.count(expr)
			if n > 0 {
				continue
			}
			e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
			require.NoError(t, err)
			exempt := false
			parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
				if vs, ok := node.(*parser.VectorSelector); ok && emptyOnDemo[vs.Name] {
					exempt = true
				}
				return nil
			})
			require.True(t, exempt, "%s returned no series: %s", q.where, expr)
			t.Logf("no series on the demo, as allowed: %s: %s", q.where, expr)
		}
	})

	t.Run("alerts in the expected state", func(t *testing.T) {
		states := prom.alertStates()
		rf, _ := loadRules(t)
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				if r.Alert == "" {
					continue
				}
				want := "inactive"
				if r.Alert == "DriftwardenSourceFailing" {
					want = "pending" // for: 30m; the corrupt line keeps it pending
				}
				require.Equal(t, want, states[r.Alert], r.Alert)
			}
		}
		active := prom.activeAlerts("DriftwardenSourceFailing")
		require.Len(t, active, 1)
		require.Equal(t, "aws-inventory", active[0]["source"])
		require.Equal(t, "warning", active[0]["severity"])
	})
}

func copyDemo(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		if strings.Contains(d.Name(), ".db") { // a local demo store
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o600)
	})
	require.NoError(t, err)
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// promAPI is a small client of Prometheus's HTTP API.
type promAPI struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func (p *promAPI) get(path string, params url.Values, out any) {
	p.t.Helper()
	req, err := http.NewRequestWithContext(p.ctx, http.MethodGet, p.base+path+"?"+params.Encode(), nil)
	require.NoError(p.t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(p.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(p.t, err)
	var env struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	require.NoError(p.t, json.Unmarshal(body, &env), "%s: %s", path, body)
	require.Equal(p.t, "success", env.Status, "%s %v: %s", path, params, env.Error)
	require.NoError(p.t, json.Unmarshal(env.Data, out), "%s: %s", path, env.Data)
}

type vectorResult struct {
	ResultType string `json:"resultType"`
	Result     []struct {
		Metric map[string]string `json:"metric"`
		Value  [2]any            `json:"value"`
	} `json:"result"`
}

func (p *promAPI) query(expr string) vectorResult {
	p.t.Helper()
	var r vectorResult
	p.get("/api/v1/query", url.Values{"query": {expr}}, &r)
	return r
}

func (p *promAPI) count(expr string) int {
	p.t.Helper()
	r := p.query(expr)
	if r.ResultType == "scalar" {
		return 1
	}
	return len(r.Result)
}

// value is the first sample's value, -1 when there is none.
func (p *promAPI) value(expr string) float64 {
	p.t.Helper()
	r := p.query(expr)
	if len(r.Result) == 0 {
		return -1
	}
	var v float64
	s, _ := r.Result[0].Value[1].(string)
	_, err := fmt.Sscan(s, &v)
	require.NoError(p.t, err)
	return v
}

func (p *promAPI) labelValues(label, match string) []string {
	p.t.Helper()
	var out []string
	p.get("/api/v1/label/"+label+"/values", url.Values{"match[]": {match}}, &out)
	return out
}

type ruleStatus struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	State     string `json:"state"`
	Health    string `json:"health"`
	LastError string `json:"lastError"`
	Alerts    []struct {
		Labels map[string]string `json:"labels"`
		State  string            `json:"state"`
	} `json:"alerts"`
}

func (p *promAPI) rules() map[string][]ruleStatus {
	p.t.Helper()
	var data struct {
		Groups []struct {
			Name  string       `json:"name"`
			Rules []ruleStatus `json:"rules"`
		} `json:"groups"`
	}
	p.get("/api/v1/rules", url.Values{}, &data)
	out := map[string][]ruleStatus{}
	for _, g := range data.Groups {
		out[g.Name] = append(out[g.Name], g.Rules...)
	}
	return out
}

// alertStates maps each alerting rule to its state (inactive, pending, firing).
func (p *promAPI) alertStates() map[string]string {
	p.t.Helper()
	out := map[string]string{}
	for _, rs := range p.rules() {
		for _, r := range rs {
			if r.Type == "alerting" {
				out[r.Name] = r.State
			}
		}
	}
	return out
}

func (p *promAPI) activeAlerts(name string) []map[string]string {
	p.t.Helper()
	var out []map[string]string
	for _, rs := range p.rules() {
		for _, r := range rs {
			if r.Name == name {
				for _, a := range r.Alerts {
					out = append(out, a.Labels)
				}
			}
		}
	}
	return out
}

func (p *promAPI) waitFor(what string, limit time.Duration, cond func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) || p.ctx.Err() != nil {
			p.t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
