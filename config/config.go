// Package config loads driftwarden's one YAML configuration file.
//
// Decoding is strict: an unknown key, a wrong type, a bad cron spec or an
// invalid value is an error naming the file, the line and the key. Secrets
// are accepted only by reference (*_env names an environment variable,
// *_file a file), never inline. Relative paths are resolved against the
// directory of the configuration file. Every key is documented in
// docs/configuration.md.
package config

import (
	"time"
)

// Config is the whole configuration file.
type Config struct {
	Log         Log         `yaml:"log"`
	Server      Server      `yaml:"server"`
	Store       Store       `yaml:"store"`
	Schedule    Schedule    `yaml:"schedule"`
	States      []State     `yaml:"states"`
	Inventories []Inventory `yaml:"inventories"`
	Events      []Events    `yaml:"events"`
	Drift       Drift       `yaml:"drift"`
	Attribution Attribution `yaml:"attribution"`
	Policies    Policies    `yaml:"policies"`
	// Stacks assigns owners to stacks by name pattern (ownership).
	Stacks []StackOwner `yaml:"stacks"`
	// Alerts configures ownership routing and notifiers (config/alerts.go).
	Alerts Alerts `yaml:"alerts"`
	// Waivers are compliance exceptions; WaiversFile holds more of them.
	Waivers     []Waiver `yaml:"waivers"`
	WaiversFile string   `yaml:"waivers_file"`

	// Warnings are non-fatal remarks found at load (a waiver expiring more
	// than a year out); the CLI and the daemon log them.
	Warnings []string `yaml:"-"`

	// File is the path the configuration was loaded from.
	File string `yaml:"-"`
	// Dir is the directory relative paths were resolved against.
	Dir string `yaml:"-"`
}

// Log configures structured logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text, json
}

// Server configures the HTTP listener for /metrics, /healthz and /readyz.
type Server struct {
	Listen string `yaml:"listen"`
	// APITokenEnv/APITokenFile supply the bearer token of the HTTP API
	// (/api/v1/...); without one the API is disabled.
	APITokenEnv  string `yaml:"api_token_env"`
	APITokenFile string `yaml:"api_token_file"`
	// TLSCertFile/TLSKeyFile serve HTTPS instead of HTTP (both or neither).
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
}

// Store configures where findings, cycles and checkpoints are kept.
type Store struct {
	// URL is a SQLite path (sqlite://path or a plain path) or a PostgreSQL
	// URL without a password.
	URL     string `yaml:"url"`
	URLEnv  string `yaml:"url_env"`
	URLFile string `yaml:"url_file"`
	// PasswordEnv/PasswordFile supply the PostgreSQL password.
	PasswordEnv  string   `yaml:"password_env"`
	PasswordFile string   `yaml:"password_file"`
	Retention    Duration `yaml:"retention"`
}

// Schedule configures when cycles run.
type Schedule struct {
	// Scan is a cron spec (5 fields, @every 10m, @hourly, CRON_TZ=...).
	Scan CronSpec `yaml:"scan"`
	// RunOnStart runs one cycle at startup, before the first scheduled one.
	RunOnStart *bool `yaml:"run_on_start"`
	// Timeout bounds one cycle.
	Timeout Duration `yaml:"timeout"`
}

// State is one source of applied Terraform state.
type State struct {
	Name string `yaml:"name"`
	Type string `yaml:"type"` // file, http
	// file
	Paths []string `yaml:"paths"`
	// Stack fixes the stack name (one file or one HTTP address only).
	Stack string `yaml:"stack"`
	// http
	URL          string            `yaml:"url"`
	Username     string            `yaml:"username"`
	PasswordEnv  string            `yaml:"password_env"`
	PasswordFile string            `yaml:"password_file"`
	Headers      map[string]string `yaml:"headers"`
	// HeadersFromEnv sets headers whose values are secrets: header -> env var.
	HeadersFromEnv map[string]string `yaml:"headers_from_env"`
	Timeout        Duration          `yaml:"timeout"`
	CAFile         string            `yaml:"ca_file"`
	// ownership and classification of every stack from this source
	Owner      string `yaml:"owner"`
	Production bool   `yaml:"production"`
	// Deployers are the principals that deploy these stacks (globs over
	// role ARNs, service accounts, persons).
	Deployers []string `yaml:"deployers"`
	// s3: the S3 backend's bucket and key (or keys_under to discover every
	// state under a prefix) and workspace_key_prefix (default env:).
	Bucket             string `yaml:"bucket"`
	Key                string `yaml:"key"`
	KeysUnder          string `yaml:"keys_under"`
	WorkspaceKeyPrefix string `yaml:"workspace_key_prefix"`
	// SSECustomerKeyEnv names the environment variable holding the
	// backend's sse_customer_key (base64, states encrypted with SSE-C).
	SSECustomerKeyEnv  string `yaml:"sse_customer_key_env"`
	SSECustomerKeyFile string `yaml:"sse_customer_key_file"` // or a file holding it
	AWSAccess          `yaml:",inline"`
	// gcs: the gcs backend's bucket and prefix; every
	// <prefix>/<workspace>.tfstate below it is one stack.
	Prefix string `yaml:"prefix"`
	// EncryptionKeyEnv names the environment variable holding the gcs
	// backend's encryption_key (base64 customer-supplied key).
	EncryptionKeyEnv  string `yaml:"encryption_key_env"`
	EncryptionKeyFile string `yaml:"encryption_key_file"` // or a file holding it
	GCPAccess         `yaml:",inline"`
}

// AWSAccess says how a source reaches AWS (s3 states, awsconfig
// inventories): the default credential chain, optionally assuming a role.
type AWSAccess struct {
	Region         string `yaml:"region"`
	EndpointURL    string `yaml:"endpoint_url"`
	ForcePathStyle bool   `yaml:"force_path_style"`
	AssumeRoleARN  string `yaml:"assume_role_arn"`
	// ExternalIDEnv names the environment variable holding the role's
	// external id.
	ExternalIDEnv string `yaml:"external_id_env"`
}

// Inventory is one live inventory source.
type Inventory struct {
	Name  string   `yaml:"name"`
	Type  string   `yaml:"type"` // tfplan, snapshot
	Paths []string `yaml:"paths"`
	// Stack names the stack of a single refresh-only plan (tfplan).
	Stack string `yaml:"stack"`
	// Types adds resource types the snapshot enumerates completely
	// (snapshot, awsconfig).
	Types []string `yaml:"types"`
	// awsconfig: a local directory of snapshots (path), or the delivery
	// bucket and key prefix in front of AWSLogs/, or the API.
	Path      string          `yaml:"path"`
	Bucket    string          `yaml:"bucket"`
	Prefix    string          `yaml:"prefix"`
	API       *AWSConfigQuery `yaml:"api"`
	AWSAccess `yaml:",inline"`
	// gcpasset: Parents (projects/P, folders/F, organizations/O) read with
	// ListAssets, or export files in paths or in bucket/prefix (GCS).
	// AssetTypes are the CAI asset types listed (api) or held completely
	// by the export (coverage); Projects restrict an export's coverage.
	Parents    []string `yaml:"parents"`
	AssetTypes []string `yaml:"asset_types"`
	Projects   []string `yaml:"projects"`
	GCPAccess  `yaml:",inline"`
}

// AWSConfigQuery selects AWS Config advanced queries (awsconfig api).
type AWSConfigQuery struct {
	Aggregator string   `yaml:"aggregator"`
	Accounts   []string `yaml:"accounts"`
	Regions    []string `yaml:"regions"`
	Types      []string `yaml:"types"`
}

// Drift configures comparison and noise control.
type Drift struct {
	// Unmanaged reports live resources that no state manages (default true).
	Unmanaged *bool `yaml:"unmanaged"`
	// UnmanagedIgnoreTypes are types never reported as unmanaged.
	UnmanagedIgnoreTypes []string `yaml:"unmanaged_ignore_types"`
	// ProviderSchemas are outputs of `terraform providers schema -json`.
	ProviderSchemas []string     `yaml:"provider_schemas"`
	Ignore          []IgnoreRule `yaml:"ignore"`
}

// IgnoreRule silences drift on a resource pattern, optionally only some attributes.
type IgnoreRule struct {
	Resource   string   `yaml:"resource"`
	Attributes []string `yaml:"attributes"`
	Reason     string   `yaml:"reason"`
	Expires    Date     `yaml:"expires"`
}

// Policies configures the Rego policy set.
type Policies struct {
	// Builtin enables the embedded library (default true).
	Builtin *bool `yaml:"builtin"`
	// Dirs are user policy folders.
	Dirs []string `yaml:"dirs"`
	// Disabled lists policy ids not to evaluate.
	Disabled []string `yaml:"disabled"`
	// Severity overrides a policy's severity: id -> severity.
	Severity map[string]string `yaml:"severity"`
	// Data is visible to policies as data.driftwarden.config.
	Data map[string]any `yaml:"data"`
	// Bundles are OPA bundles (tar.gz) loaded next to the folders.
	Bundles []PolicyBundle `yaml:"bundles"`
	// Watch reloads the policies when a folder changes and polls bundles
	// (default true).
	Watch *bool `yaml:"watch"`
	// RequireTestsPass swaps a new policy set in only if its tests pass.
	RequireTestsPass bool `yaml:"require_tests_pass"`
}

// PolicyBundle is an OPA bundle from a file or an HTTP(S) URL.
type PolicyBundle struct {
	// Name labels the bundle in logs and metrics (default bundle-N).
	Name string `yaml:"name"`
	URL  string `yaml:"url"`
	Path string `yaml:"path"`
	// VerificationKeyFile is a PEM public key (RSA or ECDSA); when set the
	// bundle's .signatures.json must verify with it.
	VerificationKeyFile string `yaml:"verification_key_file"`
	KeyID               string `yaml:"key_id"`
	// PollInterval is how often the bundle is fetched again (default 1m).
	PollInterval Duration `yaml:"poll_interval"`
}

// Duration is a time.Duration written as 90s, 10m, 12h or 400d.
type Duration time.Duration

// D returns the duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Date is a calendar date (2027-01-31) or an RFC 3339 time.
type Date struct{ time.Time }

// CronSpec is a validated cron expression.
type CronSpec string

// Attribution configures who-changed-what verdicts.
type Attribution struct {
	// Deployers are the deploy pipeline's principals, per stack or source.
	Deployers []Deployer `yaml:"deployers"`
	// ApplySlack widens an apply's window backwards (default 15m).
	ApplySlack Duration `yaml:"apply_slack"`
	// ApplyGrace is how long a deployer's event waits for its apply (default 30m).
	ApplyGrace Duration `yaml:"apply_grace"`
	// InventoryLag is how old an out-of-band finding must be before a
	// drift-free inventory may resolve it (default 30m).
	InventoryLag Duration `yaml:"inventory_lag"`
}

// Deployer names the principals deploying some stacks.
type Deployer struct {
	Stacks     []string `yaml:"stacks"`
	Sources    []string `yaml:"sources"`
	Principals []string `yaml:"principals"`
}

// Events is one source of audit events.
type Events struct {
	Name string `yaml:"name"`
	// Type is cloudtrail_files (the S3 delivery layout, from a local
	// directory or a bucket) or, for other clouds, their own types.
	Type string `yaml:"type"`
	// Path is a local directory holding AWSLogs/... (exports, tests, the demo).
	Path string `yaml:"path"`
	// Bucket and Prefix locate the trail's S3 delivery.
	Bucket         string `yaml:"bucket"`
	Prefix         string `yaml:"prefix"`
	Region         string `yaml:"region"`
	EndpointURL    string `yaml:"endpoint_url"`
	ForcePathStyle bool   `yaml:"force_path_style"`
	// Accounts and Regions restrict what is read (empty: all found).
	Accounts []string `yaml:"accounts"`
	Regions  []string `yaml:"regions"`
	// IncludeReadOnly keeps read-only events (default: write events only).
	IncludeReadOnly bool `yaml:"include_read_only"`
	// AssumeRoleARN is assumed on top of the default credential chain.
	AssumeRoleARN string `yaml:"assume_role_arn"`
	ExternalIDEnv string `yaml:"external_id_env"`
	// cloudtrail_api (LookupEvents): RoleARNTemplate is assumed in every
	// account, {account} replaced (external_id_env is its external id);
	// empty reads the default chain's account. RateLimit is requests per
	// second per account and region (default and maximum 2). Overlap
	// (default 5m) and InitialLookback (default 1h) are shared with
	// gcpaudit_api below.
	RoleARNTemplate string  `yaml:"role_arn_template"`
	SessionName     string  `yaml:"session_name"`
	RateLimit       float64 `yaml:"rate_limit"`
	// ValidateDigests (cloudtrail_files) verifies the trail's hourly digest
	// files (log file integrity validation); PublicKeysFile is a PEM file of
	// CloudTrail public keys used instead of ListPublicKeys (offline, tests).
	ValidateDigests bool   `yaml:"validate_digests"`
	PublicKeysFile  string `yaml:"public_keys_file"`
	// Layout (cloudtrail_files) is where the files are: "cloudtrail" (the
	// default, CloudTrail's own delivery) or "firehose" (the objects of a
	// Firehose stream fed by a CloudWatch Logs subscription).
	Layout string `yaml:"layout"`
	// gcpaudit_api: the projects/P, folders/F or organizations/O whose
	// audit logs are read. gcpaudit_api and gcpaudit_files: Logs are the
	// audit logs read (activity by default; data_access, system_event,
	// policy are opt-in). Path/Bucket/Prefix locate gcpaudit_files exports.
	Parents []string `yaml:"parents"`
	Logs    []string `yaml:"logs"`
	// Overlap re-reads this much before the checkpoint (gcpaudit_api,
	// default 10m); InitialLookback is how far the first read goes back
	// (default 24h); RequestsPerMinute is the entries.list budget per
	// parent (default 60, the quota).
	Overlap           Duration `yaml:"overlap"`
	InitialLookback   Duration `yaml:"initial_lookback"`
	RequestsPerMinute int      `yaml:"requests_per_minute"`
	// RelistWindow (cloudtrail_files, gcpaudit_files) is how far back, in
	// the time in the file names, each cycle lists again for files
	// delivered late or out of order (default 30m).
	RelistWindow Duration `yaml:"relist_window"`
	GCPAccess    `yaml:",inline"`
}

// GCPAccess says how a source reaches Google Cloud: Application Default
// Credentials, or a service-account key file; Endpoint replaces the API
// endpoint (tests, private endpoints).
type GCPAccess struct {
	CredentialsFile string `yaml:"credentials_file"`
	Endpoint        string `yaml:"endpoint"`
}
