package cloudtrail

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"time"

	json "github.com/goccy/go-json"
)

// decodeTop fills r from a record's top-level fields in one pass over the
// bytes, without the generic decoder: string fields are sliced out (and
// interned through ar), eventTime is parsed from its bytes, userIdentity
// and resources (small) go through the struct decoder, requestParameters
// and responseElements stay bytes (aliasing raw, valid as long as raw is)
// and every other field is skipped. It gives what the struct decoder and
// lenientDecode give for the same record: a field of the wrong shape is
// dropped. It returns false, leaving r in an undefined state, for bytes it
// does not handle (not a sound object, escaped keys, trailing bytes): the
// caller then uses the struct decoder.
func decodeTop(raw []byte, members []int32, r *rawRecord, ar *arena) bool {
	if members != nil {
		return decodeTopAt(raw, members, r, ar)
	}
	return eachMember(raw, func(key, v []byte) bool { return r.setField(key, v, ar) })
}

// decodeTopAt is decodeTop for an object whose key offsets the stream
// scanner noted (scanValue): each value lies between its key's colon and
// the comma before the next key, so nothing is scanned twice, and the
// usual keys are told apart by their first eight bytes (topKeys) without
// scanning them. The scanner has checked that strings end and brackets
// balance; set checks the values it reads, and values of the fields
// nobody reads are not validated further: a record whose only flaw lies
// in such a field is read, not rejected.
func decodeTopAt(raw []byte, members []int32, r *rawRecord, ar *arena) bool {
	// The object's closing brace.
	last := len(raw) - 1
	for last >= 0 && isWS(raw[last]) {
		last--
	}
	if last < 0 || raw[last] != '}' || len(members) == 0 {
		return false
	}
	for k, p := range members {
		id, ke := topKeyAt(raw, int(p))
		if ke < 0 {
			return false
		}
		i := skipWS(raw, ke)
		if i >= len(raw) || raw[i] != ':' {
			return false
		}
		i = skipWS(raw, i+1)
		// The value ends before the comma that precedes the next key, or
		// before the closing brace.
		e := last
		if k+1 < len(members) {
			e = int(members[k+1]) - 1
			for e > i && isWS(raw[e]) {
				e--
			}
			if raw[e] != ',' {
				return false
			}
		}
		e--
		for e >= i && isWS(raw[e]) {
			e--
		}
		if e < i {
			return false
		}
		if id == fieldOther {
			if foldsTo(raw[p+1:ke-1], topNames) {
				return false
			}
			continue
		}
		if !r.set(id, raw[i:e+1], ar) {
			return false
		}
	}
	return true
}

// topKeyAt reads the key whose opening quote is at raw[p]: its field and
// the index after its closing quote (-1 for an escaped or unterminated
// key: the decoder decides).
func topKeyAt(raw []byte, p int) (field, int) {
	if p+1+keyWords*8 <= len(raw) {
		w := binary.LittleEndian.Uint64(raw[p+1:])
		if e := &topKeys.slots[topKeys.slot(w)]; e.w[0] == w && e.n != 0 {
			// The rest of the name and its closing quote, eight bytes at a
			// time, the last word masked to the bytes that remain.
			k := 8
			for ; k < e.n; k += 8 {
				x := binary.LittleEndian.Uint64(raw[p+1+k:])
				if r := e.n - k; r < 8 {
					x &= 1<<(8*r) - 1
				}
				if x != e.w[k/8] {
					break
				}
			}
			if k >= e.n {
				return e.id, p + 1 + e.n
			}
		}
	}
	// A key the table does not hold: short and plain, a byte loop finds
	// its closing quote.
	ke := p + 1
	for ke < len(raw) && raw[ke] != '"' && raw[ke] != '\\' {
		ke++
	}
	if ke >= len(raw) || raw[ke] != '"' {
		return fieldOther, -1
	}
	id, ok := fieldNames[string(raw[p+1:ke])]
	if !ok {
		id = fieldOther
	}
	return id, ke + 1
}

// field is a top-level member of a record that the decoder reads (or
// knows to ignore).
type field uint8

const (
	fieldOther field = iota // not a field of the format: case-folding check
	fieldIgnored
	fieldEventTime
	fieldEventSource
	fieldEventName
	fieldAWSRegion
	fieldSourceIP
	fieldUserAgent
	fieldErrorCode
	fieldEventID
	fieldRecipient
	fieldReadOnly
	fieldConsole
	fieldUserIdentity
	fieldResources
	fieldRequest
	fieldResponse
)

// fieldNames are the record's top-level keys by name; the standard fields
// nothing reads are fieldIgnored (they skip the case-folding check).
var fieldNames = map[string]field{
	"eventTime": fieldEventTime, "eventSource": fieldEventSource, "eventName": fieldEventName, "awsRegion": fieldAWSRegion,
	"sourceIPAddress": fieldSourceIP, "userAgent": fieldUserAgent, "errorCode": fieldErrorCode, "eventID": fieldEventID,
	"recipientAccountId": fieldRecipient, "readOnly": fieldReadOnly, "sessionCredentialFromConsole": fieldConsole,
	"userIdentity": fieldUserIdentity, "resources": fieldResources, "requestParameters": fieldRequest,
	"responseElements": fieldResponse,

	"eventVersion": fieldIgnored, "requestID": fieldIgnored, "eventType": fieldIgnored, "managementEvent": fieldIgnored,
	"eventCategory": fieldIgnored, "tlsDetails": fieldIgnored, "additionalEventData": fieldIgnored,
	"sharedEventID": fieldIgnored, "errorMessage": fieldIgnored, "apiVersion": fieldIgnored, "vpcEndpointId": fieldIgnored,
	"vpcEndpointAccountId": fieldIgnored, "serviceEventDetails": fieldIgnored, "insightDetails": fieldIgnored,
	"addendum": fieldIgnored, "edgeDeviceDetails": fieldIgnored,
}

// topKeys finds a key of fieldNames from the first eight bytes after its
// opening quote (every name is at least seven bytes long, so the eight
// include the closing quote at worst), through a small table whose
// multiplier is chosen at start so that no two names share a slot. Names
// that share their first eight bytes (vpcEndpointId, vpcEndpointAccountId)
// are left to the map, as is every name if no multiplier is found.
var topKeys = func() keyTable {
	prefix := func(name string) uint64 { return binary.LittleEndian.Uint64([]byte((name + `"`)[:8])) }
	count := map[uint64]int{}
	for name := range fieldNames {
		count[prefix(name)]++
	}
	var t keyTable
	for t.mul = 0x9e3779b97f4a7c15; t.mul < 0x9e3779b97f4a7c15+1<<20; t.mul += 2 {
		t.slots = [128]keyEntry{}
		ok := true
		for name, id := range fieldNames {
			w := prefix(name)
			if count[w] > 1 {
				continue
			}
			e := &t.slots[t.slot(w)]
			if e.n != 0 {
				ok = false
				break
			}
			*e = keyEntry{n: len(name) + 1, id: id}
			var b [keyWords * 8]byte
			copy(b[:], name+`"`)
			for k := range e.w {
				e.w[k] = binary.LittleEndian.Uint64(b[8*k:])
			}
		}
		if ok {
			return t
		}
	}
	return keyTable{mul: 1}
}()

// keyWords is how many eight-byte words hold the longest name of
// fieldNames and its closing quote.
const keyWords = 4

type keyTable struct {
	mul   uint64
	slots [128]keyEntry
}

// keyEntry is a name of fieldNames: its bytes and closing quote, eight a
// word (zero-padded), their count (0: an empty slot) and its field.
type keyEntry struct {
	w  [keyWords]uint64
	n  int
	id field
}

func (t *keyTable) slot(w uint64) uint { return uint((w * t.mul) >> 57) }

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// eachMember calls fn with the key and value bytes of each member of the
// object in raw (which holds nothing else but whitespace). It returns false
// for bytes it does not handle (not a sound object, an escaped key) or when
// fn does.
func eachMember(raw []byte, fn func(key, v []byte) bool) bool {
	i := skipWS(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return false
	}
	i = skipWS(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return skipWS(raw, i+1) == len(raw)
	}
	for {
		if i >= len(raw) || raw[i] != '"' {
			return false
		}
		ke := stringEnd(raw, i+1)
		if ke < 0 {
			return false
		}
		key := raw[i+1 : ke-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			return false
		}
		i = skipWS(raw, ke)
		if i >= len(raw) || raw[i] != ':' {
			return false
		}
		i = skipWS(raw, i+1)
		if i >= len(raw) {
			return false
		}
		n, _, _, ok := scanValue(raw[i:], nil)
		if !ok || n == 0 || !soundScalar(raw[i:i+n]) {
			return false
		}
		if !fn(key, raw[i:i+n]) {
			return false
		}
		i = skipWS(raw, i+n)
		if i >= len(raw) {
			return false
		}
		switch raw[i] {
		case ',':
			i = skipWS(raw, i+1)
		case '}':
			return skipWS(raw, i+1) == len(raw)
		default:
			return false
		}
	}
}

// foldsTo reports whether key matches one of names only case-insensitively:
// the struct decoder would take it for that field, so the fast path hands
// the record over.
func foldsTo(key []byte, names []string) bool {
	for _, n := range names {
		if len(n) == len(key) && string(key) != n && bytes.EqualFold(key, []byte(n)) {
			return true
		}
	}
	return false
}

var (
	topNames = []string{"eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent", "errorCode", "eventID",
		"recipientAccountId", "readOnly", "sessionCredentialFromConsole", "userIdentity", "resources", "requestParameters", "responseElements"}
	identityNames = []string{"type", "principalId", "arn", "accountId", "userName", "invokedBy", "identityProvider", "sessionContext", "onBehalfOf"}
	contextNames  = []string{"sessionIssuer", "sourceIdentity"}
	issuerNames   = []string{"arn"}
	behalfNames   = []string{"userId", "identityStoreArn"}
	resourceNames = []string{"ARN", "accountId", "type"}
)

// decodeIdentity fills u from userIdentity's bytes as the struct decoder
// does, in one pass over them; false hands the value over to it.
func decodeIdentity(v []byte, u *userIdentity, ar *arena) bool {
	c, ok := openObject(v, skipWS(v, 0))
	if !ok {
		return false
	}
	// bad: a member of a known field has another shape than its own; the
	// lenient decoder then drops userIdentity.
	bad := false
	for {
		key, i, ok := c.next()
		if !ok {
			break
		}
		var end int
		switch string(key) {
		case "type":
			end = identityString(&u.Type, v, i, ar, &bad)
		case "principalId":
			end = identityString(&u.PrincipalID, v, i, ar, &bad)
		case "arn":
			end = identityString(&u.ARN, v, i, ar, &bad)
		case "accountId":
			end = identityString(&u.AccountID, v, i, ar, &bad)
		case "userName":
			end = identityString(&u.UserName, v, i, ar, &bad)
		case "invokedBy":
			end = identityString(&u.InvokedBy, v, i, ar, &bad)
		case "identityProvider":
			end = identityString(&u.IdentityProvider, v, i, ar, &bad)
		case "sessionContext":
			end = decodeSessionContext(v, i, u, ar, &bad)
		case "onBehalfOf":
			end = decodeOnBehalfOf(v, i, u, ar, &bad)
		default:
			end = skipMember(key, identityNames, v, i)
		}
		c.after(end)
	}
	if c.i < 0 || skipWS(v, c.i) != len(v) {
		return false
	}
	if bad {
		*u = userIdentity{}
	}
	return true
}

// identityString reads a string member of userIdentity (interned: a value
// shared by many records) and returns the index after it; another shape
// sets *bad and is skipped.
func identityString(dst *string, b []byte, i int, ar *arena, bad *bool) int {
	end, ok := readString(dst, b, i, ar)
	if !ok {
		*bad = true
		return skipValue(b, i)
	}
	return end
}

// skipMember skips the value at b[i] of a key the decoder does not read,
// or returns -1 when the key matches one of names only case-insensitively
// (the struct decoder would read it: the record is handed over).
func skipMember(key []byte, names []string, b []byte, i int) int {
	if foldsTo(key, names) {
		return -1
	}
	return skipValue(b, i)
}

// decodeSessionContext reads userIdentity.sessionContext at v[i] (an
// object or null) and returns the index after it.
func decodeSessionContext(v []byte, i int, u *userIdentity, ar *arena, bad *bool) int {
	if v[i] == 'n' {
		u.SessionContext = nil
		return literal(v, i, "null")
	}
	c, ok := openObject(v, i)
	if !ok {
		*bad = true
		return skipValue(v, i)
	}
	sc := ar.sessionContext()
	u.SessionContext = sc
	for {
		key, i, ok := c.next()
		if !ok {
			break
		}
		var end int
		switch string(key) {
		case "sourceIdentity":
			end = identityString(&sc.SourceIdentity, v, i, ar, bad)
		case "sessionIssuer":
			end = decodeSessionIssuer(v, i, &sc.SessionIssuer, ar, bad)
		default:
			end = skipMember(key, contextNames, v, i)
		}
		c.after(end)
	}
	return c.i
}

// decodeSessionIssuer reads sessionContext.sessionIssuer (its arn) at v[i]
// and returns the index after it.
func decodeSessionIssuer(v []byte, i int, si *sessionIssuer, ar *arena, bad *bool) int {
	if v[i] == 'n' {
		return literal(v, i, "null")
	}
	c, ok := openObject(v, i)
	if !ok {
		*bad = true
		return skipValue(v, i)
	}
	for {
		key, i, ok := c.next()
		if !ok {
			break
		}
		if string(key) == "arn" {
			c.after(identityString(&si.ARN, v, i, ar, bad))
		} else {
			c.after(skipMember(key, issuerNames, v, i))
		}
	}
	return c.i
}

// decodeOnBehalfOf reads userIdentity.onBehalfOf (Identity Center) at v[i]
// and returns the index after it.
func decodeOnBehalfOf(v []byte, i int, u *userIdentity, ar *arena, bad *bool) int {
	if v[i] == 'n' {
		u.OnBehalfOf = nil
		return literal(v, i, "null")
	}
	c, ok := openObject(v, i)
	if !ok {
		*bad = true
		return skipValue(v, i)
	}
	ob := &struct {
		UserID           string `json:"userId"`
		IdentityStoreArn string `json:"identityStoreArn"`
	}{}
	u.OnBehalfOf = ob
	for {
		key, i, ok := c.next()
		if !ok {
			break
		}
		switch string(key) {
		case "userId":
			c.after(identityString(&ob.UserID, v, i, ar, bad))
		case "identityStoreArn":
			c.after(identityString(&ob.IdentityStoreArn, v, i, ar, bad))
		default:
			c.after(skipMember(key, behalfNames, v, i))
		}
	}
	return c.i
}

// decodeResources fills *rs from the bytes of resources (an array) as the
// struct decoder does, in one pass; false hands the value over to it.
func decodeResources(v []byte, rs *[]recordResource, ar *arena) bool {
	i := skipWS(v, 0)
	if i >= len(v) || v[i] != '[' {
		return false
	}
	out := make([]recordResource, 0, 2)
	i = skipWS(v, i+1)
	if i < len(v) && v[i] == ']' {
		if skipWS(v, i+1) != len(v) {
			return false
		}
		*rs = out
		return true
	}
	for {
		// null elements and other shapes: the decoder decides.
		c, ok := openObject(v, i)
		if !ok {
			return false
		}
		var x recordResource
		for {
			key, i, ok := c.next()
			if !ok {
				break
			}
			var dst *string
			switch string(key) {
			case "ARN":
				dst = &x.ARN
			case "accountId":
				dst = &x.AccountID
			case "type":
				dst = &x.Type
			default:
				c.after(skipMember(key, resourceNames, v, i))
				continue
			}
			end := -1
			if v[i] == '"' {
				if e, ok := readString(dst, v, i, ar); ok {
					end = e
				}
			}
			c.after(end)
		}
		if c.i < 0 {
			return false
		}
		out = append(out, x)
		i = skipWS(v, c.i)
		if i >= len(v) {
			return false
		}
		switch v[i] {
		case ',':
			i = skipWS(v, i+1)
		case ']':
			if skipWS(v, i+1) != len(v) {
				return false
			}
			*rs = out
			return true
		default:
			return false
		}
	}
}

// objectCursor reads the members of a JSON object in one pass, without
// callbacks: next gives each key (plain: keys with escapes make the object
// unreadable here) and the index of its value, and the caller hands the
// index after the value to after.
type objectCursor struct {
	b []byte
	// i is the index of the next member's key; after the object, the
	// index after its closing brace; -1 once the bytes are not a sound
	// object.
	i    int
	done bool
}

// openObject starts reading the object at b[i]; false when there is none.
func openObject(b []byte, i int) (objectCursor, bool) {
	if i >= len(b) || b[i] != '{' {
		return objectCursor{}, false
	}
	c := objectCursor{b: b, i: skipWS(b, i+1)}
	if c.i < len(b) && b[c.i] == '}' {
		c.i++
		c.done = true
	}
	return c, true
}

// next returns the next member's key and the index of its value (not past
// the end of b); false after the last member or on unsound bytes (c.i < 0).
func (c *objectCursor) next() (key []byte, vi int, ok bool) {
	if c.done || c.i < 0 {
		return nil, 0, false
	}
	b, i := c.b, c.i
	if i >= len(b) || b[i] != '"' {
		c.i = -1
		return nil, 0, false
	}
	ke, plain := plainEnd(b, i+1)
	if ke < 0 || !plain {
		c.i = -1
		return nil, 0, false
	}
	key = b[i+1 : ke-1]
	i = skipWS(b, ke)
	if i >= len(b) || b[i] != ':' {
		c.i = -1
		return nil, 0, false
	}
	if i = skipWS(b, i+1); i >= len(b) {
		c.i = -1
		return nil, 0, false
	}
	return key, i, true
}

// after goes on after a member whose value ends at end (-1: not sound, or
// a value the fast path hands over).
func (c *objectCursor) after(end int) {
	if end < 0 {
		c.i = -1
		return
	}
	b := c.b
	i := skipWS(b, end)
	if i >= len(b) {
		c.i = -1
		return
	}
	switch b[i] {
	case ',':
		c.i = skipWS(b, i+1)
	case '}':
		c.i = i + 1
		c.done = true
	default:
		c.i = -1
	}
}

// skipValue returns the index after the sound JSON value at b[i], or -1.
func skipValue(b []byte, i int) int {
	if b[i] == '"' {
		e, _ := plainEnd(b, i+1)
		return e
	}
	n, _, _, ok := scanValue(b[i:], nil)
	if !ok || n == 0 || !soundScalar(b[i:i+n]) {
		return -1
	}
	return i + n
}

// literal returns the index after lit at b[i], or -1.
func literal(b []byte, i int, lit string) int {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit)
	}
	return -1
}

// readString sets *dst from the JSON string or null at b[i] and returns the
// index after it; ok is false for another shape (end is then unset).
func readString(dst *string, b []byte, i int, ar *arena) (end int, ok bool) {
	*dst = ""
	switch b[i] {
	case 'n':
		end = literal(b, i, "null")
		return end, end > 0
	case '"':
		e, plain := plainEnd(b, i+1)
		if e < 0 {
			return -1, false
		}
		if plain {
			*dst = ar.intern(b[i+1 : e-1])
			return e, true
		}
		var s string
		if json.Unmarshal(b[i:e], &s) != nil {
			return -1, false
		}
		*dst = s
		return e, true
	}
	return -1, false
}

// plainEnd returns the index after the closing quote of the string whose
// content starts at i (-1 when b ends first), and whether the content is
// plain: no escape and no control character, so its bytes are its value.
// It looks at eight bytes at a time.
func plainEnd(b []byte, i int) (int, bool) {
	plain := true
	words := 0
	for {
		for i+8 <= len(b) {
			w := binary.LittleEndian.Uint64(b[i:])
			if t := zeroBytes(w^quotes) | zeroBytes(w^backslashes) | lessThan0x20(w); t != 0 {
				i += bits.TrailingZeros64(t) / 8
				break
			}
			i += 8
			// A long string (a user agent, a message): the vectorised
			// IndexByte finds its closing quote, and a second call rules
			// out a backslash before it.
			if words++; words == 3 && plain {
				if q := bytes.IndexByte(b[i:], '"'); q >= 0 && bytes.IndexByte(b[i:i+q], '\\') < 0 {
					return i + q + 1, noControl(b[i : i+q])
				}
			}
		}
		for i < len(b) && b[i] != '"' && b[i] != '\\' && b[i] >= 0x20 {
			i++
		}
		if i >= len(b) {
			return -1, false
		}
		switch b[i] {
		case '"':
			return i + 1, plain
		case '\\':
			plain = false
			i += 2 // a backslash and the byte it escapes
		default: // a control character: not valid JSON, left to the decoder
			plain = false
			i++
		}
	}
}

// plainBytes reports whether s holds no quote, backslash or byte below
// 0x20: the whole content of one JSON string that needs no unescaping.
func plainBytes(s []byte) bool {
	var acc uint64
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := binary.LittleEndian.Uint64(s[i:])
		acc |= zeroBytes(w^quotes) | zeroBytes(w^backslashes) | lessThan0x20(w)
	}
	if acc != 0 {
		return false
	}
	for ; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' || c < 0x20 {
			return false
		}
	}
	return true
}

// noControl reports whether s holds no byte below 0x20.
func noControl(s []byte) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if lessThan0x20(binary.LittleEndian.Uint64(s[i:])) != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] < 0x20 {
			return false
		}
	}
	return true
}

// lessThan0x20 has the high bit set of the first byte of w below 0x20 (and
// maybe of later bytes, never of earlier ones).
func lessThan0x20(w uint64) uint64 {
	return (w - 0x2020202020202020) &^ w & highs
}

// soundScalar reports whether a value the scanner took is a string, an
// object or array (checked by their decoder when read), or a valid literal:
// true, false, null or a number.
func soundScalar(v []byte) bool {
	switch v[0] {
	case '"', '{', '[':
		return true
	}
	switch string(v) {
	case "true", "false", "null":
		return true
	}
	var f float64
	return json.Unmarshal(v, &f) == nil
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// setField stores one top-level value; false for a value the scanner took
// that is not JSON (the caller falls back to the decoder, which reports it).
func (r *rawRecord) setField(key, v []byte, ar *arena) bool {
	id, ok := fieldNames[string(key)]
	if !ok {
		return !foldsTo(key, topNames)
	}
	return r.set(id, v, ar)
}

// set stores the value of one field.
func (r *rawRecord) set(id field, v []byte, ar *arena) bool {
	switch id {
	case fieldEventTime:
		r.EventTime = ""
		r.timeParsed = false
		if s, ok := plainString(v); ok {
			if t, ok := parseCloudTrailTime(s); ok {
				r.eventTime, r.timeParsed = t, true
				return true
			}
		}
		return r.stringField(&r.EventTime, v, nil)
	case fieldEventSource:
		return r.stringField(&r.EventSource, v, ar)
	case fieldEventName:
		return r.stringField(&r.EventName, v, ar)
	case fieldAWSRegion:
		return r.stringField(&r.AWSRegion, v, ar)
	case fieldSourceIP:
		return r.stringField(&r.SourceIPAddress, v, ar)
	case fieldUserAgent:
		return r.stringField(&r.UserAgent, v, ar)
	case fieldErrorCode:
		return r.stringField(&r.ErrorCode, v, ar)
	case fieldEventID:
		return r.stringField(&r.EventID, v, nil)
	case fieldRecipient:
		return r.stringField(&r.RecipientAccountID, v, ar)
	case fieldReadOnly:
		r.ReadOnly = flexBool{}
		return r.ReadOnly.UnmarshalJSON(v) == nil
	case fieldConsole:
		r.SessionCredentialFromConsole = flexBool{}
		return r.SessionCredentialFromConsole.UnmarshalJSON(v) == nil
	case fieldUserIdentity:
		r.UserIdentity = userIdentity{}
		if v[0] == '{' && !decodeIdentity(v, &r.UserIdentity, ar) {
			// The decoder gets its own value, so r can stay on the
			// caller's stack.
			u := new(userIdentity)
			r.UserIdentity = userIdentity{}
			if json.UnmarshalNoEscape(v, u) == nil {
				r.UserIdentity = *u
			}
		}
	case fieldResources:
		r.Resources = nil
		if v[0] == '[' && !decodeResources(v, &r.Resources, ar) {
			var rs []recordResource
			if json.UnmarshalNoEscape(v, &rs) == nil {
				r.Resources = rs
			}
		}
	case fieldRequest:
		r.RequestParameters = nil
		if v[0] == '{' && v[len(v)-1] == '}' {
			r.RequestParameters = v
		}
	case fieldResponse:
		r.ResponseElements = nil
		if v[0] == '{' && v[len(v)-1] == '}' {
			r.ResponseElements = v
		}
	}
	return true
}

// stringField sets *dst from a JSON string (a null or another shape leaves
// it empty, as the lenient decoder does); false when v is not one string.
func (r *rawRecord) stringField(dst *string, v []byte, ar *arena) bool {
	*dst = ""
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' && plainBytes(v[1:len(v)-1]) {
		*dst = ar.intern(v[1 : len(v)-1])
		return true
	}
	if v[0] == '"' {
		e, ok := readString(dst, v, 0, ar)
		return ok && e == len(v)
	}
	return true
}

// plainString returns the content of a JSON string without escapes.
func plainString(v []byte) ([]byte, bool) {
	if len(v) < 2 || v[0] != '"' {
		return nil, false
	}
	if e, plain := plainEnd(v, 1); e != len(v) || !plain {
		return nil, false
	}
	return v[1 : len(v)-1], true
}

// parseCloudTrailTime parses the form CloudTrail writes,
// 2006-01-02T15:04:05Z, without time.Parse; false for anything else.
func parseCloudTrailTime(b []byte) (time.Time, bool) {
	if len(b) != 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[19] != 'Z' {
		return time.Time{}, false
	}
	num := func(i, n int) (int, bool) {
		v := 0
		for _, c := range b[i : i+n] {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 2)
	d, ok3 := num(8, 2)
	h, ok4 := num(11, 2)
	mi, ok5 := num(14, 2)
	s, ok6 := num(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > daysIn(time.Month(mo), y) || h > 23 || mi > 59 || s > 59 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, 0, time.UTC), true
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// intern returns b as a string, shared with an earlier equal value of the
// arena's file when one is in its cache: event sources, regions, accounts,
// user agents and principals recur in nearly every record. The cache is a
// small direct-mapped table (it stays in the CPU's cache, where a map of
// thousands of one-off values would not).
func (a *arena) intern(b []byte) string {
	if a == nil {
		return string(b)
	}
	h := internSlot(b)
	if s := a.strs[h]; s == string(b) {
		return s
	}
	s := string(b)
	a.strs[h] = s
	return s
}

// internSlot hashes a string's length and its first and last eight bytes
// to a slot of the intern table.
func internSlot(b []byte) uint {
	n := len(b)
	var x uint64
	if n >= 8 {
		x = binary.LittleEndian.Uint64(b) ^ binary.LittleEndian.Uint64(b[n-8:])*0x9e3779b97f4a7c15
	} else {
		for _, c := range b {
			x = x<<8 | uint64(c)
		}
	}
	x = (x ^ uint64(n)) * 0xff51afd7ed558ccd
	return uint(x >> (64 - internBits))
}

const internBits = 9

const maxInterned = 4096

// action is servicePrefix(source) + ":" + name, shared per file.
func (a *arena) action(source, name string) string {
	if a == nil {
		return servicePrefix(source) + ":" + name
	}
	k := [2]string{source, name}
	if s, ok := a.actions[k]; ok {
		return s
	}
	s := servicePrefix(source) + ":" + name
	if a.actions == nil {
		a.actions = make(map[[2]string]string, 64)
	}
	if len(a.actions) < maxInterned {
		a.actions[k] = s
	}
	return s
}
