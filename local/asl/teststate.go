package asl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// TestStateInput is a request to run one state in isolation, like Step
// Functions' TestState API.
type TestStateInput struct {
	// Definition is a single state's JSON, or a whole state machine when
	// StateName names the state to test.
	Definition []byte
	StateName  string
	// Input is the state's raw input (a value in encoding/json's shape).
	Input any
	// Variables are the workflow variables visible to the state.
	Variables map[string]any
	// Mock replaces the work of a Task, Map or Parallel state.
	Mock *TestStateMock
	// RetrierRetryCount is how many retries already happened for the
	// retrier that matches the error (TestState's stateConfiguration).
	RetrierRetryCount int
	// Tasks runs Task states that are not mocked.
	Tasks TaskInvoker
	Clock Clock
	// Execution and StateMachine fill the context object.
	Execution    ExecutionInfo
	StateMachine StateMachineInfo
}

// TestStateMock is a mocked result or error.
type TestStateMock struct {
	Result any // used when Error is empty
	Error  string
	Cause  string
}

// Test statuses, as TestState reports them.
const (
	TestSucceeded   = "SUCCEEDED"
	TestFailed      = "FAILED"
	TestRetriable   = "RETRIABLE"
	TestCaughtError = "CAUGHT_ERROR"
)

// TestStateResult is the outcome of TestState.
type TestStateResult struct {
	Status     string     `json:"status"`
	Output     string     `json:"output,omitempty"` // JSON text
	Error      string     `json:"error,omitempty"`
	Cause      string     `json:"cause,omitempty"`
	NextState  string     `json:"nextState,omitempty"`
	Inspection Inspection `json:"inspectionData"`
}

// Inspection records the data at each processing step of the tested state
// (JSON text; empty when the step did not apply). Its JSON form is the
// TestState API's inspectionData.
type Inspection struct {
	Input                      string               `json:"input,omitempty"`
	AfterInputPath             string               `json:"afterInputPath,omitempty"`
	AfterParameters            string               `json:"afterParameters,omitempty"`
	AfterArguments             string               `json:"afterArguments,omitempty"`
	AfterItemsPath             string               `json:"afterItemsPath,omitempty"`
	AfterItemSelector          string               `json:"afterItemSelector,omitempty"`
	AfterItemBatcher           string               `json:"afterItemBatcher,omitempty"`
	Result                     string               `json:"result,omitempty"`
	AfterResultSelector        string               `json:"afterResultSelector,omitempty"`
	AfterResultPath            string               `json:"afterResultPath,omitempty"`
	Variables                  string               `json:"variables,omitempty"`
	MaxConcurrency             *int                 `json:"maxConcurrency,omitempty"`
	ToleratedFailureCount      *int                 `json:"toleratedFailureCount,omitempty"`
	ToleratedFailurePercentage *float64             `json:"toleratedFailurePercentage,omitempty"`
	ErrorDetails               *InspectionErrorInfo `json:"errorDetails,omitempty"`
}

// InspectionErrorInfo says which retrier or catcher handled an error.
type InspectionErrorInfo struct {
	CatchIndex                  *int `json:"catchIndex,omitempty"`
	RetryIndex                  *int `json:"retryIndex,omitempty"`
	RetryBackoffIntervalSeconds *int `json:"retryBackoffIntervalSeconds,omitempty"`
}

// testRun is the per-frame state of a TestState run.
type testRun struct {
	insp       *Inspection
	mock       *TestStateMock
	retryCount int
	status     string
	caught     *ExecError // the error a catcher handled
}

func (m *TestStateMock) outcome() (any, error) {
	if m.Error != "" {
		return nil, &ExecError{ErrorName: m.Error, Cause: m.Cause}
	}
	return m.Result, nil
}

func (tr *testRun) record(field *string, v any) {
	if tr != nil {
		*field = compactJSON(v)
	}
}

// TestState runs one state once, without following transitions, and
// reports its output, next state and the data at each processing step. Task
// states call in.Tasks unless mocked; a Wait state does not wait. Errors
// that a retrier would retry give status RETRIABLE; errors a catcher handles
// give CAUGHT_ERROR with the error, its cause and the catcher's output. A
// definition problem is returned as a *DefinitionError.
func TestState(ctx context.Context, in TestStateInput, opts ...Option) (*TestStateResult, error) {
	cfg := config{typ: Standard}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.compile == nil {
		cfg.compile = defaultQueryCompiler
	}
	st, err := loadTestState(in, cfg)
	if err != nil {
		return nil, err
	}
	if in.Input, err = canonical(in.Input); err != nil {
		return nil, fmt.Errorf("test state input: %w", err)
	}
	if in.Mock != nil {
		m := *in.Mock
		if m.Result, err = canonical(m.Result); err != nil {
			return nil, fmt.Errorf("mock result: %w", err)
		}
		in.Mock = &m
	}
	for k, v := range in.Variables {
		if in.Variables[k], err = canonical(v); err != nil {
			return nil, fmt.Errorf("variable %s: %w", k, err)
		}
	}
	if in.Mock != nil && st.kind != kindTask && st.kind != kindMap && st.kind != kindParallel {
		return nil, fmt.Errorf("a mock can only be used with Task, Map and Parallel states, not %s", st.kind)
	}
	ex := &execution{tasks: in.Tasks, clock: in.Clock, info: in.Execution, smInfo: in.StateMachine, input: in.Input}
	if ex.clock == nil {
		ex.clock = SystemClock{}
	}
	if ex.info.StartTime.IsZero() {
		ex.info.StartTime = ex.clock.Now()
	}
	tr := &testRun{insp: &Inspection{}, mock: in.Mock, retryCount: in.RetrierRetryCount}
	fr := &frame{ex: ex, vars: &scope{vals: map[string]any{}}, test: tr}
	fr.ec.fr = fr
	for k, v := range in.Variables {
		fr.vars.vals[k] = v
	}
	tr.record(&tr.insp.Input, in.Input)

	out, next, err := fr.runState(ctx, st, in.Input)
	res := &TestStateResult{Inspection: *tr.insp}
	if len(fr.vars.vals) > 0 {
		res.Inspection.Variables = compactJSON(fr.vars.vals)
	}
	if err != nil {
		var ee *ExecError
		if !errors.As(err, &ee) {
			return nil, err
		}
		res.Status = TestFailed
		if tr.status == TestRetriable {
			res.Status = TestRetriable
		}
		res.Error, res.Cause = ee.ErrorName, ee.Cause
		return res, nil
	}
	res.Status = TestSucceeded
	if tr.status == TestCaughtError {
		res.Status = TestCaughtError
		if tr.caught != nil {
			res.Error, res.Cause = tr.caught.ErrorName, tr.caught.Cause
		}
	}
	res.Output = compactJSON(out)
	if next != nil {
		res.NextState = next.name
	}
	return res, nil
}

// loadTestState parses the definition of the state under test. Transition
// targets are not checked: the state is tested alone.
func loadTestState(in TestStateInput, cfg config) (*state, error) {
	var raw any
	if err := json.Unmarshal(in.Definition, &raw); err != nil {
		return nil, &DefinitionError{Problems: []Problem{{Code: CodeInvalidJSON, Message: fmt.Sprintf("Unable to parse the definition as JSON: %v", err)}}}
	}
	l := &loader{typ: cfg.typ, compile: cfg.compile, lenient: true}
	var st *state
	if in.StateName != "" {
		sm := l.loadMachine(raw)
		if len(l.problems) > 0 {
			return nil, &DefinitionError{Problems: l.problems}
		}
		st = sm.top.states[in.StateName]
		if st == nil {
			return nil, &DefinitionError{Problems: []Problem{{Code: CodeSchema, Message: fmt.Sprintf("The state '%s' is not defined", in.StateName), Location: "/States"}}}
		}
		return st, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, &DefinitionError{Problems: []Problem{{Code: CodeSchema, Message: "The state definition must be a JSON object"}}}
	}
	name := "TestState"
	g := l.loadGraph(map[string]any{"StartAt": name, "States": map[string]any{name: m}}, "", JSONPath, false)
	if len(l.problems) > 0 {
		for i := range l.problems {
			l.problems[i].Location = trimStatePrefix(l.problems[i].Location, name)
		}
		return nil, &DefinitionError{Problems: l.problems}
	}
	return g.states[name], nil
}

func trimStatePrefix(loc, name string) string {
	p := "/States/" + name
	if len(loc) >= len(p) && loc[:len(p)] == p {
		if loc == p {
			return ""
		}
		return loc[len(p):]
	}
	return loc
}

// testOutcome decides, in a TestState run, what happens to an error of a
// Task, Map or Parallel state: RETRIABLE when a retrier has attempts left,
// CAUGHT_ERROR when a catcher handles it, FAILED otherwise.
func (fr *frame) testOutcome(ctx context.Context, e *evalCtx, raw any, ee *ExecError) (any, *state, map[string]any, error) {
	tr := fr.test
	st := e.st
	for i, r := range st.retry {
		if !ErrorMatches(r.errorEquals, ee) {
			continue
		}
		if tr.retryCount < r.maxAttempts {
			d := r.interval * math.Pow(r.backoffRate, float64(tr.retryCount))
			if r.maxDelay > 0 && d > r.maxDelay {
				d = r.maxDelay
			}
			idx, secs := i, int(d)
			tr.insp.ErrorDetails = &InspectionErrorInfo{RetryIndex: &idx, RetryBackoffIntervalSeconds: &secs}
			tr.status = TestRetriable
			return nil, nil, nil, ee
		}
		break
	}
	for i, c := range st.catch {
		if !ErrorMatches(c.errorEquals, ee) {
			continue
		}
		out, vars, err := fr.caught(ctx, e, c, raw, ee)
		if err != nil {
			return nil, nil, nil, err
		}
		idx := i
		tr.insp.ErrorDetails = &InspectionErrorInfo{CatchIndex: &idx}
		tr.status = TestCaughtError
		tr.caught = ee
		return out, c.next, vars, nil
	}
	return nil, nil, nil, ee
}
