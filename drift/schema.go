package drift

import (
	"encoding/json"
	"fmt"
	"io"
)

// Schemas holds the resource schemas of one or more Terraform providers, as
// printed by `terraform providers schema -json`. With a schema the engine
// knows which attributes are computed-only (never compared), which are
// optional+computed (compared only when the applied value is set), which are
// sets (compared regardless of order) and which are sensitive (redacted).
// A nil *Schemas is valid and knows no type.
type Schemas struct {
	types map[string]*node
}

// kind is the shape of a schema node.
type kind uint8

const (
	kindAny    kind = iota // primitive, dynamic or unknown
	kindList               // ordered
	kindSet                // order-insensitive
	kindMap                // string keys, one element type
	kindObject             // named attributes (a block or an object type)
)

// node describes one value in a resource: an attribute, a nested block or
// an element type. The same tree is walked alongside the values.
type node struct {
	kind  kind
	elem  *node            // list, set and map element
	attrs map[string]*node // object attributes and nested blocks
	// Attribute flags (false for element types and blocks).
	computed, optional, sensitive bool
}

func (n *node) child(key string) *node {
	if n == nil {
		return nil
	}
	switch n.kind {
	case kindObject:
		return n.attrs[key]
	case kindMap:
		return n.elem
	}
	return nil
}

func (n *node) element() *node {
	if n == nil {
		return nil
	}
	return n.elem
}

// Merge adds the resource types of other (a second provider's schema
// document); a type in both is taken from other.
func (s *Schemas) Merge(other *Schemas) {
	if s == nil || other == nil {
		return
	}
	if s.types == nil {
		s.types = map[string]*node{}
	}
	for t, n := range other.types {
		s.types[t] = n
	}
}

// Has reports whether a schema for the resource type is loaded.
func (s *Schemas) Has(typ string) bool {
	return s != nil && s.types[typ] != nil
}

// Types returns how many resource types the schemas describe.
func (s *Schemas) Types() int {
	if s == nil {
		return 0
	}
	return len(s.types)
}

func (s *Schemas) resource(typ string) *node {
	if s == nil {
		return nil
	}
	return s.types[typ]
}

type jsonSchemas struct {
	FormatVersion   string `json:"format_version"`
	ProviderSchemas map[string]struct {
		ResourceSchemas map[string]struct {
			Block jsonBlock `json:"block"`
		} `json:"resource_schemas"`
	} `json:"provider_schemas"`
}

type jsonBlock struct {
	Attributes map[string]jsonAttribute `json:"attributes"`
	BlockTypes map[string]struct {
		NestingMode string    `json:"nesting_mode"`
		Block       jsonBlock `json:"block"`
	} `json:"block_types"`
}

type jsonAttribute struct {
	Type       json.RawMessage `json:"type"`
	NestedType *struct {
		Attributes  map[string]jsonAttribute `json:"attributes"`
		NestingMode string                   `json:"nesting_mode"`
	} `json:"nested_type"`
	Computed  bool `json:"computed"`
	Optional  bool `json:"optional"`
	Sensitive bool `json:"sensitive"`
}

// LoadSchemas reads the output of `terraform providers schema -json`.
// Resource types are indexed by name across all providers in the document.
func LoadSchemas(r io.Reader) (*Schemas, error) {
	var doc jsonSchemas
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("decoding provider schemas: %w", err)
	}
	if doc.FormatVersion == "" || doc.FormatVersion[0] != '1' {
		return nil, fmt.Errorf("provider schemas: unsupported format_version %q (want 1.x)", doc.FormatVersion)
	}
	s := &Schemas{types: map[string]*node{}}
	for provider, ps := range doc.ProviderSchemas {
		for typ, rs := range ps.ResourceSchemas {
			n, err := blockNode(rs.Block)
			if err != nil {
				return nil, fmt.Errorf("provider schemas: %s: %s: %w", provider, typ, err)
			}
			s.types[typ] = n
		}
	}
	return s, nil
}

func blockNode(b jsonBlock) (*node, error) {
	n := &node{kind: kindObject, attrs: make(map[string]*node, len(b.Attributes)+len(b.BlockTypes))}
	for name, a := range b.Attributes {
		an, err := attributeNode(a)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", name, err)
		}
		n.attrs[name] = an
	}
	for name, bt := range b.BlockTypes {
		inner, err := blockNode(bt.Block)
		if err != nil {
			return nil, fmt.Errorf("block %s: %w", name, err)
		}
		n.attrs[name] = nest(bt.NestingMode, inner)
	}
	return n, nil
}

func attributeNode(a jsonAttribute) (*node, error) {
	var n *node
	switch {
	case a.NestedType != nil:
		obj := &node{kind: kindObject, attrs: make(map[string]*node, len(a.NestedType.Attributes))}
		for name, na := range a.NestedType.Attributes {
			an, err := attributeNode(na)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			obj.attrs[name] = an
		}
		n = nest(a.NestedType.NestingMode, obj)
	case len(a.Type) > 0:
		var err error
		if n, err = typeNode(a.Type); err != nil {
			return nil, err
		}
	default:
		n = &node{}
	}
	// Copy so that flags never leak into a shared element node.
	c := *n
	c.computed, c.optional, c.sensitive = a.Computed, a.Optional, a.Sensitive
	return &c, nil
}

// nest wraps a block or nested object according to its nesting mode.
func nest(mode string, inner *node) *node {
	switch mode {
	case "list":
		return &node{kind: kindList, elem: inner}
	case "set":
		return &node{kind: kindSet, elem: inner}
	case "map":
		return &node{kind: kindMap, elem: inner}
	default: // single, group
		return inner
	}
}

// typeNode parses a cty type expression: "string", ["list", T], ["set", T],
// ["map", T], ["object", {...}], ["tuple", [...]].
func typeNode(raw json.RawMessage) (*node, error) {
	var prim string
	if json.Unmarshal(raw, &prim) == nil {
		return &node{}, nil
	}
	var pair []json.RawMessage
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return nil, fmt.Errorf("bad type expression %s", raw)
	}
	var k string
	if err := json.Unmarshal(pair[0], &k); err != nil {
		return nil, fmt.Errorf("bad type expression %s", raw)
	}
	switch k {
	case "list", "set", "map":
		elem, err := typeNode(pair[1])
		if err != nil {
			return nil, err
		}
		kd := map[string]kind{"list": kindList, "set": kindSet, "map": kindMap}[k]
		return &node{kind: kd, elem: elem}, nil
	case "object":
		var attrs map[string]json.RawMessage
		if err := json.Unmarshal(pair[1], &attrs); err != nil {
			return nil, fmt.Errorf("bad object type %s", raw)
		}
		n := &node{kind: kindObject, attrs: make(map[string]*node, len(attrs))}
		for name, t := range attrs {
			an, err := typeNode(t)
			if err != nil {
				return nil, err
			}
			n.attrs[name] = an
		}
		return n, nil
	case "tuple":
		return &node{kind: kindList}, nil
	}
	return nil, fmt.Errorf("unknown type %q", k)
}
