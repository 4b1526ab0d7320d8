package stepfunctions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dragons-dev/dragons/local/asl"
	"github.com/dragons-dev/dragons/local/tracing"
	"github.com/google/uuid"
)

// Execution statuses.
const (
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

// execution is a Standard execution. Its fields after mu are guarded by mu.
// It is kept small: an idle execution (parked in a Wait state) costs this
// record, its history and its parked state, and no goroutine.
type execution struct {
	ARN        string
	Name       string
	MachineARN string
	Input      string
	Start      time.Time
	Trace      string
	// m is the machine revision the execution runs (nil for one loaded
	// ended); testCase is its Options.MockConfig test case, if any.
	m        *machine
	testCase string
	// saveMu orders the writes of the execution's record, so the last one
	// written holds the latest state.
	saveMu sync.Mutex

	mu        sync.Mutex
	status    string
	stop      time.Time
	output    string
	errName   string
	cause     string
	history   []json.RawMessage // events encoded so far
	live      []asl.Event       // events of a running engine (encoded when it ends or parks)
	cancel    context.CancelFunc
	stopErr   string
	stopCause string
	stopReq   bool       // StopExecution asked the running engine to stop
	parked    *parked    // set while the execution waits in a top-level Wait state
	obs       *observers // logging and tracing state; nil when neither is on
	done      chan struct{}
}

// runSpec describes one execution to run.
type runSpec struct {
	m     *machine
	arn   string
	name  string
	input any
	raw   string // input as JSON text
	start time.Time
	trace string     // trace header from the caller
	std   *execution // the Standard record; nil for Express
	// testCase names the Options.MockConfig test case whose mocked
	// responses answer the tasks ("" for none).
	testCase string
	// obs carries a Standard execution's logger and trace segment across
	// its runs (nil: built for this run).
	obs *observers
}

// runResult is how an execution ended, or where it suspended.
type runResult struct {
	status string
	output string
	err    string
	cause  string
	stop   time.Time
	susp   *asl.Suspended // set when a Standard execution parked in a Wait state
}

// observers is an execution's logging and tracing state.
type observers struct {
	lg     *execLogger
	seg    *tracing.Segment
	header string // the trace header tasks receive ("" = the caller's)
}

// observe builds the logger and trace segment an execution of m needs
// (nil when it needs neither).
func (s *Service) observe(m *machine, arn, trace string, start time.Time) *observers {
	var o observers
	if group := m.logGroup(); group != "" && s.opts.Logs != nil {
		o.lg = newExecLogger(s.opts.Logs, group, m, arn, start)
	}
	if m.Tracing.Enabled && s.opts.Tracer != nil {
		in := tracing.ParseHeader(trace)
		id := tracing.NewSegmentID()
		child := in.Child(id, start)
		o.header = child.String()
		o.seg = &tracing.Segment{
			Name: m.Name, ID: id, TraceID: child.Root, ParentID: in.Parent,
			Origin: "AWS::StepFunctions::StateMachine", Start: start,
			AWS: map[string]any{"execution_arn": arn, "state_machine_arn": m.ARN, "region": s.opts.Region},
		}
	}
	if o.lg == nil && o.seg == nil {
		return nil
	}
	return &o
}

// runExecution runs the engine for sp (or resumes it, when resume is set),
// feeding history, logs and traces. A Standard execution returns with
// runResult.susp set when it reaches a top-level Wait state that ends later.
func (s *Service) runExecution(ctx context.Context, sp *runSpec, resume *asl.Suspended) runResult {
	m := sp.m
	obs := sp.obs
	if obs == nil && sp.std == nil {
		obs = s.observe(m, sp.arn, sp.trace, sp.start)
	}
	header := sp.trace
	var lg *execLogger
	var seg *tracing.Segment
	if obs != nil {
		lg, seg = obs.lg, obs.seg
		if obs.header != "" {
			header = obs.header
		}
	}
	var tasks asl.TaskInvoker = &taskRouter{s: s, trace: header, execARN: sp.arn, standard: m.Type == TypeStandard}
	if sp.testCase != "" {
		mocked, err := s.opts.MockConfig.Invoker(m.Name, sp.testCase, tasks)
		if err == nil {
			tasks = mocked
		}
	}
	opts := asl.RunOptions{
		Tasks:        tasks,
		Clock:        s.clock,
		Execution:    asl.ExecutionInfo{ID: sp.arn, Name: sp.name, RoleArn: m.RoleARN, StartTime: sp.start},
		StateMachine: asl.StateMachineInfo{ID: m.ARN, Name: m.Name},
		Region:       s.opts.Region,
		SuspendWaits: sp.std != nil,
	}
	ex := sp.std
	if ex != nil || lg != nil {
		opts.History = func(e asl.Event) {
			if e.Type == "ExecutionAborted" && ex != nil {
				ex.mu.Lock()
				e.ExecutionAborted = &asl.ErrorDetails{Error: ex.stopErr, Cause: ex.stopCause}
				ex.mu.Unlock()
			}
			if ex != nil {
				// Encoding waits for the end of the execution: encoding here
				// would grow the goroutine's stack, which an idle execution
				// then keeps.
				ex.mu.Lock()
				ex.live = append(ex.live, e)
				ex.mu.Unlock()
			}
			if lg != nil {
				lg.event(e)
			}
		}
	}
	var out any
	var err error
	if resume != nil {
		out, err = m.sm.Resume(ctx, resume, opts)
	} else {
		out, err = m.sm.Run(ctx, sp.input, opts)
	}
	s.logEnginePanic(sp.arn, err)
	res := runResult{stop: s.clock.Now().UTC()}
	var ee *asl.ExecError
	var susp *asl.Suspended
	switch {
	case errors.As(err, &susp):
		res.susp = susp
		return res
	case err == nil:
		b, merr := json.Marshal(out)
		if merr != nil {
			res.status, res.err, res.cause = StatusFailed, asl.ErrRuntime, fmt.Sprintf("cannot encode the output: %v", merr)
		} else if len(b) > maxStateData {
			res.status, res.err, res.cause = StatusFailed, asl.ErrDataLimitExceeded, fmt.Sprintf("The state/task returned a result with a size exceeding the maximum number of bytes service limit (%d bytes).", maxStateData)
		} else {
			res.status, res.output = StatusSucceeded, string(b)
		}
	case errors.As(err, &ee):
		res.status, res.err, res.cause = StatusFailed, ee.ErrorName, ee.Cause
		if ee.ExecutionTimedOut() {
			res.status = StatusTimedOut
		}
	default:
		res.status = StatusAborted
	}
	if seg != nil {
		seg.End = res.stop
		seg.Error = res.status != StatusSucceeded
		s.opts.Tracer.Record(*seg)
	}
	return res
}

// ---- StartExecution ----

// StartExecutionInput is the request of StartExecution and StartSyncExecution.
type StartExecutionInput struct {
	StateMachineArn string  `json:"stateMachineArn"`
	Name            string  `json:"name"`
	Input           *string `json:"input"`
	TraceHeader     string  `json:"traceHeader"`
}

// StartExecutionOutput is the response of StartExecution.
type StartExecutionOutput struct {
	ExecutionArn string `json:"executionArn"`
	StartDate    epoch  `json:"startDate"`
}

// StartExecution starts an execution. For a Standard machine the name is
// unique per machine: reusing it with the same input while the first
// execution runs returns that execution, anything else is
// ExecutionAlreadyExists. Express executions run in the background and are
// not recorded; their names may repeat.
func (s *Service) StartExecution(ctx context.Context, in *StartExecutionInput) (*StartExecutionOutput, error) {
	sp, err := s.prepareStart(in)
	if err != nil {
		return nil, err
	}
	m, name, raw := sp.m, sp.name, sp.raw
	start := s.clock.Now().UTC()
	sp.start = start
	if m.Type == TypeExpress {
		sp.arn = s.expressARN(m, name)
		if err := s.startExpress(sp); err != nil {
			return nil, err
		}
		return &StartExecutionOutput{ExecutionArn: sp.arn, StartDate: epoch(start)}, nil
	}

	arn := "arn:aws:states:" + s.opts.Region + ":" + Account + ":execution:" + m.Name + ":" + name
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errClosed()
	}
	if old, ok := s.executions[arn]; ok {
		s.mu.Unlock()
		old.mu.Lock()
		same := old.status == StatusRunning && old.Input == raw && in.Name != ""
		old.mu.Unlock()
		if same {
			return &StartExecutionOutput{ExecutionArn: old.ARN, StartDate: epoch(old.Start)}, nil
		}
		return nil, apiErr("ExecutionAlreadyExists", "Execution Already Exists: '%s'", arn)
	}
	runCtx, cancel := context.WithCancel(s.runCtx)
	ex := &execution{ARN: arn, Name: name, MachineARN: m.ARN, Input: raw, Start: start, Trace: in.TraceHeader,
		m: m, testCase: sp.testCase, status: StatusRunning, cancel: cancel, done: make(chan struct{}),
		obs: s.observe(m, arn, in.TraceHeader, start)}
	s.executions[arn] = ex
	s.byMachine[m.ARN] = append(s.byMachine[m.ARN], ex)
	s.wg.Add(1)
	s.mu.Unlock()
	if err := s.store.saveExecution(ex); err != nil {
		s.mu.Lock()
		delete(s.executions, arn)
		list := s.byMachine[m.ARN]
		if len(list) > 0 && list[len(list)-1] == ex {
			s.byMachine[m.ARN] = list[:len(list)-1]
		}
		s.mu.Unlock()
		cancel()
		s.wg.Done()
		return nil, err
	}
	sp.arn, sp.std = arn, ex
	go s.runStandard(runCtx, ex, sp, nil)
	return &StartExecutionOutput{ExecutionArn: arn, StartDate: epoch(start)}, nil
}

// prepareStart validates a start request and returns the run it asks for:
// the machine revision, the execution name and the input. A state machine
// ARN may end in "#TestCase" to run a test case of Options.MockConfig, as
// with Step Functions Local.
func (s *Service) prepareStart(in *StartExecutionInput) (*runSpec, error) {
	arn, testCase, mocked := strings.Cut(in.StateMachineArn, "#")
	if err := checkMachineARN(arn); err != nil {
		return nil, err
	}
	raw, input, err := decodeInput(in.Input)
	if err != nil {
		return nil, err
	}
	name := in.Name
	if name == "" {
		name = uuid.NewString()
	} else if !validName(name) {
		return nil, apiErr("InvalidName", "Invalid Name: '%s'", name)
	}
	s.mu.RLock()
	m, ok := s.machines[arn]
	s.mu.RUnlock()
	if !ok {
		return nil, errMachineMissing(arn)
	}
	sp := &runSpec{m: m, name: name, input: input, raw: raw, trace: in.TraceHeader}
	if mocked {
		if s.opts.MockConfig == nil {
			return nil, apiErr("InvalidName", "Invalid mock test case name '%s': the service has no mock configuration", testCase)
		}
		if _, err := s.opts.MockConfig.TestCase(m.Name, testCase); err != nil {
			return nil, apiErr("InvalidName", "Invalid mock test case name '%s' for state machine '%s': %v", testCase, m.Name, err)
		}
		sp.testCase = testCase
	}
	return sp, nil
}

func (s *Service) expressARN(m *machine, name string) string {
	return "arn:aws:states:" + s.opts.Region + ":" + Account + ":express:" + m.Name + ":" + name + ":" + uuid.NewString()
}

// causeServiceStopped is the cause of an execution cut short by the service
// stopping (Close, or a crash noticed at the next start).
const causeServiceStopped = "The local Step Functions service stopped while the execution was running; it was not resumed."

// events returns the execution's history as JSON, in a new slice. ex.mu is held.
func (ex *execution) events() []json.RawMessage {
	out := make([]json.RawMessage, len(ex.history), len(ex.history)+len(ex.live))
	copy(out, ex.history)
	for _, e := range ex.live {
		b, err := json.Marshal(e)
		if err != nil {
			b, _ = json.Marshal(asl.Event{Timestamp: e.Timestamp, Type: e.Type, ID: e.ID, PreviousEventID: e.PreviousEventID})
		}
		out = append(out, b)
	}
	return out
}

// appendAborted adds an ExecutionAborted event carrying the stop reason to
// a history that ended without one (an execution found RUNNING at load).
func appendAborted(ex *execution, at time.Time) {
	var last struct {
		ID int64 `json:"id"`
	}
	if n := len(ex.history); n > 0 {
		_ = json.Unmarshal(ex.history[n-1], &last)
	}
	b, err := json.Marshal(asl.Event{Timestamp: at, Type: "ExecutionAborted", ID: last.ID + 1, PreviousEventID: last.ID,
		ExecutionAborted: &asl.ErrorDetails{Error: ex.stopErr, Cause: ex.stopCause}})
	if err == nil {
		ex.history = append(ex.history, b)
	}
}

// ---- StartSyncExecution ----

// StartSyncExecutionOutput is the response of StartSyncExecution.
type StartSyncExecutionOutput struct {
	ExecutionArn    string          `json:"executionArn"`
	StateMachineArn string          `json:"stateMachineArn"`
	Name            string          `json:"name"`
	StartDate       epoch           `json:"startDate"`
	StopDate        epoch           `json:"stopDate"`
	Status          string          `json:"status"`
	Input           string          `json:"input"`
	InputDetails    *included       `json:"inputDetails,omitempty"`
	Output          *string         `json:"output,omitempty"`
	OutputDetails   *included       `json:"outputDetails,omitempty"`
	Error           string          `json:"error,omitempty"`
	Cause           string          `json:"cause,omitempty"`
	TraceHeader     string          `json:"traceHeader,omitempty"`
	BillingDetails  *BillingDetails `json:"billingDetails,omitempty"`
}

type included struct {
	Included bool `json:"included"`
}

// includedTrue says that the input or output is included in the response.
func includedTrue() *included { return &included{Included: true} }

// BillingDetails is what StartSyncExecution reports as billed.
type BillingDetails struct {
	BilledMemoryUsedInMB         int64 `json:"billedMemoryUsedInMB"`
	BilledDurationInMilliseconds int64 `json:"billedDurationInMilliseconds"`
}

// StartSyncExecution runs an Express execution to its end and returns the
// result. Standard machines are StateMachineTypeNotSupported.
func (s *Service) StartSyncExecution(ctx context.Context, in *StartExecutionInput) (*StartSyncExecutionOutput, error) {
	sp, err := s.prepareStart(in)
	if err != nil {
		return nil, err
	}
	m, name, raw := sp.m, sp.name, sp.raw
	if m.Type != TypeExpress {
		return nil, errTypeNotSupported()
	}
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopAfter := context.AfterFunc(s.runCtx, cancel)
	defer stopAfter()

	start := s.clock.Now().UTC()
	arn := s.expressARN(m, name)
	sp.arn, sp.start = arn, start
	res := s.runExecution(ctx, sp, nil)
	if res.status == StatusAborted {
		return nil, fmt.Errorf("execution %s was cut short: %w", arn, context.Cause(ctx))
	}
	out := &StartSyncExecutionOutput{
		ExecutionArn: arn, StateMachineArn: m.ARN, Name: name, StartDate: epoch(start), StopDate: epoch(res.stop),
		Status: res.status, Input: raw, InputDetails: includedTrue(), Error: res.err, Cause: res.cause,
		TraceHeader: in.TraceHeader, BillingDetails: billing(start, res.stop),
	}
	if res.status == StatusSucceeded {
		out.Output, out.OutputDetails = &res.output, includedTrue()
	}
	return out, nil
}

// billing rounds the duration up to 100 ms, Express's billing increment, and
// reports the smallest memory tier.
func billing(start, stop time.Time) *BillingDetails {
	ms := stop.Sub(start).Milliseconds()
	ms = (ms + 99) / 100 * 100
	if ms < 100 {
		ms = 100
	}
	return &BillingDetails{BilledMemoryUsedInMB: 64, BilledDurationInMilliseconds: ms}
}

// ---- DescribeExecution ----

// ExecutionInput is the request of DescribeExecution.
type ExecutionInput struct {
	ExecutionArn string `json:"executionArn"`
}

// DescribeExecutionOutput is the response of DescribeExecution.
type DescribeExecutionOutput struct {
	ExecutionArn    string    `json:"executionArn"`
	StateMachineArn string    `json:"stateMachineArn"`
	Name            string    `json:"name"`
	Status          string    `json:"status"`
	StartDate       epoch     `json:"startDate"`
	StopDate        *epoch    `json:"stopDate,omitempty"`
	Input           string    `json:"input"`
	InputDetails    *included `json:"inputDetails,omitempty"`
	Output          *string   `json:"output,omitempty"`
	OutputDetails   *included `json:"outputDetails,omitempty"`
	Error           string    `json:"error,omitempty"`
	Cause           string    `json:"cause,omitempty"`
	TraceHeader     string    `json:"traceHeader,omitempty"`
	RedriveCount    int       `json:"redriveCount"`
	RedriveStatus   string    `json:"redriveStatus"`
}

// DescribeExecution describes a Standard execution. Express execution ARNs
// are InvalidArn, as in AWS.
func (s *Service) DescribeExecution(_ context.Context, in *ExecutionInput) (*DescribeExecutionOutput, error) {
	ex, err := s.lookupExecution(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	return ex.describe(), nil
}

func (s *Service) lookupExecution(arn string) (*execution, error) {
	if err := checkExecutionARN(arn); err != nil {
		return nil, err
	}
	s.mu.RLock()
	ex, ok := s.executions[arn]
	s.mu.RUnlock()
	if !ok {
		return nil, errExecutionMissing(arn)
	}
	return ex, nil
}

func (ex *execution) describe() *DescribeExecutionOutput {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	out := &DescribeExecutionOutput{
		ExecutionArn: ex.ARN, StateMachineArn: ex.MachineARN, Name: ex.Name, Status: ex.status,
		StartDate: epoch(ex.Start), StopDate: ptrEpoch(ex.stop), Input: ex.Input, InputDetails: includedTrue(),
		Error: ex.errName, Cause: ex.cause, TraceHeader: ex.Trace, RedriveStatus: "NOT_REDRIVABLE",
	}
	if ex.status == StatusSucceeded {
		o := ex.output
		out.Output, out.OutputDetails = &o, includedTrue()
	}
	return out
}

// ---- GetExecutionHistory ----

// GetExecutionHistoryInput is the request of GetExecutionHistory.
type GetExecutionHistoryInput struct {
	ExecutionArn         string `json:"executionArn"`
	MaxResults           int    `json:"maxResults"`
	NextToken            string `json:"nextToken"`
	ReverseOrder         bool   `json:"reverseOrder"`
	IncludeExecutionData *bool  `json:"includeExecutionData"`
}

// GetExecutionHistoryOutput is the response of GetExecutionHistory.
type GetExecutionHistoryOutput struct {
	Events    []json.RawMessage `json:"events"`
	NextToken string            `json:"nextToken,omitempty"`
}

// GetExecutionHistory returns a Standard execution's events, a page at a time.
func (s *Service) GetExecutionHistory(_ context.Context, in *GetExecutionHistoryInput) (*GetExecutionHistoryOutput, error) {
	ex, err := s.lookupExecution(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	from := 0
	if in.NextToken != "" {
		t, err := decodeToken(in.NextToken)
		if err == nil {
			from, err = strconv.Atoi(t)
		}
		if err != nil || from < 0 {
			return nil, apiErr("InvalidToken", "Invalid Token: '%s'", in.NextToken)
		}
	}
	ex.mu.Lock()
	all := ex.events()
	ex.mu.Unlock()
	if in.ReverseOrder {
		for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
			all[i], all[j] = all[j], all[i]
		}
	}
	if from > len(all) {
		from = len(all)
	}
	out := &GetExecutionHistoryOutput{Events: all[from:]}
	if len(out.Events) > limit {
		out.Events = out.Events[:limit]
		out.NextToken = encodeToken(strconv.Itoa(from + limit))
	}
	if in.IncludeExecutionData != nil && !*in.IncludeExecutionData {
		for i, e := range out.Events {
			out.Events[i] = stripExecutionData(e)
		}
	}
	return out, nil
}

// dataFields are the payload fields of history event details.
var dataFields = []string{"input", "inputDetails", "output", "outputDetails", "parameters"}

// stripExecutionData removes inputs, outputs and parameters from an event.
func stripExecutionData(e json.RawMessage) json.RawMessage {
	var m map[string]any
	if json.Unmarshal(e, &m) != nil {
		return e
	}
	for k, v := range m {
		if d, ok := v.(map[string]any); ok && strings.HasSuffix(k, "EventDetails") {
			for _, f := range dataFields {
				delete(d, f)
			}
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return e
	}
	return b
}

// ---- ListExecutions ----

// ListExecutionsInput is the request of ListExecutions.
type ListExecutionsInput struct {
	StateMachineArn string `json:"stateMachineArn"`
	StatusFilter    string `json:"statusFilter"`
	MaxResults      int    `json:"maxResults"`
	NextToken       string `json:"nextToken"`
	MapRunArn       string `json:"mapRunArn"`
}

// ExecutionListItem is one entry of ListExecutions.
type ExecutionListItem struct {
	ExecutionArn    string `json:"executionArn"`
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Status          string `json:"status"`
	StartDate       epoch  `json:"startDate"`
	StopDate        *epoch `json:"stopDate,omitempty"`
}

// ListExecutionsOutput is the response of ListExecutions.
type ListExecutionsOutput struct {
	Executions []ExecutionListItem `json:"executions"`
	NextToken  string              `json:"nextToken,omitempty"`
}

// ListExecutions lists a Standard machine's executions, newest first.
func (s *Service) ListExecutions(_ context.Context, in *ListExecutionsInput) (*ListExecutionsOutput, error) {
	if in.MapRunArn != "" {
		return nil, errValidation("Map runs are not supported by the local Step Functions")
	}
	if in.StateMachineArn == "" {
		return nil, errValidation("Must provide a StateMachine ARN or MapRun ARN")
	}
	if err := checkMachineARN(in.StateMachineArn); err != nil {
		return nil, err
	}
	switch in.StatusFilter {
	case "", StatusRunning, StatusSucceeded, StatusFailed, StatusTimedOut, StatusAborted, "PENDING_REDRIVE":
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE]", in.StatusFilter)
	}
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	skip := 0
	if in.NextToken != "" {
		t, err := decodeToken(in.NextToken)
		if err == nil {
			skip, err = strconv.Atoi(t)
		}
		if err != nil || skip < 0 {
			return nil, apiErr("InvalidToken", "Invalid Token: '%s'", in.NextToken)
		}
	}
	s.mu.RLock()
	m, ok := s.machines[in.StateMachineArn]
	list := s.byMachine[in.StateMachineArn]
	s.mu.RUnlock()
	if !ok {
		return nil, errMachineMissing(in.StateMachineArn)
	}
	if m.Type != TypeStandard {
		return nil, errTypeNotSupported()
	}
	out := &ListExecutionsOutput{Executions: []ExecutionListItem{}}
	matched := 0
	for i := len(list) - 1; i >= 0; i-- {
		ex := list[i]
		ex.mu.Lock()
		item := ExecutionListItem{ExecutionArn: ex.ARN, StateMachineArn: ex.MachineARN, Name: ex.Name, Status: ex.status, StartDate: epoch(ex.Start), StopDate: ptrEpoch(ex.stop)}
		ex.mu.Unlock()
		if in.StatusFilter != "" && item.Status != in.StatusFilter {
			continue
		}
		matched++
		if matched <= skip {
			continue
		}
		if len(out.Executions) == limit {
			out.NextToken = encodeToken(strconv.Itoa(skip + limit))
			break
		}
		out.Executions = append(out.Executions, item)
	}
	return out, nil
}

// ---- StopExecution ----

// StopExecutionInput is the request of StopExecution.
type StopExecutionInput struct {
	ExecutionArn string `json:"executionArn"`
	Error        string `json:"error"`
	Cause        string `json:"cause"`
}

// StopExecutionOutput is the response of StopExecution.
type StopExecutionOutput struct {
	StopDate epoch `json:"stopDate"`
}

// stopWait bounds how long StopExecution waits for the engine to wind down.
const stopWait = 10 * time.Second

// StopExecution aborts a running Standard execution. Stopping one that has
// ended changes nothing.
func (s *Service) StopExecution(_ context.Context, in *StopExecutionInput) (*StopExecutionOutput, error) {
	ex, err := s.lookupExecution(in.ExecutionArn)
	if err != nil {
		return nil, err
	}
	s.stop(ex, in.Error, in.Cause)
	ex.mu.Lock()
	stop := ex.stop
	ex.mu.Unlock()
	if stop.IsZero() {
		stop = s.clock.Now().UTC()
	}
	return &StopExecutionOutput{StopDate: epoch(stop)}, nil
}
