package slack_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	goslack "github.com/slack-go/slack"
	"github.com/slack-go/slack/slacktest"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/alerts"
	slacknotify "github.com/driftwarden/driftwarden/alerts/slack"
	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

// fakeSlack speaks the part of Slack's Web API the notifier uses:
// chat.postMessage (form encoded, ok/error JSON, 429 with Retry-After) and
// an incoming webhook at /hook.
type fakeSlack struct {
	mu sync.Mutex
	// script answers the n-th request (0-based) instead of accepting it;
	// nil or a zero answer accepts.
	script func(n int) answer
	calls  int
	posted []posted
	srv    *httptest.Server
}

type answer struct {
	status     int
	retryAfter string
	slackErr   string
}

type posted struct {
	Channel, Text, ThreadTS, TS string
	Blocks                      []map[string]any
}

func newFakeSlack(t *testing.T) *fakeSlack {
	f := &fakeSlack{}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/chat.postMessage", f.post)
	mux.HandleFunc("/hook", f.post)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) post(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.calls
	f.calls++
	if f.script != nil {
		if a := f.script(n); a != (answer{}) {
			if a.retryAfter != "" {
				w.Header().Set("Retry-After", a.retryAfter)
			}
			if a.slackErr != "" && a.status == 0 {
				_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": a.slackErr})
				return
			}
			w.WriteHeader(a.status)
			_, _ = w.Write([]byte(a.slackErr))
			return
		}
	}
	var p posted
	if strings.HasSuffix(r.URL.Path, "/hook") {
		var body struct {
			Text     string           `json:"text"`
			ThreadTS string           `json:"thread_ts"`
			Blocks   []map[string]any `json:"blocks"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		p = posted{Text: body.Text, ThreadTS: body.ThreadTS, Blocks: body.Blocks}
		f.posted = append(f.posted, p)
		_, _ = w.Write([]byte("ok"))
		return
	}
	_ = r.ParseForm()
	p = posted{Channel: r.Form.Get("channel"), Text: r.Form.Get("text"), ThreadTS: r.Form.Get("thread_ts")}
	_ = json.Unmarshal([]byte(r.Form.Get("blocks")), &p.Blocks)
	p.TS = fmt.Sprintf("1700000000.%06d", len(f.posted)+1)
	f.posted = append(f.posted, p)
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": "C-" + strings.TrimPrefix(p.Channel, "#"), "ts": p.TS})
}

func (f *fakeSlack) messages() []posted {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]posted(nil), f.posted...)
}

// clock is a fake clock; Sleep advances it and records the pauses.
type clock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
func (c *clock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return nil
}

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

type rig struct {
	st      store.Store
	al      store.AlertStore
	planner *alerts.Planner
	clock   *clock
	slack   *fakeSlack
	reg     *prometheus.Registry
	metrics *alerts.Metrics
	cycle   int
}

func newRig(t *testing.T) *rig {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dw.db")
	st, err := store.Open(context.Background(), path, store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	al, ok := store.AlertsOf(st)
	require.True(t, ok)
	reg := prometheus.NewRegistry()
	return &rig{st: st, al: al, clock: &clock{t: t0}, slack: newFakeSlack(t), reg: reg, metrics: alerts.NewMetrics(reg),
		planner: &alerts.Planner{Teams: map[string]alerts.Team{
			"platform": {Channel: "#platform"},
			"web":      {Channel: "#web"},
			"payments": {Channel: "#payments", MinSeverity: model.SeverityHigh},
		}, Interactive: true}}
}

func (r *rig) dispatcher(owner string) *alerts.Dispatcher {
	return &alerts.Dispatcher{Store: r.al, Sender: slacknotify.NewBot("xoxb-test", r.slack.srv.URL+"/api/", nil),
		Metrics: r.metrics, Owner: owner, Rate: 1, Now: r.clock.Now, Sleep: r.clock.Sleep}
}

// record records one cycle observing fs (scope "s"), planned by the rig's planner.
func (r *rig) record(t *testing.T, fs ...model.Finding) []store.Transition {
	t.Helper()
	r.cycle++
	_, trs, err := r.st.RecordCycle(context.Background(), store.CycleRecord{FinishedAt: r.clock.Now(), Status: "ok",
		Findings: fs, AuditedScopes: []string{"s"}, Plan: r.planner.Plan, Waive: func(model.Finding) bool { return false }})
	require.NoError(t, err)
	return trs
}

func finding(id, team string, sev model.Severity) model.Finding {
	return model.Finding{Fingerprint: model.Fingerprint(id), Kind: model.FindingChanged, Severity: sev, Title: "Resource changed outside Terraform",
		Message: id + " changed", ResourceID: "arn:aws:ec2:eu-west-1:1:security-group/" + id, ResourceType: "aws_security_group",
		Address: "module.net.aws_security_group." + id, Stack: "network", Team: team, Scope: "s",
		Evidence: model.Evidence{Diffs: []model.Diff{{Path: "ingress[0].cidr_blocks[0]", Applied: "10.0.0.0/8", Live: "0.0.0.0/0"}},
			Events: []model.Event{{ID: "e1", Time: t0.Add(-time.Hour), Action: "ec2:AuthorizeSecurityGroupIngress", Via: model.ViaConsole,
				Principal: model.Principal{ID: "arn:aws:sts::1:assumed-role/Admin/alice", Person: "alice"}, SourceIP: "203.0.113.7"}}}}
}

func TestGroupingPerTeamAndThreadedResolutions(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	var fs []model.Finding
	for i := range 12 {
		fs = append(fs, finding(fmt.Sprintf("sg%02d", i), "platform", model.SeverityMedium))
	}
	fs = append(fs, finding("web1", "web", model.SeverityHigh), finding("pay-low", "payments", model.SeverityLow))
	r.record(t, fs...)
	d := r.dispatcher("a")
	res, err := d.DeliverDue(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, res.Sent, "one message per team; payments is below its minimum severity")
	msgs := r.slack.messages()
	require.Len(t, msgs, 2)
	byChannel := map[string]posted{}
	for _, m := range msgs {
		byChannel[m.Channel] = m
		checkLimits(t, m)
	}
	plat := byChannel["#platform"]
	require.Contains(t, plat.Text, "12 new for team platform")
	raw, _ := json.Marshal(plat.Blocks)
	require.Contains(t, string(raw), "and 2 more findings")
	require.Equal(t, 10, strings.Count(string(raw), `"action_id":"driftwarden_ack"`))
	require.Contains(t, string(raw), "alice")
	require.Contains(t, string(raw), "via console")
	require.Contains(t, string(raw), "module.net.aws_security_group.sg00")
	require.Contains(t, string(raw), `0.0.0.0/0`)

	// A second identical cycle sends nothing.
	r.clock.Advance(time.Minute)
	r.record(t, fs...)
	res, err = d.DeliverDue(ctx)
	require.NoError(t, err)
	require.Zero(t, res.Sent)

	// Two platform findings and the web one resolve: replies in their threads.
	r.clock.Advance(time.Minute)
	r.record(t, fs[2:12]...)
	res, err = d.DeliverDue(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, res.Sent)
	msgs = r.slack.messages()
	require.Len(t, msgs, 4)
	replies := map[string]posted{}
	for _, m := range msgs[2:] {
		replies[m.Channel] = m
	}
	require.Equal(t, byChannel["#platform"].TS, replies["C-platform"].ThreadTS)
	require.Contains(t, replies["C-platform"].Text, "2 findings resolved")
	require.Equal(t, byChannel["#web"].TS, replies["C-web"].ThreadTS)
	require.Equal(t, 4.0, testutil.ToFloat64(r.metrics.Sent.WithLabelValues("platform"))+testutil.ToFloat64(r.metrics.Sent.WithLabelValues("web")))
}

// checkLimits asserts Block Kit's limits on a posted message.
func checkLimits(t *testing.T, m posted) {
	t.Helper()
	require.NotEmpty(t, m.Text, "a top-level text fallback")
	require.LessOrEqual(t, len(m.Blocks), alerts.MaxBlocks)
	total := 0
	for _, b := range m.Blocks {
		raw, _ := json.Marshal(b)
		total += len(raw)
		var blk struct {
			Type    string `json:"type"`
			BlockID string `json:"block_id"`
			Text    *struct {
				Text string `json:"text"`
			} `json:"text"`
			Elements []struct {
				ActionID string `json:"action_id"`
				Value    string `json:"value"`
				Text     any    `json:"text"`
			} `json:"elements"`
		}
		require.NoError(t, json.Unmarshal(raw, &blk))
		require.LessOrEqual(t, len(blk.BlockID), alerts.MaxID)
		if blk.Text != nil {
			limit := alerts.MaxSectionText
			if blk.Type == "header" {
				limit = alerts.MaxHeaderText
			}
			require.LessOrEqual(t, len([]rune(blk.Text.Text)), limit)
		}
		for _, e := range blk.Elements {
			require.LessOrEqual(t, len(e.ActionID), alerts.MaxID)
			require.LessOrEqual(t, len(e.Value), alerts.MaxButtonValue)
			if tx, ok := e.Text.(map[string]any); ok && blk.Type == "actions" {
				require.LessOrEqual(t, len([]rune(tx["text"].(string))), alerts.MaxButtonText)
			}
		}
	}
	require.Less(t, total, 13000, "under Slack's msg_blocks_too_long threshold")
}

func TestLongDiffIsTruncatedWithACount(t *testing.T) {
	r := newRig(t)
	f := finding("big", "platform", model.SeverityHigh)
	f.Evidence.Diffs = nil
	for i := range 40 {
		f.Evidence.Diffs = append(f.Evidence.Diffs, model.Diff{Path: fmt.Sprintf("tags.k%02d", i), Applied: strings.Repeat("a", 500), Live: strings.Repeat("b", 500)})
	}
	f.Message = strings.Repeat("m", 5000)
	r.record(t, f)
	_, err := r.dispatcher("a").DeliverDue(context.Background())
	require.NoError(t, err)
	msgs := r.slack.messages()
	require.Len(t, msgs, 1)
	checkLimits(t, msgs[0])
	raw, _ := json.Marshal(msgs[0].Blocks)
	m := regexp.MustCompile(`and (\d+) more attributes changed`).FindStringSubmatch(string(raw))
	require.NotNil(t, m, "the cut is counted")
	cut, _ := strconv.Atoi(m[1])
	require.Equal(t, 40, cut+strings.Count(string(raw), "~ tags.k"), "shown + cut = all diffs")
	require.NotContains(t, string(raw), strings.Repeat("m", 1000))
}

func TestRateLimitHonoursRetryAfter(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.slack.script = func(n int) answer {
		if n == 0 {
			return answer{status: http.StatusTooManyRequests, retryAfter: "7"}
		}
		return answer{}
	}
	r.record(t, finding("a", "platform", model.SeverityHigh))
	d := r.dispatcher("a")
	res, err := d.DeliverDue(ctx)
	require.NoError(t, err)
	require.Equal(t, alerts.Result{Retried: 1}, res)
	require.Equal(t, 1.0, testutil.ToFloat64(r.metrics.Failed.WithLabelValues("platform", "rate_limited")))
	pending, err := r.al.Outbox(ctx, store.OutboxPending, 0)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	require.Equal(t, t0.Add(7*time.Second), pending[0].NextAttemptAt)

	r.clock.Advance(6 * time.Second)
	res, err = d.DeliverDue(ctx)
	require.NoError(t, err)
	require.Zero(t, res.Sent, "not before Retry-After")

	// A new message to the same channel also waits out the pause.
	r.record(t, finding("a", "platform", model.SeverityHigh), finding("b", "platform", model.SeverityHigh))
	r.clock.Advance(time.Second)
	res, err = d.DeliverDue(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, res.Sent)
	require.Len(t, r.slack.messages(), 2)
	require.Equal(t, []time.Duration{time.Second}, r.clock.sleeps, "one second between two messages to one channel")
}

func TestPerChannelRate(t *testing.T) {
	r := newRig(t)
	var fs []model.Finding
	for i := range 3 {
		fs = append(fs, finding(fmt.Sprintf("f%d", i), "platform", model.SeverityHigh))
		r.record(t, fs...)
		r.clock.Advance(time.Millisecond)
	}
	r.record(t, append(fs, finding("w", "web", model.SeverityHigh))...)
	_, err := r.dispatcher("a").DeliverDue(context.Background())
	require.NoError(t, err)
	require.Len(t, r.slack.messages(), 4)
	var waited time.Duration
	for _, s := range r.clock.sleeps {
		waited += s
	}
	// Three messages to #platform need two one-second gaps; #web does not wait.
	require.InDelta(t, (2 * time.Second).Seconds(), waited.Seconds(), 0.01)
}

func TestOutageThenRecoveryLosesAndDuplicatesNothing(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	down := true
	r.slack.script = func(int) answer {
		if down {
			return answer{status: http.StatusServiceUnavailable}
		}
		return answer{}
	}
	want := map[string]bool{}
	var fs []model.Finding
	for i := range 5 {
		f := finding(fmt.Sprintf("o%d", i), []string{"platform", "web"}[i%2], model.SeverityHigh)
		fs = append(fs, f)
		r.record(t, fs...)
		want[f.Address] = true
		r.clock.Advance(time.Second)
	}
	d := r.dispatcher("a")
	for range 6 { // a long outage: every attempt fails, with growing backoff
		_, err := d.DeliverDue(ctx)
		require.NoError(t, err)
		r.clock.Advance(15 * time.Minute)
	}
	require.Empty(t, r.slack.messages())
	require.Greater(t, testutil.ToFloat64(r.metrics.Failed.WithLabelValues("platform", "transient")), 0.0)
	pending, err := r.al.Outbox(ctx, store.OutboxPending, 0)
	require.NoError(t, err)
	require.Len(t, pending, 5)
	require.NotEmpty(t, pending[0].LastError)

	down = false
	res, err := d.DeliverDue(ctx)
	require.NoError(t, err)
	require.Equal(t, 5, res.Sent)
	res, err = d.DeliverDue(ctx)
	require.NoError(t, err)
	require.Zero(t, res.Sent)
	got := map[string]int{}
	for _, m := range r.slack.messages() {
		for addr := range want {
			if strings.Contains(m.Text, addr+"\n") || strings.HasSuffix(m.Text, addr) {
				got[addr]++
			}
		}
	}
	require.Len(t, got, 5, "nothing lost")
	for addr, n := range got {
		require.Equal(t, 1, n, "%s duplicated", addr)
	}
}

func TestPermanentErrorsAreDeadLettered(t *testing.T) {
	for _, code := range []string{"channel_not_found", "invalid_auth", "not_in_channel"} {
		t.Run(code, func(t *testing.T) {
			r := newRig(t)
			ctx := context.Background()
			r.slack.script = func(int) answer { return answer{slackErr: code} }
			r.record(t, finding("x", "platform", model.SeverityHigh))
			d := r.dispatcher("a")
			res, err := d.DeliverDue(ctx)
			require.NoError(t, err)
			require.Equal(t, 1, res.Dead)
			r.clock.Advance(24 * time.Hour)
			res, err = d.DeliverDue(ctx)
			require.NoError(t, err)
			require.Zero(t, res.Dead+res.Retried+res.Sent, "never retried")
			dead, err := r.al.Outbox(ctx, store.OutboxDead, 0)
			require.NoError(t, err)
			require.Len(t, dead, 1)
			require.Contains(t, dead[0].LastError, code)
			require.Equal(t, 1.0, testutil.ToFloat64(r.metrics.DeadLettered.WithLabelValues("platform")))
			require.Equal(t, 1.0, testutil.ToFloat64(r.metrics.Failed.WithLabelValues("platform", code)))
		})
	}
}

func TestWebhookDeliveryAndPermanentStatus(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.planner.Webhook = true
	r.record(t, finding("h", "platform", model.SeverityHigh))
	d := r.dispatcher("a")
	d.Sender = &slacknotify.Sender{WebhookURL: r.slack.srv.URL + "/hook"}
	res, err := d.DeliverDue(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, res.Sent)
	require.Len(t, r.slack.messages(), 1)

	fs := []model.Finding{finding("h", "platform", model.SeverityHigh)}
	for _, status := range []int{http.StatusNotFound, http.StatusGone, http.StatusForbidden} {
		r.slack.script = func(int) answer { return answer{status: status, slackErr: "no_service"} }
		r.clock.Advance(time.Minute)
		fs = append(fs, finding("h"+strconv.Itoa(status), "platform", model.SeverityHigh))
		r.record(t, fs...)
		res, err := d.DeliverDue(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, res.Dead, "status %d", status)
	}
	dead, err := r.al.Outbox(ctx, store.OutboxDead, 0)
	require.NoError(t, err)
	require.Len(t, dead, 3)
	for _, m := range dead {
		require.NotContains(t, m.LastError, r.slack.srv.URL, "the webhook URL is a secret")
	}
}

// A dispatcher that claimed messages and died before sending leaves them
// leased; after the lease a restarted dispatcher delivers each exactly once.
func TestRestartInTheMiddleOfDelivery(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	r.record(t, finding("a", "platform", model.SeverityHigh), finding("b", "web", model.SeverityHigh))
	// The first process claims both and crashes before sending anything.
	claimed, err := r.al.ClaimOutbox(ctx, "crashed", r.clock.Now(), 10, 2*time.Minute)
	require.NoError(t, err)
	require.Len(t, claimed, 2)

	restarted := r.dispatcher("restarted")
	res, err := restarted.DeliverDue(ctx)
	require.NoError(t, err)
	require.Zero(t, res.Sent, "the lease still holds")

	r.clock.Advance(2*time.Minute + time.Second)
	res, err = restarted.DeliverDue(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, res.Sent)
	res, err = restarted.DeliverDue(ctx)
	require.NoError(t, err)
	require.Zero(t, res.Sent)
	require.Len(t, r.slack.messages(), 2)

	// A late MarkSent from the crashed process changes nothing.
	ok, err := r.al.MarkSent(ctx, claimed[0].ID, "crashed", "C", "9.9", r.clock.Now())
	require.NoError(t, err)
	require.False(t, ok)
}

// Interrupting delivery (shutdown) releases the claimed messages at once.
func TestShutdownReleasesClaims(t *testing.T) {
	r := newRig(t)
	r.record(t, finding("a", "platform", model.SeverityHigh))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d := r.dispatcher("a")
	_, _ = d.DeliverDue(ctx)
	res, err := r.dispatcher("b").DeliverDue(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, res.Sent)
}

func newSlacktest(t *testing.T) string {
	s := slacktest.NewTestServer()
	s.Start()
	t.Cleanup(s.Stop)
	return s.GetAPIURL()
}

// The slacktest server (slack-go's own) accepts our payloads as sent.
func TestAgainstSlacktest(t *testing.T) {
	r := newRig(t)
	r.record(t, finding("st", "platform", model.SeverityHigh))
	srv := newSlacktest(t)
	d := r.dispatcher("a")
	d.Sender = &slacknotify.Sender{Client: goslack.New("xoxb-test", goslack.OptionAPIURL(srv))}
	res, err := d.DeliverDue(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, res.Sent)
	sent, err := r.al.Outbox(context.Background(), store.OutboxSent, 0)
	require.NoError(t, err)
	require.Len(t, sent, 1)
	require.NotEmpty(t, sent[0].SentTS)
}

// Two dispatchers (two replicas) on one PostgreSQL store never send the
// same message twice.
func TestTwoDispatchersOnPostgresNeverDoubleSend(t *testing.T) {
	u := postgresSchema(t)
	ctx := context.Background()
	open := func() store.Store {
		s, err := store.Open(ctx, u, store.Options{})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	s1, s2 := open(), open()
	r := newRig(t)
	r.st, r.al = s1, mustAlerts(t, s1)
	teams := map[string]alerts.Team{}
	var fs []model.Finding
	for i := range 40 {
		team := fmt.Sprintf("team%02d", i)
		teams[team] = alerts.Team{Channel: "#" + team}
		fs = append(fs, finding(fmt.Sprintf("pg%02d", i), team, model.SeverityHigh))
	}
	r.planner.Teams = teams
	r.record(t, fs...)

	d1 := r.dispatcher("replica-1")
	d2 := r.dispatcher("replica-2")
	d2.Store = mustAlerts(t, s2)
	var wg sync.WaitGroup
	for _, d := range []*alerts.Dispatcher{d1, d2} {
		wg.Go(func() {
			_, err := d.DeliverDue(ctx)
			require.NoError(t, err)
		})
	}
	wg.Wait()
	seen := map[string]int{}
	for _, m := range r.slack.messages() {
		seen[m.Channel]++
	}
	require.Len(t, seen, 40, "nothing lost")
	for ch, n := range seen {
		require.Equal(t, 1, n, "%s received %d copies", ch, n)
	}
}

func mustAlerts(t *testing.T, s store.Store) store.AlertStore {
	al, ok := store.AlertsOf(s)
	require.True(t, ok)
	return al
}

// postgresSchema returns a URL of a fresh schema in the test PostgreSQL
// (skipped when unreachable, except in CI).
func postgresSchema(t *testing.T) string {
	t.Helper()
	base := os.Getenv("DRIFTWARDEN_TEST_POSTGRES_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	db, err := sql.Open("pgx", base)
	require.NoError(t, err)
	pctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		_ = db.Close()
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL unreachable: %v", err)
		}
		t.Skipf("PostgreSQL unreachable: %v", err)
	}
	schema := fmt.Sprintf("dw_alerts_%d", time.Now().UnixNano())
	_, err = db.Exec(`CREATE SCHEMA ` + schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		_ = db.Close()
	})
	pu, err := url.Parse(base)
	require.NoError(t, err)
	q := pu.Query()
	q.Set("search_path", schema)
	pu.RawQuery = q.Encode()
	return pu.String()
}

func TestManyLargeFindingsStayUnderTheMessageLimit(t *testing.T) {
	r := newRig(t)
	var fs []model.Finding
	for i := range 12 {
		f := finding(fmt.Sprintf("large%02d", i), "platform", model.SeverityHigh)
		f.Message = strings.Repeat("why ", 300)
		f.Remediation = strings.Repeat("fix ", 300)
		f.Controls = []string{strings.Repeat("CIS:1.1,", 100)}
		for j := range 10 {
			f.Evidence.Diffs = append(f.Evidence.Diffs, model.Diff{Path: fmt.Sprintf("a%d", j), Applied: strings.Repeat("x", 300), Live: "y"})
		}
		fs = append(fs, f)
	}
	r.record(t, fs...)
	_, err := r.dispatcher("a").DeliverDue(context.Background())
	require.NoError(t, err)
	msgs := r.slack.messages()
	require.Len(t, msgs, 1)
	checkLimits(t, msgs[0])
	raw, _ := json.Marshal(msgs[0].Blocks)
	m := regexp.MustCompile(`and (\d+) more findings`).FindStringSubmatch(string(raw))
	require.NotNil(t, m)
	more, _ := strconv.Atoi(m[1])
	require.Equal(t, 12, more+strings.Count(string(raw), `"action_id":"driftwarden_ack"`), "shown + counted = all")
}
