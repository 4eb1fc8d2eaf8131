// Package metrics defines driftwarden's daemon-level Prometheus metrics.
// Their names and labels are a contract: dashboards and alerting rules use
// them. Labels carry only small, fixed value sets (stack, team, kind,
// severity, policy, resource_type, source); never a resource id or principal.
package metrics

import (
	"runtime"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/driftwarden/driftwarden/model"
)

// Namespace prefixes every metric.
const Namespace = "driftwarden"

// Metrics holds the daemon's metrics, registered on one registry.
type Metrics struct {
	FindingsOpen        *prometheus.GaugeVec
	DriftedResources    *prometheus.GaugeVec
	PolicyViolations    *prometheus.GaugeVec
	Transitions         *prometheus.CounterVec
	ResolutionSeconds   *prometheus.HistogramVec
	Cycles              *prometheus.CounterVec
	CyclesSkipped       prometheus.Counter
	CycleDuration       prometheus.Histogram
	LastCycleSuccess    prometheus.Gauge
	LastCycleTimestamp  prometheus.Gauge
	SourceUp            *prometheus.GaugeVec
	SourceLastSuccess   *prometheus.GaugeVec
	SourceErrors        *prometheus.CounterVec
	SourceDuration      *prometheus.HistogramVec
	SourceItems         *prometheus.GaugeVec
	ResourcesEvaluated  *prometheus.GaugeVec
	StoreErrors         prometheus.Counter
	ConfigReloadSuccess prometheus.Gauge
	// OutOfBandChanges counts changes made outside Terraform, by owning
	// team, attribution verdict and the way they were made (console, cli, ...).
	OutOfBandChanges *prometheus.CounterVec
	// EventsIngested counts audit events read by each event source.
	EventsIngested *prometheus.CounterVec
	// APIThrottled counts cloud API calls a source had throttled.
	APIThrottled *prometheus.CounterVec

	age *ageCollector
}

// New registers the metrics on reg and pre-creates the label combinations
// that dashboards rely on so they show 0 instead of "no data".
func New(reg prometheus.Registerer, version string) *Metrics {
	f := promauto.With(reg)
	m := &Metrics{
		FindingsOpen: f.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "findings_open",
			Help: "Open findings by kind, severity, stack and owning team (rebuilt from the store every cycle; waived findings excluded).",
		}, []string{"kind", "severity", "stack", "team"}),
		DriftedResources: f.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "drifted_resources",
			Help: "Resources with open drift by stack, drift kind and resource type.",
		}, []string{"stack", "kind", "resource_type"}),
		PolicyViolations: f.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "policy_violations",
			Help: "Open policy violations by policy, severity and stack.",
		}, []string{"policy", "severity", "stack"}),
		Transitions: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "finding_transitions_total",
			Help: "Finding lifecycle transitions (opened, reopened, escalated, resolved) by kind.",
		}, []string{"kind", "change"}),
		ResolutionSeconds: f.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "finding_resolution_seconds",
			Help:    "Time from a finding's first sighting to its resolution.",
			Buckets: durationBuckets,
		}, []string{"kind"}),
		Cycles: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "cycles_total",
			Help: "Audit cycles by result: ok, partial (some inputs failed), failed.",
		}, []string{"result"}),
		CyclesSkipped: f.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Name: "cycles_skipped_total",
			Help: "Scheduled cycles skipped because the previous one was still running.",
		}),
		CycleDuration: f.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "cycle_duration_seconds",
			Help:    "Duration of audit cycles.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 16),
		}),
		LastCycleSuccess: f.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "last_successful_cycle_timestamp_seconds",
			Help: "Unix time the last cycle that was recorded (ok or partial) finished.",
		}),
		LastCycleTimestamp: f.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "last_cycle_timestamp_seconds",
			Help: "Unix time the last cycle finished, whatever its result.",
		}),
		SourceUp: f.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "source_up",
			Help: "1 when the source's last collection read every input, 0 when some input failed.",
		}, []string{"source", "kind"}),
		SourceLastSuccess: f.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "source_last_success_timestamp_seconds",
			Help: "Unix time of the source's last collection without errors.",
		}, []string{"source", "kind"}),
		SourceErrors: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "source_errors_total",
			Help: "Inputs a source could not read (a corrupt state, a bad snapshot line, an HTTP error).",
		}, []string{"source", "kind"}),
		SourceDuration: f.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "collector_duration_seconds",
			Help:    "Time a source took to collect.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 16),
		}, []string{"source", "kind"}),
		SourceItems: f.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "source_items",
			Help: "Items (stacks or live resources) the source read in its last collection.",
		}, []string{"source", "kind"}),
		ResourcesEvaluated: f.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "resources_audited",
			Help: "Resources audited in the last cycle, by origin (managed, unmanaged).",
		}, []string{"origin"}),
		StoreErrors: f.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace, Name: "store_errors_total",
			Help: "Cycles whose results could not be recorded in the store.",
		}),
		ConfigReloadSuccess: f.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "config_last_reload_successful",
			Help: "1 when the configuration in use loaded without errors.",
		}),
		OutOfBandChanges: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "out_of_band_changes_total",
			Help: "Changes made outside Terraform, by owning team, attribution verdict and channel (via).",
		}, []string{"team", "verdict", "via"}),
		EventsIngested: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "events_ingested_total",
			Help: "Audit events read by an event source.",
		}, []string{"source"}),
		APIThrottled: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "api_throttled_total",
			Help: "Cloud API calls a source had throttled (rate limited) and retried or gave up on.",
		}, []string{"source"}),
		age: &ageCollector{desc: prometheus.NewDesc(Namespace+"_open_finding_age_seconds",
			"Age of open findings (time since first seen) at the last cycle.", []string{"kind"}, nil)},
	}
	if reg != nil {
		reg.MustRegister(m.age)
	}
	f.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "build_info",
		Help: "Build information; the value is always 1.",
	}, []string{"version", "goversion"}).WithLabelValues(version, runtime.Version()).Set(1)

	for _, r := range []string{"ok", "partial", "failed"} {
		m.Cycles.WithLabelValues(r)
	}
	for _, k := range model.FindingKinds {
		for _, c := range []string{"opened", "reopened", "escalated", "resolved"} {
			m.Transitions.WithLabelValues(string(k), c)
		}
	}
	m.ConfigReloadSuccess.Set(1)
	return m
}

// durationBuckets spans a minute to a quarter for finding lifetimes.
var durationBuckets = []float64{60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 90 * 86400}

// SetOpenFindingAges replaces the open-finding age distribution.
func (m *Metrics) SetOpenFindingAges(now time.Time, open []model.Finding) {
	hs := map[string]*constHist{}
	for _, k := range model.FindingKinds {
		hs[string(k)] = newConstHist()
	}
	for _, f := range open {
		h := hs[string(f.Kind)]
		if h == nil {
			h = newConstHist()
			hs[string(f.Kind)] = h
		}
		h.observe(now.Sub(f.FirstSeen).Seconds())
	}
	m.age.mu.Lock()
	m.age.hists = hs
	m.age.mu.Unlock()
}

type constHist struct {
	count   uint64
	sum     float64
	buckets map[float64]uint64
}

func newConstHist() *constHist {
	return &constHist{buckets: make(map[float64]uint64, len(durationBuckets))}
}

func (h *constHist) observe(v float64) {
	h.count++
	h.sum += v
	for _, b := range durationBuckets {
		if v <= b {
			h.buckets[b]++
		}
	}
}

type ageCollector struct {
	desc  *prometheus.Desc
	mu    sync.Mutex
	hists map[string]*constHist
}

func (c *ageCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *ageCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for kind, h := range c.hists {
		buckets := make(map[float64]uint64, len(durationBuckets))
		for _, b := range durationBuckets {
			buckets[b] = h.buckets[b]
		}
		ch <- prometheus.MustNewConstHistogram(c.desc, h.count, h.sum, buckets, kind)
	}
}
