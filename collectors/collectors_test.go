package collectors

import "testing"

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
