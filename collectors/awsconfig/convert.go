package awsconfig

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/identity"
	"github.com/driftwarden/driftwarden/model"
)

// GlobalRegion is the awsRegion AWS Config gives global resources (IAM).
const GlobalRegion = "global"

// Resources converts a configuration item into live resources in
// Terraform form, through the identity table: the resource itself (typed
// with its Terraform type when the table maps its Config type, else with
// the Config type), plus, for an S3 bucket, the bucket's configuration
// resources (aws_s3_bucket_policy, _public_access_block,
// _server_side_encryption_configuration, _versioning) that Terraform
// manages as separate resources. Every resource is Partial: only the
// converted attributes are present. A deleted resource comes back Gone;
// a ResourceNotRecorded item yields nothing.
func Resources(it *Item, source string) []collectors.LiveResource {
	if it.NotRecorded() {
		return nil
	}
	region := it.Region
	if region == GlobalRegion || region == "Not Applicable" {
		// Global resources (IAM, CloudFront) have no region in their ARN, and
		// model.Identity leaves an applied one's region empty: do the same so
		// the two match and coverage checks skip the region.
		region = ""
	}
	row, mapped := identity.ByConfig(it.ResourceType)
	if mapped && row.Terraform == "aws_cloudwatch_log_group" && strings.HasSuffix(it.ARN, ":*") {
		// The Logs API (and so Config) may end a log group's ARN with ":*";
		// the AWS provider drops it from the arn attribute.
		c := *it
		c.ARN = strings.TrimSuffix(it.ARN, ":*")
		it = &c
	}
	r := model.Resource{Provider: "aws", Account: it.AccountID, Region: region, Source: source}
	attrs := map[string]any{}
	if !mapped {
		r.Type = it.ResourceType
		r.NativeID = it.ResourceID
		r.ID = it.ARN
		if !strings.HasPrefix(r.ID, "arn:") {
			r.ID = model.CanonicalID("aws", it.ResourceType, it.ResourceID)
		}
	} else {
		r.Type = row.Terraform
		r.NativeID = nativeID(row, it)
		switch {
		case row.ARN != "" && strings.HasPrefix(it.ARN, "arn:"):
			r.ID = it.ARN
		default:
			r.ID = row.Canonical(idValue(row, it), region, it.AccountID, partition(it.ARN, it.Region))
		}
		if conv := converters[row.Terraform]; conv != nil && it.Configuration != nil {
			conv(it, attrs)
		}
	}
	attrs["id"] = r.NativeID
	if strings.HasPrefix(it.ARN, "arn:") {
		attrs["arn"] = it.ARN
	}
	if tags := liveTags(it.Tags); len(tags) > 0 {
		r.Tags = tags
		tm := make(map[string]any, len(tags))
		for k, v := range tags {
			tm[k] = v
		}
		attrs["tags"] = tm
	}
	r.Attributes = attrs
	out := []collectors.LiveResource{{Resource: r, Partial: true, Gone: it.Deleted()}}
	if mapped && row.Terraform == "aws_s3_bucket" && !it.Deleted() {
		out = append(out, bucketParts(it, r)...)
	}
	return out
}

// liveTags drops the aws: tags AWS sets itself, which Terraform never
// manages (the AWS provider ignores them too).
func liveTags(t map[string]string) map[string]string {
	if len(t) == 0 {
		return nil
	}
	out := make(map[string]string, len(t))
	for k, v := range t {
		if strings.HasPrefix(k, "aws:") {
			continue
		}
		out[k] = v
	}
	return out
}

// partition is the ARN's partition or, for an item without an ARN, the
// partition of its region (China and GovCloud are not "aws").
func partition(arn, region string) string {
	if p := strings.SplitN(arn, ":", 3); len(p) == 3 && p[0] == "arn" {
		return p[1]
	}
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	}
	return ""
}

// idValue is the native id in the identity table's sense (the values of
// the row's IDAttributes).
func idValue(row *identity.Type, it *Item) string {
	if len(row.IDAttributes) == 1 {
		switch row.IDAttributes[0] {
		case "id", "key_id":
			return it.ResourceID
		case "arn":
			if it.ARN != "" {
				return it.ARN
			}
			return it.ResourceID
		}
	}
	if it.ResourceName != "" {
		return it.ResourceName
	}
	return it.ResourceID
}

// nativeID is the Terraform "id" of the resource where Config's ids allow
// it: Config names IAM entities by their unique id (AROA...), Terraform
// by name (roles, users, groups) or ARN (policies).
func nativeID(row *identity.Type, it *Item) string {
	switch row.Terraform {
	case "aws_iam_role", "aws_iam_user", "aws_iam_group":
		if it.ResourceName != "" {
			return it.ResourceName
		}
	case "aws_iam_policy", "aws_lb", "aws_lb_listener", "aws_sns_topic":
		if it.ARN != "" {
			return it.ARN
		}
	case "aws_sqs_queue":
		if u := str(it.Configuration, "QueueUrl"); u != "" {
			return u
		}
	}
	return it.ResourceID
}

// converters turn a configuration item into Terraform attributes, per
// Terraform type. Only attributes whose Config form maps unambiguously are
// set: drift compares nothing else (the resources are Partial).
var converters = map[string]func(it *Item, a map[string]any){
	"aws_security_group": convertSecurityGroup,
	"aws_instance":       convertInstance,
	"aws_iam_role":       convertIAMRole,
	"aws_iam_policy":     convertIAMPolicy,
	"aws_iam_user":       convertIAMPrincipal("userName"),
	"aws_iam_group":      convertIAMPrincipal("groupName"),
	"aws_vpc": func(it *Item, a map[string]any) {
		c := it.Configuration
		setStr(a, "cidr_block", c, "cidrBlock")
		if v, ok := c["isDefault"].(bool); ok {
			a["default"] = v
		}
	},
	"aws_subnet": func(it *Item, a map[string]any) {
		c := it.Configuration
		setStr(a, "cidr_block", c, "cidrBlock")
		setStr(a, "vpc_id", c, "vpcId")
		setStr(a, "availability_zone", c, "availabilityZone")
		if v, ok := c["mapPublicIpOnLaunch"].(bool); ok {
			a["map_public_ip_on_launch"] = v
		}
		if v, ok := c["defaultForAz"].(bool); ok {
			a["default_for_az"] = v
		}
	},
	"aws_network_acl": func(it *Item, a map[string]any) {
		setStr(a, "vpc_id", it.Configuration, "vpcId")
		if v, ok := it.Configuration["isDefault"].(bool); ok {
			a["default"] = v
		}
	},
	"aws_ebs_volume": func(it *Item, a map[string]any) {
		c := it.Configuration
		setStr(a, "availability_zone", c, "availabilityZone")
		setStr(a, "type", c, "volumeType")
		setNum(a, "size", c, "size")
		if v, ok := c["encrypted"].(bool); ok {
			a["encrypted"] = v
		}
	},
	"aws_kms_key": func(it *Item, a map[string]any) {
		c := it.Configuration
		setStr(a, "description", c, "description")
		setStr(a, "key_usage", c, "keyUsage")
		if v, ok := it.Supplementary["KeyRotationStatus"].(bool); ok {
			a["enable_key_rotation"] = v
		}
		if p, ok := it.Supplementary["Policy"]; ok {
			if s := docString(p); s != "" {
				a["policy"] = s
			}
		}
	},
}

// convertSecurityGroup maps ipPermissions/ipPermissionsEgress into the
// ingress/egress blocks of aws_security_group the way the AWS provider
// builds them: one block per protocol, port range and description, with
// the CIDRs, IPv6 CIDRs, prefix lists and security groups of that
// description gathered in it, and self for the group's own id.
func convertSecurityGroup(it *Item, a map[string]any) {
	c := it.Configuration
	setStr(a, "name", c, "groupName")
	setStr(a, "description", c, "description")
	setStr(a, "vpc_id", c, "vpcId")
	gid := str(c, "groupId")
	if gid == "" {
		gid = it.ResourceID
	}
	owner := str(c, "ownerId")
	if _, ok := c["ipPermissions"]; ok {
		a["ingress"] = sgRules(c["ipPermissions"], gid, owner)
	}
	if _, ok := c["ipPermissionsEgress"]; ok {
		a["egress"] = sgRules(c["ipPermissionsEgress"], gid, owner)
	}
}

func sgRules(v any, groupID, owner string) []any {
	perms, _ := v.([]any)
	rules := map[string]map[string]any{}
	var order []string
	rule := func(proto string, from, to int64, desc string) map[string]any {
		k := fmt.Sprintf("%s-%d-%d-%s", proto, from, to, desc)
		r := rules[k]
		if r == nil {
			r = map[string]any{
				"protocol": proto, "from_port": from, "to_port": to, "description": desc,
				"cidr_blocks": []any{}, "ipv6_cidr_blocks": []any{}, "prefix_list_ids": []any{},
				"security_groups": []any{}, "self": false,
			}
			rules[k] = r
			order = append(order, k)
		}
		return r
	}
	add := func(r map[string]any, key string, val string) {
		if val != "" {
			r[key] = append(r[key].([]any), val)
		}
	}
	for _, p := range perms {
		pm, ok := p.(map[string]any)
		if !ok {
			continue
		}
		proto := protocolName(str(pm, "ipProtocol"))
		var from, to int64
		if proto != "-1" {
			from, to = num(pm["fromPort"]), num(pm["toPort"])
		}
		// Newer items have ipv4Ranges with descriptions besides the plain
		// ipRanges strings; use the former when present.
		if v4, ok := pm["ipv4Ranges"].([]any); ok && len(v4) > 0 {
			for _, e := range v4 {
				em, _ := e.(map[string]any)
				add(rule(proto, from, to, str(em, "description")), "cidr_blocks", str(em, "cidrIp"))
			}
		} else if v4, ok := pm["ipRanges"].([]any); ok {
			for _, e := range v4 {
				switch t := e.(type) {
				case string:
					add(rule(proto, from, to, ""), "cidr_blocks", t)
				case map[string]any:
					add(rule(proto, from, to, str(t, "description")), "cidr_blocks", str(t, "cidrIp"))
				}
			}
		}
		for _, e := range list(pm["ipv6Ranges"]) {
			em, _ := e.(map[string]any)
			add(rule(proto, from, to, str(em, "description")), "ipv6_cidr_blocks", str(em, "cidrIpv6"))
		}
		for _, e := range list(pm["prefixListIds"]) {
			switch t := e.(type) {
			case string:
				add(rule(proto, from, to, ""), "prefix_list_ids", t)
			case map[string]any:
				add(rule(proto, from, to, str(t, "description")), "prefix_list_ids", str(t, "prefixListId"))
			}
		}
		for _, e := range list(pm["userIdGroupPairs"]) {
			em, _ := e.(map[string]any)
			r := rule(proto, from, to, str(em, "description"))
			g := str(em, "groupId")
			switch {
			case g == groupID:
				r["self"] = true
			case g != "":
				if uid := str(em, "userId"); uid != "" && owner != "" && uid != owner {
					g = uid + "/" + g
				}
				add(r, "security_groups", g)
			}
		}
	}
	out := make([]any, 0, len(order))
	for _, k := range order {
		r := rules[k]
		for _, key := range []string{"cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "security_groups"} {
			l := r[key].([]any)
			sort.Slice(l, func(i, j int) bool { return l[i].(string) < l[j].(string) })
		}
		out = append(out, r)
	}
	return out
}

// protocolName writes protocols as the AWS provider stores them: names
// for tcp, udp, icmp and icmpv6, "-1" for all, the number otherwise.
func protocolName(p string) string {
	switch strings.ToLower(p) {
	case "6", "tcp":
		return "tcp"
	case "17", "udp":
		return "udp"
	case "1", "icmp":
		return "icmp"
	case "58", "icmpv6":
		return "icmpv6"
	case "-1", "all", "":
		return "-1"
	}
	return strings.ToLower(p)
}

func convertInstance(it *Item, a map[string]any) {
	c := it.Configuration
	setStr(a, "instance_type", c, "instanceType")
	setStr(a, "ami", c, "imageId")
	setStr(a, "subnet_id", c, "subnetId")
	setStr(a, "key_name", c, "keyName")
	if sgs, ok := c["securityGroups"].([]any); ok {
		ids := []any{}
		for _, g := range sgs {
			if id := str(asMap(g), "groupId"); id != "" {
				ids = append(ids, id)
			}
		}
		a["vpc_security_group_ids"] = ids
	}
}

func convertIAMRole(it *Item, a map[string]any) {
	c := it.Configuration
	setStr(a, "name", c, "roleName")
	setStr(a, "path", c, "path")
	setStr(a, "description", c, "description")
	setNum(a, "max_session_duration", c, "maxSessionDuration")
	if s := docString(c["assumeRolePolicyDocument"]); s != "" {
		a["assume_role_policy"] = s
	}
}

func convertIAMPolicy(it *Item, a map[string]any) {
	c := it.Configuration
	setStr(a, "name", c, "policyName")
	setStr(a, "path", c, "path")
	setStr(a, "description", c, "description")
	for _, v := range list(c["policyVersionList"]) {
		vm := asMap(v)
		if b, _ := vm["isDefaultVersion"].(bool); b {
			if s := docString(vm["document"]); s != "" {
				a["policy"] = s
			}
		}
	}
}

func convertIAMPrincipal(nameKey string) func(*Item, map[string]any) {
	return func(it *Item, a map[string]any) {
		setStr(a, "name", it.Configuration, nameKey)
		setStr(a, "path", it.Configuration, "path")
	}
}

// docString returns a policy document as a JSON string: Config hands IAM
// documents URL-encoded, key policies as JSON text, some as objects.
func docString(v any) string {
	switch t := v.(type) {
	case string:
		s := strings.TrimSpace(t)
		if strings.HasPrefix(s, "%7B") || strings.HasPrefix(s, "%7b") {
			if u, err := url.QueryUnescape(s); err == nil {
				s = u
			}
		}
		return s
	case map[string]any, []any:
		b, err := json.Marshal(t)
		if err != nil {
			return ""
		}
		return string(b)
	}
	return ""
}

// bucketParts returns the S3 bucket's configuration resources that
// Terraform (AWS provider 4 and later) manages separately, each keyed by
// the bucket name as Terraform's id is.
func bucketParts(it *Item, bucket model.Resource) []collectors.LiveResource {
	sc := it.Supplementary
	if sc == nil {
		return nil
	}
	name := it.ResourceName
	if name == "" {
		name = it.ResourceID
	}
	part := func(typ string, attrs map[string]any, gone bool) collectors.LiveResource {
		r := bucket
		r.Type, r.NativeID, r.Tags = typ, name, nil
		r.ID = model.CanonicalID("aws", typ, name)
		attrs["id"] = name
		attrs["bucket"] = name
		r.Attributes = attrs
		return collectors.LiveResource{Resource: r, Partial: true, Gone: gone}
	}
	var out []collectors.LiveResource
	if pab := asMap(sc["PublicAccessBlockConfiguration"]); pab != nil {
		a := map[string]any{}
		for tf, cfg := range map[string]string{
			"block_public_acls": "blockPublicAcls", "block_public_policy": "blockPublicPolicy",
			"ignore_public_acls": "ignorePublicAcls", "restrict_public_buckets": "restrictPublicBuckets",
		} {
			if b, ok := pab[cfg].(bool); ok {
				a[tf] = b
			}
		}
		out = append(out, part("aws_s3_bucket_public_access_block", a, false))
	}
	if sse := asMap(sc["ServerSideEncryptionConfiguration"]); sse != nil {
		var rules []any
		for _, r := range list(sse["rules"]) {
			rm := asMap(r)
			def := asMap(rm["applyServerSideEncryptionByDefault"])
			rule := map[string]any{}
			if def != nil {
				d := map[string]any{"sse_algorithm": str(def, "sseAlgorithm")}
				if k := str(def, "kmsMasterKeyID"); k != "" {
					d["kms_master_key_id"] = k
				}
				rule["apply_server_side_encryption_by_default"] = []any{d}
			}
			if b, ok := rm["bucketKeyEnabled"].(bool); ok {
				rule["bucket_key_enabled"] = b
			}
			rules = append(rules, rule)
		}
		if len(rules) > 0 {
			out = append(out, part("aws_s3_bucket_server_side_encryption_configuration", map[string]any{"rule": rules}, false))
		}
	}
	if v := asMap(sc["BucketVersioningConfiguration"]); v != nil {
		vc := map[string]any{}
		switch s := str(v, "status"); s {
		case "Off", "":
			vc["status"] = "Disabled"
		default:
			vc["status"] = s
		}
		if b, ok := v["isMfaDeleteEnabled"].(bool); ok {
			vc["mfa_delete"] = map[bool]string{true: "Enabled", false: "Disabled"}[b]
		}
		out = append(out, part("aws_s3_bucket_versioning", map[string]any{"versioning_configuration": []any{vc}}, false))
	}
	if bp, ok := sc["BucketPolicy"]; ok {
		text := docString(asMap(bp)["policyText"])
		if text != "" {
			out = append(out, part("aws_s3_bucket_policy", map[string]any{"policy": text}, false))
		} else if bp != nil {
			// Config recorded the bucket without a policy: a managed
			// aws_s3_bucket_policy is gone.
			out = append(out, part("aws_s3_bucket_policy", map[string]any{}, true))
		}
	}
	return out
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func str(m map[string]any, k string) string {
	if m == nil {
		return ""
	}
	return scalarString(m[k])
}

func setStr(a map[string]any, tf string, c map[string]any, k string) {
	if s := str(c, k); s != "" {
		a[tf] = s
	}
}

func setNum(a map[string]any, tf string, c map[string]any, k string) {
	if _, ok := c[k]; ok && c[k] != nil {
		a[tf] = num(c[k])
	}
}

func num(v any) int64 {
	switch t := v.(type) {
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return i
		}
		f, _ := t.Float64()
		return int64(f)
	case float64:
		return int64(t)
	case string:
		i, _ := strconv.ParseInt(t, 10, 64)
		return i
	}
	return 0
}
