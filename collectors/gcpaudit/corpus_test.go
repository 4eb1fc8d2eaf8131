package gcpaudit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/driftwarden/driftwarden/internal/testcorpus"
	"github.com/driftwarden/driftwarden/model"
	"github.com/stretchr/testify/require"
)

type corpusEntry struct {
	where string
	raw   []byte
}

// corpusEntries returns every GCP LogEntry of the shared corpus.
func corpusEntries(t *testing.T) (panther, custodian, plaso []corpusEntry) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testcorpus.Path(t, "panther-analysis", "rules", "gcp_audit_rules"), "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var rule struct {
			Tests []struct {
				Name string          `json:"name"`
				Log  json.RawMessage `json:"log"`
			} `json:"tests"`
		}
		require.NoError(t, json.Unmarshal(b, &rule), f)
		for _, tc := range rule.Tests {
			panther = append(panther, corpusEntry{filepath.Base(f) + ": " + tc.Name, tc.Log})
		}
	}
	files, err = filepath.Glob(filepath.Join(testcorpus.Path(t, "cloud-custodian", "tools", "c7n_gcp", "tests", "data", "events"), "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		custodian = append(custodian, corpusEntry{filepath.Base(f), b})
	}
	f, err := os.Open(testcorpus.Path(t, "plaso", "test_data", "jsonl", "gcp_logging.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		plaso = append(plaso, corpusEntry{"gcp_logging.jsonl line " + string(rune('0'+n/10)) + string(rune('0'+n%10)), append([]byte(nil), sc.Bytes()...)})
	}
	require.NoError(t, sc.Err())
	return panther, custodian, plaso
}

type corpusCounts struct {
	Entries, Events, NotAudit, Rejected, WithPrincipal, WithMethod, Failed, WithTime, WithResources, Complete, CompleteWithBoth int
}

func countCorpus(t *testing.T, entries []corpusEntry, complete func(model.Event, []byte) bool) corpusCounts {
	var c corpusCounts
	for _, e := range entries {
		c.Entries++
		ev, err := ParseEntry(e.raw)
		if errors.Is(err, ErrNotAuditLog) {
			c.NotAudit++
			continue
		}
		if err != nil {
			c.Rejected++
			require.NotContains(t, err.Error(), "panic", e.where)
			continue
		}
		c.Events++
		require.NotEmpty(t, ev.ID, e.where)
		require.Equal(t, EventSource, ev.Source)
		if ev.Principal.ID != "" {
			c.WithPrincipal++
		}
		if actionMethod(ev) != "" {
			c.WithMethod++
		}
		if ev.ErrorCode != "" {
			c.Failed++
		}
		if !ev.Time.IsZero() {
			c.WithTime++
		}
		if len(ev.Resources) > 0 {
			c.WithResources++
		}
		// Whatever the entry carries must come out: a method wherever
		// the entry has a methodName, a principal wherever it has a
		// principalEmail or principalSubject (some stubs carry neither).
		if bytes.Contains(e.raw, []byte(`"methodName"`)) {
			require.NotEmpty(t, actionMethod(ev), "%s: method lost", e.where)
		}
		if bytes.Contains(e.raw, []byte(`"principalEmail"`)) || bytes.Contains(e.raw, []byte(`"principalSubject"`)) {
			require.NotEmpty(t, ev.Principal.ID, "%s: principal lost", e.where)
			require.NotEmpty(t, ev.Principal.Type, e.where)
		}
		if complete != nil && complete(ev, e.raw) {
			c.Complete++
			require.False(t, ev.Time.IsZero(), "%s: time lost", e.where)
			if actionMethod(ev) != "" && ev.Principal.ID != "" {
				c.CompleteWithBoth++
			}
		}
	}
	return c
}

func actionMethod(ev model.Event) string {
	for i := len(ev.Action) - 1; i >= 0; i-- {
		if ev.Action[i] == ':' {
			return ev.Action[i+1:]
		}
	}
	return ""
}

func hasLogName(_ model.Event, raw []byte) bool {
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return str(get(m, "logName")) != "" && get(m, "protoPayload") != nil
}

func TestCorpusEntries(t *testing.T) {
	panther, custodian, plaso := corpusEntries(t)
	pc := countCorpus(t, panther, hasLogName)
	cc := countCorpus(t, custodian, hasLogName)
	lc := countCorpus(t, plaso, hasLogName)
	// Panther: 143 test logs. 6 are bare {"methodName": ...} stubs without a
	// protoPayload (clear error); of the 100 complete entries (logName and
	// protoPayload) 96 yield principal and method: the other 4 carry none
	// (a "no methodName" test, a method-less Cloud Run test, a serial-port
	// connection and an empty authenticationInfo).
	require.Equal(t, corpusCounts{Entries: 143, Events: 137, Rejected: 6, WithPrincipal: 123, WithMethod: 133,
		Failed: 7, WithTime: 134, WithResources: 112, Complete: 100, CompleteWithBoth: 96}, pc)
	// Custodian: 45 LogEntries, all complete; network-finding.json is a
	// Security Command Center notification, not a LogEntry.
	require.Equal(t, corpusCounts{Entries: 46, Events: 45, Rejected: 1, WithPrincipal: 45, WithMethod: 45,
		WithTime: 45, WithResources: 44, Complete: 45, CompleteWithBoth: 45}, cc)
	// Plaso: 9 audit entries, 1 jsonPayload and 1 textPayload entry skipped.
	require.Equal(t, corpusCounts{Entries: 11, Events: 9, NotAudit: 2, WithPrincipal: 9, WithMethod: 9,
		Failed: 1, WithTime: 9, WithResources: 9, Complete: 9, CompleteWithBoth: 9}, lc)
}

func TestCorpusPlasoDetails(t *testing.T) {
	_, _, plaso := corpusEntries(t)
	evs := map[string]model.Event{}
	for _, e := range plaso {
		ev, err := ParseEntry(e.raw)
		if err == nil {
			evs[ev.ID] = ev
		}
	}
	// Firewall insert: two entries of one operation, only the last counts.
	first, last := evs["-xa4ip4e4rhyi"], evs["-tehlutdkc4c"]
	require.Equal(t, "compute.googleapis.com:v1.compute.firewalls.insert", first.Action)
	require.Equal(t, OperationID(first), OperationID(last))
	require.NotEmpty(t, OperationID(first))
	require.False(t, CountsAsChange(first))
	require.True(t, CountsAsChange(last))
	require.Equal(t, []string{"//compute.googleapis.com/projects/fake-project/global/firewalls/test"}, first.Resources)
	require.Equal(t, "fakeemailxyz@gmail.com", first.Principal.ID)
	require.Equal(t, "user", first.Principal.Type)
	require.Equal(t, "fake-project", first.Account)
	require.Equal(t, "1.1.1.1", first.SourceIP)
	require.Equal(t, model.ViaOther, first.Via)

	// Impersonation chain through gcloud.
	imp := evs["-duywnve29mpi"]
	require.Equal(t, model.ViaCLI, imp.Via)
	require.Equal(t, "fake-account@fake-project.com", imp.Principal.ID)
	require.Equal(t, "fake-account@fake-project.com", imp.Principal.Issuer)
	require.Equal(t, "service-account-one@fake-project.com", imp.Principal.Person)

	// A service account acting for a Google service agent, denied.
	denied := evs["1awjxggeaxqgz"]
	require.Equal(t, "PERMISSION_DENIED", denied.ErrorCode)
	require.False(t, CountsAsChange(denied))
	require.Equal(t, "serviceAccount", denied.Principal.Type)
	require.Equal(t, "dvwa-service-account@ketchup.iam.gserviceaccount.com", denied.Principal.Issuer)
	require.Empty(t, denied.Principal.Person, "a service agent is not a person")
}
