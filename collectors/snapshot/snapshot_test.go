package snapshot

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
)

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func gz(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, err := zw.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return b.String()
}

func read(t *testing.T, cfg Config) (collectors.Inventory, []error) {
	t.Helper()
	return NewSource("snap", cfg).Inventory(context.Background())
}

func inputErr(t *testing.T, err error) *collectors.InputError {
	t.Helper()
	var ie *collectors.InputError
	require.ErrorAs(t, err, &ie)
	return ie
}

func byID(inv collectors.Inventory) map[string]collectors.LiveResource {
	m := map[string]collectors.LiveResource{}
	for _, r := range inv.Resources {
		m[r.ID] = r
	}
	return m
}

const happy = `# exported by a script
{"type":"aws_s3_bucket","arn":"arn:aws:s3:::logs","id":"logs","account":"111122223333","region":"eu-west-1","tags":{"team":"platform"},"attributes":{"bucket":"logs","acl":"private"},"_exported_by":"script"}

{"type":"aws_security_group","id":"sg-0abc","attributes":{"id":"sg-0abc","arn":"arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0abc","ingress":[{"from_port":22}],"tags_all":{"team":"web"}}}
{"type":"aws_db_instance","id":"payments","region":"eu-west-1","account":"111122223333","attributes":{"password":"hunter2","tags":{"kubernetes.io/x":"y"}},"sensitive":["password","tags[\"kubernetes.io/x\"]"],"address":"module.db.aws_db_instance.main","stack":"prod"}
{"type":"google_storage_bucket","id":"b1","provider":"google","attributes":{"project":"my-proj","location":"EU"}}
`

func TestHappyPath(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.jsonl", happy)
	inv, errs := read(t, Config{Paths: []string{"*.jsonl"}, BaseDir: dir})
	require.Empty(t, errs)
	require.Equal(t, "snap", inv.Source)
	require.Len(t, inv.Resources, 4)
	m := byID(inv)

	b := m["arn:aws:s3:::logs"]
	require.Equal(t, "aws_s3_bucket", b.Type)
	require.Equal(t, "aws", b.Provider)
	require.Equal(t, "logs", b.NativeID)
	require.Equal(t, "111122223333", b.Account, "top-level account fills what an S3 ARN lacks")
	require.Equal(t, "eu-west-1", b.Region)
	require.Equal(t, map[string]string{"team": "platform"}, b.Tags)
	require.Equal(t, map[string]any{"bucket": "logs", "acl": "private"}, b.Attributes, "top-level id/arn are not copied into attributes")
	require.True(t, b.Partial)
	require.False(t, b.Gone)
	require.Equal(t, "snap", b.Source)
	require.False(t, b.Managed())

	sg := m["arn:aws:ec2:eu-west-1:111122223333:security-group/sg-0abc"]
	require.Equal(t, "111122223333", sg.Account, "from the ARN in attributes")
	require.Equal(t, map[string]string{"team": "web"}, sg.Tags)
	require.Equal(t, []any{map[string]any{"from_port": float64(22)}}, sg.Attributes["ingress"])

	db := m["aws/aws_db_instance/payments"]
	require.Equal(t, []string{"password", `tags["kubernetes.io/x"]`}, db.Sensitive)
	require.Equal(t, "module.db.aws_db_instance.main", db.Address)
	require.Equal(t, "prod", db.Stack)
	require.True(t, db.Managed())

	g := m["//storage.googleapis.com/b1"] // google resources are keyed by their CAI name
	require.Equal(t, "my-proj", g.Account)
	require.Equal(t, "EU", g.Region)

	// Without a directive: the types seen, in the accounts and regions seen.
	require.Equal(t, map[string]bool{"aws_s3_bucket": true, "aws_security_group": true, "aws_db_instance": true, "google_storage_bucket": true}, inv.Coverage.Types)
	require.Equal(t, map[string]bool{"111122223333": true, "my-proj": true}, inv.Coverage.Accounts)
	require.Equal(t, map[string]bool{"eu-west-1": true, "EU": true}, inv.Coverage.Regions)
	require.True(t, inv.Coverage.Covers("aws_s3_bucket", "111122223333", "eu-west-1"))
	require.False(t, inv.Coverage.Covers("aws_s3_bucket", "999999999999", "eu-west-1"))
}

func TestGzipAndEncodings(t *testing.T) {
	crlf := strings.ReplaceAll(happy, "\n", "\r\n")
	tests := []struct{ name, file, content string }{
		{"gzip by magic bytes", "a.jsonl.gz", gz(t, happy)},
		{"gzip without .gz name", "a.jsonl", gz(t, happy)},
		{"concatenated gzip members", "a.gz", gz(t, happy[:strings.Index(happy, "{\"type\":\"aws_db")]) + gz(t, happy[strings.Index(happy, "{\"type\":\"aws_db"):])},
		{"UTF-8 BOM and CRLF", "a.jsonl", "\xEF\xBB\xBF" + crlf},
		{"gzip of BOM and CRLF", "a.gz", gz(t, "\xEF\xBB\xBF"+crlf)},
		{"no trailing newline", "a.jsonl", strings.TrimRight(happy, "\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, tt.file, tt.content)
			inv, errs := read(t, Config{Paths: []string{tt.file}, BaseDir: dir})
			require.Empty(t, errs)
			require.Len(t, inv.Resources, 4)
		})
	}
}

func TestDirective(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a.jsonl", `{"coverage":{"types":["aws_s3_bucket","aws_iam_role"],"accounts":["111122223333"],"regions":["eu-west-1"]},"_note":"nightly"}
{"type":"aws_s3_bucket","arn":"arn:aws:s3:::logs"}
{"type":"aws_instance","id":"i-1","account":"444455556666"}
`)
	write(t, dir, "b.jsonl", `{"coverage":{"types":["aws_vpc"],"accounts":["111122223333"],"regions":["eu-west-1"]}}
`)
	inv, errs := read(t, Config{Paths: []string{"a.jsonl", "b.jsonl"}, BaseDir: dir, Types: []string{"aws_kms_key"}})
	require.Empty(t, errs)
	require.Len(t, inv.Resources, 2)
	require.Equal(t, map[string]bool{"aws_s3_bucket": true, "aws_iam_role": true, "aws_vpc": true, "aws_kms_key": true}, inv.Coverage.Types,
		"directives decide; types seen (aws_instance) are not added; configured types are")
	require.Equal(t, map[string]bool{"111122223333": true}, inv.Coverage.Accounts)
	require.Equal(t, map[string]bool{"eu-west-1": true}, inv.Coverage.Regions)
}

func TestDirectiveConflict(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "a.jsonl", `{"coverage":{"types":["aws_s3_bucket"],"accounts":["1"]}}
{"coverage":{"types":["aws_vpc"],"accounts":["2"]}}
{"coverage":{"types":["aws_iam_role"],"accounts":["1","1"]}}
`)
	inv, errs := read(t, Config{Paths: []string{p}})
	require.Len(t, errs, 1)
	ie := inputErr(t, errs[0])
	require.Equal(t, "line 2", ie.Place)
	require.ErrorContains(t, errs[0], "restricts accounts or regions differently from the one at "+p+":1")
	require.Equal(t, map[string]bool{"aws_s3_bucket": true, "aws_iam_role": true}, inv.Coverage.Types)
}

func TestConfiguredTypesWithoutDirective(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "a.jsonl", `{"type":"aws_s3_bucket","id":"b"}`+"\n")
	inv, errs := read(t, Config{Paths: []string{p}, Types: []string{"aws_db_instance"}})
	require.Empty(t, errs)
	require.Equal(t, map[string]bool{"aws_s3_bucket": true, "aws_db_instance": true}, inv.Coverage.Types)
	require.Nil(t, inv.Coverage.Accounts)
	require.Nil(t, inv.Coverage.Regions)
}

func TestBadLines(t *testing.T) {
	dir := t.TempDir()
	content := `{"type":"aws_s3_bucket","id":"ok-1"}
not json at all
{"type":"aws_s3_bucket","id":"ok-2"
{"id":"no-type"}
{"type":"aws_vpc"}
{"type":"aws_vpc","arn":"not-an-arn"}
{"type":"aws_vpc","id":"v","regoin":"eu-west-1"}
{"type":"aws_vpc","id":"v","tags":{"n":1}}
{"type":"aws_vpc","id":"v","attributes":[1]}
{"type":"aws_vpc","id":"v","attributes":{"id":"w"}}
[1,2]
{"type":7,"id":"x"}
{"coverage":{"types":[]}}
{"coverage":{"types":["a"],"zones":["x"]}}
{"type":"aws_s3_bucket","id":"ok-3"}
`
	p := write(t, dir, "a.jsonl", content)
	inv, errs := read(t, Config{Paths: []string{p}})
	require.Len(t, inv.Resources, 2, "good lines around bad ones still load")

	want := []struct {
		line int
		msg  string
	}{
		{2, "line is not a JSON object"},
		{3, "decoding JSON"},
		{4, `no "type"`},
		{5, `neither "id" nor "arn"`},
		{6, `"not-an-arn" is not an ARN`},
		{7, `unknown field "regoin"`},
		{8, `decoding "tags"`},
		{9, `decoding "attributes"`},
		{10, `"id" "v" contradicts attributes.id w`},
		{11, "line is not a JSON object"},
		{12, `"type" is not a string`},
		{13, "lists no types"},
		{14, `unknown field "zones"`},
	}
	require.Len(t, errs, len(want))
	for i, w := range want {
		ie := inputErr(t, errs[i])
		require.Equal(t, "snap", ie.Source)
		require.Equal(t, p, ie.Location)
		require.Equal(t, fmt.Sprintf("line %d", w.line), ie.Place)
		require.ErrorContains(t, errs[i], w.msg)
		require.Contains(t, errs[i].Error(), fmt.Sprintf("%s: line %d: ", p, w.line))
	}
	require.Empty(t, inv.Coverage.Types, "lines of unknown type withhold all coverage")
}

func TestBadLineOfKnownTypeWithholdsOnlyThatType(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "a.jsonl", `{"type":"aws_s3_bucket","id":"a"}
{"type":"aws_vpc","id":"v1"}
{"type":"aws_vpc"}
`)
	inv, errs := read(t, Config{Paths: []string{p}})
	require.Len(t, errs, 1)
	require.ErrorContains(t, errs[0], "coverage of aws_vpc is withheld")
	require.Equal(t, map[string]bool{"aws_s3_bucket": true}, inv.Coverage.Types)
	require.Len(t, inv.Resources, 2)
}

func TestBadLinesCapped(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := 0; i < 50; i++ {
		b.WriteString("garbage\n")
	}
	b.WriteString(`{"type":"aws_vpc","id":"v1"}` + "\n")
	p := write(t, dir, "a.jsonl", b.String())
	inv, errs := read(t, Config{Paths: []string{p}})
	require.Len(t, inv.Resources, 1)
	require.Len(t, errs, MaxLineErrors+1)
	last := inputErr(t, errs[MaxLineErrors])
	require.Equal(t, "line 21", last.Place)
	require.ErrorContains(t, last, "30 more bad lines not listed (50 in all)")
}

func TestHugeLine(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("x", 3<<20) // 3 MiB attribute: far past bufio.Scanner's 64 KiB
	content := `{"type":"aws_iam_policy","id":"p1","attributes":{"policy":"` + big + `"}}` + "\n" +
		`{"type":"aws_iam_policy","id":"p2"}` + "\n"
	p := write(t, dir, "a.jsonl", content)

	inv, errs := read(t, Config{Paths: []string{p}})
	require.Empty(t, errs)
	require.Len(t, inv.Resources, 2)
	require.Len(t, inv.Resources[0].Attributes["policy"], 3<<20)

	t.Run("over the limit", func(t *testing.T) {
		inv, errs := read(t, Config{Paths: []string{p}, MaxLineBytes: 1 << 20})
		require.Len(t, inv.Resources, 1)
		require.Equal(t, "aws/aws_iam_policy/p2", inv.Resources[0].ID)
		require.Len(t, errs, 1)
		require.Equal(t, "line 1", inputErr(t, errs[0]).Place)
		require.ErrorContains(t, errs[0], "line longer than 1048576 bytes")
		require.Empty(t, inv.Coverage.Types)
	})
}

func TestEmptyAndCommentOnlyFiles(t *testing.T) {
	tests := []struct {
		name, content string
		wantErr       string
		wantTypes     map[string]bool
	}{
		{"zero bytes", "", "snapshot is empty", nil},
		{"whitespace", "\n\r\n  \n", "snapshot is empty", nil},
		{"comment only", "# nothing here today\n", "", map[string]bool{"aws_vpc": true}},
		{"directive only", `{"coverage":{"types":["aws_s3_bucket"]}}`, "", map[string]bool{"aws_s3_bucket": true, "aws_vpc": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := write(t, dir, "a.jsonl", tt.content)
			inv, errs := read(t, Config{Paths: []string{p}, Types: []string{"aws_vpc"}})
			require.Empty(t, inv.Resources)
			if tt.wantErr != "" {
				require.Len(t, errs, 1)
				require.Equal(t, p, inputErr(t, errs[0]).Location)
				require.ErrorContains(t, errs[0], tt.wantErr)
				require.Empty(t, inv.Coverage.Types, "an empty file withholds coverage")
				return
			}
			require.Empty(t, errs)
			require.Equal(t, tt.wantTypes, inv.Coverage.Types)
		})
	}
}

func TestDuplicates(t *testing.T) {
	dir := t.TempDir()
	a := write(t, dir, "a.jsonl", `{"type":"aws_vpc","id":"v1","attributes":{"cidr_block":"10.0.0.0/16"}}
{"type":"aws_vpc","id":"v2"}
{"type":"aws_vpc","id":"v2"}
`)
	b := write(t, dir, "b.jsonl", `{"type":"aws_vpc","id":"v1","attributes":{"cidr_block":"10.1.0.0/16"}}
`)
	inv, errs := read(t, Config{Paths: []string{"*.jsonl"}, BaseDir: dir})
	require.Len(t, inv.Resources, 2)
	m := byID(inv)
	require.Equal(t, "10.1.0.0/16", m["aws/aws_vpc/v1"].Attributes["cidr_block"], "the later line wins")

	require.Len(t, errs, 1, "an identical repeat (v2) is not an error")
	ie := inputErr(t, errs[0])
	require.Equal(t, b, ie.Location)
	require.Equal(t, "line 1", ie.Place)
	require.ErrorContains(t, errs[0], "also described at "+a+":1")
	require.Equal(t, map[string]bool{"aws_vpc": true}, inv.Coverage.Types)
}

func TestFileProblems(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "good.jsonl", `{"type":"aws_vpc","id":"v1"}`+"\n")
	full := gz(t, `{"type":"aws_vpc","id":"v2"}`+"\n"+strings.Repeat(`{"type":"aws_vpc","id":"filler"}`+"\n", 1000))
	write(t, dir, "truncated.gz", full[:len(full)/2])
	write(t, dir, "badheader.gz", "\x1f\x8bnot really gzip")

	tests := []struct {
		name, path, wantMsg string
		resources           int
	}{
		{"missing file", "missing.jsonl", "opening snapshot", 1},
		{"glob matching nothing", "none-*.jsonl", "matches no file", 1},
		{"truncated gzip", "truncated.gz", "reading snapshot: unexpected EOF", 3},
		{"corrupt gzip header", "badheader.gz", "opening gzip stream", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, errs := read(t, Config{Paths: []string{"good.jsonl", tt.path}, BaseDir: dir})
			require.Len(t, inv.Resources, tt.resources, "the other file, and what was read before the problem, still load")
			require.Len(t, errs, 1)
			require.ErrorContains(t, errs[0], tt.wantMsg)
			require.ErrorContains(t, errs[0], "coverage of source snap is withheld")
			require.Empty(t, inv.Coverage.Types)
		})
	}
}

func TestRecursiveGlob(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "inv/a.jsonl", `{"type":"aws_vpc","id":"v1"}`+"\n")
	write(t, dir, "inv/eu/west/b.jsonl", `{"type":"aws_vpc","id":"v2"}`+"\n")
	write(t, dir, "inv/.git/c.jsonl", `{"type":"aws_vpc","id":"v3"}`+"\n")
	inv, errs := read(t, Config{Paths: []string{"inv/**/*.jsonl"}, BaseDir: dir})
	require.Empty(t, errs)
	var ids []string
	for _, r := range inv.Resources {
		ids = append(ids, r.ID)
	}
	require.Equal(t, []string{"aws/aws_vpc/v1", "aws/aws_vpc/v2"}, ids, "** matches any depth, zero included; .git is skipped")
	require.Equal(t, map[string]bool{"aws_vpc": true}, inv.Coverage.Types)
}

func TestFilesReadInPathsOrder(t *testing.T) {
	dir := t.TempDir()
	a := write(t, dir, "a.jsonl", `{"type":"aws_vpc","id":"v1","attributes":{"cidr_block":"10.0.0.0/16"}}`+"\n")
	write(t, dir, "b.jsonl", `{"type":"aws_vpc","id":"v1","attributes":{"cidr_block":"10.1.0.0/16"}}`+"\n")
	inv, errs := read(t, Config{Paths: []string{"b.jsonl", "*.jsonl"}, BaseDir: dir})
	require.Len(t, inv.Resources, 1)
	require.Equal(t, "10.0.0.0/16", byID(inv)["aws/aws_vpc/v1"].Attributes["cidr_block"], "files are read in the order of paths")
	require.Len(t, errs, 1, "b.jsonl is read once, first; a.jsonl is the later line")
	require.Equal(t, a, inputErr(t, errs[0]).Location)
}

func TestConfigValidate(t *testing.T) {
	require.Error(t, Config{}.Validate())
	require.Error(t, Config{Paths: []string{" "}}.Validate())
	require.NoError(t, Config{Paths: []string{"a"}}.Validate())
	_, errs := read(t, Config{})
	require.Len(t, errs, 1)
	require.ErrorContains(t, errs[0], "at least one path")
}

func TestCancelled(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "a.jsonl", happy)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	inv, errs := NewSource("snap", Config{Paths: []string{p}}).Inventory(ctx)
	require.Empty(t, inv.Resources)
	require.Len(t, errs, 1)
	require.ErrorIs(t, errs[0], context.Canceled)
	require.Empty(t, inv.Coverage.Types)
}

func BenchmarkInventory(b *testing.B) {
	dir := b.TempDir()
	var sb strings.Builder
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&sb, `{"type":"aws_s3_bucket","arn":"arn:aws:s3:::b%d","id":"b%d","region":"eu-west-1","attributes":{"bucket":"b%d","acl":"private","versioning":[{"enabled":true}],"tags":{"team":"t%d"}}}`+"\n", i, i, i, i%10)
	}
	p := filepath.Join(dir, "a.jsonl")
	require.NoError(b, os.WriteFile(p, []byte(sb.String()), 0o644))
	src := NewSource("snap", Config{Paths: []string{p}})
	b.SetBytes(int64(sb.Len()))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inv, errs := src.Inventory(context.Background())
		if len(errs) > 0 || len(inv.Resources) != 10000 {
			b.Fatal(errs)
		}
	}
}
