package evaluator

import (
	"context"
	"syscall"
	"testing"
	"time"
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
		v, errs := ev.EvaluateResources(ctx, resources)
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
