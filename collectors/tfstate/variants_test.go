package tfstate

import (
	"encoding/binary"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf16"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/internal/testcorpus"
)

// modernState is a state as Terraform 1.12+ writes it: instance identity
// ("identity", "identity_schema_version"), check_results, a sensitive root
// output, nested module instances, data sources inside modules, count and
// for_each keys that need quoting, a tainted and a deposed object.
const modernState = `{
  "version": 4,
  "terraform_version": "1.12.1",
  "serial": 17,
  "lineage": "9b1f3c0e-5d7a-4c55-9a0e-2f1b7a6c4d21",
  "outputs": {
    "db_password": {"value": "out-secret-7f3a", "type": "string", "sensitive": true},
    "vpc_id": {"value": "vpc-0a1b", "type": "string"}
  },
  "resources": [
    {
      "module": "module.app[\"eu.west\"].module.net",
      "mode": "data",
      "type": "aws_availability_zones",
      "name": "available",
      "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
      "instances": [
        {"schema_version": 0, "attributes": {"id": "eu-west-1", "names": ["eu-west-1a"]}, "sensitive_attributes": []}
      ]
    },
    {
      "module": "module.app[\"eu.west\"].module.net",
      "mode": "managed",
      "type": "aws_s3_bucket",
      "name": "logs",
      "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
      "instances": [
        {
          "schema_version": 0,
          "attributes": {"id": "logs-eu", "arn": "arn:aws:s3:::logs-eu", "bucket": "logs-eu", "region": "eu-west-1", "tags": null, "tags_all": {}},
          "sensitive_attributes": [],
          "identity_schema_version": 0,
          "identity": {"account_id": "111122223333", "bucket": "logs-eu", "region": "eu-west-1"},
          "private": "eyJzY2hlbWFfdmVyc2lvbiI6IjAifQ=="
        }
      ]
    },
    {
      "mode": "managed",
      "type": "aws_ssm_parameter",
      "name": "p",
      "each": "map",
      "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
      "instances": [
        {
          "index_key": "app.db/\"password\"",
          "schema_version": 0,
          "attributes": {"id": "/app/db/password", "arn": "arn:aws:ssm:eu-west-1:111122223333:parameter/app/db/password", "value": "ssm-secret-1", "insecure_value": null, "tags_all": {"env": "prod"}},
          "sensitive_attributes": [[{"type": "get_attr", "value": "value"}]],
          "identity_schema_version": 0,
          "identity": {"account_id": "111122223333", "name": "/app/db/password", "region": "eu-west-1"}
        },
        {
          "index_key": "plain",
          "status": "tainted",
          "schema_version": 0,
          "attributes": {"id": "/app/plain", "arn": "arn:aws:ssm:eu-west-1:111122223333:parameter/app/plain", "value": "v"},
          "sensitive_attributes": [[{"type": "get_attr", "value": "value"}]]
        },
        {
          "index_key": "plain",
          "deposed": "7c1e2f3a",
          "schema_version": 0,
          "attributes": {"id": "/app/plain-old", "arn": "arn:aws:ssm:eu-west-1:111122223333:parameter/app/plain-old", "value": "old"}
        }
      ]
    },
    {
      "mode": "managed",
      "type": "aws_instance",
      "name": "web",
      "each": "list",
      "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
      "instances": [
        {"index_key": 0, "schema_version": 1, "attributes": {"id": "i-0", "arn": "arn:aws:ec2:eu-west-1:111122223333:instance/i-0", "user_data": "c2VjcmV0", "root_block_device": [{"tags": {"k": "v"}}]},
         "sensitive_attributes": [[{"type": "get_attr", "value": "user_data"}], [{"type": "get_attr", "value": "root_block_device"}, {"type": "index", "value": {"value": 0, "type": "number"}}, {"type": "get_attr", "value": "tags"}, {"type": "index", "value": {"value": "k", "type": "string"}}]],
         "identity_schema_version": 0, "dependencies": ["aws_ssm_parameter.p"], "create_before_destroy": true},
        {"index_key": 1, "schema_version": 1, "attributes": {"id": "i-1", "arn": "arn:aws:ec2:eu-west-1:111122223333:instance/i-1"}, "sensitive_attributes": []}
      ]
    }
  ],
  "check_results": [
    {
      "object_kind": "resource",
      "config_addr": "aws_instance.web",
      "status": "fail",
      "objects": [
        {"object_addr": "aws_instance.web[0]", "status": "fail", "failure_messages": ["instance must be tagged"]},
        {"object_addr": "aws_instance.web[1]", "status": "pass"}
      ]
    },
    {"object_kind": "output", "config_addr": "output.vpc_id", "status": "pass", "objects": [{"object_addr": "output.vpc_id", "status": "pass"}]},
    {"object_kind": "check", "config_addr": "check.health", "status": "unknown", "objects": null}
  ]
}`

func TestDecodeModernState(t *testing.T) {
	st, err := Decode(strings.NewReader(modernState), DecodeOptions{Source: "src", Location: "modern.tfstate", Stack: "app"})
	require.NoError(t, err)
	require.Equal(t, int64(17), st.Serial)
	require.Equal(t, "9b1f3c0e-5d7a-4c55-9a0e-2f1b7a6c4d21", st.Lineage)
	require.Equal(t, "1.12.1", st.TerraformVersion)

	var addrs []string
	for _, r := range st.Resources {
		addrs = append(addrs, r.Address)
		require.NotContains(t, string(r.RawAttributes), "out-secret", "outputs are never read into resources")
	}
	// The data source in the nested module is not a managed resource; the
	// deposed object is not the instance its address names.
	require.Equal(t, []string{
		`module.app["eu.west"].module.net.aws_s3_bucket.logs`,
		`aws_ssm_parameter.p["app.db/\"password\""]`,
		`aws_ssm_parameter.p["plain"]`,
		`aws_instance.web[0]`,
		`aws_instance.web[1]`,
	}, addrs)
	rs := byAddress(st)

	logs := rs[`module.app["eu.west"].module.net.aws_s3_bucket.logs`]
	require.Equal(t, "arn:aws:s3:::logs-eu", logs.ID)
	require.Equal(t, "eu-west-1", logs.Region)
	require.NotContains(t, string(logs.RawAttributes), "identity", "the resource identity object is not an attribute")

	p := rs[`aws_ssm_parameter.p["app.db/\"password\""]`]
	require.Equal(t, []string{"value"}, p.Sensitive)
	require.Equal(t, "arn:aws:ssm:eu-west-1:111122223333:parameter/app/db/password", p.ID)

	tainted := rs[`aws_ssm_parameter.p["plain"]`]
	require.Equal(t, "/app/plain", tainted.NativeID, "the tainted current object, not the deposed one")
	require.Equal(t, []string{"value"}, tainted.Sensitive)

	web := rs["aws_instance.web[0]"]
	require.Equal(t, []string{"user_data", "root_block_device[0].tags.k"}, web.Sensitive)
	require.Empty(t, rs["aws_instance.web[1]"].Sensitive)
}

func TestDecodeStateShapes(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		serial  int64
		lineage string
		addrs   int
	}{
		{name: "empty state as terraform writes it", doc: `{"version": 4, "terraform_version": "1.9.8", "serial": 1, "lineage": "l-1", "outputs": {}, "resources": [], "check_results": null}`, serial: 1, lineage: "l-1"},
		{name: "lineage and serial only", doc: `{"version": 4, "serial": 0, "lineage": "l-2"}`, lineage: "l-2"},
		{name: "only data sources", doc: `{"version": 4, "serial": 3, "lineage": "l-3", "resources": [{"mode": "data", "type": "aws_caller_identity", "name": "me", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]", "instances": [{"schema_version": 0, "attributes": {"account_id": "1", "id": "1"}}]}]}`, serial: 3, lineage: "l-3"},
		{name: "managed resource with no instances left", doc: `{"version": 4, "serial": 9, "lineage": "l-4", "resources": [{"mode": "managed", "type": "aws_vpc", "name": "v", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]", "instances": []}]}`, serial: 9, lineage: "l-4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := Decode(strings.NewReader(tt.doc), DecodeOptions{Location: "x.tfstate", Stack: "s"})
			require.NoError(t, err)
			require.Equal(t, tt.serial, st.Serial)
			require.Equal(t, tt.lineage, st.Lineage)
			require.Equal(t, "s", st.Name)
			require.Len(t, st.Resources, tt.addrs)
		})
	}
}

func TestDecodeNotAState(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		is   error
		as   any
		msg  []string
	}{
		{
			name: "OpenTofu encrypted state",
			doc:  `{"meta":{"key_provider.pbkdf2.main":"eyJzYWx0IjoiMTIzIn0="},"encrypted_data":"c2VjcmV0LWNpcGhlcnRleHQ=","encryption_version":"v0"}`,
			is:   ErrEncryptedState,
			msg:  []string{`encryption_version "v0"`, "decrypted copy"},
		},
		{
			name: "OpenTofu encrypted state, version key first",
			doc:  `{"encryption_version":"v0","encrypted_data":"AAAA","meta":{}}`,
			is:   ErrEncryptedState,
		},
		{
			name: "terraform show -json of a state",
			doc:  `{"format_version":"1.0","terraform_version":"1.9.8","values":{"outputs":{"pw":{"sensitive":true,"value":"show-secret"}},"root_module":{"resources":[{"address":"aws_vpc.a","mode":"managed","type":"aws_vpc","name":"a","values":{"id":"vpc-1"}}]}}}`,
			is:   ErrNotState,
			msg:  []string{"terraform show -json", "terraform state pull"},
		},
		{
			name: "a plan JSON",
			doc:  `{"format_version":"1.2","terraform_version":"1.9.8","planned_values":{},"resource_drift":[],"resource_changes":[],"configuration":{}}`,
			is:   ErrNotState,
			msg:  []string{"terraform show -json"},
		},
		{name: "some other JSON object", doc: `{"name": "x", "items": [1, 2]}`, is: ErrNotState, msg: []string{`no "version" field`}},
		{name: "a JSON array", doc: `[{"version": 4}]`, as: new(*SyntaxError), msg: []string{"not a Terraform state", "'['"}},
		{name: "JSON null", doc: `null`, as: new(*SyntaxError), msg: []string{"not a Terraform state"}},
		{name: "version as a string", doc: `{"version": "4", "resources": []}`, msg: []string{"expected an integer"}},
		{name: "future version 5", doc: `{"version": 5, "terraform_version": "2.0.0", "serial": 1, "lineage": "x", "resources": []}`, as: new(*VersionError), msg: []string{"version 5 is not supported"}},
		{
			name: "version 0",
			doc: `{"version": 0, "serial": 4,
			  "modules": [{"path": ["root"], "outputs": {"pw": {"sensitive": true, "type": "string", "value": "v0-secret"}}, "resources": {}}]}`,
			as:  new(*VersionError),
			msg: []string{"version 0 is not supported", "versions 1 to 4"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, wrap := range []func(io.Reader) io.Reader{
				func(r io.Reader) io.Reader { return r },
				iotest.OneByteReader,
			} {
				st, err := Decode(wrap(strings.NewReader(tt.doc)), DecodeOptions{Source: "src", Location: "states/prod.tfstate"})
				require.Nil(t, st)
				var ie *collectors.InputError
				require.ErrorAs(t, err, &ie)
				require.Equal(t, "states/prod.tfstate", ie.Location)
				require.Contains(t, err.Error(), "states/prod.tfstate", "the error names the file")
				if tt.is != nil {
					require.ErrorIs(t, err, tt.is)
				}
				if tt.as != nil {
					require.ErrorAs(t, err, tt.as)
				}
				for _, m := range tt.msg {
					require.Contains(t, err.Error(), m)
				}
				require.NotContains(t, err.Error(), "secret", "no value of the input is quoted")
				require.NotContains(t, err.Error(), "c2Vjcm", "no value of the input is quoted")
			}
		})
	}
}

// TestDecodeSecretsStayOut checks that a syntax error inside a sensitive
// output or attribute names the place, never the value.
func TestDecodeSecretsStayOut(t *testing.T) {
	for _, doc := range []string{
		`{"version": 4, "outputs": {"pw": {"value": "hunter2-leak" "type": "string", "sensitive": true}}, "resources": []}`,
		`{"version": 4, "outputs": {"pw": {"value": "hunter2-leak`,
		`{"version": 4, "resources": [{"mode": "managed", "type": "aws_db_instance", "name": "a", "instances": [{"attributes": {"password": "hunter2-leak" "id": "x"}}]}]}`,
		`{"version": 4, "resources": [{"mode": "managed", "type": "aws_db_instance", "name": "a", "instances": [{"attributes": {"password": "hunter2-leak\x01"}}]}]}`,
	} {
		_, err := Decode(strings.NewReader(doc), DecodeOptions{Location: "s.tfstate"})
		require.Error(t, err)
		require.Contains(t, err.Error(), "offset")
		require.NotContains(t, err.Error(), "hunter2")
	}
}

func encodeUTF16(s string, order binary.ByteOrder) []byte {
	u := utf16.Encode([]rune("\uFEFF" + s))
	out := make([]byte, 2*len(u))
	for i, c := range u {
		order.PutUint16(out[2*i:], c)
	}
	return out
}

// TestDecodeByteOrderMark reads states saved with a byte order mark:
// `terraform state pull > file` in Windows PowerShell writes UTF-16.
func TestDecodeByteOrderMark(t *testing.T) {
	const doc = "{\r\n  \"version\": 4,\r\n  \"serial\": 5,\r\n  \"lineage\": \"l\",\r\n  \"resources\": [{\"mode\": \"managed\", \"type\": \"aws_s3_bucket\", \"name\": \"b\", \"provider\": \"provider[\\\"registry.terraform.io/hashicorp/aws\\\"]\", \"instances\": [{\"index_key\": \"é\", \"attributes\": {\"id\": \"b\", \"arn\": \"arn:aws:s3:::b\", \"tags\": {\"owner\": \"Zoë\"}}}]}]\r\n}\r\n"
	for name, data := range map[string][]byte{
		"UTF-8 BOM":    append([]byte("\xEF\xBB\xBF"), doc...),
		"UTF-16LE BOM": encodeUTF16(doc, binary.LittleEndian),
		"UTF-16BE BOM": encodeUTF16(doc, binary.BigEndian),
	} {
		t.Run(name, func(t *testing.T) {
			for _, wrap := range []func(io.Reader) io.Reader{
				func(r io.Reader) io.Reader { return r },
				iotest.OneByteReader,
			} {
				st, err := Decode(wrap(strings.NewReader(string(data))), DecodeOptions{Location: "pulled.tfstate"})
				require.NoError(t, err)
				require.Equal(t, int64(5), st.Serial)
				require.Len(t, st.Resources, 1)
				require.Equal(t, `aws_s3_bucket.b["é"]`, st.Resources[0].Address)
				require.Equal(t, map[string]string{"owner": "Zoë"}, st.Resources[0].Tags)
			}
		})
	}
	t.Run("BOM only", func(t *testing.T) {
		_, err := Decode(strings.NewReader("\xEF\xBB\xBF\r\n"), DecodeOptions{Location: "x"})
		require.ErrorIs(t, err, ErrEmptyState)
	})
	t.Run("UTF-16 truncated", func(t *testing.T) {
		data := encodeUTF16(`{"version": 4, "resources": [{"mode": "managed"`, binary.LittleEndian)
		_, err := Decode(strings.NewReader(string(data)), DecodeOptions{Location: "x"})
		var se *SyntaxError
		require.ErrorAs(t, err, &se)
		require.ErrorContains(t, err, "unexpected end of input")
	})
	t.Run("UTF-16 read error", func(t *testing.T) {
		boom := errors.New("connection reset")
		data := encodeUTF16(`{"version": 4, "resources": [`, binary.LittleEndian)
		_, err := Decode(io.MultiReader(strings.NewReader(string(data)), iotest.ErrReader(boom)), DecodeOptions{Location: "x"})
		require.ErrorIs(t, err, boom)
		var re *ReadError
		require.ErrorAs(t, err, &re)
	})
}

// TestDecodeCorpusShowJSON refuses the state renderings of `terraform show
// -json` (terraform-json's state.json files) with ErrNotState, without
// quoting any of their values.
func TestDecodeCorpusShowJSON(t *testing.T) {
	dir := testcorpus.Dir(t)
	files, err := filepath.Glob(filepath.Join(dir, "terraform-json", "testdata", "*", "state.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		t.Run(rel, func(t *testing.T) {
			st, err := decodeTestFile(t, f)
			require.Nil(t, st)
			require.Contains(t, err.Error(), f)
			if strings.Contains(f, "invalid") {
				// Broken JSON: a syntax error at its offset.
				var se *SyntaxError
				require.ErrorAs(t, err, &se)
				require.NotContains(t, err.Error(), "PASSWORD123")
				return
			}
			require.ErrorIs(t, err, ErrNotState)
			require.ErrorContains(t, err, "terraform show -json")
		})
	}
}

// TestDecodeSensitiveSetElement: a sensitive path through a set element
// (indexed by the element's whole value, as cty paths index sets) marks the
// whole set instead of failing the state.
func TestDecodeSensitiveSetElement(t *testing.T) {
	const doc = `{"version": 4, "serial": 1, "lineage": "l", "resources": [{"mode": "managed", "type": "aws_security_group", "name": "sg",
	  "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
	  "instances": [{"schema_version": 1, "attributes": {"id": "sg-1", "ingress": [{"cidr_blocks": ["10.0.0.0/8"], "description": "secret-ish"}], "name": "sg"},
	    "sensitive_attributes": [
	      [{"type": "get_attr", "value": "ingress"}, {"type": "index", "value": {"value": {"cidr_blocks": ["10.0.0.0/8"], "description": "secret-ish"}, "type": ["object", {"cidr_blocks": ["list", "string"], "description": "string"}]}}, {"type": "get_attr", "value": "description"}],
	      [{"type": "get_attr", "value": "name"}]
	    ]}]}]}`
	st, err := Decode(strings.NewReader(doc), DecodeOptions{Location: "sg.tfstate"})
	require.NoError(t, err)
	require.Len(t, st.Resources, 1)
	require.Equal(t, []string{"ingress", "name"}, st.Resources[0].Sensitive)
}
