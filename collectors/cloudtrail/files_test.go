package cloudtrail

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

func rec(id, name string, extra string) string {
	return fmt.Sprintf(`{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333","userName":"bob"},"eventTime":"2024-05-01T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":%q,"awsRegion":"eu-west-1","sourceIPAddress":"192.0.2.1","userAgent":"aws-cli/2.15.30","requestParameters":{"groupId":"sg-1"},"responseElements":null,"eventID":%q,"readOnly":false,"recipientAccountId":"111122223333"%s}`, name, id, extra)
}

func gz(t testing.TB, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, err := w.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return b.Bytes()
}

func records(recs ...string) string { return `{"Records":[` + strings.Join(recs, ",") + `]}` }

const dayPrefix = "AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/"

func logKey(minute int, suffix string) string {
	return fmt.Sprintf("%s111122223333_CloudTrail_eu-west-1_20240501T10%02dZ_%s.json.gz", dayPrefix, minute, suffix)
}

// memCheckpoints is a CheckpointReader that commits only when told, like the engine.
type memCheckpoints map[string]string

func (m memCheckpoints) Checkpoint(_ context.Context, source, key string) (string, error) {
	if v, ok := m[source+"|"+key]; ok {
		return v, nil
	}
	return "", store.ErrNotFound
}

func (m memCheckpoints) commit(b collectors.EventBatch) {
	for k, v := range b.Checkpoints {
		m[b.Source+"|"+k] = v
	}
}

func writeFile(t testing.TB, dir, key string, data []byte) {
	p := filepath.Join(dir, filepath.FromSlash(key))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, data, 0o644))
}

func ids(evs []model.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.ID)
	}
	sort.Strings(out)
	return out
}

func TestLocalFilesIncremental(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, logKey(0, "a"), gz(t, records(rec("e1", "AuthorizeSecurityGroupIngress", ""), rec("e2", "DescribeInstances", `,"readOnly":true`))))
	// Organisation trail layout, another account.
	writeFile(t, dir, "AWSLogs/o-abc123/444455556666/CloudTrail/us-east-1/2024/05/01/444455556666_CloudTrail_us-east-1_20240501T1000Z_b.json.gz",
		gz(t, records(rec("e3", "DeleteSecurityGroup", ""))))
	src, err := NewFileSource("trail", FileConfig{Dir: dir})
	require.NoError(t, err)
	cp := memCheckpoints{}
	b, errs := src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, []string{"e1", "e3"}, ids(b.Events), "read-only events filtered by default")
	require.Len(t, b.Checkpoints, 2)
	cp.commit(b)
	e1 := b.Events[0]
	require.Equal(t, "ec2:AuthorizeSecurityGroupIngress", e1.Action)
	require.Equal(t, model.ViaCLI, e1.Via)
	require.Equal(t, []string{"arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1", "aws/aws_security_group_rule/sg-1/ingress"}, e1.Resources)

	// Nothing new: nothing read again.
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Empty(t, b.Events)
	cp.commit(b)

	// A new file: only it is read.
	writeFile(t, dir, logKey(5, "c"), gz(t, records(rec("e4", "RevokeSecurityGroupIngress", ""))))
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, []string{"e4"}, ids(b.Events))

	// Filters by account and region.
	src2, _ := NewFileSource("trail", FileConfig{Dir: dir, Accounts: []string{"444455556666"}})
	b, _ = src2.Events(context.Background(), memCheckpoints{})
	require.Equal(t, []string{"e3"}, ids(b.Events))
	src3, _ := NewFileSource("trail", FileConfig{Dir: dir, Regions: []string{"eu-west-1"}, Options: Options{IncludeReadOnly: true}})
	b, _ = src3.Events(context.Background(), memCheckpoints{})
	require.Equal(t, []string{"e1", "e2", "e4"}, ids(b.Events))
}

func TestLocalFilesBadInput(t *testing.T) {
	dir := t.TempDir()
	good := gz(t, records(rec("g1", "CreateSecurityGroup", ""), rec("g2", "CreateSecurityGroup", ""), rec("g3", "CreateSecurityGroup", "")))
	writeFile(t, dir, logKey(0, "a"), gz(t, records(rec("a1", "DeleteVpc", ""))))
	writeFile(t, dir, logKey(1, "b"), good[:len(good)-30]) // truncated gzip
	writeFile(t, dir, logKey(2, "c"), gz(t, records(rec("c1", "DeleteVpc", ""))))
	src, err := NewFileSource("trail", FileConfig{Dir: dir, MaxAttempts: 2})
	require.NoError(t, err)
	cp := memCheckpoints{}

	b, errs := src.Events(context.Background(), cp)
	require.Len(t, errs, 1)
	var ie *collectors.InputError
	require.ErrorAs(t, errs[0], &ie)
	require.Contains(t, ie.Location, "20240501T1001Z_b.json.gz")
	require.Contains(t, errs[0].Error(), "record ")
	require.Contains(t, ids(b.Events), "a1")
	require.NotContains(t, ids(b.Events), "c1", "nothing after the damaged file is read this cycle")
	cp.commit(b)
	var c fileCheckpoint
	require.NoError(t, json.Unmarshal([]byte(cp["trail|files:AWSLogs/111122223333/CloudTrail/eu-west-1/"]), &c))
	require.Less(t, c.After, logKey(1, "b"), "the low-water mark stops before the damaged file")
	require.Equal(t, logKey(1, "b"), c.Failing)
	require.Equal(t, 1, c.Attempts)
	require.NotContains(t, c.Done, strings.TrimPrefix(logKey(1, "b"), "AWSLogs/111122223333/CloudTrail/eu-west-1/"))

	// Second attempt: still failing -> skipped with an error, the rest read.
	b, errs = src.Events(context.Background(), cp)
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "skipped after 2 attempts")
	require.Contains(t, ids(b.Events), "c1")
	cp.commit(b)

	t.Run("not JSON, missing eventTime, unknown identity type", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, logKey(0, "a"), gz(t, "this is not json"))
		noTime := strings.Replace(rec("n1", "DeleteVpc", ""), `"eventTime":"2024-05-01T10:00:00Z",`, "", 1)
		odd := strings.Replace(rec("n2", "DeleteVpc", ""), `"type":"IAMUser"`, `"type":"SomethingNew"`, 1)
		writeFile(t, dir, logKey(3, "b"), gz(t, records(noTime, odd)))
		src, _ := NewFileSource("trail", FileConfig{Dir: dir, MaxAttempts: 1})
		b, errs := src.Events(context.Background(), memCheckpoints{})
		require.Len(t, errs, 1)
		require.Contains(t, errs[0].Error(), "20240501T1000Z_a.json.gz")
		require.Contains(t, errs[0].Error(), "not a CloudTrail log file")
		require.Equal(t, []string{"n1", "n2"}, ids(b.Events))
		for _, e := range b.Events {
			if e.ID == "n1" {
				require.Equal(t, "2024-05-01T10:03:00Z", e.Time.Format("2006-01-02T15:04:05Z07:00"), "delivery time stands in")
			} else {
				require.Equal(t, "SomethingNew", e.Principal.Type)
				require.Equal(t, "arn:aws:iam::111122223333:user/bob", e.Principal.ID)
			}
		}
	})
}

// fakeS3 speaks enough of S3's REST/XML protocol (path style) for the
// source: ListObjectsV2 with prefix, delimiter, start-after, max-keys and
// continuation tokens; GetObject; HeadObject. fail(key) injects errors.
type fakeS3 struct {
	mu      sync.Mutex
	objects map[string][]byte
	meta    map[string]map[string]string
	fail    func(key string) int // status to return, 0 for none
	lists   int
	afters  []string // start-after of each first-page listing of keys
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(p, "/")
	if bucket != "logs" {
		http.Error(w, "no such bucket", 404)
		return
	}
	if key == "" && r.URL.Query().Get("list-type") == "2" {
		f.lists++
		if f.fail != nil {
			if st := f.fail("LIST"); st != 0 {
				writeS3Error(w, st)
				return
			}
		}
		q := r.URL.Query()
		prefix, delim, after := q.Get("prefix"), q.Get("delimiter"), q.Get("start-after")
		if delim == "" && q.Get("continuation-token") == "" {
			f.afters = append(f.afters, after)
		}
		if tok := q.Get("continuation-token"); tok != "" {
			after = tok
		}
		max := 2 // small pages to exercise pagination
		var keys []string
		for k := range f.objects {
			if strings.HasPrefix(k, prefix) && k > after {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		type content struct{ Key string }
		type cp struct{ Prefix string }
		out := struct {
			XMLName               xml.Name  `xml:"ListBucketResult"`
			Contents              []content `xml:"Contents"`
			CommonPrefixes        []cp      `xml:"CommonPrefixes"`
			IsTruncated           bool      `xml:"IsTruncated"`
			NextContinuationToken string    `xml:"NextContinuationToken,omitempty"`
		}{}
		seenCP := map[string]bool{}
		for _, k := range keys {
			if len(out.Contents)+len(out.CommonPrefixes) == max {
				out.IsTruncated = true
				break
			}
			if delim != "" {
				if i := strings.Index(k[len(prefix):], delim); i >= 0 {
					c := k[:len(prefix)+i+1]
					if !seenCP[c] {
						seenCP[c] = true
						out.CommonPrefixes = append(out.CommonPrefixes, cp{c})
						out.NextContinuationToken = c + "\xff"
					}
					continue
				}
			}
			out.Contents = append(out.Contents, content{k})
			out.NextContinuationToken = k
		}
		if !out.IsTruncated {
			out.NextContinuationToken = ""
		}
		w.Header().Set("Content-Type", "application/xml")
		_ = xml.NewEncoder(w).Encode(out)
		return
	}
	if f.fail != nil {
		if st := f.fail(key); st != 0 {
			writeS3Error(w, st)
			return
		}
	}
	data, ok := f.objects[key]
	if !ok {
		w.WriteHeader(404)
		fmt.Fprint(w, `<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>`)
		return
	}
	for k, v := range f.meta[key] {
		w.Header().Set("x-amz-meta-"+k, v)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(data)
}

func writeS3Error(w http.ResponseWriter, status int) {
	code := map[int]string{503: "SlowDown", 500: "InternalError", 400: "ExpiredToken", 403: "AccessDenied"}[status]
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<Error><Code>%s</Code><Message>%s</Message><RequestId>r</RequestId></Error>`, code, code)
}

func s3Client(url string) *s3.Client {
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url), UsePathStyle: true,
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: 3,
	})
}

func TestS3FilesPaginationAndErrors(t *testing.T) {
	f := &fakeS3{objects: map[string][]byte{}}
	for i := 0; i < 5; i++ {
		f.objects["trails/"+logKey(i, "x")] = gz(t, records(rec(fmt.Sprintf("s%d", i), "DeleteVpc", "")))
	}
	f.objects["trails/AWSLogs/o-org1/444455556666/CloudTrail/us-east-1/2024/05/01/444455556666_CloudTrail_us-east-1_20240501T1000Z_q.json.gz"] = gz(t, records(rec("org1", "DeleteVpc", "")))
	// Throttling twice on one object: the SDK retries and succeeds.
	throttled := 0
	f.fail = func(key string) int {
		if strings.HasSuffix(key, "T1002Z_x.json.gz") && throttled < 2 {
			throttled++
			return 503
		}
		return 0
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	src, err := NewFileSource("s3trail", FileConfig{Bucket: "logs", Prefix: "trails", Client: s3Client(srv.URL)})
	require.NoError(t, err)
	cp := memCheckpoints{}
	b, errs := src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, []string{"org1", "s0", "s1", "s2", "s3", "s4"}, ids(b.Events))
	require.Equal(t, 2, throttled)
	cp.commit(b)

	// Persistent 500s and expired credentials are reported, never fatal,
	// and never advance the checkpoint.
	f.objects["trails/"+logKey(9, "y")] = gz(t, records(rec("s9", "DeleteVpc", "")))
	f.fail = func(key string) int {
		if strings.HasSuffix(key, "_y.json.gz") {
			return 500
		}
		return 0
	}
	b, errs = src.Events(context.Background(), cp)
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "s3://logs/trails/"+logKey(9, "y"))
	require.Empty(t, b.Events)
	cp.commit(b)
	f.fail = func(key string) int {
		if key == "LIST" {
			return 400
		}
		return 0
	}
	b, errs = src.Events(context.Background(), cp)
	require.NotEmpty(t, errs)
	require.Contains(t, errs[0].Error(), "ExpiredToken")
	require.Empty(t, b.Events)
	f.fail = nil
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, []string{"s9"}, ids(b.Events))
}

// TestRestartLosesAndDuplicatesNothing runs the S3 source against a real
// (SQLite) store: cycle 1 reads part of the files and crashes before its
// cycle is recorded; cycle 2 re-reads; every event is recorded exactly once
// in the cycles that were committed.
func TestRestartLosesAndDuplicatesNothing(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "dw.db"), store.Options{})
	require.NoError(t, err)
	defer st.Close()

	f := &fakeS3{objects: map[string][]byte{}}
	want := []string{}
	for i := 0; i < 6; i++ {
		var rs []string
		for j := 0; j < 3; j++ {
			id := fmt.Sprintf("r%d-%d", i, j)
			rs = append(rs, rec(id, "DeleteVpc", ""))
			want = append(want, id)
		}
		f.objects[logKey(i, "z")] = gz(t, records(rs...))
	}
	sort.Strings(want)
	srv := httptest.NewServer(f)
	defer srv.Close()
	src, err := NewFileSource("trail", FileConfig{Bucket: "logs", Client: s3Client(srv.URL)})
	require.NoError(t, err)

	recorded := map[string]int{} // what committed cycles recorded, by event id
	commit := func(b collectors.EventBatch) {
		for k, v := range b.Checkpoints {
			require.NoError(t, st.SetCheckpoint(ctx, b.Source, k, v))
		}
		for _, e := range b.Events {
			recorded[e.ID]++
		}
	}

	// Cycle 1: the fourth file fails (network), the cycle then crashes
	// before recording: neither events nor checkpoints are kept.
	f.fail = func(key string) int {
		if strings.Contains(key, "T1003Z") {
			return 500
		}
		return 0
	}
	b, errs := src.Events(ctx, st)
	require.Len(t, errs, 1)
	require.Len(t, b.Events, 9, "three files read before the failure")

	// Cycle 2 after restart: still failing at file 4; this cycle is recorded.
	b, errs = src.Events(ctx, st)
	require.Len(t, errs, 1)
	commit(b)

	// Cycle 3: the failure is gone; the rest is read, nothing twice.
	f.fail = nil
	b, errs = src.Events(ctx, st)
	require.Empty(t, errs)
	commit(b)
	b, errs = src.Events(ctx, st)
	require.Empty(t, errs)
	require.Empty(t, b.Events)

	var got []string
	for id, n := range recorded {
		require.Equal(t, 1, n, "event %s recorded %d times", id, n)
		got = append(got, id)
	}
	sort.Strings(got)
	require.Equal(t, want, got)
}
