package awsproto

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
)

// DefaultMaxBody is the request body limit a JSONService applies when none is set.
const DefaultMaxBody = 8 << 20

// Operation runs one JSON RPC operation on its raw input and returns the value to
// encode as the response (nil for an empty object).
type Operation func(ctx context.Context, input json.RawMessage) (any, error)

// Op adapts a typed function to an Operation: the input is decoded into In (unknown
// fields are ignored, as AWS does) and the output encoded as JSON.
func Op[In, Out any](f func(ctx context.Context, in *In) (*Out, error)) Operation {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		in := new(In)
		if len(bytes.TrimSpace(raw)) > 0 {
			if err := json.Unmarshal(raw, in); err != nil {
				return nil, &Error{Code: "SerializationException", Message: fmt.Sprintf("cannot decode request: %v", err), Status: http.StatusBadRequest, Sender: true}
			}
		}
		out, err := f(ctx, in)
		if err != nil {
			return nil, err
		}
		return out, nil
	}
}

// JSONService serves an AWS JSON 1.0 or 1.1 protocol service: it dispatches on the
// operation named in X-Amz-Target and writes results and errors in the shape the SDKs
// decode.
type JSONService struct {
	// Version is "1.0" or "1.1".
	Version string
	// Namespace prefixes error names in __type (for example "com.amazonaws.sqs");
	// empty sends the bare name.
	Namespace string
	// Ops maps operation names to their implementations.
	Ops map[string]Operation
	// MaxBody limits request bodies; 0 means DefaultMaxBody.
	MaxBody int64
	// ErrorHook, when set, may add headers to an error response (SQS's query
	// compatibility header, for example).
	ErrorHook func(w http.ResponseWriter, e *Error)
}

// ServeHTTP implements http.Handler.
func (s *JSONService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, opName := Target(r)
	op, ok := s.Ops[opName]
	if !ok {
		s.WriteError(w, &Error{Code: "UnknownOperationException", Message: fmt.Sprintf("operation %q is not supported", opName), Status: http.StatusBadRequest, Sender: true})
		return
	}
	limit := s.MaxBody
	if limit <= 0 {
		limit = DefaultMaxBody
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		s.WriteError(w, &Error{Code: "SerializationException", Message: fmt.Sprintf("read request body: %v", err), Status: http.StatusBadRequest, Sender: true})
		return
	}
	if int64(len(body)) > limit {
		s.WriteError(w, &Error{Code: "RequestEntityTooLarge", Message: fmt.Sprintf("request body exceeds %d bytes", limit), Status: http.StatusRequestEntityTooLarge, Sender: true})
		return
	}
	if len(bytes.TrimSpace(body)) > 0 && !json.Valid(body) {
		s.WriteError(w, &Error{Code: "SerializationException", Message: "request body is not valid JSON", Status: http.StatusBadRequest, Sender: true})
		return
	}
	out, err := op(r.Context(), body)
	if err != nil {
		s.WriteError(w, err)
		return
	}
	s.WriteResult(w, out)
}

func (s *JSONService) contentType() string {
	if s.Version == "" {
		return "application/x-amz-json-1.1"
	}
	return "application/x-amz-json-" + s.Version
}

// WriteResult writes a 200 response with v encoded as JSON.
func (s *JSONService) WriteResult(w http.ResponseWriter, v any) {
	var body []byte
	if isNil(v) {
		body = []byte("{}")
	} else {
		b, err := json.Marshal(v)
		if err != nil {
			s.WriteError(w, fmt.Errorf("encode response: %w", err))
			return
		}
		body = b
	}
	h := w.Header()
	h.Set("Content-Type", s.contentType())
	h.Set("Content-Length", strconv.Itoa(len(body)))
	setRequestID(h)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// WriteError writes err in the JSON protocol's error shape.
func (s *JSONService) WriteError(w http.ResponseWriter, err error) {
	e := AsError(err)
	if s.ErrorHook != nil {
		s.ErrorHook(w, e)
	}
	WriteJSONError(w, s.contentType(), s.Namespace, e)
}

// WriteJSONError writes e as a JSON protocol error with the given content type.
// The name is sent in both __type and X-Amzn-ErrorType.
func WriteJSONError(w http.ResponseWriter, contentType, namespace string, e *Error) {
	name := e.Code
	if namespace != "" {
		name = namespace + "#" + e.Code
	}
	body, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message,omitempty"`
	}{name, e.Message})
	h := w.Header()
	for k, v := range e.Header {
		h[k] = v
	}
	h.Set("Content-Type", contentType)
	h.Set("X-Amzn-ErrorType", e.Code)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	setRequestID(h)
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

func setRequestID(h http.Header) {
	if h.Get("X-Amzn-RequestId") == "" {
		h.Set("X-Amzn-RequestId", NewRequestID())
	}
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}
