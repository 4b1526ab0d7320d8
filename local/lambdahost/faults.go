package lambdahost

import (
	"fmt"
	"net/http"

	"github.com/dragons-dev/dragons/local/awsproto"
)

// Fault injects failures into a function's invocations, for tests of retries and
// dead-letter paths. The zero Fault injects nothing; faults are off unless set.
type Fault struct {
	// CrashNext kills the process during each of the next CrashNext
	// invocations, which then fail with Runtime.ExitError.
	CrashNext int
	// FailNext makes each of the next FailNext invocations fail with ErrorType
	// (default "InjectedFault") without running the function; -1 means every
	// invocation until the fault is cleared.
	FailNext  int
	ErrorType string
	// ThrottleAsync rejects Event invocations with TooManyRequestsException.
	ThrottleAsync bool
}

// SetFault sets (or, with the zero Fault, clears) the fault of a function.
func (h *Host) SetFault(name string, f Fault) error {
	fn, err := h.lookup(name)
	if err != nil {
		return err
	}
	if f.ErrorType == "" {
		f.ErrorType = "InjectedFault"
	}
	fn.mu.Lock()
	defer fn.mu.Unlock()
	fn.fault = f
	return nil
}

// takeFault consumes one injected failure, if any, returning what to do.
func (f *function) takeFault() (crash bool, fail string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.fault.FailNext != 0:
		if f.fault.FailNext > 0 {
			f.fault.FailNext--
		}
		return false, f.fault.ErrorType
	case f.fault.CrashNext > 0:
		f.fault.CrashNext--
		return true, ""
	}
	return false, ""
}

func (f *function) asyncThrottled() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fault.ThrottleAsync {
		return &awsproto.Error{Code: "TooManyRequestsException", Message: fmt.Sprintf("Rate Exceeded (injected fault on %s).", f.cfg.Name),
			Status: http.StatusTooManyRequests, Sender: true}
	}
	return nil
}

func injectedFailure(errorType string) outcome {
	return outcome{payload: errorPayload("injected failure", errorType), errorType: errorType, kind: ErrorHandled}
}
