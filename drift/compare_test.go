package drift

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/model"
)

func bucket(name string, attrs map[string]any) model.Resource {
	r := res("aws_s3_bucket", name, name, attrs)
	r.ID = "arn:aws:s3:::" + name
	r.Account, r.Region = "111122223333", "eu-west-1"
	return r
}

func TestDriftKinds(t *testing.T) {
	attrs := map[string]any{"bucket": "b", "acl": "private"}
	changed := map[string]any{"bucket": "b", "acl": "public-read"}
	covers := []string{"aws_s3_bucket"}
	type want struct {
		kind    model.DriftKind
		id      string
		stack   string
		diffs   []string
		sources []string
	}
	cases := []struct {
		name         string
		stacks       []collectors.Stack
		invs         []collectors.Inventory
		opts         Options // Unmanaged is set unless unmanagedOff
		unmanagedOff bool
		want         []want
		counts       map[string]StackCounts
	}{
		{
			name:   "changed, matched by canonical id",
			stacks: []collectors.Stack{stack("s", bucket("b", attrs))},
			invs:   []collectors.Inventory{inventory("cfg", covers, live(bucket("b", changed)))},
			want:   []want{{kind: model.DriftChanged, id: "arn:aws:s3:::b", stack: "s", diffs: []string{"acl"}, sources: []string{"cfg"}}},
			counts: map[string]StackCounts{"s": {Resources: 1, Observed: 1, Changed: 1}},
		},
		{
			name:   "changed, matched by type and native id when ids differ in form",
			stacks: []collectors.Stack{stack("s", bucket("b", attrs))},
			invs: []collectors.Inventory{inventory("cfg", covers, func() collectors.LiveResource {
				l := live(bucket("b", changed))
				l.ID = model.CanonicalID("aws", "aws_s3_bucket", "b")
				return l
			}())},
			want: []want{{kind: model.DriftChanged, id: "arn:aws:s3:::b", stack: "s", diffs: []string{"acl"}, sources: []string{"cfg"}}},
		},
		{
			name:   "in sync: nothing",
			stacks: []collectors.Stack{stack("s", bucket("b", attrs))},
			invs:   []collectors.Inventory{inventory("cfg", covers, live(bucket("b", cp(attrs))))},
			counts: map[string]StackCounts{"s": {Resources: 1, Observed: 1}},
		},
		{
			name:   "changed, plan matched by stack and address",
			stacks: []collectors.Stack{stack("s", bucket("b", attrs)), stack("t", bucket("b", attrs))},
			invs: []collectors.Inventory{inventory("plan", nil, collectors.LiveResource{Resource: func() model.Resource {
				r := bucket("b", changed)
				r.Stack, r.ID = "t", ""
				return r
			}()})},
			want: []want{{kind: model.DriftChanged, id: "arn:aws:s3:::b", stack: "t", diffs: []string{"acl"}, sources: []string{"plan"}}},
		},
		{
			name:   "changed, plan without loaded state uses Before",
			stacks: nil,
			invs: []collectors.Inventory{inventory("plan", nil, collectors.LiveResource{Before: attrs, Resource: func() model.Resource {
				r := bucket("b", changed)
				r.Stack = "unloaded"
				return r
			}()})},
			want:   []want{{kind: model.DriftChanged, id: "arn:aws:s3:::b", stack: "unloaded", diffs: []string{"acl"}, sources: []string{"plan"}}},
			counts: map[string]StackCounts{"unloaded": {Resources: 1, Observed: 1, Changed: 1}},
		},
		{
			name:   "changed without diffs: partial live resource with no attributes",
			stacks: []collectors.Stack{stack("s", bucket("b", attrs))},
			invs: []collectors.Inventory{inventory("plan-ui", nil, collectors.LiveResource{Partial: true, Resource: model.Resource{
				Type: "aws_s3_bucket", Stack: "s", Address: "aws_s3_bucket.b"}})},
			want: []want{{kind: model.DriftChanged, id: "arn:aws:s3:::b", stack: "s", sources: []string{"plan-ui"}}},
		},
		{
			name:   "partial live resource with no attributes, ignored resource",
			stacks: []collectors.Stack{stack("s", bucket("b", attrs))},
			invs: []collectors.Inventory{inventory("plan-ui", nil, collectors.LiveResource{Partial: true, Resource: model.Resource{
				Type: "aws_s3_bucket", Stack: "s", Address: "aws_s3_bucket.b"}})},
			opts:   Options{Ignore: []IgnoreRule{{Resource: "aws_s3_bucket.b", Reason: "legacy"}}},
			counts: map[string]StackCounts{"s": {Resources: 1, Observed: 1, Ignored: 1}},
		},
		{
			name:   "missing: Gone",
			stacks: []collectors.Stack{stack("s", bucket("b", attrs))},
			invs: []collectors.Inventory{inventory("plan", nil, func() collectors.LiveResource {
				l := live(bucket("b", nil))
				l.Gone = true
				return l
			}())},
			want:   []want{{kind: model.DriftMissing, id: "arn:aws:s3:::b", stack: "s", sources: []string{"plan"}}},
			counts: map[string]StackCounts{"s": {Resources: 1, Missing: 1}},
		},
		{
			name:   "missing: covered and absent",
			stacks: []collectors.Stack{stack("s", bucket("b", attrs), bucket("c", attrs))},
			invs:   []collectors.Inventory{inventory("cfg", covers, live(bucket("c", attrs)))},
			want:   []want{{kind: model.DriftMissing, id: "arn:aws:s3:::b", stack: "s", sources: []string{"cfg"}}},
			counts: map[string]StackCounts{"s": {Resources: 2, Observed: 1, Missing: 1}},
		},
		{
			name:   "not missing: type not covered",
			stacks: []collectors.Stack{stack("s", bucket("b", attrs))},
			invs:   []collectors.Inventory{inventory("cfg", []string{"aws_instance"})},
		},
		{
			name:   "not missing: another region",
			stacks: []collectors.Stack{stack("s", bucket("b", attrs))},
			invs: []collectors.Inventory{func() collectors.Inventory {
				inv := inventory("cfg", covers)
				inv.Coverage.Regions = map[string]bool{"us-east-1": true}
				return inv
			}()},
		},
		{
			name:   "not missing: absent from one inventory, seen by another",
			stacks: []collectors.Stack{stack("s", bucket("b", attrs))},
			invs:   []collectors.Inventory{inventory("cfg", covers), inventory("snap", nil, live(bucket("b", attrs)))},
		},
		{
			name:   "unmanaged: covered type, in no stack",
			stacks: []collectors.Stack{stack("s", bucket("b", attrs))},
			invs:   []collectors.Inventory{inventory("cfg", covers, live(bucket("b", attrs)), live(bucket("rogue", attrs)))},
			want:   []want{{kind: model.DriftUnmanaged, id: "arn:aws:s3:::rogue", sources: []string{"cfg"}}},
		},
		{
			name:   "not unmanaged: type not covered",
			stacks: []collectors.Stack{stack("s", bucket("b", attrs))},
			invs:   []collectors.Inventory{inventory("snap", nil, live(bucket("b", attrs)), live(bucket("rogue", attrs)))},
		},
		{
			name:         "not unmanaged: Unmanaged off",
			invs:         []collectors.Inventory{inventory("cfg", covers, live(bucket("rogue", attrs)))},
			unmanagedOff: true,
			counts:       map[string]StackCounts{},
		},
		{
			name: "not unmanaged: UnmanagedIgnoreTypes",
			invs: []collectors.Inventory{inventory("cfg", covers, live(bucket("rogue", attrs)))},
			opts: Options{UnmanagedIgnoreTypes: []string{"aws_s3_*"}},
		},
		{
			name: "not unmanaged: ignored by a whole-resource rule on the id",
			invs: []collectors.Inventory{inventory("cfg", covers, live(bucket("tmp-1", attrs)))},
			opts: Options{Ignore: []IgnoreRule{{Resource: "arn:aws:s3:::tmp-*"}}},
		},
		{
			name: "not unmanaged: provider default resources",
			invs: []collectors.Inventory{inventory("cfg", []string{"aws_vpc", "aws_security_group"},
				live(res("aws_vpc", "d", "vpc-1", map[string]any{"default": true})),
				live(res("aws_security_group", "d", "sg-1", map[string]any{"name": "default"})))},
		},
		{
			name: "unmanaged: provider default resources when asked",
			invs: []collectors.Inventory{inventory("cfg", []string{"aws_vpc"},
				live(res("aws_vpc", "d", "vpc-1", map[string]any{"default": true})))},
			opts: Options{IncludeDefaultResources: true},
			want: []want{{kind: model.DriftUnmanaged, id: "aws/aws_vpc/vpc-1", sources: []string{"cfg"}}},
		},
		{
			name:   "merged: seen changed by two inventories",
			stacks: []collectors.Stack{stack("s", bucket("b", attrs))},
			invs: []collectors.Inventory{
				inventory("cfg", covers, live(bucket("b", changed))),
				inventory("snap", covers, live(bucket("b", with(changed, "policy", `{"Statement":[]}`)))),
			},
			want:   []want{{kind: model.DriftChanged, id: "arn:aws:s3:::b", stack: "s", diffs: []string{"acl", "policy"}, sources: []string{"cfg", "snap"}}},
			counts: map[string]StackCounts{"s": {Resources: 1, Observed: 1, Changed: 1}},
		},
		{
			name:   "merged: missing in two inventories",
			stacks: []collectors.Stack{stack("s", bucket("b", attrs))},
			invs:   []collectors.Inventory{inventory("cfg", covers), inventory("cai", covers)},
			want:   []want{{kind: model.DriftMissing, id: "arn:aws:s3:::b", stack: "s", sources: []string{"cfg", "cai"}}},
		},
		{
			name:   "whole-resource ignore by module glob hides every kind",
			stacks: []collectors.Stack{stack("s", func() model.Resource { r := bucket("b", attrs); r.Address = "module.legacy.aws_s3_bucket.b"; return r }())},
			invs:   []collectors.Inventory{inventory("cfg", covers)},
			opts:   Options{Ignore: []IgnoreRule{{Resource: "module.legacy.*"}}},
			counts: map[string]StackCounts{"s": {Resources: 1, Ignored: 1}},
		},
		{
			name:   "live resource of another type system: presence only",
			stacks: []collectors.Stack{stack("s", bucket("b", attrs))},
			invs: []collectors.Inventory{inventory("cfg", covers, func() collectors.LiveResource {
				l := live(bucket("b", map[string]any{"BucketName": "b"}))
				l.Type = "AWS::S3::Bucket"
				return l
			}())},
		},
		{
			name: "applied attributes from RawAttributes",
			stacks: []collectors.Stack{stack("s", func() model.Resource {
				r := bucket("b", nil)
				r.RawAttributes, _ = json.Marshal(attrs)
				return r
			}())},
			invs: []collectors.Inventory{inventory("cfg", covers, live(bucket("b", changed)))},
			want: []want{{kind: model.DriftChanged, id: "arn:aws:s3:::b", stack: "s", diffs: []string{"acl"}, sources: []string{"cfg"}}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := c.opts
			o.Unmanaged = !c.unmanagedOff
			r := Compare(c.stacks, c.invs, testOpts(o))
			var got []want
			for _, d := range r.Drifts {
				require.Nil(t, d.Resource.Attributes, "a drift never carries attributes")
				got = append(got, want{kind: d.Kind, id: d.Resource.ID, stack: d.Resource.Stack, diffs: paths(d.Diffs), sources: d.Sources})
			}
			require.Equal(t, c.want, got)
			if c.counts != nil {
				require.Equal(t, c.counts, r.Stacks)
			}
		})
	}
}

func TestSameResourceInTwoStacks(t *testing.T) {
	attrs := map[string]any{"bucket": "b", "acl": "private"}
	r := Compare([]collectors.Stack{stack("s", bucket("b", attrs)), stack("t", bucket("b", attrs))},
		[]collectors.Inventory{inventory("cfg", []string{"aws_s3_bucket"}, live(bucket("b", with(attrs, "acl", "public-read"))))}, testOpts(Options{}))
	require.Len(t, r.Drifts, 2)
	require.Equal(t, "s", r.Drifts[0].Resource.Stack)
	require.Equal(t, "t", r.Drifts[1].Resource.Stack)
}

func TestBadRawAttributesCostOneResource(t *testing.T) {
	bad := bucket("b", nil)
	bad.RawAttributes = []byte(`{"acl":`)
	good := bucket("c", map[string]any{"acl": "private"})
	r := Compare([]collectors.Stack{stack("s", bad, good)}, []collectors.Inventory{inventory("cfg", []string{"aws_s3_bucket"},
		live(bucket("b", map[string]any{"acl": "x"})), live(bucket("c", map[string]any{"acl": "public"})))}, testOpts(Options{}))
	require.Len(t, r.Drifts, 1)
	require.Equal(t, "arn:aws:s3:::c", r.Drifts[0].Resource.ID)
	require.Len(t, r.Warnings, 1)
	require.Contains(t, r.Warnings[0], "aws_s3_bucket.b")
}
