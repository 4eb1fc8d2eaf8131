package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/driftwarden/driftwarden/app"
	"github.com/driftwarden/driftwarden/config"
	"github.com/driftwarden/driftwarden/engine"
)

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "driftwarden",
		Short: "Audit cloud infrastructure against its Terraform state and policies",
		Long: `driftwarden audits cloud infrastructure after deployment. It reads applied
Terraform state and live inventories, finds drift (changed, missing and
unmanaged resources), evaluates Rego compliance policies, keeps findings with a
lifecycle in a store, and exports Prometheus metrics.

Start with the demo:
  driftwarden scan --config examples/demo/driftwarden.yaml`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newRunCmd(), newScanCmd(), newFindingsCmd(), newPolicyCmd(), newConfigCmd(), newVersionCmd())
	root.AddCommand(newReportCmd())
	root.AddCommand(newAlertsCmd(), newOwnersCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "driftwarden %s (%s, %s/%s)\n", versionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// loadConfig loads the configuration named by --config.
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return nil, fmt.Errorf("no configuration file: pass --config FILE")
	}
	return config.Load(path)
}

// newLogger builds the structured logger from the configuration.
func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.Log.Level))
	o := &slog.HandlerOptions{Level: lvl}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, o))
	}
	return slog.New(slog.NewTextHandler(w, o))
}

// signalContext returns the context of run and scan, cancelled by SIGINT or
// SIGTERM. It is a variable so that tests can stop a command without
// signalling the test process.
var signalContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func newApp(ctx context.Context, cfg *config.Config, log *slog.Logger, storeURL string, onCycle func(*engine.Result)) (*app.App, error) {
	return app.New(ctx, cfg, app.Options{Logger: log, Version: versionString(), StoreURL: storeURL, OnCycle: onCycle})
}
