package tfplan

import (
	"bytes"
	"io"
	"os"

	"github.com/driftwarden/driftwarden/internal/fileinput"
)

// maxLineBytes bounds one line of a machine-readable UI stream. Terraform's
// lines are small; a longer line is reported and skipped.
const maxLineBytes = 64 << 20

// readDecodedFile reads a whole file as UTF-8 (used only to locate an error).
func readDecodedFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(fileinput.DecodedReader(f))
}

// lineCol converts a byte offset into 1-based line and column numbers.
func lineCol(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	if offset < 0 {
		offset = 0
	}
	prefix := data[:offset]
	line = bytes.Count(prefix, []byte{'\n'}) + 1
	col = int(offset) - (bytes.LastIndexByte(prefix, '\n') + 1) + 1
	return line, col
}
