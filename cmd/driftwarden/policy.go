package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/driftwarden/driftwarden/evaluator"
)

func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Work with Rego policies",
	}
	cmd.AddCommand(newPolicyTestCmd())
	return cmd
}

func newPolicyTestCmd() *cobra.Command {
	var (
		noBuiltin, verbose bool
	)
	cmd := &cobra.Command{
		Use:   "test [DIR...]",
		Short: "Run the _test.rego tests of the built-in policies and of DIRs",
		Long: `Run every test rule (test_*) in _test.rego files with OPA's tester: the
built-in library's tests (unless --no-builtin) and those in each DIR. A policy
that does not compile is reported with its file and line. Exits 1 when a test
fails or errors.`,
		RunE: func(cmd *cobra.Command, dirs []string) error {
			sum, err := evaluator.RunTests(context.Background(), evaluator.TestOptions{
				Builtin: !noBuiltin, Dirs: dirs, Verbose: verbose, Out: cmd.OutOrStdout(),
			})
			if err != nil {
				return err
			}
			if sum.Total() == 0 {
				return fmt.Errorf("policy tests: no test found")
			}
			if !sum.OK() {
				return fmt.Errorf("policy tests: %d failed, %d errored", sum.Fail, sum.Error)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&noBuiltin, "no-builtin", false, "do not run the built-in library's tests")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print every test, not only failures")
	return cmd
}
