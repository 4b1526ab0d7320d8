package asl

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/dragons-dev/dragons/local/asl/jsonpath"
)

var enteredTypes = [...]string{
	kindPass: "PassStateEntered", kindTask: "TaskStateEntered", kindChoice: "ChoiceStateEntered",
	kindWait: "WaitStateEntered", kindSucceed: "SucceedStateEntered", kindFail: "FailStateEntered",
	kindParallel: "ParallelStateEntered", kindMap: "MapStateEntered",
}

var abortedTypes = [...]string{
	kindTask: "TaskStateAborted", kindWait: "WaitStateAborted", kindParallel: "ParallelStateAborted", kindMap: "MapStateAborted",
}

var exitedTypes = [...]string{
	kindPass: "PassStateExited", kindTask: "TaskStateExited", kindChoice: "ChoiceStateExited",
	kindWait: "WaitStateExited", kindSucceed: "SucceedStateExited",
	kindParallel: "ParallelStateExited", kindMap: "MapStateExited",
}

// runState runs one state on its raw input and returns its output and the
// next state (nil when the graph ends).
func (fr *frame) runState(ctx context.Context, st *state, raw any) (any, *state, error) {
	e := &fr.ec
	e.reset(st, raw)
	h := fr.ex.hist
	if resumed := fr.resume; resumed != nil {
		fr.resume = nil
		e.entered, e.resumed = resumed.Entered, true
	} else if h != nil {
		fr.emitEntered(st, e.entered, raw)
	}
	var (
		out  any
		next *state
		vars map[string]any
		err  error
	)
	switch st.kind {
	case kindPass:
		out, vars, err = fr.runPass(ctx, e, raw)
		next = st.next
	case kindTask, kindParallel, kindMap:
		out, next, vars, err = fr.runWithRetry(ctx, e, raw)
	case kindChoice:
		out, next, vars, err = fr.runChoice(ctx, e, raw)
	case kindWait:
		out, vars, err = fr.runWait(ctx, e, raw)
		next = st.next
	case kindSucceed:
		out, err = fr.runSucceed(ctx, e, raw)
	case kindFail:
		err = fr.runFail(ctx, e, raw)
		if h != nil {
			fr.noteEvaluationFailure(st, err)
		}
		return nil, nil, err
	}
	if err != nil {
		if h != nil {
			var ee *ExecError
			var susp *Suspended
			switch {
			case errors.As(err, &ee):
				fr.noteEvaluationFailure(st, err)
			case errors.As(err, &susp):
			case abortedTypes[st.kind] != "":
				fr.emitType(abortedTypes[st.kind])
			}
		}
		return nil, nil, err
	}
	if len(vars) > 0 {
		if err := fr.vars.apply(vars); err != nil {
			return nil, nil, err
		}
	}
	if h != nil {
		fr.emitExited(st, out, vars)
	}
	return out, next, nil
}

// The emit helpers keep history events out of the frames of the state
// functions, so an execution blocked in a state holds a small stack.

//go:noinline
func (fr *frame) emitEntered(st *state, t time.Time, raw any) {
	fr.ex.hist.emit(&fr.prev, Event{Type: enteredTypes[st.kind], Timestamp: t, StateEntered: &StateEnteredDetails{Name: st.name, Input: compactJSON(raw), InputDetails: notTruncated()}})
	fr.enteredID, fr.enteredState = fr.prev, st
}

//go:noinline
func (fr *frame) emitExited(st *state, out any, vars map[string]any) {
	d := &StateExitedDetails{Name: st.name, Output: compactJSON(out), OutputDetails: notTruncated()}
	if len(vars) > 0 {
		d.AssignedVariables = make(map[string]string, len(vars))
		for k, v := range vars {
			d.AssignedVariables[k] = compactJSON(v)
		}
		d.AssignedVariablesDetails = notTruncated()
	}
	fr.ex.hist.emit(&fr.prev, Event{Type: exitedTypes[st.kind], StateExited: d})
}

//go:noinline
func (fr *frame) emitType(typ string) {
	fr.ex.hist.emit(&fr.prev, Event{Type: typ})
}

// noteEvaluationFailure records an EvaluationFailed event for a JSONata
// evaluation error, once.
//
//go:noinline
func (fr *frame) noteEvaluationFailure(st *state, err error) {
	var ee *ExecError
	if !errors.As(err, &ee) || ee.ErrorName != ErrQueryEvaluationError || ee.reported {
		return
	}
	ee.reported = true
	fr.ex.hist.emit(&fr.prev, Event{Type: "EvaluationFailed", EvaluationFailed: &EvaluationFailedDetails{State: st.name, Error: ee.ErrorName, Cause: ee.Cause, Location: ee.location}})
}

// finishJSONPath applies Assign ($ = result), ResultPath (when resultPath is
// set) and OutputPath.
func (fr *frame) finishJSONPath(ctx context.Context, e *evalCtx, raw, result any, resultPath bool) (any, map[string]any, error) {
	st := e.st
	var vars map[string]any
	if st.assign != nil {
		v, err := st.assign.eval(ctx, e, result)
		if err != nil {
			return nil, nil, err
		}
		vars = v
	}
	out := result
	if resultPath {
		var err error
		out, err = e.applyResultPath(st.resultPath, raw, result)
		if err != nil {
			return nil, nil, err
		}
		if tr := fr.test; tr != nil {
			tr.record(&tr.insp.AfterResultPath, out)
		}
	}
	out, err := e.selectPath(st.outputPath, "OutputPath", out)
	if err != nil {
		return nil, nil, err
	}
	return out, vars, nil
}

// finishJSONata evaluates Assign and Output; def is the output without an
// Output field.
func (fr *frame) finishJSONata(ctx context.Context, e *evalCtx, def any) (any, map[string]any, error) {
	st := e.st
	var vars map[string]any
	if st.assign != nil {
		v, err := st.assign.eval(ctx, e, nil)
		if err != nil {
			return nil, nil, err
		}
		vars = v
	}
	if st.output != nil {
		out, err := st.output.eval(ctx, e)
		if err != nil {
			return nil, nil, err
		}
		return out, vars, nil
	}
	return def, vars, nil
}

func (fr *frame) runPass(ctx context.Context, e *evalCtx, raw any) (any, map[string]any, error) {
	st := e.st
	if st.lang == JSONata {
		return fr.finishJSONata(ctx, e, raw)
	}
	in, err := e.selectPath(st.inputPath, "InputPath", raw)
	if err != nil {
		return nil, nil, err
	}
	res := in
	if tr := fr.test; tr != nil {
		tr.record(&tr.insp.AfterInputPath, in)
	}
	if st.parameters != nil {
		if res, err = st.parameters.eval(e, in); err != nil {
			return nil, nil, err
		}
		if tr := fr.test; tr != nil {
			tr.record(&tr.insp.AfterParameters, res)
		}
	}
	if st.hasResult {
		res = st.result
	}
	if tr := fr.test; tr != nil {
		tr.record(&tr.insp.Result, res)
	}
	return fr.finishJSONPath(ctx, e, raw, res, true)
}

func (fr *frame) runSucceed(ctx context.Context, e *evalCtx, raw any) (any, error) {
	st := e.st
	if st.lang == JSONata {
		out, _, err := fr.finishJSONata(ctx, e, raw)
		return out, err
	}
	in, err := e.selectPath(st.inputPath, "InputPath", raw)
	if err != nil {
		return nil, err
	}
	return e.selectPath(st.outputPath, "OutputPath", in)
}

func (fr *frame) runFail(ctx context.Context, e *evalCtx, raw any) error {
	st := e.st
	str := func(f *strField, field string) (string, error) {
		switch {
		case f.expr != nil:
			v, err := f.expr.eval(ctx, e)
			if err != nil {
				return "", err
			}
			s, ok := v.(string)
			if !ok {
				return "", e.failf(ErrQueryEvaluationError, "The JSONata expression '%s' specified for the field '%s' returned an unexpected result type. Expected 'string', but was '%s' for value: %s", f.expr.src, field, jsonpath.TypeName(v), compactJSON(v))
			}
			return s, nil
		case f.tmpl != nil:
			v, err := f.tmpl.eval(e, raw)
			if err != nil {
				return "", err
			}
			s, ok := v.(string)
			if !ok {
				return "", e.failf(ErrRuntime, "The value of '%sPath' must be a string, got %s", field, compactJSON(v))
			}
			return s, nil
		}
		return f.value, nil
	}
	name, err := str(&st.errorName, "Error")
	if err != nil {
		return err
	}
	cause, err := str(&st.errorCause, "Cause")
	if err != nil {
		return err
	}
	return &ExecError{ErrorName: name, Cause: cause}
}

// suspend captures an execution waiting in a top-level Wait state.
func (fr *frame) suspend(e *evalCtx, raw any, until time.Time) *Suspended {
	s := &Suspended{State: e.st.name, Input: raw, Entered: e.entered, Until: until, ExecutionInput: fr.ex.input, LastEventID: fr.prev}
	if len(fr.vars.vals) > 0 {
		s.Variables = make(map[string]any, len(fr.vars.vals))
		for k, v := range fr.vars.vals {
			s.Variables[k] = v
		}
	}
	return s
}

func (fr *frame) runWait(ctx context.Context, e *evalCtx, raw any) (any, map[string]any, error) {
	st := e.st
	data := raw
	if st.lang == JSONPath {
		var err error
		if data, err = e.selectPath(st.inputPath, "InputPath", raw); err != nil {
			return nil, nil, err
		}
	}
	var until time.Time
	switch {
	case st.waitSeconds.set:
		secs, err := e.number(ctx, &st.waitSeconds, data)
		if err != nil {
			return nil, nil, err
		}
		if secs < 0 || secs != math.Trunc(secs) {
			return nil, nil, e.failf(ErrRuntime, "The value of the field '%s' must be a non-negative integer, got %v", st.waitSeconds.field, secs)
		}
		until = e.entered.Add(secondsDuration(secs))
	case st.waitTimestamp != nil:
		tf := st.waitTimestamp
		switch {
		case tf.path != nil:
			v, err := e.resolve(tf.path, data)
			if err != nil {
				if errors.Is(err, jsonpath.ErrNotFound) {
					return nil, nil, e.failf(ErrRuntime, "Invalid path '%s' for the field 'TimestampPath'", tf.path)
				}
				return nil, nil, err
			}
			s, _ := v.(string)
			t, perr := parseTimestamp(s)
			if perr != nil {
				return nil, nil, e.failf(ErrRuntime, "The TimestampPath value %s is not a valid timestamp", compactJSON(v))
			}
			until = t
		case tf.expr != nil:
			v, err := tf.expr.eval(ctx, e)
			if err != nil {
				return nil, nil, err
			}
			s, _ := v.(string)
			t, perr := parseTimestamp(s)
			if perr != nil {
				return nil, nil, e.failf(ErrQueryEvaluationError, "The JSONata expression '%s' specified for the field 'Timestamp' returned an unexpected result: %s is not a valid timestamp", tf.expr.src, compactJSON(v))
			}
			until = t
		default:
			until = tf.value
		}
	}
	if fr.test == nil {
		if fr.top && fr.ex.opts.SuspendWaits && !e.resumed && until.After(fr.ex.clock.Now()) {
			return nil, nil, fr.suspend(e, raw, until)
		}
		if err := fr.ex.clock.SleepUntil(ctx, until); err != nil {
			return nil, nil, err
		}
	}
	if st.lang == JSONata {
		return fr.finishJSONata(ctx, e, raw)
	}
	return fr.finishJSONPath(ctx, e, raw, data, false)
}

// runWithRetry runs a Task, Parallel or Map state with its Retry and Catch
// policies.
func (fr *frame) runWithRetry(ctx context.Context, e *evalCtx, raw any) (any, *state, map[string]any, error) {
	st := e.st
	var attempts []int
	for {
		out, vars, err := fr.attempt(ctx, e, raw)
		if err == nil {
			return out, st.next, vars, nil
		}
		var ee *ExecError
		if !errors.As(err, &ee) {
			return nil, nil, nil, err // cancelled
		}
		if fr.ex.hist != nil {
			fr.noteEvaluationFailure(st, ee)
		}
		if fr.test != nil {
			return fr.testOutcome(ctx, e, raw, ee)
		}
		if ctx.Err() != nil {
			return nil, nil, nil, ctx.Err()
		}
		if delay, ok := retryDelay(st.retry, &attempts, ee, fr.ex.jitter); ok {
			if err := fr.ex.clock.SleepUntil(ctx, fr.ex.clock.Now().Add(delay)); err != nil {
				return nil, nil, nil, err
			}
			retry := e.retryCount + 1
			e.reset(st, raw)
			e.retryCount = retry
			continue
		}
		for _, c := range st.catch {
			if !ErrorMatches(c.errorEquals, ee) {
				continue
			}
			out, vars, err := fr.caught(ctx, e, c, raw, ee)
			if err != nil {
				return nil, nil, nil, err
			}
			return out, c.next, vars, nil
		}
		return nil, nil, nil, ee
	}
}

// retryDelay finds the retrier for an error and, when it has attempts left,
// returns the back-off before the next attempt. A retrier that is exhausted
// stops the search (later retriers are not consulted).
func retryDelay(retriers []*retrier, attempts *[]int, ee *ExecError, jitter func(float64) float64) (time.Duration, bool) {
	for i, r := range retriers {
		if !ErrorMatches(r.errorEquals, ee) {
			continue
		}
		if *attempts == nil {
			*attempts = make([]int, len(retriers))
		}
		n := (*attempts)[i]
		if n >= r.maxAttempts {
			return 0, false
		}
		(*attempts)[i] = n + 1
		d := r.interval * math.Pow(r.backoffRate, float64(n))
		if r.maxDelay > 0 && d > r.maxDelay {
			d = r.maxDelay
		}
		if r.jitterFull {
			d = jitter(d)
		}
		return secondsDuration(d), true
	}
	return 0, false
}

// caught builds the state output when a catcher handles an error.
func (fr *frame) caught(ctx context.Context, e *evalCtx, c *catcher, raw any, ee *ExecError) (any, map[string]any, error) {
	errOut := map[string]any{"Error": ee.ErrorName, "Cause": ee.Cause}
	st := e.st
	var vars map[string]any
	if st.lang == JSONata {
		e.setErrorOutput(errOut)
		if c.assign != nil {
			v, err := c.assign.eval(ctx, e, nil)
			if err != nil {
				return nil, nil, err
			}
			vars = v
		}
		if c.output != nil {
			out, err := c.output.eval(ctx, e)
			return out, vars, err
		}
		return errOut, vars, nil
	}
	if c.assign != nil {
		v, err := c.assign.eval(ctx, e, errOut)
		if err != nil {
			return nil, nil, err
		}
		vars = v
	}
	out, err := e.applyResultPath(c.resultPath, raw, errOut)
	return out, vars, err
}

// attempt runs one attempt of a Task, Parallel or Map state.
func (fr *frame) attempt(ctx context.Context, e *evalCtx, raw any) (any, map[string]any, error) {
	switch e.st.kind {
	case kindTask:
		return fr.attemptTask(ctx, e, raw)
	case kindParallel:
		return fr.attemptParallel(ctx, e, raw)
	default:
		return fr.attemptMap(ctx, e, raw)
	}
}

// effectiveInput computes the input of the state's work: InputPath then
// Parameters (JSONPath) or Arguments (JSONata).
func (fr *frame) effectiveInput(ctx context.Context, e *evalCtx, raw any) (in, params any, err error) {
	st := e.st
	tr := fr.test
	if st.lang == JSONata {
		if st.arguments != nil {
			params, err = st.arguments.eval(ctx, e)
			if err == nil && tr != nil {
				tr.record(&tr.insp.AfterArguments, params)
			}
			return raw, params, err
		}
		return raw, raw, nil
	}
	in, err = e.selectPath(st.inputPath, "InputPath", raw)
	if err != nil {
		return nil, nil, err
	}
	if tr != nil {
		tr.record(&tr.insp.AfterInputPath, in)
	}
	if st.parameters != nil {
		params, err = st.parameters.eval(e, in)
		if err == nil && tr != nil {
			tr.record(&tr.insp.AfterParameters, params)
		}
		return in, params, err
	}
	return in, in, nil
}

// finishResult applies the result processing shared by Task, Parallel and
// Map: Assign, ResultSelector, ResultPath and OutputPath (JSONPath) or
// Assign and Output (JSONata).
func (fr *frame) finishResult(ctx context.Context, e *evalCtx, raw, result any) (any, map[string]any, error) {
	st := e.st
	if exceedsPayloadLimit(result, MaxPayloadBytes) {
		return nil, nil, failf(ErrDataLimitExceeded, "The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", st.name)
	}
	tr := fr.test
	if tr != nil {
		tr.record(&tr.insp.Result, result)
	}
	if st.lang == JSONata {
		e.setResult(result)
		return fr.finishJSONata(ctx, e, result)
	}
	var vars map[string]any
	if st.assign != nil {
		v, err := st.assign.eval(ctx, e, result)
		if err != nil {
			return nil, nil, err
		}
		vars = v
	}
	sel := result
	if st.resultSelector != nil {
		var err error
		if sel, err = st.resultSelector.eval(e, result); err != nil {
			return nil, nil, err
		}
		if tr != nil {
			tr.record(&tr.insp.AfterResultSelector, sel)
		}
	}
	out, err := e.applyResultPath(st.resultPath, raw, sel)
	if err != nil {
		return nil, nil, err
	}
	if tr != nil {
		tr.record(&tr.insp.AfterResultPath, out)
	}
	out, err = e.selectPath(st.outputPath, "OutputPath", out)
	if err != nil {
		return nil, nil, err
	}
	return out, vars, nil
}

func (fr *frame) attemptTask(ctx context.Context, e *evalCtx, raw any) (any, map[string]any, error) {
	st := e.st
	if st.waitForToken && e.token == "" {
		e.token = newTaskToken()
		e.invalidate()
	}
	in, params, err := fr.effectiveInput(ctx, e, raw)
	if err != nil {
		return nil, nil, err
	}
	var timeout, heartbeat time.Duration
	if st.timeout.set {
		f, err := e.number(ctx, &st.timeout, in)
		if err != nil {
			return nil, nil, err
		}
		if f <= 0 {
			return nil, nil, e.failf(ErrRuntime, "The value of '%s' must be positive, got %v", st.timeout.field, f)
		}
		timeout = secondsDuration(f)
	}
	if st.heartbeat.set {
		f, err := e.number(ctx, &st.heartbeat, in)
		if err != nil {
			return nil, nil, err
		}
		if f <= 0 {
			return nil, nil, e.failf(ErrRuntime, "The value of '%s' must be positive, got %v", st.heartbeat.field, f)
		}
		heartbeat = secondsDuration(f)
	}
	var result any
	if tr := fr.test; tr != nil && tr.mock != nil {
		result, err = tr.mock.outcome()
	} else {
		result, err = fr.invokeTask(ctx, st, e, in, params, timeout, heartbeat)
	}
	if err != nil {
		return nil, nil, err
	}
	return fr.finishResult(ctx, e, raw, result)
}
