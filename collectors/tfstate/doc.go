// Package tfstate reads applied Terraform state (format version 4, written
// by Terraform 0.12 and later and by OpenTofu) into collectors.Stack values,
// from local files (NewFileSource) and from Terraform's http backend
// (NewHTTPSource).
//
// # Decoding
//
// Decode streams the state: a small tokenizer walks the document key by
// key and keeps, per managed resource instance, only its attributes in
// compact JSON (model.Resource.RawAttributes) plus the few fields
// model.Identity needs (id, arn, region/location/zone,
// account_id/owner_id/project, tags_all/tags/effective_labels/labels),
// which it extracts from those bytes without decoding the rest. A 200 MB
// state never exists in memory whole nor as a map tree.
//
//   - Addresses are printed as Terraform prints them: the module path as the
//     state stores it, type.name, then [0] for count and ["a"] for for_each
//     (module.net["eu"].aws_subnet.x[1]).
//   - Data sources (mode "data") are read for validity and dropped.
//   - Deposed objects (set aside by a create_before_destroy replacement to
//     be destroyed, and left in the state when that destroy failed) go to
//     Stack.Deposed, with identity and attributes read like a current
//     object's: they exist in the cloud and Terraform manages them, but they
//     are not what the instance's address names, so Stack.Resources holds
//     current objects only. Tainted objects are current: they are kept.
//   - sensitive_attributes become model paths (password, parameter[0].value,
//     tags["kubernetes.io/x"]). Besides the list of step lists Terraform and
//     OpenTofu write, bare steps ("password", 0), bare index values, a flat
//     list of steps and dotted path strings are accepted; an empty path marks
//     every attribute; any other shape is an error, never a silent drop.
//   - Legacy attributes_flat (states upgraded from 0.11) is expanded into
//     nested JSON using its ".#" and ".%" counts; its leaves stay strings.
//   - serial, lineage and terraform_version fill the Stack; unknown fields,
//     top-level or per resource or instance, are ignored (instance
//     "identity" of Terraform 1.12+, check_results, outputs: outputs are
//     never read, so sensitive outputs cannot leak).
//   - A UTF-8 byte order mark is skipped; UTF-16 with a byte order mark
//     (`terraform state pull > file` in Windows PowerShell) is decoded to
//     UTF-8, and error offsets then count bytes of that UTF-8 text.
//   - Input that is not a version 4 state is refused with a clear cause:
//     *VersionError (0.11 and older, or a future version), ErrEncryptedState
//     (OpenTofu state encryption envelope), ErrNotState (the output of
//     terraform show -json, or any other object without "version").
//
// To keep a large state small in memory, resources of one stack share
// storage: RawAttributes are carved from shared blocks, and Tags maps are
// shared between resources with byte-identical tags. Treat resources as
// read-only (copy before changing Tags or RawAttributes).
//
// Errors are *collectors.InputError values naming the location and the
// place: resources[i].instances[j] with the resource address, and the byte
// offset. A state either loads whole or not at all: loading only part of a
// state would report its other resources as unmanaged.
//
// # File source and stack names
//
// A file source reads the files its paths name. A path is a file, a
// directory (every *.tfstate file below it), or a glob where * ? and [...]
// match within one path element and ** matches any number of elements
// (states/**/*.tfstate). Relative paths are resolved against
// FileConfig.BaseDir. Walking skips .terraform and .git directories (the
// .terraform/terraform.tfstate written by terraform init is backend
// configuration, not state); *.tfstate.backup files are never read.
//
// Each file is one stack, named so the name is readable and stable:
//
//	states/network/terraform.tfstate                        -> network            (workspace default)
//	states/network/terraform.tfstate.d/staging/terraform.tfstate -> network/staging (workspace staging)
//	states/prod-eu.tfstate                                  -> prod-eu            (workspace default)
//
// i.e. the name of the project directory of a local-backend state (with
// "/<workspace>" for a workspace other than default), else the file name
// without ".tfstate". When several files of one source would get the same
// name, each of them is named instead by its project path relative to
// BaseDir (a/network, b/network, a/network/staging, x/prod-eu), and if
// that still collides, by its file path relative to BaseDir. Names depend
// only on the set of files matched, so they are the same every cycle while
// that set is unchanged. FileConfig.Stack fixes the name when the paths
// match exactly one file.
//
// A file is decoded again only when its size or modification time changed
// since the previous cycle; otherwise the stack (or the error) decoded then
// is returned again. Returned stacks share their Resources with that cache:
// callers must treat them as read-only.
//
// # HTTP source
//
// An HTTP source GETs the state from Terraform's http backend address and
// streams the body into Decode. 204, and 404 with an empty body, mean no
// state yet: an empty stack. The ETag and Last-Modified of the last state
// read are sent back (If-None-Match, If-Modified-Since); a 304 reuses the
// stack read then. Network errors, 429 and 5xx are retried with
// exponential backoff and jitter. The URL's credentials and query values
// are redacted wherever the URL appears (errors, Stack.Location).
package tfstate
