package fileinput

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/require"
)

type line struct {
	text    string
	tooLong bool
	n       int
}

func readLines(t *testing.T, lr *LineReader) []line {
	t.Helper()
	var out []line
	for {
		l, tooLong, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		out = append(out, line{string(l), tooLong, lr.Line()})
	}
}

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", 200<<10) // longer than the 64 KiB buffer
	tests := []struct {
		name  string
		input string
		limit int
		want  []line
	}{
		{name: "empty input", input: "", limit: 10},
		{name: "LF", input: "a\nbb\n", limit: 10, want: []line{{"a", false, 1}, {"bb", false, 2}}},
		{name: "CRLF", input: "a\r\nbb\r\n", limit: 10, want: []line{{"a", false, 1}, {"bb", false, 2}}},
		{name: "last line without newline", input: "a\nlast", limit: 10, want: []line{{"a", false, 1}, {"last", false, 2}}},
		{name: "blank lines are lines", input: "\n\r\n\nz", limit: 10, want: []line{{"", false, 1}, {"", false, 2}, {"", false, 3}, {"z", false, 4}}},
		{name: "line at the limit", input: "0123456789\r\nok\n", limit: 10, want: []line{{"0123456789", false, 1}, {"ok", false, 2}}},
		{name: "line over the limit is skipped", input: "ok\n0123456789AB\nnext\n", limit: 10,
			want: []line{{"ok", false, 1}, {"", true, 2}, {"next", false, 3}}},
		{name: "long line over the buffer, under the limit", input: "a\n" + long + "\nb", limit: 1 << 20,
			want: []line{{"a", false, 1}, {long, false, 2}, {"b", false, 3}}},
		{name: "long line over the buffer and the limit", input: long + "\r\n" + long + "\nend", limit: 100 << 10,
			want: []line{{"", true, 1}, {"", true, 2}, {"end", false, 3}}},
		{name: "last line too long, without newline", input: "a\n" + long, limit: 100,
			want: []line{{"a", false, 1}, {"", true, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lr := NewLineReader(strings.NewReader(tt.input), tt.limit)
			require.Equal(t, 0, lr.Line())
			require.Equal(t, tt.want, readLines(t, lr))
			_, _, err := lr.Next()
			require.ErrorIs(t, err, io.EOF, "EOF again")
		})
	}
}

func TestLineReaderError(t *testing.T) {
	boom := errors.New("boom")
	lr := NewLineReader(io.MultiReader(strings.NewReader("a\n"), &failReader{boom}), 10)
	l, _, err := lr.Next()
	require.NoError(t, err)
	require.Equal(t, "a", string(l))
	_, _, err = lr.Next()
	require.ErrorIs(t, err, boom)
	require.Equal(t, 1, lr.Line(), "the failed line is Line()+1")
}

type failReader struct{ err error }

func (f *failReader) Read([]byte) (int, error) { return 0, f.err }

func encodeUTF16(s string, order binary.ByteOrder) []byte {
	var buf bytes.Buffer
	_ = binary.Write(&buf, order, uint16(0xFEFF))
	for _, u := range utf16.Encode([]rune(s)) {
		_ = binary.Write(&buf, order, u)
	}
	return buf.Bytes()
}

func TestDecodedReader(t *testing.T) {
	const text = "{\"name\": \"café ☕\"}\r\nsecond line"
	tests := []struct {
		name  string
		input []byte
		want  string
	}{
		{name: "UTF-8", input: []byte(text), want: text},
		{name: "UTF-8 with BOM", input: append([]byte("\xef\xbb\xbf"), text...), want: text},
		{name: "UTF-16 LE with BOM", input: encodeUTF16(text, binary.LittleEndian), want: text},
		{name: "UTF-16 BE with BOM", input: encodeUTF16(text, binary.BigEndian), want: text},
		{name: "empty", input: nil, want: ""},
		{name: "BOM only", input: []byte("\xef\xbb\xbf"), want: ""},
		{name: "a BOM not at the start is kept", input: []byte("a\xef\xbb\xbfb"), want: "a\ufeffb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := io.ReadAll(DecodedReader(bytes.NewReader(tt.input)))
			require.NoError(t, err)
			require.Equal(t, tt.want, string(got))
		})
	}
}

func TestDecodedLines(t *testing.T) {
	lr := NewLineReader(DecodedReader(bytes.NewReader(encodeUTF16("a\r\nb\r\nc", binary.LittleEndian))), 10)
	require.Equal(t, []line{{"a", false, 1}, {"b", false, 2}, {"c", false, 3}}, readLines(t, lr))
}
