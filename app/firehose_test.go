package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors/cloudtrail"
	"github.com/driftwarden/driftwarden/model"
)

// The demo's CloudTrail records, delivered instead through a CloudWatch
// Logs subscription and a Firehose stream (layout: firehose), give the same
// attribution: alice's console change, an out_of_band_change whose
// evidence names the Firehose object holding the record.
func TestDemoThroughFirehose(t *testing.T) {
	cfg := demoConfig(t)
	// Every record of the demo's log files, as CloudWatch Logs log events.
	var events []map[string]any
	files, err := filepath.Glob(filepath.Join("..", "examples", "demo", "cloudtrail", "AWSLogs", "*", "CloudTrail", "*", "*", "*", "*", "*.json.gz"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		_, err = cloudtrail.StreamRecords(bytes.NewReader(data), func(i int, raw []byte) error {
			events = append(events, map[string]any{"id": fmt.Sprintf("3%055d", len(events)), "timestamp": 1795000000000 + len(events), "message": string(raw)})
			return nil
		})
		require.NoError(t, err)
	}
	// One Firehose object: a control message, then the data messages, each
	// a gzip member of its own (CloudWatch Logs compresses each).
	var obj bytes.Buffer
	member := func(v any) {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		zw := gzip.NewWriter(&obj)
		_, err = zw.Write(b)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
	}
	member(map[string]any{"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "", "subscriptionFilters": []string{}, "logEvents": []any{map[string]any{"id": "", "timestamp": 1795000000000, "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose."}}})
	for i := 0; i < len(events); i += 2 {
		member(map[string]any{"messageType": "DATA_MESSAGE", "owner": "111122223333", "logGroup": "aws-cloudtrail-logs", "logStream": "111122223333_CloudTrail_eu-west-1",
			"subscriptionFilters": []string{"to-firehose"}, "logEvents": events[i:min(i+2, len(events))]})
	}
	dir := t.TempDir()
	key := filepath.Join("ct", "2026", "11", "25", "22", "ct-stream-1-2026-11-25-22-50-00-4f1c2b7a-9d1e-4c3b-8a2f-0e5d6c7b8a90")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(key)), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, key), obj.Bytes(), 0o644))
	found := false
	for i := range cfg.Events {
		if cfg.Events[i].Type == "cloudtrail_files" {
			cfg.Events[i].Path, cfg.Events[i].Prefix, cfg.Events[i].Layout = dir, "ct", "firehose"
			found = true
		}
	}
	require.True(t, found)

	a := newTestApp(t, cfg)
	res, err := a.Cycle(context.Background())
	require.NoError(t, err)
	require.Equal(t, "ok", res.Status, "sources: %+v", res.Sources)
	var oob *model.Finding
	for i, f := range res.Findings {
		if f.Kind == model.FindingOutOfBandChange && f.Address == "aws_security_group.admin" && strings.Contains(f.Message, "AuthorizeSecurityGroupIngress") {
			oob = &res.Findings[i]
		}
	}
	require.NotNil(t, oob, "alice's console change through Firehose is an out_of_band_change")
	ev := oob.Evidence.Events[0]
	require.Equal(t, "alice@example.com", ev.Principal.Person)
	require.Equal(t, model.ViaConsole, ev.Via)
	require.True(t, strings.HasSuffix(ev.Origin.File, filepath.Base(key)), ev.Origin.File)
}
