package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/config"
	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

// The demo's planted secrets: the applied and the live RDS password.
var demoSecrets = []string{"demo-S3cr3t-do-not-leak", "rotated-by-hand-S3cr3t"}

func demoConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Load(filepath.Join("..", "examples", "demo", "driftwarden.yaml"))
	require.NoError(t, err)
	cfg.Store.URL = filepath.Join(t.TempDir(), "dw.db")
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Alerts.File.Path = filepath.Join(t.TempDir(), "alerts.jsonl") // never into the repository
	return cfg
}

func newTestApp(t *testing.T, cfg *config.Config) *App {
	t.Helper()
	a, err := New(context.Background(), cfg, Options{Registry: prometheus.NewPedanticRegistry(), Version: "test"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	return a
}

func TestDemoFindsEveryDriftKindAndViolations(t *testing.T) {
	a := newTestApp(t, demoConfig(t))
	res, err := a.Cycle(context.Background())
	require.NoError(t, err)
	require.Equal(t, "ok", res.Status, "sources: %+v", res.Sources)
	require.ElementsMatch(t, []string{"network", "storage", "app/staging", "gcp-prod"}, res.Stacks)

	byKind := map[model.FindingKind][]model.Finding{}
	policies := map[string]bool{}
	for _, f := range res.Findings {
		byKind[f.Kind] = append(byKind[f.Kind], f)
		if f.Kind == model.FindingViolation {
			policies[f.PolicyID] = true
		}
	}
	addrs := func(k model.FindingKind) []string {
		var out []string
		for _, f := range byKind[k] {
			out = append(out, f.Address+f.ResourceID)
		}
		return out
	}
	changed := strings.Join(addrs(model.FindingChanged), " ")
	require.Contains(t, changed, "aws_security_group.admin", "hand-opened SSH rule")
	require.Contains(t, changed, `aws_instance.web["a"]`, "instance type changed")
	require.Contains(t, changed, "aws_s3_bucket_public_access_block.logs", "plan drift")
	require.Contains(t, changed, "aws_db_instance.orders", "plan drift with a sensitive password")
	require.NotContains(t, changed, "aws_security_group.web", "same rules in another order are not drift")
	require.NotContains(t, changed, "aws_iam_role.deployer", "an equivalent policy document is not drift")
	require.NotContains(t, changed, `aws_instance.web["b"]`)
	require.Contains(t, strings.Join(addrs(model.FindingMissing), " "), "aws_subnet.private[1]")
	unmanaged := strings.Join(addrs(model.FindingUnmanaged), " ")
	require.Contains(t, unmanaged, "sg-0handmade000001")
	require.Contains(t, unmanaged, "vol-0orphan00000001")
	require.GreaterOrEqual(t, len(policies), 4, "distinct policies violated: %v", policies)

	for _, f := range byKind[model.FindingChanged] {
		if f.Address == `aws_instance.web["a"]` {
			for _, d := range f.Evidence.Diffs {
				require.NotEqual(t, "user_data", d.Path, "an ignore rule silences user_data")
			}
		}
		if f.Address == "aws_db_instance.orders" {
			found := false
			for _, d := range f.Evidence.Diffs {
				if d.Path == "password" {
					found = true
					require.True(t, d.Sensitive)
					require.Equal(t, model.Redacted, d.Applied)
				}
			}
			require.True(t, found, "the changed password is reported, redacted: %+v", f.Evidence.Diffs)
		}
	}
	out, err := json.Marshal(res)
	require.NoError(t, err)
	for _, s := range demoSecrets {
		require.NotContains(t, string(out), s)
	}
}

func TestRestartNeitherReopensNorDuplicates(t *testing.T) {
	cfg := demoConfig(t)
	a := newTestApp(t, cfg)
	first, err := a.Cycle(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, first.Transitions)
	require.NoError(t, a.Close())

	b := newTestApp(t, cfg) // same store file: a restart
	second, err := b.Cycle(context.Background())
	require.NoError(t, err)
	require.Empty(t, second.Transitions, "a restart must not reopen or re-announce findings")
	open, err := b.Store().Findings(context.Background(), store.FindingFilter{States: []model.FindingState{model.StateOpen}})
	require.NoError(t, err)
	notWaived := 0
	for _, f := range first.Findings {
		if f.State != model.StateWaived {
			notWaived++
		}
	}
	require.Len(t, open, notWaived, "no duplicates")
}

func TestDaemonServesMetricsAfterFirstCycle(t *testing.T) {
	cfg := demoConfig(t)
	a := newTestApp(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	addrCh := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, func(addr string) { addrCh <- addr }) }()
	addr := <-addrCh

	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, _ := get("/healthz")
	require.Equal(t, 200, code)
	require.Eventually(t, func() bool { c, _ := get("/readyz"); return c == 200 }, 60*time.Second, 50*time.Millisecond)
	code, body := get("/metrics")
	require.Equal(t, 200, code)
	for _, m := range []string{
		`driftwarden_findings_open{kind="changed"`,
		`driftwarden_findings_open{kind="missing"`,
		`driftwarden_findings_open{kind="unmanaged"`,
		`driftwarden_policy_violations{`,
		`driftwarden_drifted_resources{`,
		`driftwarden_cycles_total{result="ok"} 1`,
		`driftwarden_source_last_success_timestamp_seconds{kind="tfstate",source="demo-states"}`,
		`driftwarden_open_finding_age_seconds_bucket`,
	} {
		require.Contains(t, body, m)
	}
	for _, s := range demoSecrets {
		require.NotContains(t, body, s)
	}
	require.NotContains(t, body, "arn:aws", "no resource ids in metric labels")
	cancel()
	require.NoError(t, <-done)
}

func TestBadInputCostsOnlyThatInput(t *testing.T) {
	dir := t.TempDir()
	demo := filepath.Join("..", "examples", "demo")
	copyTree(t, demo, dir)
	// A truncated state, a snapshot line that is not JSON, a plan of another format version.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "states", "broken.tfstate"), []byte(`{"version": 4, "resources": [{"mode": "managed", "type": "aws_s3_bu`), 0o644))
	f, err := os.OpenFile(filepath.Join(dir, "live", "aws-inventory.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("this is not json\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "plans", "future.json"), []byte(`{"format_version":"2.0","resource_drift":[]}`), 0o644))

	cfg, err := config.Load(filepath.Join(dir, "driftwarden.yaml"))
	require.NoError(t, err)
	cfg.Store.URL = filepath.Join(t.TempDir(), "dw.db")
	reg := prometheus.NewPedanticRegistry()
	a, err := New(context.Background(), cfg, Options{Registry: reg})
	require.NoError(t, err)
	defer a.Close()
	res, err := a.Cycle(context.Background())
	require.NoError(t, err, "bad inputs never stop the cycle")
	require.Equal(t, "partial", res.Status)
	require.ElementsMatch(t, []string{"network", "storage", "app/staging", "gcp-prod"}, res.Stacks, "the other stacks are still audited")

	errs := map[string]string{}
	for _, s := range res.Sources {
		errs[s.Source] = strings.Join(s.Errors, "\n")
	}
	require.Contains(t, errs["demo-states"], "broken.tfstate")
	require.Contains(t, errs["aws-inventory"], "aws-inventory.jsonl")
	require.Contains(t, errs["aws-inventory"], "line 11")
	require.Contains(t, errs["refresh-plans"], "future.json")

	// The valid snapshot lines still count: the hand-opened SSH rule is found.
	found := false
	for _, f := range res.Findings {
		found = found || (f.Kind == model.FindingChanged && f.Address == "aws_security_group.admin")
		require.NotEqual(t, model.FindingUnmanaged, f.Kind, "with a state unreadable, nothing can be called unmanaged")
	}
	require.True(t, found)
	require.Equal(t, 1.0, testutil.ToFloat64(a.metrics.SourceErrors.WithLabelValues("demo-states", "tfstate")))
	require.Equal(t, 0.0, testutil.ToFloat64(a.metrics.SourceUp.WithLabelValues("aws-inventory", "inventory")))
}

func TestUnreadableStateSuspendsUnmanaged(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, filepath.Join("..", "examples", "demo"), dir)
	cfg, err := config.Load(filepath.Join(dir, "driftwarden.yaml"))
	require.NoError(t, err)
	cfg.Store.URL = filepath.Join(t.TempDir(), "dw.db")
	a := newTestApp(t, cfg)
	first, err := a.Cycle(context.Background())
	require.NoError(t, err)
	unmanaged := 0
	for _, f := range first.Findings {
		if f.Kind == model.FindingUnmanaged {
			unmanaged++
		}
	}
	require.Equal(t, 3, unmanaged, "two hand-made AWS resources and the hand-made GCP firewall")

	// The network state becomes unreadable: its resources must not turn into
	// "unmanaged" findings, and the existing unmanaged findings stay open.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "states", "network", "terraform.tfstate"), []byte(`{"version":4,"resources":[`), 0o644))
	res, err := a.Cycle(context.Background())
	require.NoError(t, err)
	require.Equal(t, "partial", res.Status)
	for _, f := range res.Findings {
		require.NotEqual(t, model.FindingUnmanaged, f.Kind, "%s reported unmanaged while a state was unreadable", f.ResourceID)
	}
	require.Contains(t, strings.Join(res.Warnings, "\n"), "unmanaged detection skipped")
	for _, tr := range res.Transitions {
		require.NotEqual(t, store.ChangeResolved, tr.Change, "resolved %s %s although its input failed", tr.Finding.Kind, tr.Finding.ResourceID)
	}
	open, err := a.Store().Findings(context.Background(), store.FindingFilter{States: []model.FindingState{model.StateOpen}, Kinds: []model.FindingKind{model.FindingUnmanaged}})
	require.NoError(t, err)
	require.Len(t, open, 3)
}

func TestFailedInputNeverResolvesItsFindings(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, filepath.Join("..", "examples", "demo"), dir)
	cfg, err := config.Load(filepath.Join(dir, "driftwarden.yaml"))
	require.NoError(t, err)
	cfg.Store.URL = filepath.Join(t.TempDir(), "dw.db")
	a := newTestApp(t, cfg)
	_, err = a.Cycle(context.Background())
	require.NoError(t, err)

	// The snapshot becomes unreadable: its findings must stay open, not resolve.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "live", "aws-inventory.jsonl"), []byte("{not json\n"), 0o644))
	res, err := a.Cycle(context.Background())
	require.NoError(t, err)
	for _, tr := range res.Transitions {
		require.NotEqual(t, store.ChangeResolved, tr.Change, "resolved %s %s although its source failed", tr.Finding.Kind, tr.Finding.ResourceID)
	}
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if strings.HasSuffix(p, ".db") || strings.Contains(p, ".db-") {
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	}))
}

func TestOverlappingCycleIsSkippedAndCounted(t *testing.T) {
	a := newTestApp(t, demoConfig(t))
	a.running.Store(true) // a cycle is in progress
	_, err := a.Cycle(context.Background())
	require.ErrorIs(t, err, ErrBusy)
	require.Equal(t, 1.0, testutil.ToFloat64(a.metrics.CyclesSkipped))
	a.running.Store(false)
	_, err = a.Cycle(context.Background())
	require.NoError(t, err)
}

func TestDemoAttributesDriftToAPerson(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	cfg := demoConfig(t)
	a, err := New(context.Background(), cfg, Options{Registry: reg, Version: "test"})
	require.NoError(t, err)
	defer a.Close()
	res, err := a.Cycle(context.Background())
	require.NoError(t, err)

	var sgDrift, oob *model.Finding
	for i := range res.Findings {
		f := &res.Findings[i]
		if f.Address != "aws_security_group.admin" {
			continue
		}
		switch f.Kind {
		case model.FindingChanged:
			sgDrift = f
		case model.FindingOutOfBandChange:
			if strings.Contains(f.Message, "AuthorizeSecurityGroupIngress") {
				oob = f
			}
		}
	}
	require.NotNil(t, sgDrift, "the hand-opened SSH rule drifts")
	require.NotEmpty(t, sgDrift.Evidence.Events, "the drift is explained by the events that caused it")
	ev := sgDrift.Evidence.Events[0]
	require.Equal(t, "alice@example.com", ev.Principal.Person)
	require.Equal(t, model.ViaConsole, ev.Via)
	require.Equal(t, "human", ev.Verdict)
	require.False(t, ev.Time.IsZero())
	require.Nil(t, ev.Raw, "raw records are not kept as finding evidence")
	require.Contains(t, ev.Origin.File, "CloudTrail", "the evidence names the log file that holds the record")
	require.True(t, strings.HasSuffix(ev.Origin.File, ".json.gz") || strings.HasSuffix(ev.Origin.File, ".json"), ev.Origin.File)
	attributed := false
	for _, d := range sgDrift.Evidence.Diffs {
		attributed = attributed || len(d.Events) > 0
	}
	require.True(t, attributed, "the drifted ingress attribute names the event that changed it")

	require.NotNil(t, oob, "a console edit by a non-deployer is an out_of_band_change finding")
	require.Equal(t, model.SeverityHigh, oob.Severity)
	require.Contains(t, oob.Message, "alice@example.com")
	require.Contains(t, oob.Message, "console")

	// bob's failed DeleteSecurityGroup is kept as an event but is no change.
	for _, f := range res.Findings {
		require.NotContains(t, f.Message, "DeleteSecurityGroup")
	}
	// The pipeline's own calls are not out of band.
	for _, f := range res.Findings {
		if f.Kind == model.FindingOutOfBandChange {
			require.NotContains(t, f.Message, "terraform-deployer")
		}
	}
	n, err := testutil.GatherAndCount(reg, "driftwarden_out_of_band_changes_total")
	require.NoError(t, err)
	require.Positive(t, n)
}

func TestOutOfBandFindingsBelongToTheResourcesTeam(t *testing.T) {
	a := newTestApp(t, demoConfig(t))
	res, err := a.Cycle(context.Background())
	require.NoError(t, err)
	found := false
	for _, f := range res.Findings {
		if f.Kind == model.FindingOutOfBandChange && f.Address == `aws_instance.web["a"]` {
			found = true
			require.Equal(t, "web", f.Team, "the instance's team tag decides, not the stack owner")
		}
		if f.Kind == model.FindingViolation && f.PolicyID == "DW-EVT-001" && strings.Contains(f.ResourceID, "instance/i-0aaa") {
			require.Equal(t, `aws_instance.web["a"]`, f.Address, "event violations name the Terraform address the cycle knows")
			require.Equal(t, "web", f.Team)
		}
	}
	require.True(t, found)
}
