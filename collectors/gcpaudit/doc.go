// Package gcpaudit reads Google Cloud Audit Logs and normalises them into
// model.Event: from the Logging API (APISource, logadmin entries.list) and
// from the JSON files a log sink writes to Cloud Storage (FilesSource, GCS
// or a local copy).
//
// # Normalisation (ParseEntry, FromEntry)
//
//   - ID is the LogEntry insertId (a content hash when absent); Time is
//     timestamp (else receiveTimestamp); zone-less timestamps are UTC.
//   - Service is protoPayload.serviceName, Action "serviceName:methodName".
//   - Resources are canonical ids (CAI full resource names) of
//     protoPayload.resourceName through identity's GCP table (generic
//     "//<service>/<resourceName>" for unmapped types); SetIamPolicy-like
//     methods also name "<resource>/iamPolicy" and, from the entry's
//     policy delta (serviceData.policyDelta.bindingDeltas, BigQuery's
//     datasetChange/tableChange), each binding and member they added or
//     removed, as google_*_iam_binding and _iam_member ids.
//   - Principal: ID is authenticationInfo.principalEmail (else
//     principalSubject); Type serviceAccount for *.gserviceaccount.com,
//     user for other emails, federated for principal:// subjects. When the
//     call was made through service-account impersonation
//     (serviceAccountDelegationInfo, oldest caller first), Issuer is the
//     impersonated service account and Person the first human in the chain
//     (firstPartyPrincipal.principalEmail); a direct call by a user has
//     Person = that user.
//   - Via from requestMetadata.callerSuppliedUserAgent: terraform
//     ("Terraform/", "terraform-provider-google", OpenTofu), cli
//     ("google-cloud-sdk", "gcloud/", "command/gcloud"), console ("Cloud
//     Console", console.cloud.google.com or a browser "Mozilla/" agent),
//     sdk (google-api-go-client, gl-python, gl-go, gl-java, gccl, ...),
//     service (a Google-managed service agent such as
//     service-123@compute-system.iam.gserviceaccount.com or
//     123@cloudservices.gserviceaccount.com acting without a person behind
//     it, whatever its agent), other; SourceIP is requestMetadata.callerIp.
//     Attribution gives via=service the verdict "service".
//   - ErrorCode is the google.rpc.Code name of a non-zero status.code
//     (PERMISSION_DENIED): failed calls are kept, never changes.
//   - ReadOnly for read methods (get*, list*, search*, ...; Data Access
//     DATA_READ entries).
//   - Request is protoPayload.request with secret-looking values redacted
//     (Redact); Raw is the whole entry, redacted the same way.
//   - Long-running operations write a first and a last entry (operation
//     first/last). Both are kept as events; Request[OperationKey] holds the
//     operation {id, producer, first, last}, and CountsAsChange counts an
//     operation once: its last entry (or its single first-and-last entry).
//     The sources fold the first entry into the last when both are in one
//     read (MergeOperations): the last entry logs only the request's @type,
//     and takes the first's request so that attribution can name the
//     changed attributes. Attribution skips events CountsAsChange rejects,
//     so one operation opens one out_of_band_change finding.
//
// Entries that are not audit logs (jsonPayload, textPayload, other proto
// types) return ErrNotAuditLog and are skipped; malformed JSON and entries
// without protoPayload are errors naming the file and line(s) and cost only
// that entry (a line cut short is told apart from the next entry by its
// unbalanced braces); entries with missing or mistyped fields give
// best-effort events. Export files may hold one entry per line (sinks),
// pretty-printed entries one after the other, or a JSON array
// (`gcloud logging read --format=json`). They may also hold what a sink to
// a Pub/Sub topic delivers, recognised one JSON value at a time and mixed
// freely with plain entries: push deliveries ({"message": {"data": ...},
// "subscription": ...}), received messages ({"ackId", "message"}, in the
// array `gcloud pubsub subscriptions pull --format=json` prints), REST pull
// responses ({"receivedMessages": [...]}; {} is an empty one) and bare
// PubsubMessages. A message's data is the LogEntry JSON in base64
// (standard or URL-safe alphabet, padded or not) or, decoded by an
// archiver, as an object; a message without data, with data that is not
// base64, or whose data is not a LogEntry is an error naming the file, the
// line(s), the message's place in a pull response and its messageId, and
// costs only that message; a non-audit entry is skipped as above. An entry
// without timestamp takes the message's logging.googleapis.com/timestamp
// attribute. Accepted variants:
// protoPayload.at_sign_type for @type, keys in any case and with or
// without underscores (insertid, callerIP, principal_email), AuditLog
// fields nested under metadata, BigQuery sink rows (protopayload_auditlog,
// requestJson, "... UTC" timestamps), full resource names
// (//service/...) in resourceName, principalSubject written as an IAM
// member (user:..., serviceAccount:...).
package gcpaudit
