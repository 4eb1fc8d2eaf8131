package identity

import (
	"encoding/json"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
)

const (
	acct   = "111122223333"
	region = "eu-west-1"
)

func record(t *testing.T, source, name, req, resp string) *Record {
	t.Helper()
	r := &Record{EventSource: source, EventName: name, Region: region, Account: acct}
	if req != "" {
		require.True(t, json.Valid([]byte(req)), "request %s", req)
		r.Request = []byte(req)
	}
	if resp != "" {
		require.True(t, json.Valid([]byte(resp)), "response %s", resp)
		r.Response = []byte(resp)
	}
	return r
}

// everyRow holds one event per row of the table with the canonical id it
// must give (the differential tests reuse it).
var everyRow = []struct {
	tf, config, source, event, req, resp, wantID string
	wantAttrs                                    []string
}{
	{"aws_security_group", "AWS::EC2::SecurityGroup", "ec2.amazonaws.com", "CreateSecurityGroup", `{"groupName":"web","vpcId":"vpc-1"}`, `{"_return":true,"groupId":"sg-0abc"}`, "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0abc", nil},
	{"aws_security_group_rule", "", "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-0abc","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22}]}}`, "", "aws/aws_security_group_rule/sg-0abc/ingress", []string{"cidr_blocks", "from_port", "to_port", "protocol"}},
	{"aws_vpc_security_group_ingress_rule", "AWS::EC2::SecurityGroupIngress", "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-0abc"}`, `{"_return":true,"securityGroupRuleSet":{"items":[{"groupId":"sg-0abc","securityGroupRuleId":"sgr-0123"}]}}`, "arn:aws:ec2:eu-west-1:111122223333:security-group-rule/sgr-0123", nil},
	{"aws_vpc_security_group_egress_rule", "AWS::EC2::SecurityGroupEgress", "ec2.amazonaws.com", "AuthorizeSecurityGroupEgress", `{"groupId":"sg-0abc"}`, `{"securityGroupRuleSet":{"items":[{"securityGroupRuleId":"sgr-0456"}]}}`, "arn:aws:ec2:eu-west-1:111122223333:security-group-rule/sgr-0456", nil},
	{"aws_instance", "AWS::EC2::Instance", "ec2.amazonaws.com", "RunInstances", `{"instanceType":"t3.micro"}`, `{"instancesSet":{"items":[{"instanceId":"i-0aaa"},{"instanceId":"i-0bbb"}]}}`, "arn:aws:ec2:eu-west-1:111122223333:instance/i-0aaa", nil},
	{"aws_ebs_volume", "AWS::EC2::Volume", "ec2.amazonaws.com", "CreateVolume", `{"size":8}`, `{"volumeId":"vol-0abc"}`, "arn:aws:ec2:eu-west-1:111122223333:volume/vol-0abc", nil},
	{"aws_vpc", "AWS::EC2::VPC", "ec2.amazonaws.com", "CreateVpc", `{"cidrBlock":"10.0.0.0/16"}`, `{"vpc":{"vpcId":"vpc-0abc"}}`, "arn:aws:ec2:eu-west-1:111122223333:vpc/vpc-0abc", nil},
	{"aws_subnet", "AWS::EC2::Subnet", "ec2.amazonaws.com", "ModifySubnetAttribute", `{"subnetId":"subnet-0abc","mapPublicIpOnLaunch":{"value":true}}`, "", "arn:aws:ec2:eu-west-1:111122223333:subnet/subnet-0abc", []string{"map_public_ip_on_launch"}},
	{"aws_route_table", "AWS::EC2::RouteTable", "ec2.amazonaws.com", "CreateRoute", `{"routeTableId":"rtb-0abc","destinationCidrBlock":"0.0.0.0/0"}`, "", "arn:aws:ec2:eu-west-1:111122223333:route-table/rtb-0abc", []string{"route"}},
	{"aws_network_acl", "AWS::EC2::NetworkAcl", "ec2.amazonaws.com", "CreateNetworkAclEntry", `{"networkAclId":"acl-0abc","egress":false,"ruleNumber":100}`, "", "arn:aws:ec2:eu-west-1:111122223333:network-acl/acl-0abc", []string{"ingress"}},
	{"aws_internet_gateway", "AWS::EC2::InternetGateway", "ec2.amazonaws.com", "AttachInternetGateway", `{"internetGatewayId":"igw-0abc","vpcId":"vpc-1"}`, "", "arn:aws:ec2:eu-west-1:111122223333:internet-gateway/igw-0abc", []string{"vpc_id"}},
	{"aws_nat_gateway", "AWS::EC2::NatGateway", "ec2.amazonaws.com", "CreateNatGateway", `{"CreateNatGatewayRequest":{"SubnetId":"subnet-1"}}`, `{"CreateNatGatewayResponse":{"natGateway":{"natGatewayId":"nat-0abc"}}}`, "aws/aws_nat_gateway/nat-0abc", nil},
	{"aws_s3_bucket", "AWS::S3::Bucket", "s3.amazonaws.com", "PutBucketPolicy", `{"bucketName":"logs","bucketPolicy":{"Statement":[]}}`, "", "arn:aws:s3:::logs", []string{"policy"}},
	{"aws_s3_bucket_policy", "", "s3.amazonaws.com", "PutBucketPolicy", `{"bucketName":"logs"}`, "", "aws/aws_s3_bucket_policy/logs", []string{"policy"}},
	{"aws_s3_bucket_public_access_block", "", "s3.amazonaws.com", "PutBucketPublicAccessBlock", `{"bucketName":"logs"}`, "", "aws/aws_s3_bucket_public_access_block/logs", []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"}},
	{"aws_s3_bucket_server_side_encryption_configuration", "", "s3.amazonaws.com", "PutBucketEncryption", `{"bucketName":"logs"}`, "", "aws/aws_s3_bucket_server_side_encryption_configuration/logs", []string{"rule"}},
	{"aws_s3_bucket_versioning", "", "s3.amazonaws.com", "PutBucketVersioning", `{"bucketName":"logs","VersioningConfiguration":{"Status":"Suspended"}}`, "", "aws/aws_s3_bucket_versioning/logs", []string{"versioning_configuration"}},
	{"aws_s3_bucket_acl", "", "s3.amazonaws.com", "PutBucketAcl", `{"bucketName":"logs"}`, "", "aws/aws_s3_bucket_acl/logs", []string{"acl", "access_control_policy"}},
	{"aws_iam_role", "AWS::IAM::Role", "iam.amazonaws.com", "UpdateAssumeRolePolicy", `{"roleName":"deployer","policyDocument":"{}"}`, "", "arn:aws:iam::111122223333:role/deployer", []string{"assume_role_policy"}},
	{"aws_iam_policy", "AWS::IAM::Policy", "iam.amazonaws.com", "CreatePolicyVersion", `{"policyArn":"arn:aws:iam::111122223333:policy/ops","setAsDefault":true}`, "", "arn:aws:iam::111122223333:policy/ops", []string{"policy"}},
	{"aws_iam_user", "AWS::IAM::User", "iam.amazonaws.com", "CreateUser", `{"userName":"alice"}`, `{"user":{"arn":"arn:aws:iam::111122223333:user/staff/alice","userName":"alice"}}`, "arn:aws:iam::111122223333:user/staff/alice", nil},
	{"aws_iam_group", "AWS::IAM::Group", "iam.amazonaws.com", "AddUserToGroup", `{"groupName":"admins","userName":"alice"}`, "", "arn:aws:iam::111122223333:group/admins", nil},
	{"aws_iam_access_key", "", "iam.amazonaws.com", "CreateAccessKey", `{"userName":"alice"}`, `{"accessKey":{"accessKeyId":"AKIAEXAMPLE","status":"Active","userName":"alice"}}`, "aws/aws_iam_access_key/AKIAEXAMPLE", nil},
	{"aws_iam_role_policy_attachment", "", "iam.amazonaws.com", "AttachRolePolicy", `{"roleName":"deployer","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}`, "", "aws/aws_iam_role_policy_attachment/deployer/arn:aws:iam::aws:policy/AdministratorAccess", nil},
	{"aws_iam_user_policy_attachment", "", "iam.amazonaws.com", "AttachUserPolicy", `{"userName":"alice","policyArn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}`, "", "aws/aws_iam_user_policy_attachment/alice/arn:aws:iam::aws:policy/ReadOnlyAccess", nil},
	{"aws_iam_group_policy_attachment", "", "iam.amazonaws.com", "AttachGroupPolicy", `{"groupName":"admins","policyArn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}`, "", "aws/aws_iam_group_policy_attachment/admins/arn:aws:iam::aws:policy/ReadOnlyAccess", nil},
	{"aws_kms_key", "AWS::KMS::Key", "kms.amazonaws.com", "DisableKey", `{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab"}`, "", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", []string{"is_enabled"}},
	{"aws_db_instance", "AWS::RDS::DBInstance", "rds.amazonaws.com", "ModifyDBInstance", `{"dBInstanceIdentifier":"prod-db","publiclyAccessible":true,"applyImmediately":true}`, "", "arn:aws:rds:eu-west-1:111122223333:db:prod-db", []string{"publicly_accessible"}},
	{"aws_rds_cluster", "AWS::RDS::DBCluster", "rds.amazonaws.com", "ModifyDBCluster", `{"dBClusterIdentifier":"aurora","deletionProtection":false}`, "", "arn:aws:rds:eu-west-1:111122223333:cluster:aurora", []string{"deletion_protection"}},
	{"aws_lambda_function", "AWS::Lambda::Function", "lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", `{"functionName":"api","timeout":30,"memorySize":512}`, "", "arn:aws:lambda:eu-west-1:111122223333:function:api", []string{"memory_size", "timeout"}},
	{"aws_ecs_cluster", "AWS::ECS::Cluster", "ecs.amazonaws.com", "CreateCluster", `{"clusterName":"apps"}`, `{"cluster":{"clusterArn":"arn:aws:ecs:eu-west-1:111122223333:cluster/apps"}}`, "arn:aws:ecs:eu-west-1:111122223333:cluster/apps", nil},
	{"aws_ecs_service", "AWS::ECS::Service", "ecs.amazonaws.com", "UpdateService", `{"cluster":"apps","service":"web","desiredCount":3}`, `{"service":{"serviceArn":"arn:aws:ecs:eu-west-1:111122223333:service/apps/web"}}`, "aws/aws_ecs_service/arn:aws:ecs:eu-west-1:111122223333:service/apps/web", []string{"desired_count", "task_definition", "network_configuration", "capacity_provider_strategy"}},
	{"aws_eks_cluster", "AWS::EKS::Cluster", "eks.amazonaws.com", "UpdateClusterConfig", `{"name":"main","resourcesVpcConfig":{"endpointPublicAccess":true}}`, "", "arn:aws:eks:eu-west-1:111122223333:cluster/main", []string{"vpc_config", "enabled_cluster_log_types", "access_config"}},
	{"aws_lb", "AWS::ElasticLoadBalancingV2::LoadBalancer", "elasticloadbalancing.amazonaws.com", "SetSecurityGroups", `{"loadBalancerArn":"arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/web/50dc6c495c0c9188","securityGroups":["sg-1"]}`, "", "arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/web/50dc6c495c0c9188", []string{"security_groups"}},
	{"aws_lb_listener", "AWS::ElasticLoadBalancingV2::Listener", "elasticloadbalancing.amazonaws.com", "CreateListener", `{"loadBalancerArn":"arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/web/50dc6c495c0c9188","port":443}`, `{"listeners":[{"listenerArn":"arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2"}]}`, "arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2", nil},
	{"aws_cloudtrail", "AWS::CloudTrail::Trail", "cloudtrail.amazonaws.com", "StopLogging", `{"name":"org-trail"}`, "", "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org-trail", []string{"enable_logging"}},
	{"aws_cloudwatch_log_group", "AWS::Logs::LogGroup", "logs.amazonaws.com", "PutRetentionPolicy", `{"logGroupName":"/app/web","retentionInDays":1}`, "", "arn:aws:logs:eu-west-1:111122223333:log-group:/app/web", []string{"retention_in_days"}},
	{"aws_sns_topic", "AWS::SNS::Topic", "sns.amazonaws.com", "SetTopicAttributes", `{"topicArn":"arn:aws:sns:eu-west-1:111122223333:alerts","attributeName":"Policy","attributeValue":"{}"}`, "", "arn:aws:sns:eu-west-1:111122223333:alerts", []string{"policy"}},
	{"aws_sqs_queue", "AWS::SQS::Queue", "sqs.amazonaws.com", "SetQueueAttributes", `{"queueUrl":"https://sqs.eu-west-1.amazonaws.com/111122223333/jobs","attributes":{"VisibilityTimeout":"60"}}`, "", "arn:aws:sqs:eu-west-1:111122223333:jobs", []string{"visibility_timeout_seconds"}},
	{"aws_dynamodb_table", "AWS::DynamoDB::Table", "dynamodb.amazonaws.com", "UpdateContinuousBackups", `{"tableName":"orders"}`, "", "arn:aws:dynamodb:eu-west-1:111122223333:table/orders", []string{"point_in_time_recovery"}},
	{"aws_route53_record", "AWS::Route53::RecordSet", "route53.amazonaws.com", "ChangeResourceRecordSets", `{"hostedZoneId":"Z0123456789","changeBatch":{"changes":[{"action":"UPSERT","resourceRecordSet":{"name":"WWW.example.com.","type":"A","tTL":300}}]}}`, "", "aws/aws_route53_record/Z0123456789_www.example.com_A", []string{"records", "ttl", "alias"}},
	{"aws_secretsmanager_secret", "AWS::SecretsManager::Secret", "secretsmanager.amazonaws.com", "CreateSecret", `{"name":"db-password","clientRequestToken":"x"}`, `{"arn":"arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-password-AbCdEf","name":"db-password"}`, "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-password-AbCdEf", nil},
}

// TestEveryRow checks each row's primary event against a hand-written
// canonical id, and its Terraform <-> Config mapping.
func TestEveryRow(t *testing.T) {
	cases := everyRow
	covered := map[string]bool{}
	for _, c := range cases {
		t.Run(c.tf, func(t *testing.T) {
			covered[c.tf] = true
			typ, ok := ByTerraform(c.tf)
			require.True(t, ok)
			require.Equal(t, c.config, typ.Config)
			require.Equal(t, c.config, ConfigType(c.tf))
			if c.config != "" {
				back, ok := ByConfig(c.config)
				require.True(t, ok)
				require.Equal(t, c.tf, back.Terraform)
				require.Equal(t, c.tf, TerraformType(c.config))
			}
			require.Equal(t, c.source, typ.EventSource)
			refs := EventResources(record(t, c.source, c.event, c.req, c.resp))
			var got *ResourceRef
			for i := range refs {
				if refs[i].TerraformType == c.tf {
					got = &refs[i]
					break
				}
			}
			require.NotNil(t, got, "no %s ref in %+v", c.tf, refs)
			require.Equal(t, c.wantID, got.ID)
			if c.wantAttrs != nil {
				require.ElementsMatch(t, c.wantAttrs, got.Attributes)
			}
		})
	}
	for _, typ := range Types {
		require.True(t, covered[typ.Terraform], "row %s has no test case", typ.Terraform)
	}
	require.GreaterOrEqual(t, len(Types), 30)
}

// TestResourceIDMatchesEvents checks that the id derived from a Terraform
// resource's attributes equals the id derived from an event, for both ARN
// rows (through model.Identity) and key rows (through ResourceID).
func TestResourceIDMatchesEvents(t *testing.T) {
	sg := model.Identity("aws", "aws_security_group", map[string]any{"id": "sg-0abc", "arn": "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0abc"})
	refs := EventResources(record(t, "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-0abc"}`, ""))
	require.Equal(t, sg.ID, refs[0].ID)
	require.Equal(t, []string{"ingress"}, refs[0].Attributes)

	rule, _ := ByTerraform("aws_security_group_rule")
	require.Equal(t, "aws/aws_security_group_rule/sg-0abc/ingress", rule.ResourceID(map[string]any{"id": "sgrule-123", "security_group_id": "sg-0abc", "type": "ingress"}, "", ""))
	att, _ := ByTerraform("aws_iam_role_policy_attachment")
	require.Equal(t, "aws/aws_iam_role_policy_attachment/deployer/arn:aws:iam::aws:policy/AdministratorAccess",
		att.ResourceID(map[string]any{"id": "deployer-2024", "role": "deployer", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}, "", ""))
	rec, _ := ByTerraform("aws_route53_record")
	require.Equal(t, "aws/aws_route53_record/Z0123456789_www.example.com_A", rec.ResourceID(map[string]any{"zone_id": "Z0123456789", "name": "www.example.com", "type": "A"}, "", ""))
	role, _ := ByTerraform("aws_iam_role")
	require.Equal(t, "arn:aws:iam::111122223333:role/x", role.ResourceID(map[string]any{"name": "x"}, "", "111122223333"))
	require.Equal(t, "", role.ResourceID(map[string]any{}, "", "111122223333"), "no id attributes -> no id")
	// Partition follows the region.
	cn := record(t, "ec2.amazonaws.com", "DeleteVpc", `{"vpcId":"vpc-1"}`, "")
	cn.Region = "cn-north-1"
	require.Equal(t, "arn:aws-cn:ec2:cn-north-1:111122223333:vpc/vpc-1", EventResources(cn)[0].ID)
}

func TestEventResourcesDetails(t *testing.T) {
	t.Run("modify instance attribute depends on request", func(t *testing.T) {
		refs := EventResources(record(t, "ec2.amazonaws.com", "ModifyInstanceAttribute", `{"instanceId":"i-1","instanceType":{"value":"m5.large"}}`, ""))
		require.Equal(t, "arn:aws:ec2:eu-west-1:111122223333:instance/i-1", refs[0].ID)
		require.Equal(t, []string{"instance_type"}, refs[0].Attributes)
		refs = EventResources(record(t, "ec2.amazonaws.com", "ModifyInstanceAttribute", `{"instanceId":"i-1","groupSet":{"items":[{"groupId":"sg-1"}]}}`, ""))
		require.Equal(t, []string{"vpc_security_group_ids"}, refs[0].Attributes)
	})
	t.Run("network acl egress entry", func(t *testing.T) {
		refs := EventResources(record(t, "ec2.amazonaws.com", "ReplaceNetworkAclEntry", `{"networkAclId":"acl-1","egress":true}`, ""))
		require.Equal(t, []string{"egress"}, refs[0].Attributes)
	})
	t.Run("terminate many instances", func(t *testing.T) {
		refs := EventResources(record(t, "ec2.amazonaws.com", "TerminateInstances", `{"instancesSet":{"items":[{"instanceId":"i-1"},{"instanceId":"i-2"}]}}`, ""))
		require.Len(t, refs, 2)
		require.Equal(t, ChangeDelete, refs[1].Change)
	})
	t.Run("create tags types ids by prefix", func(t *testing.T) {
		refs := EventResources(record(t, "ec2.amazonaws.com", "CreateTags", `{"resourcesSet":{"items":[{"resourceId":"sg-1"},{"resourceId":"vol-2"},{"resourceId":"ami-3"}]}}`, ""))
		require.Len(t, refs, 2)
		require.Equal(t, "aws_security_group", refs[0].TerraformType)
		require.Equal(t, "aws_ebs_volume", refs[1].TerraformType)
		require.Equal(t, []string{"tags"}, refs[1].Attributes)
	})
	t.Run("unknown source yields generic ARNs, typed when known", func(t *testing.T) {
		r := record(t, "bedrock.amazonaws.com", "PutModelInvocationLoggingConfiguration",
			`{"loggingConfig":{"cloudWatchConfig":{"roleArn":"arn:aws:iam::111122223333:role/log","logGroupName":"x"}}}`,
			`{"thing":"arn:aws:bedrock:eu-west-1:111122223333:model/x"}`)
		r.Resources = []RecordResource{{ARN: "arn:aws:logs:eu-west-1:111122223333:log-group:/b:*"}}
		refs := EventResources(r)
		require.Equal(t, []ResourceRef{
			{TerraformType: "aws_cloudwatch_log_group", ID: "arn:aws:logs:eu-west-1:111122223333:log-group:/b"},
			{ID: "arn:aws:bedrock:eu-west-1:111122223333:model/x"},
			{TerraformType: "aws_iam_role", ID: "arn:aws:iam::111122223333:role/log"},
		}, refs)
	})
	t.Run("kms key by ARN in resources when keyId is an alias", func(t *testing.T) {
		r := record(t, "kms.amazonaws.com", "ScheduleKeyDeletion", `{"keyId":"arn:aws:kms:eu-west-1:111122223333:key/k-1","pendingWindowInDays":7}`, "")
		refs := EventResources(r)
		require.Equal(t, "arn:aws:kms:eu-west-1:111122223333:key/k-1", refs[0].ID)
		require.Equal(t, ChangeDelete, refs[0].Change)
	})
	t.Run("sqs create by name", func(t *testing.T) {
		refs := EventResources(record(t, "sqs.amazonaws.com", "CreateQueue", `{"queueName":"jobs"}`, `{"queueUrl":"https://sqs.eu-west-1.amazonaws.com/111122223333/jobs"}`))
		require.Equal(t, "arn:aws:sqs:eu-west-1:111122223333:jobs", refs[0].ID)
	})
	t.Run("secret by name matches full ARN", func(t *testing.T) {
		refs := EventResources(record(t, "secretsmanager.amazonaws.com", "PutResourcePolicy", `{"secretId":"db-password"}`, ""))
		require.True(t, SecretNameARN(refs[0].ID, "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-password-AbCdEf"))
		require.False(t, SecretNameARN(refs[0].ID, "arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-password-other-AbCdEf"))
	})
	t.Run("missing ids yield nothing, never a panic", func(t *testing.T) {
		require.Empty(t, EventResources(record(t, "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupName":"default"}`, "")))
		require.Empty(t, EventResources(&Record{EventSource: "s3.amazonaws.com", EventName: "PutBucketPolicy"}))
		require.Empty(t, EventResources(record(t, "route53.amazonaws.com", "ChangeResourceRecordSets", `{"changeBatch":{}}`, "")))
	})
	t.Run("lambda version suffix", func(t *testing.T) {
		require.Equal(t, "UpdateFunctionCode", NormalizeEventName("UpdateFunctionCode20150331v2"))
		require.Equal(t, "CreateFunction", NormalizeEventName("CreateFunction20150331"))
		require.Equal(t, "PutBucketPolicy", NormalizeEventName("PutBucketPolicy"))
		require.Equal(t, "CreateVpc", NormalizeEventName("CreateVpc"))
	})
}

// TestARNsInJSON checks the byte scanner against the map walk it replaces:
// same ARNs for the same document, keys never taken.
func TestARNsInJSON(t *testing.T) {
	cases := []struct {
		name, doc string
		want      []string
	}{
		{"nested values", `{"a":"arn:aws:s3:::b","x":{"y":["arn:aws:iam::1:role/r",{"z":"arn:aws:sns:eu-west-1:1:t"}]}}`,
			[]string{"arn:aws:iam::1:role/r", "arn:aws:s3:::b", "arn:aws:sns:eu-west-1:1:t"}},
		{"key is not a value", `{"arn:aws:s3:::k" : "v", "m": {"arn:aws:iam::1:role/x":1}}`, nil},
		{"too few colons", `{"a":"arn:aws:s3","b":"arn:"}`, nil},
		{"quoted inside a string", `{"a":"see \"arn:aws:s3:::b\" here"}`, nil},
		{"escaped arn", `{"a":"arn:aws:logs:eu-west-1:1:log-group:\/aws\/x:*","b":"\u0061rn:aws:s3:::c"}`,
			[]string{"arn:aws:logs:eu-west-1:1:log-group:/aws/x:*", "arn:aws:s3:::c"}},
		{"not an arn prefix", `{"a":"xarn:aws:s3:::b","b":5,"c":null}`, nil},
		{"empty", `{}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ARNsInJSON([]byte(tc.doc), nil)
			sort.Strings(got)
			require.Equal(t, tc.want, got)
			var m any
			require.NoError(t, json.Unmarshal([]byte(tc.doc), &m))
			var walked []string
			oldWalkARNs(m, func(s string) { walked = append(walked, s) })
			sort.Strings(walked)
			require.Equal(t, walked, got, "same as the map walk")
		})
	}
}

// TestEventResourcesARNsFromBytes checks that the ARNs EventResources finds
// in the bytes of requestParameters and responseElements are those the walk
// of the decoded maps found (the old path, in mapref_test.go).
func TestEventResourcesARNsFromBytes(t *testing.T) {
	cases := []struct{ source, name, req, resp string }{
		{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-1"}`, `{"securityGroupRuleSet":{"items":[{"securityGroupRuleId":"sgr-1"}]}}`},
		{"iam.amazonaws.com", "AttachRolePolicy", `{"roleName":"r","policyArn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}`, `null`},
		{"lambda.amazonaws.com", "CreateFunction20150331", `{"functionName":"f","role":"arn:aws:iam::111122223333:role/x"}`, `{"functionArn":"arn:aws:lambda:eu-west-1:111122223333:function:f"}`},
		{"kms.amazonaws.com", "CreateKey", `{}`, `{"keyMetadata":{"keyId":"k1","arn":"arn:aws:kms:eu-west-1:111122223333:key/k1"}}`},
		{"example.amazonaws.com", "DoThing", `{"target":"arn:aws:example:eu-west-1:1:thing/t"}`, `{"made":"arn:aws:example:eu-west-1:1:thing/u"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			full := oldRecordOf(t, record(t, tc.source, tc.name, tc.req, tc.resp), false)
			want := oldEventResources(full)
			got := EventResources(record(t, tc.source, tc.name, tc.req, tc.resp))
			require.Equal(t, want, got)
			require.NotEmpty(t, want)
		})
	}
	require.True(t, UsesResponseElements("kms.amazonaws.com", "CreateKey"))
	require.False(t, UsesResponseElements("iam.amazonaws.com", "AttachRolePolicy"))
}
