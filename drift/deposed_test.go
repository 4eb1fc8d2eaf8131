package drift

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/collectors/tfstate"
	"github.com/driftwarden/driftwarden/model"
)

// A Terraform 1.x state after a create_before_destroy replacement of a
// security group whose destroy failed: the new group (current) and the old
// one (deposed "1a2b3c4d"), which still exists and which the next apply
// destroys.
const deposedSGState = `{
  "version": 4,
  "terraform_version": "1.9.5",
  "serial": 31,
  "lineage": "5f0c2d1e-8a3b-4c7d-9e6f-1a2b3c4d5e6f",
  "outputs": {},
  "resources": [
    {
      "mode": "managed",
      "type": "aws_security_group",
      "name": "web",
      "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
      "instances": [
        {
          "schema_version": 1,
          "attributes": {
            "arn": "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0a1b2c3d4e5f60718",
            "description": "web tier",
            "id": "sg-0a1b2c3d4e5f60718",
            "ingress": [{"cidr_blocks": ["10.0.0.0/16"], "description": "https", "from_port": 443, "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "tcp", "security_groups": [], "self": false, "to_port": 443}],
            "name": "web-20240611093012345600000002",
            "owner_id": "111122223333",
            "tags": {"Name": "web"},
            "tags_all": {"Name": "web"},
            "vpc_id": "vpc-0c1d2e3f4a5b6c7d8"
          },
          "sensitive_attributes": [],
          "dependencies": ["aws_vpc.main"],
          "create_before_destroy": true
        },
        {
          "deposed": "1a2b3c4d",
          "schema_version": 1,
          "attributes": {
            "arn": "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0f9e8d7c6b5a49382",
            "description": "web tier",
            "id": "sg-0f9e8d7c6b5a49382",
            "ingress": [{"cidr_blocks": ["0.0.0.0/0"], "description": "http", "from_port": 80, "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "tcp", "security_groups": [], "self": false, "to_port": 80}],
            "name": "web-20240301120000000000000001",
            "owner_id": "111122223333",
            "tags": {"Name": "web"},
            "tags_all": {"Name": "web"},
            "vpc_id": "vpc-0c1d2e3f4a5b6c7d8"
          },
          "sensitive_attributes": [],
          "dependencies": ["aws_vpc.main"],
          "create_before_destroy": true
        }
      ]
    }
  ]
}`

// sgLive is a security group as an inventory (AWS Config) lists it: its ARN
// as identity, its attributes in Terraform form.
func sgLive(id, name string, ingress []any) collectors.LiveResource {
	return collectors.LiveResource{Resource: model.Resource{
		ID:       "arn:aws:ec2:eu-west-1:111122223333:security-group/" + id,
		Type:     "aws_security_group",
		Provider: "aws",
		NativeID: id,
		Account:  "111122223333",
		Region:   "eu-west-1",
		Tags:     map[string]string{"Name": "web"},
		Attributes: map[string]any{
			"arn":         "arn:aws:ec2:eu-west-1:111122223333:security-group/" + id,
			"description": "web tier", "id": id, "ingress": ingress, "name": name,
			"owner_id": "111122223333", "tags": map[string]any{"Name": "web"},
			"tags_all": map[string]any{"Name": "web"}, "vpc_id": "vpc-0c1d2e3f4a5b6c7d8",
		},
	}}
}

func rule(cidr, desc string, port float64) []any {
	return []any{map[string]any{"cidr_blocks": []any{cidr}, "description": desc, "from_port": port, "ipv6_cidr_blocks": []any{},
		"prefix_list_ids": []any{}, "protocol": "tcp", "security_groups": []any{}, "self": false, "to_port": port}}
}

func decodeState(t *testing.T, doc, name string) collectors.Stack {
	t.Helper()
	st, err := tfstate.Decode(strings.NewReader(doc), tfstate.DecodeOptions{Source: "state", Location: name + ".tfstate", Stack: name})
	require.NoError(t, err)
	return *st
}

func TestDeposedObjectIsNeitherUnmanagedNorMissing(t *testing.T) {
	const newSG, oldSG = "sg-0a1b2c3d4e5f60718", "sg-0f9e8d7c6b5a49382"
	newName, oldName := "web-20240611093012345600000002", "web-20240301120000000000000001"
	covers := []string{"aws_security_group"}
	st := decodeState(t, deposedSGState, "net")
	require.Len(t, st.Deposed, 1)

	t.Run("both live, the current one changed and the old one differing from its record", func(t *testing.T) {
		// Someone opened the new group by hand; the old group differs from
		// its deposed record too (its rules were stripped while trying to
		// delete it): only the current object's drift counts.
		cfg := inventory("config", covers,
			sgLive(newSG, newName, append(rule("10.0.0.0/16", "https", 443), rule("0.0.0.0/0", "ssh", 22)...)),
			sgLive(oldSG, oldName, []any{}))
		r := Compare([]collectors.Stack{st}, []collectors.Inventory{cfg}, testOpts(DefaultOptions()))
		require.Len(t, r.Drifts, 1, "%+v", r.Drifts)
		d := r.Drifts[0]
		require.Equal(t, model.DriftChanged, d.Kind)
		require.Equal(t, "arn:aws:ec2:eu-west-1:111122223333:security-group/"+newSG, d.Resource.ID)
		require.Equal(t, "aws_security_group.web", d.Resource.Address)
		require.Equal(t, []string{"ingress"}, paths(d.Diffs))
		require.Zero(t, r.Unmanaged, "the deposed group is known to the state: not unmanaged")
		require.Equal(t, StackCounts{Resources: 1, Observed: 1, Changed: 1, Deposed: 1}, r.Stacks["net"])
		requireDeposedNote(t, r.Warnings, oldSG)
	})

	t.Run("both live and in sync", func(t *testing.T) {
		cfg := inventory("config", covers,
			sgLive(newSG, newName, rule("10.0.0.0/16", "https", 443)),
			sgLive(oldSG, oldName, rule("0.0.0.0/0", "http", 80)))
		r := Compare([]collectors.Stack{st}, []collectors.Inventory{cfg}, testOpts(DefaultOptions()))
		require.Empty(t, r.Drifts)
		require.Equal(t, StackCounts{Resources: 1, Observed: 1, Deposed: 1}, r.Stacks["net"])
	})

	t.Run("the old group is gone: not missing", func(t *testing.T) {
		// A later destroy succeeded outside this state's knowledge (or the
		// state was read before the apply wrote its final snapshot).
		cfg := inventory("config", covers, sgLive(newSG, newName, rule("10.0.0.0/16", "https", 443)))
		r := Compare([]collectors.Stack{st}, []collectors.Inventory{cfg}, testOpts(DefaultOptions()))
		require.Empty(t, r.Drifts)
	})

	t.Run("the old group marked gone by a source: not missing", func(t *testing.T) {
		gone := sgLive(oldSG, oldName, nil)
		gone.Gone = true
		cfg := inventory("config", covers, sgLive(newSG, newName, rule("10.0.0.0/16", "https", 443)), gone)
		r := Compare([]collectors.Stack{st}, []collectors.Inventory{cfg}, testOpts(DefaultOptions()))
		require.Empty(t, r.Drifts)
	})

	t.Run("the current group is gone: still missing", func(t *testing.T) {
		cfg := inventory("config", covers, sgLive(oldSG, oldName, rule("0.0.0.0/0", "http", 80)))
		r := Compare([]collectors.Stack{st}, []collectors.Inventory{cfg}, testOpts(DefaultOptions()))
		require.Len(t, r.Drifts, 1)
		require.Equal(t, model.DriftMissing, r.Drifts[0].Kind)
		require.Equal(t, "arn:aws:ec2:eu-west-1:111122223333:security-group/"+newSG, r.Drifts[0].Resource.ID)
		require.Zero(t, r.Unmanaged)
	})

	t.Run("matched by type and native id when the inventory has no ARN", func(t *testing.T) {
		old := sgLive(oldSG, oldName, []any{})
		old.ID = model.CanonicalID("aws", "aws_security_group", oldSG)
		cfg := inventory("config", covers, sgLive(newSG, newName, rule("10.0.0.0/16", "https", 443)), old)
		r := Compare([]collectors.Stack{st}, []collectors.Inventory{cfg}, testOpts(DefaultOptions()))
		require.Empty(t, r.Drifts)
	})

	t.Run("a plan's drift for the address is the current object's", func(t *testing.T) {
		// A refresh-only plan names the instance by address: that is the
		// current object, never the deposed one.
		p := sgLive(newSG, newName, rule("0.0.0.0/0", "https", 443))
		p.Stack, p.Address, p.ID = "net", "aws_security_group.web", ""
		r := Compare([]collectors.Stack{st}, []collectors.Inventory{inventory("plan", nil, p)}, testOpts(DefaultOptions()))
		require.Len(t, r.Drifts, 1)
		require.Equal(t, model.DriftChanged, r.Drifts[0].Kind)
		require.Equal(t, "arn:aws:ec2:eu-west-1:111122223333:security-group/"+newSG, r.Drifts[0].Resource.ID)
		require.Equal(t, []string{"ingress[0].cidr_blocks[0]"}, paths(r.Drifts[0].Diffs))
	})

	t.Run("a group unknown to every state is still unmanaged", func(t *testing.T) {
		cfg := inventory("config", covers,
			sgLive(newSG, newName, rule("10.0.0.0/16", "https", 443)),
			sgLive("sg-0123456789abcdef0", "handmade", []any{}))
		r := Compare([]collectors.Stack{st}, []collectors.Inventory{cfg}, testOpts(DefaultOptions()))
		require.Len(t, r.Drifts, 1)
		require.Equal(t, model.DriftUnmanaged, r.Drifts[0].Kind)
		require.Equal(t, "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0123456789abcdef0", r.Drifts[0].Resource.ID)
	})
}

func TestOnlyDeposedObject(t *testing.T) {
	// The instance's replacement failed on both ends: no current object,
	// only the deposed old group, which still exists.
	// Keep only the deposed object: drop the first (current) instance.
	start := strings.Index(deposedSGState, `        {
          "schema_version": 1,`)
	end := strings.Index(deposedSGState, `        {
          "deposed": "1a2b3c4d",`)
	require.True(t, start > 0 && end > start)
	doc := deposedSGState[:start] + deposedSGState[end:]
	st := decodeState(t, doc, "net")
	require.Empty(t, st.Resources)
	require.Len(t, st.Deposed, 1)

	const oldSG = "sg-0f9e8d7c6b5a49382"
	covers := []string{"aws_security_group"}
	for _, tc := range []struct {
		name string
		inv  collectors.Inventory
	}{
		{"live", inventory("config", covers, sgLive(oldSG, "web-20240301120000000000000001", []any{}))},
		{"gone", inventory("config", covers)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Compare([]collectors.Stack{st}, []collectors.Inventory{tc.inv}, testOpts(DefaultOptions()))
			require.Empty(t, r.Drifts)
			require.Equal(t, StackCounts{Deposed: 1}, r.Stacks["net"])
			requireDeposedNote(t, r.Warnings, oldSG)
		})
	}
}

// requireDeposedNote checks that the user is told about the deposed object.
func requireDeposedNote(t *testing.T, warnings []string, nativeID string) {
	t.Helper()
	require.Len(t, warnings, 1)
	w := warnings[0]
	require.Contains(t, w, "stack net: 1 deposed object")
	require.Contains(t, w, "aws_security_group.web (deposed object 1a2b3c4d, id "+nativeID+")")
	require.Contains(t, w, "not reported as unmanaged, missing or changed")
}
