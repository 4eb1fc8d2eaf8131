package cloudtrail

import (
	"encoding/json"
	"math/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/identity"
)

// mayHoldSecret is the filter that lets a request stay undecoded bytes:
// whenever it says false, redacting the decoded document must change
// nothing.
func TestMayHoldSecretNeverMissesARedaction(t *testing.T) {
	for _, c := range []struct {
		doc  string
		want bool
	}{
		{`{"groupId":"sg-1","ipPermissions":{"items":[{"fromPort":22}]}}`, false},
		{`{"masterUserPassword":"x"}`, true},
		{`{"MASTERUSERPASSWORD":"x"}`, true},
		{`{"SecretString":"x"}`, true},
		{`{"a":{"b":[{"sessionToken":"x"}]}}`, true},
		{`{"PlainText":"x"}`, true},
		{`{"UserData":"x"}`, true},
		{`{"pass\u0077ord":"x"}`, true},
		{`{"clé":"x"}`, true},
		{`{"bucketName":"my-bucket"}`, false},
	} {
		require.Equal(t, c.want, mayHoldSecret([]byte(c.doc)), c.doc)
	}

	words := []string{"password", "secret", "token", "privateKey", "credential", "passphrase", "plaintext", "sessionKey",
		"authKey", "apiKey", "userData", "name", "id", "groupId", "bucket", "policy", "arn", "Id", "Arn", "Name", "value"}
	rnd := rand.New(rand.NewSource(7))
	randCase := func(s string) string {
		b := []byte(s)
		for i := range b {
			if rnd.Intn(3) == 0 {
				b[i] = strings.ToUpper(string(b[i]))[0]
			}
		}
		return string(b)
	}
	var gen func(depth int) any
	gen = func(depth int) any {
		switch {
		case depth > 2 || rnd.Intn(3) == 0:
			return randCase(words[rnd.Intn(len(words))])
		case rnd.Intn(4) == 0:
			return []any{gen(depth + 1), gen(depth + 1)}
		}
		m := map[string]any{}
		for n := rnd.Intn(4); n >= 0; n-- {
			k := randCase(words[rnd.Intn(len(words))])
			if rnd.Intn(2) == 0 {
				k = randCase(words[rnd.Intn(len(words))]) + k
			}
			m[k] = gen(depth + 1)
		}
		return m
	}
	seen := map[bool]int{}
	for i := 0; i < 20000; i++ {
		doc := map[string]any{"p": gen(0)}
		b, err := json.Marshal(doc)
		require.NoError(t, err)
		may := mayHoldSecret(b)
		seen[may]++
		var back map[string]any
		require.NoError(t, json.Unmarshal(b, &back))
		// The identity pass's key check, which decides first.
		rec := identity.Record{EventSource: "ec2.amazonaws.com", EventName: "CreateTags", Request: b, KeyWords: secretWords}
		identity.EventResources(&rec)
		if redact(back) {
			require.True(t, may, "mayHoldSecret missed a redaction in %s", b)
			require.True(t, rec.KeyMatch, "the key check missed a redaction in %s", b)
		}
	}
	require.NotZero(t, seen[false], "the generator makes documents without secrets too")
	require.NotZero(t, seen[true])
}
