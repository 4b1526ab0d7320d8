package queue

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/dragons-dev/dragons/local/edge"
)

// TestThroughEdge mounts the service on the shared edge the way the local cloud
// does: JSON requests route by X-Amz-Target, query requests by SigV4 scope.
func TestThroughEdge(t *testing.T) {
	svc, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	e := edge.New(nil)
	e.HandleTarget("AmazonSQS", svc)
	e.Handle("sqs", svc)
	srv := httptest.NewServer(e)
	defer srv.Close()
	ctx := testCtx(t)

	c := newClient(srv.URL)
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("edge-q")})
	if err != nil || aws.ToString(out.QueueUrl) != srv.URL+"/000000000000/edge-q" {
		t.Fatalf("CreateQueue through the edge = %v, %v", out, err)
	}
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: out.QueueUrl, MessageBody: aws.String("via edge")}); err != nil {
		t.Fatal(err)
	}

	form := url.Values{"Action": {"ReceiveMessage"}, "Version": {"2012-11-05"}, "QueueUrl": {aws.ToString(out.QueueUrl)}}
	req, _ := http.NewRequest("POST", srv.URL+"/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "<Body>via edge</Body>") {
		t.Fatalf("query ReceiveMessage through the edge: %d %s", resp.StatusCode, body)
	}
}

// TestSuiteRunsThroughEdge checks that newEnv, which the SDK suite uses, serves
// through the edge: the endpoint answers the edge's own /_local/health.
func TestSuiteRunsThroughEdge(t *testing.T) {
	e := newEnv(t, Options{})
	e.createQueue(t, "edge-suite", nil)
	resp, err := http.Get(e.srv.URL + "/_local/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("GET /_local/health = %d, want the edge's 503 (no health function set)", resp.StatusCode)
	}
}
