package drift

import (
	"fmt"
	"strings"
	"time"

	"github.com/driftwarden/driftwarden/model"
)

// IgnoreRule hides drift the user accepts, like a .driftignore line, with a
// reason and an optional expiry.
type IgnoreRule struct {
	// Resource is a glob (* is any run of characters, ? one character)
	// matched against the resource's address (module.legacy.*), its
	// "type.name" without modules and index (aws_instance.web), its type
	// (aws_instance), its canonical id (arn:aws:s3:::tmp-*) and its native id.
	Resource string
	// Attributes are attribute path globs (user_data, tags.LastScanned,
	// ingress[*].description, tags.Last*); a path also ignores everything
	// below it. Empty means the whole resource: no drift of any kind is
	// reported for it.
	Attributes []string
	// Reason says why the drift is accepted (shown in reports).
	Reason string
	// Expires is when the rule stops applying; zero means never. An expired
	// rule no longer hides anything and is reported in Result.Warnings.
	Expires time.Time
}

// compiledRule is an active IgnoreRule.
type compiledRule struct {
	IgnoreRule
	n     int // position in Options.Ignore, for messages
	paths []string
	hits  int
}

// compileRules keeps the rules that are valid and not expired, and returns a
// warning for each other one.
func compileRules(rules []IgnoreRule, now time.Time) ([]*compiledRule, []string) {
	var out []*compiledRule
	var warn []string
	for i, r := range rules {
		name := ruleName(i, r)
		switch {
		case strings.TrimSpace(r.Resource) == "":
			warn = append(warn, name+": empty resource pattern; rule not applied")
			continue
		case !r.Expires.IsZero() && !now.Before(r.Expires):
			warn = append(warn, fmt.Sprintf("%s expired on %s; it no longer hides drift", name, r.Expires.UTC().Format(time.RFC3339)))
			continue
		}
		if _, err := compileFilter(r.Attributes); err != nil {
			warn = append(warn, fmt.Sprintf("%s: %v; rule not applied", name, err))
			continue
		}
		out = append(out, &compiledRule{IgnoreRule: r, n: i, paths: r.Attributes})
	}
	return out, warn
}

func ruleName(i int, r IgnoreRule) string {
	s := fmt.Sprintf("ignore rule %d (resource %q", i+1, r.Resource)
	if r.Reason != "" {
		s += fmt.Sprintf(", reason %q", r.Reason)
	}
	return s + ")"
}

// matches reports whether the rule's resource pattern names r.
func (c *compiledRule) matches(r *model.Resource) bool {
	p := c.Resource
	if r.Address != "" && (globMatch(p, r.Address) || globMatch(p, typeName(r.Address))) {
		return true
	}
	return (r.Type != "" && globMatch(p, r.Type)) ||
		(r.ID != "" && globMatch(p, r.ID)) ||
		(r.NativeID != "" && globMatch(p, r.NativeID))
}

// typeName strips module path and instance key from an address:
// module.a["x"].aws_instance.web[0] -> aws_instance.web.
func typeName(addr string) string {
	if strings.HasSuffix(addr, "]") {
		if i := strings.LastIndexByte(addr, '['); i > 0 {
			addr = addr[:i]
		}
	}
	last := strings.LastIndexByte(addr, '.')
	if last <= 0 {
		return addr
	}
	if prev := strings.LastIndexByte(addr[:last], '.'); prev >= 0 {
		return addr[prev+1:]
	}
	return addr
}

// ruleSet is the outcome of the ignore rules for one resource.
type ruleSet struct {
	whole bool            // the whole resource is ignored
	rules []*compiledRule // attribute rules that apply
}

func (c *comparer) rulesFor(r *model.Resource) ruleSet {
	var rs ruleSet
	for _, rule := range c.rules {
		if !rule.matches(r) {
			continue
		}
		rule.hits++
		if len(rule.paths) == 0 {
			rs.whole = true
			continue
		}
		rs.rules = append(rs.rules, rule)
	}
	return rs
}

// filterFor returns the compiled ignored paths of a resource: global and
// per-type defaults plus the user's attribute rules, cached per type and
// rule combination.
func (c *comparer) filterFor(typ string, rs ruleSet) *filter {
	key := filterKey{typ: typ}
	cacheable := true
	for _, r := range rs.rules {
		if r.n >= 64 {
			cacheable = false
			break
		}
		key.mask |= 1 << uint(r.n)
	}
	if cacheable {
		if f, ok := c.filters[key]; ok {
			return f
		}
	}
	lists := [][]string{globalComputed, typeComputed[typ]}
	for _, r := range rs.rules {
		lists = append(lists, r.paths)
	}
	f, err := compileFilter(lists...)
	if err != nil { // defaults and rules were validated; keep going without
		c.warn(fmt.Sprintf("compiling ignored paths for %s: %v", typ, err))
		f = nil
	}
	if cacheable {
		c.filters[key] = f
	}
	return f
}

type filterKey struct {
	typ  string
	mask uint64
}
