package asl

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// TaskInvoker runs Task states. The engine calls it with the resource ARN
// from the definition and the effective input (Parameters or Arguments);
// it returns the task's result, or an error. Returning an *ExecError fails
// the task with that error name and cause (for example a Lambda function's
// errorType); any other error fails it with States.TaskFailed.
//
// Implementations must not modify req.Input: values are shared. Results
// may be any JSON-encodable Go value; the engine converts what is not in
// encoding/json's decoded shape.
type TaskInvoker interface {
	InvokeTask(ctx context.Context, req *TaskRequest) (any, error)
}

// TaskFunc adapts a function to TaskInvoker.
type TaskFunc func(ctx context.Context, req *TaskRequest) (any, error)

// InvokeTask calls f.
func (f TaskFunc) InvokeTask(ctx context.Context, req *TaskRequest) (any, error) { return f(ctx, req) }

// TaskRequest describes one attempt of a Task state.
type TaskRequest struct {
	Resource    string // as written in the definition, e.g. arn:aws:states:::lambda:invoke
	Input       any    // the effective Parameters/Arguments; read-only
	StateName   string
	Credentials any // the state's Credentials field, if any
	// Timeout and HeartbeatInterval are the state's TimeoutSeconds and
	// HeartbeatSeconds (0 when not set). The engine enforces both: it
	// cancels ctx and fails the task with States.Timeout (a missed
	// heartbeat too, as Step Functions does; ErrorEquals
	// ["States.HeartbeatTimeout"] matches only the latter).
	Timeout           time.Duration
	HeartbeatInterval time.Duration
	// TaskToken is set for ".waitForTaskToken" resources; it is also in the
	// context object as $$.Task.Token. The invoker returns when the token's
	// callback (SendTaskSuccess/SendTaskFailure) arrives.
	TaskToken string
	// Heartbeat records a heartbeat (SendTaskHeartbeat) for the running task.
	Heartbeat func()
	// Submitted records, for a ".sync" or ".waitForTaskToken" task, that
	// the service accepted the request (the child execution started, the
	// message carrying the token was sent): the history gets a
	// TaskSubmitted event with output, the service's response. Calls after
	// the first, or after the attempt ended, are ignored. It is never nil.
	Submitted func(output any)
	// Execution and state machine identity, for integrations that need it.
	ExecutionID  string
	StateMachine string
	RetryCount   int
}

// Service returns the service and action of an optimized integration ARN
// ("arn:aws:states:::sqs:sendMessage" gives "sqs", "sendMessage"; the
// ".sync" / ".waitForTaskToken" suffix is returned in pattern). For an
// "aws-sdk:s3:getObject" resource, service is "aws-sdk:s3". For other ARNs
// (Lambda function ARNs, activities) service is "".
func (r *TaskRequest) Service() (service, action, pattern string) {
	return splitResource(r.Resource)
}

func splitResource(res string) (service, action, pattern string) {
	rest, ok := strings.CutPrefix(res, "arn:aws:states:::")
	if !ok {
		return "", "", ""
	}
	if i := strings.Index(rest, ".waitForTaskToken"); i >= 0 {
		pattern = rest[i+1:]
		rest = rest[:i]
	} else if i := strings.Index(rest, ".sync"); i >= 0 {
		pattern = rest[i+1:]
		rest = rest[:i]
	}
	i := strings.LastIndex(rest, ":")
	if i < 0 {
		return rest, "", pattern
	}
	return rest[:i], rest[i+1:], pattern
}

// resourceEventNames returns the resourceType and resource values of
// Task* history events.
func resourceEventNames(res string) (string, string) {
	svc, action, pattern := splitResource(res)
	if svc == "" {
		return "", res
	}
	if pattern != "" {
		action += "." + pattern
	}
	return svc, action
}

// errNoInvoker is the failure of a Task state run without a TaskInvoker.
var errNoInvoker = errors.New("no task invoker is configured")

func newTaskToken() string {
	return strings.ReplaceAll(uuid.NewString()+uuid.NewString(), "-", "")
}

// invokeTask runs one attempt of the task, enforcing its timeout and
// heartbeat and recording history events.
func (fr *frame) invokeTask(ctx context.Context, st *state, e *evalCtx, in, params any, timeout, heartbeat time.Duration) (any, error) {
	ex := fr.ex
	var creds any
	switch {
	case st.credentials != nil:
		c, err := st.credentials.eval(e, in)
		if err != nil {
			return nil, err
		}
		creds = c
	case st.credentialsQ != nil:
		c, err := st.credentialsQ.eval(ctx, e)
		if err != nil {
			return nil, err
		}
		creds = c
	}
	h := ex.hist
	rtype, rname := resourceEventNames(st.resource)
	if h != nil {
		fr.emitTaskStart(st, rtype, rname, params, timeout, heartbeat)
	}
	if ex.tasks == nil {
		err := failf(ErrTaskFailed, "%v: cannot run resource %s", errNoInvoker, st.resource)
		fr.taskFailedEvent(st, rtype, rname, err, false)
		return nil, err
	}
	req := &TaskRequest{
		Resource:          st.resource,
		Input:             params,
		StateName:         st.name,
		Credentials:       creds,
		Timeout:           timeout,
		HeartbeatInterval: heartbeat,
		TaskToken:         e.token,
		ExecutionID:       ex.info.ID,
		StateMachine:      ex.smInfo.ID,
		RetryCount:        e.retryCount,
	}
	req.Submitted = ignoreSubmitted
	var sub *submission
	if h != nil && (st.sync || st.waitForToken) {
		sub = &submission{fr: fr, st: st, rtype: rtype, rname: rname}
		req.Submitted = sub.submitted
	}
	var result any
	var err error
	timedOut := ""
	if timeout <= 0 && heartbeat <= 0 {
		req.Heartbeat = func() {}
		result, err = ex.tasks.InvokeTask(ctx, req)
	} else {
		result, err, timedOut = fr.invokeWithTimeouts(ctx, req, timeout, heartbeat)
	}
	if sub != nil {
		sub.end() // an invoker still running after a timeout cannot add events
	}
	if timedOut != "" {
		te := failf(ErrTimeout, "Task timed out")
		if timedOut == ErrHeartbeatTimeout {
			// Step Functions fails a missed heartbeat with States.Timeout
			// and no cause; ErrorEquals ["States.HeartbeatTimeout"] still
			// matches it.
			te.Cause = ""
			te.heartbeat = true
		}
		fr.taskFailedEvent(st, rtype, rname, te, true)
		return nil, te
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ee *ExecError
		if !errors.As(err, &ee) {
			ee = failf(ErrTaskFailed, "%v", err)
		}
		fr.taskFailedEvent(st, rtype, rname, ee, false)
		return nil, ee
	}
	if result, err = canonical(result); err != nil {
		te := failf(ErrTaskFailed, "The task result is not JSON: %v", err)
		fr.taskFailedEvent(st, rtype, rname, te, false)
		return nil, te
	}
	if h != nil {
		fr.emitTaskSucceeded(st, rtype, rname, result)
	}
	return result, nil
}

//go:noinline
func (fr *frame) emitTaskStart(st *state, rtype, rname string, params any, timeout, heartbeat time.Duration) {
	h := fr.ex.hist
	ev := Event{}
	switch st.resourceKind {
	case resourceLambda:
		ev.Type = "LambdaFunctionScheduled"
		ev.LambdaFunctionScheduled = &LambdaScheduledDetails{Resource: st.resource, Input: compactJSON(params), InputDetails: notTruncated(), TimeoutInSeconds: int64(timeout / time.Second)}
	case resourceActivity:
		ev.Type = "ActivityScheduled"
		ev.ActivityScheduled = &LambdaScheduledDetails{Resource: st.resource, Input: compactJSON(params), InputDetails: notTruncated(), TimeoutInSeconds: int64(timeout / time.Second), HeartbeatInSeconds: int64(heartbeat / time.Second)}
	default:
		ev.Type = "TaskScheduled"
		ev.TaskScheduled = &TaskScheduledDetails{ResourceType: rtype, Resource: rname, Region: fr.ex.region(), Parameters: compactJSON(params),
			TimeoutInSeconds: int64(timeout / time.Second), HeartbeatInSeconds: int64(heartbeat / time.Second)}
	}
	h.emit(&fr.prev, ev)
	switch st.resourceKind {
	case resourceLambda:
		h.emit(&fr.prev, Event{Type: "LambdaFunctionStarted"})
	case resourceActivity:
		h.emit(&fr.prev, Event{Type: "ActivityStarted"})
	default:
		h.emit(&fr.prev, Event{Type: "TaskStarted", TaskStarted: &TaskDetails{ResourceType: rtype, Resource: rname}})
	}
}

//go:noinline
func (fr *frame) emitTaskSucceeded(st *state, rtype, rname string, result any) {
	h := fr.ex.hist
	out := compactJSON(result)
	switch st.resourceKind {
	case resourceLambda:
		h.emit(&fr.prev, Event{Type: "LambdaFunctionSucceeded", LambdaFunctionSucceeded: &OutputDetails{Output: out, OutputDetails: notTruncated()}})
	case resourceActivity:
		h.emit(&fr.prev, Event{Type: "ActivitySucceeded", ActivitySucceeded: &OutputDetails{Output: out, OutputDetails: notTruncated()}})
	default:
		h.emit(&fr.prev, Event{Type: "TaskSucceeded", TaskSucceeded: &TaskDetails{ResourceType: rtype, Resource: rname, Output: out, OutputDetails: notTruncated()}})
	}
}

//go:noinline
func (fr *frame) taskFailedEvent(st *state, rtype, rname string, ee *ExecError, timedOut bool) {
	h := fr.ex.hist
	if h == nil {
		return
	}
	ed := &ErrorDetails{Error: ee.ErrorName, Cause: ee.Cause}
	switch st.resourceKind {
	case resourceLambda:
		if timedOut {
			h.emit(&fr.prev, Event{Type: "LambdaFunctionTimedOut", LambdaFunctionTimedOut: ed})
		} else {
			h.emit(&fr.prev, Event{Type: "LambdaFunctionFailed", LambdaFunctionFailed: ed})
		}
	case resourceActivity:
		if timedOut {
			h.emit(&fr.prev, Event{Type: "ActivityTimedOut", ActivityTimedOut: ed})
		} else {
			h.emit(&fr.prev, Event{Type: "ActivityFailed", ActivityFailed: ed})
		}
	default:
		td := &TaskDetails{ResourceType: rtype, Resource: rname, Error: ee.ErrorName, Cause: ee.Cause}
		if timedOut {
			h.emit(&fr.prev, Event{Type: "TaskTimedOut", TaskTimedOut: td})
		} else {
			h.emit(&fr.prev, Event{Type: "TaskFailed", TaskFailed: td})
		}
	}
}

func ignoreSubmitted(any) {}

// submission emits the TaskSubmitted event of one task attempt, at most
// once and only while the attempt runs (the invoker may call it from
// another goroutine).
type submission struct {
	mu           sync.Mutex
	done         bool
	fr           *frame
	st           *state
	rtype, rname string
}

func (s *submission) submitted(output any) {
	out, err := canonical(output)
	if err != nil {
		out = nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	s.done = true
	s.fr.ex.hist.emit(&s.fr.prev, Event{Type: "TaskSubmitted", TaskSubmitted: &TaskDetails{ResourceType: s.rtype, Resource: s.rname, Output: compactJSON(out), OutputDetails: notTruncated()}})
}

func (s *submission) end() {
	s.mu.Lock()
	s.done = true
	s.mu.Unlock()
}

type taskOutcome struct {
	result any
	err    error
}

// invokeWithTimeouts runs the invoker on its own goroutine and waits for
// it, the task timeout or a missed heartbeat, in the execution's clock.
func (fr *frame) invokeWithTimeouts(ctx context.Context, req *TaskRequest, timeout, heartbeat time.Duration) (any, error, string) {
	clock := fr.ex.clock
	start := clock.Now()
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	beats := make(chan struct{}, 1)
	req.Heartbeat = func() {
		select {
		case beats <- struct{}{}:
		default:
		}
	}
	done := make(chan taskOutcome, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- taskOutcome{nil, panicError(r)}
			}
		}()
		r, err := fr.ex.tasks.InvokeTask(tctx, req)
		done <- taskOutcome{r, err}
	}()
	var timeoutC <-chan struct{}
	if timeout > 0 {
		c, stop := clock.Timer(start.Add(timeout))
		defer stop()
		timeoutC = c
	}
	var hbC <-chan struct{}
	stopHB := func() {}
	if heartbeat > 0 {
		hbC, stopHB = clock.Timer(start.Add(heartbeat))
	}
	defer func() { stopHB() }()
	// expire ends the wait with the timeout errName, unless the task
	// finished at the same moment.
	expire := func(errName string) (any, error, string) {
		select {
		case o := <-done:
			return o.result, o.err, ""
		default:
		}
		return nil, nil, errName
	}
	for {
		select {
		case o := <-done:
			return o.result, o.err, ""
		case <-timeoutC:
			return expire(ErrTimeout)
		case <-hbC:
			return expire(ErrHeartbeatTimeout)
		case <-beats:
			stopHB()
			hbC, stopHB = clock.Timer(clock.Now().Add(heartbeat))
		case <-ctx.Done():
			return nil, ctx.Err(), ""
		}
	}
}

func secondsDuration(f float64) time.Duration {
	return time.Duration(f * float64(time.Second))
}

func (ex *execution) region() string {
	if ex.opts.Region != "" {
		return ex.opts.Region
	}
	if parts := strings.Split(ex.smInfo.ID, ":"); len(parts) > 3 && parts[3] != "" {
		return parts[3]
	}
	return "us-east-1"
}
