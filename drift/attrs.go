package drift

import (
	"sort"

	"github.com/driftwarden/driftwarden/model"
)

// diffAttrs compares the attributes of one resource. With partial set, only
// attributes present on the live side are compared (an absent key means
// "not observed"). s is the resource type's schema (nil when unknown), f the
// ignored paths (per-type defaults and the user's rules). The result is
// sorted by path; it is nil, and nothing is allocated, when they are equal.
func diffAttrs(applied, live map[string]any, partial bool, s *node, f *filter, sens sensitivePaths) []model.Diff {
	d := differ{sens: sens}
	shared := 0 // keys of live also in applied
	for k, av := range applied {
		bv, ok := live[k]
		if ok {
			shared++
		}
		if isTagKey(k) {
			continue
		}
		cf := f.key(k)
		cs := s.child(k)
		if cf.stopped() || skipAttr(cs, av) {
			continue
		}
		if !ok {
			if partial || isEmpty(av) {
				continue
			}
		} else if equal(av, bv, cs, cf) {
			continue
		}
		d.diff(model.JoinPath("", k), av, bv, cs, cf, secretKey(k))
	}
	if shared < len(live) {
		// Only when live has keys that applied lacks: saves a lookup per key.
		for k, bv := range live {
			if _, ok := applied[k]; ok || isTagKey(k) {
				continue
			}
			cf := f.key(k)
			cs := s.child(k)
			if cf.stopped() || skipAttr(cs, nil) || isEmpty(bv) {
				continue
			}
			d.diff(model.JoinPath("", k), nil, bv, cs, cf, secretKey(k))
		}
	}
	for _, g := range tagGroups {
		d.diffTags(g.report, pick(applied, g.applied), pick(live, g.live), partial, tagFilter(f, g.report, g.applied))
	}
	if len(d.out) > 1 {
		sort.Slice(d.out, func(i, j int) bool { return d.out[i].Path < d.out[j].Path })
	}
	return d.out
}

func isTagKey(k string) bool {
	switch k {
	case "tags", "tags_all", "labels", "effective_labels", "terraform_labels":
		return true
	}
	return false
}

// pick returns the first of keys present with a map value, and whether any was.
func pick(attrs map[string]any, keys []string) tagSide {
	for _, k := range keys {
		if v, ok := attrs[k]; ok && v != nil {
			m, _ := v.(map[string]any)
			return tagSide{m: m, present: true}
		}
	}
	return tagSide{}
}

type tagSide struct {
	m       map[string]any
	present bool
}

func tagFilter(f *filter, report string, keys []string) *filter {
	out := f.key(report)
	for _, k := range keys {
		if k != report {
			out = merge(out, f.key(k))
		}
	}
	return out
}

// diffTags compares tag or label maps key by key. Unlike other maps, a key
// present with an empty value differs from an absent key: an empty tag is
// still a tag.
func (d *differ) diffTags(report string, a, b tagSide, partial bool, f *filter) {
	if f.stopped() || (!a.present && !b.present) || (partial && !b.present) {
		return
	}
	for k, av := range a.m {
		cf := f.key(k)
		if cf.stopped() {
			continue
		}
		bv, ok := b.m[k]
		if ok && equal(av, bv, nil, cf) {
			continue
		}
		d.leaf(model.JoinPath(report, k), av, bv, secretKey(k))
	}
	for k, bv := range b.m {
		if _, ok := a.m[k]; ok || f.key(k).stopped() {
			continue
		}
		d.leaf(model.JoinPath(report, k), nil, bv, secretKey(k))
	}
}
