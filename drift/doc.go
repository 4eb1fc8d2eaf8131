// Package drift compares what Terraform applied (collectors.Stack) with what
// runs (collectors.Inventory) and reports changed, missing and unmanaged
// resources as model.Drift, with attribute-level diffs. It is a pure
// function of its inputs: the only I/O is LoadSchemas reading a provider
// schema the caller opened.
//
// # Noise control
//
// False positives are what users of drift tools complain about most, so
// attribute values are compared after these rules (each has a test):
//
//   - Computed and server-defaulted attributes are not compared: a global
//     list (id, arn, timeouts, timestamps, fingerprints, self links; see
//     globalComputed) and a per-type table of paths (defaults.go). With a
//     provider schema (LoadSchemas), computed-only attributes are skipped at
//     every depth, and optional+computed ones when the applied value is
//     empty (the server chose the value).
//   - Absence is emptiness: nil, "", false, 0, [] and {} are all equal, and
//     so is a missing key. A map whose values are all empty, and a list of
//     such maps, are empty too (SDKv2 stores an unset block as
//     [{"enabled": false}]). Terraform's SDK stores unset primitives as their
//     zero value while inventories omit them, so treating false/0 as absent
//     removes a large class of false positives; a value turned from absent
//     to its zero value is the price. Tags and labels are the exception: a
//     tag with an empty value differs from no tag.
//   - Numbers compare by value (1 == 1.0, json.Number, Go integer types);
//     a string holding a number or boolean equals that scalar ("80" == 80),
//     since inventories stringify.
//   - Lists: with a provider schema, set-typed attributes and nesting_mode
//     "set" blocks compare regardless of order and lists compare in order.
//     Without a schema every list compares as a multiset (order ignored,
//     duplicates counted): Terraform serialises sets as arrays in arbitrary
//     order and ordered lists that only differ by order are rare in
//     resource attributes, so this errs on the quiet side.
//   - Tags: when the applied side has tags_all (AWS default_tags merged in),
//     the live tags (tags_all, else tags) are compared with it; differences
//     are reported once as tags.<key> and never again under tags_all.
//     Labels likewise use effective_labels, terraform_labels, labels, and
//     report as labels.<key>.
//   - Strings holding JSON documents (policy, assume_role_policy,
//     container_definitions, URL-encoded IAM documents from AWS Config)
//     compare semantically; IAM policy documents are canonicalised first
//     (see canonicalDoc).
//   - User ignore rules (IgnoreRule) hide attribute paths or whole
//     resources, with a reason and an expiry; expired rules stop applying
//     and are reported in Result.Warnings.
//   - With a Partial live resource only attributes present on the live side
//     are compared.
//   - Provider-created defaults (default VPC, default security group,
//     AWS-managed policies, default GCP network) are not unmanaged drift.
//
// Diffs name leaf paths (versioning[0].enabled, tags.team); a set (or a
// list whose length changed) that differs is one diff on its own path with
// both whole values.
//
// # Sensitive values
//
// A diff whose path overlaps a sensitive path (state sensitive_attributes,
// plan before/after_sensitive, schema "sensitive"), lies below a
// secret-looking key (secretWords), or whose values contain a secret-looking
// key (also inside JSON strings, and {"name": "DB_PASSWORD", "value": ...}
// pairs) holds model.Redacted on both sides and Sensitive=true. The real
// values are compared, so the drift is still reported. Drift.Resource never
// carries attributes, and tag values under secret-looking keys are redacted.
package drift
