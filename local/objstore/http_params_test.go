package objstore

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestUnknownQueryParametersAreNotImplemented(t *testing.T) {
	svc := newService(t, Options{})
	srv := serve(t, svc)
	c := newClient(srv.URL)
	mustCreateBucket(t, c, "bkt")
	put(t, c, "bkt", "k", "v")
	do := func(method, path string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, tc := range []struct{ method, path, names string }{
		{"GET", "/bkt?foo", "?foo"},
		{"GET", "/bkt?list-type=2&zeta=1&alpha", "?alpha, ?zeta"},
		{"PUT", "/newbkt?foo", "?foo"},
		{"PUT", "/bkt?delete", "?delete"},
		{"GET", "/bkt?delete", "?delete"},
		{"GET", "/bkt?acl", "?acl"},
		{"GET", "/bkt/k?foo=bar", "?foo"},
		{"GET", "/bkt/k?partNumber=1", "?partNumber"},
		{"PUT", "/bkt/k?tagging", "?tagging"},
		{"DELETE", "/bkt/k?foo", "?foo"},
		{"GET", "/?foo", "?foo"},
	} {
		code, body := do(tc.method, tc.path)
		if code != http.StatusNotImplemented || !strings.Contains(body, "<Code>NotImplemented</Code>") || !strings.Contains(body, tc.method+" "+tc.names+" ") {
			t.Errorf("%s %s = %d %s, want 501 NotImplemented naming %s", tc.method, tc.path, code, body, tc.names)
		}
	}
	if _, err := c.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String("newbkt")}); httpStatus(err) != 404 {
		t.Fatalf("PUT /newbkt?foo created the bucket: %v", err)
	}
	if code, _ := do("GET", "/bkt/k"); code != http.StatusOK {
		t.Fatalf("object deleted or unreadable after the rejected requests: %d", code)
	}
	// Parameters the SDKs send, and those of presigned URLs, are served.
	for _, path := range []string{
		"/bkt?list-type=2&prefix=k&delimiter=%2F&max-keys=5&encoding-type=url&fetch-owner=true&start-after=a",
		"/bkt?versions&key-marker=a&max-keys=2",
		"/bkt?location", "/bkt?versioning", "/bkt?uploads&max-uploads=3",
		"/bkt/k?x-id=GetObject&response-content-type=text%2Fplain",
		"/bkt/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
		"/?max-buckets=10&prefix=b",
	} {
		if code, body := do("GET", path); code != http.StatusOK {
			t.Errorf("GET %s = %d %s, want 200", path, code, body)
		}
	}
}
