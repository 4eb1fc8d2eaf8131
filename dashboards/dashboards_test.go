package dashboards

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/driftwarden/driftwarden/alerts"
	"github.com/driftwarden/driftwarden/app"
	"github.com/driftwarden/driftwarden/config"
	"github.com/driftwarden/driftwarden/metrics"
)

// e2eEnv enables the end-to-end test against a real Prometheus (CI sets it).
const e2eEnv = "DRIFTWARDEN_E2E_PROMETHEUS"

// dsRef is how every panel and target must name its data source: the
// dashboard's "datasource" template variable.
const dsRef = "${datasource}"

// prometheusOwn are series Prometheus itself creates for every target.
var prometheusOwn = map[string]labelSet{"up": {"job": true, "instance": true}}

// targetLabels are attached by Prometheus to every scraped series.
var targetLabels = []string{"job", "instance"}

type labelSet map[string]bool

// query is one PromQL expression with where it comes from.
type query struct {
	where  string // file and panel or rule
	expr   string // as written (Grafana variables unsubstituted)
	legend string // Grafana legendFormat, if any
}

type dashboard struct {
	file string
	raw  map[string]any
}

func loadDashboards(t *testing.T) []dashboard {
	t.Helper()
	files, err := filepath.Glob("*.json")
	require.NoError(t, err)
	require.Len(t, files, 3, "overview, team and operations dashboards")
	var out []dashboard
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var raw map[string]any
		require.NoError(t, json.Unmarshal(b, &raw), "%s is not valid JSON", f)
		out = append(out, dashboard{file: f, raw: raw})
	}
	return out
}

// panels returns every panel of a dashboard, with those nested in rows.
func panels(d map[string]any) []map[string]any {
	var out []map[string]any
	var walk func(list []any)
	walk = func(list []any) {
		for _, p := range list {
			pm, _ := p.(map[string]any)
			if pm == nil {
				continue
			}
			out = append(out, pm)
			if nested, ok := pm["panels"].([]any); ok {
				walk(nested)
			}
		}
	}
	list, _ := d["panels"].([]any)
	walk(list)
	return out
}

func dashboardQueries(t *testing.T, ds []dashboard) []query {
	t.Helper()
	var out []query
	for _, d := range ds {
		for _, p := range panels(d.raw) {
			targets, _ := p["targets"].([]any)
			for _, tg := range targets {
				tm := tg.(map[string]any)
				expr, _ := tm["expr"].(string)
				legend, _ := tm["legendFormat"].(string)
				out = append(out, query{where: fmt.Sprintf("%s panel %q target %v", d.file, p["title"], tm["refId"]), expr: expr, legend: legend})
			}
		}
	}
	return out
}

// substitute replaces Grafana's variables the way Grafana would before
// sending a query to Prometheus.
func substitute(expr string, team string) string {
	r := strings.NewReplacer("$__rate_interval", "1m", "$__range", "1h", "$__interval", "30s", "${team}", team, "$team", team)
	return r.Replace(expr)
}

// ruleFile is the subset of Prometheus's rule file format the checks use.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Record      string            `yaml:"record"`
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func loadRules(t *testing.T) (ruleFile, []string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("rules", "*.rules.yml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var all ruleFile
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var rf ruleFile
		require.NoError(t, yaml.Unmarshal(b, &rf), f)
		all.Groups = append(all.Groups, rf.Groups...)
	}
	return all, files
}

func ruleQueries(rf ruleFile) []query {
	var out []query
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			out = append(out, query{where: fmt.Sprintf("rule group %s rule %s%s", g.Name, r.Record, r.Alert), expr: r.Expr})
		}
	}
	return out
}

var (
	exportedOnce sync.Once
	exported     map[string]labelSet
	exportedErr  error
)

// exportedMetrics is what the daemon really exports: the registry of an App
// built on the demo configuration after one cycle (with the process and Go
// collectors of a real daemon), plus every metric the metrics package
// declares, including the vectors that have no series until something
// happens (out-of-band changes, throttling), and the alert delivery
// metrics of package alerts (registered when alerting is configured).
func exportedMetrics(t *testing.T) map[string]labelSet {
	t.Helper()
	exportedOnce.Do(func() { exported, exportedErr = gatherExported() })
	require.NoError(t, exportedErr)
	return exported
}

func gatherExported() (map[string]labelSet, error) {
	ctx := context.Background()
	cfg, err := config.Load(filepath.Join("..", "examples", "demo", "driftwarden.yaml"))
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "dashboards-test-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	cfg.Store.URL = filepath.Join(dir, "dw.db")
	a, err := app.New(ctx, cfg, app.Options{Version: "test"})
	if err != nil {
		return nil, err
	}
	defer a.Close()
	if _, err := a.Cycle(ctx); err != nil {
		return nil, fmt.Errorf("running a demo cycle: %w", err)
	}
	mfs, err := a.Registry().Gather()
	if err != nil {
		return nil, err
	}
	out := families(mfs)
	add := func(name string, ls labelSet) {
		if out[name] == nil {
			out[name] = labelSet{}
		}
		for l := range ls {
			out[name][l] = true
		}
	}
	for _, declare := range []func(prometheus.Registerer) any{
		func(r prometheus.Registerer) any { return metrics.New(r, "test") },
		func(r prometheus.Registerer) any { return alerts.NewMetrics(r) },
	} {
		reg := prometheus.NewRegistry()
		if err := instantiateVecs(declare(reg)); err != nil {
			return nil, err
		}
		mfs, err := reg.Gather()
		if err != nil {
			return nil, err
		}
		for name, ls := range families(mfs) {
			add(name, ls)
		}
	}
	return out, nil
}

// families maps the series names of gathered metric families to their
// label names; histograms count with their _bucket (le), _sum and _count.
func families(mfs []*dto.MetricFamily) map[string]labelSet {
	out := map[string]labelSet{}
	add := func(name string, ls labelSet, extra ...string) {
		if out[name] == nil {
			out[name] = labelSet{}
		}
		for l := range ls {
			out[name][l] = true
		}
		for _, l := range extra {
			out[name][l] = true
		}
	}
	for _, mf := range mfs {
		ls := labelSet{}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				ls[lp.GetName()] = true
			}
		}
		switch mf.GetType() {
		case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
			add(mf.GetName()+"_sum", ls)
			add(mf.GetName()+"_count", ls)
			add(mf.GetName()+"_bucket", ls, "le")
		case dto.MetricType_SUMMARY:
			add(mf.GetName()+"_sum", ls)
			add(mf.GetName()+"_count", ls)
			add(mf.GetName(), ls, "quantile")
		default:
			add(mf.GetName(), ls)
		}
	}
	return out
}

var variableLabelsRE = regexp.MustCompile(`variableLabels: \{([^}]*)\}\}$`)

// instantiateVecs creates one child of every metric vector among the
// exported fields of the struct v points to, so that a throwaway registry
// exports even the vectors that have no series until something happens
// (out-of-band changes, throttling, failed alert deliveries), with their
// type and label names.
func instantiateVecs(v any) error {
	rv := reflect.ValueOf(v).Elem()
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Field(i)
		if !f.CanInterface() || f.Kind() != reflect.Pointer || f.IsNil() {
			continue
		}
		c, ok := f.Interface().(prometheus.Collector)
		with := f.MethodByName("WithLabelValues")
		if !ok || !with.IsValid() {
			continue
		}
		ch := make(chan *prometheus.Desc, 1)
		c.Describe(ch)
		m := variableLabelsRE.FindStringSubmatch((<-ch).String())
		if m == nil || m[1] == "" {
			return fmt.Errorf("field %s: no variable labels in its descriptor", rv.Type().Field(i).Name)
		}
		args := make([]reflect.Value, len(strings.Split(m[1], ",")))
		for j := range args {
			args[j] = reflect.ValueOf("x")
		}
		with.Call(args)
	}
	return nil
}

var promqlParser = parser.NewParser(parser.Options{})

func parse(t *testing.T, q query) parser.Expr {
	t.Helper()
	e, err := promqlParser.ParseExpr(substitute(q.expr, "platform"))
	require.NoError(t, err, "%s: %s", q.where, q.expr)
	return e
}

// checker infers the labels an expression's result carries, checking on
// the way that every metric exists and every label matched or grouped by
// is one the metric has.
type checker struct {
	metrics   map[string]labelSet // exported metrics
	recording map[string]labelSet // recording rules' outputs
	problems  []string
}

func (c *checker) errorf(where, format string, args ...any) {
	c.problems = append(c.problems, where+": "+fmt.Sprintf(format, args...))
}

func (c *checker) selectorLabels(where string, vs *parser.VectorSelector) labelSet {
	name := vs.Name
	if name == "" {
		for _, m := range vs.LabelMatchers {
			if m.Name == "__name__" {
				name = m.Value
			}
		}
	}
	ls, ok := c.metrics[name]
	if rl, rok := c.recording[name]; rok {
		ls, ok = rl, true
	}
	if po, pok := prometheusOwn[name]; pok {
		ls, ok = po, true
	}
	if !ok {
		c.errorf(where, "metric %q is not exported by the daemon (nor a recording rule)", name)
		return labelSet{}
	}
	withTarget := labelSet{}
	for l := range ls {
		withTarget[l] = true
	}
	if !strings.Contains(name, ":") { // recording rules' labels are exactly theirs
		for _, l := range targetLabels {
			withTarget[l] = true
		}
	}
	for _, m := range vs.LabelMatchers {
		if m.Name != "__name__" && !withTarget[m.Name] {
			c.errorf(where, "metric %s has no label %q", name, m.Name)
		}
	}
	return withTarget
}

func (c *checker) labels(where string, e parser.Expr) labelSet {
	switch n := e.(type) {
	case *parser.VectorSelector:
		return c.selectorLabels(where, n)
	case *parser.MatrixSelector:
		return c.labels(where, n.VectorSelector)
	case *parser.ParenExpr:
		return c.labels(where, n.Expr)
	case *parser.SubqueryExpr:
		return c.labels(where, n.Expr)
	case *parser.StepInvariantExpr:
		return c.labels(where, n.Expr)
	case *parser.UnaryExpr:
		return c.labels(where, n.Expr)
	case *parser.NumberLiteral, *parser.StringLiteral:
		return labelSet{}
	case *parser.AggregateExpr:
		inner := c.labels(where, n.Expr)
		if n.Param != nil {
			c.labels(where, n.Param)
		}
		out := labelSet{}
		if n.Without {
			for l := range inner {
				out[l] = true
			}
			for _, g := range n.Grouping {
				delete(out, g)
			}
			return out
		}
		for _, g := range n.Grouping {
			if !inner[g] {
				c.errorf(where, "%s by (%s): the aggregated series have no label %q (they have %v)", n.Op, strings.Join(n.Grouping, ", "), g, keys(inner))
			}
			out[g] = true
		}
		if n.Op == parser.TOPK || n.Op == parser.BOTTOMK {
			return inner
		}
		return out
	case *parser.Call:
		var first labelSet
		for i, a := range n.Args {
			ls := c.labels(where, a)
			if i == 0 || (n.Func.Name == "histogram_quantile" && i == 1) {
				first = ls
			}
		}
		switch n.Func.Name {
		case "time", "vector", "scalar":
			return labelSet{}
		case "histogram_quantile":
			if !first["le"] {
				c.errorf(where, "histogram_quantile over series without an le label")
			}
			out := labelSet{}
			for l := range first {
				if l != "le" {
					out[l] = true
				}
			}
			return out
		case "absent":
			return labelSet{}
		}
		return first
	case *parser.BinaryExpr:
		l := c.labels(where, n.LHS)
		r := c.labels(where, n.RHS)
		if n.VectorMatching != nil && n.VectorMatching.On {
			for _, m := range n.VectorMatching.MatchingLabels {
				if (len(l) > 0 && !l[m]) || (len(r) > 0 && !r[m]) {
					c.errorf(where, "on (%s): a side has no label %q", strings.Join(n.VectorMatching.MatchingLabels, ", "), m)
				}
			}
		}
		switch {
		case n.Op == parser.LOR:
			out := labelSet{}
			for k := range l {
				out[k] = true
			}
			for k := range r {
				out[k] = true
			}
			return out
		case len(l) == 0 && n.LHS.Type() == parser.ValueTypeScalar:
			return r
		default:
			return l
		}
	}
	c.errorf(where, "unexpected expression node %T", e)
	return labelSet{}
}

func keys(ls labelSet) []string {
	out := make([]string, 0, len(ls))
	for k := range ls {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var legendRE = regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)

// recordingLabels infers each recording rule's output labels, in order
// (a rule may use an earlier one).
func recordingLabels(t *testing.T, rf ruleFile, exp map[string]labelSet) (map[string]labelSet, *checker) {
	t.Helper()
	c := &checker{metrics: exp, recording: map[string]labelSet{}}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Record == "" {
				continue
			}
			e := parse(t, query{where: r.Record, expr: r.Expr})
			c.recording[r.Record] = c.labels("recording rule "+r.Record, e)
		}
	}
	return c.recording, c
}

func TestDashboardsAreValidAndUseTheDatasourceVariable(t *testing.T) {
	ds := loadDashboards(t)
	uids := map[string]string{}
	for _, d := range ds {
		uid, _ := d.raw["uid"].(string)
		require.NotEmpty(t, uid, d.file)
		require.Empty(t, uids[uid], "%s and %s share uid %q", d.file, uids[uid], uid)
		uids[uid] = d.file
		require.LessOrEqual(t, len(uid), 40, "Grafana uids are at most 40 characters")
		id, present := d.raw["id"]
		require.True(t, present, "%s: id must be present and null", d.file)
		require.Nil(t, id, "%s: id must be null so Grafana assigns one", d.file)
		require.EqualValues(t, 39, d.raw["schemaVersion"], d.file)
		require.NotEmpty(t, d.raw["title"], d.file)
		require.NotEmpty(t, d.raw["refresh"], d.file)
		tm, _ := d.raw["time"].(map[string]any)
		require.NotEmpty(t, tm["from"], d.file)

		var dsVar map[string]any
		tmpl, _ := d.raw["templating"].(map[string]any)
		vars, _ := tmpl["list"].([]any)
		for _, v := range vars {
			vm := v.(map[string]any)
			if vm["name"] == "datasource" {
				dsVar = vm
			} else if vm["type"] == "query" {
				dsv, _ := vm["datasource"].(map[string]any)
				require.Equal(t, dsRef, dsv["uid"], "%s: variable %v must query ${datasource}", d.file, vm["name"])
			}
		}
		require.NotNil(t, dsVar, "%s has no datasource variable", d.file)
		require.Equal(t, "datasource", dsVar["type"], d.file)
		require.Equal(t, "prometheus", dsVar["query"], d.file)

		ps := panels(d.raw)
		require.NotEmpty(t, ps, d.file)
		ids := map[float64]bool{}
		for _, p := range ps {
			title := fmt.Sprintf("%s panel %q", d.file, p["title"])
			id, _ := p["id"].(float64)
			require.False(t, ids[id], "%s: duplicate panel id %v", title, id)
			ids[id] = true
			gp, _ := p["gridPos"].(map[string]any)
			require.NotNil(t, gp, title)
			x, _ := gp["x"].(float64)
			w, _ := gp["w"].(float64)
			require.LessOrEqual(t, x+w, 24.0, "%s: beyond the 24-column grid", title)
			if p["type"] == "row" {
				continue
			}
			require.NotEmpty(t, p["title"], "%s: a panel without title", d.file)
			pds, _ := p["datasource"].(map[string]any)
			require.Equal(t, dsRef, pds["uid"], "%s must use the datasource variable", title)
			require.Equal(t, "prometheus", pds["type"], title)
			targets, _ := p["targets"].([]any)
			require.NotEmpty(t, targets, "%s has no query", title)
			for _, tg := range targets {
				tm := tg.(map[string]any)
				tds, _ := tm["datasource"].(map[string]any)
				require.Equal(t, dsRef, tds["uid"], "%s target %v must use the datasource variable", title, tm["refId"])
				require.NotEmpty(t, tm["expr"], "%s target %v has no expression", title, tm["refId"])
			}
		}
	}
}

func TestEveryExpressionParsesAndNamesExportedMetricsAndLabels(t *testing.T) {
	exp := exportedMetrics(t)
	// Sanity: the gathered set is the real one, with the contract's names.
	for _, name := range []string{"driftwarden_findings_open", "driftwarden_open_finding_age_seconds_bucket",
		"driftwarden_policy_reload_successful", "driftwarden_out_of_band_changes_total", "process_start_time_seconds"} {
		require.Contains(t, exp, name)
	}
	require.True(t, exp["driftwarden_out_of_band_changes_total"]["verdict"])

	rf, _ := loadRules(t)
	_, c := recordingLabels(t, rf, exp)
	for _, q := range ruleQueries(rf) {
		c.labels(q.where, parse(t, q))
	}
	ds := loadDashboards(t)
	for _, q := range dashboardQueries(t, ds) {
		ls := c.labels(q.where, parse(t, q))
		for _, m := range legendRE.FindAllStringSubmatch(q.legend, -1) {
			if !ls[m[1]] {
				c.errorf(q.where, "legend uses {{%s}} but the result has only %v", m[1], keys(ls))
			}
		}
	}
	// Template variables: label_values(metric, label).
	lvRE := regexp.MustCompile(`^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$`)
	for _, d := range ds {
		tmpl, _ := d.raw["templating"].(map[string]any)
		vars, _ := tmpl["list"].([]any)
		for _, v := range vars {
			vm := v.(map[string]any)
			if vm["type"] != "query" {
				continue
			}
			def, _ := vm["definition"].(string)
			m := lvRE.FindStringSubmatch(def)
			require.NotNil(t, m, "%s variable %v: expected label_values(metric, label), got %q", d.file, vm["name"], def)
			require.True(t, exp[m[1]][m[2]], "%s variable %v: %s has no label %s", d.file, vm["name"], m[1], m[2])
		}
	}
	require.Empty(t, c.problems, strings.Join(c.problems, "\n"))
}

// The checker itself must catch what it is for.
func TestCheckerCatchesUnknownMetricsAndLabels(t *testing.T) {
	exp := exportedMetrics(t)
	cases := []struct{ expr, want string }{
		{`driftwarden_findings_opened`, `metric "driftwarden_findings_opened" is not exported`},
		{`driftwarden_findings_open{owner="x"}`, `has no label "owner"`},
		{`sum by (team) (driftwarden_policy_violations)`, `no label "team"`},
		{`histogram_quantile(0.9, sum by (kind) (driftwarden_open_finding_age_seconds_bucket))`, "without an le label"},
		{`driftwarden:no_such_rule`, "not exported"},
	}
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			c := &checker{metrics: exp, recording: map[string]labelSet{}}
			c.labels("test", parse(t, query{where: "test", expr: tc.expr}))
			require.NotEmpty(t, c.problems)
			require.Contains(t, strings.Join(c.problems, "\n"), tc.want)
		})
	}
	_, err := promqlParser.ParseExpr(`sum by (team (driftwarden_findings_open)`)
	require.Error(t, err, "a broken expression is rejected")
}

func TestRecordingRulesUsedByDashboardsExist(t *testing.T) {
	rf, _ := loadRules(t)
	defined := map[string]bool{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				require.False(t, defined[r.Record], "recording rule %s defined twice", r.Record)
				defined[r.Record] = true
			}
		}
	}
	used := map[string]bool{}
	for _, q := range dashboardQueries(t, loadDashboards(t)) {
		parser.Inspect(parse(t, q), func(n parser.Node, _ []parser.Node) error {
			if vs, ok := n.(*parser.VectorSelector); ok && strings.Contains(vs.Name, ":") {
				used[vs.Name] = true
				require.True(t, defined[vs.Name], "%s uses recording rule %s, which no rule file defines", q.where, vs.Name)
			}
			return nil
		})
	}
	for name := range defined {
		require.True(t, used[name], "recording rule %s is used by no dashboard", name)
	}
}

func TestAlertingRulesAreDocumentedAndTested(t *testing.T) {
	rf, _ := loadRules(t)
	alerts := map[string]bool{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts[r.Alert] = true
			require.Contains(t, []string{"critical", "warning", "info"}, r.Labels["severity"], r.Alert)
			for _, a := range []string{"summary", "description", "runbook_url"} {
				require.NotEmpty(t, r.Annotations[a], "%s: annotation %s", r.Alert, a)
			}
		}
	}
	// Every alert has a promtool case where it fires and one where it does not.
	type alertTest struct {
		Alertname string `yaml:"alertname"`
		ExpAlerts []any  `yaml:"exp_alerts"`
	}
	var tf struct {
		Tests []struct {
			AlertRuleTest []alertTest `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	fires, silent := map[string]bool{}, map[string]bool{}
	files, err := filepath.Glob(filepath.Join("rules", "tests", "*.yml"))
	require.NoError(t, err)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, yaml.Unmarshal(b, &tf), f)
		for _, tc := range tf.Tests {
			for _, a := range tc.AlertRuleTest {
				if len(a.ExpAlerts) > 0 {
					fires[a.Alertname] = true
				} else {
					silent[a.Alertname] = true
				}
			}
		}
	}
	for a := range alerts {
		require.True(t, fires[a], "no promtool test where %s fires", a)
		require.True(t, silent[a], "no promtool test where %s stays silent", a)
	}
}

// TestPromtool runs Prometheus's own checks when promtool is installed
// (CI installs Debian's prometheus package and sets DRIFTWARDEN_E2E_PROMETHEUS=1,
// which makes it required).
func TestPromtool(t *testing.T) {
	promtool := lookTool(t, "promtool")
	_, files := loadRules(t)
	out, err := exec.Command(promtool, append([]string{"check", "rules"}, files...)...).CombinedOutput()
	require.NoError(t, err, "promtool check rules:\n%s", out)
	tests, err := filepath.Glob(filepath.Join("rules", "tests", "*.yml"))
	require.NoError(t, err)
	require.NotEmpty(t, tests)
	out, err = exec.Command(promtool, append([]string{"test", "rules"}, tests...)...).CombinedOutput()
	require.NoError(t, err, "promtool test rules:\n%s", out)
}

// lookTool finds a Prometheus binary: required when the end-to-end gate is
// set, otherwise the test is skipped without it.
func lookTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv(e2eEnv) != "" {
			t.Fatalf("%s is required with %s set (apt-get install prometheus): %v", name, e2eEnv, err)
		}
		t.Skipf("%s not installed (apt-get install prometheus)", name)
	}
	return p
}
