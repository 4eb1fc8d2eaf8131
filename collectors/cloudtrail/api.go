package cloudtrail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"golang.org/x/time/rate"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/internal/awsclient"
	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

// LookupAPI is the part of the CloudTrail client the API source uses.
type LookupAPI interface {
	LookupEvents(ctx context.Context, in *cloudtrail.LookupEventsInput, opts ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error)
}

// Defaults of APIConfig.
const (
	// DefaultAPIRateLimit is CloudTrail's documented LookupEvents limit:
	// 2 requests per second per account and region.
	DefaultAPIRateLimit = 2.0
	DefaultAPIOverlap   = 5 * time.Minute
	// DefaultAPIInitialLookback is how far back the first cycle reads.
	DefaultAPIInitialLookback = time.Hour
	// DefaultAPIMaxAge is how far back LookupEvents reaches (90 days).
	DefaultAPIMaxAge = 90 * 24 * time.Hour
	// lookupPageSize is LookupEvents' maximum MaxResults.
	lookupPageSize = 50
	// defaultAccountLabel names the default chain's account when no
	// account is configured (checkpoint keys, messages).
	defaultAccountLabel = "default"
)

// APIConfig configures a LookupEvents source.
type APIConfig struct {
	// Accounts are read with a role assumed per account (RoleARNTemplate).
	// Without a template at most one account is meaningful: the default
	// credential chain's, and the entry only labels it; empty means the
	// default chain's account, labelled "default".
	Accounts []string
	// Regions are queried one by one (LookupEvents is regional); at least one.
	Regions []string
	// RoleARNTemplate is the role assumed in every account, "{account}"
	// replaced by the account id (arn:aws:iam::{account}:role/driftwarden-audit).
	// Empty: the default chain's credentials are used as they are.
	RoleARNTemplate string
	// ExternalID is sent with AssumeRole; a secret-like value, never logged.
	ExternalID string
	// SessionName names the assumed-role sessions (default "driftwarden").
	SessionName string
	// IncludeReadOnly reads read-only events too (default: write events
	// only, filtered by the API with the ReadOnly=false lookup attribute).
	IncludeReadOnly bool
	// Overlap is how far before the checkpoint each cycle starts again, to
	// catch events CloudTrail makes visible late (default 5m). Events seen
	// in the overlap are recognised by id and not returned twice.
	Overlap time.Duration
	// InitialLookback is how far back the first cycle reads (default 1h).
	InitialLookback time.Duration
	// RateLimit is LookupEvents requests per second per account and region
	// (default 2, CloudTrail's limit), a token bucket with a burst of 1
	// shared by retries.
	RateLimit float64
	// MaxAge is the oldest event LookupEvents can return (default 90 days):
	// a checkpoint older than that starts at now-MaxAge, with a warning.
	MaxAge time.Duration
	// MaxAttempts bounds attempts per page on throttling, 5xx and network
	// errors (default 5); BaseBackoff (default 500ms) doubles per attempt
	// up to MaxBackoff (default 20s), with jitter.
	MaxAttempts int
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// Concurrency is how many account x region pairs are read at once
	// (default 4); each pair has its own rate limit.
	Concurrency int
	// Endpoint replaces the CloudTrail endpoint and STSEndpoint the STS one
	// (tests, private endpoints).
	Endpoint    string
	STSEndpoint string
	// Region is where STS is called and the default chain is loaded (empty:
	// the chain's region, else us-east-1).
	Region string
	// Credentials replace the default credential chain as the base the
	// roles are assumed from (tests).
	Credentials aws.CredentialsProvider
	Logger      *slog.Logger
	// Throttled is called for every throttled response
	// (driftwarden_api_throttled_total{source}).
	Throttled func()
	// Ingested is called with the number of events returned by a cycle
	// (driftwarden_events_ingested_total{source}).
	Ingested func(n int)
	// ClientFor replaces how clients are built (tests).
	ClientFor func(account, region string) (LookupAPI, error)
	// Now replaces the clock (tests).
	Now func() time.Time
}

// APISource reads management events with CloudTrail's LookupEvents, for
// every configured account and region.
//
// Each account x region has its own checkpoint, the JSON
// {"time": T, "ids": [...]}: T is the end of the last window read
// completely, ids the events of that window at or after T-Overlap. A cycle
// reads from T-Overlap to now, every page, skips the events whose id is in
// ids, and returns the rest oldest first. Its checkpoint is returned only
// when every page was read; on a failure the account x region's events are
// dropped from the batch (they are read again next cycle, from the
// unchanged checkpoint), so nothing is lost and nothing is returned twice.
//
// Requests go through a token bucket per account x region (RateLimit, burst
// 1). Throttling, 5xx and network errors are retried per page (the same
// NextToken, so no page is read twice into the batch) with exponential
// backoff and jitter; the SDK's own retries are off so that every attempt
// goes through the bucket. Credentials rejected as expired or invalid are
// dropped and obtained anew (a new AssumeRole) once; rejected again, or
// impossible to obtain (the role's trust policy, STS disabled in the
// region), the account's remaining regions are skipped for the cycle with
// one error naming the account and role, and the next cycle tries again.
// A NextToken the service no longer accepts (InvalidNextTokenException)
// reads the window again from its first page, once.
type APISource struct {
	name string
	cfg  APIConfig
	log  *slog.Logger
	now  func() time.Time

	mu       sync.Mutex
	base     *aws.Config
	creds    map[string]aws.CredentialsProvider // per account
	clients  map[string]LookupAPI               // per account/region
	limiters map[string]*rate.Limiter           // per account/region
}

// NewAPISource builds a LookupEvents source.
func NewAPISource(name string, cfg APIConfig) (*APISource, error) {
	if len(cfg.Regions) == 0 {
		return nil, errors.New("cloudtrail api: at least one region is required")
	}
	if cfg.RoleARNTemplate != "" && len(cfg.Accounts) == 0 {
		return nil, errors.New("cloudtrail api: a role ARN template needs the accounts to assume it in")
	}
	if cfg.RoleARNTemplate == "" && len(cfg.Accounts) > 1 {
		return nil, errors.New("cloudtrail api: several accounts need a role ARN template (the default credentials reach one account)")
	}
	if cfg.RateLimit < 0 {
		return nil, errors.New("cloudtrail api: the rate limit must be positive")
	}
	if cfg.Overlap <= 0 {
		cfg.Overlap = DefaultAPIOverlap
	}
	if cfg.InitialLookback <= 0 {
		cfg.InitialLookback = DefaultAPIInitialLookback
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = DefaultAPIRateLimit
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultAPIMaxAge
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.BaseBackoff <= 0 {
		cfg.BaseBackoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 20 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	s := &APISource{name: name, cfg: cfg, log: cfg.Logger, now: cfg.Now,
		creds: map[string]aws.CredentialsProvider{}, clients: map[string]LookupAPI{}, limiters: map[string]*rate.Limiter{}}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Name is the configured source name.
func (s *APISource) Name() string { return s.name }

// apiCheckpoint is the stored value per account/region.
type apiCheckpoint struct {
	// Time is the end of the last window read completely.
	Time time.Time `json:"time"`
	// IDs are the events of that window at or after Time-Overlap: the part
	// the next cycle reads again.
	IDs []string `json:"ids,omitempty"`
}

// apiUnit is one account x region.
type apiUnit struct {
	account, region string // account "" is the default chain's
}

func (u apiUnit) label() string {
	if u.account == "" {
		return defaultAccountLabel
	}
	return u.account
}

func (u apiUnit) key() string { return "api:" + u.label() + "/" + u.region }

func (u apiUnit) location() string { return "account " + u.label() + " region " + u.region }

type unitResult struct {
	events     []model.Event
	checkpoint string
	errs       []error
}

// Events reads what is new since the checkpoints, every account x region.
func (s *APISource) Events(ctx context.Context, cp collectors.CheckpointReader) (collectors.EventBatch, []error) {
	batch := collectors.EventBatch{Source: s.name, Checkpoints: map[string]string{}}
	var units []apiUnit
	accounts := s.cfg.Accounts
	if len(accounts) == 0 {
		accounts = []string{""}
	}
	for _, a := range accounts {
		for _, r := range s.cfg.Regions {
			units = append(units, apiUnit{account: a, region: r})
		}
	}
	end := s.now().UTC()
	results := make([]unitResult, len(units))
	broken := &brokenAccounts{m: map[string]bool{}}
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < s.cfg.Concurrency && w < len(units); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i] = s.readUnit(ctx, cp, units[i], end, broken)
			}
		}()
	}
	for i := range units {
		work <- i
	}
	close(work)
	wg.Wait()

	var errs []error
	seen := map[string]bool{}
	for i, r := range results {
		errs = append(errs, r.errs...)
		if r.checkpoint != "" {
			batch.Checkpoints[units[i].key()] = r.checkpoint
		}
		for _, e := range r.events {
			if !seen[e.ID] {
				seen[e.ID] = true
				batch.Add(e)
			}
		}
	}
	sort.SliceStable(batch.Events, func(i, j int) bool {
		a, b := batch.Events[i], batch.Events[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		return a.ID < b.ID
	})
	if s.cfg.Ingested != nil && len(batch.Events) > 0 {
		s.cfg.Ingested(len(batch.Events))
	}
	return batch, errs
}

// brokenAccounts are the accounts whose credentials failed this cycle.
type brokenAccounts struct {
	mu sync.Mutex
	m  map[string]bool
}

func (b *brokenAccounts) is(a string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.m[a]
}

// mark reports whether a was not marked yet.
func (b *brokenAccounts) mark(a string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	first := !b.m[a]
	b.m[a] = true
	return first
}

// errAccountSkipped ends a unit whose account failed in another unit.
var errAccountSkipped = errors.New("account skipped")

// readUnit reads one account x region from its checkpoint to end.
func (s *APISource) readUnit(ctx context.Context, cp collectors.CheckpointReader, u apiUnit, end time.Time, broken *brokenAccounts) unitResult {
	fail := func(err error) unitResult {
		return unitResult{errs: []error{&collectors.InputError{Source: s.name, Location: u.location(), Err: err}}}
	}
	if broken.is(u.account) {
		return unitResult{}
	}
	var c apiCheckpoint
	if v, err := cp.Checkpoint(ctx, s.name, u.key()); err == nil {
		if err := json.Unmarshal([]byte(v), &c); err != nil {
			// Unreadable: start over as on the first run rather than stop.
			s.log.Warn("unreadable CloudTrail API checkpoint; reading from the initial lookback", "source", s.name,
				"account", u.label(), "region", u.region, "error", err)
			c = apiCheckpoint{}
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return fail(fmt.Errorf("reading checkpoint %s: %w", u.key(), err))
	}
	start := end.Add(-s.cfg.InitialLookback)
	if !c.Time.IsZero() {
		start = c.Time.Add(-s.cfg.Overlap)
	}
	if !start.Before(end) { // a checkpoint ahead of this clock
		start = end.Add(-s.cfg.Overlap)
	}
	if oldest := end.Add(-s.cfg.MaxAge); start.Before(oldest) {
		if !c.Time.IsZero() {
			s.log.Warn("CloudTrail API checkpoint older than LookupEvents reaches; events in between cannot be read",
				"source", s.name, "account", u.label(), "region", u.region, "checkpoint", c.Time, "oldest", oldest)
		}
		start = oldest
	}
	prev := make(map[string]bool, len(c.IDs))
	for _, id := range c.IDs {
		prev[id] = true
	}

	client, err := s.client(ctx, u)
	if err != nil {
		return fail(err)
	}
	in := &cloudtrail.LookupEventsInput{StartTime: aws.Time(start), EndTime: aws.Time(end), MaxResults: aws.Int32(lookupPageSize)}
	if !s.cfg.IncludeReadOnly {
		in.LookupAttributes = []types.LookupAttribute{{AttributeKey: types.LookupAttributeKeyReadOnly, AttributeValue: aws.String("false")}}
	}
	windowStart := end.Add(-s.cfg.Overlap)
	var res unitResult
	var window []string
	seen := map[string]bool{}
	bad := map[string]bool{} // API event ids of records reported unreadable
	tokens := map[string]bool{}
	opts := Options{IncludeReadOnly: s.cfg.IncludeReadOnly}
	restarted := false
	for page := 1; ; page++ {
		out, err := s.lookup(ctx, u, client, in, page, broken)
		if errors.Is(err, errAccountSkipped) {
			return unitResult{}
		}
		if err != nil && in.NextToken != nil && !restarted && awsclient.ErrorCode(err) == "InvalidNextTokenException" {
			// The token went stale (expired between pages, or the service
			// lost it): read the window again from its first page. Events
			// already read are recognised by id, so none is returned twice.
			restarted = true
			s.log.Warn("LookupEvents rejected its NextToken; reading the window again from the first page",
				"source", s.name, "account", u.label(), "region", u.region, "page", page)
			in.NextToken = nil
			clear(tokens)
			page = 0
			continue
		}
		if err != nil {
			return fail(fmt.Errorf("looking up events (page %d): %w", page, err))
		}
		for _, e := range out.Events {
			if id := aws.ToString(e.EventId); id != "" && (seen[id] || bad[id]) {
				continue // read already (pages read again after a restart)
			}
			ev, err := normalize([]byte(aws.ToString(e.CloudTrailEvent)), opts, rawAlias)
			if err == errSkipped {
				continue
			}
			if err != nil {
				// One bad record costs only itself: it would be just as bad
				// when read again, so the checkpoint still advances.
				res.errs = append(res.errs, &collectors.InputError{Source: s.name, Location: u.location(),
					Place: "event " + aws.ToString(e.EventId), Err: err})
				if id := aws.ToString(e.EventId); id != "" {
					bad[id] = true
				}
				continue
			}
			if id := aws.ToString(e.EventId); id != "" && strings.HasPrefix(ev.ID, "sha256:") {
				ev.ID = id // the record lacked its eventID: the API's names it
			}
			t := aws.ToTime(e.EventTime).UTC()
			if ev.Time.IsZero() {
				ev.Time = t
			}
			if t.IsZero() {
				t = ev.Time
			}
			if ev.Account == "" {
				ev.Account = u.account
			}
			if ev.Region == "" {
				ev.Region = u.region
			}
			if !t.Before(windowStart) && !seen[ev.ID] {
				window = append(window, ev.ID)
			}
			if seen[ev.ID] || prev[ev.ID] {
				seen[ev.ID] = true
				continue
			}
			seen[ev.ID] = true
			res.events = append(res.events, ev)
		}
		s.log.Debug("read a LookupEvents page", "source", s.name, "account", u.label(), "region", u.region,
			"page", page, "events", len(out.Events))
		next := aws.ToString(out.NextToken)
		if next == "" {
			break
		}
		if tokens[next] {
			return fail(fmt.Errorf("looking up events (page %d): the API returned a NextToken it had already returned", page))
		}
		tokens[next] = true
		in.NextToken = aws.String(next)
	}
	sort.Strings(window)
	v, err := json.Marshal(apiCheckpoint{Time: end, IDs: window})
	if err != nil {
		return fail(fmt.Errorf("encoding checkpoint: %w", err))
	}
	res.checkpoint = string(v)
	return res
}

var (
	retryables = retry.IsErrorRetryables(retry.DefaultRetryables)
	throttles  = retry.IsErrorThrottles(retry.DefaultThrottles)
)

// noSDKRetry turns the SDK's retries off: lookup retries itself, through
// the rate limiter.
func noSDKRetry(o *cloudtrail.Options) { o.Retryer = aws.NopRetryer{} }

// retryable reports errors worth another attempt: throttling, 5xx,
// connection errors and a response cut short (LookupEvents is a read).
func retryable(err error) bool {
	return retryables.IsErrorRetryable(err) == aws.TrueTernary || awsclient.IsTruncated(err)
}

// lookup calls LookupEvents for one page, retrying throttling, 5xx and
// network errors with backoff and jitter. Credentials rejected as expired
// or unknown are dropped and obtained again (a new AssumeRole) once; if
// the fresh ones are rejected too, or cannot be obtained, the account is
// skipped for the rest of the cycle.
func (s *APISource) lookup(ctx context.Context, u apiUnit, client LookupAPI, in *cloudtrail.LookupEventsInput, page int, broken *brokenAccounts) (*cloudtrail.LookupEventsOutput, error) {
	lim := s.limiter(u)
	refreshed := false
	for attempt := 1; ; attempt++ {
		if broken.is(u.account) {
			return nil, errAccountSkipped
		}
		if err := lim.Wait(ctx); err != nil {
			return nil, fmt.Errorf("waiting for the rate limiter: %w", err)
		}
		out, err := client.LookupEvents(ctx, in, noSDKRetry)
		if err == nil {
			return out, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		if code, retrieval, ok := awsclient.CredentialError(err); ok {
			if !retrieval && !refreshed && s.refreshable(u.account) {
				// Expired mid-run (a session revoked or cut short, a clock
				// ahead of AWS's): fetch fresh credentials and try again.
				refreshed = true
				s.invalidate(u.account)
				s.log.Warn("CloudTrail API credentials rejected; obtaining new ones", "source", s.name,
					"account", u.label(), "region", u.region, "code", code)
				attempt--
				continue
			}
			if !retrieval && (code == "InvalidClientTokenId" || code == "UnrecognizedClientException") {
				// Fresh credentials refused in one region: also what an
				// opt-in region the account has not enabled answers. Only
				// this region is skipped.
				return nil, fmt.Errorf("credentials of account %s rejected in %s (%s): the region may not be enabled for the account (opt-in regions), or the credentials are not valid there; the region is skipped this cycle: %w",
					u.label(), u.region, code, err)
			}
			if !broken.mark(u.account) {
				return nil, errAccountSkipped
			}
			s.invalidate(u.account)
			s.log.Error("CloudTrail API credentials unusable; skipping the account's regions this cycle",
				"source", s.name, "account", u.label(), "region", u.region, "code", code, "retrieval", retrieval)
			if retrieval {
				return nil, fmt.Errorf("obtaining the credentials of account %s failed%s: %s; the account's regions are skipped this cycle and tried again next cycle: %w",
					u.label(), codeSuffix(code), s.retrievalHint(u, code), err)
			}
			return nil, fmt.Errorf("credentials of account %s rejected (%s): the account's remaining regions are skipped this cycle and its credentials are fetched again next cycle: %w",
				u.label(), code, err)
		}
		throttled := throttles.IsErrorThrottle(err) == aws.TrueTernary
		if throttled && s.cfg.Throttled != nil {
			s.cfg.Throttled()
		}
		if !throttled && !retryable(err) {
			return nil, err
		}
		if attempt >= s.cfg.MaxAttempts {
			return nil, fmt.Errorf("giving up after %d attempts: %w", attempt, err)
		}
		d := s.backoff(attempt)
		s.log.Warn("LookupEvents failed; retrying", "source", s.name, "account", u.label(), "region", u.region,
			"page", page, "attempt", attempt, "throttled", throttled, "wait", d, "error", err)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

func codeSuffix(code string) string {
	if code == "" {
		return ""
	}
	return " (" + code + ")"
}

// retrievalHint says what to check when an account's credentials could
// not be obtained. It names the role, never the external id.
func (s *APISource) retrievalHint(u apiUnit, code string) string {
	role := ""
	if s.cfg.RoleARNTemplate != "" {
		role = awsclient.RoleARN(s.cfg.RoleARNTemplate, u.account)
	}
	return awsclient.RetrievalHint(role, code, s.stsRegion())
}

func (s *APISource) stsRegion() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.base != nil {
		return s.base.Region
	}
	return s.cfg.Region
}

// backoff is the wait before retry attempt+1: BaseBackoff doubled per
// attempt, capped at MaxBackoff, uniformly jittered in [d/2, d].
func (s *APISource) backoff(attempt int) time.Duration {
	d := s.cfg.BaseBackoff << min(attempt-1, 20)
	if d > s.cfg.MaxBackoff || d <= 0 {
		d = s.cfg.MaxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

func (s *APISource) limiter(u apiUnit) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.limiters[u.key()]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(s.cfg.RateLimit), 1)
		s.limiters[u.key()] = l
	}
	return l
}

// refreshable reports whether the account's credentials are cached ones
// that can be obtained anew (not a client supplied by ClientFor).
func (s *APISource) refreshable(account string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.creds[account].(*aws.CredentialsCache)
	return ok
}

// invalidate drops an account's cached credentials and clients so that the
// next cycle obtains new ones.
func (s *APISource) invalidate(account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	awsclient.Invalidate(s.creds[account])
	if s.base != nil {
		awsclient.Invalidate(s.base.Credentials)
	}
}

// client returns the account x region's client, building the account's
// credentials (an assumed role, cached) on first use.
func (s *APISource) client(ctx context.Context, u apiUnit) (LookupAPI, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.clients[u.key()]; c != nil {
		return c, nil
	}
	var c LookupAPI
	if s.cfg.ClientFor != nil {
		var err error
		if c, err = s.cfg.ClientFor(u.account, u.region); err != nil {
			return nil, fmt.Errorf("building the CloudTrail client: %w", err)
		}
	} else {
		if s.base == nil {
			ac, err := awsclient.LoadAWSConfig(ctx, awsclient.ClientConfig{Region: s.cfg.Region, Credentials: s.cfg.Credentials,
				RetryMaxAttempts: s.cfg.MaxAttempts, RetryMaxBackoff: s.cfg.MaxBackoff})
			if err != nil {
				return nil, err
			}
			s.base = &ac
		}
		creds := s.creds[u.account]
		if creds == nil {
			creds = s.base.Credentials
			if s.cfg.RoleARNTemplate != "" {
				creds = awsclient.AssumeRole(*s.base, awsclient.Role{ARN: awsclient.RoleARN(s.cfg.RoleARNTemplate, u.account),
					ExternalID: s.cfg.ExternalID, SessionName: s.cfg.SessionName, STSEndpointURL: s.cfg.STSEndpoint})
			}
			s.creds[u.account] = creds
		}
		c = cloudtrail.NewFromConfig(*s.base, func(o *cloudtrail.Options) {
			o.Region = u.region
			o.Credentials = creds
			o.Retryer = aws.NopRetryer{}
			if s.cfg.Endpoint != "" {
				o.BaseEndpoint = aws.String(s.cfg.Endpoint)
			}
		})
	}
	s.clients[u.key()] = c
	return c, nil
}

var _ collectors.EventSource = (*APISource)(nil)
