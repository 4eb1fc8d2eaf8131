package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/store"
)

func TestConfigValidate(t *testing.T) {
	demo := copyDemo(t)

	typo := copyDemo(t, "  run_on_start: true", "  run_on_strat: true")
	typoLine := lineOf(t, typo, "run_on_strat")

	inline := copyDemo(t, "  retention: 400d", "  retention: 400d\n  password: inline-hunter2")
	inlineLine := lineOf(t, inline, "password: inline-hunter2")

	for _, tc := range []struct {
		name   string
		file   string
		code   int
		stdout *regexp.Regexp
		stderr []string
		hidden []string
	}{
		{
			name:   "demo",
			file:   demo,
			stdout: regexp.MustCompile(`^` + regexp.QuoteMeta(demo) + `: ok \(1 state sources, 3 inventories, [1-9]\d* policies\)\n$`),
		},
		{
			name:   "typo'd key",
			file:   typo,
			code:   1,
			stderr: []string{fmt.Sprintf("%s:%d", typo, typoLine), "run_on_strat", "unknown key"},
		},
		{
			name:   "inline password",
			file:   inline,
			code:   1,
			stderr: []string{fmt.Sprintf("%s:%d", inline, inlineLine), `unknown key "password"`, "password_env", "password_file"},
			hidden: []string{"inline-hunter2"},
		},
		{
			name:   "missing file",
			file:   filepath.Join(t.TempDir(), "nope.yaml"),
			code:   1,
			stderr: []string{"nope.yaml"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "config", "validate", tc.file)
			require.Equal(t, tc.code, code, "stdout: %s\nstderr: %s", stdout, stderr)
			if tc.stdout != nil {
				require.Regexp(t, tc.stdout, stdout)
			}
			if tc.code != 0 {
				require.Empty(t, stdout)
				require.True(t, strings.HasPrefix(stderr, "driftwarden: "), stderr)
			}
			for _, s := range tc.stderr {
				require.Contains(t, stderr, s)
			}
			for _, s := range tc.hidden {
				require.NotContains(t, stdout+stderr, s, "the inline secret is echoed back")
			}
		})
	}
}

const (
	userPolicy = `# METADATA
# title: Buckets must be named
# custom:
#   id: CUSTOM-S3-001
#   severity: low
#   input: resource
#   resource_types:
#     - aws_s3_bucket
package custom.bucket_named

deny contains msg if {
	input.resource.type == "aws_s3_bucket"
	not input.resource.attributes.bucket
	msg := "bucket has no name"
}
`
	userPolicyTests = `package custom.bucket_named_test

import data.custom.bucket_named as policy

test_unnamed_bucket_denied if {
	count(policy.deny) == 1 with input as {"resource": {"type": "aws_s3_bucket", "attributes": {}}}
}

test_named_bucket_allowed if {
	count(policy.deny) == 0 with input as {"resource": {"type": "aws_s3_bucket", "attributes": {"bucket": "b"}}}
}
`
	userPolicyFailingTest = `package custom.bucket_named_test

import data.custom.bucket_named as policy

test_named_bucket_denied_on_purpose if {
	count(policy.deny) == 1 with input as {"resource": {"type": "aws_s3_bucket", "attributes": {"bucket": "b"}}}
}
`
	// The stray token is on line 5.
	brokenPolicy = `package custom.broken

deny contains msg if {
	msg := "broken"
	msg == == "x"
}
`
)

var policySummary = regexp.MustCompile(`(?m)^PASS: (\d+)/(\d+)$`)

func TestPolicyTest(t *testing.T) {
	passing := writeFiles(t, map[string]string{"bucket.rego": userPolicy, "bucket_test.rego": userPolicyTests})
	failing := writeFiles(t, map[string]string{"bucket.rego": userPolicy, "bucket_test.rego": userPolicyFailingTest})
	broken := writeFiles(t, map[string]string{"broken.rego": brokenPolicy})
	noMeta := writeFiles(t, map[string]string{"bucket.rego": userPolicy[strings.Index(userPolicy, "package"):]})

	builtin := 0
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
		check  func(t *testing.T, passed, total int)
	}{
		{
			name: "built-in library",
			check: func(t *testing.T, passed, total int) {
				require.Positive(t, total)
				require.Equal(t, total, passed)
				builtin = total
			},
		},
		{
			name: "user dir with passing tests",
			args: []string{passing},
			check: func(t *testing.T, passed, total int) {
				require.Equal(t, total, passed)
				if builtin > 0 {
					require.Equal(t, builtin+2, total, "the user's tests run with the library's")
				}
			},
		},
		{
			name:   "user dir only, verbose",
			args:   []string{"--no-builtin", "-v", passing},
			stdout: []string{"test_unnamed_bucket_denied: PASS", "test_named_bucket_allowed: PASS"},
			check:  func(t *testing.T, passed, total int) { require.Equal(t, 2, total) },
		},
		{
			name: "failing test",
			args: []string{failing},
			code: 1,
			stdout: []string{
				"data.custom.bucket_named_test.test_named_bucket_denied_on_purpose: FAIL",
				filepath.Join(failing, "bucket_test.rego") + ":5",
				"FAIL: 1/",
			},
			stderr: []string{"1 failed"},
		},
		{
			name:   "syntax error",
			args:   []string{broken},
			code:   1,
			stderr: []string{filepath.Join(broken, "broken.rego") + ":5"},
		},
		{
			name:   "policy without METADATA",
			args:   []string{"--no-builtin", noMeta},
			code:   1,
			stderr: []string{filepath.Join(noMeta, "bucket.rego"), "METADATA"},
		},
		{
			name:   "no test at all",
			args:   []string{"--no-builtin", t.TempDir()},
			code:   1,
			stderr: []string{"no test found"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"policy", "test"}, tc.args...)...)
			require.Equal(t, tc.code, code, "stdout: %s\nstderr: %s", stdout, stderr)
			for _, s := range tc.stdout {
				require.Contains(t, stdout, s)
			}
			for _, s := range tc.stderr {
				require.Contains(t, stderr, s)
			}
			if tc.check != nil {
				m := policySummary.FindStringSubmatch(stdout)
				require.NotNil(t, m, "no PASS summary in:\n%s", stdout)
				passed, _ := strconv.Atoi(m[1])
				total, _ := strconv.Atoi(m[2])
				require.NotContains(t, stdout, "FAIL")
				tc.check(t, passed, total)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	code, stdout, stderr := runCLI(t, "version")
	require.Equal(t, 0, code, stderr)
	require.Regexp(t, `^driftwarden \S+ \(go[^,]+, \w+/\w+\)\n$`, stdout)

	code, _, stderr = runCLI(t, "version", "extra")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "unknown command")
}

func TestUnknownCommand(t *testing.T) {
	code, stdout, stderr := runCLI(t, "scna")
	require.Equal(t, 1, code)
	require.Empty(t, stdout)
	require.Contains(t, stderr, `unknown command "scna"`)
}

func TestHelp(t *testing.T) {
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			walk(sub, append(append([]string(nil), path...), sub.Name()))
		}
	}
	walk(newRoot(), nil)
	var names []string
	for _, p := range paths {
		names = append(names, strings.Join(p, " "))
	}
	for _, want := range []string{"run", "scan", "findings list", "policy test", "config validate", "version"} {
		require.Contains(t, names, want)
	}

	for _, path := range paths {
		t.Run("driftwarden "+strings.Join(path, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append(append([]string(nil), path...), "--help")...)
			require.Equal(t, 0, code, stderr)
			require.Empty(t, stderr)
			require.Contains(t, stdout, "Usage:")
			require.Contains(t, stdout, "-h, --help")
			cmd, _, err := newRoot().Find(path)
			require.NoError(t, err)
			cmd.NonInheritedFlags().VisitAll(func(f *pflag.Flag) {
				require.Contains(t, stdout, "--"+f.Name, "help does not mention the flag")
			})
			for _, sub := range cmd.Commands() {
				require.Contains(t, stdout, sub.Name(), "help does not list the subcommand")
			}
		})
	}
}

func TestRunGracefulShutdown(t *testing.T) {
	cfg := copyDemo(t,
		"listen: 127.0.0.1:9464", "listen: 127.0.0.1:0",
		"level: info", "level: debug",
	)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	prev := signalContext
	signalContext = func() (context.Context, context.CancelFunc) { return context.WithCancel(ctx) }
	t.Cleanup(func() { signalContext = prev })

	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- runCLIWith(&stdout, &stderr, "run", "--config", cfg) }()
	// early records an early exit; conditions polled by Eventually stop on it.
	var early string
	exited := func() bool {
		if early != "" {
			return true
		}
		select {
		case code := <-done:
			early = fmt.Sprintf("run exited early with %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
			return true
		default:
			return false
		}
	}

	// The first line says where the metrics are.
	addrRe := regexp.MustCompile(`^driftwarden \S+: metrics at http://(\S+)/metrics, health at /healthz, readiness at /readyz\n`)
	var addr string
	require.Eventually(t, func() bool {
		if m := addrRe.FindStringSubmatch(stdout.String()); m != nil {
			addr = m[1]
		}
		return exited() || addr != ""
	}, 30*time.Second, 20*time.Millisecond, "no address line in: %s", stdout.String())
	require.Empty(t, early)
	require.NotContains(t, addr, ":0", "the real port is printed")

	client := &http.Client{Timeout: 5 * time.Second}
	status := func(path string) int {
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, status("/healthz"))
	require.Eventually(t, func() bool {
		return exited() || status("/readyz") == http.StatusOK
	}, 60*time.Second, 50*time.Millisecond, "never ready; stderr: %s", stderr.String())
	require.Empty(t, early)
	require.Eventually(t, func() bool {
		return strings.Contains(stdout.String(), "\ncycle 1 ok: ")
	}, 10*time.Second, 20*time.Millisecond, "no cycle summary in: %s", stdout.String())
	require.Equal(t, http.StatusOK, status("/metrics"))

	cancel() // what SIGINT does
	select {
	case code := <-done:
		require.Equal(t, 0, code, "stderr: %s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("run did not stop after its context was cancelled; stderr: %s", stderr.String())
	}
	require.Contains(t, stderr.String(), "shutting down")
	require.Contains(t, stderr.String(), "level=DEBUG")
	requireNoSecrets(t, stdout.String(), stderr.String())
	require.NotEqual(t, http.StatusOK, status("/healthz"), "the server is stopped")

	st, err := store.Open(context.Background(), filepath.Join(filepath.Dir(cfg), demoDB), store.Options{})
	require.NoError(t, err)
	defer st.Close()
	cycles, err := st.Cycles(context.Background(), 0)
	require.NoError(t, err)
	require.Len(t, cycles, 1, "exactly the start-up cycle was recorded")
}
