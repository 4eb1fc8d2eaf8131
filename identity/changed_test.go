package identity

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
)

func TestChangedAttributes(t *testing.T) {
	cases := []struct {
		name   string
		ev     model.Event
		tfType string
		want   []string
	}{
		{"ingress rule", model.Event{Action: "ec2:AuthorizeSecurityGroupIngress"}, "aws_security_group", []string{"ingress"}},
		{"instance type from the request", model.Event{Action: "ec2:ModifyInstanceAttribute", Request: map[string]any{"instanceId": "i-1", "instanceType": map[string]any{"value": "t3.large"}}}, "aws_instance", []string{"instance_type"}},
		{"instance type from the request bytes", model.Event{Action: "ec2:ModifyInstanceAttribute", RequestJSON: []byte(`{"instanceId":"i-1","instanceType":{"value":"t3.large"}}`)}, "aws_instance", []string{"instance_type"}},
		{"request bytes with escapes", model.Event{Action: "ec2:ModifyInstanceAttribute", RequestJSON: []byte(`{"instanceId":"i-1","user\u0044ata":"x"}`)}, "aws_instance", []string{"user_data"}},
		{"request bytes not an object", model.Event{Action: "ec2:ModifyInstanceAttribute", RequestJSON: []byte(`["instanceType"]`)}, "aws_instance", nil},
		{"malformed request bytes", model.Event{Action: "ec2:ModifyInstanceAttribute", RequestJSON: []byte(`{"instanceType":{"value":"t3.large"},}`)}, "aws_instance", nil},
		{"the decoded request wins over bytes", model.Event{Action: "ec2:ModifyInstanceAttribute", Request: map[string]any{"userData": "x"}, RequestJSON: []byte(`{"instanceType":{}}`)}, "aws_instance", []string{"user_data"}},
		{"network acl entry from the request", model.Event{Action: "ec2:CreateNetworkAclEntry", Request: map[string]any{"networkAclId": "acl-1", "egress": true}}, "aws_network_acl", []string{"egress"}},
		{"network acl entry from the request bytes", model.Event{Action: "ec2:CreateNetworkAclEntry", RequestJSON: []byte(`{"networkAclId":"acl-1","egress":false}`)}, "aws_network_acl", []string{"ingress"}},
		{"queue attributes from the request bytes", model.Event{Action: "sqs:SetQueueAttributes", RequestJSON: []byte(`{"attributes":{"Policy":"{}","DelaySeconds":"5"}}`)}, "aws_sqs_queue", []string{"delay_seconds", "policy"}},
		{"lambda version suffix", model.Event{Action: "lambda:UpdateFunctionConfiguration20150331v2", RequestJSON: []byte(`{"functionName":"f","timeout":3}`)}, "aws_lambda_function", []string{"timeout"}},
		{"bucket policy", model.Event{Action: "s3:PutBucketPolicy"}, "aws_s3_bucket_policy", []string{"policy"}},
		{"unknown action", model.Event{Action: "ec2:DoSomethingNew"}, "aws_security_group", nil},
		{"unknown type", model.Event{Action: "ec2:AuthorizeSecurityGroupIngress"}, "aws_nothing", nil},
		// GCP: "serviceName:methodName" against the GCP table.
		{"gcp method with attributes", model.Event{Action: "compute.googleapis.com:v1.compute.instances.setMachineType"}, "google_compute_instance", []string{"machine_type"}},
		{"gcp labels", model.Event{Action: "compute.googleapis.com:compute.disks.setLabels"}, "google_compute_disk", []string{"labels"}},
		{"gcp patch from the request body", model.Event{Action: "compute.googleapis.com:v1.compute.firewalls.patch",
			Request: map[string]any{"@type": "type.googleapis.com/compute.firewalls.patch", "name": "allow-https",
				"alloweds": []any{map[string]any{"IPProtocol": "tcp", "ports": []any{"22", "443"}}}, "sourceRanges": []any{"0.0.0.0/0"},
				"@operation": map[string]any{"id": "operation-1", "last": true}}},
			"google_compute_firewall", []string{"allow", "source_ranges"}},
		{"gcp patch from the update mask", model.Event{Action: "pubsub.googleapis.com:google.pubsub.v1.Publisher.UpdateTopic",
			Request: map[string]any{"topic": map[string]any{"name": "projects/p/topics/t"}, "updateMask": "labels,messageRetentionDuration"}},
			"google_pubsub_topic", []string{"labels", "message_retention_duration"}},
		{"gcp patch from the request bytes", model.Event{Action: "compute.googleapis.com:v1.compute.firewalls.patch",
			RequestJSON: []byte(`{"@type":"type.googleapis.com/compute.firewalls.patch","name":"allow-https","alloweds":[{"IPProtocol":"tcp"}],"sourceRanges":["0.0.0.0/0"]}`)},
			"google_compute_firewall", []string{"allow", "source_ranges"}},
		{"gcp update without a request is unknown", model.Event{Action: "storage.googleapis.com:storage.buckets.update"}, "google_storage_bucket", nil},
		{"gcp set IAM on a binding", model.Event{Action: "storage.googleapis.com:storage.setIamPermissions"}, "google_storage_bucket_iam_binding", []string{"members"}},
		{"gcp set IAM on a policy", model.Event{Action: "cloudresourcemanager.googleapis.com:SetIamPolicy"}, "google_project_iam_policy", []string{"policy_data"}},
		{"gcp create names no attribute", model.Event{Action: "compute.googleapis.com:v1.compute.firewalls.insert"}, "google_compute_firewall", nil},
		{"gcp method of another resource", model.Event{Action: "compute.googleapis.com:v1.compute.instances.setMachineType"}, "google_compute_disk", nil},
		{"gcp action without a service", model.Event{Action: "compute.firewalls.patch"}, "google_compute_firewall", nil},
		{"aws action on a google type", model.Event{Action: "ec2:AuthorizeSecurityGroupIngress"}, "google_compute_firewall", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, ChangedAttributes(c.ev, c.tfType))
		})
	}
}

// TestChangedAttributesMapOrBytes checks that a request given decoded
// (Request) or as bytes (RequestJSON) gives the same attributes, those the
// map-based requestAttributes gave.
func TestChangedAttributesMapOrBytes(t *testing.T) {
	requests := []string{
		`{"instanceId":"i-1","instanceType":{"value":"t3.large"}}`,
		`{"instanceId":"i-1","attribute":"disableApiTermination","value":"true"}`,
		`{"ModifyInstanceAttributeRequest":{"InstanceId":"i-1","groupSet":{"items":[]}}}`,
		`{"dBInstanceIdentifier":"db","allocatedStorage":100,"multiAZ":true,"masterUserPassword":"(sensitive)"}`,
		`{"networkAclId":"acl-1","egress":true}`,
		`{"topicArn":"arn:aws:sns:eu-west-1:1:t","attributeName":"Policy","attributeValue":"{}"}`,
		`{"queueUrl":"https://q/1/q","attributes":{"VisibilityTimeout":"60","Policy":"<&>"}}`,
		`{"functionName":"f","memorySize":512,"environment":{"variables":{}}}`,
		`{}`,
	}
	actions := map[string]string{
		"ec2:ModifyInstanceAttribute": "aws_instance", "rds:ModifyDBInstance": "aws_db_instance", "ec2:ReplaceNetworkAclEntry": "aws_network_acl",
		"sns:SetTopicAttributes": "aws_sns_topic", "sqs:SetQueueAttributes": "aws_sqs_queue", "lambda:UpdateFunctionConfiguration": "aws_lambda_function",
		"rds:ModifyDBCluster": "aws_rds_cluster", "ec2:ModifyVpcAttribute": "aws_vpc",
	}
	for _, req := range requests {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(req), &m))
		for action, typ := range actions {
			fromMap := ChangedAttributes(model.Event{Action: action, Request: m}, typ)
			fromBytes := ChangedAttributes(model.Event{Action: action, RequestJSON: []byte(req)}, typ)
			require.Equal(t, fromMap, fromBytes, "%s %s", action, req)
			row, _ := ByTerraform(typ)
			for _, r := range row.Events {
				for _, n := range r.Names {
					if strings.HasSuffix(action, ":"+n) && r.ByRequest != nil {
						if want := oldRequestAttributes(r.ByRequest, m); len(want) > 0 {
							require.Equal(t, want, fromBytes, "%s %s", action, req)
						}
					}
				}
			}
		}
	}
}
