package stepfunctions

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go/middleware"
	"github.com/dragons-dev/dragons/local/awsproto"
	"github.com/dragons-dev/dragons/local/tracing"
)

const testRole = "arn:aws:iam::000000000000:role/test"

// newTestService starts a Service on an httptest server and returns it with
// an SDK client pointed at it.
func newTestService(t testing.TB, opts Options) (*Service, *sfn.Client) {
	t.Helper()
	svc, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(func() {
		srv.Close()
		_ = svc.Close()
	})
	return svc, newClient(srv.URL)
}

func newClient(url string) *sfn.Client {
	return sfn.New(sfn.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		APIOptions:   []func(*middleware.Stack) error{NoHostPrefix},
	})
}

// createMachine creates a state machine and returns its ARN.
func createMachine(t testing.TB, c *sfn.Client, name, typ, def string, opts ...func(*sfn.CreateStateMachineInput)) string {
	t.Helper()
	in := &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(def), RoleArn: aws.String(testRole), Type: types.StateMachineType(typ)}
	for _, o := range opts {
		o(in)
	}
	out, err := c.CreateStateMachine(context.Background(), in)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return *out.StateMachineArn
}

// waitDone polls DescribeExecution until the execution leaves RUNNING.
func waitDone(t testing.TB, c *sfn.Client, arn string) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		if err != nil {
			t.Fatalf("describe %s: %v", arn, err)
		}
		if out.Status != types.ExecutionStatusRunning {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s still running", arn)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// syncRun runs an Express machine through StartSyncExecution.
func syncRun(t testing.TB, c *sfn.Client, arn, input string) *sfn.StartSyncExecutionOutput {
	t.Helper()
	out, err := c.StartSyncExecution(context.Background(), &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(input)})
	if err != nil {
		t.Fatalf("start sync %s: %v", arn, err)
	}
	return out
}

// asJSON decodes a JSON document for comparisons.
func asJSON(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return v
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// wantAPIError asserts err is the typed SDK error T.
func wantAPIError[T error](t testing.TB, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error = %v (%T), want %T", err, err, target)
	}
	return target
}

// ---- hand-written fakes behind the integration interfaces ----

type lambdaCall struct {
	Function string
	Payload  string
	Trace    string
}

type fakeLambda struct {
	mu    sync.Mutex
	calls []lambdaCall
	fn    func(name string, payload []byte) (LambdaResult, error)
}

func (f *fakeLambda) Invoke(_ context.Context, fn string, payload []byte, trace string) (LambdaResult, error) {
	f.mu.Lock()
	f.calls = append(f.calls, lambdaCall{fn, string(payload), trace})
	f.mu.Unlock()
	return f.fn(fn, payload)
}

func (f *fakeLambda) Calls() []lambdaCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]lambdaCall(nil), f.calls...)
}

type fakeObjects struct {
	mu      sync.Mutex
	objects map[string]StoredObject
}

func (f *fakeObjects) GetObject(_ context.Context, bucket, key string) (StoredObject, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if bucket == "broken" {
		return StoredObject{}, &awsproto.Error{Code: "InternalError", Message: "We encountered an internal error.", Status: 500}
	}
	o, ok := f.objects[bucket+"/"+key]
	if !ok {
		return StoredObject{}, &awsproto.Error{Code: "NoSuchKey", Message: "The specified key does not exist.", Status: 404}
	}
	return o, nil
}

func (f *fakeObjects) PutObject(_ context.Context, bucket, key string, body []byte, opts PutObjectOptions) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.objects == nil {
		f.objects = map[string]StoredObject{}
	}
	f.objects[bucket+"/"+key] = StoredObject{Body: body, ContentType: opts.ContentType, ETag: `"etag-` + key + `"`, LastModified: time.Unix(1700000000, 0)}
	return `"etag-` + key + `"`, nil
}

func (f *fakeObjects) DeleteObject(_ context.Context, bucket, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.objects, bucket+"/"+key)
	return nil
}

type fakeQueues struct {
	mu   sync.Mutex
	sent []SendMessageInput
}

func (f *fakeQueues) SendMessage(_ context.Context, in SendMessageInput) (SendMessageOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if strings.HasSuffix(in.QueueURL, "/missing") {
		return SendMessageOutput{}, &awsproto.Error{Code: "QueueDoesNotExist", Message: "The specified queue does not exist.", Status: 400}
	}
	f.sent = append(f.sent, in)
	return SendMessageOutput{MessageID: "msg-1"}, nil
}

type fakeEvents struct {
	mu      sync.Mutex
	entries []EventEntry
}

func (f *fakeEvents) PutEvents(_ context.Context, entries []EventEntry) ([]EventResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]EventResult, len(entries))
	for i, e := range entries {
		if e.Source == "" {
			out[i] = EventResult{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter Source is not valid."}
			continue
		}
		f.entries = append(f.entries, e)
		out[i] = EventResult{EventID: "event-" + e.DetailType}
	}
	return out, nil
}

type logLine struct {
	Group, Stream, Message string
}

type memLogs struct {
	mu    sync.Mutex
	lines []logLine
}

func (m *memLogs) AppendLog(group, stream string, _ time.Time, msg string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lines = append(m.lines, logLine{group, stream, msg})
}

func (m *memLogs) Lines() []logLine {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]logLine(nil), m.lines...)
}

// Streams counts the log records of each stream.
func (m *memLogs) Streams() map[string]int {
	streams := map[string]int{}
	for _, l := range m.Lines() {
		streams[l.Stream]++
	}
	return streams
}

type fakeTracer struct {
	mu   sync.Mutex
	segs []tracing.Segment
}

func (f *fakeTracer) Record(seg tracing.Segment) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.segs = append(f.segs, seg)
}

func (f *fakeTracer) Segments() []tracing.Segment {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]tracing.Segment(nil), f.segs...)
}

// waitFor polls cond until it holds (background work has no other signal).
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
