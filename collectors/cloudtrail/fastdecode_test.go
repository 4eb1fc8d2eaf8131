package cloudtrail

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// requireSameDecode checks that the fast top-level decoder, when it takes
// a record, reads exactly what the struct decoder (with its lenient
// fallback) reads, and that normalising gives the same event either way.
func requireSameDecode(t *testing.T, where string, raw []byte) {
	t.Helper()
	var fast rawRecord
	if decodeTop(raw, nil, &fast, &arena{}) {
		requireSameRecord(t, where, raw, fast)
	}
	// As the stream scanner hands records over: with their key offsets.
	b := bytes.TrimSpace(raw)
	var members []int32
	if n, _, _, ok := scanValue(b, &members); ok && n == len(b) && b[0] == '{' {
		var at rawRecord
		var slow rawRecord
		// With key offsets, a record whose only flaw lies in a field
		// nobody reads is taken (best effort) where the decoder rejects
		// it; every record the decoder takes reads the same.
		if decodeTop(b, members, &at, &arena{}) && decodeRecord(raw, &slow) == nil {
			requireSameRecord(t, where+" (key offsets)", raw, at)
		}
	}
}

func requireSameRecord(t *testing.T, where string, raw []byte, fast rawRecord) {
	t.Helper()
	var slow rawRecord
	slowErr := decodeRecord(raw, &slow)
	require.NoError(t, slowErr, "%s: the fast decoder took a record the decoder rejects", where)
	timeOf := func(r *rawRecord) time.Time {
		if r.timeParsed {
			return r.eventTime
		}
		t, _ := parseTime(r.EventTime)
		return t
	}
	require.Equal(t, timeOf(&slow), timeOf(&fast), "%s: eventTime", where)
	require.Equal(t, slow.RequestParameters.object(), fast.RequestParameters.object(), "%s: requestParameters", where)
	require.Equal(t, slow.ResponseElements.object(), fast.ResponseElements.object(), "%s: responseElements", where)
	for _, r := range []*rawRecord{&fast, &slow} {
		r.EventTime, r.eventTime, r.timeParsed = "", time.Time{}, false
		r.RequestParameters, r.ResponseElements = nil, nil
	}
	require.Equal(t, slow, fast, "%s: fields", where)
}

func TestFastDecodeMatchesDecoder(t *testing.T) {
	base := `"eventVersion":"1.09","eventID":"e1","eventSource":"ec2.amazonaws.com","awsRegion":"eu-west-1"`
	cases := []struct {
		name, rec string
		fast      bool // the fast decoder takes it
		// lenient: with the stream's key offsets it takes the record anyway
		// (the flaw is in a field nobody reads)
		lenient bool
	}{
		{"usual", `{` + base + `,"eventTime":"2024-05-01T10:00:00Z","eventName":"RunInstances","readOnly":false,"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/s","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::1:role/r"},"sourceIdentity":"alice","attributes":{"mfaAuthenticated":"true"}}},"requestParameters":{"a":[1,2.5,{"b":null}],"c":"arn:aws:s3:::x"},"responseElements":null,"resources":[{"ARN":"arn:aws:s3:::x","type":"AWS::S3::Bucket"}]}`, true, false},
		{"fractional time", `{` + base + `,"eventTime":"2024-05-01T10:00:00.123Z"}`, true, false},
		{"offset time", `{` + base + `,"eventTime":"2024-05-01T12:00:00+02:00"}`, true, false},
		{"bad time", `{` + base + `,"eventTime":"2024-02-30T10:00:00Z"}`, true, false},
		{"escaped strings", `{` + base + `,"userAgent":"a \"quoted\" agent \u00e9","userIdentity":{"type":"IAMUser","userName":"b\\ob"}}`, true, false},
		{"string readOnly", `{` + base + `,"readOnly":"True","sessionCredentialFromConsole":"true"}`, true, false},
		{"null fields", `{` + base + `,"userIdentity":null,"requestParameters":null,"resources":null,"errorCode":null,"readOnly":null}`, true, false},
		{"number for a string", `{` + base + `,"eventName":5,"userAgent":["x"]}`, true, false},
		{"identity of the wrong shape", `{` + base + `,"userIdentity":{"type":"IAMUser","arn":7}}`, true, false},
		{"issuer of the wrong shape", `{` + base + `,"userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":"x"}}}`, true, false},
		{"context null", `{` + base + `,"userIdentity":{"type":"AssumedRole","sessionContext":null,"onBehalfOf":{"userId":"u"}}}`, true, false},
		{"request not an object", `{` + base + `,"requestParameters":"x","responseElements":[1]}`, true, false},
		{"no resources", `{` + base + `,"resources":[]}`, true, false},
		{"resources with extra keys", `{` + base + `,"resources":[{"ARN":"arn:aws:s3:::a","accountId":"1","type":"AWS::S3::Bucket","x":{"y":[1]}} , {"ARN":"b\u00e9"}]}`, true, false},
		{"a null resource", `{` + base + `,"resources":[null,{"ARN":"a"}]}`, true, false},
		{"a resource ARN of the wrong shape", `{` + base + `,"resources":[{"ARN":5}]}`, true, false},
		{"a case-folded resource key", `{` + base + `,"resources":[{"arn":"x","ACCOUNTID":"1"}]}`, true, false},
		{"resources in a string", `{` + base + `,"resources":"arn:aws:s3:::a"}`, true, false},
		{"resources of the wrong shape", `{` + base + `,"resources":{"ARN":"x"}}`, true, false},
		{"duplicate keys", `{` + base + `,"eventName":"A","eventName":"B"}`, true, false},
		{"whitespace", " {\n  \"eventID\" : \"e\" ,\n \"eventName\"\t:\"X\"\n}\n", true, false},
		{"case-folded key", `{` + base + `,"EventName":"X"}`, false, false},
		{"case-folded identity key", `{` + base + `,"userIdentity":{"Type":"IAMUser"}}`, true, false}, // userIdentity alone goes to the decoder
		{"escaped key", `{` + base + `,"event\u004eame":"X"}`, false, false},
		{"bad literal", `{` + base + `,"x":tru}`, false, true},
		{"trailing bytes", `{` + base + `} x`, false, false},
		{"not an object", `[1]`, false, false},
		{"two values in a member", `{` + base + `,"eventName":"A" "B","x":1}`, false, false},
		{"two objects in a member", `{` + base + `,"tlsDetails":{"a":1} {"b":2},"x":1}`, false, true},
		{"two strings in a member nobody reads", `{` + base + `,"requestID":"a" "b"}`, false, true},
		{"identity not an object", `{` + base + `,"userIdentity":"x"}`, true, false},
		{"control character in a string", "{" + base + ",\"userAgent\":\"a\x01b\"}", false, false},
		{"escaped quote in a key of the identity", `{` + base + `,"userIdentity":{"ty\"pe":"IAMUser"}}`, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var r rawRecord
			require.Equal(t, tc.fast, decodeTop([]byte(tc.rec), nil, &r, &arena{}))
			if b := bytes.TrimSpace([]byte(tc.rec)); b[0] == '{' {
				var members []int32
				if _, _, _, ok := scanValue(b, &members); ok {
					require.Equal(t, tc.fast || tc.lenient, decodeTop(b, members, &r, &arena{}), "with key offsets")
				}
			}
			requireSameDecode(t, tc.name, []byte(tc.rec))
			// Normalize gives the same event through either decoder.
			ev, err := Normalize([]byte(tc.rec))
			var ref rawRecord
			if refErr := decodeRecord([]byte(tc.rec), &ref); refErr != nil {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, ref.EventID, ev.ID)
		})
	}
}

func TestParseCloudTrailTime(t *testing.T) {
	for _, s := range []string{"2024-05-01T10:00:00Z", "2024-02-29T23:59:59Z", "2023-02-29T10:00:00Z", "2024-13-01T10:00:00Z",
		"2024-05-01T24:00:00Z", "2024-05-01T10:60:00Z", "2024-05-01T10:00:60Z", "2024-05-01T10:00:00z", "2024-05-01 10:00:00Z", "0000-01-01T00:00:00Z"} {
		want, wantErr := time.Parse("2006-01-02T15:04:05Z", s)
		got, ok := parseCloudTrailTime([]byte(s))
		require.Equal(t, wantErr == nil, ok, s)
		if ok {
			require.Equal(t, want, got, s)
		}
	}
}

// Every field name is found through the key table (but those that share
// their first eight bytes), and through topKeyAt either way.
func TestTopKeys(t *testing.T) {
	inTable := 0
	for name, id := range fieldNames {
		raw := []byte(`{"` + name + `":1}`)
		got, end := topKeyAt(raw, 1)
		require.Equal(t, id, got, name)
		require.Equal(t, 3+len(name), end, name)
	}
	for _, e := range topKeys.slots {
		if e.n != 0 {
			inTable++
		}
	}
	require.Equal(t, len(fieldNames)-2, inTable, "only vpcEndpointId and vpcEndpointAccountId share a prefix")
	for _, raw := range []string{`{"eventTimes":1}`, `{"eventTim":1}`, `{"event\u0054ime":1}`, `{"x":1}`, `{"eventTime`} {
		id, end := topKeyAt([]byte(raw), 1)
		require.NotEqual(t, fieldEventTime, id, raw)
		if end > 0 {
			require.Equal(t, byte('"'), raw[end-1], raw)
		}
	}
}

// FuzzNormalizeRecord runs a record through the stream path (key offsets,
// arena) and through Normalize: neither may panic, an event the stream
// path gives must not alias the input, and when the decoder takes the
// record both paths give the same event.
func FuzzNormalizeRecord(f *testing.F) {
	for _, t := range benchTemplates {
		f.Add([]byte(fmt.Sprintf(t, 1, 2, 3, 4, "req-1", "ev-1", "shared-1", "ABCDEFGHIJKLMNOP")))
	}
	f.Add([]byte(`{"eventTime":"2024-05-01T10:00:00Z","eventName":"X","requestParameters":{"password":"p","a":"arn:aws:s3:::b"},"eventID":"e"}`))
	f.Add([]byte(`{"eventVersion":"1","vpcEndpointId":"x","vpcEndpointAccountId":"y","eventID":"e","userIdentity":{"type":"Root"}}`))
	f.Fuzz(func(t *testing.T, rec []byte) {
		b := bytes.TrimSpace(rec)
		var members []int32
		if n, _, _, ok := scanValue(b, &members); !ok || n != len(b) || len(b) == 0 || b[0] != '{' {
			return
		}
		buf := append([]byte(nil), b...)
		var ar arena
		ev, err := normalizeWith(buf, members, Options{IncludeReadOnly: true}, rawCopy, &ar)
		for i := range buf {
			buf[i] = 0
		}
		if err != nil {
			return
		}
		if len(ev.Raw) > 0 && ev.Raw[0] == 0 || len(ev.RequestJSON) > 0 && ev.RequestJSON[0] == 0 {
			t.Fatalf("the event aliases the reader's buffer")
		}
		var slow rawRecord
		if decodeRecord(b, &slow) != nil {
			return // best effort: the stream path may take what the decoder rejects
		}
		ref, err := Normalize(b)
		if err != nil {
			t.Fatalf("Normalize failed on a record the decoder takes: %v", err)
		}
		if ref.ID != ev.ID || ref.Action != ev.Action || ref.Principal != ev.Principal || ref.Via != ev.Via ||
			!ref.Time.Equal(ev.Time) || fmt.Sprint(ref.Resources) != fmt.Sprint(ev.Resources) {
			t.Fatalf("paths differ:\n%+v\n%+v", ref, ev)
		}
	})
}

// TestTopKeyTable checks that every name of fieldNames fits the table's
// words and that topKeyAt finds each name (in a record's bytes, with and
// without room after it), and no longer or shorter look-alike.
func TestTopKeyTable(t *testing.T) {
	for name, id := range fieldNames {
		require.LessOrEqual(t, len(name)+1, keyWords*8, name)
		for _, tail := range []string{`:1,"x":2}`, `:1}`, `:{"a":1}                                  }`} {
			raw := []byte(`"` + name + `"` + tail)
			got, end := topKeyAt(raw, 0)
			require.Equal(t, id, got, "%s%s", name, tail)
			require.Equal(t, len(name)+2, end, "%s%s", name, tail)
			for _, other := range []string{name + "x", name[:len(name)-1], "X" + name[1:], name[:len(name)-1] + "\\u0041"} {
				raw := []byte(`"` + other + `":1,"padding":"                                 "}`)
				got, end := topKeyAt(raw, 0)
				if id2, ok := fieldNames[other]; ok {
					require.Equal(t, id2, got, other)
					continue
				}
				require.Equal(t, fieldOther, got, other)
				if strings.Contains(other, `\`) {
					require.Equal(t, -1, end, other)
				} else {
					require.Equal(t, len(other)+2, end, other)
				}
			}
		}
	}
}
