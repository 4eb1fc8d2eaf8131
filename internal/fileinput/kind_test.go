package fileinput

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestJSONKind(t *testing.T) {
	for doc, want := range map[string]string{
		`null`: "null", `true`: "a boolean", `1.5`: "a number", `"x"`: "a string", `[1]`: "an array", `{"a":1}`: "an object",
	} {
		var v any
		require.NoError(t, json.Unmarshal([]byte(doc), &v))
		require.Equal(t, want, JSONKind(v), doc)
	}
	require.Equal(t, "a number", JSONKind(json.Number("2")))
}
