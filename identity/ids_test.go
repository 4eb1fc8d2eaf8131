package identity

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// refIDs returns the ids of refs, in order (nil for none).
func refIDs(refs []ResourceRef) []string {
	var ids []string
	for _, r := range refs {
		ids = append(ids, r.ID)
	}
	return ids
}

// requireIDsOf checks EventResourceIDs on a copy of rec against refs, what
// EventResources returned for it: the same ids in the same order, appended
// after what dst held, and the same KeyMatch, with and without words.
// requireSameAsMaps calls it, so every differential test (table rows,
// crafted shapes, the corpus, the fuzz target) checks it too.
func requireIDsOf(t testing.TB, rec *Record, refs []ResourceRef, where string) {
	t.Helper()
	want := refIDs(refs)

	cp := *rec
	cp.KeyMatch = !rec.KeyMatch // left as it is without words
	got := EventResourceIDs(&cp, nil)
	require.Equal(t, want, got, "%s: EventResourceIDs(rec, nil)", where)
	if rec.KeyWords == nil {
		require.Equal(t, !rec.KeyMatch, cp.KeyMatch, "%s: KeyMatch changed without words", where)
	}

	prefix := []string{"kept-0", "kept-1"}
	for _, dst := range [][]string{prefix, append(make([]string, 0, 16), prefix...)} {
		got := EventResourceIDs(&cp, dst)
		require.Equal(t, append(slices.Clone(prefix), want...), got, "%s: EventResourceIDs(rec, dst)", where)
	}

	// The words change no id, and both functions report the same KeyMatch.
	withRefs, withIDs := *rec, *rec
	withRefs.KeyWords, withIDs.KeyWords = keyWords, keyWords
	require.Equal(t, refIDs(EventResources(&withRefs)), EventResourceIDs(&withIDs, nil), "%s: with words", where)
	require.Equal(t, withRefs.KeyMatch, withIDs.KeyMatch, "%s: KeyMatch", where)
}

// TestEventResourceIDsBench checks EventResourceIDs on the benchmark's
// records as the collector hands them over (with words).
func TestEventResourceIDsBench(t *testing.T) {
	for _, br := range benchRecords {
		rec := br.rec
		rec.Resources = br.resources
		rec.KeyWords = keyWords
		refs := EventResources(&rec)
		require.NotEmpty(t, refs, br.name)
		requireIDsOf(t, &rec, refs, br.name)
	}
}

// TestEventResourceIDsKeyMatch runs the cases of TestEventResourcesKeyMatch
// (and malformed or absent objects) through both functions.
func TestEventResourceIDsKeyMatch(t *testing.T) {
	for i, tc := range []struct {
		req, resp string
		want      bool
	}{
		{"", "", false},
		{`{"groupId":"sg-0abc","ipPermissions":{"items":[{"ipProtocol":"tcp","description":"password"}]}}`, `{"securityGroupRuleSet":{"items":[{"securityGroupRuleId":"sgr-0123"}]}}`, false},
		{`{"groupId":"sg-0abc","ipPermissions":{"items":[{"MasterUserPassword":"x"}]}}`, ``, true},
		{`{"groupId":"sg-0abc"}`, `{"_return":true,"credentials":{"sessionToken":"x"}}`, true},
		{`{"groupId":"sg-0abc","\u0074oken":"x"}`, ``, true},
		{`{"groupId":"sg-0abc","t\u00f6ken":"x"}`, ``, true},
		{"{\"groupId\":\"sg-0abc\",\"t\xc3\xb6ken\":\"x\"}", ``, true},
		{`{"groupId":"sg-0abc",}`, `{"securityGroupRuleSet":{"items":[{"securityGroupRuleId":"sgr-0123"}]}}`, true},
		{`{"groupId":"sg-0abc"}`, `{"_return":true`, true},
		{`["password"]`, ``, true},
		{`{"groupId":"sg-0abc"}`, `nope`, true},
		{`{"groupId":"sg-0abc","x":"arn:aws:s3:::b"}`, `{"y":"arn:aws:iam::1:role/r"}`, false},
	} {
		where := fmt.Sprintf("case %d", i)
		rec := rawRecord("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", tc.req, tc.resp)
		rec.KeyWords = keyWords
		ids := EventResourceIDs(rec, nil)
		require.Equal(t, tc.want, rec.KeyMatch, where)
		rec2 := rawRecord("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", tc.req, tc.resp)
		rec2.KeyWords = keyWords
		require.Equal(t, refIDs(EventResources(rec2)), ids, where)
		requireIDsOf(t, rawRecord("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", tc.req, tc.resp), EventResources(rec2), where)
	}
}

// TestEventResourceIDsNone: a record with no resource leaves dst as it is
// (nil stays nil).
func TestEventResourceIDsNone(t *testing.T) {
	for _, rec := range []*Record{
		{},
		rawRecord("example.amazonaws.com", "DoThing", `{"a":"b"}`, `{"c":1}`),
		rawRecord("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":""}`, ``),
		rawRecord("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-1"`, `[]`),
		rawRecord("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", "\xff", "{"),
	} {
		require.Nil(t, EventResourceIDs(rec, nil))
		dst := []string{"x"}
		got := EventResourceIDs(rec, dst)
		require.Equal(t, []string{"x"}, got)
		require.Nil(t, EventResources(rec))
	}
}

// TestEventResourceIDsShareNothingMutable: the ids of one call are not
// changed by a later one, nor by writes to the record's bytes.
func TestEventResourceIDsShareNothingMutable(t *testing.T) {
	rec := rawRecord("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-1"}`, `{"x":"arn:aws:s3:::b"}`)
	first := EventResourceIDs(rec, nil)
	want := slices.Clone(first)
	rec2 := rawRecord("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-2"}`, `{"x":"arn:aws:s3:::c"}`)
	EventResourceIDs(rec2, nil)
	for i := range rec.Request {
		rec.Request[i] = 'z'
	}
	for i := range rec.Response {
		rec.Response[i] = 'z'
	}
	require.Equal(t, want, first)
}

// TestEventResourceIDsAllocs: one string for the ids, and dst's growth.
func TestEventResourceIDsAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("coverage and the race detector change allocations")
	}
	for _, br := range benchRecords {
		rec := br.rec
		rec.Resources = br.resources
		rec.KeyWords = keyWords
		n := len(EventResourceIDs(&rec, nil))
		require.NotZero(t, n)
		allocs := testing.AllocsPerRun(200, func() {
			EventResourceIDs(&rec, nil)
		})
		require.LessOrEqual(t, allocs, 2.0, "%s with dst nil", br.name)
		buf := make([]string, 0, n)
		allocs = testing.AllocsPerRun(200, func() {
			buf = EventResourceIDs(&rec, buf[:0])
		})
		require.LessOrEqual(t, allocs, 1.0, "%s with dst of capacity %d", br.name, n)
	}
}

// idsSink keeps the benchmarks' results alive.
var idsSink []string

// BenchmarkEventResourceIDs measures the collector's use, on the
// benchmark's records with the collector's words: "refs" is EventResources
// with the ids copied into a new slice, "ids" EventResourceIDs into a new
// slice, "ids-reuse" into a slice reused.
func BenchmarkEventResourceIDs(b *testing.B) {
	for _, br := range benchRecords {
		rec := br.rec
		rec.Resources = br.resources
		rec.KeyWords = keyWords
		b.Run(br.name+"/refs", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if refs := EventResources(&rec); len(refs) > 0 {
					ids := make([]string, len(refs))
					for i, r := range refs {
						ids[i] = r.ID
					}
					idsSink = ids
				}
			}
		})
		b.Run(br.name+"/ids", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				idsSink = EventResourceIDs(&rec, nil)
			}
		})
		b.Run(br.name+"/ids-reuse", func(b *testing.B) {
			b.ReportAllocs()
			var buf []string
			for b.Loop() {
				buf = EventResourceIDs(&rec, buf[:0])
			}
		})
	}
}

// TestARNKeysOf: arnKeysOf, which arnTypeBytes searches, is arnBySvc.
func TestARNKeysOf(t *testing.T) {
	for svc, keys := range arnBySvc {
		require.Equal(t, keys, arnKeysOf([]byte(svc)), svc)
		require.Nil(t, arnKeysOf([]byte(svc+"x")), svc)
		require.Nil(t, arnKeysOf([]byte(svc[:len(svc)-1])), svc)
	}
	for _, svc := range []string{"", "e", "x", "S3", "ec", "ec22", "\xff"} {
		require.Nil(t, arnKeysOf([]byte(svc)), svc)
	}
}
