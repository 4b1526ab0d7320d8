package awstest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
)

func s3Client(s *S3) *s3.Client {
	return s3.NewFromConfig(Config(), func(o *s3.Options) { o.BaseEndpoint = aws.String(s.URL()) })
}

func status(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestS3ConditionalWritesThroughTheSDK(t *testing.T) {
	ctx := context.Background()
	srv := NewS3("b")
	defer srv.Close()
	c := s3Client(srv)

	// Reading a missing key is NoSuchKey.
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	var nsk *types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Fatalf("GetObject(missing) error = %v, want NoSuchKey", err)
	}
	// If-Match on a missing key is a 404.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: strings.NewReader("x"), IfMatch: aws.String(`"abc"`)})
	if status(err) != http.StatusNotFound {
		t.Fatalf("PutObject(If-Match, missing) error = %v, want 404", err)
	}
	// Create with If-None-Match: *.
	out, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: bytes.NewReader([]byte("one")), IfNoneMatch: aws.String("*")})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	first := aws.ToString(out.ETag)
	if data, etag, _ := srv.Object("b", "k"); string(data) != "one" || etag != first {
		t.Fatalf("stored %q %s, want \"one\" %s", data, etag, first)
	}
	// A second create loses.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: strings.NewReader("two"), IfNoneMatch: aws.String("*")})
	if status(err) != http.StatusPreconditionFailed || code(err) != "PreconditionFailed" {
		t.Fatalf("second create error = %v, want 412 PreconditionFailed", err)
	}
	// Replace with the right ETag, then a stale one fails.
	out, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: strings.NewReader("two"), IfMatch: aws.String(first)})
	if err != nil {
		t.Fatalf("replace: %v", err)
	}
	second := aws.ToString(out.ETag)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: strings.NewReader("three"), IfMatch: aws.String(first)})
	if status(err) != http.StatusPreconditionFailed {
		t.Fatalf("stale replace error = %v, want 412", err)
	}
	// Conditional reads.
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), IfNoneMatch: aws.String(second)})
	if status(err) != http.StatusNotModified {
		t.Fatalf("GetObject(If-None-Match current) error = %v, want 304", err)
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), IfNoneMatch: aws.String(first)})
	if err != nil {
		t.Fatalf("GetObject(If-None-Match stale): %v", err)
	}
	body, _ := io.ReadAll(got.Body)
	if string(body) != "two" || aws.ToString(got.ETag) != second {
		t.Fatalf("GetObject = %q %s, want \"two\" %s", body, aws.ToString(got.ETag), second)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), IfMatch: aws.String(first)})
	if status(err) != http.StatusPreconditionFailed {
		t.Fatalf("GetObject(If-Match stale) error = %v, want 412", err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	if err != nil || aws.ToString(head.ETag) != second || aws.ToInt64(head.ContentLength) != 3 {
		t.Fatalf("HeadObject = %+v, %v", head, err)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("b"), Key: aws.String("nope")})
	if status(err) != http.StatusNotFound {
		t.Fatalf("HeadObject(missing) error = %v, want 404", err)
	}
	// Conditional delete.
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), IfMatch: aws.String(first)})
	if status(err) != http.StatusPreconditionFailed {
		t.Fatalf("DeleteObject(If-Match stale) error = %v, want 412", err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), IfMatch: aws.String(second)}); err != nil {
		t.Fatalf("DeleteObject(If-Match current): %v", err)
	}
	if _, _, ok := srv.Object("b", "k"); ok {
		t.Fatal("object survived its delete")
	}
	// Unknown bucket.
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("zz"), Key: aws.String("k")})
	if code(err) != "NoSuchBucket" {
		t.Fatalf("GetObject(unknown bucket) error = %v, want NoSuchBucket", err)
	}
}

func TestS3InjectedPutFailures(t *testing.T) {
	ctx := context.Background()
	srv := NewS3("b")
	defer srv.Close()
	c := s3Client(srv)
	srv.FailNextPuts(1, http.StatusConflict, "ConditionalRequestConflict")
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: strings.NewReader("x"), IfNoneMatch: aws.String("*")})
	if status(err) != http.StatusConflict || code(err) != "ConditionalRequestConflict" {
		t.Fatalf("error = %v, want 409 ConditionalRequestConflict", err)
	}
	if _, _, ok := srv.Object("b", "k"); ok {
		t.Fatal("a failed put stored the object")
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatalf("put after the injected failure: %v", err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || reqs[0].Status != 409 || reqs[1].Status != 200 || reqs[1].Key != "k" {
		t.Fatalf("requests = %+v", reqs)
	}
}

func TestS3DecodesAWSChunkedBodies(t *testing.T) {
	srv := NewS3("b")
	defer srv.Close()
	body := "5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
	req, _ := http.NewRequest(http.MethodPut, srv.URL()+"/b/k", strings.NewReader(body))
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", "11")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if data, _, _ := srv.Object("b", "k"); string(data) != "hello world" {
		t.Fatalf("stored %q, want \"hello world\"", data)
	}
}

func TestSSMParameters(t *testing.T) {
	ctx := context.Background()
	srv := NewSSM(map[string]string{"/dragons/bucket": "bkt"})
	defer srv.Close()
	c := ssm.NewFromConfig(Config(), func(o *ssm.Options) { o.BaseEndpoint = aws.String(srv.URL()) })
	out, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/dragons/bucket", "/dragons/nope"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Parameters) != 1 || aws.ToString(out.Parameters[0].Value) != "bkt" || len(out.InvalidParameters) != 1 {
		t.Fatalf("GetParameters = %+v", out)
	}
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/dragons/nope")})
	if code(err) != "ParameterNotFound" {
		t.Fatalf("GetParameter(missing) error = %v", err)
	}
	if srv.Calls() != 2 {
		t.Fatalf("Calls() = %d", srv.Calls())
	}
}

func TestStepFunctionsStartExecution(t *testing.T) {
	ctx := context.Background()
	srv := NewStepFunctions()
	defer srv.Close()
	c := sfn.NewFromConfig(Config(), func(o *sfn.Options) { o.BaseEndpoint = aws.String(srv.URL()) })
	machine := "arn:aws:states:us-east-1:000000000000:stateMachine:AddDragon"
	out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machine), Name: aws.String("n1"), Input: aws.String(`{"a":1}`), TraceHeader: aws.String("Root=1-abc"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.ExecutionArn) != ExecutionArn(machine, "n1") || out.StartDate == nil {
		t.Fatalf("StartExecution = %+v", out)
	}
	calls := srv.Calls()
	if len(calls) != 1 || calls[0].TraceHeader != "Root=1-abc" || calls[0].Input != `{"a":1}` {
		t.Fatalf("calls = %+v", calls)
	}
	srv.FailNext("StateMachineDoesNotExist")
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Name: aws.String("n2"), Input: aws.String(`{}`)})
	if code(err) != "StateMachineDoesNotExist" {
		t.Fatalf("injected failure error = %v", err)
	}
}
