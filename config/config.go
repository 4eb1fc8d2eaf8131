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
	Drift       Drift       `yaml:"drift"`
	Policies    Policies    `yaml:"policies"`

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
}

// Inventory is one live inventory source.
type Inventory struct {
	Name  string   `yaml:"name"`
	Type  string   `yaml:"type"` // tfplan, snapshot
	Paths []string `yaml:"paths"`
	// Stack names the stack of a single refresh-only plan (tfplan).
	Stack string `yaml:"stack"`
	// Types adds resource types the snapshot enumerates completely (snapshot).
	Types []string `yaml:"types"`
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
}

// Duration is a time.Duration written as 90s, 10m, 12h or 400d.
type Duration time.Duration

// D returns the duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Date is a calendar date (2027-01-31) or an RFC 3339 time.
type Date struct{ time.Time }

// CronSpec is a validated cron expression.
type CronSpec string
