package model

import "strings"

// Identity derives the canonical identity and the well-known fields of a
// resource from its Terraform-form attributes. Every source uses it, so an
// applied resource and a live one name the same thing the same way:
//
//   - NativeID is the "id" attribute;
//   - ID is the "arn" attribute when it is an ARN, else provider/type/id
//     (cloud-specific identity tables refine this for GCP full resource names);
//   - Account and Region come from the ARN, or from the account_id/project and
//     region/location/zone attributes;
//   - Tags are tags_all (AWS default_tags merged) or tags, effective_labels or labels.
func Identity(provider, typ string, attrs map[string]any) Resource {
	r := Resource{Type: typ, Provider: provider}
	if r.Provider == "" {
		r.Provider = ProviderOf(typ)
	}
	r.NativeID = str(attrs["id"])
	if arn := str(attrs["arn"]); strings.HasPrefix(arn, "arn:") {
		r.ID = arn
		r.Region, r.Account = arnRegionAccount(arn)
	}
	if r.ID == "" && r.NativeID != "" {
		r.ID = CanonicalID(r.Provider, typ, r.NativeID)
	}
	for _, k := range []string{"region", "location", "zone"} {
		if r.Region != "" {
			break
		}
		r.Region = str(attrs[k])
	}
	for _, k := range []string{"account_id", "owner_id", "project"} {
		if r.Account != "" {
			break
		}
		r.Account = str(attrs[k])
	}
	for _, k := range []string{"tags_all", "tags", "effective_labels", "labels"} {
		if m, ok := attrs[k].(map[string]any); ok && len(m) > 0 {
			r.Tags = make(map[string]string, len(m))
			for tk, tv := range m {
				r.Tags[tk] = str(tv)
			}
			break
		}
	}
	return r
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// arnRegionAccount returns fields 4 and 5 of arn:partition:service:region:account:...
// without allocating.
func arnRegionAccount(arn string) (region, account string) {
	rest := arn
	for i := 0; i < 3; i++ {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return "", ""
		}
		rest = rest[j+1:]
	}
	j := strings.IndexByte(rest, ':')
	if j < 0 {
		return "", ""
	}
	region, rest = rest[:j], rest[j+1:]
	k := strings.IndexByte(rest, ':')
	if k < 0 {
		return "", ""
	}
	return region, rest[:k]
}
