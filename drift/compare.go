package drift

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/model"
)

// Options tune a comparison. Start from DefaultOptions: the zero value
// differs from it only in Unmanaged (false: unmanaged resources are not
// reported). Other zero fields mean no ignore rules, no provider schema,
// the wall clock, and provider-created defaults never reported as unmanaged.
type Options struct {
	// Ignore are the user's ignore rules; expired ones are reported in
	// Result.Warnings and not applied.
	Ignore []IgnoreRule
	// Schemas, when loaded (LoadSchemas), say which attributes are computed,
	// defaulted, sets or sensitive.
	Schemas *Schemas
	// Now returns the current time (rule expiry); nil means time.Now.
	Now func() time.Time
	// Unmanaged reports live resources that no stack manages (on in
	// DefaultOptions).
	Unmanaged bool
	// UnmanagedIgnoreTypes are type globs (aws_iam_*) never reported as
	// unmanaged.
	UnmanagedIgnoreTypes []string
	// IncludeDefaultResources reports provider-created defaults (default
	// VPC, default security group, AWS-managed policies, ...) as unmanaged.
	IncludeDefaultResources bool
}

// DefaultOptions returns the options of a plain comparison: unmanaged
// resources reported, no ignore rules, no schema, the wall clock.
func DefaultOptions() Options { return Options{Unmanaged: true} }

// Result is the outcome of a comparison.
type Result struct {
	// Drifts are sorted by stack, address, id and kind. Their Resource holds
	// identity, placement and (redacted) tags, never attributes.
	Drifts []model.Drift
	// Stacks holds counts per stack name.
	Stacks map[string]StackCounts
	// Unmanaged counts unmanaged drifts (they belong to no stack).
	Unmanaged int
	// Ignored counts drifts hidden entirely by whole-resource ignore rules.
	Ignored int
	// Warnings are problems that cost only one resource or rule: expired or
	// invalid ignore rules, rules that matched nothing, undecodable attributes.
	Warnings []string
}

// StackCounts are the per-stack figures of a comparison.
type StackCounts struct {
	Resources int // applied resources
	Observed  int // applied resources seen by at least one inventory
	Changed   int
	Missing   int
	Ignored   int // drifts hidden by whole-resource ignore rules
	// Deposed counts the stack's deposed objects (Stack.Deposed): known to
	// the state, so never unmanaged, but neither expected to exist nor
	// compared. They are not counted in Resources or Observed.
	Deposed int
}

// applied is one applied resource, from a state or, when its stack's state
// was not loaded, from a plan's prior values.
type applied struct {
	res     *model.Resource
	stack   string
	seen    bool
	deposed bool  // a deposed object: matches live resources, nothing more
	next    int32 // next applied with the same canonical id
	nextN   int32 // next applied with the same type and native id
}

type typeNative struct{ typ, id string }
type stackAddr struct{ stack, addr string }

type driftKey struct {
	kind model.DriftKind
	ref  int32  // applied index, or -1 for unmanaged
	id   string // unmanaged identity
}

// comparer holds the state of one Compare call.
type comparer struct {
	opts     Options
	rules    []*compiledRule
	filters  map[filterKey]*filter
	warnings []string

	refs     []applied
	byID     map[string]int32
	byNative map[typeNative]int32
	byAddr   map[stackAddr]int32
	loaded   map[string]bool
	nLoaded  int

	drifts  []model.Drift
	index   map[driftKey]int // into drifts; -1 when ignored
	stacks  map[string]StackCounts
	ignored int
}

// Compare matches live resources to applied ones and returns the drift:
//
//   - changed: a live resource matching an applied one whose attributes
//     differ after noise control, or a matched partial live resource that
//     carries no attributes at all (a plan's UI stream names only the
//     address of a drifted resource);
//   - missing: a live resource marked Gone, or an applied resource that an
//     inventory's Coverage covers but which no inventory saw;
//   - unmanaged: a live resource of a covered type that matches no applied
//     resource of any stack.
//
// A stack's deposed objects (Stack.Deposed) match live resources by
// identity like applied ones, so they are never unmanaged; they are never
// missing and their attributes are not compared. Each stack holding some
// gets one warning naming them.
//
// Live resources carrying Stack and Address (plans) match by stack and
// address, others by canonical id, then by type and native id. A resource
// seen by several inventories yields one drift per kind, listing every
// source. When a plan's stack has no loaded state, the plan's Before values
// stand for the applied ones.
func Compare(stacks []collectors.Stack, inventories []collectors.Inventory, opts Options) Result {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	c := &comparer{
		opts:    opts,
		filters: map[filterKey]*filter{},
		byAddr:  map[stackAddr]int32{},
		loaded:  map[string]bool{},
		index:   map[driftKey]int{},
		stacks:  map[string]StackCounts{},
	}
	c.rules, c.warnings = compileRules(opts.Ignore, now())
	c.indexApplied(stacks)
	for i := range inventories {
		c.inventory(&inventories[i])
	}
	c.coverageMissing(inventories)
	return c.result()
}

func (c *comparer) warn(s string) { c.warnings = append(c.warnings, s) }

func (c *comparer) indexApplied(stacks []collectors.Stack) {
	n := 0
	for i := range stacks {
		n += len(stacks[i].Resources)
	}
	c.refs = make([]applied, 0, n)
	c.byID = make(map[string]int32, n)
	c.byNative = make(map[typeNative]int32, n)
	for si := range stacks {
		st := &stacks[si]
		c.loaded[st.Name] = true
		sc := c.stacks[st.Name]
		sc.Resources += len(st.Resources)
		c.stacks[st.Name] = sc
		for ri := range st.Resources {
			c.addApplied(&st.Resources[ri], st.Name, false)
		}
		// Deposed objects are indexed by identity only: the instance's
		// address names its current object.
		for di := range st.Deposed {
			c.addApplied(&st.Deposed[di].Resource, st.Name, true)
		}
		if len(st.Deposed) > 0 {
			sc := c.stacks[st.Name]
			sc.Deposed += len(st.Deposed)
			c.stacks[st.Name] = sc
			c.warn(deposedNote(st))
		}
	}
	c.nLoaded = len(c.refs)
}

// deposedNote tells the user about a stack's deposed objects: each is a
// destroy that a create_before_destroy replacement has not completed.
func deposedNote(st *collectors.Stack) string {
	const max = 5
	var b strings.Builder
	for i := range st.Deposed {
		if i == max {
			fmt.Fprintf(&b, " and %d more", len(st.Deposed)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		d := &st.Deposed[i]
		fmt.Fprintf(&b, "%s (deposed object %s", describe(&d.Resource), d.Key)
		if d.NativeID != "" {
			b.WriteString(", id " + d.NativeID)
		}
		b.WriteByte(')')
	}
	noun, it, is := "objects", "them", "they are"
	if len(st.Deposed) == 1 {
		noun, it, is = "object", "it", "it is"
	}
	return fmt.Sprintf("stack %s: %d deposed %s in state: %s; a create_before_destroy replacement has not destroyed %s yet (the destroy failed or was interrupted). "+
		"Terraform still manages %s and destroys %s on the next apply, so %s not reported as unmanaged, missing or changed",
		st.Name, len(st.Deposed), noun, b.String(), it, it, it, is)
}

func (c *comparer) addApplied(r *model.Resource, stack string, deposed bool) int32 {
	i := int32(len(c.refs))
	a := applied{res: r, stack: stack, deposed: deposed, next: -1, nextN: -1}
	if r.ID != "" {
		if h, ok := c.byID[r.ID]; ok {
			a.next = h
		}
		c.byID[r.ID] = i
	}
	if r.NativeID != "" {
		k := typeNative{r.Type, r.NativeID}
		if h, ok := c.byNative[k]; ok {
			a.nextN = h
		}
		c.byNative[k] = i
	}
	if r.Address != "" && c.byAddr != nil && !deposed {
		c.byAddr[stackAddr{stack, r.Address}] = i
	}
	c.refs = append(c.refs, a)
	return i
}

// indexAddresses builds the (stack, address) index on first use: only
// plans need it.
func (c *comparer) indexAddresses() {
	if c.byAddr != nil {
		return
	}
	c.byAddr = make(map[stackAddr]int32, len(c.refs))
	for i := range c.refs {
		if a := &c.refs[i]; a.res.Address != "" && !a.deposed {
			c.byAddr[stackAddr{a.stack, a.res.Address}] = int32(i)
		}
	}
}

// inventory processes every live resource of one inventory.
func (c *comparer) inventory(inv *collectors.Inventory) {
	for li := range inv.Resources {
		lr := &inv.Resources[li]
		live, err := lr.Attrs()
		if err != nil {
			c.warn(fmt.Sprintf("%s: %s: %v; attributes not compared", inv.Source, describe(&lr.Resource), err))
			live, lr = nil, withoutAttrs(lr)
		}
		matched := false
		// By stack and address (plans).
		if lr.Stack != "" && lr.Address != "" {
			c.indexAddresses()
			if ref, ok := c.byAddr[stackAddr{lr.Stack, lr.Address}]; ok {
				c.observe(inv, lr, live, ref)
				continue
			}
			if !c.loaded[lr.Stack] {
				c.fromPlan(inv, lr, live)
				continue
			}
		}
		// By canonical id, then by type and native id.
		if ref, ok := c.byID[lr.ID]; ok && lr.ID != "" {
			for ; ref >= 0; ref = c.refs[ref].next {
				c.observe(inv, lr, live, ref)
				matched = true
			}
		} else if ref, ok := c.byNative[typeNative{lr.Type, lr.NativeID}]; ok && lr.NativeID != "" {
			for ; ref >= 0; ref = c.refs[ref].nextN {
				c.observe(inv, lr, live, ref)
				matched = true
			}
		}
		if !matched && lr.Stack == "" && !lr.Gone {
			c.unmanaged(inv, lr, live)
		}
	}
}

func withoutAttrs(lr *collectors.LiveResource) *collectors.LiveResource {
	cp := *lr
	cp.Attributes, cp.RawAttributes, cp.Partial = nil, nil, true
	return &cp
}

// fromPlan handles a plan's resource whose stack has no loaded state: the
// plan's Before stands for the applied values.
func (c *comparer) fromPlan(inv *collectors.Inventory, lr *collectors.LiveResource, live map[string]any) {
	r := lr.Resource
	r.Attributes, r.RawAttributes = lr.Before, nil
	r.Sensitive = lr.BeforeSensitive
	r.Source = ""
	ref := c.addApplied(&r, lr.Stack, false)
	sc := c.stacks[lr.Stack]
	sc.Resources++
	c.stacks[lr.Stack] = sc
	if lr.Before == nil && !lr.Gone && len(live) > 0 {
		c.warn(fmt.Sprintf("%s: %s: no state loaded for stack %q and no prior values in the plan; attributes not compared", inv.Source, describe(&lr.Resource), lr.Stack))
		c.refs[ref].seen = true
		return
	}
	c.observe(inv, lr, live, ref)
}

// observe handles a live resource matched to applied resource ref.
func (c *comparer) observe(inv *collectors.Inventory, lr *collectors.LiveResource, live map[string]any, ref int32) {
	a := &c.refs[ref]
	if a.deposed {
		// Known to its state and due for destruction: present, it is not
		// unmanaged (the caller saw it matched); gone, it is not missing;
		// its attributes are what was set aside, not what should run.
		return
	}
	if lr.Gone {
		c.add(model.DriftMissing, ref, "", a.res, nil, inv.Source, nil)
		return
	}
	a.seen = true
	rs := c.rulesFor(a.res)
	if rs.whole {
		c.add(model.DriftChanged, ref, "", a.res, nil, inv.Source, &rs)
		return
	}
	if lr.Partial && len(live) == 0 {
		c.add(model.DriftChanged, ref, "", a.res, nil, inv.Source, nil)
		return
	}
	if lr.Type != a.res.Type {
		// Another type system (an unmapped inventory type): presence only.
		return
	}
	appliedAttrs, err := a.res.Attrs()
	if err != nil {
		c.warn(fmt.Sprintf("stack %s: %s: %v; attributes not compared", a.stack, describe(a.res), err))
		return
	}
	sch := c.opts.Schemas.resource(a.res.Type)
	f := c.filterFor(a.res.Type, rs)
	sens := sensitivePaths{a.res.Sensitive, lr.Sensitive, lr.BeforeSensitive}
	if diffs := diffAttrs(appliedAttrs, live, lr.Partial, sch, f, sens); len(diffs) > 0 {
		c.add(model.DriftChanged, ref, "", a.res, diffs, inv.Source, nil)
	}
}

// unmanaged handles a live resource that matches no applied resource.
func (c *comparer) unmanaged(inv *collectors.Inventory, lr *collectors.LiveResource, live map[string]any) {
	if !c.opts.Unmanaged || !inv.Coverage.Covers(lr.Type, lr.Account, lr.Region) {
		return
	}
	for _, g := range c.opts.UnmanagedIgnoreTypes {
		if globMatch(g, lr.Type) {
			return
		}
	}
	if def := providerDefaults[lr.Type]; def != nil && !c.opts.IncludeDefaultResources && def(&lr.Resource, live) {
		return
	}
	id := lr.ID
	if id == "" {
		id = model.CanonicalID(lr.Provider, lr.Type, lr.NativeID)
	}
	rs := c.rulesFor(&lr.Resource)
	var ign *ruleSet
	if rs.whole {
		ign = &rs
	}
	c.add(model.DriftUnmanaged, -1, id, &lr.Resource, nil, inv.Source, ign)
}

// coverageMissing reports applied resources that a covering inventory
// should have listed but no inventory saw. Requiring that no inventory saw
// it keeps one lagging inventory from reporting a resource another sees.
func (c *comparer) coverageMissing(inventories []collectors.Inventory) {
	for i := 0; i < c.nLoaded; i++ {
		a := &c.refs[i]
		if a.seen || a.deposed {
			continue
		}
		for j := range inventories {
			inv := &inventories[j]
			if inv.Coverage.Covers(a.res.Type, a.res.Account, a.res.Region) {
				rs := c.rulesFor(a.res)
				var ign *ruleSet
				if rs.whole {
					ign = &rs
				}
				c.add(model.DriftMissing, int32(i), "", a.res, nil, inv.Source, ign)
			}
		}
	}
}

// add records a drift, merging it with an earlier one of the same resource
// and kind. A non-nil ign means a whole-resource rule hides it.
func (c *comparer) add(kind model.DriftKind, ref int32, id string, r *model.Resource, diffs []model.Diff, source string, ign *ruleSet) {
	if ign == nil && kind != model.DriftChanged {
		// Changed drift has its rules looked up by the caller already.
		if rs := c.rulesFor(r); rs.whole {
			ign = &rs
		}
	}
	key := driftKey{kind: kind, ref: ref, id: id}
	i, seen := c.index[key]
	if ign != nil {
		if !seen {
			c.index[key] = -1
			c.ignored++
			if ref >= 0 {
				st := c.refs[ref].stack
				sc := c.stacks[st]
				sc.Ignored++
				c.stacks[st] = sc
			}
		}
		return
	}
	if seen {
		if i < 0 {
			return
		}
		d := &c.drifts[i]
		d.Sources = appendUnique(d.Sources, source)
		d.Diffs = mergeDiffs(d.Diffs, diffs)
		return
	}
	c.index[key] = len(c.drifts)
	dr := model.Drift{Kind: kind, Resource: identity(r, sensitivePaths{r.Sensitive}), Diffs: diffs, Sources: []string{source}}
	if ref >= 0 {
		dr.Resource.Stack = c.refs[ref].stack
	}
	c.drifts = append(c.drifts, dr)
}

// identity copies what a drift may carry of a resource: never attributes.
func identity(r *model.Resource, sens sensitivePaths) model.Resource {
	return model.Resource{
		ID: r.ID, Type: r.Type, Provider: r.Provider, NativeID: r.NativeID,
		Address: r.Address, Stack: r.Stack, Account: r.Account, Region: r.Region,
		Tags: redactTags(r.Tags, sens), Source: r.Source,
	}
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// mergeDiffs adds the diffs of another source for paths not reported yet.
func mergeDiffs(have, more []model.Diff) []model.Diff {
	if len(more) == 0 {
		return have
	}
	added := false
next:
	for _, m := range more {
		for _, h := range have {
			if h.Path == m.Path {
				continue next
			}
		}
		have = append(have, m)
		added = true
	}
	if added {
		sort.Slice(have, func(i, j int) bool { return have[i].Path < have[j].Path })
	}
	return have
}

func (c *comparer) result() Result {
	for i := range c.refs {
		if c.refs[i].seen && !c.refs[i].deposed {
			sc := c.stacks[c.refs[i].stack]
			sc.Observed++
			c.stacks[c.refs[i].stack] = sc
		}
	}
	res := Result{Stacks: c.stacks, Ignored: c.ignored, Drifts: c.drifts}
	for _, d := range c.drifts {
		switch d.Kind {
		case model.DriftUnmanaged:
			res.Unmanaged++
		case model.DriftChanged, model.DriftMissing:
			sc := c.stacks[d.Resource.Stack]
			if d.Kind == model.DriftChanged {
				sc.Changed++
			} else {
				sc.Missing++
			}
			c.stacks[d.Resource.Stack] = sc
		}
	}
	slices.SortFunc(res.Drifts, func(x, y model.Drift) int {
		a, b := &x.Resource, &y.Resource
		return cmp.Or(strings.Compare(a.Stack, b.Stack), strings.Compare(a.Address, b.Address),
			strings.Compare(a.ID, b.ID), strings.Compare(string(x.Kind), string(y.Kind)))
	})
	for _, r := range c.rules {
		if r.hits == 0 && c.nLoaded > 0 {
			c.warn(ruleName(r.n, r.IgnoreRule) + " matched no resource")
		}
	}
	res.Warnings = c.warnings
	return res
}

func describe(r *model.Resource) string {
	switch {
	case r.Address != "":
		return r.Address
	case r.ID != "":
		return r.ID
	}
	return r.Type + " " + r.NativeID
}
