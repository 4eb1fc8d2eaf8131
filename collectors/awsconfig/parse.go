package awsconfig

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/internal/fileinput"
)

// DecodeOptions name the document being decoded.
type DecodeOptions struct {
	// Source is the configured source name, Location the file path or
	// s3:// URL; both name every error.
	Source, Location string
	// DefaultType is the resource type of items that carry none (advanced
	// query results selecting only some fields).
	DefaultType string
}

// Decode reads every configuration item of one document, gzip-compressed
// or not. It accepts the shapes AWS Config produces:
//
//   - a configuration snapshot or history file {fileVersion,
//     configSnapshotId, configurationItems[]} (streamed: the items are
//     decoded one at a time);
//   - one configuration item, or an array of them;
//   - a ConfigurationItemChangeNotification {configurationItem,
//     configurationItemDiff} and an oversized-item notification;
//   - a Config rule invocation event whose invokingEvent is a JSON string
//     holding a notification (ScheduledNotification events hold no item);
//   - API answers: GetResourceConfigHistory {configurationItems},
//     BatchGetResourceConfig {baseConfigurationItems}, SelectResourceConfig
//     {Results: [JSON strings]}, also wrapped as {status_code, data}.
//
// It returns the items it could read and one *collectors.InputError per
// item it could not (Place: configurationItems[3], Results[0], ...), or
// per document when the JSON itself is broken (Place: line and column;
// the items before the break are kept).
func Decode(r io.Reader, opts DecodeOptions) ([]*Item, []error) {
	return decodeWith(r, opts, nil)
}

func decodeWith(r io.Reader, opts DecodeOptions, out **docDecoder) ([]*Item, []error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, []error{&collectors.InputError{Source: opts.Source, Location: opts.Location, Err: fmt.Errorf("reading gzip header: %w", err)}}
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	if bom, _ := br.Peek(3); hasBOM(bom) {
		// A byte order mark: a CLI answer saved by an editor or by
		// PowerShell's ">" (UTF-16).
		br = bufio.NewReaderSize(fileinput.DecodedReader(br), 64<<10)
	}
	d := &docDecoder{opts: opts, lt: &lineTracker{r: br, line: 1}, lostTypes: map[string]bool{}}
	if out != nil {
		*out = d
	}
	d.dec = json.NewDecoder(d.lt)
	d.dec.UseNumber()
	d.run()
	return d.items, d.errs
}

// decoded is one document's outcome, with what the source needs to know
// about the resources it may have missed.
type decoded struct {
	items []*Item
	errs  []error
	// incomplete: the document was not read to its end, or held an item
	// naming no resource type; any resource may be missing from items.
	incomplete bool
	// lostTypes are the types of items that could not be read.
	lostTypes []string
}

func decode(r io.Reader, opts DecodeOptions) decoded {
	var d *docDecoder
	items, errs := decodeWith(r, opts, &d)
	out := decoded{items: items, errs: errs}
	if d == nil {
		out.incomplete = true
		return out
	}
	out.incomplete = d.incomplete
	out.lostTypes = sortedKeys(d.lostTypes)
	return out
}

type docDecoder struct {
	opts  DecodeOptions
	lt    *lineTracker
	dec   *json.Decoder
	items []*Item
	errs  []error
	found bool // the document held something recognisable
	// cur names the array element being decoded when the JSON breaks
	// (configurationItems[7]), so that a syntax error says which item.
	cur string
	// incomplete and lostTypes: see decoded.
	incomplete bool
	lostTypes  map[string]bool
}

func hasBOM(b []byte) bool {
	return bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}) || bytes.HasPrefix(b, []byte{0xFF, 0xFE}) || bytes.HasPrefix(b, []byte{0xFE, 0xFF})
}

// fail reports a problem that may have cost an unknown resource.
func (d *docDecoder) fail(place string, err error) {
	d.incomplete = true
	d.note(place, err)
}

// note reports a problem whose cost is known (an item kept for presence
// only, or lost with its type recorded in lostTypes).
func (d *docDecoder) note(place string, err error) {
	d.errs = append(d.errs, &collectors.InputError{Source: d.opts.Source, Location: d.opts.Location, Place: place, Err: err})
}

// syntax reports a broken document at the decoder's position.
func (d *docDecoder) syntax(err error) {
	off := d.dec.InputOffset()
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = se.Offset
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		err = fmt.Errorf("document ends early (truncated file?): %w", err)
	} else if se == nil && !errors.As(err, new(*json.UnmarshalTypeError)) {
		err = fmt.Errorf("reading document: %w", err)
	} else {
		err = fmt.Errorf("invalid JSON: %w", err)
	}
	line, col := d.lt.position(off)
	place := fmt.Sprintf("offset %d", off)
	if line > 0 {
		place = fmt.Sprintf("line %d, column %d (offset %d)", line, col, off)
	}
	if d.cur != "" {
		place = d.cur + ", " + place
	}
	d.fail(place, err)
}

func (d *docDecoder) run() {
	tok, err := d.dec.Token()
	if err != nil {
		if err == io.EOF {
			d.fail("", errors.New("empty document: no configuration item"))
			return
		}
		d.syntax(err)
		return
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		d.fail("offset 0", fmt.Errorf("document is a JSON %T, not an object or array of configuration items", tok))
		return
	}
	switch delim {
	case '[':
		if !d.streamArray("", "") {
			return
		}
	case '{':
		if !d.streamObject() {
			return
		}
	}
	if _, err := d.dec.Token(); err != io.EOF {
		if err == nil {
			d.fail(fmt.Sprintf("offset %d", d.dec.InputOffset()), errors.New("data after the JSON document"))
		} else {
			d.syntax(err)
		}
	}
	if !d.found && len(d.errs) == 0 {
		d.fail("", errors.New("no configuration item found: not a Config snapshot, history file, configuration item, change notification, rule event or API answer"))
	}
}

// streamArray decodes the elements of an array whose '[' was read, one at
// a time. prefix names the array in places; defaultType applies to items.
func (d *docDecoder) streamArray(prefix, defaultType string) bool {
	for i := 0; d.dec.More(); i++ {
		var v any
		place := fmt.Sprintf("%s[%d]", prefix, i)
		d.cur = place
		if err := d.dec.Decode(&v); err != nil {
			d.syntax(err)
			return false
		}
		d.cur = ""
		d.value(v, place, defaultType)
	}
	if _, err := d.dec.Token(); err != nil { // ']'
		d.syntax(err)
		return false
	}
	return true
}

// streamObject walks a top-level object whose '{' was read, streaming a
// configurationItems array and keeping the other (small) members.
func (d *docDecoder) streamObject() bool {
	top := map[string]any{}
	streamed := false
	for d.dec.More() {
		tok, err := d.dec.Token()
		if err != nil {
			d.syntax(err)
			return false
		}
		key, _ := tok.(string)
		if key == "configurationItems" {
			t, err := d.dec.Token()
			if err != nil {
				d.syntax(err)
				return false
			}
			if t == json.Delim('[') {
				d.found, streamed = true, true
				if !d.streamArray("configurationItems", d.opts.DefaultType) {
					return false
				}
				continue
			}
			if t != nil {
				d.fail("configurationItems", fmt.Errorf("configurationItems is not an array"))
				return false
			}
			continue
		}
		var v any
		if err := d.dec.Decode(&v); err != nil {
			d.syntax(err)
			return false
		}
		top[key] = v
	}
	if _, err := d.dec.Token(); err != nil { // '}'
		d.syntax(err)
		return false
	}
	if streamed {
		return true
	}
	d.value(top, "", d.opts.DefaultType)
	return true
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// value finds the configuration items in one decoded value.
func (d *docDecoder) value(v any, place, defaultType string) {
	m, ok := v.(map[string]any)
	if !ok {
		if s, isStr := v.(string); isStr {
			dv, err := decodeJSONString(s)
			if err != nil {
				d.fail(place, fmt.Errorf("string is not a JSON configuration item: %w", err))
				return
			}
			d.value(dv, place, defaultType)
			return
		}
		d.fail(place, fmt.Errorf("%s is not a configuration item", fileinput.JSONKind(v)))
		return
	}
	switch {
	case m["configurationItems"] != nil:
		d.list(m["configurationItems"], join(place, "configurationItems"), defaultType)
	case m["baseConfigurationItems"] != nil:
		d.list(m["baseConfigurationItems"], join(place, "baseConfigurationItems"), defaultType)
	case m["Results"] != nil:
		d.list(m["Results"], join(place, "Results"), defaultType)
	case m["invokingEvent"] != nil:
		d.found = true
		s, isStr := m["invokingEvent"].(string)
		if !isStr {
			d.value(m["invokingEvent"], join(place, "invokingEvent"), defaultType)
			return
		}
		ev, err := decodeJSONString(s)
		if err != nil {
			d.fail(join(place, "invokingEvent"), fmt.Errorf("invokingEvent is not a JSON document: %w", err))
			return
		}
		d.value(ev, join(place, "invokingEvent"), defaultType)
	case m["configurationItem"] != nil:
		d.found = true
		d.value(m["configurationItem"], join(place, "configurationItem"), defaultType)
	case m["data"] != nil && m["status_code"] != nil:
		d.value(m["data"], join(place, "data"), defaultType)
	case m["Type"] == "Notification" && m["Message"] != nil && m["TopicArn"] != nil:
		// An SNS envelope (as an SQS subscriber or an archive keeps it):
		// Message is the Config notification, as JSON text.
		d.found = true
		d.value(m["Message"], join(place, "Message"), defaultType)
	case m["source"] == "aws.config" && strings.HasPrefix(scalarString(m["detail-type"]), "Config ") && m["resourceType"] == nil:
		// An EventBridge event from Config: detail is the notification
		// ("Config Configuration Item Change"); the other detail types
		// (compliance, delivery status) hold no item.
		d.found = true
		if det, ok := m["detail"].(map[string]any); ok && (det["configurationItem"] != nil || det["configurationItemSummary"] != nil) {
			d.value(det, join(place, "detail"), defaultType)
		}
	case m["configurationItemSummary"] != nil:
		// OversizedConfigurationItemChangeNotification: the item was too big
		// for SNS and went to S3 (s3DeliverySummary.s3BucketLocation); the
		// summary still says the resource exists (or was deleted), which
		// counts for presence. Its configuration is not known here.
		d.found = true
		d.value(m["configurationItemSummary"], join(place, "configurationItemSummary"), defaultType)
	case m["messageType"] != nil && m["resourceType"] == nil:
		// ScheduledNotification, delivery and compliance notifications:
		// nothing to read.
		d.found = true
	case !looksLikeItem(m) && defaultType == "":
		d.found = true
		what := "an object without resourceType, resourceId or arn"
		if dt, ok := m["detail-type"].(string); ok {
			what = fmt.Sprintf("an EventBridge event (%q)", dt)
		} else if m["eventName"] != nil || m["Records"] != nil {
			what = "a CloudTrail record"
		}
		d.fail(placeOr(place), fmt.Errorf("not an AWS Config configuration item: %s", what))
	default:
		d.found = true
		it, err := parseItem(m, defaultType)
		switch {
		case it != nil:
			d.items = append(d.items, it)
			if err != nil {
				d.note(placeOr(place), err)
			}
		case firstString(m, "resourceType") != "" || defaultType != "":
			t := firstString(m, "resourceType")
			if t == "" {
				t = defaultType
			}
			d.lostTypes[t] = true
			d.note(placeOr(place), err)
		default:
			d.fail(placeOr(place), err)
		}
	}
}

func looksLikeItem(m map[string]any) bool {
	for _, k := range []string{"resourceType", "resourceId", "arn", "ARN", "configurationItemStatus"} {
		if m[k] != nil {
			return true
		}
	}
	return false
}

func placeOr(p string) string {
	if p == "" {
		return "configuration item"
	}
	return p
}

func (d *docDecoder) list(v any, place, defaultType string) {
	d.found = true
	l, ok := v.([]any)
	if !ok {
		d.fail(place, fmt.Errorf("%s is %s, not an array", place, fileinput.JSONKind(v)))
		return
	}
	for i, e := range l {
		d.value(e, fmt.Sprintf("%s[%d]", place, i), defaultType)
	}
}

// lineTracker counts lines of what the JSON decoder reads, keeping the
// recent bytes so that an error offset can be turned into line and column.
type lineTracker struct {
	r       io.Reader
	off     int64 // bytes read so far
	line    int   // line number at off
	recent  []byte
	recOff  int64 // offset of recent[0]
	recLine int   // line number at recOff
}

const keepRecent = 256 << 10

func (t *lineTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		if len(t.recent)+n > keepRecent {
			drop := len(t.recent) + n - keepRecent
			if drop > len(t.recent) {
				drop = len(t.recent)
			}
			t.recLine += bytes.Count(t.recent[:drop], []byte{'\n'})
			t.recOff += int64(drop)
			t.recent = append(t.recent[:0], t.recent[drop:]...)
		}
		if t.recLine == 0 {
			t.recLine = 1
		}
		t.recent = append(t.recent, p[:n]...)
		t.line += bytes.Count(p[:n], []byte{'\n'})
		t.off += int64(n)
	}
	return n, err
}

// position returns the 1-based line and column of offset off, or line 0
// when the offset is no longer in the recent window.
func (t *lineTracker) position(off int64) (line, col int) {
	if off < t.recOff || off > t.recOff+int64(len(t.recent)) {
		return 0, 0
	}
	seg := t.recent[:off-t.recOff]
	line = t.recLine + bytes.Count(seg, []byte{'\n'})
	if line == 0 {
		line = 1
	}
	col = int(off-t.recOff) + 1
	if i := bytes.LastIndexByte(seg, '\n'); i >= 0 {
		col = len(seg) - i
	} else if t.recOff == 0 {
		col = len(seg) + 1
	}
	return line, col
}
