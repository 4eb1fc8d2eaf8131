package gcpaudit

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/driftwarden/driftwarden/internal/fileinput"
	"github.com/driftwarden/driftwarden/model"
)

// A Log Router sink to a Pub/Sub topic publishes each LogEntry as the data
// of one PubsubMessage: the entry's JSON, base64-encoded wherever the
// message itself is written as JSON, with the attribute
// logging.googleapis.com/timestamp. Subscribers receive, and archive, that
// message inside an envelope; the files reader recognises each of these
// per JSON value (pubsubEnvelope), so one file may mix them with plain
// LogEntries:
//
//   - a push delivery: {"message": {...}, "subscription": "projects/P/subscriptions/S"};
//   - a received message of a pull: {"ackId": "...", "message": {...}},
//     what `gcloud pubsub subscriptions pull --format=json` prints as the
//     elements of a JSON array (with "ackStatus" under --auto-ack);
//   - a REST pull response: {"receivedMessages": [received messages]}, or
//     {} when there were none;
//   - a bare PubsubMessage: {"data", "attributes", "messageId", "publishTime"}.

// loggingTimestampAttr is the message attribute a Logging sink sets to the
// LogEntry's timestamp.
const loggingTimestampAttr = "logging.googleapis.com/timestamp"

// parsed is one result of a JSON value of an export file: an event, or
// the error of the LogEntry or Pub/Sub message it came from.
type parsed struct {
	ev    model.Event
	where string // the message's place in a pull response ("message 2"), else ""
	err   error
}

// parseValue reads one JSON value of an export file: a LogEntry, or a
// Pub/Sub envelope carrying any number of LogEntries.
func parseValue(raw []byte) []parsed {
	m, err := decodeObject(raw)
	if err != nil {
		return []parsed{{err: err}}
	}
	env, ok := pubsubEnvelope(m)
	if !ok {
		ev, err := normalize(m, raw)
		return []parsed{{ev: ev, err: err}}
	}
	if env.err != nil {
		return []parsed{{err: env.err}}
	}
	out := make([]parsed, len(env.messages))
	for i, msg := range env.messages {
		out[i].ev, out[i].err = parseMessage(msg)
		if env.numbered {
			out[i].where = fmt.Sprintf("message %d", i+1)
		}
	}
	return out
}

// envelope is what a Pub/Sub envelope holds.
type envelope struct {
	messages []any // PubsubMessage objects (nil where a received message has none)
	numbered bool  // a pull response: errors name the message by its position
	err      error // the envelope itself is malformed
}

// pubsubEnvelope returns the envelope m is, or false when m is not one (a
// LogEntry, or something that is neither).
func pubsubEnvelope(m map[string]any) (envelope, bool) {
	if len(m) == 0 {
		return envelope{numbered: true}, true // an empty pull response
	}
	if get(m, "protoPayload") != nil || get(m, "protopayload_auditlog") != nil {
		return envelope{}, false
	}
	switch rm := get(m, "receivedMessages").(type) {
	case nil:
	case []any:
		env := envelope{messages: make([]any, len(rm)), numbered: true}
		for i, r := range rm {
			env.messages[i] = get(r, "message")
		}
		return env, true
	default:
		return envelope{err: fmt.Errorf("Pub/Sub pull response: receivedMessages is %s, not an array", fileinput.JSONKind(rm))}, true
	}
	if msg, ok := get(m, "message").(map[string]any); ok {
		return envelope{messages: []any{msg}}, true // push delivery or received message
	}
	if get(m, "data") != nil && (get(m, "messageId") != nil || get(m, "publishTime") != nil || get(m, "attributes") != nil) {
		return envelope{messages: []any{m}}, true
	}
	return envelope{}, false
}

// parseMessage normalises the LogEntry a PubsubMessage carries in data.
// Errors name the message by its messageId. An entry without a timestamp
// takes the message's logging.googleapis.com/timestamp attribute.
func parseMessage(msg any) (model.Event, error) {
	m, ok := msg.(map[string]any)
	if !ok {
		return model.Event{}, errors.New("Pub/Sub received message has no message object")
	}
	name := "Pub/Sub message"
	if id := str(get(m, "messageId")); id != "" {
		name += " " + id
	}
	raw, err := messageData(m)
	if err != nil {
		return model.Event{}, fmt.Errorf("%s: %w", name, err)
	}
	ev, err := ParseEntry(raw)
	if err != nil {
		return model.Event{}, fmt.Errorf("%s: data: %w", name, err)
	}
	if ev.Time.IsZero() {
		if t, err := ParseTime(str(get(get(m, "attributes"), loggingTimestampAttr))); err == nil {
			ev.Time = t
		}
	}
	return ev, nil
}

// messageData returns the data of a PubsubMessage: base64 as the API's
// JSON writes it (standard or URL-safe alphabet, padded or not, line
// breaks ignored), or a JSON object that an archiver already decoded.
func messageData(m map[string]any) ([]byte, error) {
	switch d := get(m, "data").(type) {
	case nil:
		return nil, errors.New("no data (a Logging sink puts the LogEntry there)")
	case string:
		s := strings.TrimRight(strings.TrimSpace(d), "=")
		if s == "" {
			return nil, errors.New("empty data (a Logging sink puts the LogEntry there)")
		}
		enc := base64.RawStdEncoding
		if strings.ContainsAny(s, "-_") {
			enc = base64.RawURLEncoding
		}
		b, err := enc.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("data is not base64: %w", err)
		}
		return b, nil
	case map[string]any:
		return json.Marshal(d)
	default:
		return nil, fmt.Errorf("data is %s, not a base64 string", fileinput.JSONKind(d))
	}
}
