package drift

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
)

func loadTestSchemas(t *testing.T) *Schemas {
	t.Helper()
	f, err := os.Open("testdata/schema.json")
	require.NoError(t, err)
	defer f.Close()
	s, err := LoadSchemas(f)
	require.NoError(t, err)
	return s
}

func TestLoadSchemas(t *testing.T) {
	s := loadTestSchemas(t)
	require.Equal(t, 2, s.Types())
	require.True(t, s.Has("aws_s3_bucket"))
	require.False(t, s.Has("aws_instance"))
	b := s.resource("aws_s3_bucket")
	require.Equal(t, kindSet, b.attrs["cors_origins"].kind)
	require.Equal(t, kindList, b.attrs["lifecycle_order"].kind)
	require.Equal(t, kindSet, b.attrs["grant"].kind)
	require.Equal(t, kindObject, b.attrs["grant"].elem.kind)
	require.True(t, b.attrs["arn"].computed)
	require.False(t, b.attrs["arn"].optional)
	require.True(t, b.attrs["replication_token"].sensitive)

	for _, bad := range []string{`{`, `{"format_version":"2.0"}`, `{"format_version":"1.0","provider_schemas":{"p":{"resource_schemas":{"t":{"block":{"attributes":{"a":{"type":["weird","string"]}}}}}}}}`} {
		_, err := LoadSchemas(strings.NewReader(bad))
		require.Error(t, err, bad)
	}
	var nilSchemas *Schemas
	require.False(t, nilSchemas.Has("x"))
}

func TestSchemaNoiseRules(t *testing.T) {
	s := loadTestSchemas(t)
	base := map[string]any{
		"bucket": "b", "acl": "private", "website_endpoint": "b.s3-website",
		"cors_origins":    []any{"https://a", "https://b"},
		"lifecycle_order": []any{"one", "two"},
		"versioning":      []any{map[string]any{"enabled": true, "mfa_delete": false}},
		"grant": []any{
			map[string]any{"type": "CanonicalUser", "id": "u1", "permissions": []any{"READ", "WRITE"}, "display_name": "a"},
			map[string]any{"type": "Group", "uri": "all", "permissions": []any{"READ"}},
		},
		"rule": []any{map[string]any{"id": "r1", "prefix": "a/"}, map[string]any{"id": "r2", "prefix": "b/"}},
	}
	cases := []struct {
		name    string
		typ     string
		applied map[string]any
		live    map[string]any
		want    []string
		secret  bool
	}{
		{name: "computed-only attribute ignored", applied: base, live: with(base, "website_endpoint", "other")},
		{name: "computed-only attribute ignored inside a set block", applied: base, live: with(base, "grant", []any{
			map[string]any{"type": "Group", "uri": "all", "permissions": []any{"READ"}},
			map[string]any{"type": "CanonicalUser", "id": "u1", "permissions": []any{"WRITE", "READ"}, "display_name": "renamed"},
		})},
		{name: "optional+computed with empty applied value is a server default", applied: with(base, "object_lock_enabled", nil),
			live: with(base, "object_lock_enabled", true)},
		{name: "optional+computed with applied value is compared", applied: with(base, "object_lock_enabled", true),
			live: with(base, "object_lock_enabled", false), want: []string{"object_lock_enabled"}},
		{name: "set attribute ignores order", applied: base, live: with(base, "cors_origins", []any{"https://b", "https://a"})},
		{name: "set attribute that differs is one diff", applied: base, live: with(base, "cors_origins", []any{"https://b", "https://c"}),
			want: []string{"cors_origins"}},
		{name: "list attribute keeps order", applied: base, live: with(base, "lifecycle_order", []any{"two", "one"}),
			want: []string{"lifecycle_order[0]", "lifecycle_order[1]"}},
		{name: "list block reports leaf paths", applied: base,
			live: with(base, "versioning", []any{map[string]any{"enabled": false, "mfa_delete": false}}), want: []string{"versioning[0].enabled"}},
		{name: "list block of several keeps order", applied: base,
			live: with(base, "rule", []any{map[string]any{"id": "r1", "prefix": "a/"}, map[string]any{"id": "r2", "prefix": "c/"}}), want: []string{"rule[1].prefix"}},
		{name: "set block ignores order", applied: base, live: with(base, "grant", []any{
			map[string]any{"type": "Group", "uri": "all", "permissions": []any{"READ"}},
			map[string]any{"type": "CanonicalUser", "id": "u1", "permissions": []any{"READ", "WRITE"}},
		})},
		{name: "sensitive attribute from the schema is redacted", applied: with(base, "replication_token", "tok-a"),
			live: with(base, "replication_token", "tok-b"), want: []string{"replication_token"}, secret: true},
		{name: "nested attribute type: computed field ignored", typ: "google_thing",
			applied: map[string]any{"name": "n", "settings": map[string]any{"tier": "a", "server_id": "1"}},
			live:    map[string]any{"name": "n", "settings": map[string]any{"tier": "a", "server_id": "2"}}},
		{name: "nested attribute type: leaf path", typ: "google_thing",
			applied: map[string]any{"name": "n", "settings": map[string]any{"tier": "a"}},
			live:    map[string]any{"name": "n", "settings": map[string]any{"tier": "b"}}, want: []string{"settings.tier"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			typ := c.typ
			if typ == "" {
				typ = "aws_s3_bucket"
			}
			diffs, _ := diffOne(t, typ, cp(c.applied), cp(c.live), false, Options{Schemas: s})
			require.Equal(t, c.want, paths(diffs))
			for _, d := range diffs {
				require.Equal(t, c.secret, d.Sensitive)
				if c.secret {
					require.Equal(t, model.Redacted, d.Applied)
				}
			}
		})
	}
}

func TestSchemasMerge(t *testing.T) {
	s := loadTestSchemas(t)
	other, err := LoadSchemas(strings.NewReader(`{"format_version":"1.0","provider_schemas":{"p":{"resource_schemas":{"x_thing":{"block":{}}}}}}`))
	require.NoError(t, err)
	s.Merge(other)
	require.True(t, s.Has("x_thing"))
	require.True(t, s.Has("aws_s3_bucket"))
	require.Equal(t, 3, s.Types())
}
