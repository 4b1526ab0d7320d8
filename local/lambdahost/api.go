package lambdahost

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/dragons-dev/dragons/local/awsproto"
)

// ServeHTTP serves the Lambda REST API subset: Invoke, GetFunction and
// ListFunctions.
func (h *Host) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/2015-03-31/functions")
	if !ok {
		writeError(w, awsproto.Errorf(http.StatusNotFound, "UnknownOperationException", "unknown Lambda operation %s %s", r.Method, r.URL.Path))
		return
	}
	rest = strings.Trim(rest, "/")
	switch {
	case rest == "" && r.Method == http.MethodGet:
		h.serveList(w)
	case strings.HasSuffix(rest, "/invocations") && r.Method == http.MethodPost:
		h.serveInvoke(w, r, strings.TrimSuffix(rest, "/invocations"))
	case !strings.Contains(rest, "/") && r.Method == http.MethodGet:
		f, err := h.lookup(rest)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"Configuration": configJSON(f.cfg)})
	default:
		writeError(w, awsproto.Errorf(http.StatusNotFound, "UnknownOperationException", "unknown Lambda operation %s %s", r.Method, r.URL.Path))
	}
}

func (h *Host) serveList(w http.ResponseWriter) {
	var fns []any
	for _, c := range h.Functions() {
		fns = append(fns, configJSON(c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"Functions": fns})
}

func configJSON(c FunctionConfig) map[string]any {
	out := map[string]any{
		"FunctionName": c.Name,
		"FunctionArn":  c.ARN,
		"Runtime":      "provided.al2023",
		"Handler":      "bootstrap",
		"Timeout":      int(c.Timeout.Seconds()),
		"MemorySize":   c.Memory,
		"Version":      "$LATEST",
		"State":        "Active",
		"PackageType":  "Zip",
	}
	if c.DeadLetterARN != "" {
		out["DeadLetterConfig"] = map[string]any{"TargetArn": c.DeadLetterARN}
	}
	return out
}

func (h *Host) serveInvoke(w http.ResponseWriter, r *http.Request, name string) {
	typ := r.Header.Get("X-Amz-Invocation-Type")
	limit, op := int64(MaxSyncPayload), "InvokeFunction"
	if typ == "Event" {
		limit, op = MaxAsyncPayload, "InvokeAsync"
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		writeError(w, awsproto.Errorf(http.StatusBadRequest, "InvalidRequestContentException", "read body: %v", err))
		return
	}
	if int64(len(body)) > limit {
		// Read (a bounded amount of) the rest, so the client sees the answer
		// rather than a connection closed under its upload.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxDiscard))
		writeError(w, tooLarge(limit, op))
		return
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	if !json.Valid(body) {
		writeError(w, awsproto.Errorf(http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json"))
		return
	}
	o := InvokeOptions{TraceHeader: r.Header.Get("X-Amzn-Trace-Id"), ClientContext: r.Header.Get("X-Amz-Client-Context")}
	switch lt := r.Header.Get("X-Amz-Log-Type"); lt {
	case "", "None":
	case "Tail":
		o.LogTail = typ == "" || typ == "RequestResponse" // only synchronous invocations return logs
	default:
		writeError(w, awsproto.Errorf(http.StatusBadRequest, "InvalidParameterValueException", "unsupported log type %q", lt))
		return
	}
	switch typ {
	case "", "RequestResponse":
		res, err := h.Invoke(r.Context(), name, body, o)
		if err != nil {
			writeError(w, err)
			return
		}
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		w.Header().Set("X-Amzn-RequestId", res.RequestID)
		if res.FunctionError != "" {
			w.Header().Set("X-Amz-Function-Error", res.FunctionError)
		}
		if o.LogTail {
			w.Header().Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString([]byte(res.LogTail)))
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(res.Payload)
	case "Event":
		id, err := h.InvokeAsync(r.Context(), name, body, o)
		if err != nil {
			writeError(w, err)
			return
		}
		w.Header().Set("X-Amzn-RequestId", id)
		w.WriteHeader(http.StatusAccepted)
	case "DryRun":
		if _, err := h.lookup(name); err != nil {
			writeError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		writeError(w, awsproto.Errorf(http.StatusBadRequest, "InvalidParameterValueException", "unsupported invocation type %q", typ))
	}
}

// maxDiscard bounds how much of an oversized request body is read and dropped.
const maxDiscard = 64 << 20

func tooLarge(limit int64, op string) error {
	return awsproto.Errorf(http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than %d bytes for the %s operation", limit, op)
}

func writeError(w http.ResponseWriter, err error) {
	e := awsproto.AsError(err)
	awsproto.WriteJSONError(w, "application/json", "", e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
