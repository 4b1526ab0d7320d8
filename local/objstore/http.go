package objstore

import (
	"encoding/base64"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dragons-dev/dragons/local/awsproto"
)

// maxXMLBody limits the XML request bodies (DeleteObjects, versioning).
const maxXMLBody = 4 << 20

// ServeHTTP implements http.Handler for S3's REST-XML protocol.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bucket, key := splitRequest(r)
	var q url.Values
	if r.URL.RawQuery != "" {
		q = r.URL.Query()
	}
	resource := "/" + bucket
	if key != "" {
		resource += "/" + key
	}
	var err error
	switch unknown := unknownParams(bucket, key, r.Method, q); {
	case len(unknown) > 0:
		err = errUnsupported(r, strings.Join(unknown, ", ?"))
	case bucket == "":
		err = s.serveService(w, r, q)
	case key == "":
		err = s.serveBucket(w, r, bucket, q)
	default:
		err = s.serveObject(w, r, bucket, key, q)
	}
	if err != nil {
		s.writeError(w, r, err, resource)
	}
}

func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error, resource string) {
	e := awsproto.AsError(err)
	if e.Status >= 500 {
		s.log.Error("s3 request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if e.Code == CodeNotModified {
		h := w.Header()
		for k, v := range e.Header {
			h[k] = v
		}
		w.WriteHeader(http.StatusNotModified)
		return
	}
	awsproto.WriteRESTXMLError(w, e, resource)
}

// splitRequest finds the bucket and key a request addresses, from the Host
// header (virtual-hosted style) or the path (path style).
func splitRequest(r *http.Request) (bucket, key string) {
	path := r.URL.Path
	if b := hostBucket(r.Host); b != "" {
		return b, strings.TrimPrefix(path, "/")
	}
	path = strings.TrimPrefix(path, "/")
	bucket, key, _ = strings.Cut(path, "/")
	return bucket, key
}

// hostBucket returns the bucket named by a virtual-hosted style Host
// ("bucket.s3.localhost:4566", "bucket.localhost:4566",
// "bucket.s3.us-east-1.amazonaws.com"), or "" for path-style hosts (IP
// addresses, "localhost", "s3.localhost", any other name).
func hostBucket(host string) string {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if h == "" || strings.HasPrefix(h, "[") || net.ParseIP(h) != nil {
		return ""
	}
	labels := strings.Split(h, ".")
	for i := len(labels) - 1; i >= 0; i-- {
		if isS3Label(labels[i]) {
			return strings.Join(labels[:i], ".")
		}
	}
	if b, ok := strings.CutSuffix(h, ".localhost"); ok {
		return b
	}
	return ""
}

// isS3Label reports whether a host label names the S3 service endpoint ("s3",
// "s3-website", "s3-us-west-2", ...).
func isS3Label(l string) bool {
	if l == "s3" {
		return true
	}
	rest, ok := strings.CutPrefix(l, "s3-")
	if !ok {
		return false
	}
	switch rest {
	case "website", "accelerate", "fips", "external-1", "control", "object-lambda":
		return true
	}
	// Legacy regional endpoints: s3-us-west-2, s3-eu-central-1, ...
	parts := strings.Split(rest, "-")
	if len(parts) < 3 {
		return false
	}
	_, err := strconv.Atoi(parts[len(parts)-1])
	return err == nil
}

func errUnsupported(r *http.Request, what string) error {
	return s3Errors.New(CodeNotImplemented, "%s ?%s is not implemented by the local S3", r.Method, what)
}

func errMethod(r *http.Request) error {
	return s3Errors.New(CodeMethodNotAllowed, "The specified method %s is not allowed against this resource.", r.Method)
}

const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

type ownerXML struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

var owner = ownerXML{ID: AccountID, DisplayName: "local"}

func timeXML(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func (s *Service) serveService(w http.ResponseWriter, r *http.Request, q url.Values) error {
	if r.Method != http.MethodGet {
		return errMethod(r)
	}
	type bucketXML struct {
		Name         string `xml:"Name"`
		CreationDate string `xml:"CreationDate"`
		BucketRegion string `xml:"BucketRegion"`
	}
	type result struct {
		XMLName           xml.Name    `xml:"ListAllMyBucketsResult"`
		NS                string      `xml:"xmlns,attr"`
		Owner             ownerXML    `xml:"Owner"`
		Buckets           []bucketXML `xml:"Buckets>Bucket"`
		ContinuationToken string      `xml:"ContinuationToken,omitempty"`
		Prefix            string      `xml:"Prefix,omitempty"`
	}
	all, err := s.ListBuckets(r.Context())
	if err != nil {
		return err
	}
	prefix := q.Get("prefix")
	max := 10000
	if v := q.Get("max-buckets"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return s3Errors.New(CodeInvalidArgument, "max-buckets must be an integer from 1 to 10000")
		}
		max = n
	}
	after, err := decodeToken(q.Get("continuation-token"))
	if err != nil {
		return err
	}
	res := result{NS: s3NS, Owner: owner, Prefix: prefix}
	for _, b := range all {
		if !strings.HasPrefix(b.Name, prefix) || b.Name <= after {
			continue
		}
		if len(res.Buckets) == max {
			res.ContinuationToken = encodeToken(res.Buckets[len(res.Buckets)-1].Name)
			break
		}
		res.Buckets = append(res.Buckets, bucketXML{Name: b.Name, CreationDate: timeXML(b.CreationDate), BucketRegion: b.Region})
	}
	writeXML(w, res)
	return nil
}

func encodeToken(marker string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(marker))
}

func decodeToken(tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", s3Errors.New(CodeInvalidArgument, "The continuation token provided is incorrect")
	}
	return string(b), nil
}

func (s *Service) serveBucket(w http.ResponseWriter, r *http.Request, bucket string, q url.Values) error {
	ctx := r.Context()
	switch r.Method {
	case http.MethodPut:
		if q.Has("versioning") {
			return s.putVersioning(w, r, bucket)
		}
		if err := drainXML(r, nil); err != nil {
			return err
		}
		if err := s.CreateBucket(ctx, bucket); err != nil {
			return err
		}
		w.Header().Set("Location", "/"+bucket)
		writeEmpty(w, http.StatusOK)
		return nil
	case http.MethodHead:
		if err := s.HeadBucket(ctx, bucket); err != nil {
			return err
		}
		w.Header().Set("x-amz-bucket-region", s.region)
		writeEmpty(w, http.StatusOK)
		return nil
	case http.MethodDelete:
		if err := s.DeleteBucket(ctx, bucket); err != nil {
			return err
		}
		writeEmpty(w, http.StatusNoContent)
		return nil
	case http.MethodPost:
		if q.Has("delete") {
			return s.deleteObjects(w, r, bucket)
		}
		return errMethod(r)
	case http.MethodGet:
		switch {
		case q.Has("versioning"):
			status, err := s.GetBucketVersioning(ctx, bucket)
			if err != nil {
				return err
			}
			writeXML(w, versioningXML{NS: s3NS, Status: status})
			return nil
		case q.Has("location"):
			if err := s.HeadBucket(ctx, bucket); err != nil {
				return err
			}
			loc := s.region
			if loc == "us-east-1" {
				loc = ""
			}
			writeXML(w, locationXML{NS: s3NS, Region: loc})
			return nil
		case q.Has("uploads"):
			return s.listUploads(w, r, bucket, q)
		case q.Has("versions"):
			return s.listVersions(w, r, bucket, q)
		case q.Get("list-type") == "2":
			return s.listV2(w, r, bucket, q)
		default:
			return s.listV1(w, r, bucket, q)
		}
	}
	return errMethod(r)
}

func writeEmpty(w http.ResponseWriter, status int) {
	h := w.Header()
	h.Set("Content-Length", "0")
	h.Set("x-amz-request-id", awsproto.NewRequestID())
	w.WriteHeader(status)
}

type versioningXML struct {
	XMLName xml.Name `xml:"VersioningConfiguration"`
	NS      string   `xml:"xmlns,attr,omitempty"`
	Status  string   `xml:"Status,omitempty"`
}

type locationXML struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	NS      string   `xml:"xmlns,attr"`
	Region  string   `xml:",chardata"`
}

// drainXML reads a small XML body into v (or just checks it is well-formed when
// v is nil). An empty body is fine.
func drainXML(r *http.Request, v any) error {
	body, err := readXMLBody(r)
	if err != nil {
		return err
	}
	return decodeXML(body, v)
}

// readXMLBody reads a request body of at most maxXMLBody bytes.
func readXMLBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxXMLBody+1))
	if err != nil {
		return nil, bodyError(err)
	}
	if len(body) > maxXMLBody {
		return nil, s3Errors.New(CodeMalformedXML, "request body is too large")
	}
	return body, nil
}

// decodeXML decodes body into v (or just checks it is well-formed when v is
// nil). An empty or blank body leaves v alone.
func decodeXML(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if v == nil {
		var anything struct{}
		v = &anything
	}
	if err := xml.Unmarshal(body, v); err != nil {
		return s3Errors.New(CodeMalformedXML, "The XML you provided was not well-formed or did not validate against our published schema: %v", err)
	}
	return nil
}

func (s *Service) putVersioning(w http.ResponseWriter, r *http.Request, bucket string) error {
	var cfg versioningXML
	if err := drainXML(r, &cfg); err != nil {
		return err
	}
	if err := s.PutBucketVersioning(r.Context(), bucket, cfg.Status); err != nil {
		return err
	}
	writeEmpty(w, http.StatusOK)
	return nil
}
