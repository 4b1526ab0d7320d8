package objstore

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

func TestBuckets(t *testing.T) {
	_, c := setup(t)
	ctx := context.Background()
	mustCreateBucket(t, c, "alpha")
	mustCreateBucket(t, c, "beta.example")

	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("alpha")})
	var owned *types.BucketAlreadyOwnedByYou
	if !errors.As(err, &owned) {
		t.Fatalf("re-create = %v, want BucketAlreadyOwnedByYou", err)
	}
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("Bad_Name")})
	apiError(t, err, CodeInvalidBucketName, 400)

	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("alpha")}); err != nil {
		t.Fatalf("head bucket: %v", err)
	}
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("missing")})
	var nf *types.NotFound
	if !errors.As(err, &nf) {
		t.Fatalf("head missing bucket = %v, want NotFound", err)
	}

	lb, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range lb.Buckets {
		names = append(names, aws.ToString(b.Name))
		if b.CreationDate == nil || time.Since(*b.CreationDate) > time.Minute {
			t.Errorf("bucket %s creation date %v", aws.ToString(b.Name), b.CreationDate)
		}
	}
	if strings.Join(names, ",") != "alpha,beta.example" {
		t.Fatalf("buckets = %v", names)
	}
	page, err := c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1)})
	if err != nil || len(page.Buckets) != 1 || page.ContinuationToken == nil {
		t.Fatalf("first page = %+v, %v", page, err)
	}
	page, err = c.ListBuckets(ctx, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1), ContinuationToken: page.ContinuationToken})
	if err != nil || len(page.Buckets) != 1 || aws.ToString(page.Buckets[0].Name) != "beta.example" || page.ContinuationToken != nil {
		t.Fatalf("second page = %+v, %v", page, err)
	}

	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("alpha")})
	if err != nil || loc.LocationConstraint != "" {
		t.Fatalf("location = %+v, %v", loc, err)
	}

	put(t, c, "alpha", "k", "v")
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("alpha")})
	apiError(t, err, CodeBucketNotEmpty, 409)
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("alpha"), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("alpha")}); err != nil {
		t.Fatalf("delete empty bucket: %v", err)
	}
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("alpha")})
	apiError(t, err, CodeNoSuchBucket, 404)
	_, err = c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("beta.example")})
	apiError(t, err, CodeNotImplemented, 501)
}

func TestPutGetHeadRoundTrip(t *testing.T) {
	svc, c := setup(t)
	ctx := context.Background()
	mustCreateBucket(t, c, "bkt")
	body := `{"name":"Smaug"}`
	out, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket:       aws.String("bkt"),
		Key:          aws.String("dir/with space/ünï+code.json"),
		Body:         stringsReader(body),
		ContentType:  aws.String("application/json"),
		CacheControl: aws.String("no-cache"),
		Metadata:     map[string]string{"Color": "red", "origin": "test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantETag := `"` + md5hex(body) + `"`
	if aws.ToString(out.ETag) != wantETag {
		t.Fatalf("put etag = %s, want %s", aws.ToString(out.ETag), wantETag)
	}
	if out.VersionId != nil {
		t.Fatalf("unversioned bucket returned version id %q", aws.ToString(out.VersionId))
	}
	got, gout := get(t, c, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("dir/with space/ünï+code.json")})
	if got != body {
		t.Fatalf("body = %q", got)
	}
	if aws.ToString(gout.ETag) != wantETag || aws.ToString(gout.ContentType) != "application/json" ||
		aws.ToString(gout.CacheControl) != "no-cache" || aws.ToInt64(gout.ContentLength) != int64(len(body)) {
		t.Fatalf("get output = %+v", gout)
	}
	if gout.Metadata["color"] != "red" || gout.Metadata["origin"] != "test" || len(gout.Metadata) != 2 {
		t.Fatalf("metadata = %v", gout.Metadata)
	}
	if gout.LastModified == nil || time.Since(*gout.LastModified) > time.Minute {
		t.Fatalf("last modified = %v", gout.LastModified)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("dir/with space/ünï+code.json")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(head.ETag) != wantETag || aws.ToInt64(head.ContentLength) != int64(len(body)) || head.Metadata["color"] != "red" {
		t.Fatalf("head = %+v", head)
	}

	// Empty bodies work.
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("empty")}); err != nil {
		t.Fatal(err)
	}
	got, gout = get(t, c, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("empty")})
	if got != "" || aws.ToInt64(gout.ContentLength) != 0 || aws.ToString(gout.ETag) != `"`+md5hex("")+`"` {
		t.Fatalf("empty object = %q %+v", got, gout)
	}
	// Objects stored without a content type report S3's default.
	if _, err := svc.PutObject(ctx, "bkt", "untyped", strings.NewReader("x"), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, gout = get(t, c, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("untyped")}); aws.ToString(gout.ContentType) != "binary/octet-stream" {
		t.Fatalf("default content type = %q", aws.ToString(gout.ContentType))
	}

	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("nope")})
	var nsk *types.NoSuchKey
	if !errors.As(err, &nsk) || httpStatus(err) != 404 {
		t.Fatalf("get missing = %v, want NoSuchKey", err)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("nope")})
	var nf *types.NotFound
	if !errors.As(err, &nf) {
		t.Fatalf("head missing = %v, want NotFound", err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("nobucket"), Key: aws.String("k")})
	apiError(t, err, CodeNoSuchBucket, 404)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("nobucket"), Key: aws.String("k"), Body: stringsReader("x")})
	apiError(t, err, CodeNoSuchBucket, 404)
}

func TestRange(t *testing.T) {
	_, c := setup(t)
	ctx := context.Background()
	mustCreateBucket(t, c, "bkt")
	put(t, c, "bkt", "digits", "0123456789")
	cases := []struct {
		rng, body, contentRange string
	}{
		{"bytes=2-5", "2345", "bytes 2-5/10"},
		{"bytes=7-", "789", "bytes 7-9/10"},
		{"bytes=-3", "789", "bytes 7-9/10"},
		{"bytes=5-100", "56789", "bytes 5-9/10"},
		{"bytes=-50", "0123456789", "bytes 0-9/10"},
	}
	for _, tc := range cases {
		got, out := get(t, c, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("digits"), Range: aws.String(tc.rng), ChecksumMode: types.ChecksumModeEnabled})
		if got != tc.body || aws.ToString(out.ContentRange) != tc.contentRange {
			t.Errorf("%s: body %q range %q, want %q %q", tc.rng, got, aws.ToString(out.ContentRange), tc.body, tc.contentRange)
		}
		if out.ChecksumCRC32 != nil || out.ChecksumCRC64NVME != nil {
			t.Errorf("%s: ranged response carries a whole-object checksum", tc.rng)
		}
	}
	// Syntax S3 ignores yields the whole object.
	if got, _ := get(t, c, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("digits"), Range: aws.String("bytes=1-2,4-5")}); got != "0123456789" {
		t.Errorf("multi-range body = %q", got)
	}
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("digits"), Range: aws.String("bytes=10-")})
	apiError(t, err, CodeInvalidRange, 416)
}

func TestConditionalGet(t *testing.T) {
	_, c := setup(t)
	ctx := context.Background()
	mustCreateBucket(t, c, "bkt")
	etag := aws.ToString(put(t, c, "bkt", "k", "hello").ETag)
	in := func() *s3.GetObjectInput { return &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k")} }

	g := in()
	g.IfNoneMatch = aws.String(etag)
	_, err := c.GetObject(ctx, g)
	if httpStatus(err) != 304 {
		t.Fatalf("If-None-Match current = %v, want 304", err)
	}
	g = in()
	g.IfNoneMatch = aws.String(`"0000"`)
	if got, _ := get(t, c, g); got != "hello" {
		t.Fatalf("If-None-Match other = %q", got)
	}
	g = in()
	g.IfMatch = aws.String(etag)
	if got, _ := get(t, c, g); got != "hello" {
		t.Fatalf("If-Match current = %q", got)
	}
	g = in()
	g.IfMatch = aws.String(`"0000"`)
	_, err = c.GetObject(ctx, g)
	apiError(t, err, CodePreconditionFailed, 412)
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), IfMatch: aws.String(`"0000"`)})
	if httpStatus(err) != 412 {
		t.Fatalf("head If-Match other = %v, want 412", err)
	}
	g = in()
	g.IfModifiedSince = aws.Time(time.Now().Add(time.Hour))
	if _, err = c.GetObject(ctx, g); httpStatus(err) != 304 {
		t.Fatalf("If-Modified-Since future = %v, want 304", err)
	}
	g = in()
	g.IfModifiedSince = aws.Time(time.Now().Add(-time.Hour))
	if got, _ := get(t, c, g); got != "hello" {
		t.Fatalf("If-Modified-Since past = %q", got)
	}
	g = in()
	g.IfUnmodifiedSince = aws.Time(time.Now().Add(-time.Hour))
	_, err = c.GetObject(ctx, g)
	apiError(t, err, CodePreconditionFailed, 412)
}

func TestConditionalPut(t *testing.T) {
	_, c := setup(t)
	ctx := context.Background()
	mustCreateBucket(t, c, "bkt")
	putIn := func(body string) *s3.PutObjectInput {
		return &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("doc"), Body: stringsReader(body)}
	}

	// If-Match on a missing key is 404 NoSuchKey, not 412.
	p := putIn("x")
	p.IfMatch = aws.String(`"` + md5hex("x") + `"`)
	_, err := c.PutObject(ctx, p)
	apiError(t, err, CodeNoSuchKey, 404)

	p = putIn("v1")
	p.IfNoneMatch = aws.String("*")
	out, err := c.PutObject(ctx, p)
	if err != nil {
		t.Fatalf("create with If-None-Match: %v", err)
	}
	p = putIn("v1 again")
	p.IfNoneMatch = aws.String("*")
	_, err = c.PutObject(ctx, p)
	apiError(t, err, CodePreconditionFailed, 412)

	p = putIn("v2")
	p.IfMatch = aws.String(`"` + md5hex("other") + `"`)
	_, err = c.PutObject(ctx, p)
	apiError(t, err, CodePreconditionFailed, 412)

	p = putIn("v2")
	p.IfMatch = out.ETag
	if _, err := c.PutObject(ctx, p); err != nil {
		t.Fatalf("If-Match current: %v", err)
	}
	if got, _ := get(t, c, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("doc")}); got != "v2" {
		t.Fatalf("body = %q", got)
	}
	// The losing write left nothing behind.
	p = putIn("v3")
	p.IfMatch = out.ETag
	_, err = c.PutObject(ctx, p)
	apiError(t, err, CodePreconditionFailed, 412)

	// A deleted key counts as missing.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("bkt"), Key: aws.String("doc")}); err != nil {
		t.Fatal(err)
	}
	p = putIn("v4")
	p.IfMatch = aws.String("*")
	_, err = c.PutObject(ctx, p)
	apiError(t, err, CodeNoSuchKey, 404)
	p = putIn("v4")
	p.IfNoneMatch = aws.String("*")
	v4, err := c.PutObject(ctx, p)
	if err != nil {
		t.Fatalf("recreate: %v", err)
	}

	// Conditional deletes.
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("bkt"), Key: aws.String("doc"), IfMatch: out.ETag})
	apiError(t, err, CodePreconditionFailed, 412)
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("bkt"), Key: aws.String("doc"), IfMatch: v4.ETag}); err != nil {
		t.Fatalf("delete If-Match current: %v", err)
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("bkt"), Key: aws.String("doc"), IfMatch: v4.ETag})
	apiError(t, err, CodeNoSuchKey, 404)
}

// TestConditionalPutRace races writers that all hold the same ETag: exactly
// one wins each round and the others get 412.
func TestConditionalPutRace(t *testing.T) {
	_, c := setup(t)
	ctx := context.Background()
	mustCreateBucket(t, c, "bkt")
	const writers = 8
	race := func(mk func(i int) *s3.PutObjectInput) (wins, lost int) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		start := make(chan struct{})
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := c.PutObject(ctx, mk(i))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case httpStatus(err) == 412:
					lost++
				default:
					t.Errorf("writer %d: %v", i, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		return wins, lost
	}
	for round := range 5 {
		key := fmt.Sprintf("new-%d", round)
		wins, lost := race(func(i int) *s3.PutObjectInput {
			return &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key), Body: stringsReader(fmt.Sprint(i)), IfNoneMatch: aws.String("*")}
		})
		if wins != 1 || lost != writers-1 {
			t.Fatalf("If-None-Match race: %d wins, %d lost", wins, lost)
		}
		etag := put(t, c, "bkt", "shared", fmt.Sprint("base", round)).ETag
		wins, lost = race(func(i int) *s3.PutObjectInput {
			return &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("shared"), Body: stringsReader(fmt.Sprint(round, "-", i)), IfMatch: etag}
		})
		if wins != 1 || lost != writers-1 {
			t.Fatalf("If-Match race: %d wins, %d lost", wins, lost)
		}
	}
}

func TestDeleteObjects(t *testing.T) {
	_, c := setup(t)
	ctx := context.Background()
	mustCreateBucket(t, c, "bkt")
	for _, k := range []string{"a", "b", "c/d"} {
		put(t, c, "bkt", k, k)
	}
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: aws.String("bkt"),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("a")}, {Key: aws.String("c/d")}, {Key: aws.String("never")}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var deleted []string
	for _, d := range out.Deleted {
		deleted = append(deleted, aws.ToString(d.Key))
	}
	sort.Strings(deleted)
	if strings.Join(deleted, ",") != "a,c/d,never" || len(out.Errors) != 0 {
		t.Fatalf("deleted %v errors %+v", deleted, out.Errors)
	}
	lo, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt")})
	if err != nil || len(lo.Contents) != 1 || aws.ToString(lo.Contents[0].Key) != "b" {
		t.Fatalf("after delete: %+v %v", lo, err)
	}
	quiet, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: aws.String("bkt"),
		Delete: &types.Delete{Quiet: aws.Bool(true), Objects: []types.ObjectIdentifier{{Key: aws.String("b")}}},
	})
	if err != nil || len(quiet.Deleted) != 0 || len(quiet.Errors) != 0 {
		t.Fatalf("quiet delete = %+v %v", quiet, err)
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("b")}); httpStatus(err) != 404 {
		t.Fatalf("quietly deleted object still there: %v", err)
	}
}

func TestDeleteObjectsHonoursPerObjectETag(t *testing.T) {
	_, c := setup(t)
	ctx := context.Background()
	mustCreateBucket(t, c, "bkt")
	same := put(t, c, "bkt", "same", "one")
	put(t, c, "bkt", "changed", "two")
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: aws.String("bkt"),
		Delete: &types.Delete{Objects: []types.ObjectIdentifier{
			{Key: aws.String("same"), ETag: same.ETag},
			{Key: aws.String("changed"), ETag: aws.String(`"0123456789abcdef0123456789abcdef"`)},
			{Key: aws.String("absent"), ETag: same.ETag},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Deleted) != 1 || aws.ToString(out.Deleted[0].Key) != "same" {
		t.Fatalf("deleted = %+v, want only same", out.Deleted)
	}
	codes := map[string]string{}
	for _, e := range out.Errors {
		codes[aws.ToString(e.Key)] = aws.ToString(e.Code)
	}
	if codes["changed"] != CodePreconditionFailed || codes["absent"] != CodeNoSuchKey || len(codes) != 2 {
		t.Fatalf("errors = %v, want changed: PreconditionFailed, absent: NoSuchKey", codes)
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("changed")}); err != nil {
		t.Fatalf("object whose ETag did not match was deleted: %v", err)
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("same")}); httpStatus(err) != 404 {
		t.Fatalf("object whose ETag matched is still there: %v", err)
	}
}

func TestListObjectsV2(t *testing.T) {
	_, c := setup(t)
	ctx := context.Background()
	mustCreateBucket(t, c, "bkt")
	keys := []string{"a.txt", "photos/2024/jan.jpg", "photos/2024/feb.jpg", "photos/2025/mar.jpg", "photos/index.html", "videos/x.mp4", "z"}
	for _, k := range keys {
		put(t, c, "bkt", k, "data-"+k)
	}
	sorted := append([]string(nil), keys...)
	sort.Strings(sorted)

	lo, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt")})
	if err != nil {
		t.Fatal(err)
	}
	if got := objectKeys(lo.Contents); strings.Join(got, ",") != strings.Join(sorted, ",") {
		t.Fatalf("all keys = %v", got)
	}
	for _, o := range lo.Contents {
		if aws.ToString(o.ETag) != `"`+md5hex("data-"+aws.ToString(o.Key))+`"` || aws.ToInt64(o.Size) != int64(len("data-"+aws.ToString(o.Key))) || o.StorageClass != types.ObjectStorageClassStandard {
			t.Fatalf("entry %+v", o)
		}
	}
	if aws.ToInt32(lo.KeyCount) != int32(len(keys)) || aws.ToBool(lo.IsTruncated) {
		t.Fatalf("key count %d truncated %v", aws.ToInt32(lo.KeyCount), aws.ToBool(lo.IsTruncated))
	}

	lo, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if got := objectKeys(lo.Contents); strings.Join(got, ",") != "a.txt,z" {
		t.Fatalf("top-level keys = %v", got)
	}
	if got := prefixes(lo.CommonPrefixes); strings.Join(got, ",") != "photos/,videos/" {
		t.Fatalf("top-level prefixes = %v", got)
	}

	lo, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt"), Prefix: aws.String("photos/"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(objectKeys(lo.Contents), ",") != "photos/index.html" || strings.Join(prefixes(lo.CommonPrefixes), ",") != "photos/2024/,photos/2025/" {
		t.Fatalf("photos/ = %v %v", objectKeys(lo.Contents), prefixes(lo.CommonPrefixes))
	}

	// Paging through everything two at a time, with and without a delimiter.
	for _, delim := range []string{"", "/"} {
		var seen []string
		p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("bkt"), MaxKeys: aws.Int32(2), Delimiter: aws.String(delim)})
		pages := 0
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if n := len(page.Contents) + len(page.CommonPrefixes); n > 2 || n == 0 {
				t.Fatalf("page of %d", n)
			}
			seen = append(seen, objectKeys(page.Contents)...)
			seen = append(seen, prefixes(page.CommonPrefixes)...)
		}
		sort.Strings(seen)
		want := sorted
		if delim == "/" {
			want = []string{"a.txt", "photos/", "videos/", "z"}
		}
		if strings.Join(seen, ",") != strings.Join(want, ",") {
			t.Fatalf("delimiter %q pages saw %v, want %v", delim, seen, want)
		}
		if pages != (len(want)+1)/2 {
			t.Fatalf("delimiter %q: %d pages", delim, pages)
		}
	}

	lo, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt"), StartAfter: aws.String("photos/2025/mar.jpg")})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(objectKeys(lo.Contents), ",") != "photos/index.html,videos/x.mp4,z" {
		t.Fatalf("start-after = %v", objectKeys(lo.Contents))
	}
	lo, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt"), MaxKeys: aws.Int32(0)})
	if err != nil || len(lo.Contents) != 0 {
		t.Fatalf("max-keys 0 = %+v %v", lo, err)
	}
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt"), ContinuationToken: aws.String("!!!")})
	apiError(t, err, CodeInvalidArgument, 400)
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("nobucket")})
	var nsb *types.NoSuchBucket
	if !errors.As(err, &nsb) {
		t.Fatalf("list missing bucket = %v", err)
	}

	// ListObjects (v1) with a marker.
	l1, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("bkt"), Marker: aws.String("videos/x.mp4")})
	if err != nil || strings.Join(objectKeys(l1.Contents), ",") != "z" {
		t.Fatalf("v1 marker = %+v %v", l1, err)
	}

	// URL encoding of keys, as boto3 asks for.
	put(t, c, "bkt", "odd key+&=.txt", "x")
	lo, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt"), Prefix: aws.String("odd"), EncodingType: types.EncodingTypeUrl})
	if err != nil || len(lo.Contents) != 1 {
		t.Fatalf("encoded list = %+v %v", lo, err)
	}
	if k, _ := url.QueryUnescape(aws.ToString(lo.Contents[0].Key)); k != "odd key+&=.txt" {
		t.Fatalf("encoded key %q decodes to %q", aws.ToString(lo.Contents[0].Key), k)
	}
}

func objectKeys(objs []types.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, aws.ToString(o.Key))
	}
	return out
}

func prefixes(cps []types.CommonPrefix) []string {
	var out []string
	for _, p := range cps {
		out = append(out, aws.ToString(p.Prefix))
	}
	return out
}

func TestCopyObject(t *testing.T) {
	_, c := setup(t)
	ctx := context.Background()
	mustCreateBucket(t, c, "src")
	mustCreateBucket(t, c, "dst")
	key := "dir/a b+c ü.txt"
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String(key), Body: stringsReader("payload"),
		ContentType: aws.String("text/plain"), Metadata: map[string]string{"m": "1"}}); err != nil {
		t.Fatal(err)
	}
	source := "src/" + (&url.URL{Path: key}).EscapedPath()
	out, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy"), CopySource: aws.String(source)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.CopyObjectResult.ETag) != `"`+md5hex("payload")+`"` {
		t.Fatalf("copy etag %s", aws.ToString(out.CopyObjectResult.ETag))
	}
	body, g := get(t, c, &s3.GetObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy")})
	if body != "payload" || aws.ToString(g.ContentType) != "text/plain" || g.Metadata["m"] != "1" {
		t.Fatalf("copy = %q %+v", body, g)
	}
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy"), CopySource: aws.String("dst/copy"),
		MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("application/x-new"), Metadata: map[string]string{"n": "2"}}); err != nil {
		t.Fatal(err)
	}
	body, g = get(t, c, &s3.GetObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy")})
	if body != "payload" || aws.ToString(g.ContentType) != "application/x-new" || g.Metadata["n"] != "2" || g.Metadata["m"] != "" {
		t.Fatalf("replaced = %q %+v", body, g)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy"), CopySource: aws.String("dst/copy")})
	apiError(t, err, CodeInvalidRequest, 400)
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("x"), CopySource: aws.String("src/missing")})
	apiError(t, err, CodeNoSuchKey, 404)
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("x"), CopySource: aws.String(source), CopySourceIfMatch: aws.String(`"00"`)})
	apiError(t, err, CodePreconditionFailed, 412)
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy"), CopySource: aws.String(source), IfNoneMatch: aws.String("*")})
	apiError(t, err, CodePreconditionFailed, 412)
}

func TestVersioning(t *testing.T) {
	_, c := setup(t)
	ctx := context.Background()
	mustCreateBucket(t, c, "ver")
	gv, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("ver")})
	if err != nil || gv.Status != "" {
		t.Fatalf("initial versioning = %q %v", gv.Status, err)
	}
	put(t, c, "ver", "k", "before") // the null version
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("ver"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	gv, err = c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("ver")})
	if err != nil || gv.Status != types.BucketVersioningStatusEnabled {
		t.Fatalf("versioning = %q %v", gv.Status, err)
	}
	v1 := aws.ToString(put(t, c, "ver", "k", "one").VersionId)
	v2 := aws.ToString(put(t, c, "ver", "k", "two").VersionId)
	if v1 == "" || v2 == "" || v1 == v2 || v1 == "null" {
		t.Fatalf("version ids %q %q", v1, v2)
	}
	for id, want := range map[string]string{v1: "one", v2: "two", "null": "before"} {
		got, out := get(t, c, &s3.GetObjectInput{Bucket: aws.String("ver"), Key: aws.String("k"), VersionId: aws.String(id)})
		if got != want || aws.ToString(out.VersionId) != id {
			t.Fatalf("version %s = %q (%s)", id, got, aws.ToString(out.VersionId))
		}
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("ver"), Key: aws.String("k"), VersionId: aws.String(v1)})
	if err != nil || aws.ToInt64(head.ContentLength) != 3 {
		t.Fatalf("head v1 = %+v %v", head, err)
	}

	del, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("ver"), Key: aws.String("k")})
	if err != nil || !aws.ToBool(del.DeleteMarker) || aws.ToString(del.VersionId) == "" {
		t.Fatalf("delete = %+v %v", del, err)
	}
	marker := aws.ToString(del.VersionId)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ver"), Key: aws.String("k")})
	var nsk *types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Fatalf("get deleted = %v", err)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ver"), Key: aws.String("k"), VersionId: aws.String(marker)})
	apiError(t, err, CodeMethodNotAllowed, 405)
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("ver"), Key: aws.String("k"), VersionId: aws.String(strings.Repeat("ab", 16))})
	apiError(t, err, CodeNoSuchVersion, 404)
	lo, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("ver")})
	if err != nil || len(lo.Contents) != 0 {
		t.Fatalf("list with delete marker = %v %v", objectKeys(lo.Contents), err)
	}

	lv, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("ver")})
	if err != nil {
		t.Fatal(err)
	}
	if len(lv.DeleteMarkers) != 1 || aws.ToString(lv.DeleteMarkers[0].VersionId) != marker || !aws.ToBool(lv.DeleteMarkers[0].IsLatest) {
		t.Fatalf("delete markers = %+v", lv.DeleteMarkers)
	}
	var ids []string
	for _, v := range lv.Versions {
		ids = append(ids, aws.ToString(v.VersionId))
		if aws.ToBool(v.IsLatest) {
			t.Fatalf("version %s is latest under a delete marker", aws.ToString(v.VersionId))
		}
	}
	if strings.Join(ids, ",") != strings.Join([]string{v2, v1, "null"}, ",") {
		t.Fatalf("versions = %v", ids)
	}
	// Paging versions one at a time visits all four entries in order.
	var all []string
	in := &s3.ListObjectVersionsInput{Bucket: aws.String("ver"), MaxKeys: aws.Int32(1)}
	for {
		page, err := c.ListObjectVersions(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.DeleteMarkers {
			all = append(all, "dm:"+aws.ToString(m.VersionId))
		}
		for _, v := range page.Versions {
			all = append(all, aws.ToString(v.VersionId))
		}
		if !aws.ToBool(page.IsTruncated) {
			break
		}
		in.KeyMarker, in.VersionIdMarker = page.NextKeyMarker, page.NextVersionIdMarker
	}
	if strings.Join(all, ",") != strings.Join([]string{"dm:" + marker, v2, v1, "null"}, ",") {
		t.Fatalf("paged versions = %v", all)
	}

	// Removing the delete marker brings the object back; removing a version
	// permanently deletes it.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("ver"), Key: aws.String("k"), VersionId: aws.String(marker)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := get(t, c, &s3.GetObjectInput{Bucket: aws.String("ver"), Key: aws.String("k")}); got != "two" {
		t.Fatalf("after removing marker = %q", got)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("ver"), Key: aws.String("k"), VersionId: aws.String(v2)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := get(t, c, &s3.GetObjectInput{Bucket: aws.String("ver"), Key: aws.String("k")}); got != "one" {
		t.Fatalf("after removing v2 = %q", got)
	}

	// Suspended: new writes replace the null version.
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("ver"),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusSuspended}}); err != nil {
		t.Fatal(err)
	}
	if id := aws.ToString(put(t, c, "ver", "k", "three").VersionId); id != "null" {
		t.Fatalf("suspended put version = %q", id)
	}
	lv, err = c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("ver")})
	if err != nil {
		t.Fatal(err)
	}
	ids = nil
	for _, v := range lv.Versions {
		ids = append(ids, aws.ToString(v.VersionId))
	}
	if strings.Join(ids, ",") != "null,"+v1 {
		t.Fatalf("suspended versions = %v", ids)
	}
}

// TestChecksums covers flexible checksums: header checksums over plain HTTP,
// aws-chunked bodies with trailers over TLS, and response validation.
func TestChecksums(t *testing.T) {
	s := newService(t, Options{})
	var mu sync.Mutex
	var encodings []string
	tlsSrv := httptestTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			mu.Lock()
			encodings = append(encodings, r.Header.Get("Content-Encoding")+"|"+r.Header.Get("X-Amz-Trailer"))
			mu.Unlock()
		}
		s.ServeHTTP(w, r)
	}))
	plain := serve(t, s)
	ctx := context.Background()
	clients := map[string]*s3.Client{
		"http":  newClient(plain.URL),
		"https": newClient(tlsSrv.URL, func(o *s3.Options) { o.HTTPClient = tlsSrv.Client() }),
	}
	mustCreateBucket(t, clients["http"], "bkt")
	body := strings.Repeat("dragon fire ", 20000) // 240 kB
	algs := []types.ChecksumAlgorithm{"", types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c, types.ChecksumAlgorithmCrc64nvme, types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256}
	for name, c := range clients {
		for _, alg := range algs {
			key := fmt.Sprintf("%s-%s", name, alg)
			out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key), Body: stringsReader(body), ChecksumAlgorithm: alg})
			if err != nil {
				t.Fatalf("%s put: %v", key, err)
			}
			got, g := get(t, c, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
			if got != body {
				t.Fatalf("%s: body differs", key)
			}
			want := alg
			if want == "" {
				want = types.ChecksumAlgorithmCrc32 // the SDK's default
			}
			sent, returned := checksumOf(want, out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256),
				checksumOf(want, g.ChecksumCRC32, g.ChecksumCRC32C, g.ChecksumCRC64NVME, g.ChecksumSHA1, g.ChecksumSHA256)
			if sent == "" || sent != returned {
				t.Fatalf("%s: put checksum %q, get checksum %q", key, sent, returned)
			}
		}
	}
	mu.Lock()
	chunked := 0
	for _, e := range encodings {
		if strings.Contains(e, "aws-chunked|x-amz-checksum-") {
			chunked++
		}
	}
	mu.Unlock()
	if chunked != len(algs) {
		t.Fatalf("TLS uploads with aws-chunked trailers: %d of %d (%v)", chunked, len(algs), encodings)
	}

	// The CRC32 value matches an independent computation.
	sum := crc32.ChecksumIEEE([]byte(body))
	want := base64.StdEncoding.EncodeToString([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
	if _, g := get(t, clients["http"], &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("http-CRC32"), ChecksumMode: types.ChecksumModeEnabled}); aws.ToString(g.ChecksumCRC32) != want {
		t.Fatalf("crc32 = %s, want %s", aws.ToString(g.ChecksumCRC32), want)
	}

	// A wrong checksum or Content-MD5 is refused with BadDigest.
	_, err := clients["http"].PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("bad"), Body: stringsReader("x"), ChecksumCRC32: aws.String("AAAAAA==")})
	apiError(t, err, CodeBadDigest, 400)
	_, err = clients["http"].PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("bad"), Body: stringsReader("x"), ContentMD5: aws.String(base64.StdEncoding.EncodeToString(make([]byte, 16)))})
	apiError(t, err, CodeBadDigest, 400)
	if _, err := clients["http"].HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("bad")}); httpStatus(err) != 404 {
		t.Fatalf("refused upload was stored: %v", err)
	}

	// An unseekable body of unknown length streams through aws-chunked over TLS.
	big := bytes.Repeat([]byte("0123456789abcdef"), 20000)
	if _, err := clients["https"].PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("stream"), Body: io.MultiReader(bytes.NewReader(big))}); err != nil {
		t.Fatalf("streamed put: %v", err)
	}
	if got, _ := get(t, clients["https"], &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("stream"), ChecksumMode: types.ChecksumModeEnabled}); got != string(big) {
		t.Fatalf("streamed body differs (%d bytes)", len(got))
	}

	// The SDK really validates: a tampered checksum header fails the read.
	tampered := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ServeHTTP(&headerRewriter{ResponseWriter: w, name: "X-Amz-Checksum-Crc32", value: "AAAAAA=="}, r)
	}))
	out, err := newClient(tampered.URL).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("http-CRC32"), ChecksumMode: types.ChecksumModeEnabled})
	if err == nil {
		_, err = io.ReadAll(out.Body)
		out.Body.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("tampered checksum read = %v, want a checksum mismatch", err)
	}
}

func checksumOf(alg types.ChecksumAlgorithm, crc32, crc32c, crc64, sha1, sha256 *string) string {
	switch alg {
	case types.ChecksumAlgorithmCrc32:
		return aws.ToString(crc32)
	case types.ChecksumAlgorithmCrc32c:
		return aws.ToString(crc32c)
	case types.ChecksumAlgorithmCrc64nvme:
		return aws.ToString(crc64)
	case types.ChecksumAlgorithmSha1:
		return aws.ToString(sha1)
	case types.ChecksumAlgorithmSha256:
		return aws.ToString(sha256)
	}
	return ""
}

type headerRewriter struct {
	http.ResponseWriter
	name, value string
}

func (h *headerRewriter) WriteHeader(code int) {
	if h.Header().Get(h.name) != "" {
		h.Header().Set(h.name, h.value)
	}
	h.ResponseWriter.WriteHeader(code)
}

// TestVirtualHostedStyle sends virtual-hosted requests (bucket in the Host)
// through a dialer that connects every host name to the test server.
func TestVirtualHostedStyle(t *testing.T) {
	s := newService(t, Options{})
	var mu sync.Mutex
	var hosts []string
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hosts = append(hosts, r.Host)
		mu.Unlock()
		s.ServeHTTP(w, r)
	}))
	addr := srv.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	dialer := &net.Dialer{}
	httpClient := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, addr)
	}}}
	ctx := context.Background()
	for i, endpoint := range []string{"http://localhost:" + port, "http://s3.localhost:" + port} {
		c := newClient(endpoint, func(o *s3.Options) { o.UsePathStyle = false; o.HTTPClient = httpClient })
		bucket := fmt.Sprintf("vhost.bucket-%d", i)
		mustCreateBucket(t, c, bucket)
		put(t, c, bucket, "dir/key.txt", "virtual")
		if got, _ := get(t, c, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/key.txt")}); got != "virtual" {
			t.Fatalf("%s: body %q", endpoint, got)
		}
		lo, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		if err != nil || strings.Join(objectKeys(lo.Contents), ",") != "dir/key.txt" {
			t.Fatalf("%s: list %v %v", endpoint, lo, err)
		}
		// The same objects are visible path-style.
		pc := newClient(srv.URL)
		if got, _ := get(t, pc, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("dir/key.txt")}); got != "virtual" {
			t.Fatalf("%s: path-style body %q", endpoint, got)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	virtual := 0
	for _, h := range hosts {
		if strings.HasPrefix(h, "vhost.bucket-") {
			virtual++
		}
	}
	if virtual < 8 {
		t.Fatalf("only %d virtual-hosted requests among %v", virtual, hosts)
	}
}

func TestHostBucket(t *testing.T) {
	cases := map[string]string{
		"localhost:4566":                     "",
		"127.0.0.1:4566":                     "",
		"[::1]:4566":                         "",
		"s3.localhost:4566":                  "",
		"s3.us-east-1.amazonaws.com":         "",
		"bucket.localhost:4566":              "bucket",
		"my.dotted.bucket.localhost":         "my.dotted.bucket",
		"bucket.s3.localhost:4566":           "bucket",
		"bucket.s3.us-east-1.localhost:4566": "bucket",
		"bucket.s3.amazonaws.com":            "bucket",
		"bucket.s3.us-west-2.amazonaws.com":  "bucket",
		"bucket.s3-us-west-2.amazonaws.com":  "bucket",
		"s3-data.localhost":                  "s3-data",
		"my.s3.data.s3.localhost":            "my.s3.data",
		"edge:4566":                          "",
		"dragons-edge.internal:4566":         "",
	}
	for host, want := range cases {
		if got := hostBucket(host); got != want {
			t.Errorf("hostBucket(%q) = %q, want %q", host, got, want)
		}
	}
}

// TestSignedPayloadHashIsChecked corrupts one byte of PUT bodies on their way
// to the service: the SDK signed their SHA-256 (x-amz-content-sha256), so S3
// refuses them with XAmzContentSHA256Mismatch and stores nothing.
func TestSignedPayloadHashIsChecked(t *testing.T) {
	s := newService(t, Options{})
	var corrupt atomic.Bool
	var signed atomic.Int32
	h := throughEdge(s)
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && corrupt.Load() && r.ContentLength > 0 {
			if isSHA256Hex(r.Header.Get("X-Amz-Content-Sha256")) {
				signed.Add(1)
			}
			b, _ := io.ReadAll(r.Body)
			b[0] ^= 1
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		h.ServeHTTP(w, r)
	}))
	c := newClient(srv.URL)
	ctx := context.Background()
	mustCreateBucket(t, c, "sha-check")
	corrupt.Store(true)
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sha-check"), Key: aws.String("k"), Body: strings.NewReader("a body the SDK signs")})
	if signed.Load() == 0 {
		t.Fatal("the SDK sent no payload hash to check")
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != CodeContentSHA256Mismatch || httpStatus(err) != http.StatusBadRequest {
		t.Fatalf("corrupted PUT = %v, want 400 %s", err, CodeContentSHA256Mismatch)
	}
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("sha-check"), Key: aws.String("m")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("sha-check"), Key: aws.String("m"), UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("a part")})
	if !errors.As(err, &ae) || ae.ErrorCode() != CodeContentSHA256Mismatch {
		t.Fatalf("corrupted UploadPart = %v, want %s", err, CodeContentSHA256Mismatch)
	}
	corrupt.Store(false)
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("sha-check"), Key: aws.String("k")}); httpStatus(err) != http.StatusNotFound {
		t.Fatalf("the refused object exists: HeadObject = %v", err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sha-check"), Key: aws.String("k"), Body: strings.NewReader("intact")}); err != nil {
		t.Fatalf("an intact PUT: %v", err)
	}
}
