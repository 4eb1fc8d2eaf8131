// Package api serves driftwarden's HTTP API (JSON) beside /metrics:
// findings with filters and paging, one finding with its history and
// evidence, cycles, sources' status and audit reports. Every route needs a
// bearer token; without a configured token the API answers 403 and says
// how to enable it. docs/openapi.yaml documents every route.
package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/report"
	"github.com/driftwarden/driftwarden/store"
)

// Store is what the API reads (the store's SQL implementation).
type Store interface {
	FindingsPage(ctx context.Context, q store.FindingQuery) ([]model.Finding, error)
	Finding(ctx context.Context, fingerprint string) (model.Finding, []store.HistoryEntry, error)
	Cycles(ctx context.Context, limit int) ([]store.Cycle, error)
	Sources(ctx context.Context) ([]store.SourceStatus, error)
	report.History
}

// Limits of the API.
const (
	DefaultLimit  = 100
	MaxLimit      = 1000
	MaxBodyBytes  = 1 << 20
	MaxConcurrent = 8
)

// Options configure the API.
type Options struct {
	Store Store
	// Token is the bearer token; empty disables the API (403 on every route).
	Token string
	// Policies returns the loaded policies (for reports' controls).
	Policies func() []report.Policy
	// Waivers returns the waivers that exist; nil means none.
	Waivers   func(ctx context.Context) ([]report.Waiver, error)
	Retention time.Duration
	Generator string
	Logger    *slog.Logger
	Now       func() time.Time
	// MaxConcurrent bounds requests served at once (0: MaxConcurrent);
	// beyond it requests get 503 with Retry-After.
	MaxConcurrent int
}

// API is the HTTP API.
type API struct {
	o     Options
	token [32]byte
	sem   chan struct{}
}

// New builds the API.
func New(o Options) *API {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Policies == nil {
		o.Policies = func() []report.Policy { return nil }
	}
	n := o.MaxConcurrent
	if n <= 0 {
		n = MaxConcurrent
	}
	a := &API{o: o, sem: make(chan struct{}, n)}
	a.token = sha256.Sum256([]byte(o.Token))
	return a
}

// Route is one registered route.
type Route struct {
	Method, Path string
	handler      func(*API, http.ResponseWriter, *http.Request)
}

// Routes lists every route the API registers (the OpenAPI test reads it).
var Routes = []Route{
	{"GET", "/api/v1/findings", (*API).findings},
	{"GET", "/api/v1/findings/{fingerprint}", (*API).finding},
	{"GET", "/api/v1/cycles", (*API).cycles},
	{"GET", "/api/v1/sources", (*API).sources},
	{"GET", "/api/v1/reports", (*API).report},
}

// Register adds every route to mux, behind the limits and authentication.
func (a *API) Register(mux *http.ServeMux) {
	for _, r := range Routes {
		h := r.handler
		mux.Handle(r.Method+" "+r.Path, a.guard(func(w http.ResponseWriter, req *http.Request) { h(a, w, req) }))
	}
	// Anything else under /api/ is a JSON 404, not the mux's text page.
	mux.Handle("/api/", a.guard(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "", fmt.Sprintf("no such endpoint: %s %s (see docs/openapi.yaml)", r.Method, r.URL.Path))
	}))
}

// guard applies the concurrency limit, the body limit and authentication.
func (a *API) guard(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case a.sem <- struct{}{}:
			defer func() { <-a.sem }()
		default:
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusServiceUnavailable, "", "too many concurrent API requests; retry shortly")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		if a.o.Token == "" {
			writeError(w, http.StatusForbidden, "", "the API is disabled: no token is configured (set server.api_token_env or server.api_token_file)")
			return
		}
		auth := r.Header.Get("Authorization")
		scheme, tok, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="driftwarden"`)
			writeError(w, http.StatusUnauthorized, "", "missing bearer token (Authorization: Bearer TOKEN)")
			return
		}
		got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
		if subtle.ConstantTimeCompare(got[:], a.token[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="driftwarden", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "", "invalid bearer token")
			return
		}
		next(w, r)
	})
}

type apiError struct {
	Error     string `json:"error"`
	Parameter string `json:"parameter,omitempty"`
}

func writeError(w http.ResponseWriter, code int, param, msg string) {
	writeJSON(w, code, apiError{Error: msg, Parameter: param})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// internal logs a store error and answers 500 without its details.
func (a *API) internal(w http.ResponseWriter, r *http.Request, err error) {
	a.o.Logger.Error("API request failed", "path", r.URL.Path, "error", err)
	writeError(w, http.StatusInternalServerError, "", "internal error reading the store; see the daemon's log")
}

// values collects a repeatable, comma-separated query parameter.
func values(r *http.Request, name string) []string {
	var out []string
	for _, v := range r.URL.Query()[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// intParam parses an integer parameter within [lo, hi]; def when absent.
func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		if _, present := r.URL.Query()[name]; present {
			return 0, &report.ParamError{Param: name, Msg: "empty value"}
		}
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, &report.ParamError{Param: name, Msg: fmt.Sprintf("must be an integer from %d to %d, not %q", lo, hi, s)}
	}
	return n, nil
}

func badParam(w http.ResponseWriter, err error) bool {
	var pe *report.ParamError
	if errors.As(err, &pe) {
		writeError(w, http.StatusBadRequest, pe.Param, pe.Error())
		return true
	}
	return false
}

// FindingsPage is the body of GET /api/v1/findings.
type FindingsPage struct {
	Findings []model.Finding `json:"findings"`
	Limit    int             `json:"limit"`
	// NextCursor continues the listing; empty on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

func (a *API) findings(w http.ResponseWriter, r *http.Request) {
	q, err := findingQuery(r)
	if err != nil {
		badParam(w, err)
		return
	}
	limit := q.Limit
	q.Limit++ // one more tells whether there is a next page
	fs, err := a.o.Store.FindingsPage(r.Context(), q)
	if errors.Is(err, store.ErrBadCursor) {
		writeError(w, http.StatusBadRequest, "cursor", "cursor: invalid (use next_cursor from a previous page)")
		return
	}
	if err != nil {
		a.internal(w, r, err)
		return
	}
	page := FindingsPage{Findings: []model.Finding{}, Limit: limit}
	if len(fs) > limit {
		fs = fs[:limit]
		page.NextCursor = store.Cursor(fs[len(fs)-1])
	}
	for _, f := range fs {
		page.Findings = append(page.Findings, publicFinding(f))
	}
	writeJSON(w, http.StatusOK, page)
}

func findingQuery(r *http.Request) (store.FindingQuery, error) {
	var q store.FindingQuery
	known := map[string]bool{"state": true, "kind": true, "severity": true, "stack": true, "team": true, "policy": true, "limit": true, "cursor": true, "offset": true}
	for k := range r.URL.Query() {
		if !known[k] {
			return q, &report.ParamError{Param: k, Msg: "unknown parameter (state, kind, severity, stack, team, policy, limit, cursor, offset)"}
		}
	}
	for _, s := range values(r, "state") {
		st := model.FindingState(s)
		if st != model.StateOpen && st != model.StateResolved && st != model.StateWaived {
			return q, &report.ParamError{Param: "state", Msg: fmt.Sprintf("unknown state %q (open, resolved, waived)", s)}
		}
		q.States = append(q.States, st)
	}
	for _, k := range values(r, "kind") {
		ok := false
		for _, known := range model.FindingKinds {
			ok = ok || string(known) == k
		}
		if !ok {
			return q, &report.ParamError{Param: "kind", Msg: fmt.Sprintf("unknown kind %q", k)}
		}
		q.Kinds = append(q.Kinds, model.FindingKind(k))
	}
	for _, s := range values(r, "severity") {
		sv, ok := model.ParseSeverity(s)
		if !ok {
			return q, &report.ParamError{Param: "severity", Msg: fmt.Sprintf("unknown severity %q (critical, high, medium, low, info)", s)}
		}
		q.Severities = append(q.Severities, sv)
	}
	q.Stacks, q.Teams, q.PolicyIDs = values(r, "stack"), values(r, "team"), values(r, "policy")
	var err error
	if q.Limit, err = intParam(r, "limit", DefaultLimit, 1, MaxLimit); err != nil {
		return q, err
	}
	if q.Offset, err = intParam(r, "offset", 0, 0, 1<<31-1); err != nil {
		return q, err
	}
	if _, has := r.URL.Query()["cursor"]; has {
		q.After = r.URL.Query().Get("cursor")
		if q.After == "" {
			return q, &report.ParamError{Param: "cursor", Msg: "empty value"}
		}
		if q.Offset > 0 {
			return q, &report.ParamError{Param: "offset", Msg: "give a cursor or an offset, not both"}
		}
	}
	return q, nil
}

// publicFinding drops the raw audit records from evidence: they are the
// provider's original bytes, not redacted like the rest.
func publicFinding(f model.Finding) model.Finding {
	if len(f.Evidence.Events) > 0 {
		evs := make([]model.Event, len(f.Evidence.Events))
		for i, e := range f.Evidence.Events {
			e.Raw = nil
			evs[i] = e
		}
		f.Evidence.Events = evs
	}
	return f
}

// FindingDetail is the body of GET /api/v1/findings/{fingerprint}.
type FindingDetail struct {
	Finding model.Finding        `json:"finding"`
	History []store.HistoryEntry `json:"history"`
}

func (a *API) finding(w http.ResponseWriter, r *http.Request) {
	fp := r.PathValue("fingerprint")
	f, hist, err := a.o.Store.Finding(r.Context(), fp)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "fingerprint", fmt.Sprintf("no finding with fingerprint %q", fp))
		return
	}
	if err != nil {
		a.internal(w, r, err)
		return
	}
	if hist == nil {
		hist = []store.HistoryEntry{}
	}
	writeJSON(w, http.StatusOK, FindingDetail{Finding: publicFinding(f), History: hist})
}

func (a *API) cycles(w http.ResponseWriter, r *http.Request) {
	limit, err := intParam(r, "limit", DefaultLimit, 1, MaxLimit)
	if err != nil {
		badParam(w, err)
		return
	}
	cs, err := a.o.Store.Cycles(r.Context(), limit)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	if cs == nil {
		cs = []store.Cycle{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"cycles": cs})
}

func (a *API) sources(w http.ResponseWriter, r *http.Request) {
	ss, err := a.o.Store.Sources(r.Context())
	if err != nil {
		a.internal(w, r, err)
		return
	}
	if ss == nil {
		ss = []store.SourceStatus{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"sources": ss})
}

func (a *API) report(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	known := map[string]bool{"period": true, "from": true, "to": true, "as_of": true, "stack": true, "team": true, "framework": true, "format": true}
	for k := range q {
		if !known[k] {
			writeError(w, http.StatusBadRequest, k, k+": unknown parameter (period, from, to, as_of, stack, team, framework, format)")
			return
		}
	}
	format := q.Get("format")
	if format == "" {
		format = report.FormatJSON
	}
	if _, ok := report.ContentTypes[format]; !ok {
		writeError(w, http.StatusBadRequest, "format", fmt.Sprintf("format: unknown format %q (%s)", format, strings.Join(report.Formats, ", ")))
		return
	}
	req, err := report.ParseRequest(report.RawRequest{
		Period: q.Get("period"), From: q.Get("from"), To: q.Get("to"), AsOf: q.Get("as_of"),
		Stacks: values(r, "stack"), Teams: values(r, "team"), Frameworks: values(r, "framework"),
	}, a.o.Now())
	if err != nil {
		badParam(w, err)
		return
	}
	var waivers []report.Waiver
	if a.o.Waivers != nil {
		if waivers, err = a.o.Waivers(r.Context()); err != nil {
			a.internal(w, r, err)
			return
		}
	}
	rep, err := report.Build(r.Context(), a.o.Store, req, report.Options{
		Policies: a.o.Policies(), Waivers: waivers, Retention: a.o.Retention, Generator: a.o.Generator, Now: a.o.Now,
	})
	if err != nil {
		if !badParam(w, err) {
			a.internal(w, r, err)
		}
		return
	}
	out, err := report.Render(rep, format)
	if err != nil {
		a.internal(w, r, err)
		return
	}
	ext := map[string]string{report.FormatJSON: "json", report.FormatCSV: "csv", report.FormatMarkdown: "md", report.FormatHTML: "html"}[format]
	w.Header().Set("Content-Type", report.ContentTypes[format])
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="driftwarden-report-%s.%s"`, rep.Parameters.To.Format("20060102T150405Z"), ext))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if format == report.FormatHTML {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	}
	_, _ = w.Write(out)
}
