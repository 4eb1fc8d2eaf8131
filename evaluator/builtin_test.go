package evaluator

import (
	"context"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/policies"
)

// TestBuiltinPoliciesThroughEvaluator runs every built-in policy through
// the Go evaluator (input building, type partitioning, result parsing) with
// an allowed and a denied fixture, as model values.
func TestBuiltinPoliciesThroughEvaluator(t *testing.T) {
	type fixture struct {
		resource *model.Resource
		drift    *model.Drift
	}
	r := func(typ string, attrs map[string]any) fixture {
		x := res(typ, "x", attrs, owned)
		return fixture{resource: &x}
	}
	d := func(kind model.DriftKind, typ string) fixture {
		x := res(typ, "x", nil, owned)
		return fixture{drift: &model.Drift{Kind: kind, Resource: x, Diffs: []model.Diff{{Path: "description", Applied: "a", Live: "b"}}}}
	}
	cases := map[string]struct {
		allow, deny []fixture
		msg         string
	}{
		"DW-AWS-S3-001": {
			allow: []fixture{
				r("aws_s3_bucket", map[string]any{"acl": "private", "grant": []any{}}),
				r("aws_s3_bucket_public_access_block", map[string]any{"block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true}),
			},
			deny: []fixture{
				r("aws_s3_bucket", map[string]any{"acl": "public-read-write"}),
				r("aws_s3_bucket_acl", map[string]any{"acl": "authenticated-read"}),
				r("aws_s3_bucket_public_access_block", map[string]any{"block_public_acls": true, "block_public_policy": true, "ignore_public_acls": false, "restrict_public_buckets": true}),
			},
			msg: `aws_s3_bucket.x has the canned ACL "public-read-write", which opens the bucket to the public`,
		},
		"DW-AWS-EC2-001": {
			allow: []fixture{
				r("aws_security_group", map[string]any{"ingress": []any{map[string]any{"protocol": "tcp", "from_port": 443.0, "to_port": 443.0, "cidr_blocks": []any{"0.0.0.0/0"}}}}),
				r("aws_vpc_security_group_ingress_rule", map[string]any{"ip_protocol": "tcp", "from_port": 22.0, "to_port": 22.0, "cidr_ipv4": "10.0.0.0/8"}),
			},
			deny: []fixture{
				r("aws_security_group", map[string]any{"ingress": []any{map[string]any{"protocol": "tcp", "from_port": 20.0, "to_port": 25.0, "cidr_blocks": []any{"0.0.0.0/0"}}}}),
				r("aws_security_group_rule", map[string]any{"type": "ingress", "protocol": "-1", "from_port": 0.0, "to_port": 0.0, "ipv6_cidr_blocks": []any{"::/0"}}),
				r("aws_vpc_security_group_ingress_rule", map[string]any{"ip_protocol": "tcp", "from_port": 3389.0, "to_port": 3389.0, "cidr_ipv4": "0.0.0.0/0"}),
			},
			msg: "aws_security_group.x allows SSH (port 22) from 0.0.0.0/0",
		},
		"DW-AWS-EBS-001": {
			allow: []fixture{r("aws_ebs_volume", map[string]any{"encrypted": true}), r("aws_instance", map[string]any{"root_block_device": []any{map[string]any{"encrypted": true}}})},
			deny:  []fixture{r("aws_ebs_volume", map[string]any{"encrypted": false}), r("aws_instance", map[string]any{"root_block_device": []any{map[string]any{"encrypted": false}}})},
			msg:   "aws_ebs_volume.x is not encrypted at rest",
		},
		"DW-AWS-RDS-001": {
			allow: []fixture{r("aws_db_instance", map[string]any{"engine": "mysql", "storage_encrypted": true})},
			deny:  []fixture{r("aws_db_instance", map[string]any{"engine": "mysql", "storage_encrypted": false}), r("aws_rds_cluster", map[string]any{"storage_encrypted": false})},
			msg:   "aws_db_instance.x stores its data unencrypted (storage_encrypted = false)",
		},
		"DW-TAG-001": {
			allow: []fixture{
				r("aws_iam_role", map[string]any{"tags": map[string]any{"Owner": "sec"}}),
				r("aws_iam_role_policy_attachment", map[string]any{"role": "x"}),
				r("azurerm_resource_group", map[string]any{"tags": map[string]any{}}),
			},
			deny: []fixture{
				func() fixture {
					f := r("aws_iam_role", map[string]any{"tags": map[string]any{"env": "prod"}})
					f.resource.Tags = map[string]string{"env": "prod"}
					return f
				}(),
				func() fixture {
					f := r("google_storage_bucket", map[string]any{"labels": map[string]any{"owner": ""}})
					f.resource.Tags = nil
					return f
				}(),
			},
			msg: "aws_iam_role.x is missing required tag(s): owner",
		},
		"DW-DRIFT-001": {
			allow: []fixture{d(model.DriftChanged, "aws_instance"), d(model.DriftUnmanaged, "aws_iam_role")},
			deny:  []fixture{d(model.DriftChanged, "aws_iam_role"), d(model.DriftMissing, "google_compute_firewall"), d(model.DriftChanged, "aws_kms_key")},
			msg:   "aws_iam_role.x (aws_iam_role) was changed outside Terraform: description",
		},
	}

	ev := newEval(t, Options{Builtin: true})
	for _, p := range ev.Policies() {
		require.Contains(t, cases, p.ID, "every built-in policy needs fixtures here")
	}
	eval := func(t *testing.T, f fixture) []model.Violation {
		t.Helper()
		var (
			vs   []model.Violation
			errs []error
		)
		if f.resource != nil {
			vs, errs = ev.EvaluateResources(context.Background(), []model.Resource{*f.resource})
		} else {
			vs, errs = ev.EvaluateDrifts(context.Background(), []model.Drift{*f.drift})
		}
		require.Empty(t, errs)
		return vs
	}
	for id, tc := range cases {
		t.Run(id, func(t *testing.T) {
			for i, f := range tc.allow {
				require.Empty(t, byPolicy(eval(t, f))[id], "allow fixture %d", i)
			}
			for i, f := range tc.deny {
				got := byPolicy(eval(t, f))[id]
				require.Len(t, got, 1, "deny fixture %d", i)
				v := got[0]
				require.NotEmpty(t, v.Title)
				require.True(t, v.Severity.Valid())
				require.NotEmpty(t, v.Controls)
				require.NotEmpty(t, v.Remediation)
				require.NotEmpty(t, v.Message)
				if i == 0 {
					require.Equal(t, tc.msg, v.Message)
				}
			}
		})
	}
}

// TestBuiltinPoliciesCompileStrict compiles the built-in library and its
// tests in OPA's strict mode (no unused variables or imports, no deprecated
// built-ins) so that `opa check --strict` has nothing to say about it.
func TestBuiltinPoliciesCompileStrict(t *testing.T) {
	src, err := loadSources(true, nil, true)
	require.NoError(t, err)
	modules := map[string]*ast.Module{}
	maps.Copy(modules, src.modules)
	maps.Copy(modules, src.tests)
	c := ast.NewCompiler().WithDefaultRegoVersion(ast.RegoV1).WithStrict(true)
	c.Compile(modules)
	require.False(t, c.Failed(), "%v", c.Errors)
}

// TestBuiltinPoliciesAreFormatted keeps the library in `opa fmt` style.
// Run with DRIFTWARDEN_FMT_WRITE=1 to rewrite the files in place.
func TestBuiltinPoliciesAreFormatted(t *testing.T) {
	err := fs.WalkDir(policies.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".rego" {
			return err
		}
		src, err := fs.ReadFile(policies.FS, p)
		require.NoError(t, err)
		got, err := format.Source(p, src)
		require.NoError(t, err)
		if os.Getenv("DRIFTWARDEN_FMT_WRITE") != "" {
			require.NoError(t, os.WriteFile(filepath.Join("..", "policies", p), got, 0o644))
			return nil
		}
		require.Equal(t, string(got), string(src), "policies/%s is not formatted like opa fmt", p)
		return nil
	})
	require.NoError(t, err)
}
