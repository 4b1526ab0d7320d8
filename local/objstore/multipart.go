package objstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Multipart limits S3 applies.
const (
	MaxPartNumber = 10000
	MinPartSize   = 5 << 20
)

// uploadMeta is the persisted description of a multipart upload: the object
// settings from CreateMultipartUpload.
type uploadMeta struct {
	ID        string      `json:"id"`
	Initiated int64       `json:"it"`
	Object    versionMeta `json:"o"` // content headers, metadata and checksum algorithm
}

type upload struct {
	uploadMeta
	bucket, key string
	parts       map[int]*part
	recSize     int64
}

// partMeta is the persisted description of one uploaded part.
type partMeta struct {
	Number   int    `json:"n"`
	Size     int64  `json:"sz"`
	ETag     string `json:"et"` // hex MD5
	Modified int64  `json:"mt"`
	Checksum string `json:"cs,omitempty"` // in the upload's algorithm
	Blob     string `json:"bl,omitempty"`
}

type part struct {
	partMeta
	data    []byte
	recSize int64
}

// UploadInfo describes a multipart upload in progress.
type UploadInfo struct {
	Bucket, Key, UploadID string
	Initiated             time.Time
	ChecksumAlgorithm     string
}

// PartInfo describes an uploaded part.
type PartInfo struct {
	PartNumber   int
	Size         int64
	ETag         string // quoted
	LastModified time.Time
	// ChecksumAlgorithm and Checksum are set when the upload has an algorithm.
	ChecksumAlgorithm string
	Checksum          string
}

// CompletedPart names a part in CompleteMultipartUpload. ETag and Checksum,
// when set, must match what was uploaded.
type CompletedPart struct {
	PartNumber int
	ETag       string
	Checksum   string
}

// PartOptions are the optional parts of UploadPart.
type PartOptions struct {
	// ChecksumAlgorithm and Checksum give the part's checksum, verified when set.
	ChecksumAlgorithm string
	Checksum          string
	ContentMD5        string
}

func errNoSuchUpload(id string) error {
	return s3Errors.New(CodeNoSuchUpload, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed: %s", id)
}

func (s *Service) applyUpload(kind byte, rec *record, data []byte, seq uint64, size int64) ([]string, error) {
	switch kind {
	case kindUploadPut:
		if rec.Upload == nil || s.buckets[rec.Bucket] == nil {
			return nil, fmt.Errorf("upload into unknown bucket %q", rec.Bucket)
		}
		s.uploads[rec.Upload.ID] = &upload{uploadMeta: *rec.Upload, bucket: rec.Bucket, key: rec.Key, parts: map[int]*part{}, recSize: size}
		s.live += size
		return nil, nil
	case kindPartPut:
		up := s.uploads[rec.UploadID]
		if up == nil || rec.Part == nil {
			return nil, fmt.Errorf("part of unknown upload %q", rec.UploadID)
		}
		var dropped []string
		if old := up.parts[rec.Part.Number]; old != nil {
			s.live -= old.recSize
			if old.Blob != "" {
				dropped = append(dropped, old.Blob)
			}
		}
		up.parts[rec.Part.Number] = &part{partMeta: *rec.Part, data: data, recSize: size}
		s.live += size
		return dropped, nil
	case kindUploadDelete:
		if s.uploads[rec.UploadID] == nil {
			return nil, fmt.Errorf("end of unknown upload %q", rec.UploadID)
		}
		return s.dropUpload(rec.UploadID), nil
	}
	return nil, fmt.Errorf("unknown record kind %q", kind)
}

// dropUpload forgets an upload and returns its part blobs.
func (s *Service) dropUpload(id string) []string {
	up := s.uploads[id]
	var dropped []string
	s.live -= up.recSize
	for _, p := range up.parts {
		s.live -= p.recSize
		if p.Blob != "" {
			dropped = append(dropped, p.Blob)
		}
	}
	delete(s.uploads, id)
	return dropped
}

// CreateMultipartUpload starts an upload; opts give the final object's
// content headers, metadata and checksum algorithm.
func (s *Service) CreateMultipartUpload(ctx context.Context, bucket, key string, opts PutOptions) (string, error) {
	if err := validateWrite(key, &opts); err != nil {
		return "", err
	}
	meta := uploadMeta{ID: randomID(), Initiated: s.now().UnixMilli(), Object: versionMeta{
		ContentType: opts.ContentType, ContentEncoding: opts.ContentEncoding, ContentDisposition: opts.ContentDisposition,
		ContentLanguage: opts.ContentLanguage, CacheControl: opts.CacheControl, Expires: opts.Expires,
		Metadata: lowerKeys(opts.Metadata), ChecksumAlgorithm: normalizeAlg(opts.ChecksumAlgorithm),
	}}
	s.mu.Lock()
	if s.buckets[bucket] == nil {
		s.mu.Unlock()
		return "", errNoSuchBucket(bucket)
	}
	seq, _, err := s.commitLocked(kindUploadPut, &record{Bucket: bucket, Key: key, Upload: &meta}, nil)
	s.mu.Unlock()
	if err != nil {
		return "", fmt.Errorf("create multipart upload for %q: %w", key, err)
	}
	return meta.ID, s.finish(seq, nil)
}

// findUpload returns the upload unless it is missing or for another object;
// s.mu must be held.
func (s *Service) findUpload(bucket, key, id string) (*upload, error) {
	if s.buckets[bucket] == nil {
		return nil, errNoSuchBucket(bucket)
	}
	up := s.uploads[id]
	if up == nil || up.bucket != bucket || up.key != key {
		return nil, errNoSuchUpload(id)
	}
	return up, nil
}

func validPartNumber(n int) error {
	if n < 1 || n > MaxPartNumber {
		return s3Errors.New(CodeInvalidArgument, "Part number must be an integer between 1 and %d, inclusive", MaxPartNumber)
	}
	return nil
}

// uploadAlgorithm returns the checksum algorithm of an upload.
func (s *Service) uploadAlgorithm(bucket, key, id string) (string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	up, err := s.findUpload(bucket, key, id)
	if err != nil {
		return "", err
	}
	return up.Object.ChecksumAlgorithm, nil
}

// UploadPart stores one part of an upload, replacing an earlier part with the
// same number.
func (s *Service) UploadPart(ctx context.Context, bucket, key, uploadID string, number int, body io.Reader, opts PartOptions) (PartInfo, error) {
	if err := validPartNumber(number); err != nil {
		return PartInfo{}, err
	}
	alg, err := s.uploadAlgorithm(bucket, key, uploadID)
	if err != nil {
		return PartInfo{}, err
	}
	if a := normalizeAlg(opts.ChecksumAlgorithm); a != "" {
		alg = a
	}
	if alg == "" {
		alg = DefaultChecksum
	}
	if body == nil {
		body = eofReader{}
	}
	ing, err := s.ingestPart(body, -1, alg)
	if err != nil {
		return PartInfo{}, fmt.Errorf("upload part %d of %q: %w", number, key, err)
	}
	if err := verifyDigests(ing, opts.ContentMD5, opts.Checksum); err != nil {
		s.discard(ing)
		return PartInfo{}, err
	}
	return s.commitPart(bucket, key, uploadID, number, ing)
}

// ingestPart reads a part body; on disk every part gets its own file so that
// completing an upload never rereads the journal.
func (s *Service) ingestPart(r io.Reader, sizeHint int64, alg string) (*ingested, error) {
	if s.blobDir == "" {
		return s.ingest(r, sizeHint, alg)
	}
	return s.spill(nil, r, newBodyHasher(alg))
}

func (s *Service) commitPart(bucket, key, uploadID string, number int, ing *ingested) (PartInfo, error) {
	s.mu.Lock()
	up, err := s.findUpload(bucket, key, uploadID)
	if err != nil {
		s.mu.Unlock()
		s.discard(ing)
		return PartInfo{}, err
	}
	pm := partMeta{Number: number, Size: ing.size, ETag: ing.etag, Modified: s.now().UnixMilli(), Blob: ing.blob}
	if ing.alg == up.Object.ChecksumAlgorithm {
		pm.Checksum = ing.checksum
	}
	seq, dropped, err := s.commitLocked(kindPartPut, &record{UploadID: uploadID, Part: &pm}, ing.data)
	if err != nil {
		s.mu.Unlock()
		s.discard(ing)
		return PartInfo{}, fmt.Errorf("upload part %d of %q: %w", number, key, err)
	}
	info := partInfo(up, up.parts[number])
	s.mu.Unlock()
	if err := s.finish(seq, dropped); err != nil {
		return PartInfo{}, err
	}
	info.ChecksumAlgorithm, info.Checksum = ing.alg, ing.checksum
	return info, nil
}

func partInfo(up *upload, p *part) PartInfo {
	pi := PartInfo{PartNumber: p.Number, Size: p.Size, ETag: `"` + p.ETag + `"`, LastModified: time.UnixMilli(p.Modified).UTC()}
	if p.Checksum != "" {
		pi.ChecksumAlgorithm, pi.Checksum = up.Object.ChecksumAlgorithm, p.Checksum
	}
	return pi
}

// ListParts lists an upload's parts in order.
func (s *Service) ListParts(ctx context.Context, bucket, key, uploadID string) (UploadInfo, []PartInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	up, err := s.findUpload(bucket, key, uploadID)
	if err != nil {
		return UploadInfo{}, nil, err
	}
	parts := make([]PartInfo, 0, len(up.parts))
	for _, p := range up.parts {
		parts = append(parts, partInfo(up, p))
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].PartNumber < parts[j].PartNumber })
	return uploadInfo(up), parts, nil
}

func uploadInfo(up *upload) UploadInfo {
	return UploadInfo{Bucket: up.bucket, Key: up.key, UploadID: up.ID, Initiated: time.UnixMilli(up.Initiated).UTC(), ChecksumAlgorithm: up.Object.ChecksumAlgorithm}
}

// ListMultipartUploads lists the uploads in progress in a bucket whose keys
// start with prefix, by key and then initiation time.
func (s *Service) ListMultipartUploads(ctx context.Context, bucket, prefix string) ([]UploadInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.buckets[bucket] == nil {
		return nil, errNoSuchBucket(bucket)
	}
	var out []UploadInfo
	for _, up := range s.uploads {
		if up.bucket == bucket && strings.HasPrefix(up.key, prefix) {
			out = append(out, uploadInfo(up))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Key != out[j].Key {
			return out[i].Key < out[j].Key
		}
		return out[i].Initiated.Before(out[j].Initiated)
	})
	return out, nil
}

// AbortMultipartUpload discards an upload and its parts.
func (s *Service) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	s.mu.Lock()
	if _, err := s.findUpload(bucket, key, uploadID); err != nil {
		s.mu.Unlock()
		return err
	}
	seq, dropped, err := s.commitLocked(kindUploadDelete, &record{UploadID: uploadID}, nil)
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("abort upload %q: %w", uploadID, err)
	}
	return s.finish(seq, dropped)
}

// CompleteMultipartUpload joins the named parts into the object. The ETag is
// S3's MD5 of the part MD5s with the part count; the stored checksum is the
// upload's algorithm (CRC64NVME by default) over the whole body. opts may
// carry If-Match / If-None-Match for the object.
func (s *Service) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletedPart, opts PutOptions) (ObjectInfo, error) {
	if len(parts) == 0 {
		return ObjectInfo{}, s3Errors.New(CodeMalformedXML, "You must specify at least one part")
	}
	// Gather the parts (opening their files so an abort cannot pull them away).
	s.mu.RLock()
	up, err := s.findUpload(bucket, key, uploadID)
	if err != nil {
		s.mu.RUnlock()
		return ObjectInfo{}, err
	}
	type source struct {
		data []byte
		f    *os.File
	}
	var sources []source
	closeAll := func() {
		for _, src := range sources {
			if src.f != nil {
				src.f.Close()
			}
		}
	}
	fail := func(err error) (ObjectInfo, error) {
		s.mu.RUnlock()
		closeAll()
		return ObjectInfo{}, err
	}
	alg := up.Object.ChecksumAlgorithm
	if alg == "" {
		alg = DefaultChecksum
	}
	template := up.Object
	etags := md5.New()
	for i := 1; i < len(parts); i++ {
		if parts[i].PartNumber <= parts[i-1].PartNumber {
			return fail(s3Errors.New(CodeInvalidPartOrder, "The list of parts was not in ascending order."))
		}
	}
	for i, cp := range parts {
		p := up.parts[cp.PartNumber]
		if p == nil || (cp.ETag != "" && strings.Trim(cp.ETag, `"`) != p.ETag) || (cp.Checksum != "" && p.Checksum != "" && cp.Checksum != p.Checksum) {
			return fail(s3Errors.New(CodeInvalidPart, "One or more of the specified parts could not be found or did not match: part %d", cp.PartNumber))
		}
		if i < len(parts)-1 && p.Size < MinPartSize {
			return fail(s3Errors.New(CodeEntityTooSmall, "Your proposed upload is smaller than the minimum allowed size: part %d is %d bytes", cp.PartNumber, p.Size))
		}
		raw, _ := hex.DecodeString(p.ETag)
		etags.Write(raw)
		src := source{data: p.data}
		if p.Blob != "" {
			f, err := os.Open(filepath.Join(s.blobDir, p.Blob))
			if err != nil {
				return fail(fmt.Errorf("open part %d: %w", cp.PartNumber, err))
			}
			src.f = f
		}
		sources = append(sources, src)
	}
	s.mu.RUnlock()
	readers := make([]io.Reader, len(sources))
	for i, src := range sources {
		if src.f != nil {
			readers[i] = src.f
		} else {
			readers[i] = bytes.NewReader(src.data)
		}
	}
	var ing *ingested
	if s.blobDir != "" {
		ing, err = s.spill(nil, io.MultiReader(readers...), newBodyHasher(alg))
	} else {
		ing, err = s.ingest(io.MultiReader(readers...), -1, alg)
	}
	closeAll()
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("complete upload of %q: %w", key, err)
	}
	ing.etag = fmt.Sprintf("%s-%d", hex.EncodeToString(etags.Sum(nil)), len(parts))

	s.mu.Lock()
	b := s.buckets[bucket]
	if _, err := s.findUpload(bucket, key, uploadID); err != nil {
		s.mu.Unlock()
		s.discard(ing)
		return ObjectInfo{}, err
	}
	if err := checkWriteConditions(b.current(key), key, opts.IfMatch, opts.IfNoneMatch); err != nil {
		s.mu.Unlock()
		s.discard(ing)
		return ObjectInfo{}, err
	}
	meta := template
	meta.ID, meta.Modified = b.newVersionID(), s.now().UnixMilli()
	meta.Size, meta.ETag, meta.ChecksumAlgorithm, meta.Checksum, meta.Blob = ing.size, ing.etag, ing.alg, ing.checksum, ing.blob
	if meta.ContentType == "" {
		meta.ContentType = defaultContentType
	}
	seq1, dropped1, err1 := s.commitLocked(kindVersionPut, &record{Bucket: bucket, Key: key, Version: &meta}, ing.data)
	seq2, dropped2, err2 := s.commitLocked(kindUploadDelete, &record{UploadID: uploadID}, nil)
	info := b.info(key, b.objects[key].versions[0], true)
	s.mu.Unlock()
	if err1 != nil || err2 != nil {
		return ObjectInfo{}, fmt.Errorf("complete upload of %q: %v %v", key, err1, err2)
	}
	if err := s.finish(max(seq1, seq2), append(dropped1, dropped2...)); err != nil {
		return ObjectInfo{}, err
	}
	return info, nil
}
