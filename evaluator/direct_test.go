package evaluator

import (
	"context"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
)

// TestDirectQueryAgreesWithRego evaluates the synthetic inventory (every
// built-in resource policy, compliant and violating resources) through the
// evaluator's direct topdown queries and, policy by policy, through the rego
// package's prepared queries: both must give the same deny sets.
func TestDirectQueryAgreesWithRego(t *testing.T) {
	ctx := context.Background()
	ev, err := New(ctx, Options{Builtin: true, Workers: 1})
	require.NoError(t, err)
	set := ev.set.Load()
	kp := set.plans[model.SubjectResource]
	txn, err := set.store.NewTransaction(ctx)
	require.NoError(t, err)
	defer set.store.Abort(ctx, txn)
	r := newRunner(ctx, set.store, txn)
	defer r.close()

	resources := synthResources(200)
	denied := 0
	for i := range resources {
		res := &resources[i]
		pl := kp.planFor(res.Type)
		require.NotNil(t, pl, res.Type)
		in, err := resourceInput(res)
		require.NoError(t, err)
		qr, err := r.eval(ctx, pl.direct, in)
		require.NoError(t, err)
		require.NotNil(t, qr)
		for j, p := range pl.policies {
			rs, err := p.query.Eval(ctx, rego.EvalParsedInput(in), rego.EvalTransaction(txn))
			require.NoError(t, err)
			require.Len(t, rs, 1)
			want := rs[0].Bindings[resultVar(0)].(*ast.Term)
			got := qr[pl.direct.vars[j]]
			require.NotNil(t, got, "policy %s on %s", p.info.ID, res.ID)
			require.True(t, want.Equal(got), "policy %s on %s: rego %v, direct %v", p.info.ID, res.ID, want, got)
			if got.Value.(ast.Set).Len() > 0 {
				denied++
			}
		}
	}
	require.Positive(t, denied, "the inventory has violations")
}

// TestReusedInputBufferMatchesFreshInput checks that a worker's reused
// input maps give every resource exactly its own input, never a key left
// from the previous one.
func TestReusedInputBufferMatchesFreshInput(t *testing.T) {
	a := model.Resource{ID: "aws/aws_s3_bucket/a", Type: "aws_s3_bucket", Address: "aws_s3_bucket.a", Source: "state",
		Tags: map[string]string{"owner": "x"}, Attributes: map[string]any{"acl": "public-read"}}
	b := model.Resource{ID: "aws/aws_instance/b", Type: "aws_instance", Provider: "aws", Region: "eu-west-1"}
	var buf inputBuf
	for _, r := range []*model.Resource{&a, &b, &a} {
		got, err := resourceInputBuf(r, &buf)
		require.NoError(t, err)
		fresh, err := resourceMap(r)
		require.NoError(t, err)
		want := ast.MustInterfaceToValue(map[string]any{"kind": "resource", "resource": fresh})
		require.Equal(t, 0, want.Compare(got), "resource %s", r.ID)
	}
}
