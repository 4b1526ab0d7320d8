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
