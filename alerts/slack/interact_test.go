package slack_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/alerts"
	slacknotify "github.com/driftwarden/driftwarden/alerts/slack"
	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

const signingSecret = "8f742231b10e8888abcd99yyyzzz85a5"

func sign(secret string, ts int64, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + strconv.FormatInt(ts, 10) + ":" + body))
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// interaction builds the form body Slack posts for a button click.
func interaction(t *testing.T, action, fp, responseURL string, blocks any) string {
	t.Helper()
	payload := map[string]any{
		"type":         "block_actions",
		"user":         map[string]any{"id": "U123", "username": "alice", "name": "alice"},
		"channel":      map[string]any{"id": "C-platform"},
		"container":    map[string]any{"type": "message", "message_ts": "1700000000.000001"},
		"response_url": responseURL,
		"message":      map[string]any{"type": "message", "text": "fallback", "ts": "1700000000.000001", "blocks": blocks},
		"actions":      []map[string]any{{"type": "button", "action_id": action, "block_id": alerts.ActionBlock + fp, "value": fp}},
	}
	raw, err := json.Marshal(payload)
	require.NoError(t, err)
	return url.Values{"payload": {string(raw)}}.Encode()
}

func TestInteractions(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	f := finding("ack-me", "platform", model.SeverityHigh)
	r.record(t, f)
	_, err := r.dispatcher("a").DeliverDue(ctx)
	require.NoError(t, err)
	sent := r.slack.messages()[0]

	var (
		mu      sync.Mutex
		updates []map[string]any
	)
	respSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(req.Body).Decode(&body)
		mu.Lock()
		updates = append(updates, body)
		mu.Unlock()
	}))
	defer respSrv.Close()

	now := time.Now().Truncate(time.Second) // slack-go checks the timestamp against the real clock too
	h := &slacknotify.Interactions{SigningSecret: signingSecret, Store: r.al, Now: func() time.Time { return now }}
	srv := httptest.NewServer(h)
	defer srv.Close()
	post := func(body, sig string, ts int64) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("X-Slack-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	ack := interaction(t, alerts.ActionAck, f.Fingerprint, respSrv.URL, sent.Blocks)
	ts := now.Unix()

	t.Run("invalid signature", func(t *testing.T) {
		code, msg := post(ack, sign("wrong-secret", ts, ack), ts)
		require.Equal(t, http.StatusUnauthorized, code)
		require.Contains(t, msg, "invalid signature")
		code, _ = post(ack+"&x=1", sign(signingSecret, ts, ack), ts)
		require.Equal(t, http.StatusUnauthorized, code, "a tampered body fails")
	})
	t.Run("stale timestamp", func(t *testing.T) {
		old := now.Add(-6 * time.Minute).Unix()
		code, msg := post(ack, sign(signingSecret, old, ack), old)
		require.Equal(t, http.StatusUnauthorized, code)
		require.Contains(t, msg, "5 minute")
	})
	acts, err := r.al.Actions(ctx, f.Fingerprint)
	require.NoError(t, err)
	require.Empty(t, acts, "rejected requests record nothing")

	t.Run("valid acknowledge, then its replay", func(t *testing.T) {
		sig := sign(signingSecret, ts, ack)
		code, _ := post(ack, sig, ts)
		require.Equal(t, http.StatusOK, code)
		acts, err := r.al.Actions(ctx, f.Fingerprint)
		require.NoError(t, err)
		require.Len(t, acts, 1)
		require.Equal(t, "ack", acts[0].Action)
		require.Equal(t, "U123", acts[0].Actor)
		mu.Lock()
		require.Len(t, updates, 1)
		upd, _ := json.Marshal(updates[0])
		mu.Unlock()
		require.Contains(t, string(upd), "Acknowledged by \\u003c@U123\\u003e")
		require.NotContains(t, string(upd), alerts.ActionAck, "the buttons of that finding are replaced")
		require.Contains(t, string(upd), `"replace_original":true`)

		code, msg := post(ack, sig, ts)
		require.Equal(t, http.StatusUnauthorized, code)
		require.Contains(t, msg, "replayed")
		acts, err = r.al.Actions(ctx, f.Fingerprint)
		require.NoError(t, err)
		require.Len(t, acts, 1, "a replay records nothing")
	})

	t.Run("snooze waives the finding for 7 days", func(t *testing.T) {
		snooze := interaction(t, alerts.ActionSnooze, f.Fingerprint, respSrv.URL, sent.Blocks)
		ts2 := ts + 1
		now = now.Add(time.Second)
		code, _ := post(snooze, sign(signingSecret, ts2, snooze), ts2)
		require.Equal(t, http.StatusOK, code)
		ws, err := r.al.StoredWaivers(ctx, now)
		require.NoError(t, err)
		require.Len(t, ws, 1)
		require.Equal(t, f.Fingerprint, ws[0].Fingerprint)
		require.Contains(t, ws[0].Approver, "U123")
		require.Equal(t, now.UTC().Add(7*24*time.Hour), ws[0].ExpiresAt)

		// The next cycle records it waived, silently.
		r.clock.t = now
		trs := r.record(t, f)
		require.Empty(t, trs)
		got, _, err := r.st.Finding(ctx, f.Fingerprint)
		require.NoError(t, err)
		require.Equal(t, model.StateWaived, got.State)

		// After 7 days it reopens, with an alert.
		r.clock.t = now.Add(7*24*time.Hour + time.Minute)
		trs = r.record(t, f)
		require.Len(t, trs, 1)
		require.Equal(t, store.ChangeReopened, trs[0].Change)
		res, err := r.dispatcher("a").DeliverDue(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, res.Sent)
		last := r.slack.messages()[len(r.slack.messages())-1]
		require.Contains(t, last.Text, "1 reopened for team platform")
	})
}
