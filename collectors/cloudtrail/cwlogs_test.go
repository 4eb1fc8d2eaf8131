package cloudtrail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
)

// The envelopes below have the shape CloudWatch Logs gives a subscription's
// destination ("Using CloudWatch Logs subscription filters", and Firehose's
// "Message extraction" page): owner, logGroup, logStream,
// subscriptionFilters, messageType, logEvents[{id, timestamp, message}],
// each message one CloudTrail record as a JSON string. CloudWatch Logs
// gzips each envelope; Firehose concatenates them into an S3 object named
// <prefix>YYYY/MM/DD/HH/<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>.

// cwlEvent is one log event; msg is its message as JSON (a string for a
// real record).
type cwlEvent struct {
	ID        string          `json:"id"`
	Timestamp int64           `json:"timestamp"`
	Message   json.RawMessage `json:"message"`
}

func logEvent(n int, record string) cwlEvent {
	m, _ := json.Marshal(record)
	return cwlEvent{ID: fmt.Sprintf("3195310660696698337880902507980421114328961542429822%04d", n), Timestamp: 1714557600000 + int64(n)*1000, Message: m}
}

// envelope is one CloudWatch Logs envelope, in the field order AWS's
// example shows.
func envelope(t testing.TB, messageType string, events ...cwlEvent) []byte {
	env := struct {
		Owner               string     `json:"owner"`
		LogGroup            string     `json:"logGroup"`
		LogStream           string     `json:"logStream"`
		SubscriptionFilters []string   `json:"subscriptionFilters"`
		MessageType         string     `json:"messageType"`
		LogEvents           []cwlEvent `json:"logEvents"`
	}{"111122223333", "aws-cloudtrail-logs-111122223333-0f1e2d3c", "111122223333_CloudTrail_eu-west-1", []string{"to-firehose"}, messageType, events}
	if messageType == "CONTROL_MESSAGE" {
		env.Owner, env.LogGroup, env.LogStream, env.SubscriptionFilters = "CloudwatchLogs", "", "", []string{}
	}
	if env.LogEvents == nil {
		env.LogEvents = []cwlEvent{}
	}
	b, err := json.Marshal(env)
	require.NoError(t, err)
	return b
}

func controlMessage(t testing.TB) []byte {
	return envelope(t, "CONTROL_MESSAGE", cwlEvent{ID: "", Timestamp: 1714557600000, Message: json.RawMessage(`"CWL CONTROL MESSAGE: Checking health of destination Firehose."`)})
}

// gzipMembers gzips each document on its own and concatenates the members,
// as Firehose concatenates CloudWatch Logs' records.
func gzipMembers(t testing.TB, docs ...[]byte) []byte {
	var out []byte
	for _, d := range docs {
		out = append(out, gz(t, string(d))...)
	}
	return out
}

const firehoseDay = "firehose/2024/05/01/"

func firehoseKey(hour int, second int) string {
	return fmt.Sprintf("%s%02d/ct-to-s3-1-2024-05-01-%02d-15-%02d-8d1c4c2a-6a0e-4b8c-9d3e-0f1e2d3c4b5a", firehoseDay, hour, hour, second)
}

// logLines captures a source's log as JSON lines.
type logLines struct{ buf bytes.Buffer }

func (l *logLines) logger() *slog.Logger { return slog.New(slog.NewJSONHandler(&l.buf, nil)) }

func (l *logLines) warnings(t *testing.T) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m))
		if m["level"] == "WARN" {
			out = append(out, m)
		}
	}
	return out
}

func firehoseSource(t *testing.T, dir string, log *logLines, mod func(*FileConfig)) *FileSource {
	cfg := FileConfig{Dir: dir, Prefix: "firehose/", Layout: LayoutFirehose, Logger: log.logger()}
	if mod != nil {
		mod(&cfg)
	}
	src, err := NewFileSource("cwl", cfg)
	require.NoError(t, err)
	return src
}

// TestFirehoseObjects: a Firehose object holding a control message and
// three data envelopes yields their CloudTrail records, normalised and
// filtered as a log file's (read-only dropped, duplicates once), whatever
// the stream's compression and decompression settings.
func TestFirehoseObjects(t *testing.T) {
	ro := rec("r1", "DescribeInstances", `,"readOnly":true`)
	docs := [][]byte{
		controlMessage(t),
		envelope(t, "DATA_MESSAGE", logEvent(0, rec("e1", "AuthorizeSecurityGroupIngress", "")), logEvent(1, ro)),
		envelope(t, "DATA_MESSAGE", logEvent(2, rec("e2", "DeleteSecurityGroup", ""))),
		envelope(t, "DATA_MESSAGE", logEvent(3, rec("e1", "AuthorizeSecurityGroupIngress", "")), logEvent(4, rec("e3", "CreateUser", ""))),
	}
	var messages [][]byte // what message extraction writes
	for _, r := range []string{rec("e1", "AuthorizeSecurityGroupIngress", ""), ro, rec("e2", "DeleteSecurityGroup", ""), rec("e3", "CreateUser", "")} {
		messages = append(messages, []byte(r))
	}
	for name, object := range map[string][]byte{
		"CloudWatch Logs' gzip members, no Firehose compression": gzipMembers(t, docs...),
		"Firehose gzip around CloudWatch Logs' gzip members":     gz(t, string(gzipMembers(t, docs...))),
		"decompressed by Firehose, newline delimited":            bytes.Join(docs, []byte("\n")),
		"decompressed by Firehose, then gzip":                    gz(t, string(bytes.Join(docs, nil))),
		"saved by an editor (byte order mark)":                   append([]byte("\xef\xbb\xbf"), bytes.Join(docs, []byte("\r\n"))...),
		"message extraction, newline delimited, gzip":            gz(t, string(bytes.Join(messages, []byte("\n")))),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, firehoseKey(10, 22), object)
			var log logLines
			src := firehoseSource(t, dir, &log, nil)
			cp := memCheckpoints{}
			b, errs := src.Events(context.Background(), cp)
			require.Empty(t, errs)
			require.Equal(t, []string{"e1", "e2", "e3"}, ids(b.Events))
			require.Empty(t, log.warnings(t), "the control message is passed over quietly")
			for _, e := range b.Events {
				require.Equal(t, dir+"/"+firehoseKey(10, 22), e.Origin.File)
				if e.ID == "e1" {
					require.Equal(t, "ec2:AuthorizeSecurityGroupIngress", e.Action)
					require.Equal(t, "2024-05-01T10:00:00Z", e.Time.Format(time.RFC3339))
					require.Equal(t, []string{"arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1", "aws/aws_security_group_rule/sg-1/ingress"}, e.Resources)
					require.Equal(t, 0, e.Origin.Record)
				}
				if e.ID == "e3" && !strings.HasPrefix(name, "message extraction") {
					require.Equal(t, 4, e.Origin.Record, "the fifth log event of the data messages")
				}
			}
			require.Equal(t, `{"after":"firehose/2024/05/01/09/","done":["2024/05/01/10/ct-to-s3-1-2024-05-01-10-15-22-8d1c4c2a-6a0e-4b8c-9d3e-0f1e2d3c4b5a"]}`, b.Checkpoints["files:firehose/"])
			cp.commit(b)

			b, errs = src.Events(context.Background(), cp)
			require.Empty(t, errs)
			require.Empty(t, b.Events, "read once")
		})
	}
}

// TestFirehoseLayout: only Firehose's YYYY/MM/DD/HH/ objects under the
// prefix are read (not its processing-failed/ output), new ones each
// cycle; the account and region filters apply to each record.
func TestFirehoseLayout(t *testing.T) {
	dir := t.TempDir()
	other := strings.ReplaceAll(strings.ReplaceAll(rec("o1", "DeleteBucket", ""), "111122223333", "444455556666"), "eu-west-1", "us-east-1")
	writeFile(t, dir, firehoseKey(10, 22), gzipMembers(t, envelope(t, "DATA_MESSAGE", logEvent(0, rec("e1", "DeleteVpc", "")), logEvent(1, other))))
	writeFile(t, dir, "firehose/processing-failed/2024/05/01/10/ct-to-s3-1-2024-05-01-10-15-22-x", []byte(`{"attemptsMade":4,"errorCode":"Lambda.FunctionError","rawData":"H4sI"}`))
	writeFile(t, dir, "firehose/2024/05/01/10/notes.txt/deeper", []byte("not an object of the stream"))
	writeFile(t, dir, "elsewhere/2024/05/01/10/ct-to-s3-1-2024-05-01-10-15-22-y", gzipMembers(t, envelope(t, "DATA_MESSAGE", logEvent(0, rec("x1", "DeleteVpc", "")))))
	var log logLines
	src := firehoseSource(t, dir, &log, nil)
	cp := memCheckpoints{}
	b, errs := src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, []string{"e1", "o1"}, ids(b.Events))
	cp.commit(b)

	// The next hour: only the new object is read.
	writeFile(t, dir, firehoseKey(11, 3), gzipMembers(t, envelope(t, "DATA_MESSAGE", logEvent(2, rec("e2", "CreateVpc", "")))))
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, []string{"e2"}, ids(b.Events))

	acct := firehoseSource(t, dir, &log, func(c *FileConfig) { c.Accounts = []string{"444455556666"} })
	b, errs = acct.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Equal(t, []string{"o1"}, ids(b.Events))
	reg := firehoseSource(t, dir, &log, func(c *FileConfig) { c.Regions = []string{"eu-west-1"} })
	b, errs = reg.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Equal(t, []string{"e1", "e2"}, ids(b.Events))

	// Without a prefix, the stream's objects are at the bucket's root.
	root := t.TempDir()
	writeFile(t, root, strings.TrimPrefix(firehoseKey(10, 22), "firehose/"), gzipMembers(t, envelope(t, "DATA_MESSAGE", logEvent(0, rec("e1", "DeleteVpc", "")))))
	src, err := NewFileSource("cwl", FileConfig{Dir: root, Layout: LayoutFirehose})
	require.NoError(t, err)
	b, errs = src.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Equal(t, []string{"e1"}, ids(b.Events))
}

// TestEnvelopesInTrailLayout: a file of envelopes in CloudTrail's own
// layout is read by its content; CloudTrail log files beside it as ever.
func TestEnvelopesInTrailLayout(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, logKey(0, "a"), gz(t, records(rec("t1", "DeleteVpc", ""))))
	writeFile(t, dir, logKey(1, "b"), gzipMembers(t, envelope(t, "DATA_MESSAGE", logEvent(0, rec("c1", "DeleteVpc", "")))))
	src, err := NewFileSource("trail", FileConfig{Dir: dir})
	require.NoError(t, err)
	b, errs := src.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Equal(t, []string{"c1", "t1"}, ids(b.Events))
}

// TestFirehoseBadMessages: a log event whose message is broken JSON, not
// JSON, not a string, or missing, a document of another kind and an
// envelope of an unknown messageType each cost only themselves, with a
// warning naming the file, document, record and log event.
func TestFirehoseBadMessages(t *testing.T) {
	dir := t.TempDir()
	truncated := rec("bad", "DeleteVpc", "")[:60]
	writeFile(t, dir, firehoseKey(10, 22), gzipMembers(t,
		envelope(t, "DATA_MESSAGE",
			logEvent(0, rec("e1", "DeleteVpc", "")),
			logEvent(1, truncated),
			logEvent(2, "START RequestId: 5c8a7a5e Version: $LATEST"),
			cwlEvent{ID: "n3", Timestamp: 1714557603000, Message: json.RawMessage(`12`)},
			cwlEvent{ID: "n4", Timestamp: 1714557604000},
			logEvent(5, rec("e2", "DeleteVpc", ""))),
		[]byte(`{"hello":"world"}`),
		envelope(t, "SOMETHING_NEW", logEvent(6, rec("x1", "DeleteVpc", ""))),
		envelope(t, "DATA_MESSAGE", logEvent(7, rec("e3", "DeleteVpc", ""))),
	))
	var log logLines
	src := firehoseSource(t, dir, &log, nil)
	b, errs := src.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs, "bad messages are warnings, not a failing file")
	require.Equal(t, []string{"e1", "e2", "e3"}, ids(b.Events))
	for _, e := range b.Events {
		if e.ID == "e3" {
			require.Equal(t, 6, e.Origin.Record, "log events 0-5 of document 0 came first")
		}
	}
	warns := log.warnings(t)
	require.Len(t, warns, 6)
	file := dir + "/" + firehoseKey(10, 22)
	type where struct {
		doc, record, event float64
		id, err            string
	}
	var got []where
	for _, w := range warns {
		require.Equal(t, file, w["file"])
		require.Equal(t, "cwl", w["source"])
		g := where{doc: w["document"].(float64), record: -1, event: -1, err: w["error"].(string)}
		if r, ok := w["record"].(float64); ok {
			g.record = r
		}
		if e, ok := w["log_event"].(float64); ok {
			g.event, g.id = e, w["log_event_id"].(string)
		}
		got = append(got, g)
	}
	require.Equal(t, []float64{0, 1, 1}, []float64{got[0].doc, got[0].record, got[0].event})
	require.Equal(t, logEvent(1, "").ID, got[0].id)
	require.Contains(t, got[0].err, "decoding CloudTrail record")
	require.Equal(t, []float64{0, 2, 2}, []float64{got[1].doc, got[1].record, got[1].event})
	require.Contains(t, got[1].err, "not a JSON object")
	require.Equal(t, "log event message is not a JSON string", got[2].err)
	require.Equal(t, "n3", got[2].id)
	require.Equal(t, "log event without a message", got[3].err)
	require.Equal(t, []float64{1, -1, -1}, []float64{got[4].doc, got[4].record, got[4].event})
	require.Contains(t, got[4].err, "neither a CloudWatch Logs envelope nor a CloudTrail record")
	require.Equal(t, float64(2), got[5].doc)
	require.Contains(t, got[5].err, `messageType "SOMETHING_NEW"`)
}

// TestFirehoseDamagedObjects: a truncated gzip or broken JSON between
// documents keeps the records before the damage and fails the object with
// an error naming it and the document; like a damaged log file it is read
// again next cycle, then skipped, and the objects after it are read.
func TestFirehoseDamagedObjects(t *testing.T) {
	docs := [][]byte{
		envelope(t, "DATA_MESSAGE", logEvent(0, rec("e1", "DeleteVpc", ""))),
		envelope(t, "DATA_MESSAGE", logEvent(1, rec("e2", "DeleteVpc", ""))),
		envelope(t, "DATA_MESSAGE", logEvent(2, rec("e3", "DeleteVpc", "")), logEvent(3, rec("e4", "DeleteVpc", ""))),
	}
	whole := gzipMembers(t, docs...)
	for name, tc := range map[string]struct {
		object []byte
		place  string
		err    string
		kept   []string
	}{
		"truncated gzip": {object: whole[:len(whole)-40], place: "document 2", err: "unexpected EOF", kept: []string{"e1", "e2"}},
		// The second member's content is whole, its trailer cut: the
		// damage is found reading on.
		"truncated gzip in a member's trailer": {object: whole[:len(gzipMembers(t, docs[:2]...))-4], place: "document 2",
			err: "unexpected EOF", kept: []string{"e1", "e2"}},
		"broken JSON between documents": {object: gz(t, string(docs[0])+"\n}{garbage\n"+string(docs[1])), place: "document 1",
			err: "invalid character", kept: []string{"e1"}},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, firehoseKey(10, 22), tc.object)
			writeFile(t, dir, firehoseKey(10, 40), gzipMembers(t, envelope(t, "DATA_MESSAGE", logEvent(9, rec("later", "DeleteVpc", "")))))
			var log logLines
			src := firehoseSource(t, dir, &log, func(c *FileConfig) { c.MaxAttempts = 2 })
			cp := memCheckpoints{}
			b, errs := src.Events(context.Background(), cp)
			require.Len(t, errs, 1)
			var ie *collectors.InputError
			require.ErrorAs(t, errs[0], &ie)
			require.Equal(t, dir+"/"+firehoseKey(10, 22), ie.Location)
			require.Equal(t, tc.place, ie.Place)
			require.Contains(t, errs[0].Error(), tc.err)
			require.Equal(t, tc.kept, ids(b.Events), "the records before the damage are kept; nothing after it this cycle")
			cp.commit(b)

			b, errs = src.Events(context.Background(), cp)
			require.Len(t, errs, 1)
			require.Contains(t, errs[0].Error(), "skipped after 2 attempts")
			require.Equal(t, append(append([]string{}, tc.kept...), "later"), ids(b.Events))
		})
	}
}

// TestFirehoseS3AndLargeObjects: the Firehose layout read from a bucket,
// and an object too large to be read into memory first (streamed, told
// from its start).
func TestFirehoseS3AndLargeObjects(t *testing.T) {
	f := &fakeS3{objects: map[string][]byte{}}
	f.objects[firehoseKey(10, 22)] = gzipMembers(t, controlMessage(t), envelope(t, "DATA_MESSAGE", logEvent(0, rec("e1", "DeleteVpc", ""))))
	var big bytes.Buffer // decompressed by Firehose, not compressed again
	n := 0
	for big.Len() <= readAheadMax {
		var evs []cwlEvent
		for j := 0; j < 500; j++ {
			evs = append(evs, logEvent(n, rec(fmt.Sprintf("big-%d", n), "DeleteVpc", "")))
			n++
		}
		big.Write(envelope(t, "DATA_MESSAGE", evs...))
		big.WriteByte('\n')
	}
	f.objects[firehoseKey(11, 5)] = big.Bytes()
	f.objects["firehose/processing-failed/2024/05/01/10/x"] = []byte("{}")
	srv := httptest.NewServer(f)
	defer srv.Close()
	src, err := NewFileSource("cwl", FileConfig{Bucket: "logs", Prefix: "firehose/", Layout: LayoutFirehose, Client: s3Client(srv.URL)})
	require.NoError(t, err)
	b, errs := src.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Len(t, b.Events, n+1)
	require.Equal(t, "s3://logs/"+firehoseKey(10, 22), b.Events[0].Origin.File)
	require.Equal(t, "s3://logs/"+firehoseKey(11, 5), b.Events[n].Origin.File)
	require.Equal(t, n-1, b.Events[n].Origin.Record)
}

func TestFirehoseConfig(t *testing.T) {
	_, err := NewFileSource("cwl", FileConfig{Dir: t.TempDir(), Layout: "kinesis"})
	require.ErrorContains(t, err, `unknown layout "kinesis"`)
	_, err = NewFileSource("cwl", FileConfig{Dir: t.TempDir(), Layout: LayoutFirehose, ValidateDigests: true, PublicKeys: pemKeys(t, testFP)})
	require.ErrorContains(t, err, "digest validation applies to CloudTrail's own delivery")
	_, err = NewFileSource("cwl", FileConfig{Dir: t.TempDir(), Layout: LayoutCloudTrail})
	require.NoError(t, err)
}

func TestFirehoseHour(t *testing.T) {
	for key, want := range map[string]string{
		"p/2024/05/01/10/s-1-2024-05-01-10-15-22-u":     "2024-05-01T10:00:00Z",
		"p/2024/05/01/10/s-1-2024-05-01-10-15-22-u.gz":  "2024-05-01T10:00:00Z",
		"p/2024/05/01/10/":                              "",
		"p/2024/05/01/s-1":                              "",
		"p/2024/05/01/1x/s-1":                           "",
		"p/processing-failed/2024/05/01/10/s-1":         "",
		"q/2024/05/01/10/s-1-2024-05-01-10-15-22-u":     "",
		"p/2024/05/01/10/sub/s-1-2024-05-01-10-15-22-u": "",
	} {
		got, ok := firehoseHour("p/", key)
		if want == "" {
			require.False(t, ok, key)
			continue
		}
		require.True(t, ok, key)
		require.Equal(t, want, got.Format(time.RFC3339), key)
	}
	for root, key := range map[string]string{
		"p":   "p/2024/05/01/10/s-1",  // the stream's slash, not in the config
		"ct-": "ct-2024/05/01/10/s-1", // Firehose adds none
		"ct":  "ct2024/05/01/10/s-1",
	} {
		got, ok := firehoseHour(root, key)
		require.True(t, ok, key)
		require.Equal(t, "2024-05-01T10:00:00Z", got.Format(time.RFC3339), key)
		require.Equal(t, strings.TrimSuffix(key, "10/s-1")+"09/", firehoseWindowStart(root, 30*time.Minute)(key), key)
	}
	_, ok := firehoseHour("p", "px/2024/05/01/10/s-1")
	require.False(t, ok, "another prefix that starts the same")
	ws := firehoseWindowStart("p/", 30*time.Minute)
	require.Equal(t, "p/2024/05/01/09/", ws("p/2024/05/01/10/s-1-2024-05-01-10-15-22-u"))
	require.Equal(t, "p/2024/04/30/23/", ws("p/2024/05/01/00/s-1-2024-05-01-00-01-22-u"))
	require.Equal(t, "", ws("p/elsewhere"))
}

func TestSniffContent(t *testing.T) {
	env := envelope(t, "DATA_MESSAGE", logEvent(0, rec("e1", "DeleteVpc", "")))
	for name, tc := range map[string]struct {
		data []byte
		want fileContent
	}{
		"log file":                    {gz(t, records(rec("e1", "DeleteVpc", ""))), contentLogFile},
		"log file, Records not first": {gz(t, `{"x":{"Records":1},"Records":[]}`), contentLogFile},
		"bare array":                  {[]byte(`[` + rec("e1", "DeleteVpc", "") + `]`), contentLogFile},
		"envelope":                    {gz(t, string(env)), contentDocuments},
		"envelope, BOM and spaces":    {[]byte("\xef\xbb\xbf \n" + string(env)), contentDocuments},
		"envelope in two gzip layers": {gz(t, string(gzipMembers(t, env, env))), contentDocuments},
		"bare records":                {[]byte(rec("e1", "DeleteVpc", "") + "\n" + rec("e2", "DeleteVpc", "")), contentDocuments},
		"digest":                      {gz(t, `{"awsAccountId":"111122223333","digestStartTime":"2024-05-01T10:00:00Z"}`), contentLogFile},
		"not JSON":                    {[]byte("hello"), contentLogFile},
		"empty":                       {nil, contentLogFile},
		"gzip cut short":              {gz(t, string(env))[:12], contentLogFile},
	} {
		t.Run(name, func(t *testing.T) {
			got, r := sniffContent(bytes.NewReader(tc.data))
			require.Equal(t, tc.want, got)
			rest, err := io.ReadAll(r)
			require.NoError(t, err)
			require.Equal(t, string(tc.data), string(rest), "the whole file is still there")
			got, r = sniffContent(struct{ io.Reader }{bytes.NewReader(tc.data)}) // not in memory
			require.Equal(t, tc.want, got)
			rest, err = io.ReadAll(r)
			require.NoError(t, err)
			require.Equal(t, string(tc.data), string(rest))
		})
	}
}

// FuzzScanDocuments: whatever a file holds, reading it as documents ends
// without a panic, and every record handed over either has bytes or an
// error.
func FuzzScanDocuments(f *testing.F) {
	env := envelope(f, "DATA_MESSAGE", logEvent(0, rec("e1", "DeleteVpc", "")), logEvent(1, "not json"))
	f.Add(env)
	f.Add(gzipMembers(f, controlMessage(f), env))
	f.Add([]byte(rec("e1", "DeleteVpc", "") + rec("e2", "DeleteVpc", "")))
	f.Add([]byte(`{"messageType":"DATA_MESSAGE","logEvents":[1,{"message":null},{"message":"{}"}]}{"x":`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sniffContent(bytes.NewReader(data))
		_, _ = scanDocuments(bytes.NewReader(data), func(r docRecord) {
			if (r.raw == nil) == (r.err == nil) {
				t.Fatalf("record %d of document %d: raw %q, err %v", r.index, r.doc, r.raw, r.err)
			}
		})
	})
}

// The prefix is Firehose's own, a literal string in front of the year:
// "firehose/" (a folder), "ct-", or "cloudtrail" (Firehose adds no slash:
// cloudtrail2024/…); a prefix given without the slash the stream has
// ("firehose" for firehose/2024/…) reads too.
func TestFirehosePrefixForms(t *testing.T) {
	for _, tc := range []struct{ prefix, keyRoot string }{
		{"firehose", "firehose/"},
		{"firehose/", "firehose/"},
		{"/firehose/", "firehose/"},
		{"ct-", "ct-"},
		{"cloudtrail", "cloudtrail"},
		{"logs/ct_", "logs/ct_"},
		{"logs//fh/", "logs//fh/"}, // an empty segment: the same folder in a local copy
		{"", ""},
	} {
		dir := t.TempDir()
		key := tc.keyRoot + "2024/05/01/10/ct-to-s3-1-2024-05-01-10-15-22-8d1c4c2a"
		writeFile(t, dir, key, gzipMembers(t, envelope(t, "DATA_MESSAGE", logEvent(0, rec("e1", "DeleteVpc", "")))))
		// A neighbour the literal prefix must not take for its own.
		writeFile(t, dir, tc.keyRoot+"x/2024/05/01/10/other", gzipMembers(t, envelope(t, "DATA_MESSAGE", logEvent(0, rec("other", "DeleteVpc", "")))))
		var log logLines
		src := firehoseSource(t, dir, &log, func(c *FileConfig) { c.Prefix = tc.prefix })
		cp := memCheckpoints{}
		b, errs := src.Events(context.Background(), cp)
		require.Empty(t, errs, tc.prefix)
		require.Equal(t, []string{"e1"}, ids(b.Events), "prefix %q", tc.prefix)
		cp.commit(b)
		b, errs = src.Events(context.Background(), cp)
		require.Empty(t, errs, tc.prefix)
		require.Empty(t, b.Events, "prefix %q: read once", tc.prefix)
	}
}

// EventBridge -> Firehose -> S3: the events of a rule, concatenated (gzip
// by Firehose). Those carrying a CloudTrail record are read as records;
// a GuardDuty finding between them passes over without an error.
func TestFirehoseEventBridgeObjects(t *testing.T) {
	wrap := func(detailType, detail string) []byte {
		return []byte(`{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","detail-type":"` + detailType +
			`","source":"aws.ec2","account":"111122223333","time":"2024-05-01T10:15:22Z","region":"eu-west-1","resources":[],"detail":` + detail + `}`)
	}
	doc := bytes.Join([][]byte{
		wrap("AWS API Call via CloudTrail", rec("eb1", "DeleteVpc", "")),
		wrap("GuardDuty Finding", `{"schemaVersion":"2.0","type":"Recon:EC2/PortProbeUnprotectedPort","severity":2}`),
		wrap("AWS Console Sign In via CloudTrail", rec("eb2", "ConsoleLogin", "")),
		wrap("AWS API Call via CloudTrail", strings.Replace(rec("eb3", "DescribeVpcs", ""), `"readOnly":false`, `"readOnly":true`, 1)), // read-only: filtered
	}, []byte("\n"))
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	_, err := zw.Write(doc)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	dir := t.TempDir()
	writeFile(t, dir, firehoseKey(10, 22), zb.Bytes())
	var log logLines
	src := firehoseSource(t, dir, &log, nil)
	b, errs := src.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Equal(t, []string{"eb1", "eb2"}, ids(b.Events))
	require.Empty(t, log.warnings(t), "a finding in the stream is no error")
	require.Equal(t, 1, b.Events[1].Origin.Record, "records count in file order, the finding being none")
}

// A log group shared with other output carries any text: a bad message's
// warning names it by place, never by content.
func TestFirehoseBadMessagesLeakNothing(t *testing.T) {
	const planted = "hunter2-planted"
	secretRec := strings.Replace(rec("s1", "CreateUser", ""), `"groupId":"sg-1"`, `"password":"`+planted+`"`, 1)
	dir := t.TempDir()
	writeFile(t, dir, firehoseKey(10, 22), gzipMembers(t,
		envelope(t, "DATA_MESSAGE",
			logEvent(0, planted+" is the password"),
			logEvent(1, `"`+planted+`"`),
			logEvent(2, secretRec[:len(secretRec)/2]+planted),
			logEvent(3, `{"eventVersion":"1.09","eventTime":`+planted+`}`),
			logEvent(4, rec("e1", "DeleteVpc", ""))),
	))
	var log logLines
	src := firehoseSource(t, dir, &log, nil)
	b, errs := src.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Equal(t, []string{"e1"}, ids(b.Events))
	require.Len(t, log.warnings(t), 4)
	require.NotContains(t, log.buf.String(), planted)
}
