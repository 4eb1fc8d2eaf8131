package tfstate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/internal/fileinput"
	"github.com/driftwarden/driftwarden/model"
)

// ErrEmptyState is the cause of the InputError Decode returns for an input
// holding nothing but whitespace. The HTTP source treats it as "no state
// yet", as Terraform's http backend does; a file source reports it.
var ErrEmptyState = errors.New("empty input: no Terraform state")

// ErrEncryptedState is the cause of the InputError Decode returns for a
// state encrypted by OpenTofu's state encryption (a JSON envelope holding
// "encryption_version" and "encrypted_data" instead of the state).
var ErrEncryptedState = errors.New("the state is encrypted by OpenTofu state encryption")

// ErrNotState is the cause of the InputError Decode returns for a JSON
// object that is recognisably something other than a state: the JSON
// rendering of `terraform show -json` (of a plan or of a state), which
// carries "format_version" instead of "version".
var ErrNotState = errors.New("not a Terraform state file")

// VersionError is a state whose format version this package does not read:
// a version above 4 (written by a newer Terraform or OpenTofu), or 0 and
// below (there never was a JSON state format 0).
type VersionError struct {
	Version int64
}

func (e *VersionError) Error() string {
	if e.Version < 1 {
		return fmt.Sprintf("state format version %d is not supported: driftwarden reads versions 1 to 4 (version 4 is what Terraform 0.12 and later and OpenTofu write; "+
			"1 to 3 are the formats of Terraform 0.11 and older), and there never was a JSON state format %d", e.Version, e.Version)
	}
	return fmt.Sprintf("state format version %d is not supported: driftwarden reads versions 1 to 4 (this state was written by a Terraform or OpenTofu newer than driftwarden)", e.Version)
}

// DecodeOptions says where a state comes from; it names the stack and
// every error.
type DecodeOptions struct {
	// Source is the configured source name (Stack.Source, Resource.Source).
	Source string
	// Location is the file path or redacted URL, used in errors and
	// Stack.Location.
	Location string
	// Stack is the stack name given to the stack and every resource.
	Stack string
	// Workspace is the Terraform workspace the state belongs to.
	Workspace string
	// SizeHint is the input size in bytes when known (file size,
	// Content-Length); it lets Decode size the resource list once instead
	// of growing it. Zero means unknown.
	SizeHint int64
	// Warn, when set, receives one *collectors.InputError per deposed
	// object skipped because it could not be read (its place names the
	// instance and the deposed key), and per resource of a legacy state
	// (format 1 to 3) skipped because it holds no object at all. Such an
	// entry costs only itself: the state still loads. Without Warn they are
	// skipped silently.
	Warn func(error)
}

const (
	readBufferSize = 256 << 10
	// maxIntern bounds the table of interned strings of one decode.
	maxIntern = 1 << 16
	// maxInternLen is the longest string worth interning.
	maxInternLen = 96
	// sizeProbe is the number of instances after which Decode estimates
	// the final count from SizeHint and the bytes read so far.
	sizeProbe = 2048
)

// Decode reads one Terraform state from r and returns its managed resource
// instances as a stack. A version 4 state is streamed: the document is
// never held whole, only each instance's attributes, compacted, end up in
// Resource.RawAttributes. A legacy state (format 1 to 3, Terraform 0.11 and
// older) is read the same way except for its "modules", which are kept and
// then decoded whole (see legacy.go).
//
// Every error is a *collectors.InputError naming opts.Location and the
// place (resources[i].instances[j], or modules[i].resources["KEY"] in a
// legacy state, the resource address, the byte offset); its cause is a *SyntaxError, a *ReadError, a *VersionError,
// ErrEmptyState or a description of the bad field.
func Decode(r io.Reader, opts DecodeOptions) (*collectors.Stack, error) {
	d := newDecoder(r, opts)
	st, err := d.decode()
	if err != nil {
		return nil, &collectors.InputError{Source: opts.Source, Location: opts.Location, Place: d.place(err), Err: err}
	}
	return st, nil
}

// decoder walks one state document.
type decoder struct {
	s       *scanner
	opts    DecodeOptions
	out     []model.Resource
	deposed []collectors.DeposedObject

	// position, for error places
	res, inst  int // indexes; -1 outside
	resAddr    string
	errOff     int64 // offset of a semantic error; -1 when the cause carries it
	sizedOnce  bool
	keyBuf     []byte
	valBuf     []byte
	attrBuf    []byte
	attrSpans  idSpans
	slab       []byte
	boxes      map[string]any
	flatBuf    []byte
	sensBuf    []byte
	strs       map[string]string
	pending    []pendingInstance
	id         idExtractor
	resFields  resourceFields
	instFields instanceFields

	// legacy states (format 1 to 3): "modules", kept compact until the
	// version is known, and the place of an error in it
	modules     []byte
	modulesOff  int64
	legacyPlace string
}

type resourceFields struct {
	module, mode, typ, name, provider string
}

type indexKey struct {
	kind byte // 0 none, 'i' int, 's' string
	i    int64
	s    string
}

type instanceFields struct {
	key                        indexKey
	deposed                    string
	hasAttrs, hasFlat, hasSens bool
}

// pendingInstance is an instance read before its resource's fields are all
// known (JSON objects are unordered).
type pendingInstance struct {
	inst      int // index in the resource's instances
	key       indexKey
	deposed   string // the deposed key; "" for the current object
	attrs     []byte
	spans     idSpans
	sensitive []string
}

func newDecoder(r io.Reader, opts DecodeOptions) *decoder {
	d := &decoder{
		s:      newScanner(r, readBufferSize),
		opts:   opts,
		res:    -1,
		inst:   -1,
		errOff: -1,
		strs:   make(map[string]string, 1024),
		boxes:  make(map[string]any, 256),
	}
	d.id.d = d
	return d
}

// intern returns a shared copy of b, so that values repeated across
// instances (types, regions, tag keys and values) are stored once.
func (d *decoder) intern(b []byte) string {
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(b) <= maxInternLen && len(d.strs) < maxIntern {
		d.strs[s] = s
	}
	return s
}

const (
	// slabSize is the size of the blocks instance attributes are copied
	// into: one allocation per block instead of one per instance, and no
	// size-class rounding per instance.
	slabSize = 1 << 20
	// slabMax is the largest attributes object copied into a block.
	slabMax = slabSize / 8
)

// keep returns a copy of b that the decoder will not reuse, with its
// capacity clipped so that appending to it never touches a neighbour.
func (d *decoder) keep(b []byte) []byte {
	if len(b) > slabMax {
		return append([]byte(nil), b...)
	}
	if len(b) > cap(d.slab)-len(d.slab) {
		d.slab = make([]byte, 0, slabSize)
	}
	start := len(d.slab)
	d.slab = append(d.slab, b...)
	return d.slab[start:len(d.slab):len(d.slab)]
}

// internAny is intern for values stored in a map[string]any: the boxed
// value is shared too, so storing it allocates nothing.
func (d *decoder) internAny(b []byte) any {
	if v, ok := d.boxes[string(b)]; ok {
		return v
	}
	var v any = d.intern(b)
	if len(b) <= maxInternLen && len(d.boxes) < maxIntern {
		d.boxes[v.(string)] = v
	}
	return v
}

// fail records a semantic error at off.
func (d *decoder) fail(off int64, format string, args ...any) error {
	d.errOff = off
	return fmt.Errorf(format, args...)
}

// place describes where err happened.
func (d *decoder) place(err error) string {
	var parts []string
	if d.legacyPlace != "" {
		parts = append(parts, d.legacyPlace)
	}
	if d.res >= 0 {
		p := fmt.Sprintf("resources[%d]", d.res)
		if d.inst >= 0 {
			p += fmt.Sprintf(".instances[%d]", d.inst)
		}
		if d.resAddr != "" {
			p += " (" + d.resAddr + ")"
		}
		parts = append(parts, p)
	}
	var se *SyntaxError
	var re *ReadError
	switch {
	case errors.As(err, &se), errors.As(err, &re):
		// the cause names its offset
	case d.errOff >= 0:
		parts = append(parts, fmt.Sprintf("offset %d", d.errOff))
	}
	return strings.Join(parts, ", ")
}

// skipBOM handles a byte order mark at the start of the input: a UTF-8
// one is skipped; UTF-16 input (what `terraform state pull > file` writes in
// Windows PowerShell) is read on through a UTF-8 decoder, so offsets in
// errors then count bytes of the UTF-8 text.
func (d *decoder) skipBOM() {
	s := d.s
	for s.end-s.pos < 3 && s.fill() {
	}
	b := s.buf[s.pos:s.end]
	switch {
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		s.pos += 3
	case len(b) >= 2 && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF):
		head := bytes.NewReader(append([]byte(nil), b...))
		var rest io.Reader = s.r
		if s.rerr != nil {
			rest = errReader{s.rerr}
		}
		*s = scanner{r: fileinput.DecodedReader(io.MultiReader(head, rest)), buf: s.buf}
	}
}

// errReader replays a read error (io.EOF included).
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func (d *decoder) decode() (*collectors.Stack, error) {
	d.skipBOM()
	s := d.s
	c, err := s.peek()
	if err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			// peek fails with a syntax error only at the end of input:
			// there was nothing but whitespace.
			return nil, ErrEmptyState
		}
		return nil, err
	}
	if c != '{' {
		return nil, s.errorf("not a Terraform state: expected a JSON object, found %s", quoteChar(c))
	}
	st := &collectors.Stack{
		Name:      d.opts.Stack,
		Source:    d.opts.Source,
		Location:  d.opts.Location,
		Workspace: d.opts.Workspace,
	}
	version := int64(-1)
	var encVersion string
	var encrypted, rendered bool
	empty, err := s.enter('}')
	if err != nil {
		return nil, err
	}
	for more := !empty; more; {
		if d.keyBuf, err = s.key(d.keyBuf); err != nil {
			return nil, err
		}
		if _, err := s.peek(); err != nil {
			return nil, err
		}
		off := s.offset()
		switch string(d.keyBuf) {
		case "version":
			if version, err = d.int(); err != nil {
				return nil, err
			}
			if version < 1 || version > 4 {
				d.errOff = off
				return nil, &VersionError{Version: version}
			}
		case "serial":
			if st.Serial, err = d.int(); err != nil {
				return nil, err
			}
		case "lineage":
			if st.Lineage, err = d.string("lineage"); err != nil {
				return nil, err
			}
		case "terraform_version":
			if st.TerraformVersion, err = d.string("terraform_version"); err != nil {
				return nil, err
			}
		case "resources":
			// A legacy state has no top-level resources: Terraform
			// ignores the field there.
			if version >= 1 && version < 4 {
				_, err = s.value(nil, false)
			} else {
				err = d.resources()
			}
			if err != nil {
				return nil, err
			}
		case "modules":
			// Legacy states hold their resources in "modules". Until
			// the version is known (it may come last) keep them.
			if version == 4 {
				_, err = s.value(nil, false)
			} else {
				d.modulesOff = off
				d.modules, err = s.value(d.modules[:0], true)
			}
			if err != nil {
				return nil, err
			}
		case "encryption_version":
			// OpenTofu's encrypted envelope: {"meta":{...},
			// "encrypted_data":"<base64>","encryption_version":"v0"}.
			encrypted = true
			if c, _ := s.peek(); c == '"' {
				if d.valBuf, err = s.str(d.valBuf[:0]); err != nil {
					return nil, err
				}
				encVersion = string(d.valBuf)
			} else if _, err := s.value(nil, false); err != nil {
				return nil, err
			}
		case "encrypted_data":
			encrypted = true
			if _, err := s.value(nil, false); err != nil {
				return nil, err
			}
		case "format_version":
			rendered = true
			if _, err := s.value(nil, false); err != nil {
				return nil, err
			}
		default:
			if _, err := s.value(nil, false); err != nil {
				return nil, err
			}
		}
		if more, err = s.next('}'); err != nil {
			return nil, err
		}
	}
	if end, err := s.atEOF(); err != nil {
		return nil, err
	} else if !end {
		return nil, s.errorf("unexpected data after the state object")
	}
	if version < 0 {
		d.errOff = 0
		switch {
		case encrypted:
			v := ""
			if encVersion != "" {
				v = fmt.Sprintf(" (encryption_version %q)", encVersion)
			}
			return nil, fmt.Errorf("%w%s: driftwarden reads unencrypted states only; give it a decrypted copy of the state, or leave this file out of the source's paths", ErrEncryptedState, v)
		case rendered:
			return nil, fmt.Errorf(`%w: it has "format_version" and no "version", so it is the output of `+"`terraform show -json`"+` (of a plan or a state), not the state itself; read the .tfstate file or the output of `+"`terraform state pull`"+``, ErrNotState)
		}
		return nil, fmt.Errorf(`no "version" field: %w`, ErrNotState)
	}
	if version < 4 {
		return d.legacy(st, version)
	}
	st.Resources = d.out
	st.Deposed = d.deposed
	return st, nil
}

// int reads a JSON integer.
func (d *decoder) int() (int64, error) {
	c, err := d.s.peek()
	if err != nil {
		return 0, err
	}
	off := d.s.offset()
	if c != '-' && (c < '0' || c > '9') {
		if _, err := d.s.value(nil, false); err != nil {
			return 0, err
		}
		return 0, d.fail(off, "expected an integer")
	}
	d.valBuf, err = d.s.number(d.valBuf[:0], true)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(string(d.valBuf), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(d.valBuf), 64)
		if ferr != nil || f != float64(int64(f)) {
			return 0, d.fail(off, "expected an integer, found %s", d.valBuf)
		}
		n = int64(f)
	}
	return n, nil
}

// string reads a JSON string (null reads as "").
func (d *decoder) string(field string) (string, error) {
	b, err := d.bytes(field)
	if err != nil {
		return "", err
	}
	return d.intern(b), nil
}

// bytes reads a JSON string into valBuf (null reads as empty).
func (d *decoder) bytes(field string) ([]byte, error) {
	c, err := d.s.peek()
	if err != nil {
		return nil, err
	}
	off := d.s.offset()
	switch c {
	case '"':
		d.valBuf, err = d.s.str(d.valBuf[:0])
		return d.valBuf, err
	case 'n':
		_, err := d.s.literal(nil, false, "null")
		return nil, err
	}
	if _, err := d.s.value(nil, false); err != nil {
		return nil, err
	}
	return nil, d.fail(off, "%s: expected a string", field)
}

func (d *decoder) resources() error {
	if err := d.list("resources", func(i int) error {
		d.res, d.inst, d.resAddr = i, -1, ""
		return d.resource()
	}); err != nil {
		return err // the position stays set: the error names it
	}
	d.res, d.inst, d.resAddr = -1, -1, ""
	return nil
}

// list reads a JSON list (null is an empty one), calling each for every
// element; name says which field is not a list in the error.
func (d *decoder) list(name string, each func(i int) error) error {
	s := d.s
	c, err := s.peek()
	if err != nil {
		return err
	}
	off := s.offset()
	if c == 'n' {
		_, err := s.literal(nil, false, "null")
		return err
	}
	if c != '[' {
		if _, err := s.value(nil, false); err != nil {
			return err
		}
		return d.fail(off, `"%s" is not a list`, name)
	}
	empty, err := s.enter(']')
	if err != nil {
		return err
	}
	for i, more := 0, !empty; more; i++ {
		if err := each(i); err != nil {
			return err
		}
		if more, err = s.next(']'); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) resource() error {
	s := d.s
	c, err := s.peek()
	if err != nil {
		return err
	}
	off := s.offset()
	if c != '{' {
		if _, err := s.value(nil, false); err != nil {
			return err
		}
		return d.fail(off, "expected a resource object")
	}
	f := &d.resFields
	*f = resourceFields{}
	d.pending = d.pending[:0]
	empty, err := s.enter('}')
	if err != nil {
		return err
	}
	for more := !empty; more; {
		if d.keyBuf, err = s.key(d.keyBuf); err != nil {
			return err
		}
		switch string(d.keyBuf) {
		case "module":
			f.module, err = d.string("module")
		case "mode":
			f.mode, err = d.string("mode")
		case "type":
			f.typ, err = d.string("type")
		case "name":
			f.name, err = d.string("name")
		case "provider":
			f.provider, err = d.string("provider")
		case "instances":
			if f.typ != "" && f.name != "" {
				d.resAddr = resourceAddress(f.mode, f.module, f.typ, f.name)
			}
			if err = d.instances(); err == nil {
				d.inst = -1
			}
		default:
			_, err = s.value(nil, false)
		}
		if err != nil {
			return err
		}
		if more, err = s.next('}'); err != nil {
			return err
		}
	}
	if f.typ == "" || f.name == "" {
		return d.fail(off, "resource without type or name")
	}
	d.resAddr = resourceAddress(f.mode, f.module, f.typ, f.name)
	switch f.mode {
	case "managed":
	case "data":
		return nil
	default:
		return d.fail(off, "resource has unknown mode %q (want managed or data)", f.mode)
	}
	provider := d.intern([]byte(ProviderName(f.provider)))
	for j := range d.pending {
		p := &d.pending[j]
		d.inst = p.inst
		r, err := d.id.resource(provider, f.typ, p.attrs, &p.spans)
		if err != nil && p.deposed != "" {
			d.skipDeposed(p.deposed, err)
			*p = pendingInstance{}
			continue
		}
		if err != nil {
			return err
		}
		r.Address = instanceAddress(d.resAddr, p.key)
		r.Stack = d.opts.Stack
		r.Source = d.opts.Source
		r.RawAttributes = p.attrs
		r.Sensitive = p.sensitive
		if p.deposed != "" {
			d.deposed = append(d.deposed, collectors.DeposedObject{Resource: r, Key: p.deposed})
		} else {
			d.append(r)
		}
		*p = pendingInstance{}
	}
	return nil
}

// append adds r to the output, sizing the list once from SizeHint after the
// first sizeProbe instances.
func (d *decoder) append(r model.Resource) {
	if !d.sizedOnce && len(d.out) == sizeProbe && d.opts.SizeHint > 0 {
		d.sizedOnce = true
		per := d.s.offset() / int64(len(d.out))
		if per > 0 {
			want := d.opts.SizeHint / per
			want += want/16 + 64
			if want > int64(cap(d.out)) && want < 1<<28 {
				out := make([]model.Resource, len(d.out), want)
				copy(out, d.out)
				d.out = out
			}
		}
	}
	d.out = append(d.out, r)
}

func (d *decoder) instances() error {
	// The instances of a data source are validated but not kept.
	skip := d.resFields.mode == "data"
	return d.list("instances", func(j int) error {
		d.inst = j
		if skip {
			_, err := d.s.value(nil, false)
			return err
		}
		return d.instance()
	})
}

func (d *decoder) instance() error {
	s := d.s
	c, err := s.peek()
	if err != nil {
		return err
	}
	off := s.offset()
	if c != '{' {
		if _, err := s.value(nil, false); err != nil {
			return err
		}
		return d.fail(off, "expected an instance object, found %s", quoteChar(c))
	}
	f := &d.instFields
	*f = instanceFields{}
	var sensOff int64
	empty, err := s.enter('}')
	if err != nil {
		return err
	}
	for more := !empty; more; {
		if d.keyBuf, err = s.key(d.keyBuf); err != nil {
			return err
		}
		voff := s.offset()
		switch string(d.keyBuf) {
		case "index_key":
			f.key, err = d.indexKey()
		case "deposed":
			var b []byte
			b, err = d.bytes("deposed")
			f.deposed = string(b)
		case "status":
			// "tainted" objects are kept: they still exist in the cloud.
			_, err = d.bytes("status")
		case "attributes":
			f.hasAttrs, err = d.attributes()
		case "attributes_flat":
			f.hasFlat, d.flatBuf, err = d.object(d.flatBuf, "attributes_flat")
		case "sensitive_attributes":
			sensOff = voff
			d.sensBuf, err = s.value(d.sensBuf[:0], true)
			f.hasSens = err == nil && string(d.sensBuf) != "[]" && string(d.sensBuf) != "null"
		default:
			_, err = s.value(nil, false)
		}
		if err != nil {
			return err
		}
		if more, err = s.next('}'); err != nil {
			return err
		}
	}
	// A deposed object (create_before_destroy set it aside to destroy) is
	// read like a current one but kept apart: it still exists and is
	// managed, yet it is not what the instance's address names.
	d.pending = append(d.pending, pendingInstance{inst: d.inst, key: f.key, deposed: f.deposed})
	if err := d.finishInstance(&d.pending[len(d.pending)-1], off, sensOff); err != nil {
		if f.deposed == "" {
			return err
		}
		d.pending = d.pending[:len(d.pending)-1]
		d.skipDeposed(f.deposed, err)
	}
	return nil
}

// finishInstance sets p's attributes and sensitive paths from the fields
// instance read.
func (d *decoder) finishInstance(p *pendingInstance, off, sensOff int64) error {
	f := &d.instFields
	var err error
	switch {
	case f.hasAttrs:
		p.attrs = d.keep(d.attrBuf)
		p.spans = d.attrSpans
	case f.hasFlat:
		expanded, err := expandFlatmap(d.flatBuf)
		if err != nil {
			return d.fail(off, "attributes_flat: %w", err)
		}
		var es scanner
		es.resetBytes(expanded)
		if _, err := es.peek(); err != nil {
			return d.fail(off, "attributes_flat: %w", err)
		}
		if p.attrs, err = compactAttributes(&es, nil, &p.spans, &d.keyBuf); err != nil {
			return d.fail(off, "attributes_flat: %w", err)
		}
	default:
		p.attrs = []byte("{}")
	}
	if f.hasSens {
		var whole bool
		if p.sensitive, whole, err = sensitivePaths(d.sensBuf); err != nil {
			return d.fail(sensOff, "sensitive_attributes: %w", err)
		}
		if whole {
			// The whole object is sensitive: mark every attribute.
			keys, err := topLevelKeys(p.attrs)
			if err != nil {
				return d.fail(off, "attributes: %w", err)
			}
			p.sensitive = append(p.sensitive, keys...)
		}
	}
	return nil
}

// skipDeposed reports a deposed object of the current instance that could
// not be read: it is left out, the rest of the state loads.
func (d *decoder) skipDeposed(key string, err error) {
	if d.opts.Warn != nil {
		place := d.place(err)
		at := fmt.Sprintf("resources[%d].instances[%d]", d.res, d.inst)
		if d.resAddr != "" {
			at += " (" + d.resAddr + ")"
		}
		place = strings.Replace(place, at, at+" deposed object "+key, 1)
		d.opts.Warn(&collectors.InputError{Source: d.opts.Source, Location: d.opts.Location, Place: place,
			Err: fmt.Errorf("deposed object skipped: %w", err)})
	}
	d.errOff = -1
}

// attributes reads an instance's attributes into attrBuf, compacted, and
// records the identity spans; null reads as absent.
func (d *decoder) attributes() (bool, error) {
	c, err := d.s.peek()
	if err != nil {
		return false, err
	}
	off := d.s.offset()
	switch c {
	case 'n':
		_, err := d.s.literal(nil, false, "null")
		return false, err
	case '{':
		d.attrBuf, err = compactAttributes(d.s, d.attrBuf[:0], &d.attrSpans, &d.keyBuf)
		return err == nil, err
	}
	if _, err := d.s.value(nil, false); err != nil {
		return false, err
	}
	return false, d.fail(off, "attributes: expected an object, found %s", quoteChar(c))
}

// object reads an object value compacted into buf; null reads as absent.
func (d *decoder) object(buf []byte, field string) (bool, []byte, error) {
	c, err := d.s.peek()
	if err != nil {
		return false, buf, err
	}
	off := d.s.offset()
	switch c {
	case 'n':
		_, err := d.s.literal(nil, false, "null")
		return false, buf, err
	case '{':
		buf, err = d.s.value(buf[:0], true)
		return err == nil, buf, err
	}
	if _, err := d.s.value(nil, false); err != nil {
		return false, buf, err
	}
	return false, buf, d.fail(off, "%s: expected an object, found %s", field, quoteChar(c))
}

// indexKey reads an instance key: an integer (count), a string (for_each)
// or null (none).
func (d *decoder) indexKey() (indexKey, error) {
	c, err := d.s.peek()
	if err != nil {
		return indexKey{}, err
	}
	off := d.s.offset()
	switch {
	case c == '"':
		d.valBuf, err = d.s.str(d.valBuf[:0])
		return indexKey{kind: 's', s: string(d.valBuf)}, err
	case c == '-' || (c >= '0' && c <= '9'):
		n, err := d.int()
		if err != nil {
			return indexKey{}, d.fail(off, "index_key: %w", err)
		}
		return indexKey{kind: 'i', i: n}, nil
	case c == 'n':
		_, err := d.s.literal(nil, false, "null")
		return indexKey{}, err
	}
	if _, err := d.s.value(nil, false); err != nil {
		return indexKey{}, err
	}
	return indexKey{}, d.fail(off, "index_key must be a number or a string, found %s", quoteChar(c))
}

// topLevelKeys lists the attribute names of a compact attributes object.
func topLevelKeys(attrs []byte) ([]string, error) {
	var s scanner
	s.resetBytes(attrs)
	if _, err := s.peek(); err != nil {
		return nil, err
	}
	empty, err := s.enter('}')
	if err != nil || empty {
		return nil, err
	}
	var keys []string
	var k []byte
	for more := true; more; {
		if k, err = s.key(k); err != nil {
			return nil, err
		}
		keys = append(keys, model.JoinPath("", string(k)))
		if _, err = s.value(nil, false); err != nil {
			return nil, err
		}
		if more, err = s.next('}'); err != nil {
			return nil, err
		}
	}
	return keys, nil
}
