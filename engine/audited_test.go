package engine

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

// The cycle records what it evaluated, so reports can tell a control with
// nothing in scope (not applicable) from one that was checked and passed.
func TestCycleRecordsWhatItAudited(t *testing.T) {
	a, b := res("prod", "a", false, nil), res("prod", "b", false, nil)
	a.Provider, a.Account = "aws", "123456789012"
	c := res("data", "c", false, nil)
	c.Type, c.Provider, c.Account = "google_storage_bucket", "google", "acme-data"
	st := &fakeStates{name: "states", stacks: []collectors.Stack{
		{Name: "prod", Resources: []model.Resource{a, b}},
		{Name: "data", Resources: []model.Resource{c}},
	}}
	e, _ := newEngine(t, st, &fakeInventory{name: "live"})
	_, err := e.Run(context.Background())
	require.NoError(t, err)
	cycles, err := e.Store.Cycles(context.Background(), 1)
	require.NoError(t, err)
	require.Len(t, cycles, 1)
	require.Equal(t, &store.Audited{
		Types:    map[string]int{"t_bucket": 2, "google_storage_bucket": 1},
		Stacks:   []string{"data", "prod"},
		Accounts: []string{"123456789012"},
		Projects: []string{"acme-data"},
	}, cycles[0].Audited)
}
