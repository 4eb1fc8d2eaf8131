// Package ownership decides which team owns a resource, and explains why.
//
// Rules are tried in a fixed order and the first that names a team decides:
//
//  1. a tag or label of the resource (configurable keys, e.g. team, owner);
//  2. the owner of its stack (a stacks: pattern, else its state source's owner);
//  3. path and pattern rules (Terraform address, module path, account or
//     project, resource type, stack), first match wins;
//  4. the CODEOWNERS file of the Terraform repository, matched against the
//     source directory of the resource's module (from .terraform/modules/modules.json);
//  5. the default team.
//
// The same Resolver serves findings (alerts, metrics, reports) and the
// `driftwarden owners explain` command.
package ownership

import (
	"fmt"
	"path"
	"strings"

	"github.com/driftwarden/driftwarden/model"
)

// Rule kinds, as shown by Explain.
const (
	KindTag        = "tag"
	KindStack      = "stack"
	KindRule       = "rule"
	KindCodeowners = "codeowners"
	KindDefault    = "default"
)

// StackOwner assigns an owner to the stacks whose name matches Pattern (a glob).
type StackOwner struct {
	Pattern string
	Owner   string
}

// Match selects resources; empty fields match anything, patterns are globs
// (`*` within a segment, `**` across segments of an address or path).
type Match struct {
	Address string // Terraform address, e.g. module.net.* or aws_s3_bucket.*
	Module  string // module path: "net", "net.sub" (address without the resource part)
	Account string // AWS account id
	Project string // GCP project (the resource's account)
	Type    string // resource type
	Stack   string
}

// Rule is a path/pattern rule.
type Rule struct {
	Match Match
	Team  string
}

// Config configures a Resolver.
type Config struct {
	// TagKeys are the tag/label keys naming a team, in order (default team, owner).
	TagKeys []string
	// Stacks are per-stack-name owners, first match wins; before SourceOwners.
	Stacks []StackOwner
	// SourceOwners maps a state source name to its owner (states[].owner).
	SourceOwners map[string]string
	Rules        []Rule
	// Codeowners is the parsed CODEOWNERS file (nil: none).
	Codeowners *Codeowners
	// Modules maps a module key (net, net.sub) to its directory in the
	// repository (from modules.json); nil: none.
	Modules map[string]string
	Default string
}

// Resolver resolves owners. It is safe for concurrent use.
type Resolver struct {
	cfg Config
}

// New returns a Resolver.
func New(cfg Config) *Resolver {
	if len(cfg.TagKeys) == 0 {
		cfg.TagKeys = []string{"team", "owner"}
	}
	return &Resolver{cfg: cfg}
}

// Candidate is one rule considered for a resource.
type Candidate struct {
	Kind    string `json:"kind"`
	Detail  string `json:"detail"`
	Team    string `json:"team,omitempty"`
	Decided bool   `json:"decided"`
}

// Decision is the owner of a resource and how it was found.
type Decision struct {
	Team string `json:"team"`
	// Kind is the kind of rule that decided ("" when none did).
	Kind   string      `json:"kind"`
	Detail string      `json:"detail"`
	Chain  []Candidate `json:"chain"`
}

// Team returns the owning team of r ("" when no rule and no default names one);
// source is the name of the state source r's stack came from ("" if none).
func (r *Resolver) Team(res model.Resource, source string) string {
	return r.resolve(res, source, false).Team
}

// Explain resolves like Team and returns every candidate considered, in
// order, up to and including the one that decided.
func (r *Resolver) Explain(res model.Resource, source string) Decision {
	return r.resolve(res, source, true)
}

func (r *Resolver) resolve(res model.Resource, source string, explain bool) Decision {
	var d Decision
	add := func(kind, detail, team string, decided bool) bool {
		if explain {
			d.Chain = append(d.Chain, Candidate{Kind: kind, Detail: detail, Team: team, Decided: decided})
		}
		if decided {
			d.Team, d.Kind, d.Detail = team, kind, detail
		}
		return decided
	}
	// 1. Tags and labels.
	for _, k := range r.cfg.TagKeys {
		v := strings.TrimSpace(res.Tags[k])
		if add(KindTag, fmt.Sprintf("tag %q", k), v, v != "") {
			return d
		}
	}
	// 2. The stack's owner.
	if res.Stack != "" {
		for _, s := range r.cfg.Stacks {
			ok := globMatch(s.Pattern, res.Stack)
			if ok || explain {
				if add(KindStack, fmt.Sprintf("stacks pattern %q for stack %q", s.Pattern, res.Stack), s.Owner, ok && s.Owner != "") {
					return d
				}
			}
		}
		if o := r.cfg.SourceOwners[source]; source != "" {
			if add(KindStack, fmt.Sprintf("owner of state source %q (stack %q)", source, res.Stack), o, o != "") {
				return d
			}
		}
	} else {
		add(KindStack, "no stack (unmanaged resource)", "", false)
	}
	// 3. Path and pattern rules.
	mod := ModulePath(res.Address)
	for i, rule := range r.cfg.Rules {
		ok := rule.Match.matches(res, mod)
		if ok || explain {
			if add(KindRule, fmt.Sprintf("rules[%d] %s", i, rule.Match), rule.Team, ok) {
				return d
			}
		}
	}
	// 4. CODEOWNERS of the module's source directory.
	if co := r.cfg.Codeowners; co != nil {
		dir, how := r.moduleDir(mod)
		switch {
		case res.Address == "":
			add(KindCodeowners, "not managed by Terraform: no module source to match", "", false)
		case how != "":
			add(KindCodeowners, how, "", false)
		default:
			team, line, pattern := co.Owner(dir)
			label := dir
			if label == "" {
				label = "(repository root)"
			}
			if team != "" {
				add(KindCodeowners, fmt.Sprintf("%s line %d %q matches module directory %s", co.File, line, pattern, label), team, true)
				return d
			}
			add(KindCodeowners, fmt.Sprintf("%s: no pattern matches module directory %s", co.File, label), "", false)
		}
	}
	// 5. Default.
	add(KindDefault, "default team", r.cfg.Default, r.cfg.Default != "")
	return d
}

// moduleDir maps a module path to its repository directory; how explains
// why it could not.
func (r *Resolver) moduleDir(mod string) (dir, how string) {
	if mod == "" {
		return "", "" // the root module: the repository root
	}
	if r.cfg.Modules == nil {
		return "", "module " + mod + ": no modules.json configured"
	}
	dir, ok := r.cfg.Modules[mod]
	if !ok {
		return "", "module " + mod + " is not in modules.json"
	}
	if strings.HasPrefix(dir, ".terraform/") {
		return "", "module " + mod + " comes from a registry or remote source (" + dir + "), not from the repository"
	}
	return dir, ""
}

func (m Match) matches(r model.Resource, mod string) bool {
	return (m.Address == "" || (r.Address != "" && globMatch(m.Address, stripIndexes(r.Address)) || globMatch(m.Address, r.Address))) &&
		(m.Module == "" || (mod != "" && globMatch(m.Module, mod))) &&
		(m.Account == "" || globMatch(m.Account, r.Account)) &&
		(m.Project == "" || globMatch(m.Project, r.Account)) &&
		(m.Type == "" || globMatch(m.Type, r.Type)) &&
		(m.Stack == "" || globMatch(m.Stack, r.Stack))
}

func (m Match) String() string {
	var parts []string
	for _, kv := range [][2]string{{"address", m.Address}, {"module", m.Module}, {"account", m.Account},
		{"project", m.Project}, {"type", m.Type}, {"stack", m.Stack}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// ModulePath returns the module key of a Terraform address in modules.json
// form: module.net.module.sub["a"].aws_x.y -> "net.sub"; "" for the root module.
func ModulePath(address string) string {
	var mods []string
	rest := address
	for strings.HasPrefix(rest, "module.") {
		rest = rest[len("module."):]
		end := strings.IndexAny(rest, ".[")
		if end < 0 {
			break
		}
		mods = append(mods, rest[:end])
		rest = rest[end:]
		if strings.HasPrefix(rest, "[") {
			if j := closingBracket(rest); j > 0 {
				rest = rest[j+1:]
			}
		}
		rest = strings.TrimPrefix(rest, ".")
	}
	return strings.Join(mods, ".")
}

func closingBracket(s string) int {
	inStr := false
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '"' && s[i-1] != '\\':
			inStr = !inStr
		case s[i] == ']' && !inStr:
			return i
		}
	}
	return -1
}

// stripIndexes removes instance keys: module.a["x"].b.c[0] -> module.a.b.c.
func stripIndexes(addr string) string {
	var b strings.Builder
	for i := 0; i < len(addr); i++ {
		if addr[i] == '[' {
			if j := closingBracket(addr[i:]); j > 0 {
				i += j
				continue
			}
		}
		b.WriteByte(addr[i])
	}
	return b.String()
}

// globMatch matches dotted or slashed names: `*` stays within a segment
// (path.Match semantics on each side of . or /), `**` spans segments.
func globMatch(pattern, name string) bool {
	if pattern == "" {
		return name == ""
	}
	if pattern == "*" || pattern == "**" {
		return true
	}
	if !strings.Contains(pattern, "**") {
		ok, _ := path.Match(strings.ReplaceAll(pattern, ".", "/"), strings.ReplaceAll(name, ".", "/"))
		return ok
	}
	return segMatch(splitSegs(pattern), splitSegs(name))
}

func splitSegs(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '/' })
}

func segMatch(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(name); i++ {
				if segMatch(pat[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}
