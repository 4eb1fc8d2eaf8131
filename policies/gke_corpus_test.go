package policies_test

// The built-in GKE policies over real Cloud Asset Inventory exports of
// container.googleapis.com/Cluster (Google's policy-library fixtures,
// ../shared/corpus), read through collectors/gcpasset as in production.
// No Terraform state or plan in the corpus holds a google_container_cluster.

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/driftwarden/driftwarden/collectors/gcpasset"
	"github.com/driftwarden/driftwarden/internal/testcorpus"
	"github.com/driftwarden/driftwarden/model"
)

// gkeVerdict is a gcpVerdict that needs attributes in the converted
// cluster. A policy never reports an attribute the inventory did not
// observe, so until collectors/gcpasset converts it a want=true verdict
// cannot hold: it is logged and skipped, and starts being checked as soon
// as the converter carries the attribute.
type gkeVerdict struct {
	gcpVerdict
	attributes []string
}

func TestGKEPoliciesOnCorpusAssetExports(t *testing.T) {
	dir := testcorpus.Path(t, "gcp-policy-library", "validator", "test", "fixtures")
	ev := gcpCorpusEvaluator(t)
	v := func(subject, policy string, want bool, attributes ...string) gkeVerdict {
		return gkeVerdict{gcpVerdict{subject, policy, want}, attributes}
	}
	cases := map[string][]gkeVerdict{
		"gke_legacy_abac/assets/data.json": {
			v("clusters/joe-clust", "DW-GCP-GKE-001", true, "enable_legacy_abac"),   // legacyAbac.enabled true
			v("clusters/joe-clust2", "DW-GCP-GKE-001", false, "enable_legacy_abac"), // legacyAbac.enabled false
		},
		"gke_enable_shielded_nodes/assets/data.json": {
			v("clusters/shielded-nodes-enabled", "DW-GCP-GKE-003", false, "enable_shielded_nodes"),
			v("clusters/shielded-nodes-disabled", "DW-GCP-GKE-003", true, "enable_shielded_nodes"), // shieldedNodes {}
			v("clusters/shielded-nodes-enabled-noboot", "DW-GCP-GKE-003", false, "enable_shielded_nodes"),
		},
		"gke_master_authorized_networks_enabled/assets/data.json": {
			// Public endpoint, masterAuthorizedNetworksConfig {} (disabled).
			v("clusters/private-endpoint-public", "DW-GCP-GKE-002", true, "private_cluster_config", "master_authorized_networks_config"),
			v("clusters/public", "DW-GCP-GKE-002", true, "private_cluster_config", "master_authorized_networks_config"),
			// enablePrivateEndpoint true.
			v("clusters/private-endpoint-private", "DW-GCP-GKE-002", false),
			// Authorized networks 11.1.11.0/24 and 111.1.20.0/24.
			v("clusters/private-endpoint-restricted", "DW-GCP-GKE-002", false),
			v("clusters/private-endpoint-restricted-bad", "DW-GCP-GKE-002", false),
		},
		"gke_restrict_client_auth_methods/assets/data.json": {
			v("clusters/joe-clust", "DW-GCP-GKE-005", false),                // no masterAuth
			v("clusters/joe-clust2", "DW-GCP-GKE-005", true, "master_auth"), // issueClientCertificate true
			v("clusters/joe-clust3", "DW-GCP-GKE-005", false),               // issueClientCertificate false
			v("clusters/joe-clust4", "DW-GCP-GKE-005", false),               // username ""
			v("clusters/joe-clust5", "DW-GCP-GKE-005", true, "master_auth"), // username "test"
			v("clusters/joe-clust6", "DW-GCP-GKE-005", false),
			v("clusters/default-master-auth", "DW-GCP-GKE-005", false),
		},
		"gke_enable_workload_identity/assets/data.json": {
			v("clusters/workloadidentity-enabled", "DW-GCP-GKE-004", false),      // workloadPool
			v("clusters/workloadidentity-enabled-beta", "DW-GCP-GKE-004", false), // identityNamespace
			v("clusters/workloadidentity-disabled", "DW-GCP-GKE-004", true, "workload_identity_config"),
		},
	}
	for name, verdicts := range cases {
		f := filepath.Join(dir, name)
		inv, errs := gcpasset.NewFileSource("corpus", gcpasset.FileConfig{Paths: []string{f}}).Inventory(context.Background())
		if len(errs) > 0 {
			t.Fatalf("%s: %v", name, errs)
		}
		rs := make([]model.Resource, 0, len(inv.Resources))
		for _, lr := range inv.Resources {
			rs = append(rs, lr.Resource)
		}
		var check []gcpVerdict
		for _, want := range verdicts {
			if missing := missingAttributes(t, rs, want.subject, want.attributes); want.want && len(missing) > 0 {
				t.Logf("%s: %s: %s not checked: collectors/gcpasset does not convert %s yet", name, want.subject, want.policy, strings.Join(missing, ", "))
				continue
			}
			check = append(check, want.gcpVerdict)
		}
		checkGCPVerdicts(t, ev, name, rs, check)
	}
}

// missingAttributes returns those of attributes that the resource named by
// subject does not carry at the top level.
func missingAttributes(t *testing.T, rs []model.Resource, subject string, attributes []string) []string {
	t.Helper()
	for _, r := range rs {
		if !strings.HasSuffix(r.ID, subject) {
			continue
		}
		attrs, err := r.Attrs()
		if err != nil {
			t.Fatalf("%s: %v", subject, err)
		}
		var missing []string
		for _, a := range attributes {
			if _, ok := attrs[a]; !ok {
				missing = append(missing, a)
			}
		}
		return missing
	}
	return attributes
}
