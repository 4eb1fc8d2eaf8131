package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/driftwarden/driftwarden/model"
)

func (c *Config) applyDefaults() {
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	if c.Server.Listen == "" {
		c.Server.Listen = DefaultListen
	}
	if c.Store.URL == "" && c.Store.URLEnv == "" && c.Store.URLFile == "" {
		c.Store.URL = DefaultStoreURL
	}
	if c.Store.Retention == 0 {
		c.Store.Retention = DefaultRetention
	}
	if c.Schedule.Scan == "" {
		c.Schedule.Scan = DefaultSchedule
	}
	if c.Schedule.RunOnStart == nil {
		t := true
		c.Schedule.RunOnStart = &t
	}
	if c.Schedule.Timeout == 0 {
		c.Schedule.Timeout = DefaultTimeout
	}
	if c.Drift.Unmanaged == nil {
		t := true
		c.Drift.Unmanaged = &t
	}
	if c.Policies.Builtin == nil {
		t := true
		c.Policies.Builtin = &t
	}
	if c.Policies.Watch == nil {
		t := true
		c.Policies.Watch = &t
	}
	for i := range c.Policies.Bundles {
		b := &c.Policies.Bundles[i]
		if b.Name == "" {
			b.Name = fmt.Sprintf("bundle-%d", i+1)
		}
		if b.PollInterval == 0 {
			b.PollInterval = Duration(time.Minute)
		}
	}
	for i := range c.States {
		s := &c.States[i]
		if s.Name == "" {
			s.Name = fmt.Sprintf("%s-%d", s.Type, i+1)
		}
	}
	for i := range c.Inventories {
		s := &c.Inventories[i]
		if s.Name == "" {
			s.Name = fmt.Sprintf("%s-%d", s.Type, i+1)
		}
	}
	for i := range c.Events {
		s := &c.Events[i]
		if s.Name == "" {
			s.Name = fmt.Sprintf("%s-%d", s.Type, i+1)
		}
	}
}

func (c *Config) validate(v *validator) {
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		v.errorf("log.level", "must be debug, info, warn or error, not %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		v.errorf("log.format", "must be text or json, not %q", c.Log.Format)
	}
	if !strings.Contains(c.Server.Listen, ":") {
		v.errorf("server.listen", "must be host:port, not %q", c.Server.Listen)
	}
	if c.Server.APITokenEnv != "" && c.Server.APITokenFile != "" {
		v.errorf("server.api_token_env", "set api_token_env or api_token_file, not both")
	}
	if (c.Server.TLSCertFile == "") != (c.Server.TLSKeyFile == "") {
		v.errorf("server.tls_cert_file", "set both tls_cert_file and tls_key_file, or neither")
	}
	c.validateStore(v)

	names := map[string]string{}
	unique := func(path, name string) {
		if prev, ok := names[name]; ok {
			v.errorf(path, "source name %q is already used by %s", name, prev)
			return
		}
		names[name] = path
	}
	for i, s := range c.States {
		p := fmt.Sprintf("states[%d]", i)
		unique(p+".name", s.Name)
		switch s.Type {
		case "file":
			if len(s.Paths) == 0 {
				v.errorf(p+".paths", "a file source needs at least one path or glob")
			}
			if s.URL != "" || s.Username != "" || s.PasswordEnv != "" || s.PasswordFile != "" {
				v.errorf(p+".url", "url, username and password_* apply only to type http")
			}
			if s.Stack != "" && (len(s.Paths) != 1 || strings.ContainsAny(s.Paths[0], "*?[")) {
				v.errorf(p+".stack", "stack fixes the name of a single state file; with several files or a glob each file names its own stack")
			}
		case "http":
			if s.URL == "" {
				v.errorf(p+".url", "an http source needs url")
			} else if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				v.errorf(p+".url", "must be an http(s) URL")
			} else if u.User != nil {
				v.errorf(p+".url", "credentials are not allowed in the URL; use username and password_env or password_file")
			}
			if len(s.Paths) > 0 {
				v.errorf(p+".paths", "paths apply only to type file")
			}
			if s.PasswordEnv != "" && s.PasswordFile != "" {
				v.errorf(p+".password_env", "set password_env or password_file, not both")
			}
			for h := range s.Headers {
				if strings.EqualFold(h, "Authorization") {
					v.errorf(p+".headers", "the Authorization header is a secret; use headers_from_env")
				}
			}
		case "s3":
			if s.Bucket == "" {
				v.errorf(p+".bucket", "an s3 source needs bucket")
			}
			if (s.Key == "") == (s.KeysUnder == "") {
				v.errorf(p+".key", "set key (one state and its workspaces) or keys_under (every *.tfstate under a prefix; \"/\" for the whole bucket), not both")
			}
			if s.Stack != "" && s.Key == "" {
				v.errorf(p+".stack", "stack names the state of key; with keys_under each state names its own stack")
			}
			if len(s.Paths) > 0 || s.URL != "" {
				v.errorf(p+".paths", "paths and url do not apply to type s3")
			}
			validateAWSAccess(v, p, s.AWSAccess)
		case "gcs":
			if s.Bucket == "" {
				v.errorf(p+".bucket", "a gcs source needs bucket")
			}
			if len(s.Paths) > 0 || s.URL != "" {
				v.errorf(p+".paths", "paths and url do not apply to type gcs")
			}
		case "":
			v.errorf(p, "type is required (file, http, s3 or gcs)")
		default:
			v.errorf(p+".type", "unknown state source type %q (file, http, s3 or gcs)", s.Type)
		}
		if s.Type != "s3" && (s.Bucket != "" && s.Type != "gcs" || s.Key != "" || s.KeysUnder != "" || s.WorkspaceKeyPrefix != "" || s.SSECustomerKeyEnv != "" || s.SSECustomerKeyFile != "" || s.AWSAccess != (AWSAccess{})) {
			v.errorf(p+".bucket", "bucket, key, keys_under, workspace_key_prefix, sse_customer_key_env/_file and the AWS keys apply only to type s3 (bucket also to gcs)")
		}
		if s.Type != "gcs" && (s.Prefix != "" || s.EncryptionKeyEnv != "" || s.EncryptionKeyFile != "" || s.GCPAccess != (GCPAccess{})) {
			v.errorf(p+".prefix", "prefix, encryption_key_env/_file, credentials_file and endpoint apply only to type gcs")
		}
		if s.SSECustomerKeyEnv != "" && s.SSECustomerKeyFile != "" {
			v.errorf(p+".sse_customer_key_env", "set sse_customer_key_env or sse_customer_key_file, not both")
		}
		if s.EncryptionKeyEnv != "" && s.EncryptionKeyFile != "" {
			v.errorf(p+".encryption_key_env", "set encryption_key_env or encryption_key_file, not both")
		}
	}
	for i, s := range c.Inventories {
		p := fmt.Sprintf("inventories[%d]", i)
		unique(p+".name", s.Name)
		switch s.Type {
		case "tfplan", "snapshot":
			if len(s.Paths) == 0 {
				v.errorf(p+".paths", "needs at least one path or glob")
			}
			if s.Type == "tfplan" && len(s.Types) > 0 {
				v.errorf(p+".types", "types applies only to snapshot sources")
			}
			if s.Type == "snapshot" && s.Stack != "" {
				v.errorf(p+".stack", "stack applies only to tfplan sources")
			}
			if s.Stack != "" && (len(s.Paths) != 1 || strings.ContainsAny(s.Paths[0], "*?[")) {
				v.errorf(p+".stack", "stack names the stack of a single plan file")
			}
		case "awsconfig":
			set := 0
			for _, b := range []bool{s.Path != "", s.Bucket != "", s.API != nil} {
				if b {
					set++
				}
			}
			if set != 1 {
				v.errorf(p, "an awsconfig inventory needs exactly one of path (a directory of snapshots), bucket (the delivery bucket) and api")
			}
			if len(s.Paths) > 0 || s.Stack != "" {
				v.errorf(p+".paths", "paths and stack do not apply to awsconfig (use path)")
			}
			if s.Prefix != "" && s.Bucket == "" {
				v.errorf(p+".prefix", "prefix applies only with bucket")
			}
			if s.API != nil && s.API.Aggregator == "" && len(s.API.Accounts) > 0 {
				v.errorf(p+".api.accounts", "accounts filter an aggregator's query; without aggregator the credentials' account is queried")
			}
			validateAWSAccess(v, p, s.AWSAccess)
		case "gcpasset":
			set := 0
			for _, b := range []bool{len(s.Parents) > 0, len(s.Paths) > 0, s.Bucket != ""} {
				if b {
					set++
				}
			}
			if set != 1 {
				v.errorf(p, "a gcpasset inventory needs exactly one of parents (the ListAssets API), paths (export files) and bucket (exports in GCS)")
			}
			for j, pa := range s.Parents {
				if !strings.HasPrefix(pa, "projects/") && !strings.HasPrefix(pa, "folders/") && !strings.HasPrefix(pa, "organizations/") {
					v.errorf(fmt.Sprintf("%s.parents[%d]", p, j), "want projects/ID, folders/ID or organizations/ID, got %q", pa)
				}
			}
			if s.Prefix != "" && s.Bucket == "" {
				v.errorf(p+".prefix", "prefix applies only with bucket")
			}
			if s.Stack != "" || len(s.Types) > 0 {
				v.errorf(p+".stack", "stack and types do not apply to gcpasset (use asset_types)")
			}
		case "":
			v.errorf(p, "type is required (tfplan, snapshot, awsconfig or gcpasset)")
		default:
			v.errorf(p+".type", "unknown inventory type %q (tfplan, snapshot, awsconfig or gcpasset)", s.Type)
		}
		if s.Type != "awsconfig" && (s.Path != "" || (s.Bucket != "" || s.Prefix != "") && s.Type != "gcpasset" || s.API != nil || s.AWSAccess != (AWSAccess{})) {
			v.errorf(p+".path", "path, bucket, prefix, api and the AWS keys apply only to type awsconfig (bucket and prefix also to gcpasset)")
		}
		if s.Type != "gcpasset" && (len(s.Parents) > 0 || len(s.AssetTypes) > 0 || len(s.Projects) > 0 || s.GCPAccess != (GCPAccess{})) {
			v.errorf(p+".parents", "parents, asset_types, projects, credentials_file and endpoint apply only to type gcpasset")
		}
	}
	for i, s := range c.Events {
		p := fmt.Sprintf("events[%d]", i)
		unique(p+".name", s.Name)
		if s.Type != "cloudtrail_files" && s.Layout != "" {
			v.errorf(p+".layout", "layout applies only to cloudtrail_files")
		}
		if s.Type != "cloudtrail_files" && (s.ValidateDigests || s.PublicKeysFile != "") {
			v.errorf(p+".validate_digests", "validate_digests and public_keys_file apply only to cloudtrail_files")
		}
		if s.Type != "cloudtrail_api" && (s.RoleARNTemplate != "" || s.SessionName != "" || s.RateLimit != 0) {
			v.errorf(p+".role_arn_template", "role_arn_template, session_name and rate_limit apply only to cloudtrail_api")
		}
		if s.Type != "cloudtrail_files" && s.Type != "gcpaudit_files" && s.RelistWindow != 0 {
			v.errorf(p+".relist_window", "relist_window applies only to cloudtrail_files and gcpaudit_files")
		} else if s.RelistWindow < 0 || s.RelistWindow.D() > 24*time.Hour {
			v.errorf(p+".relist_window", "relist_window must be between 0 (the default, 30m) and 24h, got %s", s.RelistWindow.D())
		}
		switch s.Type {
		case "cloudtrail_files":
			if (s.Path == "") == (s.Bucket == "") {
				v.errorf(p+".path", "a cloudtrail_files source reads a local directory (path) or a bucket (bucket), exactly one")
			}
			if s.PublicKeysFile != "" && !s.ValidateDigests {
				v.errorf(p+".public_keys_file", "public_keys_file is used only with validate_digests: true")
			}
			switch s.Layout {
			case "", "cloudtrail":
			case "firehose":
				if s.ValidateDigests {
					v.errorf(p+".layout", "validate_digests applies to CloudTrail's own delivery, not to a Firehose stream's objects (no digest covers them)")
				}
			default:
				v.errorf(p+".layout", "layout must be cloudtrail (the default) or firehose, got %q", s.Layout)
			}
		case "cloudtrail_api":
			validateCloudTrailAPI(v, p, s)
		case "gcpaudit_api":
			if len(s.Parents) == 0 {
				v.errorf(p+".parents", "a gcpaudit_api source needs parents (projects/ID, folders/ID or organizations/ID)")
			}
			for j, pa := range s.Parents {
				if !strings.HasPrefix(pa, "projects/") && !strings.HasPrefix(pa, "folders/") &&
					!strings.HasPrefix(pa, "organizations/") && !strings.HasPrefix(pa, "billingAccounts/") {
					v.errorf(fmt.Sprintf("%s.parents[%d]", p, j), "want projects/ID, folders/ID or organizations/ID, got %q", pa)
				}
			}
			if s.Path != "" || s.Bucket != "" {
				v.errorf(p+".path", "path and bucket apply to gcpaudit_files, not gcpaudit_api")
			}
		case "gcpaudit_files":
			if (s.Path == "") == (s.Bucket == "") {
				v.errorf(p+".path", "a gcpaudit_files source reads a local directory (path) or a GCS bucket (bucket), exactly one")
			}
			if len(s.Parents) > 0 {
				v.errorf(p+".parents", "parents apply to gcpaudit_api, not gcpaudit_files")
			}
		case "":
			v.errorf(p, "type is required")
		default:
			if !knownEventTypes[s.Type] {
				v.errorf(p+".type", "unknown event source type %q", s.Type)
			}
		}
		if strings.HasPrefix(s.Type, "gcpaudit_") {
			for j, l := range s.Logs {
				if l != "activity" && l != "data_access" && l != "system_event" && l != "policy" {
					v.errorf(fmt.Sprintf("%s.logs[%d]", p, j), "unknown audit log %q (activity, data_access, system_event, policy)", l)
				}
			}
			if s.RequestsPerMinute < 0 || s.Overlap < 0 || s.InitialLookback < 0 {
				v.errorf(p+".requests_per_minute", "requests_per_minute, overlap and initial_lookback must not be negative")
			}
		} else if len(s.Parents) > 0 || len(s.Logs) > 0 || (s.Type != "cloudtrail_api" && (s.Overlap != 0 || s.InitialLookback != 0)) || s.RequestsPerMinute != 0 || s.GCPAccess != (GCPAccess{}) {
			v.errorf(p+".parents", "parents, logs, overlap, initial_lookback, requests_per_minute, credentials_file and endpoint apply only to gcpaudit_api and gcpaudit_files (overlap and initial_lookback also to cloudtrail_api)")
		}
	}
	for i, r := range c.Drift.Ignore {
		p := fmt.Sprintf("drift.ignore[%d]", i)
		if r.Resource == "" {
			v.errorf(p+".resource", "an ignore rule needs a resource pattern")
		} else if _, err := filepath.Match(r.Resource, ""); err != nil {
			v.errorf(p+".resource", "invalid pattern %q: %v", r.Resource, err)
		}
		for j, a := range r.Attributes {
			if _, err := filepath.Match(a, ""); err != nil {
				v.errorf(fmt.Sprintf("%s.attributes[%d]", p, j), "invalid pattern %q: %v", a, err)
			}
		}
	}
	for i, d := range c.Attribution.Deployers {
		if len(d.Principals) == 0 {
			v.errorf(fmt.Sprintf("attribution.deployers[%d].principals", i), "a deployer rule needs at least one principal pattern")
		}
	}
	c.validateAlerts(v)
	for id, s := range c.Policies.Severity {
		if _, ok := model.ParseSeverity(s); !ok {
			v.errorf("policies.severity."+id, "unknown severity %q (critical, high, medium, low, info)", s)
		}
	}
	bundleNames := map[string]bool{}
	for i, b := range c.Policies.Bundles {
		p := fmt.Sprintf("policies.bundles[%d]", i)
		if (b.URL == "") == (b.Path == "") {
			v.errorf(p, "set exactly one of url and path")
		}
		if b.URL != "" {
			if u, err := url.Parse(b.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				v.errorf(p+".url", "must be an https:// URL, not %q", b.URL)
			}
		}
		if bundleNames[b.Name] {
			v.errorf(p+".name", "bundle name %q is used twice", b.Name)
		}
		bundleNames[b.Name] = true
		if b.KeyID != "" && b.VerificationKeyFile == "" {
			v.errorf(p+".key_id", "key_id needs verification_key_file")
		}
		if b.PollInterval.D() < time.Second {
			v.errorf(p+".poll_interval", "must be at least 1s")
		}
	}
}

// validateAWSAccess checks the AWS connection keys of a source.
func validateAWSAccess(v *validator, p string, a AWSAccess) {
	if a.EndpointURL != "" {
		if u, err := url.Parse(a.EndpointURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.errorf(p+".endpoint_url", "must be an http(s) URL")
		} else if u.User != nil {
			v.errorf(p+".endpoint_url", "credentials are not allowed in the URL; the default AWS credential chain is used")
		}
	}
	if a.AssumeRoleARN != "" && !strings.HasPrefix(a.AssumeRoleARN, "arn:") {
		v.errorf(p+".assume_role_arn", "must be a role ARN (arn:aws:iam::<account>:role/<name>)")
	}
	if a.ExternalIDEnv != "" && a.AssumeRoleARN == "" {
		v.errorf(p+".external_id_env", "external_id_env applies only with assume_role_arn")
	}
}

func (c *Config) validateStore(v *validator) {
	st := c.Store
	set := 0
	for _, s := range []string{st.URL, st.URLEnv, st.URLFile} {
		if s != "" {
			set++
		}
	}
	if set > 1 {
		v.errorf("store.url", "set one of url, url_env and url_file")
	}
	if st.PasswordEnv != "" && st.PasswordFile != "" {
		v.errorf("store.password_env", "set password_env or password_file, not both")
	}
	if strings.HasPrefix(st.URL, "postgres://") || strings.HasPrefix(st.URL, "postgresql://") {
		u, err := url.Parse(st.URL)
		if err != nil {
			v.errorf("store.url", "invalid PostgreSQL URL")
		} else if _, has := u.User.Password(); has {
			v.errorf("store.url", "the password must not be written in the configuration file; use password_env, password_file or url_env")
		} else if q := u.Query(); q.Has("password") {
			v.errorf("store.url", "the password must not be written in the configuration file; use password_env, password_file or url_env")
		}
	}
}

// resolvePaths makes every relative path absolute against the config's directory.
func (c *Config) resolvePaths() {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(c.Dir, p)
	}
	if u := c.Store.URL; u != "" && !strings.Contains(u, "://") && !strings.HasPrefix(u, "file:") {
		c.Store.URL = abs(u)
	} else if strings.HasPrefix(u, "sqlite://") && !strings.HasPrefix(u, "sqlite:///") {
		c.Store.URL = "sqlite://" + abs(strings.TrimPrefix(u, "sqlite://"))
	}
	c.Store.URLFile = abs(c.Store.URLFile)
	c.Store.PasswordFile = abs(c.Store.PasswordFile)
	c.Server.APITokenFile = abs(c.Server.APITokenFile)
	c.Server.TLSCertFile, c.Server.TLSKeyFile = abs(c.Server.TLSCertFile), abs(c.Server.TLSKeyFile)
	for i := range c.States {
		s := &c.States[i]
		for j := range s.Paths {
			s.Paths[j] = abs(s.Paths[j])
		}
		s.PasswordFile = abs(s.PasswordFile)
		s.CAFile = abs(s.CAFile)
		s.CredentialsFile = abs(s.CredentialsFile)
		s.SSECustomerKeyFile, s.EncryptionKeyFile = abs(s.SSECustomerKeyFile), abs(s.EncryptionKeyFile)
	}
	for i := range c.Inventories {
		for j := range c.Inventories[i].Paths {
			c.Inventories[i].Paths[j] = abs(c.Inventories[i].Paths[j])
		}
		c.Inventories[i].Path = abs(c.Inventories[i].Path)
		c.Inventories[i].CredentialsFile = abs(c.Inventories[i].CredentialsFile)
	}
	for i := range c.Events {
		c.Events[i].Path = abs(c.Events[i].Path)
		c.Events[i].CredentialsFile = abs(c.Events[i].CredentialsFile)
		c.Events[i].PublicKeysFile = abs(c.Events[i].PublicKeysFile)
	}
	for i := range c.Drift.ProviderSchemas {
		c.Drift.ProviderSchemas[i] = abs(c.Drift.ProviderSchemas[i])
	}
	for i := range c.Policies.Dirs {
		c.Policies.Dirs[i] = abs(c.Policies.Dirs[i])
	}
	for i := range c.Policies.Bundles {
		b := &c.Policies.Bundles[i]
		b.Path, b.VerificationKeyFile = abs(b.Path), abs(b.VerificationKeyFile)
	}
	c.resolveAlertPaths(abs)
}

// StoreURL returns the store URL with the password filled in from its
// reference. The result is a secret: never log it.
func (c *Config) StoreURL() (string, error) {
	st := c.Store
	raw := st.URL
	if st.URLEnv != "" || st.URLFile != "" {
		v, err := ResolveSecret(st.URLEnv, st.URLFile)
		if err != nil {
			return "", fmt.Errorf("resolving store url: %w", err)
		}
		raw = v
	}
	pw, err := ResolveSecret(st.PasswordEnv, st.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("resolving store password: %w", err)
	}
	if pw == "" {
		return raw, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return "", fmt.Errorf("store password given but the store URL has no user name")
	}
	u.User = url.UserPassword(u.User.Username(), pw)
	return u.String(), nil
}

// knownEventTypes are the event source types besides cloudtrail_files,
// whose fields other validators check.
var knownEventTypes = map[string]bool{"cloudtrail_files": true}
