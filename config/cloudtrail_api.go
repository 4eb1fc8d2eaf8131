package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// CloudTrailAPIMaxRate is CloudTrail's LookupEvents limit: 2 requests per
// second per account and region.
const CloudTrailAPIMaxRate = 2.0

var (
	awsAccountID = regexp.MustCompile(`^\d{12}$`)
	awsRegion    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
)

// validateCloudTrailAPI checks a cloudtrail_api event source.
func validateCloudTrailAPI(v *validator, p string, s Events) {
	if len(s.Regions) == 0 {
		v.errorf(p+".regions", "a cloudtrail_api source needs regions (LookupEvents is regional)")
	}
	for j, r := range s.Regions {
		if !awsRegion.MatchString(r) {
			v.errorf(fmt.Sprintf("%s.regions[%d]", p, j), "%q is not an AWS region (eu-west-1)", r)
		}
	}
	for j, a := range s.Accounts {
		if !awsAccountID.MatchString(a) {
			v.errorf(fmt.Sprintf("%s.accounts[%d]", p, j), "an AWS account id is 12 digits, not %q", a)
		}
	}
	switch {
	case s.RoleARNTemplate != "":
		if !strings.HasPrefix(s.RoleARNTemplate, "arn:") || !strings.Contains(s.RoleARNTemplate, "{account}") {
			v.errorf(p+".role_arn_template", "must be a role ARN with an {account} placeholder (arn:aws:iam::{account}:role/driftwarden-audit)")
		}
		if len(s.Accounts) == 0 {
			v.errorf(p+".accounts", "role_arn_template needs the accounts to assume it in")
		}
	case len(s.Accounts) > 1:
		v.errorf(p+".accounts", "without role_arn_template only the default credential chain's account can be read: set role_arn_template or list one account")
	}
	if s.ExternalIDEnv != "" && s.RoleARNTemplate == "" {
		v.errorf(p+".external_id_env", "external_id_env applies only with role_arn_template")
	}
	if s.SessionName != "" && s.RoleARNTemplate == "" {
		v.errorf(p+".session_name", "session_name applies only with role_arn_template")
	}
	if s.RateLimit < 0 || s.RateLimit > CloudTrailAPIMaxRate {
		v.errorf(p+".rate_limit", "must be above 0 and at most %g requests per second per account and region (CloudTrail's LookupEvents limit; above it calls are throttled)", CloudTrailAPIMaxRate)
	}
	if s.Overlap < 0 || s.InitialLookback < 0 {
		v.errorf(p+".overlap", "overlap and initial_lookback must not be negative")
	}
	if s.InitialLookback.D() > 90*24*time.Hour {
		v.errorf(p+".initial_lookback", "LookupEvents reaches 90 days back at most")
	}
	if s.EndpointURL != "" {
		if u, err := url.Parse(s.EndpointURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.errorf(p+".endpoint_url", "must be an http(s) URL")
		} else if u.User != nil {
			v.errorf(p+".endpoint_url", "credentials are not allowed in the URL; the default AWS credential chain is used")
		}
	}
	if s.Path != "" || s.Bucket != "" || s.Prefix != "" || s.AssumeRoleARN != "" || s.ForcePathStyle {
		v.errorf(p+".path", "path, bucket, prefix, force_path_style and assume_role_arn do not apply to cloudtrail_api (roles: role_arn_template)")
	}
}
