// Package fileinput holds what the file-reading collectors share: turning
// configured paths and globs into a list of files (Expand), turning raw
// file bytes into UTF-8 (DecodedReader), reading lines of any length up
// to a limit (LineReader), and cutting a file of JSON records (one per
// line, pretty-printed one after another, or an array) into records without
// trusting it to be well formed, so that a bad record costs only itself
// (RecordReader, SplitValues).
//
// Patterns use filepath.Match syntax within one path element (* ? [...]),
// plus "**" as a whole element, which matches any number of directories,
// zero included: "plans/**/*.json" matches plans/a.json and
// plans/x/y/a.json.
package fileinput
