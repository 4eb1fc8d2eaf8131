// Package report builds audit reports from the store's history: for a
// period or as of a point in time, which controls passed and failed and the
// findings behind them, every out-of-band change (who, what, when, via),
// drift opened and resolved with time-to-resolve, waivers in force, and the
// coverage that lets a reviewer trust the absence of findings (cycles,
// sources' last success, gaps where collection failed).
//
// A report renders as JSON (docs/report-schema.md), CSV (one row per
// finding), Markdown or a self-contained HTML page; every rendering carries
// a SHA-256 digest, and Verify checks one (see digest.go).
package report

import (
	"context"
	"time"

	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

// SchemaVersion names the JSON layout; it changes only with the schema document.
const SchemaVersion = "driftwarden.report/v1"

// History is what a report reads from the store (implemented by the store's
// SQL implementation, see store/history.go).
type History interface {
	CyclesBetween(ctx context.Context, from, to time.Time) ([]store.Cycle, error)
	FindingsBetween(ctx context.Context, from, to time.Time) ([]model.Finding, error)
	HistoryBetween(ctx context.Context, from, to time.Time) ([]store.HistoryRecord, error)
}

// Policy is what a report needs of one loaded policy (see FromEvaluator).
type Policy struct {
	ID       string
	Title    string
	Controls []string
	Disabled bool
	// Input is what the policy looks at: resource, drift, event or plan
	// ("" counts as resource).
	Input string
	// ResourceTypes limits a resource or drift policy to these types
	// (empty: every type). A control whose policies all name types no
	// cycle audited is not_applicable.
	ResourceTypes []string
}

// Waiver is an exception granted for findings, as the waiver feature
// records it; the caller passes the waivers that exist.
type Waiver struct {
	ID string `json:"id"`
	// Pattern says which findings it covers (a fingerprint, a policy id,
	// a resource pattern), as written by whoever granted it.
	Pattern   string     `json:"pattern"`
	Reason    string     `json:"reason"`
	Approver  string     `json:"approver"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	Expires   *time.Time `json:"expires,omitempty"`
	// Fingerprints are the findings it covers, when known.
	Fingerprints []string `json:"fingerprints,omitempty"`
}

// Report is one audit report. Field names are the JSON schema
// (docs/report-schema.md); keep them stable.
type Report struct {
	Schema      string     `json:"schema"`
	Generator   string     `json:"generator"`
	GeneratedAt time.Time  `json:"generated_at"`
	Parameters  Parameters `json:"parameters"`
	Summary     Summary    `json:"summary"`
	Controls    []Control  `json:"controls"`
	Findings    []Finding  `json:"findings"`
	// OutOfBandChanges has one entry per event behind each out_of_band_change finding.
	OutOfBandChanges []OutOfBandChange `json:"out_of_band_changes"`
	Drift            []Drift           `json:"drift"`
	Waivers          []Waiver          `json:"waivers"`
	Coverage         Coverage          `json:"coverage"`
	// Digest is filled by the JSON rendering (see digest.go); it is absent
	// from the content it covers.
	Digest *Digest `json:"digest,omitempty"`
}

// Parameters are what produced the report.
type Parameters struct {
	// Mode is "period" (From..To) or "as_of" (the state at To).
	Mode string    `json:"mode"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Period is the length as requested (30d), when given that way.
	Period     string   `json:"period"`
	Stacks     []string `json:"stacks"`
	Teams      []string `json:"teams"`
	Frameworks []string `json:"frameworks"`
	// Retention is the store's configured retention.
	Retention string `json:"retention"`
}

// Overall statuses in Summary.Status.
const (
	StatusPass            = "pass"
	StatusPassWithGaps    = "pass_with_gaps"
	StatusFail            = "fail"
	StatusCoverageMissing = "coverage_missing"
)

// Summary is the report in a few numbers.
type Summary struct {
	// Status is fail (a control failed), pass, pass_with_gaps (no control
	// failed but collection had gaps) or coverage_missing (no cycle ran in
	// the period: nothing can be said to have passed).
	Status              string `json:"status"`
	Controls            int    `json:"controls"`
	ControlsPassed      int    `json:"controls_passed"`
	ControlsFailed      int    `json:"controls_failed"`
	ControlsNotAssessed int    `json:"controls_not_assessed"`
	// ControlsNotApplicable counts controls with nothing in scope.
	ControlsNotApplicable int `json:"controls_not_applicable"`
	Findings              int `json:"findings"`
	OpenAtEnd             int `json:"open_at_end"`
	OutOfBandChanges      int `json:"out_of_band_changes"`
	DriftOpened           int `json:"drift_opened"`
	DriftResolved         int `json:"drift_resolved"`
	Waivers               int `json:"waivers"`
	Cycles                int `json:"cycles"`
	Gaps                  int `json:"gaps"`
}

// Control statuses.
const (
	ControlPass          = "pass"
	ControlFail          = "fail"
	ControlNotApplicable = "not_applicable"
	ControlNotAssessed   = "not_assessed"
)

// Control is one control of a framework and its verdict.
type Control struct {
	ID        string `json:"id"`
	Framework string `json:"framework"`
	// Status is fail when a finding of a policy mapped to the control was
	// open in the period; otherwise not_assessed when no cycle ran or
	// every policy mapped to it is disabled (or only an event source that
	// never succeeded could have assessed it); not_applicable when nothing
	// its policies apply to was audited (no resource of their
	// resource_types, no audit-event source); else pass: checked and
	// compliant. See docs/report-schema.md.
	Status   string   `json:"status"`
	Policies []string `json:"policies"`
	// Findings are the fingerprints of the findings that failed it.
	Findings []string `json:"findings"`
	// Reason says why a control is not_applicable or not_assessed ("" otherwise).
	Reason string `json:"reason"`
}

// Finding is one finding as it stood in the period.
type Finding struct {
	Fingerprint  string   `json:"fingerprint"`
	Kind         string   `json:"kind"`
	Severity     string   `json:"severity"`
	PolicyID     string   `json:"policy_id"`
	Title        string   `json:"title"`
	Message      string   `json:"message"`
	Controls     []string `json:"controls"`
	ResourceID   string   `json:"resource_id"`
	ResourceType string   `json:"resource_type"`
	Address      string   `json:"address"`
	Stack        string   `json:"stack"`
	Account      string   `json:"account"`
	Region       string   `json:"region"`
	Team         string   `json:"team"`
	// StateAtEnd is the state at the end of the period (open, resolved, waived).
	StateAtEnd string `json:"state_at_end"`
	// OpenedAt is when the open spell that overlaps the period began
	// (possibly before the period).
	OpenedAt time.Time `json:"opened_at"`
	// ResolvedAt is the last resolution within the period, if any.
	ResolvedAt *time.Time `json:"resolved_at"`
	// OpenSeconds is how long the finding was open within the period.
	OpenSeconds int64 `json:"open_seconds"`
	// TimesReopened counts reopenings within the period.
	TimesReopened int `json:"times_reopened"`
}

// OutOfBandChange is one change made outside the pipeline.
type OutOfBandChange struct {
	Fingerprint string    `json:"fingerprint"`
	When        time.Time `json:"when"`
	Principal   string    `json:"principal"`
	Person      string    `json:"person"`
	Action      string    `json:"action"`
	Via         string    `json:"via"`
	SourceIP    string    `json:"source_ip"`
	EventID     string    `json:"event_id"`
	// Record is where the original audit record lies, for an event read
	// from a file: "s3://bucket/…/x.json.gz, record 17" (its index among
	// the file's records, from 0) or "gs://…/x.json, line 7"; empty for an
	// event read through an API.
	Record     string `json:"record"`
	Verdict    string `json:"verdict"`
	ResourceID string `json:"resource_id"`
	Stack      string `json:"stack"`
	Team       string `json:"team"`
	StateAtEnd string `json:"state_at_end"`
}

// Drift is one drift finding opened or resolved in the period, or open through it.
type Drift struct {
	Fingerprint     string     `json:"fingerprint"`
	Kind            string     `json:"kind"`
	ResourceID      string     `json:"resource_id"`
	Address         string     `json:"address"`
	Stack           string     `json:"stack"`
	Team            string     `json:"team"`
	OpenedAt        time.Time  `json:"opened_at"`
	OpenedInPeriod  bool       `json:"opened_in_period"`
	ResolvedAt      *time.Time `json:"resolved_at"`
	ResolvedSeconds *int64     `json:"time_to_resolve_seconds"`
	StateAtEnd      string     `json:"state_at_end"`
}

// Coverage statuses.
const (
	CoverageComplete = "complete"
	CoveragePartial  = "partial"
	CoverageMissing  = "missing"
)

// Coverage says what was audited and where collection failed.
type Coverage struct {
	// Status is complete, partial (gaps) or missing (no cycle in the period).
	Status string `json:"status"`
	// Window is the span whose cycles were examined (the period, or for an
	// as-of report the days before the point in time).
	WindowFrom time.Time  `json:"window_from"`
	WindowTo   time.Time  `json:"window_to"`
	Cycles     int        `json:"cycles"`
	CyclesOK   int        `json:"cycles_ok"`
	Partial    int        `json:"cycles_partial"`
	Failed     int        `json:"cycles_failed"`
	FirstCycle *time.Time `json:"first_cycle"`
	LastCycle  *time.Time `json:"last_cycle"`
	// MedianIntervalSeconds is the median time between cycle starts.
	MedianIntervalSeconds int64 `json:"median_interval_seconds"`
	// MaxStacks is the most stacks one cycle read.
	MaxStacks int `json:"max_stacks"`
	// Stacks, Accounts and Projects are those the window's cycles audited
	// (as recorded with each cycle), narrowed to the stack filter. For
	// cycles recorded before driftwarden kept that (ScopeUnknownCycles),
	// those named by the period's findings are added.
	Stacks   []string `json:"stacks"`
	Accounts []string `json:"accounts"`
	Projects []string `json:"projects"`
	// ResourceTypes are the resource types the window's cycles evaluated.
	ResourceTypes []ResourceTypeCoverage `json:"resource_types"`
	// ScopeUnknownCycles counts cycles whose audited scope was not recorded.
	ScopeUnknownCycles int              `json:"scope_unknown_cycles"`
	Sources            []SourceCoverage `json:"sources"`
	Gaps               []Gap            `json:"gaps"`
	Notes              []string         `json:"notes"`
}

// ResourceTypeCoverage is one resource type audited in the window.
type ResourceTypeCoverage struct {
	Type string `json:"type"`
	// Resources is the most resources of the type one cycle evaluated.
	Resources int `json:"resources"`
	// Cycles counts the cycles that evaluated at least one.
	Cycles int `json:"cycles"`
}

// SourceCoverage is one source's record over the window.
type SourceCoverage struct {
	Source      string     `json:"source"`
	Kind        string     `json:"kind"`
	Runs        int        `json:"runs"`
	Failures    int        `json:"failures"`
	LastSuccess *time.Time `json:"last_success"`
	LastError   string     `json:"last_error"`
}

// Gap kinds.
const (
	GapNoCycles    = "no_cycles"     // no cycle at all in the window
	GapInterval    = "interval"      // no cycle for more than twice the median interval
	GapCycle       = "cycle_failed"  // a cycle failed
	GapPartial     = "cycle_partial" // a cycle ran with some inputs failing
	GapSourceError = "source_error"  // a source reported errors
	GapRetention   = "retention"     // part of the period is older than the retention
)

// Gap is a span or cycle where collection was incomplete.
type Gap struct {
	Kind    string    `json:"kind"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	CycleID int64     `json:"cycle_id"`
	Source  string    `json:"source"`
	Detail  string    `json:"detail"`
}

// Digest is the JSON rendering's checksum (see digest.go).
type Digest struct {
	Algorithm string `json:"algorithm"`
	// Value is the lowercase hex SHA-256 of the canonical JSON of the
	// report without its digest field.
	Value string `json:"value"`
}
