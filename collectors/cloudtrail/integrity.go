package cloudtrail

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/klauspost/compress/gzip"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

// Integrity problems, each an integrity_failure finding: critical ("Audit
// trail tampered"), except a chain restart (high, "Audit trail gap").
const (
	ProblemMissingLog    = "missing_log"    // a log file a digest lists is gone
	ProblemAlteredLog    = "altered_log"    // its SHA-256 differs from the digest's
	ProblemBadSignature  = "bad_signature"  // the digest's signature does not verify
	ProblemBrokenChain   = "broken_chain"   // the digest does not link to the previous one
	ProblemMissingDigest = "missing_digest" // a digest of the chain is gone, or the chain has a gap
	ProblemUnexpectedLog = "unexpected_log" // a log file no digest lists (possibly injected)
	ProblemInvalidDigest = "invalid_digest" // unreadable, or not where it says it was delivered
	// ProblemChainRestart is a starting digest (previous* fields null) after
	// a digest of the same trail: CloudTrail restarts the chain when logging
	// or log file validation is stopped and started again. Nobody but
	// CloudTrail can sign a starting digest, so this is a gap in coverage,
	// not proof of tampering: a high (not critical) finding.
	ProblemChainRestart   = "chain_restart"
	unexpectedMargin      = 5 * time.Minute // delivery-latency tolerance at digest boundaries
	digestSignatureSuffix = ".sig"          // sidecar holding a local digest's signature
)

var problemTitles = map[string]string{
	ProblemMissingLog:    "log file deleted",
	ProblemAlteredLog:    "log file altered",
	ProblemBadSignature:  "digest signature invalid",
	ProblemBrokenChain:   "digest chain broken",
	ProblemMissingDigest: "digest missing",
	ProblemUnexpectedLog: "unexpected log file",
	ProblemInvalidDigest: "digest file invalid",
	ProblemChainRestart:  "digest chain restarted (logging or log file validation was stopped)",
}

// digestFile is a CloudTrail digest (the fields validation reads).
type digestFile struct {
	AWSAccountID            string  `json:"awsAccountId"`
	DigestStartTime         string  `json:"digestStartTime"`
	DigestEndTime           string  `json:"digestEndTime"`
	DigestS3Bucket          string  `json:"digestS3Bucket"`
	DigestS3Object          string  `json:"digestS3Object"`
	Fingerprint             string  `json:"digestPublicKeyFingerprint"`
	SignatureAlgorithm      string  `json:"digestSignatureAlgorithm"`
	PreviousDigestS3Bucket  *string `json:"previousDigestS3Bucket"`
	PreviousDigestS3Object  *string `json:"previousDigestS3Object"`
	PreviousDigestSignature *string `json:"previousDigestSignature"`
	// PreviousDigestHashValue is the hex SHA-256 of the previous digest's
	// uncompressed content (null in a starting digest).
	PreviousDigestHashValue     *string `json:"previousDigestHashValue"`
	PreviousDigestHashAlgorithm *string `json:"previousDigestHashAlgorithm"`
	LogFiles                    []struct {
		S3Bucket      string `json:"s3Bucket"`
		S3Object      string `json:"s3Object"`
		HashValue     string `json:"hashValue"`
		HashAlgorithm string `json:"hashAlgorithm"`
	} `json:"logFiles"`
}

// digestLink is the last validated digest of one trail: the link the next
// digest must point to.
type digestLink struct {
	Key string    `json:"key"`
	Sig string    `json:"sig"`
	End time.Time `json:"end"`
	// Hash is the hex SHA-256 of the digest's uncompressed content, what the
	// next digest's previousDigestHashValue must be (empty in checkpoints
	// written before it was kept: not compared).
	Hash string `json:"hash,omitempty"`
	// BadSig marks a link whose own signature failed: the next digest's
	// previousDigestSignature is then not compared (reported once).
	BadSig bool `json:"bad_sig,omitempty"`
}

// integrityProblem is one open problem, kept in the checkpoint so that it
// is re-checked (and its finding re-emitted) every cycle until it is gone.
type integrityProblem struct {
	Kind   string `json:"kind"`
	Object string `json:"object"`           // the key the problem is about
	Digest string `json:"digest,omitempty"` // the digest that lists it or links to it
	Hash   string `json:"hash,omitempty"`   // expected SHA-256 (altered/missing log)
	Want   string `json:"want,omitempty"`   // expected previous digest (broken chain) or signature (missing digest)
	WantSg string `json:"want_sig,omitempty"`
	Detail string `json:"detail"`
	// Permanent problems cannot be repaired (a gap in the chain): they stay
	// open until waived.
	Permanent bool `json:"permanent,omitempty"`
}

// backfillHorizon is how far behind the newest chain position a _backfill
// digest is still validated and remembered. CloudTrail delivers them hours
// late; a day folder more than this behind is not read for them again.
const backfillHorizon = 30 * 24 * time.Hour

// backfillCutoff is the day before which _backfill digests are ignored:
// backfillHorizon before the newest link's day (zero without links: the
// first cycle reads every backfill listed).
func backfillCutoff(trails map[string]*digestLink) time.Time {
	var newest time.Time
	for _, l := range trails {
		if d, ok := dirDate(path.Dir(l.Key)); ok && d.After(newest) {
			newest = d
		}
	}
	if newest.IsZero() {
		return time.Time{}
	}
	return newest.Add(-backfillHorizon)
}

// beforeCutoff reports a digest key whose day folder is before cutoff.
func beforeCutoff(key string, cutoff time.Time) bool {
	if cutoff.IsZero() {
		return false
	}
	d, ok := dirDate(path.Dir(key))
	return ok && d.Before(cutoff)
}

// digestCheckpoint is the stored value per account/region digest prefix.
type digestCheckpoint struct {
	Trails   map[string]*digestLink `json:"trails,omitempty"`
	Problems []integrityProblem     `json:"problems,omitempty"`
	// Backfills are the _backfill digests validated whose keys are still
	// listed: CloudTrail delivers them late, after later hourly digests, so
	// the chain position does not tell whether one was validated.
	Backfills []string `json:"backfills,omitempty"`
}

// IntegrityScope is the scope of a source's integrity findings for one
// account and region.
func IntegrityScope(source, account, region string) string {
	return "integrity;source=" + source + ";" + account + "/" + region
}

// validateDigests validates the digest files of every account/region: new
// digests since the checkpoint and, every cycle, the open problems.
func (s *FileSource) validateDigests(ctx context.Context, cp collectors.CheckpointReader, batch *collectors.EventBatch) []error {
	prefixes, errs := s.trailPrefixes(ctx, "CloudTrail-Digest")
	for _, p := range prefixes {
		if ctx.Err() != nil {
			return append(errs, ctx.Err())
		}
		errs = append(errs, s.validatePrefix(ctx, cp, p, batch)...)
	}
	return errs
}

// prefixParts returns the account and region of ".../ACCOUNT/<kind>/REGION/".
func prefixParts(p string) (account, region string) {
	parts := strings.Split(strings.TrimSuffix(p, "/"), "/")
	if len(parts) >= 3 {
		return parts[len(parts)-3], parts[len(parts)-1]
	}
	return "", ""
}

// trailOf returns the trail name of a digest key:
// ACCOUNT_CloudTrail-Digest_REGION_TRAIL_REGION_TIMESTAMP[_backfill].json.gz.
func trailOf(key string) (trail string, backfill bool, ok bool) {
	base := path.Base(key)
	if !strings.HasSuffix(base, ".json.gz") {
		return "", false, false
	}
	base = strings.TrimSuffix(base, ".json.gz")
	if strings.HasSuffix(base, "_backfill") {
		backfill = true
		base = strings.TrimSuffix(base, "_backfill")
	}
	i := strings.Index(base, "_CloudTrail-Digest_")
	if i < 0 {
		return "", false, false
	}
	rest := base[i+len("_CloudTrail-Digest_"):] // REGION_TRAIL_REGION_TS
	region, rest, _ := strings.Cut(rest, "_")
	j := strings.LastIndex(rest, "_") // before TS
	if j <= 0 {
		return "", false, false
	}
	return strings.TrimSuffix(rest[:j], "_"+region), backfill, true
}

// validation carries one account/region's state through a cycle.
type validation struct {
	s       *FileSource
	account string
	region  string
	scope   string
	cp      digestCheckpoint
	open    map[string]integrityProblem // by fingerprint
	order   []string
}

func (v *validation) add(p integrityProblem) {
	fp := model.Fingerprint("integrity", v.account, v.region, p.Object, p.Kind)
	if _, ok := v.open[fp]; ok {
		return
	}
	v.open[fp] = p
	v.order = append(v.order, fp)
}

func (s *FileSource) validatePrefix(ctx context.Context, cp collectors.CheckpointReader, dp string, batch *collectors.EventBatch) []error {
	account, region := prefixParts(dp)
	v := &validation{s: s, account: account, region: region, scope: IntegrityScope(s.name, account, region), open: map[string]integrityProblem{}}
	key := "digests:" + dp
	if raw, err := cp.Checkpoint(ctx, s.name, key); err == nil {
		if err := json.Unmarshal([]byte(raw), &v.cp); err != nil {
			return []error{fmt.Errorf("cloudtrail source %s: reading checkpoint %s: %w", s.name, key, err)}
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return []error{fmt.Errorf("cloudtrail source %s: reading checkpoint %s: %w", s.name, key, err)}
	}
	if v.cp.Trails == nil {
		v.cp.Trails = map[string]*digestLink{}
	}
	var errs []error

	// 1. Re-check what was open: a repaired problem is dropped (and its
	// finding resolves because the scope is audited without it).
	for _, p := range v.cp.Problems {
		still, err := v.recheck(ctx, p)
		if errors.Is(err, errNoSignatureYet) {
			still, err = true, nil
		}
		if err != nil {
			errs = append(errs, err)
			v.add(p) // unknown: keep it open
			continue
		}
		if still {
			v.add(p)
		}
	}

	// 2. Validate the digests delivered since the checkpoint, in order.
	startAfter := ""
	for _, l := range v.cp.Trails {
		d := path.Dir(l.Key) + "/"
		if startAfter == "" || d < startAfter {
			startAfter = d
		}
	}
	if startAfter != "" {
		// List the whole day of the oldest link (keys of several trails
		// interleave within a day) and the day before: a _backfill digest
		// goes into the folder of the hour it completes, which may be
		// yesterday's by the time it is delivered.
		startAfter = strings.TrimSuffix(startAfter, "/")
		if d := shiftDay(startAfter, -1); d != "" {
			startAfter = d
		}
	}
	// Backfill digests older than the horizon were validated in an earlier
	// cycle (or are too late to matter): neither read again nor remembered.
	cutoff := backfillCutoff(v.cp.Trails)
	doneBackfill := map[string]bool{}
	for _, k := range v.cp.Backfills {
		doneBackfill[k] = true
	}
	keys, err := s.store.Keys(ctx, dp, startAfter)
	if err != nil {
		errs = append(errs, &collectors.InputError{Source: s.name, Location: s.store.Location(dp), Err: fmt.Errorf("listing digest files: %w", err)})
	}
	trails := map[string]bool{}
	for t := range v.cp.Trails {
		trails[t] = true
	}
	type done struct {
		start, end time.Time
		key        string
	}
	var validated []done
	listed := map[string]bool{}
	deferred := map[string]bool{}
	stopped := err != nil
	for _, k := range keys {
		if stopped {
			break
		}
		trail, backfill, ok := trailOf(k)
		if !ok {
			continue
		}
		trails[trail] = true
		if deferred[trail] {
			continue
		}
		link := v.cp.Trails[trail]
		if backfill {
			if doneBackfill[k] || beforeCutoff(k, cutoff) {
				continue
			}
		} else if link != nil && k <= link.Key {
			continue
		}
		d, err := v.validateDigest(ctx, k, trail, backfill, listed)
		if errors.Is(err, errNoSignatureYet) {
			if backfill {
				// A backfill digest is outside the chain: without its
				// sidecar a local copy cannot verify it.
				s.log.Warn("CloudTrail backfill digest has no signature sidecar: not validated", "source", s.name, "digest", k)
				doneBackfill[k] = true
				continue
			}
			// The newest digest of a local copy: validated when the next
			// digest (holding its signature) is there.
			deferred[trail] = true
			continue
		}
		if err != nil {
			errs = append(errs, err)
			stopped = true // retried next cycle from here
			break
		}
		if backfill {
			doneBackfill[k] = true
		}
		if d != nil && !backfill {
			// A backfill digest lists only the late files of its hour: the
			// hour is judged by its hourly digest.
			validated = append(validated, done{start: d.start, end: d.end, key: k})
		}
	}
	// Keep the validated backfills that the next cycle still lists and
	// still reads: a trail whose chain stopped keeps the listing starting
	// at its last day, so the horizon bounds the list too.
	v.cp.Backfills = nil
	cutoff = backfillCutoff(v.cp.Trails)
	for k := range doneBackfill {
		if k > startAfter && !beforeCutoff(k, cutoff) {
			v.cp.Backfills = append(v.cp.Backfills, k)
		}
	}
	sort.Strings(v.cp.Backfills)
	// A log file reported as unexpected that a digest (typically a late
	// _backfill one) now lists is no longer unexpected.
	for fp, p := range v.open {
		if p.Kind == ProblemUnexpectedLog && listed[p.Object] {
			delete(v.open, fp)
		}
	}

	// 3. Log files delivered inside a validated digest's hour that no
	// digest lists. Several trails may share a prefix; their digests are
	// not all read together, so this check runs for single-trail prefixes.
	if len(trails) == 1 && len(validated) > 0 {
		logPrefix := strings.TrimSuffix(strings.TrimSuffix(dp, "/"), "/"+region)
		logPrefix = strings.TrimSuffix(logPrefix, "CloudTrail-Digest") + "CloudTrail/" + region + "/"
		days := map[string][]string{}
		for _, d := range validated {
			if d.start.IsZero() || d.end.IsZero() {
				continue
			}
			for day := d.start.Truncate(24 * time.Hour); !day.After(d.end); day = day.Add(24 * time.Hour) {
				dk := logPrefix + day.Format("2006/01/02") + "/"
				if _, ok := days[dk]; ok {
					continue
				}
				ks, err := s.store.Keys(ctx, dk, "")
				if err != nil {
					errs = append(errs, &collectors.InputError{Source: s.name, Location: s.store.Location(dk), Err: fmt.Errorf("listing log files: %w", err)})
					continue
				}
				days[dk] = ks
			}
		}
		for _, d := range validated {
			lo, hi := d.start.Add(unexpectedMargin), d.end.Add(-unexpectedMargin)
			for _, ks := range days {
				for _, lk := range ks {
					if listed[lk] || !strings.HasSuffix(lk, ".json.gz") {
						continue
					}
					t := deliveryTime(lk)
					if t.IsZero() || t.Before(lo) || !t.Before(hi) {
						continue
					}
					v.add(integrityProblem{Kind: ProblemUnexpectedLog, Object: lk, Digest: d.key,
						Detail: fmt.Sprintf("log file %s was delivered between %s and %s but digest %s does not list it (possibly injected)", lk, d.start.Format(time.RFC3339), d.end.Format(time.RFC3339), d.key)})
				}
			}
		}
	}

	// 4. Findings, checkpoint, scope.
	v.cp.Problems = nil
	for _, fp := range v.order {
		p, ok := v.open[fp]
		if !ok {
			continue
		}
		v.cp.Problems = append(v.cp.Problems, p)
		batch.Findings = append(batch.Findings, v.finding(fp, p))
	}
	if val, err := json.Marshal(v.cp); err == nil && (len(v.cp.Trails) > 0 || len(v.cp.Problems) > 0 || len(v.cp.Backfills) > 0) {
		batch.Checkpoints[key] = string(val)
	}
	if len(errs) == 0 {
		batch.AuditedScopes = append(batch.AuditedScopes, v.scope)
	}
	return errs
}

func (v *validation) finding(fp string, p integrityProblem) model.Finding {
	severity, title := model.SeverityCritical, "Audit trail tampered: "+problemTitles[p.Kind]
	if p.Kind == ProblemChainRestart {
		severity, title = model.SeverityHigh, "Audit trail gap: "+problemTitles[p.Kind]
	}
	return model.Finding{
		Fingerprint:  fp,
		Kind:         model.FindingIntegrityFailure,
		Severity:     severity,
		Title:        title,
		Message:      p.Detail,
		ResourceID:   v.s.store.Location(p.Object),
		ResourceType: "aws_cloudtrail",
		Account:      v.account,
		Region:       v.region,
		Scope:        v.scope,
	}
}

// digestInfo is what a validated digest contributes to the cycle.
type digestInfo struct{ start, end time.Time }

// validateDigest validates one new digest, records its problems and moves
// the trail's link to it. An error means it could not be read (retry).
func (v *validation) validateDigest(ctx context.Context, key, trail string, backfill bool, listed map[string]bool) (*digestInfo, error) {
	s := v.s
	d, sum, sig, problems, err := v.readDigest(ctx, key)
	if err != nil {
		return nil, err
	}
	if d == nil { // unreadable digest: reported, chain moves on
		for _, p := range problems {
			v.add(p)
		}
		if !backfill {
			v.cp.Trails[trail] = &digestLink{Key: key, Sig: sig, BadSig: true}
		}
		return nil, nil
	}
	for _, p := range problems {
		v.add(p)
	}
	badSig := len(problems) > 0
	end, _ := parseTime(d.DigestEndTime)
	start, _ := parseTime(d.DigestStartTime)

	// The chain (backfill digests stand outside it).
	if !backfill {
		link := v.cp.Trails[trail]
		prevObj, prevSig := deref(d.PreviousDigestS3Object), deref(d.PreviousDigestSignature)
		prevKey := v.mappedKey(prevObj) // where the store keeps it
		prevHash := strings.TrimSpace(deref(d.PreviousDigestHashValue))
		switch {
		case link == nil:
			// The first digest seen of this trail: older digests may have
			// expired by lifecycle rules, so the link is not judged.
		case prevObj == "" && prevSig == "":
			// A starting digest: CloudTrail restarted the chain (logging
			// or validation was stopped, then started again).
			v.add(integrityProblem{Kind: ProblemChainRestart, Object: key, Digest: key, Permanent: true,
				Detail: fmt.Sprintf("digest chain of trail %s restarts at %s after %s: no digest covers log files delivered between %s and %s (logging or log file validation was stopped, or the digests after %s were deleted)",
					trail, key, link.Key, link.End.Format(time.RFC3339), start.Format(time.RFC3339), link.Key)})
		case prevKey != link.Key:
			exists, err := v.exists(ctx, prevKey)
			if err != nil {
				return nil, err
			}
			if !exists {
				v.add(integrityProblem{Kind: ProblemMissingDigest, Object: prevKey, Digest: key, WantSg: prevSig,
					Detail: fmt.Sprintf("digest %s, the previous digest named by %s, is missing", prevKey, key)})
			} else {
				v.add(integrityProblem{Kind: ProblemBrokenChain, Object: key, Digest: key, Want: link.Key, WantSg: link.Sig,
					Detail: fmt.Sprintf("digest %s names %s as its previous digest, but the previous digest of trail %s is %s", key, prevObj, trail, link.Key)})
			}
		case prevSig != link.Sig && !link.BadSig:
			v.add(integrityProblem{Kind: ProblemBrokenChain, Object: key, Digest: key, Want: link.Key, WantSg: link.Sig, Hash: link.Hash,
				Detail: fmt.Sprintf("digest %s: previousDigestSignature does not match the signature of %s", key, link.Key)})
		case link.Hash != "" && prevHash != "" && !link.BadSig && !strings.EqualFold(prevHash, link.Hash):
			v.add(integrityProblem{Kind: ProblemBrokenChain, Object: key, Digest: key, Want: link.Key, WantSg: link.Sig, Hash: link.Hash,
				Detail: fmt.Sprintf("digest %s: previousDigestHashValue does not match the SHA-256 of %s", key, link.Key)})
		}
		v.cp.Trails[trail] = &digestLink{Key: key, Sig: sig, End: end, Hash: hex.EncodeToString(sum[:]), BadSig: badSig}
	}

	// The log files it lists, where the store keeps them.
	for _, lf := range d.LogFiles {
		lk := v.mappedKey(lf.S3Object)
		listed[lk] = true
		p, err := v.checkLog(ctx, lk, lf.HashValue, key)
		if err != nil {
			return nil, err
		}
		if p != nil {
			v.add(*p)
		}
	}
	s.log.Debug("validated CloudTrail digest", "source", s.name, "digest", key, "log_files", len(d.LogFiles))
	return &digestInfo{start: start, end: end}, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// readDigest reads and checks one digest file on its own: location,
// algorithm and signature. It returns nil d (with problems) for a digest
// that cannot be parsed, and an error when it could not be read at all.
func (v *validation) readDigest(ctx context.Context, key string) (d *digestFile, sum [32]byte, sig string, problems []integrityProblem, err error) {
	s := v.s
	invalid := func(format string, args ...any) []integrityProblem {
		return []integrityProblem{{Kind: ProblemInvalidDigest, Object: key, Digest: key, Detail: fmt.Sprintf("digest %s: ", key) + fmt.Sprintf(format, args...)}}
	}
	data, err := v.readAll(ctx, key)
	if err != nil {
		if isNotFound(err) {
			return nil, sum, "", []integrityProblem{{Kind: ProblemMissingDigest, Object: key, Digest: key, Detail: fmt.Sprintf("digest %s is missing", key)}}, nil
		}
		if errors.Is(err, errBadGzip) {
			return nil, sum, "", invalid("cannot be decompressed: %v", err), nil
		}
		return nil, sum, "", nil, &collectors.InputError{Source: s.name, Location: s.store.Location(key), Err: fmt.Errorf("reading digest file: %w", err)}
	}
	sum = sha256.Sum256(data)
	sig, err = s.store.Signature(ctx, key)
	if err != nil && !isNotFound(err) {
		return nil, sum, "", nil, &collectors.InputError{Source: s.name, Location: s.store.Location(key), Err: fmt.Errorf("reading digest signature: %w", err)}
	}
	var df digestFile
	if err := json.Unmarshal(data, &df); err != nil {
		return nil, sum, sig, invalid("not a digest file: %v", err), nil
	}
	// Where it says it was delivered: the full key and the bucket in S3;
	// in a local copy, the key's layout part (localcopy.go).
	if at, ok := s.storeKey(df.DigestS3Object); !ok || at != key || (s.cfg.Bucket != "" && df.DigestS3Bucket != s.cfg.Bucket) {
		return &df, sum, sig, invalid("says it was delivered to %s/%s, but it was read from %s", df.DigestS3Bucket, df.DigestS3Object, s.store.Location(key)), nil
	}
	if df.SignatureAlgorithm != "SHA256withRSA" {
		return &df, sum, sig, []integrityProblem{{Kind: ProblemBadSignature, Object: key, Digest: key, Detail: fmt.Sprintf("digest %s: unsupported signature algorithm %q", key, df.SignatureAlgorithm)}}, nil
	}
	bad := func(format string, args ...any) []integrityProblem {
		return []integrityProblem{{Kind: ProblemBadSignature, Object: key, Digest: key, Detail: fmt.Sprintf("digest %s: ", key) + fmt.Sprintf(format, args...)}}
	}
	if sig == "" {
		if _, local := s.store.(localStore); local {
			// Offline (a downloaded copy has no S3 metadata): the
			// signature of a digest is also the previousDigestSignature of
			// the next digest of its chain, as AWS's offline validation
			// guide suggests. The newest digest waits for its successor.
			next, found, err := v.signatureFromNext(ctx, key)
			switch {
			case errors.Is(err, errChainEnded):
				// The last digest before a chain restart (logging was
				// stopped): no later digest carries its signature, and a
				// copy has none of its own. The restart itself is reported
				// (chain_restart); its contents are checked unsigned.
				v.s.log.Warn("digest signature not verifiable offline: its chain ended and the copy holds no signature", "source", s.name, "digest", key)
				return &df, sum, "", nil, nil
			case err != nil:
				return nil, sum, "", nil, err
			case !found:
				return nil, sum, "", nil, errNoSignatureYet
			}
			sig = next
		}
	}
	if sig == "" {
		return &df, sum, sig, bad("no signature (S3 metadata x-amz-meta-signature; for a local directory the %s sidecar, or the previousDigestSignature of the next digest)", digestSignatureSuffix), nil
	}
	rawSig, err := hex.DecodeString(strings.TrimSpace(sig))
	if err != nil {
		return &df, sum, sig, bad("signature is not hex"), nil
	}
	end, err := parseTime(df.DigestEndTime)
	if err != nil {
		return &df, sum, sig, invalid("unreadable digestEndTime %q", df.DigestEndTime), nil
	}
	keys, err := s.cfg.PublicKeys.Keys(ctx, v.region, df.Fingerprint, end)
	if err != nil {
		return nil, sum, sig, nil, fmt.Errorf("cloudtrail source %s: digest %s: %w", s.name, key, err)
	}
	if len(keys) == 0 {
		return &df, sum, sig, bad("no CloudTrail public key with fingerprint %s", df.Fingerprint), nil
	}
	prev := "null"
	if df.PreviousDigestSignature != nil {
		prev = *df.PreviousDigestSignature
	}
	toSign := df.DigestEndTime + "\n" + df.DigestS3Bucket + "/" + df.DigestS3Object + "\n" + hex.EncodeToString(sum[:]) + "\n" + prev
	h := sha256.Sum256([]byte(toSign))
	for _, k := range keys {
		if rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], rawSig) == nil {
			return &df, sum, sig, nil, nil
		}
	}
	return &df, sum, sig, bad("signature does not verify with the CloudTrail public key %s", df.Fingerprint), nil
}

// dirDate is the date a ".../YYYY/MM/DD" folder ends in.
func dirDate(dir string) (time.Time, bool) {
	if len(dir) < 10 {
		return time.Time{}, false
	}
	t, err := time.Parse("2006/01/02", dir[len(dir)-10:])
	return t, err == nil
}

// shiftDay returns the folder days after (before, when negative) a
// ".../YYYY/MM/DD" folder; "" when dir does not end in a date.
func shiftDay(dir string, days int) string {
	t, ok := dirDate(dir)
	if !ok {
		return ""
	}
	return dir[:len(dir)-10] + t.AddDate(0, 0, days).Format("2006/01/02")
}

var errBadGzip = errors.New("bad gzip stream")

// errNoSignatureYet: a local digest without a signature sidecar whose
// successor (holding its signature) has not been delivered yet.
var errNoSignatureYet = errors.New("digest signature not available yet")

// errChainEnded: the next digest of a local copy is a starting digest (no
// previous fields): the digest at hand ended its chain (logging was stopped
// and started).
var errChainEnded = errors.New("digest ended its chain")

// signatureFromNext finds the next digest of key's chain in a local copy
// (the same day folder, then the next one) and returns its
// previousDigestSignature when it names key. found is false when there is
// no next digest yet; the error is errChainEnded when the next digest does
// not link to key (its signature is not recoverable offline), and an input
// error when the next digest cannot be read (retried next cycle).
func (v *validation) signatureFromNext(ctx context.Context, key string) (sig string, found bool, err error) {
	trail, backfill, ok := trailOf(key)
	if !ok || backfill {
		return "", false, nil // backfill digests are outside the chain
	}
	dir := path.Dir(key)
	for _, d := range []string{dir, shiftDay(dir, 1)} {
		if d == "" {
			continue
		}
		keys, err := v.s.store.Keys(ctx, d+"/", key)
		if err != nil {
			return "", false, &collectors.InputError{Source: v.s.name, Location: v.s.store.Location(d), Err: fmt.Errorf("listing digest files: %w", err)}
		}
		for _, k := range keys {
			t, bf, ok := trailOf(k)
			if !ok || bf || t != trail {
				continue
			}
			data, err := v.readAll(ctx, k)
			if err != nil {
				return "", false, &collectors.InputError{Source: v.s.name, Location: v.s.store.Location(k), Err: fmt.Errorf("reading the next digest for %s's signature: %w", key, err)}
			}
			var next digestFile
			if json.Unmarshal(data, &next) != nil {
				// Not a digest: it is reported when validated; key's
				// signature stays unknown.
				return "", true, nil
			}
			if v.mappedKey(deref(next.PreviousDigestS3Object)) != key {
				if next.PreviousDigestS3Object == nil && next.PreviousDigestSignature == nil {
					// A starting digest: key ended its chain.
					return "", false, errChainEnded
				}
				// It names another digest (one deleted in between is
				// reported as missing): key's signature is unknown.
				return "", true, nil
			}
			return deref(next.PreviousDigestSignature), true, nil
		}
	}
	return "", false, nil
}

// readAll reads an object whole, decompressed (digests are small).
func (v *validation) readAll(ctx context.Context, key string) ([]byte, error) {
	rc, err := v.openObject(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := v.hashStream(rc, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// hashStream returns the SHA-256 of the uncompressed content of r (gzip
// or not), copying the content to w when set.
func (v *validation) hashStream(r io.Reader, w io.Writer) ([32]byte, error) {
	var sum [32]byte
	head := make([]byte, 2)
	n, err := io.ReadFull(r, head)
	if err != nil && n == 0 && err != io.EOF {
		return sum, err
	}
	er := &errReader{r: r}
	src := io.MultiReader(bytes.NewReader(head[:n]), er)
	h := sha256.New()
	dst := io.Writer(h)
	if w != nil {
		dst = io.MultiWriter(h, w)
	}
	if n == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(src)
		if err != nil {
			if er.err != nil {
				return sum, er.err
			}
			return sum, fmt.Errorf("%w: %v", errBadGzip, err)
		}
		if _, err := io.Copy(dst, zr); err != nil {
			if er.err != nil {
				return sum, er.err // reading failed, not the content
			}
			return sum, fmt.Errorf("%w: %v", errBadGzip, err)
		}
	} else if _, err := io.Copy(dst, src); err != nil {
		return sum, err
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}

// errReader remembers the first error (other than EOF) of its reader, to
// tell a failed read from damaged content.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// checkLog checks one listed log file against its digest hash.
func (v *validation) checkLog(ctx context.Context, key, want, digest string) (*integrityProblem, error) {
	rc, err := v.openObject(ctx, key)
	if err != nil {
		if isNotFound(err) {
			return &integrityProblem{Kind: ProblemMissingLog, Object: key, Digest: digest, Hash: want,
				Detail: fmt.Sprintf("log file %s listed in digest %s is missing (deleted)", key, digest)}, nil
		}
		return nil, &collectors.InputError{Source: v.s.name, Location: v.s.store.Location(key), Err: fmt.Errorf("reading log file for validation: %w", err)}
	}
	defer rc.Close()
	sum, err := v.hashStream(rc, nil)
	if err != nil && !errors.Is(err, errBadGzip) {
		return nil, &collectors.InputError{Source: v.s.name, Location: v.s.store.Location(key), Err: fmt.Errorf("reading log file for validation: %w", err)}
	}
	if err != nil || !strings.EqualFold(hex.EncodeToString(sum[:]), strings.TrimSpace(want)) {
		return &integrityProblem{Kind: ProblemAlteredLog, Object: key, Digest: digest, Hash: want,
			Detail: fmt.Sprintf("log file %s does not match the SHA-256 recorded in digest %s (altered)", key, digest)}, nil
	}
	return nil, nil
}

// exists reports whether an object exists.
func (v *validation) exists(ctx context.Context, key string) (bool, error) {
	rc, err := v.openObject(ctx, key)
	if err != nil {
		if isNotFound(err) {
			return false, nil
		}
		return false, &collectors.InputError{Source: v.s.name, Location: v.s.store.Location(key), Err: fmt.Errorf("checking object: %w", err)}
	}
	rc.Close()
	return true, nil
}

// recheck reports whether an open problem still stands.
func (v *validation) recheck(ctx context.Context, p integrityProblem) (bool, error) {
	if p.Permanent {
		return true, nil
	}
	switch p.Kind {
	case ProblemMissingLog, ProblemAlteredLog:
		np, err := v.checkLog(ctx, p.Object, p.Hash, p.Digest)
		return np != nil, err
	case ProblemUnexpectedLog:
		return v.exists(ctx, p.Object)
	case ProblemBadSignature, ProblemInvalidDigest:
		_, _, _, problems, err := v.readDigest(ctx, p.Object)
		if err != nil {
			return true, err
		}
		for _, np := range problems {
			if np.Kind == p.Kind {
				return true, nil
			}
		}
		return false, nil
	case ProblemBrokenChain:
		d, _, _, _, err := v.readDigest(ctx, p.Object)
		if err != nil {
			return true, err
		}
		return d == nil || v.mappedKey(deref(d.PreviousDigestS3Object)) != p.Want || deref(d.PreviousDigestSignature) != p.WantSg ||
			(p.Hash != "" && !strings.EqualFold(strings.TrimSpace(deref(d.PreviousDigestHashValue)), p.Hash)), nil
	case ProblemMissingDigest:
		d, _, sig, problems, err := v.readDigest(ctx, p.Object)
		if err != nil {
			return true, err
		}
		return d == nil || len(problems) > 0 || (p.WantSg != "" && sig != p.WantSg), nil
	}
	return true, nil
}

// isNotFound reports whether err says the object does not exist.
func isNotFound(err error) bool {
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == 404
}

// Signature of a local digest: the hex signature in the sidecar file
// "<digest object>.sig" (S3 keeps it in the object's x-amz-meta-signature).
func (l localStore) Signature(_ context.Context, key string) (string, error) {
	b, err := os.ReadFile(filepath.Join(l.root, filepath.FromSlash(key)) + digestSignatureSuffix)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// Signature of an S3 digest: its x-amz-meta-signature metadata.
func (s *s3Store) Signature(ctx context.Context, key string) (string, error) {
	o, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		return "", err
	}
	for k, v := range o.Metadata {
		if strings.EqualFold(k, "signature") {
			return v, nil
		}
	}
	return "", nil
}
