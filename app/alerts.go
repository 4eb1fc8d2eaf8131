package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwarden/driftwarden/alerts"
	slacknotify "github.com/driftwarden/driftwarden/alerts/slack"
	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/config"
	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/ownership"
	"github.com/driftwarden/driftwarden/report"
	"github.com/driftwarden/driftwarden/store"
	"github.com/driftwarden/driftwarden/waivers"
)

// alerting is the alert side of an App: ownership, waivers, the outbox
// planner, the dispatcher and the Slack interactivity endpoint.
type alerting struct {
	owners       *ownership.Resolver
	waivers      *waivers.Set
	planner      *alerts.Planner
	dispatcher   *alerts.Dispatcher // nil: notifier none
	interactions http.Handler       // nil: no signing secret
	kick         chan struct{}
}

// Ownership builds the owner resolver of a configuration.
func Ownership(cfg *config.Config) (*ownership.Resolver, error) {
	oc := ownership.Config{TagKeys: cfg.Alerts.OwnerTags, SourceOwners: map[string]string{}, Default: cfg.Alerts.DefaultTeam}
	for _, s := range cfg.States {
		oc.SourceOwners[s.Name] = s.Owner
	}
	for _, s := range cfg.Stacks {
		oc.Stacks = append(oc.Stacks, ownership.StackOwner{Pattern: s.Name, Owner: s.Owner})
	}
	for _, r := range cfg.Alerts.Rules {
		m := r.Match
		oc.Rules = append(oc.Rules, ownership.Rule{Team: r.Team, Match: ownership.Match{Address: m.Address, Module: m.Module,
			Account: m.Account, Project: m.Project, Type: m.Type, Stack: m.Stack}})
	}
	if f := cfg.Alerts.Codeowners.File; f != "" {
		co, err := ownership.LoadCodeowners(f)
		if err != nil {
			return nil, fmt.Errorf("alerts.codeowners: %w", err)
		}
		oc.Codeowners = co
		if mj := cfg.Alerts.Codeowners.ModulesJSON; mj != "" {
			mods, err := ownership.LoadModules(mj)
			if err != nil {
				return nil, fmt.Errorf("alerts.codeowners: %w", err)
			}
			oc.Modules = mods
		}
	}
	return ownership.New(oc), nil
}

// Waivers converts the configured waivers.
func Waivers(cfg *config.Config) *waivers.Set {
	var ws []waivers.Waiver
	for _, w := range cfg.Waivers {
		ws = append(ws, waivers.Waiver{PolicyID: w.Policy, Resource: w.Resource, Stack: w.Stack, Team: w.Team, Kind: w.Kind,
			Reason: w.Reason, Approver: w.Approver, Expires: w.Expires.Time, Origin: w.Origin})
	}
	return waivers.New(ws)
}

// Sender builds the configured notifier's sender (nil for none).
func Sender(cfg *config.Config, log *slog.Logger) (alerts.Sender, bool, error) {
	a := cfg.Alerts
	switch a.Notifier {
	case "file":
		return &alerts.FileSender{Path: a.File.Path}, false, nil
	case "log":
		return &alerts.LogSender{Logger: log}, false, nil
	case "slack":
		if a.Slack.TokenEnv != "" || a.Slack.TokenFile != "" {
			tok, err := config.ResolveSecret(a.Slack.TokenEnv, a.Slack.TokenFile)
			if err != nil {
				return nil, false, fmt.Errorf("alerts.slack token: %w", err)
			}
			return slacknotify.NewBot(tok, a.Slack.APIURL, nil), false, nil
		}
		hook, err := config.ResolveSecret(a.Slack.WebhookURLEnv, a.Slack.WebhookURLFile)
		if err != nil {
			return nil, false, fmt.Errorf("alerts.slack webhook_url: %w", err)
		}
		return &slacknotify.Sender{WebhookURL: hook}, true, nil
	}
	return nil, false, nil
}

func (a *App) setupAlerts(cfg *config.Config, reg prometheus.Registerer, now func() time.Time) error {
	owners, err := Ownership(cfg)
	if err != nil {
		return err
	}
	al := &alerting{owners: owners, waivers: Waivers(cfg), kick: make(chan struct{}, 1)}
	for _, w := range cfg.Warnings {
		a.log.Warn("configuration warning", "event", "config_warning", "warning", w)
	}
	a.engine.Owners = owners.Team
	a.engine.Waive = al.waivers.Func
	a.alerts = al

	sender, webhook, err := Sender(cfg, a.log)
	if err != nil {
		return err
	}
	if sender == nil {
		return nil
	}
	st, ok := store.AlertsOf(a.store)
	if !ok {
		return fmt.Errorf("alerts: the store does not support an outbox")
	}
	rb, err := alerts.ParseRunbook(cfg.Alerts.RunbookURL)
	if err != nil {
		return err
	}
	secret, err := config.ResolveSecret(cfg.Alerts.Slack.SigningSecretEnv, cfg.Alerts.Slack.SigningSecretFile)
	if err != nil {
		return fmt.Errorf("alerts.slack signing_secret: %w", err)
	}
	p := &alerts.Planner{Teams: map[string]alerts.Team{}, DefaultChannel: cfg.Alerts.Slack.DefaultChannel, Webhook: webhook || cfg.Alerts.Notifier != "slack",
		Runbook: rb, MaxItems: cfg.Alerts.MaxItems, Interactive: secret != ""}
	for name, t := range cfg.Alerts.Teams {
		sev, _ := model.ParseSeverity(t.MinSeverity)
		if t.MinSeverity == "" {
			sev = ""
		}
		p.Teams[name] = alerts.Team{Channel: t.Channel, MinSeverity: sev, Mention: t.Mention}
	}
	al.planner = p
	a.engine.Plan = p.Plan
	al.dispatcher = &alerts.Dispatcher{Store: st, Sender: sender, Logger: a.log, Metrics: alerts.NewMetrics(reg),
		Owner: replicaID(), Rate: cfg.Alerts.RatePerChannel, Now: now}
	if secret != "" {
		al.interactions = &slacknotify.Interactions{SigningSecret: secret, Store: st, Logger: a.log}
	}
	return nil
}

func replicaID() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// DeliverAlerts sends the due outbox messages now, for at most timeout
// (scan); what is left stays pending for the daemon or the next scan.
func (a *App) DeliverAlerts(ctx context.Context, timeout time.Duration) (alerts.Result, error) {
	if a.alerts == nil || a.alerts.dispatcher == nil {
		return alerts.Result{}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := a.alerts.dispatcher.DeliverDue(ctx)
	if ctx.Err() != nil {
		a.log.Warn("alert delivery deadline reached; the rest stays in the outbox", "event", "alert_deadline", "sent", res.Sent)
		return res, nil
	}
	return res, err
}

// runDispatcher delivers the outbox until ctx ends (daemon).
func (a *App) runDispatcher(ctx context.Context) {
	if a.alerts == nil || a.alerts.dispatcher == nil {
		return
	}
	a.alerts.dispatcher.Run(ctx, 5*time.Second, a.alerts.kick)
}

// kickAlerts asks the dispatcher to look at the outbox now.
func (a *App) kickAlerts() {
	if a.alerts == nil {
		return
	}
	select {
	case a.alerts.kick <- struct{}{}:
	default:
	}
}

// interactionsHandler serves POST /slack/interactions (Slack-signed; it
// does not use the API token).
func (a *App) interactionsHandler() http.Handler {
	if a.alerts != nil && a.alerts.interactions != nil {
		return a.alerts.interactions
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "Slack interactivity is not configured (alerts.slack.signing_secret_env)", http.StatusNotFound)
	})
}

// Waivers returns the configured waivers (reports).
func (a *App) Waivers() []waivers.Waiver {
	if a.alerts == nil {
		return nil
	}
	return a.alerts.waivers.Waivers()
}

// ActiveWaivers returns the configured waivers and the snoozes granted from
// Slack still active at t.
func (a *App) ActiveWaivers(ctx context.Context, t time.Time) ([]waivers.Waiver, error) {
	out := a.Waivers()
	if st, ok := store.AlertsOf(a.store); ok {
		sw, err := st.StoredWaivers(ctx, t)
		if err != nil {
			return nil, err
		}
		for _, w := range sw {
			ww := waivers.Waiver{Fingerprint: w.Fingerprint, Reason: w.Reason, Approver: w.Approver, Expires: w.ExpiresAt, Origin: w.Origin}
			ww.Selector = ww.Text()
			out = append(out, ww)
		}
	}
	return out, nil
}

// LoadStacks reads the configured Terraform states (no cloud inventory).
func LoadStacks(ctx context.Context, cfg *config.Config) ([]collectors.Stack, []error, error) {
	var (
		stacks []collectors.Stack
		errs   []error
	)
	for _, s := range cfg.States {
		src, err := stateSource(s, cfg.Dir)
		if err != nil {
			return nil, nil, err
		}
		got, es := src.States(ctx)
		for i := range got {
			if got[i].Source == "" {
				got[i].Source = s.Name
			}
		}
		stacks = append(stacks, got...)
		errs = append(errs, es...)
	}
	return stacks, errs, nil
}

// ReportWaivers lists the waivers in force at t for audit reports: the
// configured ones (config and waivers file) and the snoozes granted from
// Slack, read from the store.
func ReportWaivers(ctx context.Context, cfg *config.Config, st store.Store, t time.Time) ([]report.Waiver, error) {
	ws := Waivers(cfg).Waivers()
	if as, ok := store.AlertsOf(st); ok {
		stored, err := as.StoredWaivers(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("reading waivers granted from Slack: %w", err)
		}
		for _, w := range stored {
			ww := waivers.Waiver{Fingerprint: w.Fingerprint, Reason: w.Reason, Approver: w.Approver, Expires: w.ExpiresAt, Origin: w.Origin}
			ww.Selector = ww.Text()
			ws = append(ws, ww)
		}
	}
	out := make([]report.Waiver, 0, len(ws))
	for i, w := range ws {
		exp := w.Expires
		rw := report.Waiver{ID: fmt.Sprintf("%s#%d", nonEmptyOr(w.Origin, "config"), i+1), Pattern: w.Selector,
			Reason: w.Reason, Approver: w.Approver, Expires: &exp}
		if w.Fingerprint != "" {
			rw.Fingerprints = []string{w.Fingerprint}
		}
		out = append(out, rw)
	}
	return out, nil
}

func nonEmptyOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
