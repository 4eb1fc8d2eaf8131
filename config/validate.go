package config

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

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
		case "":
			v.errorf(p, "type is required (file or http)")
		default:
			v.errorf(p+".type", "unknown state source type %q (file or http)", s.Type)
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
		case "":
			v.errorf(p, "type is required (tfplan or snapshot)")
		default:
			v.errorf(p+".type", "unknown inventory type %q (tfplan or snapshot)", s.Type)
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
	for id, s := range c.Policies.Severity {
		if _, ok := model.ParseSeverity(s); !ok {
			v.errorf("policies.severity."+id, "unknown severity %q (critical, high, medium, low, info)", s)
		}
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
	for i := range c.States {
		s := &c.States[i]
		for j := range s.Paths {
			s.Paths[j] = abs(s.Paths[j])
		}
		s.PasswordFile = abs(s.PasswordFile)
		s.CAFile = abs(s.CAFile)
	}
	for i := range c.Inventories {
		for j := range c.Inventories[i].Paths {
			c.Inventories[i].Paths[j] = abs(c.Inventories[i].Paths[j])
		}
	}
	for i := range c.Drift.ProviderSchemas {
		c.Drift.ProviderSchemas[i] = abs(c.Drift.ProviderSchemas[i])
	}
	for i := range c.Policies.Dirs {
		c.Policies.Dirs[i] = abs(c.Policies.Dirs[i])
	}
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
