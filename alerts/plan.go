// Package alerts turns finding transitions into messages for the owning
// team and delivers them.
//
// The Planner is a pure function from one cycle's transitions to outbox
// messages (store.CycleRecord.Plan), so alerts are written in the same
// transaction as the transitions they announce: one grouped message per
// team per cycle for new, escalated and reopened findings, and thread
// replies to the opening message for resolutions. The Dispatcher delivers
// the outbox with retries, backoff, Retry-After and a per-channel rate, and
// dead-letters permanent failures. Senders (alerts/slack, the file and log
// notifiers) put one Payload on the wire.
package alerts

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/template"

	"github.com/slack-go/slack"

	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

// Payload is exactly what is sent: the body of chat.postMessage (and of an
// incoming webhook, which ignores channel).
type Payload struct {
	Channel  string       `json:"channel,omitempty"`
	Text     string       `json:"text"`
	Blocks   slack.Blocks `json:"blocks"`
	ThreadTS string       `json:"thread_ts,omitempty"`
}

// Team is one team's routing.
type Team struct {
	Channel     string
	MinSeverity model.Severity
	Mention     string // e.g. <!subteam^S123> or @here, put in the summary line
}

// Planner decides which transitions become which messages.
type Planner struct {
	Teams map[string]Team
	// DefaultChannel receives teams without a channel ("" drops them).
	DefaultChannel string
	// Webhook is true when delivery cannot route per channel: every team's
	// message goes to the webhook's fixed channel.
	Webhook bool
	// Runbook is the runbook URL template (nil: no link).
	Runbook *template.Template
	// MaxItems is how many findings one message lists (default 10).
	MaxItems int
	// Interactive adds Acknowledge and Snooze buttons.
	Interactive bool
}

// ParseRunbook parses a runbook URL template.
func ParseRunbook(s string) (*template.Template, error) {
	if s == "" {
		return nil, nil
	}
	t, err := template.New("runbook").Option("missingkey=error").Parse(s)
	if err != nil {
		return nil, fmt.Errorf("parsing runbook_url: %w", err)
	}
	return t, nil
}

// route returns the channel of a team and whether sev reaches its minimum.
func (p *Planner) route(team string, sev model.Severity) (string, bool) {
	t, ok := p.Teams[team]
	ch := t.Channel
	if ch == "" {
		ch = p.DefaultChannel
	}
	if ch == "" && !p.Webhook {
		return "", false
	}
	if ok && t.MinSeverity != "" && sev.Rank() < t.MinSeverity.Rank() {
		return "", false
	}
	return ch, true
}

// Plan implements store.CycleRecord.Plan.
func (p *Planner) Plan(in store.PlanInput) ([]store.OutboxMessage, error) {
	type group struct {
		team, channel string
		items         []store.Transition
	}
	alerts := map[string]*group{}
	replies := map[int64]*group{}
	for _, t := range in.Transitions {
		team := t.Finding.Team
		switch t.Change {
		case store.ChangeOpened, store.ChangeReopened, store.ChangeEscalated:
			ch, ok := p.route(team, t.Finding.Severity)
			if !ok {
				continue
			}
			g := alerts[team]
			if g == nil {
				g = &group{team: team, channel: ch}
				alerts[team] = g
			}
			g.items = append(g.items, t)
		case store.ChangeResolved:
			parent, ok := in.Threads[t.Finding.Fingerprint]
			if !ok {
				continue // never alerted: nothing to follow up
			}
			ch, _ := p.route(team, "")
			if ch == "" {
				ch = p.DefaultChannel
			}
			g := replies[parent]
			if g == nil {
				g = &group{team: team, channel: ch}
				replies[parent] = g
			}
			g.items = append(g.items, t)
		}
	}
	var out []store.OutboxMessage
	teams := make([]string, 0, len(alerts))
	for t := range alerts {
		teams = append(teams, t)
	}
	sort.Strings(teams)
	for _, team := range teams {
		g := alerts[team]
		sortTransitions(g.items)
		pl := p.alertPayload(team, g.channel, g.items)
		raw, err := json.Marshal(pl)
		if err != nil {
			return nil, fmt.Errorf("encoding the alert of team %q: %w", team, err)
		}
		m := store.OutboxMessage{Team: team, Channel: g.channel, Kind: store.OutboxAlert, CycleID: in.CycleID, Payload: raw}
		for _, t := range g.items {
			m.Opens = append(m.Opens, t.Finding.Fingerprint)
		}
		out = append(out, m)
	}
	parents := make([]int64, 0, len(replies))
	for id := range replies {
		parents = append(parents, id)
	}
	sort.Slice(parents, func(i, j int) bool { return parents[i] < parents[j] })
	for _, id := range parents {
		g := replies[id]
		sortTransitions(g.items)
		pl := p.resolvedPayload(g.team, g.channel, g.items)
		raw, err := json.Marshal(pl)
		if err != nil {
			return nil, fmt.Errorf("encoding the resolution reply of team %q: %w", g.team, err)
		}
		out = append(out, store.OutboxMessage{Team: g.team, Channel: g.channel, Kind: store.OutboxReply, ParentID: id,
			ThreadKey: g.items[0].Finding.Fingerprint, CycleID: in.CycleID, Payload: raw})
	}
	return out, nil
}

func sortTransitions(ts []store.Transition) {
	sort.SliceStable(ts, func(i, j int) bool {
		a, b := ts[i].Finding, ts[j].Finding
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if a.Stack != b.Stack {
			return a.Stack < b.Stack
		}
		if a.ResourceID != b.ResourceID {
			return a.ResourceID < b.ResourceID
		}
		return a.Fingerprint < b.Fingerprint
	})
}

// summary counts transitions by change: "2 new, 1 escalated".
func summary(ts []store.Transition) string {
	counts := map[store.Change]int{}
	for _, t := range ts {
		counts[t.Change]++
	}
	var parts []string
	for _, c := range []struct {
		c    store.Change
		word string
	}{{store.ChangeOpened, "new"}, {store.ChangeReopened, "reopened"}, {store.ChangeEscalated, "escalated"}, {store.ChangeResolved, "resolved"}} {
		if n := counts[c.c]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, c.word))
		}
	}
	return strings.Join(parts, ", ")
}

func teamLabel(team string) string {
	if team == "" {
		return "unowned"
	}
	return team
}
