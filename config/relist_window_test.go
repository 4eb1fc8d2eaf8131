package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEventsRelistWindow(t *testing.T) {
	for _, c := range []struct {
		name, yaml string
		want       time.Duration
		err        string
	}{
		{name: "default", yaml: "events:\n  - type: cloudtrail_files\n    path: t\n", want: 0},
		{name: "cloudtrail_files", yaml: "events:\n  - type: cloudtrail_files\n    path: t\n    relist_window: 45m\n", want: 45 * time.Minute},
		{name: "gcpaudit_files", yaml: "events:\n  - type: gcpaudit_files\n    path: t\n    relist_window: 2h\n", want: 2 * time.Hour},
		{name: "negative", yaml: "events:\n  - type: cloudtrail_files\n    path: t\n    relist_window: -5m\n", err: "dw.yaml:4: events[0].relist_window"},
		{name: "too long", yaml: "events:\n  - type: gcpaudit_files\n    path: t\n    relist_window: 48h\n", err: "events[0].relist_window: relist_window must be between 0"},
		{name: "another type", yaml: "events:\n  - type: cloudtrail_api\n    regions: [eu-west-1]\n    relist_window: 1h\n", err: "relist_window applies only to cloudtrail_files and gcpaudit_files"},
		{name: "not a duration", yaml: "events:\n  - type: cloudtrail_files\n    path: t\n    relist_window: soon\n", err: "relist_window"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse([]byte(c.yaml), "dw.yaml", "/d")
			if c.err != "" {
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.want, cfg.Events[0].RelistWindow.D())
		})
	}
}
