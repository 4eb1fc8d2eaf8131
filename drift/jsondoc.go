package drift

import (
	"encoding/json"
	"net/url"
	"strings"
)

// parseJSONString decodes a string attribute that holds a JSON object or
// array (policy, assume_role_policy, container_definitions, ...). AWS
// Config hands IAM documents URL-encoded; those are decoded too. IAM-like
// documents (an object with a Statement) are canonicalised.
func parseJSONString(s string) (any, bool) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "%7B") || strings.HasPrefix(t, "%7b") || strings.HasPrefix(t, "%5B") || strings.HasPrefix(t, "%5b") {
		if u, err := url.QueryUnescape(t); err == nil {
			t = u
		}
	}
	if t == "" || (t[0] != '{' && t[0] != '[') {
		return nil, false
	}
	var v any
	if err := json.Unmarshal([]byte(t), &v); err != nil {
		return nil, false
	}
	return canonicalDoc(v), true
}

// canonicalDoc canonicalises an IAM policy document (identity, resource,
// trust, bucket, queue and topic policies share the grammar) so that
// equivalent documents compare equal:
//
//   - a single Statement object equals a one-element Statement list;
//   - Action, NotAction, Resource, NotResource, Principal and Condition
//     values that are scalars equal one-element lists; list order does not
//     matter (the engine compares lists order-insensitively inside JSON);
//   - actions are case-insensitive ("s3:getobject" == "s3:GetObject");
//   - Principal "*" equals {"AWS": "*"}, and a bare 12-digit account id
//     equals arn:aws:iam::<id>:root (IAM stores the latter);
//   - an absent Version equals "2008-10-17", IAM's default;
//   - an empty or absent Sid are equal (absence equals empty everywhere),
//     but a Sid that differs is reported: IAM keeps it verbatim.
//
// Other documents are returned unchanged.
func canonicalDoc(v any) any {
	doc, ok := v.(map[string]any)
	if !ok {
		return v
	}
	st, ok := doc["Statement"]
	if !ok {
		return v
	}
	out := make(map[string]any, len(doc))
	for k, e := range doc {
		out[k] = e
	}
	if _, ok := out["Version"]; !ok {
		out["Version"] = "2008-10-17"
	}
	stmts := asList(st)
	cs := make([]any, len(stmts))
	for i, s := range stmts {
		cs[i] = canonicalStatement(s)
	}
	out["Statement"] = cs
	return out
}

func canonicalStatement(v any) any {
	s, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(s))
	for k, e := range s {
		switch k {
		case "Action", "NotAction":
			l := asList(e)
			low := make([]any, len(l))
			for i, a := range l {
				if as, ok := a.(string); ok {
					low[i] = strings.ToLower(as)
				} else {
					low[i] = a
				}
			}
			out[k] = low
		case "Resource", "NotResource":
			out[k] = asList(e)
		case "Principal", "NotPrincipal":
			out[k] = canonicalPrincipal(e)
		case "Condition":
			out[k] = canonicalCondition(e)
		default:
			out[k] = e
		}
	}
	return out
}

func canonicalPrincipal(v any) any {
	if s, ok := v.(string); ok {
		return map[string]any{"AWS": []any{s}}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		l := asList(e)
		if k == "AWS" {
			c := make([]any, len(l))
			for i, p := range l {
				if ps, ok := p.(string); ok && isAccountID(ps) {
					c[i] = "arn:aws:iam::" + ps + ":root"
				} else {
					c[i] = p
				}
			}
			l = c
		}
		out[k] = l
	}
	return out
}

func canonicalCondition(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(m))
	for op, e := range m {
		inner, ok := e.(map[string]any)
		if !ok {
			out[op] = e
			continue
		}
		ci := make(map[string]any, len(inner))
		for k, x := range inner {
			ci[k] = asList(x)
		}
		out[op] = ci
	}
	return out
}

func asList(v any) []any {
	switch t := v.(type) {
	case []any:
		return t
	case nil:
		return nil
	}
	return []any{v}
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
