package gcpaudit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/driftwarden/driftwarden/identity"
	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

// EventSource is the model.Event Source of every event this package makes.
const EventSource = "gcpaudit"

// AuditLogType is the protoPayload @type of Cloud Audit Logs.
const AuditLogType = "type.googleapis.com/google.cloud.audit.AuditLog"

// ErrNotAuditLog marks a LogEntry that is not a Cloud Audit Log (a
// jsonPayload or textPayload entry, or a protoPayload of another type).
// Readers skip such entries and count them; they are not input errors.
var ErrNotAuditLog = errors.New("not a Cloud Audit Log entry")

// OperationKey is the Request key holding the LogEntry operation
// ({"id","producer","first","last"}) of a long-running operation.
const OperationKey = "@operation"

// ParseEntry normalises one LogEntry in its JSON form (as the Logging API
// and log sinks write it) into a model.Event. It accepts the variants seen
// in the wild: protoPayload.at_sign_type for @type, lower-cased top-level
// keys, timestamps without a zone ("2024-02-02 09:44:26.029835000", read as
// UTC), entries without logName or timestamp (zero Time). Entries that are
// not audit logs return ErrNotAuditLog; malformed JSON and entries without
// any protoPayload return a descriptive error. An entry missing other
// fields yields a best-effort event.
func ParseEntry(raw []byte) (model.Event, error) {
	m, err := decodeObject(raw)
	if err != nil {
		return model.Event{}, err
	}
	return normalize(m, raw)
}

// decodeObject decodes a JSON object the way normalize reads it (numbers
// as json.Number).
func decodeObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("decoding LogEntry JSON: %w", err)
	}
	if m == nil {
		return nil, errors.New("decoding LogEntry JSON: not an object")
	}
	return m, nil
}

// normalize builds the event from a decoded LogEntry map. raw (may be nil)
// is the original bytes, only used for a stable id when insertId is absent.
func normalize(m map[string]any, raw []byte) (model.Event, error) {
	pp, ok := get(m, "protoPayload").(map[string]any)
	if !ok {
		// A row of a BigQuery sink table exported as JSON: the AuditLog
		// is protopayload_auditlog, its request a JSON string.
		if bq, isBQ := get(m, "protopayload_auditlog").(map[string]any); isBQ {
			pp, ok = maps.Clone(bq), true
			if get(pp, "request") == nil {
				if rj := str(get(pp, "requestJson")); rj != "" {
					var req map[string]any
					if json.Unmarshal([]byte(rj), &req) == nil {
						pp["request"] = req
					}
				}
			}
		}
	}
	if !ok {
		if get(m, "jsonPayload") != nil || get(m, "textPayload") != nil {
			return model.Event{}, fmt.Errorf("%w: jsonPayload/textPayload entry", ErrNotAuditLog)
		}
		if get(m, "protoPayload") != nil {
			return model.Event{}, errors.New("protoPayload is not an object")
		}
		return model.Event{}, errors.New("LogEntry has no protoPayload")
	}
	typ := str(get(pp, "@type"))
	if typ == "" {
		typ = str(get(pp, "at_sign_type"))
	}
	if typ != "" && typ != AuditLogType {
		return model.Event{}, fmt.Errorf("%w: protoPayload type %s", ErrNotAuditLog, typ)
	}
	// Some captured entries nest the AuditLog fields under metadata.
	if str(get(pp, "methodName")) == "" {
		if md, ok := get(pp, "metadata").(map[string]any); ok && str(get(md, "methodName")) != "" {
			merged := map[string]any{}
			for k, v := range pp {
				merged[k] = v
			}
			for _, k := range []string{"methodName", "serviceName", "resourceName", "requestMetadata"} {
				if v := get(md, k); v != nil && get(merged, k) == nil {
					merged[k] = v
				}
			}
			pp = merged
		}
	}

	ev := model.Event{Source: EventSource}
	ev.ID = str(get(m, "insertId"))
	if ev.ID == "" {
		sum := sha256.Sum256(raw)
		ev.ID = "sha256:" + hex.EncodeToString(sum[:16])
	}
	ev.Time = entryTime(m, pp)
	ev.Service = str(get(pp, "serviceName"))
	method := str(get(pp, "methodName"))
	if ev.Service == "" {
		if op, ok := get(m, "operation").(map[string]any); ok {
			ev.Service = str(get(op, "producer"))
		}
	}
	if ev.Service != "" || method != "" {
		ev.Action = ev.Service + ":" + method
	}
	ev.ReadOnly = readMethod(method)

	labels := stringMap(get(get1(m, "resource"), "labels"))
	logName := str(get(m, "logName"))
	ev.Account = projectOf(logName)
	if ev.Account == "" {
		ev.Account = labels["project_id"]
	}
	ev.Region = regionOf(pp, labels)

	// (Some services log the full resource name, //compute.googleapis.com/
	// projects/...: the identity table reads both forms.)
	if ids, _, _, _ := identity.GCPAuditResources(ev.Service, method, str(get(pp, "resourceName")), labels, pp); len(ids) > 0 {
		ev.Resources = ids
	}

	ev.Principal = principalOf(get1(pp, "authenticationInfo"))

	if rm, ok := get(pp, "requestMetadata").(map[string]any); ok {
		ev.SourceIP = str(get(rm, "callerIp"))
		ev.UserAgent = str(get(rm, "callerSuppliedUserAgent"))
	}
	ev.Via = ViaOf(ev.UserAgent, ev.Principal.ID)
	if ev.Principal.Person == "" && serviceAgent(ev.Principal.ID) {
		// A Google-managed service agent acting on its own (with whatever
		// user agent the service sends): the cloud, not a person.
		ev.Via = model.ViaService
	}

	ev.ErrorCode = statusCode(get(pp, "status"))

	if req, ok := Redact(get(pp, "request")).(map[string]any); ok {
		ev.Request = req
	}
	if op, ok := get(m, "operation").(map[string]any); ok && str(get(op, "id")) != "" {
		if ev.Request == nil {
			ev.Request = map[string]any{}
		}
		ev.Request[OperationKey] = map[string]any{
			"id": str(get(op, "id")), "producer": str(get(op, "producer")),
			"first": get(op, "first") == true, "last": get(op, "last") == true,
		}
	}
	rawOut, err := json.Marshal(Redact(m))
	if err == nil {
		ev.Raw = rawOut
	}
	return ev, nil
}

// CountsAsChange reports whether an event may have changed a resource: a
// successful, non-read call, and for a long-running operation (which writes
// a first and a last entry, both kept as events) only its last entry, or
// its single entry when it is both first and last. Attribution counts
// changes with it so that one operation is one change.
func CountsAsChange(ev model.Event) bool {
	if ev.ErrorCode != "" || ev.ReadOnly {
		return false
	}
	op, ok := ev.Request[OperationKey].(map[string]any)
	if !ok {
		return true
	}
	first, _ := op["first"].(bool)
	last, _ := op["last"].(bool)
	return last || !first
}

// MergeOperations folds the first entry of each long-running operation
// into its last entry when both are in evs: the last entry, the one that
// counts as the change, logs only the request's @type, so it takes the
// first entry's request fields (and user agent, source IP and resources
// where it lacks them). Both entries stay in evs; CountsAsChange still
// counts only the last. It modifies evs in place and returns it.
func MergeOperations(evs []model.Event) []model.Event {
	firsts := map[string]int{}
	for i := range evs {
		if k, first, last := operationOf(evs[i]); k != "" && first && !last {
			firsts[k] = i
		}
	}
	if len(firsts) == 0 {
		return evs
	}
	for i := range evs {
		k, first, last := operationOf(evs[i])
		j, ok := firsts[k]
		if k == "" || first || !last || !ok {
			continue
		}
		f, l := &evs[j], &evs[i]
		if l.Request == nil {
			l.Request = map[string]any{}
		} else {
			l.Request = maps.Clone(l.Request)
		}
		for key, v := range f.Request {
			if _, has := l.Request[key]; !has {
				l.Request[key] = v
			}
		}
		if l.UserAgent == "" {
			l.UserAgent, l.Via = f.UserAgent, f.Via
		}
		if l.SourceIP == "" {
			l.SourceIP = f.SourceIP
		}
		if len(l.Resources) == 0 {
			l.Resources = f.Resources
		}
	}
	return evs
}

// operationOf returns the key (producer + id) and the first/last flags of
// an event's long-running operation; key is "" for other events.
func operationOf(ev model.Event) (key string, first, last bool) {
	op, ok := ev.Request[OperationKey].(map[string]any)
	if !ok {
		return "", false, false
	}
	id, _ := op["id"].(string)
	if id == "" {
		return "", false, false
	}
	producer, _ := op["producer"].(string)
	first, _ = op["first"].(bool)
	last, _ = op["last"].(bool)
	return producer + "/" + id, first, last
}

// OperationID returns the long-running operation id of an event, or "".
func OperationID(ev model.Event) string {
	op, _ := ev.Request[OperationKey].(map[string]any)
	s, _ := op["id"].(string)
	return s
}

// get returns m[key], matching the key case-insensitively and ignoring
// underscores when it is not present as written (Panther lower-cases
// top-level keys; some exports write callerIP for callerIp, others the
// proto field names: insert_id, principal_email).
func get(v any, key string) any {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	if x, ok := m[key]; ok {
		return x
	}
	// Another spelling: the smallest such key, so that an entry holding
	// two spellings reads the same every time.
	var best string
	var out any
	found := false
	for k, x := range m {
		if looseKeyEqual(k, key) && (!found || k < best) {
			best, out, found = k, x, true
		}
	}
	return out
}

// looseKeyEqual compares keys case-insensitively, ignoring underscores.
func looseKeyEqual(a, b string) bool {
	if strings.EqualFold(a, b) {
		return true
	}
	if strings.IndexByte(a, '_') < 0 && strings.IndexByte(b, '_') < 0 {
		return false
	}
	i, j := 0, 0
	for {
		for i < len(a) && a[i] == '_' {
			i++
		}
		for j < len(b) && b[j] == '_' {
			j++
		}
		if i == len(a) || j == len(b) {
			return i == len(a) && j == len(b)
		}
		x, y := a[i], b[j]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
		i++
		j++
	}
}

func get1(v any, key string) map[string]any {
	m, _ := get(v, key).(map[string]any)
	return m
}

func str(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	}
	return ""
}

func stringMap(v any) map[string]string {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		if s := str(x); s != "" {
			out[k] = s
		}
	}
	return out
}

// timeLayouts are the timestamp forms seen in LogEntry JSON.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
}

// ParseTime reads a LogEntry timestamp; zone-less forms are UTC.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	// BigQuery writes TIMESTAMP columns as "2024-02-02 09:44:26.029835 UTC".
	s = strings.TrimSuffix(s, " UTC")
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("reading timestamp %q: not RFC 3339", s)
}

func entryTime(m, pp map[string]any) time.Time {
	for _, v := range []any{get(m, "timestamp"), get(m, "receiveTimestamp"),
		get(get1(get1(pp, "requestMetadata"), "requestAttributes"), "time"),
		get(m, "p_event_time")} { // Panther exports keep the time there
		if s := str(v); s != "" {
			if t, err := ParseTime(s); err == nil {
				return t
			}
		}
	}
	return time.Time{}
}

// projectOf returns P of "projects/P/logs/...".
func projectOf(logName string) string {
	rest, ok := strings.CutPrefix(logName, "projects/")
	if !ok {
		return ""
	}
	p, _, _ := strings.Cut(rest, "/")
	return p
}

func regionOf(pp map[string]any, labels map[string]string) string {
	if rl, ok := get(pp, "resourceLocation").(map[string]any); ok {
		if cl, ok := get(rl, "currentLocations").([]any); ok && len(cl) > 0 {
			if s := str(cl[0]); s != "" {
				return s
			}
		}
	}
	for _, k := range []string{"location", "zone", "region"} {
		if labels[k] != "" {
			return labels[k]
		}
	}
	return ""
}

// principalOf reads authenticationInfo. A call made by a service account
// impersonated by someone carries serviceAccountDelegationInfo, the chain
// of the callers, oldest first: ID is the service account that made the
// call (principalEmail), Issuer that same impersonated account, Person the
// first human in the chain.
func principalOf(ai map[string]any) model.Principal {
	var p model.Principal
	p.ID = str(get(ai, "principalEmail"))
	if p.ID == "" {
		p.ID = subjectEmail(str(get(ai, "principalSubject")))
	}
	var chain []string
	if dl, ok := get(ai, "serviceAccountDelegationInfo").([]any); ok {
		for _, d := range dl {
			e := str(get(get1(d, "firstPartyPrincipal"), "principalEmail"))
			if e == "" {
				e = subjectEmail(str(get(d, "principalSubject")))
			}
			if e == "" {
				if tp := get1(d, "thirdPartyPrincipal"); tp != nil {
					e = str(get(get1(tp, "thirdPartyClaims"), "email"))
				}
			}
			if e != "" {
				chain = append(chain, e)
			}
		}
	}
	if p.ID == "" && len(chain) > 0 {
		p.ID = chain[len(chain)-1]
	}
	p.Type = PrincipalType(p.ID)
	if len(chain) > 0 {
		p.Issuer = p.ID
		for _, c := range chain {
			if PrincipalType(c) == "user" {
				p.Person = c
				break
			}
		}
	} else if p.Type == "user" {
		p.Person = p.ID
	}
	return p
}

// subjectEmail returns the email of a principalSubject written as an IAM
// member ("user:alice@example.com", "serviceAccount:sa@p.iam.gserviceaccount.com"),
// other subjects (principal://...) as they are.
func subjectEmail(s string) string {
	for _, p := range []string{"user:", "serviceAccount:"} {
		if e, ok := strings.CutPrefix(s, p); ok && strings.Contains(e, "@") {
			return e
		}
	}
	return s
}

// PrincipalType classifies an audit principal: serviceAccount for
// *.gserviceaccount.com emails, user for other emails, federated for
// principal:// subjects, "" when unknown.
func PrincipalType(id string) string {
	switch {
	case id == "":
		return ""
	case strings.HasSuffix(id, "gserviceaccount.com"):
		return "serviceAccount"
	case strings.HasPrefix(id, "principal://") || strings.HasPrefix(id, "principalSet://"):
		return "federated"
	case strings.Contains(id, "@"):
		return "user"
	}
	return "other"
}

// ViaOf classifies how a call was made from callerSuppliedUserAgent.
// Google-managed service agents (no user agent, an email of a Google
// service) are "service".
func ViaOf(ua, principal string) model.Via {
	l := strings.ToLower(ua)
	switch {
	case strings.Contains(l, "terraform") || strings.Contains(l, "opentofu"):
		return model.ViaTerraform
	case strings.Contains(l, "google-cloud-sdk") || strings.Contains(l, "gcloud/") || strings.Contains(l, "command/gcloud"):
		return model.ViaCLI
	case strings.Contains(l, "cloud console") || strings.Contains(l, "console.cloud.google.com") ||
		strings.HasPrefix(l, "mozilla/"):
		return model.ViaConsole
	case strings.Contains(l, "google-api-go-client") || strings.Contains(l, "gl-python") || strings.Contains(l, "gl-go/") ||
		strings.Contains(l, "gl-java") || strings.Contains(l, "gl-node") || strings.Contains(l, "gccl") ||
		strings.Contains(l, "google-api-python-client") || strings.Contains(l, "google-api-java-client") ||
		strings.Contains(l, "google-cloud-go") || strings.Contains(l, "grpc-"):
		return model.ViaSDK
	case ua == "" && serviceAgent(principal):
		return model.ViaService
	case ua == "":
		return ""
	}
	return model.ViaOther
}

// serviceAgent reports whether an email is a Google-managed service agent:
// service-<number>@<service>.iam.gserviceaccount.com (compute-system,
// gcp-sa-*, container-engine-robot, ...),
// service-<number>@developer.gserviceaccount.com, or an address of a
// Google domain such as <number>@cloudservices.gserviceaccount.com.
// User-managed accounts (name@project.iam.gserviceaccount.com,
// <number>-compute@developer.gserviceaccount.com, the App Engine default
// project@appspot.gserviceaccount.com) are not.
func serviceAgent(email string) bool {
	at := strings.IndexByte(email, '@')
	if at < 0 {
		return false
	}
	d := email[at+1:]
	if d == "appspot.gserviceaccount.com" {
		return false // the App Engine default service account runs user code
	}
	if strings.HasSuffix(d, ".iam.gserviceaccount.com") || d == "developer.gserviceaccount.com" {
		return strings.HasPrefix(email, "service-")
	}
	return strings.HasSuffix(d, "gserviceaccount.com")
}

// rpcCodes are the google.rpc.Code names.
var rpcCodes = []string{"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
	"OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"}

// statusCode returns the google.rpc.Code name of a non-OK status, "" for
// OK or an absent status.
func statusCode(v any) string {
	st, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	c := get(st, "code")
	var n int64
	switch t := c.(type) {
	case json.Number:
		n, _ = t.Int64()
	case float64:
		n = int64(t)
	case string:
		for i, name := range rpcCodes {
			if t == name {
				n = int64(i)
			}
		}
		if n == 0 && t != "" && t != "OK" {
			if x, err := strconv.ParseInt(t, 10, 64); err == nil {
				n = x
			} else {
				return t
			}
		}
	}
	if n == 0 {
		return ""
	}
	if n > 0 && int(n) < len(rpcCodes) {
		return rpcCodes[n]
	}
	return "CODE_" + strconv.FormatInt(n, 10)
}

// readMethod reports whether a method only reads (get, list, search...).
func readMethod(method string) bool {
	m := method
	if i := strings.LastIndexByte(m, '.'); i >= 0 {
		m = m[i+1:]
	}
	m = strings.ToLower(m)
	for _, p := range []string{"get", "list", "aggregatedlist", "search", "lookup", "testiampermissions", "batchget", "read", "watch"} {
		if strings.HasPrefix(m, p) {
			return true
		}
	}
	return false
}

// isNotFound reports whether a checkpoint read failed only because there
// is no checkpoint yet.
func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
