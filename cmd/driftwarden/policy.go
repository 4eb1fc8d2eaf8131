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
	cmd.AddCommand(newPolicyTestCmd(), newPolicyEvalCmd(), newPolicyLintCmd(), newPolicyListCmd())
	return cmd
}

func newPolicyTestCmd() *cobra.Command {
	var (
		noBuiltin, verbose, coverage bool
		minCoverage                  float64
	)
	cmd := &cobra.Command{
		Use:   "test [DIR...]",
		Short: "Run the _test.rego tests of the built-in policies and of DIRs",
		Long: `Run every test rule (test_*) in _test.rego files with OPA's tester: the
built-in library's tests (unless --no-builtin) and those in each DIR. A policy
that does not compile is reported with its file and line. Exits 1 when a test
fails or errors, or when --min-coverage is set and the tests cover a smaller
share of the policies' lines.`,
		RunE: func(cmd *cobra.Command, dirs []string) error {
			sum, err := evaluator.RunTests(context.Background(), evaluator.TestOptions{
				Builtin: !noBuiltin, Dirs: dirs, Verbose: verbose, Out: cmd.OutOrStdout(),
				Coverage: coverage || minCoverage > 0,
			})
			if err != nil {
				return err
			}
			if sum.Total() == 0 {
				return fmt.Errorf("policy tests: no test found")
			}
			if sum.Coverage != nil {
				printCoverage(cmd.OutOrStdout(), sum.Coverage, coverage)
			}
			if !sum.OK() {
				return fmt.Errorf("policy tests: %d failed, %d errored", sum.Fail, sum.Error)
			}
			if minCoverage > 0 && sum.Coverage.Coverage < minCoverage {
				return fmt.Errorf("policy tests: coverage %.1f%% is below the required %.1f%%", sum.Coverage.Coverage, minCoverage)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&noBuiltin, "no-builtin", false, "do not run the built-in library's tests")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print every test, not only failures")
	cmd.Flags().BoolVar(&coverage, "coverage", false, "print each policy file's test coverage (lines evaluated by the tests)")
	cmd.Flags().Float64Var(&minCoverage, "min-coverage", 0, "fail when the tests cover less than this percentage of the policies' lines")
	return cmd
}
