package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
)

// benchFindings builds n realistic findings over 20 stacks; round changes
// the message (and so the content) of every finding when changed is set.
func benchFindings(n, round int, changed bool) []model.Finding {
	fs := make([]model.Finding, n)
	for i := range fs {
		stack := fmt.Sprintf("stack-%02d", i%20)
		rid := fmt.Sprintf("arn:aws:ec2:eu-west-1:123456789012:security-group/sg-%08d", i)
		msg := "ingress opened to the world"
		if changed {
			msg = fmt.Sprintf("%s (round %d)", msg, round)
		}
		fs[i] = model.Finding{
			Fingerprint: model.DriftFingerprint(model.DriftChanged, stack, rid),
			Kind:        model.FindingChanged, Severity: model.Severities[i%5],
			Title: "Security group drifted", Message: msg, Controls: []string{"CIS-AWS-2.0:5.2", "SOC2:CC6.1"},
			ResourceID: rid, ResourceType: "aws_security_group", Address: fmt.Sprintf("module.net.aws_security_group.sg[%d]", i),
			Stack: stack, Scope: stack, Account: "123456789012", Region: "eu-west-1", Team: "platform",
			Evidence: model.Evidence{
				Diffs: []model.Diff{
					{Path: "ingress[0].cidr_blocks", Applied: []any{"10.0.0.0/8"}, Live: []any{"0.0.0.0/0"}, Events: []string{"ev-1"}},
					{Path: "tags.team", Applied: "platform", Live: "unknown"},
				},
				Events: []model.Event{{
					ID: "ev-1", Time: t0, Source: "cloudtrail", Action: "ec2:AuthorizeSecurityGroupIngress",
					Principal: model.Principal{ID: "arn:aws:iam::123456789012:user/alice", Type: "IAMUser"},
					Via:       model.ViaConsole, SourceIP: "203.0.113.7", Resources: []string{rid},
				}},
			},
		}
	}
	return fs
}

func benchScopes() []string {
	s := make([]string, 20)
	for i := range s {
		s[i] = fmt.Sprintf("stack-%02d", i)
	}
	return s
}

// BenchmarkRecordCycle records cycles of 10,000 findings:
//
//	first:     every finding is new (the first cycle after install)
//	unchanged: the steady state, the same observations again
//	changed:   every finding's content changed (full row updates)
func BenchmarkRecordCycle(b *testing.B) {
	const n = 10_000
	backends := []struct {
		name  string
		fresh func(b *testing.B) string
	}{
		{"sqlite", func(b *testing.B) string { return "sqlite://" + filepath.Join(b.TempDir(), "bench.db") }},
		{"postgres", func(b *testing.B) string { requirePostgres(b); return newPostgres(b) }},
	}
	ctx := context.Background()
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			b.Run("first", func(b *testing.B) {
				fs := benchFindings(n, 0, false)
				for b.Loop() {
					b.StopTimer()
					s, err := Open(ctx, be.fresh(b), Options{})
					require.NoError(b, err)
					b.StartTimer()
					_, trs, err := s.RecordCycle(ctx, benchCycle(0, fs))
					require.NoError(b, err)
					require.Len(b, trs, n)
					b.StopTimer()
					require.NoError(b, s.Close())
					b.StartTimer()
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "findings/s")
			})
			for _, changed := range []bool{false, true} {
				name := map[bool]string{false: "unchanged", true: "changed"}[changed]
				b.Run(name, func(b *testing.B) {
					s, err := Open(ctx, be.fresh(b), Options{})
					require.NoError(b, err)
					defer s.Close()
					_, _, err = s.RecordCycle(ctx, benchCycle(0, benchFindings(n, 0, changed)))
					require.NoError(b, err)
					round := 0
					for b.Loop() {
						round++
						b.StopTimer()
						fs := benchFindings(n, round, changed)
						b.StartTimer()
						_, trs, err := s.RecordCycle(ctx, benchCycle(round, fs))
						require.NoError(b, err)
						require.Empty(b, trs)
					}
					b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "findings/s")
				})
			}
		})
	}
}

func benchCycle(round int, fs []model.Finding) CycleRecord {
	return CycleRecord{
		StartedAt: t0.Add(time.Duration(round) * time.Minute), FinishedAt: t0.Add(time.Duration(round)*time.Minute + time.Second),
		Status: "ok", Findings: fs, AuditedScopes: benchScopes(),
	}
}
