package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"
)

// Defaults applied before validation.
const (
	DefaultListen    = "127.0.0.1:9464"
	DefaultStoreURL  = "driftwarden.db"
	DefaultSchedule  = "@every 10m"
	DefaultRetention = Duration(400 * 24 * time.Hour)
	DefaultTimeout   = Duration(30 * time.Minute)
)

// Error is one problem in a configuration file, with where it is.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	if e.Key != "" {
		b.WriteString(": " + e.Key)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// Errors is every problem found in a file, in line order.
type Errors []*Error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Load reads, decodes and validates a configuration file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading configuration: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("resolving configuration path: %w", err)
	}
	return Parse(data, path, filepath.Dir(abs))
}

// Parse decodes and validates configuration text; file names it in errors
// and dir is where relative paths are resolved.
func Parse(data []byte, file, dir string) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, Errors{syntaxError(file, err)}
	}
	keys := indexLines(&root)

	cfg := &Config{File: file, Dir: dir}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, decodeErrors(file, keys, err)
	}
	cfg.applyDefaults()
	v := &validator{file: file, keys: keys}
	cfg.validate(v)
	if len(v.errs) > 0 {
		sort.SliceStable(v.errs, func(i, j int) bool { return v.errs[i].Line < v.errs[j].Line })
		return nil, v.errs
	}
	cfg.resolvePaths()
	if err := cfg.loadWaiversFile(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// lineIndex maps a dotted key path (states[0].type) to its line, and a
// line back to the key path defined there.
type lineIndex struct {
	byPath map[string]int
	byLine map[int]string
}

func indexLines(root *yaml.Node) lineIndex {
	ix := lineIndex{byPath: map[string]int{}, byLine: map[int]string{}}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, val := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				ix.byPath[p] = k.Line
				ix.byLine[k.Line] = p // deeper keys on a line win over their parents
				if val.Line != k.Line {
					if _, ok := ix.byLine[val.Line]; !ok {
						ix.byLine[val.Line] = p
					}
				}
				walk(val, p)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := path + "[" + strconv.Itoa(i) + "]"
				ix.byPath[p] = c.Line
				if _, ok := ix.byLine[c.Line]; !ok {
					ix.byLine[c.Line] = p
				}
				walk(c, p)
			}
		}
	}
	walk(root, "")
	return ix
}

func (ix lineIndex) line(path string) int {
	for p := path; p != ""; {
		if l, ok := ix.byPath[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

var (
	lineRe      = regexp.MustCompile(`^line (\d+): (.*)$`)
	notFoundRe  = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
	secretNames = regexp.MustCompile(`(?i)^(password|token|secret|api_key|webhook_url|private_key|signing_secret)$`)
)

func syntaxError(file string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := lineRe.FindStringSubmatch(msg); m != nil {
		l, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: l, Msg: "invalid YAML: " + m[2]}
	}
	return &Error{File: file, Msg: "invalid YAML: " + msg}
}

// decodeErrors turns yaml.v3's decode errors into file:line: key: message.
func decodeErrors(file string, keys lineIndex, err error) error {
	var te *yaml.TypeError
	raw := []string{err.Error()}
	if errors.As(err, &te) {
		raw = te.Errors
	}
	var out Errors
	for _, r := range raw {
		r = strings.TrimPrefix(r, "yaml: ")
		e := &Error{File: file, Msg: r}
		if m := lineRe.FindStringSubmatch(r); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Msg = m[2]
			e.Key = keys.byLine[e.Line]
		}
		if m := notFoundRe.FindStringSubmatch(e.Msg); m != nil {
			name := m[1]
			e.Msg = fmt.Sprintf("unknown key %q", name)
			if secretNames.MatchString(name) {
				e.Msg += fmt.Sprintf(": secrets are never written in the configuration file; use %s_env (an environment variable) or %s_file (a file)", name, name)
			}
		} else if strings.HasPrefix(e.Msg, "cannot unmarshal") {
			e.Msg = "wrong type: " + e.Msg
		}
		out = append(out, e)
	}
	return out
}

type validator struct {
	file string
	keys lineIndex
	errs Errors
}

func (v *validator) errorf(path, format string, args ...any) {
	v.errs = append(v.errs, &Error{File: v.file, Line: v.keys.line(path), Key: path, Msg: fmt.Sprintf(format, args...)})
}

// UnmarshalYAML accepts Go durations plus a "d" (day) suffix.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	s := strings.TrimSpace(n.Value)
	dur, err := ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(dur)
	return nil
}

// ParseDuration parses 90s, 10m, 12h, 400d or combinations (1d12h).
func ParseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("empty duration")
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.Atoi(s[:i])
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid duration %q (use 90s, 10m, 12h or 30d)", s)
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q (use 90s, 10m, 12h or 30d)", s)
	}
	return days + d, nil
}

// UnmarshalYAML accepts 2027-01-31 or an RFC 3339 time.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	s := strings.TrimSpace(n.Value)
	if t, err := time.Parse("2006-01-02", s); err == nil {
		// A date means the whole day: it expires at the end of it (UTC).
		d.Time = t.Add(24*time.Hour - time.Nanosecond)
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("line %d: invalid date %q (use 2027-01-31 or an RFC 3339 time)", n.Line, s)
	}
	d.Time = t
	return nil
}

// UnmarshalYAML validates the cron spec.
func (c *CronSpec) UnmarshalYAML(n *yaml.Node) error {
	if _, err := ParseCron(n.Value); err != nil {
		return fmt.Errorf("line %d: invalid cron spec %q: %w", n.Line, n.Value, err)
	}
	*c = CronSpec(n.Value)
	return nil
}

// ParseCron parses a standard 5-field spec, a descriptor (@hourly, @every 5m)
// or either with a CRON_TZ= prefix.
func ParseCron(spec string) (cron.Schedule, error) {
	return cron.ParseStandard(spec)
}

// ResolveSecret reads a secret given by reference: an environment variable
// name or a file path (trailing newline trimmed). It returns "" when neither
// is set. Errors never contain the secret.
func ResolveSecret(env, file string) (string, error) {
	switch {
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", env)
		}
		return v, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading secret file: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return "", nil
}
