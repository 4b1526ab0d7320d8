package stepfunctions

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/dragons-dev/dragons/local/asl"
	"github.com/dragons-dev/dragons/local/durable"
	"github.com/dragons-dev/dragons/local/tracing"
)

// store keeps state machines and Standard execution records as JSON files:
//
//	DIR/machines/NAME.json
//	DIR/executions/MACHINE/NAME.json
//
// Each file is replaced atomically (durable.WriteFile). An execution's file
// is written when it starts (before StartExecution answers) and when it
// ends. A nil *store keeps nothing.
type store struct {
	dir string
}

// execRecord is an execution's on-disk form.
type execRecord struct {
	ARN        string            `json:"arn"`
	Name       string            `json:"name"`
	MachineARN string            `json:"machineArn"`
	Input      string            `json:"input"`
	Start      time.Time         `json:"start"`
	Trace      string            `json:"traceHeader,omitempty"`
	Status     string            `json:"status"`
	Stop       time.Time         `json:"stop,omitzero"`
	Output     string            `json:"output,omitempty"`
	Error      string            `json:"error,omitempty"`
	Cause      string            `json:"cause,omitempty"`
	History    []json.RawMessage `json:"history,omitempty"`
	Parked     *parkedRecord     `json:"parked,omitempty"`
}

// parkedRecord is what resuming a parked execution after a restart needs:
// where it waits, the machine revision it runs, and its log stream and
// trace segment.
type parkedRecord struct {
	State       string          `json:"state"`
	Input       json.RawMessage `json:"input"`
	Variables   json.RawMessage `json:"variables,omitempty"`
	Entered     time.Time       `json:"entered"`
	Until       time.Time       `json:"until"`
	LastEventID int64           `json:"lastEventId"`
	RevisionID  string          `json:"revisionId"`
	Definition  string          `json:"definition"`
	TestCase    string          `json:"testCase,omitempty"`
	LogStream   string          `json:"logStream,omitempty"`
	Segment     *segmentRecord  `json:"segment,omitempty"`
}

type segmentRecord struct {
	ID       string    `json:"id"`
	TraceID  string    `json:"traceId"`
	ParentID string    `json:"parentId,omitempty"`
	Start    time.Time `json:"start"`
	Header   string    `json:"header"`
}

func (st *store) machinePath(name string) string {
	return filepath.Join(st.dir, "machines", name+".json")
}

func (st *store) executionPath(machine, name string) string {
	return filepath.Join(st.dir, "executions", machine, name+".json")
}

func (st *store) saveMachine(m *machine) error {
	if st == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode state machine %s: %w", m.Name, err)
	}
	if err := durable.WriteFile(st.machinePath(m.Name), b, 0o644); err != nil {
		return fmt.Errorf("save state machine %s: %w", m.Name, err)
	}
	return nil
}

func (st *store) deleteMachine(m *machine) error {
	if st == nil {
		return nil
	}
	if err := durable.Remove(st.machinePath(m.Name)); err != nil {
		return fmt.Errorf("delete state machine %s: %w", m.Name, err)
	}
	return nil
}

// machineOfExecution returns the machine name in an execution ARN
// (arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME).
func machineOfExecution(arn string) string {
	p, ok := parseStatesARN(arn)
	if !ok || len(p.rest) < 2 {
		return "_"
	}
	return p.rest[0]
}

// saveExecution writes ex's record. Writes of one execution are serialised
// and each takes its snapshot once it may write, so the file ends up with
// the latest state.
func (st *store) saveExecution(ex *execution) error {
	if st == nil {
		return nil
	}
	ex.saveMu.Lock()
	defer ex.saveMu.Unlock()
	ex.mu.Lock()
	rec := execRecord{ARN: ex.ARN, Name: ex.Name, MachineARN: ex.MachineARN, Input: ex.Input, Start: ex.Start, Trace: ex.Trace,
		Status: ex.status, Stop: ex.stop, Output: ex.output, Error: ex.errName, Cause: ex.cause, History: ex.events()}
	if p := ex.parked; p != nil {
		rec.Parked = &parkedRecord{State: p.state, Input: p.input, Variables: p.vars, Entered: p.entered, Until: p.until,
			LastEventID: p.lastEventID, RevisionID: ex.m.RevisionID, Definition: ex.m.Definition, TestCase: ex.testCase}
		if o := ex.obs; o != nil {
			if o.lg != nil {
				rec.Parked.LogStream = o.lg.stream
			}
			if o.seg != nil {
				rec.Parked.Segment = &segmentRecord{ID: o.seg.ID, TraceID: o.seg.TraceID, ParentID: o.seg.ParentID, Start: o.seg.Start, Header: o.header}
			}
		}
	}
	b, err := json.Marshal(rec)
	ex.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encode execution %s: %w", ex.ARN, err)
	}
	if err := durable.WriteFile(st.executionPath(machineOfExecution(ex.ARN), ex.Name), b, 0o644); err != nil {
		return fmt.Errorf("save execution %s: %w", ex.ARN, err)
	}
	return nil
}

// load reads the state found under the data directory. Executions parked in
// a Wait state are kept for Recover to queue; other executions recorded as
// running were cut short in a state and become ABORTED.
func (s *Service) load() error {
	st := s.store
	files, err := filepath.Glob(filepath.Join(st.dir, "machines", "*.json"))
	if err != nil {
		return fmt.Errorf("list state machines: %w", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("read state machine: %w", err)
		}
		m := &machine{}
		if err := json.Unmarshal(b, m); err != nil {
			return fmt.Errorf("decode state machine %s: %w", f, err)
		}
		if m.sm, err = parseDefinition(m.Definition, m.Type); err != nil {
			s.log.Warn("skipping a stored state machine whose definition no longer loads", "name", m.Name, "err", err)
			continue
		}
		s.machines[m.ARN] = m
	}
	files, err = filepath.Glob(filepath.Join(st.dir, "executions", "*", "*.json"))
	if err != nil {
		return fmt.Errorf("list executions: %w", err)
	}
	now := s.clock.Now().UTC()
	revisions := map[string]*machine{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("read execution: %w", err)
		}
		var rec execRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			return fmt.Errorf("decode execution %s: %w", f, err)
		}
		ex := &execution{ARN: rec.ARN, Name: rec.Name, MachineARN: rec.MachineARN, Input: rec.Input, Start: rec.Start, Trace: rec.Trace,
			status: rec.Status, stop: rec.Stop, output: rec.Output, errName: rec.Error, cause: rec.Cause, history: rec.History,
			done: make(chan struct{})}
		close(ex.done)
		if ex.status == StatusRunning && rec.Parked != nil {
			if err := s.restoreParked(ex, rec.Parked, revisions); err != nil {
				s.log.Warn("cannot resume a parked execution", "arn", ex.ARN, "err", err)
			} else {
				ex.done = make(chan struct{})
				s.recoveredParked = append(s.recoveredParked, ex.parked)
			}
		}
		if ex.status == StatusRunning && ex.parked == nil {
			ex.status, ex.stop = StatusAborted, now
			ex.stopErr, ex.stopCause = asl.ErrRuntime, causeServiceStopped
			ex.errName, ex.cause = ex.stopErr, ex.stopCause
			appendAborted(ex, now)
			if err := st.saveExecution(ex); err != nil {
				return err
			}
		}
		s.executions[ex.ARN] = ex
		s.byMachine[ex.MachineARN] = append(s.byMachine[ex.MachineARN], ex)
	}
	for _, list := range s.byMachine {
		sort.SliceStable(list, func(i, j int) bool { return list[i].Start.Before(list[j].Start) })
	}
	return nil
}

// restoreParked rebuilds a parked execution from its record: the machine
// revision it ran (the current one, or the recorded definition), its logger
// and trace segment.
func (s *Service) restoreParked(ex *execution, pr *parkedRecord, revisions map[string]*machine) error {
	m, ok := s.machines[ex.MachineARN]
	if !ok {
		return fmt.Errorf("the state machine %s no longer exists", ex.MachineARN)
	}
	if m.RevisionID != pr.RevisionID && m.Definition != pr.Definition {
		key := ex.MachineARN + "#" + pr.RevisionID
		rev, ok := revisions[key]
		if !ok {
			sm, err := parseDefinition(pr.Definition, m.Type)
			if err != nil {
				return fmt.Errorf("the recorded definition no longer loads: %w", err)
			}
			r := *m
			r.Definition, r.sm, r.timeout, r.RevisionID = pr.Definition, sm, definitionTimeout(pr.Definition), pr.RevisionID
			rev = &r
			revisions[key] = rev
		}
		m = rev
	}
	ex.m, ex.testCase = m, pr.TestCase
	var o observers
	if group := m.logGroup(); group != "" && s.opts.Logs != nil {
		o.lg = newExecLogger(s.opts.Logs, group, m, ex.ARN, ex.Start)
		if pr.LogStream != "" {
			o.lg.stream = pr.LogStream
		}
	}
	if sr := pr.Segment; sr != nil && m.Tracing.Enabled && s.opts.Tracer != nil {
		o.header = sr.Header
		o.seg = &tracing.Segment{
			Name: m.Name, ID: sr.ID, TraceID: sr.TraceID, ParentID: sr.ParentID,
			Origin: "AWS::StepFunctions::StateMachine", Start: sr.Start,
			AWS: map[string]any{"execution_arn": ex.ARN, "state_machine_arn": m.ARN, "region": s.opts.Region},
		}
	}
	if o.lg != nil || o.seg != nil {
		ex.obs = &o
	}
	p := &parked{ex: ex, state: pr.State, input: pr.Input, vars: pr.Variables, entered: pr.Entered, until: pr.Until,
		lastEventID: pr.LastEventID, wake: pr.Until, index: -1}
	if len(p.vars) == 0 {
		p.vars = nil
	}
	if m.timeout > 0 {
		if end := ex.Start.Add(m.timeout); end.Before(p.wake) {
			p.wake = end
		}
	}
	ex.parked = p
	return nil
}
