package tfstate

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
)

// cbdFailedDestroyState is what Terraform 1.x leaves after a
// create_before_destroy replacement of a security group whose destroy
// failed (DependencyViolation: an ENI still uses the old group): the new
// group is the current object, the old one stays as a deposed object after
// it, until an apply manages to destroy it.
const cbdFailedDestroyState = `{
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
            "egress": [{"cidr_blocks": ["0.0.0.0/0"], "description": "", "from_port": 0, "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "-1", "security_groups": [], "self": false, "to_port": 0}],
            "id": "sg-0a1b2c3d4e5f60718",
            "ingress": [{"cidr_blocks": ["10.0.0.0/16"], "description": "https", "from_port": 443, "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "tcp", "security_groups": [], "self": false, "to_port": 443}],
            "name": "web-20240611093012345600000002",
            "name_prefix": "web-",
            "owner_id": "111122223333",
            "revoke_rules_on_delete": false,
            "tags": {"Name": "web"},
            "tags_all": {"Name": "web", "env": "prod"},
            "timeouts": null,
            "vpc_id": "vpc-0c1d2e3f4a5b6c7d8"
          },
          "sensitive_attributes": [],
          "private": "eyJlMmJmYjczMC1lY2FhLTExZTYtOGY4OC0zNDM2M2JjN2M0YzAiOnsiY3JlYXRlIjo2MDAwMDAwMDAwMDAsImRlbGV0ZSI6OTAwMDAwMDAwMDAwfSwic2NoZW1hX3ZlcnNpb24iOiIxIn0=",
          "dependencies": ["aws_vpc.main"],
          "create_before_destroy": true
        },
        {
          "deposed": "1a2b3c4d",
          "schema_version": 1,
          "attributes": {
            "arn": "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0f9e8d7c6b5a49382",
            "description": "web tier",
            "egress": [{"cidr_blocks": ["0.0.0.0/0"], "description": "", "from_port": 0, "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "-1", "security_groups": [], "self": false, "to_port": 0}],
            "id": "sg-0f9e8d7c6b5a49382",
            "ingress": [{"cidr_blocks": ["0.0.0.0/0"], "description": "http", "from_port": 80, "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "tcp", "security_groups": [], "self": false, "to_port": 80}],
            "name": "web-20240301120000000000000001",
            "name_prefix": "web-",
            "owner_id": "111122223333",
            "revoke_rules_on_delete": false,
            "tags": {"Name": "web"},
            "tags_all": {"Name": "web", "env": "prod"},
            "timeouts": null,
            "vpc_id": "vpc-0c1d2e3f4a5b6c7d8"
          },
          "sensitive_attributes": [],
          "private": "eyJlMmJmYjczMC1lY2FhLTExZTYtOGY4OC0zNDM2M2JjN2M0YzAiOnsiY3JlYXRlIjo2MDAwMDAwMDAwMDAsImRlbGV0ZSI6OTAwMDAwMDAwMDAwfSwic2NoZW1hX3ZlcnNpb24iOiIxIn0=",
          "dependencies": ["aws_vpc.main"],
          "create_before_destroy": true
        }
      ]
    }
  ],
  "check_results": null
}`

// onlyDeposedState has an instance whose replacement failed on both ends:
// the create of the new object failed after the old one was deposed, and
// the old one could not be destroyed, so only the deposed object is left.
// It also carries a deposed object's sensitive attribute.
const onlyDeposedState = `{
  "version": 4,
  "terraform_version": "1.7.4",
  "serial": 8,
  "lineage": "0e7b9a51-3c2d-4f10-8a6b-5d4c3b2a1f00",
  "outputs": {},
  "resources": [
    {
      "module": "module.edge",
      "mode": "managed",
      "type": "aws_security_group",
      "name": "lb",
      "each": "map",
      "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
      "instances": [
        {
          "index_key": "public",
          "deposed": "00c0ffee",
          "schema_version": 1,
          "attributes": {
            "arn": "arn:aws:ec2:us-east-1:444455556666:security-group/sg-06a7b8c9d0e1f2a3b",
            "description": "public load balancer",
            "egress": [],
            "id": "sg-06a7b8c9d0e1f2a3b",
            "ingress": [],
            "name": "lb-public",
            "name_prefix": "",
            "owner_id": "444455556666",
            "revoke_rules_on_delete": false,
            "tags": {},
            "tags_all": {"team": "edge"},
            "timeouts": null,
            "vpc_id": "vpc-0123456789abcdef0"
          },
          "sensitive_attributes": [[{"type": "get_attr", "value": "description"}]],
          "create_before_destroy": true
        }
      ]
    }
  ],
  "check_results": null
}`

func TestDecodeDeposedObjects(t *testing.T) {
	st, err := Decode(strings.NewReader(cbdFailedDestroyState), DecodeOptions{Source: "src", Location: "net.tfstate", Stack: "net"})
	require.NoError(t, err)

	// Resources hold what each address names: the current object only.
	require.Len(t, st.Resources, 1)
	cur := st.Resources[0]
	require.Equal(t, "aws_security_group.web", cur.Address)
	require.Equal(t, "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0a1b2c3d4e5f60718", cur.ID)

	// The deposed object is kept apart, its identity read from its own
	// attributes like any object's, so it matches an inventory's record of
	// the old group.
	require.Len(t, st.Deposed, 1)
	old := st.Deposed[0]
	require.Equal(t, "1a2b3c4d", old.Key)
	require.Equal(t, "aws_security_group.web", old.Address, "the instance's address, shared with its current object")
	require.Equal(t, "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0f9e8d7c6b5a49382", old.ID)
	require.Equal(t, "sg-0f9e8d7c6b5a49382", old.NativeID)
	require.Equal(t, "aws_security_group", old.Type)
	require.Equal(t, "aws", old.Provider)
	require.Equal(t, "111122223333", old.Account)
	require.Equal(t, "eu-west-1", old.Region)
	require.Equal(t, map[string]string{"Name": "web", "env": "prod"}, old.Tags)
	require.Equal(t, "net", old.Stack)
	require.Equal(t, "src", old.Source)
	a := attrs(t, old.Resource)
	require.Equal(t, "web-20240301120000000000000001", a["name"])
}

func TestDecodeOnlyDeposedObject(t *testing.T) {
	st, err := Decode(strings.NewReader(onlyDeposedState), DecodeOptions{Source: "src", Location: "edge.tfstate", Stack: "edge"})
	require.NoError(t, err)
	require.Empty(t, st.Resources, "no current object: the address names nothing")
	require.Len(t, st.Deposed, 1)
	old := st.Deposed[0]
	require.Equal(t, "00c0ffee", old.Key)
	require.Equal(t, `module.edge.aws_security_group.lb["public"]`, old.Address)
	require.Equal(t, "arn:aws:ec2:us-east-1:444455556666:security-group/sg-06a7b8c9d0e1f2a3b", old.ID)
	require.Equal(t, "444455556666", old.Account)
	require.Equal(t, "us-east-1", old.Region)
	require.Equal(t, []string{"description"}, old.Sensitive, "a deposed object's sensitive paths are kept too")
}

func TestDecodeBadDeposedKey(t *testing.T) {
	doc := strings.Replace(cbdFailedDestroyState, `"deposed": "1a2b3c4d"`, `"deposed": 7`, 1)
	_, err := Decode(strings.NewReader(doc), DecodeOptions{Source: "src", Location: "net.tfstate", Stack: "net"})
	require.Error(t, err)
	var ie *collectors.InputError
	require.True(t, errors.As(err, &ie))
	require.Equal(t, "net.tfstate", ie.Location)
	require.Contains(t, ie.Place, "resources[0].instances[1] (aws_security_group.web)")
	require.Contains(t, err.Error(), "deposed: expected a string")
}

// TestDecodeBadDeposedObjectCostsOnlyIt: a deposed object whose
// sensitive_attributes or attributes_flat cannot be read is skipped with a
// warning naming it; the rest of the state loads.
func TestDecodeBadDeposedObjectCostsOnlyIt(t *testing.T) {
	// Terraform writes the deposed instance last: edit its end.
	last := strings.LastIndex(cbdFailedDestroyState, `"create_before_destroy": true`)
	for name, bad := range map[string]string{
		"sensitive_attributes": `"sensitive_attributes": {"not": "a list"}`,
		"attributes_flat":      `"attributes": null, "attributes_flat": {"id": 5}`,
	} {
		t.Run(name, func(t *testing.T) {
			doc := cbdFailedDestroyState[:last] + bad + ", " + cbdFailedDestroyState[last:]
			var warns []error
			st, err := Decode(strings.NewReader(doc), DecodeOptions{Source: "src", Location: "net.tfstate", Stack: "net", Warn: func(err error) { warns = append(warns, err) }})
			require.NoError(t, err)
			require.Len(t, st.Resources, 1)
			require.Equal(t, "sg-0a1b2c3d4e5f60718", st.Resources[0].NativeID)
			require.Empty(t, st.Deposed)
			require.Len(t, warns, 1)
			var ie *collectors.InputError
			require.ErrorAs(t, warns[0], &ie)
			require.Equal(t, "net.tfstate", ie.Location)
			require.Contains(t, ie.Place, "resources[0].instances[1] (aws_security_group.web) deposed object 1a2b3c4d")
			require.Contains(t, warns[0].Error(), name)
			require.Contains(t, warns[0].Error(), "skipped")
		})
	}
	// The same fault on the current object still fails the state.
	doc := strings.Replace(cbdFailedDestroyState, `"sensitive_attributes": [],`, `"sensitive_attributes": {"not": "a list"},`, 1)
	_, err := Decode(strings.NewReader(doc), DecodeOptions{Source: "src", Location: "net.tfstate", Stack: "net"})
	require.ErrorContains(t, err, "sensitive_attributes")
}

// Through the file source, a skipped deposed object is one error of the
// cycle (every cycle, also when the state is not decoded again), and the
// stack still loads.
func TestFileSourceBadDeposedObjectIsAnError(t *testing.T) {
	last := strings.LastIndex(cbdFailedDestroyState, `"create_before_destroy": true`)
	doc := cbdFailedDestroyState[:last] + `"sensitive_attributes": {"not": "a list"}, ` + cbdFailedDestroyState[last:]
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "net.tfstate"), []byte(doc), 0o644))
	src := NewFileSource("files", FileConfig{Paths: []string{dir}})
	for range 2 {
		stacks, errs := src.States(context.Background())
		require.Len(t, stacks, 1)
		require.Len(t, stacks[0].Resources, 1)
		require.Len(t, errs, 1)
		require.Contains(t, errs[0].Error(), "deposed object skipped")
	}
}

// Through the http backend too, also when the server answers Not Modified.
func TestHTTPSourceBadDeposedObjectIsAnError(t *testing.T) {
	last := strings.LastIndex(cbdFailedDestroyState, `"create_before_destroy": true`)
	doc := cbdFailedDestroyState[:last] + `"sensitive_attributes": {"not": "a list"}, ` + cbdFailedDestroyState[last:]
	b, srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		_, _ = w.Write([]byte(doc))
	})
	src := newTestHTTPSource(srv.URL)
	for range 2 {
		stacks, errs := src.States(context.Background())
		require.Len(t, stacks, 1)
		require.Len(t, stacks[0].Resources, 1)
		require.Len(t, errs, 1)
		require.Contains(t, errs[0].Error(), "deposed object skipped")
	}
	require.EqualValues(t, 2, b.requests.Load())
}
