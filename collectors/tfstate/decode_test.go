package tfstate

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/identity"
	"github.com/driftwarden/driftwarden/internal/testcorpus"
	"github.com/driftwarden/driftwarden/model"
)

func decodeTestFile(t *testing.T, path string) (*collectors.Stack, error) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	return Decode(f, DecodeOptions{Source: "src", Location: path, Stack: "stk", Workspace: "default"})
}

func byAddress(st *collectors.Stack) map[string]model.Resource {
	m := map[string]model.Resource{}
	for _, r := range st.Resources {
		m[r.Address] = r
	}
	return m
}

func attrs(t *testing.T, r model.Resource) map[string]any {
	t.Helper()
	a, err := r.Attrs()
	require.NoError(t, err)
	return a
}

func TestDecodeFullFixture(t *testing.T) {
	st, err := decodeTestFile(t, filepath.Join("testdata", "good", "full.tfstate"))
	require.NoError(t, err)
	require.Equal(t, "stk", st.Name)
	require.Equal(t, "src", st.Source)
	require.Equal(t, int64(42), st.Serial)
	require.Equal(t, "3f6a1c2e-0000-4000-8000-000000000001", st.Lineage)
	require.Equal(t, "999.0.0", st.TerraformVersion)
	require.Equal(t, "default", st.Workspace)

	var addrs []string
	for _, r := range st.Resources {
		addrs = append(addrs, r.Address)
		require.Equal(t, "stk", r.Stack)
		require.Equal(t, "src", r.Source)
		require.Nil(t, r.Attributes, "attributes are kept raw")
		require.True(t, json.Valid(r.RawAttributes))
	}
	// Data source excluded, deposed object skipped, tainted kept.
	require.Equal(t, []string{
		`module.net["eu"].aws_subnet.x[0]`,
		`module.net["eu"].aws_subnet.x[1]`,
		`module.db.aws_db_instance.main["primary \"one\""]`,
		`null_resource.legacy`,
		`google_storage_bucket.b`,
	}, addrs)
	rs := byAddress(st)

	sub := rs[`module.net["eu"].aws_subnet.x[0]`]
	require.Equal(t, "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0", sub.ID)
	require.Equal(t, "subnet-0", sub.NativeID)
	require.Equal(t, "aws_subnet", sub.Type)
	require.Equal(t, "aws", sub.Provider)
	require.Equal(t, "eu-west-1", sub.Region)
	require.Equal(t, "123456789012", sub.Account)
	require.Equal(t, map[string]string{"Name": "a", "team": "net", "env": "prod"}, sub.Tags, "tags_all wins")
	require.Empty(t, sub.Sensitive)
	require.Equal(t, `{"arn":"arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0","id":"subnet-0","cidr_block":"10.0.0.0/24","tags":{"Name":"a","team":"net"},"tags_all":{"Name":"a","team":"net","env":"prod"}}`,
		string(sub.RawAttributes), "compact, key order kept")

	tainted := rs[`module.net["eu"].aws_subnet.x[1]`]
	require.Equal(t, "subnet-1", tainted.NativeID, "the current object, not the deposed one")

	db := rs[`module.db.aws_db_instance.main["primary \"one\""]`]
	require.Equal(t, "aws", db.Provider)
	require.Equal(t, "aws/aws_db_instance/db-1", db.ID)
	require.Equal(t, "us-east-1", db.Region)
	require.Equal(t, []string{"password", "parameter[0].value", "tags.token", `tags["kubernetes.io/cluster/x"]`}, db.Sensitive)

	legacy := rs["null_resource.legacy"]
	require.Equal(t, "null", legacy.Provider)
	require.Equal(t, "null/null_resource/123", legacy.ID)
	require.Equal(t, map[string]any{
		"id":       "123",
		"triggers": map[string]any{"a": "1", "kubernetes.io/role": "x"},
		"list":     []any{map[string]any{"name": "first"}, map[string]any{"name": "second"}},
		"set":      []any{map[string]any{"port": "22"}},
	}, attrs(t, legacy))

	b := rs["google_storage_bucket.b"]
	require.Equal(t, "google", b.Provider)
	require.Equal(t, "proj-1", b.Account)
	require.Equal(t, "EU", b.Region)
	require.Equal(t, map[string]string{"team": "data"}, b.Tags)
	require.Equal(t, []string{"text"}, b.Sensitive, "flat list of steps tolerated")
	require.Equal(t, "esc \"q\" é 😀", attrs(t, b)["text"])
}

// TestDecodeMatchesEncodingJSON checks the streaming reader against a plain
// encoding/json decode of every corpus state: same managed instances, same
// attributes.
func TestDecodeCorpus(t *testing.T) {
	dir := testcorpus.Dir(t)
	var files []string
	for _, g := range []string{
		"driftctl/pkg/iac/terraform/state/test/*/*.tfstate",
		"opentofu/internal/states/statefile/testdata/roundtrip/*.tfstate",
		"opentofu/internal/command/testdata/show-json/*/*.tfstate",
		"terraform-json/testdata/*/terraform.tfstate",
		"gcp-tfplan2cai/tfplan2cai/testdata/templates/*.tfstate",
	} {
		m, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(g)))
		require.NoError(t, err)
		files = append(files, m...)
	}
	require.Greater(t, len(files), 100)
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		t.Run(rel, func(t *testing.T) {
			st, err := decodeTestFile(t, f)
			if err != nil {
				// Only a legitimate reason: an older format version.
				var ve *VersionError
				require.ErrorAs(t, err, &ve, "%v", err)
				return
			}
			want := referenceDecode(t, f)
			require.Equal(t, len(want), len(st.Resources))
			for i, r := range st.Resources {
				require.Equal(t, want[i].address, r.Address)
				require.JSONEq(t, string(want[i].attrs), string(r.RawAttributes), r.Address)
				require.Equal(t, want[i].sensitive, len(r.Sensitive) > 0, r.Address)
				require.NotEmpty(t, r.ID, r.Address)
				// The selective extraction agrees with model.Identity
				// (and, for google resources, the GCP table's CAI name)
				// over the fully decoded attributes.
				all := attrs(t, r)
				want := model.Identity(r.Provider, r.Type, all)
				if id := identity.GCPCanonicalFromTerraform(r.Type, all); id != "" && strings.HasPrefix(r.Type, "google_") {
					want.ID = id
				}
				require.Equal(t, want.ID, r.ID, r.Address)
				require.Equal(t, want.NativeID, r.NativeID, r.Address)
				require.Equal(t, want.Region, r.Region, r.Address)
				require.Equal(t, want.Account, r.Account, r.Address)
				require.Equal(t, want.Tags, r.Tags, r.Address)
			}
		})
	}
}

type refInstance struct {
	address   string
	attrs     json.RawMessage
	sensitive bool
}

// referenceDecode reads a state the simple, memory-hungry way.
func referenceDecode(t *testing.T, path string) []refInstance {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc struct {
		Resources []struct {
			Module, Mode, Type, Name string
			Instances                []struct {
				IndexKey       any               `json:"index_key"`
				Deposed        string            `json:"deposed"`
				Attributes     json.RawMessage   `json:"attributes"`
				AttributesFlat map[string]string `json:"attributes_flat"`
				Sensitive      []json.RawMessage `json:"sensitive_attributes"`
			}
		}
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	var out []refInstance
	for _, r := range doc.Resources {
		if r.Mode != "managed" {
			continue
		}
		for _, in := range r.Instances {
			if in.Deposed != "" {
				continue
			}
			addr := r.Type + "." + r.Name
			if r.Module != "" {
				addr = r.Module + "." + addr
			}
			switch k := in.IndexKey.(type) {
			case float64:
				addr += "[" + strconv.FormatFloat(k, 'f', -1, 64) + "]"
			case string:
				addr += "[" + mustJSON(t, k) + "]"
			}
			a := in.Attributes
			if a == nil && in.AttributesFlat != nil {
				a, err = expandFlatmap(mustRaw(t, in.AttributesFlat))
				require.NoError(t, err)
			}
			out = append(out, refInstance{address: addr, attrs: a, sensitive: len(in.Sensitive) > 0})
		}
	}
	return out
}

func mustJSON(t *testing.T, v any) string {
	return string(mustRaw(t, v))
}

func mustRaw(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// TestDecodeDriftctlGolden compares with driftctl's own reading of a sample
// of its test states (results.golden.json: one entry per managed resource).
func TestDecodeDriftctlGolden(t *testing.T) {
	for _, name := range []string{
		"aws_nat_gateway", "aws_iam_policy_multiple", "aws_iam_role_multiple", "aws_iam_user_multiple",
		"aws_route53_record_multiples", "github_branch_protection",
		"google_compute_firewall", "azurerm_private_dns_a_record", "aws_kms_key", "aws_sqs_queue",
	} {
		t.Run(name, func(t *testing.T) {
			dir := testcorpus.Path(t, "driftctl", "pkg", "iac", "terraform", "state", "test", name)
			st, err := decodeTestFile(t, filepath.Join(dir, "terraform.tfstate"))
			require.NoError(t, err)
			b, err := os.ReadFile(filepath.Join(dir, "results.golden.json"))
			require.NoError(t, err)
			var golden []struct {
				ID   string `json:"Id"`
				Type string `json:"Type"`
			}
			require.NoError(t, json.Unmarshal(b, &golden))
			var want, got []string
			for _, g := range golden {
				want = append(want, g.Type+" "+g.ID)
			}
			for _, r := range st.Resources {
				got = append(got, r.Type+" "+r.NativeID)
			}
			sort.Strings(want)
			sort.Strings(got)
			require.Equal(t, want, got)
		})
	}
}

func TestDecodeCorpusSpecifics(t *testing.T) {
	dir := testcorpus.Dir(t)
	load := func(t *testing.T, rel string) map[string]model.Resource {
		st, err := decodeTestFile(t, filepath.Join(dir, filepath.FromSlash(rel)))
		require.NoError(t, err)
		return byAddress(st)
	}
	t.Run("count index and module", func(t *testing.T) {
		rs := load(t, "driftctl/pkg/iac/terraform/state/test/module.iam_iam-user/terraform.tfstate")
		require.Contains(t, rs, "module.iam_iam-user.aws_iam_access_key.this_no_pgp[0]")
	})
	t.Run("for_each and module", func(t *testing.T) {
		rs := load(t, "opentofu/internal/states/statefile/testdata/roundtrip/v4-modules.in.tfstate")
		require.Contains(t, rs, `module.modB.null_resource.bar["a"]`)
		require.Contains(t, rs, `module.modB.null_resource.bar["b"]`)
		require.Equal(t, "null", rs[`module.modB.null_resource.bar["a"]`].Provider)
	})
	t.Run("attributes_flat and future version", func(t *testing.T) {
		rs := load(t, "opentofu/internal/states/statefile/testdata/roundtrip/v4-future.in.tfstate")
		require.Len(t, rs, 3)
		require.Equal(t, map[string]any{"id": "5388490630832483079", "triggers": map[string]any{"whaaat": "0,1"}}, attrs(t, rs["null_resource.bar"]))
		require.Contains(t, rs, "null_resource.foo[1]")
	})
	t.Run("legacy provider string", func(t *testing.T) {
		rs := load(t, "opentofu/internal/states/statefile/testdata/roundtrip/v4-legacy-foreach.in.tfstate")
		require.Equal(t, "null", rs["module.modA.null_resource.resource"].Provider)
	})
	t.Run("data sources excluded", func(t *testing.T) {
		path := filepath.Join(dir, "driftctl/pkg/iac/terraform/state/test/aws_lb_listener/terraform.tfstate")
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Contains(t, string(b), `"mode": "data"`)
		for _, r := range load(t, "driftctl/pkg/iac/terraform/state/test/aws_lb_listener/terraform.tfstate") {
			require.NotContains(t, r.Address, "data.")
		}
	})
}

func TestDecodeBadInput(t *testing.T) {
	tests := []struct {
		file  string
		place string // expected InputError.Place (substring)
		msg   []string
		is    error
		as    any
	}{
		{file: "truncated.tfstate", place: "resources[0].instances[0] (aws_s3_bucket.b)", msg: []string{"offset 362", "unexpected end of input"}, as: new(*SyntaxError)},
		{file: "not-json.tfstate", msg: []string{"offset 0", "not a Terraform state", "'t'"}, as: new(*SyntaxError)},
		{file: "version0.tfstate", place: "offset 17", msg: []string{"version 0", "never was"}, as: new(*VersionError)},
		{file: "version5.tfstate", msg: []string{"version 5"}, as: new(*VersionError)},
		{file: "bad-instance.tfstate", place: "resources[1].instances[1] (module.m.aws_vpc.b), offset 341", msg: []string{"expected an instance object"}},
		{file: "bad-index-key.tfstate", place: "resources[0].instances[0] (aws_vpc.a), offset 162", msg: []string{"index_key must be a number or a string"}},
		{file: "bad-attributes.tfstate", place: "resources[0].instances[0] (aws_vpc.a)", msg: []string{"offset 199", "expected ',' or '}'"}, as: new(*SyntaxError)},
		{file: "no-version.tfstate", place: "offset 0", msg: []string{`no "version" field`}},
		{file: "bad-mode.tfstate", place: "resources[0] (aws_vpc.a), offset 29", msg: []string{`unknown mode "ephemeral"`}},
		{file: "bad-sensitive.tfstate", place: "resources[0].instances[0] (aws_db_instance.a)", msg: []string{"sensitive_attributes", `unknown step type "teleport"`}},
		{file: "trailing.tfstate", msg: []string{"offset 32", "unexpected data after the state object"}},
		{file: "empty.tfstate", is: ErrEmptyState},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", tt.file)
			st, err := decodeTestFile(t, path)
			require.Error(t, err)
			require.Nil(t, st)
			var ie *collectors.InputError
			require.ErrorAs(t, err, &ie)
			require.Equal(t, path, ie.Location)
			require.Equal(t, "src", ie.Source)
			require.Contains(t, ie.Place, tt.place)
			require.Contains(t, err.Error(), path, "the error names the file")
			for _, m := range tt.msg {
				require.Contains(t, err.Error(), m)
			}
			if tt.is != nil {
				require.ErrorIs(t, err, tt.is)
			}
			if tt.as != nil {
				require.ErrorAs(t, err, tt.as)
			}
		})
	}
}

func TestDecodeInline(t *testing.T) {
	const head = `{"version":4,"serial":3,"lineage":"l","resources":[`
	tests := []struct {
		name    string
		doc     string
		addr    []string
		sens    [][]string
		wantErr string
	}{
		{name: "no resources field", doc: `{"version":4}`},
		{name: "null resources", doc: `{"version":4,"resources":null}`},
		{name: "version after resources", doc: `{"resources":[{"mode":"managed","type":"a_b","name":"n","instances":[{"attributes":{"id":"1"}}]}],"version":4}`, addr: []string{"a_b.n"}, sens: [][]string{nil}},
		{name: "version 0 after resources", doc: `{"resources":[],"version":0}`, wantErr: "version 0"},
		{name: "fields after instances", doc: head + `{"instances":[{"index_key":2,"attributes":{"id":"1"}}],"type":"a_b","name":"n","mode":"managed","module":"module.m[0]"}]}`, addr: []string{"module.m[0].a_b.n[2]"}, sens: [][]string{nil}},
		{name: "data source with late mode", doc: head + `{"instances":[{"attributes":{"id":"1"}}],"type":"a_b","name":"n","mode":"data"}]}`},
		{name: "no attributes", doc: head + `{"mode":"managed","type":"a_b","name":"n","instances":[{"schema_version":0}]}]}`, addr: []string{"a_b.n"}, sens: [][]string{nil}},
		{name: "key quoting", doc: head + `{"mode":"managed","type":"a_b","name":"n","instances":[{"index_key":"a\\b\n${x}","attributes":{"id":"1"}}]}]}`, addr: []string{`a_b.n["a\\b\n$${x}"]`}, sens: [][]string{nil}},
		{name: "negative and float keys", doc: head + `{"mode":"managed","type":"a_b","name":"n","instances":[{"index_key":3.0,"attributes":{"id":"1"}}]}]}`, addr: []string{"a_b.n[3]"}, sens: [][]string{nil}},
		{name: "fractional key", doc: head + `{"mode":"managed","type":"a_b","name":"n","instances":[{"index_key":1.5,"attributes":{"id":"1"}}]}]}`, wantErr: "index_key"},
		{name: "sensitive bare steps", doc: head + `{"mode":"managed","type":"a_b","name":"n","instances":[{"attributes":{"id":"1"},"sensitive_attributes":[["password"],["list",0,"x"],"already.dotted"]}]}]}`, addr: []string{"a_b.n"}, sens: [][]string{{"password", "list[0].x", "already.dotted"}}},
		{name: "sensitive bare index value", doc: head + `{"mode":"managed","type":"a_b","name":"n","instances":[{"attributes":{"id":"1"},"sensitive_attributes":[[{"type":"get_attr","value":"l"},{"type":"index","value":2}]]}]}]}`, addr: []string{"a_b.n"}, sens: [][]string{{"l[2]"}}},
		{name: "sensitive flat steps", doc: head + `{"mode":"managed","type":"a_b","name":"n","instances":[{"attributes":{"id":"1"},"sensitive_attributes":[{"type":"get_attr","value":"a"},{"type":"index","value":{"value":1,"type":"number"}},{"type":"get_attr","value":"b"}]}]}]}`, addr: []string{"a_b.n"}, sens: [][]string{{"a[1]", "b"}}},
		{name: "sensitive whole object", doc: head + `{"mode":"managed","type":"a_b","name":"n","instances":[{"attributes":{"id":"1","pw":"x"},"sensitive_attributes":[[]]}]}]}`, addr: []string{"a_b.n"}, sens: [][]string{{"id", "pw"}}},
		{name: "deep nesting", doc: head + `{"mode":"managed","type":"a_b","name":"n","instances":[{"attributes":{"x":` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `}}]}]}`, wantErr: "nesting deeper"},
		{name: "bad escape", doc: head + `{"mode":"managed","type":"a_b","name":"n","instances":[{"attributes":{"x":"\q"}}]}]}`, wantErr: "invalid escape"},
		{name: "bad number", doc: head + `{"mode":"managed","type":"a_b","name":"n","instances":[{"attributes":{"x":01}}]}]}`, wantErr: "expected ',' or '}'"},
		{name: "control char", doc: head + "{\"mode\":\"managed\",\"type\":\"a_b\",\"name\":\"n\",\"instances\":[{\"attributes\":{\"x\":\"a\x01\"}}]}]}", wantErr: "control character"},
		{name: "instances not a list", doc: head + `{"mode":"managed","type":"a_b","name":"n","instances":{}}]}`, wantErr: `"instances" is not a list`},
		{name: "attributes not an object", doc: head + `{"mode":"managed","type":"a_b","name":"n","instances":[{"attributes":[1]}]}]}`, wantErr: "attributes: expected an object"},
		{name: "missing type", doc: head + `{"mode":"managed","name":"n","instances":[]}]}`, wantErr: "without type or name"},
		{name: "bad literal", doc: head + `{"mode":"managed","type":"a_b","name":"n","instances":[{"attributes":{"x":tru}}]}]}`, wantErr: "invalid literal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []func(io.Reader) io.Reader{
				func(r io.Reader) io.Reader { return r },
				iotest.OneByteReader, // every token split across reads
			} {
				st, err := Decode(r(strings.NewReader(tt.doc)), DecodeOptions{Location: "inline"})
				if tt.wantErr != "" {
					require.ErrorContains(t, err, tt.wantErr)
					require.ErrorContains(t, err, "inline")
					continue
				}
				require.NoError(t, err)
				var addrs []string
				var sens [][]string
				for _, res := range st.Resources {
					addrs = append(addrs, res.Address)
					sens = append(sens, res.Sensitive)
				}
				require.Equal(t, tt.addr, addrs)
				require.Equal(t, tt.sens, sens)
			}
		})
	}
}

func TestDecodeReadError(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader(`{"version":4,"resources":[`), iotest.ErrReader(boom))
	_, err := Decode(r, DecodeOptions{Location: "x"})
	var re *ReadError
	require.ErrorAs(t, err, &re)
	require.ErrorIs(t, err, boom)
	require.Equal(t, int64(26), re.Offset)
}

// TestCompactMatchesEncodingJSON checks RawAttributes byte for byte
// against json.Compact, escapes and numbers included.
func TestCompactMatchesEncodingJSON(t *testing.T) {
	attrs := `{ "s" : "a\"b\\c\/d\u00e9\ud83d\ude00\t" , "n" : [ -0.5e+10 , 0 , 12.25E-3 , 1e5 ] , "o" : { } , "l" : [ ] , "b" : true , "f" : false , "z" : null , "u" : "ünï" }`
	doc := `{"version":4,"resources":[{"mode":"managed","type":"a_b","name":"n","instances":[{"attributes":` + attrs + `}]}]}`
	st, err := Decode(iotest.HalfReader(strings.NewReader(doc)), DecodeOptions{})
	require.NoError(t, err)
	var want bytes.Buffer
	require.NoError(t, json.Compact(&want, []byte(attrs)))
	require.Equal(t, want.String(), string(st.Resources[0].RawAttributes))
}

func TestProviderName(t *testing.T) {
	for in, want := range map[string]string{
		`provider["registry.terraform.io/hashicorp/aws"]`:                  "aws",
		`provider["registry.opentofu.org/hashicorp/aws"].alias`:            "aws",
		`module.x.provider["registry.terraform.io/hashicorp/google-beta"]`: "google-beta",
		`provider["registry.opentofu.org/-/null"]`:                         "null",
		`provider.aws`:                        "aws",
		`provider.aws.west`:                   "aws",
		`module.modA.provider.null`:           "null",
		`provider["example.com/acme/widget"]`: "widget",
		``:                                    "",
		`garbage`:                             "",
	} {
		require.Equal(t, want, ProviderName(in), in)
	}
}

func TestExpandFlatmap(t *testing.T) {
	got, err := expandFlatmap([]byte(`{"id":"x","empty.#":"0","m.%":"0","nested.#":"1","nested.0.inner.#":"2","nested.0.inner.0":"a","nested.0.inner.1":"b","nested.0.tags.%":"1","nested.0.tags.a.b":"c","obj.k":"v"}`))
	require.NoError(t, err)
	require.JSONEq(t, `{"id":"x","empty":[],"m":{},"nested":[{"inner":["a","b"],"tags":{"a.b":"c"}}],"obj":{"k":"v"}}`, string(got))
}
