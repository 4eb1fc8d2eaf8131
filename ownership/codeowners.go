package ownership

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"strings"
)

// Codeowners is a parsed CODEOWNERS file (GitHub/GitLab syntax): one pattern
// per line followed by owners; gitignore-style patterns; the last matching
// line wins; a pattern without owners un-owns what it matches.
type Codeowners struct {
	File  string
	lines []coLine
}

type coLine struct {
	line     int
	raw      string
	segs     []string
	anchored bool
	dirOnly  bool
	owners   []string
}

// LoadCodeowners reads a CODEOWNERS file.
func LoadCodeowners(file string) (*Codeowners, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading CODEOWNERS: %w", err)
	}
	return ParseCodeowners(file, data)
}

// ParseCodeowners parses CODEOWNERS text; file names it in errors.
func ParseCodeowners(file string, data []byte) (*Codeowners, error) {
	co := &Codeowners{File: file}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if strings.HasPrefix(text, "[") || strings.HasPrefix(text, "^[") {
			continue // a GitLab section header
		}
		if i := strings.Index(text, " #"); i >= 0 {
			text = strings.TrimSpace(text[:i])
		}
		fields := strings.Fields(text)
		pat := fields[0]
		if strings.HasPrefix(pat, "!") {
			return nil, fmt.Errorf("%s:%d: negated pattern %q is not supported by CODEOWNERS", file, n, pat)
		}
		l := coLine{line: n, raw: pat}
		for _, o := range fields[1:] {
			l.owners = append(l.owners, TeamOf(o))
		}
		p := pat
		if strings.HasSuffix(p, "/") {
			l.dirOnly = true
			p = strings.TrimRight(p, "/")
		}
		if strings.HasPrefix(p, "/") {
			l.anchored = true
			p = strings.TrimLeft(p, "/")
		}
		if strings.Contains(p, "/") {
			l.anchored = true
		}
		if p == "" {
			p = "**"
		}
		l.segs = strings.Split(p, "/")
		for _, s := range l.segs {
			if _, err := path.Match(s, ""); err != nil {
				return nil, fmt.Errorf("%s:%d: invalid pattern %q: %w", file, n, pat, err)
			}
		}
		co.lines = append(co.lines, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	return co, nil
}

// TeamOf turns an owner into a team name: @org/team-name -> team-name,
// @user -> user, an email stays as it is.
func TeamOf(owner string) string {
	o := strings.TrimPrefix(owner, "@")
	if i := strings.LastIndexByte(o, '/'); i >= 0 && strings.HasPrefix(owner, "@") {
		o = o[i+1:]
	}
	return o
}

// Owner returns the first owner of dir (a module's directory relative to the
// repository root, "" for the root), the line that decided and its pattern.
// The directory, its ancestors and a file inside it (dir/main.tf) are
// matched, as git would match the module's files.
func (c *Codeowners) Owner(dir string) (team string, line int, pattern string) {
	dir = strings.Trim(path.Clean("/"+dir), "/")
	var cands []candidate
	if dir != "" {
		segs := strings.Split(dir, "/")
		for i := 1; i <= len(segs); i++ {
			cands = append(cands, candidate{segs: segs[:i], dir: true})
		}
		cands = append(cands, candidate{segs: append(append([]string(nil), segs...), "main.tf")})
	} else {
		cands = append(cands, candidate{segs: []string{"main.tf"}})
	}
	for i := len(c.lines) - 1; i >= 0; i-- {
		l := c.lines[i]
		for _, cd := range cands {
			if l.match(cd) {
				if len(l.owners) == 0 {
					return "", l.line, l.raw
				}
				return l.owners[0], l.line, l.raw
			}
		}
	}
	return "", 0, ""
}

type candidate struct {
	segs []string
	dir  bool
}

func (l coLine) match(c candidate) bool {
	if l.dirOnly && !c.dir {
		return false
	}
	if !l.anchored {
		// A bare name matches at any depth.
		ok, _ := path.Match(l.segs[0], c.segs[len(c.segs)-1])
		return ok
	}
	if segMatch(l.segs, c.segs) {
		return true
	}
	return false
}

// LoadModules reads Terraform's .terraform/modules/modules.json and returns
// module key -> directory (relative to the root module, slash separated).
func LoadModules(file string) (map[string]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading modules.json: %w", err)
	}
	var doc struct {
		Modules []struct {
			Key    string `json:"Key"`
			Source string `json:"Source"`
			Dir    string `json:"Dir"`
		} `json:"Modules"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", file, err)
	}
	out := map[string]string{}
	for _, m := range doc.Modules {
		if m.Key == "" {
			continue // the root module
		}
		dir := strings.TrimPrefix(path.Clean(strings.ReplaceAll(m.Dir, `\`, "/")), "./")
		out[m.Key] = dir
	}
	return out, nil
}
