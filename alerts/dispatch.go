package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwarden/driftwarden/store"
)

// Sender puts one payload on the wire. It returns where the message landed
// (channel and timestamp; empty when the transport has none) or an error
// classified with Permanent and RateLimited.
type Sender interface {
	Send(ctx context.Context, p Payload) (channel, ts string, err error)
}

// PermanentError is a failure that retrying cannot fix (channel_not_found,
// invalid_auth, webhook 404/410/403): the message is dead-lettered.
type PermanentError struct {
	Reason string // short, from a fixed set (metric label)
	Err    error
}

func (e *PermanentError) Error() string { return e.Reason + ": " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// RateLimitedError asks to wait After before sending to the channel again.
type RateLimitedError struct {
	After time.Duration
	Err   error
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("rate limited, retry after %s: %v", e.After, e.Err)
}
func (e *RateLimitedError) Unwrap() error { return e.Err }

// Metrics are the alert delivery metrics (names are a contract).
type Metrics struct {
	Sent         *prometheus.CounterVec
	Failed       *prometheus.CounterVec
	Pending      prometheus.Gauge
	DeadLettered *prometheus.CounterVec
	Delivery     prometheus.Histogram
}

// NewMetrics registers the alert metrics with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Sent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "driftwarden_alerts_sent_total",
			Help: "Alert messages delivered, by owning team."}, []string{"team"}),
		Failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "driftwarden_alerts_failed_total",
			Help: "Failed alert delivery attempts, by team and reason (rate_limited, transient, or a permanent Slack error)."}, []string{"team", "reason"}),
		Pending: prometheus.NewGauge(prometheus.GaugeOpts{Name: "driftwarden_alerts_pending",
			Help: "Alert messages waiting in the outbox."}),
		DeadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "driftwarden_alerts_dead_lettered_total",
			Help: "Alert messages given up after a permanent error, by team."}, []string{"team"}),
		Delivery: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "driftwarden_alert_delivery_seconds",
			Help:    "Time from an alert's creation (its cycle) to its delivery.",
			Buckets: []float64{0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 24 * 3600}}),
	}
	if reg != nil {
		reg.MustRegister(m.Sent, m.Failed, m.Pending, m.DeadLettered, m.Delivery)
	}
	return m
}

// Dispatcher delivers the outbox.
type Dispatcher struct {
	Store   store.AlertStore
	Sender  Sender
	Logger  *slog.Logger
	Metrics *Metrics // nil: none
	// Owner identifies this process in leases (hostname + pid + random).
	Owner string
	// Rate is messages per second per channel (default 1).
	Rate float64
	// Lease is how long a claimed message stays reserved (default 2m): a
	// process that dies mid-delivery releases it when the lease runs out.
	Lease time.Duration
	// BaseBackoff and MaxBackoff bound retry delays (defaults 2s and 10m).
	BaseBackoff, MaxBackoff time.Duration
	// Now and Sleep are the clock (tests).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error

	mu       sync.Mutex
	nextSlot map[string]time.Time // per channel
}

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Dispatcher) sleep(ctx context.Context, dur time.Duration) error {
	if dur <= 0 {
		return ctx.Err()
	}
	if d.Sleep != nil {
		return d.Sleep(ctx, dur)
	}
	t := time.NewTimer(dur)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (d *Dispatcher) log() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Result counts what one pass did.
type Result struct {
	Sent, Retried, Dead int
}

// DeliverDue claims and sends every due message, repeatedly, until none is
// due or ctx ends. It returns what it did; an error only when the store
// could not be read.
func (d *Dispatcher) DeliverDue(ctx context.Context) (Result, error) {
	var total Result
	for {
		msgs, err := d.Store.ClaimOutbox(ctx, d.Owner, d.now(), 20, d.lease())
		if err != nil {
			return total, err
		}
		if len(msgs) == 0 {
			d.gauge(ctx)
			return total, nil
		}
		for i, m := range msgs {
			if ctx.Err() != nil {
				// Release what we hold so a restart or a replica sends it soon.
				for _, r := range msgs[i:] {
					_ = d.Store.MarkRetry(context.WithoutCancel(ctx), r.ID, d.Owner, "delivery interrupted", d.now())
				}
				return total, ctx.Err()
			}
			switch d.deliver(ctx, m) {
			case outcomeSent:
				total.Sent++
			case outcomeRetry:
				total.Retried++
			case outcomeDead:
				total.Dead++
			}
		}
	}
}

func (d *Dispatcher) lease() time.Duration {
	if d.Lease > 0 {
		return d.Lease
	}
	return 2 * time.Minute
}

type outcome int

const (
	outcomeSent outcome = iota
	outcomeRetry
	outcomeDead
)

func (d *Dispatcher) deliver(ctx context.Context, m store.OutboxMessage) outcome {
	var p Payload
	wctx := context.WithoutCancel(ctx)
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		d.dead(wctx, m, "invalid_payload", fmt.Errorf("decoding the stored payload: %w", err))
		return outcomeDead
	}
	if m.Kind == store.OutboxReply && m.ParentTS != "" {
		p.ThreadTS = m.ParentTS
		if m.ParentChannel != "" {
			p.Channel = m.ParentChannel
		}
	}
	if err := d.waitSlot(ctx, p.Channel); err != nil {
		_ = d.Store.MarkRetry(wctx, m.ID, d.Owner, "delivery interrupted", d.now())
		return outcomeRetry
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	ch, ts, err := d.Sender.Send(sctx, p)
	cancel()
	if err == nil {
		ok, merr := d.Store.MarkSent(wctx, m.ID, d.Owner, ch, ts, d.now())
		switch {
		case merr != nil:
			d.log().Error("alert delivered but not marked sent; it may be delivered again after its lease", "event", "alert_mark_failed",
				"message_id", m.ID, "team", m.Team, "error", merr)
		case !ok:
			d.log().Warn("alert delivered after its lease was taken over; another dispatcher may deliver it too", "event", "alert_lease_lost",
				"message_id", m.ID, "team", m.Team)
		}
		if mt := d.Metrics; mt != nil {
			mt.Sent.WithLabelValues(m.Team).Inc()
			mt.Delivery.Observe(d.now().Sub(m.CreatedAt).Seconds())
		}
		d.log().Info("alert delivered", "event", "alert_sent", "message_id", m.ID, "team", m.Team, "channel", ch, "kind", m.Kind)
		return outcomeSent
	}
	var perm *PermanentError
	var rl *RateLimitedError
	switch {
	case errors.As(err, &perm):
		d.dead(wctx, m, perm.Reason, err)
		return outcomeDead
	case errors.As(err, &rl):
		after := max(rl.After, time.Second)
		d.pause(p.Channel, after)
		d.fail(m, "rate_limited")
		_ = d.Store.MarkRetry(wctx, m.ID, d.Owner, err.Error(), d.now().Add(after))
		d.log().Warn("Slack rate limit; retrying after Retry-After", "event", "alert_rate_limited", "message_id", m.ID,
			"team", m.Team, "retry_after", after.String())
		return outcomeRetry
	default:
		next := d.backoff(m.Attempts)
		d.fail(m, "transient")
		_ = d.Store.MarkRetry(wctx, m.ID, d.Owner, err.Error(), d.now().Add(next))
		d.log().Warn("alert delivery failed; will retry", "event", "alert_retry", "message_id", m.ID, "team", m.Team,
			"attempt", m.Attempts, "retry_in", next.String(), "error", err)
		return outcomeRetry
	}
}

func (d *Dispatcher) fail(m store.OutboxMessage, reason string) {
	if mt := d.Metrics; mt != nil {
		mt.Failed.WithLabelValues(m.Team, reason).Inc()
	}
}

func (d *Dispatcher) dead(ctx context.Context, m store.OutboxMessage, reason string, err error) {
	d.fail(m, reason)
	if mt := d.Metrics; mt != nil {
		mt.DeadLettered.WithLabelValues(m.Team).Inc()
	}
	if merr := d.Store.MarkDead(ctx, m.ID, d.Owner, err.Error(), d.now()); merr != nil {
		d.log().Error("dead-lettering an alert failed", "message_id", m.ID, "error", merr)
	}
	d.log().Error("alert dead-lettered after a permanent error; fix the configuration, it will not be retried (driftwarden alerts list --state dead)",
		"event", "alert_dead_lettered", "message_id", m.ID, "team", m.Team, "channel", m.Channel, "reason", reason, "error", err)
}

// backoff is exponential with ±20% jitter: 2s, 4s, 8s ... capped.
func (d *Dispatcher) backoff(attempts int) time.Duration {
	base, maxB := d.BaseBackoff, d.MaxBackoff
	if base <= 0 {
		base = 2 * time.Second
	}
	if maxB <= 0 {
		maxB = 10 * time.Minute
	}
	b := base
	for i := 1; i < attempts && b < maxB; i++ {
		b *= 2
	}
	b = min(b, maxB)
	jitter := time.Duration((rand.Float64()*0.4 - 0.2) * float64(b))
	return b + jitter
}

// waitSlot waits for the channel's next send slot (Rate per second).
func (d *Dispatcher) waitSlot(ctx context.Context, channel string) error {
	rate := d.Rate
	if rate <= 0 {
		rate = 1
	}
	gap := time.Duration(float64(time.Second) / rate)
	d.mu.Lock()
	if d.nextSlot == nil {
		d.nextSlot = map[string]time.Time{}
	}
	now := d.now()
	at := d.nextSlot[channel]
	if at.Before(now) {
		at = now
	}
	d.nextSlot[channel] = at.Add(gap)
	d.mu.Unlock()
	return d.sleep(ctx, at.Sub(now))
}

// pause blocks a channel for after (Retry-After).
func (d *Dispatcher) pause(channel string, after time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.nextSlot == nil {
		d.nextSlot = map[string]time.Time{}
	}
	if t := d.now().Add(after); t.After(d.nextSlot[channel]) {
		d.nextSlot[channel] = t
	}
}

func (d *Dispatcher) gauge(ctx context.Context) {
	if d.Metrics == nil {
		return
	}
	if n, err := d.Store.OutboxPending(ctx); err == nil {
		d.Metrics.Pending.Set(float64(n))
	}
}

// Run delivers due messages every interval (and when Kick is called) until
// ctx ends.
func (d *Dispatcher) Run(ctx context.Context, interval time.Duration, kick <-chan struct{}) {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := d.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			d.log().Warn("reading the alert outbox failed; will retry", "event", "alert_outbox_error", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-kick:
		}
	}
}
