package attribution

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/engine"
	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

// Verdicts of a write event on a managed resource.
const (
	VerdictPipeline             = "pipeline"
	VerdictPipelineOutsideApply = "pipeline_outside_apply"
	VerdictHuman                = "human"
	VerdictService              = "service"
)

// CheckpointSource is the store checkpoint source attribution writes under.
const CheckpointSource = "attribution"

// DeployerRule names the principals that deploy some stacks.
type DeployerRule struct {
	// Stacks are stack name globs; Sources are state source names. A rule
	// with neither applies to every stack.
	Stacks  []string
	Sources []string
	// Principals are globs over principal ids, issuer roles and persons
	// (arn:aws:iam::111122223333:role/terraform-*, deployer@p.iam.gserviceaccount.com);
	// * matches any run of characters, / included.
	Principals []string
}

// Config configures an Attributor.
type Config struct {
	Deployers []DeployerRule
	// ChangedAttributes returns the Terraform attributes an event changes on
	// a resource type (from the identity tables); nil means unknown.
	ChangedAttributes func(ev model.Event, resourceType string) []string
	// CountsAsChange says whether a successful write event is a change of
	// its own; nil means every one is. GCP long-running operations log a
	// first and a last entry: only the last counts, so that one operation
	// is one change (gcpaudit.CountsAsChange).
	CountsAsChange func(ev model.Event) bool
	// ApplySlack widens an apply's window backwards (a cycle may read the
	// old state while the apply runs). Default 15m.
	ApplySlack time.Duration
	// ApplyGrace is how long a deployer's event waits for the apply that
	// may explain it. Default 30m.
	ApplyGrace time.Duration
	// InventoryLag is how old an out_of_band_change finding must be before a
	// drift-free live observation may resolve it. Default 30m.
	InventoryLag time.Duration
	// CreatorRetention bounds how long create events of unknown resources
	// are remembered. Default 7 days.
	CreatorRetention time.Duration
}

// Attributor implements engine.Attributor.
type Attributor struct {
	cfg Config
}

// New returns an Attributor with defaults filled in.
func New(cfg Config) *Attributor {
	if cfg.ApplySlack == 0 {
		cfg.ApplySlack = 15 * time.Minute
	}
	if cfg.ApplyGrace == 0 {
		cfg.ApplyGrace = 30 * time.Minute
	}
	if cfg.InventoryLag == 0 {
		cfg.InventoryLag = 30 * time.Minute
	}
	if cfg.CreatorRetention == 0 {
		cfg.CreatorRetention = 7 * 24 * time.Hour
	}
	return &Attributor{cfg: cfg}
}

var _ engine.Attributor = (*Attributor)(nil)

type managed struct {
	stack  string
	source string
	res    *model.Resource
}

// Attribute implements engine.Attributor.
func (a *Attributor) Attribute(ctx context.Context, in engine.AttributionInput) (engine.AttributionOutput, error) {
	out := engine.AttributionOutput{Checkpoints: map[string]string{}}
	now := in.Now
	if now.IsZero() {
		now = time.Now().UTC()
	}

	byID := map[string]managed{}
	loaded := map[string]bool{}
	for i := range in.Stacks {
		s := &in.Stacks[i]
		loaded[s.Name] = true
		for j := range s.Resources {
			r := &s.Resources[j]
			if r.ID != "" {
				byID[r.ID] = managed{stack: s.Name, source: s.Source, res: r}
			}
		}
	}
	// Deposed objects (a replacement's old object, still to destroy) are
	// their stack's too: a write on one is judged like any managed
	// resource's, and never reported as a resource created by hand.
	for i := range in.Stacks {
		s := &in.Stacks[i]
		for j := range s.Deposed {
			r := &s.Deposed[j].Resource
			if _, ok := byID[r.ID]; !ok && r.ID != "" {
				byID[r.ID] = managed{stack: s.Name, source: s.Source, res: r}
			}
		}
	}

	// State serial history per stack.
	hist := map[string]*serialHistory{}
	for _, s := range in.Stacks {
		h, err := loadHistory(ctx, in.Checkpoints, s.Name)
		if err != nil {
			out.Warnings = append(out.Warnings, err.Error())
		}
		h.observe(s.Serial, s.Lineage, now)
		hist[s.Name] = h
		if b, err := json.Marshal(h); err == nil {
			out.Checkpoints[historyKey(s.Name)] = string(b)
		}
	}

	// Events held back from earlier cycles, then this cycle's, de-duplicated.
	pending, err := loadEvents(ctx, in.Checkpoints, pendingKey)
	if err != nil {
		out.Warnings = append(out.Warnings, err.Error())
	}
	creators, err := loadEvents(ctx, in.Checkpoints, creatorsKey)
	if err != nil {
		out.Warnings = append(out.Warnings, err.Error())
	}
	events := dedupe(append(pending, in.Events...))

	var stillPending []model.Event
	newFindings := map[string]model.Finding{}
	touched := map[string][]model.Event{} // resource id -> write events known this cycle
	for i := range events {
		ev := &events[i]
		if ev.ReadOnly || ev.ErrorCode != "" || (a.cfg.CountsAsChange != nil && !a.cfg.CountsAsChange(*ev)) {
			continue
		}
		for _, rid := range ev.Resources {
			m, ok := byID[rid]
			if !ok {
				if isCreate(ev.Action) {
					creators = append(creators, stripRaw(*ev, rid))
				}
				continue
			}
			ev.Stack = m.stack
			verdict, hold := a.verdict(*ev, m, hist[m.stack], now)
			if hold {
				stillPending = append(stillPending, *ev)
				continue
			}
			ev.Verdict = verdict
			touched[rid] = append(touched[rid], stripRaw(*ev, ""))
			if verdict == VerdictPipeline {
				continue
			}
			f := oobFinding(*ev, m)
			newFindings[f.Fingerprint] = f
		}
	}
	out.Events = events

	// Keep earlier out_of_band_change findings open until an apply or a
	// drift-free observation puts their resource back in line.
	drifted := map[string]bool{}
	for _, d := range in.Drifts {
		drifted[d.Resource.ID] = true
	}
	var kept []model.Finding
	for _, f := range in.Open {
		if f.Kind != model.FindingOutOfBandChange {
			continue
		}
		if _, again := newFindings[f.Fingerprint]; again {
			continue
		}
		if !loaded[f.Stack] {
			kept = append(kept, f) // not audited this cycle: stays open anyway
			continue
		}
		evTime := eventTime(f)
		if h := hist[f.Stack]; h != nil && h.appliedAfter(evTime) {
			continue // a later apply put the stack back in line
		}
		if in.Observed[f.ResourceID] && !drifted[f.ResourceID] && now.Sub(f.FirstSeen) >= a.cfg.InventoryLag {
			continue // the live inventory shows it back in line
		}
		kept = append(kept, f)
		for _, ev := range f.Evidence.Events {
			touched[f.ResourceID] = append(touched[f.ResourceID], ev)
		}
	}
	fps := make([]string, 0, len(newFindings))
	for fp := range newFindings {
		fps = append(fps, fp)
	}
	sort.Strings(fps)
	for _, fp := range fps {
		out.Findings = append(out.Findings, newFindings[fp])
	}
	out.Findings = append(out.Findings, kept...)
	for s := range loaded {
		out.AuditedScopes = append(out.AuditedScopes, oobScope(s))
	}
	sort.Strings(out.AuditedScopes)

	// Link drifts to events.
	creators = pruneCreators(creators, in.Observed, byID, now, a.cfg.CreatorRetention)
	byCreated := map[string][]model.Event{}
	for _, c := range creators {
		for _, rid := range c.Resources {
			byCreated[rid] = append(byCreated[rid], c)
		}
	}
	out.Drifts = make([]model.Drift, len(in.Drifts))
	for i, d := range in.Drifts {
		evs := touched[d.Resource.ID]
		if d.Kind == model.DriftUnmanaged {
			evs = append(evs, byCreated[d.Resource.ID]...)
		}
		d.Events = sortEvents(dedupe(append(append([]model.Event(nil), d.Events...), evs...)))
		if len(d.Diffs) > 0 && a.cfg.ChangedAttributes != nil && len(d.Events) > 0 {
			d.Diffs = append([]model.Diff(nil), d.Diffs...)
			for j := range d.Diffs {
				d.Diffs[j].Events = a.explain(d.Diffs[j].Path, d.Resource.Type, d.Events)
			}
		}
		out.Drifts[i] = d
	}

	if b, err := json.Marshal(stillPending); err == nil {
		out.Checkpoints[pendingKey] = string(b)
	}
	if b, err := json.Marshal(creators); err == nil {
		out.Checkpoints[creatorsKey] = string(b)
	}
	return out, nil
}

// verdict judges a write event on a resource of stack; hold means "wait for
// the apply that may still be running".
func (a *Attributor) verdict(ev model.Event, m managed, h *serialHistory, now time.Time) (verdict string, hold bool) {
	if a.isDeployer(ev.Principal, m) {
		switch {
		case h == nil || h.before(ev.Time):
			return VerdictPipeline, false // no history from before the event: benefit of the doubt
		case h.duringApply(ev.Time, a.cfg.ApplySlack):
			return VerdictPipeline, false
		case now.Sub(ev.Time) < a.cfg.ApplyGrace && !h.appliedAfter(ev.Time):
			return "", true
		default:
			return VerdictPipelineOutsideApply, false
		}
	}
	if ev.Via == model.ViaService || ev.Principal.Type == "AWSService" {
		return VerdictService, false
	}
	return VerdictHuman, false
}

func (a *Attributor) isDeployer(p model.Principal, m managed) bool {
	for _, r := range a.cfg.Deployers {
		if len(r.Stacks)+len(r.Sources) > 0 && !anyGlob(r.Stacks, m.stack) && !anyGlob(r.Sources, m.source) {
			continue
		}
		for _, pat := range r.Principals {
			for _, v := range []string{p.ID, p.Issuer, p.Person} {
				if v != "" && glob(pat, v) {
					return true
				}
			}
		}
	}
	return false
}

// explain returns the newest event known to change the attribute at path.
func (a *Attributor) explain(path, typ string, evs []model.Event) []string {
	top := path
	if i := strings.IndexAny(top, ".["); i > 0 {
		top = top[:i]
	}
	for i := len(evs) - 1; i >= 0; i-- {
		for _, attr := range a.cfg.ChangedAttributes(evs[i], typ) {
			if attr == top || model.PathHasPrefix(path, attr) {
				return []string{evs[i].ID}
			}
		}
	}
	return nil
}

var severityOf = map[string]model.Severity{
	VerdictPipelineOutsideApply: model.SeverityCritical,
	VerdictHuman:                model.SeverityHigh,
	VerdictService:              model.SeverityLow,
}

var titleOf = map[string]string{
	VerdictPipelineOutsideApply: "Deployer credentials used outside an apply",
	VerdictHuman:                "Change made outside the deploy pipeline",
	VerdictService:              "Change made by a cloud service",
}

func oobFinding(ev model.Event, m managed) model.Finding {
	r := m.res
	who := ev.Principal.Person // the full principal is in the evidence
	if who == "" {
		who = ev.Principal.ID
	}
	via := string(ev.Via)
	if via == "" {
		via = "unknown"
	}
	label := r.Address
	if label == "" {
		label = r.ID
	}
	return model.Finding{
		Fingerprint:  model.Fingerprint("out_of_band_change", ev.ID, r.ID),
		Kind:         model.FindingOutOfBandChange,
		Severity:     severityOf[ev.Verdict],
		Title:        titleOf[ev.Verdict],
		Message:      fmt.Sprintf("%s ran %s on %s via %s at %s (%s)", who, ev.Action, label, via, ev.Time.UTC().Format(time.RFC3339), ev.Verdict),
		ResourceID:   r.ID,
		ResourceType: r.Type,
		Address:      r.Address,
		Stack:        m.stack,
		Account:      firstNonEmpty(r.Account, ev.Account),
		Region:       firstNonEmpty(r.Region, ev.Region),
		Scope:        oobScope(m.stack),
		Evidence:     model.Evidence{Events: []model.Event{stripRaw(ev, "")}},
	}
}

func oobScope(stack string) string { return "out_of_band;stack=" + stack }

// eventTime is the time of the event behind an out_of_band_change finding.
func eventTime(f model.Finding) time.Time {
	for _, ev := range f.Evidence.Events {
		return ev.Time
	}
	return f.FirstSeen
}

// stripRaw drops the raw record (it may hold request values) and, when only
// is set, keeps just that resource.
func stripRaw(ev model.Event, only string) model.Event {
	ev.Raw = nil
	if only != "" {
		ev.Resources = []string{only}
	}
	return ev
}

func isCreate(action string) bool {
	name := action
	if i := strings.LastIndexAny(name, ":."); i >= 0 {
		name = name[i+1:]
	}
	for _, p := range []string{"Create", "Run", "Put", "Allocate", "Register", "insert", "create", "Insert"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// dedupe keeps the first event of each id (events without an id are kept).
func dedupe(evs []model.Event) []model.Event {
	seen := make(map[string]bool, len(evs))
	out := make([]model.Event, 0, len(evs))
	for _, e := range evs {
		if e.ID != "" {
			if seen[e.ID] {
				continue
			}
			seen[e.ID] = true
		}
		out = append(out, e)
	}
	return out
}

func sortEvents(evs []model.Event) []model.Event {
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	return evs
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func anyGlob(pats []string, s string) bool {
	for _, p := range pats {
		if glob(p, s) {
			return true
		}
	}
	return false
}

// glob matches s against a pattern where * matches any run of characters
// (slashes and colons included) and ? one character.
func glob(pat, s string) bool {
	for len(pat) > 0 {
		switch pat[0] {
		case '*':
			for len(pat) > 0 && pat[0] == '*' {
				pat = pat[1:]
			}
			if pat == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if glob(pat, s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			pat, s = pat[1:], s[1:]
		default:
			if s == "" || pat[0] != s[0] {
				return false
			}
			pat, s = pat[1:], s[1:]
		}
	}
	return s == ""
}

const (
	pendingKey  = "pending"
	creatorsKey = "creators"
)

func historyKey(stack string) string { return "serial/" + stack }

func loadEvents(ctx context.Context, cp collectors.CheckpointReader, key string) ([]model.Event, error) {
	if cp == nil {
		return nil, nil
	}
	v, err := cp.Checkpoint(ctx, CheckpointSource, key)
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading attribution checkpoint %s: %w", key, err)
	}
	var evs []model.Event
	if err := json.Unmarshal([]byte(v), &evs); err != nil {
		return nil, fmt.Errorf("decoding attribution checkpoint %s (starting afresh): %w", key, err)
	}
	return evs, nil
}

func pruneCreators(cs []model.Event, observed map[string]bool, managedIDs map[string]managed, now time.Time, keep time.Duration) []model.Event {
	cs = dedupe(cs)
	out := cs[:0]
	for _, c := range cs {
		if now.Sub(c.Time) > keep {
			continue
		}
		if len(c.Resources) > 0 {
			if _, ok := managedIDs[c.Resources[0]]; ok {
				continue // imported into a state since: no longer unmanaged
			}
		}
		out = append(out, c)
	}
	const max = 10000
	if len(out) > max {
		sortEvents(out)
		out = out[len(out)-max:]
	}
	return out
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
