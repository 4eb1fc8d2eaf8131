package tfstate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// unknownFlatValue is the value Terraform 0.11 and older stored for a value
// not known yet (hcl2shim.UnknownVariableValue); it can stand for a count.
const unknownFlatValue = "74D93920-ED26-11E3-AC10-0800200C9A66"

// expandFlatmap turns the legacy attributes_flat form of states upgraded
// from Terraform 0.11 ("tags.%": "1", "tags.Name": "x", "ingress.#": "1",
// "ingress.0.from_port": "22") into nested JSON. Lists are the keys with a
// ".#" count (elements in index order; sets with hash indexes keep the
// order of their hashes), maps the keys with a ".%" count. Without the
// provider schema leaf values stay strings, as the flatmap holds them.
func expandFlatmap(raw []byte) ([]byte, error) {
	flat, err := decodeFlatmap(raw)
	if err != nil {
		return nil, err
	}
	return expandFlatAttrs(flat)
}

// decodeFlatmap reads a flatmap object: every value must be a string, or
// null, which reads as "" (as Terraform, decoding a map of strings, reads
// it).
func decodeFlatmap(raw []byte) (map[string]string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("decoding flatmap: %w", err)
	}
	if obj == nil {
		return map[string]string{}, nil
	}
	flat := make(map[string]string, len(obj))
	for k, v := range obj {
		var s string
		if isNull(v) {
			flat[k] = ""
			continue
		}
		if v[0] != '"' || json.Unmarshal(v, &s) != nil {
			return nil, fmt.Errorf("attribute %q: expected a string, found %s", k, jsonKind(v))
		}
		flat[k] = s
	}
	return flat, nil
}

// jsonKind names the kind of a JSON value for an error message, which
// never quotes the value itself (it could be a secret).
func jsonKind(v []byte) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "nothing"
	}
	switch c := v[0]; {
	case c == '"':
		return "a string"
	case c == '{':
		return "an object"
	case c == '[':
		return "a list"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	default:
		return "a number"
	}
}

// expandFlatAttrs expands a decoded flatmap into nested JSON. A count
// (".#" or ".%") must be a whole number, as Terraform requires when it
// reads the flatmap; it is not compared with the elements found, which
// Terraform does only with the schema at hand.
func expandFlatAttrs(flat map[string]string) ([]byte, error) {
	if err := checkFlatCounts(flat); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(flat))
	for k := range flat {
		name := k
		if i := strings.IndexByte(k, '.'); i >= 0 {
			name = k[:i]
		}
		if _, done := out[name]; !done {
			out[name] = expandFlat(flat, name)
		}
	}
	return json.Marshal(out)
}

// checkFlatCounts reports the first (in key order) count that is not a
// whole number nor the unknown-value marker.
func checkFlatCounts(flat map[string]string) error {
	var bad []string
	for k, v := range flat {
		if !strings.HasSuffix(k, ".#") && !strings.HasSuffix(k, ".%") {
			continue
		}
		if n, err := strconv.Atoi(v); (err != nil || n < 0) && v != unknownFlatValue {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("attribute %q: count %q is not a whole number", bad[0], flat[bad[0]])
}

func expandFlat(m map[string]string, k string) any {
	if v, ok := m[k]; ok {
		return v
	}
	if _, ok := m[k+".#"]; ok {
		return expandFlatList(m, k+".")
	}
	_, isMap := m[k+".%"]
	return expandFlatMap(m, k+".", isMap)
}

func expandFlatList(m map[string]string, prefix string) []any {
	seen := map[string]bool{}
	var idx []string
	for k := range m {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		seg := k[len(prefix):]
		if i := strings.IndexByte(seg, '.'); i >= 0 {
			seg = seg[:i]
		}
		if seg == "#" || seen[seg] {
			continue
		}
		seen[seg] = true
		idx = append(idx, seg)
	}
	sort.Slice(idx, func(i, j int) bool {
		a, errA := strconv.ParseInt(idx[i], 10, 64)
		b, errB := strconv.ParseInt(idx[j], 10, 64)
		if errA == nil && errB == nil {
			return a < b
		}
		return idx[i] < idx[j]
	})
	out := make([]any, 0, len(idx))
	for _, seg := range idx {
		out = append(out, expandFlat(m, prefix+seg))
	}
	return out
}

// expandFlatMap expands the keys under prefix into an object. In a map
// (isMap, a ".%" count) a leaf's whole remaining key is the map key, so
// keys holding dots (kubernetes.io/cluster/x) survive.
func expandFlatMap(m map[string]string, prefix string, isMap bool) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		rest := k[len(prefix):]
		if rest == "%" {
			continue
		}
		if isMap && !strings.HasSuffix(rest, ".#") && !strings.HasSuffix(rest, ".%") {
			if _, nested := m[prefix+firstSeg(rest)+".%"]; !nested {
				if _, nested := m[prefix+firstSeg(rest)+".#"]; !nested {
					out[rest] = v
					continue
				}
			}
		}
		seg := firstSeg(rest)
		if _, done := out[seg]; !done {
			out[seg] = expandFlat(m, prefix+seg)
		}
	}
	return out
}

func firstSeg(s string) string {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return s[:i]
	}
	return s
}

// upgradeFlatmapV2 rewrites, in place, the flatmap of a state format
// version 1 or 2 the way Terraform's upgrade to version 3 does: those
// formats counted maps with ".#" like lists, so a ".#" count whose element
// keys are not all integers becomes a ".%" count, and a ".#" count with no
// element keys at all is removed (an empty collection, of unknown kind).
func upgradeFlatmapV2(flat map[string]string) {
	var prefixes []string
	for k := range flat {
		if strings.HasSuffix(k, ".#") {
			prefixes = append(prefixes, k[:len(k)-1])
		}
	}
	sort.Strings(prefixes)
	for _, prefix := range prefixes {
		hasKeys, isMap := false, false
		for k := range flat {
			if !strings.HasPrefix(k, prefix) || k == prefix+"#" {
				continue
			}
			hasKeys = true
			seg := k[len(prefix):]
			if i := strings.IndexByte(seg, '.'); i > 0 {
				seg = seg[:i]
			}
			if _, err := strconv.Atoi(seg); err != nil {
				isMap = true
			}
		}
		count := prefix + "#"
		switch {
		case isMap:
			flat[prefix+"%"] = flat[count]
			delete(flat, count)
		case !hasKeys:
			delete(flat, count)
		}
	}
}
