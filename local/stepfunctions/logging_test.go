package stepfunctions

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

func loggingTo(group string, level types.LogLevel, data bool) func(*sfn.CreateStateMachineInput) {
	return func(in *sfn.CreateStateMachineInput) {
		in.LoggingConfiguration = &types.LoggingConfiguration{Level: level, IncludeExecutionData: data,
			Destinations: []types.LogDestination{{CloudWatchLogsLogGroup: &types.CloudWatchLogsLogGroup{
				LogGroupArn: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:" + group + ":*")}}}}
	}
}

// records decodes the log records written to group.
func records(t *testing.T, logs *memLogs, group string) []logRecord {
	t.Helper()
	var out []logRecord
	for _, l := range logs.Lines() {
		if l.Group != group {
			continue
		}
		var r logRecord
		if err := json.Unmarshal([]byte(l.Message), &r); err != nil {
			t.Fatalf("log line is not a record: %v\n%s", err, l.Message)
		}
		if !strings.HasPrefix(l.Stream, "states/") {
			t.Fatalf("stream %q", l.Stream)
		}
		out = append(out, r)
	}
	return out
}

func recordTypes(rs []logRecord) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Type)
	}
	return out
}

const catchDef = `{"StartAt":"T","States":{
	"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"reject"},"Catch":[{"ErrorEquals":["States.ALL"],"Next":"F"}],"End":true},
	"F":{"Type":"Fail","Error":"Rejected","Cause":"no"}}}`

func TestExecutionLogging(t *testing.T) {
	logs := &memLogs{}
	_, c := newTestService(t, Options{Logs: logs, Lambda: &fakeLambda{fn: lambdaBehaviour}})

	all := createMachine(t, c, "log-all", "EXPRESS", passDef, loggingTo("/sfn/all", types.LogLevelAll, true))
	out := syncRun(t, c, all, `{"secret":"s"}`)
	rs := records(t, logs, "/sfn/all")
	want := []string{"ExecutionStarted", "PassStateEntered", "PassStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"}
	if !reflect.DeepEqual(recordTypes(rs), want) {
		t.Fatalf("ALL records = %v", recordTypes(rs))
	}
	first := rs[0]
	if first.ID != "1" || first.PreviousEventID != "0" || first.ExecutionArn != *out.ExecutionArn || first.RedriveCount != "0" || first.EventTimestamp == "" ||
		first.Details["input"] != `{"secret":"s"}` || first.Details["roleArn"] != testRole {
		t.Fatalf("first record = %+v", first)
	}
	if rs[5].Details["output"] == nil || rs[2].Details["name"] != "A" {
		t.Fatalf("records = %+v", rs)
	}

	// Without execution data the payloads are left out.
	nodata := createMachine(t, c, "log-nodata", "EXPRESS", passDef, loggingTo("/sfn/nodata", types.LogLevelAll, false))
	syncRun(t, c, nodata, `{"secret":"s"}`)
	for _, r := range records(t, logs, "/sfn/nodata") {
		for _, f := range []string{"input", "output", "inputDetails", "outputDetails"} {
			if _, ok := r.Details[f]; ok {
				t.Fatalf("record %s kept %s: %+v", r.Type, f, r.Details)
			}
		}
	}

	// ERROR: failures only; FATAL: the execution's end only; OFF: nothing.
	errArn := createMachine(t, c, "log-error", "EXPRESS", catchDef, loggingTo("/sfn/error", types.LogLevelError, true))
	syncRun(t, c, errArn, `{}`)
	if got := recordTypes(records(t, logs, "/sfn/error")); !reflect.DeepEqual(got, []string{"TaskFailed", "FailStateEntered", "ExecutionFailed"}) {
		t.Fatalf("ERROR records = %v", got)
	}
	fatal := createMachine(t, c, "log-fatal", "EXPRESS", catchDef, loggingTo("/sfn/fatal", types.LogLevelFatal, true))
	syncRun(t, c, fatal, `{}`)
	rs = records(t, logs, "/sfn/fatal")
	if got := recordTypes(rs); !reflect.DeepEqual(got, []string{"ExecutionFailed"}) || rs[0].Details["error"] != "Rejected" {
		t.Fatalf("FATAL records = %v %+v", got, rs)
	}
	ok := createMachine(t, c, "log-fatal-ok", "EXPRESS", passDef, loggingTo("/sfn/fatal-ok", types.LogLevelFatal, true))
	syncRun(t, c, ok, `{}`)
	if n := len(records(t, logs, "/sfn/fatal-ok")); n != 0 {
		t.Fatalf("FATAL logged %d records for a success", n)
	}

	// Standard executions log too, and the level follows UpdateStateMachine.
	std := createMachine(t, c, "log-std", "STANDARD", failDef, loggingTo("/sfn/std", types.LogLevelFatal, false))
	s, err := c.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(std)})
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, c, *s.ExecutionArn)
	if got := recordTypes(records(t, logs, "/sfn/std")); !reflect.DeepEqual(got, []string{"ExecutionFailed"}) {
		t.Fatalf("standard FATAL records = %v", got)
	}
	if _, err := c.UpdateStateMachine(context.Background(), &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(std),
		LoggingConfiguration: &types.LoggingConfiguration{Level: types.LogLevelOff}}); err != nil {
		t.Fatal(err)
	}
	s, _ = c.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(std)})
	waitDone(t, c, *s.ExecutionArn)
	if got := recordTypes(records(t, logs, "/sfn/std")); len(got) != 1 {
		t.Fatalf("logging OFF still logged: %v", got)
	}
}
