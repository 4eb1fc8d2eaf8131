package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/driftwarden/driftwarden/app"
	"github.com/driftwarden/driftwarden/evaluator"
	"github.com/driftwarden/driftwarden/report"
	"github.com/driftwarden/driftwarden/store"
)

func newReportCmd() *cobra.Command {
	var (
		cfgPath, period, from, to, asOf, format, output string
		stacks, teams, frameworks                       []string
	)
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Build an audit report from the store's history",
		Long: `Build an audit report from the store's history: per control pass/fail with the
findings behind it, out-of-band changes (who, what, when, via), drift opened
and resolved with time-to-resolve, waivers in force, and coverage (cycles,
sources' last success, gaps where collection failed).

Choose one of:
  --period 30d                 the last 30 days (default)
  --from T1 --to T2            a range (RFC 3339 times or dates)
  --as-of T                    compliance as of a point in time, rebuilt from history
Filter with --stack, --team and --framework (CIS, SOC2, PCI-DSS, ...; a family
name selects every version). Formats: json, csv, markdown, html. Every report
carries a SHA-256 digest; check a copy with 'driftwarden report verify FILE'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, ok := report.ContentTypes[format]; !ok {
				return fmt.Errorf("--format: unknown format %q (%s)", format, strings.Join(report.Formats, ", "))
			}
			req, err := report.ParseRequest(report.RawRequest{Period: period, From: from, To: to, AsOf: asOf,
				Stacks: stacks, Teams: teams, Frameworks: frameworks}, time.Now())
			if err != nil {
				return flagError(err)
			}
			cfg, err := loadConfig(cfgPath)
			if err != nil {
				return err
			}
			ctx := context.Background()
			log := newLogger(cfg, cmd.ErrOrStderr())
			// The policies' controls make the control list; the store is only read.
			ev, err := evaluator.New(ctx, evaluator.Options{Builtin: *cfg.Policies.Builtin, Dirs: cfg.Policies.Dirs,
				Disabled: cfg.Policies.Disabled, Data: cfg.Policies.Data, Logger: log})
			if err != nil {
				return fmt.Errorf("loading policies: %w", err)
			}
			url, err := cfg.StoreURL()
			if err != nil {
				return err
			}
			st, err := store.Open(ctx, url, store.Options{Logger: log})
			if err != nil {
				return fmt.Errorf("opening store: %w", err)
			}
			defer st.Close()
			h, ok := st.(report.History)
			if !ok {
				return fmt.Errorf("the configured store cannot read history for reports")
			}
			ws, err := app.ReportWaivers(ctx, cfg, st, time.Now())
			if err != nil {
				return err
			}
			rep, err := report.Build(ctx, h, req, report.Options{
				Policies:  report.FromEvaluator(ev.Policies()),
				Retention: cfg.Store.Retention.D(),
				Generator: "driftwarden " + versionString(),
				Waivers:   ws,
			})
			if err != nil {
				return flagError(err)
			}
			out, err := report.Render(rep, format)
			if err != nil {
				return err
			}
			if output == "" || output == "-" {
				_, err = cmd.OutOrStdout().Write(out)
				return err
			}
			if err := writeFileAtomic(output, out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "report written to %s (%s, %s, %d controls failed)\n", output, format, rep.Summary.Status, rep.Summary.ControlsFailed)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&cfgPath, "config", "c", "", "configuration file (YAML)")
	fl.StringVar(&period, "period", "", "length of the period ending now: 30d, 12h (default 30d)")
	fl.StringVar(&from, "from", "", "start of the period (RFC 3339 or a date)")
	fl.StringVar(&to, "to", "", "end of the period (RFC 3339 or a date)")
	fl.StringVar(&asOf, "as-of", "", "report compliance as of this time (RFC 3339 or a date)")
	fl.StringSliceVar(&stacks, "stack", nil, "only these stacks")
	fl.StringSliceVar(&teams, "team", nil, "only these teams")
	fl.StringSliceVar(&frameworks, "framework", nil, "only these frameworks (CIS, SOC2, PCI-DSS, ...)")
	fl.StringVarP(&format, "format", "f", report.FormatMarkdown, "json, csv, markdown or html")
	fl.StringVarP(&output, "output", "o", "", "write to this file instead of standard output")
	cmd.AddCommand(newReportVerifyCmd())
	return cmd
}

func newReportVerifyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "verify FILE",
		Short: "Check a report against its embedded SHA-256 digest",
		Long: `Recompute a report's SHA-256 digest (JSON, CSV, Markdown or HTML) and compare
it with the digest it carries. Exits non-zero when the file was altered.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("reading report: %w", err)
			}
			v, err := report.Verify(data)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: OK (%s report, sha256 %s)\n", args[0], v.Format, v.Digest)
			return nil
		},
	}
}

// flagError names request parameters as the CLI spells them.
func flagError(err error) error {
	var pe *report.ParamError
	if errors.As(err, &pe) {
		flag := "--" + strings.ReplaceAll(pe.Param, "_", "-")
		return fmt.Errorf("%s: %s", flag, pe.Msg)
	}
	return err
}

// writeFileAtomic writes through a temporary file and a rename.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".report-*")
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("writing report: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	return nil
}
