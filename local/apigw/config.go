// Package apigw is the local API Gateway for REST APIs: it routes requests to
// Lambda functions with the proxy integration's exact event shape, runs a Cognito
// authorizer, caches GET answers per the declared cache keys, answers CORS
// preflights, throttles the stage with a token bucket, writes access logs and
// records an AWS::ApiGateway::Stage segment per request. Errors are API Gateway's
// own ({"message": ...} with its statuses).
//
// It does not read templates (the stack package turns a template into a Config),
// run Lambda functions (an Invoker does) or support non-proxy integrations,
// mapping templates, API keys or usage plans.
package apigw

import (
	"context"
	"time"
)

// Config describes one REST API stage.
type Config struct {
	ID     string // API id (as in the execute-api host)
	Name   string
	Stage  string
	Routes []Route
	// CacheTTL is the stage cache's time to live; caching applies to routes with
	// Cache set. Zero disables the cache.
	CacheTTL time.Duration
	Cors     *Cors
	// ThrottleRate (requests per second) and ThrottleBurst apply to the whole
	// stage; zero disables throttling.
	ThrottleRate  float64
	ThrottleBurst int
	// AccessLogGroup receives one JSON line per request when set.
	AccessLogGroup string
	Tracing        bool
}

// Route maps a method and a resource path (with {param} and {proxy+} parts) to a
// function.
type Route struct {
	Method   string // GET, POST, ..., or ANY
	Path     string // e.g. /dragons/executions/{id}
	Function string // name or ARN the Invoker understands
	// Authorizer names the authorizer; empty means none.
	Authorizer string
	// Cache enables the stage cache for this route (GET only); CacheKeys are the
	// request parameters in the key, e.g. "method.request.querystring.family".
	Cache     bool
	CacheKeys []string
	// CacheTTL overrides the stage's CacheTTL for this route when non-zero.
	CacheTTL time.Duration
	// RequireAuthorizationForCacheControl, as in API Gateway's method
	// settings: when set, a Cache-Control: max-age=0 request refreshes the
	// cache entry only if the caller may invalidate the cache (on AWS an IAM
	// principal with execute-api:InvalidateCache; locally any SigV4-signed
	// request, since IAM is not enforced). Cognito users never may. When
	// unset, any caller's max-age=0 refreshes the entry.
	RequireAuthorizationForCacheControl bool
	// ThrottleRate and ThrottleBurst, when ThrottleRate > 0, override the
	// stage's throttling for this method with a bucket of its own.
	ThrottleRate  float64
	ThrottleBurst int
	// UnauthorizedCacheControlHeaderStrategy is what happens to an
	// unauthorized max-age=0: FailWith403, SucceedWithResponseHeader (the
	// default when empty: served as if the header were absent, with a
	// Warning header) or SucceedWithoutResponseHeader.
	UnauthorizedCacheControlHeaderStrategy string
}

// API Gateway's UnauthorizedCacheControlHeaderStrategy values.
const (
	FailWith403                  = "FAIL_WITH_403"
	SucceedWithResponseHeader    = "SUCCEED_WITH_RESPONSE_HEADER"
	SucceedWithoutResponseHeader = "SUCCEED_WITHOUT_RESPONSE_HEADER"
)

// Cors is the preflight answer; values are sent as they are.
type Cors struct {
	AllowOrigin      string
	AllowHeaders     string
	AllowMethods     string
	MaxAge           string
	AllowCredentials bool
}

// Invoker runs a Lambda function synchronously.
type Invoker interface {
	// Invoke returns the function's response payload; functionError is non-empty
	// when the function failed. err reports that the call itself failed
	// (throttling, unknown function).
	Invoke(ctx context.Context, function string, payload []byte, traceHeader string) (response []byte, functionError string, err error)
}

// Authorizer verifies a bearer token and returns its claims.
type Authorizer interface {
	Authorize(ctx context.Context, token string) (map[string]any, error)
}

// LogSink receives access log lines.
type LogSink interface {
	AppendLog(group, stream string, t time.Time, message string)
}

// Tracer records the stage's segment of a request.
type Tracer interface {
	RecordStage(s StageSegment)
}

// StageSegment describes one request for tracing.
type StageSegment struct {
	Name        string // api-name/stage
	ID          string
	TraceHeader string // the header sent to the integration (Parent = ID)
	Start, End  time.Time
	Method, URL string
	Status      int
}
