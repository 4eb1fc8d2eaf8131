package tfstate

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// expandFlatmap turns the legacy attributes_flat form of states upgraded
// from Terraform 0.11 ("tags.%": "1", "tags.Name": "x", "ingress.#": "1",
// "ingress.0.from_port": "22") into nested JSON. Lists are the keys with a
// ".#" count (elements in index order; sets with hash indexes keep the
// order of their hashes), maps the keys with a ".%" count. Without the
// provider schema leaf values stay strings, as the flatmap holds them.
func expandFlatmap(raw []byte) ([]byte, error) {
	var flat map[string]string
	if err := json.Unmarshal(raw, &flat); err != nil {
		return nil, fmt.Errorf("decoding flatmap: %w", err)
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
