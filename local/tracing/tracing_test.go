package tracing

import (
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	xraysvc "github.com/aws/aws-sdk-go-v2/service/xray"
	"github.com/aws/aws-xray-sdk-go/v2/strategy/sampling"
	"github.com/aws/aws-xray-sdk-go/v2/xray"
)

func waitFor(t *testing.T, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestHeader(t *testing.T) {
	h := ParseHeader("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
	if h.Root != "1-5759e988-bd862e3fe1be46a994272793" || h.Parent != "53995c3f42cd8ad8" || !h.Sampled {
		t.Fatalf("parsed %+v", h)
	}
	c := h.Child("aaaaaaaaaaaaaaaa", time.Now())
	if c.String() != "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=aaaaaaaaaaaaaaaa;Sampled=1" {
		t.Fatalf("child = %s", c)
	}
	n := Header{}.Child("bbbbbbbbbbbbbbbb", time.Unix(0x5759e988, 0))
	if len(n.Root) != 35 || n.Root[:11] != "1-5759e988-" || !n.Sampled {
		t.Fatalf("new root = %+v", n)
	}
}

func TestDaemonStitchesSegmentsAndServesReadAPI(t *testing.T) {
	s := New(Options{})
	addr, err := s.ListenUDP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	traceID := NewTraceID(now)
	gw := NewSegmentID()
	fn := NewSegmentID()
	s.Record(Segment{Name: "api/prod", ID: gw, TraceID: traceID, Origin: "AWS::ApiGateway::Stage", Start: now, End: now.Add(20 * time.Millisecond),
		HTTP: map[string]any{"request": map[string]any{"method": "POST"}, "response": map[string]any{"status": 202}}})
	s.Record(Segment{Name: "submitDragon", ID: fn, TraceID: traceID, ParentID: gw, Origin: "AWS::Lambda::Function",
		Start: now.Add(time.Millisecond), End: now.Add(15 * time.Millisecond)})

	// A handler's subsegment arrives over UDP as a standalone document, the way
	// the X-Ray SDK sends it from inside Lambda.
	sub := map[string]any{"type": "subsegment", "name": "S3", "id": NewSegmentID(), "trace_id": traceID, "parent_id": fn,
		"start_time": float64(now.UnixNano())/1e9 + 0.002, "end_time": float64(now.UnixNano())/1e9 + 0.004,
		"annotations": map[string]any{"dragon": "Ember"}}
	b, _ := json.Marshal(sub)
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(append([]byte("{\"format\":\"json\",\"version\":1}\n"), b...)); err != nil {
		t.Fatal(err)
	}
	conn.Close()

	// And a whole segment from the real X-Ray SDK.
	// Sample every segment: the default rule samples one a second, so a
	// repeated run (-count=2) would otherwise send nothing.
	all, err := sampling.NewLocalizedStrategyFromJSONBytes([]byte(`{"version":2,"default":{"fixed_target":1,"rate":1.0}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := xray.Configure(xray.Config{DaemonAddr: addr, SamplingStrategy: all}); err != nil {
		t.Fatal(err)
	}
	ctx, seg := xray.BeginSegment(context.Background(), "sdk-service")
	_, child := xray.BeginSubsegment(ctx, "work")
	_ = xray.AddAnnotation(ctx, "dragon", "Ember")
	child.Close(nil)
	seg.Close(nil)
	sdkTrace := seg.TraceID

	waitFor(t, func() bool {
		segs := s.Trace(traceID)
		return len(segs) == 2 && len(s.Trace(sdkTrace)) == 1
	})

	srv := httptest.NewServer(s)
	defer srv.Close()
	c := xraysvc.New(xraysvc.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})
	sums, err := c.GetTraceSummaries(context.Background(), &xraysvc.GetTraceSummariesInput{
		StartTime: aws.Time(now.Add(-time.Minute)), EndTime: aws.Time(time.Now().Add(time.Minute)),
		FilterExpression: aws.String(`annotation.dragon = "Ember"`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sums.TraceSummaries) != 2 {
		t.Fatalf("summaries = %d, want the two traces annotated with Ember", len(sums.TraceSummaries))
	}
	traces, err := c.BatchGetTraces(context.Background(), &xraysvc.BatchGetTracesInput{TraceIds: []string{traceID, "1-00000000-000000000000000000000000"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(traces.Traces) != 1 || len(traces.UnprocessedTraceIds) != 1 || len(traces.Traces[0].Segments) != 2 {
		t.Fatalf("traces = %+v", traces)
	}
	var fnDoc map[string]any
	for _, sg := range traces.Traces[0].Segments {
		if aws.ToString(sg.Id) == fn {
			_ = json.Unmarshal([]byte(aws.ToString(sg.Document)), &fnDoc)
		}
	}
	subs, _ := fnDoc["subsegments"].([]any)
	if fnDoc["parent_id"] != gw || len(subs) != 1 || subs[0].(map[string]any)["name"] != "S3" {
		t.Fatalf("function segment = %v, want parent %s and the S3 subsegment folded in", fnDoc, gw)
	}
	if _, err := c.GetTraceSummaries(context.Background(), &xraysvc.GetTraceSummariesInput{
		StartTime: aws.Time(now.Add(-time.Minute)), EndTime: aws.Time(time.Now()), FilterExpression: aws.String("responsetime > 5"),
	}); err == nil {
		t.Fatal("an unsupported filter expression was accepted")
	}
}
