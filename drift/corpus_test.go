package drift

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/internal/testcorpus"
	"github.com/driftwarden/driftwarden/model"
)

// TestCorpusSelfCompare uses live attributes read back from real clouds by
// driftctl (results.golden.json, Terraform form): a resource compared with
// an independent decoding of itself has no drift, and changing one
// top-level attribute yields exactly one diff, on that attribute.
func TestCorpusSelfCompare(t *testing.T) {
	root := testcorpus.Path(t, "driftctl", "enumeration", "remote")
	var files []string
	require.NoError(t, filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "results.golden.json" {
			files = append(files, p)
		}
		return err
	}))
	require.NotEmpty(t, files)
	sort.Strings(files)
	compared, perturbed := 0, 0
	for _, f := range files {
		dir := filepath.Base(filepath.Dir(f))
		t.Run(dir, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			require.NoError(t, err)
			var a, b []map[string]any
			if json.Unmarshal(raw, &a) != nil || json.Unmarshal(raw, &b) != nil {
				t.Skip("not a list of resources")
			}
			typ := corpusType(dir)
			for i := range a {
				// Self-comparison: no drift.
				diffs := corpusDiff(t, typ, a[i], b[i])
				require.Empty(t, diffs, "%s[%d]", dir, i)
				compared++
				// Perturb one comparable string attribute.
				k := perturbable(typ, a[i])
				if k == "" {
					continue
				}
				p := cp(b[i])
				p[k] = p[k].(string) + "-changed"
				diffs = corpusDiff(t, typ, a[i], p)
				require.Len(t, diffs, 1, "%s[%d].%s", dir, i, k)
				require.Equal(t, model.JoinPath("", k), diffs[0].Path)
				perturbed++
			}
		})
	}
	t.Logf("%d files, %d resources compared with themselves, %d perturbed", len(files), compared, perturbed)
	require.Greater(t, compared, 100)
}

func corpusDiff(t *testing.T, typ string, applied, liveAttrs map[string]any) []model.Diff {
	t.Helper()
	a := model.Resource{Type: typ, ID: "corpus/1", Address: typ + ".x", Attributes: applied}
	l := collectors.LiveResource{Resource: model.Resource{Type: typ, ID: "corpus/1", Attributes: liveAttrs}}
	r := Compare([]collectors.Stack{{Name: "s", Resources: []model.Resource{a}}}, []collectors.Inventory{{Source: "c", Resources: []collectors.LiveResource{l}}}, testOpts(Options{}))
	require.LessOrEqual(t, len(r.Drifts), 1)
	if len(r.Drifts) == 0 {
		return nil
	}
	return r.Drifts[0].Diffs
}

// corpusType guesses the Terraform type from a driftctl test folder name
// (aws_vpc_security_group_multiple -> aws_vpc_security_group). The type only
// selects per-type defaults, so a wrong guess costs nothing here.
func corpusType(dir string) string {
	for _, suf := range []string{"_multiples", "_multiple", "_single", "_results", "_listing", "_list", "_empty"} {
		if i := strings.Index(dir, suf); i > 0 {
			return dir[:i]
		}
	}
	return dir
}

// perturbable picks, deterministically, a top-level string attribute that
// is compared (not computed by default, not a tag).
func perturbable(typ string, attrs map[string]any) string {
	skip := map[string]bool{}
	for _, k := range append(append([]string{}, globalComputed...), typeComputed[typ]...) {
		skip[k] = true
	}
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if s, ok := attrs[k].(string); ok && s != "" && !skip[k] && !isTagKey(k) {
			return k
		}
	}
	return ""
}
