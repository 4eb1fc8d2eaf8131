package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
)

func TestMetricsLintAndPrecreatedSeries(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := New(reg, "v1.2.3")
	m.FindingsOpen.WithLabelValues("changed", "high", "network", "platform").Set(2)
	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	require.Empty(t, problems, "metric naming problems")

	// Dashboards show 0, not "no data", for cycles and transitions.
	require.Equal(t, 0.0, testutil.ToFloat64(m.Cycles.WithLabelValues("failed")))
	n, err := testutil.GatherAndCount(reg, "driftwarden_finding_transitions_total")
	require.NoError(t, err)
	require.Equal(t, len(model.FindingKinds)*4, n)

	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		require.True(t, strings.HasPrefix(mf.GetName(), "driftwarden_"), mf.GetName())
	}
}

func TestOpenFindingAges(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := New(reg, "test")
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	m.SetOpenFindingAges(now, []model.Finding{
		{Kind: model.FindingChanged, FirstSeen: now.Add(-30 * time.Second)},
		{Kind: model.FindingChanged, FirstSeen: now.Add(-2 * time.Hour)},
		{Kind: model.FindingViolation, FirstSeen: now.Add(-10 * 24 * time.Hour)},
	})
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var got string
	for _, mf := range mfs {
		if mf.GetName() != "driftwarden_open_finding_age_seconds" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			kind := mt.GetLabel()[0].GetValue()
			h := mt.GetHistogram()
			switch kind {
			case "changed":
				require.Equal(t, uint64(2), h.GetSampleCount())
				require.InDelta(t, 7230.0, h.GetSampleSum(), 0.001)
				for _, b := range h.GetBucket() {
					if b.GetUpperBound() == 60 {
						require.Equal(t, uint64(1), b.GetCumulativeCount())
					}
					if b.GetUpperBound() == 4*3600 {
						require.Equal(t, uint64(2), b.GetCumulativeCount())
					}
				}
			case "violation":
				require.Equal(t, uint64(1), h.GetSampleCount())
			case "missing":
				require.Equal(t, uint64(0), h.GetSampleCount(), "kinds without findings export an empty histogram")
			}
			got += kind + " "
		}
	}
	require.Contains(t, got, "changed")
}
