package drift

import (
	"fmt"
	"strconv"
	"strings"
)

// filter is a compiled set of attribute path globs ("user_data",
// "tags.LastScanned", "ingress[*].description", "root_block_device[*].volume_id")
// walked alongside the values, so that ignoring a path costs a map lookup
// and no string building on the equal path.
type filter struct {
	stop     bool               // this path and everything below it is ignored
	keys     map[string]*filter // literal object keys
	globs    []globChild        // object key globs ("Last*", "*")
	anyIndex *filter            // [*]
	indexes  map[int]*filter    // [3]
}

type globChild struct {
	pattern string
	f       *filter
}

// compileFilter compiles path globs into one filter; nil when there are none.
func compileFilter(paths ...[]string) (*filter, error) {
	var root *filter
	for _, list := range paths {
		for _, p := range list {
			segs, err := splitPathGlob(p)
			if err != nil {
				return nil, err
			}
			if root == nil {
				root = &filter{}
			}
			root.add(segs)
		}
	}
	return root, nil
}

func (f *filter) add(segs []segment) {
	n := f
	for _, s := range segs {
		if n.stop {
			return
		}
		n = n.step(s)
	}
	n.stop = true
	n.keys, n.globs, n.anyIndex, n.indexes = nil, nil, nil, nil
}

func (f *filter) step(s segment) *filter {
	switch {
	case s.index == anyIdx:
		if f.anyIndex == nil {
			f.anyIndex = &filter{}
		}
		return f.anyIndex
	case s.index >= 0:
		if f.indexes == nil {
			f.indexes = map[int]*filter{}
		}
		if f.indexes[s.index] == nil {
			f.indexes[s.index] = &filter{}
		}
		return f.indexes[s.index]
	case strings.ContainsAny(s.key, "*?"):
		for _, g := range f.globs {
			if g.pattern == s.key {
				return g.f
			}
		}
		c := &filter{}
		f.globs = append(f.globs, globChild{s.key, c})
		return c
	default:
		if f.keys == nil {
			f.keys = map[string]*filter{}
		}
		if f.keys[s.key] == nil {
			f.keys[s.key] = &filter{}
		}
		return f.keys[s.key]
	}
}

// key returns the filter below an object key (nil: nothing ignored below).
func (f *filter) key(k string) *filter {
	if f == nil {
		return nil
	}
	var found *filter
	if f.keys != nil {
		found = f.keys[k]
	}
	for _, g := range f.globs {
		if globMatch(g.pattern, k) {
			found = merge(found, g.f)
		}
	}
	return found
}

// index returns the filter below list element i; i < 0 means an element of
// an unordered set, where only [*] applies.
func (f *filter) index(i int) *filter {
	if f == nil {
		return nil
	}
	found := f.anyIndex
	if i >= 0 && f.indexes != nil {
		found = merge(found, f.indexes[i])
	}
	return found
}

// merge combines two filters matching the same value (rare: overlapping globs).
func merge(a, b *filter) *filter {
	switch {
	case a == nil:
		return b
	case b == nil || a == b:
		return a
	case a.stop || b.stop:
		return &filter{stop: true}
	}
	m := &filter{globs: append(append([]globChild(nil), a.globs...), b.globs...)}
	m.anyIndex = merge(a.anyIndex, b.anyIndex)
	for _, src := range []*filter{a, b} {
		for k, v := range src.keys {
			if m.keys == nil {
				m.keys = map[string]*filter{}
			}
			m.keys[k] = merge(m.keys[k], v)
		}
		for k, v := range src.indexes {
			if m.indexes == nil {
				m.indexes = map[int]*filter{}
			}
			m.indexes[k] = merge(m.indexes[k], v)
		}
	}
	return m
}

func (f *filter) stopped() bool { return f != nil && f.stop }

const anyIdx = -2

// segment is one step of an attribute path: an object key or a list index.
type segment struct {
	key   string
	index int // -1 for a key, anyIdx for [*]
}

// splitPathGlob parses a.b[0].c, a[*].b, tags["kubernetes.io/x"] and a.*.
func splitPathGlob(p string) ([]segment, error) {
	if p == "" {
		return nil, fmt.Errorf("empty attribute path")
	}
	var segs []segment
	i := 0
	for i < len(p) {
		switch p[i] {
		case '.':
			i++
		case '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("attribute path %q: unclosed [", p)
			}
			in := p[i+1 : i+end]
			if strings.HasPrefix(in, `"`) {
				// A quoted key may itself contain ']': find the closing quote.
				q, err := strconv.QuotedPrefix(p[i+1:])
				if err != nil {
					return nil, fmt.Errorf("attribute path %q: %w", p, err)
				}
				k, _ := strconv.Unquote(q)
				segs = append(segs, segment{key: k, index: -1})
				i += 1 + len(q)
				if i >= len(p) || p[i] != ']' {
					return nil, fmt.Errorf("attribute path %q: expected ] after quoted key", p)
				}
				i++
				continue
			}
			switch n, err := strconv.Atoi(in); {
			case in == "*":
				segs = append(segs, segment{index: anyIdx})
			case err == nil && n >= 0:
				segs = append(segs, segment{index: n})
			default:
				return nil, fmt.Errorf("attribute path %q: bad index [%s]", p, in)
			}
			i += end + 1
		default:
			end := i
			for end < len(p) && p[end] != '.' && p[end] != '[' {
				end++
			}
			segs = append(segs, segment{key: p[i:end], index: -1})
			i = end
		}
	}
	if len(segs) == 0 {
		return nil, fmt.Errorf("attribute path %q has no segment", p)
	}
	return segs, nil
}

// globMatch matches s against a pattern where * is any run of characters
// (dots, colons and slashes included) and ? is one character. It does not
// allocate.
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	nextPx, nextSx := -1, -1
	for px < len(pattern) || sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				nextPx, nextSx = px, sx+1
				px++
				continue
			case '?':
				if sx < len(s) {
					px++
					sx++
					continue
				}
			default:
				if sx < len(s) && s[sx] == c {
					px++
					sx++
					continue
				}
			}
		}
		if nextSx > 0 && nextSx <= len(s) {
			px, sx = nextPx, nextSx
			continue
		}
		return false
	}
	return true
}
