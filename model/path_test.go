package model

import "testing"

func TestPaths(t *testing.T) {
	cases := []struct{ got, want string }{
		{JoinPath("", "tags"), "tags"},
		{JoinPath("tags", "team"), "tags.team"},
		{JoinPath("tags", "kubernetes.io/cluster/x"), `tags["kubernetes.io/cluster/x"]`},
		{IndexPath("ingress", 2), "ingress[2]"},
		{JoinPath(IndexPath("ingress", 0), "cidr_blocks"), "ingress[0].cidr_blocks"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if !PathHasPrefix("ingress[0].cidr_blocks", "ingress") || !PathHasPrefix("tags.team", "tags") || !PathHasPrefix("tags", "tags") {
		t.Error("prefix should match")
	}
	if PathHasPrefix("tags_all.team", "tags") {
		t.Error("tags must not match tags_all")
	}
}

func TestFingerprintStable(t *testing.T) {
	a := DriftFingerprint(DriftChanged, "prod", "arn:aws:s3:::b")
	if a != DriftFingerprint(DriftChanged, "prod", "arn:aws:s3:::b") {
		t.Fatal("fingerprint not deterministic")
	}
	if a == DriftFingerprint(DriftMissing, "prod", "arn:aws:s3:::b") || a == DriftFingerprint(DriftChanged, "dev", "arn:aws:s3:::b") {
		t.Fatal("fingerprint ignores kind or stack")
	}
	// Separators prevent ambiguity between ("ab","c") and ("a","bc").
	if Fingerprint("ab", "c") == Fingerprint("a", "bc") {
		t.Fatal("fingerprint parts are ambiguous")
	}
}

func TestSeverity(t *testing.T) {
	if s, ok := ParseSeverity(" HIGH "); !ok || s != SeverityHigh {
		t.Fatalf("ParseSeverity = %q %v", s, ok)
	}
	if _, ok := ParseSeverity("urgent"); ok {
		t.Fatal("unknown severity accepted")
	}
	if SeverityCritical.Rank() <= SeverityHigh.Rank() || SeverityInfo.Rank() != 0 {
		t.Fatal("rank order wrong")
	}
}
