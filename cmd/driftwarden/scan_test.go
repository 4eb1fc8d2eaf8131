package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

func TestScanJSON(t *testing.T) {
	// Debug logs exercise every logger on the way (store, engine, evaluator).
	cfg := copyDemo(t, "level: info", "level: debug")
	code, stdout, stderr := runCLI(t, "scan", "--config", cfg, "-o", "json")
	require.Equal(t, 0, code, "stderr: %s", stderr)
	require.Contains(t, stderr, "level=DEBUG", "debug logs go to the command's error stream")
	requireNoSecrets(t, stdout, stderr)

	// Stable snake_case keys at the top level.
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(stdout), &raw))
	for _, k := range []string{"cycle_id", "status", "started_at", "finished_at", "stacks", "counts", "findings", "transitions", "sources"} {
		require.Contains(t, raw, k)
	}

	res := decodeScan(t, stdout)
	require.Equal(t, "ok", res.Status)
	require.Equal(t, int64(1), res.CycleID)
	require.NotEmpty(t, res.Findings)

	kinds := map[model.FindingKind]int{}
	policies := map[string]bool{}
	fingerprints := map[string]bool{}
	for _, f := range res.Findings {
		kinds[f.Kind]++
		require.NotEmpty(t, f.Fingerprint, "finding without fingerprint: %+v", f)
		require.False(t, fingerprints[f.Fingerprint], "duplicate fingerprint %s", f.Fingerprint)
		fingerprints[f.Fingerprint] = true
		// Not asserted: scan's findings are the cycle's observations, printed
		// with an empty state and zero first_seen/last_seen (the lifecycle is
		// in the store, see findings list).
		if f.Kind == model.FindingViolation {
			require.NotEmpty(t, f.PolicyID, "violation without policy id: %+v", f)
			policies[f.PolicyID] = true
		}
	}
	for _, k := range []model.FindingKind{model.FindingChanged, model.FindingMissing, model.FindingUnmanaged, model.FindingViolation} {
		require.Positive(t, kinds[k], "no %s finding", k)
	}
	require.GreaterOrEqual(t, len(policies), 4, "distinct policies among violations: %v", policies)

	// A first scan on a fresh store opens every finding once, except the
	// one the demo's waiver covers: recorded waived, announced nowhere.
	waived := 0
	for _, f := range res.Findings {
		if f.State == model.StateWaived {
			waived++
			require.Equal(t, "DW-TAG-001", f.PolicyID)
		}
	}
	require.Equal(t, 1, waived, "the demo waives one finding")
	require.Len(t, res.Transitions, len(res.Findings)-waived)
	for _, tr := range res.Transitions {
		require.Equal(t, store.ChangeOpened, tr.Change)
		require.True(t, fingerprints[tr.Fingerprint], "transition of an unknown finding %s", tr.Fingerprint)
	}

	// The rotated RDS password is reported as drift, redacted.
	var password *model.Diff
	for _, f := range res.Findings {
		for i, d := range f.Evidence.Diffs {
			if f.Kind == model.FindingChanged && f.ResourceType == "aws_db_instance" && d.Path == "password" {
				password = &f.Evidence.Diffs[i]
			}
		}
	}
	require.NotNil(t, password, "the password drift of the demo database is reported")
	require.True(t, password.Sensitive)
	require.Equal(t, model.Redacted, password.Applied)
	require.Equal(t, model.Redacted, password.Live)
}

func TestScanTable(t *testing.T) {
	cfg := copyDemo(t, "level: info", "level: debug")
	code, stdout, stderr := runCLI(t, "scan", "--config", cfg)
	require.Equal(t, 0, code, "stderr: %s", stderr)
	requireNoSecrets(t, stdout, stderr)

	require.Regexp(t, `^cycle 1 ok: 4 stacks, \d+ changed, \d+ missing, \d+ unmanaged, \d+ violations; \d+ opened, 0 resolved\n`, stdout)
	for _, want := range []string{
		"STACK network", "STACK storage", "STACK app/staging", "STACK gcp-prod", "STACK (no stack: unmanaged resources)",
		"SEVERITY", "high", "medium", "low",
		"aws_db_instance.orders",
		"Sources:",
	} {
		require.Contains(t, stdout, want)
	}
	// Stacks come in order, each once.
	require.Less(t, strings.Index(stdout, "STACK app/staging"), strings.Index(stdout, "STACK network"))
	require.Less(t, strings.Index(stdout, "STACK network"), strings.Index(stdout, "STACK storage"))
	require.Equal(t, 1, strings.Count(stdout, "STACK storage\n"))

	// The password diff is shown, redacted on both sides.
	require.Regexp(t, `(?m)~ password: "\(sensitive\)" -> "\(sensitive\)"$`, stdout)

	// Within a stack, the most severe findings come first.
	storage := stdout[strings.Index(stdout, "STACK storage"):]
	storage = storage[:strings.Index(storage, "Sources:")]
	require.Less(t, strings.Index(storage, "  high "), strings.Index(storage, "  medium "))
}

func TestScanFailOn(t *testing.T) {
	// What the demo finds decides what the gates must do.
	res := scanDemoJSON(t, copyDemo(t), "--no-store")
	worst := model.SeverityInfo
	for _, f := range res.Findings {
		if f.Severity.Rank() > worst.Rank() {
			worst = f.Severity
		}
	}
	require.GreaterOrEqual(t, worst.Rank(), model.SeverityHigh.Rank(), "the demo has high findings")
	critical := 0
	if worst == model.SeverityCritical {
		critical = 2
	}

	for _, tc := range []struct {
		name     string
		failOn   string
		code     int
		inStderr string
	}{
		{"high gate trips", "high", 2, ""},
		{"info gate trips", "info", 2, ""},
		{"critical gate", "critical", critical, ""},
		{"upper case severity", "HIGH", 2, ""},
		{"unknown severity", "bogus", 1, "--fail-on"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "scan", "--config", copyDemo(t), "--no-store", "-o", "json", "--fail-on", tc.failOn)
			require.Equal(t, tc.code, code, "stderr: %s", stderr)
			requireNoSecrets(t, stdout, stderr)
			if tc.code == 1 {
				require.Empty(t, stdout, "nothing is scanned when the flag is wrong")
				require.Contains(t, stderr, tc.inStderr)
				require.Contains(t, stderr, tc.failOn)
				return
			}
			// The findings are printed whatever the gate decides.
			require.NotEmpty(t, decodeScan(t, stdout).Findings)
			require.NotContains(t, stderr, "driftwarden:", "a tripped gate is not an error message")
		})
	}
}

func TestScanUnknownOutput(t *testing.T) {
	code, stdout, stderr := runCLI(t, "scan", "--config", copyDemo(t), "-o", "yaml")
	require.Equal(t, 1, code)
	require.Empty(t, stdout)
	require.Contains(t, stderr, "--output")
	require.Contains(t, stderr, `"yaml"`)
}

func TestScanWithoutConfig(t *testing.T) {
	code, _, stderr := runCLI(t, "scan")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "--config")
}

func TestScanNoStore(t *testing.T) {
	cfg := copyDemo(t)
	dir := filepath.Dir(cfg)
	res := scanDemoJSON(t, cfg, "--no-store")
	require.Equal(t, "ok", res.Status)

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		require.NotContains(t, e.Name(), ".db", "--no-store wrote %s next to the configuration", e.Name())
	}

	// Without --no-store the configured store is written (the control).
	scanDemoJSON(t, cfg)
	require.FileExists(t, filepath.Join(dir, demoDB))
}

func TestScanTwiceKeepsLifecycle(t *testing.T) {
	cfg := copyDemo(t)
	first := scanDemoJSON(t, cfg)
	require.NotEmpty(t, first.Transitions)

	second := scanDemoJSON(t, cfg)
	require.Equal(t, int64(2), second.CycleID)
	require.NotNil(t, second.Transitions, "transitions is an empty list, not null")
	require.Empty(t, second.Transitions, "the same observations again change nothing")
	require.ElementsMatch(t, fingerprintsOf(first.Findings), fingerprintsOf(second.Findings))

	code, stdout, stderr := runCLI(t, "findings", "list", "--config", cfg, "-o", "json")
	require.Equal(t, 0, code, "stderr: %s", stderr)
	requireNoSecrets(t, stdout, stderr)
	var open []model.Finding
	require.NoError(t, json.Unmarshal([]byte(stdout), &open))
	var notWaived []model.Finding
	for _, f := range first.Findings {
		if f.State != model.StateWaived {
			notWaived = append(notWaived, f)
		}
	}
	require.Len(t, open, len(notWaived), "one open finding per finding found, no duplicates")
	require.ElementsMatch(t, fingerprintsOf(notWaived), fingerprintsOf(open))
	for _, f := range open {
		require.Equal(t, model.StateOpen, f.State)
	}
}

func fingerprintsOf(fs []model.Finding) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Fingerprint)
	}
	return out
}

func TestFindingsList(t *testing.T) {
	cfg := copyDemo(t)
	scan := scanDemoJSON(t, cfg)
	count := func(keep func(model.Finding) bool) int {
		n := 0
		for _, f := range scan.Findings {
			if keep(f) {
				n++
			}
		}
		return n
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
		// JSON output: every finding must satisfy keep, and there are want of them.
		keep func(model.Finding) bool
		// Table output or errors.
		stdout, stderr []string
	}{
		{
			name: "kind missing",
			args: []string{"--kind", "missing", "-o", "json"},
			keep: func(f model.Finding) bool { return f.Kind == model.FindingMissing },
		},
		{
			name: "several kinds",
			args: []string{"--kind", "missing,unmanaged", "-o", "json"},
			keep: func(f model.Finding) bool {
				return f.Kind == model.FindingMissing || f.Kind == model.FindingUnmanaged
			},
		},
		{
			name: "severity high",
			args: []string{"--severity", "high", "-o", "json"},
			keep: func(f model.Finding) bool { return f.Severity == model.SeverityHigh },
		},
		{
			name: "stack and policy",
			args: []string{"--stack", "network", "--policy", "DW-AWS-EC2-001", "-o", "json"},
			keep: func(f model.Finding) bool { return f.Stack == "network" && f.PolicyID == "DW-AWS-EC2-001" },
		},
		{
			name:   "table",
			args:   []string{"--kind", "missing"},
			stdout: []string{"SEVERITY", "FINGERPRINT", "aws_subnet.private[1]", "missing"},
		},
		{
			name:   "resolved: none yet",
			args:   []string{"--state", "resolved"},
			stdout: []string{"No findings match."},
		},
		{
			name:   "unknown kind",
			args:   []string{"--kind", "drifted"},
			code:   1,
			stderr: []string{"--kind", `unknown kind "drifted"`},
		},
		{
			name:   "unknown state",
			args:   []string{"--state", "closed"},
			code:   1,
			stderr: []string{"--state", `"closed"`},
		},
		{
			name:   "unknown severity",
			args:   []string{"--severity", "urgent"},
			code:   1,
			stderr: []string{"--severity", `"urgent"`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"findings", "list", "--config", cfg}, tc.args...)...)
			require.Equal(t, tc.code, code, "stderr: %s", stderr)
			requireNoSecrets(t, stdout, stderr)
			for _, s := range tc.stdout {
				require.Contains(t, stdout, s)
			}
			for _, s := range tc.stderr {
				require.Contains(t, stderr, s)
			}
			if tc.code != 0 {
				require.Empty(t, stdout)
			}
			if tc.keep == nil {
				return
			}
			var fs []model.Finding
			require.NoError(t, json.Unmarshal([]byte(stdout), &fs), stdout)
			want := count(tc.keep)
			require.Positive(t, want, "the demo has findings of this filter")
			require.Len(t, fs, want)
			for _, f := range fs {
				require.True(t, tc.keep(f), "finding outside the filter: %s %s %s", f.Kind, f.Severity, f.Stack)
			}
		})
	}
}

func TestFindingsListFreshStore(t *testing.T) {
	cfg := copyDemo(t)
	for _, tc := range []struct {
		name, output, want string
	}{
		{"table", "table", "No findings match.\n"},
		{"json", "json", "[]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "findings", "list", "--config", cfg, "--state", "resolved", "-o", tc.output)
			require.Equal(t, 0, code, "stderr: %s", stderr)
			require.Equal(t, tc.want, stdout)
		})
	}
}

func TestScanHelpMentionsExitStatus(t *testing.T) {
	code, stdout, _ := runCLI(t, "scan", "--help")
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "status 2")
}
