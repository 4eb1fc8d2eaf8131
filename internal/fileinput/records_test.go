package fileinput

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRecordReader(t *testing.T) {
	type rec struct {
		first, last int
		problem     bool
	}
	read := func(in string) []rec {
		rr := NewRecordReader(strings.NewReader(in), 1<<10)
		var out []rec
		for {
			r, err := rr.Next()
			if errors.Is(err, io.EOF) {
				return out
			}
			require.NoError(t, err)
			out = append(out, rec{r.First, r.Last, r.Problem != ""})
		}
	}
	// Concatenated pretty-printed objects, one cut short.
	require.Equal(t, []rec{{1, 3, false}, {4, 5, true}, {6, 8, false}},
		read("{\n  \"a\": \"}\"\n}\n{\n  \"b\": {\n{\n  \"c\": [1, {\"d\": 2}]\n}\n"))
	// A compact array on one line, then a stray "]".
	require.Equal(t, []rec{{1, 1, false}, {2, 2, true}}, read(`[{"a":1},{"b":2}]`+"\n]\n"))
	// An array that never closes.
	require.Equal(t, []rec{{2, 2, false}, {2, 2, true}}, read("[\n  {\"a\":1},\n"))
	// A line over the limit costs itself.
	require.Equal(t, []rec{{1, 1, true}, {2, 2, false}}, read(`{"a":"`+strings.Repeat("x", 2000)+`"}`+"\n{}\n"))
}
