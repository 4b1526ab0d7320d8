package asl

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/dragons-dev/dragons/local/asl/jsonpath"
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func js(t testing.TB, s string) any {
	t.Helper()
	if s == "" {
		return nil
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad JSON %q: %v", s, err)
	}
	return v
}

// recorder is a TaskInvoker that answers from a function per resource and
// records every request.
type recorder struct {
	mu    sync.Mutex
	reqs  []*TaskRequest
	funcs map[string]func(ctx context.Context, req *TaskRequest, n int) (any, error)
}

func (r *recorder) InvokeTask(ctx context.Context, req *TaskRequest) (any, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	n := 0
	for _, q := range r.reqs {
		if q.Resource == req.Resource {
			n++
		}
	}
	f := r.funcs[req.Resource]
	r.mu.Unlock()
	if f == nil {
		return req.Input, nil // echo
	}
	return f(ctx, req, n)
}

func (r *recorder) calls(resource string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, q := range r.reqs {
		if q.Resource == resource {
			n++
		}
	}
	return n
}

type runResult struct {
	out    any
	err    error
	events []Event
	clock  *FakeClock
	tasks  *recorder
}

func run(t testing.TB, def, input string, tasks *recorder, opts ...Option) runResult {
	t.Helper()
	sm, err := Parse([]byte(def), opts...)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	clock := NewFakeClock(t0)
	if tasks == nil {
		tasks = &recorder{}
	}
	var mu sync.Mutex
	var events []Event
	out, err := sm.Run(context.Background(), js(t, input), RunOptions{
		Tasks: tasks,
		Clock: clock,
		History: func(e Event) {
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
		},
		Execution:    ExecutionInfo{ID: "arn:aws:states:us-east-1:000000000000:execution:m:e1", Name: "e1", RoleArn: "arn:aws:iam::000000000000:role/r"},
		StateMachine: StateMachineInfo{ID: "arn:aws:states:us-east-1:000000000000:stateMachine:m", Name: "m"},
	})
	return runResult{out: out, err: err, events: events, clock: clock, tasks: tasks}
}

func (r runResult) wantOutput(t testing.TB, want string) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("Run failed: %v", r.err)
	}
	if w := js(t, want); !jsonpath.Equal(r.out, w) {
		t.Fatalf("output = %s, want %s", compactJSON(r.out), compactJSON(w))
	}
}

func (r runResult) wantError(t testing.TB, name string) *ExecError {
	t.Helper()
	var ee *ExecError
	if !errors.As(r.err, &ee) {
		t.Fatalf("want error %s, got output %s, err %v", name, compactJSON(r.out), r.err)
	}
	if ee.ErrorName != name {
		t.Fatalf("error = %s (cause %q), want %s", ee.ErrorName, ee.Cause, name)
	}
	return ee
}

func (r runResult) eventTypes() []string {
	out := make([]string, len(r.events))
	for i, e := range r.events {
		out[i] = e.Type
	}
	return out
}

func fails(name, cause string) func(context.Context, *TaskRequest, int) (any, error) {
	return func(context.Context, *TaskRequest, int) (any, error) { return nil, NewError(name, cause) }
}

// failsThen fails the first n calls, then returns result.
func failsThen(n int, name string, result any) func(context.Context, *TaskRequest, int) (any, error) {
	return func(_ context.Context, _ *TaskRequest, call int) (any, error) {
		if call <= n {
			return nil, NewError(name, "attempt failed")
		}
		return result, nil
	}
}
