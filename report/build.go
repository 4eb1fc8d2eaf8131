package report

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

// Options are what a report needs besides the store and the request.
type Options struct {
	// Policies are the loaded policies: their controls make the control list.
	Policies []Policy
	// Waivers are the waivers that exist; those in force in the period are reported.
	Waivers []Waiver
	// Retention is the store's retention; a period reaching further back says so.
	Retention time.Duration
	// Generator names the program (driftwarden v1.2.3).
	Generator string
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// AsOfWindow is how far before an as-of time cycles are examined for coverage.
const AsOfWindow = 7 * 24 * time.Hour

// Build reads the store's history and assembles the report for req.
func Build(ctx context.Context, h History, req Request, opts Options) (*Report, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	gen := opts.Generator
	if gen == "" {
		gen = "driftwarden"
	}
	if req.Mode != ModePeriod && req.Mode != ModeAsOf {
		return nil, fmt.Errorf("building report: unknown mode %q (use ParseRequest)", req.Mode)
	}
	from, to := req.From.UTC(), req.To.UTC()

	// Frameworks are known from the loaded policies' controls.
	var known []string
	for _, p := range opts.Policies {
		for _, c := range p.Controls {
			if fw := FrameworkOf(c); !slices.Contains(known, fw) {
				known = append(known, fw)
			}
		}
	}
	sort.Strings(known)
	if err := checkFrameworks(req.Frameworks, known); err != nil {
		return nil, err
	}

	winFrom := from
	if req.Mode == ModeAsOf {
		winFrom = to.Add(-AsOfWindow)
	}
	cycles, err := h.CyclesBetween(ctx, winFrom, to)
	if err != nil {
		return nil, fmt.Errorf("building report: %w", err)
	}
	findings, err := h.FindingsBetween(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("building report: %w", err)
	}
	hist, err := h.HistoryBetween(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("building report: %w", err)
	}
	byFP := map[string][]store.HistoryEntry{}
	for _, r := range hist {
		byFP[r.Fingerprint] = append(byFP[r.Fingerprint], r.HistoryEntry)
	}

	rep := &Report{
		Schema: SchemaVersion, Generator: gen, GeneratedAt: now().UTC(),
		Parameters: Parameters{
			Mode: req.Mode, From: from, To: to, Period: req.Period,
			Stacks: orEmpty(req.Stacks), Teams: orEmpty(req.Teams), Frameworks: orEmpty(req.Frameworks),
			Retention: formatDuration(opts.Retention),
		},
		Controls: []Control{}, Findings: []Finding{}, OutOfBandChanges: []OutOfBandChange{}, Drift: []Drift{}, Waivers: []Waiver{},
	}

	selected := func(control string) bool {
		if len(req.Frameworks) == 0 {
			return true
		}
		for _, w := range req.Frameworks {
			if matchFramework(FrameworkOf(control), w) {
				return true
			}
		}
		return false
	}
	policyControls := map[string][]string{}
	for _, p := range opts.Policies {
		policyControls[p.ID] = p.Controls
	}
	controlsOf := func(f model.Finding) []string {
		var out []string
		for _, c := range append(slices.Clone(f.Controls), policyControls[f.PolicyID]...) {
			if selected(c) && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
		sort.Strings(out)
		return out
	}

	asOf := req.Mode == ModeAsOf
	failing := map[string][]string{}
	controlPolicies := map[string][]string{}
	addPolicy := func(c, id string) {
		if id != "" && !slices.Contains(controlPolicies[c], id) {
			controlPolicies[c] = append(controlPolicies[c], id)
		}
	}
	for _, f := range findings {
		if len(req.Stacks) > 0 && !slices.Contains(req.Stacks, f.Stack) {
			continue
		}
		if len(req.Teams) > 0 && !slices.Contains(req.Teams, f.Team) {
			continue
		}
		sp := spells(f, byFP[f.Fingerprint], to)
		var overlap []spell
		for _, s := range sp {
			if s.overlaps(from, to, asOf) {
				overlap = append(overlap, s)
			}
		}
		if len(overlap) == 0 {
			continue
		}
		ctrls := controlsOf(f)
		if len(req.Frameworks) > 0 && f.Kind == model.FindingViolation && len(ctrls) == 0 {
			continue // a violation of no selected framework
		}
		end := stateAt(f, byFP[f.Fingerprint], sp, to)
		row := Finding{
			Fingerprint: f.Fingerprint, Kind: string(f.Kind), Severity: string(f.Severity), PolicyID: f.PolicyID,
			Title: f.Title, Message: f.Message, Controls: orEmpty(ctrls), ResourceID: f.ResourceID, ResourceType: f.ResourceType,
			Address: f.Address, Stack: f.Stack, Account: f.Account, Region: f.Region, Team: f.Team,
			StateAtEnd: end, OpenedAt: overlap[0].start,
		}
		for _, s := range overlap {
			lo, hi := s.start, to
			if lo.Before(from) {
				lo = from
			}
			if s.end != nil && s.end.Before(hi) {
				hi = *s.end
			}
			if hi.After(lo) {
				row.OpenSeconds += int64(hi.Sub(lo) / time.Second)
			}
			if s.end != nil && !s.end.After(to) && s.end.After(from) {
				e := *s.end
				row.ResolvedAt = &e
			}
		}
		for _, e := range byFP[f.Fingerprint] {
			if e.Change == store.ChangeReopened && !e.At.Before(from) && !e.At.After(to) {
				row.TimesReopened++
			}
		}
		rep.Findings = append(rep.Findings, row)
		if end == string(model.StateOpen) {
			rep.Summary.OpenAtEnd++
		}
		for _, c := range ctrls {
			failing[c] = append(failing[c], f.Fingerprint)
			addPolicy(c, f.PolicyID)
		}

		switch {
		case f.Kind == model.FindingOutOfBandChange:
			rep.OutOfBandChanges = append(rep.OutOfBandChanges, outOfBand(f, row)...)
		case f.Kind.IsDrift():
			for _, s := range overlap {
				d := Drift{
					Fingerprint: f.Fingerprint, Kind: string(f.Kind), ResourceID: f.ResourceID, Address: f.Address,
					Stack: f.Stack, Team: f.Team, OpenedAt: s.start, OpenedInPeriod: !s.start.Before(from) && !asOf,
					StateAtEnd: string(model.StateOpen),
				}
				if s.end != nil && !s.end.After(to) {
					e := *s.end
					secs := int64(e.Sub(s.start) / time.Second)
					d.ResolvedAt, d.ResolvedSeconds, d.StateAtEnd = &e, &secs, string(model.StateResolved)
				}
				if d.OpenedInPeriod {
					rep.Summary.DriftOpened++
				}
				if d.ResolvedAt != nil {
					rep.Summary.DriftResolved++
				}
				rep.Drift = append(rep.Drift, d)
			}
		}
	}
	sort.SliceStable(rep.OutOfBandChanges, func(i, j int) bool { return rep.OutOfBandChanges[i].When.Before(rep.OutOfBandChanges[j].When) })
	sort.SliceStable(rep.Drift, func(i, j int) bool { return rep.Drift[i].OpenedAt.Before(rep.Drift[j].OpenedAt) })

	rep.Coverage = coverage(cycles, winFrom, to, asOf, rep.Findings, req.Stacks, opts.Retention, rep.GeneratedAt)
	noCycles := rep.Coverage.Status == CoverageMissing

	// Controls: every control of a loaded policy (in the selected
	// frameworks), plus controls named by findings of policies since removed.
	enabled := map[string][]Policy{}
	for _, p := range opts.Policies {
		for _, c := range p.Controls {
			if !selected(c) {
				continue
			}
			addPolicy(c, p.ID)
			if !p.Disabled {
				enabled[c] = append(enabled[c], p)
			}
		}
	}
	sc := scopeOf(cycles)
	ids := make([]string, 0, len(controlPolicies))
	for c := range controlPolicies {
		ids = append(ids, c)
	}
	sort.Strings(ids)
	for _, c := range ids {
		ctl := Control{ID: c, Framework: FrameworkOf(c), Policies: controlPolicies[c], Findings: orEmpty(failing[c])}
		sort.Strings(ctl.Policies)
		switch {
		case len(failing[c]) > 0:
			ctl.Status = ControlFail
			rep.Summary.ControlsFailed++
		case noCycles:
			ctl.Status, ctl.Reason = ControlNotAssessed, "no audit cycle ran in the window"
			rep.Summary.ControlsNotAssessed++
		case len(enabled[c]) == 0:
			ctl.Status, ctl.Reason = ControlNotAssessed, "every policy mapped to it is disabled or no longer loaded"
			rep.Summary.ControlsNotAssessed++
		default:
			switch a, why := controlApplicability(enabled[c], sc); a {
			case notApplicable:
				ctl.Status, ctl.Reason = ControlNotApplicable, why
				rep.Summary.ControlsNotApplicable++
			case notAssessed:
				ctl.Status, ctl.Reason = ControlNotAssessed, why
				rep.Summary.ControlsNotAssessed++
			default:
				ctl.Status = ControlPass
				rep.Summary.ControlsPassed++
			}
		}
		rep.Controls = append(rep.Controls, ctl)
	}

	for _, w := range opts.Waivers {
		if w.CreatedAt != nil && w.CreatedAt.After(to) {
			continue
		}
		if w.Expires != nil && w.Expires.Before(from) {
			continue
		}
		rep.Waivers = append(rep.Waivers, w)
	}

	s := &rep.Summary
	s.Controls, s.Findings, s.OutOfBandChanges = len(rep.Controls), len(rep.Findings), len(rep.OutOfBandChanges)
	s.Waivers, s.Cycles, s.Gaps = len(rep.Waivers), rep.Coverage.Cycles, len(rep.Coverage.Gaps)
	switch {
	case noCycles:
		s.Status = StatusCoverageMissing
	case s.ControlsFailed > 0:
		s.Status = StatusFail
	case len(rep.Coverage.Gaps) > 0:
		s.Status = StatusPassWithGaps
	default:
		s.Status = StatusPass
	}
	return rep, nil
}

// spell is one time a finding was open: from start until end (nil: still open at the report's end).
type spell struct {
	start time.Time
	end   *time.Time
}

// overlaps reports whether the spell was open at some time in [from, to]
// (at the instant to, for an as-of report). A finding resolved at t was
// no longer open at t.
func (s spell) overlaps(from, to time.Time, instant bool) bool {
	if s.start.After(to) {
		return false
	}
	if instant {
		return s.end == nil || s.end.After(to)
	}
	return s.end == nil || s.end.After(from)
}

// spells rebuilds a finding's open spells up to `to` from its history.
// History older than the retention may be gone: a first entry that is not
// an opening starts at first seen.
func spells(f model.Finding, hist []store.HistoryEntry, to time.Time) []spell {
	var (
		out  []spell
		open bool
	)
	for i, h := range hist {
		if h.At.After(to) {
			break
		}
		isOpen := h.State == model.StateOpen
		switch {
		case isOpen && !open:
			start := h.At
			if i == 0 && h.Change != store.ChangeOpened && f.FirstSeen.Before(start) {
				start = f.FirstSeen
			}
			out = append(out, spell{start: start})
			open = true
		case !isOpen && open:
			e := h.At
			out[len(out)-1].end = &e
			open = false
		case !isOpen && !open && i == 0 && !f.FirstSeen.After(h.At):
			e := h.At // its opening was pruned
			out = append(out, spell{start: f.FirstSeen, end: &e})
		}
	}
	if len(hist) == 0 && !f.FirstSeen.After(to) {
		s := spell{start: f.FirstSeen}
		if f.ResolvedAt != nil && !f.ResolvedAt.After(to) {
			e := *f.ResolvedAt
			s.end = &e
		}
		out = append(out, s)
	}
	return out
}

// stateAt is the finding's state at t.
func stateAt(f model.Finding, hist []store.HistoryEntry, sp []spell, t time.Time) string {
	st := ""
	for _, h := range hist {
		if h.At.After(t) {
			break
		}
		st = string(h.State)
	}
	if st == "" {
		st = string(model.StateResolved)
		if n := len(sp); n > 0 && (sp[n-1].end == nil || sp[n-1].end.After(t)) {
			st = string(model.StateOpen)
		}
	}
	if st == string(model.StateOpen) && f.State == model.StateWaived && (f.ResolvedAt == nil) && len(hist) > 0 && !hist[len(hist)-1].At.After(t) {
		// Waived since its last recorded change, which is before t.
		st = string(model.StateWaived)
	}
	return st
}

// outOfBand turns an out_of_band_change finding into one entry per event.
func outOfBand(f model.Finding, row Finding) []OutOfBandChange {
	base := OutOfBandChange{Fingerprint: f.Fingerprint, ResourceID: f.ResourceID, Stack: f.Stack, Team: f.Team, StateAtEnd: row.StateAtEnd}
	if len(f.Evidence.Events) == 0 {
		c := base
		c.When, c.Action = row.OpenedAt, f.Title
		return []OutOfBandChange{c}
	}
	out := make([]OutOfBandChange, 0, len(f.Evidence.Events))
	for _, e := range f.Evidence.Events {
		c := base
		c.When, c.Principal, c.Person, c.Action = e.Time.UTC(), e.Principal.ID, e.Principal.Person, e.Action
		c.Via, c.SourceIP, c.EventID, c.Verdict = string(e.Via), e.SourceIP, e.ID, e.Verdict
		c.Record = originText(e.Origin)
		if len(e.Resources) > 0 {
			c.ResourceID = strings.Join(e.Resources, " ")
		}
		out = append(out, c)
	}
	return out
}

// originText names where an event's original record lies (empty when it
// was not read from a file).
func originText(o model.Origin) string {
	switch {
	case o.File == "":
		return ""
	case o.Line > 0:
		return fmt.Sprintf("%s, line %d", o.File, o.Line)
	}
	return fmt.Sprintf("%s, record %d", o.File, o.Record)
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// formatDuration writes whole days as 400d, anything else as Go does.
func formatDuration(d time.Duration) string {
	if d == 0 {
		return ""
	}
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
