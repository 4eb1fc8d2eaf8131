package relist

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAdvance(t *testing.T) {
	ws := func(newest string) string { return strings.TrimSuffix(newest, "9") + "0" } // the window of "k39" starts at "k30"
	set := func(keys ...string) map[string]bool {
		m := map[string]bool{}
		for _, k := range keys {
			m[k] = true
		}
		return m
	}
	cases := []struct {
		name     string
		low      string
		done     map[string]bool
		held     string
		max      int
		wantLow  string
		wantDone []string
	}{
		{name: "prunes to the window", low: "k00", done: set("k10", "k25", "k31", "k39"), max: 10, wantLow: "k30", wantDone: []string{"k31", "k39"}},
		{name: "never moves back", low: "k35", done: set("k39"), max: 10, wantLow: "k35", wantDone: []string{"k39"}},
		{name: "nothing processed", low: "", done: set(), max: 10, wantLow: "", wantDone: []string{}},
		{name: "held file inside the window", low: "k00", done: set("k10", "k31", "k39"), held: "k33", max: 10, wantLow: "k30", wantDone: []string{"k31", "k39"}},
		{name: "held file before the window stops the mark before it", low: "k00", done: set("k10", "k12", "k31", "k39"), held: "k20", max: 10, wantLow: "k12", wantDone: []string{"k31", "k39"}},
		{name: "bounded: the oldest are dropped", low: "k00", done: set("k31", "k32", "k33", "k34", "k39"), max: 2, wantLow: "k33", wantDone: []string{"k34", "k39"}},
		{name: "bounded, but never past a held file", low: "k00", done: set("k31", "k32", "k33", "k34", "k39"), held: "k325", max: 2, wantLow: "k32", wantDone: []string{"k33", "k34", "k39"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			low, done := Advance(tc.low, tc.done, tc.held, ws, tc.max)
			require.Equal(t, tc.wantLow, low)
			require.Equal(t, tc.wantDone, done)
			if tc.held != "" {
				require.Less(t, low, tc.held)
			}
		})
	}
}
