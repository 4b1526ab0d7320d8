package objstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dragons-dev/dragons/local/awsproto"
)

// Limits S3 applies to keys and user metadata.
const (
	MaxKeyLength    = 1024
	MaxMetadataSize = 2 << 10
)

// defaultContentType is what S3 reports for objects stored without one.
const defaultContentType = "binary/octet-stream"

// ObjectInfo describes one object version.
type ObjectInfo struct {
	Bucket string
	Key    string
	// VersionID is the version's id ("null" for the null version); it is empty
	// in buckets that never had versioning, where S3 sends none.
	VersionID    string
	IsLatest     bool
	DeleteMarker bool
	Size         int64
	// ETag is the quoted hex MD5 of the body.
	ETag               string
	LastModified       time.Time
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	Expires            string
	// Metadata holds user metadata by lower-case name without x-amz-meta-.
	Metadata          map[string]string
	ChecksumAlgorithm string
	// Checksum is the base64 value of ChecksumAlgorithm over the whole body.
	Checksum string
}

// PutOptions are the optional parts of a PutObject.
type PutOptions struct {
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	Expires            string
	Metadata           map[string]string
	// IfMatch makes the write conditional on the current ETag (quoted or not,
	// or "*"): a missing object gives NoSuchKey, a different one
	// PreconditionFailed.
	IfMatch string
	// IfNoneMatch "*" makes the write fail with PreconditionFailed when the
	// object exists.
	IfNoneMatch string
	// ChecksumAlgorithm is computed and stored ("" means CRC64NVME, as S3 does).
	ChecksumAlgorithm string
	// Checksum, when set, is the expected base64 value of ChecksumAlgorithm.
	Checksum string
	// ContentMD5, when set, is the expected base64 MD5 of the body.
	ContentMD5 string
}

// GetOptions are the optional parts of GetObject and HeadObject.
type GetOptions struct {
	VersionID         string
	IfMatch           string
	IfNoneMatch       string
	IfModifiedSince   time.Time
	IfUnmodifiedSince time.Time
	// Range is an HTTP Range header value ("bytes=0-99").
	Range string
}

// Object is a GetObject result. The caller must close Body.
type Object struct {
	ObjectInfo
	Body io.ReadCloser
	// Partial is set when Range selected the bytes [RangeStart, RangeEnd].
	Partial    bool
	RangeStart int64
	RangeEnd   int64
}

// DeleteOptions are the optional parts of DeleteObject.
type DeleteOptions struct {
	// VersionID deletes that version permanently instead of adding a delete
	// marker.
	VersionID string
	// IfMatch makes the delete conditional on the current ETag.
	IfMatch string
}

// DeleteResult reports what a delete did.
type DeleteResult struct {
	// VersionID is the version removed or the delete marker created.
	VersionID    string
	DeleteMarker bool
}

// CopyOptions are the optional parts of CopyObject.
type CopyOptions struct {
	SourceVersionID         string
	SourceIfMatch           string
	SourceIfNoneMatch       string
	SourceIfModifiedSince   time.Time
	SourceIfUnmodifiedSince time.Time
	// ReplaceMetadata takes content headers and metadata from Put instead of
	// the source (x-amz-metadata-directive: REPLACE).
	ReplaceMetadata bool
	// Put holds the replacement headers and the destination's IfMatch and
	// IfNoneMatch conditions.
	Put PutOptions
}

// ingested is a request body read, hashed and stored, waiting to be committed.
type ingested struct {
	data     []byte
	blob     string
	size     int64
	etag     string // hex MD5
	md5      string // base64 MD5
	alg      string
	checksum string
}

// ingest reads a body, hashing it with MD5 and alg. Bodies above the inline
// limit go to a new blob file that is synced before ingest returns. sizeHint
// is the expected length or -1.
func (s *Service) ingest(r io.Reader, sizeHint int64, alg string) (*ingested, error) {
	h := newBodyHasher(alg)
	// Trust a declared size for the first allocation only up to a point: a
	// large Content-Length must not reserve memory before bytes arrive.
	c := sizeHint
	if c < 0 || c > s.inlineLimit || c > 8<<20 {
		c = min(s.inlineLimit, 32<<10)
	}
	buf := make([]byte, 0, c+1)
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > MaxObjectSize {
				return nil, s3Errors.New(CodeEntityTooLarge, "Your proposed upload exceeds the maximum allowed object size")
			}
			if int64(len(buf)) > s.inlineLimit && s.blobDir != "" {
				return s.spill(buf, r, h)
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, bodyError(err)
		}
	}
	if int64(len(buf)) > s.inlineLimit && s.blobDir != "" {
		return s.spill(buf, eofReader{}, h)
	}
	h.Write(buf)
	return &ingested{data: buf, size: int64(len(buf)), etag: h.etag(), md5: h.md5Base64(), alg: alg, checksum: h.checksum()}, nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

func bodyError(err error) error {
	return s3Errors.New(CodeIncompleteBody, "could not read the request body: %v", err)
}

// spill writes head and the rest of r to a new blob file.
func (s *Service) spill(head []byte, r io.Reader, h *bodyHasher) (*ingested, error) {
	name := randomID()
	path := filepath.Join(s.blobDir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create object body file: %w", err)
	}
	fail := func(err error) (*ingested, error) {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	w := io.MultiWriter(f, h)
	if _, err := w.Write(head); err != nil {
		return fail(fmt.Errorf("write object body: %w", err))
	}
	if _, err := io.Copy(w, io.LimitReader(readerOnly{r}, MaxObjectSize-int64(len(head))+1)); err != nil {
		if _, ok := err.(*os.PathError); ok {
			return fail(fmt.Errorf("write object body: %w", err))
		}
		return fail(bodyError(err))
	}
	if h.size > MaxObjectSize {
		return fail(s3Errors.New(CodeEntityTooLarge, "Your proposed upload exceeds the maximum allowed object size"))
	}
	if err := s.durability.FlushAll(f); err != nil {
		return fail(fmt.Errorf("object body: %w", err))
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("close object body: %w", err)
	}
	if err := s.durability.FlushDir(s.blobDir); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("store object body: %w", err)
	}
	return &ingested{blob: name, size: h.size, etag: h.etag(), md5: h.md5Base64(), alg: h.alg, checksum: h.checksum()}, nil
}

// readerOnly hides WriterTo so that io.Copy reports read and write errors apart.
type readerOnly struct{ r io.Reader }

func (r readerOnly) Read(p []byte) (int, error) { return r.r.Read(p) }

func (s *Service) discard(ing *ingested) {
	if ing != nil && ing.blob != "" {
		os.Remove(filepath.Join(s.blobDir, ing.blob))
	}
}

// validateWrite checks what a PUT can check before reading its body.
func validateWrite(key string, opts *PutOptions) error {
	if err := validKey(key); err != nil {
		return err
	}
	size := 0
	for k, v := range opts.Metadata {
		size += len(k) + len(v)
	}
	if size > MaxMetadataSize {
		return s3Errors.New(CodeMetadataTooLarge, "Your metadata headers exceed the maximum allowed metadata size (%d bytes)", MaxMetadataSize)
	}
	if opts.IfNoneMatch != "" && strings.TrimSpace(opts.IfNoneMatch) != "*" {
		return s3Errors.New(CodeNotImplemented, "If-None-Match on writes supports only *")
	}
	if opts.ChecksumAlgorithm != "" && normalizeAlg(opts.ChecksumAlgorithm) == "" {
		return s3Errors.New(CodeInvalidRequest, "Checksum algorithm %q is not supported", opts.ChecksumAlgorithm)
	}
	return nil
}

func validKey(key string) error {
	if key == "" {
		return s3Errors.New(CodeInvalidArgument, "object key must not be empty")
	}
	if len(key) > MaxKeyLength {
		return s3Errors.New(CodeKeyTooLong, "Your key is too long")
	}
	if !utf8.ValidString(key) {
		return s3Errors.New(CodeInvalidArgument, "object key must be UTF-8")
	}
	return nil
}

// PutObject stores body under key.
func (s *Service) PutObject(ctx context.Context, bucket, key string, body io.Reader, opts PutOptions) (ObjectInfo, error) {
	if err := validateWrite(key, &opts); err != nil {
		return ObjectInfo{}, err
	}
	if err := s.checkBucket(bucket); err != nil {
		return ObjectInfo{}, err
	}
	alg := normalizeAlg(opts.ChecksumAlgorithm)
	if alg == "" {
		alg = DefaultChecksum
	}
	if body == nil {
		body = eofReader{}
	}
	ing, err := s.ingest(body, -1, alg)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("put object %q: %w", key, err)
	}
	if err := verifyDigests(ing, opts.ContentMD5, opts.Checksum); err != nil {
		s.discard(ing)
		return ObjectInfo{}, err
	}
	return s.commitPut(bucket, key, ing, &opts)
}

func verifyDigests(ing *ingested, contentMD5, checksum string) error {
	if contentMD5 != "" && contentMD5 != ing.md5 {
		return s3Errors.New(CodeBadDigest, "The Content-MD5 you specified did not match what we received.")
	}
	if checksum != "" && checksum != ing.checksum {
		return s3Errors.New(CodeBadDigest, "The %s you specified did not match the calculated checksum.", ing.alg)
	}
	return nil
}

// commitPut makes an ingested body the key's newest version, after checking
// the write conditions under the store lock so that racing conditional writes
// see each other.
func (s *Service) commitPut(bucket, key string, ing *ingested, opts *PutOptions) (ObjectInfo, error) {
	meta := versionMeta{
		Size:               ing.size,
		ETag:               ing.etag,
		ContentType:        opts.ContentType,
		ContentEncoding:    opts.ContentEncoding,
		ContentDisposition: opts.ContentDisposition,
		ContentLanguage:    opts.ContentLanguage,
		CacheControl:       opts.CacheControl,
		Expires:            opts.Expires,
		Metadata:           lowerKeys(opts.Metadata),
		ChecksumAlgorithm:  ing.alg,
		Checksum:           ing.checksum,
		Blob:               ing.blob,
	}
	if meta.ContentType == "" {
		meta.ContentType = defaultContentType
	}
	s.mu.Lock()
	b := s.buckets[bucket]
	if b == nil {
		s.mu.Unlock()
		s.discard(ing)
		return ObjectInfo{}, errNoSuchBucket(bucket)
	}
	if err := checkWriteConditions(b.current(key), key, opts.IfMatch, opts.IfNoneMatch); err != nil {
		s.mu.Unlock()
		s.discard(ing)
		return ObjectInfo{}, err
	}
	meta.ID = b.newVersionID()
	meta.Modified = s.now().UnixMilli()
	seq, dropped, err := s.commitLocked(kindVersionPut, &record{Bucket: bucket, Key: key, Version: &meta}, ing.data)
	var info ObjectInfo
	if err == nil {
		info = b.info(key, b.objects[key].versions[0], true)
	}
	s.mu.Unlock()
	if err != nil {
		s.discard(ing)
		return ObjectInfo{}, fmt.Errorf("put object %q: %w", key, err)
	}
	if err := s.finish(seq, dropped); err != nil {
		return ObjectInfo{}, fmt.Errorf("put object %q: %w", key, err)
	}
	return info, nil
}

func lowerKeys(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}

// checkWriteConditions applies If-Match and If-None-Match to a write whose
// key currently holds cur (nil when missing or deleted).
func checkWriteConditions(cur *version, key, ifMatch, ifNoneMatch string) error {
	if ifNoneMatch != "" && cur != nil {
		return errPrecondition("If-None-Match")
	}
	if ifMatch != "" {
		if cur == nil {
			return errNoSuchKey(key)
		}
		if !etagMatches(ifMatch, cur.ETag) {
			return errPrecondition("If-Match")
		}
	}
	return nil
}

// etagMatches reports whether a comma-separated list of entity tags (or "*")
// names etag.
func etagMatches(list, etag string) bool {
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		if item == "*" {
			return true
		}
		item = strings.TrimPrefix(item, "W/")
		if strings.Trim(item, `"`) == etag {
			return true
		}
	}
	return false
}

// info describes v; s.mu must be held.
func (b *bucket) info(key string, v *version, latest bool) ObjectInfo {
	oi := ObjectInfo{
		Bucket:             b.name,
		Key:                key,
		IsLatest:           latest,
		DeleteMarker:       v.DeleteMarker,
		Size:               v.Size,
		LastModified:       time.UnixMilli(v.Modified).UTC(),
		ContentType:        v.ContentType,
		ContentEncoding:    v.ContentEncoding,
		ContentDisposition: v.ContentDisposition,
		ContentLanguage:    v.ContentLanguage,
		CacheControl:       v.CacheControl,
		Expires:            v.Expires,
		Metadata:           maps.Clone(v.Metadata),
		ChecksumAlgorithm:  v.ChecksumAlgorithm,
		Checksum:           v.Checksum,
	}
	if v.ETag != "" {
		oi.ETag = `"` + v.ETag + `"`
	}
	if b.versioning != "" {
		oi.VersionID = v.ID
	}
	return oi
}

// lookup finds the version a read addresses and, for bodies in blob files,
// opens the file while the lock keeps it from being removed.
func (s *Service) lookup(bucket, key, versionID string, open bool) (ObjectInfo, *version, *os.File, error) {
	s.mu.RLock()
	b := s.buckets[bucket]
	if b == nil {
		s.mu.RUnlock()
		return ObjectInfo{}, nil, nil, errNoSuchBucket(bucket)
	}
	o := b.objects[key]
	var v *version
	latest := false
	if versionID == "" {
		if o != nil {
			v, latest = o.versions[0], true
		}
	} else if o != nil {
		for i, cand := range o.versions {
			if cand.ID == versionID {
				v, latest = cand, i == 0
				break
			}
		}
	}
	if v == nil || v.DeleteMarker {
		seq := b.lastSeq
		var err error
		switch {
		case v != nil && versionID == "":
			id := ""
			if b.versioning != "" {
				id = v.ID
			}
			err = deleteMarkerError(errNoSuchKey(key), id)
		case v != nil:
			err = deleteMarkerError(s3Errors.New(CodeMethodNotAllowed, "The specified method is not allowed against this resource."), v.ID)
		case versionID != "" && o != nil:
			err = errNoSuchVersion(versionID)
		case versionID != "" && versionID != "null" && !validVersionID(versionID):
			err = s3Errors.New(CodeInvalidArgument, "Invalid version id specified")
		case versionID != "":
			err = errNoSuchVersion(versionID)
		default:
			err = errNoSuchKey(key)
		}
		s.mu.RUnlock()
		if werr := s.waitDurable(seq); werr != nil {
			return ObjectInfo{}, nil, nil, werr
		}
		return ObjectInfo{}, nil, nil, err
	}
	info := b.info(key, v, latest)
	var f *os.File
	var err error
	if open && v.Blob != "" {
		f, err = os.Open(filepath.Join(s.blobDir, v.Blob))
	}
	s.mu.RUnlock()
	if err != nil {
		return ObjectInfo{}, nil, nil, fmt.Errorf("open body of %q: %w", key, err)
	}
	if err := s.waitDurable(v.seq); err != nil {
		if f != nil {
			f.Close()
		}
		return ObjectInfo{}, nil, nil, err
	}
	return info, v, f, nil
}

func validVersionID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// readConditions applies the read preconditions in RFC 7232's order, as S3
// does: If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since.
func readConditions(info *ObjectInfo, opts *GetOptions) error {
	etag := strings.Trim(info.ETag, `"`)
	mod := info.LastModified.Truncate(time.Second)
	if opts.IfMatch != "" {
		if !etagMatches(opts.IfMatch, etag) {
			return errPrecondition("If-Match")
		}
	} else if !opts.IfUnmodifiedSince.IsZero() && mod.After(opts.IfUnmodifiedSince) {
		return errPrecondition("If-Unmodified-Since")
	}
	if opts.IfNoneMatch != "" {
		if etagMatches(opts.IfNoneMatch, etag) {
			return errNotModified()
		}
	} else if !opts.IfModifiedSince.IsZero() && !mod.After(opts.IfModifiedSince) {
		return errNotModified()
	}
	return nil
}

// HeadObject describes an object version without its body.
func (s *Service) HeadObject(ctx context.Context, bucket, key string, opts GetOptions) (ObjectInfo, error) {
	info, _, _, err := s.lookup(bucket, key, opts.VersionID, false)
	if err != nil {
		return ObjectInfo{}, err
	}
	if err := readConditions(&info, &opts); err != nil {
		return ObjectInfo{}, err
	}
	return info, nil
}

// GetObject returns an object version and its body (or the part Range asks
// for).
func (s *Service) GetObject(ctx context.Context, bucket, key string, opts GetOptions) (*Object, error) {
	info, v, f, err := s.lookup(bucket, key, opts.VersionID, true)
	if err != nil {
		return nil, err
	}
	if err := readConditions(&info, &opts); err != nil {
		if f != nil {
			f.Close()
		}
		return nil, err
	}
	out := &Object{ObjectInfo: info}
	start, end := int64(0), info.Size
	if opts.Range != "" {
		br := parseRange(opts.Range, info.Size)
		if br.Unsatisfiable {
			if f != nil {
				f.Close()
			}
			return nil, errInvalidRange(info.Size)
		}
		if br.Partial {
			out.Partial, out.RangeStart, out.RangeEnd = true, br.Start, br.End
			start, end = br.Start, br.End+1
		}
	}
	if f != nil {
		out.Body = sectionCloser{io.NewSectionReader(f, start, end-start), f}
	} else {
		out.Body = io.NopCloser(bytes.NewReader(v.data[start:end]))
	}
	return out, nil
}

func errInvalidRange(size int64) error {
	e := s3Errors.New(CodeInvalidRange, "The requested range is not satisfiable")
	e.Header = http.Header{"Content-Range": {fmt.Sprintf("bytes */%d", size)}}
	return e
}

type sectionCloser struct {
	*io.SectionReader
	f *os.File
}

func (s sectionCloser) Close() error { return s.f.Close() }

// DeleteObject removes a key (adding a delete marker in a versioned bucket) or,
// with a version id, one version permanently. Deleting what does not exist
// succeeds.
func (s *Service) DeleteObject(ctx context.Context, bucket, key string, opts DeleteOptions) (DeleteResult, error) {
	if err := validKey(key); err != nil {
		return DeleteResult{}, err
	}
	s.mu.Lock()
	b := s.buckets[bucket]
	if b == nil {
		s.mu.Unlock()
		return DeleteResult{}, errNoSuchBucket(bucket)
	}
	res, seq, dropped, err := s.deleteLocked(b, key, opts)
	s.mu.Unlock()
	if err != nil {
		return DeleteResult{}, err
	}
	if err := s.finish(seq, dropped); err != nil {
		return DeleteResult{}, fmt.Errorf("delete object %q: %w", key, err)
	}
	return res, nil
}

// deleteLocked deletes under s.mu. seq is the sequence number to wait for.
func (s *Service) deleteLocked(b *bucket, key string, opts DeleteOptions) (DeleteResult, uint64, []string, error) {
	o := b.objects[key]
	if opts.VersionID != "" {
		if o != nil {
			for _, v := range o.versions {
				if v.ID == opts.VersionID {
					seq, dropped, err := s.commitLocked(kindVersionDelete, &record{Bucket: b.name, Key: key, VersionID: v.ID}, nil)
					return DeleteResult{VersionID: v.ID, DeleteMarker: v.DeleteMarker}, seq, dropped, err
				}
			}
		}
		if opts.VersionID != "null" && !validVersionID(opts.VersionID) {
			return DeleteResult{}, 0, nil, s3Errors.New(CodeInvalidArgument, "Invalid version id specified")
		}
		return DeleteResult{VersionID: opts.VersionID}, b.lastSeq, nil, nil
	}
	if opts.IfMatch != "" {
		if err := checkWriteConditions(b.current(key), key, opts.IfMatch, ""); err != nil {
			return DeleteResult{}, 0, nil, err
		}
	}
	if b.versioning == "" {
		if o == nil {
			return DeleteResult{}, b.lastSeq, nil, nil
		}
		seq, dropped, err := s.commitLocked(kindVersionDelete, &record{Bucket: b.name, Key: key, VersionID: "null"}, nil)
		return DeleteResult{}, seq, dropped, err
	}
	marker := versionMeta{ID: b.newVersionID(), DeleteMarker: true, Modified: s.now().UnixMilli()}
	seq, dropped, err := s.commitLocked(kindVersionPut, &record{Bucket: b.name, Key: key, Version: &marker}, nil)
	return DeleteResult{VersionID: marker.ID, DeleteMarker: true}, seq, dropped, err
}

// DeleteEntry is one result of DeleteObjects.
type DeleteEntry struct {
	Key       string
	VersionID string // as requested
	// IfMatch makes the entry's delete conditional on the current ETag, as
	// DeleteOptions.IfMatch does for DeleteObject (the request's <ETag>).
	IfMatch string
	Result  DeleteResult
	Err     error
}

// DeleteObjects deletes several keys (or versions) and reports each outcome;
// the whole batch becomes durable together. An entry whose IfMatch does not hold
// fails alone with PreconditionFailed (or NoSuchKey when the key is absent).
func (s *Service) DeleteObjects(ctx context.Context, bucket string, items []DeleteEntry) ([]DeleteEntry, error) {
	s.mu.Lock()
	b := s.buckets[bucket]
	if b == nil {
		s.mu.Unlock()
		return nil, errNoSuchBucket(bucket)
	}
	out := make([]DeleteEntry, len(items))
	var last uint64
	var dropped []string
	for i, it := range items {
		out[i] = DeleteEntry{Key: it.Key, VersionID: it.VersionID, IfMatch: it.IfMatch}
		if err := validKey(it.Key); err != nil {
			out[i].Err = err
			continue
		}
		res, seq, d, err := s.deleteLocked(b, it.Key, DeleteOptions{VersionID: it.VersionID, IfMatch: it.IfMatch})
		out[i].Result, out[i].Err = res, err
		last = max(last, seq)
		dropped = append(dropped, d...)
	}
	s.mu.Unlock()
	if err := s.finish(last, dropped); err != nil {
		return nil, fmt.Errorf("delete objects in %q: %w", bucket, err)
	}
	return out, nil
}

// CopyObject copies a source version to a destination key and returns the new
// version's description and the source version id.
func (s *Service) CopyObject(ctx context.Context, srcBucket, srcKey, dstBucket, dstKey string, opts CopyOptions) (ObjectInfo, string, error) {
	if err := validateWrite(dstKey, &opts.Put); err != nil {
		return ObjectInfo{}, "", err
	}
	s.mu.Lock()
	info, seq, dropped, srcVersion, err := s.copyLocked(srcBucket, srcKey, dstBucket, dstKey, &opts)
	s.mu.Unlock()
	if err != nil {
		return ObjectInfo{}, "", err
	}
	if err := s.finish(seq, dropped); err != nil {
		return ObjectInfo{}, "", fmt.Errorf("copy object to %q: %w", dstKey, err)
	}
	return info, srcVersion, nil
}

func (s *Service) copyLocked(srcBucket, srcKey, dstBucket, dstKey string, opts *CopyOptions) (ObjectInfo, uint64, []string, string, error) {
	fail := func(err error) (ObjectInfo, uint64, []string, string, error) { return ObjectInfo{}, 0, nil, "", err }
	sb := s.buckets[srcBucket]
	if sb == nil {
		return fail(errNoSuchBucket(srcBucket))
	}
	var src *version
	if o := sb.objects[srcKey]; o != nil {
		if opts.SourceVersionID == "" {
			src = o.versions[0]
		} else {
			for _, v := range o.versions {
				if v.ID == opts.SourceVersionID {
					src = v
				}
			}
		}
	}
	switch {
	case src == nil && opts.SourceVersionID != "":
		return fail(errNoSuchVersion(opts.SourceVersionID))
	case src == nil || src.DeleteMarker && opts.SourceVersionID == "":
		return fail(errNoSuchKey(srcKey))
	case src.DeleteMarker:
		return fail(s3Errors.New(CodeInvalidRequest, "The source of a copy request may not specifically refer to a delete marker by version id."))
	}
	srcInfo := sb.info(srcKey, src, false)
	cond := GetOptions{IfMatch: opts.SourceIfMatch, IfNoneMatch: opts.SourceIfNoneMatch, IfModifiedSince: opts.SourceIfModifiedSince, IfUnmodifiedSince: opts.SourceIfUnmodifiedSince}
	if err := readConditions(&srcInfo, &cond); err != nil {
		if awsproto.IsCode(err, CodeNotModified) {
			return fail(errPrecondition("x-amz-copy-source-if-none-match"))
		}
		return fail(err)
	}
	db := s.buckets[dstBucket]
	if db == nil {
		return fail(errNoSuchBucket(dstBucket))
	}
	if srcBucket == dstBucket && srcKey == dstKey && opts.SourceVersionID == "" && !opts.ReplaceMetadata {
		return fail(s3Errors.New(CodeInvalidRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes."))
	}
	if err := checkWriteConditions(db.current(dstKey), dstKey, opts.Put.IfMatch, opts.Put.IfNoneMatch); err != nil {
		return fail(err)
	}
	meta := src.versionMeta
	meta.DeleteMarker = false
	if opts.ReplaceMetadata {
		p := opts.Put
		meta.ContentType, meta.ContentEncoding, meta.ContentDisposition = p.ContentType, p.ContentEncoding, p.ContentDisposition
		meta.ContentLanguage, meta.CacheControl, meta.Expires = p.ContentLanguage, p.CacheControl, p.Expires
		meta.Metadata = lowerKeys(p.Metadata)
		if meta.ContentType == "" {
			meta.ContentType = defaultContentType
		}
	}
	if src.Blob != "" {
		name := randomID()
		if err := os.Link(filepath.Join(s.blobDir, src.Blob), filepath.Join(s.blobDir, name)); err != nil {
			return fail(fmt.Errorf("copy object body: %w", err))
		}
		if err := s.durability.FlushDir(s.blobDir); err != nil {
			os.Remove(filepath.Join(s.blobDir, name))
			return fail(fmt.Errorf("copy object body: %w", err))
		}
		meta.Blob = name
	}
	meta.ID = db.newVersionID()
	meta.Modified = s.now().UnixMilli()
	seq, dropped, err := s.commitLocked(kindVersionPut, &record{Bucket: dstBucket, Key: dstKey, Version: &meta}, src.data)
	if err != nil {
		return fail(fmt.Errorf("copy object to %q: %w", dstKey, err))
	}
	srcVersion := ""
	if sb.versioning != "" {
		srcVersion = src.ID
	}
	return db.info(dstKey, db.objects[dstKey].versions[0], true), seq, dropped, srcVersion, nil
}
