package report

import (
	"slices"
	"strings"

	"github.com/driftwarden/driftwarden/store"
)

// auditScope is what the window's cycles audited, as far as deciding
// whether a policy had anything to look at.
type auditScope struct {
	// types are the resource types some cycle evaluated at least one of.
	types map[string]bool
	// unknown is set when some cycle did not record what it audited (it
	// predates the record): resource types cannot be ruled out.
	unknown bool
	// eventsRan and eventsOK: an audit-event source (kind "events") ran
	// in some cycle; succeeded in some cycle.
	eventsRan, eventsOK bool
}

func scopeOf(cycles []store.Cycle) auditScope {
	sc := auditScope{types: map[string]bool{}}
	for _, c := range cycles {
		if c.Audited == nil {
			sc.unknown = true
		} else {
			for t, n := range c.Audited.Types {
				if n > 0 {
					sc.types[t] = true
				}
			}
		}
		for _, s := range c.Sources {
			if s.Kind == "events" {
				sc.eventsRan = true
				sc.eventsOK = sc.eventsOK || s.OK
			}
		}
	}
	return sc
}

// Policy applicability.
const (
	applicable    = iota // something in its scope was audited
	notApplicable        // nothing in its scope existed to audit
	notAssessed          // its only inputs failed
)

// applicability says whether an enabled policy had anything to look at in
// the window:
//
//   - event policies need an audit-event source: applicable when one
//     succeeded in some cycle, not assessed when the configured ones all
//     failed, not applicable when none ran;
//   - resource and drift policies with resource_types are applicable when
//     some cycle evaluated a resource of one of those types, or when some
//     cycle did not record what it audited (pass as before); otherwise not
//     applicable, and missing lists their types;
//   - every other policy (plan policies, policies for all resource types)
//     is applicable whenever cycles ran.
func applicability(p Policy, sc auditScope) (a int, missing []string) {
	switch p.Input {
	case "event":
		switch {
		case sc.eventsOK:
			return applicable, nil
		case sc.eventsRan:
			return notAssessed, nil
		}
		return notApplicable, nil
	case "", "resource", "drift":
		if len(p.ResourceTypes) == 0 || sc.unknown {
			return applicable, nil
		}
		for _, t := range p.ResourceTypes {
			if sc.types[t] {
				return applicable, nil
			}
		}
		return notApplicable, p.ResourceTypes
	}
	return applicable, nil
}

// controlApplicability combines the enabled policies mapped to a control:
// applicable when any is; else not assessed when any could not be
// assessed; else not applicable. The reason says what was missing.
func controlApplicability(ps []Policy, sc auditScope) (int, string) {
	var (
		types            []string
		noEvents, failed bool
	)
	for _, p := range ps {
		a, missing := applicability(p, sc)
		switch {
		case a == applicable:
			return applicable, ""
		case a == notAssessed:
			failed = true
		case len(missing) == 0:
			noEvents = true
		}
		for _, t := range missing {
			if !slices.Contains(types, t) {
				types = append(types, t)
			}
		}
	}
	if failed {
		return notAssessed, "its audit events could not be read: no audit-event source succeeded in the window"
	}
	var what []string
	if len(types) > 0 {
		what = append(what, "no resource of type "+strings.Join(types, ", ")+" was audited")
	}
	if noEvents {
		what = append(what, "no audit-event source was audited")
	}
	return notApplicable, "nothing in scope: " + strings.Join(what, " and ") + " in the window"
}
