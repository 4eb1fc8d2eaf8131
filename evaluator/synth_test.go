package evaluator

import (
	"fmt"

	"github.com/driftwarden/driftwarden/model"
)

// synthTypes are the resource types of the synthetic inventory, with the
// share of each (out of 20).
var synthTypes = []struct {
	typ   string
	share int
}{
	{"aws_instance", 4},
	{"aws_s3_bucket", 2},
	{"aws_security_group", 2},
	{"aws_ebs_volume", 2},
	{"aws_db_instance", 1},
	{"aws_iam_role", 2},
	{"aws_iam_role_policy_attachment", 1},
	{"aws_lambda_function", 1},
	{"aws_s3_bucket_public_access_block", 1},
	{"aws_vpc_security_group_ingress_rule", 1},
	{"google_storage_bucket", 1},
	{"google_compute_instance", 2},
}

// synthResources returns n resources of realistic types with about 20
// attributes each; roughly one in ten violates a built-in policy.
func synthResources(n int) []model.Resource {
	var types []string
	for _, t := range synthTypes {
		for range t.share {
			types = append(types, t.typ)
		}
	}
	out := make([]model.Resource, n)
	for i := range out {
		typ := types[i%len(types)]
		bad := i%10 == 3
		name := fmt.Sprintf("r%06d", i)
		tags := map[string]any{"owner": "team-" + fmt.Sprint(i%17), "env": "prod", "cost-center": "cc-42"}
		if bad {
			delete(tags, "owner")
		}
		common := map[string]any{
			"id":       name,
			"arn":      "arn:aws:service:eu-west-1:111122223333:" + name,
			"tags":     tags,
			"tags_all": tags,
			"region":   "eu-west-1",
		}
		var attrs map[string]any
		switch typ {
		case "aws_instance":
			attrs = map[string]any{
				"ami": "ami-0abcdef1234567890", "instance_type": "m5.large", "availability_zone": "eu-west-1a",
				"subnet_id": "subnet-0123", "vpc_security_group_ids": []any{"sg-1", "sg-2"}, "key_name": "deploy",
				"monitoring": true, "ebs_optimized": true, "private_ip": "10.0.1.23", "associate_public_ip_address": false,
				"iam_instance_profile": "app", "user_data_replace_on_change": false, "tenancy": "default",
				"root_block_device": []any{map[string]any{"encrypted": !bad, "volume_size": 50.0, "volume_type": "gp3", "device_name": "/dev/xvda", "delete_on_termination": true}},
				"ebs_block_device":  []any{},
				"metadata_options":  []any{map[string]any{"http_tokens": "required", "http_endpoint": "enabled", "http_put_response_hop_limit": 1.0}},
			}
		case "aws_s3_bucket":
			acl := "private"
			if bad {
				acl = "public-read"
			}
			attrs = map[string]any{
				"bucket": name, "acl": acl, "force_destroy": false, "object_lock_enabled": false,
				"bucket_domain_name": name + ".s3.amazonaws.com", "hosted_zone_id": "Z1BKCTXD74EZPE", "request_payer": "BucketOwner",
				"versioning":                           []any{map[string]any{"enabled": true, "mfa_delete": false}},
				"server_side_encryption_configuration": []any{map[string]any{"rule": []any{map[string]any{"apply_server_side_encryption_by_default": []any{map[string]any{"sse_algorithm": "aws:kms"}}}}}},
				"grant":                                []any{}, "lifecycle_rule": []any{}, "logging": []any{}, "website": []any{},
				"policy": `{"Version":"2012-10-17","Statement":[]}`,
			}
		case "aws_security_group":
			cidr := "10.0.0.0/8"
			if bad {
				cidr = "0.0.0.0/0"
			}
			attrs = map[string]any{
				"name": name, "description": "app", "vpc_id": "vpc-1", "owner_id": "111122223333", "revoke_rules_on_delete": false,
				"ingress": []any{
					map[string]any{"from_port": 443.0, "to_port": 443.0, "protocol": "tcp", "cidr_blocks": []any{"0.0.0.0/0"}, "ipv6_cidr_blocks": []any{}, "security_groups": []any{}, "self": false, "description": "https"},
					map[string]any{"from_port": 22.0, "to_port": 22.0, "protocol": "tcp", "cidr_blocks": []any{cidr}, "ipv6_cidr_blocks": []any{}, "security_groups": []any{}, "self": false, "description": "ssh"},
				},
				"egress": []any{map[string]any{"from_port": 0.0, "to_port": 0.0, "protocol": "-1", "cidr_blocks": []any{"0.0.0.0/0"}}},
			}
		case "aws_ebs_volume":
			attrs = map[string]any{
				"availability_zone": "eu-west-1a", "size": 100.0, "type": "gp3", "iops": 3000.0, "throughput": 125.0,
				"encrypted": !bad, "kms_key_id": "arn:aws:kms:eu-west-1:111122223333:key/abc", "multi_attach_enabled": false,
				"snapshot_id": "", "final_snapshot": false, "outpost_arn": "",
			}
		case "aws_db_instance":
			attrs = map[string]any{
				"engine": "postgres", "engine_version": "16.3", "instance_class": "db.m6g.large", "allocated_storage": 100.0,
				"storage_encrypted": !bad, "multi_az": true, "publicly_accessible": false, "backup_retention_period": 7.0,
				"db_subnet_group_name": "db", "vpc_security_group_ids": []any{"sg-3"}, "username": "admin", "port": 5432.0,
				"deletion_protection": true, "skip_final_snapshot": false, "parameter_group_name": "default.postgres16",
			}
		case "aws_iam_role":
			attrs = map[string]any{
				"name": name, "path": "/", "assume_role_policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`,
				"max_session_duration": 3600.0, "managed_policy_arns": []any{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, "force_detach_policies": false,
				"description": "app role", "create_date": "2024-01-01T00:00:00Z", "unique_id": "AROA123",
				"inline_policy": []any{}, "permissions_boundary": "",
			}
		case "aws_iam_role_policy_attachment":
			attrs = map[string]any{"role": "app", "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess", "id": name}
		case "aws_lambda_function":
			attrs = map[string]any{
				"function_name": name, "runtime": "python3.12", "handler": "app.handler", "memory_size": 256.0, "timeout": 30.0,
				"role": "arn:aws:iam::111122223333:role/lambda", "architectures": []any{"arm64"}, "package_type": "Zip",
				"environment":    []any{map[string]any{"variables": map[string]any{"LOG_LEVEL": "info"}}},
				"tracing_config": []any{map[string]any{"mode": "Active"}}, "publish": false, "reserved_concurrent_executions": -1.0,
			}
		case "aws_s3_bucket_public_access_block":
			attrs = map[string]any{"bucket": name, "block_public_acls": true, "block_public_policy": !bad, "ignore_public_acls": true, "restrict_public_buckets": true}
			delete(common, "tags")
			delete(common, "tags_all")
		case "aws_vpc_security_group_ingress_rule":
			cidr := "10.0.0.0/8"
			if bad {
				cidr = "0.0.0.0/0"
			}
			attrs = map[string]any{"security_group_id": "sg-1", "ip_protocol": "tcp", "from_port": 3389.0, "to_port": 3389.0, "cidr_ipv4": cidr, "description": "rdp", "security_group_rule_id": "sgr-1"}
		case "google_storage_bucket":
			delete(common, "tags")
			delete(common, "tags_all")
			attrs = map[string]any{
				"name": name, "location": "EU", "storage_class": "STANDARD", "uniform_bucket_level_access": true,
				"public_access_prevention": "enforced", "labels": map[string]any{"owner": "data"}, "force_destroy": false,
				"versioning": []any{map[string]any{"enabled": true}}, "project": "p1", "self_link": "https://www.googleapis.com/storage/v1/b/" + name,
			}
		case "google_compute_instance":
			delete(common, "tags_all")
			labels := map[string]any{"owner": "web"}
			if bad {
				labels = map[string]any{}
			}
			common["tags"] = []any{"web"} // network tags, not labels
			attrs = map[string]any{
				"name": name, "machine_type": "e2-standard-4", "zone": "europe-west1-b", "labels": labels, "project": "p1",
				"can_ip_forward": false, "deletion_protection": false,
				"boot_disk":                []any{map[string]any{"auto_delete": true, "device_name": "persistent-disk-0", "initialize_params": []any{map[string]any{"image": "debian-12", "size": 20.0}}}},
				"network_interface":        []any{map[string]any{"network": "default", "subnetwork": "default", "access_config": []any{}}},
				"service_account":          []any{map[string]any{"email": "app@p1.iam.gserviceaccount.com", "scopes": []any{"cloud-platform"}}},
				"shielded_instance_config": []any{map[string]any{"enable_secure_boot": true}},
			}
		}
		for k, v := range common {
			if _, ok := attrs[k]; !ok {
				attrs[k] = v
			}
		}
		r := model.Resource{
			Type:       typ,
			Provider:   model.ProviderOf(typ),
			NativeID:   name,
			Address:    typ + "." + name,
			Stack:      fmt.Sprintf("stack-%d", i%50),
			Account:    "111122223333",
			Region:     "eu-west-1",
			Attributes: attrs,
		}
		if t, ok := attrs["tags"].(map[string]any); ok {
			r.Tags = map[string]string{}
			for k, v := range t {
				r.Tags[k] = v.(string)
			}
		}
		r.ID = model.CanonicalID(r.Provider, typ, name)
		out[i] = r
	}
	return out
}
