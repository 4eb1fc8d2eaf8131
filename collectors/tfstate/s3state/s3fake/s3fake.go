// Package s3fake is an in-memory S3 server speaking the REST/XML protocol
// (path-style ListObjectsV2 with continuation tokens and delimiters, HeadObject,
// GetObject) for tests of S3 clients, with fault injection: per-key error
// answers and throttling (503 SlowDown) for the first N requests.
package s3fake

import (
	"crypto/md5"
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
}

// Fault is an error answer.
type Fault struct {
	Status int
	Code   string
	// Times is how many requests get the fault; 0 means every one.
	Times int
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

func (s *Server) fault(w http.ResponseWriter, r *http.Request, target string) bool {
	f := s.faults[target]
	if f == nil {
		return false
	}
	if f.Times > 0 {
		f.Times--
		if f.Times == 0 {
			delete(s.faults, target)
		}
	}
	writeError(w, r, f.Status, f.Code)
	return true
}

func writeError(w http.ResponseWriter, r *http.Request, status int, code string) {
	w.Header().Set("x-amz-request-id", "FAKE")
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>FAKE</RequestId></Error>`, code, code)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.headers = r.Header.Clone()
	p := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(p, "/")
	objs, ok := s.buckets[bucket]
	if key == "" && r.Method == http.MethodGet {
		s.counts["LIST "+bucket]++
		if s.fault(w, r, bucket+"?list") {
			return
		}
		if !ok {
			writeError(w, r, http.StatusNotFound, "NoSuchBucket")
			return
		}
		s.list(w, r, bucket, objs)
		return
	}
	s.counts[r.Method+" "+bucket+"/"+key]++
	if s.fault(w, r, bucket+"/"+key) {
		return
	}
	if !ok {
		writeError(w, r, http.StatusNotFound, "NoSuchBucket")
		return
	}
	o := objs[key]
	if o == nil {
		writeError(w, r, http.StatusNotFound, "NoSuchKey")
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h := w.Header()
		h.Set("ETag", ETag(o.Body))
		h.Set("Last-Modified", o.Modified.Format(http.TimeFormat))
		h.Set("Content-Length", strconv.Itoa(len(o.Body)))
		h.Set("Content-Type", "application/json")
		h.Set("x-amz-version-id", o.VersionID)
		if o.KMSKeyID != "" {
			h.Set("x-amz-server-side-encryption", "aws:kms")
			h.Set("x-amz-server-side-encryption-aws-kms-key-id", o.KMSKeyID)
			h.Set("x-amz-server-side-encryption-bucket-key-enabled", "true")
		} else {
			h.Set("x-amz-server-side-encryption", "AES256")
		}
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(o.Body)
		}
	default:
		writeError(w, r, http.StatusMethodNotAllowed, "MethodNotAllowed")
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
		writeError(w, r, http.StatusBadRequest, "InvalidArgument")
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
