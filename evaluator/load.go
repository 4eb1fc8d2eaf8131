package evaluator

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"
	"github.com/open-policy-agent/opa/v1/util"

	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/policies"
)

// BuiltinPrefix starts the file name of every built-in policy module
// (builtin/aws/s3_public_bucket.rego), in errors and in PolicyInfo.File.
const BuiltinPrefix = "builtin/"

// denyRule is the rule every policy package defines.
const denyRule = "deny"

var parserOptions = ast.ParserOptions{ProcessAnnotation: true, RegoVersion: ast.RegoV1}

// sources is everything read from the embedded library and the user folders
// before compilation.
type sources struct {
	modules map[string]*ast.Module // evaluation set (no _test.rego)
	tests   map[string]*ast.Module // _test.rego files, when asked for
	raw     map[string][]byte      // evaluation modules' text, for the revision
	data    map[string]any         // merged data documents
}

func isTestFile(name string) bool { return strings.HasSuffix(name, "_test.rego") }

// loadSources reads the built-in library (policies only when builtin; the
// lib/ helpers and data.json always) and the user folders. Test files are
// read only when withTests.
func loadSources(builtin bool, dirs []string, withTests bool) (*sources, error) {
	src := &sources{
		modules: map[string]*ast.Module{},
		tests:   map[string]*ast.Module{},
		raw:     map[string][]byte{},
		data:    map[string]any{},
	}
	if err := src.addBuiltin(builtin, withTests); err != nil {
		return nil, err
	}
	if len(dirs) > 0 {
		if err := src.addDirs(dirs, withTests); err != nil {
			return nil, err
		}
	}
	return src, nil
}

func (s *sources) addBuiltin(policiesToo, withTests bool) error {
	var errs []error
	err := fs.WalkDir(policies.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		bs, err := fs.ReadFile(policies.FS, p)
		if err != nil {
			return err
		}
		if p == "data.json" {
			var doc map[string]any
			if err := util.UnmarshalJSON(bs, &doc); err != nil {
				errs = append(errs, fmt.Errorf("%s%s: %w", BuiltinPrefix, p, err))
				return nil
			}
			s.data = deepMerge(s.data, doc)
			return nil
		}
		if path.Ext(p) != ".rego" {
			return nil
		}
		if !policiesToo && !strings.HasPrefix(p, "lib/") {
			return nil
		}
		test := isTestFile(p)
		if test && (!withTests || !policiesToo) {
			return nil // the lib tests run with the built-in policies only
		}
		name := BuiltinPrefix + p
		m, err := ast.ParseModuleWithOpts(name, string(bs), parserOptions)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		if test {
			s.tests[name] = m
		} else {
			s.modules[name] = m
			s.raw[name] = bs
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("loading built-in policies: %w", errors.Join(errs...))
	}
	return nil
}

func (s *sources) addDirs(dirs []string, withTests bool) error {
	filter := func(abspath string, info fs.FileInfo, depth int) bool {
		if depth > 0 && strings.HasPrefix(info.Name(), ".") {
			return true // .git, .manifest, editor files
		}
		return !info.IsDir() && !withTests && isTestFile(info.Name())
	}
	res, err := loader.NewFileLoader().
		WithProcessAnnotation(true).
		WithRegoVersion(ast.RegoV1).
		Filtered(dirs, filter)
	if err != nil {
		return fmt.Errorf("loading policies from %s: %w", strings.Join(dirs, ", "), err)
	}
	for _, f := range res.Modules {
		if strings.HasPrefix(f.Name, BuiltinPrefix) {
			return fmt.Errorf("loading policies from %s: file %s clashes with the built-in library's names", strings.Join(dirs, ", "), f.Name)
		}
		if isTestFile(f.Name) {
			s.tests[f.Name] = f.Parsed
			continue
		}
		s.modules[f.Name] = f.Parsed
		s.raw[f.Name] = f.Raw
	}
	s.data = deepMerge(s.data, res.Documents)
	return nil
}

// revision hashes the evaluation modules and the effective data.
func (s *sources) revision(data map[string]any) (string, error) {
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(s.raw)) {
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(s.raw[name]))
		h.Write(s.raw[name])
	}
	bs, err := json.Marshal(data) // map keys are sorted: deterministic
	if err != nil {
		return "", fmt.Errorf("hashing policy data: %w", err)
	}
	h.Write(bs)
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// configData returns the data document with over merged at
// data.driftwarden.config.
func configData(base map[string]any, over map[string]any) (map[string]any, error) {
	data := deepMerge(nil, base)
	if len(over) == 0 {
		return data, nil
	}
	// Normalise the user's values to JSON types (ints, typed slices, structs).
	var norm map[string]any
	bs, err := json.Marshal(over)
	if err != nil {
		return nil, fmt.Errorf("encoding policy data: %w", err)
	}
	if err := util.UnmarshalJSON(bs, &norm); err != nil {
		return nil, fmt.Errorf("decoding policy data: %w", err)
	}
	return deepMerge(data, map[string]any{"driftwarden": map[string]any{"config": norm}}), nil
}

// deepMerge returns dst with src merged over it: objects merge key by key,
// anything else in src replaces what dst holds. dst's maps are copied, never
// modified.
func deepMerge(dst, src map[string]any) map[string]any {
	out := make(map[string]any, len(dst)+len(src))
	maps.Copy(out, dst)
	for k, v := range src {
		sm, sok := v.(map[string]any)
		dm, dok := out[k].(map[string]any)
		if sok && dok {
			out[k] = deepMerge(dm, sm)
		} else if sok {
			out[k] = deepMerge(nil, sm)
		} else {
			out[k] = v
		}
	}
	return out
}

var (
	idPattern      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	controlPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*:\S+$`)
	// resourceTypePattern is a Terraform resource type: provider_name.
	resourceTypePattern = regexp.MustCompile(`^[a-z][a-z0-9]*_[a-z0-9_]*[a-z0-9]$`)
)

// policyMeta is a policy as described by its METADATA block.
type policyMeta struct {
	PolicyInfo
	path ast.Ref // data.<package>
}

// collectPolicies finds the policy packages (those with a deny rule) among
// the evaluation modules and validates their METADATA. Packages without a
// deny rule and without a policy id are helpers and need no METADATA.
func collectPolicies(modules map[string]*ast.Module) ([]*policyMeta, error) {
	type pkgInfo struct {
		path    ast.Ref
		files   []string
		deny    []*ast.Rule
		pkgAnn  []*ast.Annotations
		ruleAnn *ast.Annotations
	}
	pkgs := map[string]*pkgInfo{}
	for _, name := range slices.Sorted(maps.Keys(modules)) {
		m := modules[name]
		key := m.Package.Path.String()
		p := pkgs[key]
		if p == nil {
			p = &pkgInfo{path: m.Package.Path}
			pkgs[key] = p
		}
		p.files = append(p.files, name)
		for _, r := range m.Rules {
			if ref := r.Head.Ref(); len(ref) > 0 && ref[0].Equal(ast.VarTerm(denyRule)) {
				p.deny = append(p.deny, r)
			}
		}
		for _, a := range m.Annotations {
			switch a.Scope {
			case "package":
				p.pkgAnn = append(p.pkgAnn, a)
			case "rule", "document":
				if p.ruleAnn == nil && a.Custom["id"] != nil {
					p.ruleAnn = a
				}
			}
		}
	}

	var (
		errs   []error
		out    []*policyMeta
		byID   = map[string]*policyMeta{}
		pkgErr = func(p *pkgInfo, file, format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s: package %s: %s", file, strings.TrimPrefix(p.path.String(), "data."), fmt.Sprintf(format, args...)))
		}
	)
	// Built-in packages first, so that a user policy reusing a built-in id
	// is the one reported.
	keys := slices.Sorted(maps.Keys(pkgs))
	slices.SortStableFunc(keys, func(a, b string) int {
		ab, bb := strings.HasPrefix(pkgs[a].files[0], BuiltinPrefix), strings.HasPrefix(pkgs[b].files[0], BuiltinPrefix)
		switch {
		case ab && !bb:
			return -1
		case bb && !ab:
			return 1
		}
		return 0
	})
	for _, key := range keys {
		p := pkgs[key]
		var ann *ast.Annotations
		if len(p.pkgAnn) > 0 {
			ann = p.pkgAnn[0]
		}
		if ann == nil || ann.Custom["id"] == nil {
			switch {
			case len(p.deny) == 0:
				continue // a helper package
			case p.ruleAnn != nil:
				pkgErr(p, locString(p.ruleAnn.Location), "the policy's METADATA must sit above the package declaration (package scope), not above a rule")
			case ann == nil:
				pkgErr(p, p.files[0], "defines %s but has no METADATA block above its package declaration", denyRule)
			default:
				pkgErr(p, locString(ann.Location), "METADATA has no custom.id")
			}
			continue
		}
		file := ann.Location.File
		if len(p.deny) == 0 {
			pkgErr(p, locString(ann.Location), "declares policy %v but has no %s rule", ann.Custom["id"], denyRule)
			continue
		}
		for _, r := range p.deny {
			if len(r.Head.Ref()) != 1 || r.Head.RuleKind() != ast.MultiValue {
				pkgErr(p, locString(r.Location), "%s must be a partial set rule (deny contains result if { ... })", denyRule)
			}
		}
		meta, problems := parseMeta(ann)
		if len(problems) > 0 {
			pkgErr(p, locString(ann.Location), "invalid METADATA: %s", strings.Join(problems, "; "))
			continue
		}
		meta.File = file
		meta.Package = strings.TrimPrefix(p.path.String(), "data.")
		meta.Builtin = strings.HasPrefix(file, BuiltinPrefix)
		meta.path = p.path
		if prev := byID[meta.ID]; prev != nil {
			pkgErr(p, file, "policy id %s is already used by package %s in %s", meta.ID, prev.Package, prev.File)
			continue
		}
		byID[meta.ID] = meta
		out = append(out, meta)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	// The valid policies are returned with the errors (policy lint checks them).
	return out, errors.Join(errs...)
}

func locString(l *ast.Location) string {
	if l == nil {
		return "?"
	}
	return fmt.Sprintf("%s:%d", l.File, l.Row)
}

// parseMeta reads a package's METADATA; problems lists what is wrong.
func parseMeta(a *ast.Annotations) (*policyMeta, []string) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	m := &policyMeta{PolicyInfo: PolicyInfo{Title: strings.TrimSpace(a.Title), Description: strings.TrimSpace(a.Description)}}
	if m.Title == "" {
		bad("title is missing")
	}
	c := a.Custom
	str := func(key string, required bool) string {
		v, ok := c[key]
		if !ok || v == nil {
			if required {
				bad("custom.%s is missing", key)
			}
			return ""
		}
		s, ok := v.(string)
		if !ok {
			bad("custom.%s must be a string, not %T", key, v)
		}
		return strings.TrimSpace(s)
	}
	list := func(key string) []string {
		v, ok := c[key]
		if !ok || v == nil {
			return nil
		}
		items, ok := v.([]any)
		if !ok {
			bad("custom.%s must be a list of strings", key)
			return nil
		}
		out := make([]string, 0, len(items))
		for _, it := range items {
			s, ok := it.(string)
			if !ok || strings.TrimSpace(s) == "" {
				bad("custom.%s must be a list of non-empty strings, found %v", key, it)
				continue
			}
			out = append(out, strings.TrimSpace(s))
		}
		return out
	}

	if m.ID = str("id", true); m.ID != "" && !idPattern.MatchString(m.ID) {
		bad("custom.id %q must be letters, digits, '.', '_' or '-'", m.ID)
	}
	if s := str("severity", true); s != "" {
		sev, ok := model.ParseSeverity(s)
		if !ok {
			bad("custom.severity %q is not one of %v", s, model.Severities)
		}
		m.Severity, m.DefaultSeverity = sev, sev
	}
	if s := str("input", true); s != "" {
		switch k := model.SubjectKind(strings.ToLower(s)); k {
		case model.SubjectResource, model.SubjectDrift, model.SubjectEvent, model.SubjectPlan:
			m.Input = k
		default:
			bad("custom.input %q is not one of resource, drift, event, plan", s)
		}
	}
	m.Remediation = str("remediation", false)
	m.Controls = list("controls")
	for _, ctl := range m.Controls {
		if !controlPattern.MatchString(ctl) {
			bad("control %q is not FRAMEWORK:CONTROL (e.g. CIS-AWS-2.0:5.2)", ctl)
		}
	}
	m.ResourceTypes = list("resource_types")
	m.InventoryTypes = list("inventory_types")
	for _, t := range m.InventoryTypes {
		if !resourceTypePattern.MatchString(t) {
			bad("custom.inventory_types: %q is not a resource type (provider_type, e.g. aws_s3_account_public_access_block)", t)
		}
	}
	if len(m.InventoryTypes) > 0 && m.Input != "" && m.Input != model.SubjectResource {
		bad("custom.inventory_types applies to input: resource policies only, not %s", m.Input)
	}
	if v, ok := c["inventory_types"]; ok && v == nil {
		bad("custom.inventory_types must be a list of resource types")
	}
	return m, problems
}
