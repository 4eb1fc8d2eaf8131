package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReportAndVerify(t *testing.T) {
	cfg := copyDemo(t)
	code, _, stderr := runCLI(t, "scan", "--config", cfg)
	require.Contains(t, []int{0, 2}, code, stderr)
	dir := t.TempDir()
	for _, format := range []string{"json", "csv", "markdown", "html"} {
		out := filepath.Join(dir, "report."+format)
		code, stdout, stderr := runCLI(t, "report", "--config", cfg, "--period", "30d", "--format", format, "--output", out)
		require.Equal(t, 0, code, stderr)
		b, err := os.ReadFile(out)
		require.NoError(t, err)
		requireNoSecrets(t, string(b), stdout, stderr)

		code, stdout, stderr = runCLI(t, "report", "verify", out)
		require.Equal(t, 0, code, stderr)
		require.Contains(t, stdout, "OK")

		b[len(b)/2] ^= 0x01
		require.NoError(t, os.WriteFile(out, b, 0o644))
		code, _, stderr = runCLI(t, "report", "verify", out)
		require.NotEqual(t, 0, code, "an altered %s copy must fail verification", format)
		require.NotEmpty(t, stderr)
	}
	code, _, stderr = runCLI(t, "report", "--config", cfg, "--framework", "HIPAA")
	require.NotEqual(t, 0, code)
	require.Contains(t, stderr, "--framework")
	require.Contains(t, stderr, "known:")
	code, _, stderr = runCLI(t, "report", "--config", cfg, "--period", "30d", "--as-of", "2026-01-01")
	require.NotEqual(t, 0, code)
	require.Contains(t, stderr, "--period")
}
