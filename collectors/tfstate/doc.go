// Package tfstate reads applied Terraform state into collectors.Stack
// values: format version 4, written by Terraform 0.12 and later and by
// OpenTofu, and the legacy versions 1 to 3 of Terraform 0.11 and older
// still found in old buckets. It reads them from local files
// (NewFileSource), Terraform's http backend (NewHTTPSource) and GCS
// (NewGCSSource); package s3state reads them from S3.
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
//     A count that is not a whole number is an error, as it is to
//     Terraform.
//   - serial, lineage and terraform_version fill the Stack; unknown fields,
//     top-level or per resource or instance, are ignored (instance
//     "identity" of Terraform 1.12+, check_results, outputs: outputs are
//     never read, so sensitive outputs cannot leak).
//   - A UTF-8 byte order mark is skipped; UTF-16 with a byte order mark
//     (`terraform state pull > file` in Windows PowerShell) is decoded to
//     UTF-8, and error offsets then count bytes of that UTF-8 text.
//   - Input that is not a state of version 1 to 4 is refused with a clear
//     cause: *VersionError (a future version, or 0 and below),
//     ErrEncryptedState (OpenTofu state encryption envelope), ErrNotState
//     (the output of terraform show -json, or any other object without
//     "version").
//
// # Legacy states
//
// Versions 1 to 3 (Terraform 0.11 and older) hold "modules", each with a
// path (["root", "net"]) and a map of resource instances keyed TYPE.NAME,
// TYPE.NAME.N or data.TYPE.NAME, each with a "primary" object, "deposed"
// objects and a provider reference (provider.aws, provider.aws.west,
// module.net.provider.aws, or empty for the type's default provider), their
// attributes in flatmap form. Decode reads the top-level fields as for
// version 4 and keeps "modules" (compacted) until the end of the object,
// since "version" may come after it; it then decodes them whole and gives
// exactly what the version 4 state Terraform 0.12 upgrades them to gives:
// module.net.aws_subnet.x[1] addresses, data sources dropped, the primary
// object current (also when tainted), deposed objects keyed 00000001,
// 00000002... in list order, attributes expanded as attributes_flat is,
// instances in Terraform's order (module, type, name, index). Versions 1
// and 2 have their map counts rewritten from ".#" to ".%" first, as
// Terraform's upgrade to version 3 does; the "tainted" list of version 1 is
// dropped, as that upgrade drops it. A bad primary object fails the state
// like a bad instance of a version 4 state; a bad deposed object, or an
// entry with no object at all (which Terraform drops), is skipped with a
// DecodeOptions.Warn warning. Unlike Terraform's upgrade, which refuses
// them, module names that Terraform 0.11 allowed but HCL 2 does not (a
// leading digit: module.01-net) are read: states holding them could never
// be upgraded. A null flatmap value reads as "", as Terraform reads it.
// A legacy state is not streamed: reading it takes several times its size
// in memory (about nine times for a state of many small resources).
//
// To keep a large state small in memory, resources of one stack share
// storage: RawAttributes are carved from shared blocks, and Tags maps are
// shared between resources with byte-identical tags. Treat resources as
// read-only (copy before changing Tags or RawAttributes).
//
// Errors are *collectors.InputError values naming the location and the
// place: resources[i].instances[j] (modules[i].resources["KEY"] in a
// legacy state) with the resource address, and the byte offset. A state either loads whole or not at all: loading only part of a
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
