// Package sfntest runs Amazon States Language definitions with mocked task
// results, for unit tests of state machines: a definition, an input and a
// test case from a Step Functions Local mock configuration
// (MockConfigFile.json) give the execution's status, output or error, and
// every task call with the parameters the task received. Time is virtual:
// Wait states and retry back-off do not sleep.
//
// It runs the local/asl engine in process. It does not call AWS or the local
// services: a Task state without a mocked response fails the run (unless a
// fallback invoker is given), and it does not emulate Step Functions Local's
// HTTP API.
package sfntest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dragons-dev/dragons/local/asl"
)

// DefaultStart returns the virtual time executions start at unless
// WithStart says otherwise: 2024-01-01T00:00:00Z.
func DefaultStart() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }

// Option configures a Machine.
type Option func(*config) error

type config struct {
	subst    map[string]string
	typ      asl.MachineType
	start    time.Time
	region   string
	account  string
	execName string
	fallback asl.TaskInvoker
}

// WithSubstitutions replaces ${Name} placeholders in the definition, as
// CloudFormation's DefinitionSubstitutions and SAM do.
func WithSubstitutions(subst map[string]string) Option {
	return func(c *config) error { c.subst = subst; return nil }
}

// WithExpress validates and runs the definition as an Express machine.
func WithExpress() Option {
	return func(c *config) error { c.typ = asl.Express; return nil }
}

// WithStart sets the virtual time executions start at.
func WithStart(t time.Time) Option {
	return func(c *config) error {
		if t.IsZero() {
			return errors.New("sfntest: zero start time")
		}
		c.start = t
		return nil
	}
}

// WithExecutionName sets the execution name in $$.Execution (default "test").
func WithExecutionName(name string) Option {
	return func(c *config) error {
		if name == "" {
			return errors.New("sfntest: empty execution name")
		}
		c.execName = name
		return nil
	}
}

// WithFallback runs Task states that the test case does not mock.
func WithFallback(tasks asl.TaskInvoker) Option {
	return func(c *config) error { c.fallback = tasks; return nil }
}

// Machine is a parsed definition ready to run test cases. It is safe for
// concurrent use.
type Machine struct {
	name string
	sm   *asl.StateMachine
	cfg  config
}

// New parses and validates a definition for the state machine named name
// (the name under StateMachines in the mock configuration).
func New(name string, definition []byte, opts ...Option) (*Machine, error) {
	c := config{typ: asl.Standard, start: DefaultStart(), region: "us-east-1", account: "000000000000", execName: "test"}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	def := string(definition)
	for k, v := range c.subst {
		def = strings.ReplaceAll(def, "${"+k+"}", v)
	}
	sm, err := asl.Parse([]byte(def), asl.WithType(c.typ))
	if err != nil {
		return nil, fmt.Errorf("state machine %s: %w", name, err)
	}
	return &Machine{name: name, sm: sm, cfg: c}, nil
}

// Call is one task invocation.
type Call struct {
	State    string
	Resource string
	// Input is the task's effective input (after Parameters or Arguments).
	Input any
	// Invocation counts the state's invocations in this execution, from 0:
	// it selects the mocked response.
	Invocation int
}

// Result is how an execution ended.
type Result struct {
	ExecutionARN string
	// Status is SUCCEEDED, FAILED or TIMED_OUT.
	Status string
	Output any
	// OutputJSON is Output as compact JSON ("" unless SUCCEEDED).
	OutputJSON string
	Error      string
	Cause      string
	Calls      []Call
	History    []asl.Event
}

// CallsTo returns the calls made by one state, in order.
func (r *Result) CallsTo(state string) []Call {
	var out []Call
	for _, c := range r.Calls {
		if c.State == state {
			out = append(out, c)
		}
	}
	return out
}

// Run runs one test case of cfg with input (a Go value in encoding/json's
// shape, or a json.RawMessage). The returned error is for problems of the
// test itself (an unknown test case, a task with no mocked response for an
// invocation); a failed execution is a Result with Status FAILED.
func (m *Machine) Run(ctx context.Context, cfg *MockConfig, testCase string, input any) (*Result, error) {
	mocks, err := cfg.TestCase(m.name, testCase)
	if err != nil {
		return nil, err
	}
	return m.RunMocks(ctx, mocks, input)
}

// RunMocks runs the machine with mocks given directly: state name -> response.
func (m *Machine) RunMocks(ctx context.Context, mocks map[string]MockedResponse, input any) (*Result, error) {
	if raw, ok := input.(json.RawMessage); ok {
		if err := json.Unmarshal(raw, &input); err != nil {
			return nil, fmt.Errorf("decode input: %w", err)
		}
	}
	steps := make(map[string][]stepRange, len(mocks))
	for state, resp := range mocks {
		s, err := resp.steps()
		if err != nil {
			return nil, fmt.Errorf("mocked response for %s: %w", state, err)
		}
		steps[state] = s
	}
	inv := &mockInvoker{steps: steps, counts: map[string]int{}, fallback: m.cfg.fallback}
	arn := fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:%s", m.cfg.region, m.cfg.account, m.name, m.cfg.execName)
	if m.cfg.typ == asl.Express {
		arn = fmt.Sprintf("arn:aws:states:%s:%s:express:%s:%s:00000000-0000-0000-0000-000000000000", m.cfg.region, m.cfg.account, m.name, m.cfg.execName)
	}
	res := &Result{ExecutionARN: arn}
	clock := asl.NewFakeClock(m.cfg.start)
	out, runErr := m.sm.Run(ctx, input, asl.RunOptions{
		Tasks:        inv,
		Clock:        clock,
		History:      func(e asl.Event) { res.History = append(res.History, e) },
		Execution:    asl.ExecutionInfo{ID: arn, Name: m.cfg.execName, RoleArn: fmt.Sprintf("arn:aws:iam::%s:role/sfntest", m.cfg.account), StartTime: m.cfg.start},
		StateMachine: asl.StateMachineInfo{ID: fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", m.cfg.region, m.cfg.account, m.name), Name: m.name},
		Region:       m.cfg.region,
	})
	res.Calls = inv.calls
	if inv.err != nil {
		return res, inv.err
	}
	var ee *asl.ExecError
	switch {
	case runErr == nil:
		b, err := json.Marshal(out)
		if err != nil {
			return res, fmt.Errorf("encode output: %w", err)
		}
		res.Status, res.Output, res.OutputJSON = "SUCCEEDED", out, string(b)
	case errors.As(runErr, &ee):
		res.Status, res.Error, res.Cause = "FAILED", ee.ErrorName, ee.Cause
		for _, e := range res.History {
			if e.Type == "ExecutionTimedOut" {
				res.Status = "TIMED_OUT"
			}
		}
	default:
		return res, fmt.Errorf("execution stopped: %w", runErr)
	}
	return res, nil
}

// mockInvoker answers Task states from the mocked responses.
type mockInvoker struct {
	steps    map[string][]stepRange
	fallback asl.TaskInvoker

	mu     sync.Mutex
	counts map[string]int
	calls  []Call
	err    error // the first test problem
}

// errNoMock is the error a task fails with when the test has no response for
// it; Run reports the problem as its error too, so a Catch cannot hide it.
const errNoMock = "sfntest.NoMockedResponse"

func (mi *mockInvoker) InvokeTask(ctx context.Context, req *asl.TaskRequest) (any, error) {
	mi.mu.Lock()
	n := mi.counts[req.StateName]
	mi.counts[req.StateName] = n + 1
	mi.calls = append(mi.calls, Call{State: req.StateName, Resource: req.Resource, Input: req.Input, Invocation: n})
	steps, mocked := mi.steps[req.StateName]
	var problem error
	var step MockStep
	if mocked {
		var ok bool
		step, ok = stepAt(steps, n)
		if !ok {
			problem = fmt.Errorf("state %s: no mocked response for invocation %d", req.StateName, n)
		}
	} else if mi.fallback == nil {
		problem = fmt.Errorf("state %s (%s) has no mocked response in this test case", req.StateName, req.Resource)
	}
	if problem != nil && mi.err == nil {
		mi.err = problem
	}
	mi.mu.Unlock()
	switch {
	case problem != nil:
		return nil, asl.NewError(errNoMock, problem.Error())
	case !mocked:
		return mi.fallback.InvokeTask(ctx, req)
	case step.Throw != nil:
		return nil, asl.NewError(step.Throw.Error, step.Throw.Cause)
	}
	var v any
	if err := json.Unmarshal(step.Return, &v); err != nil {
		return nil, asl.NewError(asl.ErrRuntime, fmt.Sprintf("mocked Return of %s: %v", req.StateName, err))
	}
	return v, nil
}

// Invoker returns a task invoker that answers the states one test case
// mocks and passes the others to fallback (nil: they fail). It is for
// running mocked executions elsewhere, such as the local Step Functions
// service's "STATE_MACHINE_ARN#TestCase" executions; each execution needs
// its own invoker, since invocations are counted per execution. A state
// invoked more often than its response defines fails with the error
// sfntest.NoMockedResponse.
func (c *MockConfig) Invoker(machine, testCase string, fallback asl.TaskInvoker) (asl.TaskInvoker, error) {
	mocks, err := c.TestCase(machine, testCase)
	if err != nil {
		return nil, err
	}
	steps := make(map[string][]stepRange, len(mocks))
	for state, resp := range mocks {
		s, err := resp.steps()
		if err != nil {
			return nil, fmt.Errorf("mocked response for %s: %w", state, err)
		}
		steps[state] = s
	}
	return &mockInvoker{steps: steps, counts: map[string]int{}, fallback: fallback}, nil
}
