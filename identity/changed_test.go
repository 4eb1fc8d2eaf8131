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
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, ChangedAttributes(c.ev, c.tfType))
		})
	}
}
