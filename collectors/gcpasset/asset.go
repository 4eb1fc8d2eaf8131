// Package gcpasset reads Google Cloud Asset Inventory as a live inventory:
// the ListAssets API (APISource) and the newline-delimited JSON files that
// ExportAssets writes to Cloud Storage (FileSource).
//
// # Mapping
//
// Each asset becomes a collectors.LiveResource whose ID is the canonical id
// of identity's GCP table (the CAI full resource name), whose Type is the
// Terraform type of the asset type (google_compute_firewall), with Account
// = project id, Region = location, Tags = labels, and Partial = true:
// resource.data is the service's REST representation (camelCase); only the
// key attributes of the mapped types are converted to Terraform form
// (snake_case, Terraform's nesting: firewall allow/deny/source_ranges/
// direction/disabled/priority, bucket uniform_bucket_level_access/
// versioning/labels/storage_class, instance machine_type (last path
// segment)/labels/service_account scopes/metadata ..., SQL
// settings.ip_configuration ...). Attributes not converted are absent,
// which means "not observed", never null. Assets of types outside the table
// keep their CAI type and only their identity.
//
// CAI names projects by number and service accounts by unique id; both are
// re-keyed to the project id and the email (as Terraform and the audit
// logs name them) from the resource data, also for IAM-only assets when the
// same read held the resource.
//
// # Folders and the organisation
//
// Folder assets become google_folder (display_name, parent, lifecycle_state
// from v1's lifecycleState or v3's state, name, folder_id); a folder whose
// deletion was requested (DELETE_REQUESTED, listed for the 30 days it can
// be undeleted) is Gone: not live, so missing if a state manages it and
// never unmanaged. The Organization asset becomes google_organization, a
// type Terraform only reads: it is never in Coverage, so it is never
// unmanaged. Folders are in Coverage only for input that holds them all:
// a ListAssets of an organisation (not of projects or a folder), export
// files whose AssetTypes name them, or export files that show they are an
// organisation's export and not a folder's (holdsEveryFolder: the
// Organization asset, or every folder's parent held, with at least two
// top-level folders).
//
// # IAM policies
//
// An asset's iamPolicy becomes resources of the google_*_iam_policy type of
// its parent (ID = parent id + "/iamPolicy", attribute policy_data = the
// policy JSON with bindings sorted by role and members sorted), plus one
// google_*_iam_binding per role and condition (role, members, condition)
// and one google_*_iam_member per member of each (role, member,
// condition), with the canonical ids of identity's table, so
// that whichever of the three Terraform styles a stack uses meets its live
// counterpart. IAM types are never in Coverage: absence from CAI does not
// make a binding "missing" and the policies of every project are not
// reported as unmanaged.
//
// # Input forms
//
// Files may hold one asset per line (ExportAssets), a JSON array
// (pretty-printed or not), or concatenated (pretty-printed) objects; both
// the camelCase API form (assetType, iamPolicy, discoveryName) and the
// snake_case form of GCS exports (asset_type, iam_policy, discovery_name)
// are read, and ListAssets (with or without content) and
// SearchAllResources results too. A directory means its *.json, *.jsonl,
// *.ndjson and *.txt files and the numbered shards of a per-asset-type
// export (<prefix>/<asset type>/0). A bad record (a line cut short,
// malformed JSON, an object that is not an asset) is an
// *collectors.InputError naming the file and its line(s) and costs only
// itself; so does an asset whose IAM policy is not an object (or whose
// bindings are not an array of objects), which read as no policy would
// make every grant look removed. Assets that carry only an IAM, org or access policy say nothing
// of which resources exist: their types are not in the Coverage.
package gcpasset

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/identity"
	"github.com/driftwarden/driftwarden/internal/fileinput"
	"github.com/driftwarden/driftwarden/model"
)

// Asset is one CAI asset in either JSON form.
type Asset struct {
	Name      string
	AssetType string
	// Data is resource.data (may be nil for IAM-only assets).
	Data     map[string]any
	Location string
	// Parent is resource.parent (//cloudresourcemanager.googleapis.com/projects/N).
	Parent    string
	IAMPolicy map[string]any
	Ancestors []string
	// Exists is set when the record says the resource exists even without
	// its data: a resource content without data, an asset listed by name
	// only (no content type), a SearchAllResources result. An asset
	// carrying only another content (IAM, org or access policy, OS
	// inventory, relationships) says nothing of that.
	Exists bool
	// Labels are the labels given beside the data (SearchAllResources).
	Labels map[string]string
}

// contentKeys are the asset fields of the content types other than
// RESOURCE, in both JSON forms.
var contentKeys = []string{"iamPolicy", "iam_policy", "orgPolicy", "org_policy", "accessPolicy", "access_policy",
	"accessLevel", "access_level", "servicePerimeter", "service_perimeter", "osInventory", "os_inventory",
	"relatedAssets", "related_assets", "relatedAsset", "related_asset"}

// assetFromMap reads an asset from its decoded JSON, camelCase or
// snake_case (either may be present, the first non-empty wins), as
// exported, listed (ListAssets, names only or with content) or searched
// (SearchAllResources: versionedResources, project, labels).
func assetFromMap(m map[string]any) (Asset, error) {
	a := Asset{Name: str(pick(m, "name")), AssetType: str(pick(m, "assetType", "asset_type"))}
	switch {
	case a.Name == "" && a.AssetType == "":
		return a, fmt.Errorf("asset without name or asset type")
	case a.Name == "":
		return a, fmt.Errorf("asset without name (asset type %s)", a.AssetType)
	case a.AssetType == "":
		return a, fmt.Errorf("asset %s without asset type", a.Name)
	}
	if r, ok := pick(m, "resource").(map[string]any); ok {
		a.Data, _ = pick(r, "data").(map[string]any)
		a.Location = str(pick(r, "location"))
		a.Parent = str(pick(r, "parent"))
		a.Exists = true
	} else if pick(m, contentKeys...) == nil {
		a.Exists = true // names only, or a search result
		if vr, ok := pick(m, "versionedResources", "versioned_resources").([]any); ok && len(vr) > 0 {
			v, _ := vr[0].(map[string]any)
			a.Data, _ = pick(v, "resource").(map[string]any)
		}
		a.Location = str(pick(m, "location"))
		if p := str(pick(m, "project")); strings.HasPrefix(p, "projects/") {
			a.Parent = "//cloudresourcemanager.googleapis.com/" + p
		}
		if lm, ok := pick(m, "labels").(map[string]any); ok && len(lm) > 0 {
			a.Labels = map[string]string{}
			for k, v := range lm {
				a.Labels[k] = str(v)
			}
		}
	}
	pol, err := iamPolicyOf(m)
	if err != nil {
		return a, fmt.Errorf("asset %s: %w", a.Name, err)
	}
	a.IAMPolicy = pol
	if anc, ok := pick(m, "ancestors").([]any); ok {
		for _, x := range anc {
			a.Ancestors = append(a.Ancestors, str(x))
		}
	}
	return a, nil
}

// iamPolicyOf returns an asset's IAM policy (nil when absent or null). A
// policy that is not an object, or whose bindings are not an array of
// objects, is an error: read as no policy, every grant it holds would
// look removed.
func iamPolicyOf(m map[string]any) (map[string]any, error) {
	key := "iamPolicy"
	v := pick(m, key)
	if v == nil {
		key = "iam_policy"
		v = pick(m, key)
	}
	if v == nil {
		return nil, nil
	}
	pol, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is %s, not an object", key, fileinput.JSONKind(v))
	}
	bs, ok := pol["bindings"]
	if !ok || bs == nil {
		return pol, nil
	}
	list, ok := bs.([]any)
	if !ok {
		return nil, fmt.Errorf("%s.bindings is %s, not an array", key, fileinput.JSONKind(bs))
	}
	for i, b := range list {
		if _, ok := b.(map[string]any); !ok {
			return nil, fmt.Errorf("%s.bindings[%d] is %s, not an object", key, i, fileinput.JSONKind(b))
		}
	}
	return pol, nil
}

// pick returns the first of keys present with a value that is not null
// or "".
func pick(m map[string]any, keys ...string) any {
	for _, k := range keys {
		if v, ok := m[k]; ok && v != nil && v != "" {
			return v
		}
	}
	return nil
}

func str(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case float64:
		return fmt.Sprint(t)
	}
	return ""
}

// mapper turns assets into live resources; it collects first so that
// project numbers and service-account unique ids can be re-keyed.
type mapper struct {
	source   string
	assets   []Asset
	aliases  map[string]string // CAI name -> canonical id
	projects map[string]string // project number -> project id
}

func newMapper(source string) *mapper {
	return &mapper{source: source, aliases: map[string]string{}, projects: map[string]string{}}
}

func (mp *mapper) add(a Asset) {
	switch a.AssetType {
	case "cloudresourcemanager.googleapis.com/Project":
		if id := str(a.Data["projectId"]); id != "" {
			num := lastSeg(a.Name)
			mp.projects[num] = id
			mp.aliases[a.Name] = "//cloudresourcemanager.googleapis.com/projects/" + id
		}
	case "iam.googleapis.com/ServiceAccount":
		if email := str(a.Data["email"]); email != "" {
			if p := projectSeg(a.Name); p != "" {
				mp.aliases[a.Name] = "//iam.googleapis.com/projects/" + p + "/serviceAccounts/" + email
			}
		}
	}
	mp.assets = append(mp.assets, a)
}

// rekeyed reports whether an asset's canonical id is the one states use:
// projects and service accounts are named by number and unique id in CAI,
// and re-keyed by project id and email from their data (add).
func (mp *mapper) rekeyed(a Asset) bool {
	switch a.AssetType {
	case "cloudresourcemanager.googleapis.com/Project", "iam.googleapis.com/ServiceAccount":
		_, ok := mp.aliases[a.Name]
		return ok || strings.Contains(lastSeg(a.Name), "@")
	}
	return true
}

// resources maps every collected asset; it returns the resources and the
// Terraform types seen.
func (mp *mapper) resources() []collectors.LiveResource {
	var out []collectors.LiveResource
	for _, a := range mp.assets {
		id := a.Name
		if al, ok := mp.aliases[a.Name]; ok {
			id = al
		}
		row, known := identity.GCPByAssetType(a.AssetType)
		account := projectSeg(id)
		if account == "" {
			account = str(a.Data["project"])
		}
		if account == "" {
			account = str(a.Data["projectId"])
		}
		if account == "" && strings.HasPrefix(a.Parent, "//cloudresourcemanager.googleapis.com/projects/") {
			num := lastSeg(a.Parent)
			account = mp.projects[num]
			if account == "" {
				account = num
			}
		}
		region := a.Location
		if region == "" {
			region = lastSeg(firstStr(a.Data, "location", "zone", "region"))
		}
		if a.Data != nil || a.Exists {
			r := model.Resource{ID: id, Type: a.AssetType, Provider: "google", Account: account, Region: region, Source: mp.source}
			if known {
				r.Type = row.Terraform
				r.Attributes = convert(row.Terraform, a.Name, a.Data)
				if r.Attributes != nil {
					r.NativeID = str(r.Attributes["id"])
				}
			}
			r.Tags = labelsOf(a.Data)
			if r.Tags == nil && len(a.Labels) > 0 {
				r.Tags = a.Labels
			}
			out = append(out, collectors.LiveResource{Resource: r, Partial: true, Gone: pendingDeletion(a)})
		}
		if a.IAMPolicy != nil && known {
			out = append(out, mp.iam(id, row, account, region, a.IAMPolicy)...)
		}
	}
	return out
}

// iamRows returns the policy, binding and member rows whose parent is row.
func iamRows(row *identity.GCPType) map[identity.GCPIAMKind]*identity.GCPType {
	out := map[identity.GCPIAMKind]*identity.GCPType{}
	for i := range identity.GCPTypes {
		r := &identity.GCPTypes[i]
		if r.Parent == row.Terraform {
			out[r.IAM] = r
		}
	}
	return out
}

func (mp *mapper) iam(parent string, row *identity.GCPType, account, region string, pol map[string]any) []collectors.LiveResource {
	rows := iamRows(row)
	if len(rows) == 0 {
		return nil
	}
	type binding struct {
		Role      string         `json:"role"`
		Members   []string       `json:"members"`
		Condition map[string]any `json:"condition,omitempty"`
		cond      identity.GCPIAMCondition
	}
	var bs []binding
	if raw, ok := pol["bindings"].([]any); ok {
		for _, b := range raw {
			bm, _ := b.(map[string]any)
			x := binding{Role: str(bm["role"])}
			// Conditional bindings of one role are distinct resources
			// (google_*_iam_member/_binding with a condition block).
			if x.cond = identity.GCPIAMConditionOf(bm["condition"]); !x.cond.IsZero() {
				x.Condition = map[string]any{"title": x.cond.Title, "description": x.cond.Description, "expression": x.cond.Expression}
			}
			if ms, ok := bm["members"].([]any); ok {
				for _, m := range ms {
					x.Members = append(x.Members, str(m))
				}
			}
			if x.Role == "" {
				continue
			}
			sort.Strings(x.Members)
			bs = append(bs, x)
		}
	}
	sort.Slice(bs, func(i, j int) bool {
		if bs[i].Role != bs[j].Role {
			return bs[i].Role < bs[j].Role
		}
		return bs[i].cond.Key() < bs[j].cond.Key()
	})
	var out []collectors.LiveResource
	mk := func(kind identity.GCPIAMKind, id string, attrs map[string]any) {
		r := rows[kind]
		if r == nil || id == "" {
			return
		}
		out = append(out, collectors.LiveResource{Partial: true, Resource: model.Resource{
			ID: id, Type: r.Terraform, Provider: "google", Account: account, Region: region, Attributes: attrs, Source: mp.source}})
	}
	pd, _ := json.Marshal(map[string]any{"bindings": bs})
	mk(identity.GCPIAMPolicy, identity.GCPIAMCanonical(parent, identity.GCPIAMPolicy, "", ""), map[string]any{"policy_data": string(pd)})
	for _, b := range bs {
		members := make([]any, len(b.Members))
		for i, m := range b.Members {
			members[i] = m
		}
		battrs := map[string]any{"role": b.Role, "members": members}
		if b.Condition != nil {
			battrs["condition"] = []any{b.Condition}
		}
		mk(identity.GCPIAMBinding, identity.GCPIAMCanonicalWithCondition(parent, identity.GCPIAMBinding, b.Role, "", b.cond), battrs)
		for _, m := range b.Members {
			mattrs := map[string]any{"role": b.Role, "member": m}
			if b.Condition != nil {
				mattrs["condition"] = []any{b.Condition}
			}
			mk(identity.GCPIAMMember, identity.GCPIAMCanonicalWithCondition(parent, identity.GCPIAMMember, b.Role, m, b.cond), mattrs)
		}
	}
	return out
}

func labelsOf(d map[string]any) map[string]string {
	var lm map[string]any
	for _, k := range []string{"labels", "resourceLabels"} {
		if m, ok := d[k].(map[string]any); ok {
			lm = m
			break
		}
	}
	if lm == nil {
		if s, ok := d["settings"].(map[string]any); ok {
			lm, _ = s["userLabels"].(map[string]any)
		}
	}
	if len(lm) == 0 {
		return nil
	}
	out := make(map[string]string, len(lm))
	for k, v := range lm {
		out[k] = str(v)
	}
	return out
}

func firstStr(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s := str(m[k]); s != "" {
			return s
		}
	}
	return ""
}

func lastSeg(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// projectSeg returns P of ".../projects/P/..." in a resource name.
func projectSeg(name string) string {
	i := strings.Index(name, "/projects/")
	if i < 0 {
		return ""
	}
	rest := name[i+len("/projects/"):]
	p, _, _ := strings.Cut(rest, "/")
	if p == "_" || p == "-" {
		return ""
	}
	return p
}

// pendingDeletion reports whether an asset is a folder whose deletion was
// requested (DELETE_REQUESTED: CAI still lists it for the 30 days it can
// be undeleted, but it is not live).
func pendingDeletion(a Asset) bool {
	return a.AssetType == "cloudresourcemanager.googleapis.com/Folder" &&
		firstStr(a.Data, "state", "lifecycleState") == "DELETE_REQUESTED"
}

// holdsEveryFolder reports whether assets read from export files hold
// every folder of their organisation, as an organisation's export does and
// a folder's export (its folder and the folders below) does not: they hold
// the Organization asset, or every Folder asset's parent is the
// organisation or a folder they hold, with at least two folders at the top
// (a top-level folder's export has one). An organisation with a single
// top-level folder, exported without its Organization asset, thus leaves
// folders uncovered: they are compared, never reported missing.
func holdsEveryFolder(assets []Asset) bool {
	const folderType = "cloudresourcemanager.googleapis.com/Folder"
	held := map[string]bool{}
	for _, a := range assets {
		switch {
		case !a.Exists && a.Data == nil:
		case a.AssetType == "cloudresourcemanager.googleapis.com/Organization":
			return true
		case a.AssetType == folderType:
			held[strings.TrimPrefix(a.Name, crmPrefix)] = true
		}
	}
	top := map[string]bool{}
	for _, a := range assets {
		if a.AssetType != folderType || !a.Exists && a.Data == nil {
			continue
		}
		parent := folderParent(a)
		switch {
		case strings.HasPrefix(parent, "organizations/"):
			top[strings.TrimPrefix(a.Name, crmPrefix)] = true
		case !held[parent]:
			return false // below a folder not held, or no parent known
		}
	}
	return len(top) >= 2
}

// crmPrefix starts the full names of folders and organisations.
const crmPrefix = "//cloudresourcemanager.googleapis.com/"

// folderParent returns a Folder asset's parent (folders/N or
// organizations/N): its data's parent, resource.parent, or the second of
// its ancestors (which start with the folder itself).
func folderParent(a Asset) string {
	if p := str(a.Data["parent"]); p != "" {
		return p
	}
	if a.Parent != "" {
		return strings.TrimPrefix(a.Parent, crmPrefix)
	}
	if len(a.Ancestors) >= 2 && crmPrefix+a.Ancestors[0] == a.Name {
		return a.Ancestors[1]
	}
	return ""
}

// coverage builds the Coverage of mapped (non-IAM) asset types that
// Terraform manages: never the organisation (a data source). Folders
// (OrgLevel rows) are covered only when orgLevel says the input holds
// every one of them (an organisation's listing or export).
func coverage(assetTypes []string, projects []string, orgLevel bool) collectors.Coverage {
	c := collectors.Coverage{Types: map[string]bool{}}
	for _, at := range assetTypes {
		for i := range identity.GCPTypes {
			r := &identity.GCPTypes[i]
			if r.AssetType == at && r.IAM == identity.GCPIAMNone && r.Managed() && (orgLevel || !r.OrgLevel) {
				c.Types[r.Terraform] = true
			}
		}
	}
	if len(projects) > 0 {
		c.Accounts = map[string]bool{}
		for _, p := range projects {
			c.Accounts[p] = true
		}
	}
	return c
}
