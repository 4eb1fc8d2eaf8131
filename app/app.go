// Package app wires a configuration into a running driftwarden: it opens
// the store, builds the sources, the drift comparison and the policy
// evaluator, and runs cycles once (scan) or on a schedule with the HTTP
// endpoints (/metrics, /healthz, /readyz) and graceful shutdown (run).
// Tests run the whole daemon in-process through it.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/robfig/cron/v3"

	"github.com/driftwarden/driftwarden/api"
	"github.com/driftwarden/driftwarden/config"
	"github.com/driftwarden/driftwarden/engine"
	"github.com/driftwarden/driftwarden/evaluator"
	"github.com/driftwarden/driftwarden/metrics"
	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/report"
	"github.com/driftwarden/driftwarden/store"
)

// Options are process-level settings.
type Options struct {
	Logger  *slog.Logger
	Version string
	// Registry receives the metrics; nil creates a fresh one.
	Registry *prometheus.Registry
	// StoreURL overrides the configured store (scan --no-store uses a temporary one).
	StoreURL string
	// Now is the clock (tests).
	Now func() time.Time
	// OnCycle, when set, is called after every recorded scheduled cycle.
	OnCycle func(*engine.Result)
}

// App is a configured driftwarden.
type App struct {
	cfg      *config.Config
	log      *slog.Logger
	reg      *prometheus.Registry
	metrics  *metrics.Metrics
	store    store.Store
	engine   *engine.Engine
	reloader interface{ Reload(context.Context) error }
	onCycle  func(*engine.Result)
	apiToken string // the HTTP API's bearer token; "" disables the API
	version  string
	// alerts is ownership, waivers and alert delivery (app/alerts.go).
	alerts *alerting

	running atomic.Bool
	ready   atomic.Bool
	cycleMu sync.Mutex
	last    *engine.Result
}

// New builds an App from a validated configuration. Errors name what could
// not be set up (store, policies, a provider schema file).
func New(ctx context.Context, cfg *config.Config, opts Options) (*App, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	a := &App{cfg: cfg, log: log, reg: reg, onCycle: opts.OnCycle}
	a.metrics = metrics.New(reg, opts.Version)

	url := opts.StoreURL
	if url == "" {
		var err error
		if url, err = cfg.StoreURL(); err != nil {
			return nil, err
		}
	}
	st, err := store.Open(ctx, url, store.Options{Logger: log, Now: opts.Now})
	if err != nil {
		return nil, fmt.Errorf("opening store: %w", err)
	}
	a.store = st
	eng, reloader, err := buildEngine(ctx, cfg, st, a.metrics, log, reg)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	eng.Now = opts.Now
	a.engine, a.reloader = eng, reloader
	if err := a.setupAlerts(cfg, reg, opts.Now); err != nil {
		_ = st.Close()
		return nil, err
	}
	if a.apiToken, err = config.ResolveSecret(cfg.Server.APITokenEnv, cfg.Server.APITokenFile); err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("resolving the API token (server.api_token_env/api_token_file): %w", err)
	}
	if a.apiToken == "" && (cfg.Server.APITokenEnv != "" || cfg.Server.APITokenFile != "") {
		_ = st.Close()
		return nil, fmt.Errorf("resolving the API token (server.api_token_env/api_token_file): the token is empty")
	}
	a.version = opts.Version
	return a, nil
}

// Close releases the store.
func (a *App) Close() error { return a.store.Close() }

// Store returns the store (CLI queries).
func (a *App) Store() store.Store { return a.store }

// Registry returns the metrics registry.
func (a *App) Registry() *prometheus.Registry { return a.reg }

// Cycle runs one cycle now, bounded by the configured timeout. It returns
// ErrBusy when a cycle is already running.
func (a *App) Cycle(ctx context.Context) (*engine.Result, error) {
	if !a.running.CompareAndSwap(false, true) {
		a.metrics.CyclesSkipped.Inc()
		return nil, ErrBusy
	}
	defer a.running.Store(false)
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Schedule.Timeout.D())
	defer cancel()
	res, err := a.engine.Run(ctx)
	if err != nil {
		return nil, err
	}
	a.ready.Store(true)
	a.cycleMu.Lock()
	a.last = res
	a.cycleMu.Unlock()
	a.kickAlerts()
	if n, err := a.store.Prune(ctx, res.FinishedAt.Add(-a.cfg.Store.Retention.D())); err != nil {
		a.log.Warn("pruning history past retention failed; will retry next cycle", "error", err)
	} else if n > 0 {
		a.log.Info("pruned history past retention", "rows", n)
	}
	if al, ok := store.AlertsOf(a.store); ok {
		if _, err := al.PruneOutbox(ctx, res.FinishedAt.Add(-a.cfg.Store.Retention.D())); err != nil {
			a.log.Warn("pruning the alert outbox failed; will retry next cycle", "error", err)
		}
	}
	return res, nil
}

// ErrBusy means a cycle was already running; the request was skipped.
var ErrBusy = errors.New("a cycle is already running")

// Run is the daemon: it serves HTTP, runs a cycle at start (when configured)
// and on the schedule, and returns when ctx is cancelled, after the running
// cycle has finished or been abandoned before recording anything.
// started, when not nil, receives the listener's address once serving.
func (a *App) Run(ctx context.Context, started func(addr string)) error {
	// Gauges reflect the store from the first scrape, before any cycle.
	if open, err := a.store.Findings(ctx, store.FindingFilter{States: []model.FindingState{model.StateOpen}}); err == nil {
		engine.RebuildGauges(a.metrics, open, time.Now())
	}
	ln, err := net.Listen("tcp", a.cfg.Server.Listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", a.cfg.Server.Listen, err)
	}
	// Request limits: headers, slow clients, idle connections (the API adds
	// body and concurrency limits of its own).
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	srvErr := make(chan error, 1)
	scheme := "http"
	if cert, key := a.cfg.Server.TLSCertFile, a.cfg.Server.TLSKeyFile; cert != "" {
		scheme = "https"
		go func() { srvErr <- srv.ServeTLS(ln, cert, key) }()
	} else {
		go func() { srvErr <- srv.Serve(ln) }()
	}
	a.log.Info("serving", "event", "serving", "metrics", scheme+"://"+ln.Addr().String()+"/metrics", "api", a.apiToken != "")
	if started != nil {
		started(ln.Addr().String())
	}

	sched, _ := config.ParseCron(string(a.cfg.Schedule.Scan)) // validated at load
	c := cron.New(cron.WithChain(cron.Recover(cronLogger{a.log})), cron.WithLocation(time.UTC))
	c.Schedule(sched, cron.FuncJob(func() { a.scheduled(ctx) }))
	c.Start()
	if *a.cfg.Schedule.RunOnStart {
		go a.scheduled(ctx)
	}
	// Policy hot reload: folder changes and bundle polls swap in a new set
	// only when it is good; the last good set keeps running otherwise.
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	watchDone := make(chan struct{})
	if w, ok := a.reloader.(interface{ Watch(context.Context) error }); ok && *a.cfg.Policies.Watch &&
		(len(a.cfg.Policies.Dirs) > 0 || len(a.cfg.Policies.Bundles) > 0) {
		go func() {
			defer close(watchDone)
			if err := w.Watch(watchCtx); err != nil {
				a.log.Error("policy folder watch could not start; policies reload only on restart", "error", err)
			}
		}()
	} else {
		close(watchDone)
	}
	dispatched := make(chan struct{})
	go func() { defer close(dispatched); a.runDispatcher(ctx) }()

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-srvErr:
	}
	a.log.Info("shutting down", "event", "shutdown")
	stopped := c.Stop()
	<-stopped.Done()
	stopWatch()
	<-watchDone
	for a.running.Load() { // a start-up cycle runs outside cron
		time.Sleep(20 * time.Millisecond)
	}
	shCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shCtx)
	<-dispatched
	if runErr != nil && !errors.Is(runErr, http.ErrServerClosed) {
		return fmt.Errorf("serving HTTP: %w", runErr)
	}
	return nil
}

func (a *App) scheduled(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	res, err := a.Cycle(ctx)
	switch {
	case errors.Is(err, ErrBusy):
		a.log.Warn("previous cycle still running; this run is skipped", "event", "cycle_skipped")
	case ctx.Err() != nil:
		a.log.Info("cycle abandoned at shutdown before recording; nothing was written", "event", "cycle_abandoned")
	case err != nil:
		a.log.Error("cycle failed; the next scheduled cycle will retry", "event", "cycle_failed", "error", err)
	default:
		a.log.Info("cycle summary", "event", "cycle_summary", "summary", Summary(res))
		if a.onCycle != nil {
			a.onCycle(res)
		}
	}
}

// Handler serves /metrics, /healthz and /readyz.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{Registry: a.reg, EnableOpenMetrics: true}))
	mux.Handle("POST /slack/interactions", a.interactionsHandler()) // Slack-signed, no API token
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !a.ready.Load() {
			http.Error(w, "not ready: no cycle has completed yet", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("driftwarden\n/metrics  Prometheus metrics\n/healthz  liveness\n/readyz   readiness (after the first cycle)\n/api/v1/  HTTP API (bearer token; docs/openapi.yaml)\n"))
	})
	if st, ok := a.store.(api.Store); ok {
		api.New(api.Options{Store: st, Token: a.apiToken, Policies: func() []report.Policy { return report.FromEvaluator(a.Policies()) },
			Waivers: func(ctx context.Context) ([]report.Waiver, error) {
				return ReportWaivers(ctx, a.cfg, a.store, time.Now())
			},
			Retention: a.cfg.Store.Retention.D(), Generator: "driftwarden " + a.version, Logger: a.log}).Register(mux)
	}
	return mux
}

// Policies lists the loaded policies (reports map their controls).
func (a *App) Policies() []evaluator.PolicyInfo {
	if p, ok := a.reloader.(interface{ Policies() []evaluator.PolicyInfo }); ok {
		return p.Policies()
	}
	return nil
}

// ReloadPolicies recompiles the policy set; on failure the last good set keeps running.
func (a *App) ReloadPolicies(ctx context.Context) error {
	if a.reloader == nil {
		return nil
	}
	return a.reloader.Reload(ctx)
}

// Summary is a one-line account of a cycle.
func Summary(r *engine.Result) string {
	if r == nil {
		return ""
	}
	counts := map[model.FindingKind]int{}
	for _, f := range r.Findings {
		counts[f.Kind]++
	}
	opened := 0
	resolved := 0
	for _, t := range r.Transitions {
		switch t.Change {
		case store.ChangeOpened, store.ChangeReopened:
			opened++
		case store.ChangeResolved:
			resolved++
		}
	}
	return fmt.Sprintf("cycle %d %s: %d stacks, %d changed, %d missing, %d unmanaged, %d violations; %d opened, %d resolved",
		r.CycleID, r.Status, len(r.Stacks), counts[model.FindingChanged], counts[model.FindingMissing],
		counts[model.FindingUnmanaged], counts[model.FindingViolation], opened, resolved)
}

type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug(msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error(msg, append(kv, "error", err)...)
}
