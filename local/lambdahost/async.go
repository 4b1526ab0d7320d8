package lambdahost

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dragons-dev/dragons/local/awsproto"

	"github.com/dragons-dev/dragons/local/tracing"
)

// InvokeAsync queues an Event invocation and returns its request id at once.
//
// A failed invocation is retried up to the function's MaxRetryAttempts, waiting
// Options.AsyncRetryDelay before the first retry and twice that before the
// second. A throttled attempt (the function at its reserved concurrency) is
// retried with a growing wait and does not count as a retry, as in Lambda,
// until Options.ThrottleRetryFor or the event's maximum age is reached. An
// event older than its maximum age is not tried again.
//
// An event given up is sent to the function's dead-letter queue (the original
// event, with message attributes RequestID, ErrorCode and ErrorMessage) and to
// its OnFailure destination (an invocation record), whichever are configured.
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
	queued := h.now()
	o.LogTail = false
	h.async.Add(1)
	go func() {
		defer h.async.Done()
		h.runAsync(f, id, queued, payload, o)
	}()
	return id, nil
}

// Why an async event was given up, as the invocation record's condition says.
const (
	conditionRetriesExhausted = "RetriesExhausted"
	conditionEventAgeExceeded = "EventAgeExceeded"
)

func (h *Host) runAsync(f *function, id string, queued time.Time, payload []byte, o InvokeOptions) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-h.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	sleep := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		}
	}
	maxAge := f.cfg.maxEventAge()
	throttleAge := min(maxAge, h.opts.ThrottleRetryFor)
	retryDelay, throttleDelay := h.opts.AsyncRetryDelay, h.opts.AsyncRetryDelay
	var last *Result // the last function failure
	attempts := 0
	condition := conditionRetriesExhausted
	for {
		if h.now().Sub(queued) > maxAge {
			condition = conditionEventAgeExceeded
			break
		}
		res, err := f.invoke(ctx, payload, o, id)
		if ctx.Err() != nil {
			return // the host is closing
		}
		if awsproto.IsCode(err, "TooManyRequestsException") {
			if h.now().Sub(queued) >= throttleAge {
				condition = conditionEventAgeExceeded
				break
			}
			if !sleep(throttleDelay) {
				return
			}
			throttleDelay = min(throttleDelay*2, max(MaxThrottleBackoff, h.opts.AsyncRetryDelay))
			continue
		}
		attempts++
		if err != nil {
			// The host could not run the function (a process that does not
			// start): a failure of the function, counted like one.
			res = &Result{RequestID: id, Payload: errorPayload(err.Error(), "ServiceException"), FunctionError: "Unhandled", ErrorType: "ServiceException"}
		}
		if res.FunctionError == "" {
			return
		}
		last = res
		if attempts > f.cfg.retries() {
			break
		}
		if !sleep(retryDelay) {
			return
		}
		retryDelay *= 2
	}
	h.giveUp(ctx, f, id, payload, condition, attempts, last)
}

// giveUp sends an event that will not be tried again to the function's
// dead-letter queue and OnFailure destination. last is nil when the function
// never failed (every attempt was throttled).
func (h *Host) giveUp(ctx context.Context, f *function, id string, payload []byte, condition string, attempts int, last *Result) {
	if h.opts.Deliver == nil {
		return
	}
	status, message := http.StatusTooManyRequests, "Rate Exceeded."
	if last != nil {
		status, message = http.StatusOK, errorMessageOf(last.Payload)
	}
	if q := f.cfg.DeadLetterARN; q != "" {
		attrs := map[string]Attribute{ // the types Lambda gives them
			"RequestID":    {"String", id},
			"ErrorCode":    {"Number", strconv.Itoa(status)},
			"ErrorMessage": {"String", truncateUTF8(message, 1024)},
		}
		if err := h.opts.Deliver(ctx, q, payload, attrs); err != nil {
			h.opts.Logger.Error("send a failed async event to the dead-letter queue", "function", f.cfg.Name, "queue", q, "requestId", id, "err", err)
		}
	}
	if q := f.cfg.OnFailure; q != "" {
		body := invocationRecord(h.now(), f.cfg.ARN, id, condition, attempts, payload, status, last)
		if err := h.opts.Deliver(ctx, q, body, nil); err != nil {
			h.opts.Logger.Error("send a failed async invocation record to the OnFailure destination", "function", f.cfg.Name, "queue", q, "requestId", id, "err", err)
		}
	}
}

// invocationRecord is the document Lambda sends to an async invocation's
// destination.
func invocationRecord(now time.Time, fnARN, id, condition string, attempts int, payload []byte, status int, last *Result) []byte {
	response := map[string]any{"statusCode": status}
	rec := map[string]any{
		"version":   "1.0",
		"timestamp": now.UTC().Format("2006-01-02T15:04:05.000Z"),
		"requestContext": map[string]any{
			"requestId":              id,
			"functionArn":            fnARN + ":$LATEST",
			"condition":              condition,
			"approximateInvokeCount": attempts,
		},
		"requestPayload":  json.RawMessage(validJSONOrString(payload)),
		"responseContext": response,
	}
	if last != nil {
		response["executedVersion"] = "$LATEST"
		response["functionError"] = last.FunctionError
		rec["responsePayload"] = json.RawMessage(validJSONOrString(last.Payload))
	}
	body, _ := json.Marshal(rec)
	return body
}

// errorMessageOf returns the errorMessage of a function's error document, or
// the document itself when it has none.
func errorMessageOf(payload []byte) string {
	var e struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(payload, &e) == nil && e.ErrorMessage != "" {
		return e.ErrorMessage
	}
	return string(payload)
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func validJSONOrString(b []byte) []byte {
	if json.Valid(b) {
		return b
	}
	s, _ := json.Marshal(string(b))
	return s
}

// callerTrace is the trace an invocation belongs to: the caller's, or a new
// sampled trace (with no parent) when the caller sent none, as Lambda starts one
// for an untraced Invoke.
func callerTrace(header string, now time.Time) string {
	h := tracing.ParseHeader(header)
	if h.Root == "" {
		h = tracing.Header{Root: tracing.NewTraceID(now), Sampled: true}
	}
	return h.String()
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
