package stepfunctions

import (
	"context"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

func TestTestState(t *testing.T) {
	ctx := context.Background()
	fl := &fakeLambda{fn: lambdaBehaviour}
	_, c := newTestService(t, Options{Lambda: fl})
	run := func(def, input string, mod func(*sfn.TestStateInput)) *sfn.TestStateOutput {
		t.Helper()
		in := &sfn.TestStateInput{Definition: aws.String(def), RoleArn: aws.String(testRole), Input: aws.String(input)}
		if mod != nil {
			mod(in)
		}
		out, err := c.TestState(ctx, in)
		if err != nil {
			t.Fatalf("TestState: %v", err)
		}
		return out
	}

	// A Pass state with Next reports the next state and the output.
	out := run(`{"Type":"Pass","Parameters":{"greeting.$":"States.Format('hi {}', $.name)"},"Next":"Later"}`, `{"name":"Ann"}`, nil)
	if out.Status != types.TestExecutionStatusSucceeded || *out.NextState != "Later" || *out.Output != `{"greeting":"hi Ann"}` {
		t.Fatalf("pass = %+v", out)
	}

	// A real Lambda call, inspected at DEBUG.
	task := `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"echo","Payload.$":"$"},"ResultSelector":{"p.$":"$.Payload"},"End":true}`
	out = run(task, `{"v":1}`, func(in *sfn.TestStateInput) { in.InspectionLevel = types.InspectionLevelDebug })
	if out.Status != types.TestExecutionStatusSucceeded || *out.Output != `{"p":{"v":1}}` || out.NextState != nil {
		t.Fatalf("task = %+v", out)
	}
	if out.InspectionData == nil || *out.InspectionData.Input != `{"v":1}` || !reflect.DeepEqual(asJSON(t, *out.InspectionData.AfterParameters), asJSON(t, `{"FunctionName":"echo","Payload":{"v":1}}`)) {
		t.Fatalf("inspection = %+v", out.InspectionData)
	}

	// A mocked result replaces the call.
	calls := len(fl.Calls())
	out = run(task, `{}`, func(in *sfn.TestStateInput) { in.Mock = &types.MockInput{Result: aws.String(`{"Payload":"mocked"}`)} })
	if *out.Output != `{"p":"mocked"}` || len(fl.Calls()) != calls {
		t.Fatalf("mocked = %+v (calls %d -> %d)", out, calls, len(fl.Calls()))
	}

	// A mocked error: retriable, caught, or failed.
	withHandlers := `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"x"},
		"Retry":[{"ErrorEquals":["Lambda.TooManyRequestsException"]}],
		"Catch":[{"ErrorEquals":["DragonValidationException"],"ResultPath":"$.error","Next":"Rejected"}],"End":true}`
	mockErr := func(name string) func(*sfn.TestStateInput) {
		return func(in *sfn.TestStateInput) {
			in.Mock = &types.MockInput{ErrorOutput: &types.MockErrorOutput{Error: aws.String(name), Cause: aws.String("because")}}
		}
	}
	out = run(withHandlers, `{}`, mockErr("Lambda.TooManyRequestsException"))
	if out.Status != types.TestExecutionStatusRetriable || *out.Error != "Lambda.TooManyRequestsException" {
		t.Fatalf("retriable = %+v", out)
	}
	out = run(withHandlers, `{"id":1}`, mockErr("DragonValidationException"))
	if out.Status != types.TestExecutionStatusCaughtError || *out.NextState != "Rejected" || *out.Error != "DragonValidationException" || aws.ToString(out.Cause) != "because" ||
		!reflect.DeepEqual(asJSON(t, *out.Output), asJSON(t, `{"id":1,"error":{"Error":"DragonValidationException","Cause":"because"}}`)) {
		t.Fatalf("caught = %+v", out)
	}
	out = run(withHandlers, `{}`, mockErr("Other"))
	if out.Status != types.TestExecutionStatusFailed || *out.Error != "Other" || *out.Cause != "because" {
		t.Fatalf("failed = %+v", out)
	}

	// An exhausted retrier stops the search, as in an execution: the
	// States.ALL retrier after a MaxAttempts 0 one does not make a timeout
	// retriable.
	exhausted := `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"x"},
		"Retry":[{"ErrorEquals":["States.Timeout"],"MaxAttempts":0},{"ErrorEquals":["States.ALL"]}],"End":true}`
	out = run(exhausted, `{}`, mockErr("States.Timeout"))
	if out.Status != types.TestExecutionStatusFailed || *out.Error != "States.Timeout" {
		t.Fatalf("MaxAttempts 0 = %+v, want FAILED", out)
	}
	out = run(exhausted, `{}`, mockErr("Other"))
	if out.Status != types.TestExecutionStatusRetriable {
		t.Fatalf("States.ALL retrier = %+v, want RETRIABLE", out)
	}
	// retrierRetryCount says how many retries already happened.
	out = run(withHandlers, `{}`, func(in *sfn.TestStateInput) {
		mockErr("Lambda.TooManyRequestsException")(in)
		in.StateConfiguration = &types.TestStateConfiguration{RetrierRetryCount: aws.Int32(3)}
	})
	if out.Status != types.TestExecutionStatusFailed {
		t.Fatalf("retries used up = %+v, want FAILED", out)
	}

	// Every processing step is in the inspection data.
	steps := `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","InputPath":"$.in",
		"Parameters":{"FunctionName":"echo","Payload.$":"$"},"ResultSelector":{"p.$":"$.Payload"},"ResultPath":"$.r","End":true}`
	out = run(steps, `{"in":{"v":1}}`, func(in *sfn.TestStateInput) { in.InspectionLevel = types.InspectionLevelTrace })
	want := map[string]string{
		"input":               `{"in":{"v":1}}`,
		"afterInputPath":      `{"v":1}`,
		"afterParameters":     `{"FunctionName":"echo","Payload":{"v":1}}`,
		"afterResultSelector": `{"p":{"v":1}}`,
		"afterResultPath":     `{"in":{"v":1},"r":{"p":{"v":1}}}`,
	}
	id := out.InspectionData
	if id == nil {
		t.Fatal("no inspection data at TRACE")
	}
	for field, got := range map[string]*string{"input": id.Input, "afterInputPath": id.AfterInputPath, "afterParameters": id.AfterParameters,
		"afterResultSelector": id.AfterResultSelector, "afterResultPath": id.AfterResultPath} {
		if got == nil || !reflect.DeepEqual(asJSON(t, *got), asJSON(t, want[field])) {
			t.Errorf("inspection %s = %v, want %s", field, aws.ToString(got), want[field])
		}
	}
	if id.Result == nil || asJSON(t, *id.Result).(map[string]any)["Payload"] == nil {
		t.Errorf("inspection result = %v, want the Lambda response", aws.ToString(id.Result))
	}
	out = run(`{"Type":"Pass","QueryLanguage":"JSONata","Output":"{% $states.input.a + 1 %}","End":true}`, `{"a":1}`, nil)
	if out.InspectionData != nil || *out.Output != `2` {
		t.Fatalf("INFO level = %+v, want no inspection data", out)
	}
	out = run(`{"Type":"Task","QueryLanguage":"JSONata","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"FunctionName":"echo","Payload":"{% $states.input.a %}"},"End":true}`,
		`{"a":7}`, func(in *sfn.TestStateInput) { in.InspectionLevel = types.InspectionLevelDebug })
	if id := out.InspectionData; id == nil || id.AfterArguments == nil || !reflect.DeepEqual(asJSON(t, *id.AfterArguments), asJSON(t, `{"FunctionName":"echo","Payload":7}`)) {
		t.Fatalf("afterArguments = %+v", out.InspectionData)
	}

	// A Choice state picks its branch; a Fail state fails.
	out = run(`{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":5,"Next":"Big"}],"Default":"Small"}`, `{"n":9}`, nil)
	if *out.NextState != "Big" || *out.Output != `{"n":9}` {
		t.Fatalf("choice = %+v", out)
	}
	out = run(`{"Type":"Fail","Error":"E","Cause":"C"}`, `{}`, nil)
	if out.Status != types.TestExecutionStatusFailed || *out.Error != "E" {
		t.Fatalf("fail = %+v", out)
	}

	// Variables are visible to the state.
	out = run(`{"Type":"Pass","QueryLanguage":"JSONata","Output":"{% $limit * 2 %}","End":true}`, `{}`, func(in *sfn.TestStateInput) { in.Variables = aws.String(`{"limit":21}`) })
	if out.Status != types.TestExecutionStatusSucceeded || *out.Output != `42` {
		t.Fatalf("variables = %+v", out)
	}

	// A state of a whole machine, by name.
	out = run(`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Result":"b","End":true}}}`, `{}`, func(in *sfn.TestStateInput) { in.StateName = aws.String("B") })
	if *out.Output != `"b"` {
		t.Fatalf("state by name = %+v", out)
	}

	_, err := c.TestState(ctx, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","Next":1}`), RoleArn: aws.String(testRole)})
	wantAPIError[*types.InvalidDefinition](t, err)
}
