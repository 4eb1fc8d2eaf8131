package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"cloud.google.com/go/storage"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/driftwarden/driftwarden/attribution"
	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/collectors/awsconfig"
	"github.com/driftwarden/driftwarden/collectors/cloudtrail"
	"github.com/driftwarden/driftwarden/collectors/gcpasset"
	"github.com/driftwarden/driftwarden/collectors/gcpaudit"
	"github.com/driftwarden/driftwarden/collectors/snapshot"
	"github.com/driftwarden/driftwarden/collectors/tfplan"
	"github.com/driftwarden/driftwarden/collectors/tfstate"
	"github.com/driftwarden/driftwarden/collectors/tfstate/s3state"
	"github.com/driftwarden/driftwarden/config"
	"github.com/driftwarden/driftwarden/drift"
	"github.com/driftwarden/driftwarden/engine"
	"github.com/driftwarden/driftwarden/evaluator"
	"github.com/driftwarden/driftwarden/identity"
	"github.com/driftwarden/driftwarden/internal/awsclient"
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
		case "awsconfig":
			src, err := awsConfigSource(inv)
			if err != nil {
				return nil, nil, err
			}
			e.Inventories = append(e.Inventories, src)
		case "gcpasset":
			src, err := gcpAssetSource(ctx, inv, cfg.Dir)
			if err != nil {
				return nil, nil, err
			}
			e.Inventories = append(e.Inventories, src)
		}
	}

	for _, ev := range cfg.Events {
		src, err := eventSource(ctx, ev, m, log)
		if err != nil {
			return nil, nil, err
		}
		if src != nil {
			e.EventSources = append(e.EventSources, src)
		}
	}
	e.Attributor = attribution.New(attributionConfig(cfg))

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

		Bundles:          policyBundles(cfg.Policies.Bundles),
		RequireTestsPass: cfg.Policies.RequireTestsPass,
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
	case "s3":
		cc, err := awsClientConfig(s.AWSAccess)
		if err != nil {
			return nil, fmt.Errorf("state source %s: %w", s.Name, err)
		}
		ssec, err := config.ResolveSecret(s.SSECustomerKeyEnv, s.SSECustomerKeyFile)
		if err != nil {
			return nil, fmt.Errorf("state source %s: sse_customer_key: %w", s.Name, err)
		}
		return s3state.NewSource(s.Name, s3state.Config{
			Bucket: s.Bucket, Key: s.Key, KeysUnder: s.KeysUnder, WorkspaceKeyPrefix: s.WorkspaceKeyPrefix,
			SSECustomerKey: ssec, Stack: s.Stack, Client: cc, Owner: s.Owner, Production: s.Production,
		}), nil
	case "gcs":
		client, err := gcsClient(context.Background(), s.GCPAccess)
		if err != nil {
			return nil, fmt.Errorf("state source %s: %w", s.Name, err)
		}
		key, err := config.ResolveSecret(s.EncryptionKeyEnv, s.EncryptionKeyFile)
		if err != nil {
			return nil, fmt.Errorf("state source %s: encryption_key: %w", s.Name, err)
		}
		return tfstate.NewGCSSource(s.Name, tfstate.GCSConfig{
			Bucket: s.Bucket, Prefix: s.Prefix, StackName: s.Stack, Client: client, Owner: s.Owner, Production: s.Production,
			EncryptionKey: key,
		}), nil
	}
	return nil, fmt.Errorf("state source %s: unknown type %q", s.Name, s.Type)
}

// awsClientConfig resolves a source's AWS access keys (the external id is
// read from its environment variable).
func awsClientConfig(a config.AWSAccess) (awsclient.ClientConfig, error) {
	ext, err := config.ResolveSecret(a.ExternalIDEnv, "")
	if err != nil {
		return awsclient.ClientConfig{}, fmt.Errorf("external id: %w", err)
	}
	return awsclient.ClientConfig{Region: a.Region, EndpointURL: a.EndpointURL, ForcePathStyle: a.ForcePathStyle, AssumeRoleARN: a.AssumeRoleARN, ExternalID: ext}, nil
}

// awsConfigSource builds an AWS Config inventory.
func awsConfigSource(inv config.Inventory) (collectors.InventorySource, error) {
	cc, err := awsClientConfig(inv.AWSAccess)
	if err != nil {
		return nil, fmt.Errorf("inventory %s: %w", inv.Name, err)
	}
	c := awsconfig.Config{Bucket: inv.Bucket, Prefix: inv.Prefix, Types: inv.Types, Client: cc}
	if inv.Path != "" {
		c.Paths = []string{inv.Path}
	}
	if q := inv.API; q != nil {
		c.API = &awsconfig.APIConfig{Aggregator: q.Aggregator, Accounts: q.Accounts, Regions: q.Regions, Types: q.Types}
	}
	return awsconfig.NewSource(inv.Name, c), nil
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

// attributionConfig gathers the deployers of every stack: the attribution
// section's rules plus each state source's deployers.
func attributionConfig(cfg *config.Config) attribution.Config {
	ac := attribution.Config{
		ChangedAttributes: identity.ChangedAttributes,
		CountsAsChange:    countsAsChange,
		ApplySlack:        cfg.Attribution.ApplySlack.D(),
		ApplyGrace:        cfg.Attribution.ApplyGrace.D(),
		InventoryLag:      cfg.Attribution.InventoryLag.D(),
	}
	for _, d := range cfg.Attribution.Deployers {
		ac.Deployers = append(ac.Deployers, attribution.DeployerRule{Stacks: d.Stacks, Sources: d.Sources, Principals: d.Principals})
	}
	for _, s := range cfg.States {
		if len(s.Deployers) > 0 {
			ac.Deployers = append(ac.Deployers, attribution.DeployerRule{Sources: []string{s.Name}, Principals: s.Deployers})
		}
	}
	return ac
}

// countsAsChange counts a GCP long-running operation once (its last entry).
func countsAsChange(ev model.Event) bool {
	if ev.Source == gcpaudit.EventSource {
		return gcpaudit.CountsAsChange(ev)
	}
	return true
}

// policyBundles converts the configured bundles.
func policyBundles(bs []config.PolicyBundle) []evaluator.Bundle {
	out := make([]evaluator.Bundle, len(bs))
	for i, b := range bs {
		out[i] = evaluator.Bundle{Name: b.Name, URL: b.URL, Path: b.Path,
			VerificationKeyFile: b.VerificationKeyFile, KeyID: b.KeyID, PollInterval: b.PollInterval.D()}
	}
	return out
}

// eventSource builds an audit event source; it returns nil for types another
// builder handles.
func eventSource(ctx context.Context, ev config.Events, m *metrics.Metrics, log *slog.Logger) (collectors.EventSource, error) {
	switch ev.Type {
	case "cloudtrail_files":
		fc := cloudtrail.FileConfig{
			Dir: ev.Path, Bucket: ev.Bucket, Prefix: ev.Prefix, Accounts: ev.Accounts, Regions: ev.Regions,
			Options:      cloudtrail.Options{IncludeReadOnly: ev.IncludeReadOnly},
			RelistWindow: ev.RelistWindow.D(),
			Logger:       log.With("source", ev.Name),
		}
		if m != nil {
			counter := m.EventsIngested.WithLabelValues(ev.Name)
			fc.Ingested = func(n int) { counter.Add(float64(n)) }
		}
		if ev.Bucket != "" {
			ext, err := config.ResolveSecret(ev.ExternalIDEnv, "")
			if err != nil {
				return nil, fmt.Errorf("event source %s: external id: %w", ev.Name, err)
			}
			client, err := s3state.NewClient(ctx, awsclient.ClientConfig{
				Region: ev.Region, EndpointURL: ev.EndpointURL, ForcePathStyle: ev.ForcePathStyle,
				AssumeRoleARN: ev.AssumeRoleARN, ExternalID: ext,
			})
			if err != nil {
				return nil, fmt.Errorf("event source %s: %w", ev.Name, err)
			}
			fc.Client = client
		}
		fc.Layout = ev.Layout
		if ev.ValidateDigests {
			fc.ValidateDigests = true
			if ev.PublicKeysFile != "" {
				keys, err := cloudtrail.LoadPEMPublicKeys(ev.PublicKeysFile)
				if err != nil {
					return nil, fmt.Errorf("event source %s: %w", ev.Name, err)
				}
				fc.PublicKeys = keys
			} else {
				ext, err := config.ResolveSecret(ev.ExternalIDEnv, "")
				if err != nil {
					return nil, fmt.Errorf("event source %s: external id: %w", ev.Name, err)
				}
				ac, err := awsclient.LoadAWSConfig(ctx, awsclient.ClientConfig{Region: ev.Region, AssumeRoleARN: ev.AssumeRoleARN, ExternalID: ext})
				if err != nil {
					return nil, fmt.Errorf("event source %s: %w", ev.Name, err)
				}
				fc.PublicKeys = cloudtrail.NewAPIPublicKeysFromConfig(ac)
			}
		}
		src, err := cloudtrail.NewFileSource(ev.Name, fc)
		if err != nil {
			return nil, fmt.Errorf("event source %s: %w", ev.Name, err)
		}
		return src, nil
	case "cloudtrail_api":
		return cloudTrailAPISource(ev, m, log)
	case "gcpaudit_api":
		return gcpaudit.NewAPISource(ev.Name, gcpaudit.APIConfig{
			Parents: ev.Parents, Logs: ev.Logs, Overlap: ev.Overlap.D(), InitialLookback: ev.InitialLookback.D(),
			RequestsPerMinute: ev.RequestsPerMinute, ClientOptions: gcpClientOptions(ev.GCPAccess, true),
			Logger: log.With("source", ev.Name),
		}), nil
	case "gcpaudit_files":
		fc := gcpaudit.FilesConfig{Dir: ev.Path, Bucket: ev.Bucket, Prefix: ev.Prefix, Logs: ev.Logs,
			RelistWindow: ev.RelistWindow.D(), Logger: log.With("source", ev.Name)}
		if ev.Bucket != "" {
			client, err := gcsClient(ctx, ev.GCPAccess)
			if err != nil {
				return nil, fmt.Errorf("event source %s: %w", ev.Name, err)
			}
			fc.Client = client
		}
		return gcpaudit.NewFilesSource(ev.Name, fc), nil
	}
	return nil, nil
}

// gcpClientOptions turns a source's GCP access keys into client options:
// Application Default Credentials unless credentials_file names a key
// file; endpoint points the client elsewhere without authentication
// (plaintext gRPC for gRPC clients).
func gcpClientOptions(a config.GCPAccess, grpcClient bool) []option.ClientOption {
	var opts []option.ClientOption
	if a.CredentialsFile != "" {
		opts = append(opts, option.WithAuthCredentialsFile(option.ServiceAccount, a.CredentialsFile))
	}
	if a.Endpoint != "" {
		opts = append(opts, option.WithEndpoint(a.Endpoint), option.WithoutAuthentication())
		if grpcClient {
			opts = append(opts, option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
		}
	}
	return opts
}

// gcsClient returns a Cloud Storage client (JSON API, also for reads).
func gcsClient(ctx context.Context, a config.GCPAccess) (*storage.Client, error) {
	c, err := storage.NewClient(ctx, append(gcpClientOptions(a, false), storage.WithJSONReads())...)
	if err != nil {
		return nil, fmt.Errorf("creating Cloud Storage client: %w", err)
	}
	return c, nil
}

// gcpAssetSource builds a Cloud Asset Inventory source (API or exports).
func gcpAssetSource(ctx context.Context, inv config.Inventory, dir string) (collectors.InventorySource, error) {
	if len(inv.Parents) > 0 {
		return gcpasset.NewAPISource(inv.Name, gcpasset.APIConfig{
			Parents: inv.Parents, AssetTypes: inv.AssetTypes, ClientOptions: gcpClientOptions(inv.GCPAccess, true),
		}), nil
	}
	fc := gcpasset.FileConfig{Paths: inv.Paths, BaseDir: dir, Bucket: inv.Bucket, Prefix: inv.Prefix,
		AssetTypes: inv.AssetTypes, Projects: inv.Projects}
	if inv.Bucket != "" {
		client, err := gcsClient(ctx, inv.GCPAccess)
		if err != nil {
			return nil, fmt.Errorf("inventory %s: %w", inv.Name, err)
		}
		fc.Client = client
	}
	return gcpasset.NewFileSource(inv.Name, fc), nil
}

// cloudTrailAPISource builds a LookupEvents source; its ingested events and
// throttled calls are counted in the daemon metrics under its name.
func cloudTrailAPISource(ev config.Events, m *metrics.Metrics, log *slog.Logger) (collectors.EventSource, error) {
	ext, err := config.ResolveSecret(ev.ExternalIDEnv, "")
	if err != nil {
		return nil, fmt.Errorf("event source %s: external id: %w", ev.Name, err)
	}
	ac := cloudtrail.APIConfig{
		Accounts: ev.Accounts, Regions: ev.Regions, RoleARNTemplate: ev.RoleARNTemplate, ExternalID: ext,
		SessionName: ev.SessionName, IncludeReadOnly: ev.IncludeReadOnly, Overlap: ev.Overlap.D(),
		InitialLookback: ev.InitialLookback.D(), RateLimit: ev.RateLimit, Endpoint: ev.EndpointURL, Region: ev.Region,
		Logger: log.With("source", ev.Name),
	}
	if m != nil {
		ingested := m.EventsIngested.WithLabelValues(ev.Name)
		throttled := m.APIThrottled.WithLabelValues(ev.Name)
		ac.Ingested = func(n int) { ingested.Add(float64(n)) }
		ac.Throttled = throttled.Inc
	}
	src, err := cloudtrail.NewAPISource(ev.Name, ac)
	if err != nil {
		return nil, fmt.Errorf("event source %s: %w", ev.Name, err)
	}
	return src, nil
}
