package lambdahost

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/dragons-dev/dragons/local/awsproto"
	"github.com/dragons-dev/dragons/local/tracing"
)

var fnBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lambdahost-test")
	if err != nil {
		panic(err)
	}
	bins, err := Build(context.Background(), ".", dir, []string{"./testdata/fn"})
	if err != nil {
		panic(err)
	}
	fnBinary = bins["./testdata/fn"]
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type memLogs struct {
	mu    sync.Mutex
	lines map[string][]string // by group
}

func (m *memLogs) AppendLog(group, stream string, _ time.Time, msg string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lines == nil {
		m.lines = map[string][]string{}
	}
	m.lines[group] = append(m.lines[group], msg)
}

func (m *memLogs) all(group string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return strings.Join(m.lines[group], "\n")
}

func newHost(t *testing.T, opts Options, fns ...FunctionConfig) *Host {
	t.Helper()
	h := New(opts)
	for _, f := range fns {
		if f.Binary == "" {
			f.Binary = fnBinary
		}
		if err := h.AddFunction(f); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(h.Close)
	return h
}

func invokeJSON(t *testing.T, h *Host, name string, in any, o InvokeOptions) (*Result, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(in)
	res, err := h.Invoke(context.Background(), name, b, o)
	if err != nil {
		t.Fatalf("invoke %s: %v", name, err)
	}
	var out map[string]any
	if err := json.Unmarshal(res.Payload, &out); err != nil {
		t.Fatalf("payload %q: %v", res.Payload, err)
	}
	return res, out
}

func TestInvokeEchoEnvironmentAndTrace(t *testing.T) {
	logs := &memLogs{}
	h := newHost(t, Options{Logs: logs, Endpoint: "http://127.0.0.1:1"}, FunctionConfig{Name: "echo", Env: map[string]string{"COLOR": "red"}})
	res, out := invokeJSON(t, h, "echo", map[string]any{"echo": "hi", "env": "COLOR", "print": "hello from fn"},
		InvokeOptions{TraceHeader: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"})
	if res.FunctionError != "" || out["echo"] != "hi" || out["env"] != "red" {
		t.Fatalf("result = %+v %v", res, out)
	}
	if out["requestId"] != res.RequestID || out["arn"] != "arn:aws:lambda:us-east-1:000000000000:function:echo" {
		t.Fatalf("lambda context = %v (request %s)", out, res.RequestID)
	}
	trace, _ := out["trace"].(string)
	if !strings.HasPrefix(trace, "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=") || strings.Contains(trace, "53995c3f42cd8ad8") {
		t.Fatalf("function trace header = %q, want caller's root with the function segment as parent", trace)
	}
	_, out2 := invokeJSON(t, h, "echo", map[string]any{"env": "AWS_ENDPOINT_URL"}, InvokeOptions{})
	if out2["env"] != "http://127.0.0.1:1" || out2["pid"] != out["pid"] {
		t.Fatalf("second invoke = %v, want the warm process and the endpoint variable", out2)
	}
	text := logs.all("/aws/lambda/echo")
	for _, want := range []string{"START RequestId: " + res.RequestID, "hello from fn", "END RequestId: " + res.RequestID, "REPORT RequestId: " + res.RequestID} {
		if !strings.Contains(text, want) {
			t.Errorf("logs lack %q:\n%s", want, text)
		}
	}
}

func TestFunctionErrorsTimeoutsAndCrashes(t *testing.T) {
	h := newHost(t, Options{MaxResponseBytes: 1000}, FunctionConfig{Name: "f", Timeout: 300 * time.Millisecond})
	res, out := invokeJSON(t, h, "f", map[string]any{"fail": "scales too dull"}, InvokeOptions{})
	if res.FunctionError != "Unhandled" || res.ErrorType != "BadDragon" || res.Kind != ErrorHandled || out["errorMessage"] != "scales too dull" {
		t.Fatalf("handled error = %+v %v", res, out)
	}
	res, out = invokeJSON(t, h, "f", map[string]any{"sleepMs": 3000}, InvokeOptions{})
	if res.Kind != ErrorTimeout || !strings.Contains(out["errorMessage"].(string), "Task timed out after 0.30 seconds") {
		t.Fatalf("timeout = %+v %v", res, out)
	}
	res, out = invokeJSON(t, h, "f", map[string]any{"crash": true}, InvokeOptions{})
	if res.Kind != ErrorCrash || res.ErrorType != "Runtime.ExitError" || !strings.Contains(out["errorMessage"].(string), "exit status 3") {
		t.Fatalf("crash = %+v %v", res, out)
	}
	res, out = invokeJSON(t, h, "f", map[string]any{"big": 5000}, InvokeOptions{})
	if res.ErrorType != "Function.ResponseSizeTooLarge" {
		t.Fatalf("oversized response = %+v %v", res, out)
	}
	res, out = invokeJSON(t, h, "f", map[string]any{"echo": 1}, InvokeOptions{})
	if res.FunctionError != "" || out["echo"] != float64(1) {
		t.Fatalf("invoke after failures = %+v %v", res, out)
	}
	marker := filepath.Join(t.TempDir(), "crashed")
	res, _ = invokeJSON(t, h, "f", map[string]any{"crashOnce": marker}, InvokeOptions{})
	if res.Kind != ErrorCrash {
		t.Fatalf("first crashOnce = %+v", res)
	}
	res, _ = invokeJSON(t, h, "f", map[string]any{"crashOnce": marker}, InvokeOptions{})
	if res.FunctionError != "" {
		t.Fatalf("retry after a crash = %+v, want success from a restarted process", res)
	}
}

func TestConcurrencyThrottleAndProcessCap(t *testing.T) {
	h := newHost(t, Options{MaxProcesses: 2},
		FunctionConfig{Name: "reserved", ReservedConcurrency: intp(1)},
		FunctionConfig{Name: "capped"})
	started := make(chan struct{})
	done := make(chan struct{})
	go func() {
		close(started)
		invokeJSON(t, h, "reserved", map[string]any{"sleepMs": 800}, InvokeOptions{})
		close(done)
	}()
	<-started
	throttled := false
	for i := 0; i < 50 && !throttled; i++ {
		time.Sleep(20 * time.Millisecond)
		_, err := h.Invoke(context.Background(), "reserved", []byte(`{}`), InvokeOptions{})
		throttled = awsproto.IsCode(err, "TooManyRequestsException")
	}
	<-done
	if !throttled {
		t.Fatal("a second concurrent invoke was not throttled at reserved concurrency 1")
	}

	var wg sync.WaitGroup
	var mu sync.Mutex
	pids := map[float64]bool{}
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, out := invokeJSON(t, h, "capped", map[string]any{"sleepMs": 100}, InvokeOptions{})
			mu.Lock()
			pids[out["pid"].(float64)] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(pids) > 2 {
		t.Fatalf("%d processes served the function, want at most 2", len(pids))
	}
}

func TestInvokeAPIThroughSDK(t *testing.T) {
	delivered := make(chan []byte, 1)
	h := newHost(t, Options{
		AsyncRetryDelay: 10 * time.Millisecond,
		Deliver: func(_ context.Context, arn string, body []byte, _ map[string]Attribute) error {
			if arn != "arn:aws:sqs:us-east-1:000000000000:dlq" {
				t.Errorf("delivered to %s", arn)
			}
			delivered <- body
			return nil
		},
	}, FunctionConfig{Name: "api", OnFailure: "arn:aws:sqs:us-east-1:000000000000:dlq"})
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})
	ctx := context.Background()

	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("api"), Payload: []byte(`{"echo":"x"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if out.StatusCode != 200 || out.FunctionError != nil || !strings.Contains(string(out.Payload), `"echo":"x"`) {
		t.Fatalf("invoke = %d %v %s", out.StatusCode, out.FunctionError, out.Payload)
	}
	out, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("api"), Payload: []byte(`{"fail":"no"}`)})
	if err != nil || aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), `"errorType":"BadDragon"`) {
		t.Fatalf("failing invoke = %v %v %s", err, out.FunctionError, out.Payload)
	}
	out, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("api"), InvocationType: types.InvocationTypeDryRun})
	if err != nil || out.StatusCode != 204 {
		t.Fatalf("dry run = %v %+v", err, out)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("unknown function error = %v", err)
	}
	out, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("api"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"fail":"always"}`)})
	if err != nil || out.StatusCode != 202 {
		t.Fatalf("event invoke = %v %+v", err, out)
	}
	select {
	case body := <-delivered:
		var rec struct {
			RequestContext struct {
				Condition              string
				ApproximateInvokeCount int
			}
			ResponsePayload map[string]any
		}
		if err := json.Unmarshal(body, &rec); err != nil {
			t.Fatal(err)
		}
		if rec.RequestContext.Condition != "RetriesExhausted" || rec.RequestContext.ApproximateInvokeCount != 3 || rec.ResponsePayload["errorType"] != "BadDragon" {
			t.Fatalf("failure record = %s", body)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("failed async invocation never reached its on-failure queue")
	}
	list, err := c.ListFunctions(ctx, &lambda.ListFunctionsInput{})
	if err != nil || len(list.Functions) != 1 || aws.ToString(list.Functions[0].FunctionName) != "api" {
		t.Fatalf("list = %v %+v", err, list)
	}
}

func TestInjectedFaults(t *testing.T) {
	h := newHost(t, Options{}, FunctionConfig{Name: "f"})
	if err := h.SetFault("f", Fault{CrashNext: 1}); err != nil {
		t.Fatal(err)
	}
	res, _ := invokeJSON(t, h, "f", map[string]any{"echo": 1}, InvokeOptions{})
	if res.Kind != ErrorCrash || res.ErrorType != "Runtime.ExitError" {
		t.Fatalf("injected crash = %+v", res)
	}
	if res, _ := invokeJSON(t, h, "f", map[string]any{"echo": 1}, InvokeOptions{}); res.FunctionError != "" {
		t.Fatalf("after the crash = %+v", res)
	}
	_ = h.SetFault("f", Fault{FailNext: -1, ErrorType: "Boom"})
	for i := 0; i < 3; i++ {
		if res, _ := invokeJSON(t, h, "f", map[string]any{}, InvokeOptions{}); res.ErrorType != "Boom" {
			t.Fatalf("persistent failure %d = %+v", i, res)
		}
	}
	_ = h.SetFault("f", Fault{ThrottleAsync: true})
	if _, err := h.InvokeAsync(context.Background(), "f", []byte(`{}`), InvokeOptions{}); !awsproto.IsCode(err, "TooManyRequestsException") {
		t.Fatalf("throttled async = %v", err)
	}
	_ = h.SetFault("f", Fault{})
	if res, _ := invokeJSON(t, h, "f", map[string]any{"echo": 2}, InvokeOptions{}); res.FunctionError != "" {
		t.Fatalf("after clearing = %+v", res)
	}
	if err := h.SetFault("nope", Fault{}); !awsproto.IsCode(err, "ResourceNotFoundException") {
		t.Fatalf("unknown function = %v", err)
	}
}

func TestUntracedInvokeStartsOneTrace(t *testing.T) {
	recs := make(chan InvokeRecord, 1)
	h := newHost(t, Options{OnInvoke: func(r InvokeRecord) { recs <- r }}, FunctionConfig{Name: "f"})
	_, out := invokeJSON(t, h, "f", map[string]any{}, InvokeOptions{})
	rec := <-recs
	caller := tracing.ParseHeader(rec.TraceHeader)
	fn := tracing.ParseHeader(out["trace"].(string))
	if caller.Root == "" || caller.Parent != "" || fn.Root != caller.Root || fn.Parent != rec.FunctionSegment {
		t.Fatalf("record trace %q, function trace %q (function segment %s): want one new trace rooted at the service", rec.TraceHeader, out["trace"], rec.FunctionSegment)
	}
}

// TestReservedConcurrencyZeroThrottlesEveryInvocation: a function whose
// reserved concurrency is 0 is throttled on every call, as on AWS, and never
// starts a process; a negative reservation is refused.
func TestReservedConcurrencyZeroThrottlesEveryInvocation(t *testing.T) {
	h := newHost(t, Options{MaxProcesses: 2}, FunctionConfig{Name: "off", ReservedConcurrency: intp(0)})
	for range 3 {
		_, err := h.Invoke(context.Background(), "off", []byte(`{}`), InvokeOptions{})
		if !awsproto.IsCode(err, "TooManyRequestsException") {
			t.Fatalf("invoke of a function reserved at 0 = %v, want TooManyRequestsException", err)
		}
	}
	if err := h.AddFunction(FunctionConfig{Name: "bad", Binary: fnBinary, ReservedConcurrency: intp(-1)}); err == nil {
		t.Fatal("a negative reserved concurrency was accepted")
	}
}
