package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// The secrets planted in the demo: the RDS password in the applied state and
// the one rotated by hand, seen in the refresh-only plan. Neither may ever
// be printed.
var demoSecrets = []string{"demo-S3cr3t-do-not-leak", "rotated-by-hand-S3cr3t"}

const (
	demoDir    = "../../examples/demo"
	demoConfig = "driftwarden.yaml"
	demoDB     = "driftwarden-demo.db"
)

// TestMain fails the run if a test wrote the demo's store into the
// repository: every test works on a copy of the demo.
func TestMain(m *testing.M) {
	repoDB := filepath.Join(demoDir, demoDB)
	_, err := os.Stat(repoDB)
	existed := err == nil
	code := m.Run()
	if _, err := os.Stat(repoDB); err == nil && !existed {
		fmt.Fprintf(os.Stderr, "a test created %s in the repository\n", repoDB)
		code = 1
	}
	os.Exit(code)
}

// syncBuffer is a bytes.Buffer safe for concurrent writers and readers
// (the daemon prints from its scheduler goroutine while the test reads).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runCLIWith runs the CLI on a fresh command tree, as main does, with its
// output and error streams (logs included) redirected.
func runCLIWith(stdout, stderr io.Writer, args ...string) int {
	root := newRoot()
	root.SetOut(stdout)
	root.SetErr(stderr)
	return execute(root, args)
}

// runCLI runs the CLI and returns its exit status and what it printed.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb syncBuffer
	code = runCLIWith(&out, &errb, args...)
	return code, out.String(), errb.String()
}

// copyDemo copies the demo folder into a fresh temporary directory and
// returns the path of its configuration file; edits are old/new pairs
// replaced in the configuration, each of which must match.
func copyDemo(t *testing.T, edits ...string) string {
	t.Helper()
	require.Zero(t, len(edits)%2, "edits are old/new pairs")
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(demoDir)))
	// A store left next to the repo's demo by a manual run must not leak in.
	_ = os.Remove(filepath.Join(dir, demoDB))
	_ = os.Remove(filepath.Join(dir, "driftwarden-demo-alerts.jsonl"))
	path := filepath.Join(dir, demoConfig)
	if len(edits) > 0 {
		editFile(t, path, edits...)
	}
	return path
}

// editFile replaces old/new pairs in a file; every old string must occur.
func editFile(t *testing.T, path string, edits ...string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	s := string(b)
	for i := 0; i < len(edits); i += 2 {
		require.Contains(t, s, edits[i], "edit target missing from %s", path)
		s = strings.Replace(s, edits[i], edits[i+1], 1)
	}
	require.NoError(t, os.WriteFile(path, []byte(s), 0o644))
}

// lineOf returns the 1-based line of the first line of path containing s.
func lineOf(t *testing.T, path, s string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	require.Failf(t, "line not found", "%q not in %s", s, path)
	return 0
}

// writeFiles writes name -> content into a new temporary directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	return dir
}

// requireNoSecrets checks that no planted secret was printed.
func requireNoSecrets(t *testing.T, outputs ...string) {
	t.Helper()
	for _, out := range outputs {
		for _, s := range demoSecrets {
			require.NotContains(t, out, s, "a planted secret was printed")
		}
	}
}

// scanDemoJSON runs `scan -o json` on cfg and decodes its output.
func scanDemoJSON(t *testing.T, cfg string, extra ...string) scanResult {
	t.Helper()
	code, stdout, stderr := runCLI(t, append([]string{"scan", "--config", cfg, "-o", "json"}, extra...)...)
	require.Equal(t, 0, code, "stderr: %s", stderr)
	requireNoSecrets(t, stdout, stderr)
	return decodeScan(t, stdout)
}

func decodeScan(t *testing.T, stdout string) scanResult {
	t.Helper()
	require.True(t, json.Valid([]byte(stdout)), "scan -o json printed invalid JSON:\n%s", stdout)
	var res scanResult
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&res))
	return res
}
