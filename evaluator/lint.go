package evaluator

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/loader"
)

// LintOptions configure Lint.
type LintOptions struct {
	// Builtin includes the built-in library.
	Builtin bool
	// Dirs are user policy folders (their tests included).
	Dirs []string
	// Frameworks are extra control framework prefixes accepted besides
	// KnownFrameworks (a company's own catalogue, e.g. ACME).
	Frameworks []string
}

// KnownFrameworks are the control framework prefixes policy lint accepts:
// a control is FRAMEWORK:CONTROL where FRAMEWORK is one of these, alone or
// followed by a version (CIS-AWS-2.0, PCI-DSS-4.0, NIST-800-53).
var KnownFrameworks = []string{"CIS-AWS", "CIS-GCP", "CIS-GKE", "CIS-K8S", "SOC2", "PCI-DSS", "NIST", "ISO-27001", "HIPAA", "GDPR", "FEDRAMP"}

// LintProblem is one problem found by Lint.
type LintProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

func (p LintProblem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
	if p.File != "" {
		return p.File + ": " + p.Message
	}
	return p.Message
}

// Lint checks policies beyond what loading requires: every load error
// (syntax, METADATA, duplicate ids, compile errors), plus a description,
// remediation and at least one control per policy, controls of a known
// framework, and at least one test rule per policy (a test_ rule in a
// _test.rego file whose package is the policy's package + "_test" or that
// refers to the policy's package). Problems are sorted by file and line.
func Lint(opts LintOptions) []LintProblem {
	src, err := loadSources(opts.Builtin, nil, true)
	if err != nil {
		return problemsOf(err)
	}
	// Each user file is parsed on its own, so that one syntax error does
	// not hide the problems of the other files.
	var out []LintProblem
	for _, dir := range opts.Dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != dir && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() || filepath.Ext(p) != ".rego" {
				return nil
			}
			bs, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			m, err := ast.ParseModuleWithOpts(p, string(bs), parserOptions)
			if err != nil {
				out = append(out, problemsOf(err)...)
				return nil
			}
			if isTestFile(p) {
				src.tests[p] = m
			} else {
				src.modules[p] = m
			}
			return nil
		})
		if err != nil {
			out = append(out, LintProblem{File: dir, Message: err.Error()})
		}
	}
	metas, err := collectPolicies(src.modules)
	if err != nil {
		out = append(out, problemsOf(err)...)
	}
	all := make(map[string]*ast.Module, len(src.modules)+len(src.tests))
	maps.Copy(all, src.modules)
	maps.Copy(all, src.tests)
	compiler := ast.NewCompiler().WithDefaultRegoVersion(ast.RegoV1).WithEnablePrintStatements(true)
	if compiler.Compile(all); compiler.Failed() {
		out = append(out, problemsOf(compiler.Errors)...)
	}

	frameworks := slices.Concat(KnownFrameworks, opts.Frameworks)
	tested := testedPackages(src.tests)
	for _, m := range metas {
		line := metaLine(src.modules, m)
		add := func(format string, args ...any) {
			out = append(out, LintProblem{File: m.File, Line: line, Message: fmt.Sprintf("policy %s: ", m.ID) + fmt.Sprintf(format, args...)})
		}
		if m.Description == "" {
			add("METADATA has no description")
		}
		if m.Remediation == "" {
			add("METADATA has no custom.remediation")
		}
		if len(m.Controls) == 0 {
			add("METADATA maps to no control (custom.controls: [FRAMEWORK:CONTROL, ...])")
		}
		for _, c := range m.Controls {
			if !knownControl(c, frameworks) {
				add("control %q is not FRAMEWORK:CONTROL with a known framework (%s)", c, strings.Join(frameworks, ", "))
			}
		}
		if !tested[m.Package] {
			add("has no test: add a test_ rule in a _test.rego file (package %s_test)", m.Package)
		}
		if len(m.InventoryTypes) == 0 && readsInventory(src.modules[m.File]) {
			add("reads the inventory (data.driftwarden.inventory, lib.inventory, lib.inventory_item) but declares no custom.inventory_types: it would be given none")
		}
	}
	slices.SortStableFunc(out, func(a, b LintProblem) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	return out
}

func knownControl(c string, frameworks []string) bool {
	fw, ctl, ok := strings.Cut(c, ":")
	if !ok || strings.TrimSpace(ctl) == "" {
		return false
	}
	for _, f := range frameworks {
		if fw == f {
			return true
		}
		if rest, ok := strings.CutPrefix(fw, f+"-"); ok && versionPattern.MatchString(rest) {
			return true
		}
	}
	return false
}

// versionPattern is what may follow a framework prefix: 2.0, 4.0, 800-53, 2022, v1.
var versionPattern = regexp.MustCompile(`^[vV]?[0-9][0-9A-Za-z.-]*$`)

// testedPackages returns the policy packages (without data.) that some
// test rule covers.
func testedPackages(tests map[string]*ast.Module) map[string]bool {
	out := map[string]bool{}
	for _, m := range tests {
		hasTest := false
		for _, r := range m.Rules {
			if strings.HasPrefix(r.Head.Name.String(), "test_") || strings.HasPrefix(r.Head.Ref().String(), "test_") {
				hasTest = true
				break
			}
		}
		if !hasTest {
			continue
		}
		pkg := strings.TrimPrefix(m.Package.Path.String(), "data.")
		if base, ok := strings.CutSuffix(pkg, "_test"); ok {
			out[base] = true
		}
		mark := func(ref ast.Ref) {
			if len(ref) == 0 || !ref[0].Equal(ast.DefaultRootDocument) {
				return
			}
			// data.a.b.c.deny covers a.b.c, and a.b.c itself.
			for i := 2; i <= len(ref); i++ {
				if s, err := ref[:i].Ptr(); err == nil {
					out[strings.ReplaceAll(strings.TrimPrefix(s, "/"), "/", ".")] = true
				}
			}
		}
		for _, imp := range m.Imports {
			if ref, ok := imp.Path.Value.(ast.Ref); ok {
				mark(ref)
			}
		}
		ast.WalkRefs(m, func(ref ast.Ref) bool {
			mark(ref)
			return false
		})
	}
	return out
}

// metaLine is the line of a policy's METADATA block.
// readsInventory reports whether a policy module refers to the inventory,
// directly or through the lib helpers.
func readsInventory(mod *ast.Module) bool {
	if mod == nil {
		return false
	}
	found := false
	ast.WalkRefs(mod, func(r ast.Ref) bool {
		switch s := r.String(); {
		case strings.HasPrefix(s, "data.driftwarden.inventory"),
			s == "lib.inventory", s == "lib.inventory_item",
			s == "data.driftwarden.lib.inventory", s == "data.driftwarden.lib.inventory_item":
			found = true
		}
		return found
	})
	return found
}

func metaLine(modules map[string]*ast.Module, m *policyMeta) int {
	mod := modules[m.File]
	if mod == nil {
		return 0
	}
	for _, a := range mod.Annotations {
		if a.Scope == "package" && a.Location != nil {
			return a.Location.Row
		}
	}
	return mod.Package.Location.Row
}

// fileLine matches "file:line: message" and "file:line:col: message".
var fileLine = regexp.MustCompile(`^(\S+?):(\d+)(?::\d+)?: (.*)$`)

// fileOnly matches "file.rego: message".
var fileOnly = regexp.MustCompile(`^(\S+\.rego): (.*)$`)

// problemsOf splits a load or compile error into problems.
func problemsOf(err error) []LintProblem {
	var errs []error
	queue := []error{err}
	for len(queue) > 0 {
		e := queue[0]
		queue = queue[1:]
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			queue = append(queue, j.Unwrap()...)
			continue
		}
		var lerrs loader.Errors
		if errors.As(e, &lerrs) && len(lerrs) > 0 {
			queue = append(queue, lerrs...)
			continue
		}
		var aerr *ast.Error
		if errors.As(e, &aerr) {
			p := LintProblem{Message: aerr.Message}
			if aerr.Location != nil {
				p.File, p.Line = aerr.Location.File, aerr.Location.Row
			}
			errs = append(errs, lintErr{p})
			continue
		}
		var aerrs ast.Errors
		if errors.As(e, &aerrs) && len(aerrs) > 0 {
			for _, ae := range aerrs {
				p := LintProblem{Message: ae.Message}
				if ae.Location != nil {
					p.File, p.Line = ae.Location.File, ae.Location.Row
				}
				errs = append(errs, lintErr{p})
			}
			continue
		}
		errs = append(errs, e)
	}
	out := make([]LintProblem, 0, len(errs))
	for _, e := range errs {
		if le, ok := e.(lintErr); ok {
			out = append(out, le.p)
			continue
		}
		msg := e.Error()
		if m := fileLine.FindStringSubmatch(msg); m != nil {
			var line int
			fmt.Sscan(m[2], &line)
			out = append(out, LintProblem{File: m[1], Line: line, Message: m[3]})
			continue
		}
		if m := fileOnly.FindStringSubmatch(msg); m != nil {
			out = append(out, LintProblem{File: m[1], Message: m[2]})
			continue
		}
		out = append(out, LintProblem{Message: msg})
	}
	return out
}

type lintErr struct{ p LintProblem }

func (l lintErr) Error() string { return l.p.String() }
