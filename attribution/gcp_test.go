package attribution

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/collectors/gcpaudit"
	"github.com/driftwarden/driftwarden/engine"
	"github.com/driftwarden/driftwarden/identity"
	"github.com/driftwarden/driftwarden/model"
)

const (
	gcpFW       = "//compute.googleapis.com/projects/acme-demo-prod/global/firewalls/allow-https"
	gcpDeployer = "terraform@acme-demo-prod.iam.gserviceaccount.com"
)

// gcpEntry is a Cloud Audit Log entry (as a log sink writes it) of a
// compute.firewalls.patch on gcpFW.
type gcpEntry struct {
	id, principal, ua string
	chain             []string // impersonation chain, oldest first
	at                time.Time
	op                map[string]any // LogEntry operation
	request           map[string]any
	status            map[string]any
}

func (e gcpEntry) parse(t *testing.T) model.Event {
	t.Helper()
	ai := map[string]any{"principalEmail": e.principal}
	if len(e.chain) > 0 {
		var dl []any
		for _, c := range e.chain {
			dl = append(dl, map[string]any{"firstPartyPrincipal": map[string]any{"principalEmail": c}})
		}
		ai["serviceAccountDelegationInfo"] = dl
	}
	pp := map[string]any{
		"@type": gcpaudit.AuditLogType, "serviceName": "compute.googleapis.com", "methodName": "v1.compute.firewalls.patch",
		"resourceName": "projects/acme-demo-prod/global/firewalls/allow-https", "authenticationInfo": ai,
		"requestMetadata": map[string]any{"callerIp": "203.0.113.7", "callerSuppliedUserAgent": e.ua},
	}
	if e.request != nil {
		pp["request"] = e.request
	} else {
		pp["request"] = map[string]any{"@type": "type.googleapis.com/compute.firewalls.patch"}
	}
	if e.status != nil {
		pp["status"] = e.status
	}
	m := map[string]any{
		"insertId": e.id, "logName": "projects/acme-demo-prod/logs/cloudaudit.googleapis.com%2Factivity",
		"timestamp": e.at.Format(time.RFC3339Nano), "protoPayload": pp,
		"resource": map[string]any{"type": "gce_firewall_rule", "labels": map[string]any{"project_id": "acme-demo-prod"}},
	}
	if e.op != nil {
		m["operation"] = e.op
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	ev, err := gcpaudit.ParseEntry(b)
	require.NoError(t, err)
	return ev
}

func gcpStacks(serial int64) []collectors.Stack {
	return []collectors.Stack{{Name: "gcp-prod", Source: "demo-states", Serial: serial, Lineage: "L", Resources: []model.Resource{
		{ID: gcpFW, Type: "google_compute_firewall", Address: "google_compute_firewall.https", Stack: "gcp-prod"},
	}}}
}

func newGCPAttributor() *Attributor {
	return New(Config{
		Deployers:         []DeployerRule{{Stacks: []string{"gcp-*"}, Principals: []string{gcpDeployer}}},
		ChangedAttributes: identity.ChangedAttributes,
		CountsAsChange:    gcpaudit.CountsAsChange,
	})
}

func TestGCPVerdicts(t *testing.T) {
	const ua = "google-cloud-sdk gcloud/489.0.0 command/gcloud.compute.firewall-rules.update invocation-id/0c4a1b2d3e4f interactive/False"
	cases := []struct {
		name    string
		e       gcpEntry
		serials []int64 // serial seen at t0-20m and t0+20m (the event is at t0)
		verdict string
		person  string
	}{
		{"terraform impersonating the deployer during an apply", gcpEntry{principal: gcpDeployer,
			chain: []string{"github-ci@acme-ci.iam.gserviceaccount.com"},
			ua:    "Terraform/1.9.8 (+https://www.terraform.io) Terraform-Plugin-SDK/2.33.0 terraform-provider-google/5.44.0"},
			[]int64{7, 8}, VerdictPipeline, ""},
		{"a person impersonating the deployer outside an apply", gcpEntry{principal: gcpDeployer,
			chain: []string{"carol@example.com"}, ua: ua}, []int64{7, 7}, VerdictPipelineOutsideApply, "carol@example.com"},
		{"a person impersonating another service account", gcpEntry{principal: "ops-admin@acme-demo-prod.iam.gserviceaccount.com",
			chain: []string{"carol@example.com"}, ua: ua}, []int64{7, 7}, VerdictHuman, "carol@example.com"},
		{"a person with gcloud", gcpEntry{principal: "carol@example.com", ua: ua}, []int64{7, 7}, VerdictHuman, "carol@example.com"},
		{"a Google service agent", gcpEntry{principal: "service-493827160514@compute-system.iam.gserviceaccount.com",
			ua: "GCE Managed Instance Group"}, []int64{7, 7}, VerdictService, ""},
		{"a service agent without a user agent", gcpEntry{principal: "493827160514@cloudservices.gserviceaccount.com"},
			[]int64{7, 7}, VerdictService, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.e.id, c.e.at = "e1", t0
			ev := c.e.parse(t)
			require.Equal(t, c.person, ev.Principal.Person)
			a, cp := newGCPAttributor(), memCP{}
			run(t, a, cp, engine.AttributionInput{Now: t0.Add(-20 * time.Minute), Stacks: gcpStacks(c.serials[0])})
			out := run(t, a, cp, engine.AttributionInput{Now: t0.Add(40 * time.Minute), Stacks: gcpStacks(c.serials[1]), Events: []model.Event{ev}})
			require.Equal(t, c.verdict, out.Events[0].Verdict)
			if c.verdict == VerdictPipeline {
				require.Empty(t, out.Findings)
				return
			}
			require.Len(t, out.Findings, 1)
			f := out.Findings[0]
			require.Equal(t, model.FindingOutOfBandChange, f.Kind)
			require.Equal(t, severityOf[c.verdict], f.Severity)
			if c.person != "" {
				require.Contains(t, f.Message, c.person, "the finding names the person, not the service account")
			}
		})
	}
}

// A long-running operation writes a first entry (with the request) and a
// last entry (with only the request's @type): one change, one finding, and
// the drifted attribute names the operation's last entry.
func TestGCPLongRunningOperationIsOneChange(t *testing.T) {
	const ua = "google-cloud-sdk gcloud/489.0.0 command/gcloud.compute.firewall-rules.update"
	opID := "operation-1795641243000-62a1f3b4c5d6e-7f8a9b0c-1d2e3f4a"
	first := gcpEntry{id: "-1a2b3c4d5e6f", principal: "carol@example.com", ua: ua, at: t0,
		op: map[string]any{"id": opID, "producer": "compute.googleapis.com", "first": true},
		request: map[string]any{"@type": "type.googleapis.com/compute.firewalls.patch",
			"alloweds": []any{map[string]any{"IPProtocol": "tcp", "ports": []any{"22", "443"}}}}}
	last := first
	last.id, last.at, last.request = "-6f5e4d3c2b1a", t0.Add(6*time.Second), nil
	last.op = map[string]any{"id": opID, "producer": "compute.googleapis.com", "last": true}

	drift := model.Drift{Kind: model.DriftChanged, Resource: gcpStacks(7)[0].Resources[0],
		Diffs: []model.Diff{{Path: "allow[0].ports[0]", Applied: "443", Live: "22"}}}

	t.Run("both entries in one read", func(t *testing.T) {
		evs := gcpaudit.MergeOperations([]model.Event{first.parse(t), last.parse(t)})
		a, cp := newGCPAttributor(), memCP{}
		out := run(t, a, cp, engine.AttributionInput{Now: t0.Add(time.Hour), Stacks: gcpStacks(7), Events: evs, Drifts: []model.Drift{drift}})
		require.Len(t, out.Findings, 1, "one operation, one out_of_band_change finding")
		require.Equal(t, "-6f5e4d3c2b1a", out.Findings[0].Evidence.Events[0].ID, "the last entry is the change")
		require.Len(t, out.Drifts[0].Events, 1)
		require.Equal(t, []string{"-6f5e4d3c2b1a"}, out.Drifts[0].Diffs[0].Events, "the last entry took the first's request: allow changed")

		// The next cycle reads the same files again (overlap): still one finding.
		again := run(t, a, cp, engine.AttributionInput{Now: t0.Add(2 * time.Hour), Stacks: gcpStacks(7), Events: evs,
			Open: out.Findings, Drifts: []model.Drift{drift}})
		require.Len(t, again.Findings, 1)
	})
	t.Run("entries split over two cycles", func(t *testing.T) {
		a, cp := newGCPAttributor(), memCP{}
		out := run(t, a, cp, engine.AttributionInput{Now: t0.Add(time.Minute), Stacks: gcpStacks(7), Events: []model.Event{first.parse(t)}})
		require.Empty(t, out.Findings, "the first entry alone is no change yet")
		out = run(t, a, cp, engine.AttributionInput{Now: t0.Add(2 * time.Minute), Stacks: gcpStacks(7), Events: []model.Event{last.parse(t)}})
		require.Len(t, out.Findings, 1)
		require.Contains(t, out.Findings[0].Message, "carol@example.com")
	})
	t.Run("a failed operation is no change", func(t *testing.T) {
		failed := last
		failed.status = map[string]any{"code": 7, "message": "Required 'compute.firewalls.update' permission"}
		evs := gcpaudit.MergeOperations([]model.Event{first.parse(t), failed.parse(t)})
		a, cp := newGCPAttributor(), memCP{}
		out := run(t, a, cp, engine.AttributionInput{Now: t0.Add(time.Hour), Stacks: gcpStacks(7), Events: evs})
		require.Empty(t, out.Findings)
	})
}
