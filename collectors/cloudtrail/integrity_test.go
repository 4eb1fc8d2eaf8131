package cloudtrail

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awscloudtrail "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/model"
)

const (
	plantedSecret = "PLANTED-SECRET-do-not-leak-42"
	testFP        = "6f0b2b3d9c2e1a7f8e4d5c6b7a8f9e0d"
	digestDay     = "AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2024/05/01/"
)

var (
	testKeyOnce sync.Once
	testKey     *rsa.PrivateKey
)

// signingKey is an RSA key pair generated once per test binary.
func signingKey(t *testing.T) *rsa.PrivateKey {
	testKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		testKey = k
	})
	return testKey
}

func pemKeys(t *testing.T, fp string) *PEMPublicKeys {
	b := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Headers: map[string]string{"Fingerprint": fp}, Bytes: x509.MarshalPKCS1PublicKey(&signingKey(t).PublicKey)})
	k, err := ParsePEMPublicKeys(b)
	require.NoError(t, err)
	return k
}

// testTrail is a trail in the delivery layout: 3 hourly digests (10:00 to
// 13:00), chained and signed, over 6 log files (two per hour).
type testTrail struct {
	bucket  string
	objects map[string][]byte // key -> gzip bytes
	sigs    map[string]string // digest key -> hex signature
	logs    []string          // log keys in order
	digests []string          // digest keys in order
	content map[string]string // log key -> uncompressed JSON
}

func logFileKey(hour, minute int, suffix string) string {
	return fmt.Sprintf("%s111122223333_CloudTrail_eu-west-1_20240501T%02d%02dZ_%s.json.gz", dayPrefix, hour, minute, suffix)
}

func digestKey(endHour int) string {
	return fmt.Sprintf("%s111122223333_CloudTrail-Digest_eu-west-1_org_trail_eu-west-1_20240501T%02d0512Z.json.gz", digestDay, endHour)
}

func signDigest(t *testing.T, body []byte, endTime, bucket, key, prev string) string {
	sum := sha256.Sum256(body)
	s := endTime + "\n" + bucket + "/" + key + "\n" + hex.EncodeToString(sum[:]) + "\n" + prev
	h := sha256.Sum256([]byte(s))
	sig, err := rsa.SignPKCS1v15(rand.Reader, signingKey(t), crypto.SHA256, h[:])
	require.NoError(t, err)
	return hex.EncodeToString(sig)
}

// newTestTrail builds the trail; tweak may change digest i (0-based)
// before it is signed.
func newTestTrail(t *testing.T, bucket string, tweak func(i int, d map[string]any)) *testTrail {
	return newTestTrailN(t, bucket, 3, tweak)
}

func newTestTrailN(t *testing.T, bucket string, hours int, tweak func(i int, d map[string]any)) *testTrail {
	tr := &testTrail{bucket: bucket, objects: map[string][]byte{}, sigs: map[string]string{}, content: map[string]string{}}
	var prevKey, prevSig, prevHash any // nil for the first digest
	for h := 0; h < hours; h++ {
		hour := 10 + h
		var files []map[string]any
		for j, minute := range []int{5, 35} {
			k := logFileKey(hour, minute, fmt.Sprintf("%016d", h*2+j))
			body := records(rec(fmt.Sprintf("ev-%d-%d", h, j), "CreateUser", ""),
				rec(fmt.Sprintf("pw-%d-%d", h, j), "CreateLoginProfile", `,"requestParameters":{"userName":"bob","password":"`+plantedSecret+`"}`))
			tr.objects[k] = gz(t, body)
			tr.content[k] = body
			tr.logs = append(tr.logs, k)
			sum := sha256.Sum256([]byte(body))
			files = append(files, map[string]any{"s3Bucket": bucket, "s3Object": k, "hashValue": hex.EncodeToString(sum[:]), "hashAlgorithm": "SHA-256",
				"newestEventTime": fmt.Sprintf("2024-05-01T%02d:%02d:00Z", hour, minute), "oldestEventTime": fmt.Sprintf("2024-05-01T%02d:%02d:00Z", hour, minute)})
		}
		dk := digestKey(hour + 1)
		end := fmt.Sprintf("2024-05-01T%02d:00:00Z", hour+1)
		d := map[string]any{
			"awsAccountId": "111122223333", "digestStartTime": fmt.Sprintf("2024-05-01T%02d:00:00Z", hour), "digestEndTime": end,
			"digestS3Bucket": bucket, "digestS3Object": dk, "digestPublicKeyFingerprint": testFP, "digestSignatureAlgorithm": "SHA256withRSA",
			"newestEventTime": end, "oldestEventTime": fmt.Sprintf("2024-05-01T%02d:05:00Z", hour),
			"previousDigestS3Bucket": nil, "previousDigestS3Object": prevKey, "previousDigestSignature": prevSig,
			"previousDigestHashValue": prevHash, "previousDigestHashAlgorithm": nil, "logFiles": files,
		}
		if prevKey != nil {
			d["previousDigestS3Bucket"] = bucket
			d["previousDigestHashAlgorithm"] = "SHA-256"
		}
		if tweak != nil {
			tweak(h, d)
		}
		body, err := json.Marshal(d)
		require.NoError(t, err)
		prev := "null"
		if s, ok := d["previousDigestSignature"].(string); ok {
			prev = s
		}
		sig := signDigest(t, body, end, bucket, dk, prev)
		tr.objects[dk] = gz(t, string(body))
		tr.sigs[dk] = sig
		tr.digests = append(tr.digests, dk)
		dsum := sha256.Sum256(body) // of the uncompressed digest
		prevKey, prevSig, prevHash = dk, sig, hex.EncodeToString(dsum[:])
	}
	return tr
}

// writeDir materialises the trail in a directory (signatures as sidecars).
func (tr *testTrail) writeDir(t *testing.T, dir string) {
	for k, b := range tr.objects {
		writeFile(t, dir, k, b)
	}
	for k, s := range tr.sigs {
		writeFile(t, dir, k+".sig", []byte(s+"\n"))
	}
}

type integrityCase struct {
	name string
	// tweak changes digests before signing; damage changes the written dir.
	tweak  func(i int, d map[string]any)
	damage func(t *testing.T, dir string, tr *testTrail)
	want   []string // problem:object, sorted
}

func findingKeys(fs []model.Finding, tr *testTrail) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Title+" | "+filepath.Base(f.ResourceID))
	}
	sort.Strings(out)
	return out
}

func TestDigestValidationLocal(t *testing.T) {
	tamper := func(t *testing.T, dir string, tr *testTrail) {
		// One byte changed, re-gzipped.
		k := tr.logs[2]
		body := strings.Replace(tr.content[k], `"bob"`, `"bab"`, 1)
		writeFile(t, dir, k, gz(t, body))
	}
	cases := []integrityCase{
		{name: "valid", want: nil},
		{name: "tampered log", damage: tamper, want: []string{"Audit trail tampered: log file altered | " + filepath.Base(logFileKey(11, 5, "0000000000000002"))}},
		{name: "missing log", damage: func(t *testing.T, dir string, tr *testTrail) {
			require.NoError(t, os.Remove(filepath.Join(dir, filepath.FromSlash(tr.logs[5]))))
		}, want: []string{"Audit trail tampered: log file deleted | " + filepath.Base(logFileKey(12, 35, "0000000000000005"))}},
		{name: "broken chain", tweak: func(i int, d map[string]any) {
			if i == 1 {
				d["previousDigestSignature"] = strings.Repeat("ab", 256)
			}
		}, want: []string{"Audit trail tampered: digest chain broken | " + filepath.Base(digestKey(12))}},
		{name: "bad signature", damage: func(t *testing.T, dir string, tr *testTrail) {
			other := signDigest(t, []byte("something else"), "2024-05-01T12:00:00Z", "logs", tr.digests[1], "null")
			writeFile(t, dir, tr.digests[1]+".sig", []byte(other))
		}, want: []string{"Audit trail tampered: digest signature invalid | " + filepath.Base(digestKey(12))}},
		{name: "missing digest", damage: func(t *testing.T, dir string, tr *testTrail) {
			require.NoError(t, os.Remove(filepath.Join(dir, filepath.FromSlash(tr.digests[1]))))
		}, want: []string{"Audit trail tampered: digest missing | " + filepath.Base(digestKey(12))}},
		{name: "digest not where it says", tweak: func(i int, d map[string]any) {
			if i == 2 {
				d["digestS3Object"] = digestKey(9)
			}
		}, want: []string{"Audit trail tampered: digest file invalid | " + filepath.Base(digestKey(13))}},
		{name: "injected log file", damage: func(t *testing.T, dir string, tr *testTrail) {
			writeFile(t, dir, logFileKey(11, 20, "ffffffffffffffff"), gz(t, records(rec("injected", "DeleteTrail", ""))))
			// Near a digest boundary: delivery latency, not judged.
			writeFile(t, dir, logFileKey(11, 58, "eeeeeeeeeeeeeeee"), gz(t, records(rec("late", "DeleteTrail", ""))))
		}, want: []string{"Audit trail tampered: unexpected log file | " + filepath.Base(logFileKey(11, 20, "ffffffffffffffff"))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tr := newTestTrail(t, "logs", tc.tweak)
			tr.writeDir(t, dir)
			if tc.damage != nil {
				tc.damage(t, dir, tr)
			}
			src, err := NewFileSource("trail", FileConfig{Dir: dir, ValidateDigests: true, PublicKeys: pemKeys(t, testFP)})
			require.NoError(t, err)
			cp := memCheckpoints{}
			b, errs := src.Events(context.Background(), cp)
			require.Empty(t, errs)
			require.Equal(t, tc.want, findingKeys(b.Findings, tr))
			scope := "integrity;source=trail;111122223333/eu-west-1"
			require.Equal(t, []string{scope}, b.AuditedScopes)
			for _, f := range b.Findings {
				require.Equal(t, model.FindingIntegrityFailure, f.Kind)
				require.Equal(t, model.SeverityCritical, f.Severity)
				require.Equal(t, scope, f.Scope)
				require.Equal(t, "111122223333", f.Account)
				require.Equal(t, "eu-west-1", f.Region)
				require.NotEmpty(t, f.Message)
			}
			assertNoSecret(t, b)
			cp.commit(b)

			// Next cycle: no digest is re-validated, open problems are
			// re-checked and re-emitted with the same fingerprints.
			b2, errs := src.Events(context.Background(), cp)
			require.Empty(t, errs)
			require.Equal(t, fingerprints(b.Findings), fingerprints(b2.Findings))
			require.Equal(t, []string{scope}, b2.AuditedScopes)
		})
	}
}

func fingerprints(fs []model.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Fingerprint)
	}
	sort.Strings(out)
	return out
}

func assertNoSecret(t *testing.T, b collectors.EventBatch) {
	out, err := json.Marshal(struct {
		F []model.Finding
		C map[string]string
	}{b.Findings, b.Checkpoints})
	require.NoError(t, err)
	require.NotContains(t, string(out), plantedSecret)
}

// TestDigestValidationRestore: a tampered log file stays a finding while
// it is altered, and resolves (no longer emitted, scope audited) once the
// original is restored; later digests are validated incrementally.
func TestDigestValidationRestore(t *testing.T) {
	dir := t.TempDir()
	tr := newTestTrail(t, "logs", nil)
	tr.writeDir(t, dir)
	k := tr.logs[1]
	writeFile(t, dir, k, gz(t, strings.Replace(tr.content[k], "CreateUser", "CreateUsex", 1)))
	src, err := NewFileSource("trail", FileConfig{Dir: dir, ValidateDigests: true, PublicKeys: pemKeys(t, testFP)})
	require.NoError(t, err)
	cp := memCheckpoints{}
	b, errs := src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Len(t, b.Findings, 1)
	require.Equal(t, model.Fingerprint("integrity", "111122223333", "eu-west-1", k, ProblemAlteredLog), b.Findings[0].Fingerprint)
	require.Contains(t, b.Findings[0].Message, k)
	cp.commit(b)

	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Len(t, b.Findings, 1, "re-emitted while the file is altered")
	cp.commit(b)

	writeFile(t, dir, k, tr.objects[k]) // restored
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Empty(t, b.Findings)
	require.Equal(t, []string{"integrity;source=trail;111122223333/eu-west-1"}, b.AuditedScopes)
	cp.commit(b)

	const cpKey = "trail|digests:AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/"
	var c digestCheckpoint
	require.NoError(t, json.Unmarshal([]byte(cp[cpKey]), &c))
	require.Equal(t, tr.digests[2], c.Trails["org_trail"].Key)
	require.Empty(t, c.Problems)

	// A fourth hour arrives, linked to the third: only it is validated.
	four := newTestTrailN(t, "logs", 4, nil)
	require.Equal(t, tr.sigs[tr.digests[2]], four.sigs[four.digests[2]], "deterministic signatures")
	for _, k := range append(four.logs[6:], four.digests[3]) {
		writeFile(t, dir, k, four.objects[k])
	}
	writeFile(t, dir, four.digests[3]+".sig", []byte(four.sigs[four.digests[3]]))
	// An already validated digest damaged now is not re-read.
	writeFile(t, dir, tr.digests[0], []byte("garbage"))
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Empty(t, b.Findings)
	cp.commit(b)
	require.NoError(t, json.Unmarshal([]byte(cp[cpKey]), &c))
	require.Equal(t, four.digests[3], c.Trails["org_trail"].Key)
}

// TestDigestValidationS3 runs validation against the S3 fake: signatures in
// x-amz-meta-signature, and validated digests are not fetched again.
func TestDigestValidationS3(t *testing.T) {
	tr := newTestTrail(t, "logs", nil)
	f := &fakeS3{objects: map[string][]byte{}, meta: map[string]map[string]string{}}
	for k, b := range tr.objects {
		f.objects[k] = b
	}
	for k, s := range tr.sigs {
		f.meta[k] = map[string]string{"signature": s}
	}
	k := tr.logs[3]
	f.objects[k] = gz(t, strings.Replace(tr.content[k], "CreateUser", "DeleteUser", 1))
	var mu sync.Mutex
	gets := map[string]int{}
	f.fail = func(key string) int {
		mu.Lock()
		gets[key]++
		mu.Unlock()
		return 0
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	src, err := NewFileSource("s3trail", FileConfig{Bucket: "logs", Client: s3Client(srv.URL), ValidateDigests: true, PublicKeys: pemKeys(t, testFP)})
	require.NoError(t, err)
	cp := memCheckpoints{}
	b, errs := src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Len(t, b.Findings, 1)
	require.Equal(t, "Audit trail tampered: log file altered", b.Findings[0].Title)
	require.Equal(t, "s3://logs/"+k, b.Findings[0].ResourceID)
	assertNoSecret(t, b)
	cp.commit(b)

	for key := range gets {
		delete(gets, key)
	}
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Len(t, b.Findings, 1)
	for _, d := range tr.digests {
		require.Zero(t, gets[d], "validated digest %s fetched again", d)
	}
	require.Equal(t, 1, gets[k], "only the problem file is re-checked")
	cp.commit(b)

	f.mu.Lock()
	f.objects[k] = tr.objects[k]
	f.meta[tr.digests[2]]["signature"] = strings.Repeat("00", 256)
	f.mu.Unlock()
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Empty(t, b.Findings, "restored; a changed signature of an already validated digest is not re-read")
	require.Equal(t, []string{"integrity;source=s3trail;111122223333/eu-west-1"}, b.AuditedScopes)

	// A bad signature on S3: a fresh checkpoint validates everything again.
	b, errs = src.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Equal(t, []string{"Audit trail tampered: digest signature invalid | " + filepath.Base(tr.digests[2])}, findingKeys(b.Findings, tr))
}

func TestDigestValidationErrors(t *testing.T) {
	t.Run("public keys are required", func(t *testing.T) {
		_, err := NewFileSource("trail", FileConfig{Dir: t.TempDir(), ValidateDigests: true})
		require.ErrorContains(t, err, "public keys")
	})
	t.Run("unknown fingerprint is a bad signature", func(t *testing.T) {
		dir := t.TempDir()
		newTestTrail(t, "logs", nil).writeDir(t, dir)
		src, err := NewFileSource("trail", FileConfig{Dir: dir, ValidateDigests: true, PublicKeys: pemKeys(t, "another")})
		require.NoError(t, err)
		b, errs := src.Events(context.Background(), memCheckpoints{})
		require.Empty(t, errs)
		require.Len(t, b.Findings, 3)
		for _, f := range b.Findings {
			require.Equal(t, "Audit trail tampered: digest signature invalid", f.Title)
			require.Contains(t, f.Message, "no CloudTrail public key with fingerprint "+testFP)
		}
	})
	t.Run("a digest that is not gzip JSON", func(t *testing.T) {
		dir := t.TempDir()
		tr := newTestTrail(t, "logs", nil)
		tr.writeDir(t, dir)
		writeFile(t, dir, tr.digests[0], []byte("not a digest"))
		src, _ := NewFileSource("trail", FileConfig{Dir: dir, ValidateDigests: true, PublicKeys: pemKeys(t, testFP)})
		b, errs := src.Events(context.Background(), memCheckpoints{})
		require.Empty(t, errs)
		require.Equal(t, []string{"Audit trail tampered: digest file invalid | " + filepath.Base(tr.digests[0])}, findingKeys(b.Findings, tr))
	})
	t.Run("key lookup failure is an error, not a finding, and does not advance", func(t *testing.T) {
		dir := t.TempDir()
		newTestTrail(t, "logs", nil).writeDir(t, dir)
		src, _ := NewFileSource("trail", FileConfig{Dir: dir, ValidateDigests: true, PublicKeys: failingKeys{}})
		cp := memCheckpoints{}
		b, errs := src.Events(context.Background(), cp)
		require.Len(t, errs, 1)
		require.Contains(t, errs[0].Error(), "key service down")
		require.Empty(t, b.Findings)
		require.Empty(t, b.AuditedScopes)
		require.NotContains(t, b.Checkpoints, "digests:AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/")
	})
	t.Run("PEM files", func(t *testing.T) {
		_, err := ParsePEMPublicKeys([]byte("nothing"))
		require.ErrorContains(t, err, "no PEM public key")
		_, err = ParsePEMPublicKeys(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}))
		require.ErrorContains(t, err, "unexpected PEM block")
		der, err := x509.MarshalPKIXPublicKey(&signingKey(t).PublicKey)
		require.NoError(t, err)
		p := filepath.Join(t.TempDir(), "keys.pem")
		require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600))
		k, err := LoadPEMPublicKeys(p)
		require.NoError(t, err)
		keys, err := k.Keys(context.Background(), "eu-west-1", "whatever", time.Now())
		require.NoError(t, err)
		require.Len(t, keys, 1, "a key without a Fingerprint header is tried for every digest")
		_, err = LoadPEMPublicKeys(filepath.Join(t.TempDir(), "absent.pem"))
		require.ErrorContains(t, err, "reading public keys")
	})
}

type failingKeys struct{}

func (failingKeys) Keys(context.Context, string, string, time.Time) ([]*rsa.PublicKey, error) {
	return nil, fmt.Errorf("listing CloudTrail public keys: key service down")
}

func TestTrailOf(t *testing.T) {
	for _, tc := range []struct {
		key, trail string
		backfill   bool
	}{
		{digestKey(11), "org_trail", false},
		{digestDay + "111122223333_CloudTrail-Digest_us-east-1_main_us-east-1_20240501T110512Z_backfill.json.gz", "main", true},
		{digestDay + "111122223333_CloudTrail-Digest_eu-west-1_my-trail.2_eu-west-1_20240501T110512Z.json.gz", "my-trail.2", false},
	} {
		trail, backfill, ok := trailOf(tc.key)
		require.True(t, ok, tc.key)
		require.Equal(t, tc.trail, trail)
		require.Equal(t, tc.backfill, backfill)
	}
	_, _, ok := trailOf(digestDay + "README.txt")
	require.False(t, ok)
}

// TestAPIPublicKeys serves ListPublicKeys over CloudTrail's JSON 1.1
// protocol: keys are fetched once per fingerprint (all pages) and cached.
func TestAPIPublicKeys(t *testing.T) {
	other, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		var in struct {
			StartTime, EndTime float64
			NextToken          string
		}
		if !strings.HasSuffix(r.Header.Get("X-Amz-Target"), "CloudTrail_20131101.ListPublicKeys") ||
			json.NewDecoder(r.Body).Decode(&in) != nil || in.StartTime == 0 || in.EndTime <= in.StartTime {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"__type":"InvalidParameterException","message":"unexpected request"}`)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		key := func(k *rsa.PublicKey, fp string) map[string]any {
			return map[string]any{"Value": base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(k)), "Fingerprint": fp, "ValidityStartTime": 1.7e9, "ValidityEndTime": 1.8e9}
		}
		if in.NextToken == "" {
			_ = json.NewEncoder(w).Encode(map[string]any{"PublicKeyList": []any{key(&other.PublicKey, "other")}, "NextToken": "p2"})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"PublicKeyList": []any{key(&signingKey(t).PublicKey, testFP)}})
	}))
	defer srv.Close()
	client := awscloudtrail.New(awscloudtrail.Options{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	keys := NewAPIPublicKeys(func(region string) ListPublicKeysAPI {
		require.Equal(t, "eu-west-1", region)
		return client
	})

	dir := t.TempDir()
	newTestTrail(t, "logs", nil).writeDir(t, dir)
	src, err := NewFileSource("trail", FileConfig{Dir: dir, ValidateDigests: true, PublicKeys: keys})
	require.NoError(t, err)
	b, errs := src.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Empty(t, b.Findings)
	require.Equal(t, 2, calls, "two pages, once: cached per fingerprint")

	got, err := keys.Keys(context.Background(), "eu-west-1", "unknown", time.Now())
	require.NoError(t, err)
	require.Empty(t, got)
}
