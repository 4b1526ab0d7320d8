package stepfunctions

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/dragons-dev/dragons/local/asl"
)

// A panic must fail one execution, not the process that hosts every local
// service. The engine already turns a panic of its own, or of an
// integration it calls, into a States.Runtime failure (asl.ExecError's
// PanicStack); the functions here log those, and catch a panic in the
// service's own code around the engine (recording, tracing, logging).

// panicCause is the cause of an execution failed by a panic.
func panicCause(r any) string { return fmt.Sprintf("An internal error occurred: panic: %v", r) }

// logEnginePanic logs, with its stack, a panic the engine turned into the
// execution's error.
func (s *Service) logEnginePanic(arn string, err error) {
	var ee *asl.ExecError
	if errors.As(err, &ee) && ee.PanicStack() != nil {
		s.log.Error("execution failed by a panic", "arn", arn, "cause", ee.Cause, "stack", string(ee.PanicStack()))
	}
}

// recoverStandard is deferred by a Standard execution's goroutine: after a
// panic it logs the stack and, unless the execution had already ended,
// ends it FAILED with States.Runtime and an ExecutionFailed event.
func (s *Service) recoverStandard(ex *execution) {
	r := recover()
	if r == nil {
		return
	}
	cause := panicCause(r)
	s.log.Error("execution failed by a panic", "arn", ex.ARN, "cause", cause, "stack", string(debug.Stack()))
	select {
	case <-ex.done:
		return // it had ended before the panic
	default:
	}
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("cannot record the execution failed by a panic", "arn", ex.ARN, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	now := s.clock.Now().UTC()
	ex.mu.Lock()
	appendFailed(ex, now, cause)
	ex.parked = nil
	ex.mu.Unlock()
	s.finish(ex, runResult{status: StatusFailed, err: asl.ErrRuntime, cause: cause, stop: now})
}

// recoverExpress is deferred by an Express execution's goroutine: after a
// panic it logs the stack and takes the execution out of the journal, so
// that a restart does not run it (and panic) again.
func (s *Service) recoverExpress(sp *runSpec) {
	r := recover()
	if r == nil {
		return
	}
	s.log.Error("execution failed by a panic", "arn", sp.arn, "cause", panicCause(r), "stack", string(debug.Stack()))
	if s.journal != nil {
		s.journal.ended(sp.arn)
	}
}

// terminalEvents are the event types that end an execution's history.
var terminalEvents = map[string]bool{"ExecutionSucceeded": true, "ExecutionFailed": true, "ExecutionAborted": true, "ExecutionTimedOut": true}

// appendFailed makes ExecutionFailed the last event of the history: it is
// appended, or replaces the terminal event of the engine run the panic
// followed (the execution is reported FAILED, so its history says so). The
// caller holds ex.mu.
func appendFailed(ex *execution, at time.Time, cause string) {
	failed := asl.Event{Timestamp: at, Type: "ExecutionFailed", ExecutionFailed: &asl.ErrorDetails{Error: asl.ErrRuntime, Cause: cause}}
	if n := len(ex.live); n > 0 {
		last := ex.live[n-1]
		if terminalEvents[last.Type] {
			failed.ID, failed.PreviousEventID = last.ID, last.PreviousEventID
			ex.live[n-1] = failed
			return
		}
		failed.ID, failed.PreviousEventID = last.ID+1, last.ID
		ex.live = append(ex.live, failed)
		return
	}
	var last struct {
		ID   int64  `json:"id"`
		Type string `json:"type"`
	}
	if n := len(ex.history); n > 0 {
		_ = json.Unmarshal(ex.history[n-1], &last)
	}
	if terminalEvents[last.Type] {
		return
	}
	failed.ID, failed.PreviousEventID = last.ID+1, last.ID
	ex.live = append(ex.live, failed)
}
