// Package awsconfig is a live inventory read from AWS Config: the
// configuration snapshots a delivery channel writes to S3 (or copies of
// them in a local directory), or the service's advanced queries
// (SelectResourceConfig per region, SelectAggregateResourceConfig on an
// aggregator). Configuration items become collectors.LiveResource values
// in Terraform form so that drift.Compare can compare them with state.
//
// # Inputs
//
// Decode reads every shape configuration items come in (see its
// documentation): delivered snapshots, streamed item by item, in either
// field dialect (accountId/arn/configurationItemMD5Hash of the API and rule
// events, awsAccountId/ARN/configurationStateMd5Hash of snapshot and
// history files); single items and arrays; change notifications; rule
// invocation events whose invokingEvent is a JSON string; the same
// notifications inside an SNS envelope (Message as JSON text) or an
// EventBridge event (source aws.config, detail); API answers, also as
// recorded by boto3's placebo. configuration may be an object or a JSON
// string; supplementaryConfiguration values holding JSON text (even twice
// stringified) are decoded. An oversized-item notification yields its
// configurationItemSummary: presence (or deletion) without configuration.
// A UTF-8 byte order mark or UTF-16 text (PowerShell's ">") is accepted.
//
// From a directory or S3, only the newest snapshot of each account and
// region is read: the file name <account>_Config_<region>_ConfigSnapshot_
// <YYYYMMDDTHHMMSSZ>_<uuid>.json.gz says which. In S3 the delivery layout
// [prefix/]AWSLogs/[o-org/]<account>/Config/<region>/YYYY/M/D/ConfigSnapshot/
// is walked newest day first (month and day are not zero-padded), down to
// 62 days before today: a region without a snapshot that recent is an
// error naming its folder (snapshot delivery off, or Config stopped
// there), not stale inventory. History files (<account>_Config_<region>_
// ConfigHistory_<type>_<start>_<end>_<n>.json.gz) and oversized change
// notifications (..._ChangeNotification_...) record changes, not the
// inventory, and are skipped; a local source holding nothing else is an
// error saying so. Other files (exports, single items) are read whole. A
// document is decoded again only when it changed (local: size and
// modification time; S3: the object's ETag).
//
// # Mapping
//
// The identity table (package identity) maps a Config type to its
// Terraform type and canonical id: the item's ARN for rows with an ARN
// template (built from the template, in the region's partition, when the
// item has none; a log group's ":*" suffix dropped), else
// model.CanonicalID. NativeID is Terraform's id where
// Config's differ (IAM roles, users and groups by name, policies by ARN).
// Types the table does not know keep their Config type and only count for
// presence (managed or unmanaged). Converted attributes:
//
//   - aws_security_group: name, description, vpc_id, ingress and egress
//     built from ipPermissions the way the AWS provider builds them (one
//     block per protocol, ports and description; CIDRs, IPv6 CIDRs, prefix
//     lists, security groups gathered; self for the group's own id;
//     protocol numbers written as names; all-traffic rules with ports 0);
//   - aws_instance: instance_type, ami, subnet_id, key_name,
//     vpc_security_group_ids;
//   - aws_iam_role (name, path, description, max_session_duration,
//     assume_role_policy), aws_iam_policy (name, path, description, the
//     default version's document as policy), aws_iam_user, aws_iam_group:
//     documents are URL-decoded; drift compares them semantically;
//   - aws_vpc, aws_subnet, aws_network_acl, aws_ebs_volume, aws_kms_key:
//     a few stable attributes (and the "default" flags drift uses to
//     recognise provider-created resources);
//   - an S3 bucket yields, besides aws_s3_bucket (tags only), the
//     resources the AWS provider (v4 and later) manages separately, keyed
//     by the bucket name like Terraform's ids: aws_s3_bucket_policy
//     (BucketPolicy.policyText; a recorded null policy makes a managed
//     policy Gone), aws_s3_bucket_public_access_block,
//     aws_s3_bucket_server_side_encryption_configuration and
//     aws_s3_bucket_versioning ("Off" is "Disabled"). The bucket's own
//     deprecated computed copies (policy, versioning,
//     server_side_encryption_configuration) are not filled in: a state
//     writes them before the separate resources are applied and keeps the
//     stale copy until the next apply, which would be a false drift.
//   - tags: the item's tags map, else configuration tags as a map or a
//     [{key, value}] list; aws: tags are dropped (Terraform never manages
//     them). An empty tag set is not reported (Config leaves tags empty
//     for types it does not record them for), so removing every tag is
//     not detected.
//
// Every resource is Partial (only the converted attributes are compared),
// and always carries id (and arn), so a matched resource with nothing
// converted compares equal rather than "changed without attributes".
//
// # Status and coverage
//
// ResourceDeleted and ResourceDeletedNotRecorded items become Gone
// resources (a managed one is missing); ResourceNotRecorded items are
// skipped and give no coverage. When one resource appears in several
// items, the newest (capture time, then configurationStateId) wins.
//
// Coverage is the types seen in the data (plus Config.Types, plus the
// API's configured types, which are declared recorded), for the accounts
// and regions read completely. An incomplete input covers nothing, so the
// resources it may have failed to list are never reported missing (what it
// did list is still compared): an unreadable, empty or truncated snapshot
// (its account and region; Config.Types then count only if every snapshot
// was read), a query that failed on some page or a result without a
// resource id (its type, everywhere), the types left unqueried after a
// fatal error. An item whose configuration cannot be read is kept for
// presence only, with an error. The collectors contract has one Coverage per
// inventory, so types and regions combine as a product: if recorders of
// one source record different types in different regions, declare one
// source per recorder set-up. Global resources (IAM: awsRegion "global")
// get an empty Region, as model.Identity gives an applied IAM resource
// (its ARN has no region), so region restrictions never make them
// missing or uncovered; advanced queries never filter global types by
// region.
//
// relatedEvents (the CloudTrail event ids of a change) are kept on Item
// but not on the resources: model.Resource has no field for them.
package awsconfig
