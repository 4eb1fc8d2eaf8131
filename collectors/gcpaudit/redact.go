package gcpaudit

import (
	"strings"

	"github.com/driftwarden/driftwarden/model"
)

// secretWords are fragments of keys whose values are secrets. Keys are
// compared lower-cased with '_', '-', '.' and ' ' removed, as substrings
// ("privateKeyData", "client_secret", "x-api-key", "rootPassword").
var secretWords = []string{
	"password", "passwd", "passphrase", "secret", "token", "privatekey",
	"apikey", "accesskey", "credential", "connectionstring", "authstring",
	"sessionkey", "signingkey", "keymaterial", "plaintext", "hmackey",
}

func secretKey(k string) bool {
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '_' || c == '-' || c == '.' || c == ' ':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	s := b.String()
	for _, w := range secretWords {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// secretValue reports whether a string value is a secret whatever its key
// (a PEM private key).
func secretValue(s string) bool {
	return strings.Contains(s, "PRIVATE KEY-----")
}

// Redact returns a deep copy of a decoded JSON value with secret-looking
// values replaced by model.Redacted: values under secret-looking keys, the
// value of {"name"|"key": "<secret-looking>", "value": ...} pairs
// (environment variables, metadata items), and PEM private keys anywhere.
func Redact(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		pairSecret := false
		for _, nk := range []string{"name", "key"} {
			if n, ok := t[nk].(string); ok && secretKey(n) {
				pairSecret = true
			}
		}
		for k, x := range t {
			switch {
			case secretKey(k) && x != nil && x != "":
				out[k] = model.Redacted
			case pairSecret && k == "value":
				out[k] = model.Redacted
			default:
				out[k] = Redact(x)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = Redact(x)
		}
		return out
	case string:
		if secretValue(t) {
			return model.Redacted
		}
	}
	return v
}
