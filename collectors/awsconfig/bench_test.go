package awsconfig_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/driftwarden/driftwarden/collectors/awsconfig"
)

// BenchmarkSnapshot decodes and converts a gzip snapshot of 10,000 items
// (security groups, buckets, instances and roles in equal parts).
func BenchmarkSnapshot(b *testing.B) {
	const n = 10000
	items := make([]map[string]any, 0, n)
	for i := 0; i < n; i++ {
		switch i % 4 {
		case 0:
			items = append(items, sgItem(fmt.Sprintf("sg-%08d", i), "g", baseIngress))
		case 1:
			items = append(items, bucketItem(fmt.Sprintf("bucket-%d", i), "Enabled"))
		case 2:
			items = append(items, instanceItem(fmt.Sprintf("i-%08d", i), "t3.micro"))
		default:
			items = append(items, roleItem(fmt.Sprintf("role-%d", i), trustLive))
		}
	}
	doc := gz(snapshot(items...))
	b.SetBytes(int64(len(doc)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		its, errs := awsconfig.Decode(bytes.NewReader(doc), awsconfig.DecodeOptions{Location: "bench"})
		if len(errs) > 0 || len(its) != n {
			b.Fatalf("%d items, %v", len(its), errs)
		}
		res := 0
		for _, it := range its {
			res += len(awsconfig.Resources(it, "bench"))
		}
		if res < n {
			b.Fatal(res)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
}
