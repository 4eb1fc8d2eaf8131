// Package policies holds driftwarden's built-in Rego v1 policy library and
// the default policy data (data.json, seen by policies as
// data.driftwarden.config). The Go side only embeds the files; the evaluator
// package loads, validates and compiles them. See README.md for the policy
// convention.
package policies

import "embed"

// FS holds every built-in policy (*.rego, including the *_test.rego files
// beside them) and data.json, at the same paths as in this folder.
//
//go:embed data.json lib aws gcp common drift event plan
var FS embed.FS
