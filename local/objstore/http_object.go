package objstore

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dragons-dev/dragons/local/awsproto"
)

func (s *Service) serveObject(w http.ResponseWriter, r *http.Request, bucket, key string, q url.Values) error {
	if uploadID := q.Get("uploadId"); uploadID != "" {
		return s.serveUpload(w, r, bucket, key, uploadID, q)
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return s.getObject(w, r, bucket, key, q)
	case http.MethodPut:
		if r.Header.Get("x-amz-copy-source") != "" {
			return s.copyObject(w, r, bucket, key)
		}
		return s.putObject(w, r, bucket, key)
	case http.MethodDelete:
		return s.deleteObject(w, r, bucket, key, q)
	case http.MethodPost:
		if q.Has("uploads") {
			return s.createUpload(w, r, bucket, key)
		}
	}
	return errMethod(r)
}

// putOptionsFromHeader reads the content headers, user metadata and write
// conditions of a PUT.
func putOptionsFromHeader(h http.Header) PutOptions {
	opts := PutOptions{
		ContentType:        h.Get("Content-Type"),
		ContentEncoding:    stripAWSChunked(h.Get("Content-Encoding")),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentLanguage:    h.Get("Content-Language"),
		CacheControl:       h.Get("Cache-Control"),
		Expires:            h.Get("Expires"),
		IfMatch:            h.Get("If-Match"),
		IfNoneMatch:        h.Get("If-None-Match"),
	}
	for name, vals := range h {
		if len(name) > len("X-Amz-Meta-") && strings.EqualFold(name[:len("X-Amz-Meta-")], "X-Amz-Meta-") {
			if opts.Metadata == nil {
				opts.Metadata = map[string]string{}
			}
			opts.Metadata[strings.ToLower(name[len("X-Amz-Meta-"):])] = strings.Join(vals, ",")
		}
	}
	return opts
}

// stripAWSChunked removes the aws-chunked transfer coding from a
// Content-Encoding list: it describes the request framing, not the object.
func stripAWSChunked(ce string) string {
	if !strings.Contains(ce, "aws-chunked") {
		return ce
	}
	var keep []string
	for part := range strings.SplitSeq(ce, ",") {
		if p := strings.TrimSpace(part); p != "" && p != "aws-chunked" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, ",")
}

func isAWSChunked(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") ||
		strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-")
}

// requestChecksum works out which flexible checksum a PUT carries: its
// algorithm, the expected value when sent as a header, and the trailer name
// when sent as an aws-chunked trailer.
func requestChecksum(h http.Header) (alg, expected, trailer string, err error) {
	if t := strings.ToLower(strings.TrimSpace(h.Get("X-Amz-Trailer"))); t != "" {
		name, ok := strings.CutPrefix(t, "x-amz-checksum-")
		if alg = normalizeAlg(name); !ok || alg == "" {
			return "", "", "", s3Errors.New(CodeInvalidRequest, "The x-amz-trailer %q is not a supported checksum", t)
		}
		return alg, "", t, nil
	}
	if a := h.Get("X-Amz-Sdk-Checksum-Algorithm"); a != "" {
		if alg = normalizeAlg(a); alg == "" {
			return "", "", "", s3Errors.New(CodeInvalidRequest, "Checksum algorithm %q is not supported", a)
		}
		return alg, h.Get(checksumHeader(alg)), "", nil
	}
	for _, a := range checksumAlgs {
		if v := h.Get(checksumHeader(a)); v != "" {
			if alg != "" {
				return "", "", "", s3Errors.New(CodeInvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
			}
			alg, expected = a, v
		}
	}
	if alg == "" {
		alg = DefaultChecksum
	}
	return alg, expected, "", nil
}

// bodyChecks are the integrity checks an upload declares for its body.
type bodyChecks struct {
	contentMD5 string
	// alg, expected and trailer are as requestChecksum returns them.
	alg, expected, trailer string
}

// parseBodyChecks reads the Content-MD5 and flexible checksum of an upload.
func parseBodyChecks(h http.Header) (bodyChecks, error) {
	c := bodyChecks{contentMD5: h.Get("Content-MD5")}
	if err := checkContentMD5(c.contentMD5); err != nil {
		return bodyChecks{}, err
	}
	var err error
	if c.alg, c.expected, c.trailer, err = requestChecksum(h); err != nil {
		return bodyChecks{}, err
	}
	return c, nil
}

// readVerified reads a request body (decoding aws-chunked framing) through
// ingest and checks it against the declared length, trailer checksum,
// checksum header and Content-MD5; a body that fails a check is discarded.
func (s *Service) readVerified(r *http.Request, ingest func(io.Reader, int64, string) (*ingested, error), c bodyChecks) (*ingested, error) {
	body, size, cr, decoded, err := requestBody(r)
	if err != nil {
		return nil, err
	}
	// A signed payload hash (not UNSIGNED-PAYLOAD or a STREAMING- form) must
	// match the body, as S3 checks.
	var payload hash.Hash
	signed := r.Header.Get("X-Amz-Content-Sha256")
	if cr == nil && isSHA256Hex(signed) {
		payload = sha256.New()
		body = io.TeeReader(body, payload)
	}
	ing, err := ingest(body, size, c.alg)
	if err != nil {
		return nil, err
	}
	if payload != nil {
		if got := hex.EncodeToString(payload.Sum(nil)); !strings.EqualFold(got, signed) {
			s.discard(ing)
			return nil, s3Errors.New(CodeContentSHA256Mismatch, "The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
	}
	expected, err := checkChunkedBody(ing, cr, decoded, c.trailer, c.expected)
	if err != nil {
		s.discard(ing)
		return nil, err
	}
	if err := verifyDigests(ing, c.contentMD5, expected); err != nil {
		s.discard(ing)
		return nil, err
	}
	return ing, nil
}

// isSHA256Hex reports whether v is a SHA-256 in hex.
func isSHA256Hex(v string) bool {
	if len(v) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(v)
	return err == nil
}

func checkContentMD5(v string) error {
	if v == "" {
		return nil
	}
	if b, err := base64.StdEncoding.DecodeString(v); err != nil || len(b) != 16 {
		return s3Errors.New(CodeInvalidDigest, "The Content-MD5 you specified was invalid.")
	}
	return nil
}

func (s *Service) putObject(w http.ResponseWriter, r *http.Request, bucket, key string) error {
	opts := putOptionsFromHeader(r.Header)
	if err := validateWrite(key, &opts); err != nil {
		return err
	}
	checks, err := parseBodyChecks(r.Header)
	if err != nil {
		return err
	}
	if err := s.checkBucket(bucket); err != nil {
		return err
	}
	ing, err := s.readVerified(r, s.ingest, checks)
	if err != nil {
		return err
	}
	info, err := s.commitPut(bucket, key, ing, &opts)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("ETag", info.ETag)
	if info.VersionID != "" {
		h.Set("x-amz-version-id", info.VersionID)
	}
	h.Set(checksumHeader(info.ChecksumAlgorithm), info.Checksum)
	h.Set("x-amz-checksum-type", "FULL_OBJECT")
	writeEmpty(w, http.StatusOK)
	return nil
}

// requestBody returns the body of an upload, unframing aws-chunked bodies.
// size is the expected length (-1 when unknown) and decoded the declared
// x-amz-decoded-content-length (-1 when absent).
func requestBody(r *http.Request) (body io.Reader, size int64, cr *chunkedReader, decoded int64, err error) {
	body, size, decoded = r.Body, r.ContentLength, -1
	if isAWSChunked(r) {
		cr = newChunkedReader(r.Body)
		body, size = cr, -1
		if v := r.Header.Get("X-Amz-Decoded-Content-Length"); v != "" {
			if decoded, err = strconv.ParseInt(v, 10, 64); err != nil || decoded < 0 {
				return nil, 0, nil, 0, s3Errors.New(CodeInvalidArgument, "x-amz-decoded-content-length must be a non-negative integer")
			}
			size = decoded
		}
	}
	if size > MaxObjectSize {
		return nil, 0, nil, 0, s3Errors.New(CodeEntityTooLarge, "Your proposed upload exceeds the maximum allowed object size")
	}
	return body, size, cr, decoded, nil
}

// checkChunkedBody checks an ingested aws-chunked body against its declared
// length and returns the checksum to verify: the trailer's when one was
// announced, else expected.
func checkChunkedBody(ing *ingested, cr *chunkedReader, decoded int64, trailer, expected string) (string, error) {
	if decoded >= 0 && ing.size != decoded {
		return "", s3Errors.New(CodeIncompleteBody, "The request body was %d bytes, x-amz-decoded-content-length says %d", ing.size, decoded)
	}
	if trailer == "" {
		return expected, nil
	}
	if cr == nil {
		return "", s3Errors.New(CodeInvalidRequest, "x-amz-trailer requires an aws-chunked body")
	}
	v := cr.Trailers[trailer]
	if v == "" {
		return "", s3Errors.New(CodeInvalidRequest, "The body did not end with the %s trailer it announced", trailer)
	}
	return v, nil
}

func parseHTTPTime(v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return time.Time{}
	}
	return t
}

// responseOverrides are the query parameters a GET may use to override
// response headers.
var responseOverrides = [][2]string{
	{"response-content-type", "Content-Type"},
	{"response-content-language", "Content-Language"},
	{"response-expires", "Expires"},
	{"response-cache-control", "Cache-Control"},
	{"response-content-disposition", "Content-Disposition"},
	{"response-content-encoding", "Content-Encoding"},
}

func setObjectHeaders(h http.Header, info *ObjectInfo) {
	h.Set("ETag", info.ETag)
	h.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	h.Set("Content-Type", info.ContentType)
	if info.VersionID != "" {
		h.Set("x-amz-version-id", info.VersionID)
	}
	for k, v := range map[string]string{
		"Content-Encoding": info.ContentEncoding, "Content-Disposition": info.ContentDisposition,
		"Content-Language": info.ContentLanguage, "Cache-Control": info.CacheControl, "Expires": info.Expires,
	} {
		if v != "" {
			h.Set(k, v)
		}
	}
	// Lower-case names, as S3 sends them: clients keep the case they see.
	for k, v := range info.Metadata {
		h["x-amz-meta-"+k] = []string{v}
	}
}

func (s *Service) getObject(w http.ResponseWriter, r *http.Request, bucket, key string, q url.Values) error {
	opts := GetOptions{
		VersionID:         q.Get("versionId"),
		IfMatch:           r.Header.Get("If-Match"),
		IfNoneMatch:       r.Header.Get("If-None-Match"),
		IfModifiedSince:   parseHTTPTime(r.Header.Get("If-Modified-Since")),
		IfUnmodifiedSince: parseHTTPTime(r.Header.Get("If-Unmodified-Since")),
	}
	get := r.Method == http.MethodGet
	info, v, f, err := s.lookup(bucket, key, opts.VersionID, get)
	if err != nil {
		return err
	}
	if f != nil {
		defer f.Close()
	}
	h := w.Header()
	if err := readConditions(&info, &opts); err != nil {
		if awsproto.IsCode(err, CodeNotModified) {
			h.Set("ETag", info.ETag)
			h.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
		}
		return err
	}
	start, end := int64(0), info.Size-1
	partial := false
	if rh := r.Header.Get("Range"); rh != "" {
		br := parseRange(rh, info.Size)
		if br.Unsatisfiable {
			return errInvalidRange(info.Size)
		}
		partial, start, end = br.Partial, br.Start, br.End
	}
	setObjectHeaders(h, &info)
	for _, o := range responseOverrides {
		if v := q.Get(o[0]); v != "" {
			h.Set(o[1], v)
		}
	}
	if !partial && info.Checksum != "" && strings.EqualFold(r.Header.Get("x-amz-checksum-mode"), "ENABLED") {
		h.Set(checksumHeader(info.ChecksumAlgorithm), info.Checksum)
		h.Set("x-amz-checksum-type", "FULL_OBJECT")
	}
	n := end - start + 1
	if info.Size == 0 {
		n = 0
	}
	h.Set("Content-Length", strconv.FormatInt(n, 10))
	h.Set("x-amz-request-id", awsproto.NewRequestID())
	status := http.StatusOK
	if partial {
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, info.Size))
		status = http.StatusPartialContent
	}
	w.WriteHeader(status)
	if !get || n == 0 {
		return nil
	}
	if f != nil {
		_, err = io.Copy(w, io.NewSectionReader(f, start, n))
	} else {
		_, err = w.Write(v.data[start : end+1])
	}
	if err != nil {
		s.log.Debug("write object body", "bucket", bucket, "key", key, "err", err)
	}
	return nil
}

func (s *Service) deleteObject(w http.ResponseWriter, r *http.Request, bucket, key string, q url.Values) error {
	res, err := s.DeleteObject(r.Context(), bucket, key, DeleteOptions{VersionID: q.Get("versionId"), IfMatch: r.Header.Get("If-Match")})
	if err != nil {
		return err
	}
	h := w.Header()
	if res.VersionID != "" {
		h.Set("x-amz-version-id", res.VersionID)
	}
	if res.DeleteMarker {
		h.Set("x-amz-delete-marker", "true")
	}
	writeEmpty(w, http.StatusNoContent)
	return nil
}

// parseCopySource splits x-amz-copy-source ("/bucket/key?versionId=v", URL
// encoded, the leading slash optional).
func parseCopySource(v string) (bucket, key, versionID string, err error) {
	path, query, _ := strings.Cut(v, "?")
	if query != "" {
		q, qerr := url.ParseQuery(query)
		if qerr != nil {
			return "", "", "", s3Errors.New(CodeInvalidArgument, "Invalid copy source query %q", query)
		}
		versionID = q.Get("versionId")
	}
	path, uerr := url.PathUnescape(path)
	if uerr != nil {
		return "", "", "", s3Errors.New(CodeInvalidArgument, "Invalid copy source encoding")
	}
	bucket, key, _ = strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if bucket == "" || key == "" {
		return "", "", "", s3Errors.New(CodeInvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	}
	return bucket, key, versionID, nil
}

func (s *Service) copyObject(w http.ResponseWriter, r *http.Request, bucket, key string) error {
	srcBucket, srcKey, srcVersion, err := parseCopySource(r.Header.Get("x-amz-copy-source"))
	if err != nil {
		return err
	}
	if _, err := io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20)); err != nil {
		return bodyError(err)
	}
	h := r.Header
	opts := CopyOptions{
		SourceVersionID:         srcVersion,
		SourceIfMatch:           h.Get("x-amz-copy-source-if-match"),
		SourceIfNoneMatch:       h.Get("x-amz-copy-source-if-none-match"),
		SourceIfModifiedSince:   parseHTTPTime(h.Get("x-amz-copy-source-if-modified-since")),
		SourceIfUnmodifiedSince: parseHTTPTime(h.Get("x-amz-copy-source-if-unmodified-since")),
		Put:                     putOptionsFromHeader(h),
	}
	switch d := h.Get("x-amz-metadata-directive"); d {
	case "", "COPY":
	case "REPLACE":
		opts.ReplaceMetadata = true
	default:
		return s3Errors.New(CodeInvalidArgument, "Unknown metadata directive %q", d)
	}
	info, srcVersionID, err := s.CopyObject(r.Context(), srcBucket, srcKey, bucket, key, opts)
	if err != nil {
		return err
	}
	out := copyResult(&info)
	wh := w.Header()
	if info.VersionID != "" {
		wh.Set("x-amz-version-id", info.VersionID)
	}
	if srcVersionID != "" {
		wh.Set("x-amz-copy-source-version-id", srcVersionID)
	}
	writeXML(w, out)
	return nil
}

type copyResultXML struct {
	XMLName           xml.Name `xml:"CopyObjectResult"`
	NS                string   `xml:"xmlns,attr"`
	ETag              string   `xml:"ETag"`
	LastModified      string   `xml:"LastModified,omitempty"`
	ChecksumType      string   `xml:"ChecksumType,omitempty"`
	ChecksumCRC32     string   `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string   `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string   `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string   `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string   `xml:"ChecksumSHA256,omitempty"`
	ChecksumSHA512    string   `xml:"ChecksumSHA512,omitempty"`
	ChecksumMD5       string   `xml:"ChecksumMD5,omitempty"`
}

func copyResult(info *ObjectInfo) copyResultXML {
	out := copyResultXML{NS: s3NS, ETag: info.ETag, LastModified: timeXML(info.LastModified)}
	if info.Checksum != "" {
		out.ChecksumType = "FULL_OBJECT"
	}
	setChecksumField(&out, info.ChecksumAlgorithm, info.Checksum)
	return out
}

// setChecksumField puts a checksum into the result field for its algorithm.
func setChecksumField(out *copyResultXML, alg, value string) {
	switch alg {
	case AlgCRC32:
		out.ChecksumCRC32 = value
	case AlgCRC32C:
		out.ChecksumCRC32C = value
	case AlgCRC64NVME:
		out.ChecksumCRC64NVME = value
	case AlgSHA1:
		out.ChecksumSHA1 = value
	case AlgSHA256:
		out.ChecksumSHA256 = value
	case AlgSHA512:
		out.ChecksumSHA512 = value
	case AlgMD5:
		out.ChecksumMD5 = value
	}
}

// MaxDeleteObjects is the most keys one DeleteObjects request may name.
const MaxDeleteObjects = 1000

type deleteRequestXML struct {
	XMLName xml.Name `xml:"Delete"`
	Quiet   bool     `xml:"Quiet"`
	Objects []struct {
		Key       *string `xml:"Key"`
		VersionID string  `xml:"VersionId"`
		ETag      string  `xml:"ETag"`
	} `xml:"Object"`
}

// parseDeleteRequest decodes a DeleteObjects body.
func parseDeleteRequest(body []byte) (items []DeleteEntry, quiet bool, err error) {
	var req deleteRequestXML
	if err := xml.Unmarshal(body, &req); err != nil {
		return nil, false, s3Errors.New(CodeMalformedXML, "The XML you provided was not well-formed or did not validate against our published schema: %v", err)
	}
	if len(req.Objects) == 0 || len(req.Objects) > MaxDeleteObjects {
		return nil, false, s3Errors.New(CodeMalformedXML, "The request must name 1 to %d objects, not %d", MaxDeleteObjects, len(req.Objects))
	}
	items = make([]DeleteEntry, len(req.Objects))
	for i, o := range req.Objects {
		if o.Key == nil {
			return nil, false, s3Errors.New(CodeMalformedXML, "Object %d has no Key", i+1)
		}
		items[i] = DeleteEntry{Key: *o.Key, VersionID: o.VersionID, IfMatch: strings.TrimSpace(o.ETag)}
	}
	return items, req.Quiet, nil
}

func (s *Service) deleteObjects(w http.ResponseWriter, r *http.Request, bucket string) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxXMLBody+1))
	if err != nil {
		return bodyError(err)
	}
	if len(body) > maxXMLBody {
		return s3Errors.New(CodeMalformedXML, "request body is too large")
	}
	if isAWSChunked(r) {
		cr := newChunkedReader(bytes.NewReader(body))
		if body, err = io.ReadAll(cr); err != nil {
			return bodyError(err)
		}
	}
	if md5 := r.Header.Get("Content-MD5"); md5 != "" {
		if err := checkContentMD5(md5); err != nil {
			return err
		}
		h := newBodyHasher(AlgMD5)
		h.Write(body)
		if h.md5Base64() != md5 {
			return s3Errors.New(CodeBadDigest, "The Content-MD5 you specified did not match what we received.")
		}
	}
	items, quiet, err := parseDeleteRequest(body)
	if err != nil {
		return err
	}
	results, err := s.DeleteObjects(r.Context(), bucket, items)
	if err != nil {
		return err
	}
	type deletedXML struct {
		Key                   string `xml:"Key"`
		VersionID             string `xml:"VersionId,omitempty"`
		DeleteMarker          bool   `xml:"DeleteMarker,omitempty"`
		DeleteMarkerVersionID string `xml:"DeleteMarkerVersionId,omitempty"`
	}
	type errorXML struct {
		Key       string `xml:"Key"`
		VersionID string `xml:"VersionId,omitempty"`
		Code      string `xml:"Code"`
		Message   string `xml:"Message"`
	}
	out := struct {
		XMLName xml.Name     `xml:"DeleteResult"`
		NS      string       `xml:"xmlns,attr"`
		Deleted []deletedXML `xml:"Deleted"`
		Errors  []errorXML   `xml:"Error"`
	}{NS: s3NS}
	for _, res := range results {
		if res.Err != nil {
			e := awsproto.AsError(res.Err)
			out.Errors = append(out.Errors, errorXML{Key: res.Key, VersionID: res.VersionID, Code: e.Code, Message: e.Message})
			continue
		}
		if quiet {
			continue
		}
		d := deletedXML{Key: res.Key, VersionID: res.VersionID}
		if res.Result.DeleteMarker {
			d.DeleteMarker = true
			if res.VersionID == "" {
				d.DeleteMarkerVersionID = res.Result.VersionID
			}
		}
		out.Deleted = append(out.Deleted, d)
	}
	writeXML(w, out)
	return nil
}
