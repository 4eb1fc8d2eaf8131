package drift

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/model"
)

// TestPlantedSecretNeverLeaks plants secrets of several shapes in applied
// and live attributes, all of them drifted, and checks that the drift is
// detected and the secrets appear nowhere in the marshalled result.
func TestPlantedSecretNeverLeaks(t *testing.T) {
	const secA, secB = "PLANTED-SECRET-applied-7f3a", "PLANTED-SECRET-live-9c1e"
	attrs := func(s string) map[string]any {
		return map[string]any{
			// Sensitive path from the state (a name that does not look secret).
			"user_data": "#!/bin/sh\necho " + s,
			// Sensitive path from the live side (plan after_sensitive).
			"custom_blob": s,
			// Nested sensitive path in a set of blocks.
			"setting": []any{map[string]any{"name": "a", "value": s}, map[string]any{"name": "b", "value": "plain"}},
			// Secret-looking keys, top level and nested, several spellings.
			"master_password": s,
			"environment":     []any{map[string]any{"variables": map[string]any{"API_TOKEN": s, "REGION": "eu"}}},
			"clientSecret":    s,
			// Inside JSON strings: a name/value pair and a policy condition key.
			"container_definitions": `[{"name":"app","environment":[{"name":"DB_PASSWORD","value":"` + s + `"}]}]`,
			"policy":                `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/token":"` + s + `"}}}]}`,
			// A set whose elements hold a secret-looking key.
			"users": []any{map[string]any{"login": "a", "password": s}, map[string]any{"login": "b", "password": "x"}},
			"tags":  map[string]any{"api_key": s, "team": "core"},
		}
	}
	a := res("aws_thing", "x", "t-1", attrs(secA))
	a.Sensitive = []string{"user_data", "setting[0].value"}
	a.Tags = map[string]string{"api_key": secA, "team": "core"}
	l := live(res("aws_thing", "x", "t-1", attrs(secB)))
	l.Sensitive = []string{"custom_blob"}
	l.Tags = map[string]string{"api_key": secB}

	// A plan for a stack with no loaded state: Before holds the applied values.
	p := collectors.LiveResource{Resource: res("aws_other", "y", "o-1", map[string]any{"opaque": secB}), Before: map[string]any{"opaque": secA},
		BeforeSensitive: []string{"opaque"}}
	p.Stack = "planned"

	r := Compare([]collectors.Stack{stack("s", a)}, []collectors.Inventory{
		inventory("cfg", nil, l),
		inventory("plan", nil, p),
	}, testOpts(Options{}))

	require.Len(t, r.Drifts, 2)
	got := map[string]bool{}
	for _, d := range r.Drifts {
		for _, df := range d.Diffs {
			got[df.Path] = df.Sensitive
			if df.Sensitive {
				require.Equal(t, model.Redacted, df.Applied)
				require.Equal(t, model.Redacted, df.Live)
			}
		}
	}
	require.Equal(t, map[string]bool{
		"user_data": true, "custom_blob": true, "setting": true, "master_password": true,
		"environment[0].variables.API_TOKEN": true, "clientSecret": true, "container_definitions": true,
		"policy": true, "users": true, "tags.api_key": true, "opaque": true,
	}, got)

	out, err := json.Marshal(r)
	require.NoError(t, err)
	for _, s := range []string{secA, secB, "PLANTED"} {
		require.False(t, strings.Contains(string(out), s), "secret %q leaked: %s", s, out)
	}
	require.Contains(t, string(out), `"team":"core"`, "non-secret tags are kept")
}

func TestSecretKey(t *testing.T) {
	for k, want := range map[string]bool{
		"password": true, "DB_PASSWORD": true, "clientSecret": true, "x-api-key": true, "private_key_pem": true,
		"secret_access_key": true, "session_token": true, "Credentials": true, "connection_string": true,
		"name": false, "kms_key_id": false, "key_name": false, "description": false, "tokenless": true,
	} {
		require.Equal(t, want, secretKey(k), k)
	}
}

func TestSensitivePathOverlap(t *testing.T) {
	s := sensitivePaths{{"setting[3].value", "password"}}
	require.True(t, s.overlaps("setting"))
	require.True(t, s.overlaps("setting[0].value"))
	require.True(t, s.overlaps("password"))
	require.False(t, s.overlaps("setting[0].name"))
	require.False(t, s.overlaps("password_length"))
}
