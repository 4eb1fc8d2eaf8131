package evaluator

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/driftwarden/driftwarden/model"
)

const bundlePolicy = `# METADATA
# title: Bucket without owner label
# custom:
#   id: CORP-GCS-001
#   severity: medium
#   input: resource
#   resource_types: [google_storage_bucket]
package corp.gcs.owner

deny contains msg if {
	input.resource.type == "google_storage_bucket"
	not input.resource.attributes.labels[data.corp.owner_label]
	msg := sprintf("%s has no %s label", [input.resource.native_id, data.corp.owner_label])
}
`

const bundlePolicyTest = `package corp.gcs.owner_test

import data.corp.gcs.owner

test_flags_unlabelled if {
	count(owner.deny) == 1 with input as {"resource": {"type": "google_storage_bucket", "native_id": "b", "attributes": {}}}
}
`

type signer struct {
	alg     string
	private string // PEM
	pubFile string
}

func newSigner(t *testing.T, ec bool) signer {
	t.Helper()
	var (
		der, pub []byte
		err      error
		alg      = "RS256"
		kind     = "RSA PRIVATE KEY"
	)
	if ec {
		k, gerr := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, gerr)
		der, err = x509.MarshalECPrivateKey(k)
		require.NoError(t, err)
		pub, err = x509.MarshalPKIXPublicKey(&k.PublicKey)
		alg, kind = "ES256", "EC PRIVATE KEY"
	} else {
		k, gerr := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, gerr)
		der = x509.MarshalPKCS1PrivateKey(k)
		pub, err = x509.MarshalPKIXPublicKey(&k.PublicKey)
	}
	require.NoError(t, err)
	pubFile := filepath.Join(t.TempDir(), "bundle.pub")
	require.NoError(t, os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o600))
	return signer{alg: alg, private: string(pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})), pubFile: pubFile}
}

// makeBundle writes a bundle archive; s signs it when not nil; tamper
// changes the policy after signing.
func makeBundle(t *testing.T, revision, policy string, s *signer, tamper bool) []byte {
	t.Helper()
	b := bundle.Bundle{
		Manifest: bundle.Manifest{Revision: revision, Roots: &[]string{"corp"}},
		Data:     map[string]any{"corp": map[string]any{"owner_label": "owner"}},
		Modules: []bundle.ModuleFile{
			{URL: "/corp/gcs_owner.rego", Path: "/corp/gcs_owner.rego", Raw: []byte(policy)},
			{URL: "/corp/gcs_owner_test.rego", Path: "/corp/gcs_owner_test.rego", Raw: []byte(bundlePolicyTest)},
		},
	}
	if s != nil {
		require.NoError(t, b.GenerateSignature(bundle.NewSigningConfig(s.private, s.alg, ""), "default", false))
	}
	if tamper {
		b.Modules[0].Raw = []byte(policy + "\n# changed after signing\n")
	}
	var buf bytes.Buffer
	require.NoError(t, bundle.NewWriter(&buf).DisableFormat(true).Write(b))
	return buf.Bytes()
}

var unlabelled = model.Resource{ID: "gcp/b1", Type: "google_storage_bucket", NativeID: "b1", Attributes: map[string]any{"labels": map[string]any{}}}

func TestBundleFromFileSigned(t *testing.T) {
	for _, ec := range []bool{false, true} {
		s := newSigner(t, ec)
		t.Run(s.alg, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "corp.tar.gz")
			require.NoError(t, os.WriteFile(path, makeBundle(t, "r1", bundlePolicy, &s, false), 0o600))
			reg := prometheus.NewRegistry()
			e := newEval(t, Options{Registerer: reg, Bundles: []Bundle{{Name: "corp", Path: path, VerificationKeyFile: s.pubFile}}, RequireTestsPass: true})
			vs, errs := e.EvaluateResources(context.Background(), []model.Resource{unlabelled})
			require.Empty(t, errs)
			require.Len(t, vs, 1)
			require.Equal(t, "b1 has no owner label", vs[0].Message, "the bundle's data.json is loaded")
			var info PolicyInfo
			for _, p := range e.Policies() {
				if p.ID == "CORP-GCS-001" {
					info = p
				}
			}
			require.Equal(t, "bundle/corp/corp/gcs_owner.rego", info.File)
			require.Equal(t, 1, testutil.CollectAndCount(reg, "driftwarden_policy_bundle_last_load_timestamp_seconds"))
			require.Greater(t, testutil.ToFloat64(e.metrics.bundleLoad.WithLabelValues("corp")), 0.0)
		})
	}
}

func TestBundleBadSignatureIsRejectedAndTheRestRuns(t *testing.T) {
	s := newSigner(t, false)
	other := newSigner(t, false)
	dir := t.TempDir()
	cases := []struct {
		name, want string
		body       []byte
	}{
		{"tampered", "corp/gcs_owner.rego: digest mismatch", makeBundle(t, "r1", bundlePolicy, &s, true)},
		{"unsigned", "bundle missing .signatures.json file", makeBundle(t, "r1", bundlePolicy, nil, false)},
		{"other-key", "verify", makeBundle(t, "r1", bundlePolicy, &other, false)},
		{"not-a-bundle", "reading the bundle", []byte("this is not gzip")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name+".tar.gz")
			require.NoError(t, os.WriteFile(path, c.body, 0o600))
			reg := prometheus.NewRegistry()
			userDir := policyDir(t, map[string]string{"monitoring.rego": userPolicy})
			e := newEval(t, Options{Builtin: true, Dirs: []string{userDir}, Registerer: reg,
				Bundles: []Bundle{{Name: "corp", Path: path, VerificationKeyFile: s.pubFile}}})
			// The other policies run; the bundle's policy is not loaded.
			ids := map[string]bool{}
			for _, p := range e.Policies() {
				ids[p.ID] = true
			}
			require.True(t, ids["ACME-EC2-001"])
			require.True(t, ids["DW-AWS-S3-001"])
			require.False(t, ids["CORP-GCS-001"])
			require.Equal(t, 0.0, testutil.ToFloat64(e.metrics.reloadOK))

			err := e.Reload(context.Background())
			require.Error(t, err)
			require.Contains(t, err.Error(), "bundle corp ("+path+")")
			require.Contains(t, err.Error(), c.want)
			require.Equal(t, 1.0, testutil.ToFloat64(e.metrics.reloads.WithLabelValues("failure")))
			vs, _ := e.EvaluateResources(context.Background(), []model.Resource{res("aws_instance", "web", map[string]any{"monitoring": false}, nil)})
			require.Len(t, byPolicy(vs)["ACME-EC2-001"], 1)
		})
	}
}

func TestBundleOverHTTPWithETagAndLastGoodContent(t *testing.T) {
	s := newSigner(t, false)
	var (
		body     atomic.Pointer[[]byte]
		etag     atomic.Value
		requests atomic.Int32
		notMod   atomic.Int32
	)
	set := func(b []byte, tag string) { body.Store(&b); etag.Store(tag) }
	set(makeBundle(t, "r1", bundlePolicy, &s, false), `"r1"`)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		tag := etag.Load().(string)
		if r.Header.Get("If-None-Match") == tag {
			notMod.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", tag)
		_, _ = w.Write(*body.Load())
	}))
	defer srv.Close()

	reg := prometheus.NewRegistry()
	e := newEval(t, Options{Registerer: reg, HTTPClient: srv.Client(),
		Bundles: []Bundle{{Name: "corp", URL: srv.URL + "/corp.tar.gz", VerificationKeyFile: s.pubFile}}})
	rev1 := e.Revision()
	require.Equal(t, 1.0, testutil.ToFloat64(e.metrics.revision.WithLabelValues(rev1)))

	require.NoError(t, e.Reload(context.Background()))
	require.Equal(t, int32(1), notMod.Load(), "an unchanged bundle is answered 304")
	require.Equal(t, rev1, e.Revision())

	// A tampered new revision is rejected: the last good content stays.
	set(makeBundle(t, "r2", strings.Replace(bundlePolicy, "severity: medium", "severity: high", 1), &s, true), `"r2-bad"`)
	err := e.Reload(context.Background())
	require.ErrorContains(t, err, "digest mismatch")
	require.Equal(t, rev1, e.Revision())
	vs, _ := e.EvaluateResources(context.Background(), []model.Resource{unlabelled})
	require.Len(t, vs, 1)
	require.Equal(t, model.SeverityMedium, vs[0].Severity)

	// A good new revision swaps in; the revision metric keeps one series.
	set(makeBundle(t, "r3", strings.Replace(bundlePolicy, "severity: medium", "severity: high", 1), &s, false), `"r3"`)
	require.NoError(t, e.Reload(context.Background()))
	require.NotEqual(t, rev1, e.Revision())
	vs, _ = e.EvaluateResources(context.Background(), []model.Resource{unlabelled})
	require.Equal(t, model.SeverityHigh, vs[0].Severity)
	require.Equal(t, 1, testutil.CollectAndCount(reg, "driftwarden_policy_revision_info"))
	require.Equal(t, 1.0, testutil.ToFloat64(e.metrics.revision.WithLabelValues(e.Revision())))
	require.Equal(t, 1.0, testutil.ToFloat64(e.metrics.reloadOK))
}

func TestRequireTestsPassRejectsASetWithFailingTests(t *testing.T) {
	dir := policyDir(t, map[string]string{
		"monitoring.rego": userPolicy,
		"monitoring_test.rego": `package acme.monitoring_test

import data.acme.monitoring

test_flags_unmonitored if {
	count(monitoring.deny) == 1 with input as {"resource": {"type": "aws_instance", "address": "a", "attributes": {"monitoring": false}}}
}
`,
	})
	reg := prometheus.NewRegistry()
	e := newEval(t, Options{Dirs: []string{dir}, RequireTestsPass: true, Registerer: reg})
	rev := e.Revision()
	// A change that breaks the policy's own test: compiles, but is rejected.
	writeFiles(t, dir, map[string]string{"monitoring.rego": strings.Replace(userPolicy, "== false", "== \"off\"", 1)})
	err := e.Reload(context.Background())
	require.Error(t, err)
	require.Contains(t, err.Error(), "1 failed")
	require.Contains(t, err.Error(), "test_flags_unmonitored")
	require.Contains(t, err.Error(), "monitoring_test.rego")
	require.Equal(t, rev, e.Revision())
	require.Equal(t, 0.0, testutil.ToFloat64(e.metrics.reloadOK))

	// Without the requirement the same set is accepted.
	e2 := newEval(t, Options{Dirs: []string{dir}})
	require.NotEqual(t, rev, e2.Revision())
}

func TestWatchReloadsOnFileChange(t *testing.T) {
	dir := policyDir(t, map[string]string{"monitoring.rego": userPolicy})
	reg := prometheus.NewRegistry()
	e := newEval(t, Options{Dirs: []string{dir}, Registerer: reg, WatchDebounce: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Watch(ctx) }()
	defer func() { cancel(); require.NoError(t, <-done) }()
	rev := e.Revision()
	time.Sleep(100 * time.Millisecond) // the watcher is set up

	// A broken file in a new sub-folder: rejected, the last good set runs.
	writeFiles(t, dir, map[string]string{"team/broken.rego": "package team.broken\n\ndeny contains x if {\n"})
	require.Eventually(t, func() bool {
		return testutil.ToFloat64(e.metrics.reloads.WithLabelValues("failure")) >= 1
	}, 5*time.Second, 20*time.Millisecond)
	require.Equal(t, 0.0, testutil.ToFloat64(e.metrics.reloadOK))
	require.Equal(t, rev, e.Revision())

	// Fixed: swapped in.
	writeFiles(t, dir, map[string]string{"team/broken.rego": "package team.broken\n\nx := 1\n"})
	require.Eventually(t, func() bool { return e.Revision() != rev }, 5*time.Second, 20*time.Millisecond)
	require.Equal(t, 1.0, testutil.ToFloat64(e.metrics.reloadOK))
}
