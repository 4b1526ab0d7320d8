// Package edge is the local cloud's single HTTP endpoint. It routes each request to
// the service that owns it, by path prefix (for local and unsigned endpoints such as
// /_local/ and JWKS documents), by the X-Amz-Target prefix, or by the service name in
// the SigV4 credential scope, and logs one structured line per request (naming
// the operation: the X-Amz-Target operation, the query protocol's Action, or for
// S3 the operation its method, path and subresource suggest). It serves
// /_local/health and /_local/stack itself, and answers requests no service
// claims in the error shape of the client's protocol.
//
// It does not check signatures (any credentials are accepted), read request
// bodies itself (a form body's Action is noted as the service reads it), parse
// service payloads or hold service state.
package edge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dragons-dev/dragons/local/awsproto"
)

// Edge routes requests to registered services.
type Edge struct {
	log *slog.Logger

	mu       sync.RWMutex
	services map[string]http.Handler // by SigV4 service name
	targets  map[string]http.Handler // by X-Amz-Target prefix
	paths    []pathRoute             // longest prefix first
	fallback http.Handler
	health   func() map[string]any
	stack    func() map[string]any

	srv *http.Server
	ln  net.Listener
}

type pathRoute struct {
	prefix string
	h      http.Handler
}

// New returns an Edge that logs to log (nil discards logs).
func New(log *slog.Logger) *Edge {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Edge{
		log:      log,
		services: map[string]http.Handler{},
		targets:  map[string]http.Handler{},
	}
}

// Handle routes requests signed for service (the SigV4 scope's service name, such
// as "s3", "sqs", "events") to h.
func (e *Edge) Handle(service string, h http.Handler) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.services[service] = h
}

// HandleTarget routes requests whose X-Amz-Target starts with prefix followed by a
// dot (for example "AWSCognitoIdentityProviderService") to h, signed or not.
func (e *Edge) HandleTarget(prefix string, h http.Handler) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.targets[prefix] = h
}

// HandlePath routes requests whose URL path starts with prefix to h. Path routes win
// over every other kind of route.
func (e *Edge) HandlePath(prefix string, h http.Handler) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.paths = append(e.paths, pathRoute{prefix, h})
	sort.SliceStable(e.paths, func(i, j int) bool { return len(e.paths[i].prefix) > len(e.paths[j].prefix) })
}

// HandleFallback routes requests no other route claims (unsigned S3 requests, for
// example) to h.
func (e *Edge) HandleFallback(h http.Handler) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.fallback = h
}

// SetHealth sets the function whose result /_local/health reports. While it is nil,
// or returns a map whose "ready" is false, the endpoint answers 503.
func (e *Edge) SetHealth(f func() map[string]any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.health = f
}

// SetStack sets the function whose result /_local/stack reports.
func (e *Edge) SetStack(f func() map[string]any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stack = f
}

// route picks the handler for r and names the service for the log line.
func (e *Edge) route(r *http.Request) (http.Handler, string) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, p := range e.paths {
		if strings.HasPrefix(r.URL.Path, p.prefix) {
			return p.h, "path:" + p.prefix
		}
	}
	if prefix, _ := awsproto.Target(r); prefix != "" {
		if h, ok := e.targets[prefix]; ok {
			return h, prefix
		}
	}
	if scope, ok := awsproto.SigV4Scope(r); ok {
		if h, ok := e.services[scope.Service]; ok {
			return h, scope.Service
		}
		return nil, scope.Service
	}
	if e.fallback != nil {
		return e.fallback, "fallback"
	}
	return nil, ""
}

// ServeHTTP implements http.Handler.
func (e *Edge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	var service string
	var peek *bodyPeek
	switch r.URL.Path {
	case "/_local/health":
		service = "local"
		e.serveHealth(rec)
	case "/_local/stack":
		service = "local"
		e.serveStack(rec)
	default:
		var h http.Handler
		h, service = e.route(r)
		switch {
		case h == nil:
			writeUnrouted(rec, r, service)
		default:
			if r.Header.Get("X-Amz-Target") == "" && isForm(r) && r.Body != nil && r.Body != http.NoBody {
				peek = &bodyPeek{ReadCloser: r.Body}
				r.Body = peek
			}
			h.ServeHTTP(rec, r)
		}
	}
	e.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("service", service),
		slog.String("op", operation(r, service, peek)),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", rec.status),
		slog.Duration("duration", time.Since(start)),
	)
}

// operation names the operation of a served request for the log line: the
// X-Amz-Target operation (JSON protocols), the query protocol's Action (from the
// URL or the part of the form body the handler read), or for S3 the operation
// its method, path and subresource suggest.
func operation(r *http.Request, service string, peek *bodyPeek) string {
	if _, op := awsproto.Target(r); op != "" {
		return op
	}
	if a := r.URL.Query().Get("Action"); a != "" {
		return a
	}
	if peek != nil {
		if a := peek.action(); a != "" {
			return a
		}
	}
	if service == "s3" {
		return s3Op(r)
	}
	return ""
}

// restJSONServices are the SigV4 service names of REST-JSON protocols, whose
// clients decode JSON errors though they send no X-Amz-Target.
var restJSONServices = map[string]bool{"lambda": true, "xray": true, "apigateway": true}

// writeUnrouted answers a request no local service handles, in the error shape
// its client decodes: JSON for the JSON protocols (X-Amz-Target or a REST-JSON
// service), the query protocol's XML for form-encoded requests or a URL Action,
// and REST-XML (S3's shape) otherwise.
func writeUnrouted(w http.ResponseWriter, r *http.Request, service string) {
	target := r.Header.Get("X-Amz-Target")
	err := &awsproto.Error{
		Code:    "UnrecognizedClientException",
		Message: fmt.Sprintf("no local service handles this request (service %q, target %q)", service, target),
		Status:  http.StatusBadRequest,
		Sender:  true,
	}
	switch {
	case target != "" || restJSONServices[service]:
		awsproto.WriteJSONError(w, "application/json", "", err)
	case isForm(r) || r.URL.Query().Get("Action") != "":
		awsproto.WriteQueryError(w, err)
	default:
		awsproto.WriteRESTXMLError(w, err, r.URL.Path)
	}
}

func (e *Edge) serveHealth(w http.ResponseWriter) {
	e.mu.RLock()
	f := e.health
	e.mu.RUnlock()
	body := map[string]any{"ready": false}
	if f != nil {
		body = f()
	}
	status := http.StatusServiceUnavailable
	if ready, _ := body["ready"].(bool); ready {
		status = http.StatusOK
	}
	writeJSON(w, status, body)
}

func (e *Edge) serveStack(w http.ResponseWriter) {
	e.mu.RLock()
	f := e.stack
	e.mu.RUnlock()
	body := map[string]any{}
	if f != nil {
		body = f()
	}
	writeJSON(w, http.StatusOK, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Start listens on addr (port 0 picks a free port) and serves in the background.
// It returns the bound address.
func (e *Edge) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listen on %s: %w", addr, err)
	}
	e.ln = ln
	e.srv = &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := e.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Error("edge server stopped", "err", err)
		}
	}()
	return ln.Addr().String(), nil
}

// Close stops the server, waiting up to the context's deadline for requests in
// flight.
func (e *Edge) Close(ctx context.Context) error {
	if e.srv == nil {
		return nil
	}
	if err := e.srv.Shutdown(ctx); err != nil {
		return fmt.Errorf("shut down edge: %w", err)
	}
	return nil
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status = code
		s.wrote = true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Flush lets streaming handlers flush through the recorder.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
