// Package s3state reads Terraform states kept by the S3 backend into
// collectors.Stack values, streaming each object into tfstate.Decode.
//
// # What is read
//
// A source names a bucket and either one key (the S3 backend's "key") or a
// prefix to discover every state under (KeysUnder):
//
//   - Key: the default workspace's state is the object at Key; every other
//     workspace's is at <workspace_key_prefix>/<workspace>/<Key>, the
//     prefix being "env:" unless configured ("/" configures the empty
//     prefix: workspaces at <workspace>/<Key>). Each workspace is a stack. A
//     missing default object is not an error while some workspace has a
//     state (teams that use only named workspaces); with no state at all
//     it is.
//   - KeysUnder: every object ending in ".tfstate" under the prefix, and
//     every <workspace_key_prefix>/<workspace>/<prefix>...*.tfstate, one
//     stack each. "/" means the whole bucket. With the empty workspace
//     prefix a workspace state cannot be told from a default one, so every
//     state found is taken as a default workspace's.
//
// Only objects whose key ends in ".tfstate" are states when discovering:
// lock files (<key>.tflock, written by use_lockfile), backups
// (*.tfstate.backup) and folder placeholders ("dir/") are skipped.
//
// Objects encrypted with SSE-S3 or SSE-KMS need nothing on the client side
// (S3 decrypts; the credentials need kms:Decrypt on the key, and an
// AccessDenied error says so). Objects encrypted with a customer-provided
// key (SSE-C, the backend's sse_customer_key) need that key in
// Config.SSECustomerKey; without it S3 refuses the read and the error says
// which setting is missing.
//
// # Stack names
//
// A state's logical key (its key without the workspace prefix and
// workspace, and without KeysUnder) names its stack: the key with a
// trailing "/terraform.tfstate", else ".tfstate", removed; a key that is
// just "terraform.tfstate" takes the bucket's name. A workspace other than
// default appends "/<workspace>":
//
//	key network/terraform.tfstate                 -> network
//	key env:/staging/network/terraform.tfstate    -> network/staging
//	keys_under teams/: teams/pay/db.tfstate        -> pay/db
//	key terraform.tfstate in bucket acme-states   -> acme-states
//
// Config.Stack replaces the name derived from Key (workspaces still append
// "/<workspace>"). If two states of one source would get the same name,
// each of those is named by its full URL s3://bucket/key instead.
//
// # Re-reading only what changed
//
// Objects are enumerated with ListObjectsV2 (and HeadObject for Key's
// default workspace), which return each object's ETag. A state is
// downloaded and decoded again only when its ETag differs from the one
// decoded last time; otherwise the stack (or the decode error) of that time
// is returned again. Returned stacks share their Resources with that cache:
// treat them as read-only. A state deleted between the listing and its
// download is skipped without error (it is gone, as the next listing will
// say), except Key's default object when no workspace state exists: that is
// the "no state found" error. A download cut short is an error and is tried
// again next cycle. With SSECustomerKey set, a HEAD refused for an object
// not encrypted with SSE-C is asked again without the key's headers.
//
// # Errors
//
// Every failure is a *collectors.InputError whose Location is
// s3://bucket/key (or s3://bucket/prefix for a listing) and which costs
// only that state. Throttling (503 SlowDown), 5xx and network errors are
// retried by the SDK's standard retryer with exponential backoff and
// jitter; access denied, expired credentials, missing buckets and keys are
// reported at once with a hint. A bucket in another region than the
// client's (301 PermanentRedirect, 400 AuthorizationHeaderMalformed) is
// reported with the bucket's region, taken from S3's answer.
package s3state

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/collectors/tfstate"
)

// DefaultWorkspaceKeyPrefix is the S3 backend's default workspace_key_prefix.
const DefaultWorkspaceKeyPrefix = "env:"

// API is the part of the S3 client the source uses (*s3.Client has it).
type API interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Config configures an S3 state source.
type Config struct {
	Bucket string
	// Key is the state of the default workspace (the backend's key). Set
	// Key or KeysUnder.
	Key string
	// KeysUnder discovers every *.tfstate object under this prefix ("/" for
	// the whole bucket).
	KeysUnder string
	// WorkspaceKeyPrefix is the backend's workspace_key_prefix; default
	// "env:". "/" stands for the empty prefix (workspace_key_prefix = ""),
	// which puts workspaces at <workspace>/<Key>.
	WorkspaceKeyPrefix string
	// SSECustomerKey is the base64-encoded 256-bit key of states encrypted
	// with SSE-C (the backend's sse_customer_key / AWS_SSE_CUSTOMER_KEY).
	// It is a secret: it never appears in errors.
	SSECustomerKey string
	// Stack replaces the stack name derived from Key.
	Stack string
	// Client says how to build the S3 client; ignored when API is set.
	Client ClientConfig
	// API replaces the S3 client (tests, callers sharing one).
	API API
	// Owner and Production classify the stacks, for the caller.
	Owner      string
	Production bool
}

// Source reads Terraform states from S3. It implements collectors.StateSource.
type Source struct {
	name string
	cfg  Config

	mu    sync.Mutex
	api   API
	cache map[string]*entry
	ssec  *ssec
}

// ssec is the SSE-C parameters sent with every HeadObject and GetObject.
type ssec struct{ key, md5 string }

// entry is the outcome of the last decode of one object.
type entry struct {
	etag      string
	name, ws  string
	stack     *collectors.Stack
	err       error
	warns     []error // deposed objects skipped by the decode
	versionID string
}

// object is one state object found by listing.
type object struct {
	key, etag, ws, logical string
	size                   int64
	// noStateIfMissing is set on Key's default-workspace object when its
	// HEAD failed (not with 404) and no workspace state was listed: a 404
	// from GetObject then means there is no state at all.
	noStateIfMissing bool
}

var _ collectors.StateSource = (*Source)(nil)

// NewSource returns a source reading the states cfg names. The client is
// built on first use; configuration problems are reported by States.
func NewSource(name string, cfg Config) *Source {
	if cfg.WorkspaceKeyPrefix == "" {
		cfg.WorkspaceKeyPrefix = DefaultWorkspaceKeyPrefix
	}
	cfg.WorkspaceKeyPrefix = strings.Trim(cfg.WorkspaceKeyPrefix, "/")
	return &Source{name: name, cfg: cfg, api: cfg.API, cache: map[string]*entry{}}
}

// wsPrefix is the key prefix of workspace states ("" for the empty
// workspace_key_prefix).
func (s *Source) wsPrefix() string {
	if s.cfg.WorkspaceKeyPrefix == "" {
		return ""
	}
	return s.cfg.WorkspaceKeyPrefix + "/"
}

// parseSSEC checks a base64 SSE-C key and computes its MD5, as S3 wants.
func parseSSEC(b64 string) (*ssec, error) {
	raw, err := tfstate.ParseCustomerKey(b64, "sse_customer_key")
	if err != nil {
		return nil, err
	}
	sum := md5.Sum(raw)
	return &ssec{key: base64.StdEncoding.EncodeToString(raw), md5: base64.StdEncoding.EncodeToString(sum[:])}, nil
}

// Name is the configured source name.
func (s *Source) Name() string { return s.name }

// Owner is the configured owner of the source's stacks.
func (s *Source) Owner() string { return s.cfg.Owner }

// Production reports whether the source's stacks are production.
func (s *Source) Production() bool { return s.cfg.Production }

// URL returns s3://bucket/key, the Location of a state.
func URL(bucket, key string) string { return "s3://" + bucket + "/" + key }

// States loads every state the source names, one stack each. A state that
// cannot be listed, read or decoded yields one *collectors.InputError; the
// others still load.
func (s *Source) States(ctx context.Context) ([]collectors.Stack, []error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.Bucket == "" || (s.cfg.Key == "") == (s.cfg.KeysUnder == "") {
		return nil, []error{s.inputErr(URL(s.cfg.Bucket, ""), "", errors.New("an S3 state source needs a bucket and either key or keys_under"))}
	}
	if s.cfg.SSECustomerKey != "" && s.ssec == nil {
		k, err := parseSSEC(s.cfg.SSECustomerKey)
		if err != nil {
			return nil, []error{s.inputErr(URL(s.cfg.Bucket, ""), "", err)}
		}
		s.ssec = k
	}
	if s.api == nil {
		c, err := NewClient(ctx, s.cfg.Client)
		if err != nil {
			return nil, []error{s.inputErr(URL(s.cfg.Bucket, ""), "", err)}
		}
		s.api = c
	}
	var objs []object
	var errs []error
	if s.cfg.Key != "" {
		objs, errs = s.keyObjects(ctx)
	} else {
		objs, errs = s.discover(ctx)
	}
	names := s.stackNames(objs)
	var stacks []collectors.Stack
	seen := make(map[string]bool, len(objs))
	for _, o := range objs {
		if err := ctx.Err(); err != nil {
			errs = append(errs, s.inputErr(URL(s.cfg.Bucket, o.key), "", fmt.Errorf("loading state: %w", err)))
			break
		}
		seen[o.key] = true
		st, warns, err := s.load(ctx, o, names[o.key])
		errs = append(errs, warns...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if st == nil {
			continue // deleted since listed
		}
		stacks = append(stacks, *st)
	}
	for k := range s.cache {
		if !seen[k] {
			delete(s.cache, k)
		}
	}
	return stacks, errs
}

func (s *Source) inputErr(loc, place string, err error) error {
	return &collectors.InputError{Source: s.name, Location: loc, Place: place, Err: err}
}

// keyObjects finds Key's default-workspace object and its workspaces.
func (s *Source) keyObjects(ctx context.Context) ([]object, []error) {
	var objs []object
	var errs []error
	key := strings.TrimPrefix(s.cfg.Key, "/")
	defaultMissing := false
	in := &s3.HeadObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key)}
	if s.ssec != nil {
		in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(s.ssec.key), aws.String(s.ssec.md5)
	}
	head, err := s.api.HeadObject(ctx, in)
	if err != nil && s.ssec != nil && httpStatus(err) == http.StatusBadRequest {
		// S3 refuses SSE-C parameters for an object not encrypted with
		// SSE-C, and a HEAD's answer has no body to say so: ask again
		// without them (a bucket may mix both), so that the ETag is known.
		in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = nil, nil, nil
		if h, err2 := s.api.HeadObject(ctx, in); err2 == nil {
			head, err = h, nil
		}
	}
	headFailed := false
	switch {
	case err == nil:
		objs = append(objs, object{key: key, etag: aws.ToString(head.ETag), ws: "default", logical: key, size: aws.ToInt64(head.ContentLength)})
	case isNotFound(err):
		defaultMissing = true
	default:
		// S3 answers a failed HEAD without a body, hence without the
		// error's code and message (SSE-C, region, expired token all look
		// like a bare 400/301/403): let GetObject fetch the state and,
		// failing, say why.
		objs = append(objs, object{key: key, ws: "default", logical: key})
		headFailed = true
	}
	prefix := s.wsPrefix()
	listed, err := s.list(ctx, prefix)
	if err != nil {
		errs = append(errs, s.inputErr(URL(s.cfg.Bucket, prefix), "", describe(err, "listing workspaces (ListObjectsV2)", s.cfg.Bucket)))
	}
	for _, o := range listed {
		ws, rest, ok := strings.Cut(strings.TrimPrefix(o.key, prefix), "/")
		if !ok || ws == "" || rest != key {
			continue
		}
		o.ws, o.logical = ws, key
		objs = append(objs, o)
	}
	if headFailed && len(objs) == 1 && err == nil {
		objs[0].noStateIfMissing = true
	}
	if defaultMissing && len(objs) == 0 && err == nil {
		errs = append(errs, s.inputErr(URL(s.cfg.Bucket, key), "", s.noState(key)))
	}
	return objs, errs
}

// noState is the error of a Key with neither a default nor a workspace state.
func (s *Source) noState(key string) error {
	return fmt.Errorf("no state found: neither this object nor any workspace state under %s<workspace>/%s exists (NoSuchKey)", s.wsPrefix(), key)
}

// httpStatus is the HTTP status of an S3 answer, 0 when there was none.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// discover lists every state under KeysUnder, workspaces included.
func (s *Source) discover(ctx context.Context) ([]object, []error) {
	var errs []error
	under := s.cfg.KeysUnder
	if under == "/" {
		under = ""
	}
	under = strings.TrimPrefix(under, "/")
	wsPrefix := s.wsPrefix()
	var objs []object
	classify := func(o object) {
		if !strings.HasSuffix(o.key, ".tfstate") {
			return
		}
		if wsPrefix != "" && strings.HasPrefix(o.key, wsPrefix) {
			ws, rest, ok := strings.Cut(strings.TrimPrefix(o.key, wsPrefix), "/")
			if !ok || ws == "" || !strings.HasPrefix(rest, under) {
				return
			}
			o.ws, o.logical = ws, rest
		} else {
			if !strings.HasPrefix(o.key, under) {
				return
			}
			o.ws, o.logical = "default", o.key
		}
		objs = append(objs, o)
	}
	listed, err := s.list(ctx, under)
	if err != nil {
		errs = append(errs, s.inputErr(URL(s.cfg.Bucket, under), "", describe(err, "listing states (ListObjectsV2)", s.cfg.Bucket)))
	}
	for _, o := range listed {
		classify(o)
	}
	if wsPrefix != "" && !strings.HasPrefix(under, wsPrefix) && !strings.HasPrefix(wsPrefix, under) {
		// Workspace states of keys under the prefix live under the
		// workspace prefix, outside the listing above.
		listed, err := s.list(ctx, wsPrefix)
		if err != nil {
			errs = append(errs, s.inputErr(URL(s.cfg.Bucket, wsPrefix), "", describe(err, "listing workspace states (ListObjectsV2)", s.cfg.Bucket)))
		}
		for _, o := range listed {
			classify(o)
		}
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].key < objs[j].key })
	return objs, errs
}

// list returns every object under prefix, following continuation tokens.
func (s *Source) list(ctx context.Context, prefix string) ([]object, error) {
	var out []object
	p := s3.NewListObjectsV2Paginator(s.api, &s3.ListObjectsV2Input{Bucket: aws.String(s.cfg.Bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, err
		}
		for _, c := range page.Contents {
			out = append(out, object{key: aws.ToString(c.Key), etag: aws.ToString(c.ETag), size: aws.ToInt64(c.Size)})
		}
	}
	return out, nil
}

type stackName struct{ name, ws string }

// stackNames names each object's stack (see the package documentation).
func (s *Source) stackNames(objs []object) map[string]stackName {
	under := strings.TrimPrefix(s.cfg.KeysUnder, "/")
	out := make(map[string]stackName, len(objs))
	count := map[string]int{}
	for _, o := range objs {
		base := s.cfg.Stack
		if base == "" || s.cfg.Key == "" {
			base = logicalName(strings.TrimPrefix(o.logical, under), s.cfg.Bucket)
		}
		n := base
		if o.ws != "default" {
			n += "/" + o.ws
		}
		out[o.key] = stackName{name: n, ws: o.ws}
		count[n]++
	}
	for k, n := range out {
		if count[n.name] > 1 {
			n.name = URL(s.cfg.Bucket, k)
			out[k] = n
		}
	}
	return out
}

func logicalName(key, bucket string) string {
	key = strings.Trim(key, "/")
	switch {
	case key == "terraform.tfstate" || key == ".tfstate" || key == "":
		return bucket
	case path.Base(key) == "terraform.tfstate":
		return path.Dir(key)
	}
	return strings.TrimSuffix(key, ".tfstate")
}

// load returns the stack of one object, downloading it only when its ETag
// changed since the last decode. It returns nil, nil for an object deleted
// since it was listed. warns are the decode's warnings (deposed objects
// skipped), given again with a cached stack.
func (s *Source) load(ctx context.Context, o object, n stackName) (st *collectors.Stack, warns []error, err error) {
	if e := s.cache[o.key]; e != nil && o.etag != "" && e.etag == o.etag && e.name == n.name && e.ws == n.ws {
		return e.stack, e.warns, e.err
	}
	loc := URL(s.cfg.Bucket, o.key)
	in := &s3.GetObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(o.key)}
	if s.ssec != nil {
		in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(s.ssec.key), aws.String(s.ssec.md5)
	}
	resp, err := s.api.GetObject(ctx, in)
	if err != nil && s.ssec != nil && isCode(err, "InvalidRequest") && strings.Contains(apiMessage(err), "not applicable") {
		// S3 refuses SSE-C parameters for an object not encrypted with
		// SSE-C ("The encryption parameters are not applicable to this
		// object."): a bucket may mix both.
		in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = nil, nil, nil
		resp, err = s.api.GetObject(ctx, in)
	}
	if err != nil {
		delete(s.cache, o.key)
		if isNotFound(err) && !isCode(err, "NoSuchBucket") {
			if o.noStateIfMissing {
				return nil, nil, s.inputErr(loc, "", s.noState(o.key))
			}
			return nil, nil, nil
		}
		return nil, nil, s.inputErr(loc, "", describe(err, "reading state (GetObject)", s.cfg.Bucket))
	}
	defer resp.Body.Close()
	st, err = tfstate.Decode(resp.Body, tfstate.DecodeOptions{
		Source: s.name, Location: loc, Stack: n.name, Workspace: n.ws, SizeHint: max(aws.ToInt64(resp.ContentLength), 0),
		Warn: func(w error) { warns = append(warns, w) },
	})
	if err != nil {
		var re *tfstate.ReadError
		if errors.As(err, &re) {
			// The connection failed mid-body: try again next cycle.
			delete(s.cache, o.key)
			return nil, nil, err
		}
		if errors.Is(err, tfstate.ErrEmptyState) {
			// An empty object is a workspace without state yet.
			st, err = &collectors.Stack{Name: n.name, Source: s.name, Location: loc, Workspace: n.ws}, nil
		}
	}
	etag := aws.ToString(resp.ETag)
	if etag == "" {
		etag = o.etag
	}
	s.cache[o.key] = &entry{etag: etag, versionID: aws.ToString(resp.VersionId), name: n.name, ws: n.ws, stack: st, err: err, warns: warns}
	return st, warns, err
}

// isNotFound reports a missing object (HeadObject answers 404 without a
// body, so the code is "NotFound"; GetObject says "NoSuchKey").
func isNotFound(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NotFound", "NoSuchKey":
			return true
		}
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound && !isCode(err, "NoSuchBucket")
}

func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

// describe words an S3 failure with what was being done and a hint.
func describe(err error, doing, bucket string) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("%s: %w", doing, err)
	}
	code := ae.ErrorCode()
	msg := ae.ErrorMessage()
	var hint string
	switch {
	case code == "InvalidRequest" && strings.Contains(msg, "Server Side Encryption"),
		code == "InvalidArgument" && strings.Contains(msg, "customer"):
		hint = "the object is encrypted with a customer-provided key (SSE-C): configure sse_customer_key, the base64 key the Terraform backend uses"
	case code == "AccessDenied" && (strings.Contains(msg, "MD5 hash of the key") || strings.Contains(msg, "customer")):
		hint = "the object is encrypted with a different SSE-C key than the configured sse_customer_key"
	case code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" || code == "IllegalLocationConstraintException" || code == "MovedPermanently":
		if r := bucketRegion(err, msg); r != "" {
			hint = fmt.Sprintf("bucket %q is in region %s: set the source's region to %s", bucket, r, r)
		} else {
			hint = fmt.Sprintf("bucket %q is in another region: set region to the bucket's region", bucket)
		}
	}
	if hint != "" {
		return fmt.Errorf("%s: %s (%s): %w", doing, hint, code, err)
	}
	switch code {
	case "AccessDenied", "Forbidden", "AllAccessDisabled":
		hint = fmt.Sprintf("access denied to bucket %q: the credentials need s3:ListBucket on the bucket, s3:GetObject on the states and, for SSE-KMS objects, kms:Decrypt on the key", bucket)
	case "NoSuchBucket":
		hint = fmt.Sprintf("bucket %q does not exist (check the name and region)", bucket)
	case "NoSuchKey", "NotFound":
		hint = "the object does not exist"
	case "ExpiredToken", "TokenRefreshRequired", "RequestExpired":
		hint = "the AWS credentials have expired: refresh them (or the role session)"
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken":
		hint = "the AWS credentials were rejected: check the access key and secret"
	case "SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout":
		hint = "S3 kept failing after retries"
	default:
		hint = "S3 refused the request"
	}
	return fmt.Errorf("%s: %s (%s): %w", doing, hint, code, err)
}

var expectingRegion = regexp.MustCompile(`expecting '([a-z0-9-]+)'`)

// bucketRegion is the bucket's region S3 names in a wrong-region answer:
// the x-amz-bucket-region header, else the message of an
// AuthorizationHeaderMalformed error ("... expecting 'us-east-2'").
func bucketRegion(err error, msg string) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		if r := re.Response.Header.Get("x-amz-bucket-region"); r != "" {
			return r
		}
	}
	if m := expectingRegion.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return ""
}
