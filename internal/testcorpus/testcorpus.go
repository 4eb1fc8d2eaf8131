// Package testcorpus locates the shared third-party test corpus
// (../shared/corpus beside the repository) for tests. A user's clone has no
// corpus, so tests that need it skip with a message saying so.
package testcorpus

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the corpus folder, or skips the test when it is absent.
// DRIFTWARDEN_CORPUS overrides the location.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("DRIFTWARDEN_CORPUS"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			c := filepath.Join(filepath.Dir(d), "shared", "corpus")
			if _, err := os.Stat(c); err != nil {
				t.Skipf("shared test corpus not found at %s (it sits beside the repository in CI; set DRIFTWARDEN_CORPUS to use another copy)", c)
			}
			return c
		}
		if filepath.Dir(d) == d {
			t.Skip("repository root not found; shared test corpus unavailable")
		}
	}
}

// Path returns a path inside the corpus, skipping the test when it is absent.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{Dir(t)}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("corpus path %s not found", p)
	}
	return p
}
