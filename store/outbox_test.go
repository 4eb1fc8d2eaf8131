package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
)

func TestOutboxSQLite(t *testing.T) { runOutboxSuite(t, newSQLite) }

func TestOutboxPostgres(t *testing.T) {
	requirePostgres(t)
	runOutboxSuite(t, func(t *testing.T) string { return newPostgres(t) })
}

// planAll plans one alert per cycle listing every opened/reopened/escalated
// fingerprint, and one reply per resolved fingerprint with a thread.
func planAll(in PlanInput) ([]OutboxMessage, error) {
	var out []OutboxMessage
	var opens []string
	for _, t := range in.Transitions {
		switch t.Change {
		case ChangeResolved:
			if id, ok := in.Threads[t.Finding.Fingerprint]; ok {
				out = append(out, OutboxMessage{Team: t.Finding.Team, Channel: "#c", Kind: OutboxReply, ParentID: id,
					ThreadKey: t.Finding.Fingerprint, Payload: json.RawMessage(`{"text":"resolved ` + t.Finding.Fingerprint + `"}`)})
			}
		default:
			opens = append(opens, t.Finding.Fingerprint)
		}
	}
	if len(opens) > 0 {
		b, _ := json.Marshal(map[string]any{"text": "opened", "fps": opens})
		out = append([]OutboxMessage{{Team: "platform", Channel: "#c", Kind: OutboxAlert, Payload: b, Opens: opens}}, out...)
	}
	return out, nil
}

func runOutboxSuite(t *testing.T, fresh freshDB) {
	ctx := context.Background()
	ab := []string{"a"}

	t.Run("alerts are written with their transitions, once", func(t *testing.T) {
		s := mustOpen(t, fresh(t))
		al, ok := AlertsOf(s)
		require.True(t, ok)
		rec := cycle(1, ab, fnd("A", "a", "high"), fnd("B", "a", "low"))
		rec.Plan = planAll
		record(t, s, rec)
		rec2 := cycle(2, ab, fnd("A", "a", "high"), fnd("B", "a", "low"))
		rec2.Plan = planAll
		record(t, s, rec2) // repeated observation: no transition, no alert
		msgs, err := al.Outbox(ctx, "", 0)
		require.NoError(t, err)
		require.Len(t, msgs, 1)
		require.JSONEq(t, `{"text":"opened","fps":["A","B"]}`, string(msgs[0].Payload))
		require.Equal(t, OutboxPending, msgs[0].State)
		n, err := al.OutboxPending(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
	})

	t.Run("a failing plan records nothing", func(t *testing.T) {
		s := mustOpen(t, fresh(t))
		al, _ := AlertsOf(s)
		rec := cycle(1, ab, fnd("A", "a", "high"))
		rec.Plan = func(PlanInput) ([]OutboxMessage, error) { return nil, errors.New("boom") }
		_, _, err := s.RecordCycle(ctx, rec)
		require.ErrorContains(t, err, "boom")
		all, err := s.Findings(ctx, FindingFilter{})
		require.NoError(t, err)
		require.Empty(t, all)
		msgs, err := al.Outbox(ctx, "", 0)
		require.NoError(t, err)
		require.Empty(t, msgs)
	})

	t.Run("resolution replies wait for their parent and carry its ts", func(t *testing.T) {
		s := mustOpen(t, fresh(t))
		al, _ := AlertsOf(s)
		rec := cycle(1, ab, fnd("A", "a", "high"))
		rec.Plan = planAll
		record(t, s, rec)
		rec2 := cycle(2, ab) // A resolves
		rec2.Plan = planAll
		_, trs := record(t, s, rec2)
		require.Equal(t, ChangeResolved, trs["A"].Change)

		claimed, err := al.ClaimOutbox(ctx, "r1", at(3), 10, time.Minute)
		require.NoError(t, err)
		require.Len(t, claimed, 1, "the reply is not due before its parent is sent")
		require.Equal(t, OutboxAlert, claimed[0].Kind)
		ok, err := al.MarkSent(ctx, claimed[0].ID, "r1", "C123", "1700000000.000100", at(3))
		require.NoError(t, err)
		require.True(t, ok)

		claimed2, err := al.ClaimOutbox(ctx, "r1", at(3), 10, time.Minute)
		require.NoError(t, err)
		require.Len(t, claimed2, 1)
		require.Equal(t, OutboxReply, claimed2[0].Kind)
		require.Equal(t, claimed[0].ID, claimed2[0].ParentID)
		require.Equal(t, "C123", claimed2[0].ParentChannel)
		require.Equal(t, "1700000000.000100", claimed2[0].ParentTS)
	})

	t.Run("a lease held by a dead process expires; a stale owner cannot mark", func(t *testing.T) {
		s := mustOpen(t, fresh(t))
		al, _ := AlertsOf(s)
		rec := cycle(1, ab, fnd("A", "a", "high"))
		rec.Plan = planAll
		record(t, s, rec)
		first, err := al.ClaimOutbox(ctx, "dead", at(2), 10, time.Minute)
		require.NoError(t, err)
		require.Len(t, first, 1)
		again, err := al.ClaimOutbox(ctx, "alive", at(2).Add(30*time.Second), 10, time.Minute)
		require.NoError(t, err)
		require.Empty(t, again, "leased rows are not claimed twice")
		after, err := al.ClaimOutbox(ctx, "alive", at(2).Add(61*time.Second), 10, time.Minute)
		require.NoError(t, err)
		require.Len(t, after, 1)
		require.Equal(t, first[0].ID, after[0].ID)
		require.Equal(t, 2, after[0].Attempts)
		ok, err := al.MarkSent(ctx, first[0].ID, "dead", "C", "1.1", at(3))
		require.NoError(t, err)
		require.False(t, ok, "the old owner lost the lease")
		ok, err = al.MarkSent(ctx, first[0].ID, "alive", "C", "1.2", at(3))
		require.NoError(t, err)
		require.True(t, ok)
		sent, err := al.Outbox(ctx, OutboxSent, 0)
		require.NoError(t, err)
		require.Len(t, sent, 1)
		require.Equal(t, "1.2", sent[0].SentTS)
	})

	t.Run("retry and dead letter", func(t *testing.T) {
		s := mustOpen(t, fresh(t))
		al, _ := AlertsOf(s)
		rec := cycle(1, ab, fnd("A", "a", "high"))
		rec.Plan = planAll
		record(t, s, rec)
		c, err := al.ClaimOutbox(ctx, "r", at(2), 10, time.Minute)
		require.NoError(t, err)
		require.NoError(t, al.MarkRetry(ctx, c[0].ID, "r", "503", at(2).Add(10*time.Second)))
		none, err := al.ClaimOutbox(ctx, "r", at(2).Add(5*time.Second), 10, time.Minute)
		require.NoError(t, err)
		require.Empty(t, none, "not due before next_attempt_at")
		c, err = al.ClaimOutbox(ctx, "r", at(2).Add(10*time.Second), 10, time.Minute)
		require.NoError(t, err)
		require.Len(t, c, 1)
		require.NoError(t, al.MarkDead(ctx, c[0].ID, "r", "channel_not_found", at(3)))
		dead, err := al.Outbox(ctx, OutboxDead, 0)
		require.NoError(t, err)
		require.Len(t, dead, 1)
		require.Equal(t, "channel_not_found", dead[0].LastError)
		c, err = al.ClaimOutbox(ctx, "r", at(10), 10, time.Minute)
		require.NoError(t, err)
		require.Empty(t, c, "dead letters are never retried")
	})

	t.Run("waivers: recorded waived, silent, reopen with a transition when expired", func(t *testing.T) {
		s := mustOpen(t, fresh(t))
		waive := func(f model.Finding) bool { return f.Fingerprint == "W" }
		rec := cycle(1, ab, fnd("A", "a", "high"), fnd("W", "a", "high"))
		rec.Waive = waive
		_, trs := record(t, s, rec)
		require.Equal(t, map[string]Change{"A": ChangeOpened}, changes(trs))
		w, h, err := s.Finding(ctx, "W")
		require.NoError(t, err)
		require.Equal(t, model.StateWaived, w.State)
		require.Equal(t, []Change{ChangeWaived}, historyChanges(h))

		rec2 := cycle(2, ab, fnd("A", "a", "high"), fnd("W", "a", "high"))
		rec2.Waive = waive
		_, trs = record(t, s, rec2)
		require.Empty(t, trs)

		// An open finding becomes waived when a waiver starts covering it.
		rec3 := cycle(3, ab, fnd("A", "a", "high"), fnd("W", "a", "high"))
		rec3.Waive = func(model.Finding) bool { return true }
		_, trs = record(t, s, rec3)
		require.Empty(t, trs)
		a, _, err := s.Finding(ctx, "A")
		require.NoError(t, err)
		require.Equal(t, model.StateWaived, a.State)

		// Expired: no waiver covers them any more.
		rec4 := cycle(4, ab, fnd("A", "a", "high"), fnd("W", "a", "high"))
		rec4.Waive = func(model.Finding) bool { return false }
		_, trs = record(t, s, rec4)
		require.Equal(t, map[string]Change{"A": ChangeReopened, "W": ChangeReopened}, changes(trs))
		w, h, err = s.Finding(ctx, "W")
		require.NoError(t, err)
		require.Equal(t, model.StateOpen, w.State)
		require.Equal(t, []Change{ChangeWaived, ChangeReopened}, historyChanges(h))
		require.Equal(t, at(1), w.FirstSeen)
	})

	t.Run("snooze stored in the database waives until it expires", func(t *testing.T) {
		s := mustOpen(t, fresh(t))
		al, _ := AlertsOf(s)
		record(t, s, cycle(1, ab, fnd("A", "a", "high")))
		_, err := al.AddWaiver(ctx, StoredWaiver{Fingerprint: "A", Reason: "snoozed", Approver: "slack:U1", Origin: "slack",
			CreatedAt: at(1), ExpiresAt: at(3)})
		require.NoError(t, err)
		require.NoError(t, al.RecordAction(ctx, Action{Fingerprint: "A", Action: "snooze", Actor: "U1", At: at(1)}))
		_, trs := record(t, s, cycle(2, ab, fnd("A", "a", "high")))
		require.Empty(t, trs)
		a, _, err := s.Finding(ctx, "A")
		require.NoError(t, err)
		require.Equal(t, model.StateWaived, a.State)
		active, err := al.StoredWaivers(ctx, at(2))
		require.NoError(t, err)
		require.Len(t, active, 1)
		rec3 := cycle(3, ab, fnd("A", "a", "high"))
		rec3.Waive = func(model.Finding) bool { return false } // no configured waiver
		_, trs = record(t, s, rec3)
		require.Equal(t, map[string]Change{"A": ChangeReopened}, changes(trs))
		acts, err := al.Actions(ctx, "A")
		require.NoError(t, err)
		require.Len(t, acts, 1)
		require.Equal(t, "U1", acts[0].Actor)
	})
}

// Two dispatchers claiming concurrently from one PostgreSQL database never
// hold the same message.
func TestOutboxPostgresConcurrentClaims(t *testing.T) {
	u := newPostgres(t)
	ctx := context.Background()
	s1, s2 := mustOpen(t, u), mustOpen(t, u)
	var fs []model.Finding
	for i := range 200 {
		fs = append(fs, fnd(fmt.Sprintf("F%03d", i), "a", "high"))
	}
	rec := cycle(1, []string{"a"}, fs...)
	rec.Plan = func(in PlanInput) ([]OutboxMessage, error) {
		var out []OutboxMessage
		for _, t := range in.Transitions {
			out = append(out, OutboxMessage{Team: "t", Channel: "#c", Payload: json.RawMessage(`{}`), Opens: []string{t.Finding.Fingerprint}})
		}
		return out, nil
	}
	record(t, s1, rec)
	var (
		mu   sync.Mutex
		seen = map[int64]string{}
		wg   sync.WaitGroup
	)
	for i, s := range []Store{s1, s2, s1, s2} {
		owner := fmt.Sprintf("replica-%d", i)
		al, _ := AlertsOf(s)
		wg.Go(func() {
			for {
				c, err := al.ClaimOutbox(ctx, owner, at(2), 7, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if len(c) == 0 {
					return
				}
				for _, m := range c {
					mu.Lock()
					if prev, dup := seen[m.ID]; dup {
						t.Errorf("message %d claimed by %s and %s", m.ID, prev, owner)
					}
					seen[m.ID] = owner
					mu.Unlock()
					ok, err := al.MarkSent(ctx, m.ID, owner, "C", "1", at(2))
					if err != nil || !ok {
						t.Errorf("marking %d: %v %v", m.ID, ok, err)
					}
				}
			}
		})
	}
	wg.Wait()
	require.Len(t, seen, 200)
}

func TestPruneOutbox(t *testing.T) {
	s := mustOpen(t, newSQLite(t))
	ctx := context.Background()
	al, _ := AlertsOf(s)
	rec := cycle(1, []string{"a"}, fnd("A", "a", "high"))
	rec.Plan = planAll
	record(t, s, rec)
	c, err := al.ClaimOutbox(ctx, "r", at(1), 10, time.Minute)
	require.NoError(t, err)
	_, err = al.MarkSent(ctx, c[0].ID, "r", "C", "1.1", at(1))
	require.NoError(t, err)
	rec2 := cycle(2, []string{"a"}) // resolution reply, pending
	rec2.Plan = planAll
	record(t, s, rec2)
	_, err = al.PruneOutbox(ctx, at(5))
	require.NoError(t, err)
	all, err := al.Outbox(ctx, "", 0)
	require.NoError(t, err)
	require.Len(t, all, 2, "a sent parent of a pending reply is kept")
	c, err = al.ClaimOutbox(ctx, "r", at(3), 10, time.Minute)
	require.NoError(t, err)
	require.Len(t, c, 1)
	_, err = al.MarkSent(ctx, c[0].ID, "r", "C", "1.2", at(3))
	require.NoError(t, err)
	n, err := al.PruneOutbox(ctx, at(5))
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, int64(2))
	all, err = al.Outbox(ctx, "", 0)
	require.NoError(t, err)
	require.Empty(t, all)
}
