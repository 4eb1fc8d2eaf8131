package app

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/config"
	"github.com/driftwarden/driftwarden/engine"
	"github.com/driftwarden/driftwarden/model"
)

const reloadPolicy = `# METADATA
# title: Database instance present
# description: Flags every RDS instance (a test policy).
# custom:
#   id: ACME-DB-001
#   severity: low
#   input: resource
#   resource_types: [aws_db_instance]
package acme.db_present

deny contains msg if {
	input.resource.type == "aws_db_instance"
	msg := sprintf("%s is a database", [input.resource.native_id])
}
`

// A broken user policy dropped into a running daemon's policy folder leaves
// the daemon running on the last good set, visible in metrics; fixing it
// swaps the new set in.
func TestBrokenUserPolicyKeepsTheLastGoodSet(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, filepath.Join("..", "examples", "demo"), dir)
	userDir := filepath.Join(dir, "acme-policies")
	require.NoError(t, os.MkdirAll(userDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(userDir, "db_present.rego"), []byte(reloadPolicy), 0o644))
	cfg, err := config.Load(filepath.Join(dir, "driftwarden.yaml"))
	require.NoError(t, err)
	cfg.Store.URL = filepath.Join(t.TempDir(), "dw.db")
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Schedule.Scan = "@every 1s"
	cfg.Policies.Dirs = []string{userDir}
	require.True(t, *cfg.Policies.Watch, "watching is the default")

	var (
		mu     sync.Mutex
		cycles []*engine.Result
	)
	a, err := New(context.Background(), cfg, Options{Registry: prometheus.NewPedanticRegistry(), Version: "test",
		OnCycle: func(r *engine.Result) { mu.Lock(); cycles = append(cycles, r); mu.Unlock() }})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	addrCh := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, func(addr string) { addrCh <- addr }) }()
	defer func() { cancel(); require.NoError(t, <-done) }()
	addr := <-addrCh

	metricsText := func() string {
		resp, err := http.Get("http://" + addr + "/metrics")
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	revision := func(body string) string {
		m := regexp.MustCompile(`driftwarden_policy_revision_info\{revision="([0-9a-f]+)"\} 1`).FindAllStringSubmatch(body, -1)
		require.Len(t, m, 1, "one revision series")
		return m[0][1]
	}
	// cycleAfter waits for a cycle that started after t0.
	cycleAfter := func(t0 time.Time) *engine.Result {
		var got *engine.Result
		require.Eventually(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			for _, r := range cycles {
				if r.StartedAt.After(t0) {
					got = r
					return true
				}
			}
			return false
		}, 60*time.Second, 50*time.Millisecond)
		return got
	}
	violations := func(r *engine.Result) []string {
		var out []string
		for _, f := range r.Findings {
			if f.Kind == model.FindingViolation {
				out = append(out, f.PolicyID+" "+f.ResourceID)
			}
		}
		slices.Sort(out)
		return out
	}

	first := cycleAfter(time.Time{})
	good := violations(first)
	require.True(t, slices.ContainsFunc(good, func(s string) bool { return strings.HasPrefix(s, "ACME-DB-001 ") }), "the user policy runs: %v", good)
	body := metricsText()
	rev := revision(body)
	require.Contains(t, body, "driftwarden_policy_reload_successful 1")

	// A broken policy is dropped in.
	broken := strings.NewReplacer("ACME-DB-001", "ACME-DB-002", "acme.db_present", "acme.db_broken",
		`msg := sprintf("%s is a database", [input.resource.native_id])`, "msg := ").Replace(reloadPolicy)
	require.NoError(t, os.WriteFile(filepath.Join(userDir, "db_broken.rego"), []byte(broken), 0o644))
	require.Eventually(t, func() bool {
		b := metricsText()
		return strings.Contains(b, "driftwarden_policy_reload_successful 0") &&
			regexp.MustCompile(`driftwarden_policy_reloads_total\{result="failure"\} [1-9]`).MatchString(b)
	}, 30*time.Second, 50*time.Millisecond)
	failedAt := time.Now()
	require.Equal(t, rev, revision(metricsText()), "the last good set keeps running")

	// The daemon keeps running cycles with the same violations.
	next := cycleAfter(failedAt)
	require.Equal(t, good, violations(next))
	require.Equal(t, rev, revision(metricsText()))

	// Fixed: the new set swaps in, with a new revision and the new policy.
	fixed := strings.Replace(reloadPolicy, "ACME-DB-001", "ACME-DB-002", 1)
	fixed = strings.Replace(fixed, "acme.db_present", "acme.db_fixed", 1)
	require.NoError(t, os.WriteFile(filepath.Join(userDir, "db_broken.rego"), []byte(fixed), 0o644))
	require.Eventually(t, func() bool {
		b := metricsText()
		return strings.Contains(b, "driftwarden_policy_reload_successful 1") && revision(b) != rev
	}, 30*time.Second, 50*time.Millisecond)
	fixedAt := time.Now()
	after := violations(cycleAfter(fixedAt))
	require.True(t, slices.ContainsFunc(after, func(s string) bool { return strings.HasPrefix(s, "ACME-DB-002 ") }), "the fixed policy runs: %v", after)
	require.Regexp(t, `driftwarden_policy_last_reload_success_timestamp_seconds \d`, metricsText())
}
