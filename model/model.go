// Package model is the shared language of driftwarden: the resources, events,
// drifts, violations and findings that every collector, engine and output
// speaks. It holds data types and small pure helpers only; no I/O.
package model

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Redacted replaces every sensitive value in drifts, logs, metrics, alerts and reports.
const Redacted = "(sensitive)"

// Resource is one cloud object as seen by one source: applied (a Terraform state)
// or live (an inventory).
type Resource struct {
	// ID is the canonical identity: an ARN for AWS where one exists, the full
	// resource name (//service.googleapis.com/...) for GCP, otherwise
	// provider/type/id (see CanonicalID).
	ID string `json:"id"`
	// Type is the Terraform resource type where known (aws_s3_bucket), else the
	// cloud inventory type (AWS::S3::Bucket).
	Type string `json:"type"`
	// Provider is the short provider name (aws, google, azurerm, ...).
	Provider string `json:"provider,omitempty"`
	// NativeID is the provider's own id attribute (Terraform "id").
	NativeID string `json:"native_id,omitempty"`
	// Address is the Terraform address when managed (module.x.aws_s3_bucket.y[0]).
	Address string `json:"address,omitempty"`
	// Stack is the name of the state the resource belongs to ("" when unmanaged).
	Stack   string            `json:"stack,omitempty"`
	Account string            `json:"account,omitempty"`
	Region  string            `json:"region,omitempty"`
	Tags    map[string]string `json:"tags,omitempty"`
	// Attributes are the resource's attributes in Terraform form (snake_case).
	Attributes map[string]any `json:"attributes,omitempty"`
	// RawAttributes is the compact JSON form of Attributes, kept instead of
	// the decoded map by sources that hold very many resources (a 200 MB
	// state); read both through Attrs.
	RawAttributes []byte `json:"-"`
	// Sensitive lists attribute paths (dotted with [n] indexes, as built by JoinPath and IndexPath) whose values must
	// never leave the process.
	Sensitive []string `json:"sensitive,omitempty"`
	// Source is the name of the configured source that produced this view.
	Source string `json:"source,omitempty"`
}

// Attrs returns the attributes, decoding RawAttributes when the decoded
// form is not held. The result is not cached, so memory stays bounded.
func (r *Resource) Attrs() (map[string]any, error) {
	if r.Attributes != nil || len(r.RawAttributes) == 0 {
		return r.Attributes, nil
	}
	var m map[string]any
	if err := json.Unmarshal(r.RawAttributes, &m); err != nil {
		return nil, fmt.Errorf("decoding attributes of %s: %w", r.ID, err)
	}
	return m, nil
}

// Managed reports whether the resource belongs to a Terraform state.
func (r *Resource) Managed() bool { return r.Address != "" }

// CanonicalID builds the fallback identity provider/type/id used when no
// cloud-native identity (ARN, full resource name) is known.
func CanonicalID(provider, typ, nativeID string) string {
	if provider == "" {
		provider = ProviderOf(typ)
	}
	return provider + "/" + typ + "/" + nativeID
}

// ProviderOf derives the provider short name from a Terraform type (aws_s3_bucket -> aws).
func ProviderOf(typ string) string {
	if i := strings.IndexByte(typ, '_'); i > 0 {
		return typ[:i]
	}
	return ""
}

// Via says how a change was made.
type Via string

// Ways a change can be made.
const (
	ViaConsole        Via = "console"
	ViaCLI            Via = "cli"
	ViaSDK            Via = "sdk"
	ViaTerraform      Via = "terraform"
	ViaCloudFormation Via = "cloudformation"
	ViaService        Via = "service"
	ViaOther          Via = "other"
)

// Principal is who acted.
type Principal struct {
	// ID is an ARN or an email address.
	ID string `json:"id"`
	// Type is the identity type (IAMUser, AssumedRole, Root, serviceAccount, user, ...).
	Type string `json:"type,omitempty"`
	// Person is the human behind the principal where it can be resolved
	// (session name of an assumed role, Identity Center user, impersonator).
	Person string `json:"person,omitempty"`
	// Issuer is the role or service account whose credentials were used.
	Issuer string `json:"issuer,omitempty"`
}

// Event is one audit record normalised from CloudTrail or GCP Cloud Audit Logs.
type Event struct {
	ID        string    `json:"id"`
	Time      time.Time `json:"time"`
	Source    string    `json:"source"` // e.g. cloudtrail, gcpaudit
	Service   string    `json:"service,omitempty"`
	Action    string    `json:"action"` // ec2:AuthorizeSecurityGroupIngress
	Principal Principal `json:"principal"`
	Via       Via       `json:"via,omitempty"`
	SourceIP  string    `json:"source_ip,omitempty"`
	UserAgent string    `json:"user_agent,omitempty"`
	// ErrorCode is empty for successful calls; failed calls are never changes.
	ErrorCode string `json:"error_code,omitempty"`
	ReadOnly  bool   `json:"read_only,omitempty"`
	Account   string `json:"account,omitempty"`
	Region    string `json:"region,omitempty"`
	// Resources are the canonical identities the event touched.
	Resources []string `json:"resources,omitempty"`
	// Request holds the call's parameters (CloudTrail requestParameters,
	// GCP protoPayload.request), with secret-looking values redacted.
	// Read it through Params: a source may leave it nil and set
	// RequestJSON instead.
	Request map[string]any `json:"request,omitempty"`
	// RequestJSON is the call's parameters as the bytes of a JSON object,
	// left undecoded by a source until something reads them (Params): most
	// events are never looked into. A source sets it only for bytes that
	// need no redaction (no secret-looking key). It is serialised as
	// "request", like Request.
	RequestJSON json.RawMessage `json:"-"`
	// Verdict is set by attribution for write events on managed resources:
	// pipeline, pipeline_outside_apply, human or service.
	Verdict string `json:"verdict,omitempty"`
	// Stack is the stack managing the touched resource, when known.
	Stack string `json:"stack,omitempty"`
	// Raw is the original record, when a source keeps it (a record
	// fetched from an API). It never leaves the process: evidence and the
	// API drop it.
	Raw []byte `json:"raw,omitempty"`
	// Origin locates the original record where a source read it from a
	// file: a log file (CloudTrail's own, integrity-checked when
	// validation is on) is the evidence, not a copy of its bytes.
	Origin Origin `json:"origin,omitzero"`
}

// Origin is where an event's original record lies: a file (an s3:// or
// gs:// URL or a path), the record's index among the file's records (from
// 0) and, in a line-oriented file (a log sink's export), the line it
// starts on (from 1).
type Origin struct {
	File   string `json:"file,omitempty"`
	Record int    `json:"record"`
	Line   int    `json:"line,omitempty"`
}

// Params returns the call's parameters: Request, decoded from RequestJSON
// on first use (nil when there are none or the bytes are not a JSON
// object).
func (e *Event) Params() map[string]any {
	if e.Request == nil && len(e.RequestJSON) > 0 {
		var m map[string]any
		if json.Unmarshal(e.RequestJSON, &m) == nil {
			e.Request = m
		}
		e.RequestJSON = nil
	}
	return e.Request
}

// MarshalJSON writes RequestJSON as "request" when Request is not decoded
// (bytes that are not valid JSON are left out rather than failing).
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event
	if e.Request == nil && len(e.RequestJSON) > 0 && json.Valid(e.RequestJSON) {
		return json.Marshal(struct {
			plain
			Request json.RawMessage `json:"request,omitempty"`
		}{plain(e), e.RequestJSON})
	}
	return json.Marshal(plain(e))
}

// DriftKind classifies a drift.
type DriftKind string

// Drift kinds.
const (
	DriftChanged   DriftKind = "changed"
	DriftMissing   DriftKind = "missing"
	DriftUnmanaged DriftKind = "unmanaged"
)

// Diff is one attribute-level difference between applied and live.
type Diff struct {
	// Path is the attribute path, dotted with [n] indexes: ingress, tags.team,
	// root_block_device[0].volume_size.
	Path    string `json:"path"`
	Applied any    `json:"applied"`
	Live    any    `json:"live"`
	// Sensitive is true when both values were replaced by Redacted.
	Sensitive bool `json:"sensitive,omitempty"`
	// Events are ids of events known to have changed this attribute.
	Events []string `json:"events,omitempty"`
}

// Drift is a difference between what was applied and what runs.
type Drift struct {
	Kind     DriftKind `json:"kind"`
	Resource Resource  `json:"resource"`
	Diffs    []Diff    `json:"diffs,omitempty"`
	// Events that explain the drift (attribution), newest last.
	Events []Event `json:"events,omitempty"`
	// Sources that observed the drift.
	Sources []string `json:"sources,omitempty"`
}

// Severity of a violation or finding.
type Severity string

// Severities, lowest first.
const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Severities lists every valid severity, lowest first.
var Severities = []Severity{SeverityInfo, SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// Rank orders severities (info=0 ... critical=4); an unknown severity ranks -1.
func (s Severity) Rank() int {
	for i, v := range Severities {
		if v == s {
			return i
		}
	}
	return -1
}

// Valid reports whether s is a known severity.
func (s Severity) Valid() bool { return s.Rank() >= 0 }

// ParseSeverity parses a severity name, case-insensitively.
func ParseSeverity(s string) (Severity, bool) {
	v := Severity(strings.ToLower(strings.TrimSpace(s)))
	return v, v.Valid()
}

// SubjectKind names what a policy looked at.
type SubjectKind string

// Subject kinds (policy input kinds).
const (
	SubjectResource SubjectKind = "resource"
	SubjectDrift    SubjectKind = "drift"
	SubjectEvent    SubjectKind = "event"
	SubjectPlan     SubjectKind = "plan"
)

// Violation is one policy result.
type Violation struct {
	PolicyID    string      `json:"policy_id"`
	Title       string      `json:"title"`
	Severity    Severity    `json:"severity"`
	Controls    []string    `json:"controls,omitempty"`
	Remediation string      `json:"remediation,omitempty"`
	Message     string      `json:"message"`
	SubjectKind SubjectKind `json:"subject_kind"`
	// Subject is the canonical id of the resource (or the drift's resource,
	// the event id, the plan's stack).
	Subject  string    `json:"subject"`
	Resource *Resource `json:"resource,omitempty"`
	Owner    string    `json:"owner,omitempty"`
}

// FindingKind classifies a finding.
type FindingKind string

// Finding kinds.
const (
	FindingChanged          FindingKind = "changed"
	FindingMissing          FindingKind = "missing"
	FindingUnmanaged        FindingKind = "unmanaged"
	FindingOutOfBandChange  FindingKind = "out_of_band_change"
	FindingViolation        FindingKind = "violation"
	FindingIntegrityFailure FindingKind = "integrity_failure"
)

// FindingKinds lists every finding kind.
var FindingKinds = []FindingKind{FindingChanged, FindingMissing, FindingUnmanaged, FindingOutOfBandChange, FindingViolation, FindingIntegrityFailure}

// IsDrift reports whether the kind is one of the drift kinds.
func (k FindingKind) IsDrift() bool {
	return k == FindingChanged || k == FindingMissing || k == FindingUnmanaged
}

// FindingState is where a finding is in its lifecycle.
type FindingState string

// Finding states.
const (
	StateOpen     FindingState = "open"
	StateResolved FindingState = "resolved"
	StateWaived   FindingState = "waived"
)

// Finding is what the store keeps and everything downstream reads.
type Finding struct {
	Fingerprint  string       `json:"fingerprint"`
	Kind         FindingKind  `json:"kind"`
	State        FindingState `json:"state"`
	Severity     Severity     `json:"severity"`
	PolicyID     string       `json:"policy_id,omitempty"`
	Title        string       `json:"title"`
	Message      string       `json:"message,omitempty"`
	Controls     []string     `json:"controls,omitempty"`
	Remediation  string       `json:"remediation,omitempty"`
	ResourceID   string       `json:"resource_id"`
	ResourceType string       `json:"resource_type,omitempty"`
	Address      string       `json:"address,omitempty"`
	Stack        string       `json:"stack,omitempty"`
	Account      string       `json:"account,omitempty"`
	Region       string       `json:"region,omitempty"`
	Team         string       `json:"team,omitempty"`
	// Scope is the unit of collection the finding depends on (a source or
	// stack name): a finding resolves only when its scope was audited
	// successfully and the finding was not seen again.
	Scope      string     `json:"scope"`
	FirstSeen  time.Time  `json:"first_seen"`
	LastSeen   time.Time  `json:"last_seen"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
	Evidence   Evidence   `json:"evidence"`
}

// Evidence is what supports a finding: diffs and events (already redacted).
type Evidence struct {
	Diffs  []Diff  `json:"diffs,omitempty"`
	Events []Event `json:"events,omitempty"`
}

// Fingerprint returns a stable identifier built from the parts that make a
// finding the same finding across cycles (kind, stack, subject, policy).
// Values that change from cycle to cycle (messages, diffs, times) are never part of it.
func Fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// DriftFingerprint is the fingerprint of a drift finding.
func DriftFingerprint(kind DriftKind, stack, resourceID string) string {
	return Fingerprint("drift", string(kind), stack, resourceID)
}

// ViolationFingerprint is the fingerprint of a policy violation finding.
func ViolationFingerprint(policyID string, subject SubjectKind, stack, subjectID string) string {
	return Fingerprint("violation", policyID, string(subject), stack, subjectID)
}
