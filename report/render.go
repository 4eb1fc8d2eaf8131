package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Render writes the report in a format, with its digest embedded.
func Render(r *Report, format string) ([]byte, error) {
	switch format {
	case FormatJSON:
		return renderJSON(r)
	case FormatCSV:
		return withTrailer(renderCSV, r, "# sha256:%s\n")
	case FormatMarkdown:
		return withTrailer(renderMarkdown, r, "<!-- driftwarden-digest sha256:%s -->\n")
	case FormatHTML:
		return withTrailer(renderHTML, r, "<!-- driftwarden-digest sha256:%s -->\n")
	}
	return nil, &ParamError{"format", fmt.Sprintf("unknown format %q (%s)", format, strings.Join(Formats, ", "))}
}

func withTrailer(render func(*Report) ([]byte, error), r *Report, trailer string) ([]byte, error) {
	body, err := render(r)
	if err != nil {
		return nil, err
	}
	if len(body) > 0 && body[len(body)-1] != '\n' {
		body = append(body, '\n')
	}
	return append(body, fmt.Sprintf(trailer, sum(body))...), nil
}

func renderJSON(r *Report) ([]byte, error) {
	c := *r
	c.Digest = nil
	doc, err := tree(&c)
	if err != nil {
		return nil, err
	}
	canon, err := canonical(doc)
	if err != nil {
		return nil, err
	}
	doc["digest"] = map[string]any{"algorithm": "sha256", "value": sum(canon)}
	full, err := canonical(doc)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, full, "", "  "); err != nil {
		return nil, fmt.Errorf("indenting report: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// CSVHeader is the CSV rendering's header row.
var CSVHeader = []string{
	"fingerprint", "kind", "severity", "state_at_end", "policy_id", "title", "controls", "resource_id", "resource_type",
	"address", "stack", "account", "region", "team", "opened_at", "resolved_at", "open_seconds", "times_reopened", "message",
}

// renderCSV writes one row per finding, then "# " lines with the
// parameters and the content digest (the file digest follows).
func renderCSV(r *Report) ([]byte, error) {
	content, err := ContentDigest(r)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(CSVHeader)
	for _, f := range r.Findings {
		resolved := ""
		if f.ResolvedAt != nil {
			resolved = ts(*f.ResolvedAt)
		}
		row := []string{f.Fingerprint, f.Kind, f.Severity, f.StateAtEnd, f.PolicyID, f.Title, strings.Join(f.Controls, " "),
			f.ResourceID, f.ResourceType, f.Address, f.Stack, f.Account, f.Region, f.Team, ts(f.OpenedAt), resolved,
			strconv.FormatInt(f.OpenSeconds, 10), strconv.Itoa(f.TimesReopened), f.Message}
		for i := range row {
			row[i] = cell(row[i])
		}
		_ = w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("writing CSV: %w", err)
	}
	params, err := json.Marshal(r.Parameters)
	if err != nil {
		return nil, fmt.Errorf("encoding parameters: %w", err)
	}
	fmt.Fprintf(&b, "# driftwarden report %s generated %s by %s; summary: %s, coverage %s; controls: %s\n",
		r.Schema, ts(r.GeneratedAt), oneLine(r.Generator), r.Summary.Status, r.Coverage.Status, controlCounts(r.Summary))
	for _, c := range r.Controls {
		line := "# control " + oneLine(c.ID) + " " + c.Status
		if c.Reason != "" {
			line += ": " + oneLine(c.Reason)
		}
		b.WriteString(line + "\n")
	}
	fmt.Fprintf(&b, "# parameters: %s\n", params)
	fmt.Fprintf(&b, "# content-sha256: %s\n", content)
	return b.Bytes(), nil
}

// cell neutralises spreadsheet formulas (a cell starting with = + - @ or a
// control character is prefixed with a quote) and keeps everything else.
func cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// human writes a duration in seconds as 3d 4h, 2h 5m, 40s.
func human(secs int64) string {
	d := time.Duration(secs) * time.Second
	switch {
	case d >= 24*time.Hour:
		days := d / (24 * time.Hour)
		h := (d % (24 * time.Hour)) / time.Hour
		if h == 0 {
			return fmt.Sprintf("%dd", days)
		}
		return fmt.Sprintf("%dd %dh", days, h)
	case d >= time.Hour:
		m := (d % time.Hour) / time.Minute
		if m == 0 {
			return fmt.Sprintf("%dh", d/time.Hour)
		}
		return fmt.Sprintf("%dh %dm", d/time.Hour, m)
	case d >= time.Minute:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", secs)
}

// statusText is how a status reads to a person.
var statusText = map[string]string{
	StatusPass: "PASS", // also ControlPass

	StatusPassWithGaps:    "PASS, WITH COVERAGE GAPS",
	StatusFail:            "FAIL", // also ControlFail
	StatusCoverageMissing: "COVERAGE MISSING",
	ControlNotAssessed:    "not assessed",
	ControlNotApplicable:  "not applicable",
	CoverageComplete:      "complete",
	CoveragePartial:       "partial (gaps)",
	CoverageMissing:       "MISSING",
}

// controlCounts reads the control verdicts as a sentence part:
// "23 failed, 40 passed, 16 not applicable, 0 not assessed".
func controlCounts(s Summary) string {
	return fmt.Sprintf("%d failed, %d passed, %d not applicable, %d not assessed",
		s.ControlsFailed, s.ControlsPassed, s.ControlsNotApplicable, s.ControlsNotAssessed)
}

// title is the report's heading.
func title(r *Report) string {
	if r.Parameters.Mode == ModeAsOf {
		return "Compliance as of " + ts(r.Parameters.To)
	}
	return "Audit report " + ts(r.Parameters.From) + " to " + ts(r.Parameters.To)
}

func scopeText(r *Report) string {
	part := func(name string, vs []string) string {
		if len(vs) == 0 {
			return "all " + name
		}
		return name + " " + strings.Join(vs, ", ")
	}
	return part("stacks", r.Parameters.Stacks) + "; " + part("teams", r.Parameters.Teams) + "; " + part("frameworks", r.Parameters.Frameworks)
}
