package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

var update = flag.Bool("update", false, "rewrite golden files")

var (
	base = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	now  = base.Add(40 * 24 * time.Hour)
)

func day(n float64) time.Time { return base.Add(time.Duration(n * float64(24*time.Hour))) }

var policies = []Policy{
	{ID: "DW-AWS-EC2-001", Controls: []string{"CIS-AWS-2.0:5.2", "PCI-DSS-4.0:1.3.1"}},
	{ID: "DW-AWS-S3-001", Controls: []string{"CIS-AWS-2.0:2.1.4", "SOC2:CC6.1"}},
	{ID: "DW-GCP-GCS-001", Controls: []string{"CIS-GCP-2.0:5.1"}},
	{ID: "DW-OFF-001", Controls: []string{"SOC2:CC9.9"}, Disabled: true},
}

func newStore(t *testing.T) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "dw.db"), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func violation(fp, policy, stack, team string, controls ...string) model.Finding {
	return model.Finding{Fingerprint: fp, Kind: model.FindingViolation, Severity: model.SeverityHigh, PolicyID: policy,
		Title: "violation " + fp, Message: "message " + fp, Controls: controls, ResourceID: "arn:aws:s3:::" + fp,
		Stack: stack, Scope: stack, Team: team, Account: "111122223333"}
}

func drift(fp, stack string) model.Finding {
	return model.Finding{Fingerprint: fp, Kind: model.FindingChanged, Severity: model.SeverityMedium, Title: "changed",
		ResourceID: "arn:aws:ec2:::" + fp, Address: "aws_instance." + fp, Stack: stack, Scope: stack, Team: "web", Account: "my-gcp-project"}
}

func oob(fp, stack string) model.Finding {
	return model.Finding{Fingerprint: fp, Kind: model.FindingOutOfBandChange, Severity: model.SeverityHigh, Title: "out-of-band change",
		ResourceID: "arn:aws:ec2:::sg-1", Stack: stack, Scope: stack, Team: "platform",
		Evidence: model.Evidence{Events: []model.Event{{
			ID: "evt-1", Time: day(2.5), Action: "ec2:AuthorizeSecurityGroupIngress", Via: model.ViaConsole, SourceIP: "203.0.113.9",
			Principal: model.Principal{ID: "arn:aws:sts::111122223333:assumed-role/Admin/alice", Person: "alice"},
			Resources: []string{"arn:aws:ec2:::sg-1"}, Verdict: "human",
			Origin: model.Origin{File: "s3://trail-logs/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/01/03/111122223333_CloudTrail_eu-west-1_20260103T1205Z_x.json.gz", Record: 17},
		}}}}
}

func recordAt(t *testing.T, st store.Store, at time.Time, status string, scopes []string, fs ...model.Finding) {
	t.Helper()
	srcs := []store.SourceStatus{{Source: "states", Kind: "tfstate", OK: status == "ok"}, {Source: "inventory", Kind: "inventory", OK: true}}
	if status != "ok" {
		srcs[0].Errors = []string{"states/broken.tfstate: line 3: unexpected end of JSON input"}
	}
	_, _, err := st.RecordCycle(context.Background(), store.CycleRecord{StartedAt: at.Add(-time.Minute), FinishedAt: at, Status: status,
		Findings: fs, AuditedScopes: scopes, Sources: srcs, Counts: map[string]int{"stacks": 2}})
	require.NoError(t, err)
}

// history plants a month: daily cycles on days 0..20 with a silence from
// day 8 to day 14 and a partial cycle on day 16.
//
//	v1 (S3, CIS+SOC2)    open days 0..5, resolved 5
//	d1 (drift)           open 1..3, resolved 3, reopened 14 (first cycle after the silence), open
//	o1 (out-of-band)     open 2..4
//	v2 (EC2, PCI+CIS)    open 15.., stack "other", team "data"
func history(t *testing.T, st store.Store) {
	scopes := []string{"prod", "other"}
	v1, d1, o1, v2 := violation("v1", "DW-AWS-S3-001", "prod", "platform", "CIS-AWS-2.0:2.1.4", "SOC2:CC6.1"), drift("d1", "prod"), oob("o1", "prod"),
		violation("v2", "DW-AWS-EC2-001", "other", "data", "CIS-AWS-2.0:5.2", "PCI-DSS-4.0:1.3.1")
	for d := 0; d <= 20; d++ {
		if d > 8 && d < 14 {
			continue
		}
		var fs []model.Finding
		if d < 5 {
			fs = append(fs, v1)
		}
		if (d >= 1 && d < 3) || d >= 12 {
			fs = append(fs, d1)
		}
		if d >= 2 && d < 4 {
			fs = append(fs, o1)
		}
		if d >= 15 {
			fs = append(fs, v2)
		}
		status := "ok"
		if d == 16 {
			status = "partial"
		}
		recordAt(t, st, day(float64(d)), status, scopes, fs...)
	}
}

func build(t *testing.T, st store.Store, raw RawRequest, opts Options) *Report {
	t.Helper()
	req, err := ParseRequest(raw, now)
	require.NoError(t, err)
	if opts.Policies == nil {
		opts.Policies = policies
	}
	if opts.Retention == 0 {
		opts.Retention = 400 * 24 * time.Hour
	}
	opts.Now = func() time.Time { return now }
	r, err := Build(context.Background(), st.(History), req, opts)
	require.NoError(t, err)
	return r
}

func ts3339(t time.Time) string { return t.Format(time.RFC3339) }

func controlStatus(r *Report) map[string]string {
	out := map[string]string{}
	for _, c := range r.Controls {
		out[c.ID] = c.Status
	}
	return out
}

func TestEmptyStoreSaysCoverageMissing(t *testing.T) {
	r := build(t, newStore(t), RawRequest{Period: "30d"}, Options{})
	require.Equal(t, StatusCoverageMissing, r.Summary.Status)
	require.Equal(t, CoverageMissing, r.Coverage.Status)
	require.Zero(t, r.Summary.ControlsPassed, "no control passes without coverage")
	require.Equal(t, len(r.Controls), r.Summary.ControlsNotAssessed)
	require.Len(t, r.Controls, 6, "every control of the loaded policies is listed")
	require.Equal(t, GapNoCycles, r.Coverage.Gaps[0].Kind)
	for _, f := range Formats {
		out, err := Render(r, f)
		require.NoError(t, err, f)
		if f != FormatJSON && f != FormatCSV {
			require.Contains(t, strings.ToLower(string(out)), "coverage missing", f)
		}
		require.NotContains(t, strings.ToLower(string(out)), "all passed", f)
	}
}

func TestPeriodWithoutCyclesIsCoverageMissing(t *testing.T) {
	st := newStore(t)
	history(t, st)
	// Days 9..13 had no cycle at all, though findings were open around them.
	r := build(t, st, RawRequest{From: ts3339(day(9)), To: ts3339(day(13))}, Options{})
	require.Equal(t, StatusCoverageMissing, r.Summary.Status)
	require.Zero(t, r.Summary.ControlsPassed)
	require.Zero(t, r.Coverage.Cycles)
	md, err := Render(r, FormatMarkdown)
	require.NoError(t, err)
	require.Contains(t, string(md), "COVERAGE MISSING")
}

func TestPeriodReport(t *testing.T) {
	st := newStore(t)
	history(t, st)
	r := build(t, st, RawRequest{From: ts3339(day(0)), To: ts3339(day(20.5))}, Options{
		Waivers: []Waiver{
			{ID: "w1", Pattern: "DW-AWS-EC2-001 on other", Reason: "legacy VPN", Approver: "ciso@example.com", Expires: ptr(day(60))},
			{ID: "w2", Pattern: "old", Reason: "gone", Approver: "x", Expires: ptr(day(-10))},
		},
	})
	status := controlStatus(r)
	require.Equal(t, ControlFail, status["CIS-AWS-2.0:2.1.4"], "v1 was open in the period")
	require.Equal(t, ControlFail, status["SOC2:CC6.1"])
	require.Equal(t, ControlFail, status["PCI-DSS-4.0:1.3.1"], "v2")
	require.Equal(t, ControlPass, status["CIS-GCP-2.0:5.1"], "no finding of its policy")
	require.Equal(t, ControlNotAssessed, status["SOC2:CC9.9"], "its only policy is disabled")
	require.Equal(t, StatusFail, r.Summary.Status)

	// Out-of-band: who, what, when, via.
	require.Len(t, r.OutOfBandChanges, 1)
	c := r.OutOfBandChanges[0]
	require.Equal(t, "alice", c.Person)
	require.Equal(t, "ec2:AuthorizeSecurityGroupIngress", c.Action)
	require.Equal(t, "console", c.Via)
	require.Equal(t, day(2.5), c.When)
	require.Equal(t, "s3://trail-logs/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/01/03/111122223333_CloudTrail_eu-west-1_20260103T1205Z_x.json.gz, record 17", c.Record,
		"the report names the log file and record holding the evidence, as the store kept it")
	for _, f := range []string{FormatMarkdown, FormatHTML, FormatJSON} {
		out, err := Render(r, f)
		require.NoError(t, err)
		require.Contains(t, string(out), "_x.json.gz, record 17", f)
	}

	// Drift: two spells of d1, the first resolved after 2 days.
	require.Len(t, r.Drift, 2)
	require.Equal(t, day(1), r.Drift[0].OpenedAt)
	require.Equal(t, day(3), *r.Drift[0].ResolvedAt)
	require.Equal(t, int64(2*24*3600), *r.Drift[0].ResolvedSeconds)
	require.Equal(t, day(14), r.Drift[1].OpenedAt, "seen again by the first cycle after the silence")
	require.Nil(t, r.Drift[1].ResolvedAt)
	require.Equal(t, 2, r.Summary.DriftOpened)
	require.Equal(t, 1, r.Summary.DriftResolved)

	// Waivers in force only.
	require.Len(t, r.Waivers, 1)
	require.Equal(t, "ciso@example.com", r.Waivers[0].Approver)

	// Coverage: the silence, the partial cycle, the failing source.
	kinds := map[string]Gap{}
	for _, g := range r.Coverage.Gaps {
		kinds[g.Kind] = g
	}
	require.Contains(t, kinds, GapInterval)
	require.Equal(t, day(8).Add(-time.Minute), kinds[GapInterval].From)
	require.Contains(t, kinds, GapPartial)
	require.Equal(t, "states", kinds[GapSourceError].Source)
	require.Contains(t, kinds[GapSourceError].Detail, "broken.tfstate")
	require.Equal(t, CoveragePartial, r.Coverage.Status)
	require.Equal(t, 16, r.Coverage.Cycles)
	require.Equal(t, []string{"other", "prod"}, r.Coverage.Stacks)
	require.Equal(t, []string{"111122223333"}, r.Coverage.Accounts)
	require.Equal(t, []string{"my-gcp-project"}, r.Coverage.Projects)
	var states SourceCoverage
	for _, s := range r.Coverage.Sources {
		if s.Source == "states" {
			states = s
		}
	}
	require.Equal(t, 1, states.Failures)
	require.Equal(t, day(20), *states.LastSuccess)
}

func TestFiltersAndFrameworks(t *testing.T) {
	st := newStore(t)
	history(t, st)
	r := build(t, st, RawRequest{From: ts3339(day(0)), To: ts3339(day(20.5)), Frameworks: []string{"cis"}}, Options{})
	for _, c := range r.Controls {
		require.True(t, strings.HasPrefix(c.ID, "CIS-"), c.ID)
	}
	require.Contains(t, controlStatus(r), "CIS-GCP-2.0:5.1", "a family name selects every CIS benchmark")
	require.Contains(t, controlStatus(r), "CIS-AWS-2.0:5.2")

	pci := build(t, st, RawRequest{From: ts3339(day(0)), To: ts3339(day(20.5)), Frameworks: []string{"PCI-DSS"}}, Options{})
	require.Equal(t, map[string]string{"PCI-DSS-4.0:1.3.1": ControlFail}, controlStatus(pci))
	for _, f := range pci.Findings {
		require.NotEqual(t, "v1", f.Fingerprint, "v1 maps to no PCI control")
	}

	team := build(t, st, RawRequest{From: ts3339(day(0)), To: ts3339(day(20.5)), Teams: []string{"data"}}, Options{})
	require.Len(t, team.Findings, 1)
	require.Equal(t, "v2", team.Findings[0].Fingerprint)
	require.Equal(t, ControlPass, controlStatus(team)["SOC2:CC6.1"], "v1 belongs to another team")

	stack := build(t, st, RawRequest{From: ts3339(day(0)), To: ts3339(day(20.5)), Stacks: []string{"prod"}}, Options{})
	for _, f := range stack.Findings {
		require.Equal(t, "prod", f.Stack)
	}

	req, err := ParseRequest(RawRequest{Period: "30d", Frameworks: []string{"HIPAA"}}, now)
	require.NoError(t, err)
	_, err = Build(context.Background(), st.(History), req, Options{Policies: policies})
	var pe *ParamError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "framework", pe.Param)
	require.ErrorContains(t, err, `unknown framework "HIPAA"`)
	require.ErrorContains(t, err, "CIS-AWS-2.0, CIS-GCP-2.0, PCI-DSS-4.0, SOC2")
}

func TestBadRequests(t *testing.T) {
	for _, tc := range []struct {
		name  string
		raw   RawRequest
		param string
	}{
		{"bad period", RawRequest{Period: "a month"}, "period"},
		{"negative period", RawRequest{Period: "-3d"}, "period"},
		{"period and as-of", RawRequest{Period: "30d", AsOf: "2026-03-01T00:00:00Z"}, "period"},
		{"from without to", RawRequest{From: "2026-03-01T00:00:00Z"}, "to"},
		{"bad from", RawRequest{From: "yesterday", To: "2026-03-01T00:00:00Z"}, "from"},
		{"to before from", RawRequest{From: "2026-03-02T00:00:00Z", To: "2026-03-01T00:00:00Z"}, "to"},
		{"bad as-of", RawRequest{AsOf: "noon"}, "as_of"},
		{"future as-of", RawRequest{AsOf: "2099-01-01T00:00:00Z"}, "as_of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRequest(tc.raw, now)
			var pe *ParamError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tc.param, pe.Param)
		})
	}
	_, err := Render(&Report{}, "pdf")
	require.ErrorContains(t, err, `unknown format "pdf"`)
}

func TestPeriodLongerThanRetention(t *testing.T) {
	st := newStore(t)
	history(t, st)
	r := build(t, st, RawRequest{Period: "90d"}, Options{Retention: 30 * 24 * time.Hour})
	require.Equal(t, GapRetention, r.Coverage.Gaps[0].Kind)
	require.Equal(t, now.Add(-30*24*time.Hour), r.Coverage.Gaps[0].To)
	require.Contains(t, strings.Join(r.Coverage.Notes, " "), "retention")
	require.Equal(t, CoveragePartial, r.Coverage.Status)
	require.Equal(t, "30d", r.Parameters.Retention)
	html, err := Render(r, FormatHTML)
	require.NoError(t, err)
	require.Contains(t, string(html), "retention horizon")

	inside := build(t, st, RawRequest{Period: "20d"}, Options{Retention: 30 * 24 * time.Hour})
	for _, g := range inside.Coverage.Gaps {
		require.NotEqual(t, GapRetention, g.Kind)
	}
}

func TestAsOfRebuildsFromHistory(t *testing.T) {
	st := newStore(t)
	history(t, st)
	fps := func(r *Report) []string {
		var out []string
		for _, f := range r.Findings {
			out = append(out, f.Fingerprint+"="+f.StateAtEnd)
		}
		sort.Strings(out)
		return out
	}
	// Day 2.5: v1 open (resolved later, on day 5), d1 open (resolved on 3), o1 open.
	r := build(t, st, RawRequest{AsOf: ts3339(day(2.5))}, Options{})
	require.Equal(t, ModeAsOf, r.Parameters.Mode)
	require.Equal(t, []string{"d1=open", "o1=open", "v1=open"}, fps(r))
	require.Equal(t, ControlFail, controlStatus(r)["SOC2:CC6.1"])
	require.Equal(t, ControlPass, controlStatus(r)["PCI-DSS-4.0:1.3.1"], "v2 opened later")
	require.Equal(t, CoverageComplete, r.Coverage.Status)

	// Day 6: v1 resolved, d1 resolved (reopens on 14), o1 resolved: nothing open.
	r = build(t, st, RawRequest{AsOf: ts3339(day(6))}, Options{})
	require.Empty(t, r.Findings)
	require.Equal(t, ControlPass, controlStatus(r)["SOC2:CC6.1"])

	// Day 15.5: d1 reopened, v2 open.
	r = build(t, st, RawRequest{AsOf: ts3339(day(15.5))}, Options{})
	require.Equal(t, []string{"d1=open", "v2=open"}, fps(r))

	// Before the first cycle: coverage missing.
	r = build(t, st, RawRequest{AsOf: ts3339(day(-1))}, Options{})
	require.Equal(t, StatusCoverageMissing, r.Summary.Status)
}

func TestCSVHasOneRowPerFinding(t *testing.T) {
	st := newStore(t)
	history(t, st)
	f := drift("d9", "prod")
	f.Message = "=HYPERLINK(\"http://evil\")\nsecond line, with comma"
	recordAt(t, st, day(21), "ok", []string{"prod", "other"}, f)
	r := build(t, st, RawRequest{From: ts3339(day(0)), To: ts3339(day(22))}, Options{})
	out, err := Render(r, FormatCSV)
	require.NoError(t, err)
	var body []byte
	for _, line := range bytes.SplitAfter(out, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("# ")) {
			body = append(body, line...)
		}
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, CSVHeader, rows[0])
	require.Len(t, rows[1:], len(r.Findings))
	seen := map[string]bool{}
	for _, row := range rows[1:] {
		require.False(t, seen[row[0]], "one row per finding")
		seen[row[0]] = true
		if row[0] == "d9" {
			require.True(t, strings.HasPrefix(row[18], "'="), "formulas are neutralised: %q", row[18])
			require.Contains(t, row[18], "second line, with comma")
		}
	}
	require.True(t, seen["d9"])
	require.Contains(t, string(out), "# parameters: {")
}

func TestDigestDetectsAFlippedByte(t *testing.T) {
	st := newStore(t)
	history(t, st)
	r := build(t, st, RawRequest{From: ts3339(day(0)), To: ts3339(day(20.5))}, Options{})
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			out, err := Render(r, format)
			require.NoError(t, err)
			v, err := Verify(out)
			require.NoError(t, err)
			require.Equal(t, format, v.Format)

			// Flip every letter and digit (JSON whitespace carries no content).
			flipped := 0
			for i := range out {
				c := out[i]
				if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
					continue
				}
				if format == FormatJSON && i%7 != 0 {
					continue // decoding is slower; a sample suffices
				}
				alt := bytes.Clone(out)
				alt[i] ^= 0x01
				_, err := Verify(alt)
				require.Error(t, err, "%s: flipping byte %d (%q) went unnoticed", format, i, c)
				flipped++
			}
			require.Greater(t, flipped, 100)

			// An edited value with a recomputed-looking layout is still caught.
			alt := bytes.Replace(out, []byte("message v1"), []byte("message v7"), 1)
			require.NotEqual(t, out, alt)
			_, err = Verify(alt)
			require.ErrorIs(t, err, ErrTampered)

			// No digest at all.
			if format != FormatJSON {
				i := bytes.LastIndex(bytes.TrimSuffix(out, []byte("\n")), []byte("\n"))
				_, err = Verify(out[:i+1])
				require.ErrorIs(t, err, ErrNoDigest)
			}
		})
	}
	// Every format shows the same content digest.
	content, err := ContentDigest(r)
	require.NoError(t, err)
	js, err := Render(r, FormatJSON)
	require.NoError(t, err)
	v, err := Verify(js)
	require.NoError(t, err)
	require.Equal(t, content, v.Digest)
	for _, f := range []string{FormatCSV, FormatMarkdown, FormatHTML} {
		out, err := Render(r, f)
		require.NoError(t, err)
		require.Contains(t, string(out), content, f)
	}
}

func TestRenderingIsDeterministic(t *testing.T) {
	st := newStore(t)
	history(t, st)
	for _, f := range Formats {
		a, err := Render(build(t, st, RawRequest{From: ts3339(day(0)), To: ts3339(day(20.5))}, Options{}), f)
		require.NoError(t, err)
		b, err := Render(build(t, st, RawRequest{From: ts3339(day(0)), To: ts3339(day(20.5))}, Options{}), f)
		require.NoError(t, err)
		require.Equal(t, string(a), string(b), f)
	}
}

func TestHTMLIsSelfContainedAndEscaped(t *testing.T) {
	st := newStore(t)
	f := violation("x1", "DW-AWS-S3-001", "prod", "web")
	f.Message = `<script>alert(1)</script><img src="http://evil/x.png">`
	recordAt(t, st, day(30), "ok", []string{"prod"}, f)
	r := build(t, st, RawRequest{Period: "30d"}, Options{})
	out, err := Render(r, FormatHTML)
	require.NoError(t, err)
	s := string(out)
	require.NotContains(t, s, "<script>")
	require.NotContains(t, s, `<img src="http://evil`)
	require.Contains(t, s, "@media print")
	for _, ext := range []string{"<link", "src=\"http", "href=\"http", "@import", "url("} {
		require.NotContains(t, s, ext, "no external assets")
	}
	md, err := Render(r, FormatMarkdown)
	require.NoError(t, err)
	require.NotContains(t, string(md), "<script>")
}

// TestJSONSchemaKeys keeps the JSON layout stable: the set of key paths is a
// golden file (go test ./report -run JSONSchema -update rewrites it), and
// every key is documented in docs/report-schema.md.
func TestJSONSchemaKeys(t *testing.T) {
	st := newStore(t)
	history(t, st)
	recordScoped(t, st, day(20.2), auditedAWS, []store.SourceStatus{statesOK}) // coverage.resource_types[]
	r := build(t, st, RawRequest{From: ts3339(day(0)), To: ts3339(day(20.5))}, Options{
		Waivers: []Waiver{{ID: "w", Pattern: "p", Reason: "r", Approver: "a", CreatedAt: ptr(day(1)), Expires: ptr(day(90)), Fingerprints: []string{"v2"}}},
	})
	out, err := Render(r, FormatJSON)
	require.NoError(t, err)
	var doc any
	require.NoError(t, json.Unmarshal(out, &doc))
	keys := map[string]bool{}
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				p := k
				if path != "" {
					p = path + "." + k
				}
				keys[p] = true
				walk(c, p)
			}
		case []any:
			for _, c := range x {
				walk(c, path+"[]")
			}
		}
	}
	walk(doc, "")
	var list []string
	for k := range keys {
		list = append(list, k)
	}
	sort.Strings(list)
	got := strings.Join(list, "\n") + "\n"
	golden := filepath.Join("testdata", "schema-keys.golden")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run with -update to create the golden file")
	require.Equal(t, string(want), got, "the JSON schema changed: update docs/report-schema.md and the golden file (-update)")

	doc2, err := os.ReadFile(filepath.Join("..", "docs", "report-schema.md"))
	require.NoError(t, err)
	for _, k := range list {
		leaf := k[strings.LastIndexAny(k, ".]")+1:]
		require.True(t, slices.Contains(strings.Fields(strings.NewReplacer("`", " ", "|", " ").Replace(string(doc2))), leaf) ||
			strings.Contains(string(doc2), "`"+k+"`"), "docs/report-schema.md does not document %s", k)
	}
}

func ptr[T any](v T) *T { return &v }
