package app

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/config"
	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/report"
)

func TestReportsListTheWaiversInForce(t *testing.T) {
	cfg := demoConfig(t)
	exp := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	cfg.Waivers = []config.Waiver{{Policy: "DW-TAG-001", Resource: "aws_ebs_volume.*", Reason: "legacy volume, retagged in Q1",
		Approver: "ciso@example.com", Expires: config.Date{Time: exp}, Origin: "driftwarden.yaml:80"}}
	a := newTestApp(t, cfg)
	res, err := a.Cycle(context.Background())
	require.NoError(t, err)
	waived := false
	for _, f := range res.Findings {
		if f.PolicyID == "DW-TAG-001" && f.Address == "aws_ebs_volume.data" {
			waived = f.State == model.StateWaived
		}
	}
	require.True(t, waived, "the waiver covers the finding")

	ws, err := ReportWaivers(context.Background(), cfg, a.Store(), time.Now())
	require.NoError(t, err)
	require.Len(t, ws, 1)
	require.Equal(t, "legacy volume, retagged in Q1", ws[0].Reason)
	require.Equal(t, "ciso@example.com", ws[0].Approver)
	require.True(t, ws[0].Expires.Equal(exp))
	require.Contains(t, ws[0].Pattern, "DW-TAG-001")

	h, ok := a.Store().(report.History)
	require.True(t, ok)
	req, err := report.ParseRequest(report.RawRequest{Period: "1d"}, time.Now().Add(time.Minute))
	require.NoError(t, err)
	rep, err := report.Build(context.Background(), h, req, report.Options{Policies: report.FromEvaluator(a.Policies()), Waivers: ws})
	require.NoError(t, err)
	out, err := report.Render(rep, report.FormatMarkdown)
	require.NoError(t, err)
	require.Contains(t, string(out), "legacy volume, retagged in Q1")
	require.Contains(t, string(out), "ciso@example.com")
}
