package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/config"
	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

// The GCP half of the demo: stack gcp-prod (states/gcp-prod), a CAI export
// (cai/) and audit log sink files (gcp-audit/).
const (
	gcpFirewallAddr = "google_compute_firewall.https"
	gcpBucketAddr   = "google_storage_bucket.assets"
	gcpHandMadeFW   = "//compute.googleapis.com/projects/acme-demo-prod/global/firewalls/temp-debug-ssh"
	gcpDeployerSA   = "terraform@acme-demo-prod.iam.gserviceaccount.com"
	// The last entry of carol's firewalls.patch operation: the change.
	carolPatchID = "-1nzc7qe3k8n7"
)

func TestDemoAttributesGCPDriftToAPerson(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	cfg := demoConfig(t)
	a, err := New(context.Background(), cfg, Options{Registry: reg, Version: "test"})
	require.NoError(t, err)
	defer a.Close()
	res, err := a.Cycle(context.Background())
	require.NoError(t, err)
	require.Equal(t, "ok", res.Status, "sources: %+v", res.Sources)
	require.Contains(t, res.Stacks, "gcp-prod")

	find := func(kind model.FindingKind, match func(f model.Finding) bool) []model.Finding {
		var out []model.Finding
		for _, f := range res.Findings {
			if f.Kind == kind && match(f) {
				out = append(out, f)
			}
		}
		return out
	}
	byAddr := func(addr string) func(model.Finding) bool {
		return func(f model.Finding) bool { return f.Address == addr }
	}

	// The firewall drifted (SSH added next to HTTPS) and carol's gcloud
	// patch explains it, down to the attribute.
	fw := find(model.FindingChanged, byAddr(gcpFirewallAddr))
	require.Len(t, fw, 1, "the firewall drifts")
	require.Equal(t, "//compute.googleapis.com/projects/acme-demo-prod/global/firewalls/allow-https", fw[0].ResourceID,
		"state and CAI name the firewall alike")
	var carol, pipeline *model.Event
	for i, ev := range fw[0].Evidence.Events {
		require.Nil(t, ev.Raw, "raw records are not kept as finding evidence")
		switch ev.Principal.ID {
		case "carol@example.com":
			require.Nil(t, carol, "one event per long-running operation, not its first and last entry")
			carol = &fw[0].Evidence.Events[i]
		case gcpDeployerSA:
			pipeline = &fw[0].Evidence.Events[i]
		}
	}
	require.NotNil(t, carol, "events: %+v", fw[0].Evidence.Events)
	require.Equal(t, carolPatchID, carol.ID)
	require.Equal(t, "carol@example.com", carol.Principal.Person)
	require.Equal(t, "user", carol.Principal.Type)
	require.Equal(t, model.ViaCLI, carol.Via, "gcloud is the CLI")
	require.Equal(t, "human", carol.Verdict)
	require.Equal(t, "compute.googleapis.com:v1.compute.firewalls.patch", carol.Action)
	require.Equal(t, time.Date(2026, 11, 25, 21, 14, 9, 230771000, time.UTC), carol.Time.UTC())
	require.NotNil(t, pipeline, "the pipeline's earlier apply is evidence too")
	require.Equal(t, "pipeline", pipeline.Verdict)
	require.Equal(t, model.ViaTerraform, pipeline.Via)
	linked := false
	for _, d := range fw[0].Evidence.Diffs {
		if strings.HasPrefix(d.Path, "allow") {
			require.Equal(t, []string{carolPatchID}, d.Events, "the allow rule names carol's patch, not the pipeline's target-tags patch")
			linked = true
		}
	}
	require.True(t, linked, "diffs: %+v", fw[0].Evidence.Diffs)

	// carol is not a deployer: one out_of_band_change finding at once.
	oob := find(model.FindingOutOfBandChange, byAddr(gcpFirewallAddr))
	require.Len(t, oob, 1, "one operation, one finding: %+v", oob)
	require.Equal(t, model.SeverityHigh, oob[0].Severity)
	require.Contains(t, oob[0].Message, "carol@example.com")
	require.Contains(t, oob[0].Message, "via cli")
	require.Contains(t, oob[0].Message, "2026-11-25T21:14:09Z")
	require.Equal(t, "gcp-prod", oob[0].Stack)

	// dave turned uniform bucket-level access off in the console.
	bucket := find(model.FindingChanged, byAddr(gcpBucketAddr))
	require.Len(t, bucket, 1)
	require.Equal(t, "//storage.googleapis.com/acme-demo-prod-assets", bucket[0].ResourceID)
	sawDave := false
	for _, ev := range bucket[0].Evidence.Events {
		if ev.Principal.Person == "dave@example.com" {
			sawDave = true
			require.Equal(t, model.ViaConsole, ev.Via)
			require.Equal(t, "human", ev.Verdict)
		}
	}
	require.True(t, sawDave, "events: %+v", bucket[0].Evidence.Events)
	bOOB := find(model.FindingOutOfBandChange, byAddr(gcpBucketAddr))
	require.Len(t, bOOB, 1)
	require.Contains(t, bOOB[0].Message, "dave@example.com")
	require.Contains(t, bOOB[0].Message, "via console")

	// The hand-made firewall is unmanaged, created by carol.
	um := find(model.FindingUnmanaged, func(f model.Finding) bool { return f.ResourceID == gcpHandMadeFW })
	require.Len(t, um, 1)
	require.NotEmpty(t, um[0].Evidence.Events)
	require.Equal(t, "carol@example.com", um[0].Evidence.Events[0].Principal.Person)

	for _, f := range res.Findings {
		if f.Kind == model.FindingOutOfBandChange {
			// The pipeline's own apply is not out of band.
			require.NotContains(t, f.Message, gcpDeployerSA)
		}
		// eve's denied firewall delete is kept as an event but is no change.
		require.NotContains(t, f.Message, "eve@example.com")
		require.NotContains(t, f.Message, "firewalls.delete")
		for _, ev := range f.Evidence.Events {
			require.NotEqual(t, "eve@example.com", ev.Principal.ID)
		}
	}

	out, err := json.Marshal(res)
	require.NoError(t, err)
	for _, s := range demoSecrets {
		require.NotContains(t, string(out), s)
	}
	n, err := testutil.GatherAndCount(reg, "driftwarden_out_of_band_changes_total")
	require.NoError(t, err)
	require.Positive(t, n)
}

// A secret in a GCP audit request (a metadata item holding a token) never
// reaches findings, the store or alerts.
func TestDemoGCPAuditSecretsNeverLeak(t *testing.T) {
	const secret = "gcp-tok3n-S3cr3t-do-not-leak"
	dir := t.TempDir()
	copyTree(t, filepath.Join("..", "examples", "demo"), dir)
	entry := `{"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","status":{},` +
		`"authenticationInfo":{"principalEmail":"dave@example.com"},` +
		`"requestMetadata":{"callerIp":"192.0.2.88","callerSuppliedUserAgent":"google-api-go-client/0.5 gl-go/1.23.4 gdcl/0.197.0"},` +
		`"serviceName":"compute.googleapis.com","methodName":"v1.compute.firewalls.patch",` +
		`"resourceName":"projects/acme-demo-prod/global/firewalls/allow-https",` +
		`"request":{"@type":"type.googleapis.com/compute.firewalls.patch","description":"debug",` +
		`"metadata":{"items":[{"key":"api-token","value":"` + secret + `"}]},"clientSecret":"` + secret + `"}},` +
		`"insertId":"-planted0secret","resource":{"type":"gce_firewall_rule","labels":{"project_id":"acme-demo-prod"}},` +
		`"timestamp":"2026-11-25T21:50:00.000001Z","severity":"NOTICE",` +
		`"logName":"projects/acme-demo-prod/logs/cloudaudit.googleapis.com%2Factivity"}` + "\n"
	f, err := os.OpenFile(filepath.Join(dir, "gcp-audit", "cloudaudit.googleapis.com", "activity", "2026", "11", "25", "21-00-00_21-59-59_S0.json"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(entry)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	cfg, err := config.Load(filepath.Join(dir, "driftwarden.yaml"))
	require.NoError(t, err)
	cfg.Store.URL = filepath.Join(t.TempDir(), "dw.db")
	cfg.Alerts.File.Path = filepath.Join(t.TempDir(), "alerts.jsonl")
	a := newTestApp(t, cfg)
	res, err := a.Cycle(context.Background())
	require.NoError(t, err)

	planted := false
	for _, f := range res.Findings {
		planted = planted || (f.Kind == model.FindingOutOfBandChange && strings.Contains(f.Message, "dave@example.com") && f.Address == gcpFirewallAddr)
	}
	require.True(t, planted, "the planted event is a finding with its (redacted) request as evidence")
	out, err := json.Marshal(res)
	require.NoError(t, err)
	require.NotContains(t, string(out), secret)
	stored, err := a.Store().Findings(context.Background(), store.FindingFilter{})
	require.NoError(t, err)
	b, err := json.Marshal(stored)
	require.NoError(t, err)
	require.NotContains(t, string(b), secret)
	_, err = a.DeliverAlerts(context.Background(), 30*time.Second)
	require.NoError(t, err)
	require.NoError(t, a.Close())
	alerts, err := os.ReadFile(cfg.Alerts.File.Path)
	require.NoError(t, err)
	require.Contains(t, string(alerts), "acme-demo-prod", "GCP findings were alerted")
	require.NotContains(t, string(alerts), secret)
}
