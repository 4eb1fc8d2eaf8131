// Package cloudtrail reads AWS CloudTrail: log files in the S3 delivery
// layout (from a bucket or a local directory), normalised into model.Event
// with the principal, how the call was made (via), the resources touched
// (through the identity table) and the request with secrets redacted.
//
// Files are streamed: a scanner splits {"Records":[...]} into records without
// decoding them, read-only records are dropped from what the scanner saw of
// their top level, and only the kept records are decoded (goccy/go-json).
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
