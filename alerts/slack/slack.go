// Package slack delivers alert payloads to Slack with slack-go, by bot
// token (chat.postMessage: threads, message updates) or incoming webhook,
// and handles the alert buttons (Acknowledge, Snooze 7 days) posted back to
// /slack/interactions.
package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/slack-go/slack"

	"github.com/driftwarden/driftwarden/alerts"
)

// Errors of chat.postMessage that retrying cannot fix.
var permanent = map[string]bool{
	"channel_not_found": true, "invalid_auth": true, "not_in_channel": true, "account_inactive": true,
	"token_revoked": true, "token_expired": true, "not_authed": true, "is_archived": true, "missing_scope": true,
	"msg_too_long": true, "msg_blocks_too_long": true, "invalid_blocks": true, "invalid_blocks_format": true, "no_text": true,
	"restricted_action": true, "ekm_access_denied": true, "team_access_not_granted": true, "invalid_arguments": true,
}

// Sender sends payloads by bot token (Client) or incoming webhook (WebhookURL).
type Sender struct {
	// Client is a slack-go client with a bot token (chat:write).
	Client *slack.Client
	// WebhookURL is an incoming webhook; used when Client is nil.
	WebhookURL string
	HTTP       *http.Client
}

// NewBot returns a Sender using a bot token; apiURL overrides Slack's API
// base URL ("" for the real one).
func NewBot(token, apiURL string, hc *http.Client) *Sender {
	opts := []slack.Option{}
	if apiURL != "" {
		opts = append(opts, slack.OptionAPIURL(apiURL))
	}
	if hc != nil {
		opts = append(opts, slack.OptionHTTPClient(hc))
	}
	return &Sender{Client: slack.New(token, opts...)}
}

// Send implements alerts.Sender.
func (s *Sender) Send(ctx context.Context, p alerts.Payload) (string, string, error) {
	if s.Client == nil {
		hc := s.HTTP
		if hc == nil {
			hc = &http.Client{Timeout: 30 * time.Second}
		}
		msg := &slack.WebhookMessage{Text: p.Text, Blocks: &p.Blocks, ThreadTimestamp: p.ThreadTS}
		if err := slack.PostWebhookCustomHTTPContext(ctx, s.WebhookURL, hc, msg); err != nil {
			// A *url.Error quotes the URL, which is the webhook's secret.
			var ue *url.Error
			if errors.As(err, &ue) {
				err = fmt.Errorf("posting to the incoming webhook: %w", ue.Err)
			}
			return "", "", classify(err)
		}
		return "", "", nil // webhooks return no timestamp
	}
	opts := []slack.MsgOption{slack.MsgOptionText(p.Text, false), slack.MsgOptionBlocks(p.Blocks.BlockSet...)}
	if p.ThreadTS != "" {
		opts = append(opts, slack.MsgOptionTS(p.ThreadTS))
	}
	ch, ts, err := s.Client.PostMessageContext(ctx, p.Channel, opts...)
	if err != nil {
		return "", "", classify(err)
	}
	return ch, ts, nil
}

// classify maps slack-go errors to the dispatcher's classes. Webhook URLs
// never appear in errors (slack-go reports the status only).
func classify(err error) error {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return &alerts.RateLimitedError{After: rl.RetryAfter, Err: err}
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		if permanent[se.Err] {
			return &alerts.PermanentError{Reason: se.Err, Err: err}
		}
		return err
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		switch sc.Code {
		case http.StatusNotFound, http.StatusGone, http.StatusForbidden, http.StatusUnauthorized, http.StatusBadRequest:
			return &alerts.PermanentError{Reason: fmt.Sprintf("http_%d", sc.Code), Err: err}
		case http.StatusTooManyRequests:
			return &alerts.RateLimitedError{After: time.Second, Err: err}
		}
	}
	return err
}
