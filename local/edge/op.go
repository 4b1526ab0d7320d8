package edge

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// s3Op names the S3 operation a request most likely is, for the log line. It
// trusts the x-id parameter the SDKs add and otherwise reads the method, whether
// a bucket and key are addressed (path style, or a bucket in a "*.s3.*" or
// "*.localhost" Host) and the subresource. It is a best effort: the S3 service
// itself decides what the request does.
func s3Op(r *http.Request) string {
	q := r.URL.Query()
	if id := q.Get("x-id"); id != "" {
		return id
	}
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key := "", ""
	if hostHasBucket(r.Host) {
		bucket, key = "host", path
	} else {
		bucket, key, _ = strings.Cut(path, "/")
	}
	switch {
	case bucket == "":
		if r.Method == http.MethodGet {
			return "ListBuckets"
		}
		return ""
	case key == "":
		return s3BucketOp(r.Method, q)
	default:
		return s3ObjectOp(r, q)
	}
}

func s3BucketOp(method string, q url.Values) string {
	switch method {
	case http.MethodGet:
		switch {
		case q.Has("versioning"):
			return "GetBucketVersioning"
		case q.Has("location"):
			return "GetBucketLocation"
		case q.Has("uploads"):
			return "ListMultipartUploads"
		case q.Has("versions"):
			return "ListObjectVersions"
		case q.Get("list-type") == "2":
			return "ListObjectsV2"
		}
		return "ListObjects"
	case http.MethodPut:
		if q.Has("versioning") {
			return "PutBucketVersioning"
		}
		return "CreateBucket"
	case http.MethodHead:
		return "HeadBucket"
	case http.MethodDelete:
		return "DeleteBucket"
	case http.MethodPost:
		if q.Has("delete") {
			return "DeleteObjects"
		}
	}
	return ""
}

func s3ObjectOp(r *http.Request, q url.Values) string {
	copySource := r.Header.Get("X-Amz-Copy-Source") != ""
	if q.Get("uploadId") != "" {
		switch r.Method {
		case http.MethodPut:
			if copySource {
				return "UploadPartCopy"
			}
			return "UploadPart"
		case http.MethodPost:
			return "CompleteMultipartUpload"
		case http.MethodDelete:
			return "AbortMultipartUpload"
		case http.MethodGet:
			return "ListParts"
		}
		return ""
	}
	switch r.Method {
	case http.MethodGet:
		return "GetObject"
	case http.MethodHead:
		return "HeadObject"
	case http.MethodPut:
		if copySource {
			return "CopyObject"
		}
		return "PutObject"
	case http.MethodDelete:
		return "DeleteObject"
	case http.MethodPost:
		if q.Has("uploads") {
			return "CreateMultipartUpload"
		}
	}
	return ""
}

// hostHasBucket reports whether a Host names a bucket virtual-hosted style
// ("b.s3.localhost:4566", "b.s3.us-east-1.amazonaws.com", "b.localhost").
func hostHasBucket(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	if net.ParseIP(host) != nil {
		return false
	}
	if i := strings.Index(host, ".s3."); i > 0 {
		return true
	}
	b, ok := strings.CutSuffix(host, ".localhost")
	return ok && b != "" && b != "s3"
}

// isForm reports whether r carries a form-encoded body (the query protocol).
func isForm(r *http.Request) bool {
	return strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/x-www-form-urlencoded")
}

// peekLimit is how much of a form body the edge keeps to find its Action.
const peekLimit = 512

// bodyPeek passes a request body through unchanged while keeping a copy of its
// first peekLimit bytes, so that the edge can name a query-protocol action after
// the handler has read the body, without reading it itself.
type bodyPeek struct {
	io.ReadCloser
	head []byte
	eof  bool
}

func (b *bodyPeek) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if room := peekLimit - len(b.head); room > 0 {
		b.head = append(b.head, p[:min(n, room)]...)
	}
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

// action returns the Action value of the form the handler read, if the kept
// prefix holds it whole.
func (b *bodyPeek) action() string {
	return formAction(b.head, b.eof && len(b.head) < peekLimit)
}

// formAction finds Action=... in a form-encoded prefix. complete says the prefix
// is the whole body; otherwise a value that runs to the end of the prefix may be
// cut short and is not trusted.
func formAction(head []byte, complete bool) string {
	for len(head) > 0 {
		field := head
		last := true
		if i := bytes.IndexByte(head, '&'); i >= 0 {
			field, head, last = head[:i], head[i+1:], false
		} else {
			head = nil
		}
		name, value, ok := bytes.Cut(field, []byte("="))
		if !ok || string(name) != "Action" {
			continue
		}
		if last && !complete {
			return ""
		}
		v, err := url.QueryUnescape(string(value))
		if err != nil {
			return ""
		}
		return v
	}
	return ""
}
