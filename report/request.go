package report

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/driftwarden/driftwarden/config"
	"github.com/driftwarden/driftwarden/evaluator"
)

// Request says what to report on. Build it with ParseRequest.
type Request struct {
	// Mode is "period" or "as_of".
	Mode string
	From time.Time
	To   time.Time
	// Period is the requested length (30d) when given that way.
	Period     string
	Stacks     []string
	Teams      []string
	Frameworks []string
}

// Modes of a request.
const (
	ModePeriod = "period"
	ModeAsOf   = "as_of"
)

// DefaultPeriod is used when neither a period, a range nor a point in time is given.
const DefaultPeriod = "30d"

// ParamError is a bad request parameter; Param names it as the user wrote
// it (period, from, to, as_of, framework).
type ParamError struct {
	Param string
	Msg   string
}

func (e *ParamError) Error() string { return e.Param + ": " + e.Msg }

// RawRequest is a request as the CLI flags or the HTTP query carry it.
type RawRequest struct {
	Period, From, To, AsOf    string
	Stacks, Teams, Frameworks []string
}

// ParseRequest checks and resolves a raw request against now: a period
// (30d) ending now, a from/to range (RFC 3339), or a point in time; at
// most one of the three. With none, the last DefaultPeriod.
func ParseRequest(raw RawRequest, now time.Time) (Request, error) {
	now = now.UTC()
	r := Request{Stacks: clean(raw.Stacks), Teams: clean(raw.Teams), Frameworks: clean(raw.Frameworks)}
	ranged := raw.From != "" || raw.To != ""
	given := 0
	for _, b := range []bool{raw.Period != "", ranged, raw.AsOf != ""} {
		if b {
			given++
		}
	}
	if given > 1 {
		p := "period"
		if raw.Period == "" {
			p = "as_of"
		}
		return r, &ParamError{p, "give one of a period, a from/to range or an as-of time"}
	}
	switch {
	case raw.AsOf != "":
		t, err := parseTime("as_of", raw.AsOf)
		if err != nil {
			return r, err
		}
		if t.After(now) {
			return r, &ParamError{"as_of", fmt.Sprintf("%s is in the future", raw.AsOf)}
		}
		r.Mode, r.From, r.To = ModeAsOf, t, t
	case ranged:
		if raw.From == "" || raw.To == "" {
			p := "from"
			if raw.To == "" {
				p = "to"
			}
			return r, &ParamError{p, "a range needs both from and to"}
		}
		from, err := parseTime("from", raw.From)
		if err != nil {
			return r, err
		}
		to, err := parseTime("to", raw.To)
		if err != nil {
			return r, err
		}
		if !to.After(from) {
			return r, &ParamError{"to", "must be after from"}
		}
		r.Mode, r.From, r.To = ModePeriod, from, to
	default:
		p := raw.Period
		if p == "" {
			p = DefaultPeriod
		}
		d, err := config.ParseDuration(p)
		if err != nil || d <= 0 {
			return r, &ParamError{"period", fmt.Sprintf("invalid length %q (e.g. 30d, 12h, 90d)", p)}
		}
		r.Mode, r.Period, r.From, r.To = ModePeriod, p, now.Add(-d), now
	}
	return r, nil
}

func parseTime(param, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		if d, derr := time.Parse("2006-01-02", s); derr == nil {
			return d.UTC(), nil
		}
		return time.Time{}, &ParamError{param, fmt.Sprintf("invalid time %q (RFC 3339, e.g. 2026-03-01T00:00:00Z, or a date)", s)}
	}
	return t.UTC(), nil
}

// clean splits comma-separated values, trims and de-duplicates them.
func clean(vs []string) []string {
	out := []string{}
	for _, v := range vs {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// FromEvaluator converts the evaluator's policy list.
func FromEvaluator(infos []evaluator.PolicyInfo) []Policy {
	out := make([]Policy, 0, len(infos))
	for _, p := range infos {
		out = append(out, Policy{ID: p.ID, Title: p.Title, Controls: p.Controls, Disabled: p.Disabled,
			Input: string(p.Input), ResourceTypes: p.ResourceTypes})
	}
	return out
}

// FrameworkOf is the framework of a control id: the part before the colon
// (CIS-AWS-2.0 of CIS-AWS-2.0:5.2).
func FrameworkOf(control string) string {
	if i := strings.IndexByte(control, ':'); i >= 0 {
		return control[:i]
	}
	return control
}

// matchFramework reports whether the framework fw is selected by want: the
// same name, or a family prefix ending at a dash (CIS selects CIS-AWS-2.0
// and CIS-GCP-2.0, PCI-DSS selects PCI-DSS-4.0), case-insensitively.
func matchFramework(fw, want string) bool {
	f, w := strings.ToLower(fw), strings.ToLower(want)
	return f == w || strings.HasPrefix(f, w+"-")
}

// checkFrameworks returns an error naming the first requested framework
// that selects none of the known ones, and listing the known ones.
func checkFrameworks(want, known []string) error {
	for _, w := range want {
		ok := false
		for _, k := range known {
			ok = ok || matchFramework(k, w)
		}
		if !ok {
			list := "none: no loaded policy maps to a control"
			if len(known) > 0 {
				list = strings.Join(known, ", ")
			}
			return &ParamError{"framework", fmt.Sprintf("unknown framework %q (known: %s; a family prefix such as CIS selects every CIS benchmark)", w, list)}
		}
	}
	return nil
}
