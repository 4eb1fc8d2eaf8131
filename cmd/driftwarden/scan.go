package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/driftwarden/driftwarden/app"
	"github.com/driftwarden/driftwarden/engine"
	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

func newScanCmd() *cobra.Command {
	var (
		cfgPath, output, failOn string
		noStore                 bool
	)
	cmd := &cobra.Command{
		Use:   "scan",
		Short: "Run one cycle now and print what it found",
		Long: `Run one audit cycle and print its findings grouped by stack and severity
(--output table, the default) or as JSON (--output json). The cycle is
recorded in the configured store, so findings keep their lifecycle across
scans; --no-store uses a throwaway store instead.

--fail-on SEVERITY makes the command exit with status 2 when any finding of
that severity or higher was found, for use as a pipeline gate. Exit status 1
means the scan itself could not run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var threshold model.Severity
			if failOn != "" {
				s, ok := model.ParseSeverity(failOn)
				if !ok {
					return fmt.Errorf("--fail-on: unknown severity %q (critical, high, medium, low, info)", failOn)
				}
				threshold = s
			}
			if output != "table" && output != "json" {
				return fmt.Errorf("--output: unknown format %q (table or json)", output)
			}
			cfg, err := loadConfig(cfgPath)
			if err != nil {
				return err
			}
			log := newLogger(cfg, cmd.ErrOrStderr())
			ctx, stop := signalContext()
			defer stop()
			storeURL := ""
			if noStore {
				dir, err := os.MkdirTemp("", "driftwarden-scan-")
				if err != nil {
					return fmt.Errorf("creating a throwaway store: %w", err)
				}
				defer os.RemoveAll(dir)
				storeURL = filepath.Join(dir, "scan.db")
			}
			a, err := newApp(ctx, cfg, log, storeURL, nil)
			if err != nil {
				return err
			}
			defer a.Close()
			res, err := a.Cycle(ctx)
			if err != nil {
				return err
			}
			// Alerts of this cycle (and any left over) go out now, within a deadline.
			if _, err := a.DeliverAlerts(ctx, 30*time.Second); err != nil {
				log.Warn("alert delivery failed; the alerts stay in the outbox", "error", err)
			}
			out := cmd.OutOrStdout()
			if output == "json" {
				if err := writeJSON(out, scanJSON(res)); err != nil {
					return err
				}
			} else {
				printScan(out, res)
			}
			if threshold != "" {
				for _, f := range res.Findings {
					if f.Severity.Rank() >= threshold.Rank() {
						return exitCode(2)
					}
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file (YAML)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	cmd.Flags().StringVar(&failOn, "fail-on", "", "exit with status 2 if a finding of this severity or higher is found")
	cmd.Flags().BoolVar(&noStore, "no-store", false, "record the cycle in a throwaway store instead of the configured one")
	return cmd
}

// scanResult is the JSON form of a scan (stable snake_case keys).
type scanResult struct {
	CycleID     int64                `json:"cycle_id"`
	Status      string               `json:"status"`
	StartedAt   time.Time            `json:"started_at"`
	FinishedAt  time.Time            `json:"finished_at"`
	Stacks      []string             `json:"stacks"`
	Counts      map[string]int       `json:"counts"`
	Findings    []model.Finding      `json:"findings"`
	Transitions []transitionJSON     `json:"transitions"`
	Sources     []store.SourceStatus `json:"sources"`
	Warnings    []string             `json:"warnings,omitempty"`
}

type transitionJSON struct {
	Change      store.Change `json:"change"`
	Fingerprint string       `json:"fingerprint"`
}

func scanJSON(r *engine.Result) scanResult {
	out := scanResult{CycleID: r.CycleID, Status: r.Status, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		Stacks: r.Stacks, Counts: r.Counts, Findings: r.Findings, Sources: r.Sources, Warnings: r.Warnings,
		Transitions: []transitionJSON{}}
	if out.Findings == nil {
		out.Findings = []model.Finding{}
	}
	sortFindings(out.Findings)
	for _, t := range r.Transitions {
		out.Transitions = append(out.Transitions, transitionJSON{Change: t.Change, Fingerprint: t.Finding.Fingerprint})
	}
	return out
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func sortFindings(fs []model.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Stack != b.Stack {
			return a.Stack < b.Stack
		}
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.ResourceID < b.ResourceID
	})
}

func printScan(w io.Writer, r *engine.Result) {
	fmt.Fprintln(w, app.Summary(r))
	fmt.Fprintln(w)
	printFindings(w, r.Findings, 0)
	fmt.Fprintln(w, "\nSources:")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, s := range r.Sources {
		state := "ok"
		if !s.OK {
			state = fmt.Sprintf("%d input(s) failed", len(s.Errors))
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d items\t%s\t%s\n", s.Source, s.Kind, s.Items, s.Duration.Round(time.Millisecond), state)
	}
	_ = tw.Flush()
	for _, s := range r.Sources {
		for _, e := range s.Errors {
			fmt.Fprintf(w, "  ! %s: %s\n", s.Source, e)
		}
	}
	for _, wr := range r.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", wr)
	}
}

// printFindings prints findings grouped by stack, most severe first.
// maxDiffs limits the diff lines shown per finding (0 = all).
func printFindings(w io.Writer, in []model.Finding, maxDiffs int) {
	fs := append([]model.Finding(nil), in...)
	sortFindings(fs)
	if len(fs) == 0 {
		fmt.Fprintln(w, "No findings.")
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	stack := "\x00"
	for _, f := range fs {
		if f.Stack != stack {
			stack = f.Stack
			name := stack
			if name == "" {
				name = "(no stack: unmanaged resources)"
			}
			fmt.Fprintf(tw, "\nSTACK %s\n", name)
			fmt.Fprintf(tw, "  SEVERITY\tKIND\tRESOURCE\tFINDING\n")
		}
		what := f.Title
		if f.PolicyID != "" {
			what = f.PolicyID + " " + f.Title
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", f.Severity, f.Kind, resourceLabel(f), what)
		if f.Message != "" && (f.Kind == model.FindingViolation || f.Kind == model.FindingOutOfBandChange || f.Kind == model.FindingIntegrityFailure) {
			fmt.Fprintf(tw, "  \t\t\t%s\n", oneLine(f.Message))
		}
		if f.Kind.IsDrift() {
			for _, ev := range f.Evidence.Events {
				fmt.Fprintf(tw, "  \t\t\t%s\n", whoLine(ev))
			}
		}
		for i, d := range f.Evidence.Diffs {
			if maxDiffs > 0 && i == maxDiffs {
				fmt.Fprintf(tw, "  \t\t\t... %d more attributes\n", len(f.Evidence.Diffs)-i)
				break
			}
			fmt.Fprintf(tw, "  \t\t\t~ %s: %s -> %s\n", d.Path, short(d.Applied), short(d.Live))
		}
	}
	_ = tw.Flush()
}

func resourceLabel(f model.Finding) string {
	if f.Address != "" {
		return f.Address
	}
	return f.ResourceID
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

func short(v any) string {
	if v == nil {
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return oneLine(string(b))
}

// whoLine says who did what, how and when: "by alice@example.com via console
// at 2026-11-25T21:14:03Z: ec2:AuthorizeSecurityGroupIngress (human)".
func whoLine(ev model.Event) string {
	who := ev.Principal.Person
	if who == "" {
		who = ev.Principal.ID
	}
	line := fmt.Sprintf("by %s via %s at %s: %s", who, dash(string(ev.Via)), ev.Time.UTC().Format(time.RFC3339), ev.Action)
	if ev.Verdict != "" {
		line += " (" + ev.Verdict + ")"
	}
	return line
}
