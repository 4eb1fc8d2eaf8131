package evaluator

import (
	"github.com/open-policy-agent/opa/v1/ast"
)

// vcache is a topdown.VirtualCache (rule and function values memoised
// within one evaluation) that one worker reuses for every subject: reset
// empties it but keeps its memory, where OPA's default allocates a fresh
// tree of hash maps per evaluation. Entries are keyed by the ref's hash and
// compared with Ref.Equal, as OPA's own cache does.
type vcache struct {
	frames []vframe
	depth  int
	// refs holds the copies of the cached refs (OPA reuses the slice it
	// passes to Put), one slab for the whole evaluation.
	refs []*ast.Term
}

type vframe struct {
	index   map[int]int32 // ref hash -> first entry in entries
	entries []ventry
}

type ventry struct {
	ref   ast.Ref
	value *ast.Term // nil: recorded as undefined
	next  int32     // next entry with the same hash, -1 at the end
}

func newVCache() *vcache {
	c := &vcache{}
	c.reset()
	return c
}

// reset empties the cache for the next evaluation.
func (c *vcache) reset() {
	for i := 0; i < c.depth && i < len(c.frames); i++ {
		c.frames[i].clear()
	}
	c.depth = 0
	clear(c.refs) // drop references for the GC
	c.refs = c.refs[:0]
	c.Push()
}

func (f *vframe) clear() {
	clear(f.index)
	clear(f.entries) // drop references for the GC
	f.entries = f.entries[:0]
}

func (c *vcache) Push() {
	if c.depth == len(c.frames) {
		c.frames = append(c.frames, vframe{index: map[int]int32{}})
	}
	c.depth++
}

func (c *vcache) Pop() {
	c.frames[c.depth-1].clear()
	c.depth--
}

func (c *vcache) top() *vframe { return &c.frames[c.depth-1] }

func (c *vcache) Get(ref ast.Ref) (*ast.Term, bool) {
	f := c.top()
	i, ok := f.index[ref.Hash()]
	if !ok {
		return nil, false
	}
	for ; i >= 0; i = f.entries[i].next {
		if e := &f.entries[i]; e.ref.Equal(ref) {
			return e.value, e.value == nil
		}
	}
	return nil, false
}

func (c *vcache) Put(ref ast.Ref, value *ast.Term) {
	f := c.top()
	h := ref.Hash()
	head, ok := f.index[h]
	if !ok {
		head = -1
	}
	for i := head; i >= 0; i = f.entries[i].next {
		if e := &f.entries[i]; e.ref.Equal(ref) {
			e.value = value
			return
		}
	}
	start := len(c.refs)
	c.refs = append(c.refs, ref...)
	f.entries = append(f.entries, ventry{ref: c.refs[start:len(c.refs):len(c.refs)], value: value, next: head})
	f.index[h] = int32(len(f.entries) - 1)
}

func (c *vcache) Keys() []ast.Ref {
	f := c.top()
	out := make([]ast.Ref, 0, len(f.entries))
	for _, e := range f.entries {
		if e.value != nil {
			out = append(out, e.ref)
		}
	}
	return out
}
