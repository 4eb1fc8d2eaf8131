package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/driftwarden/driftwarden/model"
)

// This file holds the read-only queries that reports and the HTTP API need
// beyond the Store interface: cycles and findings of a period, the history
// of those findings, and keyset-paged finding listings. They are methods of
// the one SQL implementation (SQLite and PostgreSQL alike); callers reach
// them through small interfaces of their own (report.History, api.Store).

// HistoryRecord is one history entry of one finding.
type HistoryRecord struct {
	Fingerprint string `json:"fingerprint"`
	HistoryEntry
}

// CyclesBetween lists the cycles that overlap [from, to] (started at or
// before to, finished at or after from), oldest first.
func (s *sqlStore) CyclesBetween(ctx context.Context, from, to time.Time) ([]Cycle, error) {
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT id, started_at, finished_at, status, error, counts, sources, audited FROM cycles
		WHERE finished_at >= ? AND started_at <= ? ORDER BY started_at, id`), toTS(from.UTC()), toTS(to.UTC()))
	if err != nil {
		return nil, fmt.Errorf("listing cycles between %s and %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	defer rows.Close()
	out, err := scanCycles(rows)
	if err != nil {
		return nil, fmt.Errorf("listing cycles between %s and %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return out, nil
}

// candidates is the condition for findings that may have been open at some
// time in [from, to]: first seen by to, and not resolved (for good) before
// from. A finding reopened later has state open or a later resolved_at.
const candidates = `f.first_seen <= ? AND (f.state <> 'resolved' OR f.resolved_at IS NULL OR f.resolved_at >= ?)`

// FindingsBetween lists the findings that may have been open at some time in
// [from, to], in the listing order. Whether each one really was is decided
// from its history (HistoryBetween): a finding resolved and reopened around
// the period is a candidate that was not open in it.
func (s *sqlStore) FindingsBetween(ctx context.Context, from, to time.Time) ([]model.Finding, error) {
	q := `SELECT ` + prefixed("f.", findingCols) + ` FROM findings f WHERE ` + candidates +
		` ORDER BY f.severity_rank DESC, f.stack, f.resource_id, f.fingerprint`
	rows, err := s.db.QueryContext(ctx, s.d.rebind(q), toTS(to.UTC()), toTS(from.UTC()))
	if err != nil {
		return nil, fmt.Errorf("listing findings between %s and %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	defer rows.Close()
	var out []model.Finding
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			return nil, fmt.Errorf("listing findings between %s and %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing findings between %s and %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return out, nil
}

// HistoryBetween returns the history, up to to, of the findings
// FindingsBetween(from, to) lists, ordered by fingerprint then time.
func (s *sqlStore) HistoryBetween(ctx context.Context, from, to time.Time) ([]HistoryRecord, error) {
	q := `SELECT h.fingerprint, h.cycle_id, h.at, h.change, h.severity, h.state
		FROM finding_history h JOIN findings f ON f.fingerprint = h.fingerprint
		WHERE h.at <= ? AND ` + candidates + ` ORDER BY h.fingerprint, h.at, h.id`
	rows, err := s.db.QueryContext(ctx, s.d.rebind(q), toTS(to.UTC()), toTS(to.UTC()), toTS(from.UTC()))
	if err != nil {
		return nil, fmt.Errorf("reading finding history up to %s: %w", to.Format(time.RFC3339), err)
	}
	defer rows.Close()
	var out []HistoryRecord
	for rows.Next() {
		var (
			h  HistoryRecord
			at int64
		)
		if err := rows.Scan(&h.Fingerprint, &h.CycleID, &at, &h.Change, &h.Severity, &h.State); err != nil {
			return nil, fmt.Errorf("reading finding history up to %s: %w", to.Format(time.RFC3339), err)
		}
		h.At = fromTS(at)
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading finding history up to %s: %w", to.Format(time.RFC3339), err)
	}
	return out, nil
}

// FindingQuery selects a page of findings; zero values mean "any".
type FindingQuery struct {
	States     []model.FindingState
	Kinds      []model.FindingKind
	Severities []model.Severity
	Stacks     []string
	Teams      []string
	PolicyIDs  []string
	// Limit is the page size (required, > 0).
	Limit int
	// After continues after the finding a previous page ended with (its
	// Cursor); empty starts at the beginning. Pages stay exact when findings
	// are added or removed between requests.
	After string
	// Offset skips findings instead (not with After).
	Offset int
}

// Cursor is the position after f in the listing order (severity, stack,
// resource, fingerprint), opaque to callers.
func Cursor(f model.Finding) string {
	b, _ := json.Marshal([]any{f.Severity.Rank(), f.Stack, f.ResourceID, f.Fingerprint})
	return base64.RawURLEncoding.EncodeToString(b)
}

// ErrBadCursor is returned for a cursor that Cursor did not produce.
var ErrBadCursor = fmt.Errorf("invalid cursor")

func parseCursor(c string) (rank int64, stack, resource, fp string, err error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", "", "", ErrBadCursor
	}
	var parts []json.RawMessage
	if json.Unmarshal(b, &parts) != nil || len(parts) != 4 {
		return 0, "", "", "", ErrBadCursor
	}
	if json.Unmarshal(parts[0], &rank) != nil || json.Unmarshal(parts[1], &stack) != nil ||
		json.Unmarshal(parts[2], &resource) != nil || json.Unmarshal(parts[3], &fp) != nil || fp == "" {
		return 0, "", "", "", ErrBadCursor
	}
	return rank, stack, resource, fp, nil
}

// FindingsPage lists one page of findings matching q in the listing order.
func (s *sqlStore) FindingsPage(ctx context.Context, q FindingQuery) ([]model.Finding, error) {
	if q.Limit <= 0 || q.Offset < 0 {
		return nil, fmt.Errorf("listing findings: limit must be positive and offset not negative (%d, %d)", q.Limit, q.Offset)
	}
	if q.After != "" && q.Offset > 0 {
		return nil, fmt.Errorf("listing findings: a cursor and an offset cannot be combined")
	}
	var c conds
	in := c.in
	in("state", strs(q.States))
	in("kind", strs(q.Kinds))
	in("severity", strs(q.Severities))
	in("stack", q.Stacks)
	in("team", q.Teams)
	in("policy_id", q.PolicyIDs)
	if q.After != "" {
		rank, stack, res, fp, err := parseCursor(q.After)
		if err != nil {
			return nil, fmt.Errorf("listing findings: %w", err)
		}
		c.where = append(c.where, `(severity_rank < ? OR (severity_rank = ? AND (stack > ? OR (stack = ? AND
			(resource_id > ? OR (resource_id = ? AND fingerprint > ?))))))`)
		c.args = append(c.args, rank, rank, stack, stack, res, res, fp)
	}
	sqlq := `SELECT ` + findingCols + ` FROM findings`
	if len(c.where) > 0 {
		sqlq += ` WHERE ` + strings.Join(c.where, ` AND `)
	}
	sqlq += ` ORDER BY severity_rank DESC, stack, resource_id, fingerprint LIMIT ? OFFSET ?`
	c.args = append(c.args, q.Limit, q.Offset)
	rows, err := s.db.QueryContext(ctx, s.d.rebind(sqlq), c.args...)
	if err != nil {
		return nil, fmt.Errorf("listing findings: %w", err)
	}
	defer rows.Close()
	var out []model.Finding
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			return nil, fmt.Errorf("listing findings: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing findings: %w", err)
	}
	return out, nil
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

type rowsScanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

func scanCycles(rows rowsScanner) ([]Cycle, error) {
	var out []Cycle
	for rows.Next() {
		var (
			c               Cycle
			started         int64
			finished        *int64
			counts, sources string
			audited         string
		)
		if err := rows.Scan(&c.ID, &started, &finished, &c.Status, &c.Error, &counts, &sources, &audited); err != nil {
			return nil, err
		}
		c.StartedAt = fromTS(started)
		if finished != nil {
			c.FinishedAt = fromTS(*finished)
		}
		if err := json.Unmarshal([]byte(counts), &c.Counts); err != nil {
			return nil, fmt.Errorf("decoding counts of cycle %d: %w", c.ID, err)
		}
		if err := json.Unmarshal([]byte(sources), &c.Sources); err != nil {
			return nil, fmt.Errorf("decoding sources of cycle %d: %w", c.ID, err)
		}
		if len(c.Counts) == 0 {
			c.Counts = nil
		}
		if len(c.Sources) == 0 {
			c.Sources = nil
		}
		a, err := parseAudited(c.ID, audited)
		if err != nil {
			return nil, err
		}
		c.Audited = a
		out = append(out, c)
	}
	return out, rows.Err()
}
