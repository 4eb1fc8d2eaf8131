package tfstate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/model"
)

// The fixtures describe one estate three ways:
//   - legacy-v3.tfstate: as Terraform 0.11.14 wrote it (format 3): root
//     module and nested modules (network, network.nat), count instances,
//     a tainted instance, a deposed security group, a data source, provider
//     references provider.aws, provider.aws.west, module.network.provider.aws
//     and "" (default), flatmap lists, sets (hash indexes), maps (a tag key
//     with dots) and empty collections.
//   - legacy-v3-upgraded.tfstate: as Terraform 0.12 writes it right after
//     upgrading the first (format 4, attributes_flat, legacy provider
//     addresses, deposed key 00000001, status "tainted").
//   - legacy-v3-modern.tfstate: as Terraform 1.x writes it once providers
//     have upgraded the objects (typed nested attributes, registry provider
//     addresses).
const (
	legacyV3       = "legacy-v3.tfstate"
	legacyUpgraded = "legacy-v3-upgraded.tfstate"
	legacyModern   = "legacy-v3-modern.tfstate"
)

func decodeGood(t *testing.T, name string) *collectors.Stack {
	t.Helper()
	st, err := decodeTestFile(t, filepath.Join("testdata", "good", name))
	require.NoError(t, err)
	return st
}

func TestDecodeLegacyV3(t *testing.T) {
	st := decodeGood(t, legacyV3)
	require.Equal(t, int64(57), st.Serial)
	require.Equal(t, "8d3f1c7a-2b4e-4f6a-9c1d-0e5b7a3f2c11", st.Lineage)
	require.Equal(t, "0.11.14", st.TerraformVersion)
	require.Equal(t, "stk", st.Name)

	var addrs []string
	for _, r := range st.Resources {
		addrs = append(addrs, r.Address)
		require.Equal(t, "stk", r.Stack)
		require.Equal(t, "src", r.Source)
		require.Empty(t, r.Sensitive)
	}
	// Ordered as Terraform orders the upgraded state; the data source is
	// left out; the tainted instance is kept.
	require.Equal(t, []string{
		"aws_instance.web[0]",
		"aws_instance.web[1]",
		"aws_s3_bucket.logs",
		"aws_security_group.web",
		"module.network.aws_subnet.private[0]",
		"module.network.aws_subnet.private[1]",
		"module.network.aws_vpc.main",
		"module.network.module.nat.aws_eip.nat",
	}, addrs)
	rs := byAddress(st)

	web := rs["aws_instance.web[1]"]
	require.Equal(t, "aws_instance", web.Type)
	require.Equal(t, "aws", web.Provider, "provider.aws.west")
	require.Equal(t, "arn:aws:ec2:us-west-2:111122223333:instance/i-0a1b2c3d4e5f60002", web.ID)
	require.Equal(t, "i-0a1b2c3d4e5f60002", web.NativeID)
	require.Equal(t, "us-west-2", web.Region)
	require.Equal(t, "111122223333", web.Account)
	require.Equal(t, map[string]string{"Name": "web-1", "team": "web"}, web.Tags)
	a := attrs(t, web)
	require.Equal(t, []any{map[string]any{"delete_on_termination": "true", "volume_size": "8", "volume_type": "gp2"}}, a["root_block_device"])
	require.Equal(t, []any{"sg-0123456789abcdef0"}, a["vpc_security_group_ids"], "a set of strings")
	require.Equal(t, []any{}, a["ebs_block_device"], "an empty collection")

	bucket := rs["aws_s3_bucket.logs"]
	require.Equal(t, "aws", bucket.Provider, "an empty provider is the type's default provider")
	require.Equal(t, "us-east-1", bucket.Region)
	require.Equal(t, map[string]string{"kubernetes.io/cluster/legacy": "owned", "team": "platform"}, bucket.Tags)
	require.Equal(t, []any{map[string]any{"rule": []any{map[string]any{"apply_server_side_encryption_by_default": []any{
		map[string]any{"kms_master_key_id": "", "sse_algorithm": "AES256"}}}}}}, attrs(t, bucket)["server_side_encryption_configuration"])

	sg := attrs(t, rs["aws_security_group.web"])
	ingress := sg["ingress"].([]any)
	require.Len(t, ingress, 2)
	require.Equal(t, "80", ingress[0].(map[string]any)["from_port"], "set elements in hash order, leaves stay strings")
	require.Equal(t, "443", ingress[1].(map[string]any)["from_port"])

	vpc := rs["module.network.aws_vpc.main"]
	require.Equal(t, "aws", vpc.Provider, "module.network.provider.aws")
	require.Equal(t, "arn:aws:ec2:us-west-2:111122223333:vpc/vpc-0c1d2e3f4a5b6c7d8", vpc.ID)

	eip := rs["module.network.module.nat.aws_eip.nat"]
	require.Equal(t, "aws/aws_eip/eipalloc-0a1b2c3d4e5f60718", eip.ID)
	require.Empty(t, eip.Tags)

	require.Len(t, st.Deposed, 1)
	old := st.Deposed[0]
	require.Equal(t, "00000001", old.Key)
	require.Equal(t, "aws_security_group.web", old.Address)
	require.Equal(t, "arn:aws:ec2:us-west-2:111122223333:security-group/sg-0fedcba9876543210", old.ID)
	require.Equal(t, "sg-0fedcba9876543210", old.NativeID)
	require.Equal(t, "111122223333", old.Account)
	require.Equal(t, "stk", old.Stack)
}

// A legacy state gives exactly what the version 4 state Terraform 0.12
// upgrades it to gives.
func TestDecodeLegacyMatchesUpgradedState(t *testing.T) {
	v3 := decodeGood(t, legacyV3)
	v4 := decodeGood(t, legacyUpgraded)
	require.NotEmpty(t, v3.Resources)
	require.Equal(t, v4.Resources, v3.Resources)
	require.Equal(t, v4.Deposed, v3.Deposed)
	require.Equal(t, v4.Serial, v3.Serial)
	require.Equal(t, v4.Lineage, v3.Lineage)
	require.Equal(t, v4.TerraformVersion, v3.TerraformVersion)
}

// A legacy state gives the same identities and, up to the strings the
// flatmap keeps its leaves as, the same attributes as the state Terraform
// 1.x writes for the same objects.
func TestDecodeLegacyMatchesModernState(t *testing.T) {
	v3 := decodeGood(t, legacyV3)
	v4 := decodeGood(t, legacyModern)
	require.Len(t, v3.Resources, len(v4.Resources))
	same := func(want, got model.Resource) {
		t.Helper()
		require.Equal(t, want.Address, got.Address)
		require.Equal(t, want.Type, got.Type, want.Address)
		require.Equal(t, want.Provider, got.Provider, want.Address)
		require.Equal(t, want.ID, got.ID, want.Address)
		require.Equal(t, want.NativeID, got.NativeID, want.Address)
		require.Equal(t, want.Region, got.Region, want.Address)
		require.Equal(t, want.Account, got.Account, want.Address)
		require.Equal(t, want.Tags, got.Tags, want.Address)
		require.Equal(t, stringLeaves(attrs(t, want)), attrs(t, got), want.Address)
	}
	for i := range v4.Resources {
		same(v4.Resources[i], v3.Resources[i])
	}
	require.Len(t, v3.Deposed, len(v4.Deposed))
	for i := range v4.Deposed {
		require.Equal(t, v4.Deposed[i].Key, v3.Deposed[i].Key)
		same(v4.Deposed[i].Resource, v3.Deposed[i].Resource)
	}
}

// stringLeaves turns numbers and booleans into the strings a flatmap holds.
func stringLeaves(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = stringLeaves(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = stringLeaves(e)
		}
		return out
	case float64, bool, json.Number:
		return fmt.Sprint(v)
	}
	return v
}

// JSON objects are unordered: "version" may come after "modules" (a state
// re-serialised with sorted keys), and the stream may arrive in pieces.
func TestDecodeLegacyVersionLast(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "good", legacyV3))
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	sorted, err := json.Marshal(doc) // keys sorted: modules ... version
	require.NoError(t, err)
	require.Greater(t, strings.Index(string(sorted), `"version"`), strings.Index(string(sorted), `"modules"`))
	want := decodeGood(t, legacyV3)
	for _, r := range []io.Reader{reader(sorted), iotest.OneByteReader(reader(sorted)), iotest.DataErrReader(reader(sorted))} {
		st, err := Decode(r, DecodeOptions{Source: "src", Location: "sorted.tfstate", Stack: "stk", Workspace: "default"})
		require.NoError(t, err)
		require.Equal(t, want.Resources, st.Resources)
		require.Equal(t, want.Deposed, st.Deposed)
		require.Equal(t, want.Serial, st.Serial)
	}
}

func reader(b []byte) io.Reader { return strings.NewReader(string(b)) }

func TestDecodeLegacyInline(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		addr  []string
		attrs []string // RawAttributes per resource
	}{
		{name: "no modules", doc: `{"version":3,"serial":1}`},
		{name: "null modules", doc: `{"version":3,"modules":null}`},
		{name: "no resources", doc: `{"version":3,"modules":[{"path":["root"]},{"path":["root","m"],"resources":null}]}`},
		{
			name: "top-level resources of a legacy state are ignored",
			doc:  `{"resources":[{"mode":"managed","type":"a_b","name":"n","instances":[{"attributes":{"id":"1"}}]}],"modules":[],"version":3}`,
		},
		{
			name: "modules of a version 4 state are ignored",
			doc:  `{"modules":"junk","version":4,"resources":[{"mode":"managed","type":"a_b","name":"n","instances":[{"attributes":{"id":"1"}}]}]}`,
			addr: []string{"a_b.n"}, attrs: []string{`{"id":"1"}`},
		},
		{
			name: "id from the object when the attribute is missing",
			doc:  `{"version":3,"modules":[{"path":["root"],"resources":{"a_b.n":{"primary":{"id":"x-1","attributes":{"name":"n"}}}}}]}`,
			addr: []string{"a_b.n"}, attrs: []string{`{"id":"x-1","name":"n"}`},
		},
		{
			name: "count index order is numeric, no key first",
			doc: `{"version":3,"modules":[{"path":["root"],"resources":{
			  "a_b.n.10":{"primary":{"id":"10"}},"a_b.n.2":{"primary":{"id":"2"}},"a_b.m":{"primary":{"id":"m"}},"data.a_b.n.0":{"primary":{"id":"d"}}}}]}`,
			addr:  []string{"a_b.m", "a_b.n[2]", "a_b.n[10]"},
			attrs: []string{`{"id":"m"}`, `{"id":"2"}`, `{"id":"10"}`},
		},
		{
			name: "module without path is the root (version 1)",
			doc:  `{"version":1,"serial":2,"modules":[{"resources":{"null_resource.foo.0":{"type":"null_resource","primary":{"id":"7","attributes":{"id":"7"}}}}}]}`,
			addr: []string{"null_resource.foo[0]"}, attrs: []string{`{"id":"7"}`},
		},
		{
			// Version 1 and 2 counted maps with ".#": Terraform's upgrade
			// makes a ".#" collection whose keys are not all integers a map
			// and drops one without elements.
			name: "version 2 flatmap counts",
			doc: `{"version":2,"modules":[{"path":["root"],"resources":{"null_resource.bar":{"primary":{"id":"1","attributes":{
			  "id":"1","triggers.#":"2","triggers.whaaat":"0,1","triggers.kubernetes.io/role":"x","list.#":"2","list.0":"a","list.1":"b","empty.#":"0","set.#":"1","set.1234.port":"22"}}}}}]}`,
			addr:  []string{"null_resource.bar"},
			attrs: []string{`{"id":"1","list":["a","b"],"set":[{"port":"22"}],"triggers":{"kubernetes.io/role":"x","whaaat":"0,1"}}`},
		},
		{
			name: "the same flatmap in version 3 keeps the empty list",
			doc: `{"version":3,"modules":[{"path":["root"],"resources":{"null_resource.bar":{"primary":{"id":"1","attributes":{
			  "id":"1","triggers.%":"1","triggers.whaaat":"0,1","empty.#":"0"}}}}}]}`,
			addr:  []string{"null_resource.bar"},
			attrs: []string{`{"empty":[],"id":"1","triggers":{"whaaat":"0,1"}}`},
		},
		{
			// Terraform 0.6's tainted list: the upgrade to version 2 drops it.
			name: "version 1 tainted list",
			doc:  `{"version":1,"modules":[{"path":["root"],"resources":{"aws_vpc.a":{"type":"aws_vpc","primary":{"id":"vpc-2"},"tainted":[{"id":"vpc-1"}]}}}]}`,
			addr: []string{"aws_vpc.a"}, attrs: []string{`{"id":"vpc-2"}`},
		},
		{
			name: "module-local provider of older states",
			doc:  `{"version":3,"modules":[{"path":["root","m"],"resources":{"a_b.n":{"provider":"google.west","primary":{"id":"1"}}}}]}`,
			addr: []string{"module.m.a_b.n"}, attrs: []string{`{"id":"1"}`},
		},
		{
			// Terraform 0.11 names modules [A-Za-z0-9_][A-Za-z0-9_-]*: a
			// leading digit, which 0.12 refuses to upgrade, so such states
			// stay in format 3.
			name: "module name of Terraform 0.11 starting with a digit",
			doc:  `{"version":3,"modules":[{"path":["root","01-network","2nd_zone"],"resources":{"aws_vpc.main":{"provider":"provider.aws","primary":{"id":"vpc-1"}}}}]}`,
			addr: []string{"module.01-network.module.2nd_zone.aws_vpc.main"}, attrs: []string{`{"id":"vpc-1"}`},
		},
		{
			name: "unknown count marker",
			doc:  `{"version":3,"modules":[{"path":["root"],"resources":{"a_b.n":{"primary":{"id":"1","attributes":{"l.#":"74D93920-ED26-11E3-AC10-0800200C9A66"}}}}}]}`,
			addr: []string{"a_b.n"}, attrs: []string{`{"id":"1","l":[]}`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, wrap := range []func(io.Reader) io.Reader{
				func(r io.Reader) io.Reader { return r },
				iotest.OneByteReader,
			} {
				var warns []error
				st, err := Decode(wrap(strings.NewReader(tt.doc)), DecodeOptions{Location: "inline", Warn: func(err error) { warns = append(warns, err) }})
				require.NoError(t, err)
				require.Empty(t, warns)
				var addrs, raws []string
				for _, r := range st.Resources {
					addrs = append(addrs, r.Address)
					raws = append(raws, string(r.RawAttributes))
				}
				require.Equal(t, tt.addr, addrs)
				require.Equal(t, tt.attrs, raws)
			}
		})
	}
	st, err := Decode(strings.NewReader(`{"version":3,"modules":[{"path":["root","m"],"resources":{"a_b.n":{"provider":"google.west","primary":{"id":"1"}}}}]}`), DecodeOptions{})
	require.NoError(t, err)
	require.Equal(t, "google", st.Resources[0].Provider)
}

func TestDecodeLegacyBadInput(t *testing.T) {
	const head = `{"version":3,"serial":1,"modules":[{"path":["root"],"resources":{`
	res := func(body string) string { return head + body + `}}]}` }
	tests := []struct {
		name  string
		doc   string
		place string
		msg   string
	}{
		{name: "modules not a list", doc: `{"version":3,"modules":{"path":["root"]}}`, place: "offset 23", msg: `"modules" is not a list, found an object`},
		{name: "modules not a list, version last", doc: `{"modules":"x","version":2}`, place: "offset 11", msg: `"modules" is not a list, found a string`},
		{name: "module not an object", doc: `{"version":3,"modules":[{"path":["root"]},7]}`, place: "modules[1]", msg: "expected a module object, found a number"},
		{name: "path not from root", doc: `{"version":3,"modules":[{"path":["child"]}]}`, place: "modules[0]", msg: `does not start with "root"`},
		{name: "path not strings", doc: `{"version":3,"modules":[{"path":["root",1]}]}`, place: "modules[0]", msg: "path: expected a list of module names"},
		{name: "bad module name", doc: `{"version":3,"modules":[{"path":["root","my.mod"]}]}`, place: "modules[0]", msg: `module name "my.mod" is not a valid module name`},
		{name: "module name starting with a dash", doc: `{"version":3,"modules":[{"path":["root","-net"]}]}`, place: "modules[0]", msg: `module name "-net" is not a valid module name`},
		{name: "resources not an object", doc: `{"version":3,"modules":[{"path":["root","net"],"resources":[]}]}`, place: "modules[0] (module.net)", msg: `"resources" is not an object, found a list`},
		{name: "key without name", doc: res(`"aws_vpc":{"primary":{"id":"1"}}`), place: `modules[0].resources["aws_vpc"]`, msg: "is not TYPE.NAME"},
		{name: "key with too many parts", doc: res(`"aws_vpc.a.0.1":{"primary":{"id":"1"}}`), place: `modules[0].resources["aws_vpc.a.0.1"]`, msg: "is not TYPE.NAME"},
		{name: "bad count index", doc: res(`"aws_vpc.a.x":{"primary":{"id":"1"}}`), place: `modules[0].resources["aws_vpc.a.x"]`, msg: `index "x" is not a whole number`},
		{name: "resource not an object", doc: res(`"aws_vpc.a":null`), place: `modules[0].resources["aws_vpc.a"] (aws_vpc.a)`, msg: "expected a resource object, found null"},
		{name: "primary not an object", doc: res(`"aws_vpc.a":{"primary":"vpc-1"}`), place: `modules[0].resources["aws_vpc.a"] (aws_vpc.a)`, msg: "primary: expected an object, found a string"},
		{name: "deposed not a list", doc: res(`"aws_vpc.a":{"primary":{"id":"1"},"deposed":{}}`), place: `(aws_vpc.a)`, msg: `"deposed" is not a list`},
		{name: "provider not a string", doc: res(`"aws_vpc.a":{"primary":{"id":"1"},"provider":["aws"]}`), place: `(aws_vpc.a)`, msg: "provider: expected a string, found a list"},
		{name: "id not a string", doc: res(`"aws_vpc.a":{"primary":{"id":5}}`), place: `(aws_vpc.a)`, msg: "primary: id: expected a string, found a number"},
		{name: "attributes not an object", doc: res(`"aws_vpc.a":{"primary":{"id":"1","attributes":["x"]}}`), place: `(aws_vpc.a)`, msg: "primary: attributes: expected an object, found a list"},
		{name: "attribute not a string", doc: res(`"aws_db_instance.a":{"primary":{"id":"1","attributes":{"password":{"v":"hunter2-secret"}}}}`), place: `(aws_db_instance.a)`, msg: `primary: attributes: attribute "password": expected a string, found an object`},
		{name: "bad list count", doc: res(`"aws_vpc.a":{"primary":{"id":"1","attributes":{"cidrs.#":"two","cidrs.0":"10.0.0.0/16"}}}`), place: `(aws_vpc.a)`, msg: `attribute "cidrs.#": count "two" is not a whole number`},
		{name: "bad map count", doc: res(`"aws_vpc.a":{"primary":{"id":"1","attributes":{"tags.%":"-1"}}}`), place: `(aws_vpc.a)`, msg: `attribute "tags.%": count "-1" is not a whole number`},
		{name: "bad count in a nested module", doc: `{"version":3,"modules":[{"path":["root"]},{"path":["root","a","b"],"resources":{"aws_vpc.v.3":{"primary":{"id":"1","attributes":{"x.#":""}}}}}]}`,
			place: `modules[1].resources["aws_vpc.v.3"] (module.a.module.b.aws_vpc.v[3])`, msg: `attribute "x.#"`},
		{name: "version 0", doc: `{"version":0,"modules":[]}`, place: "offset 11", msg: "version 0 is not supported"},
		{name: "no version", doc: `{"serial":3,"modules":[]}`, place: "offset 0", msg: `no "version" field`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, wrap := range []func(io.Reader) io.Reader{
				func(r io.Reader) io.Reader { return r },
				iotest.OneByteReader,
			} {
				st, err := Decode(wrap(strings.NewReader(tt.doc)), DecodeOptions{Source: "src", Location: "old/prod.tfstate"})
				require.Error(t, err)
				require.Nil(t, st)
				var ie *collectors.InputError
				require.ErrorAs(t, err, &ie)
				require.Equal(t, "old/prod.tfstate", ie.Location)
				require.Contains(t, ie.Place, tt.place)
				require.Contains(t, err.Error(), "old/prod.tfstate", "the error names the file")
				require.Contains(t, err.Error(), tt.msg)
				require.NotContains(t, err.Error(), "hunter2", "no value of the input is quoted")
			}
		})
	}
}

// As in a version 4 state, a deposed object that cannot be read costs only
// itself; so does an entry with no object at all, which Terraform drops.
func TestDecodeLegacyBadEntryCostsOnlyIt(t *testing.T) {
	const doc = `{"version":3,"serial":9,"lineage":"l","modules":[{"path":["root","net"],"resources":{
	  "aws_security_group.web":{"type":"aws_security_group","provider":"provider.aws","primary":{"id":"sg-new","attributes":{"id":"sg-new","tags.%":"1","tags.Name":"web"}},
	    "deposed":[{"id":"sg-old","attributes":{"id":"sg-old","ingress.#":"many"}},null,{"id":"sg-older","attributes":{"id":"sg-older"}}]},
	  "aws_vpc.gone":{"type":"aws_vpc","depends_on":[],"primary":null,"deposed":[],"provider":"provider.aws"},
	  "aws_vpc.main":{"type":"aws_vpc","primary":{"id":"vpc-1","attributes":{"id":"vpc-1"}}}}}]}`
	var warns []error
	st, err := Decode(strings.NewReader(doc), DecodeOptions{Source: "src", Location: "net.tfstate", Stack: "net", Warn: func(err error) { warns = append(warns, err) }})
	require.NoError(t, err)
	var addrs []string
	for _, r := range st.Resources {
		addrs = append(addrs, r.Address)
	}
	require.Equal(t, []string{"module.net.aws_security_group.web", "module.net.aws_vpc.main"}, addrs)
	require.Len(t, st.Deposed, 1)
	require.Equal(t, "sg-older", st.Deposed[0].NativeID)
	require.Equal(t, "00000003", st.Deposed[0].Key, "keys follow the list order, skipped objects included")

	require.Len(t, warns, 3)
	want := []struct{ place, msg string }{
		{`modules[0].resources["aws_security_group.web"].deposed[0] (module.net.aws_security_group.web) deposed object 00000001`, `deposed object skipped: attributes: attribute "ingress.#": count "many" is not a whole number`},
		{`modules[0].resources["aws_security_group.web"].deposed[1] (module.net.aws_security_group.web) deposed object 00000002`, "deposed object skipped: expected an object, found null"},
		{`modules[0].resources["aws_vpc.gone"] (module.net.aws_vpc.gone)`, `resource skipped: it has no "primary" object`},
	}
	for i, w := range want {
		var ie *collectors.InputError
		require.ErrorAs(t, warns[i], &ie)
		require.Equal(t, "net.tfstate", ie.Location)
		require.Equal(t, "src", ie.Source)
		require.Equal(t, w.place, ie.Place)
		require.Contains(t, warns[i].Error(), w.msg)
	}

	// The same fault in the current object fails the state, as in a
	// version 4 state: loading part of it would report the rest unmanaged.
	bad := strings.Replace(doc, `"attributes":{"id":"sg-new","tags.%":"1"`, `"attributes":{"id":"sg-new","tags.%":"one"`, 1)
	_, err = Decode(strings.NewReader(bad), DecodeOptions{Location: "net.tfstate"})
	require.ErrorContains(t, err, `modules[0].resources["aws_security_group.web"] (module.net.aws_security_group.web)`)
	require.ErrorContains(t, err, `primary: attributes: attribute "tags.%": count "one" is not a whole number`)
}

// Outputs of a legacy state are never read: a sensitive output cannot leak
// through a resource or an error.
func TestDecodeLegacyOutputsStayOut(t *testing.T) {
	st := decodeGood(t, legacyV3)
	for _, r := range st.Resources {
		require.NotContains(t, string(r.RawAttributes), "legacy-output-secret")
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "good", legacyV3))
	require.NoError(t, err)
	bad := strings.Replace(string(raw), `"acl": "log-delivery-write"`, `"acl": 5`, 1)
	_, err = Decode(strings.NewReader(bad), DecodeOptions{Location: "x"})
	require.ErrorContains(t, err, `attribute "acl": expected a string, found a number`)
	require.NotContains(t, err.Error(), "legacy-output-secret")
}

// The sources hand Decode a stream; a legacy state loads through them.
func TestSourcesReadLegacyStates(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "good", legacyV3))
	require.NoError(t, err)
	want := decodeGood(t, legacyV3)

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "legacy.tfstate"), raw, 0o644))
	stacks, errs := NewFileSource("files", FileConfig{Paths: []string{dir}}).States(context.Background())
	require.Empty(t, errs)
	require.Len(t, stacks, 1)
	require.Equal(t, "legacy", stacks[0].Name)
	require.Len(t, stacks[0].Resources, len(want.Resources))
	require.Len(t, stacks[0].Deposed, 1)

	_, srv := serve(t, status(http.StatusOK, string(raw)))
	stacks, errs = newTestHTTPSource(srv.URL).States(context.Background())
	require.Empty(t, errs)
	require.Len(t, stacks, 1)
	require.Equal(t, int64(57), stacks[0].Serial)
	require.Len(t, stacks[0].Resources, len(want.Resources))
	require.Equal(t, want.Resources[0].ID, stacks[0].Resources[0].ID)
}

func TestUpgradeFlatmapV2(t *testing.T) {
	flat := map[string]string{
		"tags.#": "2", "tags.Name": "a", "tags.team": "b", // a map
		"list.#": "2", "list.0": "x", "list.1": "y", // a list
		"set.#": "1", "set.98765.cidr_blocks.#": "1", "set.98765.cidr_blocks.0": "10.0.0.0/8", // a set of objects
		"empty.#":  "0",                                                     // an empty collection: dropped
		"nested.#": "1", "nested.0.labels.#": "1", "nested.0.labels.k": "v", // a map inside a list
	}
	upgradeFlatmapV2(flat)
	require.Equal(t, map[string]string{
		"tags.%": "2", "tags.Name": "a", "tags.team": "b",
		"list.#": "2", "list.0": "x", "list.1": "y",
		"set.#": "1", "set.98765.cidr_blocks.#": "1", "set.98765.cidr_blocks.0": "10.0.0.0/8",
		"nested.#": "1", "nested.0.labels.%": "1", "nested.0.labels.k": "v",
	}, flat)
}

func TestParseLegacyKey(t *testing.T) {
	for k, want := range map[string]string{
		"aws_instance.web":      "managed aws_instance web -",
		"aws_instance.web.3":    "managed aws_instance web 3",
		"data.aws_ami.ubuntu":   "data aws_ami ubuntu -",
		"data.aws_ami.ubuntu.1": "data aws_ami ubuntu 1",
		"data.x":                "managed data x -", // a resource of type "data"
	} {
		data, typ, name, key, err := parseLegacyKey(k)
		require.NoError(t, err, k)
		mode, idx := "managed", "-"
		if data {
			mode = "data"
		}
		if key.kind == 'i' {
			idx = fmt.Sprint(key.i)
		}
		require.Equal(t, want, strings.Join([]string{mode, typ, name, idx}, " "), k)
	}
	for _, k := range []string{"aws_instance", "aws_instance.web.1.2", "a.b.c", ".web", "data.a.b.c.d", ""} {
		_, _, _, _, err := parseLegacyKey(k)
		require.Error(t, err, k)
	}
}

// A null flatmap value reads as "", as Terraform reads it (its flatmap is a
// map of strings decoded by encoding/json): both in a legacy state and in
// a version 4 state's attributes_flat, which loaded so before legacy
// states were read.
func TestFlatmapNullValues(t *testing.T) {
	for _, doc := range []string{
		`{"version":3,"modules":[{"path":["root"],"resources":{"aws_vpc.a":{"primary":{"id":"vpc-1","attributes":{"id":"vpc-1","cidr_block":null}}}}}]}`,
		`{"version":4,"resources":[{"mode":"managed","type":"aws_vpc","name":"a","provider":"provider.aws","instances":[{"attributes_flat":{"id":"vpc-1","cidr_block":null}}]}]}`,
	} {
		st, err := Decode(strings.NewReader(doc), DecodeOptions{Location: "x"})
		require.NoError(t, err)
		require.Len(t, st.Resources, 1)
		require.Equal(t, `{"cidr_block":"","id":"vpc-1"}`, string(st.Resources[0].RawAttributes))
	}
}
