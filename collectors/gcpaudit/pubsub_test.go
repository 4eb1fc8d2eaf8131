package gcpaudit

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/internal/testcorpus"
	"github.com/driftwarden/driftwarden/model"
)

// pushDelivery is a Pub/Sub push request body as a push endpoint receives
// it from a Logging sink's topic: data is the base64 (or, decoded by an
// archiver, the object) of one LogEntry; the message carries its id and
// publish time under both spellings, as the push format does.
func pushDelivery(t *testing.T, messageID string, data any) string {
	t.Helper()
	msg := map[string]any{
		"attributes": map[string]string{loggingTimestampAttr: "2026-03-01T10:00:00.123456Z"},
		"messageId":  messageID, "message_id": messageID,
		"publishTime": "2026-03-01T10:00:02.5Z", "publish_time": "2026-03-01T10:00:02.5Z",
	}
	if data != nil {
		msg["data"] = data
	}
	b, err := json.Marshal(map[string]any{"message": msg, "subscription": "projects/acme-logs/subscriptions/audit-push"})
	require.NoError(t, err)
	return string(b)
}

// receivedMessage is one element of a pull: what the REST response lists
// under receivedMessages and `gcloud pubsub subscriptions pull
// --format=json --auto-ack` prints as an array element.
func receivedMessage(messageID, data string) map[string]any {
	return map[string]any{
		"ackId":     "RUFeQBJMJxhESVMrQwsqWBFOBCEhPjA-" + messageID,
		"ackStatus": "SUCCESS",
		"message": map[string]any{
			"attributes": map[string]string{loggingTimestampAttr: "2026-03-01T10:00:00.123456Z"},
			"data":       data, "messageId": messageID, "publishTime": "2026-03-01T10:00:02.5Z",
		},
	}
}

func std(s string) string    { return base64.StdEncoding.EncodeToString([]byte(s)) }
func rawURL(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// urlSafeEntry is an audit entry whose base64 needs the characters that
// differ between the standard and URL-safe alphabets.
func urlSafeEntry(t *testing.T, id string) string {
	t.Helper()
	e := strings.Replace(line(id, "storage.buckets.update", "2026-03-01T10:02:00Z"),
		`"protoPayload":{`, `"labels":{"a":"???>>>~~~","b":"x???>>>~~~","c":"xx???>>>~~~"},"protoPayload":{`, 1)
	require.True(t, strings.ContainsAny(rawURL(e), "-_"), "the test entry must exercise the URL-safe alphabet")
	return e
}

// readSink reads files (relative to an hour folder of the activity log)
// through a FilesSource and returns the events by id and the input errors
// by "file place".
func readSink(t *testing.T, files map[string]string) (map[string]model.Event, []string, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(exportDir), name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
	}
	b, errs := NewFilesSource("sink", FilesConfig{Dir: dir}).Events(context.Background(), memCheckpoints{})
	byID := map[string]model.Event{}
	lastOrigins = map[string]model.Origin{}
	for _, ev := range b.Events {
		require.Contains(t, ev.Origin.File, exportDir, "an event names the export file holding it")
		require.Positive(t, ev.Origin.Line)
		lastOrigins[ev.ID] = ev.Origin
		ev.Origin = model.Origin{} // compared with ParseEntry's events below
		byID[ev.ID] = ev
	}
	return byID, ids(b), inputErrors(t, errs)
}

// lastOrigins are the Origins of readSink's last events, by id.
var lastOrigins map[string]model.Origin

func mustParse(t *testing.T, raw string) model.Event {
	t.Helper()
	ev, err := ParseEntry([]byte(raw))
	require.NoError(t, err)
	return ev
}

func TestFilesPubSubPushDeliveries(t *testing.T) {
	e1 := line("ps-1", "storage.buckets.update", "2026-03-01T10:01:00Z")
	e2 := urlSafeEntry(t, "ps-2")
	e7 := line("ps-7", "storage.buckets.delete", "2026-03-01T10:07:00Z")
	e9 := line("ps-9", "storage.setIamPermissions", "2026-03-01T10:09:00Z")
	e11 := strings.Replace(line("ps-11", "storage.buckets.create", ""), `"timestamp":"",`, "", 1)
	var decoded map[string]any
	require.NoError(t, json.Unmarshal([]byte(e9), &decoded))

	file := strings.Join([]string{
		pushDelivery(t, "m1", std(e1)),    // 1: standard alphabet, padded
		pushDelivery(t, "m2", rawURL(e2)), // 2: URL-safe, unpadded
		pushDelivery(t, "m3", std(`{"insertId":"j1","logName":"projects/p1/logs/app","jsonPayload":{"message":"not audit"}}`)), // 3: skipped
		pushDelivery(t, "m4", "bm90IGJhc2U2NCE*"),             // 4: not base64
		pushDelivery(t, "m5", std("user=jane action=delete")), // 5: base64 of text, not JSON
		pushDelivery(t, "m6", nil),                            // 6: no data
		e7,                                                    // 7: a bare LogEntry between envelopes
		pushDelivery(t, "m8", std(`{"asset":{"name":"//x"}}`)),                    // 8: JSON, not a LogEntry
		pushDelivery(t, "m9", decoded),                                            // 9: data decoded by an archiver
		pushDelivery(t, "m1", std(e1)),                                            // 10: redelivered (at-least-once)
		pushDelivery(t, "m11", base64.RawStdEncoding.EncodeToString([]byte(e11))), // 11: no timestamp in the entry
		pushDelivery(t, "m12", []int{1}),                                          // 12: data of the wrong type
	}, "\n") + "\n"

	byID, order, errs := readSink(t, map[string]string{"10:00:00_10:59:59_S0.json": file})
	require.ElementsMatch(t, []string{"ps-1", "ps-2", "ps-7", "ps-9", "ps-11"}, order,
		"every good envelope and the bare entry are read; the redelivered message counts once")
	require.Equal(t, 7, lastOrigins["ps-7"].Line, "the origin names the line")
	require.Equal(t, 6, lastOrigins["ps-7"].Record, "and the entry's index in the file, skipped and bad entries counted")
	require.Equal(t, mustParse(t, e1), byID["ps-1"], "an envelope changes nothing in the event")
	require.Equal(t, mustParse(t, e2), byID["ps-2"])
	require.Equal(t, mustParse(t, e9), byID["ps-9"])
	require.Equal(t, model.ViaTerraform, byID["ps-1"].Via)
	require.Equal(t, "jane@example.com", byID["ps-1"].Principal.ID)
	require.Equal(t, time.Date(2026, 3, 1, 10, 0, 0, 123456000, time.UTC), byID["ps-11"].Time,
		"an entry without a timestamp takes the sink's logging.googleapis.com/timestamp attribute")

	const f = "10:00:00_10:59:59_S0.json "
	require.Len(t, errs, 5, "%v", errs)
	require.Contains(t, errs[f+"line 4"], "Pub/Sub message m4: data is not base64")
	require.Contains(t, errs[f+"line 5"], "Pub/Sub message m5: data: decoding LogEntry JSON: invalid character")
	require.Contains(t, errs[f+"line 6"], "Pub/Sub message m6: no data")
	require.Contains(t, errs[f+"line 8"], "Pub/Sub message m8: data: LogEntry has no protoPayload")
	require.Contains(t, errs[f+"line 12"], "Pub/Sub message m12: data is an array, not a base64 string")
	for _, msg := range errs {
		require.NotContains(t, msg, "jane", "errors do not echo message content")
	}
}

// elementLines returns the place ("lines a-b") of the element of a
// pretty-printed array whose text holds needle.
func elementLines(t *testing.T, text, needle string) string {
	t.Helper()
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if !strings.Contains(l, needle) {
			continue
		}
		start := i // the element's "  {" is the line before its first key
		for j := i; j < len(lines); j++ {
			if l := strings.TrimRight(lines[j], ","); l == "  }" {
				return fmt.Sprintf("lines %d-%d", start, j+1)
			}
		}
	}
	t.Fatalf("%q not found", needle)
	return ""
}

func TestFilesPubSubPullShapes(t *testing.T) {
	entry := func(id string, minute int) string {
		return line(id, "storage.buckets.update", fmt.Sprintf("2026-03-01T10:%02d:00Z", minute))
	}
	// gcloud pubsub subscriptions pull --format=json: a JSON array,
	// indented by two with sorted keys.
	gcloud, err := json.MarshalIndent([]any{
		receivedMessage("g1", std(entry("pl-1", 1))),
		receivedMessage("g2", rawURL(urlSafeEntry(t, "pl-2"))),
		receivedMessage("g3", "%%%"),
	}, "", "  ")
	require.NoError(t, err)

	// The REST response of subscriptions.pull, as curl saves it.
	rest, err := json.MarshalIndent(map[string]any{"receivedMessages": []any{
		receivedMessage("r1", std(entry("pl-3", 3))),
		receivedMessage("r2", std("<html>503</html>")),
		receivedMessage("r3", strings.TrimRight(std(entry("pl-4", 4)), "=")),
	}}, "", "  ")
	require.NoError(t, err)

	compact := func(v any) string {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		return string(b)
	}
	mixed := strings.Join([]string{
		compact(map[string]any{"receivedMessages": []any{receivedMessage("c1", std(entry("pl-5", 5))), receivedMessage("c2", std(entry("pl-6", 6)))}}), // 1
		`{}`,                                   // 2: an empty pull response
		`{"receivedMessages":[]}`,              // 3
		`{"receivedMessages":[{"ackId":"a"}]}`, // 4: a received message without message
		`{"receivedMessages":"none"}`,          // 5
		"[" + pushDelivery(t, "p1", std(entry("pl-7", 7))) + "," + pushDelivery(t, "p2", "") + "]", // 6: an array of push deliveries
		compact(receivedMessage("b1", std(entry("pl-8", 8)))["message"]),                           // 7: a bare PubsubMessage
		entry("pl-9", 9), // 8: a plain LogEntry
	}, "\n")

	byID, order, errs := readSink(t, map[string]string{
		"10:00:00_10:59:59_S0.json": string(gcloud) + "\n",
		"10:00:00_10:59:59_S1.json": string(rest) + "\n",
		"10:00:00_10:59:59_S2.json": mixed,
	})
	require.ElementsMatch(t, []string{"pl-1", "pl-2", "pl-3", "pl-4", "pl-5", "pl-6", "pl-7", "pl-8", "pl-9"}, order)
	require.Equal(t, mustParse(t, entry("pl-3", 3)), byID["pl-3"])

	require.Len(t, errs, 5, "%v", errs)
	gcloudBad := "10:00:00_10:59:59_S0.json " + elementLines(t, string(gcloud), `"ackId": "RUFeQBJMJxhESVMrQwsqWBFOBCEhPjA-g3"`)
	require.Contains(t, errs[gcloudBad], "Pub/Sub message g3: data is not base64", "%v", errs)
	restBad := fmt.Sprintf("10:00:00_10:59:59_S1.json lines 1-%d, message 2", strings.Count(string(rest), "\n")+1)
	require.Contains(t, errs[restBad], "Pub/Sub message r2: data: decoding LogEntry JSON", "%v", errs)
	require.Contains(t, errs["10:00:00_10:59:59_S2.json line 4, message 1"], "received message has no message object")
	require.Contains(t, errs["10:00:00_10:59:59_S2.json line 5"], "receivedMessages is a string, not an array")
	require.Contains(t, errs["10:00:00_10:59:59_S2.json line 6, entry 2"], "Pub/Sub message p2: empty data")
}

func TestMessageDataBase64Variants(t *testing.T) {
	entry := urlSafeEntry(t, "b64")
	wrapped := base64.StdEncoding.EncodeToString([]byte(entry))
	for i := 76; i < len(wrapped); i += 77 {
		wrapped = wrapped[:i] + "\n" + wrapped[i:] // MIME-style lines, as base64(1) writes
	}
	for name, data := range map[string]string{
		"standard, padded":   base64.StdEncoding.EncodeToString([]byte(entry)),
		"standard, unpadded": base64.RawStdEncoding.EncodeToString([]byte(entry)),
		"URL-safe, padded":   base64.URLEncoding.EncodeToString([]byte(entry)),
		"URL-safe, unpadded": base64.RawURLEncoding.EncodeToString([]byte(entry)),
		"wrapped lines":      wrapped,
	} {
		got, err := messageData(map[string]any{"data": data})
		require.NoError(t, err, name)
		require.Equal(t, entry, string(got), name)
	}
	for name, data := range map[string]string{
		"mixed alphabets": "ab+c-d==",
		"not base64":      "this is text",
		"one stray char":  "QUJDR",
	} {
		_, err := messageData(map[string]any{"data": data})
		require.ErrorContains(t, err, "data is not base64", name)
	}
}

// TestFilesPubSubCorpus delivers every captured entry of the
// cloud-custodian corpus through Pub/Sub, pushed and pulled, and expects
// exactly the events (and the one error) that reading the entries
// directly gives.
func TestFilesPubSubCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testcorpus.Path(t, "cloud-custodian", "tools", "c7n_gcp", "tests", "data", "events"), "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	want := map[string]model.Event{}
	wantErr := map[string]string{} // corpus file -> error
	var raws []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		raws = append(raws, string(b))
		ev, err := ParseEntry(b)
		if err != nil {
			wantErr[filepath.Base(f)] = err.Error()
			continue
		}
		if _, dup := want[ev.ID]; !dup { // the first of a repeated insertId is kept
			want[ev.ID] = ev
		}
	}
	require.Len(t, wantErr, 1, "the corpus holds one non-LogEntry (a Security Command Center finding)")

	var push []string
	var pulled []any
	for i, raw := range raws {
		data := base64.StdEncoding.EncodeToString([]byte(raw))
		if i%2 == 1 {
			data = base64.RawURLEncoding.EncodeToString([]byte(raw))
		}
		push = append(push, pushDelivery(t, fmt.Sprint(1000+i), data))
		pulled = append(pulled, receivedMessage(fmt.Sprint(1000+i), data))
	}
	gcloud, err := json.MarshalIndent(pulled, "", "  ")
	require.NoError(t, err)

	for name, file := range map[string]string{"push": strings.Join(push, "\n"), "pull": string(gcloud)} {
		byID, _, errs := readSink(t, map[string]string{"10:00:00_10:59:59_S0.json": file})
		require.Equal(t, len(want), len(byID), name)
		for id, ev := range want {
			require.Equal(t, ev, byID[id], "%s: %s", name, id)
		}
		require.Len(t, errs, 1, "%s: %v", name, errs)
		for _, msg := range errs {
			for f, e := range wantErr {
				require.Contains(t, msg, e, "%s: %s is rejected with the reason ParseEntry gives", name, f)
			}
		}
	}
}

// TestFilesCloudStorageSinkNames reads a sink's objects named as Cloud
// Logging writes them across a year boundary, with both shard prefixes
// (Sn, An), from a bucket and from a local copy.
func TestFilesCloudStorageSinkNames(t *testing.T) {
	const log = "cloudaudit.googleapis.com/activity/"
	for _, st := range sinkStores(t) {
		t.Run(st.name, func(t *testing.T) {
			st.put(log+"2023/12/31/23:00:00_23:59:59_S0.json", line("n1", "storage.buckets.update", "2023-12-31T23:59:00Z")+"\n")
			st.put(log+"2024/01/01/00:00:00_00:59:59_S0.json", line("n2", "storage.buckets.update", "2024-01-01T00:00:10Z")+"\n"+
				line("n3", "storage.buckets.delete", "2024-01-01T00:30:00Z")+"\n")
			st.put(log+"2024/01/01/00:00:00_00:59:59_A0.json", line("n4", "storage.buckets.create", "2024-01-01T00:40:00Z")+"\n")
			src := NewFilesSource("sink", st.config(FilesConfig{}))
			cp := memCheckpoints{}
			b, errs := src.Events(context.Background(), cp)
			require.Empty(t, errs)
			require.Equal(t, []string{"n1", "n2", "n3", "n4"}, ids(b))
			require.Equal(t, filesCheckpoint{After: st.prefix + log + "2023/12/31/23:00:00", Done: []string{
				"2023/12/31/23:00:00_23:59:59_S0.json", "2024/01/01/00:00:00_00:59:59_A0.json", "2024/01/01/00:00:00_00:59:59_S0.json",
			}}, decodeCheckpoint(t, b.Checkpoints["files/activity"]), "the window reaches back across the year")
			cp.record(b)
			b, errs = src.Events(context.Background(), cp)
			require.Empty(t, errs)
			require.Empty(t, b.Events, "nothing is read twice")
		})
	}
}
