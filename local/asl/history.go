package asl

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// Event is one execution history event, shaped like the HistoryEvent of
// Step Functions' GetExecutionHistory: json.Marshal renders the API's JSON
// (timestamps as epoch seconds).
type Event struct {
	Timestamp       time.Time `json:"-"`
	Type            string    `json:"type"`
	ID              int64     `json:"id"`
	PreviousEventID int64     `json:"previousEventId"`

	ExecutionStarted   *ExecutionStartedDetails `json:"executionStartedEventDetails,omitempty"`
	ExecutionSucceeded *OutputDetails           `json:"executionSucceededEventDetails,omitempty"`
	ExecutionFailed    *ErrorDetails            `json:"executionFailedEventDetails,omitempty"`
	ExecutionAborted   *ErrorDetails            `json:"executionAbortedEventDetails,omitempty"`
	ExecutionTimedOut  *ErrorDetails            `json:"executionTimedOutEventDetails,omitempty"`

	StateEntered *StateEnteredDetails `json:"stateEnteredEventDetails,omitempty"`
	StateExited  *StateExitedDetails  `json:"stateExitedEventDetails,omitempty"`

	TaskScheduled *TaskScheduledDetails `json:"taskScheduledEventDetails,omitempty"`
	TaskStarted   *TaskDetails          `json:"taskStartedEventDetails,omitempty"`
	TaskSubmitted *TaskDetails          `json:"taskSubmittedEventDetails,omitempty"`
	TaskSucceeded *TaskDetails          `json:"taskSucceededEventDetails,omitempty"`
	TaskFailed    *TaskDetails          `json:"taskFailedEventDetails,omitempty"`
	TaskTimedOut  *TaskDetails          `json:"taskTimedOutEventDetails,omitempty"`

	LambdaFunctionScheduled *LambdaScheduledDetails `json:"lambdaFunctionScheduledEventDetails,omitempty"`
	LambdaFunctionSucceeded *OutputDetails          `json:"lambdaFunctionSucceededEventDetails,omitempty"`
	LambdaFunctionFailed    *ErrorDetails           `json:"lambdaFunctionFailedEventDetails,omitempty"`
	LambdaFunctionTimedOut  *ErrorDetails           `json:"lambdaFunctionTimedOutEventDetails,omitempty"`

	ActivityScheduled *LambdaScheduledDetails `json:"activityScheduledEventDetails,omitempty"`
	ActivitySucceeded *OutputDetails          `json:"activitySucceededEventDetails,omitempty"`
	ActivityFailed    *ErrorDetails           `json:"activityFailedEventDetails,omitempty"`
	ActivityTimedOut  *ErrorDetails           `json:"activityTimedOutEventDetails,omitempty"`

	EvaluationFailed *EvaluationFailedDetails `json:"evaluationFailedEventDetails,omitempty"`

	MapStateStarted       *MapStateStartedDetails `json:"mapStateStartedEventDetails,omitempty"`
	MapIterationStarted   *MapIterationDetails    `json:"mapIterationStartedEventDetails,omitempty"`
	MapIterationSucceeded *MapIterationDetails    `json:"mapIterationSucceededEventDetails,omitempty"`
	MapIterationFailed    *MapIterationDetails    `json:"mapIterationFailedEventDetails,omitempty"`
	MapIterationAborted   *MapIterationDetails    `json:"mapIterationAbortedEventDetails,omitempty"`
}

// MarshalJSON renders the event with its timestamp in epoch seconds.
func (e Event) MarshalJSON() ([]byte, error) {
	type plain Event
	return json.Marshal(struct {
		Timestamp float64 `json:"timestamp"`
		plain
	}{float64(e.Timestamp.UnixNano()) / 1e9, plain(e)})
}

// DataDetails says whether a payload was truncated. Events hold it by
// value: its zero value means "no payload" and is left out of the JSON;
// the engine records {"truncated": false} with every payload it records.
type DataDetails struct {
	Truncated bool `json:"truncated"`
	present   bool // the details apply (a payload is recorded)
}

// IsZero reports whether d carries no details (the JSON omits it).
func (d DataDetails) IsZero() bool { return !d.present && !d.Truncated }

// UnmarshalJSON decodes {"truncated": ...} as present details.
func (d *DataDetails) UnmarshalJSON(b []byte) error {
	var v struct {
		Truncated bool `json:"truncated"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("data details: %w", err)
	}
	*d = DataDetails{Truncated: v.Truncated, present: true}
	return nil
}

// notTruncated is the details of a payload recorded whole.
func notTruncated() DataDetails { return DataDetails{present: true} }

// ExecutionStartedDetails describes ExecutionStarted.
type ExecutionStartedDetails struct {
	Input        string      `json:"input"`
	InputDetails DataDetails `json:"inputDetails,omitzero"`
	RoleArn      string      `json:"roleArn,omitempty"`
}

// OutputDetails carries an output payload.
type OutputDetails struct {
	Output        string      `json:"output"`
	OutputDetails DataDetails `json:"outputDetails,omitzero"`
}

// ErrorDetails carries an error name and cause.
type ErrorDetails struct {
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
}

// StateEnteredDetails describes a *StateEntered event.
type StateEnteredDetails struct {
	Name         string      `json:"name"`
	Input        string      `json:"input"`
	InputDetails DataDetails `json:"inputDetails,omitzero"`
}

// StateExitedDetails describes a *StateExited event.
type StateExitedDetails struct {
	Name                     string            `json:"name"`
	Output                   string            `json:"output"`
	OutputDetails            DataDetails       `json:"outputDetails,omitzero"`
	AssignedVariables        map[string]string `json:"assignedVariables,omitempty"`
	AssignedVariablesDetails DataDetails       `json:"assignedVariablesDetails,omitzero"`
}

// TaskScheduledDetails describes TaskScheduled.
type TaskScheduledDetails struct {
	ResourceType       string `json:"resourceType"`
	Resource           string `json:"resource"`
	Region             string `json:"region"`
	Parameters         string `json:"parameters"`
	TimeoutInSeconds   int64  `json:"timeoutInSeconds,omitempty"`
	HeartbeatInSeconds int64  `json:"heartbeatInSeconds,omitempty"`
}

// TaskDetails describes the other Task* events.
type TaskDetails struct {
	ResourceType  string      `json:"resourceType"`
	Resource      string      `json:"resource"`
	Output        string      `json:"output,omitempty"`
	OutputDetails DataDetails `json:"outputDetails,omitzero"`
	Error         string      `json:"error,omitempty"`
	Cause         string      `json:"cause,omitempty"`
}

// LambdaScheduledDetails describes LambdaFunctionScheduled and ActivityScheduled.
type LambdaScheduledDetails struct {
	Resource           string      `json:"resource"`
	Input              string      `json:"input"`
	InputDetails       DataDetails `json:"inputDetails,omitzero"`
	TimeoutInSeconds   int64       `json:"timeoutInSeconds,omitempty"`
	HeartbeatInSeconds int64       `json:"heartbeatInSeconds,omitempty"`
}

// EvaluationFailedDetails describes EvaluationFailed (a JSONata
// expression that failed or returned nothing).
type EvaluationFailedDetails struct {
	State    string `json:"state"`
	Error    string `json:"error,omitempty"`
	Cause    string `json:"cause,omitempty"`
	Location string `json:"location,omitempty"`
}

// MapStateStartedDetails describes MapStateStarted.
type MapStateStartedDetails struct {
	Length int `json:"length"`
}

// MapIterationDetails describes MapIteration* events.
type MapIterationDetails struct {
	Name  string `json:"name"`
	Index int    `json:"index"`
}

// history numbers events and hands them to the callback. A nil *history
// records nothing, so the hot path pays one nil check.
type history struct {
	mu    sync.Mutex
	next  int64
	clock Clock
	fn    func(Event)
}

// emit numbers e, links it to *prev (the last event of the same thread of
// execution), updates *prev and delivers it.
func (h *history) emit(prev *int64, e Event) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock() // a panicking callback must not leave it locked
	h.next++
	e.ID = h.next
	e.PreviousEventID = *prev
	*prev = e.ID
	if e.Timestamp.IsZero() {
		e.Timestamp = h.clock.Now()
	}
	h.fn(e)
}
