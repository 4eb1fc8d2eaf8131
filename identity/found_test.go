package identity

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestARNTypeBytes checks the byte typing of generic ARNs against
// classifyARN on the ARNs of every row and on odd shapes.
func TestARNTypeBytes(t *testing.T) {
	arns := []string{
		"arn:aws:s3:::b", "arn:aws:s3:::b/k", "arn:aws:s3:eu-west-1::b", "arn:aws:s3::1:b", "arn:aws:s3:::",
		"arn:aws:iam::1:role/r", "arn:aws:logs:eu-west-1:1:log-group:/a", "arn:aws:sns:eu-west-1:1:t",
		"arn:aws", "arn:aws:s3::", "arn:::::", "arn:a:b:c:d:e:f:g", "arn:aws:ec2:eu-west-1:1:security-group-rule/sgr-1",
		"arn:aws:ec2:eu-west-1:1:security-group/sg-1", "arn:aws:ec2:eu-west-1:1:", "arn:aws:unknown:eu-west-1:1:x/y",
	}
	for _, typ := range Types {
		if typ.ARN != "" {
			arns = append(arns, typ.Canonical("x-1", region, acct, "aws"), typ.Canonical("x/y", "", "", "aws-cn"))
		}
	}
	for _, arn := range arns {
		want := classifyARN(arn).TerraformType
		got := ""
		if typ := arnTypeBytes([]byte(arn)); typ != nil {
			got = typ.Terraform
		}
		require.Equal(t, want, got, arn)
	}
}

// TestEventResourcesManyResources compares the byte path with the
// map-based one where the resources found outgrow the linear search (the
// seen map), with duplicates between the table's ids, resources[] and the
// ARNs of the request and response, and ids longer than the stack buffers.
func TestEventResourcesManyResources(t *testing.T) {
	var items, arns []string
	for i := range 40 {
		items = append(items, fmt.Sprintf(`{"instanceId":"i-%03d"}`, i))
		arns = append(arns, fmt.Sprintf(`"arn:aws:ec2:%s:%s:instance/i-%03d"`, region, acct, i%25))
	}
	long := strings.Repeat("x", 300)
	req := `{"instancesSet":{"items":[` + strings.Join(items, ",") + `]},"arns":[` + strings.Join(arns, ",") + `,"arn:aws:s3:::` + long + `"]}`
	resp := `{"arns":[` + strings.Join(arns[10:], ",") + `,"arn:aws:logs:eu-west-1:1:log-group:/a:*","arn:aws:s3:::` + long + `"]}`
	for _, name := range []string{"TerminateInstances", "RunInstances", "DoThing"} {
		rec := rawRecord("ec2.amazonaws.com", name, req, resp)
		rec.Resources = []RecordResource{
			{ARN: "arn:aws:ec2:" + region + ":" + acct + ":instance/i-001"},
			{ARN: "arn:aws:s3:::" + long},
			{ARN: "arn:aws:logs:eu-west-1:1:log-group:/a:*"},
			{ARN: "arn:aws:logs:eu-west-1:1:log-group:/a"},
			{ARN: "not-an-arn"},
		}
		got := requireSameAsMaps(t, rec, name)
		require.Greater(t, len(got), 16, name)
		// A resource of resources[] that the table finds too keeps the
		// table's type, attributes and change.
		rec.Resources = rec.Resources[:1]
		requireSameAsMaps(t, rec, name+" with one resource")
	}
}

// TestEventResourcesIDsShareNothingMutable checks that the ids of one
// result are not changed by a later call.
func TestEventResourcesIDsShareNothingMutable(t *testing.T) {
	rec := rawRecord("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-1"}`, `{"x":"arn:aws:s3:::b"}`)
	first := EventResources(rec)
	want := fmt.Sprint(first)
	rec2 := rawRecord("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-2"}`, `{"x":"arn:aws:s3:::c"}`)
	EventResources(rec2)
	require.Equal(t, want, fmt.Sprint(first))
}
