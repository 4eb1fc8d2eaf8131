package ownership

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
)

const codeowners = `# Terraform repository owners
*                     @acme/platform
/modules/net/         @acme/network-team
modules/data/**       @acme/data-eng @alice
*.md                  @acme/docs
/modules/legacy/      # explicitly unowned
/modules/shared/       @acme/shared
/modules/shared/vpc/  @acme/network-team
`

const modulesJSON = `{"Modules":[
 {"Key":"","Source":"","Dir":"."},
 {"Key":"net","Source":"./modules/net","Dir":"modules/net"},
 {"Key":"data","Source":"./modules/data","Dir":"modules/data"},
 {"Key":"data.sub","Source":"./sub","Dir":"modules/data/sub"},
 {"Key":"legacy","Source":"./modules/legacy","Dir":"modules/legacy"},
 {"Key":"vpc","Source":"../shared/vpc","Dir":"modules/shared/vpc"},
 {"Key":"eks","Source":"registry.terraform.io/terraform-aws-modules/eks/aws","Dir":".terraform/modules/eks"}
]}`

func resolver(t *testing.T) *Resolver {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "CODEOWNERS"), []byte(codeowners), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "modules.json"), []byte(modulesJSON), 0o600))
	co, err := LoadCodeowners(filepath.Join(dir, "CODEOWNERS"))
	require.NoError(t, err)
	mods, err := LoadModules(filepath.Join(dir, "modules.json"))
	require.NoError(t, err)
	return New(Config{
		TagKeys:      []string{"team", "owner"},
		Stacks:       []StackOwner{{Pattern: "payments-*", Owner: "payments"}},
		SourceOwners: map[string]string{"prod-states": "sre", "shared-states": ""},
		Rules: []Rule{
			{Match: Match{Type: "aws_iam_*"}, Team: "security"},
			{Match: Match{Account: "999988887777"}, Team: "sandbox"},
			{Match: Match{Address: "module.legacy.**"}, Team: "legacy-owners"},
		},
		Codeowners: co, Modules: mods, Default: "unassigned",
	})
}

func TestResolveEachRuleKind(t *testing.T) {
	r := resolver(t)
	tests := []struct {
		name   string
		res    model.Resource
		source string
		team   string
		kind   string
	}{
		{"tag team", model.Resource{Tags: map[string]string{"team": "web", "owner": "x"}, Stack: "payments-eu"}, "prod-states", "web", KindTag},
		{"tag owner when team absent", model.Resource{Tags: map[string]string{"owner": "billing"}}, "", "billing", KindTag},
		{"stack pattern", model.Resource{Stack: "payments-eu", Type: "aws_iam_role"}, "prod-states", "payments", KindStack},
		{"state source owner", model.Resource{Stack: "core", Type: "aws_iam_role"}, "prod-states", "sre", KindStack},
		{"rule by type", model.Resource{Stack: "core", Type: "aws_iam_role", Address: "module.net.aws_iam_role.x"}, "shared-states", "security", KindRule},
		{"rule by account", model.Resource{Type: "aws_s3_bucket", Account: "999988887777"}, "", "sandbox", KindRule},
		{"rule by address glob", model.Resource{Stack: "core", Type: "aws_s3_bucket", Address: `module.legacy["a"].aws_s3_bucket.b`}, "shared-states", "legacy-owners", KindRule},
		{"codeowners module dir", model.Resource{Stack: "core", Type: "aws_vpc", Address: "module.net.aws_vpc.main"}, "shared-states", "network-team", KindCodeowners},
		{"codeowners nested module, ** pattern", model.Resource{Stack: "core", Type: "aws_db_instance", Address: "module.data.module.sub.aws_db_instance.x[0]"}, "shared-states", "data-eng", KindCodeowners},
		{"codeowners last match wins", model.Resource{Stack: "core", Type: "aws_vpc", Address: "module.vpc.aws_vpc.this"}, "shared-states", "network-team", KindCodeowners},
		{"codeowners root module matches *", model.Resource{Stack: "core", Type: "aws_s3_bucket", Address: "aws_s3_bucket.logs"}, "shared-states", "platform", KindCodeowners},
		{"registry module falls to default", model.Resource{Stack: "core", Type: "aws_eks_cluster", Address: "module.eks.aws_eks_cluster.this"}, "shared-states", "unassigned", KindDefault},
		{"unmanaged skips codeowners", model.Resource{Type: "aws_s3_bucket"}, "", "unassigned", KindDefault},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := r.Explain(tt.res, tt.source)
			require.Equal(t, tt.team, d.Team, "chain: %+v", d.Chain)
			require.Equal(t, tt.kind, d.Kind)
			require.Equal(t, tt.team, r.Team(tt.res, tt.source))
			last := d.Chain[len(d.Chain)-1]
			require.True(t, last.Decided)
			for _, c := range d.Chain[:len(d.Chain)-1] {
				require.False(t, c.Decided)
			}
		})
	}
}

func TestExplainChainOrder(t *testing.T) {
	r := resolver(t)
	d := r.Explain(model.Resource{Stack: "core", Type: "aws_vpc", Address: "module.net.aws_vpc.main"}, "shared-states")
	var kinds []string
	for _, c := range d.Chain {
		kinds = append(kinds, c.Kind)
	}
	require.Equal(t, []string{KindTag, KindTag, KindStack, KindStack, KindRule, KindRule, KindRule, KindCodeowners}, kinds)
	require.Contains(t, d.Detail, `"/modules/net/"`)
	require.Contains(t, d.Detail, "modules/net")
}

func TestUnownedCodeownersLineAndNoDefault(t *testing.T) {
	co, err := ParseCodeowners("CODEOWNERS", []byte(codeowners))
	require.NoError(t, err)
	team, line, pat := co.Owner("modules/legacy")
	require.Equal(t, "", team, "a pattern without owners un-owns")
	require.Equal(t, 6, line)
	require.Equal(t, "/modules/legacy/", pat)
	r := New(Config{Codeowners: co, Modules: map[string]string{"legacy": "modules/legacy"}})
	d := r.Explain(model.Resource{Address: "module.legacy.aws_s3_bucket.b"}, "")
	require.Equal(t, "", d.Team)
	require.Equal(t, "", d.Kind)
}

func TestCodeownersPatterns(t *testing.T) {
	tests := []struct {
		file, dir, team string
	}{
		{"/infra/ @a/x\n", "infra/net", "x"},
		// gitignore: a trailing slash alone does not anchor.
		{"infra/ @a/x\n", "deep/infra", "x"},
		{"docs @a/x\n", "a/docs", "x"},
		{"/a/*/c @a/x\n", "a/b/c", "x"},
		{"/a/*/c @a/x\n", "a/b/b/c", ""},
		{"/a/**/c @a/x\n", "a/b/b/c", "x"},
		{"**/net @a/x\n", "modules/net", "x"},
		{"*.tf @a/x\n", "modules/anything", "x"},
		{"/modules/net @a/x\n/modules/net/ @a/y\n", "modules/net", "y"},
		{"/modules/net/ @user\n", "modules/net", "user"},
		{"/modules/net/ dev@example.com\n", "modules/net", "dev@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.file+tt.dir, func(t *testing.T) {
			co, err := ParseCodeowners("CODEOWNERS", []byte(tt.file))
			require.NoError(t, err)
			team, _, _ := co.Owner(tt.dir)
			require.Equal(t, tt.team, team)
		})
	}
}

func TestBadInputs(t *testing.T) {
	_, err := ParseCodeowners("repo/CODEOWNERS", []byte("# ok\n/a/[ @x\n"))
	require.ErrorContains(t, err, "repo/CODEOWNERS:2")
	_, err = ParseCodeowners("repo/CODEOWNERS", []byte("!/a @x\n"))
	require.ErrorContains(t, err, "repo/CODEOWNERS:1")
	dir := t.TempDir()
	bad := filepath.Join(dir, "modules.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"Modules": [`), 0o600))
	_, err = LoadModules(bad)
	require.ErrorContains(t, err, bad)
	_, err = LoadCodeowners(filepath.Join(dir, "missing"))
	require.ErrorContains(t, err, "missing")
}

func TestModulePath(t *testing.T) {
	for in, want := range map[string]string{
		"aws_s3_bucket.b":                             "",
		"module.net.aws_vpc.main":                     "net",
		`module.net["eu.west"].module.sub[0].aws_x.y`: "net.sub",
		"module.a.module.b.module.c.aws_x.y[2]":       "a.b.c",
	} {
		require.Equal(t, want, ModulePath(in), in)
	}
}
