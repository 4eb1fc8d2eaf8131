package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/spf13/cobra"

	"github.com/driftwarden/driftwarden/config"
	"github.com/driftwarden/driftwarden/evaluator"
	"github.com/driftwarden/driftwarden/model"
)

// printCoverage prints the overall coverage and, when perFile, each
// policy file's coverage with the lines no test evaluated.
func printCoverage(w io.Writer, rep *cover.Report, perFile bool) {
	if perFile {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FILE\tCOVERAGE\tNOT COVERED")
		for _, name := range slices.Sorted(maps.Keys(rep.Files)) {
			f := rep.Files[name]
			var missed []string
			for _, r := range f.NotCovered {
				m := fmt.Sprint(r.Start.Row)
				if r.End.Row != r.Start.Row {
					m = fmt.Sprintf("%d-%d", r.Start.Row, r.End.Row)
				}
				if len(missed) == 0 || missed[len(missed)-1] != m {
					missed = append(missed, m)
				}
			}
			fmt.Fprintf(tw, "%s\t%.1f%%\t%s\n", name, f.Coverage, strings.Join(missed, ","))
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "COVERAGE: %.1f%% (%d of %d lines)\n", rep.Coverage, rep.CoveredLines, rep.CoveredLines+rep.NotCoveredLines)
}

// policySetFlags are the flags choosing a policy set.
type policySetFlags struct {
	noBuiltin  bool
	configFile string
}

func (f *policySetFlags) add(cmd *cobra.Command, withConfig bool) {
	cmd.Flags().BoolVar(&f.noBuiltin, "no-builtin", false, "leave the built-in library out")
	if withConfig {
		cmd.Flags().StringVar(&f.configFile, "config", "", "use the policies section of this configuration (folders, disabled, severity, data)")
	}
}

// options builds evaluator options from the flags, the configuration and DIRs.
func (f *policySetFlags) options(dirs []string) (evaluator.Options, error) {
	opts := evaluator.Options{Builtin: !f.noBuiltin, Dirs: dirs, Workers: 1}
	if f.configFile == "" {
		return opts, nil
	}
	cfg, err := config.Load(f.configFile)
	if err != nil {
		return opts, err
	}
	if !f.noBuiltin {
		opts.Builtin = *cfg.Policies.Builtin
	}
	opts.Dirs = append(slices.Clone(cfg.Policies.Dirs), dirs...)
	opts.Disabled = cfg.Policies.Disabled
	opts.Data = cfg.Policies.Data
	opts.Severity = map[string]model.Severity{}
	for id, s := range cfg.Policies.Severity {
		opts.Severity[id], _ = model.ParseSeverity(s)
	}
	return opts, nil
}

func newPolicyEvalCmd() *cobra.Command {
	var (
		set     policySetFlags
		input   string
		kind    string
		explain bool
		output  string
	)
	cmd := &cobra.Command{
		Use:   "eval --input FILE [DIR...]",
		Short: "Evaluate the policies on one input and print the violations",
		Long: `Evaluate the built-in policies (unless --no-builtin), those of --config and
of each DIR on one input and print the violations with their metadata. The
input kind is detected unless --kind says it: a plan (terraform show -json
PLANFILE), a CloudTrail record (bare, a Records file or an EventBridge
envelope), an event, a drift or a resource in driftwarden's JSON form, or
snapshot lines (one resource per line). --explain prints OPA's evaluation
trace of every applicable policy. Exits 1 when there is a violation or an
evaluation error, 0 otherwise.`,
		RunE: func(cmd *cobra.Command, dirs []string) error {
			if input == "" {
				return fmt.Errorf("policy eval: --input FILE is required")
			}
			opts, err := set.options(dirs)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			ev, err := evaluator.New(ctx, opts)
			if err != nil {
				return fmt.Errorf("loading policies: %w", err)
			}
			ins, err := readEvalInputs(ctx, input, kind)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			var (
				all  []model.Violation
				errs []error
			)
			for _, in := range ins {
				var trace io.Writer
				if explain {
					trace = out
				}
				vs, es := ev.Evaluate(ctx, in, trace)
				all = append(all, vs...)
				errs = append(errs, es...)
			}
			if err := printViolations(out, output, all); err != nil {
				return err
			}
			for _, e := range errs {
				fmt.Fprintf(cmd.ErrOrStderr(), "error: %v\n", e)
			}
			if len(errs) > 0 {
				return fmt.Errorf("policy eval: %d evaluation errors", len(errs))
			}
			if len(all) > 0 {
				return exitCode(1)
			}
			return nil
		},
	}
	set.add(cmd, true)
	cmd.Flags().StringVarP(&input, "input", "i", "", "the input file")
	cmd.Flags().StringVar(&kind, "kind", "", "input kind: resource, drift, event or plan (default: detected)")
	cmd.Flags().BoolVar(&explain, "explain", false, "print the evaluation trace of every applicable policy")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return cmd
}

func printViolations(w io.Writer, format string, vs []model.Violation) error {
	switch format {
	case "json":
		if vs == nil {
			vs = []model.Violation{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(vs)
	case "text", "":
	default:
		return fmt.Errorf("--output %q is not one of text, json", format)
	}
	if len(vs) == 0 {
		fmt.Fprintln(w, "no violation")
		return nil
	}
	for _, v := range vs {
		fmt.Fprintf(w, "%s %s [%s] %s\n", strings.ToUpper(string(v.Severity)), v.PolicyID, v.Title, v.Subject)
		fmt.Fprintf(w, "  message:     %s\n", v.Message)
		if len(v.Controls) > 0 {
			fmt.Fprintf(w, "  controls:    %s\n", strings.Join(v.Controls, ", "))
		}
		if v.Remediation != "" {
			fmt.Fprintf(w, "  remediation: %s\n", v.Remediation)
		}
	}
	fmt.Fprintf(w, "%d violations\n", len(vs))
	return nil
}

func newPolicyLintCmd() *cobra.Command {
	var (
		noBuiltin  bool
		frameworks []string
	)
	cmd := &cobra.Command{
		Use:   "lint [DIR...]",
		Short: "Check policies' METADATA, ids, controls and tests",
		Long: `Check the built-in library (unless --no-builtin) and each DIR: every policy
loads and compiles, has a complete METADATA block (title, description,
custom.id, severity, input, remediation, controls), a unique id, controls
written FRAMEWORK:CONTROL with a known framework (` + strings.Join(evaluator.KnownFrameworks, ", ") + `,
optionally versioned: CIS-AWS-2.0, PCI-DSS-4.0; add your own with
--framework), and at least one test. Prints file:line: problem and exits 1
when there is any.`,
		RunE: func(cmd *cobra.Command, dirs []string) error {
			problems := evaluator.Lint(evaluator.LintOptions{Builtin: !noBuiltin, Dirs: dirs, Frameworks: frameworks})
			for _, p := range problems {
				fmt.Fprintln(cmd.OutOrStdout(), p.String())
			}
			if len(problems) > 0 {
				return fmt.Errorf("policy lint: %d problems", len(problems))
			}
			fmt.Fprintln(cmd.OutOrStdout(), "no problem found")
			return nil
		},
	}
	cmd.Flags().BoolVar(&noBuiltin, "no-builtin", false, "do not lint the built-in library")
	cmd.Flags().StringSliceVar(&frameworks, "framework", nil, "extra control framework prefixes to accept (repeatable)")
	return cmd
}

func newPolicyListCmd() *cobra.Command {
	var (
		set    policySetFlags
		output string
	)
	cmd := &cobra.Command{
		Use:   "list [DIR...]",
		Short: "List the policies: id, title, severity, controls, input, types",
		Long: `List the built-in policies (unless --no-builtin), those of --config and of
each DIR. --output markdown prints the policy catalogue (docs/policies.md is
generated with it: make docs).`,
		RunE: func(cmd *cobra.Command, dirs []string) error {
			opts, err := set.options(dirs)
			if err != nil {
				return err
			}
			ev, err := evaluator.New(cmd.Context(), opts)
			if err != nil {
				return fmt.Errorf("loading policies: %w", err)
			}
			return printPolicies(cmd.OutOrStdout(), output, ev.Policies())
		},
	}
	set.add(cmd, true)
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table, json or markdown")
	return cmd
}

func printPolicies(w io.Writer, format string, ps []evaluator.PolicyInfo) error {
	types := func(p evaluator.PolicyInfo) string {
		if len(p.ResourceTypes) == 0 {
			if p.Input == model.SubjectResource || p.Input == model.SubjectDrift {
				return "all"
			}
			return ""
		}
		return strings.Join(p.ResourceTypes, ", ")
	}
	switch format {
	case "json":
		if ps == nil {
			ps = []evaluator.PolicyInfo{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(ps)
	case "markdown", "md":
		return printCatalogue(w, ps, types)
	case "table", "":
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSEVERITY\tINPUT\tTITLE\tCONTROLS\tTYPES")
		for _, p := range ps {
			sev := string(p.Severity)
			if p.Disabled {
				sev += " (disabled)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, sev, p.Input, p.Title, strings.Join(p.Controls, " "), types(p))
		}
		return tw.Flush()
	}
	return fmt.Errorf("--output %q is not one of table, json, markdown", format)
}

// printCatalogue writes the policy catalogue (docs/policies.md).
func printCatalogue(w io.Writer, ps []evaluator.PolicyInfo, types func(evaluator.PolicyInfo) string) error {
	cell := func(s string) string {
		return strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(s), "\n", " "), "|", `\|`)
	}
	var b strings.Builder
	b.WriteString("# Policy catalogue\n\n")
	b.WriteString("<!-- Generated by `driftwarden policy list --output markdown` (make docs). Do not edit. -->\n\n")
	fmt.Fprintf(&b, "%d policies. Severities can be overridden and policies disabled in the configuration (`policies.severity`, `policies.disabled`); see [configuration](configuration.md) and [the policy convention](../policies/README.md).\n\n", len(ps))
	b.WriteString("| id | title | severity | input | controls | resource types |\n")
	b.WriteString("|----|-------|----------|-------|----------|----------------|\n")
	for _, p := range ps {
		ctl := make([]string, len(p.Controls))
		for i, c := range p.Controls {
			ctl[i] = "`" + c + "`"
		}
		ts := types(p)
		if ts != "" && ts != "all" {
			ts = "`" + strings.Join(p.ResourceTypes, "`, `") + "`"
		}
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s | %s | %s |\n", p.ID, anchor(p.ID), cell(p.Title), p.Severity, p.Input, strings.Join(ctl, "<br>"), ts)
	}
	for _, p := range ps {
		fmt.Fprintf(&b, "\n## %s\n\n**%s** (%s, input: %s; `%s`)\n\n", p.ID, cell(p.Title), p.DefaultSeverity, p.Input, strings.TrimPrefix(p.File, evaluator.BuiltinPrefix))
		if p.Description != "" {
			fmt.Fprintf(&b, "%s\n\n", strings.TrimSpace(p.Description))
		}
		if len(p.Controls) > 0 {
			fmt.Fprintf(&b, "Controls: %s\n\n", strings.Join(p.Controls, ", "))
		}
		if len(p.InventoryTypes) > 0 {
			fmt.Fprintf(&b, "Inventory (other resources of the cycle it consults): `%s`\n\n", strings.Join(p.InventoryTypes, "`, `"))
		}
		if p.Remediation != "" {
			fmt.Fprintf(&b, "Remediation: %s\n", strings.TrimSpace(p.Remediation))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// anchor is the GitHub heading anchor of an id.
func anchor(id string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return -1
	}, id)
}
