package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.UTC)

// at is the time of the n-th test cycle.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }

func fnd(fp, scope string, sev model.Severity) model.Finding {
	return model.Finding{
		Fingerprint: fp, Kind: model.FindingViolation, Severity: sev, PolicyID: "p-" + fp,
		Title: "title " + fp, Message: "message " + fp, ResourceID: "r/" + fp, ResourceType: "aws_s3_bucket",
		Stack: scope, Scope: scope, Team: "platform", Controls: []string{"CIS:1.1"},
	}
}

func cycle(n int, scopes []string, fs ...model.Finding) CycleRecord {
	return CycleRecord{
		StartedAt: at(n).Add(-time.Minute), FinishedAt: at(n), Status: "ok",
		Findings: fs, AuditedScopes: scopes, Counts: map[string]int{"findings": len(fs)},
	}
}

func record(t *testing.T, s Store, rec CycleRecord) (int64, map[string]Transition) {
	t.Helper()
	id, trs, err := s.RecordCycle(context.Background(), rec)
	require.NoError(t, err)
	byFP := map[string]Transition{}
	for _, tr := range trs {
		_, dup := byFP[tr.Finding.Fingerprint]
		require.False(t, dup, "two transitions for %s", tr.Finding.Fingerprint)
		require.Equal(t, id, tr.CycleID)
		byFP[tr.Finding.Fingerprint] = tr
	}
	return id, byFP
}

func changes(trs map[string]Transition) map[string]Change {
	out := map[string]Change{}
	for fp, tr := range trs {
		out[fp] = tr.Change
	}
	return out
}

func historyChanges(h []HistoryEntry) []Change {
	var out []Change
	for _, e := range h {
		out = append(out, e.Change)
	}
	return out
}

func rawDB(s Store) *sqlStore { return s.(*sqlStore) }

// runSuite runs every behavioural test against one backend.
func runSuite(t *testing.T, fresh freshDB) {
	ctx := context.Background()
	ab := []string{"a", "b"}

	t.Run("migrate twice", func(t *testing.T) {
		u := fresh(t)
		s1 := mustOpen(t, u)
		require.NoError(t, s1.Close())
		s2 := mustOpen(t, u)
		var n, v int
		require.NoError(t, rawDB(s2).db.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &v))
		require.Equal(t, len(migrations), n)
		require.Equal(t, latestVersion(), v)
	})

	t.Run("replicas start together", func(t *testing.T) {
		u := fresh(t)
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Go(func() {
				s, err := Open(ctx, u, Options{})
				if err == nil {
					err = s.Close()
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		var n int
		require.NoError(t, rawDB(mustOpen(t, u)).db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n))
		require.Equal(t, len(migrations), n)
	})

	t.Run("newer schema", func(t *testing.T) {
		u := fresh(t)
		s := mustOpen(t, u)
		_, err := rawDB(s).db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`)
		require.NoError(t, err)
		require.NoError(t, s.Close())
		where := rawDB(s).where
		_, err = Open(ctx, u, Options{})
		require.ErrorIs(t, err, ErrSchemaTooNew)
		require.ErrorContains(t, err, "version 999")
		require.ErrorContains(t, err, where)
	})

	t.Run("lifecycle", func(t *testing.T) {
		s := mustOpen(t, fresh(t))
		_, trs := record(t, s, cycle(0, ab, fnd("A", "a", model.SeverityHigh), fnd("B", "b", model.SeverityLow)))
		require.Equal(t, map[string]Change{"A": ChangeOpened, "B": ChangeOpened}, changes(trs))
		require.Equal(t, model.StateOpen, trs["A"].Finding.State)
		require.True(t, trs["A"].Finding.FirstSeen.Equal(at(0)))

		_, trs = record(t, s, cycle(1, ab, fnd("A", "a", model.SeverityHigh)))
		require.Equal(t, map[string]Change{"B": ChangeResolved}, changes(trs))
		b := trs["B"].Finding
		require.Equal(t, model.StateResolved, b.State)
		require.NotNil(t, b.ResolvedAt)
		require.True(t, b.ResolvedAt.Equal(at(1)))
		require.Equal(t, "title B", b.Title, "a resolution carries the whole finding")

		id2, trs := record(t, s, cycle(2, ab, fnd("A", "a", model.SeverityHigh), fnd("B", "b", model.SeverityLow)))
		require.Equal(t, map[string]Change{"B": ChangeReopened}, changes(trs))

		got, hist, err := s.Finding(ctx, "B")
		require.NoError(t, err)
		require.Equal(t, model.StateOpen, got.State)
		require.Nil(t, got.ResolvedAt)
		require.True(t, got.FirstSeen.Equal(at(0)), "first seen is kept on reopen")
		require.True(t, got.LastSeen.Equal(at(2)))
		require.Equal(t, []Change{ChangeOpened, ChangeResolved, ChangeReopened}, historyChanges(hist))
		require.Equal(t, id2, hist[2].CycleID)
		require.True(t, hist[1].At.Equal(at(1)))
		require.Equal(t, model.StateResolved, hist[1].State)
		var reopened int
		require.NoError(t, rawDB(s).db.QueryRow(`SELECT times_reopened FROM findings WHERE fingerprint = 'B'`).Scan(&reopened))
		require.Equal(t, 1, reopened)

		a, hist, err := s.Finding(ctx, "A")
		require.NoError(t, err)
		require.True(t, a.LastSeen.Equal(at(2)))
		require.Equal(t, []Change{ChangeOpened}, historyChanges(hist))

		_, _, err = s.Finding(ctx, "nope")
		require.ErrorIs(t, err, ErrNotFound)
	})

	t.Run("escalation", func(t *testing.T) {
		s := mustOpen(t, fresh(t))
		record(t, s, cycle(0, ab, fnd("A", "a", model.SeverityMedium)))
		_, trs := record(t, s, cycle(1, ab, fnd("A", "a", model.SeverityHigh)))
		require.Equal(t, map[string]Change{"A": ChangeEscalated}, changes(trs))
		require.Equal(t, model.SeverityMedium, trs["A"].PreviousSeverity)
		require.Equal(t, model.SeverityHigh, trs["A"].Finding.Severity)
		require.True(t, trs["A"].Finding.FirstSeen.Equal(at(0)))

		_, trs = record(t, s, cycle(2, ab, fnd("A", "a", model.SeverityLow)))
		require.Empty(t, trs, "a decrease is silent")
		got, hist, err := s.Finding(ctx, "A")
		require.NoError(t, err)
		require.Equal(t, model.SeverityLow, got.Severity)

		_, trs = record(t, s, cycle(3, ab, fnd("A", "a", model.SeverityCritical)))
		require.Equal(t, model.SeverityLow, trs["A"].PreviousSeverity)
		_, hist, err = s.Finding(ctx, "A")
		require.NoError(t, err)
		require.Equal(t, []Change{ChangeOpened, ChangeEscalated, ChangeEscalated}, historyChanges(hist))
		require.Equal(t, model.SeverityCritical, hist[2].Severity)
	})

	t.Run("unaudited scope keeps findings open", func(t *testing.T) {
		s := mustOpen(t, fresh(t))
		record(t, s, cycle(0, ab, fnd("A", "a", model.SeverityHigh), fnd("B", "b", model.SeverityHigh)))
		// Stack b failed: only a was audited, and nothing was observed.
		_, trs := record(t, s, cycle(1, []string{"a"}))
		require.Equal(t, map[string]Change{"A": ChangeResolved}, changes(trs))
		got, _, err := s.Finding(ctx, "B")
		require.NoError(t, err)
		require.Equal(t, model.StateOpen, got.State)
		require.True(t, got.LastSeen.Equal(at(0)), "an unaudited finding is not seen either")
		// Nothing audited at all (every input failed): nothing resolves.
		_, trs = record(t, s, cycle(2, nil))
		require.Empty(t, trs)
	})

	t.Run("repeated record yields no transitions", func(t *testing.T) {
		s := mustOpen(t, fresh(t))
		rec := cycle(0, ab, fnd("A", "a", model.SeverityHigh), fnd("B", "b", model.SeverityLow))
		_, trs := record(t, s, rec)
		require.Len(t, trs, 2)
		for i := 1; i <= 2; i++ {
			rec.FinishedAt = at(i)
			_, trs = record(t, s, rec)
			require.Empty(t, trs)
		}
		all, err := s.Findings(ctx, FindingFilter{})
		require.NoError(t, err)
		require.Len(t, all, 2)
		cs, err := s.Cycles(ctx, 0)
		require.NoError(t, err)
		require.Len(t, cs, 3)
	})

	t.Run("restart", func(t *testing.T) {
		u := fresh(t)
		s := mustOpen(t, u)
		rec := cycle(0, ab, fnd("A", "a", model.SeverityHigh), fnd("B", "b", model.SeverityLow))
		record(t, s, rec)
		record(t, s, cycle(1, ab, fnd("A", "a", model.SeverityHigh))) // B resolved
		require.NoError(t, s.Close())

		s = mustOpen(t, u)
		_, trs := record(t, s, cycle(2, ab, fnd("A", "a", model.SeverityHigh)))
		require.Empty(t, trs, "a restart neither reopens nor re-opens")
		all, err := s.Findings(ctx, FindingFilter{})
		require.NoError(t, err)
		require.Len(t, all, 2)
		_, hist, err := s.Finding(ctx, "A")
		require.NoError(t, err)
		require.Equal(t, []Change{ChangeOpened}, historyChanges(hist))
	})

	t.Run("duplicates merge, last wins", func(t *testing.T) {
		s := mustOpen(t, fresh(t))
		first, last := fnd("A", "a", model.SeverityLow), fnd("A", "a", model.SeverityHigh)
		last.Message = "last"
		_, trs := record(t, s, cycle(0, ab, first, fnd("B", "b", model.SeverityLow), last))
		require.Equal(t, map[string]Change{"A": ChangeOpened, "B": ChangeOpened}, changes(trs))
		got, _, err := s.Finding(ctx, "A")
		require.NoError(t, err)
		require.Equal(t, "last", got.Message)
		require.Equal(t, model.SeverityHigh, got.Severity)
	})

	t.Run("waived stays waived", func(t *testing.T) {
		s := mustOpen(t, fresh(t))
		record(t, s, cycle(0, ab, fnd("A", "a", model.SeverityLow)))
		_, err := rawDB(s).db.Exec(`UPDATE findings SET state = 'waived'`)
		require.NoError(t, err)
		_, trs := record(t, s, cycle(1, ab, fnd("A", "a", model.SeverityCritical)))
		require.Empty(t, trs)
		got, _, err := s.Finding(ctx, "A")
		require.NoError(t, err)
		require.Equal(t, model.StateWaived, got.State)
		require.Equal(t, model.SeverityCritical, got.Severity)
		require.True(t, got.LastSeen.Equal(at(1)))
		_, trs = record(t, s, cycle(2, ab))
		require.Empty(t, trs, "a waived finding does not resolve")
	})

	t.Run("failed record leaves nothing", func(t *testing.T) {
		s := mustOpen(t, fresh(t))
		record(t, s, cycle(0, ab, fnd("A", "a", model.SeverityLow), fnd("B", "b", model.SeverityLow)))
		rawDB(s).beforeCommit = func() error { return errors.New("crash") }
		crashed := cycle(1, ab, fnd("A", "a", model.SeverityHigh), fnd("C", "a", model.SeverityLow))
		crashed.Checkpoints = []Checkpoint{{Source: "cloudtrail", Key: "k", Value: "after-crash"}}
		_, _, err := s.RecordCycle(ctx, crashed)
		require.ErrorContains(t, err, "crash")
		rawDB(s).beforeCommit = nil
		_, err = s.Checkpoint(ctx, "cloudtrail", "k")
		require.ErrorIs(t, err, ErrNotFound, "a checkpoint never moves past an unrecorded cycle")

		cs, err := s.Cycles(ctx, 0)
		require.NoError(t, err)
		require.Len(t, cs, 1)
		all, err := s.Findings(ctx, FindingFilter{})
		require.NoError(t, err)
		require.Len(t, all, 2)
		for _, f := range all {
			require.Equal(t, model.StateOpen, f.State)
			require.Equal(t, model.SeverityLow, f.Severity)
		}
		_, trs := record(t, s, cycle(1, ab, fnd("A", "a", model.SeverityHigh), fnd("C", "a", model.SeverityLow)))
		require.Equal(t, map[string]Change{"A": ChangeEscalated, "B": ChangeResolved, "C": ChangeOpened}, changes(trs))
	})

	t.Run("concurrent recorders", func(t *testing.T) {
		u := fresh(t)
		stores := []Store{mustOpen(t, u), mustOpen(t, u)}
		const rounds = 5
		var wg sync.WaitGroup
		errs := make(chan error, 2*rounds)
		for i, s := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range rounds {
					var fs []model.Finding
					for k := range 50 {
						fs = append(fs, fnd(fmt.Sprintf("F%02d", k), "a", model.Severities[(k+r+i)%5]))
					}
					if _, _, err := s.RecordCycle(ctx, cycle(r, []string{"a"}, fs...)); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		all, err := stores[0].Findings(ctx, FindingFilter{})
		require.NoError(t, err)
		require.Len(t, all, 50)
		var opened int
		require.NoError(t, rawDB(stores[1]).db.QueryRow(`SELECT COUNT(*) FROM finding_history WHERE change = 'opened'`).Scan(&opened))
		require.Equal(t, 50, opened)
		cs, err := stores[1].Cycles(ctx, 0)
		require.NoError(t, err)
		require.Len(t, cs, 2*rounds)
	})

	t.Run("filters and paging", func(t *testing.T) {
		s := mustOpen(t, fresh(t))
		var fs []model.Finding
		for i := range 30 {
			stack := []string{"prod", "dev", "staging"}[i%3]
			f := fnd(fmt.Sprintf("F%02d", i), stack, model.Severities[i%5])
			f.ResourceID = fmt.Sprintf("r/%02d", 29-i)
			if i%4 == 0 {
				f.Kind = model.FindingChanged
				f.PolicyID = ""
			}
			fs = append(fs, f)
		}
		record(t, s, cycle(0, []string{"prod", "dev", "staging"}, fs...))
		record(t, s, cycle(1, []string{"dev"}, slices.DeleteFunc(slices.Clone(fs), func(f model.Finding) bool { return f.Stack == "dev" })...))

		all, err := s.Findings(ctx, FindingFilter{})
		require.NoError(t, err)
		require.Len(t, all, 30)
		require.True(t, slices.IsSortedFunc(all, func(a, b model.Finding) int {
			if c := b.Severity.Rank() - a.Severity.Rank(); c != 0 {
				return c
			}
			if a.Stack != b.Stack {
				if a.Stack < b.Stack {
					return -1
				}
				return 1
			}
			if a.ResourceID < b.ResourceID {
				return -1
			}
			return 1
		}), "severity desc, stack, resource")

		var paged []model.Finding
		for off := 0; ; off += 7 {
			page, err := s.Findings(ctx, FindingFilter{Limit: 7, Offset: off})
			require.NoError(t, err)
			if len(page) == 0 {
				break
			}
			paged = append(paged, page...)
		}
		require.Equal(t, all, paged)
		tail, err := s.Findings(ctx, FindingFilter{Offset: 25})
		require.NoError(t, err)
		require.Equal(t, all[25:], tail)

		count := func(f FindingFilter) int {
			got, err := s.Findings(ctx, f)
			require.NoError(t, err)
			return len(got)
		}
		tests := []struct {
			name string
			f    FindingFilter
			want int
		}{
			{"resolved", FindingFilter{States: []model.FindingState{model.StateResolved}}, 10},
			{"open", FindingFilter{States: []model.FindingState{model.StateOpen}}, 20},
			{"open or resolved", FindingFilter{States: []model.FindingState{model.StateOpen, model.StateResolved}}, 30},
			{"kind changed", FindingFilter{Kinds: []model.FindingKind{model.FindingChanged}}, 8},
			{"critical", FindingFilter{Severities: []model.Severity{model.SeverityCritical}}, 6},
			{"stack prod", FindingFilter{Stacks: []string{"prod"}}, 10},
			{"policy", FindingFilter{PolicyIDs: []string{"p-F01", "p-F02", "p-F04"}}, 2},
			{"open prod high", FindingFilter{States: []model.FindingState{model.StateOpen}, Stacks: []string{"prod"}, Severities: []model.Severity{model.SeverityHigh}}, 2},
			{"limit", FindingFilter{Limit: 4}, 4},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { require.Equal(t, tt.want, count(tt.f)) })
		}
		_, err = s.Findings(ctx, FindingFilter{Limit: -1})
		require.Error(t, err)
	})

	t.Run("odd text is stored", func(t *testing.T) {
		s := mustOpen(t, fresh(t))
		f := fnd("A", "a", model.SeverityLow)
		f.Title, f.ResourceID = "nul\x00byte", "bad\xffutf8"
		record(t, s, cycle(0, ab, f))
		got, _, err := s.Finding(ctx, "A")
		require.NoError(t, err)
		require.Equal(t, "nul\uFFFDbyte", got.Title)
		require.Equal(t, "bad\uFFFDutf8", got.ResourceID)
		_, trs := record(t, s, cycle(1, ab, f))
		require.Empty(t, trs)
	})

	t.Run("checkpoints", func(t *testing.T) {
		s := mustOpen(t, fresh(t))
		_, err := s.Checkpoint(ctx, "cloudtrail", "123/eu-west-1")
		require.ErrorIs(t, err, ErrNotFound)
		require.NoError(t, s.SetCheckpoint(ctx, "cloudtrail", "123/eu-west-1", "t1"))
		require.NoError(t, s.SetCheckpoint(ctx, "cloudtrail", "123/us-east-1", "u1"))
		require.NoError(t, s.SetCheckpoint(ctx, "cloudtrail", "123/eu-west-1", "t2"))
		v, err := s.Checkpoint(ctx, "cloudtrail", "123/eu-west-1")
		require.NoError(t, err)
		require.Equal(t, "t2", v)
		v, err = s.Checkpoint(ctx, "cloudtrail", "123/us-east-1")
		require.NoError(t, err)
		require.Equal(t, "u1", v)
		_, err = s.Checkpoint(ctx, "gcpaudit", "123/eu-west-1")
		require.ErrorIs(t, err, ErrNotFound)

		// Checkpoints recorded with a cycle commit with it.
		rec := cycle(0, ab, fnd("A", "a", model.SeverityHigh))
		rec.Checkpoints = []Checkpoint{{Source: "cloudtrail", Key: "123/eu-west-1", Value: "t3"}, {Source: "gcpaudit", Key: "p", Value: "g1"}}
		record(t, s, rec)
		v, err = s.Checkpoint(ctx, "cloudtrail", "123/eu-west-1")
		require.NoError(t, err)
		require.Equal(t, "t3", v)
		v, err = s.Checkpoint(ctx, "gcpaudit", "p")
		require.NoError(t, err)
		require.Equal(t, "g1", v)
	})

	t.Run("prune", func(t *testing.T) {
		s := mustOpen(t, fresh(t))
		record(t, s, cycle(0, ab, fnd("A", "a", model.SeverityHigh), fnd("B", "b", model.SeverityHigh), fnd("C", "b", model.SeverityHigh)))
		record(t, s, cycle(1, ab, fnd("A", "a", model.SeverityHigh), fnd("C", "b", model.SeverityHigh))) // B resolved at 1
		record(t, s, cycle(5, ab, fnd("A", "a", model.SeverityHigh)))                                    // C resolved at 5

		n, err := s.Prune(ctx, at(3))
		require.NoError(t, err)
		// history: A opened, B opened, C opened, B resolved; finding B; cycles 0 and 1.
		require.Equal(t, int64(7), n)
		_, _, err = s.Finding(ctx, "B")
		require.ErrorIs(t, err, ErrNotFound)
		a, hist, err := s.Finding(ctx, "A")
		require.NoError(t, err)
		require.Equal(t, model.StateOpen, a.State, "open findings are never pruned")
		require.Empty(t, hist)
		_, hist, err = s.Finding(ctx, "C")
		require.NoError(t, err)
		require.Equal(t, []Change{ChangeResolved}, historyChanges(hist))
		cs, err := s.Cycles(ctx, 0)
		require.NoError(t, err)
		require.Len(t, cs, 1)
		require.True(t, cs[0].FinishedAt.Equal(at(5)))

		n, err = s.Prune(ctx, at(3))
		require.NoError(t, err)
		require.Zero(t, n)
	})

	t.Run("cycles and sources", func(t *testing.T) {
		s := mustOpen(t, fresh(t))
		ok := SourceStatus{Source: "states", Kind: "tfstate", OK: true, Items: 3, Duration: 1500 * time.Millisecond}
		rec := cycle(0, ab)
		rec.Sources = []SourceStatus{ok, {Source: "plan", Kind: "tfplan", OK: true, Items: 1}}
		id0, _ := record(t, s, rec)

		bad := ok
		bad.OK, bad.Errors, bad.Items = false, []string{"prod.tfstate: line 3: unexpected EOF"}, 2
		rec = cycle(1, ab)
		rec.Status, rec.Error, rec.Sources = "partial", "1 input failed", []SourceStatus{bad}
		id1, _ := record(t, s, rec)
		require.Greater(t, id1, id0)

		srcs, err := s.Sources(ctx)
		require.NoError(t, err)
		require.Len(t, srcs, 2)
		require.Equal(t, "plan", srcs[0].Source)
		st := srcs[1]
		require.Equal(t, "states", st.Source)
		require.False(t, st.OK)
		require.Equal(t, bad.Errors, st.Errors)
		require.Equal(t, 2, st.Items)
		require.Equal(t, 1500*time.Millisecond, st.Duration)
		require.NotNil(t, st.LastSuccess)
		require.True(t, st.LastSuccess.Equal(at(0)), "last success does not move on failure")

		cs, err := s.Cycles(ctx, 1)
		require.NoError(t, err)
		require.Len(t, cs, 1)
		c := cs[0]
		require.Equal(t, id1, c.ID)
		require.Equal(t, "partial", c.Status)
		require.Equal(t, "1 input failed", c.Error)
		require.True(t, c.StartedAt.Equal(at(1).Add(-time.Minute)))
		require.True(t, c.FinishedAt.Equal(at(1)))
		require.Equal(t, map[string]int{"findings": 0}, c.Counts)
		require.Equal(t, []SourceStatus{bad}, c.Sources)
		cs, err = s.Cycles(ctx, 0)
		require.NoError(t, err)
		require.Equal(t, []int64{id1, id0}, []int64{cs[0].ID, cs[1].ID})
	})

	t.Run("evidence and times round trip", func(t *testing.T) {
		s := mustOpen(t, fresh(t))
		when := time.Date(2026, 2, 3, 4, 5, 6, 987654321, time.FixedZone("CET", 3600))
		f := fnd("A", "a", model.SeverityCritical)
		f.Kind = model.FindingChanged
		f.Address = `module.net.aws_security_group.ssh["eu"]`
		f.Account, f.Region = "123456789012", "eu-west-1"
		f.Remediation = "Revert with terraform apply."
		f.Title = "Ünïcode title ✓ with 'quotes' and ? marks"
		f.Evidence = model.Evidence{
			Diffs: []model.Diff{
				{Path: "ingress[0].cidr_blocks", Applied: []any{"10.0.0.0/8"}, Live: []any{"0.0.0.0/0"}, Events: []string{"ev-1"}},
				{Path: "tags.team", Applied: "a", Live: nil},
				{Path: "password", Applied: model.Redacted, Live: model.Redacted, Sensitive: true},
				{Path: "size", Applied: float64(8), Live: map[string]any{"gb": float64(16)}},
			},
			Events: []model.Event{{
				ID: "ev-1", Time: when, Source: "cloudtrail", Action: "ec2:AuthorizeSecurityGroupIngress",
				Principal: model.Principal{ID: "arn:aws:iam::123456789012:user/alice", Type: "IAMUser"},
				Via:       model.ViaConsole, SourceIP: "203.0.113.7", Resources: []string{"arn:aws:ec2:eu-west-1:123456789012:security-group/sg-1"},
				Raw: []byte(`{"eventID":"ev-1"}`),
			}},
		}
		rec := cycle(0, ab, f)
		rec.StartedAt, rec.FinishedAt = when.Add(-time.Second), when
		record(t, s, rec)
		got, hist, err := s.Finding(ctx, "A")
		require.NoError(t, err)
		require.True(t, got.FirstSeen.Equal(when))
		require.True(t, got.LastSeen.Equal(when))
		require.True(t, hist[0].At.Equal(when))
		require.True(t, got.Evidence.Events[0].Time.Equal(when))
		got.Evidence.Events[0].Time = when // zone representation may differ
		want := f
		want.State, want.FirstSeen, want.LastSeen = model.StateOpen, got.FirstSeen, got.LastSeen
		require.Equal(t, want, got)
		cs, err := s.Cycles(ctx, 1)
		require.NoError(t, err)
		require.True(t, cs[0].StartedAt.Equal(when.Add(-time.Second)))
	})

	t.Run("audited scope round trip", func(t *testing.T) {
		s := mustOpen(t, fresh(t))
		res := []model.Resource{
			{ID: "arn:aws:iam::123456789012:user/alice", Type: "aws_iam_user", Provider: "aws", Account: "123456789012", Stack: "iam"},
			{ID: "arn:aws:iam::123456789012:user/bob", Type: "aws_iam_user", Provider: "aws", Account: "123456789012", Stack: "iam"},
			{ID: "//storage.googleapis.com/projects/_/buckets/logs", Type: "google_storage_bucket", Provider: "google", Account: "acme-prod"},
			{ID: "arn:aws:s3:::b", Type: "aws_s3_bucket", Account: "210987654321"}, // no provider: 12 digits
		}
		rec := cycle(0, ab)
		rec.Audited = NewAudited(res, []string{"network", "iam", "iam"})
		id0, _ := record(t, s, rec)
		rec = cycle(1, ab)
		rec.Audited = NewAudited(nil, nil) // audited nothing: known, empty
		id1, _ := record(t, s, rec)
		id2, _ := record(t, s, cycle(2, ab)) // not said: unknown

		want := &Audited{
			Types:    map[string]int{"aws_iam_user": 2, "google_storage_bucket": 1, "aws_s3_bucket": 1},
			Stacks:   []string{"iam", "network"},
			Accounts: []string{"123456789012", "210987654321"},
			Projects: []string{"acme-prod"},
		}
		empty := &Audited{Types: map[string]int{}, Stacks: []string{}, Accounts: []string{}, Projects: []string{}}
		cs, err := s.Cycles(ctx, 0)
		require.NoError(t, err)
		require.Equal(t, []int64{id2, id1, id0}, []int64{cs[0].ID, cs[1].ID, cs[2].ID})
		require.Nil(t, cs[0].Audited, "a cycle recorded without it is unknown")
		require.Equal(t, empty, cs[1].Audited, "nothing audited is not unknown")
		require.Equal(t, want, cs[2].Audited)

		between, err := rawDB(s).CyclesBetween(ctx, at(-1), at(3))
		require.NoError(t, err)
		require.Len(t, between, 3)
		require.Equal(t, want, between[0].Audited)
		require.Equal(t, empty, between[1].Audited)
		require.Nil(t, between[2].Audited)
	})

	t.Run("cycles from before the audited column", func(t *testing.T) {
		u := fresh(t)
		s := mustOpen(t, u)
		// Put the database back to schema 2 with one cycle recorded then.
		db := rawDB(s)
		for _, q := range []string{
			`ALTER TABLE cycles DROP COLUMN audited`,
			`DELETE FROM schema_migrations WHERE version >= 3`,
			`INSERT INTO cycles (started_at, finished_at, status, error, counts, sources) VALUES (1, 2, 'ok', '', '{"stacks": 3}', '[]')`,
		} {
			_, err := db.db.ExecContext(ctx, q)
			require.NoError(t, err, q)
		}
		require.NoError(t, s.Close())

		s = mustOpen(t, u) // migrates to the latest version
		var v int
		require.NoError(t, rawDB(s).db.QueryRow(`SELECT MAX(version) FROM schema_migrations`).Scan(&v))
		require.Equal(t, latestVersion(), v)
		rec := cycle(0, ab)
		rec.Audited = NewAudited([]model.Resource{{Type: "aws_iam_user"}}, []string{"iam"})
		record(t, s, rec)
		cs, err := s.Cycles(ctx, 0)
		require.NoError(t, err)
		require.Len(t, cs, 2)
		require.Equal(t, map[string]int{"aws_iam_user": 1}, cs[0].Audited.Types)
		require.Equal(t, map[string]int{"stacks": 3}, cs[1].Counts)
		require.Nil(t, cs[1].Audited, "the migrated row's scope is unknown")
	})
}
