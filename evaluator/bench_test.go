package evaluator

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/driftwarden/driftwarden/model"
)

// cpuTime is the process's user+system CPU time; on a shared machine
// resources per CPU-second is steadier than per wall-clock second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEvaluateResources100k evaluates 100,000 synthetic resources
// (~20 attributes each) against the built-in policy set and reports
// resources/s. Run: go test -run x -bench Evaluate -cpu 1 ./evaluator/
func BenchmarkEvaluateResources100k(b *testing.B) {
	benchmarkEvaluate(b)
}

// BenchmarkEvaluateResources100kPerPolicy is the same with one query per
// policy instead of one combined query per resource type.
func BenchmarkEvaluateResources100kPerPolicy(b *testing.B) {
	perPolicyQueries = true
	defer func() { perPolicyQueries = false }()
	benchmarkEvaluate(b)
}

// BenchmarkEvaluateResources100kInventory is the engine's call: the same
// resources, each also offered as the cycle's inventory (the evaluator
// keeps those of the declared inventory_types).
func BenchmarkEvaluateResources100kInventory(b *testing.B) {
	benchInventory = true
	defer func() { benchInventory = false }()
	benchmarkEvaluate(b)
}

var benchInventory = false

func benchmarkEvaluate(b *testing.B) {
	ctx := context.Background()
	ev, err := New(ctx, Options{Builtin: true})
	if err != nil {
		b.Fatal(err)
	}
	resources := synthResources(100_000)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	var nv int
	for b.Loop() {
		var (
			v    []model.Violation
			errs []error
		)
		if benchInventory {
			v, errs = ev.EvaluateResourcesWithInventory(ctx, resources, resources)
		} else {
			v, errs = ev.EvaluateResources(ctx, resources)
		}
		if len(errs) > 0 {
			b.Fatal(errs[0])
		}
		nv = len(v)
	}
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(len(resources))*float64(b.N)/b.Elapsed().Seconds(), "resources/s")
	b.ReportMetric(float64(len(resources))*float64(b.N)/cpu.Seconds(), "resources/cpu-s")
	b.ReportMetric(float64(nv), "violations")
}

// naiveSample is how many resources the naive benchmarks evaluate: the
// per-resource approaches are ~1000x slower, so a sample gives the rate.
const naiveSample = 500

// BenchmarkNaiveFreshQueryPerResource is what a user's script does with
// OPA as a library: the policy set compiled once, then a fresh
// rego.New(...).Eval (query planning and input conversion included) per
// resource, over every resource policy. Compare its resources/s with
// BenchmarkEvaluateResources100k.
func BenchmarkNaiveFreshQueryPerResource(b *testing.B) {
	benchmarkNaive(b, false)
}

// BenchmarkNaiveCompilePerResource adds loading and compiling the policy
// modules per resource: `opa eval` once per resource without the process
// start-up.
func BenchmarkNaiveCompilePerResource(b *testing.B) {
	benchmarkNaive(b, true)
}

func benchmarkNaive(b *testing.B, compileEach bool) {
	ctx := context.Background()
	src, err := loadSources(true, nil, false)
	if err != nil {
		b.Fatal(err)
	}
	data, err := configData(src.data, nil)
	if err != nil {
		b.Fatal(err)
	}
	metas, err := collectPolicies(src.modules)
	if err != nil {
		b.Fatal(err)
	}
	var refs []string
	for _, m := range metas {
		if m.Input == model.SubjectResource {
			refs = append(refs, m.path.String()+".deny")
		}
	}
	query := "x := [" + strings.Join(refs, ", ") + "]"
	store := inmem.NewFromObject(data)
	compiler := ast.NewCompiler().WithDefaultRegoVersion(ast.RegoV1)
	if compiler.Compile(src.modules); compiler.Failed() {
		b.Fatal(compiler.Errors)
	}
	n := naiveSample
	if compileEach {
		n /= 5 // ~80ms each
	}
	resources := synthResources(n)
	inputs := make([]map[string]any, len(resources))
	for i := range resources {
		rm, err := resourceMap(&resources[i])
		if err != nil {
			b.Fatal(err)
		}
		inputs[i] = map[string]any{"kind": "resource", "resource": rm}
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	var nv int
	for b.Loop() {
		nv = 0
		for _, in := range inputs {
			opts := []func(*rego.Rego){rego.Query(query), rego.Store(store), rego.Input(in), rego.StrictBuiltinErrors(true)}
			if compileEach {
				for name, raw := range src.raw {
					opts = append(opts, rego.Module(name, string(raw)))
				}
				opts = append(opts, rego.SetRegoVersion(ast.RegoV1))
			} else {
				opts = append(opts, rego.Compiler(compiler))
			}
			rs, err := rego.New(opts...).Eval(ctx)
			if err != nil {
				b.Fatal(err)
			}
			for _, set := range rs[0].Bindings["x"].([]any) {
				if len(set.([]any)) > 0 {
					nv++
				}
			}
		}
	}
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(len(inputs))*float64(b.N)/b.Elapsed().Seconds(), "resources/s")
	b.ReportMetric(float64(len(inputs))*float64(b.N)/cpu.Seconds(), "resources/cpu-s")
	b.ReportMetric(float64(nv), "violations")
}
