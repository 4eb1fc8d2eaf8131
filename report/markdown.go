package report

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// md escapes text for a Markdown table cell: no line breaks, pipes, raw
// HTML or emphasis from finding text.
func md(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	r := strings.NewReplacer(`\`, `\\`, "|", `\|`, "<", "&lt;", ">", "&gt;", "*", `\*`, "`", "\\`")
	if s == "" {
		return "-"
	}
	return r.Replace(s)
}

func mdTable(b *bytes.Buffer, head []string, rows [][]string) {
	b.WriteString("| " + strings.Join(head, " | ") + " |\n|")
	for range head {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = md(c)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	b.WriteString("\n")
}

func renderMarkdown(r *Report) ([]byte, error) {
	content, err := ContentDigest(r)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n\n", title(r))
	fmt.Fprintf(&b, "**Result: %s** · coverage %s · generated %s by %s\n\n", statusText[r.Summary.Status], statusText[r.Coverage.Status], ts(r.GeneratedAt), md(r.Generator))
	if r.Summary.Status == StatusCoverageMissing {
		b.WriteString("> **Coverage missing:** no audit cycle ran in this window, so the absence of findings proves nothing.\n\n")
	}
	b.WriteString("## Parameters\n\n")
	mdTable(&b, []string{"Parameter", "Value"}, [][]string{
		{"Mode", r.Parameters.Mode}, {"From", ts(r.Parameters.From)}, {"To", ts(r.Parameters.To)}, {"Period", r.Parameters.Period},
		{"Scope", scopeText(r)}, {"Retention", r.Parameters.Retention}, {"Schema", r.Schema},
	})

	s := r.Summary
	b.WriteString("## Summary\n\n")
	fmt.Fprintf(&b, "%d controls: %s.\n\n", s.Controls, controlCounts(s))
	mdTable(&b, []string{"Controls", "Passed", "Failed", "Not applicable", "Not assessed", "Findings", "Open at end", "Out-of-band changes", "Drift opened", "Drift resolved", "Waivers", "Cycles", "Gaps"},
		[][]string{{itoa(s.Controls), itoa(s.ControlsPassed), itoa(s.ControlsFailed), itoa(s.ControlsNotApplicable), itoa(s.ControlsNotAssessed), itoa(s.Findings), itoa(s.OpenAtEnd),
			itoa(s.OutOfBandChanges), itoa(s.DriftOpened), itoa(s.DriftResolved), itoa(s.Waivers), itoa(s.Cycles), itoa(s.Gaps)}})

	b.WriteString("## Controls\n\n")
	if len(r.Controls) == 0 {
		b.WriteString("No control is mapped by the loaded policies in the selected frameworks.\n\n")
	} else {
		b.WriteString("A control fails when a finding of a policy mapped to it was open in the period; it passes when its policies had resources (or events) to check and none was; it is not applicable when nothing they apply to was audited.\n\n")
		var rows [][]string
		for _, c := range byStatus(r.Controls) {
			rows = append(rows, []string{c.ID, statusText[c.Status], strings.Join(c.Policies, ", "), short(c.Findings), c.Reason})
		}
		mdTable(&b, []string{"Control", "Status", "Policies", "Findings", "Note"}, rows)
	}

	b.WriteString("## Out-of-band changes\n\n")
	if len(r.OutOfBandChanges) == 0 {
		b.WriteString("None recorded in the period.\n\n")
	} else {
		var rows [][]string
		for _, c := range r.OutOfBandChanges {
			event := c.EventID
			if c.Record != "" {
				event += " (" + c.Record + ")"
			}
			rows = append(rows, []string{ts(c.When), who(c.Principal, c.Person), c.Action, c.Via, c.ResourceID, c.Stack, c.SourceIP, event})
		}
		mdTable(&b, []string{"When", "Who", "What", "Via", "Resource", "Stack", "Source IP", "Event"}, rows)
	}

	b.WriteString("## Drift\n\n")
	if len(r.Drift) == 0 {
		b.WriteString("No drift was open in the period.\n\n")
	} else {
		var rows [][]string
		for _, d := range r.Drift {
			res, ttr := "", ""
			if d.ResolvedAt != nil {
				res = ts(*d.ResolvedAt)
			}
			if d.ResolvedSeconds != nil {
				ttr = human(*d.ResolvedSeconds)
			}
			rows = append(rows, []string{d.Kind, label(d.Address, d.ResourceID), d.Stack, d.Team, ts(d.OpenedAt), res, ttr, d.StateAtEnd})
		}
		mdTable(&b, []string{"Kind", "Resource", "Stack", "Team", "Opened", "Resolved", "Time to resolve", "State at end"}, rows)
	}

	b.WriteString("## Waivers in force\n\n")
	if len(r.Waivers) == 0 {
		b.WriteString("No waiver was in force in the period.\n\n")
	} else {
		var rows [][]string
		for _, w := range r.Waivers {
			exp := "never"
			if w.Expires != nil {
				exp = ts(*w.Expires)
			}
			rows = append(rows, []string{w.Pattern, w.Reason, w.Approver, exp})
		}
		mdTable(&b, []string{"Covers", "Reason", "Approver", "Expires"}, rows)
	}

	cv := r.Coverage
	b.WriteString("## Coverage\n\n")
	fmt.Fprintf(&b, "Status **%s**: %d cycles (%d ok, %d partial, %d failed) between %s and %s",
		statusText[cv.Status], cv.Cycles, cv.CyclesOK, cv.Partial, cv.Failed, ts(cv.WindowFrom), ts(cv.WindowTo))
	if cv.MedianIntervalSeconds > 0 {
		fmt.Fprintf(&b, ", median interval %s", human(cv.MedianIntervalSeconds))
	}
	b.WriteString(".\n\n")
	mdTable(&b, []string{"Audited", "Names"}, [][]string{
		{"Stacks", strings.Join(cv.Stacks, ", ")}, {"AWS accounts", strings.Join(cv.Accounts, ", ")}, {"GCP projects", strings.Join(cv.Projects, ", ")},
		{"Resource types", typesText(cv.ResourceTypes)},
	})
	if len(cv.Sources) > 0 {
		var rows [][]string
		for _, s := range cv.Sources {
			last := "never in the window"
			if s.LastSuccess != nil {
				last = ts(*s.LastSuccess)
			}
			rows = append(rows, []string{s.Source, s.Kind, itoa(s.Runs), itoa(s.Failures), last, s.LastError})
		}
		mdTable(&b, []string{"Source", "Kind", "Runs", "Failures", "Last success", "Last error"}, rows)
	}
	if len(cv.Gaps) == 0 {
		b.WriteString("No gaps: every cycle and source succeeded at the usual interval.\n\n")
	} else {
		b.WriteString("### Gaps\n\n")
		var rows [][]string
		for _, g := range cv.Gaps {
			rows = append(rows, []string{g.Kind, ts(g.From), ts(g.To), g.Source, g.Detail})
		}
		mdTable(&b, []string{"Gap", "From", "To", "Source", "Detail"}, rows)
	}
	for _, n := range cv.Notes {
		b.WriteString("- " + md(n) + "\n")
	}
	b.WriteString("\n## Findings\n\n")
	if len(r.Findings) == 0 {
		b.WriteString("No finding was open in the period.\n\n")
	} else {
		var rows [][]string
		for _, f := range r.Findings {
			res := ""
			if f.ResolvedAt != nil {
				res = ts(*f.ResolvedAt)
			}
			rows = append(rows, []string{f.Severity, f.Kind, f.StateAtEnd, label(f.Address, f.ResourceID), f.Stack, f.Team, orDefault(f.PolicyID, f.Title),
				f.Message, ts(f.OpenedAt), res, f.Fingerprint})
		}
		mdTable(&b, []string{"Severity", "Kind", "State at end", "Resource", "Stack", "Team", "Finding", "Detail", "Opened", "Resolved", "Fingerprint"}, rows)
	}
	fmt.Fprintf(&b, "---\n\nContent digest (SHA-256 of the canonical JSON report): `%s`. Check this file with `driftwarden report verify FILE`.\n", content)
	return b.Bytes(), nil
}

func itoa(n int) string { return fmt.Sprint(n) }

// typesText lists resource types with the most resources one cycle saw:
// "aws_iam_user (3), aws_s3_bucket (12)".
func typesText(ts []ResourceTypeCoverage) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = fmt.Sprintf("%s (%d)", t.Type, t.Resources)
	}
	return strings.Join(parts, ", ")
}

func who(principal, person string) string {
	switch {
	case person != "" && principal != "":
		return person + " (" + principal + ")"
	case person != "":
		return person
	}
	return principal
}

func label(address, id string) string {
	if address != "" {
		return address
	}
	return id
}

func short(fps []string) string {
	out := make([]string, len(fps))
	for i, f := range fps {
		if len(f) > 12 {
			f = f[:12]
		}
		out[i] = f
	}
	return strings.Join(out, ", ")
}

// byStatus orders controls for reading: failed, then not assessed, then
// passed, then not applicable, each by id (the JSON keeps id order).
func byStatus(cs []Control) []Control {
	rank := map[string]int{ControlFail: 0, ControlNotAssessed: 1, ControlPass: 2, ControlNotApplicable: 3}
	out := slices.Clone(cs)
	slices.SortStableFunc(out, func(a, b Control) int { return rank[a.Status] - rank[b.Status] })
	return out
}
