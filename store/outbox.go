package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/driftwarden/driftwarden/model"
)

// The alert outbox.
//
// Alerts are rows written by RecordCycle in the transaction that records the
// transitions they announce (CycleRecord.Plan), so a transition and its alert
// exist together or not at all: a crash, a restart or a repeated cycle never
// re-sends, because a repeated observation yields no transition.
//
// A dispatcher then claims due rows (ClaimOutbox: a lease, taken atomically;
// on PostgreSQL with SELECT ... FOR UPDATE SKIP LOCKED so replicas never
// claim the same row), sends them, and marks each sent, retried or dead.
// Delivery is at least once: a process that dies after Slack accepted a
// message but before MarkSent committed re-sends it once its lease expires.
// That window is the time of one HTTP response plus one small commit.

// OutboxState is where an outbox message is in its delivery.
type OutboxState string

// Outbox states.
const (
	OutboxPending OutboxState = "pending"
	OutboxSent    OutboxState = "sent"
	OutboxDead    OutboxState = "dead"
)

// Outbox message kinds.
const (
	OutboxAlert = "alert" // a top-level message
	OutboxReply = "reply" // a thread reply to ParentID's message
)

// PlanInput is what CycleRecord.Plan sees: the cycle's transitions and, for
// the fingerprints of resolved transitions, the outbox message that opened
// them (their thread).
type PlanInput struct {
	CycleID     int64
	At          time.Time
	Transitions []Transition
	// Threads maps a resolved finding's fingerprint to the id of the outbox
	// message that announced it; absent when it was never alerted.
	Threads map[string]int64
}

// OutboxMessage is one alert message.
type OutboxMessage struct {
	ID      int64  `json:"id"`
	Team    string `json:"team"`
	Channel string `json:"channel"`
	Kind    string `json:"kind"`
	// ParentID is the message a reply threads under (0 for alerts).
	ParentID int64 `json:"parent_id,omitempty"`
	// ThreadKey names what the message is about (a fingerprint for replies).
	ThreadKey     string          `json:"thread_key,omitempty"`
	CycleID       int64           `json:"cycle_id"`
	Payload       json.RawMessage `json:"payload"`
	State         OutboxState     `json:"state"`
	Attempts      int             `json:"attempts"`
	NextAttemptAt time.Time       `json:"next_attempt_at"`
	LastError     string          `json:"last_error,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
	SentAt        *time.Time      `json:"sent_at,omitempty"`
	SentChannel   string          `json:"sent_channel,omitempty"`
	SentTS        string          `json:"sent_ts,omitempty"`

	// Opens lists the fingerprints whose thread this message starts
	// (planner to store; not read back).
	Opens []string `json:"-"`
	// ParentChannel and ParentTS are filled by ClaimOutbox for a reply whose
	// parent was delivered with a timestamp (bot token); empty otherwise.
	ParentChannel string `json:"-"`
	ParentTS      string `json:"-"`
}

// Action is an acknowledgement or snooze from Slack.
type Action struct {
	Fingerprint string     `json:"fingerprint"`
	Action      string     `json:"action"` // ack, snooze
	Actor       string     `json:"actor"`  // Slack user id
	ActorName   string     `json:"actor_name,omitempty"`
	At          time.Time  `json:"at"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	Channel     string     `json:"channel,omitempty"`
	TS          string     `json:"ts,omitempty"`
}

// StoredWaiver is a waiver granted at run time (a snooze from Slack).
type StoredWaiver struct {
	ID          int64     `json:"id"`
	Fingerprint string    `json:"fingerprint"`
	Reason      string    `json:"reason"`
	Approver    string    `json:"approver"`
	Origin      string    `json:"origin"`
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// AlertStore is the outbox side of the store, implemented by every Store
// Open returns (see AlertsOf).
type AlertStore interface {
	// ClaimOutbox leases up to limit due pending messages to owner until
	// now+lease. A reply is due only once its parent is sent or dead.
	ClaimOutbox(ctx context.Context, owner string, now time.Time, limit int, lease time.Duration) ([]OutboxMessage, error)
	// MarkSent records delivery; it reports false when owner no longer
	// held the lease (another dispatcher took the row over).
	MarkSent(ctx context.Context, id int64, owner, channel, ts string, at time.Time) (bool, error)
	// MarkRetry releases the lease and schedules another attempt.
	MarkRetry(ctx context.Context, id int64, owner, lastError string, next time.Time) error
	// MarkDead dead-letters the message: it is never retried.
	MarkDead(ctx context.Context, id int64, owner, lastError string, at time.Time) error
	// Outbox lists messages, newest first; state "" means any.
	Outbox(ctx context.Context, state OutboxState, limit int) ([]OutboxMessage, error)
	// OutboxPending counts pending messages.
	OutboxPending(ctx context.Context) (int, error)
	// AddWaiver stores a run-time waiver (snooze).
	AddWaiver(ctx context.Context, w StoredWaiver) (int64, error)
	// StoredWaivers lists run-time waivers still active at t.
	StoredWaivers(ctx context.Context, t time.Time) ([]StoredWaiver, error)
	// RecordAction records who acknowledged or snoozed a finding.
	RecordAction(ctx context.Context, a Action) error
	// Actions lists the actions on a finding, oldest first.
	Actions(ctx context.Context, fingerprint string) ([]Action, error)
	// PruneOutbox deletes sent and dead messages created before before
	// (never one a pending reply still threads under), expired waivers, and
	// threads of findings that no longer exist.
	PruneOutbox(ctx context.Context, before time.Time) (int64, error)
}

// AlertsOf returns the outbox side of s.
func AlertsOf(s Store) (AlertStore, bool) {
	a, ok := s.(AlertStore)
	return a, ok
}

var _ AlertStore = (*sqlStore)(nil)

// waiver combines the cycle's waiver function with the active stored waivers.
func (w *writer) waiver(cfg func(model.Finding) bool) (func(model.Finding) bool, error) {
	rows, err := w.tx.QueryContext(w.ctx, w.d.rebind(`SELECT DISTINCT fingerprint FROM waivers WHERE expires_at > ?`), w.atNS)
	if err != nil {
		return nil, fmt.Errorf("loading waivers: %w", err)
	}
	defer rows.Close()
	snoozed := map[string]bool{}
	for rows.Next() {
		var fp string
		if err := rows.Scan(&fp); err != nil {
			return nil, fmt.Errorf("loading waivers: %w", err)
		}
		snoozed[fp] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("loading waivers: %w", err)
	}
	if len(snoozed) == 0 && cfg == nil {
		return nil, nil
	}
	return func(f model.Finding) bool {
		return snoozed[f.Fingerprint] || (cfg != nil && cfg(f))
	}, nil
}

// outbox plans the cycle's messages and inserts them with their threads.
func (w *writer) outbox(plan func(PlanInput) ([]OutboxMessage, error), trs []Transition) error {
	in := PlanInput{CycleID: w.cycle, At: w.at, Transitions: trs, Threads: map[string]int64{}}
	var resolved []any
	for _, t := range trs {
		if t.Change == ChangeResolved {
			resolved = append(resolved, t.Finding.Fingerprint)
		}
	}
	for len(resolved) > 0 {
		n := min(500, len(resolved))
		rows, err := w.tx.QueryContext(w.ctx, w.d.rebind(`SELECT fingerprint, message_id FROM alert_threads WHERE fingerprint IN (`+
			strings.TrimSuffix(strings.Repeat("?,", n), ",")+`)`), resolved[:n]...)
		if err != nil {
			return fmt.Errorf("loading alert threads: %w", err)
		}
		for rows.Next() {
			var (
				fp string
				id int64
			)
			if err := rows.Scan(&fp, &id); err != nil {
				rows.Close()
				return fmt.Errorf("loading alert threads: %w", err)
			}
			in.Threads[fp] = id
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("loading alert threads: %w", err)
		}
		resolved = resolved[n:]
	}
	msgs, err := plan(in)
	if err != nil {
		return fmt.Errorf("planning alerts: %w", err)
	}
	if len(msgs) == 0 {
		return nil
	}
	ins, err := w.stmt(`INSERT INTO outbox (team, channel, kind, parent_id, thread_key, cycle_id, payload, state, attempts,
		next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) RETURNING id`)
	if err != nil {
		return fmt.Errorf("preparing the outbox insert: %w", err)
	}
	thread, err := w.stmt(`INSERT INTO alert_threads (fingerprint, message_id, channel, ts, updated_at) VALUES (?, ?, '', '', ?)
		ON CONFLICT (fingerprint) DO UPDATE SET message_id = excluded.message_id, channel = '', ts = '', updated_at = excluded.updated_at`)
	if err != nil {
		return fmt.Errorf("preparing the thread upsert: %w", err)
	}
	for _, m := range msgs {
		kind := m.Kind
		if kind == "" {
			kind = OutboxAlert
		}
		var parent any
		if m.ParentID != 0 {
			parent = m.ParentID
		}
		if !json.Valid(m.Payload) {
			return fmt.Errorf("planning alerts: message for team %q has an invalid JSON payload", m.Team)
		}
		var id int64
		if err := ins.QueryRowContext(w.ctx, m.Team, m.Channel, kind, parent, m.ThreadKey, w.cycle, string(m.Payload), w.atNS, w.atNS).Scan(&id); err != nil {
			return fmt.Errorf("inserting an outbox message: %w", err)
		}
		for _, fp := range m.Opens {
			if _, err := thread.ExecContext(w.ctx, fp, id, w.atNS); err != nil {
				return fmt.Errorf("recording the thread of finding %s: %w", fp, err)
			}
		}
	}
	return nil
}

const outboxCols = `o.id, o.team, o.channel, o.kind, o.parent_id, o.thread_key, o.cycle_id, o.payload, o.state, o.attempts,
	o.next_attempt_at, o.last_error, o.created_at, o.sent_at, o.sent_channel, o.sent_ts`

func scanOutbox(sc scanner, extra ...any) (OutboxMessage, error) {
	var (
		m             OutboxMessage
		parent, sent  sql.NullInt64
		payload       string
		next, created int64
	)
	dest := append([]any{&m.ID, &m.Team, &m.Channel, &m.Kind, &parent, &m.ThreadKey, &m.CycleID, &payload, &m.State, &m.Attempts,
		&next, &m.LastError, &created, &sent, &m.SentChannel, &m.SentTS}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return m, err
	}
	m.ParentID = parent.Int64
	m.Payload = json.RawMessage(payload)
	m.NextAttemptAt, m.CreatedAt, m.SentAt = fromTS(next), fromTS(created), fromNullTS(sent)
	return m, nil
}

// ClaimOutbox implements AlertStore.
func (s *sqlStore) ClaimOutbox(ctx context.Context, owner string, now time.Time, limit int, lease time.Duration) ([]OutboxMessage, error) {
	if owner == "" {
		return nil, errors.New("claiming alerts: empty owner")
	}
	if limit <= 0 {
		limit = 50
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("claiming alerts: beginning: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	q := `SELECT o.id FROM outbox o LEFT JOIN outbox p ON p.id = o.parent_id
		WHERE o.state = 'pending' AND o.next_attempt_at <= ? AND (o.claimed_until IS NULL OR o.claimed_until <= ?)
		AND (o.parent_id IS NULL OR p.id IS NULL OR p.state <> 'pending')
		ORDER BY o.id LIMIT ?`
	if s.d == postgresDialect {
		// Rows another replica is claiming right now are skipped, not waited for.
		q += ` FOR UPDATE OF o SKIP LOCKED`
	}
	nowNS := toTS(now)
	rows, err := tx.QueryContext(ctx, s.d.rebind(q), nowNS, nowNS, limit)
	if err != nil {
		return nil, fmt.Errorf("claiming alerts: selecting due messages: %w", err)
	}
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("claiming alerts: %w", err)
		}
		ids = append(ids, id)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("claiming alerts: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	in := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	args := append([]any{owner, toTS(now.Add(lease))}, ids...)
	if _, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE outbox SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1
		WHERE id IN (`+in+`)`), args...); err != nil {
		return nil, fmt.Errorf("claiming alerts: taking the lease: %w", err)
	}
	rows, err = tx.QueryContext(ctx, s.d.rebind(`SELECT `+outboxCols+`, COALESCE(p.sent_channel, ''), COALESCE(p.sent_ts, '')
		FROM outbox o LEFT JOIN outbox p ON p.id = o.parent_id WHERE o.id IN (`+in+`) ORDER BY o.id`), ids...)
	if err != nil {
		return nil, fmt.Errorf("claiming alerts: reading claimed messages: %w", err)
	}
	var out []OutboxMessage
	for rows.Next() {
		var pc, pts string
		m, err := scanOutbox(rows, &pc, &pts)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("claiming alerts: %w", err)
		}
		m.ParentChannel, m.ParentTS = pc, pts
		out = append(out, m)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("claiming alerts: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("claiming alerts: committing: %w", err)
	}
	return out, nil
}

// MarkSent implements AlertStore.
func (s *sqlStore) MarkSent(ctx context.Context, id int64, owner, channel, ts string, at time.Time) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("marking alert %d sent: beginning: %w", id, err)
	}
	defer func() { _ = tx.Rollback() }()
	res, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE outbox SET state = 'sent', sent_at = ?, sent_channel = ?, sent_ts = ?,
		last_error = '', claimed_by = '', claimed_until = NULL WHERE id = ? AND state = 'pending' AND claimed_by = ?`),
		toTS(at), channel, ts, id, owner)
	if err != nil {
		return false, fmt.Errorf("marking alert %d sent: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE alert_threads SET channel = ?, ts = ?, updated_at = ? WHERE message_id = ?`),
		channel, ts, toTS(at), id); err != nil {
		return false, fmt.Errorf("marking alert %d sent: recording its thread: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("marking alert %d sent: committing: %w", id, err)
	}
	return true, nil
}

// MarkRetry implements AlertStore.
func (s *sqlStore) MarkRetry(ctx context.Context, id int64, owner, lastError string, next time.Time) error {
	_, err := s.db.ExecContext(ctx, s.d.rebind(`UPDATE outbox SET next_attempt_at = ?, last_error = ?, claimed_by = '', claimed_until = NULL
		WHERE id = ? AND state = 'pending' AND claimed_by = ?`), toTS(next), clip(lastError), id, owner)
	if err != nil {
		return fmt.Errorf("scheduling a retry of alert %d: %w", id, err)
	}
	return nil
}

// MarkDead implements AlertStore.
func (s *sqlStore) MarkDead(ctx context.Context, id int64, owner, lastError string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, s.d.rebind(`UPDATE outbox SET state = 'dead', last_error = ?, sent_at = NULL, next_attempt_at = ?,
		claimed_by = '', claimed_until = NULL WHERE id = ? AND state = 'pending' AND claimed_by = ?`), clip(lastError), toTS(at), id, owner)
	if err != nil {
		return fmt.Errorf("dead-lettering alert %d: %w", id, err)
	}
	return nil
}

func clip(s string) string {
	if len(s) > 1000 {
		s = strings.ToValidUTF8(s[:1000], "")
	}
	return s
}

// Outbox implements AlertStore.
func (s *sqlStore) Outbox(ctx context.Context, state OutboxState, limit int) ([]OutboxMessage, error) {
	q := `SELECT ` + outboxCols + ` FROM outbox o`
	var args []any
	if state != "" {
		q += ` WHERE o.state = ?`
		args = append(args, string(state))
	}
	q += ` ORDER BY o.id DESC`
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, s.d.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("listing alerts: %w", err)
	}
	defer rows.Close()
	var out []OutboxMessage
	for rows.Next() {
		m, err := scanOutbox(rows)
		if err != nil {
			return nil, fmt.Errorf("listing alerts: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing alerts: %w", err)
	}
	return out, nil
}

// OutboxPending implements AlertStore.
func (s *sqlStore) OutboxPending(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE state = 'pending'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting pending alerts: %w", err)
	}
	return n, nil
}

// AddWaiver implements AlertStore.
func (s *sqlStore) AddWaiver(ctx context.Context, w StoredWaiver) (int64, error) {
	if w.Fingerprint == "" || w.ExpiresAt.IsZero() {
		return 0, errors.New("adding a waiver: fingerprint and expiry are required")
	}
	created := w.CreatedAt
	if created.IsZero() {
		created = s.now()
	}
	var id int64
	err := s.db.QueryRowContext(ctx, s.d.rebind(`INSERT INTO waivers (fingerprint, reason, approver, origin, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), w.Fingerprint, w.Reason, w.Approver, w.Origin, toTS(created), toTS(w.ExpiresAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("adding a waiver for finding %s: %w", w.Fingerprint, err)
	}
	return id, nil
}

// StoredWaivers implements AlertStore.
func (s *sqlStore) StoredWaivers(ctx context.Context, t time.Time) ([]StoredWaiver, error) {
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT id, fingerprint, reason, approver, origin, created_at, expires_at
		FROM waivers WHERE expires_at > ? ORDER BY id`), toTS(t))
	if err != nil {
		return nil, fmt.Errorf("listing waivers: %w", err)
	}
	defer rows.Close()
	var out []StoredWaiver
	for rows.Next() {
		var (
			w          StoredWaiver
			created, e int64
		)
		if err := rows.Scan(&w.ID, &w.Fingerprint, &w.Reason, &w.Approver, &w.Origin, &created, &e); err != nil {
			return nil, fmt.Errorf("listing waivers: %w", err)
		}
		w.CreatedAt, w.ExpiresAt = fromTS(created), fromTS(e)
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing waivers: %w", err)
	}
	return out, nil
}

// RecordAction implements AlertStore.
func (s *sqlStore) RecordAction(ctx context.Context, a Action) error {
	at := a.At
	if at.IsZero() {
		at = s.now()
	}
	_, err := s.db.ExecContext(ctx, s.d.rebind(`INSERT INTO finding_actions (fingerprint, action, actor, actor_name, at, expires_at, channel, ts)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), a.Fingerprint, a.Action, a.Actor, a.ActorName, toTS(at), toNullTS(a.ExpiresAt), a.Channel, a.TS)
	if err != nil {
		return fmt.Errorf("recording %s of finding %s: %w", a.Action, a.Fingerprint, err)
	}
	return nil
}

// Actions implements AlertStore.
func (s *sqlStore) Actions(ctx context.Context, fingerprint string) ([]Action, error) {
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT fingerprint, action, actor, actor_name, at, expires_at, channel, ts
		FROM finding_actions WHERE fingerprint = ? ORDER BY at, id`), fingerprint)
	if err != nil {
		return nil, fmt.Errorf("listing actions of finding %s: %w", fingerprint, err)
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		var (
			a   Action
			at  int64
			exp sql.NullInt64
		)
		if err := rows.Scan(&a.Fingerprint, &a.Action, &a.Actor, &a.ActorName, &at, &exp, &a.Channel, &a.TS); err != nil {
			return nil, fmt.Errorf("listing actions of finding %s: %w", fingerprint, err)
		}
		a.At, a.ExpiresAt = fromTS(at), fromNullTS(exp)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing actions of finding %s: %w", fingerprint, err)
	}
	return out, nil
}

// PruneOutbox implements AlertStore.
func (s *sqlStore) PruneOutbox(ctx context.Context, before time.Time) (int64, error) {
	b := toTS(before)
	var total int64
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM outbox WHERE state <> 'pending' AND created_at < ?
			AND id NOT IN (SELECT parent_id FROM outbox WHERE state = 'pending' AND parent_id IS NOT NULL)`, []any{b}},
		{`DELETE FROM waivers WHERE expires_at < ?`, []any{b}},
		{`DELETE FROM alert_threads WHERE fingerprint NOT IN (SELECT fingerprint FROM findings)`, nil},
	} {
		res, err := s.db.ExecContext(ctx, s.d.rebind(q.sql), q.args...)
		if err != nil {
			return total, fmt.Errorf("pruning the alert outbox: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}
