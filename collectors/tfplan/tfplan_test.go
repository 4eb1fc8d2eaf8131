package tfplan

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/internal/testcorpus"
)

func inventory(t *testing.T, cfg Config) (collectors.Inventory, []error) {
	t.Helper()
	return NewSource("plans", cfg).Inventory(context.Background())
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

func inputErr(t *testing.T, err error) *collectors.InputError {
	t.Helper()
	var ie *collectors.InputError
	require.ErrorAs(t, err, &ie)
	return ie
}

func TestStackName(t *testing.T) {
	tests := []struct{ path, want string }{
		{"prod.json", "prod"},
		{"prod.tfplan.json", "prod"},
		{"prod.plan.json", "prod"},
		{"network-plan.json", "network"},
		{"prod.refresh.json", "prod"},
		{"prod.refresh.tfplan.json", "prod"},
		{"stacks/prod/eu.refresh.JSON", "eu"},
		{"drift.jsonl", "drift"},
		{"stacks/network/tfplan.json", "network"},
		{"stacks/network/plan.json", "network"},
		{"opentofu/drift/output.json", "drift"},
		{"tfplan.json", "tfplan"},
		{"prod", "prod"},
		{".json", ".json"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			require.Equal(t, tt.want, StackName(filepath.FromSlash(tt.path)))
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"one path", Config{Paths: []string{"a.json"}}, ""},
		{"stack with one file", Config{Paths: []string{"a.json"}, Stack: "prod"}, ""},
		{"no path", Config{}, "at least one path"},
		{"stack with two paths", Config{Paths: []string{"a.json", "b.json"}, Stack: "prod"}, "2 paths"},
		{"stack with a glob", Config{Paths: []string{"*.json"}, Stack: "prod"}, "is a glob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestCorpusRealDrift(t *testing.T) {
	tests := []struct {
		dir, address, previous string
	}{
		{"drift", "test_instance.should_refresh", ""},
		{"moved-drift", "test_instance.should_refresh_with_move", "test_instance.should_refresh"},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			p := testcorpus.Path(t, "opentofu", "internal", "command", "testdata", "show-json", tt.dir, "output.json")
			inv, errs := inventory(t, Config{Paths: []string{p}})
			require.Empty(t, errs)
			require.Equal(t, "plans", inv.Source)
			require.Empty(t, inv.Coverage.Types, "a plan enumerates nothing completely")
			// resource_changes (test_instance.no_refresh) are a normal plan: ignored.
			require.Len(t, inv.Resources, 1)
			r := inv.Resources[0]
			require.Equal(t, tt.address, r.Address)
			require.Equal(t, "test_instance", r.Type)
			require.Equal(t, "test", r.Provider)
			require.Equal(t, "placeholder", r.NativeID)
			require.Equal(t, "test/test_instance/placeholder", r.ID)
			require.Equal(t, tt.dir, r.Stack)
			require.Equal(t, "plans", r.Source)
			require.False(t, r.Gone)
			require.False(t, r.Partial)
			require.Equal(t, map[string]any{"ami": "refreshed", "id": "placeholder"}, r.Attributes)
			require.Equal(t, map[string]any{"ami": "refresh-me", "id": "placeholder"}, r.Before)
			require.Empty(t, r.Sensitive)
			require.Empty(t, r.BeforeSensitive)
		})
	}
}

func TestCorpusRefreshOnlyWithoutDrift(t *testing.T) {
	p := testcorpus.Path(t, "opentofu", "internal", "command", "testdata", "show-json", "conditions", "output-refresh-only.json")
	inv, errs := inventory(t, Config{Paths: []string{p}, Stack: "conditions"})
	require.Empty(t, errs)
	require.Empty(t, inv.Resources)
}

// TestCorpusEveryPlan reads every plan of the corpus: each parses (with no
// drift: none of them is a refresh-only plan with drift) or fails with an
// error naming the file and the place.
func TestCorpusEveryPlan(t *testing.T) {
	var files []string
	tfjson := testcorpus.Path(t, "terraform-json", "testdata")
	m, err := filepath.Glob(filepath.Join(tfjson, "*", "plan.json"))
	require.NoError(t, err)
	files = append(files, m...)
	checkov := testcorpus.Path(t, "checkov")
	require.NoError(t, filepath.WalkDir(checkov, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), "tfplan") && strings.HasSuffix(d.Name(), ".json") {
			files = append(files, p)
		}
		return err
	}))
	require.Greater(t, len(files), 50)

	var parsed, rejected int
	for _, f := range files {
		rel, _ := filepath.Rel(filepath.Dir(tfjson), f)
		if strings.HasPrefix(f, checkov) {
			rel, _ = filepath.Rel(filepath.Dir(checkov), f)
		}
		t.Run(rel, func(t *testing.T) {
			inv, errs := inventory(t, Config{Paths: []string{f}, Stack: "s"})
			if len(errs) == 0 {
				parsed++
				require.Empty(t, inv.Resources, "no corpus plan outside opentofu has resource_drift")
				return
			}
			rejected++
			require.Len(t, errs, 1)
			ie := inputErr(t, errs[0])
			require.Equal(t, f, ie.Location)
			require.NotEmpty(t, ie.Place)
			require.Contains(t, errs[0].Error(), f)
			switch {
			case strings.HasSuffix(f, filepath.Join("invalid", "plan.json")):
				require.Regexp(t, `^line \d+, column \d+$`, ie.Place)
			default:
				require.ErrorIs(t, errs[0], ErrUnsupportedVersion)
				require.Equal(t, "format_version", ie.Place)
			}
		})
	}
	t.Logf("%d plans parsed, %d rejected with a clear error", parsed, rejected)
	require.Positive(t, parsed)
}

func TestCorpusUTF16(t *testing.T) {
	for _, p := range [][]string{
		{"checkov", "tests", "terraform", "parser", "resources", "plan_encodings", "tfplan_win_utf16.json"},
		{"checkov", "tests", "terraform", "runner", "resources", "plan_with_utf_16_encoding", "tfplan.json"},
		{"checkov", "tests", "terraform", "runner", "resources", "plan_with_lifecycle_check", "tfplan.json"},
	} {
		t.Run(filepath.Join(p...), func(t *testing.T) {
			_, errs := inventory(t, Config{Paths: []string{testcorpus.Path(t, p...)}, Stack: "s"})
			require.Empty(t, errs)
		})
	}
}

const driftPlan = `{
  "format_version": "1.2",
  "terraform_version": "1.9.0",
  "resource_drift": [
    {
      "address": "module.db.aws_db_instance.main[0]",
      "module_address": "module.db",
      "mode": "managed",
      "type": "aws_db_instance",
      "name": "main",
      "index": 0,
      "provider_name": "registry.terraform.io/hashicorp/aws",
      "change": {
        "actions": ["update"],
        "before": {"id": "db-1", "arn": "arn:aws:rds:eu-west-1:111122223333:db:main", "password": "old-secret", "tags": {"team": "data", "api-key": "k1", "kubernetes.io/secret": "a"}, "ingress": [{"cidr": "10.0.0.0/8"}]},
        "after": {"id": "db-1", "arn": "arn:aws:rds:eu-west-1:111122223333:db:main", "password": "new-secret", "tags": {"team": "ops", "api-key": "k2", "kubernetes.io/secret": "b"}, "ingress": [{"cidr": "0.0.0.0/0"}]},
        "before_sensitive": {"password": true, "tags": {"api-key": true, "kubernetes.io/secret": true}},
        "after_sensitive": {"password": true, "tags": {"api-key": true}, "ingress": [{"cidr": true}]},
        "after_unknown": {}
      }
    },
    {
      "address": "aws_s3_bucket.logs",
      "mode": "managed",
      "type": "aws_s3_bucket",
      "name": "logs",
      "provider_name": "registry.terraform.io/hashicorp/aws",
      "change": {
        "actions": ["delete"],
        "before": {"id": "logs", "arn": "arn:aws:s3:::logs", "region": "eu-west-1"},
        "after": null,
        "before_sensitive": {},
        "after_sensitive": false
      }
    },
    {
      "address": "aws_iam_user.x",
      "mode": "managed",
      "type": "aws_iam_user",
      "provider_name": "registry.terraform.io/hashicorp/aws",
      "change": {
        "actions": ["delete", "create"],
        "before": {"id": "x"},
        "after": {"id": "x", "secret": "s"},
        "after_sensitive": true
      }
    },
    {
      "address": "data.aws_caller_identity.me",
      "mode": "data",
      "type": "aws_caller_identity",
      "change": {"actions": ["update"], "before": {}, "after": {"id": "1"}}
    },
    {
      "address": "aws_instance.web",
      "mode": "managed",
      "type": "aws_instance",
      "deposed": "00000001",
      "change": {"actions": ["delete"], "before": {"id": "i-1"}, "after": null}
    },
    {
      "address": "aws_instance.same",
      "mode": "managed",
      "type": "aws_instance",
      "change": {"actions": ["no-op"], "before": {"id": "i-2"}, "after": {"id": "i-2"}}
    },
    {
      "address": 42,
      "type": "aws_instance",
      "change": {"actions": ["update"]}
    },
    {
      "address": "aws_instance.odd",
      "mode": "managed",
      "type": "aws_instance",
      "change": {"actions": ["update"], "before": {"id": "i-3"}, "after": "i-3"}
    }
  ],
  "resource_changes": [
    {"address": "aws_instance.planned", "mode": "managed", "type": "aws_instance",
     "change": {"actions": ["update"], "before": {"id": "i-9"}, "after": {"id": "i-9"}}}
  ],
  "unknown_future_key": {"anything": [1, 2, 3]}
}`

func TestPlanDrift(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "prod.tfplan.json", []byte(driftPlan))
	inv, errs := inventory(t, Config{Paths: []string{"*.json"}, BaseDir: dir})

	// Two bad entries cost only themselves.
	require.Len(t, errs, 2)
	places := []string{inputErr(t, errs[0]).Place, inputErr(t, errs[1]).Place}
	require.Equal(t, []string{"resource_drift[6]", "resource_drift[7]"}, places)
	for _, err := range errs {
		require.Equal(t, p, inputErr(t, err).Location)
	}
	require.ErrorContains(t, errs[1], "change.after is a string, want an object")

	byAddr := map[string]collectors.LiveResource{}
	for _, r := range inv.Resources {
		byAddr[r.Address] = r
	}
	require.Len(t, byAddr, 3, "data source, deposed object, no-op and resource_changes are not drift")

	db := byAddr["module.db.aws_db_instance.main[0]"]
	require.Equal(t, "arn:aws:rds:eu-west-1:111122223333:db:main", db.ID)
	require.Equal(t, "aws", db.Provider)
	require.Equal(t, "111122223333", db.Account)
	require.Equal(t, "eu-west-1", db.Region)
	require.Equal(t, "prod", db.Stack)
	require.Equal(t, map[string]string{"team": "ops", "api-key": "k2", "kubernetes.io/secret": "b"}, db.Tags)
	require.Equal(t, "new-secret", db.Attributes["password"])
	require.Equal(t, "old-secret", db.Before["password"])
	require.Equal(t, []string{"ingress[0].cidr", "password", "tags.api-key"}, db.Sensitive)
	require.Equal(t, []string{"password", "tags.api-key", `tags["kubernetes.io/secret"]`}, db.BeforeSensitive)
	require.False(t, db.Gone)
	require.False(t, db.Partial)

	logs := byAddr["aws_s3_bucket.logs"]
	require.True(t, logs.Gone)
	require.Nil(t, logs.Attributes)
	require.Equal(t, "arn:aws:s3:::logs", logs.ID, "a deleted resource keeps the identity of its applied values")
	require.Equal(t, "eu-west-1", logs.Region)
	require.Equal(t, "logs", logs.Before["id"])

	user := byAddr["aws_iam_user.x"]
	require.False(t, user.Gone, "a replace pair with live values is a change")
	require.Equal(t, []string{"id", "secret"}, user.Sensitive, "after_sensitive true marks every attribute")
}

func TestPlanBadInput(t *testing.T) {
	tests := []struct {
		name      string
		content   string
		wantPlace string
		wantMsg   string
		version   bool
	}{
		{"not JSON", "this is not json\n", "line 1, column 2", "invalid character", false},
		{"truncated", "{\n  \"format_version\": \"1.2\",\n  \"resource_drift\": [\n    {\"address\": \"a", "line 4, column 19", "truncated JSON", false},
		{"syntax error on line 3", "{\n \"format_version\": \"1.2\",\n \"planned_values\": {\"a\": tru}\n}", "line 3, column 29", "invalid character", false},
		{"format 2.0", `{"format_version": "2.0", "resource_drift": []}`, "format_version", `"2.0" is not supported`, true},
		{"format 0.1", `{"format_version": "0.1"}`, "format_version", "predates refresh-only plans", true},
		{"format not a version", `{"format_version": "latest"}`, "format_version", "not a version number", true},
		{"format a number", `{"format_version": 1.2}`, "format_version", "is a number, want a string", true},
		{"no format_version", `{"planned_values": {}}`, "format_version", "no format_version", true},
		{"top-level array", `[{"format_version": "1.2"}]`, "line 1", "top-level value is an array", false},
		{"top-level string", `"plan"`, "line 1", "top-level value is a string", false},
		{"resource_drift not an array", `{"format_version": "1.2", "resource_drift": {"a": 1}}`, "resource_drift", "want an array", false},
		{"trailing data", `{"format_version": "1.2"} {"x": 1}`, "line 1, column 27", "after top-level value", false},
		{"errored plan", `{"format_version": "1.2", "errored": true}`, "errored", "marked errored", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := writeFile(t, dir, "bad.json", []byte(tt.content))
			_, errs := inventory(t, Config{Paths: []string{p}})
			require.Len(t, errs, 1)
			ie := inputErr(t, errs[0])
			require.Equal(t, "plans", ie.Source)
			require.Equal(t, p, ie.Location)
			require.Equal(t, tt.wantPlace, ie.Place)
			require.ErrorContains(t, errs[0], tt.wantMsg)
			require.Contains(t, errs[0].Error(), p)
			if tt.version {
				require.ErrorIs(t, errs[0], ErrUnsupportedVersion)
			}
		})
	}
}

func TestBadFileCostsOnlyThatFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.json", []byte(driftPlan))
	writeFile(t, dir, "b.json", []byte(`{"format_version": "2.0"}`))
	writeFile(t, dir, "c.json", []byte(""))
	inv, errs := inventory(t, Config{Paths: []string{"*.json", "missing.json", "none-*.json"}, BaseDir: dir})
	require.Len(t, inv.Resources, 3)

	var msgs []string
	for _, err := range errs {
		msgs = append(msgs, err.Error())
	}
	sort.Strings(msgs)
	joined := strings.Join(msgs, "\n")
	require.Contains(t, joined, "b.json: format_version:")
	require.Contains(t, joined, "c.json: file is empty")
	require.Contains(t, joined, "missing.json: opening plan")
	require.Contains(t, joined, "matches no file")
}

func TestDuplicateStack(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "prod.json", []byte(driftPlan))
	writeFile(t, dir, "prod.tfplan.json", []byte(driftPlan))
	inv, errs := inventory(t, Config{Paths: []string{"prod.json", "prod.tfplan.json"}, BaseDir: dir})
	require.Len(t, inv.Resources, 3, "only the first file of the stack is read")
	var dup error
	for _, err := range errs {
		if strings.Contains(err.Error(), "already read") {
			dup = err
		}
	}
	require.Error(t, dup)
	require.Equal(t, filepath.Join(dir, "prod.tfplan.json"), inputErr(t, dup).Location)
}

func TestConfiguredStack(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "x.json", []byte(driftPlan))
	inv, _ := inventory(t, Config{Paths: []string{"x.json"}, BaseDir: dir, Stack: "network/prod"})
	for _, r := range inv.Resources {
		require.Equal(t, "network/prod", r.Stack)
	}
	_, errs := inventory(t, Config{Paths: []string{"x.json", "y.json"}, BaseDir: dir, Stack: "s"})
	require.Len(t, errs, 1)
	require.ErrorContains(t, errs[0], "names one plan")
}

const uiStream = `{"@level":"info","@message":"Terraform 1.9.0","@module":"terraform.ui","@timestamp":"2024-05-01T10:00:00Z","terraform":"1.9.0","type":"version","ui":"1.2"}
{"@level":"info","@message":"aws_s3_bucket.logs: Refreshing state... [id=logs]","@module":"terraform.ui","type":"refresh_start","hook":{"resource":{"addr":"aws_s3_bucket.logs"}}}
{"@level":"info","@message":"aws_security_group.web: Drift detected (update)","@module":"terraform.ui","change":{"resource":{"addr":"module.net.aws_security_group.web[\"a\"]","module":"module.net","resource":"aws_security_group.web[\"a\"]","implied_provider":"aws","resource_type":"aws_security_group","resource_name":"web","resource_key":"a"},"action":"update"},"type":"resource_drift"}
this line is broken {
{"@level":"info","@message":"aws_s3_bucket.logs: Drift detected (delete)","@module":"terraform.ui","change":{"resource":{"addr":"aws_s3_bucket.logs","module":"","resource":"aws_s3_bucket.logs","implied_provider":"aws","resource_type":"aws_s3_bucket","resource_name":"logs","resource_key":null},"action":"delete"},"type":"resource_drift"}

{"@level":"info","@message":"data.aws_iam_policy_document.p: Drift detected (update)","change":{"resource":{"addr":"data.aws_iam_policy_document.p","module":"","resource":"data.aws_iam_policy_document.p","implied_provider":"aws","resource_type":"aws_iam_policy_document","resource_name":"p"},"action":"update"},"type":"resource_drift"}
{"@level":"info","@message":"aws_instance.x: Drift detected (move)","change":{"resource":{"addr":"aws_instance.x","resource":"aws_instance.x","implied_provider":"aws","resource_type":"aws_instance","resource_name":"x"},"action":"move"},"type":"resource_drift"}
{"@level":"info","@message":"Plan: 0 to add, 0 to change, 0 to destroy.","@module":"terraform.ui","changes":{"add":0,"change":0,"import":0,"remove":0,"operation":"plan"},"type":"change_summary"}
`

func TestUIStream(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "net-plan.jsonl", []byte(uiStream))
	inv, errs := inventory(t, Config{Paths: []string{p}})

	require.Len(t, errs, 1)
	ie := inputErr(t, errs[0])
	require.Equal(t, p, ie.Location)
	require.Equal(t, "line 4", ie.Place)
	require.ErrorContains(t, errs[0], "decoding UI message")

	require.Len(t, inv.Resources, 2)
	sg, logs := inv.Resources[0], inv.Resources[1]
	require.Equal(t, `module.net.aws_security_group.web["a"]`, sg.Address)
	require.Equal(t, "aws_security_group", sg.Type)
	require.Equal(t, "aws", sg.Provider)
	require.Equal(t, "net", sg.Stack)
	require.True(t, sg.Partial)
	require.False(t, sg.Gone)
	require.Empty(t, sg.Attributes)

	require.Equal(t, "aws_s3_bucket.logs", logs.Address)
	require.True(t, logs.Gone)
}

func TestUIStreamBadInput(t *testing.T) {
	tests := []struct {
		name, content, wantPlace, wantMsg string
		resources                         int
	}{
		{"ui version 2", `{"@level":"info","type":"version","ui":"2.0"}` + "\n", "line 1", "UI version \"2.0\" is not supported", 0},
		{"error diagnostic", `{"@level":"error","@message":"Error: x","type":"diagnostic","diagnostic":{"severity":"error","summary":"Invalid credentials","range":{"filename":"main.tf","start":{"line":3}}}}` + "\n" +
			`{"@level":"info","type":"resource_drift","change":{"resource":{"addr":"aws_vpc.a","resource":"aws_vpc.a","implied_provider":"aws","resource_type":"aws_vpc"},"action":"update"}}` + "\n",
			"line 1", "Invalid credentials (main.tf line 3)", 1},
		{"no type", `{"@level":"info","@message":"hello"}` + "\n", "line 1", "has no type", 0},
		{"drift without address", `{"@level":"info","type":"resource_drift","change":{"action":"update"}}` + "\n", "line 1", "no change.resource.addr", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := writeFile(t, dir, "s.json", []byte(tt.content))
			inv, errs := inventory(t, Config{Paths: []string{p}})
			require.NotEmpty(t, errs)
			ie := inputErr(t, errs[0])
			require.Equal(t, p, ie.Location)
			require.Equal(t, tt.wantPlace, ie.Place)
			require.ErrorContains(t, errs[0], tt.wantMsg)
			require.Len(t, inv.Resources, tt.resources)
		})
	}
}

func TestStreamDetectedWithoutAtKeys(t *testing.T) {
	// jq-filtered streams keep only some keys.
	content := `{"type":"resource_drift","change":{"resource":{"addr":"aws_vpc.a","resource":"aws_vpc.a","implied_provider":"aws","resource_type":"aws_vpc"},"action":"update"}}` + "\n"
	dir := t.TempDir()
	p := writeFile(t, dir, "s.json", []byte(content))
	inv, errs := inventory(t, Config{Paths: []string{p}})
	require.Empty(t, errs)
	require.Len(t, inv.Resources, 1)
	require.True(t, inv.Resources[0].Partial)
}

func encodeUTF16(s string, order binary.ByteOrder) []byte {
	u := utf16.Encode([]rune("\uFEFF" + s))
	out := make([]byte, 2*len(u))
	for i, c := range u {
		order.PutUint16(out[2*i:], c)
	}
	return out
}

func TestEncodings(t *testing.T) {
	crlfPlan := strings.ReplaceAll(driftPlan, "\n", "\r\n")
	crlfStream := strings.ReplaceAll(uiStream, "\n", "\r\n")
	tests := []struct {
		name      string
		data      []byte
		resources int
		errs      int
	}{
		{"plan UTF-8", []byte(driftPlan), 3, 2},
		{"plan UTF-8 BOM CRLF", append([]byte("\xEF\xBB\xBF"), crlfPlan...), 3, 2},
		{"plan UTF-16LE BOM CRLF", encodeUTF16(crlfPlan, binary.LittleEndian), 3, 2},
		{"plan UTF-16BE BOM", encodeUTF16(driftPlan, binary.BigEndian), 3, 2},
		{"stream UTF-8 BOM CRLF", append([]byte("\xEF\xBB\xBF"), crlfStream...), 2, 1},
		{"stream UTF-16LE BOM CRLF", encodeUTF16(crlfStream, binary.LittleEndian), 2, 1},
		{"stream UTF-16BE BOM", encodeUTF16(uiStream, binary.BigEndian), 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := writeFile(t, dir, "x.json", tt.data)
			inv, errs := inventory(t, Config{Paths: []string{p}})
			require.Len(t, inv.Resources, tt.resources)
			require.Len(t, errs, tt.errs)
		})
	}
	t.Run("syntax error place in UTF-16", func(t *testing.T) {
		dir := t.TempDir()
		p := writeFile(t, dir, "x.json", encodeUTF16("{\r\n \"format_version\": \"1.2\",\r\n \"x\": [1,]\r\n}", binary.LittleEndian))
		_, errs := inventory(t, Config{Paths: []string{p}})
		require.Len(t, errs, 1)
		require.Equal(t, "line 3, column 10", inputErr(t, errs[0]).Place)
	})
}

func TestCancelledContext(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.json", []byte(driftPlan))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	inv, errs := NewSource("plans", Config{Paths: []string{"a.json"}, BaseDir: dir}).Inventory(ctx)
	require.Empty(t, inv.Resources)
	require.Len(t, errs, 1)
	require.True(t, errors.Is(errs[0], context.Canceled))
}

func TestRecursiveGlob(t *testing.T) {
	dir := t.TempDir()
	top := writeFile(t, dir, "plans/top.json", []byte(driftPlan))
	deep := writeFile(t, dir, "plans/eu/prod/network.tfplan.json", []byte(driftPlan))
	writeFile(t, dir, "plans/.terraform/ignored.json", []byte(driftPlan))
	writeFile(t, dir, "plans/eu/notes.txt", []byte("not a plan"))
	inv, errs := inventory(t, Config{Paths: []string{"plans/**/*.json"}, BaseDir: dir})
	stacks := map[string]bool{}
	for _, r := range inv.Resources {
		stacks[r.Stack] = true
	}
	require.Equal(t, map[string]bool{"top": true, "network": true}, stacks, "** matches any depth, zero included")
	locations := map[string]bool{}
	for _, err := range errs {
		require.ErrorContains(t, err, "resource_drift[", "only the plan's own bad entries")
		locations[inputErr(t, err).Location] = true
	}
	require.Equal(t, map[string]bool{top: true, deep: true}, locations)
}

func TestDirectoryPath(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "plans/a.json", []byte(driftPlan))
	inv, errs := inventory(t, Config{Paths: []string{"plans"}, BaseDir: dir})
	require.Empty(t, inv.Resources)
	require.Len(t, errs, 1)
	require.Equal(t, filepath.Join(dir, "plans"), inputErr(t, errs[0]).Location)
	require.ErrorContains(t, errs[0], "is a directory")
}
