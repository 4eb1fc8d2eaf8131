package evaluator

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
)

// inventoryPolicy flags aws_instance for every aws_s3_bucket of the cycle's
// inventory, and names the inventory types it sees. Without an inventory
// its deny set is provably empty: partial evaluation would prune it.
const inventoryPolicy = `# METADATA
# title: Sees buckets
# description: Test policy reading the inventory.
# custom:
#   id: ACME-INV-001
#   severity: low
#   controls: ["ACME:INV-1"]
#   remediation: None.
#   input: resource
#   resource_types: [aws_instance]
#   inventory_types: [aws_s3_bucket]
package acme.inventory

deny contains msg if {
	input.resource.type == "aws_instance"
	some b in data.driftwarden.inventory.aws_s3_bucket
	msg := sprintf("%s sees %s (account %s, region %s, stack %s, address %s, secret %v) among %v", [
		input.resource.address, b.id, b.account, b.region, b.stack, b.address,
		object.get(b.attributes, "secret", "-"), object.keys(data.driftwarden.inventory),
	])
}

deny contains "empty inventory" if {
	input.resource.type == "aws_instance"
	input.resource.attributes.report_empty == true
	count(data.driftwarden.inventory.aws_s3_bucket) == 0
}
`

func inventoryEval(t *testing.T, opts Options) *Evaluator {
	t.Helper()
	opts.Dirs = []string{policyDir(t, map[string]string{"inv.rego": inventoryPolicy})}
	return newEval(t, opts)
}

func bucketRes(name, account string) model.Resource {
	r := res("aws_s3_bucket", name, map[string]any{"bucket": name, "secret": "s3cr3t"}, owned)
	r.Account, r.Region, r.Sensitive = account, "eu-west-1", []string{"secret"}
	return r
}

func invMessages(vs []model.Violation) []string {
	var out []string
	for _, v := range vs {
		if v.PolicyID == "ACME-INV-001" {
			out = append(out, v.Message)
		}
	}
	return out
}

func TestInventoryIsVisibleToDeclaringPolicy(t *testing.T) {
	ev := inventoryEval(t, Options{})
	require.Equal(t, []string{"aws_s3_bucket"}, ev.InventoryTypes())
	var info PolicyInfo
	for _, p := range ev.Policies() {
		if p.ID == "ACME-INV-001" {
			info = p
		}
	}
	require.Equal(t, []string{"aws_s3_bucket"}, info.InventoryTypes)

	inst := res("aws_instance", "web", map[string]any{}, owned)
	role := res("aws_iam_role", "admin", map[string]any{}, owned)
	vs, errs := ev.EvaluateResourcesWithInventory(context.Background(), []model.Resource{inst},
		[]model.Resource{bucketRes("logs", "111122223333"), role, inst})
	require.Empty(t, errs)
	msgs := invMessages(vs)
	require.Len(t, vs, 1)
	require.Equal(t, fmt.Sprintf(`aws_instance.web sees %s (account 111122223333, region eu-west-1, stack app, address aws_s3_bucket.logs, secret %s) among {"aws_s3_bucket"}`,
		bucketRes("logs", "").ID, model.Redacted), msgs[0],
		"the declared type only, attributes redacted like the input's")
	require.NotContains(t, msgs[0], "s3cr3t")
}

func TestInventoryAbsentIsEmpty(t *testing.T) {
	ev := inventoryEval(t, Options{})
	ctx := context.Background()
	inst := res("aws_instance", "web", map[string]any{"report_empty": true}, owned)
	for name, run := range map[string]func() ([]model.Violation, []error){
		"EvaluateResources": func() ([]model.Violation, []error) { return ev.EvaluateResources(ctx, []model.Resource{inst}) },
		"nil inventory": func() ([]model.Violation, []error) {
			return ev.EvaluateResourcesWithInventory(ctx, []model.Resource{inst}, nil)
		},
		"no resource of the type": func() ([]model.Violation, []error) {
			return ev.EvaluateResourcesWithInventory(ctx, []model.Resource{inst}, []model.Resource{res("aws_iam_role", "r", nil, owned)})
		},
	} {
		vs, errs := run()
		require.Empty(t, errs, name)
		require.Equal(t, []string{"empty inventory"}, invMessages(vs), name)
	}
}

func TestInventoryPolicyIsNotPruned(t *testing.T) {
	ev := inventoryEval(t, Options{})
	pl := ev.set.Load().plans[model.SubjectResource].planFor("aws_instance")
	require.NotNil(t, pl)
	var ids []string
	for _, p := range pl.policies {
		ids = append(ids, p.info.ID)
	}
	require.Contains(t, ids, "ACME-INV-001", "partial evaluation saw an empty inventory; the policy must still run")

	// The same policy without inventory_types is pruned (its deny set is
	// empty for the data partial evaluation sees): the guard is what keeps it.
	dir := policyDir(t, map[string]string{"inv.rego": strings.Replace(inventoryPolicy, "#   inventory_types: [aws_s3_bucket]\n", "", 1)})
	plain := newEval(t, Options{Dirs: []string{dir}})
	require.Empty(t, plain.InventoryTypes())
	if ppl := plain.set.Load().plans[model.SubjectResource].planFor("aws_instance"); ppl != nil {
		for _, p := range ppl.policies {
			require.NotEqual(t, "ACME-INV-001", p.info.ID)
		}
	}
}

func TestInventoryDoesNotOutliveItsCycle(t *testing.T) {
	ev := inventoryEval(t, Options{Workers: 2})
	ctx := context.Background()
	// Enough resources for both workers (several chunks each).
	insts := make([]model.Resource, 3*chunkSize)
	for i := range insts {
		insts[i] = res("aws_instance", fmt.Sprintf("i%d", i), map[string]any{}, owned)
	}
	cycle := func(inv ...model.Resource) []string {
		vs, errs := ev.EvaluateResourcesWithInventory(ctx, insts, inv)
		require.Empty(t, errs)
		msgs := invMessages(vs)
		if len(msgs) > 0 {
			require.Len(t, msgs, len(insts))
		}
		return msgs
	}
	a := cycle(bucketRes("alpha", "1"))
	require.Contains(t, a[0], "aws_s3_bucket.alpha")
	b := cycle(bucketRes("beta", "2"))
	require.Contains(t, b[len(b)-1], "aws_s3_bucket.beta")
	for _, m := range b {
		require.NotContains(t, m, "alpha", "the previous cycle's inventory is gone")
	}
	require.Empty(t, cycle(), "no inventory: no verdict from the last one")
	vs, _ := ev.EvaluateResources(ctx, insts)
	require.Empty(t, invMessages(vs))

	// Concurrent calls with different inventories see their own.
	done := make(chan []string, 2)
	for _, name := range []string{"gamma", "delta"} {
		go func() {
			vs, _ := ev.EvaluateResourcesWithInventory(ctx, insts, []model.Resource{bucketRes(name, "3")})
			done <- invMessages(vs)
		}()
	}
	for range 2 {
		msgs := <-done
		require.Len(t, msgs, len(insts))
		want := "gamma"
		if strings.Contains(msgs[0], "delta") {
			want = "delta"
		}
		for _, m := range msgs {
			require.Contains(t, m, "aws_s3_bucket."+want)
		}
	}
}

func TestInventoryBadEntryCostsOnlyItself(t *testing.T) {
	ev := inventoryEval(t, Options{})
	bad := model.Resource{ID: "bad", Type: "aws_s3_bucket", RawAttributes: []byte(`{not json`)}
	vs, errs := ev.EvaluateResourcesWithInventory(context.Background(),
		[]model.Resource{res("aws_instance", "web", map[string]any{}, owned)},
		[]model.Resource{bad, bucketRes("logs", "1")})
	require.Len(t, errs, 1)
	require.Contains(t, errs[0].Error(), "inventory entry of resource bad")
	msgs := invMessages(vs)
	require.Len(t, msgs, 1)
	require.Contains(t, msgs[0], "aws_s3_bucket.logs")
}

func TestInventoryTypesOfDisabledPoliciesAreNotSupplied(t *testing.T) {
	ev := inventoryEval(t, Options{Disabled: []string{"ACME-INV-001"}})
	require.Empty(t, ev.InventoryTypes())
	builtin := newEval(t, Options{Builtin: true})
	require.Equal(t, []string{"aws_s3_account_public_access_block", "google_storage_bucket"}, builtin.InventoryTypes())
}

// The built-in policies use the inventory: a bucket-level S3 finding is
// suppressed by an all-on account block of the same account.
func TestBuiltinS3AccountBlockFromInventory(t *testing.T) {
	ev := newEval(t, Options{Builtin: true})
	bucket := res("aws_s3_bucket", "site", map[string]any{"bucket": "site", "acl": "public-read"}, owned)
	bucket.Account = "111122223333"
	block := res("aws_s3_account_public_access_block", "111122223333", map[string]any{"account_id": "111122223333",
		"block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true}, owned)
	block.Account = "111122223333"
	ctx := context.Background()
	vs, errs := ev.EvaluateResources(ctx, []model.Resource{bucket})
	require.Empty(t, errs)
	require.Len(t, byPolicy(vs)["DW-AWS-S3-001"], 1)
	vs, errs = ev.EvaluateResourcesWithInventory(ctx, []model.Resource{bucket, block}, []model.Resource{bucket, block})
	require.Empty(t, errs)
	require.Empty(t, byPolicy(vs)["DW-AWS-S3-001"])
}

// The GCS policy finds the bucket by its canonical id in
// data.driftwarden.inventory_by_id (a lookup, not a scan per grant).
func TestBuiltinGCSPublicAccessPreventionFromInventory(t *testing.T) {
	ev := newEval(t, Options{Builtin: true})
	grant := res("google_storage_bucket_iam_member", "data-viewers",
		map[string]any{"bucket": "b/data", "role": "roles/storage.objectViewer", "member": "allUsers"}, owned)
	bucket := func(name, pap string) model.Resource {
		r := res("google_storage_bucket", name, map[string]any{"name": name, "public_access_prevention": pap}, owned)
		r.ID = "//storage.googleapis.com/" + name // the canonical id (CAI name)
		return r
	}
	ctx := context.Background()
	var others []model.Resource
	for i := range 500 {
		others = append(others, bucket(fmt.Sprintf("other-%d", i), "enforced"))
	}
	vs, errs := ev.EvaluateResourcesWithInventory(ctx, []model.Resource{grant}, append(others, bucket("data", "inherited")))
	require.Empty(t, errs)
	require.Len(t, byPolicy(vs)["DW-GCP-GCS-001"], 1)
	vs, errs = ev.EvaluateResourcesWithInventory(ctx, []model.Resource{grant}, append(others, bucket("data", "enforced")))
	require.Empty(t, errs)
	require.Empty(t, byPolicy(vs)["DW-GCP-GCS-001"])
}
