package alerts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

// Block Kit limits (api.slack.com/reference/block-kit) and our own budget:
// Slack rejects messages of about 13 k block characters (msg_blocks_too_long).
const (
	MaxBlocks      = 50
	MaxSectionText = 3000
	MaxHeaderText  = 150
	MaxButtonText  = 75
	MaxButtonValue = 2000
	MaxID          = 255
	MaxFallback    = 3000
	itemBudget     = 1000 // characters of one finding's section
	messageBudget  = 9000 // characters of all findings' blocks of one message
	maxDiffLines   = 5
	maxDiffLine    = 160
)

// Action ids of the buttons (alerts/slack handles them).
const (
	ActionAck    = "driftwarden_ack"
	ActionSnooze = "driftwarden_snooze_7d"
	ActionBlock  = "act:" // + fingerprint
)

var changeWord = map[store.Change]string{
	store.ChangeOpened: "new", store.ChangeReopened: "reopened", store.ChangeEscalated: "escalated", store.ChangeResolved: "resolved",
}

func (p *Planner) maxItems() int {
	if p.MaxItems <= 0 || p.MaxItems > 12 {
		return 10
	}
	return p.MaxItems
}

func (p *Planner) alertPayload(team, channel string, ts []store.Transition) Payload {
	sum := fmt.Sprintf("%s for team %s", summary(ts), teamLabel(team))
	head := fmt.Sprintf("driftwarden: %d finding%s for %s", len(ts), plural(len(ts)), teamLabel(team))
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(head, MaxHeaderText)),
	}
	line := "*" + escape(sum) + "*"
	if m := p.Teams[team].Mention; m != "" {
		line = m + " " + line
	}
	blocks = append(blocks, slack.NewSectionBlock(mrkdwn(line, MaxSectionText), nil, nil))
	items := foldItems(ts)
	limit := min(len(items), p.maxItems())
	shown := 0
	used := 0
	fallback := []string{"driftwarden: " + sum}
	for _, it := range items[:limit] {
		t := it.t
		item, ctx := itemText(t)+alsoText(it.also), contextText(t.Finding)
		n := utf8.RuneCountInString(item) + utf8.RuneCountInString(ctx) + 400*(1+len(it.also)) // buttons, ids
		var itemBlocks []slack.Block
		itemBlocks = append(itemBlocks, slack.NewDividerBlock(), slack.NewSectionBlock(mrkdwn(item, MaxSectionText), nil, nil))
		if ctx != "" {
			itemBlocks = append(itemBlocks, slack.NewContextBlock("", mrkdwn(ctx, MaxSectionText)))
		}
		if acts := p.actions(t.Finding); acts != nil {
			itemBlocks = append(itemBlocks, acts)
		}
		for _, a := range it.also { // each finding can be acknowledged or snoozed, under its own label
			if acts := p.actions(a.Finding); acts != nil {
				if len(blocks)+len(itemBlocks)+2 > MaxBlocks-1 {
					// Too many for one message: the rest are listed in
					// the item's text, and acted on from the findings list.
					break
				}
				itemBlocks = append(itemBlocks, slack.NewContextBlock("", mrkdwn(escape(titleOf(a.Finding)), MaxSectionText)), acts)
			}
		}
		// The item fits whole or waits for "and N more" (one block kept
		// for that line).
		if shown > 0 && (used+n > messageBudget || len(blocks)+len(itemBlocks) > MaxBlocks-1) {
			break
		}
		used += n
		shown++
		blocks = append(blocks, itemBlocks...)
		fallback = append(fallback, fmt.Sprintf("[%s] %s: %s", strings.ToUpper(string(t.Finding.Severity)), titleOf(t.Finding), resourceOf(t.Finding)))
		for _, a := range it.also {
			fallback = append(fallback, fmt.Sprintf("  also [%s] %s", strings.ToUpper(string(a.Finding.Severity)), titleOf(a.Finding)))
		}
	}
	listed := 0 // the findings of the items shown
	for _, it := range items[:shown] {
		listed += 1 + len(it.also)
	}
	if more := len(ts) - listed; more > 0 {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(fmt.Sprintf("… and %d more finding%s (driftwarden findings list --state open)", more, plural(more)), MaxSectionText)))
		fallback = append(fallback, fmt.Sprintf("and %d more", more))
	}
	if len(blocks) > MaxBlocks {
		blocks = blocks[:MaxBlocks]
	}
	return Payload{Channel: channel, Text: clip(strings.Join(fallback, "\n"), MaxFallback), Blocks: slack.Blocks{BlockSet: blocks}}
}

// alertItem is one item of an alert: a finding, and the event violations
// about the same audit event that are listed with it.
type alertItem struct {
	t    store.Transition
	also []store.Transition
}

// foldItems lists the transitions of one alert as its items. A violation of
// an event policy about the audit event of an out_of_band_change finding of
// the same alert, and no more severe than it (DW-EVT-001 "change made
// outside the deploy pipeline" repeats that finding; others add to it), is
// listed under that finding rather than as an item of its own: one change
// made by hand is one item, with the policies it broke. A more severe
// violation keeps its own item and place. Nothing is dropped, and the
// findings stay separate everywhere else (store, reports, the findings
// list).
func foldItems(ts []store.Transition) []alertItem {
	byEvent := map[string]int{} // event id -> index in items of its out_of_band_change
	sevOf := map[string]int{}   // event id -> highest rank of its out_of_band_change findings
	for _, t := range ts {
		if t.Finding.Kind == model.FindingOutOfBandChange {
			for _, ev := range t.Finding.Evidence.Events {
				byEvent[ev.ID] = -1
				sevOf[ev.ID] = max(sevOf[ev.ID], t.Finding.Severity.Rank())
			}
		}
	}
	items := make([]alertItem, 0, len(ts))
	var folded []store.Transition
	for _, t := range ts {
		f := t.Finding
		// Only a violation no more severe than the change is listed under
		// it: a more severe one keeps its own place in the message.
		if f.Kind == model.FindingViolation && len(f.Evidence.Events) == 1 {
			if _, ok := byEvent[f.Evidence.Events[0].ID]; ok && f.Severity.Rank() <= sevOf[f.Evidence.Events[0].ID] {
				folded = append(folded, t)
				continue
			}
		}
		if f.Kind == model.FindingOutOfBandChange {
			for _, ev := range f.Evidence.Events {
				if byEvent[ev.ID] < 0 {
					byEvent[ev.ID] = len(items)
				}
			}
		}
		items = append(items, alertItem{t: t})
	}
	for _, t := range folded {
		i := byEvent[t.Finding.Evidence.Events[0].ID]
		items[i].also = append(items[i].also, t)
	}
	return items
}

// alsoText renders the violations listed under an item.
func alsoText(also []store.Transition) string {
	var b strings.Builder
	for _, a := range also {
		f := a.Finding
		fmt.Fprintf(&b, "\n*Also:* [%s] %s", strings.ToUpper(string(f.Severity)), escape(titleOf(f)))
		if f.Message != "" {
			fmt.Fprintf(&b, ": %s", escape(clip(f.Message, 200)))
		}
	}
	return clipLines(b.String(), itemBudget/2)
}

func (p *Planner) resolvedPayload(team, channel string, ts []store.Transition) Payload {
	sum := fmt.Sprintf("%d finding%s resolved for team %s", len(ts), plural(len(ts)), teamLabel(team))
	blocks := []slack.Block{slack.NewSectionBlock(mrkdwn(":white_check_mark: *"+escape(sum)+"*", MaxSectionText), nil, nil)}
	fallback := []string{"driftwarden: " + sum}
	shown := min(len(ts), p.maxItems()*3)
	var b strings.Builder
	for _, t := range ts[:shown] {
		f := t.Finding
		line := fmt.Sprintf("• ~%s~ %s `%s`", escape(titleOf(f)), "resolved:", escape(resourceOf(f)))
		if f.ResolvedAt != nil {
			line += fmt.Sprintf(" after %s", f.ResolvedAt.Sub(f.FirstSeen).Round(1e9))
		}
		b.WriteString(line + "\n")
		fallback = append(fallback, "resolved: "+titleOf(f)+": "+resourceOf(f))
	}
	if more := len(ts) - shown; more > 0 {
		fmt.Fprintf(&b, "… and %d more\n", more)
	}
	blocks = append(blocks, slack.NewSectionBlock(mrkdwn(b.String(), MaxSectionText), nil, nil))
	return Payload{Channel: channel, Text: clip(strings.Join(fallback, "\n"), MaxFallback), Blocks: slack.Blocks{BlockSet: blocks}}
}

func (p *Planner) actions(f model.Finding) slack.Block {
	var els []slack.BlockElement
	if p.Interactive {
		els = append(els,
			slack.NewButtonBlockElement(ActionAck, clip(f.Fingerprint, MaxButtonValue), plain("Acknowledge", MaxButtonText)),
			slack.NewButtonBlockElement(ActionSnooze, clip(f.Fingerprint, MaxButtonValue), plain("Snooze 7 days", MaxButtonText)))
	}
	if p.Runbook != nil {
		var buf bytes.Buffer
		if err := p.Runbook.Execute(&buf, runbookData(f)); err == nil && buf.Len() > 0 && buf.Len() <= 3000 {
			btn := slack.NewButtonBlockElement("driftwarden_runbook", "runbook", plain("Runbook", MaxButtonText))
			btn.URL = buf.String()
			els = append(els, btn)
		}
	}
	if len(els) == 0 {
		return nil
	}
	return slack.NewActionBlock(clip(ActionBlock+f.Fingerprint, MaxID), els...)
}

// RunbookData is what the runbook_url template sees.
type RunbookData struct {
	PolicyID, Fingerprint, Kind, Severity, Stack, Team, ResourceType, ResourceID, Address string
}

func runbookData(f model.Finding) RunbookData {
	return RunbookData{PolicyID: f.PolicyID, Fingerprint: f.Fingerprint, Kind: string(f.Kind), Severity: string(f.Severity),
		Stack: f.Stack, Team: f.Team, ResourceType: f.ResourceType, ResourceID: f.ResourceID, Address: f.Address}
}

// itemText is one finding: what, where, why and the diff.
func itemText(t store.Transition) string {
	f := t.Finding
	var b strings.Builder
	change := changeWord[t.Change]
	if t.Change == store.ChangeEscalated && t.PreviousSeverity != "" {
		change = fmt.Sprintf("escalated from %s", t.PreviousSeverity)
	}
	fmt.Fprintf(&b, "*[%s] %s* (%s)\n", strings.ToUpper(string(f.Severity)), escape(titleOf(f)), change)
	fmt.Fprintf(&b, "`%s`", escape(resourceOf(f)))
	if f.ResourceType != "" {
		fmt.Fprintf(&b, " (%s)", escape(f.ResourceType))
	}
	if f.Stack != "" {
		fmt.Fprintf(&b, " · stack *%s*", escape(f.Stack))
	}
	if f.Address != "" && f.ResourceID != "" && f.ResourceID != f.Address && !strings.HasPrefix(f.ResourceID, "tf:") {
		fmt.Fprintf(&b, "\nid `%s`", escape(clip(f.ResourceID, 200)))
	}
	if f.Account != "" {
		fmt.Fprintf(&b, " · account %s", escape(f.Account))
	}
	if f.Message != "" {
		fmt.Fprintf(&b, "\n*Why:* %s", escape(clip(f.Message, 400)))
	}
	head := clip(b.String(), itemBudget/2)
	if d := diffText(f.Evidence.Diffs, itemBudget-utf8.RuneCountInString(head)-8); d != "" {
		head += "\n```" + d + "```"
	}
	return clipLines(head, itemBudget)
}

// diffText renders at most maxDiffLines diffs within budget characters,
// ending with a count of what was cut (values are already redacted by
// drift; a Sensitive diff is shown without values in any case).
func diffText(ds []model.Diff, budget int) string {
	if len(ds) == 0 {
		return ""
	}
	var lines []string
	used := 0
	for i, d := range ds {
		applied, live := value(d.Applied), value(d.Live)
		if d.Sensitive {
			applied, live = model.Redacted, model.Redacted
		}
		line := escape(clip(fmt.Sprintf("~ %s: %s → %s", d.Path, applied, live), maxDiffLine))
		n := utf8.RuneCountInString(line) + 1
		if i == maxDiffLines || used+n > budget-40 {
			lines = append(lines, fmt.Sprintf("… and %d more attribute%s changed", len(ds)-i, plural(len(ds)-i)))
			break
		}
		used += n
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

func value(v any) string {
	if v == nil {
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// contextText is who/when/via (newest event first), controls and remediation.
func contextText(f model.Finding) string {
	var parts []string
	if n := len(f.Evidence.Events); n > 0 {
		ev := f.Evidence.Events[n-1]
		who := ev.Principal.Person
		if who == "" {
			who = ev.Principal.ID
		}
		s := fmt.Sprintf("*Who:* %s", escape(clip(who, 200)))
		if ev.Via != "" {
			s += " via " + escape(string(ev.Via))
		}
		if !ev.Time.IsZero() {
			s += " at " + ev.Time.UTC().Format("2006-01-02 15:04 MST")
		}
		if ev.Action != "" {
			s += " (" + escape(ev.Action) + ")"
		}
		if ev.SourceIP != "" {
			s += " from " + escape(ev.SourceIP)
		}
		if n > 1 {
			s += fmt.Sprintf(" and %d earlier event%s", n-1, plural(n-1))
		}
		parts = append(parts, s)
	}
	if len(f.Controls) > 0 {
		parts = append(parts, "*Controls:* "+escape(clip(strings.Join(f.Controls, ", "), 300)))
	}
	if f.Remediation != "" {
		parts = append(parts, "*Fix:* "+escape(clip(f.Remediation, 400)))
	}
	return strings.Join(parts, "\n")
}

func titleOf(f model.Finding) string {
	t := f.Title
	if t == "" {
		t = string(f.Kind)
	}
	if f.PolicyID != "" {
		t = f.PolicyID + ": " + t
	}
	return t
}

func resourceOf(f model.Finding) string {
	if f.Address != "" {
		return f.Address
	}
	return f.ResourceID
}

func plain(s string, n int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, clip(s, n), false, false)
}

func mrkdwn(s string, n int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, clipLines(s, n), false, false)
}

// escape makes text safe for mrkdwn (Slack's three control characters).
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// clip shortens s to at most n characters (runes), ending with "…".
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// clipLines is clip that keeps code fences balanced.
func clipLines(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	out := clip(s, n-4)
	if strings.Count(out, "```")%2 == 1 {
		out += "```"
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
