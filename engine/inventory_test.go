package engine

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/evaluator"
	"github.com/driftwarden/driftwarden/model"
	"github.com/driftwarden/driftwarden/store"
)

// A public bucket is not reported (DW-AWS-S3-001) when the same cycle's view
// holds an account-wide public access block of its account with all four
// protections on; it is reported again once the block is gone.
func TestAccountBlockInTheCycleSuppressesBucketFinding(t *testing.T) {
	ctx := context.Background()
	ev, err := evaluator.New(ctx, evaluator.Options{Builtin: true, Workers: 2})
	require.NoError(t, err)
	require.Contains(t, ev.InventoryTypes(), "aws_s3_account_public_access_block")

	bucket := model.Resource{ID: "arn:aws:s3:::site", Type: "aws_s3_bucket", Provider: "aws", Stack: "prod",
		Address: "aws_s3_bucket.site", Account: "111122223333", Region: "eu-west-1", Source: "states",
		Tags:       map[string]string{"owner": "web"},
		Attributes: map[string]any{"bucket": "site", "acl": "public-read"}}
	block := model.Resource{ID: "111122223333/s3-account-public-access-block", Type: "aws_s3_account_public_access_block",
		Provider: "aws", Stack: "org", Address: "aws_s3_account_public_access_block.this", Account: "111122223333", Source: "states",
		Tags: map[string]string{"owner": "web"},
		Attributes: map[string]any{"account_id": "111122223333", "block_public_acls": true, "block_public_policy": true,
			"ignore_public_acls": true, "restrict_public_buckets": true}}
	st := &fakeStates{name: "states", stacks: []collectors.Stack{
		{Name: "prod", Resources: []model.Resource{bucket}},
		{Name: "org", Resources: []model.Resource{block}},
	}}
	inv := &fakeInventory{name: "live", inv: collectors.Inventory{Source: "live"}}
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "e.db"), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	e := &Engine{States: []collectors.StateSource{st}, Inventories: []collectors.InventorySource{inv},
		Compare: compareByID, Evaluator: ev, Store: s}

	s3Findings := func(r *Result) []string {
		var out []string
		for _, f := range r.Findings {
			if f.PolicyID == "DW-AWS-S3-001" && f.State != model.StateResolved {
				out = append(out, f.ResourceID)
			}
		}
		return out
	}
	r, err := e.Run(ctx)
	require.NoError(t, err)
	require.Empty(t, s3Findings(r), "the account block of the same cycle overrides the bucket ACL")

	// Next cycle: the account block is gone, the bucket is reported.
	st.stacks = st.stacks[:1]
	r, err = e.Run(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{bucket.ID}, s3Findings(r))

	// The block in another account does not suppress it.
	other := block
	other.ID, other.Account = "444455556666/s3-account-public-access-block", "444455556666"
	other.Attributes = map[string]any{"account_id": "444455556666", "block_public_acls": true, "block_public_policy": true,
		"ignore_public_acls": true, "restrict_public_buckets": true}
	st.stacks = append(st.stacks, collectors.Stack{Name: "org", Resources: []model.Resource{other}})
	r, err = e.Run(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{bucket.ID}, s3Findings(r))
}

// The inventory is context: a live-only account block (set outside
// Terraform) still counts when a state fails to load, and a state bucket
// whose ARN names no account takes its account from the live source.
func TestInventoryKeepsLiveOnlyContextWhenAStateFails(t *testing.T) {
	ctx := context.Background()
	ev, err := evaluator.New(ctx, evaluator.Options{Builtin: true, Workers: 2})
	require.NoError(t, err)
	bucket := model.Resource{ID: "arn:aws:s3:::site", Type: "aws_s3_bucket", Provider: "aws", Stack: "prod",
		Address: "aws_s3_bucket.site", Source: "states", // the state's ARN names no account
		Attributes: map[string]any{"bucket": "site", "acl": "public-read"}}
	liveBucket := collectors.LiveResource{Resource: model.Resource{ID: "arn:aws:s3:::site", Type: "aws_s3_bucket",
		Account: "111122223333", Region: "eu-west-1", Attributes: map[string]any{"acl": "public-read"}}, Partial: true}
	block := collectors.LiveResource{Resource: model.Resource{ID: "111122223333/s3-account-public-access-block",
		Type: "aws_s3_account_public_access_block", Provider: "aws", Account: "111122223333",
		Attributes: map[string]any{"account_id": "111122223333", "block_public_acls": true, "block_public_policy": true,
			"ignore_public_acls": true, "restrict_public_buckets": true}}}
	st := &fakeStates{name: "states", stacks: []collectors.Stack{{Name: "prod", Resources: []model.Resource{bucket}}}}
	inv := &fakeInventory{name: "live", inv: collectors.Inventory{Source: "live", Resources: []collectors.LiveResource{liveBucket, block}}}
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "e.db"), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	e := &Engine{States: []collectors.StateSource{st}, Inventories: []collectors.InventorySource{inv},
		Compare: compareByID, Evaluator: ev, Store: s}
	s3 := func(r *Result) int {
		n := 0
		for _, f := range r.Findings {
			if f.PolicyID == "DW-AWS-S3-001" && f.State != model.StateResolved {
				n++
			}
		}
		return n
	}
	r, err := e.Run(ctx)
	require.NoError(t, err)
	require.Zero(t, s3(r), "the live account block covers the managed bucket (account from the live source)")

	// Another state fails: the live-only block is still context.
	st.errs = []error{&collectors.InputError{Source: "states", Location: "other.tfstate", Err: context.DeadlineExceeded}}
	r, err = e.Run(ctx)
	require.NoError(t, err)
	require.Zero(t, s3(r))
}
