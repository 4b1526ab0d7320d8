package stepfunctions

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/dragons-dev/dragons/local/tracing"
)

// syncBuffer is a log destination safe for the execution goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestPanicInAnIntegrationFailsOnlyTheExecution(t *testing.T) {
	ctx := context.Background()
	logs := &syncBuffer{}
	fl := &fakeLambda{fn: func(name string, payload []byte) (LambdaResult, error) {
		if strings.HasSuffix(name, "crash") {
			panic("lambda invoker blew up")
		}
		return lambdaBehaviour(name, payload)
	}}
	_, c := newTestService(t, Options{Lambda: fl, Log: slog.New(slog.NewTextHandler(logs, nil))})
	def := taskMachine("arn:aws:states:::lambda:invoke", `{"FunctionName.$":"$.fn","Payload":{}}`)

	// Standard: the execution ends FAILED with States.Runtime.
	std := createMachine(t, c, "std", "STANDARD", def)
	start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(std), Input: aws.String(`{"fn":"crash"}`)})
	if err != nil {
		t.Fatal(err)
	}
	d := waitDone(t, c, *start.ExecutionArn)
	if d.Status != types.ExecutionStatusFailed || aws.ToString(d.Error) != "States.Runtime" || !strings.Contains(aws.ToString(d.Cause), "lambda invoker blew up") {
		t.Fatalf("describe = %s %s %s, want FAILED States.Runtime naming the panic", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	if got := eventTypes(t, c, *start.ExecutionArn); !strings.HasSuffix(got, "ExecutionFailed") {
		t.Errorf("history = %s, want ExecutionFailed last", got)
	}
	if l := logs.String(); !strings.Contains(l, "execution failed by a panic") || !strings.Contains(l, *start.ExecutionArn) || !strings.Contains(l, "goroutine") {
		t.Errorf("log lacks the panic, the execution or the stack:\n%s", l)
	}

	// Express, synchronously.
	exp := createMachine(t, c, "exp", "EXPRESS", def)
	out, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(exp), Input: aws.String(`{"fn":"crash"}`)})
	if err != nil || out.Status != types.SyncExecutionStatusFailed || aws.ToString(out.Error) != "States.Runtime" {
		t.Fatalf("sync = %+v %v", out, err)
	}

	// The service still runs executions.
	if ok := syncRun(t, c, exp, `{"fn":"echo"}`); ok.Status != types.SyncExecutionStatusSucceeded {
		t.Fatalf("after the panics: %+v", ok)
	}
}

// panickyTracer panics when it records a segment: a panic in the service's
// own code after the engine finished.
type panickyTracer struct{}

func (panickyTracer) Record(tracing.Segment) { panic("tracer blew up") }

func TestPanicAroundTheEngineFailsTheExecution(t *testing.T) {
	ctx := context.Background()
	logs := &syncBuffer{}
	_, c := newTestService(t, Options{Tracer: panickyTracer{}, Log: slog.New(slog.NewTextHandler(logs, nil))})
	std := createMachine(t, c, "traced", "STANDARD", passDef, func(in *sfn.CreateStateMachineInput) {
		in.TracingConfiguration = &types.TracingConfiguration{Enabled: true}
	})
	start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(std)})
	if err != nil {
		t.Fatal(err)
	}
	d := waitDone(t, c, *start.ExecutionArn)
	if d.Status != types.ExecutionStatusFailed || aws.ToString(d.Error) != "States.Runtime" || !strings.Contains(aws.ToString(d.Cause), "tracer blew up") {
		t.Fatalf("describe = %s %s %s, want FAILED States.Runtime naming the panic", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	got := eventTypes(t, c, *start.ExecutionArn)
	if !strings.HasSuffix(got, "ExecutionFailed") || strings.Contains(got, "ExecutionSucceeded") {
		t.Errorf("history = %s, want ExecutionFailed as the only terminal event", got)
	}
	if l := logs.String(); !strings.Contains(l, "tracer blew up") || !strings.Contains(l, "goroutine") {
		t.Errorf("log lacks the panic or its stack:\n%s", l)
	}
	// An Express execution's goroutine recovers too: the panic is logged.
	exp := createMachine(t, c, "traced-express", "EXPRESS", passDef, func(in *sfn.CreateStateMachineInput) {
		in.TracingConfiguration = &types.TracingConfiguration{Enabled: true}
	})
	expStart, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(exp)})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return strings.Contains(logs.String(), *expStart.ExecutionArn) })
	// Untraced machines still run.
	plain := createMachine(t, c, "plain", "STANDARD", passDef)
	start, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(plain)})
	if err != nil {
		t.Fatal(err)
	}
	if d := waitDone(t, c, *start.ExecutionArn); d.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("plain = %s", d.Status)
	}
}
