package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/driftwarden/driftwarden/app"
)

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with the configuration file",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "validate FILE",
		Short: "Check a configuration file without running anything",
		Long: `Check a configuration file: strict YAML (unknown keys, wrong types, bad cron
specs are errors naming the file, line and key), secrets by reference only,
and that its policies compile and its provider schema files load. No source
is read and no store is opened.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(args[0])
			if err != nil {
				return err
			}
			for _, w := range cfg.Warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
			}
			n, err := app.Check(context.Background(), cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok (%d state sources, %d inventories, %d policies)\n", args[0], len(cfg.States), len(cfg.Inventories), n)
			return nil
		},
	})
	return cmd
}
