package tfstate

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/driftwarden/driftwarden/collectors"
)

// HTTPConfig configures an HTTP backend source.
type HTTPConfig struct {
	// URL is the http backend address (GET returns the raw state).
	URL string
	// Username and Password are sent as basic auth when either is set.
	// Password is the resolved secret; it never appears in errors.
	Username string
	Password string
	// Headers are added to every request (values may be secrets; they
	// never appear in errors).
	Headers map[string]string
	// Timeout bounds one attempt, body included. Default 5 minutes.
	Timeout time.Duration
	// CAFile is a PEM bundle of extra roots to trust.
	CAFile string
	// InsecureSkipVerify disables TLS certificate verification.
	InsecureSkipVerify bool
	// StackName names the stack; default the last element of the URL path
	// (GitLab's .../terraform/state/<name>), else the host.
	StackName string
	// Owner and Production classify the stack, for the caller.
	Owner      string
	Production bool
	// Retries is the number of retries of a transient failure (network
	// error, 429, 5xx). Default 3; negative means none.
	Retries int
	// RetryWait is the first backoff; it doubles per retry, with jitter,
	// up to 30 s. Default 1 s.
	RetryWait time.Duration
	// Client replaces the HTTP client (tests, proxies); CAFile and
	// InsecureSkipVerify are then ignored.
	Client *http.Client
}

const (
	defaultHTTPTimeout = 5 * time.Minute
	defaultRetries     = 3
	defaultRetryWait   = time.Second
	maxRetryWait       = 30 * time.Second
)

// HTTPSource reads one state from Terraform's http backend. It implements
// collectors.StateSource.
type HTTPSource struct {
	name     string
	cfg      HTTPConfig
	location string // redacted URL
	stack    string
	client   *http.Client
	setupErr error

	mu           sync.Mutex
	cached       *collectors.Stack
	cachedWarns  []error // deposed objects skipped in the cached state
	etag         string
	lastModified string
}

var _ collectors.StateSource = (*HTTPSource)(nil)

// NewHTTPSource returns a source reading the state at cfg.URL.
// Configuration problems (an unreadable CA file) are reported by States.
func NewHTTPSource(name string, cfg HTTPConfig) *HTTPSource {
	s := &HTTPSource{name: name, cfg: cfg, location: RedactURL(cfg.URL)}
	if s.cfg.Timeout <= 0 {
		s.cfg.Timeout = defaultHTTPTimeout
	}
	if s.cfg.Retries == 0 {
		s.cfg.Retries = defaultRetries
	} else if s.cfg.Retries < 0 {
		s.cfg.Retries = 0
	}
	if s.cfg.RetryWait <= 0 {
		s.cfg.RetryWait = defaultRetryWait
	}
	s.stack = cfg.StackName
	if s.stack == "" {
		s.stack = defaultHTTPStackName(cfg.URL)
	}
	s.client, s.setupErr = httpClient(cfg)
	return s
}

// Name is the configured source name.
func (s *HTTPSource) Name() string { return s.name }

// Owner is the configured owner of the stack.
func (s *HTTPSource) Owner() string { return s.cfg.Owner }

// Production reports whether the stack is production.
func (s *HTTPSource) Production() bool { return s.cfg.Production }

func httpClient(cfg HTTPConfig) (*http.Client, error) {
	if cfg.Client != nil {
		return cfg.Client, nil
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.CAFile != "" || cfg.InsecureSkipVerify {
		tc := &tls.Config{InsecureSkipVerify: cfg.InsecureSkipVerify} //nolint:gosec // opt-in by configuration
		if cfg.CAFile != "" {
			pem, err := os.ReadFile(cfg.CAFile)
			if err != nil {
				return nil, fmt.Errorf("reading CA file: %w", err)
			}
			pool, err := x509.SystemCertPool()
			if err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("reading CA file %s: no PEM certificate found", cfg.CAFile)
			}
			tc.RootCAs = pool
		}
		tr.TLSClientConfig = tc
	}
	return &http.Client{Transport: tr}, nil
}

func defaultHTTPStackName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "http"
	}
	if b := path.Base(strings.TrimRight(u.Path, "/")); b != "" && b != "/" && b != "." {
		return b
	}
	return u.Hostname()
}

// States fetches the state: one stack, or one error.
func (s *HTTPSource) States(ctx context.Context) ([]collectors.Stack, []error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.setupErr != nil {
		return nil, []error{s.inputErr("", s.setupErr)}
	}
	var err error
	for attempt := 0; ; attempt++ {
		var st *collectors.Stack
		var retry bool
		var wait time.Duration
		st, retry, wait, err = s.fetch(ctx)
		if err == nil {
			if st == s.cached {
				// Deposed objects skipped: reported every cycle, also
				// when the server answers Not Modified.
				return []collectors.Stack{*st}, append([]error(nil), s.cachedWarns...)
			}
			return []collectors.Stack{*st}, nil
		}
		if !retry || attempt >= s.cfg.Retries || ctx.Err() != nil {
			break
		}
		backoff := s.cfg.RetryWait << attempt
		if backoff > maxRetryWait || backoff <= 0 {
			backoff = maxRetryWait
		}
		// Jitter: a random wait in [backoff/2, backoff).
		backoff = backoff/2 + rand.N(backoff/2+1)
		if wait > backoff && wait <= maxRetryWait {
			backoff = wait
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, []error{err}
		case <-t.C:
		}
	}
	return nil, []error{err}
}

func (s *HTTPSource) inputErr(place string, err error) error {
	return &collectors.InputError{Source: s.name, Location: s.location, Place: place, Err: err}
}

func (s *HTTPSource) emptyStack() *collectors.Stack {
	return &collectors.Stack{Name: s.stack, Source: s.name, Location: s.location, Workspace: "default"}
}

// fetch makes one attempt. It reports whether a failure is worth retrying
// and how long the server asked to wait (Retry-After).
func (s *HTTPSource) fetch(ctx context.Context) (st *collectors.Stack, retry bool, wait time.Duration, err error) {
	actx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, s.cfg.URL, nil)
	if err != nil {
		return nil, false, 0, s.inputErr("", fmt.Errorf("building request: %w", redactErr(err, s.cfg.URL, s.location)))
	}
	if s.cfg.Username != "" || s.cfg.Password != "" {
		req.SetBasicAuth(s.cfg.Username, s.cfg.Password)
	}
	for k, v := range s.cfg.Headers {
		req.Header.Set(k, v)
	}
	if s.cached != nil {
		if s.etag != "" {
			req.Header.Set("If-None-Match", s.etag)
		}
		if s.lastModified != "" {
			req.Header.Set("If-Modified-Since", s.lastModified)
		}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, true, 0, s.inputErr("", fmt.Errorf("fetching state: %w", redactErr(err, s.cfg.URL, s.location)))
	}
	defer func() {
		// Drain a little so the connection can be reused, then close.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		_ = resp.Body.Close()
	}()
	status := fmt.Sprintf("HTTP %d", resp.StatusCode)
	switch code := resp.StatusCode; {
	case code == http.StatusOK:
		return s.decode(resp)
	case code == http.StatusNoContent:
		s.forget()
		return s.emptyStack(), false, 0, nil
	case code == http.StatusNotFound:
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		if strings.TrimSpace(string(b)) == "" {
			s.forget()
			return s.emptyStack(), false, 0, nil
		}
		return nil, false, 0, s.inputErr(status, errors.New("state not found, and the answer is not the empty one of an http backend without state: check the URL"))
	case code == http.StatusNotModified:
		if s.cached == nil {
			return nil, false, 0, s.inputErr(status, errors.New("server answered Not Modified to a request for a state never read"))
		}
		return s.cached, false, 0, nil
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return nil, false, 0, s.inputErr(status, fmt.Errorf("access denied (%s): check the username, password and headers", http.StatusText(code)))
	case code == http.StatusTooManyRequests || code >= 500:
		return nil, true, retryAfter(resp.Header.Get("Retry-After")), s.inputErr(status, fmt.Errorf("server error (%s)", http.StatusText(code)))
	default:
		return nil, false, 0, s.inputErr(status, fmt.Errorf("unexpected answer (%s)", http.StatusText(code)))
	}
}

// decode streams a 200 answer's body into Decode.
func (s *HTTPSource) decode(resp *http.Response) (*collectors.Stack, bool, time.Duration, error) {
	if resp.ContentLength == 0 {
		s.forget()
		return s.emptyStack(), false, 0, nil
	}
	var warns []error
	st, err := Decode(resp.Body, DecodeOptions{
		Source:    s.name,
		Location:  s.location,
		Stack:     s.stack,
		Workspace: "default",
		SizeHint:  max(resp.ContentLength, 0),
		Warn:      func(w error) { warns = append(warns, w) },
	})
	if err != nil {
		if errors.Is(err, ErrEmptyState) {
			s.forget()
			return s.emptyStack(), false, 0, nil
		}
		var re *ReadError
		if errors.As(err, &re) {
			// The connection failed mid-body: transient.
			var ie *collectors.InputError
			if errors.As(err, &ie) {
				ie.Err = &ReadError{Offset: re.Offset, Err: redactErr(re.Err, s.cfg.URL, s.location)}
			}
			return nil, true, 0, err
		}
		return nil, false, 0, err
	}
	s.cached, s.cachedWarns = st, warns
	s.etag = resp.Header.Get("ETag")
	s.lastModified = resp.Header.Get("Last-Modified")
	return st, false, 0, nil
}

// forget drops the cached state (the backend has none any more).
func (s *HTTPSource) forget() {
	s.cached, s.cachedWarns, s.etag, s.lastModified = nil, nil, "", ""
}

func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

// RedactURL returns the URL with its user information and query values
// replaced by "REDACTED", for errors, logs and Stack.Location.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q[k] = []string{"REDACTED"}
		}
		u.RawQuery = q.Encode()
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}

// redactErr rewrites the URL an *url.Error carries (it holds query
// tokens) to the redacted one.
func redactErr(err error, raw, redacted string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: redacted, Err: redactErr(ue.Err, raw, redacted)}
	}
	if raw != "" && strings.Contains(err.Error(), raw) {
		return errors.New(strings.ReplaceAll(err.Error(), raw, redacted))
	}
	return err
}
