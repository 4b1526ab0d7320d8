package lambdahost

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// invocation is one request handed to a worker.
type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	trace    string
	client   string
	done     chan outcome // buffered, capacity 1
}

// outcome is what a worker reports for an invocation.
type outcome struct {
	payload   []byte
	errorType string // set when the function reported an error
	kind      ErrorKind
}

// runtimeAPI is the Runtime API server of one worker process.
type runtimeAPI struct {
	fnARN   string
	maxResp int64
	next    chan *invocation // the worker's pending invocation
	reports chan report      // results posted by the runtime
	srv     *http.Server
	ln      net.Listener
}

type report struct {
	requestID string
	out       outcome
	init      bool
}

func newRuntimeAPI(fnARN string, maxResp int64) (*runtimeAPI, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for runtime API: %w", err)
	}
	a := &runtimeAPI{
		fnARN:   fnARN,
		maxResp: maxResp,
		next:    make(chan *invocation),
		reports: make(chan report, 4),
		ln:      ln,
	}
	a.srv = &http.Server{Handler: a, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

func (a *runtimeAPI) addr() string { return a.ln.Addr().String() }

func (a *runtimeAPI) close() { _ = a.srv.Close() }

const apiPrefix = "/2018-06-01/runtime/"

// Headers and trailers the runtime sends with an error.
const (
	headerErrorType  = "Lambda-Runtime-Function-Error-Type"
	trailerErrorBody = "Lambda-Runtime-Function-Error-Body" // base64 of the error document
)

// maxErrorBody bounds an /error or /init/error document.
const maxErrorBody = 1 << 20

// ServeHTTP implements the Runtime API endpoints that runtimes call.
func (a *runtimeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, apiPrefix)
	switch {
	case r.Method == http.MethodGet && path == "invocation/next":
		a.serveNext(w, r)
	case r.Method == http.MethodPost && path == "init/error":
		body, _, err := readBody(r, maxErrorBody)
		if err != nil {
			http.Error(w, fmt.Sprintf("read init error: %v", err), http.StatusBadRequest)
			return
		}
		a.report(r, report{init: true, out: outcome{payload: body, errorType: errorTypeOf(r, body), kind: ErrorInit}})
		writeAccepted(w)
	case r.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		id, verb, ok := strings.Cut(strings.TrimPrefix(path, "invocation/"), "/")
		if !ok || (verb != "response" && verb != "error") {
			http.NotFound(w, r)
			return
		}
		limit := a.maxResp
		if verb == "error" {
			limit = maxErrorBody
		}
		body, tooLarge, err := readBody(r, limit)
		if err != nil {
			http.Error(w, fmt.Sprintf("read %s body: %v", verb, err), http.StatusBadRequest)
			return
		}
		var out outcome
		switch {
		case verb == "error":
			out = outcome{payload: body, errorType: errorTypeOf(r, body), kind: ErrorHandled}
		case tooLarge:
			out = outcome{
				payload:   errorPayload(fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", a.maxResp), "Function.ResponseSizeTooLarge"),
				errorType: "Function.ResponseSizeTooLarge",
				kind:      ErrorHandled,
			}
		case r.Trailer.Get(headerErrorType) != "":
			out = streamedError(r.Trailer)
		default:
			out = outcome{payload: body}
		}
		a.report(r, report{requestID: id, out: out})
		writeAccepted(w)
	default:
		http.NotFound(w, r)
	}
}

// readBody reads a request body of any transfer encoding, keeping at most limit
// bytes; it reads what is left too, so that the trailers that follow a chunked
// body arrive in r.Trailer and the connection stays usable.
func readBody(r *http.Request, limit int64) (body []byte, tooLarge bool, err error) {
	body, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, false, fmt.Errorf("read body: %w", err)
	}
	if int64(len(body)) > limit {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return nil, false, fmt.Errorf("read the rest of an oversized body: %w", err)
		}
		return body[:limit], true, nil
	}
	return body, false, nil
}

// streamedError is the function error a runtime reports in the trailers of a
// response whose body failed part way (aws-lambda-go does so when a handler's
// io.Reader fails): the error type, and the error document in base64.
func streamedError(trailer http.Header) outcome {
	typ := trailer.Get(headerErrorType)
	doc, err := base64.StdEncoding.DecodeString(trailer.Get(trailerErrorBody))
	if err != nil || !json.Valid(doc) {
		doc = errorPayload("the function's response stream failed", typ)
	}
	return outcome{payload: doc, errorType: typ, kind: ErrorHandled}
}

// report passes a runtime's report to the worker, unless the runtime hangs up.
func (a *runtimeAPI) report(r *http.Request, rep report) {
	select {
	case a.reports <- rep:
	case <-r.Context().Done():
	}
}

func (a *runtimeAPI) serveNext(w http.ResponseWriter, r *http.Request) {
	var inv *invocation
	select {
	case inv = <-a.next:
	case <-r.Context().Done():
		return
	}
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", a.fnARN)
	if inv.trace != "" {
		h.Set("Lambda-Runtime-Trace-Id", inv.trace)
	}
	if inv.client != "" {
		h.Set("Lambda-Runtime-Client-Context", inv.client)
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.payload)
}

func writeAccepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte(`{"status":"OK"}`))
}

// errorTypeOf reads the error type from the runtime's header or the error body.
func errorTypeOf(r *http.Request, body []byte) string {
	if t := r.Header.Get(headerErrorType); t != "" {
		return t
	}
	var e struct {
		ErrorType string `json:"errorType"`
	}
	if json.Unmarshal(body, &e) == nil && e.ErrorType != "" {
		return e.ErrorType
	}
	return "Unhandled"
}

func errorPayload(msg, typ string) []byte {
	b, _ := json.Marshal(map[string]string{"errorMessage": msg, "errorType": typ})
	return b
}
