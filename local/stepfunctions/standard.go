package stepfunctions

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dragons-dev/dragons/local/asl"
)

// parked is a Standard execution suspended in a top-level Wait state: what
// asl.Suspended holds, with the JSON values kept as text (smaller than
// decoded trees while the execution waits; the execution input is the
// execution's own Input).
type parked struct {
	ex          *execution
	state       string
	input       []byte // the Wait state's raw input, JSON
	vars        []byte // top-level variables, JSON object; nil for none
	entered     time.Time
	until       time.Time
	lastEventID int64
	wake        time.Time // until, or the execution timeout if earlier
	index       int       // in the wake-up queue; -1 when not queued
}

func newParked(ex *execution, s *asl.Suspended, timeout time.Duration) (*parked, error) {
	in, err := json.Marshal(s.Input)
	if err != nil {
		return nil, fmt.Errorf("encode the input of Wait state %q: %w", s.State, err)
	}
	p := &parked{ex: ex, state: s.State, input: in, entered: s.Entered, until: s.Until, lastEventID: s.LastEventID, wake: s.Until, index: -1}
	if len(s.Variables) > 0 {
		if p.vars, err = json.Marshal(s.Variables); err != nil {
			return nil, fmt.Errorf("encode the variables at Wait state %q: %w", s.State, err)
		}
	}
	if timeout > 0 {
		if end := ex.Start.Add(timeout); end.Before(p.wake) {
			p.wake = end
		}
	}
	return p, nil
}

// suspended rebuilds the engine's form of p.
func (p *parked) suspended(execInput string) (*asl.Suspended, error) {
	s := &asl.Suspended{State: p.state, Entered: p.entered, Until: p.until, LastEventID: p.lastEventID}
	if err := json.Unmarshal(p.input, &s.Input); err != nil {
		return nil, fmt.Errorf("decode the parked input: %w", err)
	}
	if p.vars != nil {
		if err := json.Unmarshal(p.vars, &s.Variables); err != nil {
			return nil, fmt.Errorf("decode the parked variables: %w", err)
		}
	}
	if err := json.Unmarshal([]byte(execInput), &s.ExecutionInput); err != nil {
		return nil, fmt.Errorf("decode the execution input: %w", err)
	}
	return s, nil
}

// runStandard runs a Standard execution's engine (from the start with sp,
// or from p) until the execution ends or parks in a Wait state.
func (s *Service) runStandard(ctx context.Context, ex *execution, sp *runSpec, p *parked) {
	defer s.wg.Done()
	defer s.recoverStandard(ex)
	ex.mu.Lock()
	obs := ex.obs
	ex.mu.Unlock()
	var resume *asl.Suspended
	if sp == nil {
		sp = &runSpec{m: ex.m, arn: ex.ARN, name: ex.Name, raw: ex.Input, start: ex.Start, trace: ex.Trace, std: ex, testCase: ex.testCase}
		var err error
		if resume, err = p.suspended(ex.Input); err != nil {
			s.finish(ex, runResult{status: StatusFailed, err: asl.ErrRuntime, cause: "cannot resume the execution: " + err.Error(), stop: s.clock.Now().UTC()})
			return
		}
	}
	sp.obs = obs
	res := s.runExecution(ctx, sp, resume)
	if res.susp != nil {
		s.park(ex, res.susp)
		return
	}
	s.finish(ex, res)
}

// finish records how an execution ended.
func (s *Service) finish(ex *execution, res runResult) {
	ex.mu.Lock()
	ex.history = ex.events()
	ex.live = nil
	ex.status, ex.stop, ex.output = res.status, res.stop, res.output
	ex.errName, ex.cause = res.err, res.cause
	if res.status == StatusAborted {
		ex.errName, ex.cause = ex.stopErr, ex.stopCause
	}
	if ex.cancel != nil {
		ex.cancel()
		ex.cancel = nil
	}
	ex.obs = nil
	ex.mu.Unlock()
	close(ex.done)
	if err := s.store.saveExecution(ex); err != nil {
		s.log.Error("persist execution", "arn", ex.ARN, "err", err)
	}
}

// park keeps an execution that suspended in a Wait state until its wake
// time: its events are encoded, its record is saved and it is queued; no
// goroutine waits for it. An execution stopped meanwhile ends ABORTED.
func (s *Service) park(ex *execution, susp *asl.Suspended) {
	p, err := newParked(ex, susp, ex.m.timeout)
	if err != nil {
		s.finish(ex, runResult{status: StatusFailed, err: asl.ErrRuntime, cause: err.Error(), stop: s.clock.Now().UTC()})
		return
	}
	closing := s.runCtx.Err() != nil
	ex.mu.Lock()
	if ex.stopReq || (closing && s.store == nil) {
		ex.mu.Unlock()
		s.abortWaiting(ex, p)
		return
	}
	ex.history = ex.events()
	ex.live = nil
	ex.parked = p
	if ex.cancel != nil {
		ex.cancel()
		ex.cancel = nil
	}
	ex.mu.Unlock()
	if err := s.store.saveExecution(ex); err != nil {
		s.log.Error("persist execution", "arn", ex.ARN, "err", err)
	}
	if !closing {
		s.wakeups.add(p)
	}
}

// wake resumes a parked execution whose wake time has come.
func (s *Service) wake(p *parked) {
	ex := p.ex
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	ex.mu.Lock()
	if ex.parked != p {
		ex.mu.Unlock()
		return // stopped meanwhile
	}
	ex.parked = nil
	ctx, cancel := context.WithCancel(s.runCtx)
	ex.cancel = cancel
	ex.mu.Unlock()
	s.wg.Add(1)
	go s.runStandard(ctx, ex, nil, p)
}

// abortWaiting ends a parked execution as ABORTED with its stop reason,
// recording the events the engine records for a Wait state cut short.
// The caller has taken p from ex.parked (or never set it).
func (s *Service) abortWaiting(ex *execution, p *parked) {
	now := s.clock.Now().UTC()
	ex.mu.Lock()
	last := p.lastEventID
	waitAborted := asl.Event{Timestamp: now, Type: "WaitStateAborted", ID: last + 1, PreviousEventID: last}
	aborted := asl.Event{Timestamp: now, Type: "ExecutionAborted", ID: last + 2, PreviousEventID: last + 1,
		ExecutionAborted: &asl.ErrorDetails{Error: ex.stopErr, Cause: ex.stopCause}}
	ex.live = append(ex.live, waitAborted, aborted)
	obs := ex.obs
	ex.mu.Unlock()
	if obs != nil {
		if obs.lg != nil {
			obs.lg.event(waitAborted)
			obs.lg.event(aborted)
		}
		if obs.seg != nil {
			seg := *obs.seg
			seg.End, seg.Error = now, true
			s.opts.Tracer.Record(seg)
		}
	}
	s.finish(ex, runResult{status: StatusAborted, stop: now})
}

// stop ends a running execution with a reason and waits for it to end: a
// parked one at once, a running engine through its context.
func (s *Service) stop(ex *execution, errName, cause string) {
	ex.mu.Lock()
	if p := ex.parked; p != nil {
		ex.parked = nil
		ex.stopErr, ex.stopCause = errName, cause
		ex.mu.Unlock()
		s.wakeups.remove(p)
		s.abortWaiting(ex, p)
		return
	}
	cancel := ex.cancel
	if cancel != nil && ex.status == StatusRunning {
		ex.stopReq = true
		ex.stopErr, ex.stopCause = errName, cause
	}
	ex.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	select {
	case <-ex.done:
	case <-time.After(stopWait):
	}
}
