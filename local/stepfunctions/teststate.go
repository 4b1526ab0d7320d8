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
	Definition         string              `json:"definition"`
	RoleArn            string              `json:"roleArn"`
	Input              *string             `json:"input"`
	InspectionLevel    string              `json:"inspectionLevel"`
	RevealSecrets      bool                `json:"revealSecrets"`
	Variables          *string             `json:"variables"`
	StateName          string              `json:"stateName"`
	Mock               *TestStateMock      `json:"mock"`
	StateConfiguration *TestStateConfigure `json:"stateConfiguration"`
}

// TestStateMock replaces the state's task with a result or an error.
type TestStateMock struct {
	Result      *string `json:"result"`
	ErrorOutput *struct {
		Error string `json:"error"`
		Cause string `json:"cause"`
	} `json:"errorOutput"`
}

// TestStateConfigure is TestState's stateConfiguration. Only
// retrierRetryCount is used: it is how many retries already happened, so
// a retrier with that many MaxAttempts or fewer is exhausted.
type TestStateConfigure struct {
	RetrierRetryCount *int `json:"retrierRetryCount"`
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
// TRACE levels: the engine's record of the state's input after each
// processing step (the request and response of HTTP tasks are not
// reported).
type InspectionData = asl.Inspection

// TestState runs one state with the given input through the engine's
// TestState: against the real integrations, or with its task mocked. The
// state's Retry is not run: an error a retrier with attempts left matches
// reports status RETRIABLE, one a Catch handles reports CAUGHT_ERROR with
// the catcher's next state, as in an execution.
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
	if _, isMachine := def["States"]; isMachine && name == "" {
		// A whole machine without a state name tests its first state.
		name, _ = def["StartAt"].(string)
		if name == "" {
			return nil, errValidation("The state to test is not named: set stateName or the definition's StartAt")
		}
	}
	_, input, err := decodeInput(in.Input)
	if err != nil {
		return nil, err
	}
	req := asl.TestStateInput{
		Definition:   []byte(in.Definition),
		StateName:    name,
		Input:        input,
		Tasks:        &taskRouter{s: s},
		Clock:        s.clock,
		Execution:    asl.ExecutionInfo{ID: "arn:aws:states:" + s.opts.Region + ":" + Account + ":execution:TestState:" + testStateName(name), Name: testStateName(name), RoleArn: in.RoleArn},
		StateMachine: asl.StateMachineInfo{ID: s.StateMachineARN("TestState"), Name: "TestState"},
	}
	if in.Variables != nil && strings.TrimSpace(*in.Variables) != "" {
		if err := json.Unmarshal([]byte(*in.Variables), &req.Variables); err != nil {
			return nil, errValidation("The variables must be a JSON object: %v", err)
		}
	}
	if in.Mock != nil {
		switch {
		case in.Mock.Result != nil:
			var v any
			if err := json.Unmarshal([]byte(*in.Mock.Result), &v); err != nil {
				return nil, errValidation("The mock result must be JSON: %v", err)
			}
			req.Mock = &asl.TestStateMock{Result: v}
		case in.Mock.ErrorOutput != nil:
			req.Mock = &asl.TestStateMock{Error: in.Mock.ErrorOutput.Error, Cause: in.Mock.ErrorOutput.Cause}
		}
	}
	if c := in.StateConfiguration; c != nil && c.RetrierRetryCount != nil {
		if *c.RetrierRetryCount < 0 {
			return nil, errValidation("The retrierRetryCount must not be negative")
		}
		req.RetrierRetryCount = *c.RetrierRetryCount
	}
	res, err := asl.TestState(ctx, req)
	if err != nil {
		var de *asl.DefinitionError
		if errors.As(err, &de) {
			return nil, apiErr("InvalidDefinition", "%s", de.Error())
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("test state %s: %w", name, err)
		}
		return nil, errValidation("%v", err)
	}
	out := &TestStateOutput{Status: res.Status, Error: res.Error, Cause: res.Cause, NextState: res.NextState}
	if res.Output != "" {
		o := res.Output
		out.Output = &o
	}
	if in.InspectionLevel == "DEBUG" || in.InspectionLevel == "TRACE" {
		insp := res.Inspection
		out.InspectionData = &insp
	}
	return out, nil
}

// testStateName is the execution name TestState's context object shows.
func testStateName(state string) string {
	if state == "" {
		return "TestState"
	}
	return state
}
