package awsproto

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an error a service reports to its client. Code is the AWS error name the
// SDKs decode into typed errors (for example "ResourceNotFoundException"); Status is
// the HTTP status the protocol sends with it.
type Error struct {
	Code    string
	Message string
	Status  int
	// Sender marks a client fault (the query protocol's <Type>Sender</Type>). When
	// false the fault is the receiver's.
	Sender bool
	// Header holds extra response headers some services send with their errors.
	Header http.Header
}

// Error implements error.
func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// Errorf returns a client-fault Error with a formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: status, Sender: status < 500}
}

// InternalCode is the error name sent for failures that carry no AWS error name.
const InternalCode = "InternalFailure"

// AsError returns err as an *Error, turning any other error into a 500
// InternalFailure that keeps the original message.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		if e.Status == 0 {
			c := *e
			c.Status = http.StatusBadRequest
			return &c
		}
		return e
	}
	return &Error{Code: InternalCode, Message: err.Error(), Status: http.StatusInternalServerError}
}

// IsCode reports whether err is an *Error with the given code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// ErrorTable maps the AWS error names one service reports to the HTTP status its
// protocol sends with each. Services build their errors through New so that
// statuses live in one table instead of at every call site.
type ErrorTable map[string]int

// UnregisteredCode is the error name New reports for a code missing from its table.
const UnregisteredCode = InternalCode

// New returns an Error with code, a formatted message and the status the table
// gives code; the fault is the sender's for statuses below 500. A code the table
// lacks is a bug in the service: New then returns a 500 InternalFailure whose
// message names the missing code, so the mistake is visible instead of sent with
// a guessed status. Each service's tests check that every code it passes to New
// is in its table.
func (t ErrorTable) New(code, format string, args ...any) *Error {
	status, ok := t[code]
	if !ok {
		return &Error{
			Code:    UnregisteredCode,
			Message: fmt.Sprintf("error code %q has no status in the service's error table: %s", code, fmt.Sprintf(format, args...)),
			Status:  http.StatusInternalServerError,
		}
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: status, Sender: status < 500}
}

// Status returns the status the table gives code.
func (t ErrorTable) Status(code string) (int, bool) {
	s, ok := t[code]
	return s, ok
}
