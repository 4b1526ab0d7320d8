package objstore

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/dragons-dev/dragons/local/awsproto"
)

// TestGoAPI exercises the API in-process callers use (the template loader,
// the Step Functions S3 integration) and checks that its errors carry S3's
// names and statuses.
func TestGoAPI(t *testing.T) {
	s := newService(t, Options{DataDir: t.TempDir(), InlineLimit: 64})
	ctx := context.Background()
	code := func(err error, want string, status int) {
		t.Helper()
		var e *awsproto.Error
		if !errors.As(err, &e) || e.Code != want || e.Status != status {
			t.Fatalf("error = %v, want %s (%d)", err, want, status)
		}
	}
	if err := s.CreateBucket(ctx, "dragons-bucket"); err != nil {
		t.Fatal(err)
	}
	code(s.CreateBucket(ctx, "dragons-bucket"), CodeBucketAlreadyOwnedByYou, http.StatusConflict)
	code(s.HeadBucket(ctx, "nope"), CodeNoSuchBucket, http.StatusNotFound)

	seed := `[{"name":"Smaug"}]`
	info, err := s.PutObject(ctx, "dragons-bucket", "Dragons.json", strings.NewReader(seed), PutOptions{ContentType: "application/json", IfNoneMatch: "*"})
	if err != nil {
		t.Fatal(err)
	}
	if info.ETag != `"`+md5hex(seed)+`"` || info.Size != int64(len(seed)) || info.ChecksumAlgorithm != DefaultChecksum || info.Checksum == "" {
		t.Fatalf("put info = %+v", info)
	}
	_, err = s.PutObject(ctx, "dragons-bucket", "Dragons.json", strings.NewReader("[]"), PutOptions{IfNoneMatch: "*"})
	code(err, CodePreconditionFailed, http.StatusPreconditionFailed)
	_, err = s.PutObject(ctx, "dragons-bucket", "other.json", strings.NewReader("[]"), PutOptions{IfMatch: info.ETag})
	code(err, CodeNoSuchKey, http.StatusNotFound)
	_, err = s.PutObject(ctx, "dragons-bucket", "x", strings.NewReader("abc"), PutOptions{ChecksumAlgorithm: AlgSHA1, Checksum: "wrong"})
	code(err, CodeBadDigest, http.StatusBadRequest)

	obj, err := s.GetObject(ctx, "dragons-bucket", "Dragons.json", GetOptions{IfMatch: info.ETag})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if string(body) != seed || obj.ContentType != "application/json" {
		t.Fatalf("get = %q %+v", body, obj.ObjectInfo)
	}
	_, err = s.GetObject(ctx, "dragons-bucket", "Dragons.json", GetOptions{IfNoneMatch: info.ETag})
	code(err, CodeNotModified, http.StatusNotModified)
	_, err = s.GetObject(ctx, "dragons-bucket", "missing", GetOptions{})
	code(err, CodeNoSuchKey, http.StatusNotFound)

	// A body above the inline limit lives in a blob file; ranges work on it.
	long := strings.Repeat("0123456789", 20)
	if _, err := s.PutObject(ctx, "dragons-bucket", "long", strings.NewReader(long), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	obj, err = s.GetObject(ctx, "dragons-bucket", "long", GetOptions{Range: "bytes=195-"})
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(obj.Body)
	obj.Body.Close()
	if string(body) != "56789" || !obj.Partial || obj.RangeStart != 195 || obj.RangeEnd != 199 {
		t.Fatalf("ranged blob read = %q %+v", body, obj)
	}
	_, err = s.GetObject(ctx, "dragons-bucket", "long", GetOptions{Range: "bytes=500-"})
	code(err, CodeInvalidRange, http.StatusRequestedRangeNotSatisfiable)

	if _, _, err := s.CopyObject(ctx, "dragons-bucket", "long", "dragons-bucket", "long-copy", CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := s.ListObjects(ctx, "dragons-bucket", ListOptions{Prefix: "long"})
	if err != nil || len(res.Objects) != 2 || res.Objects[1].Key != "long-copy" || res.Objects[1].Size != 200 {
		t.Fatalf("list = %+v %v", res, err)
	}
	entries, err := s.DeleteObjects(ctx, "dragons-bucket", []DeleteEntry{{Key: "long"}, {Key: "long-copy"}, {Key: ""}})
	if err != nil || entries[0].Err != nil || entries[1].Err != nil || entries[2].Err == nil {
		t.Fatalf("delete objects = %+v %v", entries, err)
	}
	if n := blobCount(t, filepath.Dir(s.blobDir)); n != 0 {
		t.Fatalf("%d blob files left after deleting both large objects", n)
	}
}

// TestDefaultChecksumValidatesInSDK reads objects stored without a client
// checksum (so with S3's default CRC64NVME) through an SDK that validates
// response checksums.
func TestDefaultChecksumValidatesInSDK(t *testing.T) {
	s, c := setup(t)
	ctx := context.Background()
	mustCreateBucket(t, c, "bkt")
	body := strings.Repeat("nvme ", 3000)
	if _, err := s.PutObject(ctx, "bkt", "k", strings.NewReader(body), PutOptions{}); err != nil {
		t.Fatal(err)
	}
	got, out := get(t, c, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), ChecksumMode: types.ChecksumModeEnabled})
	if got != body || aws.ToString(out.ChecksumCRC64NVME) == "" {
		t.Fatalf("body %d bytes, crc64nvme %q", len(got), aws.ToString(out.ChecksumCRC64NVME))
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("k"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil || aws.ToString(head.ChecksumCRC64NVME) != aws.ToString(out.ChecksumCRC64NVME) {
		t.Fatalf("head checksum = %+v %v", head, err)
	}
}
