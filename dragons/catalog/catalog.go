// Package catalog keeps the dragon catalog, Dragons.json, in S3: it lists
// dragons with filters applied in process, and adds dragons with S3
// conditional writes so that concurrent adds never lose an update and never
// store a name twice.
//
// An add is a loop: read the object with its ETag, check for a duplicate
// name, write with If-Match (or If-None-Match: * when the object does not
// exist yet), and on 412 or 409 start again. Adds are idempotent per
// execution: each stored record carries the id of the execution that added
// it (see dragons.StoredRecord), so a re-run of that execution finds its own
// record and succeeds without writing a second copy.
//
// A Catalog remembers the last version it read and revalidates it with a
// conditional GET (If-None-Match), so a warm read of an unchanged catalog
// costs one 304. A catalog object that does not parse is reported as a
// *CorruptError and is never overwritten.
//
// The package does not validate submissions (package dragons does) and does
// not read its bucket and key from anywhere: callers pass a Location.
package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/dragons-dev/dragons/dragons"
)

// ObjectAPI is the part of the S3 client the catalog uses; *s3.Client
// implements it.
type ObjectAPI interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// Location is where the catalog object lives.
type Location struct {
	Bucket string
	Key    string
}

func (l Location) String() string { return "s3://" + l.Bucket + "/" + l.Key }

// Catalog reads and writes one catalog object. It is safe for concurrent
// use, and several Catalogs (in several processes) may write the same
// object concurrently.
type Catalog struct {
	api         ObjectAPI
	loc         Location
	maxAttempts int
	backoffBase time.Duration
	backoffMax  time.Duration

	mu     sync.Mutex
	cached *snapshot
}

// snapshot is one version of the catalog object. It is never modified
// after creation.
type snapshot struct {
	exists  bool
	etag    string
	entries []dragons.StoredRecord
}

// Option configures a Catalog.
type Option func(*Catalog) error

// WithMaxAttempts bounds how many read-check-write rounds one Add makes
// before giving up with ErrContention (default 30).
func WithMaxAttempts(n int) Option {
	return func(c *Catalog) error {
		if n < 1 {
			return fmt.Errorf("max attempts %d: want at least 1", n)
		}
		c.maxAttempts = n
		return nil
	}
}

// WithBackoff sets the randomised wait between rounds of an Add: a random
// duration up to base doubled per lost round, capped at max (defaults 20ms
// and 1s).
func WithBackoff(base, max time.Duration) Option {
	return func(c *Catalog) error {
		if base <= 0 || max < base {
			return fmt.Errorf("backoff %v..%v: want 0 < base <= max", base, max)
		}
		c.backoffBase, c.backoffMax = base, max
		return nil
	}
}

// New returns a Catalog for the object at loc.
func New(api ObjectAPI, loc Location, opts ...Option) (*Catalog, error) {
	if api == nil {
		return nil, errors.New("new catalog: nil S3 client")
	}
	if loc.Bucket == "" || loc.Key == "" {
		return nil, fmt.Errorf("new catalog: bucket and key are required, got %q", loc)
	}
	c := &Catalog{api: api, loc: loc, maxAttempts: 30, backoffBase: 20 * time.Millisecond, backoffMax: time.Second}
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, fmt.Errorf("new catalog: %w", err)
		}
	}
	return c, nil
}

// Location returns where the catalog object lives.
func (c *Catalog) Location() Location { return c.loc }

// ErrContention is returned by Add when every attempt lost the race to
// another writer.
var ErrContention = errors.New("catalog: gave up after repeated concurrent updates")

// ErrNoETag is returned by Add when the catalog object exists but its read
// came without an ETag: without one it cannot be replaced conditionally, and
// an unconditional write could lose another writer's update.
var ErrNoETag = errors.New("catalog: the object was read without an ETag; refusing to replace it unconditionally")

// CorruptError reports a catalog object that cannot be parsed. The object
// is left as it is.
type CorruptError struct {
	Location Location
	Err      error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("catalog %s is unreadable and will not be overwritten: %v", e.Location, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// DuplicateError reports an add of a name that another execution already
// stored.
type DuplicateError struct {
	Name     string
	Existing dragons.Record
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("a dragon named %q already exists (stored as %q)", e.Name, e.Existing.DragonName)
}

// Added is the outcome of a successful Add.
type Added struct {
	// Record is the stored record.
	Record dragons.Record
	// Version is the record's 1-based position in the catalog, which is
	// also the catalog's record count right after it was added. A re-run of
	// the same execution reports the same version.
	Version int
	// Created is false when the execution had already added the record.
	Created bool
}

// List returns the records that pass the filter, in catalog order. A
// catalog object that does not exist yet is an empty catalog.
func (c *Catalog) List(ctx context.Context, f dragons.Filter) ([]dragons.Record, error) {
	snap, err := c.load(ctx)
	if err != nil {
		return nil, err
	}
	return f.Apply(dragons.Records(snap.entries)), nil
}

// Lookup finds the stored record whose name is the same name as name.
func (c *Catalog) Lookup(ctx context.Context, name string) (dragons.StoredRecord, bool, error) {
	snap, err := c.load(ctx)
	if err != nil {
		return dragons.StoredRecord{}, false, err
	}
	i := find(snap.entries, name)
	if i < 0 {
		return dragons.StoredRecord{}, false, nil
	}
	return snap.entries[i], true, nil
}

func find(entries []dragons.StoredRecord, name string) int {
	key := dragons.NameKey(name)
	for i, e := range entries {
		if dragons.NameKey(e.DragonName) == key {
			return i
		}
	}
	return -1
}

// Add stores r on behalf of the execution executionID, unless a record with
// the same name exists: then it returns a *DuplicateError, or, when that
// record was added by the same execution, succeeds without writing. An
// empty executionID disables the idempotency check.
func (c *Catalog) Add(ctx context.Context, executionID string, r dragons.Record) (Added, error) {
	if dragons.NameKey(r.DragonName) == "" {
		return Added{}, errors.New("catalog add: the dragon has no name")
	}
	for attempt := 1; ; attempt++ {
		snap, err := c.load(ctx)
		if err != nil {
			return Added{}, fmt.Errorf("catalog add %q: %w", r.DragonName, err)
		}
		if i := find(snap.entries, r.DragonName); i >= 0 {
			e := snap.entries[i]
			if executionID != "" && e.ExecutionID == executionID {
				return Added{Record: e.Record, Version: i + 1, Created: false}, nil
			}
			return Added{}, &DuplicateError{Name: r.DragonName, Existing: e.Record}
		}
		next := append(slices.Clip(snap.entries), dragons.StoredRecord{Record: r, ExecutionID: executionID})
		etag, err := c.write(ctx, snap, next)
		if err == nil {
			c.remember(&snapshot{exists: true, etag: etag, entries: next})
			return Added{Record: r, Version: len(next), Created: true}, nil
		}
		if !lostRace(err) {
			return Added{}, fmt.Errorf("catalog add %q: %w", r.DragonName, err)
		}
		if attempt >= c.maxAttempts {
			return Added{}, fmt.Errorf("catalog add %q after %d attempts: %w", r.DragonName, attempt, ErrContention)
		}
		if err := c.wait(ctx, attempt); err != nil {
			return Added{}, fmt.Errorf("catalog add %q: %w", r.DragonName, err)
		}
	}
}

// write stores entries as the next version after snap, conditionally on
// snap still being the current version. It returns the new ETag ("" when
// the server did not send one).
func (c *Catalog) write(ctx context.Context, snap *snapshot, entries []dragons.StoredRecord) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(entries); err != nil {
		return "", fmt.Errorf("encode catalog: %w", err)
	}
	in := &s3.PutObjectInput{
		Bucket:      aws.String(c.loc.Bucket),
		Key:         aws.String(c.loc.Key),
		Body:        bytes.NewReader(buf.Bytes()),
		ContentType: aws.String("application/json"),
	}
	switch {
	case snap.exists && snap.etag == "":
		return "", fmt.Errorf("put object %s: %w", c.loc, ErrNoETag)
	case snap.exists:
		in.IfMatch = aws.String(snap.etag)
	default:
		in.IfNoneMatch = aws.String("*")
	}
	out, err := c.api.PutObject(ctx, in)
	if err != nil {
		return "", fmt.Errorf("put object %s: %w", c.loc, err)
	}
	return aws.ToString(out.ETag), nil
}

// load returns the current version of the catalog, revalidating the
// remembered one with If-None-Match.
func (c *Catalog) load(ctx context.Context) (*snapshot, error) {
	c.mu.Lock()
	prev := c.cached
	c.mu.Unlock()

	in := &s3.GetObjectInput{Bucket: aws.String(c.loc.Bucket), Key: aws.String(c.loc.Key)}
	if prev != nil && prev.exists && prev.etag != "" {
		in.IfNoneMatch = aws.String(prev.etag)
	}
	out, err := c.api.GetObject(ctx, in)
	switch {
	case err == nil:
		defer out.Body.Close()
		data, err := io.ReadAll(out.Body)
		if err != nil {
			return nil, fmt.Errorf("read object %s: %w", c.loc, err)
		}
		entries, err := dragons.DecodeCatalog(data)
		if err != nil {
			return nil, &CorruptError{Location: c.loc, Err: err}
		}
		snap := &snapshot{exists: true, etag: aws.ToString(out.ETag), entries: entries}
		c.remember(snap)
		return snap, nil
	case in.IfNoneMatch != nil && httpStatus(err) == http.StatusNotModified:
		return prev, nil
	case isNoSuchKey(err):
		snap := &snapshot{exists: false, entries: []dragons.StoredRecord{}}
		c.remember(snap)
		return snap, nil
	default:
		return nil, fmt.Errorf("get object %s: %w", c.loc, err)
	}
}

func (c *Catalog) remember(s *snapshot) {
	if s.exists && s.etag == "" {
		return // cannot be revalidated
	}
	c.mu.Lock()
	c.cached = s
	c.mu.Unlock()
}

func (c *Catalog) wait(ctx context.Context, attempt int) error {
	ceiling := c.backoffMax
	if shift := attempt - 1; shift < 30 && c.backoffBase<<shift < ceiling {
		ceiling = c.backoffBase << shift
	}
	t := time.NewTimer(rand.N(ceiling) + 1)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// lostRace reports whether a conditional write failed because another
// writer got there first: 412 Precondition Failed, 409 Conflict (S3's
// ConditionalRequestConflict), or 404 for an If-Match on an object that
// was deleted meanwhile.
func lostRace(err error) bool {
	switch httpStatus(err) {
	case http.StatusPreconditionFailed, http.StatusConflict:
		return true
	}
	return isNoSuchKey(err)
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func isNoSuchKey(err error) bool {
	var nsk *types.NoSuchKey
	if errors.As(err, &nsk) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "NoSuchKey" || ae.ErrorCode() == "NotFound") {
		return true
	}
	return false
}
