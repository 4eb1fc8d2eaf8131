// Package cloudtrail reads AWS CloudTrail: log files in the S3 delivery
// layout (from a bucket or a local directory), normalised into model.Event
// with the principal, how the call was made (via), the resources touched
// (through the identity table) and the request with secrets redacted.
//
// Files are streamed: a scanner splits {"Records":[...]} into records without
// decoding them (on amd64 with AVX2, from bitmasks a vector kernel computes
// 64 bytes at a time: split.go), read-only records are dropped from what
// the scanner saw of their top level, and only the kept records are read:
// their top-level fields in one pass from the key offsets the scanner
// noted, requestParameters and responseElements left as bytes that the
// identity table reads in place (Event.RequestJSON; decoded and redacted
// only when a key may name a secret). Records the fast path does not take
// (escaped keys, odd shapes) go to goccy/go-json's struct decoder.
// Checkpoints are per account/region prefix: a resume window (a low-water
// mark and the files read after it), so that files delivered late or out of
// name order are read once; only a damaged file's records are re-read, and
// they are de-duplicated by eventID.
//
// APISource reads the same events from the LookupEvents API for a few
// accounts (a role assumed per account), every region, all pages, within
// CloudTrail's 2 requests/s per account and region, with a checkpoint per
// account/region (a time and the event ids of its overlap window).
package cloudtrail
