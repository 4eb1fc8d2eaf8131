package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/driftwarden/driftwarden/app"
	"github.com/driftwarden/driftwarden/engine"
)

func newRunCmd() *cobra.Command {
	var cfgPath string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the daemon: cycles on the configured schedule, /metrics, /healthz, /readyz",
		Long: `Run the daemon. It serves /metrics, /healthz and /readyz on server.listen,
runs a cycle at start (schedule.run_on_start) and then on schedule.scan,
skipping a scheduled run while the previous cycle is still going (counted in
driftwarden_cycles_skipped_total). SIGINT or SIGTERM stops it gracefully: a
running cycle is either recorded completely or not at all. SIGHUP reloads
the policies (the last good set keeps running if the new one fails).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cfgPath)
			if err != nil {
				return err
			}
			log := newLogger(cfg, cmd.ErrOrStderr())
			ctx, stop := signalContext()
			defer stop()
			out := cmd.OutOrStdout()
			a, err := newApp(ctx, cfg, log, "", func(r *engine.Result) {
				fmt.Fprintln(out, app.Summary(r))
				printFindings(out, r.Findings, 3)
			})
			if err != nil {
				return err
			}
			defer a.Close()

			hup := make(chan os.Signal, 1)
			signal.Notify(hup, syscall.SIGHUP)
			defer signal.Stop(hup)
			go func() {
				for {
					select {
					case <-ctx.Done():
						return
					case <-hup:
						if err := a.ReloadPolicies(ctx); err != nil {
							log.Error("policy reload failed; the last good policy set keeps running", "error", err)
						} else {
							log.Info("policies reloaded")
						}
					}
				}
			}()
			return a.Run(ctx, func(addr string) {
				fmt.Fprintf(out, "driftwarden %s: metrics at http://%s/metrics, health at /healthz, readiness at /readyz\n", versionString(), addr)
				fmt.Fprintf(out, "schedule %q; press Ctrl-C to stop\n", cfg.Schedule.Scan)
			})
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file (YAML)")
	return cmd
}
