package identity

import (
	"bytes"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/driftwarden/driftwarden/internal/jsonscan"
	"github.com/driftwarden/driftwarden/model"
)

// Type is one row of the AWS identity table.
type Type struct {
	// Terraform is the Terraform resource type (aws_security_group).
	Terraform string
	// Config is the AWS Config / CloudFormation type (AWS::EC2::SecurityGroup);
	// empty when neither has one.
	Config string
	// EventSource is the CloudTrail eventSource of the mutating calls.
	EventSource string
	// ARN is the canonical id template with {partition}, {region}, {account}
	// and {id}; "{id}" alone means the native id is the ARN. Empty when the
	// Terraform type exports no arn: the id is model.CanonicalID.
	ARN string
	// IDAttributes are the Terraform attributes forming the native id,
	// joined with "/".
	IDAttributes []string
	// Parent is the Terraform type this one configures, if any
	// (aws_s3_bucket for aws_s3_bucket_policy).
	Parent string
	// Events are the mutating events and where they carry the id.
	Events []EventRule

	tmpl []tmplPart // ARN, parsed
	// In refSrcs: this type with the tags attribute, and found
	// generically.
	tagsSrc, arnSrc int16
}

// Change says what an event did to a resource.
type Change string

// Changes.
const (
	ChangeCreate Change = "create"
	ChangeUpdate Change = "update"
	ChangeDelete Change = "delete"
)

// EventRule describes a group of event names for one Type.
type EventRule struct {
	Names []string
	// Locators are tried in order; the first that yields ids wins.
	Locators []string
	// Attributes are the Terraform attributes the events change; nil when
	// unknown (or when ByRequest decides).
	Attributes []string
	// ByRequest maps a requestParameters key (top level, or one level inside
	// a *Request wrapper) to the Terraform attribute it changes, for events
	// whose changed attributes depend on the request (ModifyInstanceAttribute).
	ByRequest map[string]string
	Change    Change
}

// Record is the part of a CloudTrail record identity needs.
type Record struct {
	EventSource string
	EventName   string
	Region      string
	Account     string // recipientAccountId
	// Request and Response are the bytes of requestParameters and
	// responseElements when they are JSON objects, nil otherwise. They are
	// read in place, never decoded; bytes that are not a valid JSON object
	// (as encoding/json.Valid judges) count as absent, like a map that
	// failed to decode.
	Request  []byte
	Response []byte
	// Resources are the record's resources[].
	Resources []RecordResource
	// KeyWords, when set, has EventResources report in KeyMatch whether a
	// key of Request or Response, at any depth, may hold one of its words
	// (see jsonscan.ScanObjectKeys: a word in either case, or an escape
	// or a byte >= 0x80 in the key's bytes), in the pass that reads them
	// anyway.
	KeyWords *jsonscan.Words
	// KeyMatch is set by EventResources when KeyWords is: true when a key
	// of Request or Response may hold a word, and also when either is
	// present (not empty) but not one valid JSON object, or was not read
	// in full. With KeyWords nil it is left as it is.
	KeyMatch bool
}

// RecordResource is one element of a record's resources[].
type RecordResource struct {
	ARN       string
	AccountID string
	Type      string
}

// ResourceRef is one resource an event touched.
type ResourceRef struct {
	// TerraformType is empty for ARNs found generically whose type is unknown.
	TerraformType string
	// ID is the canonical id (ARN or model.CanonicalID form).
	ID string
	// Attributes are the Terraform attributes the event changes (nil: unknown).
	Attributes []string
	Change     Change
}

func ev(change Change, attrs []string, names []string, locators ...string) EventRule {
	return EventRule{Names: names, Locators: locators, Attributes: attrs, Change: change}
}

func n(names ...string) []string { return names }
func a(attrs ...string) []string { return attrs }

var ec2InstanceAttrs = map[string]string{
	"instanceType":                      "instance_type",
	"disableApiTermination":             "disable_api_termination",
	"disableApiStop":                    "disable_api_stop",
	"groupSet":                          "vpc_security_group_ids",
	"userData":                          "user_data",
	"sourceDestCheck":                   "source_dest_check",
	"ebsOptimized":                      "ebs_optimized",
	"instanceInitiatedShutdownBehavior": "instance_initiated_shutdown_behavior",
	"blockDeviceMapping":                "root_block_device",
}

var rdsInstanceAttrs = map[string]string{
	"dBInstanceClass":         "instance_class",
	"allocatedStorage":        "allocated_storage",
	"publiclyAccessible":      "publicly_accessible",
	"backupRetentionPeriod":   "backup_retention_period",
	"multiAZ":                 "multi_az",
	"engineVersion":           "engine_version",
	"deletionProtection":      "deletion_protection",
	"vpcSecurityGroupIds":     "vpc_security_group_ids",
	"masterUserPassword":      "password",
	"storageType":             "storage_type",
	"iops":                    "iops",
	"dBParameterGroupName":    "parameter_group_name",
	"caCertificateIdentifier": "ca_cert_identifier",
}

var rdsClusterAttrs = map[string]string{
	"engineVersion":         "engine_version",
	"backupRetentionPeriod": "backup_retention_period",
	"deletionProtection":    "deletion_protection",
	"vpcSecurityGroupIds":   "vpc_security_group_ids",
	"masterUserPassword":    "master_password",
	"port":                  "port",
	"preferredBackupWindow": "preferred_backup_window",
}

var lambdaConfigAttrs = map[string]string{
	"role":        "role",
	"handler":     "handler",
	"runtime":     "runtime",
	"timeout":     "timeout",
	"memorySize":  "memory_size",
	"environment": "environment",
	"vpcConfig":   "vpc_config",
	"layers":      "layers",
	"description": "description",
	"kMSKeyArn":   "kms_key_arn",
}

var snsAttrs = map[string]string{ // SetTopicAttributes attributeName values
	"Policy":         "policy",
	"DisplayName":    "display_name",
	"KmsMasterKeyId": "kms_master_key_id",
	"DeliveryPolicy": "delivery_policy",
	"TracingConfig":  "tracing_config",
}

var sqsAttrs = map[string]string{ // SetQueueAttributes attributes keys
	"Policy":                        "policy",
	"VisibilityTimeout":             "visibility_timeout_seconds",
	"MessageRetentionPeriod":        "message_retention_seconds",
	"KmsMasterKeyId":                "kms_master_key_id",
	"RedrivePolicy":                 "redrive_policy",
	"DelaySeconds":                  "delay_seconds",
	"MaximumMessageSize":            "max_message_size",
	"ReceiveMessageWaitTimeSeconds": "receive_wait_time_seconds",
	"SqsManagedSseEnabled":          "sqs_managed_sse_enabled",
}

// Types is the AWS identity table.
var Types = []Type{
	// ---- EC2 / VPC
	{Terraform: "aws_security_group", Config: "AWS::EC2::SecurityGroup", EventSource: "ec2.amazonaws.com",
		ARN: "arn:{partition}:ec2:{region}:{account}:security-group/{id}", IDAttributes: a("id"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateSecurityGroup"), "responseElements.groupId"),
			ev(ChangeDelete, nil, n("DeleteSecurityGroup"), "requestParameters.groupId"),
			ev(ChangeUpdate, a("ingress"), n("AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress", "UpdateSecurityGroupRuleDescriptionsIngress"), "requestParameters.groupId"),
			ev(ChangeUpdate, a("egress"), n("AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress", "UpdateSecurityGroupRuleDescriptionsEgress"), "requestParameters.groupId"),
			ev(ChangeUpdate, a("ingress", "egress"), n("ModifySecurityGroupRules"), "requestParameters.ModifySecurityGroupRulesRequest.GroupId"),
		}},
	{Terraform: "aws_security_group_rule", EventSource: "ec2.amazonaws.com", Parent: "aws_security_group",
		IDAttributes: a("security_group_id", "type"),
		Events: []EventRule{
			ev(ChangeUpdate, a("cidr_blocks", "from_port", "to_port", "protocol"), n("AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress"), "requestParameters.groupId + =ingress"),
			ev(ChangeUpdate, a("cidr_blocks", "from_port", "to_port", "protocol"), n("AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress"), "requestParameters.groupId + =egress"),
			ev(ChangeUpdate, a("description"), n("UpdateSecurityGroupRuleDescriptionsIngress"), "requestParameters.groupId + =ingress"),
			ev(ChangeUpdate, a("description"), n("UpdateSecurityGroupRuleDescriptionsEgress"), "requestParameters.groupId + =egress"),
		}},
	{Terraform: "aws_vpc_security_group_ingress_rule", Config: "AWS::EC2::SecurityGroupIngress", EventSource: "ec2.amazonaws.com", Parent: "aws_security_group",
		ARN: "arn:{partition}:ec2:{region}:{account}:security-group-rule/{id}", IDAttributes: a("id"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("AuthorizeSecurityGroupIngress"), "responseElements.securityGroupRuleSet.items[].securityGroupRuleId"),
			ev(ChangeDelete, nil, n("RevokeSecurityGroupIngress"), "requestParameters.securityGroupRuleIds.items[].securityGroupRuleId", "responseElements.revokedSecurityGroupRuleSet.items[].securityGroupRuleId"),
			ev(ChangeUpdate, a("cidr_ipv4", "from_port", "to_port", "ip_protocol", "description"), n("ModifySecurityGroupRules"), "requestParameters.ModifySecurityGroupRulesRequest.SecurityGroupRule.SecurityGroupRuleId"),
		}},
	{Terraform: "aws_vpc_security_group_egress_rule", Config: "AWS::EC2::SecurityGroupEgress", EventSource: "ec2.amazonaws.com", Parent: "aws_security_group",
		ARN: "arn:{partition}:ec2:{region}:{account}:security-group-rule/{id}", IDAttributes: a("id"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("AuthorizeSecurityGroupEgress"), "responseElements.securityGroupRuleSet.items[].securityGroupRuleId"),
			ev(ChangeDelete, nil, n("RevokeSecurityGroupEgress"), "requestParameters.securityGroupRuleIds.items[].securityGroupRuleId", "responseElements.revokedSecurityGroupRuleSet.items[].securityGroupRuleId"),
		}},
	{Terraform: "aws_instance", Config: "AWS::EC2::Instance", EventSource: "ec2.amazonaws.com",
		ARN: "arn:{partition}:ec2:{region}:{account}:instance/{id}", IDAttributes: a("id"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("RunInstances"), "responseElements.instancesSet.items[].instanceId"),
			ev(ChangeDelete, nil, n("TerminateInstances"), "requestParameters.instancesSet.items[].instanceId"),
			ev(ChangeUpdate, a("instance_state"), n("StopInstances", "StartInstances"), "requestParameters.instancesSet.items[].instanceId"),
			{Names: n("ModifyInstanceAttribute"), Locators: []string{"requestParameters.instanceId"}, ByRequest: ec2InstanceAttrs, Change: ChangeUpdate},
			ev(ChangeUpdate, a("metadata_options"), n("ModifyInstanceMetadataOptions"), "requestParameters.ModifyInstanceMetadataOptionsRequest.InstanceId", "requestParameters.instanceId"),
			ev(ChangeUpdate, a("iam_instance_profile"), n("AssociateIamInstanceProfile", "ReplaceIamInstanceProfileAssociation"), "requestParameters.AssociateIamInstanceProfileRequest.InstanceId", "requestParameters.instanceId"),
		}},
	{Terraform: "aws_ebs_volume", Config: "AWS::EC2::Volume", EventSource: "ec2.amazonaws.com",
		ARN: "arn:{partition}:ec2:{region}:{account}:volume/{id}", IDAttributes: a("id"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateVolume"), "responseElements.volumeId"),
			ev(ChangeDelete, nil, n("DeleteVolume"), "requestParameters.volumeId"),
			ev(ChangeUpdate, a("size", "type", "iops", "throughput"), n("ModifyVolume"), "requestParameters.ModifyVolumeRequest.VolumeId", "requestParameters.volumeId"),
			ev(ChangeUpdate, nil, n("AttachVolume", "DetachVolume"), "requestParameters.volumeId"),
		}},
	{Terraform: "aws_vpc", Config: "AWS::EC2::VPC", EventSource: "ec2.amazonaws.com",
		ARN: "arn:{partition}:ec2:{region}:{account}:vpc/{id}", IDAttributes: a("id"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateVpc"), "responseElements.vpc.vpcId"),
			ev(ChangeDelete, nil, n("DeleteVpc"), "requestParameters.vpcId"),
			{Names: n("ModifyVpcAttribute"), Locators: []string{"requestParameters.vpcId"}, Change: ChangeUpdate,
				ByRequest: map[string]string{"enableDnsSupport": "enable_dns_support", "enableDnsHostnames": "enable_dns_hostnames"}},
			ev(ChangeUpdate, a("cidr_block", "ipv6_cidr_block"), n("AssociateVpcCidrBlock", "DisassociateVpcCidrBlock"), "requestParameters.vpcId", "responseElements.AssociateVpcCidrBlockResponse.vpcId"),
		}},
	{Terraform: "aws_subnet", Config: "AWS::EC2::Subnet", EventSource: "ec2.amazonaws.com",
		ARN: "arn:{partition}:ec2:{region}:{account}:subnet/{id}", IDAttributes: a("id"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateSubnet"), "responseElements.subnet.subnetId"),
			ev(ChangeDelete, nil, n("DeleteSubnet"), "requestParameters.subnetId"),
			{Names: n("ModifySubnetAttribute"), Locators: []string{"requestParameters.subnetId"}, Change: ChangeUpdate,
				ByRequest: map[string]string{"mapPublicIpOnLaunch": "map_public_ip_on_launch", "assignIpv6AddressOnCreation": "assign_ipv6_address_on_creation"}},
		}},
	{Terraform: "aws_route_table", Config: "AWS::EC2::RouteTable", EventSource: "ec2.amazonaws.com",
		ARN: "arn:{partition}:ec2:{region}:{account}:route-table/{id}", IDAttributes: a("id"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateRouteTable"), "responseElements.routeTable.routeTableId"),
			ev(ChangeDelete, nil, n("DeleteRouteTable"), "requestParameters.routeTableId"),
			ev(ChangeUpdate, a("route"), n("CreateRoute", "ReplaceRoute", "DeleteRoute"), "requestParameters.routeTableId"),
			ev(ChangeUpdate, a("propagating_vgws"), n("EnableVgwRoutePropagation", "DisableVgwRoutePropagation"), "requestParameters.routeTableId"),
		}},
	{Terraform: "aws_network_acl", Config: "AWS::EC2::NetworkAcl", EventSource: "ec2.amazonaws.com",
		ARN: "arn:{partition}:ec2:{region}:{account}:network-acl/{id}", IDAttributes: a("id"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateNetworkAcl"), "responseElements.networkAcl.networkAclId"),
			ev(ChangeDelete, nil, n("DeleteNetworkAcl"), "requestParameters.networkAclId"),
			{Names: n("CreateNetworkAclEntry", "ReplaceNetworkAclEntry", "DeleteNetworkAclEntry"), Locators: []string{"requestParameters.networkAclId"},
				Change: ChangeUpdate, ByRequest: map[string]string{"egress": "egress|ingress"}},
		}},
	{Terraform: "aws_internet_gateway", Config: "AWS::EC2::InternetGateway", EventSource: "ec2.amazonaws.com",
		ARN: "arn:{partition}:ec2:{region}:{account}:internet-gateway/{id}", IDAttributes: a("id"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateInternetGateway"), "responseElements.internetGateway.internetGatewayId"),
			ev(ChangeDelete, nil, n("DeleteInternetGateway"), "requestParameters.internetGatewayId"),
			ev(ChangeUpdate, a("vpc_id"), n("AttachInternetGateway", "DetachInternetGateway"), "requestParameters.internetGatewayId"),
		}},
	{Terraform: "aws_nat_gateway", Config: "AWS::EC2::NatGateway", EventSource: "ec2.amazonaws.com",
		IDAttributes: a("id"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateNatGateway"), "responseElements.CreateNatGatewayResponse.natGateway.natGatewayId"),
			ev(ChangeDelete, nil, n("DeleteNatGateway"), "requestParameters.DeleteNatGatewayRequest.NatGatewayId", "responseElements.DeleteNatGatewayResponse.natGatewayId"),
		}},
	// ---- S3
	{Terraform: "aws_s3_bucket", Config: "AWS::S3::Bucket", EventSource: "s3.amazonaws.com",
		ARN: "arn:{partition}:s3:::{id}", IDAttributes: a("id"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateBucket"), "requestParameters.bucketName"),
			ev(ChangeDelete, nil, n("DeleteBucket"), "requestParameters.bucketName"),
			ev(ChangeUpdate, a("policy"), n("PutBucketPolicy", "DeleteBucketPolicy"), "requestParameters.bucketName"),
			ev(ChangeUpdate, a("server_side_encryption_configuration"), n("PutBucketEncryption", "DeleteBucketEncryption"), "requestParameters.bucketName"),
			ev(ChangeUpdate, a("versioning"), n("PutBucketVersioning"), "requestParameters.bucketName"),
			ev(ChangeUpdate, a("acl", "grant"), n("PutBucketAcl"), "requestParameters.bucketName"),
			ev(ChangeUpdate, a("tags"), n("PutBucketTagging", "DeleteBucketTagging"), "requestParameters.bucketName"),
			ev(ChangeUpdate, a("logging"), n("PutBucketLogging"), "requestParameters.bucketName"),
			ev(ChangeUpdate, a("lifecycle_rule"), n("PutBucketLifecycle", "PutBucketLifecycleConfiguration", "DeleteBucketLifecycle"), "requestParameters.bucketName"),
			ev(ChangeUpdate, a("replication_configuration"), n("PutBucketReplication", "DeleteBucketReplication"), "requestParameters.bucketName"),
			ev(ChangeUpdate, a("website"), n("PutBucketWebsite", "DeleteBucketWebsite"), "requestParameters.bucketName"),
			ev(ChangeUpdate, a("cors_rule"), n("PutBucketCors", "DeleteBucketCors"), "requestParameters.bucketName"),
		}},
	{Terraform: "aws_s3_bucket_policy", EventSource: "s3.amazonaws.com", Parent: "aws_s3_bucket", IDAttributes: a("bucket"),
		Events: []EventRule{
			ev(ChangeUpdate, a("policy"), n("PutBucketPolicy"), "requestParameters.bucketName"),
			ev(ChangeDelete, nil, n("DeleteBucketPolicy"), "requestParameters.bucketName"),
		}},
	{Terraform: "aws_s3_bucket_public_access_block", EventSource: "s3.amazonaws.com", Parent: "aws_s3_bucket", IDAttributes: a("bucket"),
		Events: []EventRule{
			ev(ChangeUpdate, a("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"), n("PutBucketPublicAccessBlock"), "requestParameters.bucketName"),
			ev(ChangeDelete, nil, n("DeleteBucketPublicAccessBlock"), "requestParameters.bucketName"),
		}},
	{Terraform: "aws_s3_bucket_server_side_encryption_configuration", EventSource: "s3.amazonaws.com", Parent: "aws_s3_bucket", IDAttributes: a("bucket"),
		Events: []EventRule{
			ev(ChangeUpdate, a("rule"), n("PutBucketEncryption"), "requestParameters.bucketName"),
			ev(ChangeDelete, nil, n("DeleteBucketEncryption"), "requestParameters.bucketName"),
		}},
	{Terraform: "aws_s3_bucket_versioning", EventSource: "s3.amazonaws.com", Parent: "aws_s3_bucket", IDAttributes: a("bucket"),
		Events: []EventRule{
			ev(ChangeUpdate, a("versioning_configuration"), n("PutBucketVersioning"), "requestParameters.bucketName"),
		}},
	{Terraform: "aws_s3_bucket_acl", EventSource: "s3.amazonaws.com", Parent: "aws_s3_bucket", IDAttributes: a("bucket"),
		Events: []EventRule{
			ev(ChangeUpdate, a("acl", "access_control_policy"), n("PutBucketAcl"), "requestParameters.bucketName"),
		}},
	// ---- IAM (global: events land in us-east-1; ARNs carry no region)
	{Terraform: "aws_iam_role", Config: "AWS::IAM::Role", EventSource: "iam.amazonaws.com",
		ARN: "arn:{partition}:iam::{account}:role/{id}", IDAttributes: a("name"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateRole"), "responseElements.role.arn", "requestParameters.roleName"),
			ev(ChangeDelete, nil, n("DeleteRole"), "requestParameters.roleName"),
			ev(ChangeUpdate, a("assume_role_policy"), n("UpdateAssumeRolePolicy"), "requestParameters.roleName"),
			ev(ChangeUpdate, a("inline_policy"), n("PutRolePolicy", "DeleteRolePolicy"), "requestParameters.roleName"),
			ev(ChangeUpdate, a("managed_policy_arns"), n("AttachRolePolicy", "DetachRolePolicy"), "requestParameters.roleName"),
			ev(ChangeUpdate, a("description", "max_session_duration"), n("UpdateRole", "UpdateRoleDescription"), "requestParameters.roleName"),
			ev(ChangeUpdate, a("permissions_boundary"), n("PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary"), "requestParameters.roleName"),
			ev(ChangeUpdate, a("tags"), n("TagRole", "UntagRole"), "requestParameters.roleName"),
		}},
	{Terraform: "aws_iam_policy", Config: "AWS::IAM::Policy", EventSource: "iam.amazonaws.com",
		ARN: "arn:{partition}:iam::{account}:policy/{id}", IDAttributes: a("arn"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreatePolicy"), "responseElements.policy.arn"),
			ev(ChangeDelete, nil, n("DeletePolicy"), "requestParameters.policyArn"),
			ev(ChangeUpdate, a("policy"), n("CreatePolicyVersion", "SetDefaultPolicyVersion", "DeletePolicyVersion"), "requestParameters.policyArn"),
			ev(ChangeUpdate, a("tags"), n("TagPolicy", "UntagPolicy"), "requestParameters.policyArn"),
		}},
	{Terraform: "aws_iam_user", Config: "AWS::IAM::User", EventSource: "iam.amazonaws.com",
		ARN: "arn:{partition}:iam::{account}:user/{id}", IDAttributes: a("name"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateUser"), "responseElements.user.arn", "requestParameters.userName"),
			ev(ChangeDelete, nil, n("DeleteUser"), "requestParameters.userName"),
			ev(ChangeUpdate, a("name", "path"), n("UpdateUser"), "requestParameters.userName"),
			ev(ChangeUpdate, a("permissions_boundary"), n("PutUserPermissionsBoundary", "DeleteUserPermissionsBoundary"), "requestParameters.userName"),
			ev(ChangeUpdate, a("tags"), n("TagUser", "UntagUser"), "requestParameters.userName"),
			ev(ChangeUpdate, nil, n("PutUserPolicy", "DeleteUserPolicy", "AttachUserPolicy", "DetachUserPolicy", "CreateLoginProfile", "UpdateLoginProfile", "DeleteLoginProfile"), "requestParameters.userName"),
		}},
	{Terraform: "aws_iam_group", Config: "AWS::IAM::Group", EventSource: "iam.amazonaws.com",
		ARN: "arn:{partition}:iam::{account}:group/{id}", IDAttributes: a("name"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateGroup"), "responseElements.group.arn", "requestParameters.groupName"),
			ev(ChangeDelete, nil, n("DeleteGroup"), "requestParameters.groupName"),
			ev(ChangeUpdate, a("name", "path"), n("UpdateGroup"), "requestParameters.groupName"),
			ev(ChangeUpdate, nil, n("AddUserToGroup", "RemoveUserFromGroup", "PutGroupPolicy", "DeleteGroupPolicy", "AttachGroupPolicy", "DetachGroupPolicy"), "requestParameters.groupName"),
		}},
	{Terraform: "aws_iam_access_key", EventSource: "iam.amazonaws.com", Parent: "aws_iam_user", IDAttributes: a("id"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateAccessKey"), "responseElements.accessKey.accessKeyId"),
			ev(ChangeUpdate, a("status"), n("UpdateAccessKey"), "requestParameters.accessKeyId"),
			ev(ChangeDelete, nil, n("DeleteAccessKey"), "requestParameters.accessKeyId"),
		}},
	{Terraform: "aws_iam_role_policy_attachment", EventSource: "iam.amazonaws.com", Parent: "aws_iam_role", IDAttributes: a("role", "policy_arn"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("AttachRolePolicy"), "requestParameters.roleName + requestParameters.policyArn"),
			ev(ChangeDelete, nil, n("DetachRolePolicy"), "requestParameters.roleName + requestParameters.policyArn"),
		}},
	{Terraform: "aws_iam_user_policy_attachment", EventSource: "iam.amazonaws.com", Parent: "aws_iam_user", IDAttributes: a("user", "policy_arn"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("AttachUserPolicy"), "requestParameters.userName + requestParameters.policyArn"),
			ev(ChangeDelete, nil, n("DetachUserPolicy"), "requestParameters.userName + requestParameters.policyArn"),
		}},
	{Terraform: "aws_iam_group_policy_attachment", EventSource: "iam.amazonaws.com", Parent: "aws_iam_group", IDAttributes: a("group", "policy_arn"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("AttachGroupPolicy"), "requestParameters.groupName + requestParameters.policyArn"),
			ev(ChangeDelete, nil, n("DetachGroupPolicy"), "requestParameters.groupName + requestParameters.policyArn"),
		}},
	// ---- KMS
	{Terraform: "aws_kms_key", Config: "AWS::KMS::Key", EventSource: "kms.amazonaws.com",
		ARN: "arn:{partition}:kms:{region}:{account}:key/{id}", IDAttributes: a("key_id"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateKey"), "responseElements.keyMetadata.arn", "responseElements.keyMetadata.keyId"),
			ev(ChangeDelete, a("deletion_window_in_days"), n("ScheduleKeyDeletion"), "requestParameters.keyId", "resources"),
			ev(ChangeUpdate, a("deletion_window_in_days"), n("CancelKeyDeletion"), "requestParameters.keyId", "resources"),
			ev(ChangeUpdate, a("policy"), n("PutKeyPolicy"), "requestParameters.keyId", "resources"),
			ev(ChangeUpdate, a("is_enabled"), n("DisableKey", "EnableKey"), "requestParameters.keyId", "resources"),
			ev(ChangeUpdate, a("enable_key_rotation"), n("EnableKeyRotation", "DisableKeyRotation"), "requestParameters.keyId", "resources"),
			ev(ChangeUpdate, a("description"), n("UpdateKeyDescription"), "requestParameters.keyId", "resources"),
			ev(ChangeUpdate, a("tags"), n("TagResource", "UntagResource"), "requestParameters.keyId", "resources"),
		}},
	// ---- RDS
	{Terraform: "aws_db_instance", Config: "AWS::RDS::DBInstance", EventSource: "rds.amazonaws.com",
		ARN: "arn:{partition}:rds:{region}:{account}:db:{id}", IDAttributes: a("identifier"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateDBInstance", "RestoreDBInstanceFromDBSnapshot", "RestoreDBInstanceToPointInTime"), "responseElements.dBInstanceArn", "requestParameters.dBInstanceIdentifier", "requestParameters.targetDBInstanceIdentifier"),
			ev(ChangeDelete, nil, n("DeleteDBInstance"), "requestParameters.dBInstanceIdentifier"),
			{Names: n("ModifyDBInstance"), Locators: []string{"requestParameters.dBInstanceIdentifier"}, ByRequest: rdsInstanceAttrs, Change: ChangeUpdate},
			ev(ChangeUpdate, nil, n("RebootDBInstance", "StopDBInstance", "StartDBInstance"), "requestParameters.dBInstanceIdentifier"),
		}},
	{Terraform: "aws_rds_cluster", Config: "AWS::RDS::DBCluster", EventSource: "rds.amazonaws.com",
		ARN: "arn:{partition}:rds:{region}:{account}:cluster:{id}", IDAttributes: a("cluster_identifier"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateDBCluster"), "responseElements.dBClusterArn", "requestParameters.dBClusterIdentifier"),
			ev(ChangeDelete, nil, n("DeleteDBCluster"), "requestParameters.dBClusterIdentifier"),
			{Names: n("ModifyDBCluster"), Locators: []string{"requestParameters.dBClusterIdentifier"}, ByRequest: rdsClusterAttrs, Change: ChangeUpdate},
		}},
	// ---- Lambda (event names carry an API version suffix, stripped by NormalizeEventName)
	{Terraform: "aws_lambda_function", Config: "AWS::Lambda::Function", EventSource: "lambda.amazonaws.com",
		ARN: "arn:{partition}:lambda:{region}:{account}:function:{id}", IDAttributes: a("function_name"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateFunction"), "responseElements.functionArn", "requestParameters.functionName"),
			ev(ChangeDelete, nil, n("DeleteFunction"), "requestParameters.functionName"),
			ev(ChangeUpdate, a("filename", "s3_key", "image_uri", "source_code_hash"), n("UpdateFunctionCode"), "requestParameters.functionName"),
			{Names: n("UpdateFunctionConfiguration"), Locators: []string{"requestParameters.functionName"}, ByRequest: lambdaConfigAttrs, Change: ChangeUpdate},
			ev(ChangeUpdate, a("reserved_concurrent_executions"), n("PutFunctionConcurrency", "DeleteFunctionConcurrency"), "requestParameters.functionName"),
		}},
	// ---- ECS / EKS
	{Terraform: "aws_ecs_cluster", Config: "AWS::ECS::Cluster", EventSource: "ecs.amazonaws.com",
		ARN: "arn:{partition}:ecs:{region}:{account}:cluster/{id}", IDAttributes: a("name"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateCluster"), "responseElements.cluster.clusterArn", "requestParameters.clusterName"),
			ev(ChangeDelete, nil, n("DeleteCluster"), "requestParameters.cluster"),
			ev(ChangeUpdate, a("setting", "configuration"), n("UpdateCluster", "UpdateClusterSettings"), "requestParameters.cluster"),
			ev(ChangeUpdate, a("capacity_providers"), n("PutClusterCapacityProviders"), "requestParameters.cluster"),
		}},
	{Terraform: "aws_ecs_service", Config: "AWS::ECS::Service", EventSource: "ecs.amazonaws.com",
		IDAttributes: a("id"), // the service ARN
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateService"), "responseElements.service.serviceArn"),
			ev(ChangeUpdate, a("desired_count", "task_definition", "network_configuration", "capacity_provider_strategy"), n("UpdateService"), "responseElements.service.serviceArn"),
			ev(ChangeDelete, nil, n("DeleteService"), "responseElements.service.serviceArn"),
		}},
	{Terraform: "aws_eks_cluster", Config: "AWS::EKS::Cluster", EventSource: "eks.amazonaws.com",
		ARN: "arn:{partition}:eks:{region}:{account}:cluster/{id}", IDAttributes: a("name"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateCluster"), "responseElements.cluster.arn", "requestParameters.name"),
			ev(ChangeDelete, nil, n("DeleteCluster"), "requestParameters.name"),
			ev(ChangeUpdate, a("vpc_config", "enabled_cluster_log_types", "access_config"), n("UpdateClusterConfig"), "requestParameters.name"),
			ev(ChangeUpdate, a("version"), n("UpdateClusterVersion"), "requestParameters.name"),
		}},
	// ---- ELBv2
	{Terraform: "aws_lb", Config: "AWS::ElasticLoadBalancingV2::LoadBalancer", EventSource: "elasticloadbalancing.amazonaws.com",
		ARN: "{id}", IDAttributes: a("arn"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateLoadBalancer"), "responseElements.loadBalancers[].loadBalancerArn"),
			ev(ChangeDelete, nil, n("DeleteLoadBalancer"), "requestParameters.loadBalancerArn"),
			ev(ChangeUpdate, a("security_groups"), n("SetSecurityGroups"), "requestParameters.loadBalancerArn"),
			ev(ChangeUpdate, a("subnets", "subnet_mapping"), n("SetSubnets"), "requestParameters.loadBalancerArn"),
			ev(ChangeUpdate, a("access_logs", "idle_timeout", "deletion_protection", "drop_invalid_header_fields"), n("ModifyLoadBalancerAttributes"), "requestParameters.loadBalancerArn"),
		}},
	{Terraform: "aws_lb_listener", Config: "AWS::ElasticLoadBalancingV2::Listener", EventSource: "elasticloadbalancing.amazonaws.com",
		ARN: "{id}", IDAttributes: a("arn"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateListener"), "responseElements.listeners[].listenerArn"),
			ev(ChangeDelete, nil, n("DeleteListener"), "requestParameters.listenerArn"),
			ev(ChangeUpdate, a("port", "protocol", "default_action", "certificate_arn", "ssl_policy"), n("ModifyListener"), "requestParameters.listenerArn"),
		}},
	// ---- CloudTrail / CloudWatch Logs
	{Terraform: "aws_cloudtrail", Config: "AWS::CloudTrail::Trail", EventSource: "cloudtrail.amazonaws.com",
		ARN: "arn:{partition}:cloudtrail:{region}:{account}:trail/{id}", IDAttributes: a("name"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateTrail"), "responseElements.trailARN", "requestParameters.name"),
			ev(ChangeDelete, nil, n("DeleteTrail"), "requestParameters.name"),
			ev(ChangeUpdate, a("enable_logging"), n("StopLogging", "StartLogging"), "requestParameters.name"),
			ev(ChangeUpdate, a("event_selector", "advanced_event_selector"), n("PutEventSelectors"), "requestParameters.trailName"),
			ev(ChangeUpdate, a("insight_selector"), n("PutInsightSelectors"), "requestParameters.trailName"),
			ev(ChangeUpdate, nil, n("UpdateTrail"), "responseElements.trailARN", "requestParameters.name"),
		}},
	{Terraform: "aws_cloudwatch_log_group", Config: "AWS::Logs::LogGroup", EventSource: "logs.amazonaws.com",
		ARN: "arn:{partition}:logs:{region}:{account}:log-group:{id}", IDAttributes: a("name"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateLogGroup"), "requestParameters.logGroupName"),
			ev(ChangeDelete, nil, n("DeleteLogGroup"), "requestParameters.logGroupName"),
			ev(ChangeUpdate, a("retention_in_days"), n("PutRetentionPolicy", "DeleteRetentionPolicy"), "requestParameters.logGroupName"),
			ev(ChangeUpdate, a("kms_key_id"), n("AssociateKmsKey", "DisassociateKmsKey"), "requestParameters.logGroupName"),
		}},
	// ---- SNS / SQS / DynamoDB
	{Terraform: "aws_sns_topic", Config: "AWS::SNS::Topic", EventSource: "sns.amazonaws.com",
		ARN: "arn:{partition}:sns:{region}:{account}:{id}", IDAttributes: a("name"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateTopic"), "responseElements.topicArn", "requestParameters.name"),
			ev(ChangeDelete, nil, n("DeleteTopic"), "requestParameters.topicArn"),
			{Names: n("SetTopicAttributes"), Locators: []string{"requestParameters.topicArn"}, ByRequest: snsAttrs, Change: ChangeUpdate},
		}},
	{Terraform: "aws_sqs_queue", Config: "AWS::SQS::Queue", EventSource: "sqs.amazonaws.com",
		ARN: "arn:{partition}:sqs:{region}:{account}:{id}", IDAttributes: a("name"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateQueue"), "requestParameters.queueName", "responseElements.queueUrl#last"),
			ev(ChangeDelete, nil, n("DeleteQueue"), "requestParameters.queueUrl#last"),
			{Names: n("SetQueueAttributes"), Locators: []string{"requestParameters.queueUrl#last"}, ByRequest: sqsAttrs, Change: ChangeUpdate},
			ev(ChangeUpdate, a("tags"), n("TagQueue", "UntagQueue"), "requestParameters.queueUrl#last"),
		}},
	{Terraform: "aws_dynamodb_table", Config: "AWS::DynamoDB::Table", EventSource: "dynamodb.amazonaws.com",
		ARN: "arn:{partition}:dynamodb:{region}:{account}:table/{id}", IDAttributes: a("name"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateTable"), "responseElements.tableDescription.tableArn", "requestParameters.tableName"),
			ev(ChangeDelete, nil, n("DeleteTable"), "requestParameters.tableName"),
			ev(ChangeUpdate, a("billing_mode", "read_capacity", "write_capacity", "global_secondary_index", "stream_enabled"), n("UpdateTable"), "requestParameters.tableName"),
			ev(ChangeUpdate, a("point_in_time_recovery"), n("UpdateContinuousBackups"), "requestParameters.tableName"),
			ev(ChangeUpdate, a("ttl"), n("UpdateTimeToLive"), "requestParameters.tableName"),
		}},
	// ---- Route 53 (global) / Secrets Manager
	{Terraform: "aws_route53_record", Config: "AWS::Route53::RecordSet", EventSource: "route53.amazonaws.com",
		IDAttributes: a("zone_id", "name", "type"), // joined with "_" like Terraform's id
		Events: []EventRule{
			ev(ChangeUpdate, a("records", "ttl", "alias"), n("ChangeResourceRecordSets"), "route53:changes"),
		}},
	{Terraform: "aws_secretsmanager_secret", Config: "AWS::SecretsManager::Secret", EventSource: "secretsmanager.amazonaws.com",
		ARN: "arn:{partition}:secretsmanager:{region}:{account}:secret:{id}", IDAttributes: a("arn"),
		Events: []EventRule{
			ev(ChangeCreate, nil, n("CreateSecret"), "responseElements.arn", "responseElements.aRN", "requestParameters.name"),
			ev(ChangeDelete, nil, n("DeleteSecret"), "requestParameters.secretId"),
			ev(ChangeUpdate, a("description", "kms_key_id"), n("UpdateSecret"), "requestParameters.secretId"),
			ev(ChangeUpdate, a("policy"), n("PutResourcePolicy", "DeleteResourcePolicy"), "requestParameters.secretId"),
			ev(ChangeUpdate, a("rotation_rules", "rotation_lambda_arn"), n("RotateSecret", "CancelRotateSecret"), "requestParameters.secretId"),
			ev(ChangeUpdate, a("tags"), n("TagResource", "UntagResource"), "requestParameters.secretId"),
			ev(ChangeUpdate, nil, n("PutSecretValue", "UpdateSecretVersionStage"), "requestParameters.secretId"),
		}},
}

type ruleRef struct {
	typ    *Type
	rule   *EventRule
	locs   []*locator // rule.Locators, parsed
	region bool       // the type's ARN template has {region}
	src    int16      // in refSrcs: the type, rule.Attributes and rule.Change
}

var (
	byTerraform = map[string]*Type{}
	byConfig    = map[string]*Type{}
	byEvent     = map[string][]ruleRef{} // eventSource + " " + eventName
	// usesResponse holds, per event source, the event names with a
	// responseElements locator.
	usesResponse = map[string]map[string]bool{}
	// arnPrefixes maps "service:resource-prefix" to the type owning it, for
	// typing ARNs found generically.
	arnIndex []arnKey
	// arnBySvc is arnIndex by service, in its order.
	arnBySvc = map[string][]arnKey{}
	// arnSvcs is arnBySvc by the first byte of the service (a few each),
	// for arnTypeBytes: a short search instead of a map lookup per ARN.
	arnSvcs [256][]arnSvc
)

// arnSvc is a service of arnBySvc and its keys.
type arnSvc struct {
	svc  string
	keys []arnKey
}

type arnKey struct {
	prefix string // "arn:*:ec2:" ... normalised: service + ":" + literal resource prefix
	svc    string
	res    string
	typ    *Type
}

func init() {
	for i := range Types {
		t := &Types[i]
		byTerraform[t.Terraform] = t
		if t.Config != "" {
			byConfig[t.Config] = t
		}
		t.tmpl = parseTemplate(t.ARN)
		t.tagsSrc = addRefSrc(t.Terraform, tagsAttribute, ChangeUpdate)
		t.arnSrc = addRefSrc(t.Terraform, nil, "")
		for j := range t.Events {
			r := &t.Events[j]
			rr := ruleRef{typ: t, rule: r, region: strings.Contains(t.ARN, "{region}"), src: addRefSrc(t.Terraform, r.Attributes, r.Change)}
			for _, loc := range r.Locators {
				rr.locs = append(rr.locs, parseLocator(loc))
			}
			for _, name := range r.Names {
				k := t.EventSource + " " + name
				byEvent[k] = append(byEvent[k], rr)
				p := addPlan(t.EventSource, name)
				p.rules = append(p.rules, rr)
				for _, l := range rr.locs {
					p.resp = p.resp || readsResponse(l)
				}
			}
		}
		if svc, res, ok := templateService(t.ARN); ok && t.Parent == "" {
			arnIndex = append(arnIndex, arnKey{svc: svc, res: res, typ: t})
		}
	}
	for i := range Types {
		t := &Types[i]
		for _, r := range t.Events {
			for _, loc := range r.Locators {
				if !strings.Contains(loc, "responseElements.") {
					continue
				}
				if usesResponse[t.EventSource] == nil {
					usesResponse[t.EventSource] = map[string]bool{}
				}
				for _, name := range r.Names {
					usesResponse[t.EventSource][name] = true
				}
			}
		}
	}
	for _, name := range []string{"CreateTags", "DeleteTags"} {
		addPlan("ec2.amazonaws.com", name).tags = true
	}
	// Longest resource prefix first so security-group-rule/ wins over security-group/.
	sort.SliceStable(arnIndex, func(i, j int) bool { return len(arnIndex[i].res) > len(arnIndex[j].res) })
	for _, k := range arnIndex {
		arnBySvc[k.svc] = append(arnBySvc[k.svc], k)
	}
	for _, k := range arnIndex {
		if arnKeysOf([]byte(k.svc)) == nil {
			arnSvcs[k.svc[0]] = append(arnSvcs[k.svc[0]], arnSvc{k.svc, arnBySvc[k.svc]})
		}
	}
}

// templateService returns the service and the literal resource prefix of an
// ARN template (ec2, "security-group/").
func templateService(tmpl string) (svc, res string, ok bool) {
	parts := strings.SplitN(tmpl, ":", 6)
	if len(parts) < 6 {
		return "", "", false
	}
	res = parts[5]
	if i := strings.Index(res, "{id}"); i >= 0 {
		res = res[:i]
	}
	return parts[2], res, true
}

// ByTerraform returns the row for a Terraform type.
func ByTerraform(typ string) (*Type, bool) {
	t, ok := byTerraform[typ]
	return t, ok
}

// ByConfig returns the row for an AWS Config / CloudFormation type.
func ByConfig(typ string) (*Type, bool) {
	t, ok := byConfig[typ]
	return t, ok
}

// TerraformType maps an AWS Config type to a Terraform type ("" if unknown).
func TerraformType(configType string) string {
	if t, ok := byConfig[configType]; ok {
		return t.Terraform
	}
	return ""
}

// ConfigType maps a Terraform type to its AWS Config type ("" if unknown).
func ConfigType(terraformType string) string {
	if t, ok := byTerraform[terraformType]; ok {
		return t.Config
	}
	return ""
}

var apiVersionSuffix = regexp.MustCompile(`20\d{6}(v\d+)?$`)

// NormalizeEventName strips the API version suffix some services append to
// event names (Lambda's UpdateFunctionConfiguration20150331v2).
func NormalizeEventName(name string) string {
	if len(name) > 8 && name[len(name)-1] >= '0' && name[len(name)-1] <= '9' {
		if loc := apiVersionSuffix.FindStringIndex(name); loc != nil && loc[0] > 0 {
			return name[:loc[0]]
		}
	}
	return name
}

// Canonical builds the canonical id of a resource of this type from its
// native id. partition defaults to "aws". A native id that is already an
// ARN is returned as it is for ARN rows.
func (t *Type) Canonical(nativeID, region, account, partition string) string {
	if nativeID == "" {
		return ""
	}
	if t.ARN == "" {
		if t.Terraform == "aws_route53_record" {
			nativeID = strings.ReplaceAll(nativeID, "/", "_")
		}
		return model.CanonicalID("aws", t.Terraform, nativeID)
	}
	if strings.HasPrefix(nativeID, "arn:") {
		return nativeID
	}
	if partition == "" {
		partition = "aws"
	}
	return expand(t.ARN, partition, region, account, nativeID)
}

// expand fills an ARN template without building a Replacer per call.
func expand(tmpl, partition, region, account, id string) string {
	var b strings.Builder
	b.Grow(len(tmpl) + len(id) + len(account) + len(region))
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		b.WriteString(tmpl[:i])
		tmpl = tmpl[i:]
		j := strings.IndexByte(tmpl, '}')
		if j < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		switch tmpl[:j+1] {
		case "{partition}":
			b.WriteString(partition)
		case "{region}":
			b.WriteString(region)
		case "{account}":
			b.WriteString(account)
		case "{id}":
			b.WriteString(id)
		default:
			b.WriteString(tmpl[:j+1])
		}
		tmpl = tmpl[j+1:]
	}
}

// ResourceID derives the canonical id of an applied or live resource of this
// type from its Terraform attributes, in the same form EventResources uses.
// It prefers the "arn" attribute for ARN rows.
func (t *Type) ResourceID(attrs map[string]any, region, account string) string {
	if t.ARN != "" {
		if s, _ := attrs["arn"].(string); strings.HasPrefix(s, "arn:") {
			return s
		}
	}
	parts := make([]string, 0, len(t.IDAttributes))
	for _, k := range t.IDAttributes {
		s, _ := attrs[k].(string)
		if s == "" {
			return ""
		}
		if t.Terraform == "aws_route53_record" && k == "name" {
			s = strings.ToLower(strings.TrimSuffix(s, "."))
		}
		parts = append(parts, s)
	}
	return t.Canonical(strings.Join(parts, "/"), region, account, "")
}

// SecretNameARN reports whether a Secrets Manager ARN built from a secret
// name (without suffix) names the secret whose full ARN is full.
func SecretNameARN(partial, full string) bool {
	if partial == full {
		return true
	}
	// Full ARNs end in "-" and six random characters.
	return len(full) == len(partial)+7 && strings.HasPrefix(full, partial) && full[len(partial)] == '-'
}

// EventResources returns the resources a CloudTrail record touched: those the
// identity table knows, with the attributes the event changes, then any other
// ARN found in resources[], requestParameters or responseElements.
//
// requestParameters and responseElements are read by one checking pass each
// (bytes that are not one valid JSON object count as absent), which also
// indexes the top-level members, records where containers end and notes the
// string values that may be ARNs; locators then read only along their paths.
func EventResources(rec *Record) []ResourceRef {
	refs, _ := eventResources(rec, true, nil)
	return refs
}

// EventResourceIDs appends to dst the ids of the resources EventResources
// returns for rec, in the same order, and returns the extended slice. It
// does the same work (rec.KeyMatch included) but builds no ResourceRef:
// no attributes, no []ResourceRef. All the ids share one string
// allocation; the only other allocation is dst's growth, none when dst has
// room for them.
func EventResourceIDs(rec *Record, dst []string) []string {
	_, dst = eventResources(rec, false, dst)
	return dst
}

// eventResources is EventResources (withRefs set: refs, dst untouched)
// and EventResourceIDs (withRefs unset: the ids appended to dst, refs nil).
func eventResources(rec *Record, withRefs bool, dst []string) (refs []ResourceRef, _ []string) {
	plan := planOf(rec.EventSource, NormalizeEventName(rec.EventName))
	// Only the objects a locator reads are indexed (and zeroed); the
	// others are checked and scanned for ARNs alone.
	e := event{rec: rec, req: &absent, resp: &absent}
	var arnArr [8][]byte
	arns := arnArr[:0]
	var reqMatch, respMatch bool
	if plan != nil {
		var req object
		e.req = &req
		arns, _, reqMatch = req.loadFor(rec.Request, arns, rec.KeyWords)
	} else {
		arns, _, reqMatch = (*object)(nil).loadFor(rec.Request, arns, rec.KeyWords)
	}
	if plan != nil && plan.resp {
		var resp object
		e.resp = &resp
		arns, _, respMatch = resp.loadFor(rec.Response, arns, rec.KeyWords)
	} else {
		arns, _, respMatch = (*object)(nil).loadFor(rec.Response, arns, rec.KeyWords)
	}
	if rec.KeyWords != nil {
		rec.KeyMatch = reqMatch || respMatch
	}

	// The resources found: their ids are appended to one buffer, so that
	// the result takes two allocations (one string for all ids, and the
	// slice); what else they hold is an index in refSrcs (pointer-free:
	// no write barriers), with attributes ByRequest decides in dyn.
	var foundArr [8]foundRef
	out := foundArr[:0]
	var idBuf [256]byte
	ids := idBuf[:0]
	var dynArr [2][]string
	dyn := dynArr[:0]
	var seen map[string]int // once out is long; a linear search before
	find := func(id []byte) int {
		if seen != nil {
			if i, ok := seen[string(id)]; ok {
				return i
			}
			return -1
		}
		for j := range out {
			if string(ids[out[j].off:out[j].end]) == string(id) {
				return j
			}
		}
		return -1
	}
	// push adds the id ids[start:] as a new resource.
	push := func(start int, src, dynAttrs int16) {
		out = append(out, foundRef{off: int32(start), end: int32(len(ids)), src: src, dyn: dynAttrs})
		switch {
		case seen != nil:
			seen[string(ids[start:])] = len(out) - 1
		case len(out) == 16:
			seen = make(map[string]int, 32)
			for j, r := range out {
				seen[string(ids[r.off:r.end])] = j
			}
		}
	}
	// add adds a resource of the table by its canonical id, ids[start:]
	// (nothing for an empty id), which leaves the buffer unless new.
	add := func(start int, src, dynAttrs int16) {
		if len(ids) == start {
			return
		}
		if i := find(ids[start:]); i >= 0 {
			ids = ids[:start]
			if refSrcs[out[i].src].typ == "" && refSrcs[src].typ != "" {
				out[i].src, out[i].dyn = src, dynAttrs
			}
			return
		}
		push(start, src, dynAttrs)
	}
	// addGeneric adds an ARN found generically (normalised).
	addGeneric := func(arn []byte) {
		if i := find(arn); i >= 0 {
			if out[i].src == 0 {
				if t := arnTypeBytes(arn); t != nil {
					out[i].src, out[i].dyn = t.arnSrc, 0
				}
			}
			return
		}
		start := len(ids)
		ids = append(ids, arn...)
		var src int16
		if t := arnTypeBytes(arn); t != nil {
			src = t.arnSrc
		}
		push(start, src, 0)
	}

	if plan != nil {
		var idArr [8][]byte
		for i := range plan.rules {
			rr := &plan.rules[i]
			var dynAttrs int16
			if withRefs && rr.rule.ByRequest != nil { // (attributes only: ids need none)
				if attrs := requestAttributes(rr.rule.ByRequest, e.req); attrs != nil {
					dyn = append(dyn, attrs)
					dynAttrs = int16(len(dyn))
				} else {
					dynAttrs = -1 // nil
				}
			}
			for _, l := range rr.locs {
				if l.kind == locJoin {
					var jb [128]byte
					if j, ok := e.join(l, jb[:0]); ok {
						start := len(ids)
						ids = rr.appendCanonical(ids, j, rec)
						add(start, rr.src, dynAttrs)
						break
					}
					continue
				}
				if l.kind == locRoute53 { // e.ids, keys built on the stack
					var zbuf [64]byte
					zone := route53Zone(e.req, zbuf[:0])
					if len(zone) == 0 {
						continue
					}
					n := 0
					var buf [8]valueAt
					var kbuf [256]byte // (out of the loop: zeroed once)
					for _, set := range e.req.walkPath(route53Path, buf[:0]) {
						if key, ok := route53Key(e.req, zone, set, kbuf[:0]); ok {
							n++
							start := len(ids)
							ids = rr.appendCanonical(ids, key, rec)
							add(start, rr.src, dynAttrs)
						}
					}
					if n > 0 {
						break
					}
					continue
				}
				found := e.ids(l, idArr[:0])
				for _, id := range found {
					start := len(ids)
					ids = rr.appendCanonical(ids, id, rec)
					add(start, rr.src, dynAttrs)
				}
				if len(found) > 0 {
					break
				}
			}
		}
		if plan.tags {
			for _, id := range e.ids(tagsLocator, idArr[:0]) {
				if t := ec2TypeOfBytes(id); t != nil {
					start := len(ids)
					ids = t.appendCanonical(ids, id, rec.Region, rec.Account, "aws")
					add(start, t.tagsSrc, 0)
				}
			}
		}
	}
	for _, r := range rec.Resources {
		if strings.HasPrefix(r.ARN, "arn:") {
			start := len(ids)
			ids = append(ids, normalizeARN(r.ARN)...)
			var src int16
			if t := arnTypeBytes(ids[start:]); t != nil {
				src = t.arnSrc
			}
			switch i := find(ids[start:]); {
			case i < 0:
				push(start, src, 0)
			case out[i].src == 0 && src != 0:
				ids = ids[:start]
				out[i].src, out[i].dyn = src, 0
			default:
				ids = ids[:start]
			}
		}
	}
	if len(arns) > 1 {
		slices.SortFunc(arns, bytes.Compare)
	}
	for _, a := range arns {
		addGeneric(bytes.TrimSuffix(a, logGroupSuffix))
	}
	if len(out) == 0 {
		return nil, dst
	}
	all := string(ids)
	if !withRefs {
		dst = slices.Grow(dst, len(out))
		for _, r := range out {
			dst = append(dst, all[r.off:r.end])
		}
		return nil, dst
	}
	refs = make([]ResourceRef, len(out))
	for i, r := range out {
		src := &refSrcs[r.src]
		attrs := src.attrs
		switch {
		case r.dyn > 0:
			attrs = dyn[r.dyn-1]
		case r.dyn < 0:
			attrs = nil
		}
		refs[i] = ResourceRef{TerraformType: src.typ, ID: all[r.off:r.end], Attributes: attrs, Change: src.change}
	}
	return refs, dst
}

// foundRef is a resource EventResources found: its id (as offsets in the
// ids buffer), and an index in refSrcs for the rest.
type foundRef struct {
	off, end int32
	src      int16 // in refSrcs
	dyn      int16 // attributes: dyn[dyn-1] when > 0, nil when < 0, else refSrcs[src]'s
}

// refSrc is what a resource found takes from the row or rule that found
// it.
type refSrc struct {
	typ    string
	attrs  []string
	change Change
}

// refSrcs holds a refSrc for each rule of the table, for each type as
// typed by its tags (tagsSrc) and found generically (arnSrc); 0 is an ARN
// of no known type.
var refSrcs = []refSrc{{}}

// addRefSrc adds a refSrc, returning its index.
func addRefSrc(typ string, attrs []string, change Change) int16 {
	refSrcs = append(refSrcs, refSrc{typ, attrs, change})
	if len(refSrcs) > math.MaxInt16 {
		panic("identity: too many rules")
	}
	return int16(len(refSrcs) - 1)
}

var (
	tagsAttribute  = []string{"tags"}
	tagsLocator    = parseLocator("requestParameters.resourcesSet.items[].resourceId")
	logGroupSuffix = []byte(":*")
)

// eventPlan is what EventResources does for one event name of a source.
type eventPlan struct {
	rules []ruleRef
	tags  bool // EC2 CreateTags / DeleteTags
	resp  bool // a locator reads responseElements
}

// sourcePlan is the eventPlan of an event name for one source.
type sourcePlan struct {
	source string
	plan   *eventPlan
}

// plans holds, by event name, the eventPlan of each event source with
// that name (one lookup on the name, then a short search on the source).
var plans = map[string][]sourcePlan{}

// planOf returns the eventPlan of an event (nil when the table has none).
func planOf(source, name string) *eventPlan {
	for _, sp := range plans[name] {
		if sp.source == source {
			return sp.plan
		}
	}
	return nil
}

// addPlan returns the eventPlan of an event, adding it when missing.
func addPlan(source, name string) *eventPlan {
	if p := planOf(source, name); p != nil {
		return p
	}
	p := &eventPlan{}
	plans[name] = append(plans[name], sourcePlan{source, p})
	return p
}

// readsResponse reports whether a locator (or a part of a join) reads
// responseElements.
func readsResponse(l *locator) bool {
	if l.kind == locPath && l.resp {
		return true
	}
	for _, p := range l.parts {
		if readsResponse(p) {
			return true
		}
	}
	return false
}

// event is a record whose requestParameters and responseElements were
// checked and indexed (those no locator of its plan reads: absent).
type event struct {
	rec       *Record
	req, resp *object
}

// absent is an object absent, never written.
var absent object

// object is a requestParameters or responseElements object, checked and
// its top-level members indexed by one pass over its bytes.
type object struct {
	b   []byte // nil: absent, not read, or not a valid JSON object
	n   int    // members in mem
	all bool   // mem holds every member
	mem [maxIndexed]jsonscan.Member
	ext jsonscan.Extents
}

const maxIndexed = 16

// load checks b (nil, or the bytes of a JSON object) and indexes it into
// o, a zero object. Bytes that are not one valid JSON object (as
// encoding/json.Valid judges) leave o absent; load reports whether o was
// loaded.
func (o *object) load(b []byte) bool {
	_, ok, _ := o.loadFor(b, nil, nil)
	return ok
}

// maxHits is how many ARN candidates loadFor notes in one pass; beyond,
// it scans again.
const maxHits = 16

// loadFor loads b into o, a zero object, and appends to arns the ARNs
// ARNsInJSON would find in it (sub-slices of b, or copies where escaped)
// when it is valid. ok says whether b is valid (and o loaded). With words,
// keyMatch says whether a key of b may hold one of them
// (jsonscan.ScanObjectKeys), and is true when b is not empty and not a
// valid object; without, it is false. A nil o checks and scans b alike
// without indexing it.
func (o *object) loadFor(b []byte, arns [][]byte, words *jsonscan.Words) (_ [][]byte, ok, keyMatch bool) {
	if len(b) == 0 {
		return arns, false, false
	}
	var hits [maxHits]int32
	var n, nhits int
	var top []jsonscan.Member
	var ext *jsonscan.Extents
	if o != nil {
		top, ext = o.mem[:], &o.ext
	}
	if words != nil {
		n, nhits, keyMatch, ok = jsonscan.ScanObjectKeys(b, top, hits[:], ext, words)
	} else {
		n, nhits, ok = jsonscan.ScanObject(b, top, hits[:], ext)
	}
	if !ok {
		return arns, false, words != nil
	}
	if o != nil {
		o.b, o.n, o.all = b, min(n, maxIndexed), n <= maxIndexed
	}
	if nhits > maxHits {
		for _, s := range ARNsInJSON(b, nil) {
			arns = append(arns, []byte(s))
		}
		return arns, true, keyMatch
	}
	for _, h := range hits[:nhits] {
		end, _ := jsonscan.EndString(b, int(h))
		tok := b[h:end]
		s := tok[1 : len(tok)-1]
		if bytes.IndexByte(s, '\\') >= 0 {
			var buf [128]byte
			u, ok := jsonscan.Unquote(tok, buf[:0])
			if !ok || !bytes.HasPrefix(u, arnPrefix) {
				continue
			}
			s = bytes.Clone(u)
		}
		if bytes.Count(s, colon) >= 5 {
			arns = append(arns, s)
		}
	}
	return arns, true, keyMatch
}

// get returns the value of the last top-level member named key (nil when
// there is none).
func (o *object) get(key string) []byte {
	if !o.all {
		return o.member(o.b, key)
	}
	for i := o.n - 1; i >= 0; i-- {
		m := &o.mem[i]
		if jsonscan.Equal(o.b[m.K0:m.K1], key) {
			return o.b[m.V0:m.V1]
		}
	}
	return nil
}

// member returns the value of the last member named key of obj, an object
// within o (nil when there is none or obj is not an object).
func (o *object) member(obj []byte, key string) []byte {
	return o.ext.LastMember(obj, key)
}

// Locator kinds.
const (
	locNone      = iota // reads nothing
	locPath             // requestParameters.a.b[].c
	locResources        // resources
	locRoute53          // route53:changes
	locJoin             // a + b: the first value of each part, joined with "/"
	locConst            // =text
)

// locator is a locator of the table, parsed once.
type locator struct {
	kind  uint8
	resp  bool // the path is in responseElements
	last  bool // #last: the last segment of a "/" path
	segs  []pathSeg
	parts []*locator
	text  []byte // locConst
}

type pathSeg struct {
	key string
	arr bool // seg[]
}

func parseLocator(loc string) *locator {
	switch {
	case loc == "route53:changes":
		return &locator{kind: locRoute53}
	case loc == "resources":
		return &locator{kind: locResources}
	case strings.Contains(loc, " + "):
		l := &locator{kind: locJoin}
		for _, p := range strings.Split(loc, " + ") {
			l.parts = append(l.parts, parseLocator(p))
		}
		return l
	case strings.HasPrefix(loc, "="):
		return &locator{kind: locConst, text: []byte(loc[1:])}
	}
	l := &locator{kind: locPath}
	if strings.HasSuffix(loc, "#last") {
		l.last, loc = true, strings.TrimSuffix(loc, "#last")
	}
	switch {
	case strings.HasPrefix(loc, "requestParameters."):
		loc = loc[len("requestParameters."):]
	case strings.HasPrefix(loc, "responseElements."):
		l.resp, loc = true, loc[len("responseElements."):]
	default:
		return &locator{kind: locNone}
	}
	for _, seg := range strings.Split(loc, ".") {
		l.segs = append(l.segs, pathSeg{key: strings.TrimSuffix(seg, "[]"), arr: strings.HasSuffix(seg, "[]")})
	}
	return l
}

// ids appends to dst the ids a locator (not a join: nothing) finds, as text: sub-
// slices of the record's bytes, or copies. Every value found counts, even
// one that #last leaves empty.
func (e *event) ids(l *locator, dst [][]byte) [][]byte {
	switch l.kind {
	case locConst:
		return append(dst, l.text)
	case locResources:
		for _, r := range e.rec.Resources {
			if r.ARN != "" {
				dst = append(dst, []byte(r.ARN))
			}
		}
		return dst
	case locRoute53:
		var zbuf [64]byte
		zone := route53Zone(e.req, zbuf[:0])
		if len(zone) == 0 {
			return dst
		}
		var buf [8]valueAt
		for _, set := range e.req.walkPath(route53Path, buf[:0]) {
			if key, ok := route53Key(e.req, zone, set, nil); ok {
				dst = append(dst, key)
			}
		}
		return dst
	case locPath:
	default:
		return dst
	}
	root := e.req
	if l.resp {
		root = e.resp
	}
	if len(l.segs) == 1 && !l.segs[0].arr { // a top-level member: no walk
		if root.b != nil {
			dst = appendText(dst, root.get(l.segs[0].key), l.last)
		}
		return dst
	}
	var buf [8]valueAt
	for _, v := range root.walkPath(l.segs, buf[:0]) {
		dst = appendText(dst, root.at(v), l.last)
	}
	return dst
}

// appendText appends to dst the text of v when it is a non-empty string
// (its last "/" segment when last is set).
func appendText(dst [][]byte, v []byte, last bool) [][]byte {
	s, ok := textValue(v, nil)
	if !ok || len(s) == 0 {
		return dst
	}
	if last {
		s = bytes.TrimRight(s, "/")
		if i := bytes.LastIndexByte(s, '/'); i >= 0 {
			s = s[i+1:]
		}
	}
	return append(dst, s)
}

// join appends to dst the first id of each part of a join, joined with
// "/"; ok is false when a part finds none.
func (e *event) join(l *locator, dst []byte) ([]byte, bool) {
	for i, p := range l.parts {
		var idArr [8][]byte
		v := e.ids(p, idArr[:0])
		if len(v) == 0 {
			return nil, false
		}
		if i > 0 {
			dst = append(dst, '/')
		}
		dst = append(dst, v[0]...)
	}
	return dst, true
}

// tmplPart is a piece of a parsed ARN template: literal text, or a
// placeholder.
type tmplPart struct {
	lit string
	ph  uint8
}

// Placeholders.
const (
	phNone = iota
	phPartition
	phRegion
	phAccount
	phID
)

// parseTemplate splits an ARN template as expand reads it.
func parseTemplate(tmpl string) []tmplPart {
	var out []tmplPart
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			return append(out, tmplPart{lit: tmpl})
		}
		out = append(out, tmplPart{lit: tmpl[:i]})
		tmpl = tmpl[i:]
		j := strings.IndexByte(tmpl, '}')
		if j < 0 {
			return append(out, tmplPart{lit: tmpl})
		}
		switch tmpl[:j+1] {
		case "{partition}":
			out = append(out, tmplPart{ph: phPartition})
		case "{region}":
			out = append(out, tmplPart{ph: phRegion})
		case "{account}":
			out = append(out, tmplPart{ph: phAccount})
		case "{id}":
			out = append(out, tmplPart{ph: phID})
		default:
			out = append(out, tmplPart{lit: tmpl[:j+1]})
		}
		tmpl = tmpl[j+1:]
	}
}

// appendTemplate appends what Canonical gives for a native id (t.tmpl
// being its type's parsed template).
func appendTemplate(dst []byte, tmpl []tmplPart, id []byte, partition, region, account string) []byte {
	for _, p := range tmpl {
		switch p.ph {
		case phNone:
			dst = append(dst, p.lit...)
		case phPartition:
			dst = append(dst, partition...)
		case phRegion:
			dst = append(dst, region...)
		case phAccount:
			dst = append(dst, account...)
		case phID:
			dst = append(dst, id...)
		}
	}
	return dst
}

// appendCanonical appends canonicalFromEvent(id) for the rule's type
// (nothing for an empty id).
func (rr *ruleRef) appendCanonical(dst, id []byte, rec *Record) []byte {
	t := rr.typ
	if len(id) == 0 {
		return dst
	}
	if bytes.HasPrefix(id, arnPrefix) {
		if t.ARN != "" {
			return append(dst, bytes.TrimSuffix(id, logGroupSuffix)...)
		}
		return appendCanonicalID(dst, t.Terraform, id, false)
	}
	region := ""
	if rr.region {
		region = rec.Region
	}
	return t.appendCanonical(dst, id, region, rec.Account, partitionOf(rec))
}

// appendCanonical appends Canonical(id, region, account, partition) (a
// partition given).
func (t *Type) appendCanonical(dst, id []byte, region, account, partition string) []byte {
	if len(id) == 0 {
		return dst
	}
	if t.ARN == "" {
		return appendCanonicalID(dst, t.Terraform, id, t.Terraform == "aws_route53_record")
	}
	if bytes.HasPrefix(id, arnPrefix) {
		return append(dst, id...)
	}
	return appendTemplate(dst, t.tmpl, id, partition, region, account)
}

// appendCanonicalID appends model.CanonicalID("aws", typ, id), with the
// slashes of id made underscores when slashes is set.
func appendCanonicalID(dst []byte, typ string, id []byte, slashes bool) []byte {
	dst = append(dst, "aws/"...)
	dst = append(dst, typ...)
	dst = append(dst, '/')
	if !slashes {
		return append(dst, id...)
	}
	for _, c := range id {
		if c == '/' {
			c = '_'
		}
		dst = append(dst, c)
	}
	return dst
}

func (t *Type) canonicalFromEvent(id string, rec *Record) string {
	if strings.HasPrefix(id, "arn:") {
		if t.ARN != "" {
			return normalizeARN(id)
		}
		return model.CanonicalID("aws", t.Terraform, id)
	}
	region := rec.Region
	if !strings.Contains(t.ARN, "{region}") {
		region = ""
	}
	return t.Canonical(id, region, rec.Account, partitionOf(rec))
}

func partitionOf(rec *Record) string {
	switch {
	case strings.HasPrefix(rec.Region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(rec.Region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// normalizeARN removes the ":*" CloudTrail appends to log group ARNs so the
// id equals Terraform's arn attribute.
func normalizeARN(s string) string {
	return strings.TrimSuffix(s, ":*")
}

// genericRef types an ARN through the table when its service and resource
// prefix match a row.
func genericRef(arn string) ResourceRef { return classifyARN(normalizeARN(arn)) }

// classifyARN is genericRef for an ARN already normalised.
func classifyARN(arn string) ResourceRef {
	if svc, region, account, res, ok := arnFields(arn); ok {
		for _, k := range arnBySvc[svc] {
			if k.res != "" && strings.HasPrefix(res, k.res) {
				return ResourceRef{TerraformType: k.typ.Terraform, ID: arn}
			}
		}
		if svc == "s3" && region == "" && account == "" && !strings.Contains(res, "/") {
			return ResourceRef{TerraformType: "aws_s3_bucket", ID: arn}
		}
	}
	return ResourceRef{ID: arn}
}

// arnTypeBytes returns the row classifyARN types an ARN's bytes by (nil:
// none).
func arnTypeBytes(arn []byte) *Type {
	// The first five colons, a byte at a time: they come early, and a
	// loop beats a call per colon.
	var at [5]int
	n := 0
	for i := 0; i < len(arn) && n < len(at); i++ {
		if arn[i] == ':' {
			at[n] = i
			n++
		}
	}
	if n < len(at) {
		return nil
	}
	svc, res := arn[at[1]+1:at[2]], arn[at[4]+1:]
	for _, k := range arnKeysOf(svc) {
		if k.res != "" && len(res) >= len(k.res) && string(res[:len(k.res)]) == k.res {
			return k.typ
		}
	}
	if string(svc) == "s3" && at[3] == at[2]+1 && at[4] == at[3]+1 && bytes.IndexByte(res, '/') < 0 {
		return s3Bucket
	}
	return nil
}

// arnKeysOf returns arnBySvc[string(svc)] (by arnSvcs).
func arnKeysOf(svc []byte) []arnKey {
	if len(svc) == 0 {
		return nil
	}
	for _, s := range arnSvcs[svc[0]] {
		if string(svc) == s.svc {
			return s.keys
		}
	}
	return nil
}

// s3Bucket is the aws_s3_bucket row.
var s3Bucket = func() *Type {
	for i := range Types {
		if Types[i].Terraform == "aws_s3_bucket" {
			return &Types[i]
		}
	}
	panic("identity: no aws_s3_bucket row")
}()

// arnFields splits arn:partition:service:region:account:resource (the
// resource keeps any further colon); ok is false with fewer than five
// colons.
func arnFields(arn string) (svc, region, account, res string, ok bool) {
	var at [5]int
	for i, n := 0, 0; n < len(at); i++ {
		j := strings.IndexByte(arn[i:], ':')
		if j < 0 {
			return "", "", "", "", false
		}
		i += j
		at[n] = i
		n++
	}
	return arn[at[1]+1 : at[2]], arn[at[2]+1 : at[3]], arn[at[3]+1 : at[4]], arn[at[4]+1:], true
}

var ec2Prefixes = map[string]string{
	"sg-": "aws_security_group", "i-": "aws_instance", "vol-": "aws_ebs_volume", "vpc-": "aws_vpc",
	"subnet-": "aws_subnet", "rtb-": "aws_route_table", "acl-": "aws_network_acl",
	"igw-": "aws_internet_gateway", "nat-": "aws_nat_gateway", "sgr-": "aws_vpc_security_group_ingress_rule",
}

func ec2TypeOf(id string) *Type {
	if i := strings.IndexByte(id, '-'); i > 0 {
		if tf, ok := ec2Prefixes[id[:i+1]]; ok {
			return byTerraform[tf]
		}
	}
	return nil
}

// ec2TypeOfBytes is ec2TypeOf for an id's bytes.
func ec2TypeOfBytes(id []byte) *Type {
	if i := bytes.IndexByte(id, '-'); i > 0 {
		if tf, ok := ec2Prefixes[string(id[:i+1])]; ok {
			return byTerraform[tf]
		}
	}
	return nil
}

// requestAttributes maps the request keys present to attributes. Where a
// key repeats, its last member counts, as in a decoded map.
func requestAttributes(m map[string]string, req *object) []string {
	var out []string
	addAttr := func(v string) {
		for _, x := range out {
			if x == v {
				return
			}
		}
		out = append(out, v)
	}
	visit := func(obj []byte) {
		it := req.ext.Members(obj)
		for {
			k, _, ok := it.Next()
			if !ok {
				break
			}
			var buf [64]byte
			key, ok := jsonscan.Unquote(k, buf[:0])
			if !ok {
				continue
			}
			attr, ok := m[string(key)]
			if !ok {
				continue
			}
			if i := strings.IndexByte(attr, '|'); i >= 0 { // "egress|ingress": boolean picks
				if jsonscan.IsTrue(req.member(obj, string(key))) {
					attr = attr[:i]
				} else {
					attr = attr[i+1:]
				}
			}
			addAttr(attr)
		}
	}
	if req.b == nil {
		return nil
	}
	visit(req.b)
	// SetTopicAttributes names the attribute in a value; SetQueueAttributes
	// nests keys under "attributes"; some APIs wrap in *Request.
	if an, ok := stringValue(req.get("attributeName")); ok {
		if attr, ok := m[an]; ok {
			addAttr(attr)
		}
	}
	it := req.ext.Members(req.b)
	for {
		k, v, ok := it.Next()
		if !ok {
			break
		}
		if jsonscan.KindOf(v) != jsonscan.Object {
			continue
		}
		var buf [64]byte
		key, ok := jsonscan.Unquote(k, buf[:0])
		if !ok || !(string(key) == "attributes" || bytes.HasSuffix(key, requestSuffix)) {
			continue
		}
		if last := req.get(string(key)); len(last) == 0 || &last[0] != &v[0] {
			continue // a later member of the same name wins
		}
		visit(v)
	}
	if at, ok := stringValue(req.get("attribute")); ok { // ModifyInstanceAttribute attribute=instanceType form
		if attr, ok := m[at]; ok {
			addAttr(attr)
		}
	}
	sort.Strings(out)
	return out
}

var requestSuffix = []byte("Request")

// stringValue returns the text of a JSON string value (ok false for any
// other value).
func stringValue(v []byte) (string, bool) {
	if jsonscan.KindOf(v) != jsonscan.String {
		return "", false
	}
	var buf [128]byte
	u, ok := jsonscan.Unquote(v, buf[:0])
	if !ok {
		return "", false
	}
	return string(u), true
}

// valueAt is a value of an object, as offsets in its bytes.
type valueAt struct{ start, end int32 }

// at returns the bytes of a value of o.
func (o *object) at(v valueAt) []byte { return o.b[v.start:v.end] }

// walkPath appends to dst the values the dotted path reaches from the
// object's top level. "seg[]" visits every element of an array, or the
// value itself where a single element stands for the array (XML-ish EC2
// shapes). It walks level by level, which yields the values in the order
// a depth-first walk does (values are offsets rather than slices handed to
// a callback, and the walk is not recursive: nothing escapes).
func (o *object) walkPath(segs []pathSeg, dst []valueAt) []valueAt {
	if o.b == nil || len(segs) == 0 {
		return dst
	}
	var bufA, bufB [8]valueAt
	cur := o.step(o.get(segs[0].key), segs[0].arr, bufA[:0])
	next := bufB[:0]
	for _, seg := range segs[1:] {
		if len(cur) == 0 {
			break
		}
		for _, v := range cur {
			if vb := o.at(v); jsonscan.KindOf(vb) == jsonscan.Object {
				next = o.step(o.member(vb, seg.key), seg.arr, next)
			}
		}
		cur, next = next, cur[:0]
	}
	return append(dst, cur...)
}

// step appends to dst val (a value of o; nil: none), or its elements when
// arr says the segment was "seg[]" and it is an array.
func (o *object) step(val []byte, arr bool, dst []valueAt) []valueAt {
	if val == nil {
		return dst
	}
	if !arr || jsonscan.KindOf(val) != jsonscan.Array {
		return append(dst, o.valueAt(val))
	}
	it := o.ext.Elements(val)
	for {
		e, ok := it.Next()
		if !ok {
			return dst
		}
		dst = append(dst, o.valueAt(e))
	}
}

// valueAt returns the offsets of v, a sub-slice of o.b.
func (o *object) valueAt(v []byte) valueAt {
	start := cap(o.b) - cap(v)
	return valueAt{int32(start), int32(start + len(v))}
}

// route53Zone returns the hosted zone of ChangeResourceRecordSets
// (empty when none), decoded into buf where escaped. Its record sets are
// req.walkPath(route53Path, ...), their keys route53Key.
func route53Zone(req *object, buf []byte) []byte {
	zone, _ := textValue(req.get("hostedZoneId"), buf)
	return bytes.TrimPrefix(zone, hostedZonePrefix)
}

// route53Key appends to dst the zone_name_type key of a record set of
// ChangeResourceRecordSets; ok is false when it has none.
func route53Key(req *object, zone []byte, set valueAt, dst []byte) (_ []byte, ok bool) {
	v := req.at(set)
	if jsonscan.KindOf(v) != jsonscan.Object {
		return dst, false
	}
	// The last "name" and "type" members, in one pass.
	var nameV, typV []byte
	it := req.ext.Members(v)
	for {
		k, val, ok := it.Next()
		if !ok {
			break
		}
		switch {
		case jsonscan.Equal(k, "name"):
			nameV = val
		case jsonscan.Equal(k, "type"):
			typV = val
		}
	}
	var nbuf, tbuf [128]byte
	name, _ := textValue(nameV, nbuf[:0])
	typ, _ := textValue(typV, tbuf[:0])
	if it.Err() || len(name) == 0 || len(typ) == 0 {
		return dst, false
	}
	return appendRecordKey(dst, zone, bytes.TrimSuffix(name, dot), typ), true
}

var hostedZonePrefix, dot = []byte("/hostedzone/"), []byte(".")

var route53Path = parseLocator("requestParameters.changeBatch.changes[].resourceRecordSet").segs

// appendRecordKey appends zone + "_" + strings.ToLower(name) + "_" + typ
// to b.
func appendRecordKey(b, zone, name, typ []byte) []byte {
	b = slices.Grow(b, len(zone)+len(name)+len(typ)+2)
	b = append(b, zone...)
	b = append(b, '_')
	ascii := true
	for _, c := range name {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		for _, c := range name {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
		}
	} else {
		b = append(b, strings.ToLower(string(name))...)
	}
	b = append(b, '_')
	return append(b, typ...)
}

// textValue returns the text of a JSON string value, decoded into buf
// when it holds escapes (ok false for any other value).
func textValue(v, buf []byte) ([]byte, bool) {
	if jsonscan.KindOf(v) != jsonscan.String {
		return nil, false
	}
	return jsonscan.Unquote(v, buf)
}

// UsesResponseElements reports whether a locator of the identity table for
// this event reads responseElements (so a caller that scans ARNs itself
// needs to decode responseElements only then).
func UsesResponseElements(eventSource, eventName string) bool {
	return usesResponse[eventSource][NormalizeEventName(eventName)]
}

// ARNsInJSON appends to out the string values of a JSON document (object
// keys excluded) that look like ARNs: those starting with "arn:" with at
// least five colons, in document order (the same strings a walk of the
// decoded document finds). It reads the bytes
// without decoding them; escaped strings are unquoted.
func ARNsInJSON(b []byte, out []string) []string {
	for i := 0; i < len(b); {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			break
		}
		start := i + q + 1
		end, escaped := start, false
		for end < len(b) && b[end] != '"' {
			if b[end] == '\\' {
				escaped = true
				end++
			}
			end++
		}
		if end >= len(b) {
			break
		}
		i = end + 1
		content := b[start:end]
		if !escaped && !bytes.HasPrefix(content, arnPrefix) {
			continue
		}
		// A key is followed by a colon.
		j := i
		for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r') {
			j++
		}
		if j < len(b) && b[j] == ':' {
			continue
		}
		if escaped {
			var buf [128]byte
			u, ok := jsonscan.Unquote(b[start-1:end+1], buf[:0])
			if !ok {
				continue
			}
			content = u
		}
		if bytes.HasPrefix(content, arnPrefix) && bytes.Count(content, colon) >= 5 {
			out = append(out, string(content))
		}
	}
	return out
}

var arnPrefix, colon = []byte("arn:"), []byte(":")
