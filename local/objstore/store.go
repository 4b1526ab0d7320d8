package objstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dragons-dev/dragons/local/durable"
)

// Defaults for Options fields left zero.
const (
	DefaultRegion       = "us-east-1"
	DefaultInlineLimit  = 1 << 20
	DefaultCompactBytes = 64 << 20
	// MaxObjectSize is the largest body a single PUT accepts (S3's limit).
	MaxObjectSize = 5 << 30
	// AccountID owns every bucket.
	AccountID = "000000000000"
)

// Options configures a Service.
type Options struct {
	// DataDir is where state is persisted; "" keeps everything in memory.
	DataDir string
	// Region is reported for every bucket; "" means us-east-1.
	Region string
	// Logger receives operational messages; nil discards them.
	Logger *slog.Logger
	// InlineLimit is the largest body kept in the journal (and in memory);
	// larger bodies get their own file. 0 means DefaultInlineLimit.
	InlineLimit int64
	// CompactBytes is the journal size from which the journal is rewritten
	// once it holds more dead records than live ones. 0 means
	// DefaultCompactBytes.
	CompactBytes int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Durability is how far a write travels before it is acknowledged
	// (with a DataDir); the zero value, durable.Process, survives kill -9.
	Durability durable.Level
}

// Service is the local S3. It is an http.Handler and offers the same
// operations as Go methods. Methods are safe for concurrent use.
type Service struct {
	region       string
	log          *slog.Logger
	now          func() time.Time
	inlineLimit  int64
	compactBytes int64
	durability   durable.Level
	blobDir      string // "" in memory

	mu      sync.RWMutex
	buckets map[string]*bucket
	uploads map[string]*upload // multipart uploads in progress, by id
	j       *journal           // nil in memory
	live    int64              // journal bytes of the records the state still needs

	compacting atomic.Bool
	closed     atomic.Bool
}

type bucket struct {
	name       string
	created    time.Time
	versioning string // "", "Enabled" or "Suspended"
	objects    map[string]*object
	keys       []string // sorted keys of objects
	lastSeq    uint64   // journal sequence of the last change to the bucket
	recSize    int64
}

type object struct {
	versions []*version // newest first
}

// versionMeta is the persisted description of one object version.
type versionMeta struct {
	ID                 string            `json:"id"`
	DeleteMarker       bool              `json:"dm,omitempty"`
	Size               int64             `json:"sz"`
	ETag               string            `json:"et,omitempty"` // hex MD5, unquoted
	Modified           int64             `json:"mt"`           // unix milliseconds
	ContentType        string            `json:"ct,omitempty"`
	ContentEncoding    string            `json:"ce,omitempty"`
	ContentDisposition string            `json:"cd,omitempty"`
	ContentLanguage    string            `json:"cl,omitempty"`
	CacheControl       string            `json:"cc,omitempty"`
	Expires            string            `json:"ex,omitempty"`
	Metadata           map[string]string `json:"md,omitempty"`
	ChecksumAlgorithm  string            `json:"ca,omitempty"`
	Checksum           string            `json:"cs,omitempty"` // base64
	Blob               string            `json:"bl,omitempty"` // file name under the blob directory
}

// version is one immutable object version.
type version struct {
	versionMeta
	data    []byte // body when not in a blob
	seq     uint64
	recSize int64
}

// Journal record kinds.
const (
	kindBucketPut     = 'b'
	kindBucketDelete  = 'B'
	kindVersionPut    = 'v'
	kindVersionDelete = 'V'
	kindUploadPut     = 'u'
	kindPartPut       = 'p'
	kindUploadDelete  = 'U'
)

type record struct {
	Bucket     string       `json:"b"`
	Key        string       `json:"k,omitempty"`
	Created    int64        `json:"c,omitempty"`
	Versioning string       `json:"vs,omitempty"`
	Version    *versionMeta `json:"v,omitempty"`
	VersionID  string       `json:"id,omitempty"`
	Upload     *uploadMeta  `json:"u,omitempty"`
	UploadID   string       `json:"uid,omitempty"`
	Part       *partMeta    `json:"p,omitempty"`
}

// New opens the service, replaying the journal under opts.DataDir when set.
func New(opts Options) (*Service, error) {
	s := &Service{
		region:       opts.Region,
		log:          opts.Logger,
		now:          opts.Now,
		inlineLimit:  opts.InlineLimit,
		compactBytes: opts.CompactBytes,
		durability:   opts.Durability,
		buckets:      map[string]*bucket{},
		uploads:      map[string]*upload{},
	}
	if s.region == "" {
		s.region = DefaultRegion
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.inlineLimit <= 0 {
		s.inlineLimit = DefaultInlineLimit
	}
	if s.compactBytes <= 0 {
		s.compactBytes = DefaultCompactBytes
	}
	if opts.DataDir == "" {
		s.inlineLimit = MaxObjectSize
		return s, nil
	}
	s.blobDir = filepath.Join(opts.DataDir, "blobs")
	if err := os.MkdirAll(s.blobDir, 0o755); err != nil {
		return nil, fmt.Errorf("create blob directory: %w", err)
	}
	var seq uint64
	j, err := openJournal(filepath.Join(opts.DataDir, "objstore.journal"), opts.Durability, s.log, func(kind byte, meta, data []byte) error {
		var rec record
		if err := json.Unmarshal(meta, &rec); err != nil {
			return fmt.Errorf("decode record: %w", err)
		}
		seq++
		size := int64(recHeaderSize + 5 + len(meta) + len(data))
		if _, err := s.apply(kind, &rec, data, seq, size); err != nil {
			return fmt.Errorf("apply record %d: %w", seq, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.j = j
	j.appended = seq
	j.synced.Store(seq)
	if err := s.removeOrphanBlobs(); err != nil {
		j.close()
		return nil, fmt.Errorf("remove orphan object bodies: %w", err)
	}
	if size := j.fileSize(); size > 1<<20 && size > 2*s.live {
		if err := s.compact(); err != nil {
			j.close()
			return nil, fmt.Errorf("compact journal on open: %w", err)
		}
	}
	return s, nil
}

// Close flushes the journal and releases files. The Service must not be used
// afterwards.
func (s *Service) Close() error {
	if s.closed.Swap(true) || s.j == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.j.close()
}

// Region is the region the service reports.
func (s *Service) Region() string { return s.region }

func (s *Service) removeOrphanBlobs() error {
	used := map[string]bool{}
	for _, b := range s.buckets {
		for _, o := range b.objects {
			for _, v := range o.versions {
				if v.Blob != "" {
					used[v.Blob] = true
				}
			}
		}
	}
	for _, up := range s.uploads {
		for _, p := range up.parts {
			if p.Blob != "" {
				used[p.Blob] = true
			}
		}
	}
	entries, err := os.ReadDir(s.blobDir)
	if err != nil {
		return fmt.Errorf("list blobs: %w", err)
	}
	for _, e := range entries {
		if !used[e.Name()] {
			if err := os.Remove(filepath.Join(s.blobDir, e.Name())); err != nil {
				return fmt.Errorf("remove orphan blob: %w", err)
			}
		}
	}
	for name := range used {
		if _, err := os.Stat(filepath.Join(s.blobDir, name)); err != nil {
			return fmt.Errorf("object body %s: %w", name, err)
		}
	}
	return nil
}

// apply changes the in-memory state for one record and returns the blobs the
// change made unreachable.
func (s *Service) apply(kind byte, rec *record, data []byte, seq uint64, size int64) ([]string, error) {
	switch kind {
	case kindBucketPut:
		b := s.buckets[rec.Bucket]
		if b == nil {
			b = &bucket{name: rec.Bucket, created: time.UnixMilli(rec.Created).UTC(), objects: map[string]*object{}}
			s.buckets[rec.Bucket] = b
		} else {
			s.live -= b.recSize
		}
		b.versioning = rec.Versioning
		b.recSize = size
		b.lastSeq = seq
		s.live += size
		return nil, nil
	case kindBucketDelete:
		b := s.buckets[rec.Bucket]
		if b == nil {
			return nil, fmt.Errorf("delete of unknown bucket %q", rec.Bucket)
		}
		var dropped []string
		for _, o := range b.objects {
			for _, v := range o.versions {
				s.live -= v.recSize
				if v.Blob != "" {
					dropped = append(dropped, v.Blob)
				}
			}
		}
		s.live -= b.recSize
		delete(s.buckets, rec.Bucket)
		for id, up := range s.uploads {
			if up.bucket == rec.Bucket {
				dropped = append(dropped, s.dropUpload(id)...)
			}
		}
		return dropped, nil
	case kindVersionPut:
		b := s.buckets[rec.Bucket]
		if b == nil || rec.Version == nil {
			return nil, fmt.Errorf("version put into unknown bucket %q", rec.Bucket)
		}
		v := &version{versionMeta: *rec.Version, data: data, seq: seq, recSize: size}
		o := b.objects[rec.Key]
		if o == nil {
			o = &object{}
			b.objects[rec.Key] = o
			b.insertKey(rec.Key)
		}
		var dropped []string
		for i, old := range o.versions {
			if old.ID == v.ID {
				s.live -= old.recSize
				if old.Blob != "" {
					dropped = append(dropped, old.Blob)
				}
				o.versions = append(o.versions[:i:i], o.versions[i+1:]...)
				break
			}
		}
		o.versions = append([]*version{v}, o.versions...)
		s.live += size
		b.lastSeq = seq
		return dropped, nil
	case kindVersionDelete:
		b := s.buckets[rec.Bucket]
		if b == nil {
			return nil, fmt.Errorf("version delete in unknown bucket %q", rec.Bucket)
		}
		b.lastSeq = seq
		o := b.objects[rec.Key]
		if o == nil {
			return nil, nil
		}
		var dropped []string
		for i, old := range o.versions {
			if old.ID == rec.VersionID {
				s.live -= old.recSize
				if old.Blob != "" {
					dropped = append(dropped, old.Blob)
				}
				o.versions = append(o.versions[:i:i], o.versions[i+1:]...)
				break
			}
		}
		if len(o.versions) == 0 {
			delete(b.objects, rec.Key)
			b.removeKey(rec.Key)
		}
		return dropped, nil
	case kindUploadPut, kindPartPut, kindUploadDelete:
		return s.applyUpload(kind, rec, data, seq, size)
	}
	return nil, fmt.Errorf("unknown record kind %q", kind)
}

// commitLocked logs a record and applies it; s.mu must be held for writing.
// It returns the record's sequence number (0 in memory) and unreachable blobs.
func (s *Service) commitLocked(kind byte, rec *record, data []byte) (uint64, []string, error) {
	var seq uint64
	var size int64
	if s.j != nil {
		meta, err := json.Marshal(rec)
		if err != nil {
			return 0, nil, fmt.Errorf("encode journal record: %w", err)
		}
		seq, size = s.j.append(kind, meta, data)
	}
	dropped, err := s.apply(kind, rec, data, seq, size)
	if err != nil {
		// Callers validate the change under the same lock: this is a bug.
		panic(fmt.Sprintf("objstore: apply validated record: %v", err))
	}
	return seq, dropped, nil
}

// finish waits until seq is durable, then deletes blobs the change dropped and
// compacts the journal when it has grown.
func (s *Service) finish(seq uint64, dropped []string) error {
	if s.j == nil {
		return nil
	}
	if err := s.j.wait(seq); err != nil {
		return fmt.Errorf("persist change: %w", err)
	}
	if len(dropped) > 0 {
		s.mu.Lock()
		for _, name := range dropped {
			if err := os.Remove(filepath.Join(s.blobDir, name)); err != nil && !os.IsNotExist(err) {
				s.log.Warn("remove object body", "blob", name, "err", err)
			}
		}
		s.mu.Unlock()
	}
	if size := s.j.fileSize(); size > s.compactBytes && size > 2*s.liveBytes() {
		if s.compacting.CompareAndSwap(false, true) {
			defer s.compacting.Store(false)
			s.mu.Lock()
			var err error
			if !s.closed.Load() {
				err = s.compact()
			}
			s.mu.Unlock()
			if err != nil {
				s.log.Error("compact journal", "err", err)
			}
		}
	}
	return nil
}

func (s *Service) liveBytes() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.live
}

// waitDurable returns once the change with sequence seq is durable, so that
// readers never see state a crash could take back.
func (s *Service) waitDurable(seq uint64) error {
	if s.j == nil || seq == 0 {
		return nil
	}
	if err := s.j.wait(seq); err != nil {
		return fmt.Errorf("persist change: %w", err)
	}
	return nil
}

// compact rewrites the journal with only the records the state needs. s.mu
// must be held for writing (or the Service not yet shared).
func (s *Service) compact() error {
	return s.j.replace(func(w io.Writer) error {
		var buf []byte
		var live int64
		put := func(kind byte, rec *record, data []byte) (int64, error) {
			meta, err := json.Marshal(rec)
			if err != nil {
				return 0, fmt.Errorf("encode journal record: %w", err)
			}
			buf = encodeRecord(buf[:0], kind, meta, data)
			if _, err := w.Write(buf); err != nil {
				return 0, fmt.Errorf("write compacted journal record: %w", err)
			}
			live += int64(len(buf))
			return int64(len(buf)), nil
		}
		for _, name := range sortedKeys(s.buckets) {
			b := s.buckets[name]
			n, err := put(kindBucketPut, &record{Bucket: b.name, Created: b.created.UnixMilli(), Versioning: b.versioning}, nil)
			if err != nil {
				return err
			}
			b.recSize = n
			for _, key := range b.keys {
				o := b.objects[key]
				for i := len(o.versions) - 1; i >= 0; i-- {
					v := o.versions[i]
					meta := v.versionMeta
					n, err := put(kindVersionPut, &record{Bucket: b.name, Key: key, Version: &meta}, v.data)
					if err != nil {
						return err
					}
					v.recSize = n
				}
			}
		}
		for _, id := range sortedKeys(s.uploads) {
			up := s.uploads[id]
			meta := up.uploadMeta
			n, err := put(kindUploadPut, &record{Bucket: up.bucket, Key: up.key, Upload: &meta}, nil)
			if err != nil {
				return err
			}
			up.recSize = n
			for _, p := range up.parts {
				pm := p.partMeta
				n, err := put(kindPartPut, &record{UploadID: id, Part: &pm}, p.data)
				if err != nil {
					return err
				}
				p.recSize = n
			}
		}
		s.live = live
		return nil
	})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (b *bucket) insertKey(key string) {
	i := sort.SearchStrings(b.keys, key)
	if i < len(b.keys) && b.keys[i] == key {
		return
	}
	b.keys = append(b.keys, "")
	copy(b.keys[i+1:], b.keys[i:])
	b.keys[i] = key
}

func (b *bucket) removeKey(key string) {
	i := sort.SearchStrings(b.keys, key)
	if i < len(b.keys) && b.keys[i] == key {
		b.keys = append(b.keys[:i], b.keys[i+1:]...)
	}
}

// current returns the latest version of key unless it is missing or a delete
// marker.
func (b *bucket) current(key string) *version {
	o := b.objects[key]
	if o == nil || len(o.versions) == 0 || o.versions[0].DeleteMarker {
		return nil
	}
	return o.versions[0]
}

// newVersionID returns the id a new version in b gets.
func (b *bucket) newVersionID() string {
	if b.versioning != "Enabled" {
		return "null"
	}
	return randomID()
}

func randomID() string {
	var r [16]byte
	_, _ = rand.Read(r[:])
	return hex.EncodeToString(r[:])
}

// BucketInfo describes a bucket.
type BucketInfo struct {
	Name         string
	CreationDate time.Time
	Region       string
}

// CreateBucket creates a bucket. An existing bucket gives
// BucketAlreadyOwnedByYou (409).
func (s *Service) CreateBucket(ctx context.Context, name string) error {
	if err := validBucketName(name); err != nil {
		return err
	}
	s.mu.Lock()
	if _, ok := s.buckets[name]; ok {
		s.mu.Unlock()
		return s3Errors.New(CodeBucketAlreadyOwnedByYou, "Your previous request to create the named bucket succeeded and you already own it: %s", name)
	}
	seq, _, err := s.commitLocked(kindBucketPut, &record{Bucket: name, Created: s.now().UnixMilli()}, nil)
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("create bucket %q: %w", name, err)
	}
	return s.finish(seq, nil)
}

// HeadBucket reports whether the bucket exists (NoSuchBucket when not).
func (s *Service) HeadBucket(ctx context.Context, name string) error {
	s.mu.RLock()
	b := s.buckets[name]
	var seq uint64
	if b != nil {
		seq = b.lastSeq
	}
	s.mu.RUnlock()
	if b == nil {
		return errNoSuchBucket(name)
	}
	return s.waitDurable(seq)
}

// checkBucket reports NoSuchBucket for a missing bucket. Unlike HeadBucket it
// does not wait for the bucket's latest change to be durable: writers use it
// to fail early and check again when they commit.
func (s *Service) checkBucket(name string) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.buckets[name] == nil {
		return errNoSuchBucket(name)
	}
	return nil
}

// ListBuckets returns every bucket sorted by name.
func (s *Service) ListBuckets(ctx context.Context) ([]BucketInfo, error) {
	s.mu.RLock()
	out := make([]BucketInfo, 0, len(s.buckets))
	for _, name := range sortedKeys(s.buckets) {
		b := s.buckets[name]
		out = append(out, BucketInfo{Name: b.name, CreationDate: b.created, Region: s.region})
	}
	s.mu.RUnlock()
	return out, nil
}

// DeleteBucket deletes an empty bucket (BucketNotEmpty when any object
// version or delete marker remains).
func (s *Service) DeleteBucket(ctx context.Context, name string) error {
	s.mu.Lock()
	b := s.buckets[name]
	if b == nil {
		s.mu.Unlock()
		return errNoSuchBucket(name)
	}
	if len(b.objects) > 0 {
		s.mu.Unlock()
		return s3Errors.New(CodeBucketNotEmpty, "The bucket you tried to delete is not empty: %s", name)
	}
	seq, dropped, err := s.commitLocked(kindBucketDelete, &record{Bucket: name}, nil)
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("delete bucket %q: %w", name, err)
	}
	return s.finish(seq, dropped)
}

// Versioning states.
const (
	VersioningEnabled   = "Enabled"
	VersioningSuspended = "Suspended"
)

// PutBucketVersioning sets a bucket's versioning to Enabled or Suspended.
func (s *Service) PutBucketVersioning(ctx context.Context, name, status string) error {
	if status != VersioningEnabled && status != VersioningSuspended {
		return s3Errors.New(CodeMalformedXML, "versioning status must be Enabled or Suspended, not %q", status)
	}
	s.mu.Lock()
	b := s.buckets[name]
	if b == nil {
		s.mu.Unlock()
		return errNoSuchBucket(name)
	}
	seq, _, err := s.commitLocked(kindBucketPut, &record{Bucket: name, Created: b.created.UnixMilli(), Versioning: status}, nil)
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("put bucket versioning %q: %w", name, err)
	}
	return s.finish(seq, nil)
}

// GetBucketVersioning returns "", Enabled or Suspended.
func (s *Service) GetBucketVersioning(ctx context.Context, name string) (string, error) {
	s.mu.RLock()
	b := s.buckets[name]
	var status string
	var seq uint64
	if b != nil {
		status, seq = b.versioning, b.lastSeq
	}
	s.mu.RUnlock()
	if b == nil {
		return "", errNoSuchBucket(name)
	}
	return status, s.waitDurable(seq)
}

// validBucketName applies S3's naming rules for new buckets.
func validBucketName(name string) error {
	bad := func(why string) error {
		return s3Errors.New(CodeInvalidBucketName, "The specified bucket is not valid (%s): %s", why, name)
	}
	if len(name) < 3 || len(name) > 63 {
		return bad("length must be 3 to 63")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return bad("only lower-case letters, digits, dots and hyphens")
		}
	}
	isAlnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	if !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return bad("must begin and end with a letter or digit")
	}
	if strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return bad("adjacent dots or hyphens next to dots")
	}
	if looksLikeIPv4(name) {
		return bad("formatted as an IP address")
	}
	return nil
}

func looksLikeIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}
