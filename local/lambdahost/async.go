package lambdahost

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dragons-dev/dragons/local/tracing"
)

// InvokeAsync queues an Event invocation and returns its request id at once. A
// failed invocation is retried up to the function's MaxRetryAttempts with a
// doubling delay; then, if the function has an OnFailure queue, an invocation
// record in Lambda's destination format is sent there.
func (h *Host) InvokeAsync(ctx context.Context, name string, payload []byte, o InvokeOptions) (string, error) {
	f, err := h.lookup(name)
	if err != nil {
		return "", err
	}
	if len(payload) > MaxAsyncPayload {
		return "", tooLarge(MaxAsyncPayload, "InvokeAsync")
	}
	if err := f.asyncThrottled(); err != nil {
		return "", err
	}
	id := newRequestID()
	h.async.Add(1)
	go func() {
		defer h.async.Done()
		h.runAsync(f, id, payload, o)
	}()
	return id, nil
}

func (h *Host) runAsync(f *function, id string, payload []byte, o InvokeOptions) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-h.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	retries := f.cfg.MaxRetryAttempts
	if retries < 0 {
		retries = 0
	}
	delay := h.opts.AsyncRetryDelay
	var last *Result
	attempts := 0
	for attempt := 0; attempt <= retries; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return
			}
			delay *= 2
		}
		attempts++
		res, err := f.invoke(ctx, payload, o)
		if err != nil {
			last = &Result{RequestID: id, Payload: errorPayload(err.Error(), "ServiceException"), FunctionError: "Unhandled", ErrorType: "ServiceException"}
			continue
		}
		if res.FunctionError == "" {
			return
		}
		last = res
	}
	if f.cfg.OnFailure == "" || h.opts.Deliver == nil || last == nil {
		return
	}
	rec := map[string]any{
		"version":   "1.0",
		"timestamp": h.now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"requestContext": map[string]any{
			"requestId":              id,
			"functionArn":            f.cfg.ARN + ":$LATEST",
			"condition":              "RetriesExhausted",
			"approximateInvokeCount": attempts,
		},
		"requestPayload": json.RawMessage(validJSONOrString(payload)),
		"responseContext": map[string]any{
			"statusCode":      200,
			"executedVersion": "$LATEST",
			"functionError":   last.FunctionError,
		},
		"responsePayload": json.RawMessage(validJSONOrString(last.Payload)),
	}
	body, _ := json.Marshal(rec)
	_ = h.opts.Deliver(ctx, f.cfg.OnFailure, body)
}

func validJSONOrString(b []byte) []byte {
	if json.Valid(b) {
		return b
	}
	s, _ := json.Marshal(string(b))
	return s
}

// runtimeTraceHeader returns the trace header a function sees: the caller's trace
// with the function segment as parent, or a new sampled trace.
func runtimeTraceHeader(callerHeader, functionSegment string) string {
	return tracing.ParseHeader(callerHeader).Child(functionSegment, time.Now()).String()
}

// maxRSSMB reads the process's peak resident memory, or 0 when unknown.
func maxRSSMB(w *worker) int {
	if w.cmd == nil || w.cmd.Process == nil {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(w.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return kb / 1024
		}
	}
	return 0
}
