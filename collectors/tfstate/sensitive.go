package tfstate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/driftwarden/driftwarden/model"
)

// sensitivePaths converts an instance's sensitive_attributes into model
// attribute paths (model.JoinPath / model.IndexPath form: password,
// tags.secret, ingress[0].cidr, tags["a.b"]).
//
// The form Terraform and OpenTofu write is a list of paths, each a list of
// steps {"type":"get_attr","value":"password"} or
// {"type":"index","value":{"value":0,"type":"number"}}. Also accepted, so
// that sensitivity is never silently dropped:
//   - steps given bare: "password" (an attribute or map key) or 0 (an index);
//   - index values given bare: {"type":"index","value":0};
//   - a flat list of steps instead of a list of paths, read so that it
//     marks at least what either reading would: each get_attr step starts a
//     path and index steps extend it;
//   - paths given as strings already in dotted form ("tags.secret");
//   - an index step keyed by a set element's whole value
//     ({"value":{"value":{...},"type":["object",...]}}) marks the set that
//     holds the element, since no path names the element itself.
//
// An empty path marks the whole object; it is returned as whole=true.
// Any other shape is an error rather than a guess.
func sensitivePaths(raw []byte) (paths []string, whole bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var top any
	if err := dec.Decode(&top); err != nil {
		return nil, false, err
	}
	list, ok := top.([]any)
	if !ok {
		if top == nil {
			return nil, false, nil
		}
		return nil, false, errors.New("expected a list of paths")
	}
	seen := map[string]bool{}
	add := func(p string) {
		if p == "" {
			whole = true
			return
		}
		if !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	}
	flat, cur := false, ""
	for i, e := range list {
		switch e := e.(type) {
		case []any:
			p := ""
			for j, st := range e {
				next, err := applyStep(p, st)
				if errors.Is(err, errCollectionKey) {
					break // the collection holding the element is marked
				}
				if err != nil {
					return nil, false, fmt.Errorf("path %d step %d: %w", i, j, err)
				}
				p = next
			}
			add(p)
		case string:
			add(e)
		case map[string]any:
			if t, _ := e["type"].(string); t == "get_attr" && flat {
				add(cur)
				cur = ""
			}
			flat = true
			next, err := applyStep(cur, e)
			if errors.Is(err, errCollectionKey) {
				continue // cur, the collection holding the element, is marked
			}
			if err != nil {
				return nil, false, fmt.Errorf("step %d: %w", i, err)
			}
			cur = next
		default:
			return nil, false, fmt.Errorf("path %d: expected a list of steps, found %v", i, e)
		}
	}
	if flat {
		add(cur)
	}
	return paths, whole, nil
}

// errCollectionKey is an index step whose key is a whole value (a set
// element): the path is cut there, marking the set as a whole.
var errCollectionKey = errors.New("index step keyed by a set element's value")

// applyStep appends one path step to p.
func applyStep(p string, step any) (string, error) {
	switch st := step.(type) {
	case string:
		return model.JoinPath(p, st), nil
	case json.Number:
		return indexStep(p, st)
	case map[string]any:
		typ, _ := st["type"].(string)
		v := st["value"]
		switch typ {
		case "get_attr":
			name, ok := v.(string)
			if !ok {
				return "", fmt.Errorf("get_attr step without a string value")
			}
			return model.JoinPath(p, name), nil
		case "index":
			if o, ok := v.(map[string]any); ok {
				v = o["value"]
			}
			switch k := v.(type) {
			case string:
				return model.JoinPath(p, k), nil
			case json.Number:
				return indexStep(p, k)
			case map[string]any, []any, bool:
				// A set element is indexed by its whole value, which no
				// attribute path can name.
				return "", errCollectionKey
			}
			return "", fmt.Errorf("index step with a key that is neither a number nor a string")
		}
		return "", fmt.Errorf("unknown step type %q", typ)
	}
	return "", fmt.Errorf("unknown step %v", step)
}

func indexStep(p string, n json.Number) (string, error) {
	i, err := strconv.Atoi(n.String())
	if err != nil || i < 0 {
		return "", fmt.Errorf("index %s is not a list index", n)
	}
	return model.IndexPath(p, i), nil
}
