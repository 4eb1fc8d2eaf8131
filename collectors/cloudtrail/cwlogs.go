package cloudtrail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	json "github.com/goccy/go-json"
	"github.com/klauspost/compress/gzip"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/model"
)

// CloudTrail -> CloudWatch Logs -> subscription filter -> Firehose -> S3.
//
// A CloudWatch Logs subscription hands its destination gzip-compressed JSON
// envelopes, one per batch of log events:
//
//	{"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"CloudTrail/logs",
//	 "logStream":"111122223333_CloudTrail_us-east-1","subscriptionFilters":["to-firehose"],
//	 "logEvents":[{"id":"3195...","timestamp":1700000000000,"message":"{\"eventVersion\":\"1.09\",...}"}]}
//
// each message being one CloudTrail record as a JSON string; envelopes of
// messageType CONTROL_MESSAGE (CloudWatch Logs checking that the
// destination is reachable) carry no records. Firehose concatenates the
// records it buffers into one S3 object, with no separator (a newline with
// its AppendDelimiterToRecord processor): without Firehose's own
// compression an object is the envelopes' gzip members one after another;
// with it, gzip around those members; with Firehose's CloudWatch Logs
// decompression, plain envelopes (gzip when compressed again); with its
// message extraction on top, the messages alone, i.e. CloudTrail records
// one after another.
//
// An EventBridge rule with a Firehose target gives the same kind of
// objects, of EventBridge events ({"version":"0","id":...,"detail-type":
// "AWS API Call via CloudTrail",...,"detail":{CloudTrail record}}): the
// events carrying a CloudTrail record (UnwrapEventBridge) are records, the
// others (findings, state changes) pass over.
//
// Such a file is told from a CloudTrail log file by its content, not its
// name or a setting: the first keys of its first JSON document (after one
// or two gzip layers) name an envelope (messageType, logEvents, logGroup,
// logStream, subscriptionFilters) or a record (eventVersion, eventID, ...)
// rather than Records. A file in memory is looked at only when the log
// file scanner found no record in it (so a log file costs nothing more); a
// larger, streamed one before it is read. Its records then go through the
// same normalisation, filters and de-duplication by eventID as a log
// file's.
//
// In messages about such a file, "record N" is the position (from 0) of a
// record among those the file carries: the log events of its DATA_MESSAGE
// envelopes and its bare records, in file order. "document D" is the JSON
// document (envelope or record, from 0) and "log_event J" the index in that
// envelope's logEvents. A log event whose message is not a CloudTrail
// record costs only itself (a warning naming file, record, document and
// log event); a document that is neither an envelope nor a record costs
// only itself; a file that cannot be read on (truncated gzip, broken JSON
// between documents) keeps the records before the damage and fails with an
// error naming the document, like a damaged log file.

// fileContent is what a file holds, as far as its start tells.
type fileContent int

const (
	contentLogFile   fileContent = iota // CloudTrail's {"Records":[...]} (or anything else: the stream scanner reports it)
	contentDocuments                    // CloudWatch Logs envelopes or bare records, one document after another
)

// docKind is what one JSON document (or a file's first) is.
type docKind int

const (
	kindUnknown     docKind = iota
	kindLogFile             // {"Records":[...]}
	kindEnvelope            // a CloudWatch Logs subscription envelope
	kindRecord              // a bare CloudTrail record
	kindEventBridge         // an EventBridge event (a rule's target: Firehose)
)

// Keys that tell a document's kind. A CloudTrail record has eventVersion
// first; CloudWatch Logs writes owner or messageType first.
var docKeys = map[string]docKind{
	"Records":     kindLogFile,
	"messageType": kindEnvelope, "logEvents": kindEnvelope, "logGroup": kindEnvelope, "logStream": kindEnvelope, "subscriptionFilters": kindEnvelope,
	"eventVersion": kindRecord, "eventID": kindRecord, "eventTime": kindRecord, "eventSource": kindRecord, "eventName": kindRecord,
	"userIdentity": kindRecord, "awsRegion": kindRecord, "recipientAccountId": kindRecord, "requestID": kindRecord,
	"detail-type": kindEventBridge, "detail": kindEventBridge,
}

// kindOf reads the top-level keys of the JSON object at the start of b (b
// may end inside it) until one tells its kind.
func kindOf(b []byte) docKind {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return kindUnknown
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return kindUnknown
		}
		key, _ := t.(string)
		if k, ok := docKeys[key]; ok {
			return k
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return kindUnknown
		}
	}
	return kindUnknown
}

// How much of a file's start is looked at: compressed bytes, and of the
// decompressed content.
const (
	sniffRaw = 32 << 10
	sniffOut = 8 << 10
)

// sniffer holds the buffers of one look at a file's start.
type sniffer struct {
	raw [sniffRaw]byte
	out [2][sniffOut]byte
	zr  *gzip.Reader
}

var sniffers = sync.Pool{New: func() any { return new(sniffer) }}

// sniffContent tells from the start of a file what it holds. The reader
// returned gives the whole file: in itself when it is a *bytes.Reader
// (read at an offset only), else a buffered reader over it.
func sniffContent(in io.Reader) (fileContent, io.Reader) {
	sn := sniffers.Get().(*sniffer)
	defer sniffers.Put(sn)
	var head []byte
	if br, ok := in.(*bytes.Reader); ok {
		n, _ := br.ReadAt(sn.raw[:], br.Size()-int64(br.Len()))
		head = sn.raw[:n]
	} else {
		b := bufio.NewReaderSize(in, sniffRaw)
		head, _ = b.Peek(sniffRaw)
		in = b
	}
	for depth := 0; depth < 2 && isGzip(head); depth++ {
		head = sn.gunzip(head, sn.out[depth][:])
	}
	head = bytes.TrimLeft(bytes.TrimPrefix(bytes.TrimLeft(head, " \t\r\n"), []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(head) == 0 || head[0] != '{' || bytes.HasPrefix(head, []byte(`{"Records"`)) {
		return contentLogFile, in // the usual case, told without decoding
	}
	switch kindOf(head) {
	case kindEnvelope, kindRecord, kindEventBridge:
		return contentDocuments, in
	}
	return contentLogFile, in
}

// holdsDocuments reports whether a file in memory holds CloudWatch Logs
// envelopes or bare records (sniffContent), from its start; it leaves the
// reader there.
func holdsDocuments(r *bytes.Reader) bool {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return false
	}
	c, _ := sniffContent(r)
	return c == contentDocuments
}

func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// gunzip decompresses the start of the gzip stream in into out and
// returns what it holds: as much as in gives (a stream cut short or
// damaged gives what could be decompressed).
func (sn *sniffer) gunzip(in, out []byte) []byte {
	var err error
	if sn.zr == nil {
		sn.zr, err = gzip.NewReader(bytes.NewReader(in))
	} else {
		err = sn.zr.Reset(bytes.NewReader(in))
	}
	if err != nil {
		return nil
	}
	n, _ := io.ReadFull(sn.zr, out)
	return out[:n]
}

// docRecord is one record of a file of documents, or one that could not
// be read (err set, raw nil).
type docRecord struct {
	index int       // among the file's records, from 0; -1 for a document that is no record at all
	doc   int       // the JSON document holding it, from 0
	event int       // its index in the envelope's logEvents; -1 when the document is the record
	id    string    // the log event's id
	time  time.Time // the log event's timestamp (zero for a bare record)
	raw   []byte    // the record's JSON
	err   error
}

// documentError is a file of documents that could not be read on at a
// document (truncated, broken JSON).
type documentError struct {
	doc int
	err error
}

func (e *documentError) Error() string { return fmt.Sprintf("document %d: %v", e.doc, e.err) }
func (e *documentError) Unwrap() error { return e.err }

// scanDocuments reads JSON documents one after another (with or without
// whitespace between them), gzip-compressed once, twice or not, and hands
// fn the CloudTrail records they carry: each log event of a DATA_MESSAGE
// envelope and each bare record. Control messages are passed over; a
// document of another kind is handed over as an error. It returns the
// number of records (good or bad) handed over; a *documentError when the
// file cannot be read to its end.
func scanDocuments(in io.Reader, fn func(docRecord)) (int, error) {
	r, err := gunzipLayers(in)
	if err != nil {
		return 0, &documentError{err: err}
	}
	dec := json.NewDecoder(r)
	n := 0
	for doc := 0; ; doc++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if err == io.EOF {
				return n, nil
			}
			return n, &documentError{doc: doc, err: err}
		}
		switch kindOf(raw) {
		case kindEnvelope:
			n = scanEnvelope(doc, raw, n, fn)
		case kindRecord:
			fn(docRecord{index: n, doc: doc, event: -1, raw: raw})
			n++
		case kindEventBridge:
			// A rule's events: those carrying a CloudTrail record
			// ("AWS API Call via CloudTrail", console sign-ins and
			// actions, service events) are records; the others (findings,
			// state changes) are no audit records and pass over.
			if rec, ok := UnwrapEventBridge(raw); ok {
				fn(docRecord{index: n, doc: doc, event: -1, raw: rec})
				n++
			}
		default:
			fn(docRecord{index: -1, doc: doc, event: -1, err: errors.New("neither a CloudWatch Logs envelope nor a CloudTrail record")})
		}
	}
}

// gunzipLayers returns the content of r decompressed: none, one or two
// gzip layers (a Firehose object compressed around CloudWatch Logs' own
// gzip members), each read across all its members; a byte order mark
// before the first document is dropped.
func gunzipLayers(r io.Reader) (io.Reader, error) {
	b := bufio.NewReaderSize(r, 64<<10)
	for depth := 0; depth < 2; depth++ {
		head, _ := b.Peek(2)
		if !isGzip(head) {
			break
		}
		zr, err := gzip.NewReader(b)
		if err != nil {
			return nil, fmt.Errorf("opening gzip stream: %w", err)
		}
		b = bufio.NewReaderSize(zr, 64<<10)
	}
	if bom, _ := b.Peek(3); string(bom) == "\xef\xbb\xbf" { // a file saved by an editor
		_, _ = b.Discard(3)
	}
	return b, nil
}

// cwlEnvelope is a CloudWatch Logs subscription envelope (the fields read).
type cwlEnvelope struct {
	MessageType *string           `json:"messageType"`
	LogEvents   []json.RawMessage `json:"logEvents"`
}

// scanEnvelope hands fn the log events of one envelope (document doc),
// numbered from n, and returns the next number.
func scanEnvelope(doc int, raw []byte, n int, fn func(docRecord)) int {
	var env cwlEnvelope
	if err := json.Unmarshal(raw, &env); err != nil {
		fn(docRecord{index: -1, doc: doc, event: -1, err: fmt.Errorf("unreadable CloudWatch Logs envelope: %w", err)})
		return n
	}
	switch mt := deref(env.MessageType); mt {
	case "DATA_MESSAGE", "": // a pipeline that dropped messageType still carries data
	case "CONTROL_MESSAGE":
		return n
	default:
		fn(docRecord{index: -1, doc: doc, event: -1, err: fmt.Errorf("CloudWatch Logs envelope of messageType %q: not read", mt)})
		return n
	}
	for j, le := range env.LogEvents {
		r := logEventRecord(le)
		r.index, r.doc, r.event = n, doc, j
		fn(r)
		n++
	}
	return n
}

// logEventRecord reads one log event: its id and timestamp as far as they
// are readable, and its message, the record.
func logEventRecord(le json.RawMessage) docRecord {
	var ev struct {
		ID        json.RawMessage `json:"id"`
		Timestamp json.RawMessage `json:"timestamp"`
		Message   json.RawMessage `json:"message"`
	}
	if err := json.Unmarshal(le, &ev); err != nil {
		return docRecord{err: fmt.Errorf("log event is not a JSON object: %w", err)}
	}
	var r docRecord
	_ = json.Unmarshal(ev.ID, &r.id)
	var ms int64
	if json.Unmarshal(ev.Timestamp, &ms) == nil && ms > 0 {
		r.time = time.UnixMilli(ms).UTC()
	}
	var msg string
	switch {
	case len(ev.Message) == 0 || string(ev.Message) == "null":
		r.err = errors.New("log event without a message")
	case json.Unmarshal(ev.Message, &msg) != nil:
		r.err = errors.New("log event message is not a JSON string")
	default:
		r.raw = []byte(msg)
	}
	return r
}

// readDocuments reads a file of CloudWatch Logs envelopes or bare records
// into the batch, as readFile does a log file's records.
func (s *FileSource) readDocuments(key string, in io.Reader, batch *collectors.EventBatch, seen map[string]bool) (int, error) {
	loc := s.store.Location(key)
	fileTime := s.fileTime(key)
	kept := 0
	var ar arena // the kept events' strings and RequestJSON
	n, err := scanDocuments(in, func(r docRecord) {
		if r.err == nil {
			ev, err := fileEvent(r.raw, nil, s.cfg.Options, &ar)
			if err == errSkipped {
				return
			}
			r.err = err
			if err == nil {
				if s.keep(ev, r.time, fileTime, loc, r.index, batch, seen) {
					kept++
				}
				return
			}
		}
		// One bad log event or document costs only itself.
		args := []any{"source", s.name, "file", loc}
		if r.index >= 0 {
			args = append(args, "record", r.index)
		}
		args = append(args, "document", r.doc)
		if r.event >= 0 {
			args = append(args, "log_event", r.event, "log_event_id", r.id)
		}
		args = append(args, "error", r.err)
		s.log.Warn("skipping a CloudTrail record from CloudWatch Logs", args...)
	})
	if err != nil {
		place := ""
		var de *documentError
		if errors.As(err, &de) {
			place, err = fmt.Sprintf("document %d", de.doc), de.err
		}
		return kept, &collectors.InputError{Source: s.name, Location: loc, Place: place,
			Err: fmt.Errorf("cannot read on (%d records before): %w", n, err)}
	}
	return kept, nil
}

// keep adds one normalised record of a file of documents to the batch,
// unless filtered or already seen; a record without a usable eventTime
// takes its log event's timestamp, else the file's time.
func (s *FileSource) keep(ev model.Event, logTime, fileTime time.Time, loc string, i int, batch *collectors.EventBatch, seen map[string]bool) bool {
	if !s.wanted(ev) || seen[ev.ID] {
		return false
	}
	if ev.Time.IsZero() {
		ev.Time = logTime
		if ev.Time.IsZero() {
			ev.Time = fileTime
		}
		s.log.Warn("CloudTrail record without a usable eventTime; using the log event's timestamp or the file's time", "source", s.name, "file", loc, "record", i)
	}
	seen[ev.ID] = true
	ev.Origin = model.Origin{File: loc, Record: i}
	batch.Add(ev)
	return true
}
