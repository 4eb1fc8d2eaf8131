package fileinput

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// tree builds a directory of files (relative slash paths) and symbolic
// links (link -> target, relative to the link's directory).
func tree(t *testing.T, files []string, links map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(f), 0o644))
	}
	for link, target := range links {
		require.NoError(t, os.Symlink(filepath.FromSlash(target), filepath.Join(dir, filepath.FromSlash(link))))
	}
	return dir
}

func rel(t *testing.T, base string, files []string) []string {
	t.Helper()
	out := []string{}
	for _, f := range files {
		require.True(t, filepath.IsAbs(f), f)
		r, err := filepath.Rel(base, f)
		require.NoError(t, err)
		out = append(out, filepath.ToSlash(r))
	}
	return out
}

func TestExpand(t *testing.T) {
	dir := tree(t, []string{
		"a.json",
		"plans/x.json",
		"plans/b/y.json",
		"plans/b/c/z.json",
		"plans/b/c/z.txt",
		"plans/.terraform/t.json",
		"plans/.git/g.json",
		"plans/sub/.git/deep/h.json",
		"states/one.tfstate",
		"states/one.tfstate.backup",
		"states/net/terraform.tfstate",
		"states/net/.terraform/terraform.tfstate",
		"states/app/terraform.tfstate.d/prod/terraform.tfstate",
		"empty/readme.md",
	}, map[string]string{
		"link.json":   "plans/x.json",
		"broken.json": "nowhere.json",
		"linkdir":     "plans/b",
		"plans/loop":  "..", // a cycle: ** must not follow it
	})
	tfstate := Options{DirPattern: "*.tfstate", SkipSuffixes: []string{".tfstate.backup"}}

	tests := []struct {
		name     string
		patterns []string
		opts     Options
		want     []string
	}{
		{name: "literal file", patterns: []string{"a.json"}, want: []string{"a.json"}},
		{name: "literal symlink to a file", patterns: []string{"link.json"}, want: []string{"link.json"}},
		{name: "star", patterns: []string{"*.json"}, want: []string{"a.json", "link.json"}},
		{name: "question mark and class", patterns: []string{"plans/?.json", "plans/b/[xy].json"}, want: []string{"plans/x.json", "plans/b/y.json"}},
		{name: "** at the start", patterns: []string{"**/z.json"}, want: []string{"plans/b/c/z.json"}},
		{name: "** in the middle", patterns: []string{"plans/**/*.json"}, want: []string{"plans/b/c/z.json", "plans/b/y.json", "plans/x.json"}},
		{name: "** matches zero directories", patterns: []string{"plans/**/x.json"}, want: []string{"plans/x.json"}},
		{name: "** then a literal directory", patterns: []string{"**/c/*.json"}, want: []string{"plans/b/c/z.json"}},
		{name: "** at the end", patterns: []string{"plans/b/**"}, want: []string{"plans/b/c/z.json", "plans/b/c/z.txt", "plans/b/y.json"}},
		{name: "repeated **", patterns: []string{"plans/**/**/*.txt"}, want: []string{"plans/b/c/z.txt"}},
		{name: "two ** reach a file once", patterns: []string{"**/b/**/*.txt"}, want: []string{"plans/b/c/z.txt"}},
		{name: "glob element through a symlinked directory", patterns: []string{"link*/*.json"}, want: []string{"linkdir/y.json"}},
		{name: "literal symlinked directory", patterns: []string{"linkdir/**/*.json"}, want: []string{"linkdir/c/z.json", "linkdir/y.json"}},
		{name: "skip dirs are entered only when named", patterns: []string{"plans/.terraform/*.json", "plans/[.b]*/*.json"}, want: []string{"plans/.terraform/t.json", "plans/b/y.json"}},
		{name: "directory means DirPattern below it", patterns: []string{"states"}, opts: tfstate,
			want: []string{"states/app/terraform.tfstate.d/prod/terraform.tfstate", "states/net/terraform.tfstate", "states/one.tfstate"}},
		{name: "skip suffixes in globs", patterns: []string{"states/one.*"}, opts: tfstate, want: []string{"states/one.tfstate"}},
		{name: "skip suffixes not for a literal file", patterns: []string{"states/one.tfstate.backup"}, opts: tfstate, want: []string{"states/one.tfstate.backup"}},
		{name: "pattern order, each sorted, de-duplicated", patterns: []string{"plans/b/y.json", "plans/**/*.json", "a.json", "plans/x.json"},
			want: []string{"plans/b/y.json", "plans/b/c/z.json", "plans/x.json", "a.json"}},
		{name: "blank patterns ignored", patterns: []string{"", "  ", "a.json"}, want: []string{"a.json"}},
		{name: "relative parts are cleaned", patterns: []string{"plans/../a.json", "./plans/b/../x.json"}, want: []string{"a.json", "plans/x.json"}},
		{name: "absolute pattern", patterns: []string{filepath.Join(dir, "plans", "*.json")}, want: []string{"plans/x.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, errs := Expand(dir, tt.patterns, tt.opts)
			require.Empty(t, errs)
			require.Equal(t, tt.want, rel(t, dir, files))
		})
	}
}

func TestExpandErrors(t *testing.T) {
	dir := tree(t, []string{"a.json", "plans/x.json", "empty/readme.md"}, nil)
	tests := []struct {
		name    string
		pattern string
		opts    Options
		is      error
		path    string // PatternError.Path relative to dir
	}{
		{name: "missing literal path", pattern: "missing.json", is: fs.ErrNotExist, path: "missing.json"},
		{name: "unmatched glob", pattern: "plans/*.yaml", is: ErrNoMatch, path: "plans/*.yaml"},
		{name: "unmatched ** glob", pattern: "nothing/**/*.json", is: ErrNoMatch, path: "nothing/**/*.json"},
		{name: "glob matching only a directory", pattern: "pla*", is: ErrNoMatch, path: "pla*"},
		{name: "malformed glob", pattern: "[.json", is: path.ErrBadPattern, path: "[.json"},
		{name: "malformed glob after **", pattern: "**/[x", is: path.ErrBadPattern, path: "**/[x"},
		{name: "directory without DirPattern", pattern: "plans", is: ErrIsDirectory, path: "plans"},
		{name: "directory with nothing matching DirPattern", pattern: "empty", opts: Options{DirPattern: "*.tfstate"}, is: ErrNoMatch, path: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, errs := Expand(dir, []string{"a.json", tt.pattern}, tt.opts)
			require.Equal(t, []string{"a.json"}, rel(t, dir, files), "the other patterns still expand")
			require.Len(t, errs, 1)
			var pe *PatternError
			require.ErrorAs(t, errs[0], &pe)
			require.Equal(t, tt.pattern, pe.Pattern)
			require.Equal(t, filepath.Join(dir, filepath.FromSlash(tt.path)), pe.Path)
			require.ErrorIs(t, errs[0], tt.is)
			require.Contains(t, errs[0].Error(), tt.pattern)
		})
	}

	t.Run("missing file error names the file", func(t *testing.T) {
		_, errs := Expand(dir, []string{"missing.json"}, Options{})
		require.Len(t, errs, 1)
		require.ErrorContains(t, errs[0], filepath.Join(dir, "missing.json"))
	})
}

func TestExpandEmptyBaseIsWorkingDirectory(t *testing.T) {
	dir := tree(t, []string{"w/a.json"}, nil)
	t.Chdir(dir)
	files, errs := Expand("", []string{"w/*.json"}, Options{})
	require.Empty(t, errs)
	require.Len(t, files, 1)
	require.True(t, filepath.IsAbs(files[0]))
	require.Equal(t, "a.json", filepath.Base(files[0]))
}

func TestExpandUnreadableDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every directory")
	}
	dir := tree(t, []string{"p/ok/a.json", "p/locked/b.json"}, nil)
	locked := filepath.Join(dir, "p", "locked")
	require.NoError(t, os.Chmod(locked, 0))
	t.Cleanup(func() { _ = os.Chmod(locked, 0o755) })
	files, errs := Expand(dir, []string{"p/**/*.json"}, Options{})
	require.Equal(t, []string{"p/ok/a.json"}, rel(t, dir, files), "what could be read is kept")
	require.Len(t, errs, 1)
	require.ErrorIs(t, errs[0], fs.ErrPermission)
}
