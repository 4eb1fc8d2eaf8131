package cloudtrail

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscloudtrail "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
)

// These tests pin driftwarden's digest validation to how CloudTrail really
// writes and signs digest files ("CloudTrail digest file structure",
// "Custom implementation of CloudTrail log file integrity validation",
// aws-cli `cloudtrail validate-logs`):
//   - a log file's hashValue is the hex SHA-256 of its uncompressed content;
//   - the signed string is digestEndTime (as written) \n bucket/key \n
//     hex(SHA-256 of the uncompressed digest) \n previousDigestSignature
//     ("null" in a starting digest), RSA PKCS#1 v1.5 with SHA-256, the hex
//     signature in the S3 metadata x-amz-meta-signature;
//   - previousDigestHashValue is the hex SHA-256 of the previous digest's
//     uncompressed content;
//   - a starting digest has the five previous* fields null; an hour without
//     log files still gets a digest, with logFiles [] and null event times.

// awsDigest is one digest in CloudTrail's field order.
type awsDigest struct {
	AWSAccountID                string       `json:"awsAccountId"`
	DigestStartTime             string       `json:"digestStartTime"`
	DigestEndTime               string       `json:"digestEndTime"`
	DigestS3Bucket              string       `json:"digestS3Bucket"`
	DigestS3Object              string       `json:"digestS3Object"`
	DigestPublicKeyFingerprint  string       `json:"digestPublicKeyFingerprint"`
	DigestSignatureAlgorithm    string       `json:"digestSignatureAlgorithm"`
	NewestEventTime             *string      `json:"newestEventTime"`
	OldestEventTime             *string      `json:"oldestEventTime"`
	PreviousDigestS3Bucket      *string      `json:"previousDigestS3Bucket"`
	PreviousDigestS3Object      *string      `json:"previousDigestS3Object"`
	PreviousDigestHashValue     *string      `json:"previousDigestHashValue"`
	PreviousDigestHashAlgorithm *string      `json:"previousDigestHashAlgorithm"`
	PreviousDigestSignature     *string      `json:"previousDigestSignature"`
	LogFiles                    []awsLogFile `json:"logFiles"`
}

type awsLogFile struct {
	S3Bucket        string `json:"s3Bucket"`
	S3Object        string `json:"s3Object"`
	HashValue       string `json:"hashValue"`
	HashAlgorithm   string `json:"hashAlgorithm"`
	NewestEventTime string `json:"newestEventTime"`
	OldestEventTime string `json:"oldestEventTime"`
}

// awsTrail writes a trail's log and digest files in the real layout:
// AWSLogs/[o-org/]ACCOUNT/CloudTrail[-Digest]/REGION/YYYY/MM/DD/...
type awsTrail struct {
	t                     *testing.T
	dir, bucket           string
	org, account, region  string
	trail, home           string
	prevKey, prevSig, prv string // prv: hex SHA-256 of the previous uncompressed digest
	digests               []string
}

func (a *awsTrail) root(kind string) string {
	p := "AWSLogs/"
	if a.org != "" {
		p += a.org + "/"
	}
	return p + a.account + "/" + kind + "/" + a.region + "/"
}

// log writes a log file delivered at ts and returns its digest entry.
func (a *awsTrail) log(ts time.Time, suffix, body string) awsLogFile {
	k := a.root("CloudTrail") + ts.Format("2006/01/02/") + fmt.Sprintf("%s_CloudTrail_%s_%s_%s.json.gz", a.account, a.region, ts.Format("20060102T1504Z"), suffix)
	writeFile(a.t, a.dir, k, gz(a.t, body))
	sum := sha256.Sum256([]byte(body))
	return awsLogFile{S3Bucket: a.bucket, S3Object: k, HashValue: hex.EncodeToString(sum[:]), HashAlgorithm: "SHA-256",
		NewestEventTime: ts.Format(time.RFC3339), OldestEventTime: ts.Add(-time.Minute).Format(time.RFC3339)}
}

func (a *awsTrail) digestKey(end time.Time, backfill bool) string {
	sfx := ".json.gz"
	if backfill {
		sfx = "_backfill.json.gz"
	}
	return a.root("CloudTrail-Digest") + end.Format("2006/01/02/") +
		fmt.Sprintf("%s_CloudTrail-Digest_%s_%s_%s_%s%s", a.account, a.region, a.trail, a.home, end.Format("20060102T150405Z"), sfx)
}

// digest writes, signs and chains the digest of [end-1h, end]. start
// begins a new chain (a starting digest). tweak may change it before it is
// signed.
func (a *awsTrail) digest(end time.Time, start, backfill bool, logs []awsLogFile, tweak func(*awsDigest)) string {
	k := a.digestKey(end, backfill)
	d := awsDigest{AWSAccountID: a.account, DigestStartTime: end.Add(-time.Hour).Format(time.RFC3339), DigestEndTime: end.Format(time.RFC3339),
		DigestS3Bucket: a.bucket, DigestS3Object: k, DigestPublicKeyFingerprint: testFP, DigestSignatureAlgorithm: "SHA256withRSA",
		LogFiles: logs}
	if d.LogFiles == nil {
		d.LogFiles = []awsLogFile{} // "logFiles": [] in an hour without log files
	}
	if len(logs) > 0 {
		n, o := logs[len(logs)-1].NewestEventTime, logs[0].OldestEventTime
		d.NewestEventTime, d.OldestEventTime = &n, &o
	}
	if !start && a.prevKey != "" {
		d.PreviousDigestS3Bucket, d.PreviousDigestS3Object = aws.String(a.bucket), aws.String(a.prevKey)
		d.PreviousDigestHashValue, d.PreviousDigestHashAlgorithm = aws.String(a.prv), aws.String("SHA-256")
		d.PreviousDigestSignature = aws.String(a.prevSig)
	}
	if tweak != nil {
		tweak(&d)
	}
	body, err := json.Marshal(d)
	require.NoError(a.t, err)
	prev := "null"
	if d.PreviousDigestSignature != nil {
		prev = *d.PreviousDigestSignature
	}
	sig := signDigest(a.t, body, d.DigestEndTime, a.bucket, k, prev)
	writeFile(a.t, a.dir, k, gz(a.t, string(body)))
	writeFile(a.t, a.dir, k+digestSignatureSuffix, []byte(sig))
	if !backfill {
		sum := sha256.Sum256(body)
		a.prevKey, a.prevSig, a.prv = k, sig, hex.EncodeToString(sum[:])
	}
	a.digests = append(a.digests, k)
	return k
}

func newAWSTrail(t *testing.T, org, region, trail, home string) *awsTrail {
	return &awsTrail{t: t, dir: t.TempDir(), bucket: "aws-cloudtrail-logs-111122223333-3f2a1b", org: org, account: "111122223333", region: region, trail: trail, home: home}
}

func (a *awsTrail) source(t *testing.T) *FileSource {
	src, err := NewFileSource("trail", FileConfig{Dir: a.dir, ValidateDigests: true, PublicKeys: pemKeys(t, testFP)})
	require.NoError(t, err)
	return src
}

var hour0 = time.Date(2024, 5, 1, 10, 5, 12, 0, time.UTC)

func titles(fs []model.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Title+" | "+filepath.Base(f.ResourceID))
	}
	return out
}

// TestDigestAWSLayoutOrgMultiRegion: an organization trail (AWSLogs/o-ID/)
// whose home region (us-east-1) differs from the region the digest covers
// (eu-west-1), a trail name with an underscore, a starting digest (null
// previous* fields), an empty hourly digest, then a chained one: valid.
func TestDigestAWSLayoutOrgMultiRegion(t *testing.T) {
	a := newAWSTrail(t, "o-a1b2c3d4e5", "eu-west-1", "org_trail", "us-east-1")
	l1 := a.log(hour0.Add(-40*time.Minute), "AbCdEfGhIjKlMnOp", records(rec("e1", "CreateBucket", "")))
	a.digest(hour0, true, false, []awsLogFile{l1}, nil)
	a.digest(hour0.Add(time.Hour), false, false, nil, nil) // no log file that hour
	l3 := a.log(hour0.Add(90*time.Minute), "QrStUvWxYz012345", records(rec("e3", "PutBucketPolicy", "")))
	a.digest(hour0.Add(2*time.Hour), false, false, []awsLogFile{l3}, nil)

	// The empty digest is really written as CloudTrail does.
	raw, err := os.ReadFile(filepath.Join(a.dir, filepath.FromSlash(a.digests[1])))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(gunzipString(t, raw)), &m))
	require.Equal(t, []any{}, m["logFiles"])
	require.Nil(t, m["newestEventTime"])
	require.Contains(t, a.digests[0], "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail-Digest/eu-west-1/2024/05/01/111122223333_CloudTrail-Digest_eu-west-1_org_trail_us-east-1_20240501T100512Z.json.gz")

	src := a.source(t)
	cp := memCheckpoints{}
	b, errs := src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Empty(t, titles(b.Findings))
	require.Equal(t, []string{"integrity;source=trail;111122223333/eu-west-1"}, b.AuditedScopes)
	cp.commit(b)

	// The next hour, chained to the last; its log file altered.
	l4 := a.log(hour0.Add(150*time.Minute), "ZZZZZZZZZZZZZZZZ", records(rec("e4", "DeleteBucket", `,"requestParameters":{"secret":"`+plantedSecret+`"}`)))
	a.digest(hour0.Add(3*time.Hour), false, false, []awsLogFile{l4}, nil)
	writeFile(t, a.dir, l4.S3Object, gz(t, records(rec("e4", "ListBuckets", `,"requestParameters":{"secret":"`+plantedSecret+`"}`))))
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, []string{"Audit trail tampered: log file altered | " + filepath.Base(l4.S3Object)}, titles(b.Findings))
	require.Equal(t, "111122223333", b.Findings[0].Account)
	require.Equal(t, model.SeverityCritical, b.Findings[0].Severity)
	require.Contains(t, b.Findings[0].Message, l4.S3Object)
	assertNoSecret(t, b)
}

func gunzipString(t *testing.T, b []byte) string {
	v := &validation{}
	var sb strings.Builder
	_, err := v.hashStream(strings.NewReader(string(b)), &sb)
	require.NoError(t, err)
	return sb.String()
}

// TestDigestAWSHashes: hashValue is over the uncompressed log file, and
// the signed string carries the SHA-256 of the uncompressed digest. A
// digest that hashed the gzip bytes instead is not what CloudTrail writes.
func TestDigestAWSHashes(t *testing.T) {
	a := newAWSTrail(t, "", "us-east-1", "main", "us-east-1")
	body := records(rec("e1", "CreateUser", ""))
	l := a.log(hour0.Add(-30*time.Minute), "0123456789abcdef", body)
	gzSum := sha256.Sum256(gz(t, body))
	lGz := l
	lGz.HashValue = hex.EncodeToString(gzSum[:]) // hash of the stored gzip bytes
	a.digest(hour0, true, false, []awsLogFile{l}, nil)
	a.digest(hour0.Add(time.Hour), false, false, []awsLogFile{lGz}, nil)
	b, errs := a.source(t).Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Equal(t, []string{"Audit trail tampered: log file altered | " + filepath.Base(l.S3Object)}, titles(b.Findings),
		"the uncompressed hash validates, the gzip-bytes hash does not")
	require.Contains(t, b.Findings[0].Message, filepath.Base(a.digests[1]))

	// A signature over the SHA-256 of the gzip bytes of the digest does not
	// verify (CloudTrail signs the hash of the uncompressed digest).
	raw, err := os.ReadFile(filepath.Join(a.dir, filepath.FromSlash(a.digests[0])))
	require.NoError(t, err)
	var d awsDigest
	require.NoError(t, json.Unmarshal([]byte(gunzipString(t, raw)), &d))
	wrong := signDigest(t, raw, d.DigestEndTime, a.bucket, a.digests[0], "null")
	writeFile(t, a.dir, a.digests[0]+digestSignatureSuffix, []byte(wrong))
	b, errs = a.source(t).Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Contains(t, titles(b.Findings), "Audit trail tampered: digest signature invalid | "+filepath.Base(a.digests[0]))
}

// TestDigestAWSPreviousHash: previousDigestHashValue must be the SHA-256
// of the previous digest's uncompressed content; a validly signed digest
// naming another hash breaks the chain (critical).
func TestDigestAWSPreviousHash(t *testing.T) {
	a := newAWSTrail(t, "", "us-east-1", "main", "us-east-1")
	a.digest(hour0, true, false, nil, nil)
	src := a.source(t)
	cp := memCheckpoints{}
	b, errs := src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Empty(t, b.Findings)
	cp.commit(b)

	k := a.digest(hour0.Add(time.Hour), false, false, nil, func(d *awsDigest) {
		d.PreviousDigestHashValue = aws.String(strings.Repeat("0", 64))
	})
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, []string{"Audit trail tampered: digest chain broken | " + filepath.Base(k)}, titles(b.Findings))
	require.Contains(t, b.Findings[0].Message, "previousDigestHashValue")
	require.Equal(t, model.SeverityCritical, b.Findings[0].Severity)
	cp.commit(b)
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Len(t, b.Findings, 1, "still broken on re-check")
}

// TestDigestAWSChainRestart: StopLogging/StartLogging (or turning
// validation off and on) makes CloudTrail deliver a new starting digest.
// That is a gap in coverage reported as high, not "tampered"; a deleted
// digest in the middle of a chain stays critical.
func TestDigestAWSChainRestart(t *testing.T) {
	a := newAWSTrail(t, "", "us-east-1", "main", "us-east-1")
	a.digest(hour0, true, false, nil, nil)
	a.digest(hour0.Add(time.Hour), false, false, nil, nil) // final digest at StopLogging
	src := a.source(t)
	cp := memCheckpoints{}
	b, errs := src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Empty(t, b.Findings)
	cp.commit(b)

	k := a.digest(hour0.Add(5*time.Hour), true, false, nil, nil) // StartLogging: a starting digest
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, []string{"Audit trail gap: digest chain restarted (logging or log file validation was stopped) | " + filepath.Base(k)}, titles(b.Findings))
	require.Equal(t, model.SeverityHigh, b.Findings[0].Severity)
	require.NotContains(t, b.Findings[0].Title, "tampered")
	require.Contains(t, b.Findings[0].Message, "2024-05-01T11:05:12Z")
	cp.commit(b)

	// A later chained digest is fine; the gap stays reported (until waived).
	a.digest(hour0.Add(6*time.Hour), false, false, nil, nil)
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Len(t, b.Findings, 1)
	cp.commit(b)

	// A digest deleted inside a chain is critical.
	missing := a.digest(hour0.Add(7*time.Hour), false, false, nil, nil)
	a.digest(hour0.Add(8*time.Hour), false, false, nil, nil)
	require.NoError(t, os.Remove(filepath.Join(a.dir, filepath.FromSlash(missing))))
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Contains(t, titles(b.Findings), "Audit trail tampered: digest missing | "+filepath.Base(missing))
}

// TestDigestAWSBackfill: a _backfill digest, delivered after later hourly
// digests were validated, is still validated (once), and a log file it
// lists is no longer reported as unexpected. A log file delivered after the
// newest digest's end is not judged yet.
func TestDigestAWSBackfill(t *testing.T) {
	a := newAWSTrail(t, "", "us-east-1", "main", "us-east-1")
	l1 := a.log(hour0.Add(-50*time.Minute), "aaaaaaaaaaaaaaaa", records(rec("e1", "CreateUser", "")))
	late := a.log(hour0.Add(-30*time.Minute), "bbbbbbbbbbbbbbbb", records(rec("e2", "AttachUserPolicy", "")))
	a.digest(hour0, true, false, []awsLogFile{l1}, nil) // misses `late` (processing delay)
	a.digest(hour0.Add(time.Hour), false, false, nil, nil)
	a.log(hour0.Add(70*time.Minute), "cccccccccccccccc", records(rec("e3", "ListUsers", ""))) // after the newest digest
	src := a.source(t)
	cp := memCheckpoints{}
	b, errs := src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, []string{"Audit trail tampered: unexpected log file | " + filepath.Base(late.S3Object)}, titles(b.Findings))
	cp.commit(b)

	bf := a.digest(hour0, false, true, []awsLogFile{late}, nil)
	require.True(t, strings.HasSuffix(bf, "_20240501T100512Z_backfill.json.gz"))
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Empty(t, titles(b.Findings), "the backfill digest lists it")
	cp.commit(b)

	// Validated once: damaging it now is not noticed (not read again).
	writeFile(t, a.dir, bf, []byte("garbage"))
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Empty(t, b.Findings)

	// An altered log file listed only in a backfill digest is found.
	a2 := newAWSTrail(t, "", "us-east-1", "main", "us-east-1")
	a2.digest(hour0, true, false, nil, nil)
	a2.digest(hour0.Add(time.Hour), false, false, nil, nil)
	src2 := a2.source(t)
	cp2 := memCheckpoints{}
	b, errs = src2.Events(context.Background(), cp2)
	require.Empty(t, errs)
	cp2.commit(b)
	l := a2.log(hour0.Add(-20*time.Minute), "dddddddddddddddd", records(rec("e4", "DeleteUser", "")))
	a2.digest(hour0, false, true, []awsLogFile{l}, nil)
	writeFile(t, a2.dir, l.S3Object, gz(t, records(rec("e4", "GetUser", ""))))
	b, errs = src2.Events(context.Background(), cp2)
	require.Empty(t, errs)
	require.Equal(t, []string{"Audit trail tampered: log file altered | " + filepath.Base(l.S3Object)}, titles(b.Findings))
}

// TestDigestAWSBackfillAcrossMidnight: the backfill of the last hour of a
// day is delivered into that day's folder after the next day's first
// digest was validated: it is still listed and validated.
func TestDigestAWSBackfillAcrossMidnight(t *testing.T) {
	a := newAWSTrail(t, "", "us-east-1", "main", "us-east-1")
	h := time.Date(2024, 5, 1, 23, 5, 12, 0, time.UTC)
	a.digest(h, true, false, nil, nil)
	a.digest(h.Add(time.Hour), false, false, nil, nil) // 2024/05/02
	src := a.source(t)
	cp := memCheckpoints{}
	b, errs := src.Events(context.Background(), cp)
	require.Empty(t, errs)
	cp.commit(b)
	l := a.log(h.Add(-20*time.Minute), "eeeeeeeeeeeeeeee", records(rec("e1", "DeleteUser", "")))
	bf := a.digest(h, false, true, []awsLogFile{l}, nil)
	require.Contains(t, bf, "/2024/05/01/")
	require.NoError(t, os.Remove(filepath.Join(a.dir, filepath.FromSlash(l.S3Object))))
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Equal(t, []string{"Audit trail tampered: log file deleted | " + filepath.Base(l.S3Object)}, titles(b.Findings))
}

func TestShiftDay(t *testing.T) {
	require.Equal(t, "AWSLogs/1/CloudTrail-Digest/us-east-1/2024/02/29", shiftDay("AWSLogs/1/CloudTrail-Digest/us-east-1/2024/03/01", -1))
	require.Equal(t, "AWSLogs/1/CloudTrail-Digest/us-east-1/2025/01/01", shiftDay("AWSLogs/1/CloudTrail-Digest/us-east-1/2024/12/31", 1))
	require.Equal(t, "", shiftDay("x", -1))
	require.Equal(t, "", shiftDay("AWSLogs/1/CloudTrail-Digest/us-east-1/notadate", 1))
}

// TestDigestAWSBackfillsBounded: a trail whose chain stopped keeps the
// listing starting at its last day; the validated backfills remembered
// are still bounded (backfillHorizon behind the newest chain position),
// and an old backfill dropped from the list is not read again.
func TestDigestAWSBackfillsBounded(t *testing.T) {
	a := newAWSTrail(t, "", "us-east-1", "main", "us-east-1")
	dormant := newAWSTrail(t, "", "us-east-1", "old-trail", "us-east-1")
	dormant.dir = a.dir
	dormant.digest(hour0, true, false, nil, nil) // its last digest: the trail was deleted
	a.digest(hour0, true, false, nil, nil)
	a.digest(hour0.Add(time.Hour), false, false, nil, nil)
	l := a.log(hour0.Add(-20*time.Minute), "aaaaaaaaaaaaaaaa", records(rec("e1", "DeleteUser", "")))
	bf := a.digest(hour0, false, true, []awsLogFile{l}, nil)
	src := a.source(t)
	cp := memCheckpoints{}
	key := "trail|digests:" + a.root("CloudTrail-Digest")
	backfills := func() []string {
		var c digestCheckpoint
		require.NoError(t, json.Unmarshal([]byte(cp[key]), &c))
		return c.Backfills
	}
	b, errs := src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Empty(t, b.Findings)
	cp.commit(b)
	require.Equal(t, []string{bf}, backfills())

	// A month on, the main trail's chain goes on (hourly digests every
	// cycle); the stopped trail still holds the listing at its last day.
	prev := hour0.Add(time.Hour)
	for day := 1; day <= 32; day++ {
		end := hour0.Add(time.Duration(day) * 24 * time.Hour)
		for h := prev.Add(time.Hour); !h.After(end); h = h.Add(time.Hour) {
			a.digest(h, false, false, nil, nil)
		}
		prev = end
		if day%16 == 0 {
			b, errs = src.Events(context.Background(), cp)
			require.Empty(t, errs)
			require.Empty(t, b.Findings)
			cp.commit(b)
		}
	}
	require.Empty(t, backfills(), "the old backfill is forgotten")
	writeFile(t, a.dir, bf, []byte("garbage"))
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs, "nor read again")
	require.Empty(t, b.Findings)
}

// TestTrailOfMultiRegion: ACCOUNT_CloudTrail-Digest_REGION_TRAIL_HOMEREGION_TS:
// a multi-region trail's digests in another region carry its home region;
// trail names may contain underscores.
func TestTrailOfMultiRegion(t *testing.T) {
	a := &awsTrail{account: "111122223333", region: "eu-west-1", trail: "org_trail", home: "us-east-1"}
	b := &awsTrail{account: "111122223333", region: "eu-west-1", trail: "org_trail", home: "eu-west-1"}
	ta, bfa, ok := trailOf(a.digestKey(hour0, false))
	require.True(t, ok)
	require.False(t, bfa)
	tb, _, ok := trailOf(b.digestKey(hour0, false))
	require.True(t, ok)
	require.Equal(t, "org_trail", tb)
	require.NotEqual(t, ta, tb, "same name, different home region: two trails, two chains")
	require.True(t, strings.HasPrefix(ta, "org_trail"))
}

// fakeListPublicKeys answers ListPublicKeys with fixed keys.
type fakeListPublicKeys struct{ keys []cttypes.PublicKey }

func (f fakeListPublicKeys) ListPublicKeys(context.Context, *awscloudtrail.ListPublicKeysInput, ...func(*awscloudtrail.Options)) (*awscloudtrail.ListPublicKeysOutput, error) {
	return &awscloudtrail.ListPublicKeysOutput{PublicKeyList: f.keys}, nil
}

// TestAPIPublicKeysDERForms: ListPublicKeys documents Value as DER PKCS#1,
// but AWS's own sample response also shows a SubjectPublicKeyInfo value
// ("MIIBIjANBgkqhkiG9w0BAQEF..."): both verify digests.
func TestAPIPublicKeysDERForms(t *testing.T) {
	pub := &signingKey(t).PublicKey
	spki, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	for name, der := range map[string][]byte{"pkcs1": x509.MarshalPKCS1PublicKey(pub), "spki": spki} {
		t.Run(name, func(t *testing.T) {
			keys := NewAPIPublicKeys(func(string) ListPublicKeysAPI {
				return fakeListPublicKeys{keys: []cttypes.PublicKey{
					{Value: []byte("garbage"), Fingerprint: aws.String("0000")},
					{Value: der, Fingerprint: aws.String(testFP)},
				}}
			})
			a := newAWSTrail(t, "", "us-east-1", "main", "us-east-1")
			a.digest(hour0, true, false, nil, nil)
			src, err := NewFileSource("trail", FileConfig{Dir: a.dir, ValidateDigests: true, PublicKeys: keys})
			require.NoError(t, err)
			b, errs := src.Events(context.Background(), memCheckpoints{})
			require.Empty(t, errs)
			require.Empty(t, b.Findings)
		})
	}
}

// TestDigestAWSOfflineWithoutSidecars: a local copy made with `aws s3 sync`
// has no S3 metadata. As AWS's offline validation guide suggests, a
// digest's signature is then the previousDigestSignature of the next digest
// of its chain; the newest digest waits (no finding, no error) until its
// successor arrives. A digest altered in the copy fails its signature.
func TestDigestAWSOfflineWithoutSidecars(t *testing.T) {
	a := newAWSTrail(t, "", "us-east-1", "main", "us-east-1")
	l := a.log(hour0.Add(-30*time.Minute), "ffffffffffffffff", records(rec("e1", "CreateUser", "")))
	a.digest(hour0, true, false, []awsLogFile{l}, nil)
	a.digest(hour0.Add(time.Hour), false, false, nil, nil)
	a.digest(hour0.Add(14*time.Hour), false, false, nil, nil) // next day folder
	unsign := func() {
		for _, k := range a.digests {
			_ = os.Remove(filepath.Join(a.dir, filepath.FromSlash(k)) + digestSignatureSuffix)
		}
	}
	unsign()
	src := a.source(t)
	cp := memCheckpoints{}
	b, errs := src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Empty(t, b.Findings)
	require.Equal(t, []string{"integrity;source=trail;111122223333/us-east-1"}, b.AuditedScopes)
	cp.commit(b)
	var c digestCheckpoint
	require.NoError(t, json.Unmarshal([]byte(cp["trail|digests:AWSLogs/111122223333/CloudTrail-Digest/us-east-1/"]), &c))
	require.Equal(t, a.digests[1], c.Trails["main"].Key, "the newest digest waits for its successor")

	a.digest(hour0.Add(15*time.Hour), false, false, nil, nil)
	unsign()
	b, errs = src.Events(context.Background(), cp)
	require.Empty(t, errs)
	require.Empty(t, b.Findings)
	cp.commit(b)
	require.NoError(t, json.Unmarshal([]byte(cp["trail|digests:AWSLogs/111122223333/CloudTrail-Digest/us-east-1/"]), &c))
	require.Equal(t, a.digests[2], c.Trails["main"].Key)

	// A digest rewritten in the copy (its log file entry dropped) does
	// not verify against the signature its successor carries.
	raw, err := os.ReadFile(filepath.Join(a.dir, filepath.FromSlash(a.digests[0])))
	require.NoError(t, err)
	var d awsDigest
	require.NoError(t, json.Unmarshal([]byte(gunzipString(t, raw)), &d))
	d.LogFiles = []awsLogFile{}
	body, err := json.Marshal(d)
	require.NoError(t, err)
	writeFile(t, a.dir, a.digests[0], gz(t, string(body)))
	b, errs = src.Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Equal(t, []string{"Audit trail tampered: digest signature invalid | " + filepath.Base(a.digests[0]),
		"Audit trail tampered: unexpected log file | " + filepath.Base(l.S3Object)}, titles(b.Findings), "and the log file it dropped is in no digest")
}

// In a copy without signature files, the last digest before a chain
// restart has no successor that carries its signature: it is checked
// unsigned, and only the restart itself is reported (high), not a bad
// signature (critical).
func TestDigestAWSOfflineChainRestart(t *testing.T) {
	a := newAWSTrail(t, "", "us-east-1", "main", "us-east-1")
	a.digest(hour0, true, false, nil, nil)
	a.digest(hour0.Add(time.Hour), false, false, nil, nil)       // final digest at StopLogging
	k := a.digest(hour0.Add(5*time.Hour), true, false, nil, nil) // StartLogging
	a.digest(hour0.Add(6*time.Hour), false, false, nil, nil)
	for _, d := range a.digests {
		_ = os.Remove(filepath.Join(a.dir, filepath.FromSlash(d)) + digestSignatureSuffix)
	}
	b, errs := a.source(t).Events(context.Background(), memCheckpoints{})
	require.Empty(t, errs)
	require.Equal(t, []string{"Audit trail gap: digest chain restarted (logging or log file validation was stopped) | " + filepath.Base(k)}, titles(b.Findings))
	require.Equal(t, model.SeverityHigh, b.Findings[0].Severity)
}
