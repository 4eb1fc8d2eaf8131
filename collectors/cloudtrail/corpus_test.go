package cloudtrail

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/internal/testcorpus"
)

// checkCorpusEvent normalises one corpus record and checks the properties
// every consumer relies on.
func checkCorpusEvent(t *testing.T, where string, raw []byte) {
	t.Helper()
	requireSameDecode(t, where, raw)
	ev, err := Normalize(raw)
	require.NoError(t, err, where)
	require.NotEmpty(t, ev.Principal.ID, "%s: no principal", where)
	require.NotEmpty(t, ev.Principal.Type, "%s: no principal type", where)
	require.NotEmpty(t, ev.ID, where)
	require.Contains(t, ev.Action, ":", where)
	require.NotEmpty(t, ev.Raw, where)
}

func isCloudTrailRecord(m map[string]json.RawMessage) bool {
	_, a := m["eventName"]
	_, b := m["eventname"]
	return a || b
}

func TestCorpusPanther(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testcorpus.Path(t, "panther-analysis", "rules", "aws_cloudtrail_rules"), "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	counts := map[string]int{}
	total := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var doc struct {
			Tests []struct {
				Name string          `json:"name"`
				Log  json.RawMessage `json:"log"`
			} `json:"tests"`
		}
		require.NoError(t, json.Unmarshal(data, &doc), f)
		for i, tc := range doc.Tests {
			var m map[string]json.RawMessage
			if json.Unmarshal(tc.Log, &m) != nil || !isCloudTrailRecord(m) {
				continue
			}
			checkCorpusEvent(t, filepath.Base(f)+" tests["+itoa(i)+"]", tc.Log)
			counts[filepath.Base(f)]++
			total++
		}
	}
	logCounts(t, counts)
	require.GreaterOrEqual(t, total, 450, "panther holds 461 CloudTrail events")
}

func TestCorpusStratus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testcorpus.Path(t, "stratus-red-team", "docs", "detonation-logs"), "*.json"))
	require.NoError(t, err)
	counts := map[string]int{}
	total := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var recs []json.RawMessage
		require.NoError(t, json.Unmarshal(data, &recs), f)
		for i, r := range recs {
			checkCorpusEvent(t, filepath.Base(f)+"["+itoa(i)+"]", r)
			counts[filepath.Base(f)]++
			total++
		}
	}
	logCounts(t, counts)
	require.Equal(t, 310, total)
}

func TestCorpusCustodian(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testcorpus.Path(t, "cloud-custodian", "tests", "data", "cwe"), "*.json"))
	require.NoError(t, err)
	counts := map[string]int{}
	bare, wrapped, skipped := 0, 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(data, &m), f)
		switch {
		case isCloudTrailRecord(m):
			checkCorpusEvent(t, filepath.Base(f), data)
			bare++
		default:
			rec, ok := UnwrapEventBridge(data)
			if !ok {
				skipped++ // GuardDuty, Security Hub, Health, state changes, Config rule invocations
				counts["skipped: "+filepath.Base(f)]++
				continue
			}
			checkCorpusEvent(t, filepath.Base(f), rec)
			wrapped++
		}
		counts[filepath.Base(f)]++
	}
	logCounts(t, counts)
	t.Logf("bare %d, EventBridge %d, skipped (not CloudTrail) %d", bare, wrapped, skipped)
	require.Equal(t, 14, bare)
	require.Equal(t, 10, wrapped, "AWS API Call via CloudTrail envelopes")
	require.Equal(t, 13, skipped, "GuardDuty, Security Hub, Health, state-change, scheduled, Config envelopes and Config rule invocations")
}

func TestCorpusPlasoLookupEvents(t *testing.T) {
	f, err := os.Open(testcorpus.Path(t, "plaso", "test_data", "jsonl", "aws_cloudtrail.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var le struct {
			EventID         string `json:"EventId"`
			CloudTrailEvent string `json:"CloudTrailEvent"`
		}
		require.NoError(t, json.Unmarshal(line, &le))
		checkCorpusEvent(t, "line "+itoa(n+1), []byte(le.CloudTrailEvent))
		ev, _ := Normalize([]byte(le.CloudTrailEvent))
		require.Equal(t, le.EventID, ev.ID)
		require.False(t, ev.Time.IsZero())
		n++
	}
	require.NoError(t, sc.Err())
	require.Equal(t, 6, n)
}

func logCounts(t *testing.T, counts map[string]int) {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%-70s %d", k, counts[k])
	}
}

func itoa(i int) string { return strconvItoa(i) }
