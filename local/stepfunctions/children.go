package stepfunctions

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dragons-dev/dragons/local/asl"
	"github.com/dragons-dev/dragons/local/awsproto"
)

// startChild runs arn:aws:states:::states:startExecution (pattern ""),
// .sync (the child's DescribeExecution, input and output as JSON text) and
// .sync:2 (input and output as JSON values). For the .sync patterns the
// parent's history gets TaskSubmitted, with the StartExecution response,
// once the child has started.
func (s *Service) startChild(ctx context.Context, params map[string]any, pattern string, req *asl.TaskRequest, trace string) (any, error) {
	parentARN := req.ExecutionID
	submitted := req.Submitted
	if submitted == nil {
		submitted = func(any) {}
	}
	arn, _ := params["StateMachineArn"].(string)
	if arn == "" {
		return nil, asl.NewError(asl.ErrRuntime, "The field 'StateMachineArn' is required by the states:startExecution integration")
	}
	in := &StartExecutionInput{StateMachineArn: arn, TraceHeader: trace}
	in.Name, _ = params["Name"].(string)
	if v, ok := params["Input"]; ok {
		text, err := jsonText(v)
		if err != nil {
			return nil, asl.NewError(asl.ErrRuntime, fmt.Sprintf("cannot encode Input: %v", err))
		}
		in.Input = &text
	}
	fail := func(err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return serviceError("StepFunctions", "AWSStepFunctionsException", "AWSStepFunctions", err)
	}
	startResult := func(arn string, start time.Time) map[string]any {
		res := map[string]any{"ExecutionArn": arn, "StartDate": float64(start.UnixMilli())}
		return sdkMetadata(res, awsproto.NewRequestID(), 0, nil)
	}
	switch pattern {
	case "":
		out, err := s.StartExecution(ctx, in)
		if err != nil {
			return nil, fail(err)
		}
		return startResult(out.ExecutionArn, time.Time(out.StartDate)), nil
	case "sync", "sync:2":
	default:
		return nil, asl.NewError(asl.ErrTaskFailed, "The pattern ."+pattern+" of states:startExecution is not supported by the local Step Functions")
	}
	s.mu.RLock()
	m, ok := s.machines[arn]
	s.mu.RUnlock()
	if ok && m.Type == TypeExpress {
		out, err := s.StartSyncExecution(ctx, in)
		if err != nil {
			return nil, fail(err)
		}
		// An Express child runs to its end within StartSyncExecution.
		submitted(startResult(out.ExecutionArn, time.Time(out.StartDate)))
		d := &DescribeExecutionOutput{ExecutionArn: out.ExecutionArn, StateMachineArn: out.StateMachineArn, Name: out.Name,
			Status: out.Status, StartDate: out.StartDate, StopDate: &out.StopDate, Input: out.Input, Output: out.Output,
			Error: out.Error, Cause: out.Cause, RedriveStatus: "NOT_REDRIVABLE"}
		return childResult(d, pattern == "sync:2")
	}
	out, err := s.StartExecution(ctx, in)
	if err != nil {
		return nil, fail(err)
	}
	submitted(startResult(out.ExecutionArn, time.Time(out.StartDate)))
	s.mu.RLock()
	ex := s.executions[out.ExecutionArn]
	s.mu.RUnlock()
	if ex == nil {
		return nil, asl.NewError(asl.ErrTaskFailed, "the child execution "+out.ExecutionArn+" disappeared")
	}
	select {
	case <-ex.done:
	case <-ctx.Done():
		// The parent stopped: stop the child too, as Step Functions does.
		go s.stop(ex, "", "The parent execution "+parentARN+" stopped")
		return nil, ctx.Err()
	}
	return childResult(ex.describe(), pattern == "sync:2")
}

// childResult renders a finished child execution as the .sync result, or
// fails the task with States.TaskFailed when the child did not succeed.
func childResult(d *DescribeExecutionOutput, values bool) (any, error) {
	out := map[string]any{
		"ExecutionArn":    d.ExecutionArn,
		"StateMachineArn": d.StateMachineArn,
		"Name":            d.Name,
		"Status":          d.Status,
		"StartDate":       float64(time.Time(d.StartDate).UnixMilli()),
		"Input":           d.Input,
		"InputDetails":    map[string]any{"Included": true},
		"RedriveCount":    float64(0),
		"RedriveStatus":   "NOT_REDRIVABLE",
	}
	if d.StopDate != nil {
		out["StopDate"] = float64(time.Time(*d.StopDate).UnixMilli())
	}
	if d.Output != nil {
		out["Output"] = *d.Output
		out["OutputDetails"] = map[string]any{"Included": true}
	}
	if values {
		out["Input"] = decodePayload([]byte(d.Input))
		if d.Output != nil {
			out["Output"] = decodePayload([]byte(*d.Output))
		}
	}
	if d.Status != StatusSucceeded {
		if d.Error != "" {
			out["Error"] = d.Error
		}
		if d.Cause != "" {
			out["Cause"] = d.Cause
		}
		b, _ := json.Marshal(out)
		return nil, asl.NewError(asl.ErrTaskFailed, string(b))
	}
	return out, nil
}
