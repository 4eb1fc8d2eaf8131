package policies_test

// The built-in GCP policies over real inputs: Terraform states from
// driftctl's fixtures and Cloud Asset Inventory exports from Google's
// policy-library fixtures (../shared/corpus), read through the collectors
// that read them in production. Each case names a resource inspected by
// hand and the verdict it must get.

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/driftwarden/driftwarden/collectors/gcpasset"
	"github.com/driftwarden/driftwarden/collectors/tfstate"
	"github.com/driftwarden/driftwarden/evaluator"
	"github.com/driftwarden/driftwarden/internal/testcorpus"
	"github.com/driftwarden/driftwarden/model"
)

// gcpVerdict expects policy to report (want) or not report (!want) the
// resource whose canonical id or address ends with subject.
type gcpVerdict struct {
	subject string
	policy  string
	want    bool
}

func gcpCorpusEvaluator(t *testing.T) *evaluator.Evaluator {
	t.Helper()
	ev, err := evaluator.New(context.Background(), evaluator.Options{Builtin: true})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func checkGCPVerdicts(t *testing.T, ev *evaluator.Evaluator, label string, rs []model.Resource, verdicts []gcpVerdict) {
	t.Helper()
	vs, errs := ev.EvaluateResources(context.Background(), rs)
	if len(errs) > 0 {
		t.Fatalf("%s: evaluation errors: %v", label, errs)
	}
	for _, want := range verdicts {
		found := false
		for _, r := range rs {
			if strings.HasSuffix(r.ID, want.subject) || strings.HasSuffix(r.Address, want.subject) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no resource %s in the input (%d resources)", label, want.subject, len(rs))
			continue
		}
		var got []string
		for _, v := range vs {
			if v.PolicyID != want.policy || v.Resource == nil {
				continue
			}
			if strings.HasSuffix(v.Resource.ID, want.subject) || strings.HasSuffix(v.Resource.Address, want.subject) {
				got = append(got, v.Message)
			}
		}
		if want.want && len(got) == 0 {
			t.Errorf("%s: %s: want %s, got none", label, want.subject, want.policy)
		}
		if !want.want && len(got) > 0 {
			t.Errorf("%s: %s: want no %s, got %q", label, want.subject, want.policy, got)
		}
	}
}

func TestGCPPoliciesOnCorpusStates(t *testing.T) {
	dir := testcorpus.Path(t, "driftctl", "pkg", "iac", "terraform", "state", "test")
	ev := gcpCorpusEvaluator(t)
	cases := map[string][]gcpVerdict{
		// Provider 3.x state: require_ssl false, no ssl_mode, no authorized networks.
		"google_sql_database_instance": {
			{"google_sql_database_instance.instance", "DW-GCP-SQL-002", true},
			{"google_sql_database_instance.instance", "DW-GCP-SQL-001", false},
		},
		// Ingress from source tag "web" only, tcp 80/8080/1000-2000 and icmp.
		"google_compute_firewall": {{"google_compute_firewall.default", "DW-GCP-NET-001", false}},
		// Bucket IAM granted to named users only.
		"google_bucket_iam_member":  {{"google_storage_bucket_iam_member.eli2", "DW-GCP-GCS-001", false}},
		"google_bucket_iam_binding": {{"google_storage_bucket_iam_binding.binding_admin_1", "DW-GCP-GCS-001", false}},
		"google_bucket_iam_policy":  {{"google_storage_bucket_iam_policy.policy", "DW-GCP-GCS-001", false}},
	}
	for name, verdicts := range cases {
		f := filepath.Join(dir, name, "terraform.tfstate")
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		st, err := tfstate.Decode(fh, tfstate.DecodeOptions{Location: f})
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		checkGCPVerdicts(t, ev, name, st.Resources, verdicts)
	}
}

func TestGCPPoliciesOnCorpusAssetExports(t *testing.T) {
	dir := testcorpus.Path(t, "gcp-policy-library", "validator", "test", "fixtures")
	ev := gcpCorpusEvaluator(t)
	cases := map[string][]gcpVerdict{
		"restricted_firewall_rules/assets/sources/data.json": {
			{"firewalls/cf-test-fw-rule-source-0", "DW-GCP-NET-001", true},
			{"firewalls/cf-test-fw-rule-source-1", "DW-GCP-NET-001", false}, // disabled
			{"firewalls/cf-test-fw-rule-source-6", "DW-GCP-NET-001", false}, // source tags and service accounts only
			{"firewalls/cf-test-fw-rule-source-8", "DW-GCP-NET-001", false}, // EGRESS, allow all
		},
		"restricted_firewall_rules/assets/protocol_and_all_ports/data.json": {
			{"firewalls/cf-test-fw-rule-tcp-all", "DW-GCP-NET-001", true},
			{"firewalls/cf-test-fw-rule-udp-all", "DW-GCP-NET-001", true},
			{"firewalls/cf-test-fw-rule-tcp-all-port-range0", "DW-GCP-NET-001", true}, // 0-65535
			{"firewalls/cf-test-fw-rule-tcp-all-port-range1", "DW-GCP-NET-001", true}, // 1-65535
			{"firewalls/cf-test-fw-rule-tcp-all-port-range-no-violation", "DW-GCP-NET-001", false},
		},
		"restricted_firewall_rules/assets/protocol_and_port/data.json": {
			{"firewalls/cf-test-fw-rule-0", "DW-GCP-NET-001", false}, // tcp 123, udp 1000-7000
			{"firewalls/cf-test-fw-rule-4", "DW-GCP-NET-001", false}, // tcp 22 but disabled
			{"firewalls/cf-test-fw-rule-5", "DW-GCP-NET-001", true},  // all
		},
		"storage_bucket_world_readable/assets/data.json": {
			{"my-test-bucket/iamPolicy/roles/storage.legacyBucketReader/members/allUsers", "DW-GCP-GCS-001", true},
			{"my-second-test-bucket/iamPolicy", "DW-GCP-GCS-001", true}, // allAuthenticatedUsers
			{"my-third-test-bucket/iamPolicy", "DW-GCP-GCS-001", false},
		},
		"storage_bucket_policy_only/assets/data.json": {
			{"my-storage-bucket-with-bucketpolicyonly", "DW-GCP-GCS-002", false},
			{"my-storage-bucketwithuniformbucketlevelaccess", "DW-GCP-GCS-002", false},
			{"my-storage-bucket-with-no-bucketpolicyonly-data", "DW-GCP-GCS-002", true},
		},
		"cmek_rotation/assets/data.json": {
			{"cryptoKeys/rotation-30-days", "DW-GCP-KMS-001", false},
			{"cryptoKeys/rotation-90-days", "DW-GCP-KMS-001", false},
			{"cryptoKeys/rotation-100-days", "DW-GCP-KMS-001", true},
			{"cryptoKeys/rotation-never", "DW-GCP-KMS-001", true},
		},
		"sql_world_readable/assets/data.json": {
			{"instances/authorized-networks-0", "DW-GCP-SQL-001", true},
			{"instances/authorized-networks-35", "DW-GCP-SQL-001", false},
			{"instances/no-authorized-networks", "DW-GCP-SQL-001", false},
		},
		"sql_ssl/assets/data.json": {
			{"instances/sql-instance-with-ssl", "DW-GCP-SQL-002", false},
			{"instances/sql-instance-without-ssl", "DW-GCP-SQL-002", true},
		},
		"iam_allow_ban_roles/assets/data.json": {
			{"projects/12345/iamPolicy/roles/owner/members/user:evil@notgoogle.com", "DW-GCP-IAM-001", true},
		},
		"bq_dataset_location/assets/instances/data.json": {
			{"instances/vm-external-ip", "DW-GCP-GCE-001", true},
		},
		"gcp_iam_restrict_service_account_key_type/assets/data.json": {
			{"keys/1234567890abcdef", "DW-GCP-IAM-002", true}, // USER_MANAGED
		},
	}
	for name, verdicts := range cases {
		f := filepath.Join(dir, name)
		src := gcpasset.NewFileSource("corpus", gcpasset.FileConfig{Paths: []string{f}})
		inv, errs := src.Inventory(context.Background())
		if len(errs) > 0 {
			t.Fatalf("%s: %v", name, errs)
		}
		rs := make([]model.Resource, 0, len(inv.Resources))
		for _, lr := range inv.Resources {
			rs = append(rs, lr.Resource)
		}
		checkGCPVerdicts(t, ev, name, rs, verdicts)
	}
}

// A SYSTEM_MANAGED key (Google's own, listed by CAI for every service
// account) is no finding. The inventory must carry keyType as key_type for
// the policy to tell; until collectors/gcpasset copies it, this only logs.
func TestGCPSystemManagedKeyOnCorpus(t *testing.T) {
	f := testcorpus.Path(t, "gcp-policy-library", "validator", "test", "fixtures", "gcp_iam_restrict_service_account_key_type", "assets", "data.json")
	inv, errs := gcpasset.NewFileSource("corpus", gcpasset.FileConfig{Paths: []string{f}}).Inventory(context.Background())
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var rs []model.Resource
	for _, lr := range inv.Resources {
		if strings.HasSuffix(lr.Resource.ID, "keys/1234567891abcdef") {
			rs = append(rs, lr.Resource)
		}
	}
	if len(rs) != 1 {
		t.Fatalf("want the system-managed key once, got %d", len(rs))
	}
	if got := rs[0].Attributes["key_type"]; got != "SYSTEM_MANAGED" {
		t.Fatalf("key_type = %v, want SYSTEM_MANAGED: the inventory carries CAI's keyType", got)
	}
	checkGCPVerdicts(t, gcpCorpusEvaluator(t), "system-managed key", rs, []gcpVerdict{{"keys/1234567891abcdef", "DW-GCP-IAM-002", false}})
}
