// Package evaluator is the Go side of driftwarden's policies: it loads the
// built-in Rego v1 library (embedded from package policies) and user policy
// folders, validates each policy's METADATA, compiles the whole set once,
// prepares its queries once, and evaluates resources and drifts against it.
//
// A policy is one Rego package with a package-scoped METADATA block and a
// `deny contains result if { ... }` rule (see policies/README.md). Policies
// see their input as
//
//	{"kind": "resource", "resource": {id, type, provider, native_id, address, stack, account, region, tags, attributes, managed, source}}
//	{"kind": "drift", "drift": {kind, resource: {...}, diffs: [{path, applied, live, sensitive}], sources}}
//	{"kind": "event", "event": {id, time, source, service, action, principal: {id, type, person, issuer}, via, source_ip, user_agent, error_code, read_only, account, region, resources, request, verdict, stack}}
//	{"kind": "plan", "plan": {stack, branch, tracked_branch, format_version, resource_changes: [{address, type, name, provider_name, mode, actions, before, after}]}}
//
// and user configuration at data.driftwarden.config (defaults in
// policies/data.json, overridden by Options.Data). Resource policies that
// declare custom.inventory_types also see the cycle's resources of those
// types at data.driftwarden.inventory[<type>] (inventory.go).
//
// Evaluation is partitioned by resource type: for every type named in a
// policy's custom.resource_types the evaluator prepares, once per policy
// set, one query that evaluates all policies applying to that type (plus
// those without resource_types, which apply to every type). A resource is
// evaluated with a single OPA evaluation; only when that evaluation fails is
// it re-evaluated policy by policy, so that the error is attributed to one
// policy and the other policies still produce their violations.
//
// Reload recompiles everything from disk (and fetches OPA bundles, verified
// when a key is configured) and swaps the new set in atomically only when
// it compiles (and its tests pass, with Options.RequireTestsPass);
// otherwise the last good set keeps running and the failure is returned,
// logged and counted. A bundle that fails keeps its last good content.
// Event and plan policies are not partitioned (every one sees every event
// or plan); each kind still has one prepared query per policy set.
//
// API:
//
//	New(ctx, Options) (*Evaluator, error)          load, validate, compile, prepare
//	(*Evaluator).EvaluateResources(ctx, []model.Resource) ([]model.Violation, []error)
//	(*Evaluator).EvaluateResourcesWithInventory(ctx, resources, inventory []model.Resource)  the same, with data.driftwarden.inventory
//	(*Evaluator).InventoryTypes() []string         the types the policies declare in inventory_types
//	(*Evaluator).EvaluateDrifts(ctx, []model.Drift) ([]model.Violation, []error)
//	(*Evaluator).EvaluateEvents(ctx, []model.Event) ([]model.Violation, []error)
//	(*Evaluator).EvaluatePlan(ctx, PlanInput) ([]model.Violation, []error)
//	(*Evaluator).Evaluate(ctx, Input, explain io.Writer)  one subject, optionally traced
//	ReadPlan(r, name) / ReadPlanFile(path) (PlanInput, error)  terraform show -json plans
//	(*Evaluator).Reload(ctx) error                 recompile; keep the last good set on error
//	(*Evaluator).Watch(ctx) error                  reload on folder changes, poll bundles
//	Lint(LintOptions) []LintProblem                 METADATA, controls, ids, tests
//	(*Evaluator).Policies() []PolicyInfo           metadata of every loaded policy
//	(*Evaluator).Revision() string                 hash of the running policy sources and data
//	RunTests(ctx, TestOptions) (TestSummary, error) the _test.rego files, like `opa test`
//
// Evaluation errors are per policy and subject (*EvalError) and never stop
// the others. Metrics (with Options.Registerer): driftwarden_policies_loaded,
// driftwarden_policy_reloads_total{result}, driftwarden_policy_reload_successful,
// driftwarden_policy_last_reload_success_timestamp_seconds,
// driftwarden_policy_revision_info{revision},
// driftwarden_policy_bundle_last_load_timestamp_seconds{bundle} and
// driftwarden_policy_evaluation_errors_total{policy}.
package evaluator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwarden/driftwarden/model"
)

// Options configure an Evaluator.
type Options struct {
	// Builtin loads the embedded built-in policies. The lib/ helper package
	// and the data defaults are always loaded.
	Builtin bool
	// Dirs are user policy folders (Rego, data.json/yaml), read recursively;
	// *_test.rego files and hidden entries are skipped.
	Dirs []string
	// Disabled lists policy ids that are loaded but never evaluated.
	Disabled []string
	// Severity overrides a policy's severity by id; it wins over both the
	// METADATA severity and a severity returned by the rule.
	Severity map[string]model.Severity
	// Data is merged (objects key by key, anything else replaced) over the
	// built-in defaults at data.driftwarden.config.
	Data map[string]any
	// Logger receives reload and evaluation-error lines; nil discards them.
	Logger *slog.Logger
	// Registerer receives the evaluator's metrics; nil means no metrics.
	// Register one Evaluator per registry (the names would collide).
	Registerer prometheus.Registerer
	// Workers bounds the goroutines one Evaluate call uses; 0 means
	// GOMAXPROCS.
	Workers int
	// Bundles are OPA bundles loaded next to the folders. A bundle that
	// cannot be read or verified is left out (its last good content kept)
	// and reported; it never stops the other policies.
	Bundles []Bundle
	// RequireTestsPass makes a load or reload also run the _test.rego files
	// of the set (built-in, folders, bundles): a set whose tests fail is
	// rejected like one that does not compile.
	RequireTestsPass bool
	// HTTPClient fetches bundles; nil means a client with a 1 minute timeout.
	HTTPClient *http.Client
	// WatchDebounce is how long Watch waits for file events to settle
	// before reloading; 0 means 500ms.
	WatchDebounce time.Duration
}

// PolicyInfo describes one loaded policy.
type PolicyInfo struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	// Severity is the effective severity (after Options.Severity).
	Severity model.Severity `json:"severity"`
	// DefaultSeverity is the severity from the policy's METADATA.
	DefaultSeverity model.Severity    `json:"default_severity"`
	Controls        []string          `json:"controls,omitempty"`
	Remediation     string            `json:"remediation,omitempty"`
	Input           model.SubjectKind `json:"input"`
	// ResourceTypes limits the policy to these types; empty means all.
	ResourceTypes []string `json:"resource_types,omitempty"`
	// InventoryTypes are the types of the cycle's other resources the
	// policy reads at data.driftwarden.inventory (resource policies only).
	InventoryTypes []string `json:"inventory_types,omitempty"`
	// File holds the policy's METADATA (built-in files start with BuiltinPrefix).
	File string `json:"file"`
	// Package is the Rego package, without the data. prefix.
	Package  string `json:"package"`
	Builtin  bool   `json:"builtin"`
	Disabled bool   `json:"disabled,omitempty"`
}

// Evaluator evaluates resources and drifts against a compiled policy set.
// Its methods are safe for concurrent use.
type Evaluator struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics
	workers int

	reloadMu sync.Mutex
	set      atomic.Pointer[policySet]
	bundles  bundles
}

// policy is one compiled, prepared policy.
type policy struct {
	info PolicyInfo
	path ast.Ref // data.<package>
	// overridden is true when Options.Severity sets the severity, which
	// then wins over a severity returned by the rule.
	overridden bool
	query      rego.PreparedEvalQuery // x = data.<pkg>.deny (explain)
	direct     *directQuery           // the same, run on topdown directly
}

// plan evaluates every policy that applies to one resource type.
type plan struct {
	policies []*policy
	direct   *directQuery
}

// kindPlans holds the plans of one input kind.
type kindPlans struct {
	byType  map[string]*plan
	generic *plan // policies without resource_types; nil when there are none
}

func (k *kindPlans) planFor(typ string) *plan {
	if k == nil {
		return nil
	}
	if p, ok := k.byType[typ]; ok {
		return p
	}
	return k.generic
}

// policySet is one compiled revision of all policies.
type policySet struct {
	revision string
	store    storage.Store
	infos    []PolicyInfo
	plans    map[model.SubjectKind]*kindPlans
	active   int
	// data is the store's document; a call with an inventory evaluates on
	// a store of its own holding data plus the inventory (inventory.go).
	data ast.Object
	// inventoryTypes is the union of the enabled resource policies'
	// custom.inventory_types.
	inventoryTypes map[string]bool
}

// New loads, validates and compiles the policies. An error here names the
// file (and line, for parse and compile errors) at fault.
func New(ctx context.Context, opts Options) (*Evaluator, error) {
	for id, sev := range opts.Severity {
		if !sev.Valid() {
			return nil, fmt.Errorf("configuring policy severities: %s: severity %q is not one of %v", id, sev, model.Severities)
		}
	}
	opts.Dirs = slices.Clone(opts.Dirs)
	opts.Disabled = slices.Clone(opts.Disabled)
	opts.Severity = maps.Clone(opts.Severity)
	opts.Data = maps.Clone(opts.Data)
	opts.Bundles = slices.Clone(opts.Bundles)
	if err := checkBundles(opts.Bundles); err != nil {
		return nil, err
	}
	e := &Evaluator{
		opts:    opts,
		log:     opts.Logger,
		metrics: newMetrics(opts.Registerer),
		workers: opts.Workers,
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.workers <= 0 {
		e.workers = runtime.GOMAXPROCS(0)
	}
	e.bundles.client = opts.HTTPClient
	set, _, bundleErrs, err := e.build(ctx, "", true)
	if err != nil {
		return nil, err
	}
	e.install(set, "")
	if len(bundleErrs) > 0 {
		e.metrics.reloadOK.Set(0)
	}
	e.log.Info("policies loaded", "revision", set.revision, "policies", set.active)
	return e, nil
}

// Reload reads and compiles every policy again (and fetches every bundle).
// The new set replaces the running one only when it loads and compiles (and
// its tests pass, with RequireTestsPass); otherwise the last good set keeps
// running and the error (naming the file and line) is returned. A bundle
// that fails to load keeps its last good content: the rest of the new set
// is installed and the bundle's error returned. Reloading unchanged sources
// is cheap: nothing is recompiled.
func (e *Evaluator) Reload(ctx context.Context) error {
	return e.reload(ctx, true)
}

// reload is Reload; forceBundles fetches every bundle, otherwise only those
// whose poll interval has passed.
func (e *Evaluator) reload(ctx context.Context, forceBundles bool) error {
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	old := e.set.Load()
	set, unchanged, bundleErrs, err := e.build(ctx, old.revision, forceBundles)
	if err == nil && len(bundleErrs) > 0 {
		if !unchanged {
			e.install(set, old.revision)
			e.log.Info("policies reloaded without the rejected bundles' new content", "revision", set.revision, "previous_revision", old.revision)
		}
		err = errors.Join(bundleErrs...)
		e.metrics.reloads.WithLabelValues("failure").Inc()
		e.metrics.reloadOK.Set(0)
		return fmt.Errorf("reloading policy bundles (the other policies keep running): %w", err)
	}
	if err != nil {
		e.metrics.reloads.WithLabelValues("failure").Inc()
		e.metrics.reloadOK.Set(0)
		e.log.Error("policy reload rejected; keeping the last good policy set", "revision", old.revision, "error", err)
		return fmt.Errorf("reloading policies (revision %s keeps running): %w", old.revision, err)
	}
	e.metrics.reloads.WithLabelValues("success").Inc()
	if unchanged {
		e.metrics.reloadOK.Set(1)
		e.metrics.lastSuccess.SetToCurrentTime()
		return nil
	}
	e.install(set, old.revision)
	e.log.Info("policies reloaded", "revision", set.revision, "previous_revision", old.revision, "policies", set.active)
	return nil
}

func (e *Evaluator) install(set *policySet, previous string) {
	e.set.Store(set)
	if previous != "" && previous != set.revision {
		e.metrics.revision.DeleteLabelValues(previous)
	}
	e.metrics.revision.WithLabelValues(set.revision).Set(1)
	e.metrics.loaded.Set(float64(set.active))
	e.metrics.reloadOK.Set(1)
	e.metrics.lastSuccess.SetToCurrentTime()
	for _, p := range set.infos {
		e.metrics.evalErrors.WithLabelValues(p.ID) // show 0, not "no data"
	}
}

// Policies lists the loaded policies (disabled ones included, flagged),
// sorted by id.
func (e *Evaluator) Policies() []PolicyInfo {
	set := e.set.Load()
	out := make([]PolicyInfo, len(set.infos))
	for i, p := range set.infos {
		p.Controls = slices.Clone(p.Controls)
		p.ResourceTypes = slices.Clone(p.ResourceTypes)
		p.InventoryTypes = slices.Clone(p.InventoryTypes)
		out[i] = p
	}
	return out
}

// Revision identifies the running policy set: a hash of the policy modules
// and the effective data.
func (e *Evaluator) Revision() string { return e.set.Load().revision }

// build loads and compiles a policy set. When the sources' revision equals
// current it compiles nothing and reports unchanged.
func (e *Evaluator) build(ctx context.Context, current string, forceBundles bool) (set *policySet, unchanged bool, bundleErrs []error, err error) {
	var bs []*loadedBundle
	if len(e.opts.Bundles) > 0 {
		bs, bundleErrs = e.loadBundles(ctx, forceBundles)
	}
	set, err = e.compile(ctx, current, bs)
	if errors.Is(err, errUnchanged) {
		return nil, true, bundleErrs, nil
	}
	return set, false, bundleErrs, err
}

var errUnchanged = errors.New("policy sources unchanged")

func (e *Evaluator) compile(ctx context.Context, current string, bs []*loadedBundle) (*policySet, error) {
	src, err := loadSources(e.opts.Builtin, e.opts.Dirs, e.opts.RequireTestsPass)
	if err != nil {
		return nil, err
	}
	for _, b := range bs {
		src.addBundle(b, e.opts.RequireTestsPass)
	}
	data, err := configData(src.data, e.opts.Data)
	if err != nil {
		return nil, err
	}
	rev, err := src.revision(data)
	if err != nil {
		return nil, err
	}
	if rev == current {
		return nil, errUnchanged
	}
	metas, err := collectPolicies(src.modules)
	if err != nil {
		return nil, fmt.Errorf("checking policy metadata: %w", err)
	}
	compiler := ast.NewCompiler().WithDefaultRegoVersion(ast.RegoV1)
	if compiler.Compile(src.modules); compiler.Failed() {
		return nil, fmt.Errorf("compiling policies: %w", compiler.Errors)
	}
	if e.opts.RequireTestsPass {
		testData, err := configData(src.data, nil)
		if err != nil {
			return nil, err
		}
		var report strings.Builder
		sum, err := runTests(ctx, src, testData, TestOptions{Out: &report})
		if err != nil {
			return nil, fmt.Errorf("testing policies: %w", err)
		}
		if !sum.OK() {
			return nil, fmt.Errorf("testing policies (policies.require_tests_pass): %d failed, %d errored:\n%s", sum.Fail, sum.Error, strings.TrimSpace(report.String()))
		}
	}
	dataValue, err := ast.InterfaceToValue(data)
	if err != nil {
		return nil, fmt.Errorf("converting policy data: %w", err)
	}
	dataObj, ok := dataValue.(ast.Object)
	if !ok {
		return nil, errors.New("converting policy data: not an object")
	}
	set := &policySet{
		revision:       rev,
		plans:          map[model.SubjectKind]*kindPlans{},
		inventoryTypes: map[string]bool{},
	}

	disabled := map[string]bool{}
	for _, id := range e.opts.Disabled {
		disabled[id] = true
	}
	for _, m := range metas {
		if !disabled[m.ID] && m.Input == model.SubjectResource {
			for _, t := range m.InventoryTypes {
				set.inventoryTypes[t] = true
			}
		}
	}
	// Every declared type is in the inventory, empty until a call supplies
	// the cycle's resources (EvaluateResourcesWithInventory).
	set.data = withInventory(dataObj, set.inventoryTypes, nil)
	set.store = inmem.NewFromASTObject(set.data)
	known := map[string]bool{}
	var active []*policy
	for _, m := range metas {
		known[m.ID] = true
		info := m.PolicyInfo
		sev, overridden := e.opts.Severity[info.ID]
		if overridden {
			info.Severity = sev
		}
		info.Disabled = disabled[info.ID]
		set.infos = append(set.infos, info)
		if info.Disabled {
			continue
		}
		p := &policy{info: info, path: m.path, overridden: overridden}
		p.query, err = e.prepare(ctx, compiler, set.store, []ast.Ref{m.path})
		if err == nil {
			p.direct, err = newDirectQuery(compiler, set.store, []ast.Ref{m.path})
		}
		if err != nil {
			return nil, fmt.Errorf("preparing policy %s (%s): %w", info.ID, info.File, err)
		}
		active = append(active, p)
	}
	set.active = len(active)
	for _, id := range slices.Sorted(maps.Keys(disabled)) {
		if !known[id] {
			e.log.Warn("disabled policy id matches no loaded policy; ignoring it", "policy_id", id)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(e.opts.Severity)) {
		if !known[id] {
			e.log.Warn("severity override matches no loaded policy; ignoring it", "policy_id", id)
		}
	}

	// Partition by input kind and resource type.
	byKind := map[model.SubjectKind][]*policy{}
	for _, p := range active {
		byKind[p.info.Input] = append(byKind[p.info.Input], p)
	}
	for kind, ps := range byKind {
		var generic []*policy
		types := map[string]bool{}
		for _, p := range ps {
			// Events and plans are not about one resource type: every
			// policy of those kinds sees every event (every plan).
			if len(p.info.ResourceTypes) == 0 || !perResourceType(kind) {
				generic = append(generic, p)
				continue
			}
			for _, t := range p.info.ResourceTypes {
				types[t] = true
			}
		}
		kp := &kindPlans{byType: map[string]*plan{}}
		generic = e.prunePlan(ctx, compiler, set.store, kind, "", generic)
		if kp.generic, err = e.newPlan(ctx, compiler, set.store, generic); err != nil {
			return nil, err
		}
		for _, t := range slices.Sorted(maps.Keys(types)) {
			var applicable []*policy
			for _, p := range ps {
				if len(p.info.ResourceTypes) == 0 || slices.Contains(p.info.ResourceTypes, t) {
					applicable = append(applicable, p)
				}
			}
			applicable = e.prunePlan(ctx, compiler, set.store, kind, t, applicable)
			if kp.byType[t], err = e.newPlan(ctx, compiler, set.store, applicable); err != nil {
				return nil, err
			}
		}
		set.plans[kind] = kp
	}
	return set, nil
}

func (e *Evaluator) newPlan(ctx context.Context, c *ast.Compiler, store storage.Store, ps []*policy) (*plan, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	pl := &plan{policies: ps}
	refs := make([]ast.Ref, len(ps))
	for i, p := range ps {
		refs[i] = p.path
	}
	var err error
	if pl.direct, err = newDirectQuery(c, store, refs); err != nil {
		return nil, fmt.Errorf("preparing the combined policy query: %w", err)
	}
	return pl, nil
}

func resultVar(i int) string { return fmt.Sprintf("dw_%d", i) }

// prepare builds `dw_0 = data.<pkg0>.deny; dw_1 = data.<pkg1>.deny; ...`.
func (e *Evaluator) prepare(ctx context.Context, c *ast.Compiler, store storage.Store, pkgs []ast.Ref) (rego.PreparedEvalQuery, error) {
	return rego.New(
		rego.ParsedQuery(denyBody(pkgs)),
		rego.Compiler(c),
		rego.Store(store),
		rego.StrictBuiltinErrors(true),
		rego.GenerateJSON(keepAST),
	).PrepareForEval(ctx)
}

// denyBody is `dw_0 = data.<pkg0>.deny; dw_1 = data.<pkg1>.deny; ...`.
func denyBody(pkgs []ast.Ref) ast.Body {
	body := make(ast.Body, 0, len(pkgs))
	for i, pkg := range pkgs {
		ref := pkg.Copy().Append(ast.StringTerm(denyRule))
		expr := ast.Equality.Expr(ast.VarTerm(resultVar(i)), ast.NewTerm(ref))
		expr.Index = i
		body = append(body, expr)
	}
	return body
}

// keepAST skips OPA's AST-to-Go conversion of results: bindings stay *ast.Term.
func keepAST(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }

// perResourceType reports whether policies of this input kind are
// partitioned by custom.resource_types (resources and drifts); event and
// plan policies are evaluated for every event or plan.
func perResourceType(k model.SubjectKind) bool {
	return k == model.SubjectResource || k == model.SubjectDrift
}
