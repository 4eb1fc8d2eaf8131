package evaluator

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// metrics are the evaluator's Prometheus metrics; their names are a
// contract with dashboards and alert rules.
type metrics struct {
	loaded      prometheus.Gauge
	reloads     *prometheus.CounterVec
	lastSuccess prometheus.Gauge
	reloadOK    prometheus.Gauge
	evalErrors  *prometheus.CounterVec
	revision    *prometheus.GaugeVec
	bundleLoad  *prometheus.GaugeVec
}

// newMetrics registers the metrics with reg; a nil reg keeps them
// unregistered (no metrics).
func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	m := &metrics{
		loaded: f.NewGauge(prometheus.GaugeOpts{
			Name: "driftwarden_policies_loaded",
			Help: "Number of enabled policies in the running policy set.",
		}),
		reloads: f.NewCounterVec(prometheus.CounterOpts{
			Name: "driftwarden_policy_reloads_total",
			Help: "Policy reloads by result (success, failure). The initial load is not counted.",
		}, []string{"result"}),
		lastSuccess: f.NewGauge(prometheus.GaugeOpts{
			Name: "driftwarden_policy_last_reload_success_timestamp_seconds",
			Help: "Unix time of the last successful policy load or reload.",
		}),
		reloadOK: f.NewGauge(prometheus.GaugeOpts{
			Name: "driftwarden_policy_reload_successful",
			Help: "1 when the last policy load or reload succeeded, 0 when it failed (the last good set keeps running).",
		}),
		evalErrors: f.NewCounterVec(prometheus.CounterOpts{
			Name: "driftwarden_policy_evaluation_errors_total",
			Help: "Runtime errors of a policy, one per policy and evaluated subject.",
		}, []string{"policy"}),
		revision: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "driftwarden_policy_revision_info",
			Help: "The running policy set's revision (a hash of its modules and data); always 1, one series.",
		}, []string{"revision"}),
		bundleLoad: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "driftwarden_policy_bundle_last_load_timestamp_seconds",
			Help: "Unix time a policy bundle was last fetched and verified (or found unchanged), by configured bundle name.",
		}, []string{"bundle"}),
	}
	m.reloads.WithLabelValues("success")
	m.reloads.WithLabelValues("failure")
	return m
}
