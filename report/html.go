package report

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	"time"
)

var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"ts": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return ts(v)
		case *time.Time:
			if v == nil {
				return ""
			}
			return ts(*v)
		}
		return ""
	},
	"status": func(s string) string { return statusText[s] },
	"human":  human,
	"humanp": func(p *int64) string {
		if p == nil {
			return ""
		}
		return human(*p)
	},
	"who":      who,
	"label":    label,
	"join":     func(vs []string) string { return strings.Join(vs, ", ") },
	"short":    short,
	"scope":    scopeText,
	"title":    title,
	"controls": byStatus,
	"counts":   controlCounts,
	"types":    typesText,
	"orDash": func(s string) string {
		if strings.TrimSpace(s) == "" {
			return "–"
		}
		return s
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>driftwarden · {{title .R}}</title>
<style>
:root { --ink:#1b1f24; --muted:#57606a; --line:#d0d7de; --pass:#1a7f37; --passbg:#dafbe1; --fail:#cf222e; --failbg:#ffebe9; --warn:#9a6700; --warnbg:#fff8c5; --na:#57606a; --nabg:#eaeef2; --nap:#0550ae; --napbg:#ddf4ff; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink); margin: 0 auto; padding: 28px 36px; max-width: 1200px; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 16px 0 6px; }
p { margin: 6px 0; }
.sub { color: var(--muted); margin-bottom: 16px; }
.verdict { display: flex; gap: 16px; align-items: center; padding: 14px 18px; border-radius: 8px; border: 1px solid var(--line); margin: 14px 0; }
.verdict .big { font-size: 22px; font-weight: 700; letter-spacing: .02em; }
.verdict.pass { background: var(--passbg); border-color: var(--pass); } .verdict.pass .big { color: var(--pass); }
.verdict.fail { background: var(--failbg); border-color: var(--fail); } .verdict.fail .big { color: var(--fail); }
.verdict.pass_with_gaps, .verdict.coverage_missing { background: var(--warnbg); border-color: var(--warn); } .verdict.pass_with_gaps .big, .verdict.coverage_missing .big { color: var(--warn); }
.cards { display: grid; grid-template-columns: repeat(6, 1fr); gap: 10px; margin: 10px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.card .n { font-size: 20px; font-weight: 700; } .card .l { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; font-size: 13px; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); }
th { background: #f6f8fa; font-weight: 600; white-space: nowrap; }
tr { break-inside: avoid; page-break-inside: avoid; }
td.mono, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; overflow-wrap: anywhere; }
.src { color: #57606a; font-size: 11px; }
td.id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; white-space: nowrap; }
td { overflow-wrap: break-word; }
td.who { min-width: 16em; } td.what { min-width: 15em; }
td.t { white-space: nowrap; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.b-pass { background: var(--passbg); color: var(--pass); } .b-fail { background: var(--failbg); color: var(--fail); }
.b-not_assessed, .b-resolved, .b-info, .b-low { background: var(--nabg); color: var(--na); }
.b-not_applicable { background: var(--napbg); color: var(--nap); }
.b-open, .b-critical, .b-high { background: var(--failbg); color: var(--fail); } .b-medium, .b-waived, .b-partial, .b-missing { background: var(--warnbg); color: var(--warn); } .b-complete { background: var(--passbg); color: var(--pass); }
.note { background: var(--warnbg); border-left: 4px solid var(--warn); padding: 8px 12px; margin: 8px 0; }
.empty { color: var(--muted); font-style: italic; }
dl.params { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 6px 0; }
dl.params dt { color: var(--muted); } dl.params dd { margin: 0; }
footer { margin-top: 28px; padding-top: 8px; border-top: 1px solid var(--line); color: var(--muted); font-size: 12px; }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { padding: 0; max-width: none; font-size: 11px; }
  h2 { break-after: avoid; page-break-after: avoid; }
  table { font-size: 10px; } thead { display: table-header-group; }
  .cards { grid-template-columns: repeat(6, 1fr); }
  .verdict, .badge, th, .note { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
</style>
</head>
<body>
<header>
<h1>{{title .R}}</h1>
<div class="sub">driftwarden audit report · generated {{ts .R.GeneratedAt}} by {{.R.Generator}} · {{scope .R}}</div>
</header>

<div class="verdict {{.R.Summary.Status}}"><div class="big">{{status .R.Summary.Status}}</div>
<div>{{.R.Summary.Controls}} controls: {{counts .R.Summary}}.
Coverage {{status .R.Coverage.Status}}: {{.R.Coverage.Cycles}} cycles, {{len .R.Coverage.Gaps}} gaps.</div></div>
{{if eq .R.Summary.Status "coverage_missing"}}<div class="note"><strong>Coverage missing.</strong> No audit cycle ran in this window, so the absence of findings proves nothing. No control is reported as passed.</div>{{end}}

<div class="cards">
<div class="card"><div class="n">{{.R.Summary.Findings}}</div><div class="l">findings in period</div></div>
<div class="card"><div class="n">{{.R.Summary.OpenAtEnd}}</div><div class="l">open at end</div></div>
<div class="card"><div class="n">{{.R.Summary.OutOfBandChanges}}</div><div class="l">out-of-band changes</div></div>
<div class="card"><div class="n">{{.R.Summary.DriftOpened}} / {{.R.Summary.DriftResolved}}</div><div class="l">drift opened / resolved</div></div>
<div class="card"><div class="n">{{.R.Summary.Waivers}}</div><div class="l">waivers in force</div></div>
<div class="card"><div class="n">{{.R.Summary.Cycles}}</div><div class="l">audit cycles</div></div>
</div>

<h2>Parameters</h2>
<dl class="params">
<dt>Mode</dt><dd>{{.R.Parameters.Mode}}</dd>
<dt>From</dt><dd>{{ts .R.Parameters.From}}</dd>
<dt>To</dt><dd>{{ts .R.Parameters.To}}</dd>
{{if .R.Parameters.Period}}<dt>Period</dt><dd>{{.R.Parameters.Period}}</dd>{{end}}
<dt>Scope</dt><dd>{{scope .R}}</dd>
<dt>Retention</dt><dd>{{orDash .R.Parameters.Retention}}</dd>
</dl>

<h2 id="controls">Controls</h2>
{{if .R.Controls}}<p>Failed controls first. A control fails when a finding of a policy mapped to it was open in the period; it passes when its policies had resources (or events) to check and none was; it is not applicable when nothing they apply to was audited.</p>
<table><thead><tr><th>Control</th><th>Status</th><th>Policies</th><th>Findings behind it</th><th>Note</th></tr></thead><tbody>
{{range controls .R.Controls}}<tr><td class="id">{{.ID}}</td><td><span class="badge b-{{.Status}}">{{status .Status}}</span></td><td class="mono">{{join .Policies}}</td><td class="mono">{{short .Findings}}</td><td>{{.Reason}}</td></tr>
{{end}}</tbody></table>{{else}}<p class="empty">No control is mapped by the loaded policies in the selected frameworks.</p>{{end}}

<h2 id="out-of-band">Out-of-band changes</h2>
{{if .R.OutOfBandChanges}}<table><thead><tr><th>When</th><th>Who</th><th>What</th><th>Via</th><th>Resource</th><th>Stack</th><th>Source IP</th><th>Event</th></tr></thead><tbody>
{{range .R.OutOfBandChanges}}<tr><td class="t">{{ts .When}}</td><td class="who">{{if .Person}}{{.Person}}<br>{{end}}<span class="mono">{{orDash .Principal}}</span></td><td class="mono what">{{.Action}}</td><td>{{orDash .Via}}</td><td class="mono">{{.ResourceID}}</td><td>{{orDash .Stack}}</td><td>{{orDash .SourceIP}}</td><td class="mono">{{orDash .EventID}}{{if .Record}}<br><span class="src">{{.Record}}</span>{{end}}</td></tr>
{{end}}</tbody></table>{{else}}<p class="empty">None recorded in the period.</p>{{end}}

<h2 id="drift">Drift</h2>
{{if .R.Drift}}<table><thead><tr><th>Kind</th><th>Resource</th><th>Stack</th><th>Team</th><th>Opened</th><th>Resolved</th><th>Time to resolve</th><th>State at end</th></tr></thead><tbody>
{{range .R.Drift}}<tr><td>{{.Kind}}</td><td class="mono">{{label .Address .ResourceID}}</td><td>{{orDash .Stack}}</td><td>{{orDash .Team}}</td><td class="t">{{ts .OpenedAt}}</td><td class="t">{{orDash (ts .ResolvedAt)}}</td><td>{{orDash (humanp .ResolvedSeconds)}}</td><td><span class="badge b-{{.StateAtEnd}}">{{.StateAtEnd}}</span></td></tr>
{{end}}</tbody></table>{{else}}<p class="empty">No drift was open in the period.</p>{{end}}

<h2 id="waivers">Waivers in force</h2>
{{if .R.Waivers}}<table><thead><tr><th>Covers</th><th>Reason</th><th>Approver</th><th>Expires</th></tr></thead><tbody>
{{range .R.Waivers}}<tr><td class="mono">{{.Pattern}}</td><td>{{.Reason}}</td><td>{{.Approver}}</td><td class="t">{{if .Expires}}{{ts .Expires}}{{else}}never{{end}}</td></tr>
{{end}}</tbody></table>{{else}}<p class="empty">No waiver was in force in the period.</p>{{end}}

<h2 id="coverage">Coverage</h2>
<p><span class="badge b-{{.R.Coverage.Status}}">{{status .R.Coverage.Status}}</span>
{{.R.Coverage.Cycles}} cycles ({{.R.Coverage.CyclesOK}} ok, {{.R.Coverage.Partial}} partial, {{.R.Coverage.Failed}} failed) between {{ts .R.Coverage.WindowFrom}} and {{ts .R.Coverage.WindowTo}}{{if .R.Coverage.MedianIntervalSeconds}}, median interval {{human .R.Coverage.MedianIntervalSeconds}}{{end}}.</p>
<dl class="params">
<dt>Stacks</dt><dd>{{orDash (join .R.Coverage.Stacks)}}</dd>
<dt>AWS accounts</dt><dd>{{orDash (join .R.Coverage.Accounts)}}</dd>
<dt>GCP projects</dt><dd>{{orDash (join .R.Coverage.Projects)}}</dd>
<dt>Resource types</dt><dd class="mono">{{orDash (types .R.Coverage.ResourceTypes)}}</dd>
<dt>Most stacks in a cycle</dt><dd>{{.R.Coverage.MaxStacks}}</dd>
</dl>
{{if .R.Coverage.Sources}}<h3>Sources</h3><table><thead><tr><th>Source</th><th>Kind</th><th>Runs</th><th>Failures</th><th>Last success</th><th>Last error</th></tr></thead><tbody>
{{range .R.Coverage.Sources}}<tr><td>{{.Source}}</td><td>{{.Kind}}</td><td>{{.Runs}}</td><td>{{.Failures}}</td><td class="t">{{if .LastSuccess}}{{ts .LastSuccess}}{{else}}never in the window{{end}}</td><td>{{orDash .LastError}}</td></tr>
{{end}}</tbody></table>{{end}}
<h3>Gaps</h3>
{{if .R.Coverage.Gaps}}<table><thead><tr><th>Gap</th><th>From</th><th>To</th><th>Source</th><th>Detail</th></tr></thead><tbody>
{{range .R.Coverage.Gaps}}<tr><td>{{.Kind}}</td><td class="t">{{ts .From}}</td><td class="t">{{ts .To}}</td><td>{{orDash .Source}}</td><td>{{.Detail}}</td></tr>
{{end}}</tbody></table>{{else}}<p>No gaps: every cycle and source succeeded at the usual interval.</p>{{end}}
{{range .R.Coverage.Notes}}<p class="sub">{{.}}</p>{{end}}

<h2 id="findings">Findings</h2>
{{if .R.Findings}}<table><thead><tr><th>Severity</th><th>Kind</th><th>State at end</th><th>Resource</th><th>Stack</th><th>Team</th><th>Finding</th><th>Opened</th><th>Resolved</th></tr></thead><tbody>
{{range .R.Findings}}<tr><td><span class="badge b-{{.Severity}}">{{.Severity}}</span></td><td>{{.Kind}}</td><td><span class="badge b-{{.StateAtEnd}}">{{.StateAtEnd}}</span></td><td class="mono">{{label .Address .ResourceID}}</td><td>{{orDash .Stack}}</td><td>{{orDash .Team}}</td><td><strong>{{if .PolicyID}}{{.PolicyID}}: {{end}}{{.Title}}</strong><br>{{.Message}}{{if .Controls}}<br><span class="mono">{{join .Controls}}</span>{{end}}</td><td class="t">{{ts .OpenedAt}}</td><td class="t">{{orDash (ts .ResolvedAt)}}</td></tr>
{{end}}</tbody></table>{{else}}<p class="empty">No finding was open in the period.</p>{{end}}

<footer>
<p>Content digest (SHA-256 of the canonical JSON report): <span class="mono">{{.Content}}</span>. This page ends with a digest of its own bytes; check it with <span class="mono">driftwarden report verify FILE</span>.</p>
<p>Schema {{.R.Schema}}.</p>
</footer>
</body>
</html>
`))

func renderHTML(r *Report) ([]byte, error) {
	content, err := ContentDigest(r)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := htmlTmpl.Execute(&b, struct {
		R       *Report
		Content string
	}{r, content}); err != nil {
		return nil, fmt.Errorf("rendering HTML: %w", err)
	}
	return b.Bytes(), nil
}
