package cloudtrail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
)

// prefixedTrail is a trail delivering to s3://bucket/<keyPrefix>AWSLogs/...:
// its digests name the full S3 keys (and are signed over them), while
// objects holds what `aws s3 sync s3://bucket/<keyPrefix> ./copy` writes:
// the same files without the prefix, and no signature sidecars (sync drops
// object metadata).
type prefixedTrail struct {
	t                         *testing.T
	bucket, keyPrefix         string
	account, region, trail    string
	prevKey, prevSig, prvHash string
	objects                   map[string][]byte // S3 key -> gzip bytes
	sigs                      map[string]string // S3 digest key -> x-amz-meta-signature
	digests, logs             []string          // S3 keys
}

func newPrefixedTrail(t *testing.T, keyPrefix string) *prefixedTrail {
	return &prefixedTrail{t: t, bucket: "aws-cloudtrail-logs-111122223333-3f2a1b", keyPrefix: keyPrefix, account: "111122223333",
		region: "eu-west-1", trail: "main", objects: map[string][]byte{}, sigs: map[string]string{}}
}

func (p *prefixedTrail) root(kind string) string {
	return p.keyPrefix + "AWSLogs/" + p.account + "/" + kind + "/" + p.region + "/"
}

// log adds a log file delivered at ts and returns its digest entry.
func (p *prefixedTrail) log(ts time.Time, suffix, body string) awsLogFile {
	k := p.root("CloudTrail") + ts.Format("2006/01/02/") + fmt.Sprintf("%s_CloudTrail_%s_%s_%s.json.gz", p.account, p.region, ts.Format("20060102T1504Z"), suffix)
	p.objects[k] = gz(p.t, body)
	p.logs = append(p.logs, k)
	sum := sha256.Sum256([]byte(body))
	return awsLogFile{S3Bucket: p.bucket, S3Object: k, HashValue: hex.EncodeToString(sum[:]), HashAlgorithm: "SHA-256",
		NewestEventTime: ts.Format(time.RFC3339), OldestEventTime: ts.Add(-time.Minute).Format(time.RFC3339)}
}

// digest adds the signed digest of [end-1h, end], chained to the previous.
func (p *prefixedTrail) digest(end time.Time, logs []awsLogFile) string {
	k := p.root("CloudTrail-Digest") + end.Format("2006/01/02/") +
		fmt.Sprintf("%s_CloudTrail-Digest_%s_%s_%s_%s.json.gz", p.account, p.region, p.trail, p.region, end.Format("20060102T150405Z"))
	d := awsDigest{AWSAccountID: p.account, DigestStartTime: end.Add(-time.Hour).Format(time.RFC3339), DigestEndTime: end.Format(time.RFC3339),
		DigestS3Bucket: p.bucket, DigestS3Object: k, DigestPublicKeyFingerprint: testFP, DigestSignatureAlgorithm: "SHA256withRSA", LogFiles: logs}
	if d.LogFiles == nil {
		d.LogFiles = []awsLogFile{}
	}
	prev := "null"
	if p.prevKey != "" {
		d.PreviousDigestS3Bucket, d.PreviousDigestS3Object = aws.String(p.bucket), aws.String(p.prevKey)
		d.PreviousDigestHashValue, d.PreviousDigestHashAlgorithm = aws.String(p.prvHash), aws.String("SHA-256")
		d.PreviousDigestSignature = aws.String(p.prevSig)
		prev = p.prevSig
	}
	body, err := json.Marshal(d)
	require.NoError(p.t, err)
	sig := signDigest(p.t, body, d.DigestEndTime, p.bucket, k, prev)
	p.objects[k] = gz(p.t, string(body))
	p.sigs[k] = sig
	sum := sha256.Sum256(body)
	p.prevKey, p.prevSig, p.prvHash = k, sig, hex.EncodeToString(sum[:])
	p.digests = append(p.digests, k)
	return k
}

// hours builds n hours of the trail, a log file per hour.
func (p *prefixedTrail) hours(n int) {
	for h := 0; h < n; h++ {
		end := hour0.Add(time.Duration(h) * time.Hour)
		l := p.log(end.Add(-30*time.Minute), fmt.Sprintf("%016d", h), records(rec(fmt.Sprintf("e%d", h), "CreateUser", "")))
		p.digest(end, []awsLogFile{l})
	}
}

// syncTo writes what `aws s3 sync s3://bucket/<keyPrefix> dir` writes.
func (p *prefixedTrail) syncTo(t *testing.T, dir string) {
	for k, b := range p.objects {
		writeFile(t, dir, p.local(k), b)
	}
}

// local is where the copy keeps an S3 object.
func (p *prefixedTrail) local(key string) string { return strings.TrimPrefix(key, p.keyPrefix) }

func localCopySource(t *testing.T, dir string) *FileSource {
	src, err := NewFileSource("copy", FileConfig{Dir: dir, ValidateDigests: true, PublicKeys: pemKeys(t, testFP)})
	require.NoError(t, err)
	return src
}

// TestDigestLocalCopyWithoutPrefix: a trail delivered under a bucket key
// prefix, copied without it, validates clean: every digest is where it
// says (from AWSLogs/ on), its log files and previous digests are found,
// and the offline signatures (the next digest's previousDigestSignature)
// are matched to the copied digests. The newest digest waits for its
// successor, as in any copy without metadata.
func TestDigestLocalCopyWithoutPrefix(t *testing.T) {
	p := newPrefixedTrail(t, "team-a/")
	p.hours(4)
	dir := t.TempDir()
	p.syncTo(t, dir)
	src := localCopySource(t, dir)
	cp := memCheckpoints{}
	b, errs := src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Empty(t, titles(b.Findings))
	require.Equal(t, []string{"integrity;source=copy;111122223333/eu-west-1"}, b.AuditedScopes)
	require.Equal(t, []string{"e0", "e1", "e2", "e3"}, ids(b.Events))
	cp.commit(b)
	var c digestCheckpoint
	require.NoError(t, json.Unmarshal([]byte(cp["copy|digests:AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/"]), &c))
	require.Equal(t, p.local(p.digests[2]), c.Trails["main"].Key, "validated up to the digest before the newest, by its local key")

	// The next hour is synced: the waiting digest and the new one chain on.
	end := hour0.Add(4 * time.Hour)
	p.digest(end, []awsLogFile{p.log(end.Add(-10*time.Minute), "ffffffffffffffff", records(rec("e4", "CreateUser", "")))})
	p.syncTo(t, dir)
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Empty(t, titles(b.Findings))
	cp.commit(b)
	require.NoError(t, json.Unmarshal([]byte(cp["copy|digests:AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/"]), &c))
	require.Equal(t, p.local(p.digests[3]), c.Trails["main"].Key)

	// The copy may also sit under a prefix of its own (the source's prefix).
	dir2 := t.TempDir()
	for k, v := range p.objects {
		writeFile(t, dir2, "restored/"+p.local(k), v)
	}
	src2, err := NewFileSource("copy", FileConfig{Dir: dir2, Prefix: "restored", ValidateDigests: true, PublicKeys: pemKeys(t, testFP)})
	require.NoError(t, err)
	b, errs = src2.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Empty(t, titles(b.Findings))
	require.Equal(t, []string{"integrity;source=copy;111122223333/eu-west-1"}, b.AuditedScopes)
}

// TestDigestLocalCopyTampering: in a copy without the bucket's prefix, an
// altered or deleted log file and a digest moved to another account's or
// region's folder are still reported.
func TestDigestLocalCopyTampering(t *testing.T) {
	p := newPrefixedTrail(t, "team-a/")
	p.hours(4)
	moved := func(from, account, region string) string {
		k := strings.Replace(p.local(from), "/111122223333/", "/"+account+"/", 1)
		k = strings.Replace(k, "_111122223333_", "_"+account+"_", 1)
		return strings.ReplaceAll(k, "eu-west-1", region)
	}
	cases := []struct {
		name   string
		damage func(t *testing.T, dir string)
		scope  string   // the account/region whose findings are looked at
		want   []string // titles | file names
	}{
		{name: "altered log", damage: func(t *testing.T, dir string) {
			writeFile(t, dir, p.local(p.logs[1]), gz(t, records(rec("e1", "DeleteUser", ""))))
		}, scope: "111122223333/eu-west-1", want: []string{"Audit trail tampered: log file altered | " + filepath.Base(p.logs[1])}},
		{name: "deleted log", damage: func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(filepath.Join(dir, filepath.FromSlash(p.local(p.logs[0])))))
		}, scope: "111122223333/eu-west-1", want: []string{"Audit trail tampered: log file deleted | " + filepath.Base(p.logs[0])}},
		{name: "digest moved to another account's folder", damage: func(t *testing.T, dir string) {
			writeFile(t, dir, moved(p.digests[1], "444455556666", "eu-west-1"), p.objects[p.digests[1]])
		}, scope: "444455556666/eu-west-1", want: []string{"Audit trail tampered: digest file invalid | " + filepath.Base(moved(p.digests[1], "444455556666", "eu-west-1"))}},
		{name: "digest moved to another region's folder", damage: func(t *testing.T, dir string) {
			writeFile(t, dir, moved(p.digests[1], "111122223333", "us-east-1"), p.objects[p.digests[1]])
		}, scope: "111122223333/us-east-1", want: []string{"Audit trail tampered: digest file invalid | " + filepath.Base(moved(p.digests[1], "111122223333", "us-east-1"))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p.syncTo(t, dir)
			tc.damage(t, dir)
			b, errs := localCopySource(t, dir).Events(context.Background(), memCheckpoints{})
			require.Empty(t, errs)
			var got []string
			for _, f := range b.Findings {
				require.Equal(t, model.FindingIntegrityFailure, f.Kind)
				if f.Scope == "integrity;source=copy;"+tc.scope {
					got = append(got, f.Title+" | "+filepath.Base(f.ResourceID))
					require.Equal(t, model.SeverityCritical, f.Severity)
				}
			}
			require.Equal(t, tc.want, got)
		})
	}
}

// TestDigestS3PrefixStillChecked: reading the bucket itself, digests are
// compared by their full key and bucket: a trail under a prefix validates
// clean, and a digest copied to another prefix of the bucket is not where
// it says.
func TestDigestS3PrefixStillChecked(t *testing.T) {
	p := newPrefixedTrail(t, "team-a/")
	p.bucket = "logs" // the fake's only bucket
	p.hours(3)
	f := &fakeS3{objects: map[string][]byte{}, meta: map[string]map[string]string{}}
	for k, b := range p.objects {
		f.objects[k] = b
	}
	for k, s := range p.sigs {
		f.meta[k] = map[string]string{"signature": s}
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	src, err := NewFileSource("s3trail", FileConfig{Bucket: "logs", Prefix: "team-a", Client: s3Client(srv.URL), ValidateDigests: true, PublicKeys: pemKeys(t, testFP)})
	require.NoError(t, err)
	b, errs := src.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Empty(t, titles(b.Findings))
	require.Equal(t, []string{"integrity;source=s3trail;111122223333/eu-west-1"}, b.AuditedScopes)

	// The same objects under another prefix of the bucket.
	for k, v := range p.objects {
		f.objects["team-b/"+p.local(k)] = v
		if s, ok := p.sigs[k]; ok {
			f.meta["team-b/"+p.local(k)] = map[string]string{"signature": s}
		}
	}
	src, err = NewFileSource("s3trail", FileConfig{Bucket: "logs", Prefix: "team-b", Client: s3Client(srv.URL), ValidateDigests: true, PublicKeys: pemKeys(t, testFP)})
	require.NoError(t, err)
	b, errs = src.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	invalid := 0
	for _, fd := range b.Findings {
		require.Equal(t, model.SeverityCritical, fd.Severity)
		if fd.Title == "Audit trail tampered: digest file invalid" {
			require.Contains(t, fd.Message, "says it was delivered to logs/team-a/AWSLogs/")
			invalid++
		}
	}
	require.Equal(t, 3, invalid, "every digest of the copy under team-b/ (and its log files are in no digest of team-b/)")
}

func TestLayoutPart(t *testing.T) {
	for key, want := range map[string]string{
		"team-a/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/f.json.gz":              "AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/f.json.gz",
		"AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/f.json.gz":                     "AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/f.json.gz",
		"a/b/AWSLogs/o-abc123/111122223333/CloudTrail-Digest/eu-west-1/2024/05/01/d.json.gz": "AWSLogs/o-abc123/111122223333/CloudTrail-Digest/eu-west-1/2024/05/01/d.json.gz",
		"AWSLogs/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/f.json.gz":             "AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/f.json.gz",
		"team-a/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/f.json.gz":                 "", // a segment short
		"AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/../../../../../../x":           "",
		"AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05//f.json.gz":                       "",
		"AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/..\\..\\x":                     "",
		"team-a//AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/f.json.gz":             "AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/f.json.gz", // a trail prefix ending in "/"
		"no-layout/f.json.gz": "",
		"":                    "",
	} {
		got, ok := layoutPart(key)
		require.Equal(t, want, got, key)
		require.Equal(t, want != "", ok, key)
	}
}

// TestDigestLocalCopyEscapingKey: a log file key that could leave the
// copy's directory is reported as missing, never opened.
func TestDigestLocalCopyEscapingKey(t *testing.T) {
	a := newAWSTrail(t, "", "us-east-1", "main", "us-east-1")
	outside := filepath.Join(filepath.Dir(a.dir), "outside.json.gz")
	body := records(rec("x", "CreateUser", ""))
	require.NoError(t, os.WriteFile(outside, gz(t, body), 0o644))
	sum := sha256.Sum256([]byte(body))
	l := awsLogFile{S3Bucket: a.bucket, S3Object: "../outside.json.gz", HashValue: hex.EncodeToString(sum[:]), HashAlgorithm: "SHA-256"}
	a.digest(hour0, true, false, []awsLogFile{l}, nil)
	b, errs := a.source(t).Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Equal(t, []string{"Audit trail tampered: log file deleted | outside.json.gz"}, titles(b.Findings))
}
