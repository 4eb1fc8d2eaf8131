package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/driftwarden/driftwarden/app"
	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/model"
)

func newOwnersCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "owners",
		Short: "Explain which team owns a resource",
	}
	var cfgPath string
	explain := &cobra.Command{
		Use:   "explain RESOURCE",
		Short: "Show which ownership rule decides a resource's team",
		Long: `Load the configured Terraform states (no cloud call), find RESOURCE and print
the team that owns it, the rule that decided, and every candidate considered
in order: tags/labels, the stack's owner, path and pattern rules, CODEOWNERS,
the default team.

RESOURCE is a Terraform address (module.net.aws_vpc.main), optionally
prefixed by its stack (network:module.net.aws_vpc.main), or a canonical id
(an ARN, a GCP full resource name, provider/type/id).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cfgPath)
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			resolver, err := app.Ownership(cfg)
			if err != nil {
				return err
			}
			stacks, errs, err := app.LoadStacks(ctx, cfg)
			if err != nil {
				return err
			}
			for _, e := range errs {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %v\n", e)
			}
			r, src, matches := findResource(stacks, args[0])
			switch {
			case matches == 0:
				return fmt.Errorf("resource %q not found in the configured states (use an address, stack:address or a canonical id)", args[0])
			case matches > 1:
				return fmt.Errorf("resource %q is in %d stacks; prefix it with the stack (stack:address)", args[0], matches)
			}
			d := resolver.Explain(r, src)
			out := cmd.OutOrStdout()
			team := d.Team
			if team == "" {
				team = "(none)"
			}
			fmt.Fprintf(out, "%s (stack %s, source %s)\n", label(r), r.Stack, src)
			fmt.Fprintf(out, "team: %s\n", team)
			if d.Kind != "" {
				fmt.Fprintf(out, "decided by: %s: %s\n", d.Kind, d.Detail)
			} else {
				fmt.Fprintln(out, "decided by: nothing (no rule matched and no default_team)")
			}
			fmt.Fprintln(out, "candidates:")
			for i, c := range d.Chain {
				mark := "  "
				res := "no match"
				if c.Decided {
					mark, res = "=>", "team "+c.Team
				} else if c.Team != "" {
					res = "team " + c.Team + " (not applicable)"
				}
				fmt.Fprintf(out, "%s %d. %-10s %s: %s\n", mark, i+1, c.Kind, c.Detail, res)
			}
			return nil
		},
	}
	explain.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file (YAML)")
	cmd.AddCommand(explain)
	return cmd
}

func label(r model.Resource) string {
	if r.Address != "" {
		return r.Address
	}
	return r.ID
}

// findResource looks a resource up by [stack:]address or canonical id.
func findResource(stacks []collectors.Stack, ref string) (model.Resource, string, int) {
	var (
		found model.Resource
		src   string
		n     int
	)
	stack, addr := "", ref
	if i := strings.Index(ref, ":"); i > 0 && !strings.HasPrefix(ref, "arn:") && !strings.HasPrefix(ref, "//") {
		stack, addr = ref[:i], ref[i+1:]
	}
	for _, s := range stacks {
		for _, r := range s.Resources {
			hit := r.ID == ref || (r.Address == addr && (stack == "" || s.Name == stack)) || (stack == "" && r.Address == ref)
			if hit {
				if r.Stack == "" {
					r.Stack = s.Name
				}
				found, src = r, s.Source
				n++
			}
		}
	}
	return found, src, n
}
