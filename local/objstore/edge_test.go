package objstore

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/dragons-dev/dragons/local/edge"
)

// TestBehindEdge mounts the service on the edge the way the local cloud does
// (SigV4 service "s3" plus the fallback for unsigned requests): SDK calls and
// plain unsigned HTTP requests both reach it.
func TestBehindEdge(t *testing.T) {
	s := newService(t, Options{})
	e := edge.New(nil)
	e.Handle("s3", s)
	e.HandleFallback(s)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	c := newClient(srv.URL)
	mustCreateBucket(t, c, "edge-bucket")
	put(t, c, "edge-bucket", "hello.txt", "through the edge")

	resp, err := http.Get(srv.URL + "/edge-bucket/hello.txt")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "through the edge" || resp.Header.Get("ETag") != `"`+md5hex("through the edge")+`"` {
		t.Fatalf("unsigned GET = %d %q %v", resp.StatusCode, body, resp.Header)
	}
	resp, err = http.Get(srv.URL + "/edge-bucket/missing")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(body), "<Code>NoSuchKey</Code>") {
		t.Fatalf("unsigned GET of a missing key = %d %s", resp.StatusCode, body)
	}
	if _, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("edge-bucket"), Key: aws.String("hello.txt")}); err != nil {
		t.Fatal(err)
	}
}

// TestSuiteRunsThroughEdge checks that setup, which the SDK suite uses, serves
// through the edge: the endpoint answers the edge's own /_local/health.
func TestSuiteRunsThroughEdge(t *testing.T) {
	_, c := setup(t)
	mustCreateBucket(t, c, "edge-suite")
	resp, err := http.Get(aws.ToString(c.Options().BaseEndpoint) + "/_local/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("GET /_local/health = %d, want the edge's 503 (no health function set)", resp.StatusCode)
	}
}
