package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/driftwarden/driftwarden/alerts"
	"github.com/driftwarden/driftwarden/store"
)

// SnoozeFor is how long "Snooze 7 days" waives a finding.
const SnoozeFor = 7 * 24 * time.Hour

// maxSkew is how far a request's timestamp may be from now.
const maxSkew = 5 * time.Minute

// Interactions handles POST /slack/interactions: Slack's signed block
// action callbacks for the Acknowledge and Snooze buttons.
type Interactions struct {
	SigningSecret string
	Store         store.AlertStore
	Logger        *slog.Logger
	// HTTP posts the updated message to the callback's response_url.
	HTTP *http.Client
	Now  func() time.Time

	mu   sync.Mutex
	seen map[string]time.Time // signature -> when seen (replay window)
}

func (h *Interactions) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Interactions) log() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// ServeHTTP verifies the signature and timestamp, rejects replays, records
// the action and updates the message.
func (h *Interactions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "reading the request", http.StatusBadRequest)
		return
	}
	if status, msg := h.verify(r.Header, body); status != 0 {
		h.log().Warn("Slack interaction rejected", "event", "slack_interaction_rejected", "reason", msg)
		http.Error(w, msg, status)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "invalid form body", http.StatusBadRequest)
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		http.Error(w, "invalid payload", http.StatusBadRequest)
		return
	}
	if cb.Type != slack.InteractionTypeBlockActions {
		w.WriteHeader(http.StatusOK)
		return
	}
	for _, a := range cb.ActionCallback.BlockActions {
		if a.ActionID != alerts.ActionAck && a.ActionID != alerts.ActionSnooze {
			continue
		}
		if err := h.apply(r.Context(), &cb, a); err != nil {
			h.log().Error("recording a Slack action failed", "event", "slack_action_failed", "action", a.ActionID, "error", err)
			http.Error(w, "recording the action failed", http.StatusInternalServerError)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// verify returns a status and message when the request must be rejected.
func (h *Interactions) verify(hd http.Header, body []byte) (int, string) {
	if h.SigningSecret == "" {
		return http.StatusServiceUnavailable, "interactivity is not configured (alerts.slack.signing_secret_env)"
	}
	tsText := hd.Get("X-Slack-Request-Timestamp")
	sig := hd.Get("X-Slack-Signature")
	var ts int64
	if _, err := fmt.Sscan(tsText, &ts); err != nil || sig == "" {
		return http.StatusUnauthorized, "missing or invalid signature headers"
	}
	if d := h.now().Sub(time.Unix(ts, 0)); d > maxSkew || d < -maxSkew {
		return http.StatusUnauthorized, "request timestamp outside the 5 minute window"
	}
	sv, err := slack.NewSecretsVerifier(hd, h.SigningSecret)
	if err != nil {
		return http.StatusUnauthorized, "invalid signature headers"
	}
	_, _ = sv.Write(body)
	if err := sv.Ensure(); err != nil {
		return http.StatusUnauthorized, "invalid signature"
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.seen == nil {
		h.seen = map[string]time.Time{}
	}
	now := h.now()
	for s, at := range h.seen {
		if now.Sub(at) > 2*maxSkew {
			delete(h.seen, s)
		}
	}
	if _, dup := h.seen[sig]; dup {
		return http.StatusUnauthorized, "replayed request"
	}
	h.seen[sig] = now
	return 0, ""
}

func (h *Interactions) apply(ctx context.Context, cb *slack.InteractionCallback, a *slack.BlockAction) error {
	fp := a.Value
	if fp == "" || len(fp) > 64 {
		return fmt.Errorf("action %s without a finding fingerprint", a.ActionID)
	}
	now := h.now().UTC()
	who := cb.User.ID
	name := cb.User.Name
	if name == "" {
		name = cb.User.Username
	}
	act := store.Action{Fingerprint: fp, Actor: who, ActorName: name, At: now, Channel: cb.Channel.ID, TS: cb.Container.MessageTs}
	var note string
	switch a.ActionID {
	case alerts.ActionAck:
		act.Action = "ack"
		note = fmt.Sprintf(":eyes: Acknowledged by <@%s> at %s", who, now.Format("2006-01-02 15:04 MST"))
	case alerts.ActionSnooze:
		act.Action = "snooze"
		until := now.Add(SnoozeFor)
		act.ExpiresAt = &until
		approver := "slack:" + who
		if name != "" {
			approver += " (" + name + ")"
		}
		if _, err := h.Store.AddWaiver(ctx, store.StoredWaiver{Fingerprint: fp, Reason: "snoozed from Slack for 7 days",
			Approver: approver, Origin: "slack", CreatedAt: now, ExpiresAt: until}); err != nil {
			return err
		}
		note = fmt.Sprintf(":zzz: Snoozed by <@%s> until %s", who, until.Format("2006-01-02"))
	}
	if err := h.Store.RecordAction(ctx, act); err != nil {
		return err
	}
	h.log().Info("Slack action recorded", "event", "slack_action", "action", act.Action, "fingerprint", fp, "user", who)
	if cb.ResponseURL != "" {
		if err := h.update(ctx, cb, fp, note); err != nil {
			h.log().Warn("updating the Slack message failed; the action is recorded", "error", err)
		}
	}
	return nil
}

// update replaces the finding's buttons with a note, through response_url.
func (h *Interactions) update(ctx context.Context, cb *slack.InteractionCallback, fp, note string) error {
	var blocks []slack.Block
	for _, b := range cb.Message.Blocks.BlockSet {
		if ab, ok := b.(*slack.ActionBlock); ok && ab.BlockID == alerts.ActionBlock+fp {
			blocks = append(blocks, slack.NewContextBlock(ab.BlockID, slack.NewTextBlockObject(slack.MarkdownType, note, false, false)))
			continue
		}
		blocks = append(blocks, b)
	}
	body, err := json.Marshal(map[string]any{"replace_original": true, "text": cb.Message.Text, "blocks": slack.Blocks{BlockSet: blocks}})
	if err != nil {
		return err
	}
	u, err := url.Parse(cb.ResponseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("invalid response_url")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cb.ResponseURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	hc := h.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("posting to response_url: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("response_url answered %s", strings.TrimSpace(resp.Status))
	}
	return nil
}
