package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/smithy-go"

	"github.com/dragons-dev/dragons/local/edge"
)

// fakeQueues is a QueueSender that records messages per queue ARN and can be told
// to fail. It stands in for the local SQS service in these tests.
type fakeQueues struct {
	mu       sync.Mutex
	msgs     map[string][]fakeMsg
	calls    map[string]int
	failures map[string]int // remaining failures by ARN; negative fails forever
	failWith map[string]error
}

type fakeMsg struct {
	Body  string
	Attrs map[string]string
}

func newFakeQueues() *fakeQueues {
	return &fakeQueues{msgs: map[string][]fakeMsg{}, calls: map[string]int{}, failures: map[string]int{}, failWith: map[string]error{}}
}

func (f *fakeQueues) SendMessage(_ context.Context, arn, body string, attrs map[string]string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[arn]++
	if n := f.failures[arn]; n != 0 {
		if n > 0 {
			f.failures[arn] = n - 1
		}
		if err := f.failWith[arn]; err != nil {
			return err
		}
		return errors.New("queue temporarily unavailable")
	}
	f.msgs[arn] = append(f.msgs[arn], fakeMsg{Body: body, Attrs: attrs})
	return nil
}

func (f *fakeQueues) fail(arn string, times int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures[arn] = times
	f.failWith[arn] = err
}

func (f *fakeQueues) messages(arn string) []fakeMsg {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeMsg(nil), f.msgs[arn]...)
}

func (f *fakeQueues) callCount(arn string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[arn]
}

// wait polls until the queue holds at least n messages (or fails the test).
func (f *fakeQueues) wait(t testing.TB, arn string, n int) []fakeMsg {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		msgs := f.messages(arn)
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue %s has %d messages after 10s, want %d", arn, len(msgs), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func queueArn(name string) string { return "arn:aws:sqs:us-east-1:000000000000:" + name }

type harness struct {
	svc    *Service
	client *eventbridge.Client
	queues *fakeQueues
	url    string
}

// newHarness starts a Service behind the edge (routed as the local cloud routes
// it: X-Amz-Target prefix AWSEvents and SigV4 service events) on an httptest
// server, with a fake queue sender and fast retries.
func newHarness(t testing.TB, opts Options) *harness {
	t.Helper()
	q := newFakeQueues()
	if opts.Queues == nil {
		opts.Queues = q
	}
	if opts.RetryBaseDelay == 0 {
		opts.RetryBaseDelay = time.Millisecond
		opts.RetryMaxDelay = 4 * time.Millisecond
	}
	svc, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e := edge.New(nil)
	e.HandleTarget("AWSEvents", svc)
	e.Handle("events", svc)
	srv := httptest.NewServer(e)
	t.Cleanup(func() {
		srv.Close()
		if err := svc.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return &harness{svc: svc, client: newClient(srv.URL), queues: q, url: srv.URL}
}

func newClient(url string) *eventbridge.Client {
	return eventbridge.New(eventbridge.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

// wantCode fails unless err is an API error with the given code.
func wantCode(t testing.TB, err error, code string) smithy.APIError {
	t.Helper()
	var api smithy.APIError
	if !errors.As(err, &api) {
		t.Fatalf("error = %v, want API error %s", err, code)
	}
	if api.ErrorCode() != code {
		t.Fatalf("error code = %s (%s), want %s", api.ErrorCode(), api.ErrorMessage(), code)
	}
	return api
}

func decodeJSON(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return m
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// asErr is errors.As with a shorter name for the typed SDK errors.
func asErr[T error](err error, target *T) bool { return errors.As(err, target) }
