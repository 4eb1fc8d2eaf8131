package cloudtrail

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"sort"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/require"
)

// A file cut anywhere (a partial download, a copy still being written) or
// whose reading fails is damaged, never ErrNotLogFile (skipped at once) nor
// only ErrTrailingData (done with a warning): it must be read again.
func TestStreamCutIsNeverNotLogFile(t *testing.T) {
	doc := records(rec("a", "DeleteVpc", ""), rec("b", "DeleteVpc", ""))
	for _, whole := range [][]byte{gz(t, doc), []byte(doc), []byte("\xef\xbb\xbf" + doc)} {
		for i := 0; i < len(whole); i++ {
			cut := whole[:i]
			_, err := StreamRecords(bytes.NewReader(cut), func(int, []byte) error { return nil })
			require.Error(t, err, "cut at %d", i)
			require.False(t, errors.Is(err, ErrNotLogFile) || errors.Is(err, ErrTrailingData), "cut at %d of %q: %v", i, cut, err)

			failing := io.MultiReader(bytes.NewReader(cut), failReader{io.ErrUnexpectedEOF})
			_, err = StreamRecords(failing, func(int, []byte) error { return nil })
			require.ErrorIs(t, err, io.ErrUnexpectedEOF, "read error after %d bytes of %q", i, cut)
			require.False(t, errors.Is(err, ErrNotLogFile) || errors.Is(err, ErrTrailingData), "read error after %d: %v", i, err)
		}
	}
}

// Bytes after the last document are ErrTrailingData only when the input
// is sound to its end: a gzip checksum error or a read error after them is
// reported as such.
func TestStreamTrailingDataThenDamage(t *testing.T) {
	doc := records(rec("a", "DeleteVpc", "")) + "xyz" + string(bytes.Repeat([]byte(" "), 300<<10))
	z := gz(t, doc)
	badCRC := append([]byte(nil), z...)
	badCRC[len(badCRC)-8] ^= 0xff
	_, err := StreamRecords(bytes.NewReader(badCRC), func(int, []byte) error { return nil })
	require.ErrorIs(t, err, gzip.ErrChecksum)
	require.NotErrorIs(t, err, ErrTrailingData)

	_, err = StreamRecords(bytes.NewReader(z[:len(z)-4]), func(int, []byte) error { return nil })
	require.ErrorIs(t, err, io.ErrUnexpectedEOF, "gzip trailer cut")

	failing := io.MultiReader(bytes.NewReader([]byte(doc)), failReader{io.ErrUnexpectedEOF})
	_, err = StreamRecords(failing, func(int, []byte) error { return nil })
	require.ErrorIs(t, err, io.ErrUnexpectedEOF, "read error after the trailing bytes")

	n, err := StreamRecords(bytes.NewReader(z), func(int, []byte) error { return nil })
	require.Equal(t, 1, n)
	require.ErrorIs(t, err, ErrTrailingData, "sound to its end: trailing data")
}

// A log file whose gzip checksum fails after bytes following its document
// is not done: it holds its prefix back and is read again.
func TestFilesTrailingDataWithBadChecksumIsRetried(t *testing.T) {
	for _, ls := range logStores(t) {
		t.Run(ls.name, func(t *testing.T) {
			z := gz(t, records(rec("e0", "DeleteVpc", ""))+"xyz")
			z[len(z)-8] ^= 0xff
			ls.put(logKey(0, "a"), z)
			ls.put(logKey(1, "b"), []byte{0x1f}) // a copy cut after its first byte
			var buf bytes.Buffer
			src, err := NewFileSource("trail", ls.config(FileConfig{MaxAttempts: 3, Logger: slog.New(slog.NewTextHandler(&buf, nil))}))
			require.NoError(t, err)
			cp := memCheckpoints{}
			_, errs := src.Events(context.Background(), cp)
			require.Len(t, errs, 1, "%v", errs)
			require.ErrorIs(t, errs[0], gzip.ErrChecksum)
			require.NotContains(t, errs[0].Error(), "skipped")

			ls.put(logKey(0, "a"), gz(t, records(rec("e0", "DeleteVpc", ""))))
			b, errs := src.Events(context.Background(), cp)
			require.Len(t, errs, 1, "%v", errs)
			require.NotErrorIs(t, errs[0], ErrNotLogFile, "a file cut after its first byte is damaged, not another kind of file")
			require.NotContains(t, errs[0].Error(), "skipped")
			require.Equal(t, []string{"e0"}, ids(b.Events))
		})
	}
}

// A local directory lists keys as S3 lists a bucket holding them: every
// key that starts with the prefix (a folder or not) and sorts after
// startAfter, in order; for a prefix spelled with an empty or "." segment
// (which names the same folder on disk) the keys are spelled as the
// prefix is, so that they start with it.
func TestLocalStoreKeysAsS3(t *testing.T) {
	dir := t.TempDir()
	all := []string{
		"AWSLogs/1/CloudTrail/r/2024/05/01/a.json.gz", "AWSLogs/1/CloudTrail/r/2024/05/02/b.json.gz",
		"AWSLogs/1/CloudTrail/r2/2024/05/01/c.json.gz", "AWSLogs/1/CloudTrail-Digest/r/2024/05/01/d.json.gz",
		"ct-2024/05/01/10/f1", "ct-2024/05/01/11/f2", "ct/2024/05/01/10/g", "ctx", "top",
	}
	for _, k := range all {
		writeFile(t, dir, k, []byte("x"))
	}
	ls := localStore{root: dir}
	s3 := func(prefix, after string) []string {
		var out []string
		for _, k := range all {
			if strings.HasPrefix(k, prefix) && k > after {
				out = append(out, k)
			}
		}
		sort.Strings(out)
		return out
	}
	for _, prefix := range []string{"", "AWSLogs/", "AWSLogs/1/CloudTrail/r/", "AWSLogs/1/CloudTrail/r", "AWSLogs/1/CloudTrail/r/2024/05/01/",
		"AWSLogs/1/CloudTrail", "ct-", "ct", "ct/", "c", "top", "missing/", "missing-"} {
		for _, after := range []string{"", "AWSLogs/1/CloudTrail/r/2024/05/01/", "AWSLogs/1/CloudTrail/r/2024/05/01/a.json.gz",
			"AWSLogs/1/CloudTrail/r/2024/05/02/", "ct-2024/05/01/10/f1", "ct-2024/05/01/11/", "zzz"} {
			got, err := ls.Keys(context.Background(), prefix, after)
			require.NoError(t, err)
			require.Equal(t, s3(prefix, after), got, "prefix %q after %q", prefix, after)
		}
	}
	for _, tc := range []struct{ prefix, want string }{
		{"AWSLogs//1/CloudTrail/r/2024/05/02/", "AWSLogs//1/CloudTrail/r/2024/05/02/b.json.gz"},
		{"./AWSLogs/1/CloudTrail/r/2024/05/02/", "./AWSLogs/1/CloudTrail/r/2024/05/02/b.json.gz"},
		{"ct-2024/05/01//11/", "ct-2024/05/01//11/f2"},
	} {
		got, err := ls.Keys(context.Background(), tc.prefix, "")
		require.NoError(t, err)
		require.Equal(t, []string{tc.want}, got, "prefix %q", tc.prefix)
		rc, err := ls.Open(context.Background(), got[0])
		require.NoError(t, err, "the key listed opens")
		require.NoError(t, rc.Close())
	}
}
