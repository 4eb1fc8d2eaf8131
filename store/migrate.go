package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrSchemaTooNew is returned by Open when the database was migrated by a
// newer driftwarden than this one.
var ErrSchemaTooNew = errors.New("database schema is newer than this driftwarden supports")

// migration is one schema step. Steps are applied in order, each in its own
// transaction, and recorded in schema_migrations. Never edit a released
// step: append a new one.
type migration struct {
	version int
	name    string
	stmts   []string // with the dialect's type macros (see dialect.go)
}

// All timestamps ({{ts}}) are Unix nanoseconds in UTC: exact round trips on
// both databases, and cheap range scans.
var migrations = []migration{
	{version: 1, name: "initial schema", stmts: []string{
		`CREATE TABLE cycles (
			id          {{serial}},
			started_at  {{ts}} NOT NULL,
			finished_at {{ts}},
			status      TEXT NOT NULL,
			error       TEXT NOT NULL DEFAULT '',
			counts      {{json}} NOT NULL DEFAULT '{}',
			sources     {{json}} NOT NULL DEFAULT '[]'
		)`,
		`CREATE INDEX cycles_finished_at ON cycles (finished_at)`,

		`CREATE TABLE findings (
			fingerprint    TEXT{{bytes}} PRIMARY KEY,
			kind           TEXT NOT NULL,
			state          TEXT NOT NULL,
			severity       TEXT NOT NULL,
			severity_rank  INTEGER NOT NULL,
			policy_id      TEXT NOT NULL DEFAULT '',
			title          TEXT NOT NULL DEFAULT '',
			message        TEXT NOT NULL DEFAULT '',
			controls       {{json}} NOT NULL DEFAULT '[]',
			remediation    TEXT NOT NULL DEFAULT '',
			resource_id    TEXT{{bytes}} NOT NULL DEFAULT '',
			resource_type  TEXT NOT NULL DEFAULT '',
			address        TEXT NOT NULL DEFAULT '',
			stack          TEXT{{bytes}} NOT NULL DEFAULT '',
			account        TEXT NOT NULL DEFAULT '',
			region         TEXT NOT NULL DEFAULT '',
			team           TEXT NOT NULL DEFAULT '',
			scope          TEXT NOT NULL DEFAULT '',
			first_seen     {{ts}} NOT NULL,
			last_seen      {{ts}} NOT NULL,
			resolved_at    {{ts}},
			evidence       {{json}} NOT NULL DEFAULT '{}',
			content_hash   TEXT NOT NULL DEFAULT '',
			opened_cycle   BIGINT NOT NULL,
			last_cycle     BIGINT NOT NULL,
			times_reopened INTEGER NOT NULL DEFAULT 0
		)`,
		// The listing order (severity desc, stack, resource) and each filter.
		`CREATE INDEX findings_listing ON findings (severity_rank DESC, stack, resource_id, fingerprint)`,
		`CREATE INDEX findings_state ON findings (state, severity_rank)`,
		`CREATE INDEX findings_stack ON findings (stack)`,
		`CREATE INDEX findings_kind ON findings (kind)`,
		`CREATE INDEX findings_policy ON findings (policy_id)`,
		`CREATE INDEX findings_scope ON findings (scope, state)`,
		`CREATE INDEX findings_team ON findings (team)`,
		`CREATE INDEX findings_resolved_at ON findings (resolved_at) WHERE state = 'resolved'`,

		`CREATE TABLE finding_history (
			id          {{serial}},
			fingerprint TEXT{{bytes}} NOT NULL REFERENCES findings (fingerprint) ON DELETE CASCADE,
			cycle_id    BIGINT NOT NULL,
			at          {{ts}} NOT NULL,
			change      TEXT NOT NULL,
			severity    TEXT NOT NULL,
			state       TEXT NOT NULL
		)`,
		`CREATE INDEX finding_history_fingerprint ON finding_history (fingerprint, at)`,
		`CREATE INDEX finding_history_at ON finding_history (at)`,
		`CREATE INDEX finding_history_cycle ON finding_history (cycle_id)`,

		`CREATE TABLE source_status (
			source       TEXT PRIMARY KEY,
			kind         TEXT NOT NULL DEFAULT '',
			last_run     {{ts}} NOT NULL,
			last_success {{ts}},
			last_ok      {{bool}} NOT NULL,
			last_errors  {{json}} NOT NULL DEFAULT '[]',
			items        BIGINT NOT NULL DEFAULT 0,
			duration     BIGINT NOT NULL DEFAULT 0
		)`,

		`CREATE TABLE checkpoints (
			source     TEXT NOT NULL,
			key        TEXT NOT NULL,
			value      TEXT NOT NULL,
			updated_at {{ts}} NOT NULL,
			PRIMARY KEY (source, key)
		)`,
	}},
	{version: 2, name: "alert outbox, threads, waivers and actions", stmts: []string{
		// One row per alert message, written in the cycle's transaction and
		// delivered later (outbox.go). A reply waits for its parent.
		`CREATE TABLE outbox (
			id              {{serial}},
			team            TEXT NOT NULL DEFAULT '',
			channel         TEXT NOT NULL DEFAULT '',
			kind            TEXT NOT NULL,
			parent_id       BIGINT,
			thread_key      TEXT NOT NULL DEFAULT '',
			cycle_id        BIGINT NOT NULL DEFAULT 0,
			payload         {{json}} NOT NULL,
			state           TEXT NOT NULL,
			attempts        INTEGER NOT NULL DEFAULT 0,
			next_attempt_at {{ts}} NOT NULL,
			last_error      TEXT NOT NULL DEFAULT '',
			created_at      {{ts}} NOT NULL,
			sent_at         {{ts}},
			sent_channel    TEXT NOT NULL DEFAULT '',
			sent_ts         TEXT NOT NULL DEFAULT '',
			claimed_by      TEXT NOT NULL DEFAULT '',
			claimed_until   {{ts}}
		)`,
		`CREATE INDEX outbox_due ON outbox (state, next_attempt_at, id)`,
		`CREATE INDEX outbox_parent ON outbox (parent_id)`,
		// The message that opened each alerted finding: resolutions reply in its thread.
		`CREATE TABLE alert_threads (
			fingerprint TEXT{{bytes}} PRIMARY KEY,
			message_id  BIGINT NOT NULL,
			channel     TEXT NOT NULL DEFAULT '',
			ts          TEXT NOT NULL DEFAULT '',
			updated_at  {{ts}} NOT NULL
		)`,
		`CREATE INDEX alert_threads_message ON alert_threads (message_id)`,
		// Waivers granted at run time (snooze from Slack); configured ones live in the config.
		`CREATE TABLE waivers (
			id          {{serial}},
			fingerprint TEXT{{bytes}} NOT NULL,
			reason      TEXT NOT NULL DEFAULT '',
			approver    TEXT NOT NULL DEFAULT '',
			origin      TEXT NOT NULL DEFAULT '',
			created_at  {{ts}} NOT NULL,
			expires_at  {{ts}} NOT NULL
		)`,
		`CREATE INDEX waivers_fingerprint ON waivers (fingerprint, expires_at)`,
		// Who acknowledged or snoozed what, from Slack.
		`CREATE TABLE finding_actions (
			id          {{serial}},
			fingerprint TEXT{{bytes}} NOT NULL,
			action      TEXT NOT NULL,
			actor       TEXT NOT NULL DEFAULT '',
			actor_name  TEXT NOT NULL DEFAULT '',
			at          {{ts}} NOT NULL,
			expires_at  {{ts}},
			channel     TEXT NOT NULL DEFAULT '',
			ts          TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX finding_actions_fingerprint ON finding_actions (fingerprint, at)`,
	}},
	{version: 3, name: "what each cycle audited", stmts: []string{
		// Resource types with counts, stacks, accounts and projects (see
		// Audited). Rows from before keep '{}': unknown.
		`ALTER TABLE cycles ADD COLUMN audited {{json}} NOT NULL DEFAULT '{}'`,
	}},
}

// latestVersion is the schema version this build writes.
func latestVersion() int { return migrations[len(migrations)-1].version }

// migrate brings the schema up to date. On PostgreSQL a session advisory lock
// (per schema) keeps replicas that start together from racing; on SQLite each
// step's IMMEDIATE transaction re-reads the version, which does the same.
func (s *sqlStore) migrate(ctx context.Context) (err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("getting a connection: %w", describe(err))
	}
	defer conn.Close()
	if s.d == postgresDialect {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+lockMigrate+`, hashtext(coalesce(current_schema(), '')))`); err != nil {
			return fmt.Errorf("taking the migration lock: %w", err)
		}
		defer func() {
			_, uerr := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(`+lockMigrate+`, hashtext(coalesce(current_schema(), '')))`)
			if uerr != nil && err == nil {
				err = fmt.Errorf("releasing the migration lock: %w", uerr)
			}
		}()
	}
	if _, err := conn.ExecContext(ctx, s.d.schema(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at {{ts}} NOT NULL
	)`)); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", describe(err))
	}
	from, err := schemaVersion(ctx, conn)
	if err != nil {
		return err
	}
	if from > latestVersion() {
		return fmt.Errorf("%w: the database is at version %d, this build knows up to %d; upgrade driftwarden or point it at another database",
			ErrSchemaTooNew, from, latestVersion())
	}
	applied := 0
	for _, m := range migrations {
		if m.version <= from {
			continue
		}
		done, err := s.apply(ctx, conn, m)
		if err != nil {
			return fmt.Errorf("applying migration %d (%s): %w", m.version, m.name, err)
		}
		if done {
			applied++
		}
	}
	if applied > 0 {
		s.log.Info("store migrated", "database", s.where, "from_version", from, "to_version", latestVersion())
	}
	return nil
}

// apply runs one migration in a transaction; it reports false when another
// process applied it first.
func (s *sqlStore) apply(ctx context.Context, conn *sql.Conn, m migration) (bool, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("beginning: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	cur, err := schemaVersion(ctx, tx)
	if err != nil {
		return false, err
	}
	if cur >= m.version {
		return false, nil
	}
	for _, stmt := range m.stmts {
		if _, err := tx.ExecContext(ctx, s.d.schema(stmt)); err != nil {
			return false, err
		}
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
		m.version, m.name, s.now().UnixNano()); err != nil {
		return false, fmt.Errorf("recording the version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("committing: %w", err)
	}
	return true, nil
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func schemaVersion(ctx context.Context, q queryer) (int, error) {
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("reading the schema version: %w", describe(err))
	}
	return int(v.Int64), nil
}

// Advisory lock classes (first key of the two-key form; the second is the schema).
const (
	lockMigrate = "726101"
	lockRecord  = "726102"
)
