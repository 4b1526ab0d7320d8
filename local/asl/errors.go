package asl

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// Error names defined by the States Language and Step Functions.
const (
	ErrALL                             = "States.ALL"
	ErrRuntime                         = "States.Runtime"
	ErrTimeout                         = "States.Timeout"
	ErrHeartbeatTimeout                = "States.HeartbeatTimeout"
	ErrTaskFailed                      = "States.TaskFailed"
	ErrPermissions                     = "States.Permissions"
	ErrResultPathMatchFailure          = "States.ResultPathMatchFailure"
	ErrParameterPathFailure            = "States.ParameterPathFailure"
	ErrBranchFailed                    = "States.BranchFailed"
	ErrNoChoiceMatched                 = "States.NoChoiceMatched"
	ErrIntrinsicFailure                = "States.IntrinsicFailure"
	ErrExceedToleratedFailureThreshold = "States.ExceedToleratedFailureThreshold"
	ErrItemReaderFailed                = "States.ItemReaderFailed"
	ErrResultWriterFailed              = "States.ResultWriterFailed"
	ErrDataLimitExceeded               = "States.DataLimitExceeded"
	ErrQueryEvaluationError            = "States.QueryEvaluationError"
	ErrHTTPSocket                      = "States.Http.Socket" // an HTTP Task that timed out
)

// knownStatesErrors are the States.* names accepted in ErrorEquals.
var knownStatesErrors = map[string]bool{
	ErrALL: true, ErrRuntime: true, ErrTimeout: true, ErrHeartbeatTimeout: true,
	ErrTaskFailed: true, ErrPermissions: true, ErrResultPathMatchFailure: true,
	ErrParameterPathFailure: true, ErrBranchFailed: true, ErrNoChoiceMatched: true,
	ErrIntrinsicFailure: true, ErrExceedToleratedFailureThreshold: true,
	ErrItemReaderFailed: true, ErrResultWriterFailed: true, ErrDataLimitExceeded: true,
	ErrQueryEvaluationError: true, ErrHTTPSocket: true,
}

// ExecError is how an execution (or a task) fails: an error name and a
// human-readable cause. Run returns it when the execution fails; a
// TaskInvoker returns it to fail a task with a specific error name.
type ExecError struct {
	ErrorName string // e.g. "States.TaskFailed" or "DragonValidationException"
	Cause     string

	location    string // the field of a JSONata evaluation failure
	reported    bool   // an EvaluationFailed event was recorded
	execTimeout bool   // the execution exceeded the machine's TimeoutSeconds
	heartbeat   bool   // a States.Timeout caused by a missed heartbeat
	stack       []byte // the stack of the panic this error replaces
}

// PanicStack returns the goroutine stack of the panic this error stands
// for, or nil when the error is not a recovered panic. The engine turns a
// panic (its own or a TaskInvoker's) into a States.Runtime failure of the
// execution instead of crashing the process; callers log the stack.
func (e *ExecError) PanicStack() []byte { return e.stack }

// panicError is the States.Runtime error that replaces a recovered panic.
func panicError(r any) *ExecError {
	return &ExecError{ErrorName: ErrRuntime, Cause: fmt.Sprintf("An internal error occurred: panic: %v", r), stack: debug.Stack()}
}

// ExecutionTimedOut reports whether the execution failed because it ran
// longer than the state machine's TimeoutSeconds (status TIMED_OUT), as
// opposed to a state's States.Timeout.
func (e *ExecError) ExecutionTimedOut() bool { return e.execTimeout }

// NewError returns an *ExecError with the given error name and cause.
func NewError(name, cause string) *ExecError { return &ExecError{ErrorName: name, Cause: cause} }

func (e *ExecError) Error() string {
	if e.Cause == "" {
		return e.ErrorName
	}
	return e.ErrorName + ": " + e.Cause
}

func failf(name, format string, args ...any) *ExecError {
	return &ExecError{ErrorName: name, Cause: fmt.Sprintf(format, args...)}
}

// ErrorMatches reports whether a Retry or Catch ErrorEquals list matches an
// error, with Step Functions' wildcard rules: States.ALL matches everything
// except States.Runtime and States.DataLimitExceeded; States.TaskFailed
// matches any error except States.Timeout (and the terminal ones);
// States.HeartbeatTimeout matches a task that missed its heartbeat, which
// fails with States.Timeout. States.Runtime can never be retried or caught.
func ErrorMatches(list []string, err *ExecError) bool {
	if err == nil {
		return false
	}
	name := err.ErrorName
	if name == ErrRuntime {
		return false
	}
	for _, e := range list {
		switch {
		case e == name:
			return true
		case e == ErrALL:
			if name != ErrDataLimitExceeded {
				return true
			}
		case e == ErrTaskFailed:
			if name != ErrTimeout && name != ErrHeartbeatTimeout && name != ErrDataLimitExceeded {
				return true
			}
		case e == ErrTimeout && name == ErrHeartbeatTimeout:
			return true
		case e == ErrHeartbeatTimeout && err.heartbeat:
			return true
		}
	}
	return false
}

// Problem is one reason a definition is invalid.
type Problem struct {
	Code     string // e.g. SCHEMA_VALIDATION_FAILED, MISSING_TRANSITION_TARGET
	Message  string
	Location string // JSON pointer into the definition, e.g. /States/Start/Next
}

func (p Problem) String() string {
	if p.Location == "" {
		return p.Code + ": " + p.Message
	}
	return p.Code + ": " + p.Message + " at " + p.Location
}

// DefinitionError lists every problem found in a state machine definition.
// The Step Functions API reports it as InvalidDefinition with Error() as the
// message.
type DefinitionError struct {
	Problems []Problem
}

func (e *DefinitionError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return "Invalid State Machine Definition: '" + strings.Join(parts, ", ") + "'"
}

// Problem codes used in DefinitionError.
const (
	CodeInvalidJSON      = "INVALID_JSON_DESCRIPTION"
	CodeSchema           = "SCHEMA_VALIDATION_FAILED"
	CodeMissingTarget    = "MISSING_TRANSITION_TARGET"
	CodeUnreachable      = "UNREACHABLE_STATE"
	CodeDuplicateState   = "DUPLICATE_STATE_NAME"
	CodeInvalidPath      = "INVALID_JSONPATH"
	CodeInvalidIntrinsic = "INVALID_INTRINSIC_FUNCTION"
	CodeInvalidJSONata   = "INVALID_JSONATA_EXPRESSION"
	CodeInvalidResource  = "INVALID_RESOURCE"
	CodeNoTerminalState  = "MISSING_END_STATE"
)
