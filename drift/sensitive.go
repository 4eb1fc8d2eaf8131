package drift

import (
	"bytes"
	"strings"

	"github.com/driftwarden/driftwarden/model"
)

// secretWords are the fragments of attribute, tag and JSON keys that mark a
// value as secret. Keys are compared lower-cased with '_', '-' and '.'
// removed, as substrings: "DB_PASSWORD", "clientSecret", "x-api-key" and
// "private_key_pem" all match. Over-redaction only hides a value; drift on
// it is still detected and reported.
var secretWords = []string{
	"password", "passwd", "passphrase", "secret", "token", "privatekey",
	"apikey", "accesskey", "credential", "connectionstring", "authstring",
	"sessionkey", "signingkey", "keymaterial", "sasurl", "saskey", "webhookurl",
}

// secretKey reports whether a key name looks like it holds a secret. It does
// not allocate for keys up to 128 bytes.
func secretKey(k string) bool {
	var buf [128]byte
	b := buf[:0]
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '_' || c == '-' || c == '.' || c == ' ':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	for _, w := range secretWordBytes {
		if bytes.Contains(b, w) {
			return true
		}
	}
	return false
}

var secretWordBytes = func() [][]byte {
	out := make([][]byte, len(secretWords))
	for i, w := range secretWords {
		out[i] = []byte(w)
	}
	return out
}()

// containsSecret reports whether a value holds a secret-looking key
// anywhere inside it: an object key, a {"name": "DB_PASSWORD", "value": ...}
// pair (ECS environment, Kubernetes env), or the same inside a string that
// holds a JSON document (policies, container definitions).
func containsSecret(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if secretKey(k) && !isEmpty(e) {
				return true
			}
			if containsSecret(e) {
				return true
			}
		}
		for _, nk := range []string{"name", "key", "Name", "Key"} {
			if n, ok := t[nk].(string); ok && secretKey(n) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if containsSecret(e) {
				return true
			}
		}
	case string:
		if doc, ok := parseJSONString(t); ok {
			return containsSecret(doc)
		}
	}
	return false
}

// sensitivePaths is the union of sensitive attribute paths of one
// comparison (applied, live, plan before). An array, so that building one
// per resource does not allocate.
type sensitivePaths [3][]string

// overlaps reports whether path equals, lies below or lies above one of the
// sensitive paths. List indexes are compared as wildcards, because set
// element order (and so the index) differs between applied and live.
func (s sensitivePaths) overlaps(path string) bool {
	if len(s[0])+len(s[1])+len(s[2]) == 0 {
		return false
	}
	np := wildIndexes(path)
	for _, list := range s {
		for _, p := range list {
			q := wildIndexes(p)
			if model.PathHasPrefix(np, q) || model.PathHasPrefix(q, np) {
				return true
			}
		}
	}
	return false
}

// wildIndexes rewrites every [n] of a path to [].
func wildIndexes(p string) string {
	if !strings.Contains(p, "[") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		b.WriteByte(p[i])
		if p[i] == '[' && i+1 < len(p) && p[i+1] >= '0' && p[i+1] <= '9' {
			for i+1 < len(p) && p[i+1] >= '0' && p[i+1] <= '9' {
				i++
			}
		}
	}
	return b.String()
}

// redactTags returns tags with the values of secret-looking keys replaced.
func redactTags(tags map[string]string, sens sensitivePaths) map[string]string {
	var out map[string]string
	for k := range tags {
		if secretKey(k) || sens.overlaps(model.JoinPath("tags", k)) {
			if out == nil {
				out = make(map[string]string, len(tags))
				for k2, v2 := range tags {
					out[k2] = v2
				}
			}
			out[k] = model.Redacted
		}
	}
	if out == nil {
		return tags
	}
	return out
}
