package stepfunctions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/dragons-dev/dragons/local/asl"
)

// TestStateInput is the request of TestState.
type TestStateInput struct {
	Definition      string         `json:"definition"`
	RoleArn         string         `json:"roleArn"`
	Input           *string        `json:"input"`
	InspectionLevel string         `json:"inspectionLevel"`
	RevealSecrets   bool           `json:"revealSecrets"`
	Variables       *string        `json:"variables"`
	StateName       string         `json:"stateName"`
	Mock            *TestStateMock `json:"mock"`
}

// TestStateMock replaces the state's task with a result or an error.
type TestStateMock struct {
	Result      *string `json:"result"`
	ErrorOutput *struct {
		Error string `json:"error"`
		Cause string `json:"cause"`
	} `json:"errorOutput"`
}

// TestStateOutput is the response of TestState.
type TestStateOutput struct {
	Output         *string         `json:"output,omitempty"`
	Error          string          `json:"error,omitempty"`
	Cause          string          `json:"cause,omitempty"`
	NextState      string          `json:"nextState,omitempty"`
	Status         string          `json:"status"`
	InspectionData *InspectionData `json:"inspectionData,omitempty"`
}

// InspectionData is the data-flow detail TestState reports at DEBUG and
// TRACE levels. The local service reports the stages the engine's history
// exposes.
type InspectionData struct {
	Input           string `json:"input,omitempty"`
	AfterParameters string `json:"afterParameters,omitempty"`
	Result          string `json:"result,omitempty"`
	AfterResultPath string `json:"afterResultPath,omitempty"`
	Variables       string `json:"variables,omitempty"`
}

// TestState runs one state with the given input: against the real
// integrations, or with its task mocked. The state's Retry is not run: an
// error it would retry reports status RETRIABLE, one a Catch handles reports
// CAUGHT_ERROR with the catcher's next state.
func (s *Service) TestState(ctx context.Context, in *TestStateInput) (*TestStateOutput, error) {
	if in.Definition == "" {
		return nil, errValidation("1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must not be null")
	}
	switch in.InspectionLevel {
	case "", "INFO", "DEBUG", "TRACE":
	default:
		return nil, errValidation("1 validation error detected: Value '%s' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]", in.InspectionLevel)
	}
	var def map[string]any
	if err := json.Unmarshal([]byte(in.Definition), &def); err != nil {
		return nil, apiErr("InvalidDefinition", "Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: %v'", err)
	}
	name := in.StateName
	topLang := "JSONPath"
	if states, ok := def["States"].(map[string]any); ok {
		if ql, ok := def["QueryLanguage"].(string); ok {
			topLang = ql
		}
		if name == "" {
			name, _ = def["StartAt"].(string)
		}
		st, ok := states[name].(map[string]any)
		if !ok {
			return nil, errValidation("The state %q is not in the definition", name)
		}
		def = st
	}
	if name == "" {
		name = "TestState"
	}
	if l, ok := def["QueryLanguage"].(string); ok && topLang == "JSONata" && l == "JSONPath" {
		topLang = "JSONPath"
	}
	raw, input, err := decodeInput(in.Input)
	if err != nil {
		return nil, err
	}

	// Build a machine: [setup Pass assigning the variables ->] the state ->
	// a Succeed stand-in for each state it can go to.
	retry, _ := def["Retry"].([]any)
	state := make(map[string]any, len(def))
	for k, v := range def {
		if k != "Retry" {
			state[k] = v
		}
	}
	states := map[string]any{name: state}
	targets := nextTargets(def)
	for _, t := range targets {
		if t != name {
			states[t] = map[string]any{"Type": "Succeed"}
		}
	}
	start := name
	if in.Variables != nil && strings.TrimSpace(*in.Variables) != "" {
		var vars map[string]any
		if err := json.Unmarshal([]byte(*in.Variables), &vars); err != nil {
			return nil, errValidation("The variables must be a JSON object: %v", err)
		}
		start = uniqueName(states, "TestStateVariables")
		states[start] = map[string]any{"Type": "Pass", "QueryLanguage": "JSONPath", "Assign": vars, "Next": name}
	}
	machineDef, err := json.Marshal(map[string]any{"QueryLanguage": topLang, "StartAt": start, "States": states})
	if err != nil {
		return nil, errValidation("cannot build the test machine: %v", err)
	}
	sm, err := parseDefinition(string(machineDef), TypeStandard)
	if err != nil {
		return nil, err
	}

	var tasks asl.TaskInvoker = &taskRouter{s: s}
	if in.Mock != nil {
		switch {
		case in.Mock.Result != nil:
			var v any
			if err := json.Unmarshal([]byte(*in.Mock.Result), &v); err != nil {
				return nil, errValidation("The mock result must be JSON: %v", err)
			}
			tasks = asl.TaskFunc(func(context.Context, *asl.TaskRequest) (any, error) { return v, nil })
		case in.Mock.ErrorOutput != nil:
			eo := in.Mock.ErrorOutput
			tasks = asl.TaskFunc(func(context.Context, *asl.TaskRequest) (any, error) { return nil, asl.NewError(eo.Error, eo.Cause) })
		}
	}

	var (
		next, nextInput, lastErr, lastCause string
		insp                                InspectionData
	)
	isTarget := map[string]bool{}
	for _, t := range targets {
		isTarget[t] = true
	}
	entered := false
	history := func(e asl.Event) {
		switch {
		case e.StateEntered != nil:
			if e.StateEntered.Name == name && !entered {
				entered = true
				insp.Input = e.StateEntered.Input
			} else if entered && isTarget[e.StateEntered.Name] && next == "" {
				next, nextInput = e.StateEntered.Name, e.StateEntered.Input
			}
		case e.TaskScheduled != nil:
			insp.AfterParameters = e.TaskScheduled.Parameters
		case e.LambdaFunctionScheduled != nil:
			insp.AfterParameters = e.LambdaFunctionScheduled.Input
		case e.TaskSucceeded != nil:
			insp.Result = e.TaskSucceeded.Output
		case e.LambdaFunctionSucceeded != nil:
			insp.Result = e.LambdaFunctionSucceeded.Output
		case e.StateExited != nil && e.StateExited.Name == name:
			insp.AfterResultPath = e.StateExited.Output
		}
		if d := failureDetails(e); d != nil && next == "" {
			lastErr, lastCause = d.Error, d.Cause
		}
	}
	out, runErr := sm.Run(ctx, input, asl.RunOptions{
		Tasks: tasks, Clock: s.clock, History: history, Region: s.opts.Region,
		Execution:    asl.ExecutionInfo{ID: "arn:aws:states:" + s.opts.Region + ":" + Account + ":execution:TestState:" + name, Name: name, RoleArn: in.RoleArn},
		StateMachine: asl.StateMachineInfo{ID: s.StateMachineARN("TestState"), Name: "TestState"},
	})
	res := &TestStateOutput{}
	if in.InspectionLevel == "DEBUG" || in.InspectionLevel == "TRACE" {
		if insp.Input == "" {
			insp.Input = raw
		}
		res.InspectionData = &insp
	}
	var ee *asl.ExecError
	switch {
	case next != "" && lastErr != "":
		res.Status, res.NextState, res.Error, res.Cause = "CAUGHT_ERROR", next, lastErr, lastCause
		res.Output = &nextInput
	case next != "":
		res.Status, res.NextState = "SUCCEEDED", next
		res.Output = &nextInput
	case runErr == nil:
		b, _ := json.Marshal(out)
		o := string(b)
		res.Status, res.Output = "SUCCEEDED", &o
	case errors.As(runErr, &ee):
		res.Status, res.Error, res.Cause = "FAILED", ee.ErrorName, ee.Cause
		if retriable(retry, ee.ErrorName) {
			res.Status = "RETRIABLE"
		}
	default:
		return nil, fmt.Errorf("test state %s: %w", name, runErr)
	}
	return res, nil
}

// nextTargets lists the states a state can transition to.
func nextTargets(def map[string]any) []string {
	var out []string
	add := func(v any) {
		if s, ok := v.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	add(def["Next"])
	add(def["Default"])
	for _, key := range []string{"Choices", "Catch"} {
		list, _ := def[key].([]any)
		for _, c := range list {
			if m, ok := c.(map[string]any); ok {
				add(m["Next"])
			}
		}
	}
	return out
}

func uniqueName(states map[string]any, base string) string {
	name := base
	for i := 2; states[name] != nil; i++ {
		name = fmt.Sprintf("%s%d", base, i)
	}
	return name
}

// failureDetails returns the error of a task or state failure event.
func failureDetails(e asl.Event) *asl.ErrorDetails {
	switch {
	case e.TaskFailed != nil:
		return &asl.ErrorDetails{Error: e.TaskFailed.Error, Cause: e.TaskFailed.Cause}
	case e.TaskTimedOut != nil:
		return &asl.ErrorDetails{Error: e.TaskTimedOut.Error, Cause: e.TaskTimedOut.Cause}
	case e.LambdaFunctionFailed != nil:
		return e.LambdaFunctionFailed
	case e.LambdaFunctionTimedOut != nil:
		return e.LambdaFunctionTimedOut
	}
	return nil
}

// retriable reports whether a Retry list would retry errName (ignoring
// attempts already made).
func retriable(retry []any, errName string) bool {
	if errName == asl.ErrRuntime || errName == asl.ErrDataLimitExceeded {
		return false
	}
	for _, r := range retry {
		m, _ := r.(map[string]any)
		list, _ := m["ErrorEquals"].([]any)
		if n, ok := m["MaxAttempts"].(float64); ok && n == 0 {
			continue
		}
		for _, e := range list {
			switch e {
			case errName, asl.ErrALL:
				return true
			case asl.ErrTaskFailed:
				if errName != asl.ErrTimeout && errName != asl.ErrHeartbeatTimeout {
					return true
				}
			}
		}
	}
	return false
}
