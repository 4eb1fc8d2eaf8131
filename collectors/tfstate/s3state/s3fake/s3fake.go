// Package s3fake is an in-memory S3 server speaking the REST/XML protocol
// (ListObjectsV2 with continuation tokens and delimiters, HeadObject,
// GetObject with If-None-Match / If-Modified-Since, SSE-C) for tests of S3
// clients, with fault injection: per-key error answers (with S3's error
// XML, extra elements and headers such as x-amz-bucket-region), throttling
// (503 SlowDown) for the first N requests, and bodies cut short.
//
// Buckets are addressed path-style (endpoint/bucket/key) or virtual-hosted
// (bucket.<host>/key, when the Host header starts with a stored bucket's
// name and a dot).
package s3fake

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Object is one stored object.
type Object struct {
	Body []byte
	// KMSKeyID, when set, makes answers carry SSE-KMS headers.
	KMSKeyID  string
	VersionID string
	Modified  time.Time
	// SSECKey, when set, is the base64 SSE-C customer key the object was
	// stored with: reads must send it (x-amz-server-side-encryption-customer-*).
	SSECKey string
}

// Fault is an error answer.
type Fault struct {
	Status int
	Code   string
	// Times is how many requests get the fault; 0 means every one.
	Times int
	// Method, when set, limits the fault to requests of that method
	// (e.g. "HEAD"); others are answered normally.
	Method string
	// Message is the error's Message (default: S3's text for Code).
	Message string
	// Extra is raw XML added inside <Error> (e.g. <Region>us-east-2</Region>).
	Extra string
	// Header is added to the answer (e.g. x-amz-bucket-region).
	Header http.Header
	// Truncate, for a GET of an object, answers 200 with the full
	// Content-Length but closes the connection after half the body
	// (Status and Code are then unused).
	Truncate bool
}

// Server is a fake S3 endpoint for one or more buckets.
type Server struct {
	*httptest.Server
	// PageSize is the MaxKeys of a listing page; default 1000.
	PageSize int

	mu      sync.Mutex
	buckets map[string]map[string]*Object
	faults  map[string]*Fault // "bucket/key", "bucket?list"
	counts  map[string]int    // "GET bucket/key", "HEAD bucket/key", "LIST bucket"
	headers http.Header       // of the last request
}

// New starts a server; close it with Close.
func New() *Server {
	s := &Server{PageSize: 1000, buckets: map[string]map[string]*Object{}, faults: map[string]*Fault{}, counts: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Put stores an object (creating the bucket).
func (s *Server) Put(bucket, key string, body []byte, kmsKeyID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets[bucket] == nil {
		s.buckets[bucket] = map[string]*Object{}
	}
	v := 1
	if o := s.buckets[bucket][key]; o != nil {
		v, _ = strconv.Atoi(o.VersionID)
		v++
	}
	s.buckets[bucket][key] = &Object{Body: body, KMSKeyID: kmsKeyID, VersionID: strconv.Itoa(v), Modified: time.Now().UTC()}
}

// PutObject stores o (creating the bucket); VersionID and Modified are
// set by the server.
func (s *Server) PutObject(bucket, key string, o Object) {
	s.Put(bucket, key, o.Body, o.KMSKeyID)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buckets[bucket][key].SSECKey = o.SSECKey
}

// Delete removes an object.
func (s *Server) Delete(bucket, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.buckets[bucket], key)
}

// Fail makes requests for bucket/key (or "bucket?list" for listings)
// answer with f.
func (s *Server) Fail(target string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[target] = &f
}

// Count returns how many requests of a kind were answered: "GET b/k",
// "HEAD b/k", "LIST b".
func (s *Server) Count(what string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[what]
}

// LastHeaders returns the headers of the last request (to check signing).
func (s *Server) LastHeaders() http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.headers.Clone()
}

// ETag is the quoted MD5 of body, as S3 computes it for single-part uploads.
func ETag(body []byte) string {
	h := md5.Sum(body)
	return `"` + hex.EncodeToString(h[:]) + `"`
}

func (s *Server) fault(w http.ResponseWriter, r *http.Request, target string) (*Fault, bool) {
	f := s.faults[target]
	if f == nil || (f.Method != "" && f.Method != r.Method) {
		return nil, false
	}
	if f.Times > 0 {
		f.Times--
		if f.Times == 0 {
			delete(s.faults, target)
		}
	}
	if f.Truncate {
		return f, false
	}
	for k, v := range f.Header {
		w.Header()[k] = v
	}
	writeError(w, r, f.Status, f.Code, f.Message, f.Extra)
	return nil, true
}

// messages are S3's texts for the error codes tests use.
var messages = map[string]string{
	"NoSuchKey":                    "The specified key does not exist.",
	"NoSuchBucket":                 "The specified bucket does not exist",
	"AccessDenied":                 "Access Denied",
	"SlowDown":                     "Please reduce your request rate.",
	"ExpiredToken":                 "The provided token has expired.",
	"PermanentRedirect":            "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.",
	"AuthorizationHeaderMalformed": "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'us-east-2'",
	"InvalidRequest":               "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.",
}

// writeError answers as S3 does: the error XML document, except for HEAD,
// whose error answers have no body (clients only see the status).
func writeError(w http.ResponseWriter, r *http.Request, status int, code, msg, extra string) {
	w.Header().Set("x-amz-request-id", "FAKE4REQUEST1D00")
	w.Header().Set("x-amz-id-2", "ZmFrZS1ob3N0LWlk")
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	if msg == "" {
		msg = messages[code]
	}
	if msg == "" {
		msg = code
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(msg))
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message>%s<RequestId>FAKE4REQUEST1D00</RequestId><HostId>ZmFrZS1ob3N0LWlk</HostId></Error>", code, b.String(), extra)
}

func xmlElem(name, value string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(value))
	return "<" + name + ">" + b.String() + "</" + name + ">"
}

// bucketAndKey splits a request into bucket and key, virtual-hosted
// (Host "bucket.host") or path-style.
func (s *Server) bucketAndKey(r *http.Request) (string, string) {
	p := strings.TrimPrefix(r.URL.Path, "/")
	if host, _, ok := strings.Cut(r.Host, "."); ok && s.buckets[host] != nil && !strings.HasPrefix(p, host+"/") {
		return host, p
	}
	bucket, key, _ := strings.Cut(p, "/")
	return bucket, key
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.headers = r.Header.Clone()
	bucket, key := s.bucketAndKey(r)
	objs, ok := s.buckets[bucket]
	if key == "" && r.Method == http.MethodGet {
		s.counts["LIST "+bucket]++
		if _, done := s.fault(w, r, bucket+"?list"); done {
			return
		}
		if !ok {
			writeError(w, r, http.StatusNotFound, "NoSuchBucket", "", xmlElem("BucketName", bucket))
			return
		}
		s.list(w, r, bucket, objs)
		return
	}
	s.counts[r.Method+" "+bucket+"/"+key]++
	f, done := s.fault(w, r, bucket+"/"+key)
	if done {
		return
	}
	if !ok {
		writeError(w, r, http.StatusNotFound, "NoSuchBucket", "", xmlElem("BucketName", bucket))
		return
	}
	o := objs[key]
	if o == nil {
		writeError(w, r, http.StatusNotFound, "NoSuchKey", "", xmlElem("Key", key))
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h := w.Header()
		if o.SSECKey == "" && r.Header.Get("x-amz-server-side-encryption-customer-key") != "" {
			writeError(w, r, http.StatusBadRequest, "InvalidRequest", "The encryption parameters are not applicable to this object.", "")
			return
		}
		if o.SSECKey != "" {
			raw, _ := base64.StdEncoding.DecodeString(o.SSECKey)
			sum := md5.Sum(raw)
			md := base64.StdEncoding.EncodeToString(sum[:])
			got := r.Header.Get("x-amz-server-side-encryption-customer-key")
			switch {
			case got == "":
				writeError(w, r, http.StatusBadRequest, "InvalidRequest", "", "")
				return
			case got != o.SSECKey || r.Header.Get("x-amz-server-side-encryption-customer-key-MD5") != md ||
				r.Header.Get("x-amz-server-side-encryption-customer-algorithm") != "AES256":
				writeError(w, r, http.StatusForbidden, "AccessDenied", "The calculated MD5 hash of the key did not match the hash that was provided.", "")
				return
			}
			h.Set("x-amz-server-side-encryption-customer-algorithm", "AES256")
			h.Set("x-amz-server-side-encryption-customer-key-MD5", md)
		}
		etag := ETag(o.Body)
		h.Set("ETag", etag)
		h.Set("Last-Modified", o.Modified.Format(http.TimeFormat))
		h.Set("x-amz-version-id", o.VersionID)
		if inm := r.Header.Get("If-None-Match"); inm != "" && (inm == etag || inm == "*") {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && r.Header.Get("If-None-Match") == "" && !o.Modified.Truncate(time.Second).After(ims) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Length", strconv.Itoa(len(o.Body)))
		h.Set("Content-Type", "application/json")
		switch {
		case o.KMSKeyID != "":
			h.Set("x-amz-server-side-encryption", "aws:kms")
			h.Set("x-amz-server-side-encryption-aws-kms-key-id", o.KMSKeyID)
			h.Set("x-amz-server-side-encryption-bucket-key-enabled", "true")
		case o.SSECKey == "":
			h.Set("x-amz-server-side-encryption", "AES256")
		}
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			if f != nil && f.Truncate {
				// Fewer bytes than Content-Length: the server closes the
				// connection and the client sees an unexpected EOF.
				_, _ = w.Write(o.Body[:len(o.Body)/2])
				return
			}
			_, _ = w.Write(o.Body)
		}
	default:
		writeError(w, r, http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.", "")
	}
}

type listResult struct {
	XMLName               xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name                  string         `xml:"Name"`
	Prefix                string         `xml:"Prefix"`
	KeyCount              int            `xml:"KeyCount"`
	MaxKeys               int            `xml:"MaxKeys"`
	IsTruncated           bool           `xml:"IsTruncated"`
	ContinuationToken     string         `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	StartAfter            string         `xml:"StartAfter,omitempty"`
	Delimiter             string         `xml:"Delimiter,omitempty"`
	Contents              []contents     `xml:"Contents"`
	CommonPrefixes        []commonPrefix `xml:"CommonPrefixes"`
}

type commonPrefix struct {
	Prefix string `xml:"Prefix"`
}

type contents struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int    `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, bucket string, objs map[string]*Object) {
	q := r.URL.Query()
	if q.Get("list-type") != "2" {
		writeError(w, r, http.StatusBadRequest, "InvalidArgument", "Only list-type=2 (ListObjectsV2) is served", "")
		return
	}
	prefix := q.Get("prefix")
	after := q.Get("start-after")
	if t := q.Get("continuation-token"); t != "" {
		after = t // the token is the last key of the previous page
	}
	delim := q.Get("delimiter")
	keys := make([]string, 0, len(objs))
	isPrefix := map[string]bool{}
	for k := range objs {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				k = k[:len(prefix)+i+len(delim)]
				if isPrefix[k] {
					continue
				}
				isPrefix[k] = true
			}
		}
		if k > after {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	page := s.PageSize
	if mk, err := strconv.Atoi(q.Get("max-keys")); err == nil && mk > 0 && mk < page {
		page = mk
	}
	res := listResult{Name: bucket, Prefix: prefix, MaxKeys: page, Delimiter: delim, ContinuationToken: q.Get("continuation-token"), StartAfter: q.Get("start-after")}
	if len(keys) > page {
		keys = keys[:page]
		res.IsTruncated = true
		res.NextContinuationToken = keys[len(keys)-1]
	}
	for _, k := range keys {
		if isPrefix[k] {
			res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: k})
			continue
		}
		o := objs[k]
		res.Contents = append(res.Contents, contents{Key: k, LastModified: o.Modified.Format("2006-01-02T15:04:05.000Z"), ETag: ETag(o.Body), Size: len(o.Body), StorageClass: "STANDARD"})
	}
	res.KeyCount = len(res.Contents) + len(res.CommonPrefixes)
	w.Header().Set("Content-Type", "application/xml")
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(res)
}
