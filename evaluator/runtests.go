package evaluator

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestOptions configure RunTests.
type TestOptions struct {
	// Builtin includes the built-in policies and their tests.
	Builtin bool
	// Dirs are user policy folders; their *_test.rego files run too.
	Dirs []string
	// Verbose prints every test; otherwise only failures and errors.
	Verbose bool
	// Out receives the report; nil discards it.
	Out io.Writer
	// Timeout bounds each test; 0 means 5s (OPA's default).
	Timeout time.Duration
	// Coverage records which lines of the policy modules (not the tests)
	// the tests evaluated; the result is TestSummary.Coverage.
	Coverage bool
}

// TestSummary counts test outcomes.
type TestSummary struct {
	Pass, Fail, Error, Skip int
	// Coverage is set when TestOptions.Coverage is: per policy module
	// (built-in files start with BuiltinPrefix), and overall.
	Coverage *cover.Report
}

// Total is the number of tests found.
func (s TestSummary) Total() int { return s.Pass + s.Fail + s.Error + s.Skip }

// OK reports whether no test failed or errored.
func (s TestSummary) OK() bool { return s.Fail == 0 && s.Error == 0 }

// RunTests runs the test_* rules of every *_test.rego file with OPA's
// tester, printing PASS/FAIL lines like `opa test`. Tests see the same
// data.driftwarden.config defaults as policies do (no user overrides, so
// results do not depend on a deployment's configuration). A file that does
// not parse or compile, or a policy with invalid METADATA, is an error
// naming the file and line; failing tests are only counted.
func RunTests(ctx context.Context, opts TestOptions) (TestSummary, error) {
	var sum TestSummary
	src, err := loadSources(opts.Builtin, opts.Dirs, true)
	if err != nil {
		return sum, err
	}
	if _, err := collectPolicies(src.modules); err != nil {
		return sum, fmt.Errorf("checking policy metadata: %w", err)
	}
	data, err := configData(src.data, nil)
	if err != nil {
		return sum, err
	}
	return runTests(ctx, src, data, opts)
}

// runTests runs the tests of loaded sources with data as the data document.
func runTests(ctx context.Context, src *sources, data map[string]any, opts TestOptions) (TestSummary, error) {
	var sum TestSummary
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	modules := make(map[string]*ast.Module, len(src.modules)+len(src.tests))
	for name, m := range src.modules {
		modules[name] = m
	}
	for name, m := range src.tests {
		modules[name] = m
	}
	store := inmem.NewFromObject(data)
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return sum, fmt.Errorf("opening the test data transaction: %w", err)
	}
	defer store.Abort(ctx, txn)

	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	compiler := ast.NewCompiler().
		WithDefaultRegoVersion(ast.RegoV1).
		WithEnablePrintStatements(true)
	runner := tester.NewRunner().
		SetCompiler(compiler).
		SetStore(store).
		SetModules(modules).
		CapturePrintOutput(true).
		RaiseBuiltinErrors(true).
		SetTimeout(timeout)
	var cov *cover.Cover
	if opts.Coverage {
		cov = cover.New()
		runner = runner.SetCoverageQueryTracer(cov)
	}
	ch, err := runner.RunTests(ctx, txn)
	if err != nil {
		return sum, fmt.Errorf("compiling policy tests: %w", err)
	}
	var results []*tester.Result
	for r := range ch {
		results = append(results, r)
	}
	slices.SortFunc(results, func(a, b *tester.Result) int {
		return cmp.Or(
			cmp.Compare(fileOf(a), fileOf(b)),
			cmp.Compare(rowOf(a), rowOf(b)),
			cmp.Compare(a.Name, b.Name),
		)
	})

	if cov != nil {
		rep := cov.Report(src.modules)
		// Coverage is about the policies: leave the tests themselves out.
		rep.CoveredLines, rep.NotCoveredLines = 0, 0
		for name, f := range rep.Files {
			// Without the built-in tests, the always-loaded lib is not theirs to cover.
			if _, ok := src.modules[name]; !ok || (!opts.Builtin && strings.HasPrefix(name, BuiltinPrefix)) {
				delete(rep.Files, name)
				continue
			}
			rep.CoveredLines += f.CoveredLines
			rep.NotCoveredLines += f.NotCoveredLines
		}
		rep.Coverage = 0
		if total := rep.CoveredLines + rep.NotCoveredLines; total > 0 {
			rep.Coverage = math.Round(10000*float64(rep.CoveredLines)/float64(total)) / 100
		}
		sum.Coverage = &rep
	}

	lastFile := ""
	for _, r := range results {
		switch {
		case r.Skip:
			sum.Skip++
		case r.Error != nil:
			sum.Error++
		case r.Fail:
			sum.Fail++
		default:
			sum.Pass++
		}
		if !opts.Verbose && (r.Pass() || r.Skip) {
			continue
		}
		if f := fileOf(r); f != lastFile {
			if lastFile != "" {
				fmt.Fprintln(out)
			}
			fmt.Fprintf(out, "%s:\n", f)
			lastFile = f
		}
		fmt.Fprintf(out, "%s.%s: %s", r.Package, r.Name, outcome(r))
		if !r.Skip {
			fmt.Fprintf(out, " (%s)", r.Duration.Round(time.Microsecond))
		}
		if r.Location != nil && !r.Pass() && !r.Skip {
			fmt.Fprintf(out, " at %s:%d", r.Location.File, r.Location.Row)
		}
		fmt.Fprintln(out)
		if r.Error != nil {
			fmt.Fprintf(out, "  %s\n", strings.ReplaceAll(r.Error.Error(), "\n", "\n  "))
		}
		if len(r.Output) > 0 && !r.Pass() {
			fmt.Fprintf(out, "  %s\n", strings.ReplaceAll(strings.TrimRight(string(r.Output), "\n"), "\n", "\n  "))
		}
	}
	if lastFile != "" {
		fmt.Fprintln(out)
	}
	total := sum.Total()
	fmt.Fprintln(out, strings.Repeat("-", 80))
	if total == 0 {
		fmt.Fprintln(out, "no tests found")
		return sum, nil
	}
	for _, c := range []struct {
		label string
		n     int
	}{{"PASS", sum.Pass}, {"FAIL", sum.Fail}, {"SKIPPED", sum.Skip}, {"ERROR", sum.Error}} {
		if c.n > 0 {
			fmt.Fprintf(out, "%s: %d/%d\n", c.label, c.n, total)
		}
	}
	return sum, nil
}

func outcome(r *tester.Result) string {
	switch {
	case r.Skip:
		return "SKIPPED"
	case r.Error != nil:
		return "ERROR"
	case r.Fail:
		return "FAIL"
	default:
		return "PASS"
	}
}

func fileOf(r *tester.Result) string {
	if r.Location == nil {
		return ""
	}
	return r.Location.File
}

func rowOf(r *tester.Result) int {
	if r.Location == nil {
		return 0
	}
	return r.Location.Row
}
