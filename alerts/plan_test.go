package alerts

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

func tr(c store.Change, fp, team string, sev model.Severity) store.Transition {
	return store.Transition{Change: c, Finding: model.Finding{Fingerprint: fp, Team: team, Severity: sev, Kind: model.FindingViolation,
		PolicyID: "DW-1", Title: "Thing <bad> & wrong", ResourceID: "r/" + fp}}
}

func TestPlanRouting(t *testing.T) {
	p := &Planner{Teams: map[string]Team{
		"web":  {Channel: "#web", MinSeverity: model.SeverityHigh, Mention: "<!subteam^S1>"},
		"data": {},
	}, DefaultChannel: "#default"}
	esc := tr(store.ChangeEscalated, "e", "web", model.SeverityCritical)
	esc.PreviousSeverity = model.SeverityMedium
	msgs, err := p.Plan(store.PlanInput{Transitions: []store.Transition{
		tr(store.ChangeOpened, "a", "web", model.SeverityMedium), // below web's minimum
		esc,
		tr(store.ChangeOpened, "b", "data", model.SeverityLow),    // data has no channel: default
		tr(store.ChangeOpened, "c", "nobody", model.SeverityLow),  // unknown team: default
		tr(store.ChangeResolved, "d", "web", model.SeverityHigh),  // never alerted: no reply
		tr(store.ChangeResolved, "x", "web", model.SeverityHigh),  // alerted by message 7
		tr(store.ChangeResolved, "y", "data", model.SeverityHigh), // alerted by message 7 too
	}, Threads: map[string]int64{"x": 7, "y": 7}})
	require.NoError(t, err)
	require.Len(t, msgs, 4)
	byTeam := map[string]store.OutboxMessage{}
	for _, m := range msgs[:3] {
		require.Equal(t, store.OutboxAlert, m.Kind)
		byTeam[m.Team] = m
	}
	require.Equal(t, "#web", byTeam["web"].Channel)
	require.Equal(t, []string{"e"}, byTeam["web"].Opens)
	require.Equal(t, "#default", byTeam["data"].Channel)
	require.Equal(t, "#default", byTeam["nobody"].Channel)
	var pl Payload
	require.NoError(t, json.Unmarshal(byTeam["web"].Payload, &pl))
	raw := string(byTeam["web"].Payload)
	require.Contains(t, raw, "escalated from medium")
	require.Contains(t, raw, `\u003c!subteam^S1\u003e`)
	require.Contains(t, raw, "Thing \\u0026lt;bad\\u0026gt; \\u0026amp; wrong", "mrkdwn control characters are escaped")
	require.Equal(t, store.OutboxReply, msgs[3].Kind)
	require.Equal(t, int64(7), msgs[3].ParentID)

	// Without any channel, nothing is planned (unless a webhook fixes it).
	none, err := (&Planner{}).Plan(store.PlanInput{Transitions: []store.Transition{tr(store.ChangeOpened, "a", "web", model.SeverityHigh)}})
	require.NoError(t, err)
	require.Empty(t, none)
	hook, err := (&Planner{Webhook: true}).Plan(store.PlanInput{Transitions: []store.Transition{tr(store.ChangeOpened, "a", "web", model.SeverityHigh)}})
	require.NoError(t, err)
	require.Len(t, hook, 1)
}

func TestRunbookTemplate(t *testing.T) {
	rb, err := ParseRunbook("https://runbooks/{{.PolicyID}}?f={{.Fingerprint}}")
	require.NoError(t, err)
	p := &Planner{Runbook: rb, DefaultChannel: "#c"}
	msgs, err := p.Plan(store.PlanInput{Transitions: []store.Transition{tr(store.ChangeOpened, "abc", "t", model.SeverityHigh)}})
	require.NoError(t, err)
	require.Contains(t, string(msgs[0].Payload), `"url":"https://runbooks/DW-1?f=abc"`)
	_, err = ParseRunbook("{{.Nope")
	require.Error(t, err)
}

// A change made by hand is one item: the event violations about the event
// of an out_of_band_change finding are listed under it, not on their own;
// every finding still opens with the message.
func TestAlertFoldsEventViolationsIntoTheirChange(t *testing.T) {
	ev := model.Event{ID: "ev-1", Action: "ec2:AuthorizeSecurityGroupIngress"}
	other := model.Event{ID: "ev-2", Action: "s3:PutBucketPolicy"}
	oob := store.Transition{Change: store.ChangeOpened, Finding: model.Finding{Fingerprint: "oob", Team: "web", Severity: model.SeverityHigh,
		Kind: model.FindingOutOfBandChange, Title: "Change made outside the deploy pipeline", ResourceID: "sg-1",
		Message: "alice ran ec2:AuthorizeSecurityGroupIngress on sg-1 via console", Evidence: model.Evidence{Events: []model.Event{ev}}}}
	viol := func(fp, policy, title string, sev model.Severity, e model.Event) store.Transition {
		return store.Transition{Change: store.ChangeOpened, Finding: model.Finding{Fingerprint: fp, Team: "web", Severity: sev,
			Kind: model.FindingViolation, PolicyID: policy, Title: title, ResourceID: "sg-1", Message: title + " message",
			Evidence: model.Evidence{Events: []model.Event{e}}}}
	}
	ts := []store.Transition{
		viol("v7", "DW-EVT-007", "Security group opened to the world by an API call", model.SeverityCritical, ev),
		oob,
		viol("v1", "DW-EVT-001", "Change made outside the deploy pipeline", model.SeverityMedium, ev),
		viol("v9", "DW-EVT-002", "Bucket policy changed", model.SeverityMedium, other), // another event: its own item
		tr(store.ChangeOpened, "r1", "web", model.SeverityLow),
	}
	items := foldItems(ts)
	require.Len(t, items, 4)
	require.Equal(t, "v7", items[0].t.Finding.Fingerprint, "more severe than the change: its own item, first")
	require.Empty(t, items[0].also)
	require.Equal(t, "oob", items[1].t.Finding.Fingerprint)
	require.Len(t, items[1].also, 1)
	require.Equal(t, "v1", items[1].also[0].Finding.Fingerprint)
	require.Equal(t, "v9", items[2].t.Finding.Fingerprint)
	require.Equal(t, "r1", items[3].t.Finding.Fingerprint)

	msgs, err := (&Planner{DefaultChannel: "#c"}).Plan(store.PlanInput{Transitions: ts})
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.ElementsMatch(t, []string{"v7", "oob", "v1", "v9", "r1"}, msgs[0].Opens, "every finding opens with the message")
	var pl Payload
	require.NoError(t, json.Unmarshal(msgs[0].Payload, &pl))
	raw := string(msgs[0].Payload)
	require.NotContains(t, raw, "*Also:* [CRITICAL]")
	require.Contains(t, raw, "*Also:* [MEDIUM] DW-EVT-001: Change made outside the deploy pipeline")
	require.Contains(t, pl.Text, "5 new for team web")
	require.Contains(t, pl.Text, "also [MEDIUM] DW-EVT-001")
	sections := 0
	for _, b := range pl.Blocks.BlockSet {
		if b.BlockType() == "section" {
			sections++
		}
	}
	require.Equal(t, 5, sections, "the summary line and four items")

	// With buttons, a listed-under finding can be acknowledged on its own.
	msgs, err = (&Planner{DefaultChannel: "#c", Interactive: true}).Plan(store.PlanInput{Transitions: ts})
	require.NoError(t, err)
	require.Contains(t, string(msgs[0].Payload), `"block_id":"act:v1"`)
	require.Contains(t, string(msgs[0].Payload), `"block_id":"act:oob"`)
}

// What an event carries (its request, its raw record) never reaches the
// message through a folded violation.
func TestFoldedViolationKeepsSecretsOut(t *testing.T) {
	ev := model.Event{ID: "ev-1", Action: "iam:CreateAccessKey", Request: map[string]any{"secretAccessKey": "hunter2-planted"},
		RequestJSON: []byte(`{"password":"hunter2-planted"}`), Raw: []byte(`{"secret":"hunter2-planted"}`)}
	oob := store.Transition{Change: store.ChangeOpened, Finding: model.Finding{Fingerprint: "oob", Team: "web", Severity: model.SeverityHigh,
		Kind: model.FindingOutOfBandChange, Title: "Change made outside the deploy pipeline", ResourceID: "user/bob",
		Evidence: model.Evidence{Events: []model.Event{ev}}}}
	v := store.Transition{Change: store.ChangeOpened, Finding: model.Finding{Fingerprint: "v", Team: "web", Severity: model.SeverityCritical,
		Kind: model.FindingViolation, PolicyID: "DW-EVT-009", Title: "Access key created", ResourceID: "user/bob",
		Evidence: model.Evidence{Events: []model.Event{ev}}}}
	msgs, err := (&Planner{DefaultChannel: "#c"}).Plan(store.PlanInput{Transitions: []store.Transition{oob, v}})
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Contains(t, string(msgs[0].Payload), "DW-EVT-009")
	require.NotContains(t, string(msgs[0].Payload), "hunter2-planted")
}

// Items with folded violations and buttons stay within Slack's 50 blocks:
// whole items only, and the rest counted in "and N more".
func TestFoldedItemsStayWithinTheBlockLimit(t *testing.T) {
	var ts []store.Transition
	for i := range 12 {
		ev := model.Event{ID: fmt.Sprintf("ev-%d", i)}
		ts = append(ts, store.Transition{Change: store.ChangeOpened, Finding: model.Finding{Fingerprint: fmt.Sprintf("oob-%d", i), Team: "web",
			Severity: model.SeverityHigh, Kind: model.FindingOutOfBandChange, Title: "Change made outside the deploy pipeline",
			ResourceID: fmt.Sprintf("sg-%d", i), Evidence: model.Evidence{Events: []model.Event{ev}}}})
		for j := range 3 {
			ts = append(ts, store.Transition{Change: store.ChangeOpened, Finding: model.Finding{Fingerprint: fmt.Sprintf("v-%d-%d", i, j), Team: "web",
				Severity: model.SeverityMedium, Kind: model.FindingViolation, PolicyID: fmt.Sprintf("DW-EVT-00%d", j+1), Title: "Event policy",
				ResourceID: fmt.Sprintf("sg-%d", i), Evidence: model.Evidence{Events: []model.Event{ev}}}})
		}
	}
	msgs, err := (&Planner{DefaultChannel: "#c", Interactive: true}).Plan(store.PlanInput{Transitions: ts})
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	var pl Payload
	require.NoError(t, json.Unmarshal(msgs[0].Payload, &pl))
	require.LessOrEqual(t, len(pl.Blocks.BlockSet), MaxBlocks)
	shown := 0
	for _, b := range pl.Blocks.BlockSet {
		if b.BlockType() == "divider" {
			shown++
		}
	}
	require.Less(t, shown, 12)
	require.Contains(t, string(msgs[0].Payload), fmt.Sprintf("and %d more findings", 48-4*shown))
}

// One change with more folded violations than buttons fit: the message
// stays within 50 blocks (the buttons stop, the text still lists them).
func TestOneItemWithManyFoldedViolations(t *testing.T) {
	ev := model.Event{ID: "ev-1"}
	ts := []store.Transition{{Change: store.ChangeOpened, Finding: model.Finding{Fingerprint: "oob", Team: "web", Severity: model.SeverityHigh,
		Kind: model.FindingOutOfBandChange, Title: "Change made outside the deploy pipeline", Evidence: model.Evidence{Events: []model.Event{ev}}}}}
	for i := range 30 {
		ts = append(ts, store.Transition{Change: store.ChangeOpened, Finding: model.Finding{Fingerprint: fmt.Sprintf("v%d", i), Team: "web",
			Severity: model.SeverityLow, Kind: model.FindingViolation, PolicyID: fmt.Sprintf("X-%d", i), Title: "p", Evidence: model.Evidence{Events: []model.Event{ev}}}})
	}
	msgs, err := (&Planner{DefaultChannel: "#c", Interactive: true}).Plan(store.PlanInput{Transitions: ts})
	require.NoError(t, err)
	var pl Payload
	require.NoError(t, json.Unmarshal(msgs[0].Payload, &pl))
	require.LessOrEqual(t, len(pl.Blocks.BlockSet), MaxBlocks)
	require.Contains(t, pl.Text, "also [LOW] X-29")
}
