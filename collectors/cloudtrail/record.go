package cloudtrail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	json "github.com/goccy/go-json"

	"github.com/driftwarden/driftwarden/identity"
	"github.com/driftwarden/driftwarden/internal/jsonscan"
	"github.com/driftwarden/driftwarden/model"
)

// flexBool accepts true, false, "true", "false" and null.
type flexBool struct {
	Set, V bool
}

func (b *flexBool) UnmarshalJSON(p []byte) error {
	switch string(p) {
	case "true", `"true"`, `"True"`:
		*b = flexBool{true, true}
	case "false", `"false"`, `"False"`:
		*b = flexBool{true, false}
	}
	return nil
}

// sessionIssuer is the role (or user) whose credentials a session uses;
// only its ARN is read.
type sessionIssuer struct {
	ARN string `json:"arn"`
}

type sessionContext struct {
	SessionIssuer  sessionIssuer `json:"sessionIssuer"`
	SourceIdentity string        `json:"sourceIdentity"`
}

type userIdentity struct {
	Type             string          `json:"type"`
	PrincipalID      string          `json:"principalId"`
	ARN              string          `json:"arn"`
	AccountID        string          `json:"accountId"`
	UserName         string          `json:"userName"`
	InvokedBy        string          `json:"invokedBy"`
	IdentityProvider string          `json:"identityProvider"`
	SessionContext   *sessionContext `json:"sessionContext"`
	OnBehalfOf       *struct {
		UserID           string `json:"userId"`
		IdentityStoreArn string `json:"identityStoreArn"`
	} `json:"onBehalfOf"`
}

// recordResource is one element of resources[] (the struct decoder matches
// ARN, accountId and type to its fields).
type recordResource = identity.RecordResource

// rawRecord is the part of a CloudTrail record we read.
type rawRecord struct {
	EventTime                    string           `json:"eventTime"`
	EventSource                  string           `json:"eventSource"`
	EventName                    string           `json:"eventName"`
	AWSRegion                    string           `json:"awsRegion"`
	SourceIPAddress              string           `json:"sourceIPAddress"`
	UserAgent                    string           `json:"userAgent"`
	UserIdentity                 userIdentity     `json:"userIdentity"`
	RequestParameters            jsonBytes        `json:"requestParameters"`
	ResponseElements             jsonBytes        `json:"responseElements"`
	Resources                    []recordResource `json:"resources"`
	ErrorCode                    string           `json:"errorCode"`
	EventID                      string           `json:"eventID"`
	ReadOnly                     flexBool         `json:"readOnly"`
	RecipientAccountID           string           `json:"recipientAccountId"`
	SessionCredentialFromConsole flexBool         `json:"sessionCredentialFromConsole"`

	// eventTime is set by decodeTop when eventTime has the usual form.
	eventTime  time.Time
	timeParsed bool
}

// Options control normalisation.
type Options struct {
	// IncludeReadOnly keeps read-only events (default: write events only).
	IncludeReadOnly bool
}

// errSkipped is returned by normalize for filtered (read-only) records.
var errSkipped = errors.New("skipped")

// Normalize turns one CloudTrail record (its JSON bytes) into a model.Event.
// Read-only events are normalised too. It fails only on bytes that are not a
// JSON object; every other oddity (unknown userIdentity type, missing
// eventID, a field of an unexpected type) gives a best-effort event, and a
// missing or unparseable eventTime leaves Time zero.
//
// Records that are not calls of their own are read-only whatever their
// readOnly says: Insights events (eventType AwsCloudTrailInsight; their
// action is the API the insight is about, from insightDetails) and network
// activity events (eventType AwsVpceEvent: the passage of a call through a
// VPC endpoint, the call itself being its own management or data event).
// A console sign-in that failed (responseElements {"ConsoleLogin":"Failure"},
// which CloudTrail records without an errorCode) gets its errorMessage, or
// "Failure", as ErrorCode, so that it never reads as a successful call.
func Normalize(raw []byte) (model.Event, error) {
	return normalize(raw, Options{IncludeReadOnly: true}, rawCopy)
}

// jsonBytes keeps a value's JSON bytes undecoded (nil for null): the
// decoder hands UnmarshalJSON a copy it may keep.
type jsonBytes []byte

func (j *jsonBytes) UnmarshalJSON(p []byte) error {
	if string(p) == "null" {
		*j = nil
		return nil
	}
	*j = p
	return nil
}

// objectBytes returns the bytes when they hold a JSON object (nil
// otherwise: null, another shape).
func objectBytes(j jsonBytes) []byte {
	if len(j) == 0 || j[0] != '{' {
		return nil
	}
	return j
}

// object decodes the bytes when they hold a JSON object (nil otherwise).
func (j jsonBytes) object() map[string]any {
	if len(j) == 0 || j[0] != '{' {
		return nil
	}
	var m map[string]any
	if json.UnmarshalNoEscape(j, &m) != nil {
		return nil
	}
	return m
}

func normalize(raw []byte, opts Options, mode rawMode) (model.Event, error) {
	return normalizeWith(raw, nil, opts, mode, nil)
}

// rawMode is what an event keeps of its record's bytes.
type rawMode uint8

const (
	// rawAlias: Raw (and RequestJSON) are raw itself, for bytes that
	// outlive the event.
	rawAlias rawMode = iota
	// rawCopy: Raw is a copy of raw.
	rawCopy
	// rawOmit: no Raw (a file's event: Origin locates the record);
	// RequestJSON is a copy of its bytes.
	rawOmit
)

// normalizeWith is normalize for a record whose key offsets the stream
// scanner noted (members, or nil); copies are made in the arena when one
// is given.
func normalizeWith(raw []byte, members []int32, opts Options, mode rawMode, ar *arena) (model.Event, error) {
	var r rawRecord // on the stack: the decoder gets its own copy
	if i := skipWS(raw, 0); i >= len(raw) || raw[i] != '{' {
		return model.Event{}, notObject(raw[i:])
	}
	if !decodeTop(raw, members, &r, ar) {
		slow := new(rawRecord)
		if err := decodeRecord(raw, slow); err != nil {
			return model.Event{}, err
		}
		r = *slow
	}
	insight := r.EventName == "" && insightRecord(raw, &r)
	readOnly := r.ReadOnly.V
	if !r.ReadOnly.Set {
		// Network activity events carry no readOnly.
		readOnly = readOnlyName(r.EventName) || networkActivity(raw)
	}
	if insight {
		readOnly = true
	}
	if readOnly && !opts.IncludeReadOnly {
		return model.Event{}, errSkipped
	}
	// A missing or unreadable eventTime leaves Time zero: the caller decides
	// (the file reader uses the file's delivery time and warns).
	t := r.eventTime
	if !r.timeParsed {
		t, _ = parseTime(r.EventTime)
	}
	ev := model.Event{
		ID:        r.EventID,
		Time:      t,
		Source:    "cloudtrail",
		Service:   r.EventSource,
		Action:    ar.action(r.EventSource, r.EventName),
		Principal: principal(&r.UserIdentity),
		Via:       viaCached(&r, ar),
		SourceIP:  r.SourceIPAddress,
		UserAgent: r.UserAgent,
		ErrorCode: r.ErrorCode,
		ReadOnly:  readOnly,
		Account:   r.RecipientAccountID,
		Region:    r.AWSRegion,
	}
	if ev.Account == "" {
		ev.Account = r.UserIdentity.AccountID
	}
	if insight && r.UserIdentity == (userIdentity{}) {
		// CloudTrail itself reports an insight.
		ev.Principal = model.Principal{ID: "cloudtrail.amazonaws.com", Type: "AWSService"}
		ev.Via = model.ViaService
	}
	if ev.ID == "" {
		// A hand-made or partial record: a stable id from its content, so
		// re-reading it de-duplicates.
		sum := sha256.Sum256(raw)
		ev.ID = "sha256:" + hex.EncodeToString(sum[:16])
	}
	// requestParameters is the event's Request, left as bytes (RequestJSON)
	// unless it may hold a secret: then it is decoded and redacted here, as
	// is responseElements (which Raw must not keep unredacted). The
	// identity table reads both from their bytes.
	var req, resp map[string]any
	reqBytes := objectBytes(r.RequestParameters)
	respBytes := objectBytes(r.ResponseElements)
	if ev.ErrorCode == "" && r.EventSource == signinSource && respBytes != nil {
		ev.ErrorCode = signinFailure(raw, respBytes)
	}
	rec := identity.Record{EventSource: r.EventSource, EventName: r.EventName, Region: r.AWSRegion, Account: ev.Account,
		Request: reqBytes, Response: respBytes, Resources: r.Resources, KeyWords: secretWords}
	ev.Resources = identity.EventResourceIDs(&rec, nil)
	// The identity pass reports a key that may name a secret (KeyMatch:
	// one of secretHints in any case, an escape or a non-ASCII byte in a
	// key, or an object it could not read); only then is the object that
	// may hold it decoded and redacted.
	if rec.KeyMatch {
		if mayHoldSecret(reqBytes) {
			req = r.RequestParameters.object()
		}
		if mayHoldSecret(respBytes) {
			resp = r.ResponseElements.object()
		}
	}
	redacted := redact(req)
	if redact(resp) {
		redacted = true
	}
	ev.Request = req
	switch {
	case mode == rawOmit:
	case redacted:
		ev.Raw = redactedRaw(raw, req, resp)
	case mode == rawCopy:
		ev.Raw = ar.copy(raw)
	default:
		ev.Raw = raw
	}
	if req == nil && reqBytes != nil {
		switch off, ok := offsetIn(raw, reqBytes); {
		case mode == rawAlias:
			ev.RequestJSON = reqBytes
		case mode == rawCopy && ok && !redacted: // the same bytes in Raw's copy
			ev.RequestJSON = ev.Raw[off : off+len(reqBytes) : off+len(reqBytes)]
		default:
			ev.RequestJSON = ar.copy(reqBytes)
		}
	}
	return ev, nil
}

// networkActivity reports whether a record (one without readOnly) is a
// network activity event: eventType AwsVpceEvent, eventCategory
// NetworkActivity. The bytes are looked at first; the record is decoded
// only when they name the type somewhere.
func networkActivity(raw []byte) bool {
	if !bytes.Contains(raw, []byte(`"AwsVpceEvent"`)) && !bytes.Contains(raw, []byte(`"NetworkActivity"`)) {
		return false
	}
	var top struct {
		EventType     string `json:"eventType"`
		EventCategory string `json:"eventCategory"`
	}
	if json.Unmarshal(raw, &top) != nil {
		return false
	}
	return top.EventType == "AwsVpceEvent" || top.EventCategory == "NetworkActivity"
}

// insightRecord reports whether the record (which has no top-level
// eventName) is a CloudTrail Insights event; it then takes the event
// source and name the insight is about from insightDetails.
func insightRecord(raw []byte, r *rawRecord) bool {
	if !bytes.Contains(raw, []byte(`"insightDetails"`)) && !bytes.Contains(raw, []byte(`"AwsCloudTrailInsight"`)) {
		return false
	}
	var ins struct {
		EventType      string `json:"eventType"`
		EventCategory  string `json:"eventCategory"`
		InsightDetails *struct {
			EventSource string `json:"eventSource"`
			EventName   string `json:"eventName"`
		} `json:"insightDetails"`
	}
	if json.Unmarshal(raw, &ins) != nil {
		return false
	}
	if ins.EventType != "AwsCloudTrailInsight" && ins.EventCategory != "Insight" && ins.InsightDetails == nil {
		return false
	}
	if d := ins.InsightDetails; d != nil {
		if r.EventSource == "" {
			r.EventSource = d.EventSource
		}
		r.EventName = d.EventName
	}
	return true
}

// signinFailure returns the error of a failed sign-in event, which
// CloudTrail records without an errorCode: responseElements
// {"ConsoleLogin":"Failure"} (or SwitchRole, CheckMfa, ...) and an
// errorMessage ("Failed authentication"). "" for a successful one.
func signinFailure(raw, resp []byte) string {
	if !bytes.Contains(resp, []byte(`"Failure"`)) {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(resp, &m) != nil {
		return ""
	}
	failed := false
	for _, v := range m {
		if v == "Failure" {
			failed = true
		}
	}
	if !failed {
		return ""
	}
	var e struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(raw, &e) == nil && e.ErrorMessage != "" {
		return e.ErrorMessage
	}
	return "Failure"
}

// notObject is the error for a record that is not a JSON object.
func notObject(b []byte) error {
	if len(b) == 0 {
		return errors.New("empty record")
	}
	// Its kind, never its bytes: a message of a shared log group may be
	// any text, secrets included.
	kind := "not JSON"
	switch c := b[0]; {
	case c == '"':
		kind = "a JSON string"
	case c == '[':
		kind = "a JSON array"
	case c == '-' || c >= '0' && c <= '9':
		kind = "a JSON number"
	case bytes.HasPrefix(b, []byte("true")) || bytes.HasPrefix(b, []byte("false")):
		kind = "a JSON boolean"
	case bytes.HasPrefix(b, []byte("null")):
		kind = "null"
	}
	return fmt.Errorf("not a JSON object (%s)", kind)
}

// offsetIn returns where sub lies in b when it is a part of b's memory.
func offsetIn(b, sub []byte) (int, bool) {
	off := cap(b) - cap(sub)
	if len(sub) == 0 || off < 0 || off+len(sub) > len(b) || &b[off] != &sub[0] {
		return 0, false
	}
	return off, true
}

// decodeRecord decodes a record with the struct decoder (what decodeTop
// does faster for the usual records).
func decodeRecord(raw []byte, r *rawRecord) error {
	*r = rawRecord{}
	if err := json.UnmarshalNoEscape(raw, r); err != nil {
		// A field of an unexpected shape (hand-made or future records):
		// decode field by field, keeping what fits.
		if err := lenientDecode(raw, r); err != nil {
			return fmt.Errorf("decoding CloudTrail record: %w", err)
		}
	}
	return nil
}

// lenientDecode decodes each top-level field on its own, dropping those
// whose shape does not fit.
func lenientDecode(raw []byte, r *rawRecord) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	*r = rawRecord{}
	for k, v := range m {
		one, err := json.Marshal(map[string]json.RawMessage{k: v})
		if err != nil {
			continue
		}
		var part rawRecord
		if json.Unmarshal(one, &part) != nil {
			continue
		}
		mergeRecord(r, &part)
	}
	return nil
}

func mergeRecord(dst, src *rawRecord) {
	set := func(d *string, s string) {
		if s != "" {
			*d = s
		}
	}
	set(&dst.EventTime, src.EventTime)
	set(&dst.EventSource, src.EventSource)
	set(&dst.EventName, src.EventName)
	set(&dst.AWSRegion, src.AWSRegion)
	set(&dst.SourceIPAddress, src.SourceIPAddress)
	set(&dst.UserAgent, src.UserAgent)
	set(&dst.ErrorCode, src.ErrorCode)
	set(&dst.EventID, src.EventID)
	set(&dst.RecipientAccountID, src.RecipientAccountID)
	if src.UserIdentity != (userIdentity{}) {
		dst.UserIdentity = src.UserIdentity
	}
	if src.RequestParameters != nil {
		dst.RequestParameters = src.RequestParameters
	}
	if src.ResponseElements != nil {
		dst.ResponseElements = src.ResponseElements
	}
	if src.Resources != nil {
		dst.Resources = src.Resources
	}
	if src.ReadOnly.Set {
		dst.ReadOnly = src.ReadOnly
	}
	if src.SessionCredentialFromConsole.Set {
		dst.SessionCredentialFromConsole = src.SessionCredentialFromConsole
	}
}

// redactedRaw re-encodes the record with the redacted request and response.
func redactedRaw(raw []byte, req, resp map[string]any) []byte {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil
	}
	if req != nil {
		m["requestParameters"] = req
	}
	if resp != nil {
		m["responseElements"] = resp
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil
	}
	return out
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05",
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("no eventTime")
	}
	if len(s) == 20 && s[10] == 'T' && s[19] == 'Z' { // the CloudTrail form
		if t, err := time.Parse("2006-01-02T15:04:05Z", s); err == nil {
			return t, nil
		}
	}
	var err error
	for _, l := range timeLayouts {
		var t time.Time
		if t, err = time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, err
}

func servicePrefix(src string) string {
	if i := strings.IndexByte(src, '.'); i > 0 {
		return src[:i]
	}
	return src
}

func readOnlyName(name string) bool {
	for _, p := range []string{"Get", "List", "Describe", "Head", "BatchGet", "Lookup"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// secretKeys caches secretKey per key name: the same few hundred keys
// recur in every record. It stops growing at maxSecretKeys entries.
var (
	secretKeys     sync.Map
	secretKeyCount atomic.Int64
)

const maxSecretKeys = 1 << 14

// secretKey reports whether a request key names a secret value.
func secretKey(k string) bool {
	if len(k) < 5 {
		return false
	}
	if v, ok := secretKeys.Load(k); ok {
		return v.(bool)
	}
	v := secretKeyUncached(k)
	if secretKeyCount.Load() < maxSecretKeys {
		if _, loaded := secretKeys.LoadOrStore(k, v); !loaded {
			secretKeyCount.Add(1)
		}
	}
	return v
}

func secretKeyUncached(k string) bool {
	if len(k) < 5 {
		return false
	}
	l := strings.ToLower(k)
	for _, w := range []string{"password", "secret", "token", "privatekey", "credential", "passphrase", "plaintext", "sessionkey", "authkey", "apikey"} {
		if strings.Contains(l, w) {
			// Names and ids of secrets are not secret.
			if strings.HasSuffix(l, "id") || strings.HasSuffix(l, "arn") || strings.HasSuffix(l, "name") || strings.HasSuffix(l, "ids") || l == "secretid" {
				return false
			}
			return true
		}
	}
	return l == "userdata"
}

// redact replaces secret-looking values in place; it reports whether it did.
func redact(v any) bool {
	did := false
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if secretKey(k) {
				if s, ok := e.(string); ok && (s == "" || strings.HasPrefix(s, "HIDDEN_DUE_TO_SECURITY_REASONS") || s == model.Redacted) {
					continue
				}
				if e != nil {
					x[k] = model.Redacted
					did = true
				}
				continue
			}
			if redact(e) {
				did = true
			}
		}
	case []any:
		for _, e := range x {
			if redact(e) {
				did = true
			}
		}
	}
	return did
}

// UnwrapEventBridge returns the CloudTrail record inside an EventBridge
// envelope ({"detail-type":"AWS API Call via CloudTrail","detail":{...}}).
// ok is false for envelopes of other kinds (GuardDuty findings, state
// changes) and for bytes that are not an envelope.
func UnwrapEventBridge(raw []byte) (record []byte, ok bool) {
	var env struct {
		DetailType string          `json:"detail-type"`
		Detail     json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || len(env.Detail) == 0 {
		return nil, false
	}
	if !strings.HasPrefix(env.DetailType, "AWS API Call via CloudTrail") &&
		!strings.HasPrefix(env.DetailType, "AWS Console Sign") && !strings.HasPrefix(env.DetailType, "AWS Console Action") &&
		!strings.HasPrefix(env.DetailType, "AWS Service Event via CloudTrail") {
		return nil, false
	}
	if len(env.Detail) == 0 || env.Detail[0] != '{' || !bytes.Contains(env.Detail, []byte(`"eventName"`)) {
		return nil, false
	}
	return env.Detail, true
}

// skipFast reports, from what the scanner saw of a record's top level,
// whether the record is read-only and so filtered out without decoding.
func (o Options) skipFast(readOnly, eventName []byte) bool {
	if o.IncludeReadOnly {
		return false
	}
	switch string(readOnly) {
	case "true", "True":
		return true
	case "false", "False":
		return false
	}
	return len(eventName) > 0 && readOnlyName(string(eventName))
}

// secretHints are lower-case words of which one occurs in every key
// secretKey accepts.
var secretHints = [][]byte{[]byte("password"), []byte("secret"), []byte("token"), []byte("privatekey"), []byte("credential"),
	[]byte("passphrase"), []byte("plaintext"), []byte("sessionkey"), []byte("authkey"), []byte("apikey"), []byte("userdata")}

// mayHoldSecret reports whether the JSON bytes may hold a key secretKey
// accepts: one of its words in any case, an escape (a key spelled with \u
// escapes) or a non-ASCII byte. false means redact would change nothing.
// One pass: a word is looked for only where its first two letters are
// (secretBigrams; OR 0x20 folds A-Z onto a-z and no other byte onto a
// letter).
func mayHoldSecret(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	var high byte
	for i := 0; i+1 < len(b); i++ {
		c := b[i]
		high |= c
		k := uint16(c|0x20)<<8 | uint16(b[i+1]|0x20)
		if secretBigrams[k>>6]&(1<<(k&63)) != 0 && secretWordAt(b[i:]) {
			return true
		}
		if c == '\\' && b[i+1] == 'u' {
			return true
		}
	}
	high |= b[len(b)-1]
	return high >= 0x80 // strings.ToLower folds some non-ASCII letters to ASCII
}

// secretWords are secretHints for the identity pass's key check.
var secretWords = func() *jsonscan.Words {
	words := make([]string, len(secretHints))
	for i, w := range secretHints {
		words[i] = string(w)
	}
	return jsonscan.NewWords(words...)
}()

// secretBigrams marks the first two letters of each of secretHints.
var secretBigrams = func() (set [1 << 16 / 64]uint64) {
	for _, w := range secretHints {
		k := uint16(w[0])<<8 | uint16(w[1])
		set[k>>6] |= 1 << (k & 63)
	}
	return set
}()

// secretWordAt reports whether b starts with one of secretHints, in any case.
func secretWordAt(b []byte) bool {
	for _, w := range secretHints {
		if len(b) < len(w) {
			continue
		}
		match := true
		for j, c := range w {
			if b[j]|0x20 != c {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// arena hands out copies of record bytes from large shared chunks, so the
// Raw of each kept event is not an allocation of its own. A chunk lives as
// long as any event whose Raw points into it.
type arena struct {
	buf     []byte
	strs    [1 << internBits]string // intern
	actions map[[2]string]string    // action
	vias    map[[3]string]model.Via
	sc      sessionContext // the session context of the record being read
}

// sessionContext returns a zero session context for the record being
// read: the arena's own, reused record after record (nothing keeps it).
func (a *arena) sessionContext() *sessionContext {
	if a == nil {
		return new(sessionContext)
	}
	a.sc = sessionContext{}
	return &a.sc
}

const arenaChunk = 256 << 10

// copy returns a copy of b (a plain allocation without an arena).
func (a *arena) copy(b []byte) []byte {
	if a == nil || len(b) > arenaChunk/8 {
		return append([]byte(nil), b...)
	}
	if cap(a.buf)-len(a.buf) < len(b) {
		a.buf = make([]byte, 0, arenaChunk)
	}
	n := len(a.buf)
	a.buf = append(a.buf, b...)
	return a.buf[n : n+len(b) : n+len(b)]
}
