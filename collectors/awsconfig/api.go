package awsconfig

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/smithy-go"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/identity"
	"github.com/driftwarden/driftwarden/internal/awsclient"
)

// pageLimit is the largest page the advanced query APIs return.
const pageLimit = 100

// selectFields are the configuration item properties the advanced query
// returns for each resource.
const selectFields = "SELECT resourceId, resourceType, resourceName, arn, accountId, awsRegion, " +
	"configurationItemStatus, configurationItemCaptureTime, configurationStateId, " +
	"configuration, supplementaryConfiguration, tags"

// QueryTypes returns the Config types an API source queries: the
// configured ones (Terraform names mapped through the identity table) or,
// by default, every Config type of the table, sorted.
func QueryTypes(configured []string) []string {
	set := map[string]bool{}
	if len(configured) > 0 {
		for _, t := range configured {
			if ct := identity.ConfigType(t); ct != "" {
				t = ct
			}
			set[t] = true
		}
	} else {
		for _, row := range identity.Types {
			if row.Config != "" {
				set[row.Config] = true
			}
		}
	}
	return sortedKeys(set)
}

// isGlobalType reports Config types recorded with awsRegion "global".
func isGlobalType(t string) bool {
	for _, p := range []string{"AWS::IAM::", "AWS::CloudFront::", "AWS::Route53::", "AWS::WAF::", "AWS::Shield::"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// Expression builds the advanced query for one resource type. Global
// types are never filtered by region (their region is "global").
func Expression(configType string, accounts, regions []string) string {
	var b strings.Builder
	b.WriteString(selectFields)
	b.WriteString(" WHERE resourceType = ")
	b.WriteString(quote(configType))
	if len(accounts) > 0 {
		b.WriteString(" AND accountId IN (")
		b.WriteString(quoteList(accounts))
		b.WriteString(")")
	}
	if len(regions) > 0 && !isGlobalType(configType) {
		b.WriteString(" AND awsRegion IN (")
		b.WriteString(quoteList(regions))
		b.WriteString(")")
	}
	return b.String()
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = quote(s)
	}
	return strings.Join(q, ", ")
}

func (s *Source) configClient(ctx context.Context, region string) (ConfigAPI, error) {
	if s.cfg.ConfigClient != nil {
		return s.cfg.ConfigClient, nil
	}
	if c := s.configs[region]; c != nil {
		return c, nil
	}
	cc := s.cfg.Client
	if region != "" {
		cc.Region = region
	}
	ac, err := awsclient.LoadAWSConfig(ctx, cc)
	if err != nil {
		return nil, err
	}
	// The regions share one set of credentials (one assumed-role session,
	// refreshed and invalidated once for all).
	var shared aws.CredentialsProvider
	for _, other := range s.configs {
		if oc, ok := other.(*configservice.Client); ok {
			shared = oc.Options().Credentials
			break
		}
	}
	c := configservice.NewFromConfig(ac, func(o *configservice.Options) {
		if cc.EndpointURL != "" {
			o.BaseEndpoint = aws.String(cc.EndpointURL)
		}
		if shared != nil {
			o.Credentials = shared
		}
	})
	s.configs[region] = c
	return c, nil
}

// invalidateCredentials drops the cached credentials of the clients built
// from Client, so that the next request obtains new ones (a new
// AssumeRole, a new read of the default chain).
func (s *Source) invalidateCredentials(c ConfigAPI) bool {
	if cc, ok := c.(*configservice.Client); ok {
		return awsclient.Invalidate(cc.Options().Credentials)
	}
	return false
}

// query runs the advanced queries, one per type (and per region without
// an aggregator), following NextToken. Throttling and 5xx answers are
// retried by the SDK's retryer with backoff and jitter.
func (s *Source) query(ctx context.Context) ([]unit, []error) {
	api := s.cfg.API
	types := QueryTypes(api.Types)
	var units []unit
	var errs []error
	if api.Aggregator != "" {
		c, err := s.configClient(ctx, "")
		if err != nil {
			return nil, []error{&collectors.InputError{Source: s.name, Location: "aggregator " + api.Aggregator, Err: err}}
		}
		for i, t := range types {
			items := s.selectAll(ctx, t, func(ctx context.Context, token *string) ([]string, *string, error) {
				out, err := c.SelectAggregateResourceConfig(ctx, &configservice.SelectAggregateResourceConfigInput{
					ConfigurationAggregatorName: aws.String(api.Aggregator),
					Expression:                  aws.String(Expression(t, api.Accounts, api.Regions)),
					Limit:                       pageLimit,
					NextToken:                   token,
				})
				if err != nil {
					return nil, nil, err
				}
				return out.Results, out.NextToken, nil
			}, "aggregator "+api.Aggregator, c)
			errs = append(errs, items.errs...)
			units = append(units, items.unit(""))
			if items.fatal {
				// The types not queried are not covered either.
				units = append(units, unit{incomplete: true, failedTypes: types[i+1:]})
				break
			}
		}
	} else {
		regions := api.Regions
		if len(regions) == 0 {
			regions = []string{s.cfg.Client.Region}
		}
		accountDown := false
		for ri, region := range regions {
			c, err := s.configClient(ctx, region)
			if err != nil {
				errs = append(errs, &collectors.InputError{Source: s.name, Location: "config " + region, Err: err})
				units = append(units, unit{region: region, incomplete: true, failedTypes: types})
				continue
			}
			for i, t := range types {
				items := s.selectAll(ctx, t, func(ctx context.Context, token *string) ([]string, *string, error) {
					out, err := c.SelectResourceConfig(ctx, &configservice.SelectResourceConfigInput{
						Expression: aws.String(Expression(t, api.Accounts, nil)),
						Limit:      pageLimit,
						NextToken:  token,
					})
					if err != nil {
						return nil, nil, err
					}
					return out.Results, out.NextToken, nil
				}, "config "+region, c)
				errs = append(errs, items.errs...)
				units = append(units, items.unit(region))
				accountDown = accountDown || items.accountDown
				if items.fatal {
					units = append(units, unit{region: region, incomplete: true, failedTypes: types[i+1:]})
					break
				}
			}
			if accountDown {
				// The regions share the account's credentials: the others
				// would fail alike (and ask STS again each). Tried again
				// next cycle.
				if rest := regions[ri+1:]; len(rest) > 0 && len(errs) > 0 {
					var ie *collectors.InputError
					if errors.As(errs[len(errs)-1], &ie) {
						ie.Err = fmt.Errorf("%w; the account's other regions (%s) are skipped this cycle", ie.Err, strings.Join(rest, ", "))
					}
				}
				for _, r := range regions[ri+1:] {
					units = append(units, unit{region: r, incomplete: true, failedTypes: types})
				}
				break
			}
		}
	}
	for _, r := range api.Regions {
		units = append(units, unit{region: r})
	}
	return units, errs
}

type selected struct {
	typ   string
	items []*Item
	errs  []error
	fatal bool // credentials or aggregator problem: later queries would fail alike
	// accountDown: the account's credentials could not be obtained, or
	// fresh ones were refused as expired: every region would fail alike.
	accountDown bool
	// failed: a page could not be read, or a result lost its resource; the
	// type's enumeration is incomplete.
	failed bool
}

// unit is the outcome of one type's query. A failed query keeps the items
// it read (for comparison) but its type is not covered, in any region.
func (s selected) unit(region string) unit {
	u := unit{region: region, items: s.items}
	if s.failed {
		u.failedTypes = []string{s.typ}
	}
	return u
}

type pageFunc func(ctx context.Context, token *string) ([]string, *string, error)

// selectAll reads every page of one type's query. Credentials rejected as
// expired are obtained anew and the page asked again, once; a NextToken
// the service no longer accepts (InvalidNextTokenException) restarts the
// listing from its first page, once, the results read so far dropped so
// that none is counted twice.
func (s *Source) selectAll(ctx context.Context, configType string, page pageFunc, loc string, client ConfigAPI) selected {
	out := selected{typ: configType}
	var token *string
	seenTokens := map[string]bool{}
	refreshed, restarted := false, false
	for n := 1; ; n++ {
		results, next, err := page(ctx, token)
		if err != nil {
			_, retrieval, cred := awsclient.CredentialError(err)
			if cred && !retrieval && !refreshed && s.invalidateCredentials(client) {
				refreshed = true
				n--
				continue
			}
			if token != nil && !restarted && awsclient.ErrorCode(err) == "InvalidNextTokenException" {
				restarted = true
				out.items, out.errs, out.failed = nil, nil, false
				token = nil
				clear(seenTokens)
				n = 0
				continue
			}
			out.errs = append(out.errs, &collectors.InputError{Source: s.name, Location: loc, Place: fmt.Sprintf("%s page %d", configType, n), Err: s.describeAPI(err)})
			out.fatal = isFatal(err)
			if code, retrieval, cred := awsclient.CredentialError(err); cred {
				out.accountDown = retrieval || code == "ExpiredToken" || code == "ExpiredTokenException"
			}
			out.failed = true
			return out
		}
		for i, r := range results {
			d := decode(strings.NewReader(r), DecodeOptions{Source: s.name, Location: loc, DefaultType: configType})
			items, errs := d.items, d.errs
			if d.incomplete || len(d.lostTypes) > 0 {
				out.failed = true
			}
			for _, e := range errs {
				var ie *collectors.InputError
				if errors.As(e, &ie) {
					ie.Place = fmt.Sprintf("%s page %d Results[%d]", configType, n, i) + strings.TrimPrefix(" "+ie.Place, " configuration item")
				}
				out.errs = append(out.errs, e)
			}
			out.items = append(out.items, items...)
		}
		if next == nil || *next == "" {
			return out
		}
		if seenTokens[*next] {
			out.errs = append(out.errs, &collectors.InputError{Source: s.name, Location: loc, Place: fmt.Sprintf("%s page %d", configType, n), Err: errors.New("the service returned a NextToken already used: stopping to avoid a loop")})
			out.failed = true
			return out
		}
		seenTokens[*next] = true
		token = next
	}
}

// isFatal reports failures every later query of the region (or
// aggregator) would meet alike: credentials that cannot be obtained or are
// rejected, a denial, a missing aggregator or recorder, a cancelled cycle.
func isFatal(err error) bool {
	if _, _, cred := awsclient.CredentialError(err); cred {
		return true
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	}
	switch ae.ErrorCode() {
	case "AccessDeniedException", "InvalidSignatureException", "SignatureDoesNotMatch",
		"NoSuchConfigurationAggregatorException", "NoAvailableConfigurationRecorderException":
		return true
	}
	return false
}

// stsRegion is the region the shared credentials call STS in: that of the
// first client built (the aggregator's, else the first region's), whose
// credentials the other regions share; "" when unknown.
func (s *Source) stsRegion() string {
	key := ""
	if s.cfg.API != nil && s.cfg.API.Aggregator == "" {
		key = s.cfg.Client.Region
		if len(s.cfg.API.Regions) > 0 {
			key = s.cfg.API.Regions[0]
		}
	}
	if c, ok := s.configs[key].(*configservice.Client); ok {
		return c.Options().Region
	}
	return ""
}

// describeAPI words a Config API failure with a hint. It names the role,
// never the external id.
func (s *Source) describeAPI(err error) error {
	if code, retrieval, _ := awsclient.CredentialError(err); retrieval {
		what := awsclient.RetrievalHint(s.cfg.Client.AssumeRoleARN, code, s.stsRegion())
		if code != "" {
			what += " (" + code + ")"
		}
		return fmt.Errorf("querying AWS Config: obtaining credentials failed: %s: %w", what, err)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("querying AWS Config: %w", err)
	}
	hint := "AWS Config refused the query"
	switch ae.ErrorCode() {
	case "AccessDeniedException":
		hint = "access denied: the credentials need config:SelectResourceConfig (or config:SelectAggregateResourceConfig on the aggregator)"
	case "ExpiredTokenException", "ExpiredToken":
		hint = "the AWS credentials have expired, and fresh ones were refused too: refresh them (or the role session)"
	case "UnrecognizedClientException", "InvalidSignatureException", "InvalidClientTokenId":
		hint = "the AWS credentials were rejected"
	case "NoSuchConfigurationAggregatorException":
		hint = "the configuration aggregator does not exist (check its name and the region)"
	case "ThrottlingException", "LimitExceededException":
		hint = "AWS Config kept throttling after retries"
	case "InvalidExpressionException":
		hint = "AWS Config rejected the query expression"
	case "InvalidNextTokenException":
		hint = "AWS Config kept rejecting its own NextToken, after reading the type again from the first page"
	case "InvalidLimitException":
		hint = "AWS Config rejected the page size"
	}
	return fmt.Errorf("querying AWS Config: %s (%s): %w", hint, ae.ErrorCode(), err)
}
