// Package waivers matches findings against compliance exceptions: a
// selector (policy, resource pattern, stack, team, kind), a reason, an
// approver and an expiry. A waived finding stays recorded with state waived,
// raises no alert and no violation gauge, and reopens with an alert when its
// waiver expires.
package waivers

import (
	"strings"
	"time"

	"github.com/driftwarden/driftwarden/model"
)

// Waiver is one exception, as reports show it.
type Waiver struct {
	// Selector is the selector in text form (policy=... resource=...).
	Selector string    `json:"selector"`
	PolicyID string    `json:"policy_id,omitempty"`
	Resource string    `json:"resource,omitempty"` // glob on the resource id or the Terraform address
	Stack    string    `json:"stack,omitempty"`
	Team     string    `json:"team,omitempty"`
	Kind     string    `json:"kind,omitempty"`
	Reason   string    `json:"reason"`
	Approver string    `json:"approver"`
	Expires  time.Time `json:"expires"`
	// Origin is "config", a waivers file path, or "slack" for snoozes.
	Origin string `json:"origin,omitempty"`
	// Fingerprint restricts the waiver to one finding (snoozes).
	Fingerprint string `json:"fingerprint,omitempty"`
}

// Text renders the selector.
func (w Waiver) Text() string {
	var parts []string
	for _, kv := range [][2]string{{"fingerprint", w.Fingerprint}, {"policy", w.PolicyID}, {"resource", w.Resource},
		{"stack", w.Stack}, {"team", w.Team}, {"kind", w.Kind}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	if len(parts) == 0 {
		return "(everything)"
	}
	return strings.Join(parts, " ")
}

// Matches reports whether w covers f at time t (an expired waiver covers nothing).
func (w Waiver) Matches(f model.Finding, t time.Time) bool {
	if !w.Expires.IsZero() && !t.Before(w.Expires) {
		return false
	}
	return (w.Fingerprint == "" || w.Fingerprint == f.Fingerprint) &&
		(w.PolicyID == "" || glob(w.PolicyID, f.PolicyID)) &&
		(w.Resource == "" || glob(w.Resource, f.ResourceID) || (f.Address != "" && glob(w.Resource, f.Address))) &&
		(w.Stack == "" || glob(w.Stack, f.Stack)) &&
		(w.Team == "" || w.Team == f.Team) &&
		(w.Kind == "" || w.Kind == string(f.Kind))
}

// glob matches with path.Match where `*` also crosses `/` and `.` (resource
// ids are ARNs and URLs): the pattern is matched against the whole value.
func glob(pattern, s string) bool {
	if pattern == s || pattern == "*" {
		return true
	}
	return wildcard(pattern, s)
}

// wildcard: `*` any run of characters, `?` one character, no classes.
func wildcard(p, s string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			if p == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if wildcard(p, s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			p, s = p[1:], s[1:]
		default:
			if s == "" || p[0] != s[0] {
				return false
			}
			p, s = p[1:], s[1:]
		}
	}
	return s == ""
}

// Set is the waivers in force.
type Set struct {
	list []Waiver
}

// New returns a set of waivers.
func New(ws []Waiver) *Set {
	out := make([]Waiver, len(ws))
	copy(out, ws)
	for i := range out {
		out[i].Selector = out[i].Text()
	}
	return &Set{list: out}
}

// Waivers returns every waiver (expired ones included), for reports.
func (s *Set) Waivers() []Waiver {
	if s == nil {
		return nil
	}
	return append([]Waiver(nil), s.list...)
}

// Match returns the first waiver covering f at t.
func (s *Set) Match(f model.Finding, t time.Time) (Waiver, bool) {
	if s == nil {
		return Waiver{}, false
	}
	for _, w := range s.list {
		if w.Matches(f, t) {
			return w, true
		}
	}
	return Waiver{}, false
}

// Func returns a matcher for store.CycleRecord.Waive at time t.
func (s *Set) Func(t time.Time) func(model.Finding) bool {
	// Never nil: an empty set still tells the store that waivers are
	// managed, so findings whose waiver was removed or expired reopen.
	return func(f model.Finding) bool {
		_, ok := s.Match(f, t)
		return ok
	}
}
