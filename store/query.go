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

// Findings lists findings matching f, most severe first, then by stack and
// resource (and fingerprint, so pages are stable).
func (s *sqlStore) Findings(ctx context.Context, f FindingFilter) ([]model.Finding, error) {
	if f.Limit < 0 || f.Offset < 0 {
		return nil, fmt.Errorf("listing findings: negative limit or offset (%d, %d)", f.Limit, f.Offset)
	}
	var c conds
	in := c.in
	in("state", strs(f.States))
	in("kind", strs(f.Kinds))
	in("severity", strs(f.Severities))
	in("stack", f.Stacks)
	in("policy_id", f.PolicyIDs)
	q := `SELECT ` + findingCols + ` FROM findings`
	if len(c.where) > 0 {
		q += ` WHERE ` + strings.Join(c.where, ` AND `)
	}
	q += ` ORDER BY severity_rank DESC, stack, resource_id, fingerprint`
	if f.Limit > 0 || f.Offset > 0 {
		limit := int64(f.Limit)
		if limit == 0 {
			limit = 1<<63 - 1 // SQLite needs a LIMIT before OFFSET
		}
		q += ` LIMIT ? OFFSET ?`
		c.args = append(c.args, limit, f.Offset)
	}
	rows, err := s.db.QueryContext(ctx, s.d.rebind(q), c.args...)
	if err != nil {
		return nil, fmt.Errorf("listing findings: %w", err)
	}
	defer rows.Close()
	var out []model.Finding
	for rows.Next() {
		fd, err := scanFinding(rows)
		if err != nil {
			return nil, fmt.Errorf("listing findings: %w", err)
		}
		out = append(out, fd)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing findings: %w", err)
	}
	return out, nil
}

// conds accumulates WHERE conditions and their arguments.
type conds struct {
	where []string
	args  []any
}

// in adds "col IN (?, ...)" for a non-empty list of values.
func (c *conds) in(col string, vals []string) {
	if len(vals) == 0 {
		return
	}
	c.where = append(c.where, col+" IN ("+strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",")+")")
	for _, v := range vals {
		c.args = append(c.args, v)
	}
}

func strs[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// Finding returns one finding and its history, oldest first.
func (s *sqlStore) Finding(ctx context.Context, fingerprint string) (model.Finding, []HistoryEntry, error) {
	f, err := scanFinding(s.db.QueryRowContext(ctx, s.d.rebind(`SELECT `+findingCols+` FROM findings WHERE fingerprint = ?`), fingerprint))
	if errors.Is(err, sql.ErrNoRows) {
		return f, nil, fmt.Errorf("reading finding %s: %w", fingerprint, ErrNotFound)
	}
	if err != nil {
		return f, nil, fmt.Errorf("reading finding %s: %w", fingerprint, err)
	}
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT cycle_id, at, change, severity, state FROM finding_history
		WHERE fingerprint = ? ORDER BY at, id`), fingerprint)
	if err != nil {
		return f, nil, fmt.Errorf("reading history of finding %s: %w", fingerprint, err)
	}
	defer rows.Close()
	var hist []HistoryEntry
	for rows.Next() {
		var (
			h  HistoryEntry
			at int64
		)
		if err := rows.Scan(&h.CycleID, &at, &h.Change, &h.Severity, &h.State); err != nil {
			return f, nil, fmt.Errorf("reading history of finding %s: %w", fingerprint, err)
		}
		h.At = fromTS(at)
		hist = append(hist, h)
	}
	if err := rows.Err(); err != nil {
		return f, nil, fmt.Errorf("reading history of finding %s: %w", fingerprint, err)
	}
	return f, hist, nil
}

// Cycles lists the latest cycles, newest first; limit 0 means all.
func (s *sqlStore) Cycles(ctx context.Context, limit int) ([]Cycle, error) {
	q := `SELECT id, started_at, finished_at, status, error, counts, sources, audited FROM cycles ORDER BY id DESC`
	var args []any
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, s.d.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("listing cycles: %w", err)
	}
	defer rows.Close()
	out, err := scanCycles(rows) // history.go
	if err != nil {
		return nil, fmt.Errorf("listing cycles: %w", err)
	}
	return out, nil
}

// Sources returns the latest status of every source, by name.
func (s *sqlStore) Sources(ctx context.Context) ([]SourceStatus, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT source, kind, last_ok, last_errors, items, duration, last_success
		FROM source_status ORDER BY source`)
	if err != nil {
		return nil, fmt.Errorf("listing sources: %w", err)
	}
	defer rows.Close()
	var out []SourceStatus
	for rows.Next() {
		var (
			st       SourceStatus
			errs     string
			items    int64
			dur      int64
			lastSucc sql.NullInt64
		)
		if err := rows.Scan(&st.Source, &st.Kind, &st.OK, &errs, &items, &dur, &lastSucc); err != nil {
			return nil, fmt.Errorf("listing sources: %w", err)
		}
		if err := json.Unmarshal([]byte(errs), &st.Errors); err != nil {
			return nil, fmt.Errorf("decoding errors of source %s: %w", st.Source, err)
		}
		if len(st.Errors) == 0 {
			st.Errors = nil
		}
		st.Items, st.Duration, st.LastSuccess = int(items), time.Duration(dur), fromNullTS(lastSucc)
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing sources: %w", err)
	}
	return out, nil
}

// Checkpoint returns a source's checkpoint value, or ErrNotFound.
func (s *sqlStore) Checkpoint(ctx context.Context, source, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, s.d.rebind(`SELECT value FROM checkpoints WHERE source = ? AND key = ?`), source, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("reading checkpoint %s/%s: %w", source, key, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("reading checkpoint %s/%s: %w", source, key, err)
	}
	return v, nil
}

// SetCheckpoint creates or replaces a source's checkpoint value.
func (s *sqlStore) SetCheckpoint(ctx context.Context, source, key, value string) error {
	_, err := s.db.ExecContext(ctx, s.d.rebind(`INSERT INTO checkpoints (source, key, value, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (source, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`),
		source, key, value, toTS(s.now()))
	if err != nil {
		return fmt.Errorf("writing checkpoint %s/%s: %w", source, key, err)
	}
	return nil
}

// Prune deletes history entries and cycles from before `before`, and findings
// resolved before it (with their history). It returns the number of rows
// deleted. Open and waived findings are never pruned.
func (s *sqlStore) Prune(ctx context.Context, before time.Time) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("pruning: beginning: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	cut := toTS(before.UTC())
	var total int64
	for _, step := range []struct{ what, q string }{
		{"history", `DELETE FROM finding_history WHERE at < ?`},
		{"resolved findings", `DELETE FROM findings WHERE state = 'resolved' AND resolved_at < ?`},
		{"cycles", `DELETE FROM cycles WHERE finished_at < ?`},
	} {
		res, err := tx.ExecContext(ctx, s.d.rebind(step.q), cut)
		if err != nil {
			return 0, fmt.Errorf("pruning %s: %w", step.what, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("pruning %s: %w", step.what, err)
		}
		total += n
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("pruning: committing: %w", err)
	}
	s.log.Debug("store pruned", "before", before, "rows", total)
	return total, nil
}
