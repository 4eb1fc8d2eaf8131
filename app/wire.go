package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/collectors/snapshot"
	"github.com/driftwarden/driftwarden/collectors/tfplan"
	"github.com/driftwarden/driftwarden/collectors/tfstate"
	"github.com/driftwarden/driftwarden/config"
	"github.com/driftwarden/driftwarden/drift"
	"github.com/driftwarden/driftwarden/engine"
	"github.com/driftwarden/driftwarden/evaluator"
	"github.com/driftwarden/driftwarden/metrics"
	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

// buildEngine turns configuration into sources, a comparison and an evaluator.
func buildEngine(ctx context.Context, cfg *config.Config, st store.Store, m *metrics.Metrics, log *slog.Logger, reg prometheus.Registerer) (*engine.Engine, *evaluator.Evaluator, error) {
	e := &engine.Engine{Store: st, Metrics: m, Logger: log, Meta: map[string]engine.StackMeta{}}
	for _, s := range cfg.States {
		src, err := stateSource(s, cfg.Dir)
		if err != nil {
			return nil, nil, err
		}
		e.States = append(e.States, src)
		e.Meta[s.Name] = engine.StackMeta{Owner: s.Owner, Production: s.Production}
	}
	for _, inv := range cfg.Inventories {
		switch inv.Type {
		case "tfplan":
			e.Inventories = append(e.Inventories, tfplan.NewSource(inv.Name, tfplan.Config{Paths: inv.Paths, BaseDir: cfg.Dir, Stack: inv.Stack}))
		case "snapshot":
			e.Inventories = append(e.Inventories, snapshot.NewSource(inv.Name, snapshot.Config{Paths: inv.Paths, BaseDir: cfg.Dir, Types: inv.Types}))
		}
	}

	dopts, err := driftOptions(cfg)
	if err != nil {
		return nil, nil, err
	}
	e.Compare = func(stacks []collectors.Stack, invs []collectors.Inventory) ([]model.Drift, []string) {
		o := dopts
		o.Now = time.Now
		r := drift.Compare(stacks, invs, o)
		return r.Drifts, r.Warnings
	}

	data := map[string]any{}
	for k, v := range cfg.Policies.Data {
		data[k] = v
	}
	var prod []any
	for _, s := range cfg.States {
		if s.Production {
			prod = append(prod, s.Name)
		}
	}
	if _, set := data["production_sources"]; !set && len(prod) > 0 {
		data["production_sources"] = prod
	}
	sev := map[string]model.Severity{}
	for id, s := range cfg.Policies.Severity {
		sev[id], _ = model.ParseSeverity(s)
	}
	ev, err := evaluator.New(ctx, evaluator.Options{
		Builtin:    *cfg.Policies.Builtin,
		Dirs:       cfg.Policies.Dirs,
		Disabled:   cfg.Policies.Disabled,
		Severity:   sev,
		Data:       data,
		Logger:     log,
		Registerer: reg,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("loading policies: %w", err)
	}
	e.Evaluator = ev
	return e, ev, nil
}

func stateSource(s config.State, dir string) (collectors.StateSource, error) {
	switch s.Type {
	case "file":
		return tfstate.NewFileSource(s.Name, tfstate.FileConfig{Paths: s.Paths, BaseDir: dir, Stack: s.Stack, Owner: s.Owner, Production: s.Production}), nil
	case "http":
		pw, err := config.ResolveSecret(s.PasswordEnv, s.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("state source %s: password: %w", s.Name, err)
		}
		headers := map[string]string{}
		for k, v := range s.Headers {
			headers[k] = v
		}
		for h, env := range s.HeadersFromEnv {
			v, err := config.ResolveSecret(env, "")
			if err != nil {
				return nil, fmt.Errorf("state source %s: header %s: %w", s.Name, h, err)
			}
			headers[h] = v
		}
		return tfstate.NewHTTPSource(s.Name, tfstate.HTTPConfig{
			URL: s.URL, Username: s.Username, Password: pw, Headers: headers,
			Timeout: s.Timeout.D(), CAFile: s.CAFile, StackName: s.Stack,
		}), nil
	}
	return nil, fmt.Errorf("state source %s: unknown type %q", s.Name, s.Type)
}

func driftOptions(cfg *config.Config) (drift.Options, error) {
	o := drift.Options{Unmanaged: *cfg.Drift.Unmanaged, UnmanagedIgnoreTypes: cfg.Drift.UnmanagedIgnoreTypes}
	for _, r := range cfg.Drift.Ignore {
		o.Ignore = append(o.Ignore, drift.IgnoreRule{Resource: r.Resource, Attributes: r.Attributes, Reason: r.Reason, Expires: r.Expires.Time})
	}
	for _, p := range cfg.Drift.ProviderSchemas {
		f, err := os.Open(p)
		if err != nil {
			return o, fmt.Errorf("opening provider schema: %w", err)
		}
		s, err := drift.LoadSchemas(f)
		_ = f.Close()
		if err != nil {
			return o, fmt.Errorf("loading provider schema %s: %w", p, err)
		}
		if o.Schemas == nil {
			o.Schemas = s
		} else {
			o.Schemas.Merge(s)
		}
	}
	return o, nil
}

// Check validates what a configuration refers to without reading any
// source or opening the store: the provider schemas load and the policies
// compile. It returns the number of policies.
func Check(ctx context.Context, cfg *config.Config, log *slog.Logger) (int, error) {
	if _, err := driftOptions(cfg); err != nil {
		return 0, err
	}
	ev, err := evaluator.New(ctx, evaluator.Options{
		Builtin: *cfg.Policies.Builtin, Dirs: cfg.Policies.Dirs, Disabled: cfg.Policies.Disabled, Data: cfg.Policies.Data, Logger: log,
	})
	if err != nil {
		return 0, fmt.Errorf("loading policies: %w", err)
	}
	return len(ev.Policies()), nil
}
