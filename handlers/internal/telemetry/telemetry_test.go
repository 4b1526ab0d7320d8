package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-xray-sdk-go/v2/xray"
)

// captured collects the segments the X-Ray SDK would send to the daemon.
type captured struct {
	mu   sync.Mutex
	segs []*xray.Segment
}

func (c *captured) Emit(seg *xray.Segment) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.segs = append(c.segs, seg)
}

func (c *captured) RefreshEmitterWithAddress(*net.UDPAddr) {}

func (c *captured) byName(name string) *xray.Segment {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.segs {
		if s.Name == name {
			return s
		}
	}
	return nil
}

var emitter = &captured{}

func TestMain(m *testing.M) {
	if err := xray.Configure(xray.Config{Emitter: emitter}); err != nil {
		panic(err)
	}
	m.Run()
}

const traceHeader = "Root=1-65f2a1b3-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"

func TestLoggerCarriesRequestAndTraceIDs(t *testing.T) {
	var buf bytes.Buffer
	log := NewLogger(&buf, "submitDragon", slog.LevelInfo)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-42"})
	ctx = context.WithValue(ctx, xray.LambdaTraceHeaderKey, traceHeader)
	ForInvocation(ctx, log).Info("hello", "dragon", "Ember")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log line %q is not JSON: %v", buf.String(), err)
	}
	want := map[string]any{"msg": "hello", "function": "submitDragon", "requestId": "req-42", "traceId": "1-65f2a1b3-0123456789abcdef01234567", "dragon": "Ember", "level": "INFO"}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("log %s = %v, want %v (line %s)", k, line[k], v, buf.String())
		}
	}
	// Without ids, the fields are absent rather than empty.
	buf.Reset()
	ForInvocation(context.Background(), log).Info("bare")
	if strings.Contains(buf.String(), "requestId") || strings.Contains(buf.String(), "traceId") {
		t.Errorf("untraced line has ids: %s", buf.String())
	}
}

func TestParseLevel(t *testing.T) {
	cases := map[string]slog.Level{"": slog.LevelInfo, "debug": slog.LevelDebug, "TRACE": slog.LevelDebug, "WARN": slog.LevelWarn, "ERROR": slog.LevelError, "FATAL": slog.LevelError, "bogus": slog.LevelInfo}
	for in, want := range cases {
		if got := ParseLevel(in); got != want {
			t.Errorf("ParseLevel(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestSpanWithoutTraceIsANoOp(t *testing.T) {
	ctx, span := StartSpan(context.Background(), "Handle")
	if span != nil || ctx != context.Background() {
		t.Fatalf("StartSpan without a trace = %v", span)
	}
	span.Annotate(AnnotationDragonName, "Ember") // must not panic
	span.End(errors.New("x"))
	if TraceHeader(ctx) != "" || TraceID(ctx) != "" {
		t.Error("untraced context reports a trace")
	}
}

func TestSpanIsAnnotatedAndEmitted(t *testing.T) {
	ctx := context.WithValue(context.Background(), xray.LambdaTraceHeaderKey, traceHeader)
	ctx, span := StartSpan(ctx, "AnnotatedHandle")
	if span == nil {
		t.Fatal("StartSpan with a Lambda trace header returned no span")
	}
	span.Annotate(AnnotationDragonName, `O'Brien "Bold"`)
	span.Annotate(AnnotationExecutionID, "0f8fad5b-d9cb-469f-a165-70867728950e")
	span.Annotate("empty", "")
	if got := TraceID(ctx); got != "1-65f2a1b3-0123456789abcdef01234567" {
		t.Errorf("TraceID = %q", got)
	}
	h := TraceHeader(ctx)
	if !strings.Contains(h, "Root=1-65f2a1b3-0123456789abcdef01234567") || !strings.Contains(h, "Parent=") {
		t.Errorf("TraceHeader = %q", h)
	}
	span.End(nil)
	seg := emitter.byName("AnnotatedHandle")
	if seg == nil {
		t.Fatal("the span was not emitted")
	}
	if seg.Annotations[AnnotationDragonName] != `O'Brien "Bold"` || seg.Annotations[AnnotationExecutionID] != "0f8fad5b-d9cb-469f-a165-70867728950e" {
		t.Errorf("annotations = %v", seg.Annotations)
	}
	if _, ok := seg.Annotations["empty"]; ok {
		t.Error("an empty annotation was recorded")
	}
	if seg.TraceID != "1-65f2a1b3-0123456789abcdef01234567" {
		t.Errorf("emitted trace id = %q", seg.TraceID)
	}
}

func TestMetricsWriteEMF(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	m := NewMetrics(&buf, "addDragon", func() time.Time { return at })
	m.Count(MetricDragonsAdded, 1)
	m.Duration(MetricAddLatency, 1500*time.Microsecond)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines: %q", len(lines), buf.String())
	}
	type line struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Service      string
		DragonsAdded *float64
		AddLatency   *float64
	}
	var a, b line
	if err := json.Unmarshal([]byte(lines[0]), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &b); err != nil {
		t.Fatal(err)
	}
	if a.AWS.Timestamp != at.UnixMilli() || a.Service != "addDragon" || a.DragonsAdded == nil || *a.DragonsAdded != 1 {
		t.Errorf("count line = %s", lines[0])
	}
	d := a.AWS.CloudWatchMetrics
	if len(d) != 1 || d[0].Namespace != Namespace || len(d[0].Dimensions) != 1 || d[0].Dimensions[0][0] != "Service" ||
		len(d[0].Metrics) != 1 || d[0].Metrics[0] != (struct{ Name, Unit string }{"DragonsAdded", "Count"}) {
		t.Errorf("count directive = %+v", d)
	}
	if b.AddLatency == nil || *b.AddLatency != 1.5 || b.AWS.CloudWatchMetrics[0].Metrics[0].Unit != "Milliseconds" {
		t.Errorf("latency line = %s", lines[1])
	}
	var nilMetrics *Metrics
	nilMetrics.Count(MetricDragonsFailed, 1) // safe
}
