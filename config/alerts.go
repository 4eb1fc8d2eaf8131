package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/driftwarden/driftwarden/model"
)

// Alerts configures ownership routing and notifications.
type Alerts struct {
	// Notifier is slack, file, log or none (default none).
	Notifier string      `yaml:"notifier"`
	Slack    SlackConfig `yaml:"slack"`
	File     FileConfig  `yaml:"file"`
	// Teams maps a team to its channel, minimum severity and mention.
	Teams map[string]TeamConfig `yaml:"teams"`
	// OwnerTags are the tag/label keys naming a resource's team (default team, owner).
	OwnerTags   []string         `yaml:"owner_tags"`
	DefaultTeam string           `yaml:"default_team"`
	Rules       []OwnerRule      `yaml:"rules"`
	Codeowners  CodeownersConfig `yaml:"codeowners"`
	// RunbookURL is a text/template over the finding ({{.PolicyID}}, {{.Fingerprint}}, ...).
	RunbookURL string `yaml:"runbook_url"`
	// RatePerChannel is messages per second per channel (default 1).
	RatePerChannel float64 `yaml:"rate_per_channel"`
	// MaxItems is how many findings one message lists (default 10).
	MaxItems int `yaml:"max_items"`
}

// SlackConfig holds Slack credentials, by reference only.
type SlackConfig struct {
	TokenEnv          string `yaml:"token_env"`
	TokenFile         string `yaml:"token_file"`
	WebhookURLEnv     string `yaml:"webhook_url_env"`
	WebhookURLFile    string `yaml:"webhook_url_file"`
	SigningSecretEnv  string `yaml:"signing_secret_env"`
	SigningSecretFile string `yaml:"signing_secret_file"`
	DefaultChannel    string `yaml:"default_channel"`
	// APIURL overrides Slack's Web API base URL (tests, proxies).
	APIURL string `yaml:"api_url"`
}

// FileConfig configures the file notifier.
type FileConfig struct {
	Path string `yaml:"path"`
}

// TeamConfig routes one team's alerts.
type TeamConfig struct {
	Channel     string `yaml:"channel"`
	MinSeverity string `yaml:"min_severity"`
	Mention     string `yaml:"mention"`
}

// OwnerRule assigns a team to resources matching all the given patterns.
type OwnerRule struct {
	Match OwnerMatch `yaml:"match"`
	Team  string     `yaml:"team"`
}

// OwnerMatch selects resources (globs; empty means any).
type OwnerMatch struct {
	Address string `yaml:"address"`
	Module  string `yaml:"module"`
	Account string `yaml:"account"`
	Project string `yaml:"project"`
	Type    string `yaml:"type"`
	Stack   string `yaml:"stack"`
}

// CodeownersConfig points at the Terraform repository's CODEOWNERS and the
// modules.json that maps module addresses to their source directories.
type CodeownersConfig struct {
	File        string `yaml:"file"`
	ModulesJSON string `yaml:"modules_json"`
}

// StackOwner assigns an owner to stacks whose name matches a glob.
type StackOwner struct {
	Name  string `yaml:"name"`
	Owner string `yaml:"owner"`
}

// Waiver is a compliance exception.
type Waiver struct {
	Policy   string `yaml:"policy"`
	Resource string `yaml:"resource"`
	Stack    string `yaml:"stack"`
	Team     string `yaml:"team"`
	Kind     string `yaml:"kind"`
	Reason   string `yaml:"reason"`
	Approver string `yaml:"approver"`
	Expires  Date   `yaml:"expires"`

	// Origin is where the waiver was written (file:line).
	Origin string `yaml:"-"`
}

// waiversFile is the document of waivers_file.
type waiversFile struct {
	Waivers []Waiver `yaml:"waivers"`
}

func (c *Config) applyAlertDefaults() {
	if c.Alerts.Notifier == "" {
		c.Alerts.Notifier = "none"
	}
	if c.Alerts.RatePerChannel == 0 {
		c.Alerts.RatePerChannel = 1
	}
	if c.Alerts.MaxItems == 0 {
		c.Alerts.MaxItems = 10
	}
}

func (c *Config) validateAlerts(v *validator) {
	c.applyAlertDefaults()
	a := c.Alerts
	switch a.Notifier {
	case "none", "log":
	case "file":
		if a.File.Path == "" {
			v.errorf("alerts.file.path", "the file notifier needs a path")
		}
	case "slack":
		s := a.Slack
		bot := s.TokenEnv != "" || s.TokenFile != ""
		hook := s.WebhookURLEnv != "" || s.WebhookURLFile != ""
		if !bot && !hook {
			v.errorf("alerts.slack", "the slack notifier needs token_env/token_file (bot token) or webhook_url_env/webhook_url_file")
		}
		if s.TokenEnv != "" && s.TokenFile != "" {
			v.errorf("alerts.slack.token_env", "set token_env or token_file, not both")
		}
		if s.WebhookURLEnv != "" && s.WebhookURLFile != "" {
			v.errorf("alerts.slack.webhook_url_env", "set webhook_url_env or webhook_url_file, not both")
		}
		if s.SigningSecretEnv != "" && s.SigningSecretFile != "" {
			v.errorf("alerts.slack.signing_secret_env", "set signing_secret_env or signing_secret_file, not both")
		}
		if bot && s.DefaultChannel == "" {
			for team, t := range a.Teams {
				if t.Channel == "" {
					v.errorf("alerts.teams."+team+".channel", "with a bot token every team needs a channel (or set alerts.slack.default_channel)")
				}
			}
		}
	default:
		v.errorf("alerts.notifier", "unknown notifier %q (slack, file, log or none)", a.Notifier)
	}
	for team, t := range a.Teams {
		if t.MinSeverity != "" {
			if _, ok := model.ParseSeverity(t.MinSeverity); !ok {
				v.errorf("alerts.teams."+team+".min_severity", "unknown severity %q (critical, high, medium, low, info)", t.MinSeverity)
			}
		}
	}
	if a.RatePerChannel < 0 {
		v.errorf("alerts.rate_per_channel", "must be positive")
	}
	if a.MaxItems < 0 || a.MaxItems > 12 {
		v.errorf("alerts.max_items", "must be between 1 and 12 (Slack allows 50 blocks per message)")
	}
	if a.RunbookURL != "" {
		if _, err := template.New("runbook").Option("missingkey=error").Parse(a.RunbookURL); err != nil {
			v.errorf("alerts.runbook_url", "invalid template: %v", err)
		}
	}
	for i, r := range a.Rules {
		p := fmt.Sprintf("alerts.rules[%d]", i)
		if r.Team == "" {
			v.errorf(p+".team", "a rule needs a team")
		}
		m := r.Match
		if m == (OwnerMatch{}) {
			v.errorf(p+".match", "a rule needs at least one of address, module, account, project, type, stack")
		}
		for k, pat := range map[string]string{"address": m.Address, "module": m.Module, "account": m.Account, "project": m.Project, "type": m.Type, "stack": m.Stack} {
			if _, err := path.Match(strings.ReplaceAll(pat, ".", "/"), ""); err != nil {
				v.errorf(p+".match."+k, "invalid pattern %q: %v", pat, err)
			}
		}
	}
	if a.Codeowners.ModulesJSON != "" && a.Codeowners.File == "" {
		v.errorf("alerts.codeowners.file", "modules_json needs a CODEOWNERS file")
	}
	for i, s := range c.Stacks {
		p := fmt.Sprintf("stacks[%d]", i)
		if s.Name == "" || s.Owner == "" {
			v.errorf(p, "a stacks entry needs name (a glob) and owner")
		} else if _, err := path.Match(s.Name, ""); err != nil {
			v.errorf(p+".name", "invalid pattern %q: %v", s.Name, err)
		}
	}
	now := time.Now()
	for i := range c.Waivers {
		c.Waivers[i].Origin = fmt.Sprintf("%s:%d", v.file, v.keys.line(fmt.Sprintf("waivers[%d]", i)))
		c.validateWaiver(v, fmt.Sprintf("waivers[%d]", i), c.Waivers[i], now)
	}
}

func (c *Config) validateWaiver(v *validator, p string, w Waiver, now time.Time) {
	if strings.TrimSpace(w.Reason) == "" {
		v.errorf(p+".reason", "a waiver needs a reason")
	}
	if strings.TrimSpace(w.Approver) == "" {
		v.errorf(p+".approver", "a waiver needs an approver")
	}
	if w.Expires.IsZero() {
		v.errorf(p+".expires", "a waiver needs an expiry date (expires: 2027-01-31)")
	} else if w.Expires.After(now.AddDate(1, 0, 0)) {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s:%d: %s.expires: waiver expires %s, more than a year from now; exceptions should be reviewed at least yearly",
			v.file, v.keys.line(p+".expires"), p, w.Expires.Format("2006-01-02")))
	}
	if w.Policy == "" && w.Resource == "" && w.Stack == "" && w.Team == "" && w.Kind == "" {
		v.errorf(p, "a waiver needs a selector: at least one of policy, resource, stack, team, kind")
	}
	if w.Kind != "" {
		ok := false
		for _, k := range model.FindingKinds {
			ok = ok || string(k) == w.Kind
		}
		if !ok {
			v.errorf(p+".kind", "unknown finding kind %q", w.Kind)
		}
	}
}

func (c *Config) resolveAlertPaths(abs func(string) string) {
	c.Alerts.File.Path = abs(c.Alerts.File.Path)
	c.Alerts.Slack.TokenFile = abs(c.Alerts.Slack.TokenFile)
	c.Alerts.Slack.WebhookURLFile = abs(c.Alerts.Slack.WebhookURLFile)
	c.Alerts.Slack.SigningSecretFile = abs(c.Alerts.Slack.SigningSecretFile)
	c.Alerts.Codeowners.File = abs(c.Alerts.Codeowners.File)
	c.Alerts.Codeowners.ModulesJSON = abs(c.Alerts.Codeowners.ModulesJSON)
	c.WaiversFile = abs(c.WaiversFile)
}

// loadWaiversFile reads waivers_file (strict, file:line errors) and appends
// its waivers to Waivers.
func (c *Config) loadWaiversFile() error {
	if c.WaiversFile == "" {
		return nil
	}
	data, err := os.ReadFile(c.WaiversFile)
	if err != nil {
		return fmt.Errorf("reading waivers file: %w", err)
	}
	file := c.WaiversFile
	if rel, err := filepath.Rel(c.Dir, file); err == nil && !strings.HasPrefix(rel, "..") {
		file = rel
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Errors{syntaxError(file, err)}
	}
	keys := indexLines(&root)
	var doc waiversFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return decodeErrors(file, keys, err)
	}
	v := &validator{file: file, keys: keys}
	now := time.Now()
	for i := range doc.Waivers {
		p := fmt.Sprintf("waivers[%d]", i)
		doc.Waivers[i].Origin = fmt.Sprintf("%s:%d", file, keys.line(p))
		c.validateWaiver(v, p, doc.Waivers[i], now)
	}
	if len(v.errs) > 0 {
		sort.SliceStable(v.errs, func(i, j int) bool { return v.errs[i].Line < v.errs[j].Line })
		return v.errs
	}
	c.Waivers = append(c.Waivers, doc.Waivers...)
	return nil
}
