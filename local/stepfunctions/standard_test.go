package stepfunctions

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/dragons-dev/dragons/local/asl"
)

// manualClock is a virtual clock that moves only when the test advances it:
// unlike asl.FakeClock, SleepUntil waits for the clock to get there, so
// waiting executions stay waiting.
type manualClock struct{ fc *asl.FakeClock }

func newManualClock(t time.Time) *manualClock { return &manualClock{fc: asl.NewFakeClock(t)} }

func (c *manualClock) Now() time.Time                              { return c.fc.Now() }
func (c *manualClock) Timer(t time.Time) (<-chan struct{}, func()) { return c.fc.Timer(t) }
func (c *manualClock) Advance(d time.Duration)                     { c.fc.Advance(d) }
func (c *manualClock) SleepUntil(ctx context.Context, t time.Time) error {
	ch, stop := c.fc.Timer(t)
	defer stop()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// isParked reports whether the execution waits in a Wait state without an
// engine running for it.
func isParked(svc *Service, arn string) bool {
	ex, err := svc.lookupExecution(arn)
	if err != nil {
		return false
	}
	ex.mu.Lock()
	defer ex.mu.Unlock()
	return ex.parked != nil && ex.cancel == nil
}

// isQueued reports whether the execution is parked and queued to wake.
func isQueued(svc *Service, arn string) bool {
	ex, err := svc.lookupExecution(arn)
	if err != nil {
		return false
	}
	ex.mu.Lock()
	p := ex.parked
	ex.mu.Unlock()
	if p == nil {
		return false
	}
	svc.wakeups.mu.Lock()
	defer svc.wakeups.mu.Unlock()
	return p.index >= 0
}

// eventTypes lists an execution's history event types, checking that ids
// count up from 1 and each event follows the previous one.
func eventTypes(t testing.TB, c *sfn.Client, arn string) string {
	t.Helper()
	h, err := c.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for i, e := range h.Events {
		if e.Id != int64(i+1) || (i > 0 && e.PreviousEventId != int64(i)) {
			t.Errorf("event %d (%s) has id %d, previous %d", i, e.Type, e.Id, e.PreviousEventId)
		}
		types = append(types, string(e.Type))
	}
	return strings.Join(types, ",")
}

// sleeperDef assigns a variable, waits Seconds and then reports the
// variable, the wait's input and the execution input.
const sleeperDef = `{"StartAt":"Set","States":{
 "Set":{"Type":"Pass","Assign":{"who":"dragon"},"Result":{"step":1},"ResultPath":"$.set","Next":"Sleep"},
 "Sleep":{"Type":"Wait","Seconds":60,"Next":"Report"},
 "Report":{"Type":"Pass","Parameters":{"who.$":"$who","step.$":"$.set.step","name.$":"$$.Execution.Input.name"},"End":true}}}`

// waitedHistory is the history of a sleeperDef execution that waited and
// succeeded.
const waitedHistory = "ExecutionStarted,PassStateEntered,PassStateExited,WaitStateEntered,WaitStateExited,PassStateEntered,PassStateExited,ExecutionSucceeded"

func TestStandardExecutionParksInWaitState(t *testing.T) {
	ctx := context.Background()
	clock := newManualClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	logs, tracer := &memLogs{}, &fakeTracer{}
	svc, c := newTestService(t, Options{Clock: clock, Logs: logs, Tracer: tracer})
	arn := createMachine(t, c, "sleeper", "STANDARD", sleeperDef, loggingTo("/sleepers", types.LogLevelAll, true), func(in *sfn.CreateStateMachineInput) {
		in.TracingConfiguration = &types.TracingConfiguration{Enabled: true}
	})
	s, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"name":"Smaug"}`),
		TraceHeader: aws.String("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return isQueued(svc, *s.ExecutionArn) })
	if n := svc.wakeups.len(); n != 1 {
		t.Fatalf("%d executions queued to wake, want 1", n)
	}
	d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: s.ExecutionArn})
	if err != nil || d.Status != types.ExecutionStatusRunning {
		t.Fatalf("parked execution = %+v, %v", d, err)
	}
	if got := eventTypes(t, c, *s.ExecutionArn); got != "ExecutionStarted,PassStateEntered,PassStateExited,WaitStateEntered" {
		t.Fatalf("history while parked = %s", got)
	}
	if len(tracer.Segments()) != 0 {
		t.Fatal("a segment was recorded before the execution ended")
	}

	clock.Advance(60 * time.Second)
	d = waitDone(t, c, *s.ExecutionArn)
	if d.Status != types.ExecutionStatusSucceeded || *d.Output != `{"name":"Smaug","step":1,"who":"dragon"}` {
		t.Fatalf("after the wait = %s %s", d.Status, aws.ToString(d.Output))
	}
	if got := eventTypes(t, c, *s.ExecutionArn); got != waitedHistory {
		t.Fatalf("history = %s", got)
	}
	// One log stream and one segment for the whole execution.
	streams := logs.Streams()
	if len(streams) != 1 {
		t.Fatalf("log streams = %v", streams)
	}
	for _, n := range streams {
		if n != 8 {
			t.Fatalf("%d log records, want 8", n)
		}
	}
	segs := tracer.Segments()
	if len(segs) != 1 || segs[0].TraceID != "1-5759e988-bd862e3fe1be46a994272793" || segs[0].ParentID != "53995c3f42cd8ad8" || segs[0].Error {
		t.Fatalf("segments = %+v", segs)
	}
	if svc.wakeups.len() != 0 {
		t.Fatal("the wake-up queue is not empty")
	}
}

func TestParkedExecutionStopsAndTimesOut(t *testing.T) {
	ctx := context.Background()
	clock := newManualClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	svc, c := newTestService(t, Options{Clock: clock})
	arn := createMachine(t, c, "sleeper", "STANDARD", sleeperDef)
	s, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(`{"name":"a"}`)})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return isQueued(svc, *s.ExecutionArn) })
	out, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: s.ExecutionArn, Error: aws.String("Halt"), Cause: aws.String("no more")})
	if err != nil || !time.Time(*out.StopDate).Equal(clock.Now().Truncate(time.Millisecond)) {
		t.Fatalf("stop = %+v, %v", out, err)
	}
	d, _ := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: s.ExecutionArn})
	if d.Status != types.ExecutionStatusAborted || *d.Error != "Halt" || *d.Cause != "no more" {
		t.Fatalf("stopped = %+v", d)
	}
	if got := eventTypes(t, c, *s.ExecutionArn); got != "ExecutionStarted,PassStateEntered,PassStateExited,WaitStateEntered,WaitStateAborted,ExecutionAborted" {
		t.Fatalf("history = %s", got)
	}
	if svc.wakeups.len() != 0 {
		t.Fatal("a stopped execution is still queued")
	}
	h, _ := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: s.ExecutionArn, ReverseOrder: true, MaxResults: 1})
	if det := h.Events[0].ExecutionAbortedEventDetails; det == nil || *det.Error != "Halt" || *det.Cause != "no more" {
		t.Fatalf("ExecutionAborted details = %+v", det)
	}

	// The machine's TimeoutSeconds ends a parked execution before its wait does.
	tarn := createMachine(t, c, "short", "STANDARD", `{"TimeoutSeconds":10,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`)
	s, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(tarn)})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return isQueued(svc, *s.ExecutionArn) })
	clock.Advance(10 * time.Second)
	d = waitDone(t, c, *s.ExecutionArn)
	if d.Status != types.ExecutionStatusTimedOut || *d.Error != "States.Timeout" {
		t.Fatalf("timed out = %+v", d)
	}
	if got := eventTypes(t, c, *s.ExecutionArn); !strings.HasSuffix(got, "ExecutionTimedOut") {
		t.Fatalf("history = %s", got)
	}
}

func TestParkedExecutionResumesAfterRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	logs := &memLogs{}
	svc, c := newTestService(t, Options{DataDir: dir, Clock: newManualClock(t0), Logs: logs})
	arn := createMachine(t, c, "sleeper", "STANDARD", sleeperDef, loggingTo("/sleepers", types.LogLevelAll, true))
	var started []string
	for _, name := range []string{"Smaug", "Fafnir"} {
		s, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String(name), Input: aws.String(`{"name":"` + name + `"}`)})
		if err != nil {
			t.Fatal(err)
		}
		started = append(started, *s.ExecutionArn)
		waitFor(t, func() bool { return isParked(svc, *s.ExecutionArn) })
	}
	// The running revision is kept: an update does not change a waiting
	// execution, before or after the restart.
	if _, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(arn),
		Definition: aws.String(strings.Replace(sleeperDef, `"who.$":"$who"`, `"who.$":"$who","updated":true`, 1))}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	var rec execRecord
	b, err := readFile(dir, "executions/sleeper/Smaug.json")
	if err != nil || json.Unmarshal(b, &rec) != nil || rec.Status != StatusRunning || rec.Parked == nil || rec.Parked.State != "Sleep" {
		t.Fatalf("record of a parked execution = %s, %v", b, err)
	}

	// Restart 30 s later, holding recovery: still waiting.
	clock := newManualClock(t0.Add(30 * time.Second))
	svc2, c2 := newTestService(t, Options{DataDir: dir, Clock: clock, Logs: logs, HoldRecovery: true})
	for _, a := range started {
		if !isParked(svc2, a) {
			t.Fatalf("%s is not parked after the restart", a)
		}
	}
	svc2.Recover()
	if n := svc2.wakeups.len(); n != 2 {
		t.Fatalf("%d executions queued after Recover, want 2", n)
	}
	clock.Advance(30 * time.Second)
	for i, a := range started {
		d := waitDone(t, c2, a)
		want := map[string]any{"name": []string{"Smaug", "Fafnir"}[i], "step": 1.0, "who": "dragon"}
		if d.Status != types.ExecutionStatusSucceeded || mustJSON(asJSON(t, *d.Output)) != mustJSON(want) {
			t.Fatalf("%s after the restart = %s %s", a, d.Status, aws.ToString(d.Output))
		}
		if got := eventTypes(t, c2, a); got != waitedHistory {
			t.Fatalf("history = %s", got)
		}
	}
	// Each execution kept its log stream across the restart.
	streams := logs.Streams()
	if len(streams) != 2 {
		t.Fatalf("log streams = %v", streams)
	}
	// A restart after they ended finds nothing to resume.
	if err := svc2.Close(); err != nil {
		t.Fatal(err)
	}
	svc3, c3 := newTestService(t, Options{DataDir: dir, Clock: clock})
	if svc3.wakeups.len() != 0 {
		t.Fatal("ended executions were queued")
	}
	if d := waitDone(t, c3, started[0]); d.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("after another restart: %s", d.Status)
	}
}

func readFile(dir, rel string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, rel)) }
