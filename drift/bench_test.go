package drift

import (
	"fmt"
	"math/rand"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/collectors"
	"github.com/driftwarden/driftwarden/model"
)

// synthetic generates nStacks stacks holding nRes resources in all, each
// with about 20 attributes (scalars, a set, nested blocks, a tags map and
// tags_all, a JSON policy), and one inventory covering their type that sees
// every resource: a fraction drifted (one attribute and one tag changed),
// the rest equal but with sets in another order, as clouds return them.
// Live attributes are separate copies, as they would be in production.
// It also adds 1% unmanaged live resources and drops 1% (missing).
func synthetic(nStacks, nRes int, drifted float64, seed int64) ([]collectors.Stack, []collectors.Inventory, int) {
	rng := rand.New(rand.NewSource(seed))
	stacks := make([]collectors.Stack, nStacks)
	for i := range stacks {
		stacks[i] = collectors.Stack{Name: fmt.Sprintf("stack-%03d", i), Source: "state"}
	}
	inv := collectors.Inventory{Source: "cfg", Coverage: collectors.Coverage{Types: map[string]bool{"aws_instance": true}}}
	inv.Resources = make([]collectors.LiveResource, 0, nRes+nRes/100)
	nDrifted := 0
	for i := 0; i < nRes; i++ {
		id := fmt.Sprintf("i-%08x", i)
		attrs := syntheticAttrs(id, i)
		r := model.Resource{
			ID: "arn:aws:ec2:eu-west-1:111122223333:instance/" + id, Type: "aws_instance", Provider: "aws",
			NativeID: id, Address: fmt.Sprintf("module.m%d.aws_instance.r[%d]", i%7, i), Account: "111122223333", Region: "eu-west-1",
			Attributes: attrs,
		}
		st := &stacks[i%nStacks]
		r.Stack = st.Name
		st.Resources = append(st.Resources, r)
		if i%100 == 99 {
			continue // missing
		}
		l := copyJSON(attrs).(map[string]any)
		sg := l["vpc_security_group_ids"].([]any)
		sg[0], sg[len(sg)-1] = sg[len(sg)-1], sg[0]
		if rng.Float64() < drifted {
			l["instance_type"] = "m5.large"
			l["tags_all"].(map[string]any)["changed_by"] = "console"
			nDrifted++
		}
		lr := r
		lr.Address, lr.Stack, lr.Attributes = "", "", l
		inv.Resources = append(inv.Resources, collectors.LiveResource{Resource: lr})
		if i%100 == 42 {
			u := lr
			u.NativeID = id + "-rogue"
			u.ID = u.ID + "-rogue"
			inv.Resources = append(inv.Resources, collectors.LiveResource{Resource: u})
		}
	}
	return stacks, []collectors.Inventory{inv}, nDrifted
}

func syntheticAttrs(id string, i int) map[string]any {
	return map[string]any{
		"id":                     id,
		"arn":                    "arn:aws:ec2:eu-west-1:111122223333:instance/" + id,
		"ami":                    "ami-0abcdef1234567890",
		"instance_type":          "t3.micro",
		"availability_zone":      "eu-west-1a",
		"subnet_id":              fmt.Sprintf("subnet-%04d", i%50),
		"key_name":               "deploy",
		"monitoring":             true,
		"ebs_optimized":          false,
		"source_dest_check":      true,
		"private_ip":             fmt.Sprintf("10.0.%d.%d", i/250%250, i%250),
		"public_ip":              "",
		"iam_instance_profile":   "app",
		"user_data":              "",
		"tenancy":                "default",
		"cpu_core_count":         float64(1),
		"vpc_security_group_ids": []any{"sg-0001", fmt.Sprintf("sg-%04d", i%20+2), "sg-9999"},
		"root_block_device": []any{map[string]any{
			"volume_size": float64(20), "volume_type": "gp3", "encrypted": true, "delete_on_termination": true,
			"iops": float64(3000), "volume_id": "vol-" + id,
		}},
		"metadata_options": []any{map[string]any{
			"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": float64(1),
		}},
		"tags":     map[string]any{"Name": "app-" + id, "team": "core", "service": "api", "cost_center": "42"},
		"tags_all": map[string]any{"Name": "app-" + id, "team": "core", "service": "api", "cost_center": "42", "env": "prod"},
		"policy":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
	}
}

func TestSyntheticGenerator(t *testing.T) {
	stacks, invs, nDrifted := synthetic(5, 2000, 0.1, 1)
	r := Compare(stacks, invs, testOpts(DefaultOptions()))
	var changed, missing, unmanaged int
	for _, d := range r.Drifts {
		switch d.Kind {
		case model.DriftChanged:
			changed++
			require.Equal(t, []string{"instance_type", "tags.changed_by"}, paths(d.Diffs))
		case model.DriftMissing:
			missing++
		case model.DriftUnmanaged:
			unmanaged++
		}
	}
	require.Equal(t, nDrifted, changed)
	require.Equal(t, 20, missing)
	require.Equal(t, 20, unmanaged)
	require.Equal(t, 20, r.Unmanaged)
}

// TestEqualPathDoesNotAllocate checks that comparing equal resources
// allocates nothing per resource.
func TestEqualPathDoesNotAllocate(t *testing.T) {
	a := syntheticAttrs("i-1", 1)
	b := copyJSON(a).(map[string]any)
	sg := b["vpc_security_group_ids"].([]any)
	sg[0], sg[2] = sg[2], sg[0]
	c := &comparer{filters: map[filterKey]*filter{}}
	f := c.filterFor("aws_instance", ruleSet{})
	allocs := testing.AllocsPerRun(100, func() {
		if d := diffAttrs(a, b, false, nil, f, sensitivePaths{}); d != nil {
			t.Fatal(d)
		}
	})
	require.Zero(t, allocs)
}

// BenchmarkCompare100k compares 100,000 resources (10 stacks, 10% drifted).
// Run: go test -run x -bench Compare -benchmem -cpu 1 ./drift/
func BenchmarkCompare100k(b *testing.B) {
	stacks, invs, _ := synthetic(10, 100_000, 0.1, 1)
	opts := Options{Unmanaged: true, Ignore: []IgnoreRule{{Resource: "module.m3.*", Attributes: []string{"user_data"}}}}
	runtime.GC()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		r := Compare(stacks, invs, opts)
		if len(r.Drifts) == 0 {
			b.Fatal("no drift")
		}
	}
	// CPU time per op, GC included: the figure that matters on a shared machine.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}
