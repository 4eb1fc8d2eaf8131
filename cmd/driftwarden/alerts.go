package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/driftwarden/driftwarden/store"
)

func newAlertsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "Inspect the alert outbox",
	}
	var (
		cfgPath, state, output string
		limit                  int
	)
	list := &cobra.Command{
		Use:   "list",
		Short: "List outbox messages (pending, sent, dead-lettered), newest first",
		Long: `List the alert outbox: every message planned from finding transitions, with
its team, channel, state (pending, sent, dead), attempts and last error.
Dead-lettered messages failed permanently (channel_not_found, invalid_auth,
not_in_channel, webhook 404/410/403) and are never retried.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch state {
			case "", "pending", "sent", "dead":
			default:
				return fmt.Errorf("--state: unknown state %q (pending, sent or dead)", state)
			}
			cfg, err := loadConfig(cfgPath)
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			a, err := newApp(ctx, cfg, newLogger(cfg, cmd.ErrOrStderr()), "", nil)
			if err != nil {
				return err
			}
			defer a.Close()
			st, ok := store.AlertsOf(a.Store())
			if !ok {
				return fmt.Errorf("the store has no outbox")
			}
			msgs, err := st.Outbox(ctx, store.OutboxState(state), limit)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if output == "json" {
				if msgs == nil {
					msgs = []store.OutboxMessage{}
				}
				return writeJSON(out, msgs)
			}
			if len(msgs) == 0 {
				fmt.Fprintln(out, "No alerts.")
				return nil
			}
			tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATE\tKIND\tTEAM\tCHANNEL\tATTEMPTS\tCREATED\tSENT\tLAST ERROR")
			for _, m := range msgs {
				sent := ""
				if m.SentAt != nil {
					sent = m.SentAt.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", m.ID, m.State, m.Kind, m.Team, m.Channel, m.Attempts,
					m.CreatedAt.Format(time.RFC3339), sent, oneLine(m.LastError))
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file (YAML)")
	list.Flags().StringVar(&state, "state", "", "only messages in this state: pending, sent or dead")
	list.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	list.Flags().IntVar(&limit, "limit", 100, "at most this many messages (0 = all)")
	cmd.AddCommand(list)
	return cmd
}
