package collectors

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
)

func TestCoversExcept(t *testing.T) {
	c := Coverage{
		Types:    map[string]bool{"aws_s3_bucket": true},
		Accounts: map[string]bool{"A": true, "B": true},
		Regions:  map[string]bool{"eu-west-1": true, "us-east-1": true},
		Except:   map[AccountRegion]bool{{"A", "eu-west-1"}: true},
	}
	for _, tc := range []struct {
		account, region string
		want            bool
	}{
		{"A", "us-east-1", true},
		{"B", "eu-west-1", true},
		{"A", "eu-west-1", false},
		{"", "eu-west-1", false}, // a bucket whose ARN names no account may be A's
		{"", "us-east-1", true},
		{"A", "", true}, // a global resource of A: the inventory decides (Config's global types)
		{"B", "", true},
		{"", "", false},
		{"C", "us-east-1", false}, // not an inventoried account
	} {
		if got := c.Covers("aws_s3_bucket", tc.account, tc.region); got != tc.want {
			t.Errorf("Covers(%q, %q) = %v, want %v", tc.account, tc.region, got, tc.want)
		}
	}
}

// A batch's events keep their order; its slice at least doubles when it
// grows, so that filling it allocates about twice its size, not five times.
func TestEventBatchAdd(t *testing.T) {
	var b EventBatch
	allocs := 0
	for i := 0; i < 100000; i++ {
		before := cap(b.Events)
		b.Add(model.Event{ID: strconv.Itoa(i)})
		if cap(b.Events) != before {
			allocs++
			require.GreaterOrEqual(t, cap(b.Events), 2*before)
		}
	}
	require.Len(t, b.Events, 100000)
	for i, ev := range b.Events {
		require.Equal(t, strconv.Itoa(i), ev.ID)
	}
	require.LessOrEqual(t, allocs, 10)
}
