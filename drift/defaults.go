package drift

import (
	"strings"

	"github.com/driftwarden/driftwarden/model"
)

// globalComputed are top-level attributes never compared for any type:
// identity (already used to match the resources: a different id or ARN is
// another resource, not drift), operation timeouts (configuration of
// Terraform itself), and values the cloud computes on every read
// (timestamps, fingerprints, etags, self links).
var globalComputed = []string{
	"id", "arn", "timeouts", "unique_id", "self_link", "etag",
	"creation_timestamp", "create_date", "create_time", "created_at", "created_time",
	"creation_date", "creation_time", "last_modified", "last_modified_date",
	"last_modified_time", "last_updated_date", "update_time", "updated_at",
	"fingerprint", "label_fingerprint", "metadata_fingerprint", "tags_fingerprint",
}

// typeComputed lists, per Terraform resource type, attribute paths (globs,
// see IgnoreRule.Attributes) that the provider computes or defaults
// server-side, so that their value changes without any configuration
// change. It is data: add a row rather than code. A provider schema, when
// loaded, adds the computed-only attributes of every type on top of this.
var typeComputed = map[string][]string{
	"aws_instance": {
		"private_dns", "public_dns", "public_ip", "private_ip", "primary_network_interface_id",
		"instance_state", "password_data", "outpost_arn", "ipv6_addresses", "host_id",
		"cpu_core_count", "cpu_threads_per_core", "launch_time", "owner_id",
		"root_block_device[*].volume_id", "root_block_device[*].device_name",
		"ebs_block_device[*].volume_id", "network_interface[*].network_interface_id",
		"private_dns_name_options", "instance_lifecycle", "spot_instance_request_id",
	},
	"aws_s3_bucket": {
		"bucket_domain_name", "bucket_regional_domain_name", "hosted_zone_id", "region",
		"bucket_prefix", "acceleration_status", "request_payer", "force_destroy",
	},
	"aws_security_group":                  {"owner_id", "revoke_rules_on_delete", "name_prefix"},
	"aws_vpc_security_group_ingress_rule": {"security_group_rule_id"},
	"aws_vpc_security_group_egress_rule":  {"security_group_rule_id"},
	"aws_security_group_rule":             {"security_group_rule_id"},
	"aws_vpc": {
		"owner_id", "default_network_acl_id", "default_route_table_id", "default_security_group_id",
		"main_route_table_id", "dhcp_options_id", "ipv6_association_id", "ipv6_cidr_block_network_border_group",
	},
	"aws_subnet":                  {"owner_id", "availability_zone_id"},
	"aws_iam_role":                {"create_date", "unique_id", "role_last_used", "managed_policy_arns", "inline_policy", "name_prefix"},
	"aws_iam_user":                {"unique_id", "force_destroy"},
	"aws_iam_policy":              {"policy_id", "attachment_count", "name_prefix"},
	"aws_iam_access_key":          {"create_date", "ses_smtp_password_v4", "encrypted_secret", "encrypted_ses_smtp_password_v4", "key_fingerprint"},
	"aws_db_instance":             {"address", "endpoint", "hosted_zone_id", "resource_id", "status", "latest_restorable_time", "ca_cert_identifier", "engine_version_actual", "replicas", "apply_immediately", "skip_final_snapshot", "final_snapshot_identifier"},
	"aws_rds_cluster":             {"endpoint", "reader_endpoint", "hosted_zone_id", "cluster_resource_id", "cluster_members", "apply_immediately", "skip_final_snapshot", "final_snapshot_identifier"},
	"aws_lambda_function":         {"last_modified", "qualified_arn", "qualified_invoke_arn", "invoke_arn", "version", "source_code_size", "signing_job_arn", "signing_profile_version_arn", "filename", "source_code_hash", "s3_key", "s3_bucket", "publish"},
	"aws_kms_key":                 {"key_id", "deletion_window_in_days", "bypass_policy_lockout_safety_check"},
	"aws_sqs_queue":               {"url", "name_prefix"},
	"aws_sns_topic":               {"owner", "beginning_archive_time"},
	"aws_ebs_volume":              {"final_snapshot"},
	"aws_eip":                     {"allocation_id", "association_id", "public_dns", "private_dns", "carrier_ip", "customer_owned_ip", "network_interface", "private_ip", "ptr_record"},
	"aws_route53_zone":            {"name_servers", "primary_name_server", "zone_id", "force_destroy"},
	"aws_route53_record":          {"fqdn", "allow_overwrite"},
	"aws_cloudfront_distribution": {"caller_reference", "domain_name", "etag", "hosted_zone_id", "in_progress_validation_batches", "last_modified_time", "status", "trusted_key_groups", "trusted_signers", "retain_on_delete", "wait_for_deployment"},
	"aws_ecs_service":             {"wait_for_steady_state", "force_new_deployment", "triggers"},
	"aws_ecs_task_definition":     {"revision", "arn_without_revision", "skip_destroy"},
	"aws_lb":                      {"dns_name", "zone_id", "arn_suffix", "vpc_id"},
	"aws_lb_target_group":         {"arn_suffix", "load_balancer_arns"},
	"aws_cloudwatch_log_group":    {"name_prefix", "skip_destroy"},
	"aws_key_pair":                {"key_pair_id", "fingerprint", "key_type", "public_key"},
	"aws_ebs_snapshot":            {"owner_id", "owner_alias", "data_encryption_key_id", "volume_size"},
	"aws_appautoscaling_target":   {"role_arn"},

	"google_compute_instance": {
		"instance_id", "cpu_platform", "current_status", "metadata_fingerprint", "tags_fingerprint",
		"network_interface[*].name", "network_interface[*].access_config[*].nat_ip",
		"boot_disk[*].source", "boot_disk[*].device_name", "allow_stopping_for_update",
	},
	"google_compute_firewall":      {"enable_logging"},
	"google_compute_network":       {"gateway_ipv4", "numeric_id", "delete_default_routes_on_create"},
	"google_compute_subnetwork":    {"gateway_address", "ipv6_cidr_range", "external_ipv6_prefix", "internal_ipv6_prefix"},
	"google_storage_bucket":        {"url", "project_number", "force_destroy"},
	"google_sql_database_instance": {"connection_name", "first_ip_address", "ip_address", "private_ip_address", "public_ip_address", "server_ca_cert", "service_account_email_address", "dns_name", "psc_service_attachment_link", "deletion_protection"},
	"google_container_cluster":     {"endpoint", "master_version", "services_ipv4_cidr", "tpu_ipv4_cidr_block", "operation", "label_fingerprint", "master_auth[*].cluster_ca_certificate"},
	"google_service_account":       {"unique_id", "email", "member"},
	"google_project":               {"number", "skip_delete", "auto_create_network"},
}

// tagGroups say how tags/labels are compared. Applied: the first present of
// the applied keys (tags_all holds the provider's default_tags merged in,
// effective_labels everything Terraform saw on the resource); live: the
// first present of the live keys. Differences are reported once, under
// report.<key>, never again under the other keys of the group.
var tagGroups = []struct {
	report        string
	applied, live []string
}{
	{"tags", []string{"tags_all", "tags"}, []string{"tags_all", "tags"}},
	{"labels", []string{"effective_labels", "terraform_labels", "labels"}, []string{"effective_labels", "terraform_labels", "labels"}},
}

// providerDefaults recognises resources that the cloud creates by itself
// (default VPC, default security group, AWS-managed policies and keys,
// default parameter groups, the default GCP network): they are never
// reported as unmanaged unless Options.IncludeDefaultResources is set.
var providerDefaults = map[string]func(r *model.Resource, attrs map[string]any) bool{
	"aws_vpc":                         attrTrue("default"),
	"aws_default_vpc":                 always,
	"aws_subnet":                      attrTrue("default_for_az"),
	"aws_default_subnet":              always,
	"aws_security_group":              attrEquals("name", "default"),
	"aws_default_security_group":      always,
	"aws_network_acl":                 attrTrue("default"),
	"aws_default_network_acl":         always,
	"aws_default_route_table":         always,
	"aws_route_table":                 attrTrue("main"),
	"aws_api_gateway_account":         always,
	"aws_iam_role":                    attrPrefix("path", "/aws-service-role/"),
	"aws_iam_policy":                  idPrefix("arn:aws:iam::aws:policy/"),
	"aws_kms_alias":                   attrPrefix("name", "alias/aws/"),
	"aws_db_parameter_group":          attrPrefix("name", "default."),
	"aws_rds_cluster_parameter_group": attrPrefix("name", "default."),
	"aws_db_option_group":             attrPrefix("name", "default:"),
	"aws_db_subnet_group":             attrEquals("name", "default"),
	"aws_elasticache_parameter_group": attrPrefix("name", "default."),
	"aws_elasticache_subnet_group":    attrEquals("name", "default"),
	"aws_cloudwatch_event_bus":        attrEquals("name", "default"),
	"google_compute_network":          attrEquals("name", "default"),
	"google_compute_firewall":         attrPrefix("name", "default-allow-"),
	"google_service_account": func(_ *model.Resource, a map[string]any) bool {
		e, _ := a["email"].(string)
		return strings.HasSuffix(e, "-compute@developer.gserviceaccount.com") || strings.HasSuffix(e, "@appspot.gserviceaccount.com")
	},
}

func always(*model.Resource, map[string]any) bool { return true }

func attrTrue(k string) func(*model.Resource, map[string]any) bool {
	return func(_ *model.Resource, a map[string]any) bool { b, _ := a[k].(bool); return b }
}

func attrEquals(k, v string) func(*model.Resource, map[string]any) bool {
	return func(_ *model.Resource, a map[string]any) bool { s, _ := a[k].(string); return s == v }
}

func attrPrefix(k, p string) func(*model.Resource, map[string]any) bool {
	return func(_ *model.Resource, a map[string]any) bool { s, _ := a[k].(string); return strings.HasPrefix(s, p) }
}

func idPrefix(p string) func(*model.Resource, map[string]any) bool {
	return func(r *model.Resource, a map[string]any) bool {
		s, _ := a["arn"].(string)
		return strings.HasPrefix(r.ID, p) || strings.HasPrefix(s, p)
	}
}
