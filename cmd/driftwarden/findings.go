package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

func newFindingsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "findings",
		Short: "Query findings recorded in the store",
	}
	cmd.AddCommand(newFindingsListCmd())
	return cmd
}

func newFindingsListCmd() *cobra.Command {
	var (
		cfgPath, output                       string
		states, kinds, severities, stacks, po []string
		limit, offset                         int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List findings from the store, with filters",
		Long: `List findings recorded in the configured store, most severe first.
Filters take comma-separated values and may be repeated:
  --state open,resolved,waived   (default: open)
  --kind changed,missing,unmanaged,violation,out_of_band_change,integrity_failure
  --severity critical,high       --stack NAME   --policy ID`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return fmt.Errorf("--output: unknown format %q (table or json)", output)
			}
			f := store.FindingFilter{Stacks: stacks, PolicyIDs: po, Limit: limit, Offset: offset}
			for _, s := range states {
				if s == "all" {
					f.States = nil
					break
				}
				st := model.FindingState(s)
				if st != model.StateOpen && st != model.StateResolved && st != model.StateWaived {
					return fmt.Errorf("--state: unknown state %q (open, resolved, waived, all)", s)
				}
				f.States = append(f.States, st)
			}
			for _, k := range kinds {
				ok := false
				for _, known := range model.FindingKinds {
					ok = ok || string(known) == k
				}
				if !ok {
					return fmt.Errorf("--kind: unknown kind %q", k)
				}
				f.Kinds = append(f.Kinds, model.FindingKind(k))
			}
			for _, s := range severities {
				sv, ok := model.ParseSeverity(s)
				if !ok {
					return fmt.Errorf("--severity: unknown severity %q", s)
				}
				f.Severities = append(f.Severities, sv)
			}
			cfg, err := loadConfig(cfgPath)
			if err != nil {
				return err
			}
			url, err := cfg.StoreURL()
			if err != nil {
				return err
			}
			ctx := context.Background()
			st, err := store.Open(ctx, url, store.Options{Logger: newLogger(cfg, cmd.ErrOrStderr())})
			if err != nil {
				return fmt.Errorf("opening store: %w", err)
			}
			defer st.Close()
			fs, err := st.Findings(ctx, f)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if output == "json" {
				if fs == nil {
					fs = []model.Finding{}
				}
				return writeJSON(out, fs)
			}
			if len(fs) == 0 {
				fmt.Fprintln(out, "No findings match.")
				return nil
			}
			tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SEVERITY\tSTATE\tKIND\tSTACK\tRESOURCE\tFINDING\tFIRST SEEN\tLAST SEEN\tFINGERPRINT")
			for _, x := range fs {
				what := x.Title
				if x.PolicyID != "" {
					what = x.PolicyID
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", x.Severity, x.State, x.Kind, dash(x.Stack), resourceLabel(x), what,
					x.FirstSeen.Format("2006-01-02 15:04"), x.LastSeen.Format("2006-01-02 15:04"), x.Fingerprint[:12])
			}
			return tw.Flush()
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&cfgPath, "config", "c", "", "configuration file (YAML)")
	fl.StringVarP(&output, "output", "o", "table", "output format: table or json")
	fl.StringSliceVar(&states, "state", []string{"open"}, "finding states (open, resolved, waived, all)")
	fl.StringSliceVar(&kinds, "kind", nil, "finding kinds")
	fl.StringSliceVar(&severities, "severity", nil, "severities")
	fl.StringSliceVar(&stacks, "stack", nil, "stack names")
	fl.StringSliceVar(&po, "policy", nil, "policy ids")
	fl.IntVar(&limit, "limit", 0, "at most this many findings (0 = all)")
	fl.IntVar(&offset, "offset", 0, "skip this many findings")
	return cmd
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}
