package s3state

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/driftwarden/driftwarden/internal/awsclient"
)

// ClientConfig says how to reach S3 (region, endpoint, role, retries): see
// awsclient.ClientConfig, which every AWS source shares.
type ClientConfig = awsclient.ClientConfig

// NewClient builds an S3 client from the default configuration chain
// (environment, shared config, IRSA, instance metadata) and cfg.
func NewClient(ctx context.Context, cfg ClientConfig) (*s3.Client, error) {
	ac, err := awsclient.LoadAWSConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return s3.NewFromConfig(ac, func(o *s3.Options) {
		if cfg.EndpointURL != "" {
			o.BaseEndpoint = aws.String(cfg.EndpointURL)
		}
		o.UsePathStyle = cfg.ForcePathStyle
		o.DisableLogOutputChecksumValidationSkipped = true
	}), nil
}

// LoadAWSConfig loads the default configuration with cfg's region,
// credentials, role and retry policy applied.
//
// Deprecated: use awsclient.LoadAWSConfig.
func LoadAWSConfig(ctx context.Context, cfg ClientConfig) (aws.Config, error) {
	return awsclient.LoadAWSConfig(ctx, cfg)
}
