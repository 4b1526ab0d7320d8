// Package telemetry gives the dragons functions their logs, traces and
// metrics: log/slog JSON loggers carrying the Lambda request id and the
// X-Ray trace id, X-Ray subsegments annotated with the dragon name and the
// execution id, and CloudWatch Embedded Metric Format (EMF) lines.
//
// Everything here degrades quietly when there is no trace in the context
// (tests, the init phase): spans become no-ops and no error is raised. It
// does not configure the X-Ray SDK globally; package appenv does that once
// per process.
//
// # Metrics
//
// Metrics go to the CloudWatch namespace "Dragons" with one dimension,
// Service (the function that wrote them). They count outcomes, not
// attempts, and each is written by the function that knows the outcome:
//
//   - DragonsAdded (Count; addDragon): a dragon was stored, that is, the
//     conditional write of a new record succeeded. An idempotent re-run of
//     the same execution, which finds its own record and writes nothing, is
//     not counted, so the sum is the number of records added.
//   - AddLatency (Milliseconds; addDragon): for each add counted in
//     DragonsAdded, the time from the start of the invocation to the
//     successful write, including conditional-write rounds lost to other
//     writers.
//   - DragonsRejected (Count): with Service validateDragon or addDragon, the
//     function rejected an execution's dragon: it raised a
//     DragonValidationException (invalid dragon, or a name already taken),
//     which the workflow never retries and sends to the REJECTED record, so
//     each rejected execution is counted once. With Service submitDragon, a
//     POST /dragons body was refused with 400 and no execution was started.
//   - DragonsFailed (Count; validateDragon, addDragon): the function returned
//     an error that the workflow does not retry (an unreadable catalog,
//     access denied, a missing bucket, a malformed workflow input), so the
//     execution goes to the dead-letter queue and ends FAILED. Retryable
//     storage failures (DragonStorageException) are not counted, and neither
//     are executions that fail for reasons no function sees: the retries of
//     a storage failure, a crash or a timeout running out, a failed
//     DragonAdded publish or status-record write. Those show in the workflow
//     DLQ depth and the state machine's ExecutionsFailed metric, which the
//     template alarms on.
package telemetry

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-xray-sdk-go/v2/xray"
)

// NewLogger returns a JSON logger writing to w at the given level, with the
// function's name on every line.
func NewLogger(w io.Writer, function string, level slog.Level) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	return slog.New(h).With("function", function)
}

// ParseLevel maps a Lambda log level name (AWS_LAMBDA_LOG_LEVEL: TRACE,
// DEBUG, INFO, WARN, ERROR, FATAL) to a slog level; unknown or empty names
// give INFO.
func ParseLevel(name string) slog.Level {
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case "TRACE", "DEBUG":
		return slog.LevelDebug
	case "WARN":
		return slog.LevelWarn
	case "ERROR", "FATAL":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// ForInvocation returns log with the invocation's request id and trace id
// attached (each only when known).
func ForInvocation(ctx context.Context, log *slog.Logger) *slog.Logger {
	var attrs []any
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		attrs = append(attrs, "requestId", lc.AwsRequestID)
	}
	if id := TraceID(ctx); id != "" {
		attrs = append(attrs, "traceId", id)
	}
	return log.With(attrs...)
}

// TraceID returns the X-Ray trace id of the invocation in ctx, or "".
func TraceID(ctx context.Context) string {
	if id := xray.TraceID(ctx); id != "" {
		return id
	}
	if h, ok := ctx.Value(xray.LambdaTraceHeaderKey).(string); ok {
		for _, part := range strings.Split(h, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(part), "Root="); ok {
				return v
			}
		}
	}
	return ""
}

// TraceHeader returns the X-Ray trace header to hand to a downstream
// service (for example Step Functions' StartExecution), or "" when the
// invocation is not traced.
func TraceHeader(ctx context.Context) string {
	if seg := xray.GetSegment(ctx); seg != nil && seg.TraceID != "" {
		return seg.DownstreamHeader().String()
	}
	if h, ok := ctx.Value(xray.LambdaTraceHeaderKey).(string); ok {
		return h
	}
	return ""
}

// Span is an X-Ray subsegment, or nothing when the invocation is not
// traced. Its methods are safe on a nil *Span.
type Span struct {
	seg *xray.Segment
}

// StartSpan opens a subsegment named name under the invocation's segment.
// The returned context carries it, so SDK calls made with it nest inside.
func StartSpan(ctx context.Context, name string) (context.Context, *Span) {
	if xray.GetSegment(ctx) == nil {
		if _, ok := ctx.Value(xray.LambdaTraceHeaderKey).(string); !ok {
			return ctx, nil // not traced: do not ask the SDK to complain
		}
	}
	sctx, seg := xray.BeginSubsegment(ctx, name)
	if seg == nil {
		return ctx, nil
	}
	return sctx, &Span{seg: seg}
}

// Annotate adds an indexed annotation (searchable in X-Ray) to the span.
func (s *Span) Annotate(key string, value string) {
	if s == nil || value == "" {
		return
	}
	_ = s.seg.AddAnnotation(key, value)
}

// End closes the span, recording err when it is not nil.
func (s *Span) End(err error) {
	if s == nil {
		return
	}
	s.seg.Close(err)
}

// Annotation keys used by every function.
const (
	AnnotationDragonName  = "dragon_name"
	AnnotationExecutionID = "execution_id"
)

// Metric names, as they appear in CloudWatch. What each one counts is in
// the package documentation.
const (
	MetricDragonsAdded    = "DragonsAdded"
	MetricDragonsRejected = "DragonsRejected"
	MetricDragonsFailed   = "DragonsFailed"
	MetricAddLatency      = "AddLatency"
)

// Namespace is the CloudWatch namespace of the application's metrics.
const Namespace = "Dragons"

// Metrics writes CloudWatch Embedded Metric Format lines: one JSON object
// per line, which the Lambda log pipeline turns into metrics. It is safe
// for concurrent use.
type Metrics struct {
	mu      sync.Mutex
	w       io.Writer
	service string
	now     func() time.Time
}

// NewMetrics returns a writer of EMF lines for the given function (the
// "Service" dimension). now may be nil for time.Now.
func NewMetrics(w io.Writer, service string, now func() time.Time) *Metrics {
	if now == nil {
		now = time.Now
	}
	return &Metrics{w: w, service: service, now: now}
}

// Count records n occurrences of the named metric.
func (m *Metrics) Count(name string, n int) { m.put(name, "Count", float64(n)) }

// Duration records a duration of the named metric, in milliseconds.
func (m *Metrics) Duration(name string, d time.Duration) {
	m.put(name, "Milliseconds", float64(d)/float64(time.Millisecond))
}

type emfMetric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

type emfDirective struct {
	Namespace  string      `json:"Namespace"`
	Dimensions [][]string  `json:"Dimensions"`
	Metrics    []emfMetric `json:"Metrics"`
}

type emfMeta struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

func (m *Metrics) put(name, unit string, value float64) {
	if m == nil {
		return
	}
	line := map[string]any{
		"_aws": emfMeta{
			Timestamp: m.now().UnixMilli(),
			CloudWatchMetrics: []emfDirective{{
				Namespace:  Namespace,
				Dimensions: [][]string{{"Service"}},
				Metrics:    []emfMetric{{Name: name, Unit: unit}},
			}},
		},
		"Service": m.service,
		name:      value,
	}
	b, err := json.Marshal(line)
	if err != nil {
		return // not reachable with the finite values recorded here
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, _ = m.w.Write(append(b, '\n'))
}
