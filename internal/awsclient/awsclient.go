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
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// DefaultSessionName names assumed-role sessions unless configured.
const DefaultSessionName = "driftwarden"

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
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				o.MaxBackoff = maxBackoff
				o.Backoff = retry.NewExponentialJitterBackoff(maxBackoff)
			})
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

// AssumeRole returns cached credentials of role r, obtained with base's
// credentials through STS AssumeRole; they are refreshed before they expire.
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
	}))
}

// RoleARN fills a role ARN template's {account} placeholder
// (arn:aws:iam::{account}:role/driftwarden-audit).
func RoleARN(template, account string) string {
	return strings.ReplaceAll(template, "{account}", account)
}
