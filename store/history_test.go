package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
)

func TestHistoryQueriesSQLite(t *testing.T) { historySuite(t, newSQLite) }

func TestHistoryQueriesPostgres(t *testing.T) {
	requirePostgres(t)
	historySuite(t, func(t *testing.T) string { return newPostgres(t) })
}

func historySuite(t *testing.T, fresh freshDB) {
	ctx := context.Background()
	t.Run("periods, candidates and history", func(t *testing.T) {
		s := mustOpen(t, fresh(t)).(*sqlStore)
		a, b, c := fnd("a", "s1", model.SeverityHigh), fnd("b", "s1", model.SeverityLow), fnd("c", "s2", model.SeverityMedium)
		record(t, s, cycle(1, []string{"s1", "s2"}, a, b))  // a, b open
		record(t, s, cycle(2, []string{"s1", "s2"}, a))     // b resolved at 2
		record(t, s, cycle(3, []string{"s1", "s2"}, a, c))  // c opens at 3
		record(t, s, cycle(4, []string{"s1", "s2"}, c))     // a resolved at 4
		record(t, s, cycle(10, []string{"s1", "s2"}, c, b)) // b reopens at 10

		cs, err := s.CyclesBetween(ctx, at(2), at(3))
		require.NoError(t, err)
		require.Len(t, cs, 2)
		require.True(t, cs[0].StartedAt.Before(cs[1].StartedAt), "oldest first")
		require.Equal(t, at(2), cs[0].FinishedAt)

		// [5, 6]: a and b were resolved; b is a candidate (reopened later), c is open.
		fs, err := s.FindingsBetween(ctx, at(5), at(6))
		require.NoError(t, err)
		var fps []string
		for _, f := range fs {
			fps = append(fps, f.Fingerprint)
		}
		require.ElementsMatch(t, []string{"b", "c"}, fps, "a resolved at 4 for good is not a candidate")

		hist, err := s.HistoryBetween(ctx, at(5), at(6))
		require.NoError(t, err)
		var got []string
		for _, h := range hist {
			got = append(got, fmt.Sprintf("%s:%s", h.Fingerprint, h.Change))
		}
		require.Equal(t, []string{"b:opened", "b:resolved", "c:opened"}, got, "history up to the end of the period only")

		none, err := s.FindingsBetween(ctx, at(-5), at(0))
		require.NoError(t, err)
		require.Empty(t, none, "nothing was seen before the first cycle")
	})

	t.Run("keyset pages walk every finding once", func(t *testing.T) {
		s := mustOpen(t, fresh(t)).(*sqlStore)
		var fs []model.Finding
		sevs := []model.Severity{model.SeverityCritical, model.SeverityHigh, model.SeverityLow}
		for i := range 23 {
			f := fnd(fmt.Sprintf("f%02d", i), fmt.Sprintf("s%d", i%3), sevs[i%3])
			f.Team = []string{"web", "data"}[i%2]
			fs = append(fs, f)
		}
		record(t, s, cycle(1, nil, fs...))
		seen := map[string]int{}
		after := ""
		pages := 0
		for {
			page, err := s.FindingsPage(ctx, FindingQuery{Limit: 5, After: after})
			require.NoError(t, err)
			if len(page) == 0 {
				break
			}
			pages++
			for _, f := range page {
				seen[f.Fingerprint]++
			}
			after = Cursor(page[len(page)-1])
		}
		require.Equal(t, 5, pages)
		require.Len(t, seen, 23)
		for fp, n := range seen {
			require.Equal(t, 1, n, fp)
		}
		all, err := s.Findings(ctx, FindingFilter{})
		require.NoError(t, err)
		off, err := s.FindingsPage(ctx, FindingQuery{Limit: 4, Offset: 3})
		require.NoError(t, err)
		require.Equal(t, all[3:7], off, "offset pages follow the listing order")

		web, err := s.FindingsPage(ctx, FindingQuery{Limit: 100, Teams: []string{"web"}, Severities: []model.Severity{model.SeverityCritical}})
		require.NoError(t, err)
		require.NotEmpty(t, web)
		for _, f := range web {
			require.Equal(t, "web", f.Team)
			require.Equal(t, model.SeverityCritical, f.Severity)
		}

		for _, bad := range []FindingQuery{{Limit: 0}, {Limit: 5, Offset: -1}, {Limit: 5, After: "!!", Offset: 0}, {Limit: 5, After: Cursor(all[0]), Offset: 2}} {
			_, err := s.FindingsPage(ctx, bad)
			require.Error(t, err, "%+v", bad)
		}
		_, err = s.FindingsPage(ctx, FindingQuery{Limit: 5, After: "bm90IGpzb24"})
		require.ErrorIs(t, err, ErrBadCursor)
	})
}
