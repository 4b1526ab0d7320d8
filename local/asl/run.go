package asl

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/dragons-dev/dragons/local/asl/jsonpath"
)

// RunOptions configures one execution.
type RunOptions struct {
	// Tasks runs Task states. Without it, Task states fail with
	// States.TaskFailed.
	Tasks TaskInvoker
	// Clock is the execution's time source (default: the system clock).
	Clock Clock
	// History receives every history event in order, synchronously (the
	// engine waits for it, so it should be quick). Leave it nil when events
	// are not needed: the engine then skips building them.
	History func(Event)
	// Execution and StateMachine fill the context object ($$.Execution,
	// $$.StateMachine).
	Execution    ExecutionInfo
	StateMachine StateMachineInfo
	// Region appears in TaskScheduled events (default: from the state
	// machine ARN, else us-east-1).
	Region string
	// SuspendWaits makes Run return a *Suspended instead of blocking when
	// the execution reaches a top-level Wait state that ends in the future.
	SuspendWaits bool
	// Rand is the random source of the FULL JitterStrategy of retriers
	// (default: a source seeded at random for each run). The engine uses it
	// under a lock of its own, so a source shared by concurrent runs must
	// be safe for concurrent use.
	Rand rand.Source
}

// ExecutionInfo identifies an execution in the context object.
type ExecutionInfo struct {
	ID           string // the execution ARN
	Name         string
	RoleArn      string
	StartTime    time.Time // default: the clock's now when Run starts
	RedriveCount int
}

// StateMachineInfo identifies the state machine in the context object.
type StateMachineInfo struct {
	ID   string // the state machine ARN
	Name string
}

type execution struct {
	sm     *StateMachine
	opts   RunOptions
	tasks  TaskInvoker
	clock  Clock
	hist   *history
	info   ExecutionInfo
	smInfo StateMachineInfo
	input  any
	// ctxOnce builds ctxExecution and ctxMachine, the constant parts of
	// the context object, when first needed.
	ctxOnce      sync.Once
	ctxExecution map[string]any
	ctxMachine   map[string]any
	// rnd draws retry jitter; it is made when first needed.
	randMu sync.Mutex
	rnd    *rand.Rand
}

// jitter returns FULL jitter for a back-off of d seconds: a random value in
// [0, d). Parallel branches and Map iterations draw from the same source.
func (ex *execution) jitter(d float64) float64 {
	ex.randMu.Lock()
	defer ex.randMu.Unlock()
	if ex.rnd == nil {
		src := ex.opts.Rand
		if src == nil {
			src = rand.NewPCG(rand.Uint64(), rand.Uint64())
		}
		ex.rnd = rand.New(src)
	}
	return ex.rnd.Float64() * d
}

// frame is one thread of execution: the top-level machine, a Parallel
// branch or a Map iteration. It owns a variable scope and the id of its
// last history event. A frame runs one state at a time, so it reuses its
// evaluation context.
type frame struct {
	ex   *execution
	vars *scope
	prev int64
	ec   evalCtx
	test *testRun // set by TestState
	// top marks the execution's own frame (not a branch or iteration);
	// resume is set while Resume re-enters a suspended Wait state.
	top    bool
	resume *Suspended
	// enteredID is the id of the entered event of enteredState, the state
	// the frame runs (0 without history).
	enteredID    int64
	enteredState *state
	// item is the Map item this frame processes ($$.Map.Item), if hasItem.
	item    mapItem
	hasItem bool
	// own is the frame's scope when it is a branch or iteration (vars
	// points to it), so a child frame needs no separate allocation.
	own scope
}

type mapItem struct {
	index int
	value any
}

// scope holds workflow variables. Inner scopes (Parallel branches, Map
// iterations) read their parent's variables but cannot assign them; the
// parent does not change while children run.
type scope struct {
	parent *scope
	vals   map[string]any
}

func (s *scope) get(name string) (any, bool) {
	for c := s; c != nil; c = c.parent {
		if v, ok := c.vals[name]; ok {
			return v, true
		}
	}
	return nil, false
}

func (s *scope) apply(vals map[string]any) error {
	for name := range vals {
		for c := s.parent; c != nil; c = c.parent {
			if _, ok := c.vals[name]; ok {
				return failf(ErrRuntime, "Cannot assign the variable '%s': it belongs to an outer scope", name)
			}
		}
	}
	if s.vals == nil {
		s.vals = make(map[string]any, len(vals))
	}
	for k, v := range vals {
		s.vals[k] = v
	}
	return nil
}

// all returns every visible variable, inner scopes winning.
func (s *scope) all(dst map[string]any) {
	if s == nil {
		return
	}
	s.parent.all(dst)
	for k, v := range s.vals {
		dst[k] = v
	}
}

// Run executes the state machine with the given input and returns its
// output. The input is not modified; values in encoding/json's decoded
// shape are used as they are, other Go values (ints, structs, typed maps)
// are converted through JSON first. A failed
// execution returns an *ExecError. If ctx is cancelled the execution is
// aborted and ctx's error is returned (cancel with
// context.WithCancelCause and an *ExecError to record StopExecution's error
// and cause in the ExecutionAborted event); an execution that exceeds the
// machine's TimeoutSeconds fails with States.Timeout. With
// RunOptions.SuspendWaits, Run may instead return a *Suspended.
func (sm *StateMachine) Run(ctx context.Context, input any, opts RunOptions) (any, error) {
	input, err := canonical(input)
	if err != nil {
		return nil, fmt.Errorf("execution input: %w", err)
	}
	ex, fr := sm.newExecution(input, opts)
	if ex.hist != nil {
		ex.emitStarted(fr, input)
	}
	return ex.drive(ctx, fr, sm.top.start, input)
}

// Suspended is returned by Run and Resume, as an error, when
// RunOptions.SuspendWaits is set and the execution reaches a top-level Wait
// state that ends in the future. It holds everything needed to continue, so
// a waiting execution costs no goroutine; it can be stored as JSON. Resume
// it at or after Until, with the same RunOptions (Execution.StartTime
// included) and the same History callback.
type Suspended struct {
	State          string         `json:"state"`
	Input          any            `json:"input"`
	Variables      map[string]any `json:"variables,omitempty"`
	Entered        time.Time      `json:"entered"`
	Until          time.Time      `json:"until"`
	ExecutionInput any            `json:"executionInput"`
	LastEventID    int64          `json:"lastEventId"`
}

func (s *Suspended) Error() string {
	return fmt.Sprintf("execution suspended in Wait state %q until %s", s.State, s.Until.Format(time.RFC3339))
}

// Resume continues a suspended execution.
func (sm *StateMachine) Resume(ctx context.Context, s *Suspended, opts RunOptions) (any, error) {
	st := sm.top.states[s.State]
	if st == nil || st.kind != kindWait {
		return nil, fmt.Errorf("resume: %q is not a Wait state of this state machine", s.State)
	}
	ex, fr := sm.newExecution(s.ExecutionInput, opts)
	for k, v := range s.Variables {
		if fr.vars.vals == nil {
			fr.vars.vals = map[string]any{}
		}
		fr.vars.vals[k] = v
	}
	if ex.hist != nil {
		ex.hist.next = s.LastEventID
	}
	fr.prev = s.LastEventID
	fr.resume = s
	return ex.drive(ctx, fr, st, s.Input)
}

func (sm *StateMachine) newExecution(input any, opts RunOptions) (*execution, *frame) {
	ex := &execution{sm: sm, opts: opts, tasks: opts.Tasks, clock: opts.Clock, info: opts.Execution, smInfo: opts.StateMachine, input: input}
	if ex.clock == nil {
		ex.clock = SystemClock{}
	}
	if ex.info.StartTime.IsZero() {
		ex.info.StartTime = ex.clock.Now()
	}
	if opts.History != nil {
		ex.hist = &history{clock: ex.clock, fn: opts.History}
	}
	fr := &frame{ex: ex, vars: &scope{}, top: true}
	fr.ec.fr = fr
	return ex, fr
}

// contextParts returns the constant parts of the context object.
func (ex *execution) contextParts() (execution, machine map[string]any) {
	ex.ctxOnce.Do(func() {
		ex.ctxExecution = map[string]any{
			"Id":           ex.info.ID,
			"Input":        ex.input,
			"Name":         ex.info.Name,
			"RoleArn":      ex.info.RoleArn,
			"StartTime":    formatTime(ex.info.StartTime),
			"RedriveCount": float64(ex.info.RedriveCount),
		}
		ex.ctxMachine = map[string]any{"Id": ex.smInfo.ID, "Name": ex.smInfo.Name}
	})
	return ex.ctxExecution, ex.ctxMachine
}

// drive runs the top-level graph from st and records how the execution ends.
func (ex *execution) drive(ctx context.Context, fr *frame, st *state, input any) (any, error) {
	sm := ex.sm
	var timedOut chan struct{}
	if sm.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		timer, stop := ex.clock.Timer(ex.info.StartTime.Add(secondsDuration(sm.timeout)))
		defer stop()
		timedOut = make(chan struct{})
		go func() {
			select {
			case <-timer:
				close(timedOut)
				cancel()
			case <-ctx.Done():
			}
		}()
	}

	out, err := fr.runGuarded(ctx, st, input)
	var susp *Suspended
	if errors.As(err, &susp) {
		return nil, susp
	}
	if err != nil && timedOut != nil {
		select {
		case <-timedOut:
			ee := failf(ErrTimeout, "The execution timed out after %v seconds", sm.timeout)
			ee.execTimeout = true
			err = ee
		default:
		}
	}
	if ex.hist != nil {
		ex.emitEnd(ctx, fr, out, err)
	}
	var ee *ExecError
	if err != nil && errors.As(err, &ee) {
		return nil, ee
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// runGuarded is runFrom with a panic turned into a States.Runtime error, so
// that a bug (or a panicking TaskInvoker) fails one execution instead of
// the process.
func (fr *frame) runGuarded(ctx context.Context, st *state, input any) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, panicError(r)
		}
	}()
	return fr.runFrom(ctx, st, input)
}

//go:noinline
func (ex *execution) emitStarted(fr *frame, input any) {
	ex.hist.emit(&fr.prev, Event{Type: "ExecutionStarted", ExecutionStarted: &ExecutionStartedDetails{Input: compactJSON(input), InputDetails: notTruncated(), RoleArn: ex.info.RoleArn}})
}

// emitEnd records how the execution ended.
//
//go:noinline
func (ex *execution) emitEnd(ctx context.Context, fr *frame, out any, err error) {
	var ee *ExecError
	switch {
	case err == nil:
		ex.hist.emit(&fr.prev, Event{Type: "ExecutionSucceeded", ExecutionSucceeded: &OutputDetails{Output: compactJSON(out), OutputDetails: notTruncated()}})
	case errors.As(err, &ee) && ee.execTimeout:
		ex.hist.emit(&fr.prev, Event{Type: "ExecutionTimedOut", ExecutionTimedOut: &ErrorDetails{Error: ee.ErrorName, Cause: ee.Cause}})
	case ee != nil:
		ex.hist.emit(&fr.prev, Event{Type: "ExecutionFailed", ExecutionFailed: &ErrorDetails{Error: ee.ErrorName, Cause: ee.Cause}})
	default:
		d := &ErrorDetails{}
		// StopExecution's error and cause travel as the context's cause.
		if errors.As(context.Cause(ctx), &ee) {
			d.Error, d.Cause = ee.ErrorName, ee.Cause
		}
		ex.hist.emit(&fr.prev, Event{Type: "ExecutionAborted", ExecutionAborted: d})
	}
}

func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// runGraph runs states from the graph's start until one ends the graph.
func (fr *frame) runGraph(ctx context.Context, g *graph, input any) (any, error) {
	return fr.runFrom(ctx, g.start, input)
}

// runFrom runs states from st until one ends its graph.
func (fr *frame) runFrom(ctx context.Context, st *state, input any) (any, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out, next, err := fr.runState(ctx, st, input)
		if err != nil {
			return nil, err
		}
		if next == nil {
			return out, nil
		}
		st, input = next, out
	}
}

// evalCtx is what expressions of one state see: the frame's variables, the
// context object and, for JSONata, $states.
type evalCtx struct {
	fr         *frame
	st         *state
	entered    time.Time
	retryCount int
	token      string
	mapIndex   int
	mapValue   any
	inMapItem  bool
	resumed    bool
	ctxObj     map[string]any

	statesInput any
	result      any
	hasResult   bool
	errOutput   any
	hasError    bool
	qvars       map[string]any
}

func (e *evalCtx) reset(st *state, input any) {
	*e = evalCtx{fr: e.fr, st: st, statesInput: input}
	if e.fr.hasItem {
		e.inMapItem, e.mapIndex, e.mapValue = true, e.fr.item.index, e.fr.item.value
	}
	if e.fr.ex.hist != nil || st.usesContext || st.lang == JSONata || st.kind == kindWait {
		e.entered = e.fr.ex.clock.Now()
	}
}

// context builds the context object ($$ / $states.context).
func (e *evalCtx) context() map[string]any {
	if e.ctxObj != nil {
		return e.ctxObj
	}
	ex := e.fr.ex
	if e.entered.IsZero() {
		e.entered = ex.clock.Now()
	}
	exec, machine := ex.contextParts()
	c := map[string]any{
		"Execution":    exec,
		"StateMachine": machine,
		"State": map[string]any{
			"EnteredTime": formatTime(e.entered),
			"Name":        e.st.name,
			"RetryCount":  float64(e.retryCount),
		},
	}
	if e.token != "" {
		c["Task"] = map[string]any{"Token": e.token}
	}
	if e.inMapItem {
		c["Map"] = map[string]any{"Item": map[string]any{"Index": float64(e.mapIndex), "Value": e.mapValue}}
	}
	e.ctxObj = c
	return c
}

// failf builds a failure of the current state, with the cause prefixed as
// Step Functions does ("An error occurred while executing the state 'X'
// (entered at the event id #N). ..."; the event id is known only when
// history is recorded).
func (e *evalCtx) failf(name, format string, args ...any) *ExecError {
	prefix := "An error occurred while executing the state '" + e.st.name + "'"
	if id := e.fr.enteredID; id > 0 && e.fr.enteredState == e.st {
		prefix += fmt.Sprintf(" (entered at the event id #%d)", id)
	}
	return &ExecError{ErrorName: name, Cause: prefix + ". " + fmt.Sprintf(format, args...)}
}

// now returns the state's entry time (the clock's time for JSONata's $now).
func (e *evalCtx) now() time.Time {
	if e.entered.IsZero() {
		e.entered = e.fr.ex.clock.Now()
	}
	return e.entered
}

// contextValue answers common context object paths without building the
// whole object; ok is false when the full object is needed.
func (e *evalCtx) contextValue(p *jsonpath.Path) (any, bool) {
	names, ok := p.Names()
	if !ok || len(names) < 2 {
		return nil, false
	}
	switch names[0] {
	case "Map":
		if len(names) == 3 && names[1] == "Item" && e.inMapItem {
			switch names[2] {
			case "Index":
				return float64(e.mapIndex), true
			case "Value":
				return e.mapValue, true
			}
		}
	case "State":
		if len(names) == 2 {
			switch names[1] {
			case "Name":
				return e.st.name, true
			case "EnteredTime":
				return formatTime(e.now()), true
			case "RetryCount":
				return float64(e.retryCount), true
			}
		}
	case "Execution":
		if len(names) == 2 && names[1] != "Input" {
			exec, _ := e.fr.ex.contextParts()
			v, ok := exec[names[1]]
			return v, ok
		}
	case "StateMachine":
		if len(names) == 2 {
			_, machine := e.fr.ex.contextParts()
			v, ok := machine[names[1]]
			return v, ok
		}
	case "Task":
		if len(names) == 2 && names[1] == "Token" && e.token != "" {
			return e.token, true
		}
	}
	return nil, false
}

// invalidate drops cached views after something they depend on changed.
func (e *evalCtx) invalidate() {
	e.ctxObj = nil
	e.qvars = nil
}

// resolve evaluates a JSONPath path; data is what "$" means here.
func (e *evalCtx) resolve(p *jsonpath.Path, data any) (any, error) {
	switch p.Root() {
	case jsonpath.RootContext:
		if v, ok := e.contextValue(p); ok {
			return v, nil
		}
		return p.Get(e.context())
	case jsonpath.RootVariable:
		v, ok := e.fr.vars.get(p.Variable())
		if !ok {
			return nil, failf(ErrRuntime, "The variable '$%s' is not defined", p.Variable())
		}
		return p.Get(v)
	}
	return p.Get(data)
}

// selectPath applies an InputPath/OutputPath/ItemsPath-style path.
func (e *evalCtx) selectPath(op optPath, field string, data any) (any, error) {
	if op.null {
		return map[string]any{}, nil
	}
	if op.path == nil {
		return data, nil
	}
	v, err := e.resolve(op.path, data)
	if err != nil {
		if errors.Is(err, jsonpath.ErrNotFound) {
			return nil, e.failf(ErrRuntime, "Invalid path '%s' : No results for path: %s", op.path, op.path)
		}
		return nil, err
	}
	return v, nil
}

// applyResultPath places result into the state's raw input per ResultPath.
func (e *evalCtx) applyResultPath(op optPath, raw, result any) (any, error) {
	if op.null {
		return raw, nil
	}
	if op.path == nil {
		return result, nil
	}
	out, err := op.path.Set(raw, result)
	if err != nil {
		return nil, e.failf(ErrResultPathMatchFailure, "Unable to apply ResultPath '%s' to input '%s': %v", op.path, compactJSON(raw), err)
	}
	return out, nil
}

// queryVars returns the JSONata variable bindings: workflow variables and $states.
func (e *evalCtx) queryVars() map[string]any {
	if e.qvars != nil {
		return e.qvars
	}
	vars := make(map[string]any, 8)
	e.fr.vars.all(vars)
	states := map[string]any{
		"input":   e.statesInput,
		"context": e.context(),
	}
	if e.hasResult {
		states["result"] = e.result
	}
	if e.hasError {
		states["errorOutput"] = e.errOutput
	}
	vars["states"] = states
	e.qvars = vars
	return vars
}

func (e *evalCtx) setResult(v any) {
	e.result, e.hasResult = v, true
	e.qvars = nil
}

func (e *evalCtx) setErrorOutput(v any) {
	e.errOutput, e.hasError = v, true
	e.qvars = nil
}

// number evaluates a numeric field (literal, path or JSONata).
func (e *evalCtx) number(ctx context.Context, nf *numField, data any) (float64, error) {
	switch {
	case nf.path != nil:
		v, err := e.resolve(nf.path, data)
		if err != nil {
			if errors.Is(err, jsonpath.ErrNotFound) {
				return 0, e.failf(ErrRuntime, "Invalid path '%s' for the field '%s'", nf.path, nf.field)
			}
			return 0, err
		}
		f, ok := v.(float64)
		if !ok {
			return 0, e.failf(ErrRuntime, "The value of the field '%s' must be a number, got %s", nf.field, compactJSON(v))
		}
		return f, nil
	case nf.expr != nil:
		v, err := nf.expr.eval(ctx, e)
		if err != nil {
			return 0, err
		}
		f, ok := v.(float64)
		if !ok {
			return 0, e.failf(ErrQueryEvaluationError, "The JSONata expression '%s' specified for the field '%s' returned an unexpected result type. Expected 'number', but was '%s' for value: %s", nf.expr.src, nf.field, jsonpath.TypeName(v), compactJSON(v))
		}
		return f, nil
	}
	return nf.value, nil
}
