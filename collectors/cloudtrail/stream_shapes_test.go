package cloudtrail

import (
	"bytes"
	"io"
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

// Documents one after another (an export that concatenated log files) are
// all read; bytes after the last one that are not a document are an error
// naming where they are, after the records before them were handed over.
func TestStreamConcatenatedDocuments(t *testing.T) {
	rec := func(id string) string {
		return `{"eventID":"` + id + `","eventTime":"2024-05-01T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","readOnly":false}`
	}
	gz := func(doc string) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(doc))
		zw.Close()
		return b.Bytes()
	}
	for _, tc := range []struct {
		name, doc string
		ids       []string
		err       string
	}{
		{"two objects", `{"Records":[` + rec("a") + `]}` + "\n" + `{"Records":[` + rec("b") + "," + rec("c") + `]}` + "\n", []string{"a", "b", "c"}, ""},
		{"object then array", `{"Records":[` + rec("a") + `]}[` + rec("b") + `]`, []string{"a", "b"}, ""},
		{"trailing newline", `{"Records":[` + rec("a") + `]}` + "\r\n\n", []string{"a"}, ""},
		{"trailing garbage", `{"Records":[` + rec("a") + `]}xyz`, []string{"a"}, `after record 1: unexpected bytes after the document ('x')`},
		{"second document cut", `{"Records":[` + rec("a") + `]}{"Records":[` + rec("b"), []string{"a", "b"}, "record 2: unexpected EOF"},
	} {
		for _, in := range [][]byte{[]byte(tc.doc), gz(tc.doc)} {
			var ids []string
			_, err := StreamRecords(bytes.NewReader(in), func(_ int, raw []byte) error {
				ev, err := Normalize(raw)
				require.NoError(t, err)
				ids = append(ids, ev.ID)
				return nil
			})
			require.Equal(t, tc.ids, ids, tc.name)
			if tc.err == "" {
				require.NoError(t, err, tc.name)
			} else {
				require.EqualError(t, err, tc.err, tc.name)
			}
		}
	}
}

// A gzip file whose checksum does not match its content is reported, after
// its records were handed over: the whole stream is read to its end.
func TestStreamGzipChecksum(t *testing.T) {
	doc := `{"Records":[{"eventID":"a","eventTime":"2024-05-01T10:00:00Z"},{"eventID":"b","eventTime":"2024-05-01T10:00:00Z"}]}`
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(doc))
	zw.Close()
	bad := b.Bytes()
	bad[len(bad)-8] ^= 1 // the CRC-32 of the trailer
	for _, r := range []io.Reader{bytes.NewReader(bad), io.MultiReader(bytes.NewReader(bad))} {
		n, err := StreamRecords(r, func(int, []byte) error { return nil })
		require.Equal(t, 2, n)
		require.EqualError(t, err, "after record 2: gzip: invalid checksum")
	}
}
