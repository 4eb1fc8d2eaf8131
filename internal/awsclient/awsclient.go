// Package awsclient builds AWS SDK configurations for every AWS source
// (S3 state backend, AWS Config, CloudTrail): the default credential chain
// (environment, shared config, IRSA, instance metadata) with a region, an
// optional role assumed on top (external id, session name), a custom
// endpoint for S3-compatible stores and tests, and a retry policy with
// exponential backoff and jitter.
//
// External ids are secret-like: they are passed to STS and never logged or
// put into an error message.
package awsclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// DefaultSessionName names assumed-role sessions unless configured.
const DefaultSessionName = "driftwarden"

// RoleExpiryWindow is how long before their expiry assumed-role
// credentials are refreshed (jittered down to half of it), so that a
// request is never signed with credentials about to expire.
const RoleExpiryWindow = 5 * time.Minute

// ClientConfig says how to reach AWS.
type ClientConfig struct {
	// Region of the bucket or API; empty means the default chain's region
	// (AWS_REGION, shared config), else us-east-1.
	Region string
	// EndpointURL replaces the service endpoint (S3-compatible stores, tests).
	EndpointURL string
	// ForcePathStyle addresses buckets as endpoint/bucket/key instead of
	// bucket.endpoint/key (most S3-compatible stores need it).
	ForcePathStyle bool
	// AssumeRoleARN, when set, is assumed (with ExternalID when set) on top
	// of the default credential chain.
	AssumeRoleARN string
	// ExternalID is the resolved external id of the role (a secret-like
	// value: never logged).
	ExternalID string
	// SessionName names the assumed-role session; default "driftwarden".
	SessionName string
	// STSEndpointURL replaces the STS endpoint used to assume the role.
	STSEndpointURL string
	// Credentials replace the default chain (tests, callers with their own
	// provider).
	Credentials aws.CredentialsProvider
	// RetryMaxAttempts bounds attempts per call (throttling such as 503
	// SlowDown, 5xx, network errors); default 5, 1 disables retries.
	RetryMaxAttempts int
	// RetryMaxBackoff caps the wait between attempts; default 20 s.
	RetryMaxBackoff time.Duration
}

// Role is a role to assume on top of a base configuration.
type Role struct {
	ARN string
	// ExternalID is sent to STS when set; never logged.
	ExternalID string
	// SessionName defaults to DefaultSessionName.
	SessionName string
	// STSEndpointURL replaces the STS endpoint (tests).
	STSEndpointURL string
}

// LoadAWSConfig loads the default configuration with cfg's region,
// credentials, role and retry policy applied.
func LoadAWSConfig(ctx context.Context, cfg ClientConfig) (aws.Config, error) {
	attempts := cfg.RetryMaxAttempts
	if attempts <= 0 {
		attempts = 5
	}
	maxBackoff := cfg.RetryMaxBackoff
	if maxBackoff <= 0 {
		maxBackoff = 20 * time.Second
	}
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryer(func() aws.Retryer {
			return NewRetryer(attempts, maxBackoff)
		}),
	}
	if cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.Region))
	}
	if cfg.Credentials != nil {
		opts = append(opts, awsconfig.WithCredentialsProvider(cfg.Credentials))
	}
	ac, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if ac.Region == "" {
		ac.Region = "us-east-1"
	}
	if cfg.AssumeRoleARN != "" {
		ac.Credentials = AssumeRole(ac, Role{ARN: cfg.AssumeRoleARN, ExternalID: cfg.ExternalID,
			SessionName: cfg.SessionName, STSEndpointURL: cfg.STSEndpointURL})
	}
	return ac, nil
}

// NewRetryer is the SDK's standard retryer (throttling codes such as
// ThrottlingException and LimitExceededException, 500/502/503/504,
// connection errors) with exponential backoff and full jitter, and:
//
//   - no retry quota: the SDK's client-side token bucket (500 tokens, 5 to
//     14 per retry) would, after a long throttled stretch, fail calls with
//     "retry quota exceeded" without sending them, for as long as the
//     process lives; a daemon paces itself with backoff instead;
//   - a response cut short (the connection closed mid-body: unexpected
//     EOF) is retried like a reset connection. Every call driftwarden makes
//     is a read, so a retry is always safe.
func NewRetryer(attempts int, maxBackoff time.Duration) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = attempts
		o.MaxBackoff = maxBackoff
		o.Backoff = retry.NewExponentialJitterBackoff(maxBackoff)
		o.RateLimiter = ratelimit.None
		o.Retryables = append(o.Retryables, retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			if IsTruncated(err) {
				return aws.TrueTernary
			}
			return aws.UnknownTernary
		}))
	})
}

// IsTruncated reports a response cut short: the connection was closed
// before the body the server announced was read.
func IsTruncated(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF)
}

// credentialCodes are the error codes AWS answers when the credentials a
// request was signed with are expired or unknown: the same credentials
// will never work again, fresh ones may.
var credentialCodes = map[string]bool{
	"ExpiredToken":                true, // STS, S3, query protocol services
	"ExpiredTokenException":       true, // JSON protocol services (CloudTrail, Config)
	"RequestExpired":              true,
	"InvalidClientTokenId":        true,
	"UnrecognizedClientException": true,
	"InvalidAccessKeyId":          true,
}

// CredentialError classifies err as a credentials problem of the caller's
// account rather than of one request: the credentials were rejected
// (expired or unknown: code is the AWS error code, retrieval false), or
// they could not be obtained at all (retrieval true: AssumeRole denied by
// the role's trust policy, STS disabled in the region, the base
// credentials expired; code is STS's error code when there is one).
func CredentialError(err error) (code string, retrieval, ok bool) {
	code = ErrorCode(err)
	if isRetrievalFailure(err) {
		return code, true, true
	}
	if credentialCodes[code] {
		return code, false, true
	}
	return "", false, false
}

// isRetrievalFailure reports an error obtaining the credentials to sign a
// request with. The SDK leaves no typed error for it: the operation's
// identity resolution wraps the provider's error as "get identity: get
// credentials: ..." (older paths: a signing error "failed to retrieve
// credentials").
func isRetrievalFailure(err error) bool {
	var se *v4.SigningError
	if errors.As(err, &se) && strings.Contains(se.Error(), "retrieve credentials") {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "get identity: get credentials:") || strings.Contains(msg, "failed to refresh cached credentials")
}

// ErrorCode is the AWS error code in err's chain ("" when there is none).
func ErrorCode(err error) string {
	var v interface{ ErrorCode() string }
	if errors.As(err, &v) {
		return v.ErrorCode()
	}
	return ""
}

// Invalidate drops cached credentials so that the next request obtains
// new ones (a new AssumeRole, a new read of the default chain); providers
// without a cache are left alone.
func Invalidate(p aws.CredentialsProvider) bool {
	if c, ok := p.(*aws.CredentialsCache); ok {
		c.Invalidate()
		return true
	}
	return false
}

// AssumeRole returns cached credentials of role r, obtained with base's
// credentials through STS AssumeRole; they are refreshed RoleExpiryWindow
// (jittered) before they expire. A failure is not cached: the next
// request calls STS again.
func AssumeRole(base aws.Config, r Role) *aws.CredentialsCache {
	stsClient := sts.NewFromConfig(base, func(o *sts.Options) {
		if r.STSEndpointURL != "" {
			o.BaseEndpoint = aws.String(r.STSEndpointURL)
		}
	})
	session := r.SessionName
	if session == "" {
		session = DefaultSessionName
	}
	return aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, r.ARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = session
		if r.ExternalID != "" {
			o.ExternalID = aws.String(r.ExternalID)
		}
	}), func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = RoleExpiryWindow
		o.ExpiryWindowJitterFrac = 0.5
	})
}

// RoleARN fills a role ARN template's {account} placeholder
// (arn:aws:iam::{account}:role/driftwarden-audit).
func RoleARN(template, account string) string {
	return strings.ReplaceAll(template, "{account}", account)
}

// RetrievalHint says what to check when credentials could not be obtained
// (CredentialError's retrieval case): role is the role assumed ("" for the
// default credential chain alone), code STS's error code, stsRegion the
// region STS was called in ("" when unknown). It names the role, never the
// external id.
func RetrievalHint(role, code, stsRegion string) string {
	expired := code == "ExpiredToken" || code == "ExpiredTokenException"
	if role == "" {
		if expired {
			return "the default credentials have expired: refresh them"
		}
		return "the default credential chain gave no usable credentials"
	}
	what := "role " + role + " cannot be assumed"
	switch {
	case code == "AccessDenied" || code == "AccessDeniedException":
		return what + ": check that its trust policy allows the caller, and the external id it requires"
	case code == "RegionDisabledException":
		where := "the region STS is called in"
		if stsRegion != "" {
			where = "region " + stsRegion
		}
		return what + ": STS is not activated in " + where + " for the account (activate it, or set the region STS is called in)"
	case expired || code == "InvalidClientTokenId":
		return what + ": the credentials it is assumed with were rejected as expired or invalid"
	}
	return what
}
