package identity

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/driftwarden/driftwarden/model"
)

// ChangedAttributes returns the Terraform attributes of a resource of type
// tfType that an event changes. AWS events ("service:EventName") use the AWS
// table's event rules (and the request, for events such as
// ModifyInstanceAttribute whose effect depends on it: Request, or the bytes
// of RequestJSON when the source left it undecoded); GCP audit events
// ("serviceName:methodName") on google_* types use the GCP table's methods
// (GCPChangedAttributes). It returns nil when the table does not know.
func ChangedAttributes(ev model.Event, tfType string) []string {
	if row, ok := GCPByTerraform(tfType); ok {
		return GCPChangedAttributes(ev, row)
	}
	t, ok := ByTerraform(tfType)
	if !ok {
		return nil
	}
	name := ev.Action
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	name = NormalizeEventName(name)
	for _, r := range t.Events {
		for _, n := range r.Names {
			if n != name {
				continue
			}
			if len(r.ByRequest) > 0 {
				var req object
				req.load(requestJSON(&ev))
				if attrs := requestAttributes(r.ByRequest, &req); len(attrs) > 0 {
					return attrs
				}
			}
			return r.Attributes
		}
	}
	return nil
}

// requestJSON returns an event's request as JSON bytes (nil when it has
// none): RequestJSON as it is, or Request encoded when a source decoded it.
func requestJSON(ev *model.Event) []byte {
	if ev.Request == nil {
		return ev.RequestJSON
	}
	b, err := json.Marshal(ev.Request)
	if err != nil {
		return nil
	}
	return b
}

// gcpIAMAttributes are the attributes a SetIamPolicy-like method changes on
// the IAM resources of its parent.
var gcpIAMAttributes = map[GCPIAMKind][]string{
	GCPIAMPolicy:  {"policy_data"},
	GCPIAMBinding: {"members"},
	GCPIAMMember:  {"member"},
}

// gcpRequestAliases are request fields whose Terraform attribute is not
// their snake_case name (compute audit requests pluralise repeated
// fields: "alloweds").
var gcpRequestAliases = map[string]string{
	"allowed": "allow", "alloweds": "allow", "denied": "deny", "denieds": "deny",
	"iam_configuration": "uniform_bucket_level_access", "lifecycle": "lifecycle_rule",
	"user_labels": "labels", "resource_labels": "resource_labels",
}

// gcpRequestIgnored are request fields that identify or guard the
// resource rather than change it.
var gcpRequestIgnored = map[string]bool{
	"@type": true, "name": true, "id": true, "kind": true, "fingerprint": true, "self_link": true,
	"project": true, "resource": true, "request_id": true, "etag": true, "update_mask": true,
}

// GCPChangedAttributes returns the Terraform attributes of a resource of
// row that an audit event (Action "serviceName:methodName") changes: the
// method's attributes in the table; for IAM rows, what a SetIamPolicy
// changes (policy_data, members, member); for an update method whose
// attributes the table leaves open (compute.firewalls.patch), the fields of
// the logged request (its updateMask where there is one, else the body's
// top-level fields, snake_cased: "sourceRanges" -> source_ranges,
// "alloweds" -> allow). It returns nil when none of these says.
func GCPChangedAttributes(ev model.Event, row *GCPType) []string {
	service, method, ok := strings.Cut(ev.Action, ":")
	if !ok || row == nil {
		return nil
	}
	m, known := GCPMethodOf(row, service, method)
	if !known {
		return nil
	}
	switch {
	case len(m.Attributes) > 0:
		return m.Attributes
	case m.Op == GCPSetIAM:
		return gcpIAMAttributes[row.IAM]
	case m.Op == GCPUpdate:
		return gcpRequestAttributes(ev.Params())
	}
	return nil
}

func gcpRequestAttributes(req map[string]any) []string {
	if len(req) == 0 {
		return nil
	}
	var fields []string
	for _, k := range []string{"updateMask", "update_mask"} {
		switch v := req[k].(type) {
		case string:
			fields = strings.Split(v, ",")
		case map[string]any: // FieldMask as {"paths": [...]}
			if ps, ok := v["paths"].([]any); ok {
				for _, p := range ps {
					if s, ok := p.(string); ok {
						fields = append(fields, s)
					}
				}
			}
		}
	}
	if len(fields) == 0 {
		for k := range req {
			if !strings.HasPrefix(k, "@") {
				fields = append(fields, k)
			}
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, f := range fields {
		f = strings.TrimSpace(f)
		if i := strings.IndexByte(f, '.'); i >= 0 {
			f = f[:i] // settings.ipConfiguration -> settings
		}
		a := gcpSnake(f)
		if al, ok := gcpRequestAliases[a]; ok {
			a = al
		}
		if a == "" || gcpRequestIgnored[a] || seen[a] {
			continue
		}
		seen[a] = true
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// gcpSnake converts a camelCase field name to snake_case.
func gcpSnake(s string) string {
	var b strings.Builder
	for i, c := range s {
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}
