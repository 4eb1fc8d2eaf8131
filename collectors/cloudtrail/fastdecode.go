package cloudtrail

import (
	"bytes"
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
		return eachMemberAt(raw, members, func(key, v []byte) bool { return r.setField(key, v, ar) })
	}
	return eachMember(raw, func(key, v []byte) bool { return r.setField(key, v, ar) })
}

// eachMemberAt is eachMember for an object whose key offsets the stream
// scanner noted (scanValue): each value lies between its key's colon and
// the comma before the next key, so nothing is scanned twice.
func eachMemberAt(raw []byte, members []int32, fn func(key, v []byte) bool) bool {
	// The object's closing brace.
	last := len(raw) - 1
	for last >= 0 && isWS(raw[last]) {
		last--
	}
	if last < 0 || raw[last] != '}' || len(members) == 0 {
		return false
	}
	for k, p := range members {
		ke := stringEnd(raw, int(p)+1)
		if ke < 0 {
			return false
		}
		key := raw[p+1 : ke-1]
		if bytes.IndexByte(key, '\\') >= 0 {
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
		v := raw[i : e+1]
		if !exactValue(key, v) || !fn(key, v) {
			return false
		}
	}
	return true
}

// exactValue reports whether v, found between a colon and a comma, is one
// sound value. userIdentity, requestParameters and responseElements are
// left to their decoders, which read them strictly (a malformed one is
// dropped and the record kept).
func exactValue(key, v []byte) bool {
	switch v[0] {
	case '"':
		return stringEnd(v, 1) == len(v)
	case '{', '[':
		switch string(key) {
		case "userIdentity", "requestParameters", "responseElements":
			return v[len(v)-1] == '}' || v[len(v)-1] == ']'
		}
		n, _, _, ok := scanValue(v, nil)
		return ok && n == len(v)
	}
	return soundScalar(v)
}

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
	issuerNames   = []string{"type", "principalId", "arn", "accountId", "userName"}
	behalfNames   = []string{"userId", "identityStoreArn"}
)

// decodeIdentity fills u from userIdentity's bytes as the struct decoder
// does; false hands the value over to it.
func decodeIdentity(v []byte, u *userIdentity, ar *arena) bool {
	bad := false
	str := func(dst *string, v []byte) { // a value shared by many records
		if !nestedString(dst, v, ar) {
			bad = true
		}
	}
	strOnce := func(dst *string, v []byte) { // one that varies by session
		if !nestedString(dst, v, nil) {
			bad = true
		}
	}
	ok := eachMember(v, func(key, v []byte) bool {
		switch string(key) {
		case "type":
			str(&u.Type, v)
		case "principalId":
			strOnce(&u.PrincipalID, v)
		case "arn":
			strOnce(&u.ARN, v)
		case "accountId":
			str(&u.AccountID, v)
		case "userName":
			str(&u.UserName, v)
		case "invokedBy":
			str(&u.InvokedBy, v)
		case "identityProvider":
			str(&u.IdentityProvider, v)
		case "sessionContext":
			switch v[0] {
			case 'n':
				u.SessionContext = nil
			case '{':
				sc := &struct {
					SessionIssuer  sessionIssuer `json:"sessionIssuer"`
					SourceIdentity string        `json:"sourceIdentity"`
				}{}
				u.SessionContext = sc
				return eachMember(v, func(key, v []byte) bool {
					switch string(key) {
					case "sourceIdentity":
						str(&sc.SourceIdentity, v)
					case "sessionIssuer":
						switch v[0] {
						case 'n':
						case '{':
							si := &sc.SessionIssuer
							return eachMember(v, func(key, v []byte) bool {
								switch string(key) {
								case "type":
									str(&si.Type, v)
								case "principalId":
									str(&si.PrincipalID, v)
								case "arn":
									str(&si.ARN, v)
								case "accountId":
									str(&si.AccountID, v)
								case "userName":
									str(&si.UserName, v)
								default:
									return !foldsTo(key, issuerNames)
								}
								return true
							})
						default:
							bad = true
						}
					default:
						return !foldsTo(key, contextNames)
					}
					return true
				})
			default:
				bad = true
			}
		case "onBehalfOf":
			switch v[0] {
			case 'n':
				u.OnBehalfOf = nil
			case '{':
				ob := &struct {
					UserID           string `json:"userId"`
					IdentityStoreArn string `json:"identityStoreArn"`
				}{}
				u.OnBehalfOf = ob
				return eachMember(v, func(key, v []byte) bool {
					switch string(key) {
					case "userId":
						str(&ob.UserID, v)
					case "identityStoreArn":
						str(&ob.IdentityStoreArn, v)
					default:
						return !foldsTo(key, behalfNames)
					}
					return true
				})
			default:
				bad = true
			}
		default:
			return !foldsTo(key, identityNames)
		}
		return true
	})
	if !ok {
		return false
	}
	if bad { // a member of the wrong shape: the lenient decoder drops userIdentity
		*u = userIdentity{}
	}
	return true
}

// nestedString sets *dst from a JSON string or null; false for another shape.
func nestedString(dst *string, v []byte, ar *arena) bool {
	*dst = ""
	if s, ok := plainString(v); ok {
		*dst = ar.intern(s)
		return true
	}
	switch v[0] {
	case 'n':
		return true
	case '"':
		var s string
		if json.Unmarshal(v, &s) != nil {
			return false
		}
		*dst = s
		return true
	}
	return false
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
	switch string(key) {
	case "eventTime":
		r.EventTime = ""
		r.timeParsed = false
		if s, ok := plainString(v); ok {
			if t, ok := parseCloudTrailTime(s); ok {
				r.eventTime, r.timeParsed = t, true
				return true
			}
		}
		return r.stringField(&r.EventTime, v, nil)
	case "eventSource":
		return r.stringField(&r.EventSource, v, ar)
	case "eventName":
		return r.stringField(&r.EventName, v, ar)
	case "awsRegion":
		return r.stringField(&r.AWSRegion, v, ar)
	case "sourceIPAddress":
		return r.stringField(&r.SourceIPAddress, v, nil)
	case "userAgent":
		return r.stringField(&r.UserAgent, v, ar)
	case "errorCode":
		return r.stringField(&r.ErrorCode, v, ar)
	case "eventID":
		return r.stringField(&r.EventID, v, nil)
	case "recipientAccountId":
		return r.stringField(&r.RecipientAccountID, v, ar)
	case "readOnly":
		r.ReadOnly = flexBool{}
		return r.ReadOnly.UnmarshalJSON(v) == nil
	case "sessionCredentialFromConsole":
		r.SessionCredentialFromConsole = flexBool{}
		return r.SessionCredentialFromConsole.UnmarshalJSON(v) == nil
	case "userIdentity":
		r.UserIdentity = userIdentity{}
		if v[0] == '{' && !decodeIdentity(v, &r.UserIdentity, ar) {
			r.UserIdentity = userIdentity{}
			if json.UnmarshalNoEscape(v, &r.UserIdentity) != nil {
				r.UserIdentity = userIdentity{}
			}
		}
	case "resources":
		r.Resources = nil
		if v[0] == '[' && json.UnmarshalNoEscape(v, &r.Resources) != nil {
			r.Resources = nil
		}
	case "requestParameters":
		r.RequestParameters = nil
		if v[0] == '{' {
			r.RequestParameters = v
		}
	case "responseElements":
		r.ResponseElements = nil
		if v[0] == '{' {
			r.ResponseElements = v
		}
	default:
		return !foldsTo(key, topNames)
	}
	return true
}

// stringField sets *dst from a JSON string (a null or another shape leaves
// it empty, as the lenient decoder does).
func (r *rawRecord) stringField(dst *string, v []byte, ar *arena) bool {
	*dst = ""
	if s, ok := plainString(v); ok {
		*dst = ar.intern(s)
		return true
	}
	if v[0] == '"' { // escapes
		var s string
		if json.Unmarshal(v, &s) != nil {
			return false
		}
		*dst = s
	}
	return true
}

// plainString returns the content of a JSON string without escapes.
func plainString(v []byte) ([]byte, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil, false
	}
	s := v[1 : len(v)-1]
	if bytes.IndexByte(s, '\\') >= 0 {
		return nil, false
	}
	for _, c := range s {
		if c < 0x20 { // a control character: invalid JSON, left to the decoder
			return nil, false
		}
	}
	return s, true
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

// intern returns b as a string, shared with earlier equal values in the
// arena's file: event sources, regions, accounts, user agents and source
// addresses recur in nearly every record.
func (a *arena) intern(b []byte) string {
	if a == nil {
		return string(b)
	}
	if s, ok := a.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if a.strs == nil {
		a.strs = make(map[string]string, 64)
	}
	if len(a.strs) < maxInterned {
		a.strs[s] = s
	}
	return s
}

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
