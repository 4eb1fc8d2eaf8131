package identity

import (
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
