package cloudtrail

import (
	"bytes"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/require"
)

// A Records element that is not an object costs only itself: the records
// around it are read, and Normalize rejects it by name.
func TestStreamNonObjectElement(t *testing.T) {
	a := `{"eventVersion":"1.09","eventTime":"2024-05-01T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","eventID":"a","readOnly":false,"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","userName":"bob"}}`
	b := strings.Replace(a, `"eventID":"a"`, `"eventID":"b"`, 1)
	for _, elem := range []string{"null", "17", `"text"`, "[1,2]", "true"} {
		doc := `{"Records":[` + a + `, ` + elem + `,` + b + `]}`
		var got []string
		var bad []string
		n, err := StreamRecords(strings.NewReader(doc), func(i int, raw []byte) error {
			ev, err := Normalize(raw)
			if err != nil {
				bad = append(bad, err.Error())
				return nil
			}
			got = append(got, ev.ID)
			return nil
		})
		require.NoError(t, err, elem)
		require.Equal(t, 3, n, elem)
		require.Equal(t, []string{"a", "b"}, got, elem)
		require.Len(t, bad, 1, elem)
		require.Contains(t, bad[0], "not a JSON object", elem)
	}
}

// A byte order mark before the document (an editor's save) is skipped, in
// plain and gzip files.
func TestStreamByteOrderMark(t *testing.T) {
	doc := "\xef\xbb\xbf" + `{"Records":[{"eventID":"a","eventTime":"2024-05-01T10:00:00Z"}]}`
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	_, err := zw.Write([]byte(doc))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	for name, in := range map[string][]byte{"plain": []byte(doc), "gzip": zb.Bytes(), "bom only": []byte("\xef\xbb\xbf")} {
		n, err := StreamRecords(bytes.NewReader(in), func(int, []byte) error { return nil })
		if name == "bom only" {
			require.Error(t, err)
			continue
		}
		require.NoError(t, err, name)
		require.Equal(t, 1, n, name)
	}
}

// Where an element should be but none is, reading stops with an error
// naming the record (it does not loop or hand over empty records).
func TestStreamMissingElement(t *testing.T) {
	for _, doc := range []string{`{"Records":[}`, `{"Records":[{"eventID":"a"},}]}`, `[}`} {
		calls := 0
		_, err := StreamRecords(strings.NewReader(doc), func(int, []byte) error { calls++; return nil })
		require.Error(t, err, doc)
		require.Contains(t, err.Error(), "record ", doc)
		require.LessOrEqual(t, calls, 1, doc)
	}
}
