package report

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/driftwarden/driftwarden/store"
)

// coverage examines the cycles of [from, to]: what ran, what they audited,
// what failed, and where no cycle ran for longer than twice the median
// interval. wantStacks is the report's stack filter.
func coverage(cycles []store.Cycle, from, to time.Time, asOf bool, findings []Finding, wantStacks []string, retention time.Duration, now time.Time) Coverage {
	cv := Coverage{
		WindowFrom: from, WindowTo: to, Cycles: len(cycles),
		Stacks: []string{}, Accounts: []string{}, Projects: []string{}, ResourceTypes: []ResourceTypeCoverage{},
		Sources: []SourceCoverage{}, Gaps: []Gap{}, Notes: []string{},
	}
	types := map[string]*ResourceTypeCoverage{}
	for _, c := range cycles {
		a := c.Audited
		if a == nil {
			cv.ScopeUnknownCycles++
			continue
		}
		for _, s := range a.Stacks {
			if len(wantStacks) == 0 || slices.Contains(wantStacks, s) {
				addSorted(&cv.Stacks, s)
			}
		}
		for _, v := range a.Accounts {
			addSorted(&cv.Accounts, v)
		}
		for _, v := range a.Projects {
			addSorted(&cv.Projects, v)
		}
		for t, n := range a.Types {
			tc := types[t]
			if tc == nil {
				tc = &ResourceTypeCoverage{Type: t}
				types[t] = tc
			}
			tc.Resources = max(tc.Resources, n)
			if n > 0 {
				tc.Cycles++
			}
		}
	}
	for _, t := range slices.Sorted(maps.Keys(types)) {
		cv.ResourceTypes = append(cv.ResourceTypes, *types[t])
	}
	switch {
	case cv.ScopeUnknownCycles > 0:
		for _, f := range findings {
			addSorted(&cv.Stacks, f.Stack)
			if isAWSAccount(f.Account) {
				addSorted(&cv.Accounts, f.Account)
			} else {
				addSorted(&cv.Projects, f.Account)
			}
		}
		cv.Notes = append(cv.Notes, fmt.Sprintf("%d of %d cycles in the window were recorded before driftwarden kept what each cycle audited: "+
			"for them, stacks, accounts and projects are those named by findings, and a control whose policies apply to specific resource types "+
			"is reported pass, not not_applicable, since whether such resources existed is unknown.", cv.ScopeUnknownCycles, len(cycles)))
	case len(cycles) > 0:
		cv.Notes = append(cv.Notes, "Stacks, accounts, projects and resource types are those the cycles in the window audited, as recorded with each cycle.")
		for _, s := range wantStacks {
			if !slices.Contains(cv.Stacks, s) {
				cv.Notes = append(cv.Notes, fmt.Sprintf("Stack %q was requested, but no cycle in the window audited it.", s))
			}
		}
	}

	if retention > 0 {
		if horizon := now.Add(-retention); from.Before(horizon) {
			cv.Gaps = append(cv.Gaps, Gap{Kind: GapRetention, From: from, To: minTime(horizon, to),
				Detail: fmt.Sprintf("the store keeps %s of history: cycles, history and resolved findings before %s have been pruned", formatDuration(retention), horizon.Format(time.RFC3339))})
			cv.Notes = append(cv.Notes, fmt.Sprintf("The period starts before the retention horizon (%s, retention %s): the part before it cannot be reported.", horizon.Format(time.RFC3339), formatDuration(retention)))
		}
	}

	if len(cycles) == 0 {
		cv.Status = CoverageMissing
		cv.Gaps = append(cv.Gaps, Gap{Kind: GapNoCycles, From: from, To: to, Detail: "no audit cycle ran in this window: coverage is missing, so the absence of findings proves nothing"})
		cv.Notes = append(cv.Notes, "Coverage missing: no cycle ran in the window. No control can be said to have passed.")
		return cv
	}

	first, last := cycles[0].StartedAt, cycles[len(cycles)-1].FinishedAt
	if last.IsZero() {
		last = cycles[len(cycles)-1].StartedAt
	}
	cv.FirstCycle, cv.LastCycle = &first, &last

	src := map[string]*SourceCoverage{}
	var order []string
	type run struct {
		from, to time.Time
		id       int64
		n        int
		detail   string
	}
	open := map[string]*run{} // consecutive failures: status or source -> run
	flush := func(key, kind, source string) {
		if r := open[key]; r != nil {
			d := r.detail
			if r.n > 1 {
				d = fmt.Sprintf("%d consecutive cycles; last: %s", r.n, d)
			}
			cv.Gaps = append(cv.Gaps, Gap{Kind: kind, From: r.from, To: r.to, CycleID: r.id, Source: source, Detail: d})
			delete(open, key)
		}
	}
	note := func(key, detail string, c store.Cycle) {
		end := c.FinishedAt
		if end.IsZero() {
			end = c.StartedAt
		}
		if r := open[key]; r != nil {
			r.to, r.n, r.detail = end, r.n+1, detail
			return
		}
		open[key] = &run{from: c.StartedAt, to: end, id: c.ID, n: 1, detail: detail}
	}
	for _, c := range cycles {
		switch c.Status {
		case "ok":
			cv.CyclesOK++
			flush("cycle:partial", GapPartial, "")
			flush("cycle:failed", GapCycle, "")
		case "partial":
			cv.Partial++
			flush("cycle:failed", GapCycle, "")
			note("cycle:partial", orDefault(c.Error, "some inputs could not be read"), c)
		default:
			cv.Failed++
			flush("cycle:partial", GapPartial, "")
			note("cycle:failed", orDefault(c.Error, "cycle "+c.Status), c)
		}
		if n := c.Counts["stacks"]; n > cv.MaxStacks {
			cv.MaxStacks = n
		}
		seen := map[string]bool{}
		for _, s := range c.Sources {
			sc := src[s.Source]
			if sc == nil {
				sc = &SourceCoverage{Source: s.Source, Kind: s.Kind}
				src[s.Source] = sc
				order = append(order, s.Source)
			}
			seen[s.Source] = true
			sc.Runs++
			if s.OK {
				t := c.FinishedAt
				sc.LastSuccess = &t
				flush("source:"+s.Source, GapSourceError, s.Source)
				continue
			}
			sc.Failures++
			msg := "the source reported an error"
			if len(s.Errors) > 0 {
				msg = s.Errors[len(s.Errors)-1]
				if len(s.Errors) > 1 {
					msg = fmt.Sprintf("%s (and %d more)", msg, len(s.Errors)-1)
				}
			}
			sc.LastError = msg
			note("source:"+s.Source, msg, c)
		}
		for name := range src {
			if !seen[name] {
				flush("source:"+name, GapSourceError, name)
			}
		}
	}
	flush("cycle:partial", GapPartial, "")
	flush("cycle:failed", GapCycle, "")
	sort.Strings(order)
	for _, name := range order {
		flush("source:"+name, GapSourceError, name)
		cv.Sources = append(cv.Sources, *src[name])
	}

	// Intervals between cycle starts; a silence longer than twice the median is a gap.
	if len(cycles) >= 2 {
		var iv []time.Duration
		for i := 1; i < len(cycles); i++ {
			iv = append(iv, cycles[i].StartedAt.Sub(cycles[i-1].StartedAt))
		}
		sorted := slices.Clone(iv)
		slices.Sort(sorted)
		med := sorted[len(sorted)/2]
		if len(sorted)%2 == 0 {
			med = (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
		}
		cv.MedianIntervalSeconds = int64(med / time.Second)
		limit := 2 * med
		silence := func(a, b time.Time) {
			if limit > 0 && b.Sub(a) > limit {
				cv.Gaps = append(cv.Gaps, Gap{Kind: GapInterval, From: a, To: b,
					Detail: fmt.Sprintf("no cycle for %s (median interval %s)", human(int64(b.Sub(a)/time.Second)), human(int64(med/time.Second)))})
			}
		}
		if !asOf && cycles[0].StartedAt.After(from) {
			silence(from, cycles[0].StartedAt)
		}
		for i := 1; i < len(cycles); i++ {
			silence(cycles[i-1].StartedAt, cycles[i].StartedAt)
		}
		silence(cycles[len(cycles)-1].StartedAt, to)
	} else {
		cv.Notes = append(cv.Notes, "Only one cycle in the window: the regularity of collection cannot be judged.")
	}
	sort.SliceStable(cv.Gaps, func(i, j int) bool { return cv.Gaps[i].From.Before(cv.Gaps[j].From) })
	if len(cv.Gaps) > 0 {
		cv.Status = CoveragePartial
	} else {
		cv.Status = CoverageComplete
	}
	return cv
}

func isAWSAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func addSorted(list *[]string, v string) {
	if v == "" {
		return
	}
	if i, found := slices.BinarySearch(*list, v); !found {
		*list = slices.Insert(*list, i, v)
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
