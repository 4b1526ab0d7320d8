package queue

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/dragons-dev/dragons/local/edge"
)

// testEnv is a service behind the edge on an httptest server, registered as the
// local cloud registers it (X-Amz-Target prefix AmazonSQS for the JSON protocol,
// SigV4 service sqs for the query protocol), with an SDK client pointed at it.
type testEnv struct {
	svc *Service
	srv *httptest.Server
	c   *sqs.Client
}

func newEnv(t testing.TB, opts Options) *testEnv {
	t.Helper()
	svc, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e := edge.New(nil)
	e.HandleTarget("AmazonSQS", svc)
	e.Handle("sqs", svc)
	srv := httptest.NewServer(e)
	svc.SetEndpoint(srv.URL)
	t.Cleanup(func() {
		srv.Close()
		if err := svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &testEnv{svc: svc, srv: srv, c: newClient(srv.URL)}
}

func newClient(url string) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
	})
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// createQueue creates a queue through the SDK and returns its URL.
func (e *testEnv) createQueue(t testing.TB, name string, attrs map[string]string) string {
	t.Helper()
	out, err := e.c.CreateQueue(testCtx(t), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateQueue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// eventually polls f until it returns true or the deadline passes.
func eventually(t testing.TB, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if f() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}
