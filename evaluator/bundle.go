package evaluator

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
)

// Bundle is an OPA bundle (tar.gz with .manifest, data.json and *.rego)
// read from a file or fetched over HTTP(S).
type Bundle struct {
	// Name labels the bundle in errors, logs and metrics.
	Name string
	// URL is fetched with GET (If-None-Match with the last ETag); Path is
	// read from disk. Exactly one is set.
	URL  string
	Path string
	// VerificationKeyFile is a PEM public key (RSA: RS256, EC P-256: ES256).
	// When set, the bundle must carry a valid .signatures.json made with it.
	VerificationKeyFile string
	// KeyID names the key when the signature does not (default "default").
	KeyID string
	// PollInterval is how often Watch fetches the bundle again (default 1m).
	PollInterval time.Duration
}

func (b Bundle) location() string {
	if b.URL != "" {
		return b.URL
	}
	return b.Path
}

// maxBundleSize bounds a downloaded bundle.
const maxBundleSize = 256 << 20

// loadedBundle is one successfully read and verified bundle.
type loadedBundle struct {
	revision string
	modules  map[string]*ast.Module
	tests    map[string]*ast.Module
	raw      map[string][]byte
	data     map[string]any
}

// bundleState is what the evaluator remembers of a bundle between loads.
type bundleState struct {
	good      *loadedBundle // the last good content, used when a load fails
	etag      string
	lastFetch time.Time
}

type bundles struct {
	mu     sync.Mutex
	state  map[string]*bundleState
	client *http.Client
}

// load returns the content of every bundle: freshly read when due (or
// forced), else the last good content. A bundle that cannot be fetched,
// read or verified keeps its last good content (none on the first load)
// and its error is returned with the others; it never stops the rest.
func (e *Evaluator) loadBundles(ctx context.Context, force bool) ([]*loadedBundle, []error) {
	bs := &e.bundles
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if bs.state == nil {
		bs.state = map[string]*bundleState{}
	}
	var (
		out  []*loadedBundle
		errs []error
	)
	for _, b := range e.opts.Bundles {
		st := bs.state[b.Name]
		if st == nil {
			st = &bundleState{}
			bs.state[b.Name] = st
		}
		due := force || st.good == nil || time.Since(st.lastFetch) >= pollInterval(b)
		if due {
			st.lastFetch = time.Now()
			lb, err := e.fetchBundle(ctx, b, st)
			switch {
			case err != nil:
				err = fmt.Errorf("bundle %s (%s): %w", b.Name, b.location(), err)
				errs = append(errs, err)
				e.log.Error("policy bundle rejected; keeping its last good content", "bundle", b.Name, "error", err)
			case lb != nil:
				if st.good == nil || st.good.revision != lb.revision {
					e.log.Info("policy bundle loaded", "bundle", b.Name, "revision", lb.revision)
				}
				st.good = lb
				e.metrics.bundleLoad.WithLabelValues(b.Name).SetToCurrentTime()
			default: // 304 Not Modified
				e.metrics.bundleLoad.WithLabelValues(b.Name).SetToCurrentTime()
			}
		}
		if st.good != nil {
			out = append(out, st.good)
		}
	}
	return out, errs
}

func pollInterval(b Bundle) time.Duration {
	if b.PollInterval > 0 {
		return b.PollInterval
	}
	return time.Minute
}

// fetchBundle reads a bundle; nil, nil means unchanged (HTTP 304).
func (e *Evaluator) fetchBundle(ctx context.Context, b Bundle, st *bundleState) (*loadedBundle, error) {
	var body []byte
	if b.Path != "" {
		var err error
		if body, err = os.ReadFile(b.Path); err != nil {
			return nil, fmt.Errorf("reading: %w", err)
		}
	} else {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.URL, nil)
		if err != nil {
			return nil, fmt.Errorf("building the request: %w", err)
		}
		if st.etag != "" && st.good != nil {
			req.Header.Set("If-None-Match", st.etag)
		}
		client := e.bundles.client
		if client == nil {
			client = &http.Client{Timeout: time.Minute}
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("downloading: %w", err)
		}
		defer resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusNotModified && st.good != nil:
			return nil, nil
		case resp.StatusCode != http.StatusOK:
			return nil, fmt.Errorf("downloading: HTTP %s", resp.Status)
		}
		if body, err = io.ReadAll(io.LimitReader(resp.Body, maxBundleSize+1)); err != nil {
			return nil, fmt.Errorf("downloading: %w", err)
		}
		if len(body) > maxBundleSize {
			return nil, fmt.Errorf("downloading: larger than %d MiB", maxBundleSize>>20)
		}
		defer func() { st.etag = resp.Header.Get("ETag") }()
	}
	return readBundle(b, body)
}

// readBundle parses and verifies a bundle archive.
func readBundle(b Bundle, body []byte) (*loadedBundle, error) {
	r := bundle.NewReader(bytes.NewReader(body)).
		WithRegoVersion(ast.RegoV1).
		WithProcessAnnotations(true).
		WithBundleName(b.Name).
		WithSizeLimitBytes(maxBundleSize)
	if b.VerificationKeyFile != "" {
		vc, err := verificationConfig(b)
		if err != nil {
			return nil, err
		}
		r = r.WithBundleVerificationConfig(vc)
	}
	bd, err := r.Read()
	if err != nil {
		if msg := err.Error(); b.VerificationKeyFile != "" && (strings.Contains(msg, "signature") || strings.Contains(msg, "digest") || strings.Contains(msg, "verif")) {
			return nil, fmt.Errorf("verifying the bundle signature with %s: %w", b.VerificationKeyFile, err)
		}
		return nil, fmt.Errorf("reading the bundle: %w", err)
	}
	lb := &loadedBundle{
		revision: bd.Manifest.Revision,
		modules:  map[string]*ast.Module{},
		tests:    map[string]*ast.Module{},
		raw:      map[string][]byte{},
		data:     bd.Data,
	}
	for _, mf := range bd.Modules {
		p := mf.Path
		if p == "" {
			p = mf.URL
		}
		name := "bundle/" + b.Name + "/" + strings.TrimPrefix(path.Clean("/"+p), "/")
		// Re-parse under the bundle's name so errors and PolicyInfo.File say
		// which bundle a file came from.
		m, err := ast.ParseModuleWithOpts(name, string(mf.Raw), parserOptions)
		if err != nil {
			return nil, fmt.Errorf("reading the bundle: %w", err)
		}
		if isTestFile(name) {
			lb.tests[name] = m
			continue
		}
		lb.modules[name] = m
		lb.raw[name] = mf.Raw
	}
	if lb.revision == "" {
		lb.revision = "(no revision)"
	}
	return lb, nil
}

// verificationConfig reads the bundle's public key.
func verificationConfig(b Bundle) (*bundle.VerificationConfig, error) {
	pemBytes, err := os.ReadFile(b.VerificationKeyFile)
	if err != nil {
		return nil, fmt.Errorf("reading the verification key: %w", err)
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, fmt.Errorf("reading the verification key %s: no PEM block", b.VerificationKeyFile)
	}
	var alg string
	if key, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
		switch k := key.(type) {
		case *rsa.PublicKey:
			alg = "RS256"
		case *ecdsa.PublicKey:
			alg = "ES256"
			if k.Curve.Params().BitSize == 384 {
				alg = "ES384"
			}
		}
	} else if _, err := x509.ParsePKCS1PublicKey(block.Bytes); err == nil {
		alg = "RS256"
	}
	if alg == "" {
		return nil, fmt.Errorf("reading the verification key %s: not an RSA or ECDSA public key", b.VerificationKeyFile)
	}
	id := b.KeyID
	if id == "" {
		id = "default"
	}
	keys := map[string]*bundle.KeyConfig{id: {Key: string(pemBytes), Algorithm: alg}}
	return bundle.NewVerificationConfig(keys, id, "", nil), nil
}

// addBundle adds a bundle's modules, tests and data to the sources.
func (s *sources) addBundle(lb *loadedBundle, withTests bool) {
	maps.Copy(s.modules, lb.modules)
	maps.Copy(s.raw, lb.raw)
	if withTests {
		maps.Copy(s.tests, lb.tests)
	}
	if lb.data != nil {
		s.data = deepMerge(s.data, lb.data)
	}
}

// checkBundles checks that bundles have unique names and one location.
func checkBundles(bs []Bundle) error {
	seen := map[string]bool{}
	var errs []error
	for _, b := range bs {
		switch {
		case b.Name == "":
			errs = append(errs, fmt.Errorf("bundle %s has no name", b.location()))
		case seen[b.Name]:
			errs = append(errs, fmt.Errorf("bundle name %s is used twice", b.Name))
		case (b.URL == "") == (b.Path == ""):
			errs = append(errs, fmt.Errorf("bundle %s: set exactly one of url and path", b.Name))
		}
		seen[b.Name] = true
	}
	if len(errs) > 0 {
		return fmt.Errorf("configuring policy bundles: %w", errors.Join(errs...))
	}
	return nil
}
