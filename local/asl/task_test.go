package asl

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

const lambdaInvoke = "arn:aws:states:::lambda:invoke"

type taskFn = func(context.Context, *TaskRequest, int) (any, error)

func task(fields string) string {
	caught := ""
	if strings.Contains(fields, `"Caught"`) {
		caught = `,"Caught":{"Type":"Pass","End":true}`
	}
	return `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + lambdaInvoke + `",` + fields + `"End":true}` + caught + `}}`
}

func withTasks(fns map[string]taskFn) *recorder { return &recorder{funcs: fns} }

func TestTaskDataFlow(t *testing.T) {
	tasks := withTasks(map[string]taskFn{lambdaInvoke: func(_ context.Context, req *TaskRequest, _ int) (any, error) {
		in := req.Input.(map[string]any)
		return map[string]any{"Payload": map[string]any{"sum": in["a"].(float64) + in["b"].(float64)}, "StatusCode": 200.0}, nil
	}})
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + lambdaInvoke + `","InputPath":"$.args",
	  "Parameters":{"a.$":"$.x","b":2},"ResultSelector":{"total.$":"$.Payload.sum"},"ResultPath":"$.res","OutputPath":"$.res","End":true}}}`
	r := run(t, def, `{"args":{"x":40}}`, tasks)
	r.wantOutput(t, `{"total":42}`)
	req := tasks.reqs[0]
	if req.Resource != lambdaInvoke || req.StateName != "T" || req.ExecutionID == "" || req.TaskToken != "" {
		t.Errorf("request = %+v", req)
	}
	want := []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}
	if got := r.eventTypes(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("events = %v, want %v", got, want)
	}
	for i, e := range r.events {
		if e.ID != int64(i+1) || e.PreviousEventID != int64(i) {
			t.Errorf("event %d: id %d prev %d", i, e.ID, e.PreviousEventID)
		}
	}
	sched := r.events[2].TaskScheduled
	if sched.ResourceType != "lambda" || sched.Resource != "invoke" || sched.Region != "us-east-1" || sched.Parameters != `{"a":40,"b":2}` {
		t.Errorf("TaskScheduled = %+v", sched)
	}
}

func TestTaskCredentials(t *testing.T) {
	tasks := &recorder{}
	run(t, task(`"Credentials":{"RoleArn.$":"$.role"},`), `{"role":"arn:aws:iam::1:role/x"}`, tasks).wantOutput(t, `{"role":"arn:aws:iam::1:role/x"}`)
	if got := compactJSON(tasks.reqs[0].Credentials); got != `{"RoleArn":"arn:aws:iam::1:role/x"}` {
		t.Errorf("Credentials = %s", got)
	}
}

func TestTaskLambdaARNEvents(t *testing.T) {
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:f","End":true}}}`
	r := run(t, def, `{"a":1}`, nil)
	r.wantOutput(t, `{"a":1}`)
	want := "ExecutionStarted,TaskStateEntered,LambdaFunctionScheduled,LambdaFunctionStarted,LambdaFunctionSucceeded,TaskStateExited,ExecutionSucceeded"
	if got := strings.Join(r.eventTypes(), ","); got != want {
		t.Errorf("events = %s", got)
	}
}

func TestTaskErrors(t *testing.T) {
	r := run(t, task(``), `{}`, withTasks(map[string]taskFn{lambdaInvoke: fails("Custom.Error", "it broke")}))
	if ee := r.wantError(t, "Custom.Error"); ee.Cause != "it broke" {
		t.Errorf("cause = %q", ee.Cause)
	}
	r = run(t, task(``), `{}`, withTasks(map[string]taskFn{lambdaInvoke: func(context.Context, *TaskRequest, int) (any, error) {
		return nil, errors.New("plain failure")
	}}))
	if ee := r.wantError(t, ErrTaskFailed); !strings.Contains(ee.Cause, "plain failure") {
		t.Errorf("cause = %q", ee.Cause)
	}
	sm, _ := Parse([]byte(task(``)))
	_, err := sm.Run(context.Background(), map[string]any{}, RunOptions{Clock: NewFakeClock(t0)})
	var ee *ExecError
	if !errors.As(err, &ee) || ee.ErrorName != ErrTaskFailed {
		t.Errorf("no invoker: err = %v", err)
	}
}

func TestRetry(t *testing.T) {
	// Three failures then success: back-off 1s, 2s, 4s.
	r := run(t, task(`"Retry":[{"ErrorEquals":["E"],"MaxAttempts":3}],`), `{}`, withTasks(map[string]taskFn{lambdaInvoke: failsThen(3, "E", "ok")}))
	r.wantOutput(t, `"ok"`)
	if got := r.clock.Now().Sub(t0); got != 7*time.Second {
		t.Errorf("virtual time spent = %v, want 7s", got)
	}
	if n := r.tasks.calls(lambdaInvoke); n != 4 {
		t.Errorf("calls = %d", n)
	}
	if rc := r.tasks.reqs[3].RetryCount; rc != 3 {
		t.Errorf("RetryCount on the 4th attempt = %d", rc)
	}
	// Exhausted.
	r = run(t, task(`"Retry":[{"ErrorEquals":["E"],"MaxAttempts":2,"IntervalSeconds":3,"BackoffRate":1.5}],`), `{}`, withTasks(map[string]taskFn{lambdaInvoke: fails("E", "x")}))
	r.wantError(t, "E")
	if got := r.clock.Now().Sub(t0); got != 7500*time.Millisecond {
		t.Errorf("virtual time = %v, want 7.5s", got)
	}
	// MaxDelaySeconds caps the back-off.
	r = run(t, task(`"Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":4,"IntervalSeconds":10,"BackoffRate":3,"MaxDelaySeconds":20}],`), `{}`, withTasks(map[string]taskFn{lambdaInvoke: fails("E", "x")}))
	r.wantError(t, "E")
	if got := r.clock.Now().Sub(t0); got != 70*time.Second { // 10 + 20 + 20 + 20
		t.Errorf("virtual time = %v, want 70s", got)
	}
	// MaxAttempts 0 never retries; non-matching errors are not retried.
	r = run(t, task(`"Retry":[{"ErrorEquals":["E"],"MaxAttempts":0}],`), `{}`, withTasks(map[string]taskFn{lambdaInvoke: fails("E", "x")}))
	r.wantError(t, "E")
	if n := r.tasks.calls(lambdaInvoke); n != 1 {
		t.Errorf("calls = %d", n)
	}
	r = run(t, task(`"Retry":[{"ErrorEquals":["Other"]}],`), `{}`, withTasks(map[string]taskFn{lambdaInvoke: fails("E", "x")}))
	r.wantError(t, "E")
	if n := r.tasks.calls(lambdaInvoke); n != 1 {
		t.Errorf("calls = %d", n)
	}
	// The first matching retrier decides, even when exhausted.
	r = run(t, task(`"Retry":[{"ErrorEquals":["E"],"MaxAttempts":1},{"ErrorEquals":["States.ALL"],"MaxAttempts":5}],`), `{}`, withTasks(map[string]taskFn{lambdaInvoke: fails("E", "x")}))
	r.wantError(t, "E")
	if n := r.tasks.calls(lambdaInvoke); n != 2 {
		t.Errorf("calls = %d, want 2", n)
	}
	// States.ALL does not retry States.Runtime.
	r = run(t, task(`"Parameters":{"x.$":"$.missing"},"Retry":[{"ErrorEquals":["States.ALL"]}],`), `{}`, nil)
	r.wantError(t, ErrRuntime)
}

func TestCatch(t *testing.T) {
	r := run(t, task(`"Catch":[{"ErrorEquals":["Nope"],"Next":"Caught"},{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Caught"}],`), `{"in":1}`,
		withTasks(map[string]taskFn{lambdaInvoke: fails("E", "why")}))
	r.wantOutput(t, `{"in":1,"err":{"Error":"E","Cause":"why"}}`)
	r = run(t, task(`"Catch":[{"ErrorEquals":["E"],"Next":"Caught"}],`), `{"in":1}`, withTasks(map[string]taskFn{lambdaInvoke: fails("E", "why")}))
	r.wantOutput(t, `{"Error":"E","Cause":"why"}`)
	// Catch output is not subject to OutputPath.
	r = run(t, task(`"OutputPath":"$.x","Catch":[{"ErrorEquals":["E"],"ResultPath":null,"Next":"Caught"}],`), `{"in":1}`, withTasks(map[string]taskFn{lambdaInvoke: fails("E", "why")}))
	r.wantOutput(t, `{"in":1}`)
	// States.ALL does not catch States.Runtime.
	run(t, task(`"Parameters":{"x.$":"$.missing"},"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],`), `{}`, nil).wantError(t, ErrRuntime)
	// States.TaskFailed matches task errors but not States.Timeout.
	r = run(t, task(`"Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"Caught"}],`), `{}`, withTasks(map[string]taskFn{lambdaInvoke: fails("Lambda.Unknown", "c")}))
	r.wantOutput(t, `{"Error":"Lambda.Unknown","Cause":"c"}`)
	r = run(t, task(`"Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"Caught"}],`), `{}`, withTasks(map[string]taskFn{lambdaInvoke: fails(ErrTimeout, "c")}))
	r.wantError(t, ErrTimeout)
	// ResultPathMatchFailure can be caught.
	r = run(t, task(`"ResultPath":"$.a.b","Catch":[{"ErrorEquals":["States.ResultPathMatchFailure"],"Next":"Caught"}],`), `{"a":"s"}`, nil)
	r.wantOutput(t, `{"Error":"States.ResultPathMatchFailure","Cause":`+jsonString(r.out, "Cause")+`}`)
	// Retry then catch.
	r = run(t, task(`"Retry":[{"ErrorEquals":["E"],"MaxAttempts":1}],"Catch":[{"ErrorEquals":["E"],"ResultPath":"$.e","Next":"Caught"}],`), `{}`, withTasks(map[string]taskFn{lambdaInvoke: fails("E", "x")}))
	r.wantOutput(t, `{"e":{"Error":"E","Cause":"x"}}`)
	if n := r.tasks.calls(lambdaInvoke); n != 2 {
		t.Errorf("calls = %d", n)
	}
}

func jsonString(v any, key string) string {
	m, _ := v.(map[string]any)
	return compactJSON(m[key])
}

func TestTaskTimeouts(t *testing.T) {
	slow := func(d time.Duration) taskFn {
		return func(ctx context.Context, req *TaskRequest, _ int) (any, error) {
			clock := ctx.Value(clockKey{}).(*FakeClock)
			clock.Advance(d)
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(5 * time.Second):
				return "late", nil
			}
		}
	}
	runWith := func(def string, fn taskFn) (any, error, []string) {
		sm, err := Parse([]byte(def))
		if err != nil {
			t.Fatal(err)
		}
		clock := NewFakeClock(t0)
		ctx := context.WithValue(context.Background(), clockKey{}, clock)
		var types []string
		out, err := sm.Run(ctx, map[string]any{"t": 5.0}, RunOptions{Tasks: withTasks(map[string]taskFn{lambdaInvoke: fn}), Clock: clock, History: func(e Event) { types = append(types, e.Type) }})
		return out, err, types
	}
	_, err, types := runWith(task(`"TimeoutSeconds":5,`), slow(6*time.Second))
	var ee *ExecError
	if !errors.As(err, &ee) || ee.ErrorName != ErrTimeout || ee.ExecutionTimedOut() {
		t.Fatalf("err = %v, want States.Timeout", err)
	}
	if !strings.Contains(strings.Join(types, ","), "TaskTimedOut") {
		t.Errorf("events = %v", types)
	}
	_, err, _ = runWith(task(`"TimeoutSecondsPath":"$.t",`), slow(6*time.Second))
	if !errors.As(err, &ee) || ee.ErrorName != ErrTimeout {
		t.Fatalf("TimeoutSecondsPath: err = %v", err)
	}
	// A missed heartbeat fails with States.Timeout (and no cause), in the
	// TaskTimedOut event and in the execution's error.
	_, err, types = runWith(task(`"TimeoutSeconds":10,"HeartbeatSeconds":3,`), slow(4*time.Second))
	if !errors.As(err, &ee) || ee.ErrorName != ErrTimeout || ee.Cause != "" || ee.ExecutionTimedOut() {
		t.Fatalf("heartbeat: err = %v, want States.Timeout without a cause", err)
	}
	if !strings.Contains(strings.Join(types, ","), "TaskTimedOut") {
		t.Errorf("heartbeat events = %v", types)
	}
	// Heartbeats keep the task alive.
	beating := func(ctx context.Context, req *TaskRequest, _ int) (any, error) {
		clock := ctx.Value(clockKey{}).(*FakeClock)
		for i := 0; i < 3; i++ {
			req.Heartbeat()
			time.Sleep(time.Millisecond)
			clock.Advance(2 * time.Second)
		}
		return "done", nil
	}
	out, err, _ := runWith(task(`"TimeoutSeconds":100,"HeartbeatSeconds":3,`), beating)
	if err != nil || out != "done" {
		t.Fatalf("beating task: %v %v", out, err)
	}
	// A timeout is caught by States.Timeout and by States.ALL.
	out, err, _ = runWith(task(`"TimeoutSeconds":1,"Catch":[{"ErrorEquals":["States.Timeout"],"Next":"Caught"}],`), slow(2*time.Second))
	if err != nil || out.(map[string]any)["Error"] != ErrTimeout {
		t.Fatalf("caught timeout: %v %v", out, err)
	}
	// ErrorEquals States.HeartbeatTimeout catches a missed heartbeat, whose
	// error name is still States.Timeout, but not a plain timeout.
	out, err, _ = runWith(task(`"TimeoutSeconds":10,"HeartbeatSeconds":3,"Catch":[{"ErrorEquals":["States.HeartbeatTimeout"],"Next":"Caught"}],`), slow(4*time.Second))
	if err != nil || out.(map[string]any)["Error"] != ErrTimeout {
		t.Fatalf("caught heartbeat timeout: %v %v", out, err)
	}
	_, err, _ = runWith(task(`"TimeoutSeconds":1,"Catch":[{"ErrorEquals":["States.HeartbeatTimeout"],"Next":"Caught"}],`), slow(2*time.Second))
	if !errors.As(err, &ee) || ee.ErrorName != ErrTimeout {
		t.Fatalf("a plain timeout was caught by States.HeartbeatTimeout: %v", err)
	}
	// States.TaskFailed does not catch a missed heartbeat.
	_, err, _ = runWith(task(`"TimeoutSeconds":10,"HeartbeatSeconds":3,"Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"Caught"}],`), slow(4*time.Second))
	if !errors.As(err, &ee) || ee.ErrorName != ErrTimeout {
		t.Fatalf("States.TaskFailed caught a heartbeat timeout: %v", err)
	}
	// Fast tasks finish under a timeout.
	out, err, _ = runWith(task(`"TimeoutSeconds":5,`), func(context.Context, *TaskRequest, int) (any, error) { return 1.0, nil })
	if err != nil || out != 1.0 {
		t.Fatalf("fast task: %v %v", out, err)
	}
}

func TestWaitForTaskToken(t *testing.T) {
	res := "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + res + `","Parameters":{"token.$":"$$.Task.Token"},"End":true}}}`
	tasks := withTasks(map[string]taskFn{res: func(_ context.Context, req *TaskRequest, _ int) (any, error) {
		tok := req.Input.(map[string]any)["token"]
		if tok != req.TaskToken || req.TaskToken == "" {
			return nil, NewError("BadToken", "token mismatch")
		}
		return map[string]any{"approved": true}, nil
	}})
	r := run(t, def, `{}`, tasks)
	r.wantOutput(t, `{"approved":true}`)
	svc, action, pattern := tasks.reqs[0].Service()
	if svc != "sqs" || action != "sendMessage" || pattern != "waitForTaskToken" {
		t.Errorf("Service() = %q %q %q", svc, action, pattern)
	}
	if s := r.events[2].TaskScheduled; s.ResourceType != "sqs" || s.Resource != "sendMessage.waitForTaskToken" {
		t.Errorf("TaskScheduled = %+v", s)
	}
}

func TestSplitResource(t *testing.T) {
	cases := []struct{ res, svc, action, pattern string }{
		{"arn:aws:states:::lambda:invoke", "lambda", "invoke", ""},
		{"arn:aws:states:::states:startExecution.sync:2", "states", "startExecution", "sync:2"},
		{"arn:aws:states:::aws-sdk:s3:getObject", "aws-sdk:s3", "getObject", ""},
		{"arn:aws:states:::events:putEvents.waitForTaskToken", "events", "putEvents", "waitForTaskToken"},
		{"arn:aws:lambda:us-east-1:1:function:f", "", "", ""},
	}
	for _, c := range cases {
		s, a, p := splitResource(c.res)
		if s != c.svc || a != c.action || p != c.pattern {
			t.Errorf("splitResource(%s) = %q %q %q", c.res, s, a, p)
		}
	}
}

func TestHeartbeatSecondsPath(t *testing.T) {
	def := task(`"TimeoutSeconds":600,"HeartbeatSecondsPath":"$.hb",`)
	sm, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	var gotInterval time.Duration
	silent := func(ctx context.Context, req *TaskRequest, _ int) (any, error) {
		gotInterval = req.HeartbeatInterval
		ctx.Value(clockKey{}).(*FakeClock).Advance(6 * time.Second)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	clock := NewFakeClock(t0)
	ctx := context.WithValue(context.Background(), clockKey{}, clock)
	var events []Event
	_, err = sm.Run(ctx, map[string]any{"hb": 5.0}, RunOptions{Tasks: withTasks(map[string]taskFn{lambdaInvoke: silent}), Clock: clock, History: func(e Event) { events = append(events, e) }})
	var ee *ExecError
	if !errors.As(err, &ee) || ee.ErrorName != ErrTimeout || ee.Cause != "" {
		t.Fatalf("err = %v, want States.Timeout without a cause", err)
	}
	if gotInterval != 5*time.Second {
		t.Errorf("HeartbeatInterval = %v, want 5s from the input", gotInterval)
	}
	var sched *TaskScheduledDetails
	var timedOut *TaskDetails
	var failed *ErrorDetails
	for _, e := range events {
		switch {
		case e.TaskScheduled != nil:
			sched = e.TaskScheduled
		case e.TaskTimedOut != nil:
			timedOut = e.TaskTimedOut
		case e.ExecutionFailed != nil:
			failed = e.ExecutionFailed
		}
	}
	if sched == nil || sched.HeartbeatInSeconds != 5 || sched.TimeoutInSeconds != 600 {
		t.Errorf("TaskScheduled = %+v, want heartbeat 5 and timeout 600", sched)
	}
	if timedOut == nil || timedOut.Error != ErrTimeout || timedOut.Cause != "" {
		t.Errorf("TaskTimedOut = %+v, want States.Timeout without a cause", timedOut)
	}
	if failed == nil || failed.Error != ErrTimeout || failed.Cause != "" {
		t.Errorf("ExecutionFailed = %+v, want States.Timeout without a cause", failed)
	}
}

func TestPanicFailsTheExecution(t *testing.T) {
	panics := withTasks(map[string]taskFn{lambdaInvoke: func(context.Context, *TaskRequest, int) (any, error) {
		panic("boom in the invoker")
	}})
	branch := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + lambdaInvoke + `","End":true}}}`
	cases := map[string]string{
		// On the execution's own goroutine.
		"task": task(`"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],`),
		// On the goroutine that enforces a timeout.
		"task with a timeout": task(`"TimeoutSeconds":30,`),
		// On a branch goroutine.
		"parallel": `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[` + branch + `,` + strings.ReplaceAll(branch, `"T"`, `"T2"`) + `],"End":true}}}`,
		// On a Map worker goroutine.
		"map": `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":` + branch + `,"End":true}}}`,
	}
	for name, def := range cases {
		t.Run(name, func(t *testing.T) {
			r := run(t, def, `{"items":[1,2,3]}`, panics)
			ee := r.wantError(t, ErrRuntime)
			if !strings.Contains(ee.Cause, "boom in the invoker") {
				t.Errorf("cause = %q, want the panic value", ee.Cause)
			}
			if !strings.Contains(string(ee.PanicStack()), "goroutine") {
				t.Errorf("PanicStack() = %q, want a stack", ee.PanicStack())
			}
			types := r.eventTypes()
			if len(types) == 0 || types[len(types)-1] != "ExecutionFailed" {
				t.Errorf("events = %v, want ExecutionFailed last", types)
			}
		})
	}
	// A task error that is not a panic has no stack.
	ee := run(t, task(""), `{}`, withTasks(map[string]taskFn{lambdaInvoke: fails("E", "c")})).wantError(t, "E")
	if ee.PanicStack() != nil {
		t.Errorf("PanicStack() of a plain error = %q", ee.PanicStack())
	}
}

func TestRetryJitter(t *testing.T) {
	def := task(`"Retry":[{"ErrorEquals":["E"],"MaxAttempts":5,"IntervalSeconds":2,"BackoffRate":1,"JitterStrategy":"FULL"}],`)
	sm, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	// waited runs the machine and returns the virtual time its retries took.
	waited := func(src rand.Source) time.Duration {
		clock := NewFakeClock(t0)
		_, err := sm.Run(context.Background(), map[string]any{}, RunOptions{Clock: clock, Rand: src, Tasks: withTasks(map[string]taskFn{lambdaInvoke: fails("E", "x")})})
		var ee *ExecError
		if !errors.As(err, &ee) || ee.ErrorName != "E" {
			t.Fatalf("err = %v, want E after the retries", err)
		}
		return clock.Now().Sub(t0)
	}
	const unjittered = 10 * time.Second // 5 retries of 2 s
	got := waited(rand.NewPCG(1, 2))
	// Each back-off is the 2 s interval scaled by the next draw of the
	// source.
	want := time.Duration(0)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5; i++ {
		want += secondsDuration(r.Float64() * 2)
	}
	if got != want {
		t.Errorf("jittered time = %v, want %v from the seeded source", got, want)
	}
	if got >= unjittered {
		t.Errorf("jittered time = %v, want below the un-jittered %v", got, unjittered)
	}
	if again := waited(rand.NewPCG(1, 2)); again != got {
		t.Errorf("same seed: %v then %v", got, again)
	}
	if other := waited(rand.NewPCG(3, 4)); other == got {
		t.Errorf("another seed gave the same time %v", other)
	}
	// Without a source each run draws from its own.
	if a, b := waited(nil), waited(nil); a >= unjittered || b >= unjittered || a == b {
		t.Errorf("default source: %v and %v, want two different times below %v", a, b, unjittered)
	}
}

func TestTaskSubmitted(t *testing.T) {
	const syncRes = "arn:aws:states:::states:startExecution.sync:2"
	var late func(any)
	tasks := withTasks(map[string]taskFn{syncRes: func(_ context.Context, req *TaskRequest, _ int) (any, error) {
		req.Submitted(map[string]any{"ExecutionArn": "arn:child", "StartDate": 1.0})
		req.Submitted(map[string]any{"ExecutionArn": "again"}) // ignored
		late = req.Submitted
		return map[string]any{"Status": "SUCCEEDED"}, nil
	}})
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + syncRes + `","Parameters":{"StateMachineArn":"arn:m"},"End":true}}}`
	r := run(t, def, `{}`, tasks)
	r.wantOutput(t, `{"Status":"SUCCEEDED"}`)
	want := []string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}
	if got := r.eventTypes(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("events = %v, want %v", got, want)
	}
	sub := r.events[4]
	if d := sub.TaskSubmitted; d == nil || d.ResourceType != "states" || d.Resource != "startExecution.sync:2" ||
		d.Output != `{"ExecutionArn":"arn:child","StartDate":1}` || d.OutputDetails.IsZero() || sub.PreviousEventID != r.events[3].ID {
		t.Fatalf("TaskSubmitted = %+v (event %+v)", d, sub)
	}
	// After the attempt, the callback adds nothing.
	sm, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	var events []Event
	if _, err := sm.Run(context.Background(), map[string]any{}, RunOptions{Tasks: tasks, Clock: NewFakeClock(t0), History: func(e Event) { events = append(events, e) }}); err != nil {
		t.Fatal(err)
	}
	n := len(events)
	late(map[string]any{"late": true})
	if len(events) != n {
		t.Errorf("a call after the attempt ended added %v", events[n:])
	}
	// A task that is neither .sync nor .waitForTaskToken gets no event.
	plain := withTasks(map[string]taskFn{lambdaInvoke: func(_ context.Context, req *TaskRequest, _ int) (any, error) {
		req.Submitted(map[string]any{"x": 1.0})
		return 1.0, nil
	}})
	r = run(t, task(""), `{}`, plain)
	if got := strings.Join(r.eventTypes(), ","); strings.Contains(got, "TaskSubmitted") {
		t.Errorf("plain task events = %s", got)
	}
}
