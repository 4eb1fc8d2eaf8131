package tfstate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
)

func stateWith(id string) string {
	return fmt.Sprintf(`{"version":4,"serial":1,"lineage":"l","resources":[{"mode":"managed","type":"aws_vpc","name":"v","provider":"provider[\"registry.terraform.io/hashicorp/aws\"]","instances":[{"attributes":{"id":%q}}]}]}`, id)
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

type named struct{ name, workspace, native string }

func summarize(stacks []collectors.Stack) []named {
	var out []named
	for _, s := range stacks {
		n := named{name: s.Name, workspace: s.Workspace}
		if len(s.Resources) > 0 {
			n.native = s.Resources[0].NativeID
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func TestFileSourceNaming(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		paths []string
		stack string
		want  []named
		errs  []string
	}{
		{
			name: "local backend, workspaces, plain files",
			files: map[string]string{
				"states/network/terraform.tfstate":                             stateWith("net"),
				"states/network/terraform.tfstate.d/staging/terraform.tfstate": stateWith("net-stg"),
				"states/network/terraform.tfstate.backup":                      "not read",
				"states/network/.terraform/terraform.tfstate":                  `{"version":3,"backend":{}}`,
				"states/prod-eu.tfstate":                                       stateWith("eu"),
				"states/prod-eu.tfstate.backup":                                "not read",
				"states/app/terraform.tfstate.d/prod/terraform.tfstate":        stateWith("app-prod"),
				"states/app/terraform.tfstate.d/prod/terraform.tfstate.backup": "not read",
				"states/app/terraform.tfstate.d/default2/terraform.tfstate":    stateWith("app-d2"),
				"elsewhere/ignored.tfstate":                                    stateWith("x"),
			},
			paths: []string{"states/**/*.tfstate"},
			want: []named{
				{"app/default2", "default2", "app-d2"},
				{"app/prod", "prod", "app-prod"},
				{"network", "default", "net"},
				{"network/staging", "staging", "net-stg"},
				{"prod-eu", "default", "eu"},
			},
		},
		{
			name: "directory path means every state below",
			files: map[string]string{
				"states/network/terraform.tfstate": stateWith("net"),
				"states/x/prod-eu.tfstate":         stateWith("eu"),
			},
			paths: []string{"states"},
			want:  []named{{"network", "default", "net"}, {"prod-eu", "default", "eu"}},
		},
		{
			name: "collisions fall back to paths relative to the base",
			files: map[string]string{
				"a/network/terraform.tfstate": stateWith("a"),
				"b/network/terraform.tfstate": stateWith("b"),
				"c/network.tfstate":           stateWith("c"),
				"c/network/terraform.tfstate": stateWith("c2"),
				"d/solo.tfstate":              stateWith("d"),
			},
			paths: []string{"**/*.tfstate"},
			want: []named{
				{"a/network", "default", "a"},
				{"b/network", "default", "b"},
				{"c/network.tfstate", "default", "c"},
				{"c/network/terraform.tfstate", "default", "c2"},
				{"solo", "default", "d"},
			},
		},
		{
			name:  "fixed stack name for one file",
			files: map[string]string{"x/terraform.tfstate.d/blue/terraform.tfstate": stateWith("x")},
			paths: []string{"x/terraform.tfstate.d/blue/terraform.tfstate"},
			stack: "payments",
			want:  []named{{"payments", "blue", "x"}},
		},
		{
			name:  "fixed stack name with several files",
			files: map[string]string{"a.tfstate": stateWith("a"), "b.tfstate": stateWith("b")},
			paths: []string{"*.tfstate"},
			stack: "payments",
			errs:  []string{`stack name "payments" is fixed but the paths match 2 files`},
		},
		{
			name:  "a bad file costs only itself",
			files: map[string]string{"good.tfstate": stateWith("g"), "bad.tfstate": `{"version":4,"resources":[`, "empty.tfstate": ""},
			paths: []string{"*.tfstate"},
			want:  []named{{"good", "default", "g"}},
			errs:  []string{"bad.tfstate: invalid JSON at offset 26: unexpected end of input", "empty.tfstate: empty state file"},
		},
		{
			name:  "missing file, unmatched glob, bad glob",
			files: map[string]string{"good.tfstate": stateWith("g")},
			paths: []string{"good.tfstate", "missing.tfstate", "nothing/**/*.tfstate", "[.tfstate"},
			want:  []named{{"good", "default", "g"}},
			errs:  []string{"missing.tfstate: reading state path", "no state file matches", "syntax error in pattern"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tt.files)
			src := NewFileSource("local", FileConfig{Paths: tt.paths, BaseDir: dir, Stack: tt.stack, Owner: "team-a", Production: true})
			require.Equal(t, "local", src.Name())
			require.Equal(t, "team-a", src.Owner())
			require.True(t, src.Production())
			stacks, errs := src.States(context.Background())
			require.Equal(t, tt.want, summarize(stacks))
			require.Len(t, errs, len(tt.errs), "%v", errs)
			for i, e := range errs {
				var ie *collectors.InputError
				require.ErrorAs(t, e, &ie)
				require.Equal(t, "local", ie.Source)
				require.Contains(t, e.Error(), tt.errs[i])
			}
			for _, st := range stacks {
				require.Equal(t, "local", st.Source)
				require.FileExists(t, st.Location)
				for _, r := range st.Resources {
					require.Equal(t, st.Name, r.Stack)
				}
			}
		})
	}
}

func TestFileSourceCache(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.tfstate": stateWith("one"), "bad.tfstate": "nope"})
	src := NewFileSource("local", FileConfig{Paths: []string{"*.tfstate"}, BaseDir: dir})
	ctx := context.Background()

	first, errs := src.States(ctx)
	require.Len(t, first, 1)
	require.Len(t, errs, 1)

	// Unchanged: the same decoded stack (and the same error) come back.
	again, errs2 := src.States(ctx)
	require.Same(t, &first[0].Resources[0], &again[0].Resources[0])
	require.Equal(t, errs[0].Error(), errs2[0].Error())

	// Changed size and mtime: read again.
	p := filepath.Join(dir, "a.tfstate")
	require.NoError(t, os.WriteFile(p, []byte(stateWith("two-longer")), 0o644))
	future := time.Now().Add(time.Hour)
	require.NoError(t, os.Chtimes(p, future, future))
	changed, _ := src.States(ctx)
	require.Equal(t, "two-longer", changed[0].Resources[0].NativeID)

	// Fixed bad file now loads.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.tfstate"), []byte(stateWith("fixed")), 0o644))
	fixed, errs := src.States(ctx)
	require.Empty(t, errs)
	require.Len(t, fixed, 2)

	// A removed file leaves the cache.
	require.NoError(t, os.Remove(filepath.Join(dir, "bad.tfstate")))
	left, _ := src.States(ctx)
	require.Len(t, left, 1)
	require.Len(t, src.cache, 1)
}

func TestFileSourceCancelled(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.tfstate": stateWith("one")})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	stacks, errs := NewFileSource("local", FileConfig{Paths: []string{"a.tfstate"}, BaseDir: dir}).States(ctx)
	require.Empty(t, stacks)
	require.Len(t, errs, 1)
	require.ErrorIs(t, errs[0], context.Canceled)
}
