package objstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestMultipartUpload(t *testing.T) {
	dir := t.TempDir()
	s, err := New(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, s)
	c := newClient(srv.URL)
	ctx := context.Background()
	mustCreateBucket(t, c, "mpu")

	create, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big/file.bin"),
		ContentType: aws.String("application/x-test"), Metadata: map[string]string{"kind": "multi"}, ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		t.Fatal(err)
	}
	id := create.UploadId
	part1 := bytes.Repeat([]byte("a"), MinPartSize)
	part2 := []byte("tail end")
	var completed []types.CompletedPart
	for i, body := range [][]byte{part1, part2} {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("big/file.bin"), UploadId: id,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(body), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		if err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
		sum := md5.Sum(body)
		if aws.ToString(out.ETag) != `"`+hex.EncodeToString(sum[:])+`"` || out.ChecksumCRC32 == nil {
			t.Fatalf("part %d = %+v", i+1, out)
		}
		completed = append(completed, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32})
	}
	lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("mpu"), Key: aws.String("big/file.bin"), UploadId: id})
	if err != nil || len(lp.Parts) != 2 || aws.ToInt64(lp.Parts[0].Size) != MinPartSize || aws.ToString(lp.Parts[1].ChecksumCRC32) == "" {
		t.Fatalf("list parts = %+v %v", lp, err)
	}
	lu, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("mpu")})
	if err != nil || len(lu.Uploads) != 1 || aws.ToString(lu.Uploads[0].UploadId) != aws.ToString(id) {
		t.Fatalf("list uploads = %+v %v", lu, err)
	}

	// An upload in progress survives a restart.
	srv.Close()
	s.Close()
	s = newService(t, Options{DataDir: dir})
	c = newClient(serve(t, s).URL)

	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big/file.bin"), UploadId: id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{completed[1], completed[0]}}})
	apiError(t, err, "InvalidPartOrder", 400)
	bad := completed[0]
	bad.ETag = aws.String(`"00000000000000000000000000000000"`)
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big/file.bin"), UploadId: id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{bad, completed[1]}}})
	apiError(t, err, "InvalidPart", 400)

	done, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big/file.bin"), UploadId: id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: completed}})
	if err != nil {
		t.Fatal(err)
	}
	if etag := aws.ToString(done.ETag); !strings.HasSuffix(etag, `-2"`) || len(etag) != 36 {
		t.Fatalf("multipart etag = %s", etag)
	}
	got, out := get(t, c, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("big/file.bin"), ChecksumMode: types.ChecksumModeEnabled})
	if got != string(part1)+string(part2) || aws.ToString(out.ContentType) != "application/x-test" || out.Metadata["kind"] != "multi" || out.ChecksumCRC32 == nil {
		t.Fatalf("completed object: %d bytes, %+v", len(got), out)
	}
	_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("mpu"), Key: aws.String("big/file.bin"), UploadId: id})
	apiError(t, err, "NoSuchUpload", 404)
	_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big/file.bin"), UploadId: id})
	var nsu *types.NoSuchUpload
	if !errors.As(err, &nsu) {
		t.Fatalf("abort of a completed upload = %v, want NoSuchUpload", err)
	}
	// Only the completed object's file remains; the part files are gone.
	if n := blobCount(t, dir); n != 1 {
		t.Fatalf("%d blob files after completing, want 1", n)
	}

	// Small non-final parts are refused; aborting discards the upload.
	create, err = c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("small")})
	if err != nil {
		t.Fatal(err)
	}
	var parts []types.CompletedPart
	for i := range 2 {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("small"), UploadId: create.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: strings.NewReader(fmt.Sprint("part", i))})
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag})
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("small"), UploadId: create.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	apiError(t, err, "EntityTooSmall", 400)
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("small"), UploadId: create.UploadId}); err != nil {
		t.Fatal(err)
	}
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("small"), UploadId: create.UploadId, PartNumber: aws.Int32(3), Body: strings.NewReader("x")})
	apiError(t, err, "NoSuchUpload", 404)
	if n := blobCount(t, dir); n != 1 {
		t.Fatalf("%d blob files after abort, want 1", n)
	}
	// A single small part is a valid upload.
	create, _ = c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("one")})
	p, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("one"), UploadId: create.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("solo")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("one"), UploadId: create.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: p.ETag}}}, IfNoneMatch: aws.String("*")}); err != nil {
		t.Fatal(err)
	}
	if got, _ := get(t, c, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("one"), ChecksumMode: types.ChecksumModeEnabled}); got != "solo" {
		t.Fatalf("one-part object = %q", got)
	}
}
