package gcpasset

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// converters turn resource.data (REST, camelCase) into the Terraform
// attributes compared for each mapped type. Only keys present in data are
// set: an absent key is "not observed".
var converters = map[string]func(d map[string]any, a attrs){
	"google_compute_firewall": func(d map[string]any, a attrs) {
		a.copy(d, "name", "name", "description", "description", "direction", "direction", "disabled", "disabled", "priority", "priority")
		a.list(d, "source_ranges", "sourceRanges", "sourceRange")
		a.list(d, "destination_ranges", "destinationRanges", "destinationRange")
		a.list(d, "source_tags", "sourceTags", "sourceTag")
		a.list(d, "target_tags", "targetTags", "targetTag")
		a.list(d, "source_service_accounts", "sourceServiceAccounts")
		a.list(d, "target_service_accounts", "targetServiceAccounts")
		a.copy(d, "network", "network")
		for tf, keys := range map[string][]string{"allow": {"allowed", "allow"}, "deny": {"denied", "deny"}} {
			for _, k := range keys {
				rules, ok := d[k].([]any)
				if !ok {
					continue
				}
				out := []any{}
				for _, r := range rules {
					rm, _ := r.(map[string]any)
					proto := firstStr(rm, "IPProtocol", "ipProtocol")
					ports := rm["ports"]
					if ports == nil {
						ports = rm["port"]
					}
					pl, _ := ports.([]any)
					if pl == nil {
						pl = []any{}
					}
					out = append(out, map[string]any{"protocol": proto, "ports": pl})
				}
				a[tf] = out
				break
			}
		}
		if _, ok := d["allowed"]; ok {
			if _, ok := a["deny"]; !ok {
				a["deny"] = []any{}
			}
		}
		if _, ok := d["denied"]; ok {
			if _, ok := a["allow"]; !ok {
				a["allow"] = []any{}
			}
		}
		if lc, ok := d["logConfig"].(map[string]any); ok {
			if en, ok := lc["enable"].(bool); ok && !en {
				a["log_config"] = []any{}
			}
		}
	},
	"google_storage_bucket": func(d map[string]any, a attrs) {
		a.copy(d, "name", "name", "location", "location", "storage_class", "storageClass")
		a["id"] = firstStr(d, "name", "id")
		if ic, ok := d["iamConfiguration"].(map[string]any); ok {
			for _, k := range []string{"uniformBucketLevelAccess", "bucketPolicyOnly"} {
				if m, ok := ic[k].(map[string]any); ok {
					en, _ := m["enabled"].(bool)
					a["uniform_bucket_level_access"] = en
					break
				}
			}
			if p := str(ic["publicAccessPrevention"]); p != "" {
				a["public_access_prevention"] = p
			}
		}
		if v, ok := d["versioning"].(map[string]any); ok {
			en, _ := v["enabled"].(bool)
			a["versioning"] = []any{map[string]any{"enabled": en}}
		}
		if l, ok := d["logging"].(map[string]any); ok && len(l) > 0 {
			a["logging"] = []any{map[string]any{"log_bucket": str(l["logBucket"]), "log_object_prefix": str(l["logObjectPrefix"])}}
		}
		if e, ok := d["encryption"].(map[string]any); ok && str(e["defaultKmsKeyName"]) != "" {
			a["encryption"] = []any{map[string]any{"default_kms_key_name": str(e["defaultKmsKeyName"])}}
		}
		a.labels(d, "labels")
	},
	"google_compute_instance": func(d map[string]any, a attrs) {
		a.copy(d, "name", "name", "can_ip_forward", "canIpForward", "deletion_protection", "deletionProtection",
			"min_cpu_platform", "minCpuPlatform")
		a.last(d, "machine_type", "machineType")
		a.last(d, "zone", "zone")
		a.labels(d, "labels")
		if tg, ok := d["tags"].(map[string]any); ok {
			a.list(tg, "tags", "items")
			if _, ok := a["tags"]; !ok {
				a["tags"] = []any{}
			}
		}
		if sas, ok := pick(d, "serviceAccounts", "serviceAccount").([]any); ok {
			out := []any{}
			for _, s := range sas {
				sm, _ := s.(map[string]any)
				scopes, _ := pick(sm, "scopes", "scope").([]any)
				out = append(out, map[string]any{"email": str(sm["email"]), "scopes": sortedStrings(scopes)})
			}
			a["service_account"] = out
		}
		if md, ok := d["metadata"].(map[string]any); ok {
			items, _ := pick(md, "items", "item").([]any)
			m := map[string]any{}
			for _, it := range items {
				im, _ := it.(map[string]any)
				if k := str(im["key"]); k != "" && k != "startup-script" {
					m[k] = str(im["value"])
				}
			}
			a["metadata"] = m
		}
		if nis, ok := pick(d, "networkInterfaces", "networkInterface").([]any); ok {
			out := []any{}
			for _, n := range nis {
				nm, _ := n.(map[string]any)
				x := map[string]any{"network": str(nm["network"]), "subnetwork": str(nm["subnetwork"]),
					"network_ip": firstStr(nm, "networkIP", "ipAddress")}
				acs, _ := pick(nm, "accessConfigs", "accessConfig").([]any)
				acl := []any{}
				for _, ac := range acs {
					am, _ := ac.(map[string]any)
					acl = append(acl, map[string]any{"nat_ip": firstStr(am, "natIP", "externalIp"), "network_tier": str(am["networkTier"])})
				}
				x["access_config"] = acl
				out = append(out, x)
			}
			a["network_interface"] = out
		}
		if sc, ok := d["shieldedInstanceConfig"].(map[string]any); ok {
			a["shielded_instance_config"] = []any{map[string]any{"enable_secure_boot": sc["enableSecureBoot"],
				"enable_vtpm": sc["enableVtpm"], "enable_integrity_monitoring": sc["enableIntegrityMonitoring"]}}
		}
	},
	"google_compute_disk": func(d map[string]any, a attrs) {
		a.copy(d, "name", "name")
		a.last(d, "type", "type")
		a.last(d, "zone", "zone")
		a.num(d, "size", "sizeGb")
		a.labels(d, "labels")
		a.list(d, "resource_policies", "resourcePolicies")
	},
	"google_compute_network": func(d map[string]any, a attrs) {
		a.copy(d, "name", "name", "auto_create_subnetworks", "autoCreateSubnetworks", "description", "description", "mtu", "mtu")
		if rc, ok := d["routingConfig"].(map[string]any); ok {
			a["routing_mode"] = str(rc["routingMode"])
		}
	},
	"google_compute_subnetwork": func(d map[string]any, a attrs) {
		a.copy(d, "name", "name", "ip_cidr_range", "ipCidrRange", "network", "network",
			"private_ip_google_access", "privateIpGoogleAccess", "purpose", "purpose")
		a.last(d, "region", "region")
	},
	"google_compute_router": func(d map[string]any, a attrs) {
		a.copy(d, "name", "name", "network", "network")
		a.last(d, "region", "region")
		if b, ok := d["bgp"].(map[string]any); ok {
			a["bgp"] = []any{map[string]any{"asn": b["asn"]}}
		}
	},
	"google_compute_address": func(d map[string]any, a attrs) {
		a.copy(d, "name", "name", "address", "address", "address_type", "addressType", "network_tier", "networkTier")
		a.last(d, "region", "region")
		a.labels(d, "labels")
	},
	"google_folder": func(d map[string]any, a attrs) {
		// Resource Manager v2 (lifecycleState) and v3 (state) forms;
		// Terraform's lifecycle_state holds v3's state.
		a.copy(d, "display_name", "displayName", "parent", "parent")
		if st := firstStr(d, "state", "lifecycleState"); st != "" {
			a["lifecycle_state"] = st
		}
		a.hierarchyName(str(d["name"]), "folders/", "folder_id")
	},
	"google_organization": func(d map[string]any, a attrs) {
		a.copy(d, "domain", "displayName")
		if st := firstStr(d, "state", "lifecycleState"); st != "" {
			a["lifecycle_state"] = st
		}
		// v1 nests the customer id in owner, v3 has it at the top.
		a.copy(d, "directory_customer_id", "directoryCustomerId")
		if o, ok := d["owner"].(map[string]any); ok {
			a.copy(o, "directory_customer_id", "directoryCustomerId")
		}
		a.hierarchyName(str(d["name"]), "organizations/", "org_id")
	},
	"google_project": func(d map[string]any, a attrs) {
		a.copy(d, "project_id", "projectId", "name", "name", "number", "projectNumber")
		a.labels(d, "labels")
	},
	"google_service_account": func(d map[string]any, a attrs) {
		a.copy(d, "email", "email", "display_name", "displayName", "description", "description", "disabled", "disabled",
			"unique_id", "uniqueId")
		if e := str(d["email"]); e != "" {
			a["account_id"] = e[:strings.IndexByte(e+"@", '@')]
		}
	},
	"google_service_account_key": func(d map[string]any, a attrs) {
		// key_type (USER_MANAGED, SYSTEM_MANAGED) is CAI's, not a Terraform
		// attribute: the keys Google manages itself are listed too.
		a.copy(d, "key_algorithm", "keyAlgorithm", "valid_after", "validAfterTime", "valid_before", "validBeforeTime", "key_type", "keyType")
	},
	"google_kms_key_ring": func(d map[string]any, a attrs) {
		a.last(d, "name", "name")
	},
	"google_kms_crypto_key": func(d map[string]any, a attrs) {
		a.last(d, "name", "name")
		a.copy(d, "purpose", "purpose", "rotation_period", "rotationPeriod")
		a.labels(d, "labels")
	},
	"google_sql_database_instance": func(d map[string]any, a attrs) {
		a.copy(d, "name", "name", "database_version", "databaseVersion", "region", "region", "project", "project")
		s, ok := d["settings"].(map[string]any)
		if !ok {
			return
		}
		st := attrs{}
		st.copy(s, "tier", "tier", "availability_type", "availabilityType", "disk_type", "dataDiskType",
			"activation_policy", "activationPolicy")
		st.num(s, "disk_size", "dataDiskSizeGb")
		st.labels(s, "userLabels")
		if ic, ok := s["ipConfiguration"].(map[string]any); ok {
			x := attrs{}
			x.copy(ic, "ipv4_enabled", "ipv4Enabled", "require_ssl", "requireSsl", "private_network", "privateNetwork", "ssl_mode", "sslMode")
			if ans, ok := ic["authorizedNetworks"].([]any); ok {
				out := []any{}
				for _, n := range ans {
					nm, _ := n.(map[string]any)
					out = append(out, map[string]any{"name": str(nm["name"]), "value": str(nm["value"])})
				}
				x["authorized_networks"] = out
			}
			st["ip_configuration"] = []any{map[string]any(x)}
		}
		if bc, ok := s["backupConfiguration"].(map[string]any); ok {
			x := attrs{}
			x.copy(bc, "enabled", "enabled", "binary_log_enabled", "binaryLogEnabled", "start_time", "startTime",
				"point_in_time_recovery_enabled", "pointInTimeRecoveryEnabled")
			st["backup_configuration"] = []any{map[string]any(x)}
		}
		if flags, ok := s["databaseFlags"].([]any); ok {
			out := []any{}
			for _, f := range flags {
				fm, _ := f.(map[string]any)
				out = append(out, map[string]any{"name": str(fm["name"]), "value": str(fm["value"])})
			}
			st["database_flags"] = out
		}
		a["settings"] = []any{map[string]any(st)}
	},
	"google_container_cluster": func(d map[string]any, a attrs) {
		a.copy(d, "name", "name", "location", "location", "network", "network", "subnetwork", "subnetwork",
			"logging_service", "loggingService", "monitoring_service", "monitoringService", "master_version", "currentMasterVersion")
		if m, ok := d["resourceLabels"].(map[string]any); ok {
			a["resource_labels"] = m
		}
		if la, ok := d["legacyAbac"].(map[string]any); ok {
			en, _ := la["enabled"].(bool)
			a["enable_legacy_abac"] = en
		}
		if sn, ok := d["shieldedNodes"].(map[string]any); ok {
			en, _ := sn["enabled"].(bool)
			a["enable_shielded_nodes"] = en
		}
	},
	"google_container_node_pool": func(d map[string]any, a attrs) {
		a.copy(d, "name", "name", "version", "version")
		a.num(d, "initial_node_count", "initialNodeCount")
		if as, ok := d["autoscaling"].(map[string]any); ok {
			a["autoscaling"] = []any{map[string]any{"min_node_count": as["minNodeCount"], "max_node_count": as["maxNodeCount"]}}
		}
		if m, ok := d["management"].(map[string]any); ok {
			a["management"] = []any{map[string]any{"auto_repair": m["autoRepair"], "auto_upgrade": m["autoUpgrade"]}}
		}
	},
	"google_pubsub_topic": func(d map[string]any, a attrs) {
		a.last(d, "name", "name")
		a.copy(d, "kms_key_name", "kmsKeyName")
		a.labels(d, "labels")
	},
	"google_pubsub_subscription": func(d map[string]any, a attrs) {
		a.last(d, "name", "name")
		a.copy(d, "topic", "topic", "ack_deadline_seconds", "ackDeadlineSeconds", "message_retention_duration", "messageRetentionDuration",
			"retain_acked_messages", "retainAckedMessages", "filter", "filter")
		a.labels(d, "labels")
		if pc, ok := d["pushConfig"].(map[string]any); ok && str(pc["pushEndpoint"]) != "" {
			a["push_config"] = []any{map[string]any{"push_endpoint": str(pc["pushEndpoint"])}}
		}
	},
	"google_bigquery_dataset": func(d map[string]any, a attrs) {
		if ref, ok := d["datasetReference"].(map[string]any); ok {
			a.copy(ref, "dataset_id", "datasetId", "project", "projectId")
		}
		a.copy(d, "location", "location", "friendly_name", "friendlyName", "description", "description")
		a.num(d, "default_table_expiration_ms", "defaultTableExpirationMs")
		a.labels(d, "labels")
	},
	"google_cloud_run_service": func(d map[string]any, a attrs) {
		if md, ok := d["metadata"].(map[string]any); ok {
			a.copy(md, "name", "name")
			a.labels(md, "labels")
		} else {
			a.last(d, "name", "name")
			a.labels(d, "labels")
		}
	},
	"google_dns_managed_zone": func(d map[string]any, a attrs) {
		a.copy(d, "name", "name", "dns_name", "dnsName", "description", "description", "visibility", "visibility")
		a.labels(d, "labels")
		if dc, ok := d["dnssecConfig"].(map[string]any); ok {
			a["dnssec_config"] = []any{map[string]any{"state": str(dc["state"])}}
		}
	},
	"google_dns_record_set": func(d map[string]any, a attrs) {
		a.copy(d, "name", "name", "type", "type", "ttl", "ttl")
		a.list(d, "rrdatas", "rrdatas")
	},
}

func init() {
	// Cloud Run v2 shares the asset type; its attributes use the same form here.
	converters["google_cloud_run_v2_service"] = converters["google_cloud_run_service"]
}

// convert returns the Terraform-form attributes of a mapped type from the
// resource data of the asset named name.
func convert(tfType, name string, d map[string]any) map[string]any {
	f := converters[tfType]
	if f == nil || d == nil {
		return nil
	}
	a := attrs{}
	f(d, a)
	if _, ok := a["name"]; !ok {
		// Data without its name (a folder's or the organisation's): the
		// asset's full name says it.
		switch tfType {
		case "google_folder":
			a.hierarchyName(strings.TrimPrefix(name, "//cloudresourcemanager.googleapis.com/"), "folders/", "folder_id")
		case "google_organization":
			a.hierarchyName(strings.TrimPrefix(name, "//cloudresourcemanager.googleapis.com/"), "organizations/", "org_id")
		}
	}
	if len(a) == 0 {
		return nil
	}
	return a
}

// hierarchyName sets id and name to a folder's or organisation's resource
// name ("folders/123") and numAttr to its number, when name has prefix
// and a number.
func (a attrs) hierarchyName(name, prefix, numAttr string) {
	num, ok := strings.CutPrefix(name, prefix)
	if !ok || num == "" || strings.Contains(num, "/") {
		return
	}
	a["id"], a["name"], a[numAttr] = name, name, num
}

type attrs map[string]any

// copy copies pairs (terraform key, data key) that are present.
func (a attrs) copy(d map[string]any, pairs ...string) {
	for i := 0; i+1 < len(pairs); i += 2 {
		if v, ok := d[pairs[i+1]]; ok && v != nil {
			a[pairs[i]] = normNum(v)
		}
	}
}

// list copies the first present of keys as a sorted string list.
func (a attrs) list(d map[string]any, tf string, keys ...string) {
	for _, k := range keys {
		if l, ok := d[k].([]any); ok {
			a[tf] = sortedStrings(l)
			return
		}
	}
}

func (a attrs) last(d map[string]any, tf, key string) {
	if s := str(d[key]); s != "" {
		a[tf] = lastSeg(s)
	}
}

// num copies a number that the API may send as a string (int64 fields).
func (a attrs) num(d map[string]any, tf, key string) {
	switch v := d[key].(type) {
	case string:
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			a[tf] = n
		}
	case float64:
		a[tf] = v
	case json.Number:
		if n, err := v.Float64(); err == nil {
			a[tf] = n
		}
	}
}

func (a attrs) labels(d map[string]any, key string) {
	if m, ok := d[key].(map[string]any); ok {
		a["labels"] = m
	}
}

func normNum(v any) any {
	if n, ok := v.(json.Number); ok {
		if f, err := n.Float64(); err == nil {
			return f
		}
	}
	return v
}

func sortedStrings(l []any) []any {
	s := make([]string, 0, len(l))
	for _, x := range l {
		s = append(s, str(x))
	}
	sort.Strings(s)
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}
