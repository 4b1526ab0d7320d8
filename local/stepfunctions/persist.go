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

func (st *store) saveExecution(machine string, ex *execution) error {
	if st == nil {
		return nil
	}
	ex.mu.Lock()
	rec := execRecord{ARN: ex.ARN, Name: ex.Name, MachineARN: ex.MachineARN, Input: ex.Input, Start: ex.Start, Trace: ex.Trace,
		Status: ex.status, Stop: ex.stop, Output: ex.output, Error: ex.errName, Cause: ex.cause, History: ex.events()}
	b, err := json.Marshal(rec)
	ex.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encode execution %s: %w", ex.ARN, err)
	}
	if err := durable.WriteFile(st.executionPath(machine, ex.Name), b, 0o644); err != nil {
		return fmt.Errorf("save execution %s: %w", ex.ARN, err)
	}
	return nil
}

// load reads the state found under the data directory. Executions recorded
// as running did not finish: they become ABORTED.
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
		if ex.status == StatusRunning {
			ex.status, ex.stop = StatusAborted, now
			ex.stopErr, ex.stopCause = asl.ErrRuntime, causeServiceStopped
			ex.errName, ex.cause = ex.stopErr, ex.stopCause
			appendAborted(ex, now)
			machineName := filepath.Base(filepath.Dir(f))
			if err := st.saveExecution(machineName, ex); err != nil {
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
