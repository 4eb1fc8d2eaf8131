package gcpaudit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/logging"
	"cloud.google.com/go/logging/logadmin"
	"golang.org/x/time/rate"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
	"google.golang.org/genproto/googleapis/cloud/audit"
	_ "google.golang.org/genproto/googleapis/iam/v1/logging" // AuditData: serviceData's policy deltas
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/model"
)

// APIConfig configures a source reading Cloud Audit Logs through the
// Logging API (entries.list).
type APIConfig struct {
	// Parents are the resources whose audit logs are read:
	// projects/P, folders/F, organizations/O (billingAccounts/B too).
	Parents []string
	// Logs are the audit logs to read; default DefaultLogs (Admin
	// Activity). data_access and system_event are opt-in.
	Logs []string
	// Overlap is how far before the checkpoint each read starts again, to
	// catch entries that reach Cloud Logging late. Default 10 minutes.
	Overlap time.Duration
	// InitialLookback is how far back the first read (no checkpoint) goes.
	// Default 24 hours.
	InitialLookback time.Duration
	// PageSize of entries.list (max 1000, the default).
	PageSize int
	// RequestsPerMinute per parent; default 60, the entries.list quota
	// (per project, folder or organisation, not raisable).
	RequestsPerMinute int
	// Retries of a page that failed with RESOURCE_EXHAUSTED or
	// UNAVAILABLE (default 5); RetryWait the first backoff, doubling with
	// jitter up to 60 s (default 2 s).
	Retries   int
	RetryWait time.Duration
	// ClientOptions are passed to logadmin.NewClient (credentials file,
	// endpoint for tests).
	ClientOptions []option.ClientOption
	// Now replaces the clock (tests).
	Now    func() time.Time
	Logger *slog.Logger
}

// APISource reads Cloud Audit Logs from the Logging API.
//
// Each read asks, per parent, for the configured audit logs with explicit
// timestamp bounds, timestamp >= checkpoint - Overlap AND timestamp < now
// (the client library otherwise silently adds a 24-hour bound), oldest
// first, every page. The checkpoint of a parent (key = the parent) is
// {"t": newest timestamp read, "ids": {insertId: timestamp}} holding the
// insertIds of the entries within Overlap of t: entries read again in the
// overlap are dropped by insertId, so a restart neither loses nor counts
// twice. A read that fails part way keeps what it read: entries come oldest
// first, so the checkpoint still covers exactly what was returned.
//
// Every entries.list call, retries included, waits on a per-parent rate
// limiter (RequestsPerMinute); RESOURCE_EXHAUSTED (sent without
// Retry-After) and UNAVAILABLE are retried from the last page token with
// exponential backoff.
type APISource struct {
	name string
	cfg  APIConfig
	log  *slog.Logger

	mu       sync.Mutex
	clients  map[string]*logadmin.Client
	limiters map[string]*rate.Limiter
}

var _ collectors.EventSource = (*APISource)(nil)

// NewAPISource returns a Logging API source.
func NewAPISource(name string, cfg APIConfig) *APISource {
	if len(cfg.Logs) == 0 {
		cfg.Logs = DefaultLogs
	}
	if cfg.Overlap <= 0 {
		cfg.Overlap = 10 * time.Minute
	}
	if cfg.InitialLookback <= 0 {
		cfg.InitialLookback = 24 * time.Hour
	}
	if cfg.PageSize <= 0 || cfg.PageSize > 1000 {
		cfg.PageSize = 1000
	}
	if cfg.RequestsPerMinute <= 0 {
		cfg.RequestsPerMinute = 60
	}
	if cfg.Retries == 0 {
		cfg.Retries = 5
	} else if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.RetryWait <= 0 {
		cfg.RetryWait = 2 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	l := cfg.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &APISource{name: name, cfg: cfg, log: l, clients: map[string]*logadmin.Client{}, limiters: map[string]*rate.Limiter{}}
}

// Name is the configured source name.
func (s *APISource) Name() string { return s.name }

// Close closes the API clients.
func (s *APISource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, c := range s.clients {
		errs = append(errs, c.Close())
	}
	s.clients = map[string]*logadmin.Client{}
	return errors.Join(errs...)
}

func (s *APISource) limiter(parent string) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.limiters[parent]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(float64(s.cfg.RequestsPerMinute)/60), min(10, s.cfg.RequestsPerMinute))
		s.limiters[parent] = l
	}
	return l
}

func (s *APISource) client(ctx context.Context, parent string) (*logadmin.Client, error) {
	s.mu.Lock()
	c := s.clients[parent]
	s.mu.Unlock()
	if c != nil {
		return c, nil
	}
	lim := s.limiter(parent)
	wait := grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if err := lim.Wait(ctx); err != nil {
			return err
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	})
	opts := append([]option.ClientOption{option.WithGRPCDialOption(wait)}, s.cfg.ClientOptions...)
	c, err := logadmin.NewClient(ctx, parent, opts...)
	if err != nil {
		return nil, fmt.Errorf("creating Logging client for %s: %w", parent, err)
	}
	s.mu.Lock()
	s.clients[parent] = c
	s.mu.Unlock()
	return c, nil
}

// apiCheckpoint is the stored resume position of one parent.
type apiCheckpoint struct {
	T   time.Time            `json:"t"`
	IDs map[string]time.Time `json:"ids,omitempty"`
}

// maxCheckpointIDs bounds the insertIds kept in a checkpoint.
const maxCheckpointIDs = 100000

// Filter builds the entries.list filter for a parent's audit logs between
// from (inclusive) and to (exclusive).
func Filter(parent string, logs []string, from, to time.Time) string {
	names := make([]string, len(logs))
	for i, l := range logs {
		names[i] = fmt.Sprintf("logName=%q", parent+"/logs/"+url.PathEscape("cloudaudit.googleapis.com/"+l))
	}
	return fmt.Sprintf("(%s) AND timestamp>=%q AND timestamp<%q", strings.Join(names, " OR "),
		from.UTC().Format(time.RFC3339Nano), to.UTC().Format(time.RFC3339Nano))
}

// Events reads, per parent, what is new since the checkpoint.
func (s *APISource) Events(ctx context.Context, cp collectors.CheckpointReader) (collectors.EventBatch, []error) {
	batch := collectors.EventBatch{Source: s.name, Checkpoints: map[string]string{}}
	var errs []error
	seen := map[string]bool{}
	for _, parent := range s.cfg.Parents {
		evs, next, err := s.readParent(ctx, cp, parent)
		if err != nil {
			errs = append(errs, &collectors.InputError{Source: s.name, Location: parent, Err: err})
		}
		for _, ev := range evs {
			if !seen[ev.ID] {
				seen[ev.ID] = true
				batch.Add(ev)
			}
		}
		if next != "" {
			batch.Checkpoints[parent] = next
		}
	}
	batch.Events = MergeOperations(batch.Events)
	return batch, errs
}

func (s *APISource) readParent(ctx context.Context, cpr collectors.CheckpointReader, parent string) ([]model.Event, string, error) {
	now := s.cfg.Now().UTC()
	var cp apiCheckpoint
	raw, err := cpr.Checkpoint(ctx, s.name, parent)
	switch {
	case err == nil:
		if jerr := json.Unmarshal([]byte(raw), &cp); jerr != nil {
			return nil, "", fmt.Errorf("reading checkpoint of %s: %w", parent, jerr)
		}
	case isNotFound(err):
		cp.T = now.Add(-s.cfg.InitialLookback)
	default:
		return nil, "", fmt.Errorf("reading checkpoint of %s: %w", parent, err)
	}
	if cp.IDs == nil {
		cp.IDs = map[string]time.Time{}
	}
	from := cp.T.Add(-s.cfg.Overlap)
	filter := Filter(parent, s.cfg.Logs, from, now)

	c, err := s.client(ctx, parent)
	if err != nil {
		return nil, "", err
	}
	var (
		evs     []model.Event
		token   string
		maxT    = cp.T
		readErr error
		skipped int
	)
	attempt := 0
pages:
	for {
		it := c.Entries(ctx, logadmin.Filter(filter), logadmin.PageSize(int32(s.cfg.PageSize)),
			logadmin.ResourceNames([]string{parent}))
		pager := iterator.NewPager(it, s.cfg.PageSize, token)
		for {
			var page []*logging.Entry
			next, perr := pager.NextPage(&page)
			if perr != nil {
				if attempt < s.cfg.Retries && retryable(perr) {
					wait := backoff(s.cfg.RetryWait, attempt)
					attempt++
					s.log.Warn("retrying audit log read", "source", s.name, "parent", parent, "attempt", attempt,
						"wait", wait.String(), "error", status.Code(perr).String())
					select {
					case <-ctx.Done():
						readErr = ctx.Err()
						break pages
					case <-time.After(wait):
					}
					continue pages // new iterator from the last good page token
				}
				readErr = fmt.Errorf("listing audit log entries: %w", perr)
				break pages
			}
			attempt = 0
			for _, e := range page {
				if _, dup := cp.IDs[e.InsertID]; dup && e.InsertID != "" {
					continue
				}
				ev, cerr := FromEntry(e)
				if errors.Is(cerr, ErrNotAuditLog) {
					skipped++
					continue
				}
				if e.InsertID != "" {
					cp.IDs[e.InsertID] = e.Timestamp.UTC()
				}
				if e.Timestamp.After(maxT) {
					maxT = e.Timestamp.UTC()
				}
				if cerr != nil {
					s.log.Warn("skipping unreadable audit entry", "source", s.name, "parent", parent, "error", cerr)
					continue
				}
				evs = append(evs, ev)
			}
			token = next
			if next == "" {
				break pages
			}
		}
	}
	if skipped > 0 {
		s.log.Debug("skipped non-audit entries", "source", s.name, "parent", parent, "entries", skipped)
	}
	// Advance: to the newest entry read, and after a complete read at least
	// to now - Overlap so the window does not grow while nothing happens.
	newT := maxT
	if readErr == nil && now.Add(-s.cfg.Overlap).After(newT) {
		newT = now.Add(-s.cfg.Overlap)
	}
	out := apiCheckpoint{T: newT, IDs: map[string]time.Time{}}
	keep := make([]string, 0, len(cp.IDs))
	for id, t := range cp.IDs {
		if !t.Before(newT.Add(-s.cfg.Overlap)) {
			keep = append(keep, id)
		}
	}
	sort.Slice(keep, func(i, j int) bool { return cp.IDs[keep[i]].After(cp.IDs[keep[j]]) })
	if len(keep) > maxCheckpointIDs {
		keep = keep[:maxCheckpointIDs]
	}
	for _, id := range keep {
		out.IDs[id] = cp.IDs[id]
	}
	b, err := json.Marshal(out)
	if err != nil {
		return evs, "", errors.Join(readErr, fmt.Errorf("encoding checkpoint: %w", err))
	}
	return evs, string(b), readErr
}

func retryable(err error) bool {
	switch status.Code(err) {
	case codes.ResourceExhausted, codes.Unavailable:
		return true
	}
	return false
}

func backoff(first time.Duration, attempt int) time.Duration {
	d := first << attempt
	if d > time.Minute || d <= 0 {
		d = time.Minute
	}
	return d/2 + rand.N(d/2+1)
}

// FromEntry normalises an entry read with the Logging client (payload
// decoded into *audit.AuditLog thanks to this package's import of the
// audit protos). Non-audit payloads return ErrNotAuditLog.
func FromEntry(e *logging.Entry) (model.Event, error) {
	al, ok := e.Payload.(*audit.AuditLog)
	if !ok {
		return model.Event{}, fmt.Errorf("%w: payload %T", ErrNotAuditLog, e.Payload)
	}
	m := map[string]any{
		"insertId":     e.InsertID,
		"logName":      e.LogName,
		"severity":     e.Severity.String(),
		"protoPayload": auditMap(al),
	}
	if !e.Timestamp.IsZero() {
		m["timestamp"] = e.Timestamp.UTC().Format(time.RFC3339Nano)
	}
	if e.Resource != nil {
		labels := map[string]any{}
		for k, v := range e.Resource.GetLabels() {
			labels[k] = v
		}
		m["resource"] = map[string]any{"type": e.Resource.GetType(), "labels": labels}
	}
	if op := e.Operation; op != nil {
		m["operation"] = map[string]any{"id": op.GetId(), "producer": op.GetProducer(), "first": op.GetFirst(), "last": op.GetLast()}
	}
	return normalize(m, nil)
}

// auditMap is the JSON form of the AuditLog fields normalisation and the
// identity table read. serviceData, an Any of service-specific types, is
// kept when its type is known (google.iam.v1.logging.AuditData: the policy
// delta of SetIamPolicy), as the JSON export writes it.
func auditMap(al *audit.AuditLog) map[string]any {
	pp := map[string]any{
		"@type":        AuditLogType,
		"serviceName":  al.GetServiceName(),
		"methodName":   al.GetMethodName(),
		"resourceName": al.GetResourceName(),
	}
	if rl := al.GetResourceLocation(); rl != nil {
		locs := make([]any, 0, len(rl.GetCurrentLocations()))
		for _, l := range rl.GetCurrentLocations() {
			locs = append(locs, l)
		}
		pp["resourceLocation"] = map[string]any{"currentLocations": locs}
	}
	if ai := al.GetAuthenticationInfo(); ai != nil {
		a := map[string]any{"principalEmail": ai.GetPrincipalEmail(), "principalSubject": ai.GetPrincipalSubject()}
		var chain []any
		for _, d := range ai.GetServiceAccountDelegationInfo() {
			x := map[string]any{"principalSubject": d.GetPrincipalSubject()}
			if fp := d.GetFirstPartyPrincipal(); fp != nil {
				x["firstPartyPrincipal"] = map[string]any{"principalEmail": fp.GetPrincipalEmail()}
			}
			if tp := d.GetThirdPartyPrincipal(); tp != nil && tp.GetThirdPartyClaims() != nil {
				x["thirdPartyPrincipal"] = map[string]any{"thirdPartyClaims": tp.GetThirdPartyClaims().AsMap()}
			}
			chain = append(chain, x)
		}
		if len(chain) > 0 {
			a["serviceAccountDelegationInfo"] = chain
		}
		pp["authenticationInfo"] = a
	}
	if rm := al.GetRequestMetadata(); rm != nil {
		pp["requestMetadata"] = map[string]any{"callerIp": rm.GetCallerIp(), "callerSuppliedUserAgent": rm.GetCallerSuppliedUserAgent()}
	}
	if st := al.GetStatus(); st != nil {
		pp["status"] = map[string]any{"code": json.Number(fmt.Sprint(st.GetCode())), "message": st.GetMessage()}
	}
	if r := al.GetRequest(); r != nil {
		pp["request"] = r.AsMap()
	}
	if r := al.GetResponse(); r != nil {
		pp["response"] = r.AsMap()
	}
	if md := al.GetMetadata(); md != nil {
		pp["metadata"] = md.AsMap()
	}
	if ais := al.GetAuthorizationInfo(); len(ais) > 0 {
		list := make([]any, 0, len(ais))
		for _, ai := range ais {
			if m := protoMap(ai); m != nil {
				list = append(list, m)
			}
		}
		pp["authorizationInfo"] = list
	}
	if sd := al.GetServiceData(); sd != nil {
		if m := protoMap(sd); m != nil {
			pp["serviceData"] = m
		}
	}
	return pp
}

// protoMap is a message's JSON form (protojson: camelCase names, enum
// names, an Any with its "@type"); nil when it cannot be written, such as
// an Any of a type this binary does not know.
func protoMap(m proto.Message) map[string]any {
	b, err := protojson.Marshal(m)
	if err != nil {
		return nil
	}
	var out map[string]any
	if json.Unmarshal(b, &out) != nil {
		return nil
	}
	return out
}
