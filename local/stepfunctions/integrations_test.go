package stepfunctions

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/dragons-dev/dragons/local/asl"
	"github.com/dragons-dev/dragons/local/awsproto"
	"github.com/dragons-dev/dragons/local/tracing"
)

// taskMachine is a one-Task machine definition.
func taskMachine(resource, params string) string {
	if params == "" {
		return fmt.Sprintf(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"End":true}}}`, resource)
	}
	return fmt.Sprintf(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":%q,"Parameters":%s,"End":true}}}`, resource, params)
}

// lambdaBehaviour is a fake function set keyed by function name.
func lambdaBehaviour(name string, payload []byte) (LambdaResult, error) {
	switch {
	case strings.HasSuffix(name, "echo"):
		return LambdaResult{Payload: payload, RequestID: "req-1"}, nil
	case strings.HasSuffix(name, "reject"):
		return LambdaResult{Payload: []byte(`{"errorMessage":"name taken","errorType":"DragonValidationException"}`), FunctionError: "Unhandled", ErrorType: "DragonValidationException"}, nil
	case strings.HasSuffix(name, "untyped"):
		return LambdaResult{Payload: []byte(`{"errorMessage":"boom","errorType":"RuntimeError"}`), FunctionError: "Unhandled"}, nil
	case strings.HasSuffix(name, "timeout"):
		return LambdaResult{Payload: []byte(`{"errorMessage":"Task timed out after 3.00 seconds"}`), FunctionError: "Unhandled", Unknown: true}, nil
	case strings.HasSuffix(name, "throttled"):
		return LambdaResult{}, &awsproto.Error{Code: "TooManyRequestsException", Message: "Rate Exceeded.", Status: http.StatusTooManyRequests}
	case strings.HasSuffix(name, "broken"):
		return LambdaResult{}, errors.New("connection refused")
	case strings.HasSuffix(name, "text"):
		return LambdaResult{Payload: []byte(`not json`)}, nil
	}
	return LambdaResult{}, &awsproto.Error{Code: "ResourceNotFoundException", Message: "Function not found: " + name, Status: http.StatusNotFound}
}

func TestLambdaIntegrations(t *testing.T) {
	fl := &fakeLambda{fn: lambdaBehaviour}
	_, c := newTestService(t, Options{Lambda: fl})
	invoke := createMachine(t, c, "invoke", "EXPRESS", taskMachine("arn:aws:states:::lambda:invoke", `{"FunctionName.$":"$.fn","Payload.$":"$.payload"}`))

	out := syncRun(t, c, invoke, `{"fn":"echo","payload":{"a":[1,2]}}`)
	if out.Status != types.SyncExecutionStatusSucceeded {
		t.Fatalf("echo: %+v", out)
	}
	res := asJSON(t, *out.Output).(map[string]any)
	if !reflect.DeepEqual(res["Payload"], map[string]any{"a": []any{1.0, 2.0}}) || res["StatusCode"] != 200.0 || res["ExecutedVersion"] != "$LATEST" {
		t.Fatalf("lambda:invoke result = %v", res)
	}
	meta, _ := res["SdkHttpMetadata"].(map[string]any)
	if meta["HttpStatusCode"] != 200.0 || res["SdkResponseMetadata"].(map[string]any)["RequestId"] != "req-1" {
		t.Fatalf("lambda:invoke metadata = %v", res)
	}
	if calls := fl.Calls(); len(calls) != 1 || calls[0].Function != "echo" || calls[0].Payload != `{"a":[1,2]}` {
		t.Fatalf("calls = %+v", calls)
	}

	cases := []struct {
		fn, err, causeHas string
	}{
		{"reject", "DragonValidationException", `"errorMessage":"name taken"`},
		{"untyped", "RuntimeError", `"errorMessage":"boom"`},
		{"timeout", "Lambda.Unknown", "Task timed out"},
		{"throttled", "Lambda.TooManyRequestsException", "Rate Exceeded."},
		{"missing", "Lambda.ResourceNotFoundException", "Function not found: missing"},
		{"broken", "Lambda.ServiceException", "connection refused"},
	}
	for _, tc := range cases {
		out := syncRun(t, c, invoke, fmt.Sprintf(`{"fn":%q,"payload":{}}`, tc.fn))
		if out.Status != types.SyncExecutionStatusFailed || *out.Error != tc.err || !strings.Contains(*out.Cause, tc.causeHas) {
			t.Errorf("%s: status %s error %v cause %v", tc.fn, out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
		}
	}
	// A function error's cause is the error document itself.
	rej := syncRun(t, c, invoke, `{"fn":"reject","payload":{}}`)
	if *rej.Cause != `{"errorMessage":"name taken","errorType":"DragonValidationException"}` {
		t.Fatalf("cause = %s", *rej.Cause)
	}

	// A plain function ARN: the result is the payload.
	plain := createMachine(t, c, "plain", "EXPRESS", taskMachine("arn:aws:lambda:us-east-1:000000000000:function:echo", ""))
	out = syncRun(t, c, plain, `{"x":"y"}`)
	if out.Status != types.SyncExecutionStatusSucceeded || *out.Output != `{"x":"y"}` {
		t.Fatalf("plain ARN: %+v", out)
	}
	text := createMachine(t, c, "text", "EXPRESS", taskMachine("arn:aws:lambda:us-east-1:000000000000:function:text", ""))
	if out := syncRun(t, c, text, `{}`); *out.Output != `"not json"` {
		t.Fatalf("non-JSON payload: %s", *out.Output)
	}
	rejPlain := createMachine(t, c, "plain-reject", "EXPRESS", taskMachine("arn:aws:lambda:us-east-1:000000000000:function:reject", ""))
	if out := syncRun(t, c, rejPlain, `{}`); *out.Error != "DragonValidationException" {
		t.Fatalf("plain ARN error: %+v", out)
	}

	// Retry on a Lambda error name, then Catch; a virtual clock makes the
	// back-off instant.
	_, c = newTestService(t, Options{Lambda: fl, Clock: asl.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))})
	retry := createMachine(t, c, "retry", "EXPRESS", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"throttled"},
		"Retry":[{"ErrorEquals":["Lambda.TooManyRequestsException"],"IntervalSeconds":1,"MaxAttempts":2,"BackoffRate":1}],
		"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Caught"}],"End":true},"Caught":{"Type":"Pass","End":true}}}`)
	before := len(fl.Calls())
	out = syncRun(t, c, retry, `{}`)
	if out.Status != types.SyncExecutionStatusSucceeded || asJSON(t, *out.Output).(map[string]any)["error"].(map[string]any)["Error"] != "Lambda.TooManyRequestsException" {
		t.Fatalf("retry/catch: %+v", out)
	}
	if n := len(fl.Calls()) - before; n != 3 {
		t.Fatalf("attempts = %d, want 3", n)
	}
}

func TestTracingPassesHeaderToLambda(t *testing.T) {
	fl := &fakeLambda{fn: lambdaBehaviour}
	tr := &fakeTracer{}
	_, c := newTestService(t, Options{Lambda: fl, Tracer: tr})
	arn := createMachine(t, c, "traced", "EXPRESS", taskMachine("arn:aws:states:::lambda:invoke", `{"FunctionName":"echo","Payload":{}}`), func(in *sfn.CreateStateMachineInput) {
		in.TracingConfiguration = &types.TracingConfiguration{Enabled: true}
	})
	incoming := "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	out, err := c.StartSyncExecution(context.Background(), &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(arn), TraceHeader: aws.String(incoming)})
	if err != nil || out.Status != types.SyncExecutionStatusSucceeded {
		t.Fatalf("run: %+v %v", out, err)
	}
	segs := tr.Segments()
	if len(segs) != 1 {
		t.Fatalf("segments = %+v", segs)
	}
	seg := segs[0]
	if seg.Origin != "AWS::StepFunctions::StateMachine" || seg.TraceID != "1-5759e988-bd862e3fe1be46a994272793" || seg.ParentID != "53995c3f42cd8ad8" ||
		seg.Name != "traced" || seg.AWS["execution_arn"] != *out.ExecutionArn || seg.End.Before(seg.Start) {
		t.Fatalf("segment = %+v", seg)
	}
	h := tracing.ParseHeader(fl.Calls()[0].Trace)
	if h.Root != seg.TraceID || h.Parent != seg.ID {
		t.Fatalf("lambda got trace header %q, segment %s/%s", fl.Calls()[0].Trace, seg.TraceID, seg.ID)
	}

	// Untraced machines record nothing and pass the caller's header through.
	plain := createMachine(t, c, "untraced", "EXPRESS", taskMachine("arn:aws:states:::lambda:invoke", `{"FunctionName":"echo","Payload":{}}`))
	if _, err := c.StartSyncExecution(context.Background(), &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(plain), TraceHeader: aws.String(incoming)}); err != nil {
		t.Fatal(err)
	}
	if len(tr.Segments()) != 1 || fl.Calls()[1].Trace != incoming {
		t.Fatalf("untraced: %d segments, header %q", len(tr.Segments()), fl.Calls()[1].Trace)
	}
}

func TestServiceIntegrations(t *testing.T) {
	objs := &fakeObjects{}
	qs := &fakeQueues{}
	evs := &fakeEvents{}
	_, c := newTestService(t, Options{Objects: objs, Queues: qs, Events: evs})

	// SQS: an object body is sent as JSON text.
	sqsArn := createMachine(t, c, "sqs", "EXPRESS", taskMachine("arn:aws:states:::sqs:sendMessage", `{"QueueUrl.$":"$.q","MessageBody":{"input.$":"$.in","n":1}}`))
	out := syncRun(t, c, sqsArn, `{"q":"http://127.0.0.1/000000000000/dlq","in":{"a":"b"}}`)
	res := asJSON(t, *out.Output).(map[string]any)
	if res["MessageId"] != "msg-1" || res["MD5OfMessageBody"] == "" || len(qs.sent) != 1 || qs.sent[0].Body != `{"input":{"a":"b"},"n":1}` {
		t.Fatalf("sqs: %v sent %+v", res, qs.sent)
	}
	fail := syncRun(t, c, sqsArn, `{"q":"http://127.0.0.1/000000000000/missing","in":{}}`)
	if fail.Status != types.SyncExecutionStatusFailed || *fail.Error != "SQS.QueueDoesNotExistException" {
		t.Fatalf("sqs missing queue: %+v", fail)
	}

	// EventBridge: Detail object -> JSON text; failed entries -> EventBridge.FailedEntry.
	evArn := createMachine(t, c, "events", "EXPRESS", taskMachine("arn:aws:states:::events:putEvents",
		`{"Entries":[{"EventBusName":"dragons","Source.$":"$.source","DetailType":"DragonAdded","Detail":{"id.$":"$.id"}}]}`))
	out = syncRun(t, c, evArn, `{"source":"dragons.app","id":"e1"}`)
	if !reflect.DeepEqual(asJSON(t, *out.Output), asJSON(t, `{"Entries":[{"EventId":"event-DragonAdded"}],"FailedEntryCount":0}`)) {
		t.Fatalf("putEvents output = %s", *out.Output)
	}
	if len(evs.entries) != 1 || evs.entries[0].Detail != `{"id":"e1"}` || evs.entries[0].EventBusName != "dragons" || evs.entries[0].Source != "dragons.app" {
		t.Fatalf("entries = %+v", evs.entries)
	}
	out = syncRun(t, c, evArn, `{"source":"","id":"e2"}`)
	if out.Status != types.SyncExecutionStatusFailed || *out.Error != "EventBridge.FailedEntry" || !strings.Contains(*out.Cause, `"FailedEntryCount":1`) {
		t.Fatalf("failed entry: %+v", out)
	}

	// S3 SDK integration: put, get, delete, errors.
	put := createMachine(t, c, "s3put", "EXPRESS", taskMachine("arn:aws:states:::aws-sdk:s3:putObject", `{"Bucket":"b","Key.$":"$.key","Body.$":"$.body","ContentType":"application/json"}`))
	out = syncRun(t, c, put, `{"key":"executions/1.json","body":"{\"status\":\"SUCCEEDED\"}"}`)
	if res := asJSON(t, *out.Output).(map[string]any); res["ETag"] != `"etag-executions/1.json"` {
		t.Fatalf("putObject: %s", *out.Output)
	}
	if o := objs.objects["b/executions/1.json"]; string(o.Body) != `{"status":"SUCCEEDED"}` || o.ContentType != "application/json" {
		t.Fatalf("stored = %+v", o)
	}
	get := createMachine(t, c, "s3get", "EXPRESS", taskMachine("arn:aws:states:::aws-sdk:s3:getObject", `{"Bucket.$":"$.bucket","Key.$":"$.key"}`))
	out = syncRun(t, c, get, `{"bucket":"b","key":"executions/1.json"}`)
	if res := asJSON(t, *out.Output).(map[string]any); res["Body"] != `{"status":"SUCCEEDED"}` || res["ContentLength"] != 22.0 || res["ContentType"] != "application/json" {
		t.Fatalf("getObject: %s", *out.Output)
	}
	out = syncRun(t, c, get, `{"bucket":"b","key":"nope"}`)
	if *out.Error != "S3.NoSuchKeyException" || !strings.Contains(*out.Cause, "The specified key does not exist.") {
		t.Fatalf("missing key: %+v", out)
	}
	out = syncRun(t, c, get, `{"bucket":"broken","key":"k"}`)
	if *out.Error != "S3.S3Exception" {
		t.Fatalf("other S3 error: %+v", out)
	}
	del := createMachine(t, c, "s3del", "EXPRESS", taskMachine("arn:aws:states:::aws-sdk:s3:deleteObject", `{"Bucket":"b","Key":"executions/1.json"}`))
	if out := syncRun(t, c, del, `{}`); out.Status != types.SyncExecutionStatusSucceeded || len(objs.objects) != 0 {
		t.Fatalf("deleteObject: %+v, left %v", out, objs.objects)
	}
}

func TestUnconfiguredIntegrationFails(t *testing.T) {
	_, c := newTestService(t, Options{})
	arn := createMachine(t, c, "nolambda", "EXPRESS", taskMachine("arn:aws:states:::lambda:invoke", `{"FunctionName":"f"}`))
	out := syncRun(t, c, arn, `{}`)
	if out.Status != types.SyncExecutionStatusFailed || *out.Error != "States.TaskFailed" || !strings.Contains(*out.Cause, "no Lambda invoker") {
		t.Fatalf("out = %+v", out)
	}
}

func TestNestedExecutions(t *testing.T) {
	ctx := context.Background()
	_, c := newTestService(t, Options{})
	child := createMachine(t, c, "child", "STANDARD", passDef)
	childFail := createMachine(t, c, "child-fail", "STANDARD", failDef)
	childExpress := createMachine(t, c, "child-express", "EXPRESS", passDef)
	parent := func(name, resource string) string {
		return createMachine(t, c, name, "STANDARD", taskMachine(resource, `{"StateMachineArn.$":"$.target","Input":{"from":"parent"}}`))
	}
	run := func(machine, target string) *sfn.DescribeExecutionOutput {
		s, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Input: aws.String(mustJSON(map[string]string{"target": target}))})
		if err != nil {
			t.Fatal(err)
		}
		return waitDone(t, c, *s.ExecutionArn)
	}

	fire := parent("fire", "arn:aws:states:::states:startExecution")
	d := run(fire, child)
	res := asJSON(t, *d.Output).(map[string]any)
	if !strings.HasPrefix(res["ExecutionArn"].(string), "arn:aws:states:us-east-1:000000000000:execution:child:") {
		t.Fatalf("startExecution result = %v", res)
	}
	waitDone(t, c, res["ExecutionArn"].(string))

	syncP := parent("sync", "arn:aws:states:::states:startExecution.sync")
	d = run(syncP, child)
	res = asJSON(t, *d.Output).(map[string]any)
	if res["Status"] != "SUCCEEDED" || !reflect.DeepEqual(asJSON(t, res["Output"].(string)), asJSON(t, `{"from":"parent","a":{"ok":true}}`)) || res["Input"] != `{"from":"parent"}` {
		t.Fatalf(".sync result = %v", res)
	}
	// The parent's history records the child's start as TaskSubmitted.
	hist, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: d.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	var submitted *types.TaskSubmittedEventDetails
	for _, e := range hist.Events {
		kinds = append(kinds, string(e.Type))
		if e.TaskSubmittedEventDetails != nil {
			submitted = e.TaskSubmittedEventDetails
		}
	}
	if got := strings.Join(kinds, ","); !strings.Contains(got, "TaskStarted,TaskSubmitted,TaskSucceeded") {
		t.Fatalf(".sync parent history = %s", got)
	}
	if submitted == nil || aws.ToString(submitted.ResourceType) != "states" || aws.ToString(submitted.Resource) != "startExecution.sync" {
		t.Fatalf("TaskSubmitted = %+v", submitted)
	}
	if out := asJSON(t, aws.ToString(submitted.Output)).(map[string]any); out["ExecutionArn"] != res["ExecutionArn"] || out["StartDate"] == nil || out["SdkResponseMetadata"] == nil {
		t.Fatalf("TaskSubmitted output = %v, want the child's StartExecution response", out)
	}
	sync2 := parent("sync2", "arn:aws:states:::states:startExecution.sync:2")
	d = run(sync2, child)
	res = asJSON(t, *d.Output).(map[string]any)
	if !reflect.DeepEqual(res["Output"], map[string]any{"from": "parent", "a": map[string]any{"ok": true}}) {
		t.Fatalf(".sync:2 result = %v", res)
	}
	d = run(sync2, childExpress)
	res = asJSON(t, *d.Output).(map[string]any)
	if res["Status"] != "SUCCEEDED" || !strings.Contains(res["ExecutionArn"].(string), ":express:child-express:") {
		t.Fatalf(".sync:2 of an Express child = %v", res)
	}
	d = run(syncP, childFail)
	if d.Status != types.ExecutionStatusFailed || *d.Error != "States.TaskFailed" || !strings.Contains(*d.Cause, `"Error":"Custom.Error"`) {
		t.Fatalf("failed child: %+v", d)
	}
	d = run(fire, child+"-missing")
	if d.Status != types.ExecutionStatusFailed || *d.Error != "StepFunctions.StateMachineDoesNotExistException" {
		t.Fatalf("missing child machine: %+v", d)
	}
}

// asyncLambda is a fakeLambda that also queues "Event" invocations.
type asyncLambda struct {
	fakeLambda
	queued []string
}

func (a *asyncLambda) InvokeAsync(_ context.Context, fn string, payload []byte, _ string) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.queued = append(a.queued, fn+" "+string(payload))
	return "async-req", nil
}

func TestLambdaEventInvocation(t *testing.T) {
	al := &asyncLambda{fakeLambda: fakeLambda{fn: lambdaBehaviour}}
	_, c := newTestService(t, Options{Lambda: al})
	arn := createMachine(t, c, "event", "EXPRESS", taskMachine("arn:aws:states:::lambda:invoke", `{"FunctionName":"echo","InvocationType":"Event","Payload":{"k":1}}`))
	out := syncRun(t, c, arn, `{}`)
	res := asJSON(t, *out.Output).(map[string]any)
	if res["StatusCode"] != 202.0 || res["SdkResponseMetadata"].(map[string]any)["RequestId"] != "async-req" {
		t.Fatalf("event result = %v", res)
	}
	if len(al.queued) != 1 || al.queued[0] != `echo {"k":1}` || len(al.Calls()) != 0 {
		t.Fatalf("queued %v, sync calls %v", al.queued, al.Calls())
	}
}
