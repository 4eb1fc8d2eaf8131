package fileinput

import (
	"io"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// DecodedReader turns raw file bytes into UTF-8: a UTF-8 byte order mark is
// dropped, UTF-16 LE/BE with a byte order mark (what PowerShell's ">"
// writes) is transcoded, anything else is read as UTF-8, unchanged.
func DecodedReader(r io.Reader) io.Reader {
	return transform.NewReader(r, unicode.BOMOverride(unicode.UTF8.NewDecoder()))
}
