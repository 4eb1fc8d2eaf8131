package tfstate

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/model"
)

// Legacy states (format versions 1 to 3, written by Terraform 0.11 and
// older) hold a list of modules, each with its path from the root module
// and a map of resource instances keyed "TYPE.NAME", "TYPE.NAME.N" (count
// index N) or "data.TYPE.NAME[.N]":
//
//	{"version": 3, "serial": 8, "lineage": "...", "terraform_version": "0.11.14",
//	 "modules": [{"path": ["root", "child"], "outputs": {...}, "depends_on": [],
//	   "resources": {"aws_instance.web.1": {"type": "aws_instance", "depends_on": [],
//	     "provider": "provider.aws.west",
//	     "primary": {"id": "i-1", "attributes": {"id": "i-1", "tags.%": "1", "tags.Name": "web"},
//	                 "meta": {"schema_version": "1"}, "tainted": false},
//	     "deposed": [{"id": "i-0", "attributes": {...}}]}}}]}
//
// They are read as the package documentation (Legacy states) says: the way
// Terraform 0.12 upgrades them to version 4.

// legacyModule is one element of "modules".
type legacyModule struct {
	Path      json.RawMessage `json:"path"`
	Resources json.RawMessage `json:"resources"`
}

// legacyResource is one resource instance of a module.
type legacyResource struct {
	Provider json.RawMessage `json:"provider"`
	Primary  json.RawMessage `json:"primary"`
	Deposed  json.RawMessage `json:"deposed"`
}

// legacyObject is a primary or deposed object.
type legacyObject struct {
	ID         json.RawMessage `json:"id"`
	Attributes json.RawMessage `json:"attributes"`
}

// legacyInstance is a managed resource instance read from "modules", its
// objects still raw.
type legacyInstance struct {
	module, typ, name string
	key               indexKey
	provider          string
	addr              string // the instance address
	at                string // modules[i].resources["key"]
	primary           json.RawMessage
	deposed           []json.RawMessage
}

// legacy fills st from the kept "modules" of a state of format version 1
// to 3.
func (d *decoder) legacy(st *collectors.Stack, version int64) (*collectors.Stack, error) {
	// Top-level "resources" are not part of a legacy state.
	d.out, d.deposed = nil, nil
	insts, err := d.legacyInstances()
	if err != nil {
		return nil, err
	}
	sort.SliceStable(insts, func(i, j int) bool { return legacyLess(&insts[i], &insts[j]) })
	for i := range insts {
		if err := d.legacyObjects(&insts[i], version); err != nil {
			return nil, err
		}
	}
	d.legacyPlace = ""
	st.Resources = d.out
	st.Deposed = d.deposed
	return st, nil
}

// legacyLess orders instances as Terraform's version 4 normalisation
// does: by module, type and name, then instance key (none first).
func legacyLess(a, b *legacyInstance) bool {
	switch {
	case a.module != b.module:
		return a.module < b.module
	case a.typ != b.typ:
		return a.typ < b.typ
	case a.name != b.name:
		return a.name < b.name
	case a.key.kind != b.key.kind:
		return a.key.kind == 0
	}
	return a.key.i < b.key.i
}

// legacyInstances lists the managed resource instances of every module.
func (d *decoder) legacyInstances() ([]legacyInstance, error) {
	if isNull(d.modules) {
		return nil, nil
	}
	if d.modules[0] != '[' {
		d.errOff = d.modulesOff
		return nil, fmt.Errorf(`"modules" is not a list, found %s`, jsonKind(d.modules))
	}
	var mods []json.RawMessage
	if err := json.Unmarshal(d.modules, &mods); err != nil {
		return nil, err
	}
	var insts []legacyInstance
	for i, raw := range mods {
		d.legacyPlace = fmt.Sprintf("modules[%d]", i)
		if raw[0] != '{' {
			return nil, fmt.Errorf("expected a module object, found %s", jsonKind(raw))
		}
		var m legacyModule
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, err
		}
		module, err := legacyModulePath(m.Path)
		if err != nil {
			return nil, err
		}
		if module != "" {
			d.legacyPlace += " (" + module + ")"
		}
		if insts, err = d.legacyModuleResources(insts, i, module, m.Resources); err != nil {
			return nil, err
		}
	}
	return insts, nil
}

// legacyModuleResources appends the managed instances of module i.
func (d *decoder) legacyModuleResources(insts []legacyInstance, i int, module string, raw json.RawMessage) ([]legacyInstance, error) {
	if isNull(raw) {
		return insts, nil
	}
	if raw[0] != '{' {
		return nil, fmt.Errorf(`"resources" is not an object, found %s`, jsonKind(raw))
	}
	var res map[string]json.RawMessage
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(res))
	for k := range res {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		at := fmt.Sprintf("modules[%d].resources[%q]", i, k)
		d.legacyPlace = at
		data, typ, name, key, err := parseLegacyKey(k)
		if err != nil {
			return nil, err
		}
		if data {
			// Data sources are not part of the stack.
			continue
		}
		addr := instanceAddress(resourceAddress("managed", module, typ, name), key)
		d.legacyPlace = at + " (" + addr + ")"
		inst := legacyInstance{module: module, typ: typ, name: name, key: key, addr: addr, at: at}
		if err := d.legacyResource(&inst, res[k]); err != nil {
			return nil, err
		}
		insts = append(insts, inst)
	}
	return insts, nil
}

// legacyResource reads the provider and the raw objects of one instance.
func (d *decoder) legacyResource(inst *legacyInstance, raw json.RawMessage) error {
	if raw[0] != '{' {
		return fmt.Errorf("expected a resource object, found %s", jsonKind(raw))
	}
	var r legacyResource
	if err := json.Unmarshal(raw, &r); err != nil {
		return err
	}
	provider, err := rawString(r.Provider, "provider")
	if err != nil {
		return err
	}
	inst.provider = d.intern([]byte(legacyProvider(provider, inst.typ)))
	switch {
	case isNull(r.Primary):
	case r.Primary[0] == '{':
		inst.primary = r.Primary
	default:
		return fmt.Errorf("primary: expected an object, found %s", jsonKind(r.Primary))
	}
	switch {
	case isNull(r.Deposed):
	case r.Deposed[0] == '[':
		if err := json.Unmarshal(r.Deposed, &inst.deposed); err != nil {
			return err
		}
	default:
		return fmt.Errorf(`"deposed" is not a list, found %s`, jsonKind(r.Deposed))
	}
	return nil
}

// legacyObjects adds the current and deposed objects of one instance. A
// bad current object fails the state, as in a version 4 state; a bad
// deposed object, or an instance with no object at all, costs only itself.
func (d *decoder) legacyObjects(inst *legacyInstance, version int64) error {
	d.legacyPlace = inst.at + " (" + inst.addr + ")"
	if inst.primary == nil && len(inst.deposed) == 0 {
		d.legacyWarn(d.legacyPlace, errors.New(`resource skipped: it has no "primary" object and no deposed objects, so it names nothing (Terraform drops such entries)`))
		return nil
	}
	if inst.primary != nil {
		r, err := d.legacyObject(inst, inst.primary, version)
		if err != nil {
			return fmt.Errorf("primary: %w", err)
		}
		d.append(r)
	}
	for j, raw := range inst.deposed {
		// Terraform numbers the deposed objects of an upgraded state in
		// list order.
		key := fmt.Sprintf("%08x", j+1)
		r, err := d.legacyObject(inst, raw, version)
		if err != nil {
			at := fmt.Sprintf("%s.deposed[%d] (%s) deposed object %s", inst.at, j, inst.addr, key)
			d.legacyWarn(at, fmt.Errorf("deposed object skipped: %w", err))
			continue
		}
		d.deposed = append(d.deposed, collectors.DeposedObject{Resource: r, Key: key})
	}
	return nil
}

// legacyObject reads one primary or deposed object like an instance of a
// version 4 state holding its attributes in attributes_flat.
func (d *decoder) legacyObject(inst *legacyInstance, raw json.RawMessage, version int64) (model.Resource, error) {
	if raw[0] != '{' {
		return model.Resource{}, fmt.Errorf("expected an object, found %s", jsonKind(raw))
	}
	var o legacyObject
	if err := json.Unmarshal(raw, &o); err != nil {
		return model.Resource{}, err
	}
	id, err := rawString(o.ID, "id")
	if err != nil {
		return model.Resource{}, err
	}
	flat := map[string]string{}
	switch {
	case isNull(o.Attributes):
	case o.Attributes[0] == '{':
		if flat, err = decodeFlatmap(o.Attributes); err != nil {
			return model.Resource{}, fmt.Errorf("attributes: %w", err)
		}
	default:
		return model.Resource{}, fmt.Errorf("attributes: expected an object, found %s", jsonKind(o.Attributes))
	}
	if version < 3 {
		upgradeFlatmapV2(flat)
	}
	if id != "" && flat["id"] == "" {
		flat["id"] = id
	}
	expanded, err := expandFlatAttrs(flat)
	if err != nil {
		return model.Resource{}, fmt.Errorf("attributes: %w", err)
	}
	var es scanner
	es.resetBytes(expanded)
	var spans idSpans
	if _, err := es.peek(); err != nil {
		return model.Resource{}, fmt.Errorf("attributes: %w", err)
	}
	attrs, err := compactAttributes(&es, nil, &spans, &d.keyBuf)
	if err != nil {
		return model.Resource{}, fmt.Errorf("attributes: %w", err)
	}
	r, err := d.id.resource(inst.provider, inst.typ, attrs, &spans)
	if err != nil {
		return model.Resource{}, err
	}
	r.Address = inst.addr
	r.Stack = d.opts.Stack
	r.Source = d.opts.Source
	r.RawAttributes = attrs
	return r, nil
}

// legacyWarn reports an entry of a legacy state left out.
func (d *decoder) legacyWarn(at string, err error) {
	if d.opts.Warn != nil {
		d.opts.Warn(&collectors.InputError{Source: d.opts.Source, Location: d.opts.Location, Place: at, Err: err})
	}
}

// legacyModulePath turns a module path (["root", "a", "b"]) into the module
// address (module.a.module.b; "" for the root module). A missing or empty
// path is the root module, as Terraform reads version 1 states.
func legacyModulePath(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	if raw[0] != '[' {
		return "", fmt.Errorf("path: expected a list of module names, found %s", jsonKind(raw))
	}
	var path []string
	if err := json.Unmarshal(raw, &path); err != nil {
		return "", errors.New("path: expected a list of module names, found a list holding something other than strings")
	}
	if len(path) == 0 {
		return "", nil
	}
	if path[0] != "root" {
		return "", fmt.Errorf(`path %q does not start with "root"`, path)
	}
	var b strings.Builder
	for _, name := range path[1:] {
		if !validModuleName(name) {
			return "", fmt.Errorf("path %q: module name %q is not a valid module name", path, name)
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString("module.")
		b.WriteString(name)
	}
	return b.String(), nil
}

// parseLegacyKey splits a resource key: TYPE.NAME, TYPE.NAME.INDEX,
// data.TYPE.NAME or data.TYPE.NAME.INDEX.
func parseLegacyKey(k string) (data bool, typ, name string, key indexKey, err error) {
	parts := strings.Split(k, ".")
	if len(parts) > 2 && parts[0] == "data" {
		data, parts = true, parts[1:]
	}
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return false, "", "", key, fmt.Errorf("resource key %q is not TYPE.NAME, TYPE.NAME.INDEX or data.TYPE.NAME", k)
	}
	if len(parts) == 3 {
		n, perr := strconv.ParseInt(parts[2], 10, 64)
		if perr != nil {
			return false, "", "", key, fmt.Errorf("resource key %q: index %q is not a whole number", k, parts[2])
		}
		key = indexKey{kind: 'i', i: n}
	}
	return data, parts[0], parts[1], key, nil
}

// legacyProvider returns the provider name of a legacy provider reference:
// provider.aws, provider.aws.west, module.x.provider.aws, the module-local
// aws or aws.west of older states, or "" for the default provider of the
// type (aws for aws_instance), as Terraform's upgrade fills it in.
func legacyProvider(ref, typ string) string {
	if name := ProviderName(ref); name != "" {
		return name
	}
	if ref != "" && !strings.Contains(ref, "provider.") {
		return firstSeg(ref)
	}
	if i := strings.IndexByte(typ, '_'); i >= 0 {
		return typ[:i]
	}
	return typ
}

// validModuleName reports whether s is a module name Terraform 0.11 or an
// HCL identifier allows: a letter, digit or _ followed by letters, digits,
// _ and -. Terraform 0.12 refuses to upgrade a name starting with a digit
// (valid in 0.11), so states holding one stay in a legacy format; their
// addresses (module.01-net.aws_vpc.x) are still unambiguous.
func validModuleName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			return false
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '_':
		case i > 0 && r == '-':
		default:
			return false
		}
	}
	return true
}

// rawString decodes a JSON string field (absent or null reads as "").
func rawString(raw json.RawMessage, field string) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", fmt.Errorf("%s: expected a string, found %s", field, jsonKind(raw))
	}
	return s, nil
}

// isNull reports an absent or null JSON value.
func isNull(raw []byte) bool {
	return len(raw) == 0 || string(raw) == "null"
}
