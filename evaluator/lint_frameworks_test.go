package evaluator

import "testing"

// The CIS benchmarks the built-in policies cite are accepted with their
// version: CIS Google Kubernetes Engine (GKE) Benchmark controls are
// CIS-GKE-1.7:5.8.3.
func TestKnownControlFrameworks(t *testing.T) {
	for _, c := range []string{"CIS-GKE-1.7:5.8.3", "CIS-GKE:5.6.3", "CIS-GCP-2.0:5.1", "CIS-AWS-2.0:2.1.1", "CIS-K8S-1.8:5.1.1", "PCI-DSS-4.0:1.3.1", "SOC2:CC6.1"} {
		if !knownControl(c, KnownFrameworks) {
			t.Errorf("knownControl(%q) = false, want true", c)
		}
	}
	for _, c := range []string{"CIS-GKEX-1.7:5.8.3", "CIS-GKE-1.7", "CIS-GKE-1.7:", "CIS-GKE-latest:5.8.3", "CIS:5.8.3"} {
		if knownControl(c, KnownFrameworks) {
			t.Errorf("knownControl(%q) = true, want false", c)
		}
	}
}
