package awstest

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// S3 is an in-memory, path-style S3 endpoint serving the object calls the
// dragons code makes: create bucket, GetObject, HeadObject, PutObject and
// DeleteObject, with ETags and conditional requests (If-Match and
// If-None-Match on reads and writes, If-Match on deletes, answered with 304,
// 404 or 412 as S3 does). Each write is atomic with its precondition check.
type S3 struct {
	srv *httptest.Server

	mu       sync.Mutex
	buckets  map[string]map[string]object
	failPuts []injected

	logMu sync.Mutex // guards log; separate because answers are written under mu
	log   []Request
}

type object struct {
	data         []byte
	etag         string
	contentType  string
	lastModified time.Time
}

type injected struct {
	status int
	code   string
}

// Request is one request the S3 endpoint answered, with the conditional
// headers it carried ("" when absent).
type Request struct {
	Method      string
	Bucket      string
	Key         string
	Status      int
	IfMatch     string
	IfNoneMatch string
}

// NewS3 starts an S3 endpoint on 127.0.0.1 with the given buckets.
func NewS3(buckets ...string) *S3 {
	s := &S3{buckets: map[string]map[string]object{}}
	for _, b := range buckets {
		s.buckets[b] = map[string]object{}
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the endpoint's base URL.
func (s *S3) URL() string { return s.srv.URL }

// Close stops the endpoint.
func (s *S3) Close() { s.srv.Close() }

// Object returns a stored object's bytes and ETag.
func (s *S3) Object(bucket, key string) (data []byte, etag string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.buckets[bucket][key]
	return bytes.Clone(o.data), o.etag, ok
}

// PutObject stores an object directly, as another writer would.
func (s *S3) PutObject(bucket, key string, data []byte) (etag string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets[bucket] == nil {
		s.buckets[bucket] = map[string]object{}
	}
	o := newObject(data, "application/json")
	s.buckets[bucket][key] = o
	return o.etag
}

// Keys lists the keys of a bucket with the given prefix, sorted.
func (s *S3) Keys(bucket, prefix string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for k := range s.buckets[bucket] {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// Requests returns the requests answered so far, in order.
func (s *S3) Requests() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return append([]Request(nil), s.log...)
}

// ResetRequests forgets the requests answered so far.
func (s *S3) ResetRequests() {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.log = nil
}

// FailNextPuts makes the next n PutObject calls fail with the given status
// and S3 error code (for example 409 ConditionalRequestConflict, or 503
// SlowDown) without storing anything.
func (s *S3) FailNextPuts(n, status int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failPuts = append(s.failPuts, injected{status: status, code: code})
	}
}

func newObject(data []byte, contentType string) object {
	sum := md5.Sum(data)
	return object{
		data:         bytes.Clone(data),
		etag:         `"` + hex.EncodeToString(sum[:]) + `"`,
		contentType:  contentType,
		lastModified: time.Now().UTC().Truncate(time.Second),
	}
}

func (s *S3) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	// The request is logged when its status is sent, before the client can see
	// the answer, so a test never reads a log that lags behind its calls.
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK, onStatus: func(status int) {
		s.logMu.Lock()
		s.log = append(s.log, Request{
			Method: r.Method, Bucket: bucket, Key: key, Status: status,
			IfMatch: r.Header.Get("If-Match"), IfNoneMatch: r.Header.Get("If-None-Match"),
		})
		s.logMu.Unlock()
	}}
	defer rec.flushStatus()
	rec.Header().Set("x-amz-request-id", newRequestID())
	switch {
	case bucket == "":
		writeS3Error(rec, r, http.StatusNotImplemented, "NotImplemented", "bucket listing is not served", "")
	case key == "" && r.Method == http.MethodPut:
		s.mu.Lock()
		if s.buckets[bucket] == nil {
			s.buckets[bucket] = map[string]object{}
		}
		s.mu.Unlock()
		rec.WriteHeader(http.StatusOK)
	case key == "":
		writeS3Error(rec, r, http.StatusNotImplemented, "NotImplemented", "only object operations are served", "")
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		s.get(rec, r, bucket, key)
	case r.Method == http.MethodPut:
		s.put(rec, r, bucket, key)
	case r.Method == http.MethodDelete:
		s.delete(rec, r, bucket, key)
	default:
		writeS3Error(rec, r, http.StatusMethodNotAllowed, "MethodNotAllowed", "method not allowed", key)
	}
}

func (s *S3) get(w http.ResponseWriter, r *http.Request, bucket, key string) {
	s.mu.Lock()
	objs, bucketOK := s.buckets[bucket]
	o, ok := objs[key]
	s.mu.Unlock()
	switch {
	case !bucketOK:
		writeS3Error(w, r, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist", key)
		return
	case !ok:
		writeS3Error(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", key)
		return
	}
	if im := r.Header.Get("If-Match"); im != "" && !etagListMatches(im, o.etag) {
		writeS3Error(w, r, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", key)
		return
	}
	h := w.Header()
	h.Set("ETag", o.etag)
	h.Set("Last-Modified", o.lastModified.Format(http.TimeFormat))
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagListMatches(inm, o.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", o.contentType)
	h.Set("Content-Length", strconv.Itoa(len(o.data)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(o.data)
	}
}

func (s *S3) put(w http.ResponseWriter, r *http.Request, bucket, key string) {
	body, err := readPayload(r)
	if err != nil {
		writeS3Error(w, r, http.StatusBadRequest, "IncompleteBody", err.Error(), key)
		return
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		ct = "binary/octet-stream"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failPuts) > 0 {
		f := s.failPuts[0]
		s.failPuts = s.failPuts[1:]
		writeS3Error(w, r, f.status, f.code, "injected failure", key)
		return
	}
	objs, bucketOK := s.buckets[bucket]
	if !bucketOK {
		writeS3Error(w, r, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist", key)
		return
	}
	cur, exists := objs[key]
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		if inm != "*" {
			writeS3Error(w, r, http.StatusNotImplemented, "NotImplemented", "If-None-Match on PutObject only accepts *", key)
			return
		}
		if exists {
			writeS3Error(w, r, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", key)
			return
		}
	}
	if !ifMatchHolds(w, r, key, cur, exists) {
		return
	}
	o := newObject(body, ct)
	objs[key] = o
	w.Header().Set("ETag", o.etag)
	w.WriteHeader(http.StatusOK)
}

func (s *S3) delete(w http.ResponseWriter, r *http.Request, bucket, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	objs, bucketOK := s.buckets[bucket]
	if !bucketOK {
		writeS3Error(w, r, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist", key)
		return
	}
	cur, exists := objs[key]
	if !ifMatchHolds(w, r, key, cur, exists) {
		return
	}
	delete(objs, key)
	w.WriteHeader(http.StatusNoContent)
}

// ifMatchHolds reports whether the If-Match condition of a write, if any,
// holds for the current object cur (absent unless exists); when it does not,
// it writes the error response.
func ifMatchHolds(w http.ResponseWriter, r *http.Request, key string, cur object, exists bool) bool {
	im := r.Header.Get("If-Match")
	switch {
	case im == "":
		return true
	case !exists:
		writeS3Error(w, r, http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", key)
		return false
	case !etagListMatches(im, cur.etag):
		writeS3Error(w, r, http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", key)
		return false
	}
	return true
}

// readPayload returns the object bytes of a PutObject request, decoding the
// aws-chunked framing that SDKs use when they send a trailing checksum.
func readPayload(r *http.Request) ([]byte, error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	chunked := strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") ||
		strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-")
	if !chunked {
		return raw, nil
	}
	br := bufio.NewReader(bytes.NewReader(raw))
	var out bytes.Buffer
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("aws-chunked: read chunk header: %w", err)
		}
		sizeHex, _, _ := strings.Cut(strings.TrimRight(line, "\r\n"), ";")
		n, err := strconv.ParseInt(strings.TrimSpace(sizeHex), 16, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("aws-chunked: bad chunk size %q", sizeHex)
		}
		if n == 0 {
			break // trailers follow; the checksum is not verified here
		}
		if _, err := io.CopyN(&out, br, n); err != nil {
			return nil, fmt.Errorf("aws-chunked: short chunk: %w", err)
		}
		if _, err := br.Discard(2); err != nil {
			return nil, fmt.Errorf("aws-chunked: missing chunk terminator: %w", err)
		}
	}
	if want := r.Header.Get("X-Amz-Decoded-Content-Length"); want != "" && want != strconv.Itoa(out.Len()) {
		return nil, fmt.Errorf("aws-chunked: decoded %d bytes, header says %s", out.Len(), want)
	}
	return out.Bytes(), nil
}

// etagListMatches reports whether an If-Match/If-None-Match header value
// ("*" or a comma-separated list of quoted ETags) names etag.
func etagListMatches(header, etag string) bool {
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimSpace(part)
		part = strings.TrimPrefix(part, "W/")
		if part == "*" || part == etag || `"`+part+`"` == etag {
			return true
		}
	}
	return false
}

type s3Error struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Key       string   `xml:"Key,omitempty"`
	RequestID string   `xml:"RequestId"`
}

func writeS3Error(w http.ResponseWriter, r *http.Request, status int, code, msg, key string) {
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, xml.Header)
	_ = xml.NewEncoder(w).Encode(s3Error{Code: code, Message: msg, Key: key, RequestID: w.Header().Get("x-amz-request-id")})
}

type statusRecorder struct {
	http.ResponseWriter
	status   int
	onStatus func(status int)
	sent     bool
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.flushStatus()
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.flushStatus()
	return s.ResponseWriter.Write(b)
}

// flushStatus reports the status once, before anything reaches the client.
func (s *statusRecorder) flushStatus() {
	if !s.sent {
		s.sent = true
		s.onStatus(s.status)
	}
}
