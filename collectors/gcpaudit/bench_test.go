package gcpaudit

import (
	"testing"
	"time"
)

// BenchmarkParseEntry measures normalising one typical Admin Activity entry
// (firewall patch through Terraform, with a request and an operation).
func BenchmarkParseEntry(b *testing.B) {
	raw := []byte(line("bench", "v1.compute.firewalls.patch", time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).Format(time.RFC3339Nano)))
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseEntry(raw); err != nil {
			b.Fatal(err)
		}
	}
}
