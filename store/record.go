package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/driftwarden/driftwarden/model"
)

// observation is one observed finding, encoded once.
type observation struct {
	f        model.Finding
	controls string
	evidence string
	hash     string // of everything a cycle may change except times
}

// known is what RecordCycle needs of a stored finding to decide its change.
type known struct {
	state     model.FindingState
	severity  model.Severity
	scope     string
	hash      string
	firstSeen int64
}

// RecordCycle stores rec in one transaction; see Store.
//
// Every time it writes (first seen, last seen, resolved at, history) is the
// cycle's FinishedAt (else StartedAt, else now); times carried by the
// observed findings are ignored, like their State.
func (s *sqlStore) RecordCycle(ctx context.Context, rec CycleRecord) (int64, []Transition, error) {
	at := rec.FinishedAt
	if at.IsZero() {
		at = rec.StartedAt
	}
	if at.IsZero() {
		at = s.now()
	}
	at = at.UTC()
	started := rec.StartedAt
	if started.IsZero() {
		started = at
	}
	obs, err := observe(rec.Findings)
	if err != nil {
		return 0, nil, fmt.Errorf("recording cycle: %w", err)
	}
	counts, err := jsonText(rec.Counts, "{}")
	if err != nil {
		return 0, nil, fmt.Errorf("recording cycle: encoding counts: %w", err)
	}
	sources, err := jsonText(rec.Sources, "[]")
	if err != nil {
		return 0, nil, fmt.Errorf("recording cycle: encoding sources: %w", err)
	}
	audited, err := auditedText(rec.Audited)
	if err != nil {
		return 0, nil, fmt.Errorf("recording cycle: encoding audited scope: %w", err)
	}
	status := rec.Status
	if status == "" {
		status = "ok"
	}

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, nil, fmt.Errorf("recording cycle: beginning: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if s.d == postgresDialect {
		// One recorder at a time per schema: replicas sharing a database
		// serialise here instead of racing on the same fingerprints.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(`+lockRecord+`, hashtext(coalesce(current_schema(), '')))`); err != nil {
			return 0, nil, fmt.Errorf("recording cycle: taking the record lock: %w", err)
		}
	}
	var id int64
	err = tx.QueryRowContext(ctx, s.d.rebind(`INSERT INTO cycles (started_at, finished_at, status, error, counts, sources, audited)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		toTS(started.UTC()), toTS(at), status, rec.Error, counts, sources, audited).Scan(&id)
	if err != nil {
		return 0, nil, fmt.Errorf("recording cycle: inserting the cycle: %w", err)
	}
	w := &writer{ctx: ctx, tx: tx, d: s.d, cycle: id, at: at, atNS: toTS(at)}
	defer w.close()
	w.manageWaivers = rec.Waive != nil
	if w.waive, err = w.waiver(rec.Waive); err != nil {
		return 0, nil, fmt.Errorf("recording cycle %d: %w", id, err)
	}
	trs, err := w.apply(obs, rec.AuditedScopes)
	if err != nil {
		return 0, nil, fmt.Errorf("recording cycle %d: %w", id, err)
	}
	if rec.Plan != nil {
		if err := w.outbox(rec.Plan, trs); err != nil {
			return 0, nil, fmt.Errorf("recording cycle %d: %w", id, err)
		}
	}
	if err := w.sources(rec.Sources); err != nil {
		return 0, nil, fmt.Errorf("recording cycle %d: %w", id, err)
	}
	if err := w.checkpoints(rec.Checkpoints); err != nil {
		return 0, nil, fmt.Errorf("recording cycle %d: %w", id, err)
	}
	w.close()
	if s.beforeCommit != nil {
		if err := s.beforeCommit(); err != nil {
			return 0, nil, fmt.Errorf("recording cycle %d: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, nil, fmt.Errorf("recording cycle %d: committing: %w", id, err)
	}
	s.log.Debug("cycle recorded", "cycle_id", id, "findings", len(obs), "transitions", len(trs))
	return id, trs, nil
}

// observe validates and encodes the observed findings; a fingerprint seen
// twice keeps its last observation, in the position of its first.
func observe(fs []model.Finding) ([]observation, error) {
	out := make([]observation, 0, len(fs))
	index := make(map[string]int, len(fs))
	for i, f := range fs {
		if f.Fingerprint == "" {
			return nil, fmt.Errorf("finding %d (%s %s) has no fingerprint", i, f.Kind, f.ResourceID)
		}
		controls, err := jsonText(f.Controls, "[]")
		if err != nil {
			return nil, fmt.Errorf("encoding controls of finding %s: %w", f.Fingerprint, err)
		}
		evidence, err := jsonText(f.Evidence, "{}")
		if err != nil {
			return nil, fmt.Errorf("encoding evidence of finding %s: %w", f.Fingerprint, err)
		}
		cleanText(&f)
		o := observation{f: f, controls: controls, evidence: evidence}
		o.hash = model.Fingerprint(string(f.Kind), string(f.Severity), f.PolicyID, f.Title, f.Message, controls,
			f.Remediation, f.ResourceID, f.ResourceType, f.Address, f.Stack, f.Account, f.Region, f.Team, f.Scope, evidence)
		if j, ok := index[f.Fingerprint]; ok {
			out[j] = o
			continue
		}
		index[f.Fingerprint] = len(out)
		out = append(out, o)
	}
	return out, nil
}

// cleanText makes text fields storable everywhere: PostgreSQL rejects NUL
// bytes and invalid UTF-8 in text columns, and one odd resource name must
// not cost the whole cycle.
func cleanText(f *model.Finding) {
	for _, p := range []*string{&f.PolicyID, &f.Title, &f.Message, &f.Remediation, &f.ResourceID, &f.ResourceType,
		&f.Address, &f.Stack, &f.Account, &f.Region, &f.Team, &f.Scope} {
		if !utf8.ValidString(*p) || strings.IndexByte(*p, 0) >= 0 {
			*p = strings.ReplaceAll(strings.ToValidUTF8(*p, "\uFFFD"), "\x00", "\uFFFD")
		}
	}
}

// writer applies one cycle's observations inside its transaction.
type writer struct {
	ctx   context.Context
	tx    *sql.Tx
	d     *dialect
	cycle int64
	at    time.Time
	atNS  int64

	stmts   map[string]*sql.Stmt
	history [][]any
	touched []any
	// waive reports whether a waiver covers a finding (nil: none does).
	waive func(model.Finding) bool
	// manageWaivers is set when the cycle says which findings are waived
	// (CycleRecord.Waive): only then does a waived finding that no waiver
	// covers reopen. Without it, waived findings stay waived.
	manageWaivers bool
}

func (w *writer) stmt(query string) (*sql.Stmt, error) {
	if st, ok := w.stmts[query]; ok {
		return st, nil
	}
	st, err := w.tx.PrepareContext(w.ctx, w.d.rebind(query))
	if err != nil {
		return nil, err
	}
	if w.stmts == nil {
		w.stmts = map[string]*sql.Stmt{}
	}
	w.stmts[query] = st
	return st, nil
}

func (w *writer) close() {
	for q, st := range w.stmts {
		_ = st.Close()
		delete(w.stmts, q)
	}
}

func (w *writer) apply(obs []observation, audited []string) ([]Transition, error) {
	have, err := w.load()
	if err != nil {
		return nil, err
	}
	var (
		trs    []Transition
		writes [][]any
		seen   = make(map[string]struct{}, len(obs))
	)
	for _, o := range obs {
		f := o.f
		seen[f.Fingerprint] = struct{}{}
		k, ok := have[f.Fingerprint]
		waived := w.waive != nil && w.waive(f)
		switch {
		case waived && (!ok || k.state == model.StateResolved || k.state == model.StateOpen):
			// A waiver covers it: recorded, silent, out of the open gauges.
			reopened := 0
			if ok && k.state == model.StateResolved {
				reopened = 1
			}
			writes = append(writes, w.row(o, model.StateWaived, reopened))
			w.event(f.Fingerprint, ChangeWaived, f.Severity, model.StateWaived)
		case !ok:
			writes = append(writes, w.row(o, model.StateOpen, 0))
			w.event(f.Fingerprint, ChangeOpened, f.Severity, model.StateOpen)
			trs = append(trs, w.transition(ChangeOpened, f, w.at, ""))
		case k.state == model.StateResolved:
			writes = append(writes, w.row(o, model.StateOpen, 1))
			w.event(f.Fingerprint, ChangeReopened, f.Severity, model.StateOpen)
			trs = append(trs, w.transition(ChangeReopened, f, fromTS(k.firstSeen), ""))
		case k.state == model.StateWaived && !waived && w.manageWaivers:
			// Its waiver expired (or was removed): it reopens, with an alert.
			writes = append(writes, w.row(o, model.StateOpen, 1))
			w.event(f.Fingerprint, ChangeReopened, f.Severity, model.StateOpen)
			trs = append(trs, w.transition(ChangeReopened, f, fromTS(k.firstSeen), ""))
		case k.hash == o.hash:
			// Nothing but the times changed: batched below.
			w.touched = append(w.touched, f.Fingerprint)
		case k.state == model.StateOpen:
			writes = append(writes, w.row(o, model.StateOpen, 0))
			if f.Severity.Rank() > k.severity.Rank() {
				w.event(f.Fingerprint, ChangeEscalated, f.Severity, model.StateOpen)
				trs = append(trs, w.transition(ChangeEscalated, f, fromTS(k.firstSeen), k.severity))
			}
		default:
			// Waived (or a state a later version added): keep the state,
			// refresh the content, and stay silent.
			writes = append(writes, w.row(o, k.state, 0))
		}
	}
	if err := w.upsertFindings(writes); err != nil {
		return nil, err
	}
	if err := w.touch(); err != nil {
		return nil, err
	}
	resolved, err := w.resolve(have, seen, audited)
	if err != nil {
		return nil, err
	}
	trs = append(trs, resolved...)
	if err := w.insertHistory(); err != nil {
		return nil, err
	}
	return trs, nil
}

// load reads the lifecycle state of every stored finding: one query, so a
// cycle of 100,000 findings does not cost 100,000 round trips.
func (w *writer) load() (map[string]known, error) {
	rows, err := w.tx.QueryContext(w.ctx, `SELECT fingerprint, state, severity, scope, content_hash, first_seen FROM findings`)
	if err != nil {
		return nil, fmt.Errorf("loading findings: %w", err)
	}
	defer rows.Close()
	have := make(map[string]known)
	for rows.Next() {
		var (
			fp string
			k  known
		)
		if err := rows.Scan(&fp, &k.state, &k.severity, &k.scope, &k.hash, &k.firstSeen); err != nil {
			return nil, fmt.Errorf("loading findings: %w", err)
		}
		have[fp] = k
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("loading findings: %w", err)
	}
	return have, nil
}

func (w *writer) transition(c Change, f model.Finding, first time.Time, prev model.Severity) Transition {
	f.State, f.FirstSeen, f.LastSeen, f.ResolvedAt = model.StateOpen, first, w.at, nil
	return Transition{Change: c, Finding: f, PreviousSeverity: prev, CycleID: w.cycle, At: w.at}
}

func (w *writer) event(fp string, c Change, sev model.Severity, st model.FindingState) {
	w.history = append(w.history, []any{fp, w.cycle, w.atNS, string(c), string(sev), string(st)})
}

// row is an upsert row of findingInsertCols; reopened is added to
// times_reopened of an existing row.
func (w *writer) row(o observation, state model.FindingState, reopened int) []any {
	f := o.f
	return []any{f.Fingerprint, string(f.Kind), string(state), string(f.Severity), f.Severity.Rank(),
		f.PolicyID, f.Title, f.Message, o.controls, f.Remediation, f.ResourceID, f.ResourceType, f.Address,
		f.Stack, f.Account, f.Region, f.Team, f.Scope, w.atNS, w.atNS, nil, o.evidence, o.hash, w.cycle, w.cycle, reopened}
}

const findingInsertCols = `fingerprint, kind, state, severity, severity_rank, policy_id, title, message, controls,
	remediation, resource_id, resource_type, address, stack, account, region, team, scope, first_seen, last_seen,
	resolved_at, evidence, content_hash, opened_cycle, last_cycle, times_reopened`

// findingUpsert keeps first_seen and opened_cycle of an existing finding and
// adds the row's times_reopened (0 or 1) to its count.
const findingUpsert = ` ON CONFLICT (fingerprint) DO UPDATE SET kind = excluded.kind, state = excluded.state,
	severity = excluded.severity, severity_rank = excluded.severity_rank, policy_id = excluded.policy_id,
	title = excluded.title, message = excluded.message, controls = excluded.controls,
	remediation = excluded.remediation, resource_id = excluded.resource_id, resource_type = excluded.resource_type,
	address = excluded.address, stack = excluded.stack, account = excluded.account, region = excluded.region,
	team = excluded.team, scope = excluded.scope, last_seen = excluded.last_seen, resolved_at = NULL,
	evidence = excluded.evidence, content_hash = excluded.content_hash, last_cycle = excluded.last_cycle,
	times_reopened = findings.times_reopened + excluded.times_reopened`

// upsertFindings writes new and changed findings, many rows per statement.
func (w *writer) upsertFindings(rows [][]any) error {
	if err := w.insertBatch("findings", findingInsertCols, findingUpsert, 26, rows); err != nil {
		return fmt.Errorf("writing findings: %w", err)
	}
	return nil
}

func (w *writer) insertHistory() error {
	if err := w.insertBatch("finding_history", "fingerprint, cycle_id, at, change, severity, state", "", 6, w.history); err != nil {
		return fmt.Errorf("inserting history: %w", err)
	}
	return nil
}

// insertBatch inserts rows with multi-row INSERTs of a few thousand
// parameters (well under both databases' limits); suffix is an ON CONFLICT
// clause or empty.
func (w *writer) insertBatch(table, cols, suffix string, ncols int, rows [][]any) error {
	const batchParams = 4000
	per := max(1, batchParams/ncols)
	for len(rows) > 0 {
		n := min(per, len(rows))
		st, err := w.stmt(`INSERT INTO ` + table + ` (` + cols + `) VALUES ` + placeholders(ncols, n) + suffix)
		if err != nil {
			return err
		}
		args := make([]any, 0, n*ncols)
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if _, err := st.ExecContext(w.ctx, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// touch moves last seen of unchanged findings, many per statement.
func (w *writer) touch() error {
	const per = 500
	fps := w.touched
	for len(fps) > 0 {
		n := min(per, len(fps))
		st, err := w.stmt(`UPDATE findings SET last_seen = ?, last_cycle = ? WHERE fingerprint IN (` +
			strings.TrimSuffix(strings.Repeat("?,", n), ",") + `)`)
		if err != nil {
			return fmt.Errorf("preparing the last-seen update: %w", err)
		}
		args := append([]any{w.atNS, w.cycle}, fps[:n]...)
		if _, err := st.ExecContext(w.ctx, args...); err != nil {
			return fmt.Errorf("updating last seen: %w", err)
		}
		fps = fps[n:]
	}
	return nil
}

// resolve closes every open finding of an audited scope that was not seen.
func (w *writer) resolve(have map[string]known, seen map[string]struct{}, audited []string) ([]Transition, error) {
	if len(audited) == 0 {
		return nil, nil
	}
	scopes := make(map[string]struct{}, len(audited))
	for _, sc := range audited {
		scopes[sc] = struct{}{}
	}
	var gone []string
	for fp, k := range have {
		if k.state != model.StateOpen {
			continue
		}
		if _, ok := scopes[k.scope]; !ok {
			continue
		}
		if _, ok := seen[fp]; !ok {
			gone = append(gone, fp)
		}
	}
	if len(gone) == 0 {
		return nil, nil
	}
	slices.Sort(gone)
	st, err := w.stmt(`UPDATE findings SET state = 'resolved', resolved_at = ? WHERE fingerprint = ? AND state = 'open'
		RETURNING ` + findingCols)
	if err != nil {
		return nil, fmt.Errorf("preparing the resolution: %w", err)
	}
	trs := make([]Transition, 0, len(gone))
	for _, fp := range gone {
		f, err := scanFinding(st.QueryRowContext(w.ctx, w.atNS, fp))
		if err != nil {
			return nil, fmt.Errorf("resolving finding %s: %w", fp, err)
		}
		w.event(fp, ChangeResolved, f.Severity, model.StateResolved)
		trs = append(trs, Transition{Change: ChangeResolved, Finding: f, CycleID: w.cycle, At: w.at})
	}
	return trs, nil
}

// sources upserts the per-source status; last success only moves on success.
func (w *writer) sources(ss []SourceStatus) error {
	if len(ss) == 0 {
		return nil
	}
	st, err := w.stmt(`INSERT INTO source_status (source, kind, last_run, last_success, last_ok, last_errors, items, duration)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (source) DO UPDATE SET kind = excluded.kind, last_run = excluded.last_run,
			last_success = COALESCE(excluded.last_success, source_status.last_success),
			last_ok = excluded.last_ok, last_errors = excluded.last_errors,
			items = excluded.items, duration = excluded.duration`)
	if err != nil {
		return fmt.Errorf("preparing the source status upsert: %w", err)
	}
	for _, s := range ss {
		errs, err := jsonText(s.Errors, "[]")
		if err != nil {
			return fmt.Errorf("encoding errors of source %s: %w", s.Source, err)
		}
		var success any
		if s.OK {
			success = w.atNS
		}
		if _, err := st.ExecContext(w.ctx, s.Source, s.Kind, w.atNS, success, s.OK, errs, int64(s.Items), int64(s.Duration)); err != nil {
			return fmt.Errorf("recording status of source %s: %w", s.Source, err)
		}
	}
	return nil
}

// checkpoints upserts the sources' resume positions with the cycle.
func (w *writer) checkpoints(cps []Checkpoint) error {
	if len(cps) == 0 {
		return nil
	}
	st, err := w.stmt(`INSERT INTO checkpoints (source, key, value, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (source, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`)
	if err != nil {
		return fmt.Errorf("preparing the checkpoint upsert: %w", err)
	}
	for _, c := range cps {
		if _, err := st.ExecContext(w.ctx, c.Source, c.Key, c.Value, w.atNS); err != nil {
			return fmt.Errorf("recording checkpoint %s/%s: %w", c.Source, c.Key, err)
		}
	}
	return nil
}
