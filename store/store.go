// Package store persists findings with their lifecycle, one row per cycle,
// per-source status and checkpoints, and the history reports are built from.
// Two implementations share one schema and one test suite: SQLite (the
// embedded default, pure Go) and PostgreSQL (several replicas).
package store

import (
	"context"
	"errors"
	"time"

	"github.com/driftwarden/driftwarden/model"
)

// ErrNotFound is returned when a requested finding or checkpoint does not exist.
var ErrNotFound = errors.New("not found")

// Change is what happened to a finding in a cycle.
type Change string

// Finding changes recorded in history and handed to alerting.
const (
	ChangeOpened    Change = "opened"    // first time seen
	ChangeReopened  Change = "reopened"  // seen again after it was resolved
	ChangeEscalated Change = "escalated" // still open, severity went up
	ChangeResolved  Change = "resolved"  // its scope was audited and it was not seen
	// ChangeWaived is recorded in history (never returned as a transition)
	// when a waiver starts covering a finding.
	ChangeWaived Change = "waived"
)

// SourceStatus is how one source fared in one cycle.
type SourceStatus struct {
	Source   string        `json:"source"`
	Kind     string        `json:"kind"` // tfstate, tfplan, snapshot, ...
	OK       bool          `json:"ok"`
	Errors   []string      `json:"errors,omitempty"` // redacted messages, one per failed input
	Items    int           `json:"items"`            // stacks or resources read
	Duration time.Duration `json:"duration"`
	// LastSuccess is the last time the source succeeded (filled by the store on read).
	LastSuccess *time.Time `json:"last_success,omitempty"`
}

// CycleRecord is everything one cycle observed; RecordCycle stores it atomically.
type CycleRecord struct {
	StartedAt  time.Time
	FinishedAt time.Time
	// Status is ok (every source succeeded), partial (some inputs failed) or failed.
	Status string
	Error  string
	// Findings are the findings observed this cycle. State is ignored: the
	// store decides open/reopened/escalated from what it already holds.
	Findings []model.Finding
	// AuditedScopes are the scopes (stack or source names) that were audited
	// successfully this cycle: an open finding in one of them that is not in
	// Findings is resolved. A scope whose input failed keeps its findings open.
	AuditedScopes []string
	Sources       []SourceStatus
	Counts        map[string]int
	// Audited is what the cycle audited (resource types, stacks, accounts,
	// projects); nil records it as unknown.
	Audited *Audited
	// Checkpoints are written in the same transaction as the findings, so
	// that an event source resumes exactly after what was recorded: a crash
	// before the commit re-reads (and de-duplicates), never loses.
	Checkpoints []Checkpoint
	// Waive, when set, says whether a waiver covers an observed finding: it
	// is recorded waived (history "waived", no transition); a waived finding
	// no longer covered reopens (transition "reopened"). Snoozes stored with
	// AddWaiver are applied as well. Nil means the caller does not manage
	// waivers: nothing new is waived but by snoozes, and waived findings stay waived.
	Waive func(model.Finding) bool
	// Plan, when set, turns the cycle's transitions into outbox messages,
	// which are inserted in the same transaction as the transitions (see
	// outbox.go): an alert exists if and only if its transition does.
	Plan func(PlanInput) ([]OutboxMessage, error)
}

// Checkpoint is one source's resume position (a timestamp, an S3 key, a
// page token), opaque to the store.
type Checkpoint struct {
	Source string
	Key    string
	Value  string
}

// Cycle is a stored cycle.
type Cycle struct {
	ID         int64          `json:"id"`
	StartedAt  time.Time      `json:"started_at"`
	FinishedAt time.Time      `json:"finished_at"`
	Status     string         `json:"status"`
	Error      string         `json:"error,omitempty"`
	Counts     map[string]int `json:"counts,omitempty"`
	Sources    []SourceStatus `json:"sources,omitempty"`
	// Audited is nil when unknown (cycles recorded before it was kept).
	Audited *Audited `json:"audited,omitempty"`
}

// Transition is one change to one finding, as recorded in a cycle.
type Transition struct {
	Change  Change        `json:"change"`
	Finding model.Finding `json:"finding"` // the finding after the change
	// PreviousSeverity is set for escalations.
	PreviousSeverity model.Severity `json:"previous_severity,omitempty"`
	CycleID          int64          `json:"cycle_id"`
	At               time.Time      `json:"at"`
}

// HistoryEntry is one line of a finding's history.
type HistoryEntry struct {
	CycleID  int64          `json:"cycle_id"`
	At       time.Time      `json:"at"`
	Change   Change         `json:"change"`
	Severity model.Severity `json:"severity"`
	State    model.FindingState
}

// FindingFilter selects findings; zero values mean "any".
type FindingFilter struct {
	States     []model.FindingState
	Kinds      []model.FindingKind
	Severities []model.Severity
	Stacks     []string
	PolicyIDs  []string
	Limit      int // 0 = no limit
	Offset     int
}

// Store is what the daemon, the CLI and later the API and reports need.
type Store interface {
	// RecordCycle stores a cycle and applies its findings in one transaction:
	// new fingerprints open, resolved ones reopen, open ones update last seen
	// (and escalate when severity rose), and open findings of audited scopes
	// that were not seen resolve. It returns the cycle id and the transitions;
	// recording the same observations again yields no transitions.
	RecordCycle(ctx context.Context, rec CycleRecord) (int64, []Transition, error)
	Findings(ctx context.Context, f FindingFilter) ([]model.Finding, error)
	Finding(ctx context.Context, fingerprint string) (model.Finding, []HistoryEntry, error)
	Cycles(ctx context.Context, limit int) ([]Cycle, error)
	Sources(ctx context.Context) ([]SourceStatus, error)
	Checkpoint(ctx context.Context, source, key string) (string, error)
	SetCheckpoint(ctx context.Context, source, key, value string) error
	// Prune deletes cycles, history and resolved findings older than before.
	Prune(ctx context.Context, before time.Time) (int64, error)
	Close() error
}
