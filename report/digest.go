package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
)

// How each format carries its digest (docs/report-schema.md, "Digests"):
//
//   - JSON: a top-level "digest" object {"algorithm": "sha256", "value": HEX}
//     whose value is the SHA-256 of the canonical JSON of the document
//     without the digest member. Canonical JSON: object keys sorted by
//     code point, no insignificant whitespace, strings escaped as Go's
//     encoding/json does with HTML escaping off, numbers as written. The
//     file itself is that canonical form indented by two spaces, but any
//     re-formatting that keeps the content verifies.
//   - CSV: the last line is "# sha256:HEX", the SHA-256 of every byte
//     before that line (the CSV rows and the "# ..." parameter lines).
//   - Markdown and HTML: the last line is
//     "<!-- driftwarden-digest sha256:HEX -->", the SHA-256 of every byte
//     before that line.
//
// Every format also shows the content digest (the JSON digest of the same
// report), which ties a CSV, Markdown or HTML copy to its JSON twin.

// Formats a report renders in.
const (
	FormatJSON     = "json"
	FormatCSV      = "csv"
	FormatMarkdown = "markdown"
	FormatHTML     = "html"
)

// Formats lists every format.
var Formats = []string{FormatJSON, FormatCSV, FormatMarkdown, FormatHTML}

// ContentTypes maps formats to HTTP media types.
var ContentTypes = map[string]string{
	FormatJSON:     "application/json",
	FormatCSV:      "text/csv; charset=utf-8",
	FormatMarkdown: "text/markdown; charset=utf-8",
	FormatHTML:     "text/html; charset=utf-8",
}

// ErrTampered means a report's content does not match its digest.
var ErrTampered = errors.New("the report does not match its digest: it was altered after it was generated")

// ErrNoDigest means no digest was found where the format carries one.
var ErrNoDigest = errors.New("no driftwarden digest found")

var (
	csvTrailer  = regexp.MustCompile(`^# sha256:([0-9a-f]{64})$`)
	htmlTrailer = regexp.MustCompile(`^<!-- driftwarden-digest sha256:([0-9a-f]{64}) -->$`)
)

// Verified is what Verify found.
type Verified struct {
	Format string
	Digest string
}

// Verify checks a rendered report of any format against its digest. It
// returns ErrTampered when the content was altered, ErrNoDigest when the
// digest is missing, or a decoding error for a damaged JSON report.
func Verify(data []byte) (Verified, error) {
	if t := bytes.TrimLeft(data, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '{' {
		return verifyJSON(data)
	}
	body := bytes.TrimSuffix(data, []byte("\n"))
	i := bytes.LastIndexByte(body, '\n')
	last := string(body[i+1:])
	covered := data[:i+1]
	var format string
	var m []string
	if m = csvTrailer.FindStringSubmatch(last); m != nil {
		format = FormatCSV
	} else if m = htmlTrailer.FindStringSubmatch(last); m != nil {
		format = FormatMarkdown
		if bytes.HasPrefix(covered, []byte("<!DOCTYPE html>")) {
			format = FormatHTML
		}
	} else {
		return Verified{}, fmt.Errorf("verifying report: %w (the last line is neither \"# sha256:...\" nor \"<!-- driftwarden-digest sha256:... -->\")", ErrNoDigest)
	}
	got := sum(covered)
	if got != m[1] {
		return Verified{Format: format, Digest: m[1]}, fmt.Errorf("verifying %s report: %w (recorded %s, content hashes to %s)", format, ErrTampered, m[1], got)
	}
	return Verified{Format: format, Digest: got}, nil
}

func verifyJSON(data []byte) (Verified, error) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return Verified{Format: FormatJSON}, fmt.Errorf("verifying JSON report: decoding: %w (%w)", err, ErrTampered)
	}
	if dec.More() {
		return Verified{Format: FormatJSON}, fmt.Errorf("verifying JSON report: %w (data after the document)", ErrTampered)
	}
	d, ok := doc["digest"].(map[string]any)
	if !ok {
		return Verified{Format: FormatJSON}, fmt.Errorf("verifying JSON report: %w (no \"digest\" member)", ErrNoDigest)
	}
	alg, _ := d["algorithm"].(string)
	want, _ := d["value"].(string)
	if alg != "sha256" || want == "" {
		return Verified{Format: FormatJSON}, fmt.Errorf("verifying JSON report: %w (digest algorithm %q, value %q)", ErrTampered, alg, want)
	}
	delete(doc, "digest")
	canon, err := canonical(doc)
	if err != nil {
		return Verified{Format: FormatJSON}, fmt.Errorf("verifying JSON report: %w", err)
	}
	if got := sum(canon); got != want {
		return Verified{Format: FormatJSON, Digest: want}, fmt.Errorf("verifying JSON report: %w (recorded %s, content hashes to %s)", ErrTampered, want, got)
	}
	return Verified{Format: FormatJSON, Digest: want}, nil
}

// canonical encodes a generic JSON tree (maps, slices, json.Number,
// strings, bools, nil) canonically: Go sorts map keys.
func canonical(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding canonical JSON: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// tree turns a Go value into its generic JSON tree (numbers kept as written).
func tree(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding report: %w", err)
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("decoding report: %w", err)
	}
	return doc, nil
}

// ContentDigest is the SHA-256 of the canonical JSON of the report without
// its digest: the JSON rendering's digest, shown by every format.
func ContentDigest(r *Report) (string, error) {
	c := *r
	c.Digest = nil
	doc, err := tree(&c)
	if err != nil {
		return "", err
	}
	canon, err := canonical(doc)
	if err != nil {
		return "", err
	}
	return sum(canon), nil
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
