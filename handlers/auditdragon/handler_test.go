package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/dragons-dev/dragons/dragons/awstest"
	"github.com/dragons-dev/dragons/handlers/internal/handlertest"
)

func TestMain(m *testing.M) { handlertest.Run(m, nil) }

const bucket = handlertest.Bucket

func newHandler(t *testing.T) (*awstest.S3, *Handler) {
	t.Helper()
	srv, api := handlertest.NewS3(t)
	at := time.Date(2026, 3, 14, 9, 27, 0, 0, time.UTC)
	return srv, &Handler{S3: api, Bucket: bucket, Log: handlertest.Logger(), Now: func() time.Time { return at }}
}

// exampleEvent is the valid DragonAdded example of schemas/, as EventBridge
// delivers it to a Lambda target.
func exampleEvent(t *testing.T) lambdaevents.EventBridgeEvent {
	t.Helper()
	data, err := os.ReadFile("../../schemas/examples/dragon-added/valid/event.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev lambdaevents.EventBridgeEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestWritesOneAuditRecordPerEvent(t *testing.T) {
	srv, h := newHandler(t)
	ev := exampleEvent(t)
	if err := h.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	key := "audit/0f8fad5b-d9cb-469f-a165-70867728950e.json"
	data, etag, ok := srv.Object(bucket, key)
	if !ok {
		t.Fatalf("no %s; keys %v", key, srv.Keys(bucket, ""))
	}
	var rec AuditRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.EventID != "0f8fad5b-d9cb-469f-a165-70867728950e" || rec.DeliveryID != ev.ID || rec.Dragon.DragonName != "Mossback" ||
		rec.PublishedAt != "2026-03-14T09:26:54Z" || rec.RecordedAt != "2026-03-14T09:27:00.000Z" || !strings.HasPrefix(rec.ExecutionArn, "arn:aws:states:") {
		t.Errorf("audit record = %+v", rec)
	}
	// A redelivery (new delivery id, same eventId) changes nothing.
	again := ev
	again.ID = "a-second-delivery"
	h.Now = func() time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) }
	if err := h.Handle(context.Background(), again); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	if _, etag2, _ := srv.Object(bucket, key); etag2 != etag {
		t.Error("redelivery rewrote the audit record")
	}
	if keys := srv.Keys(bucket, "audit/"); len(keys) != 1 {
		t.Errorf("audit keys = %v", keys)
	}
}

func TestOtherEventsAreIgnored(t *testing.T) {
	srv, h := newHandler(t)
	ev := exampleEvent(t)
	ev.DetailType = "DragonRemoved"
	if err := h.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	ev = exampleEvent(t)
	ev.Source = "someone.else"
	if err := h.Handle(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if len(srv.Requests()) != 0 {
		t.Errorf("ignored events reached S3: %+v", srv.Requests())
	}
}

func TestMalformedDragonAddedIsAnError(t *testing.T) {
	srv, h := newHandler(t)
	for name, detail := range map[string]string{
		"not an object":  `"x"`,
		"unsafe id":      `{"eventId":"../../Dragons","version":1,"executionArn":"arn","dragon":{"dragon_name_str":"x"}}`,
		"future version": `{"eventId":"e1","version":2,"executionArn":"arn","dragon":{"dragon_name_str":"x"}}`,
		"no dragon name": `{"eventId":"e1","version":1,"executionArn":"arn","dragon":{}}`,
	} {
		ev := exampleEvent(t)
		ev.Detail = json.RawMessage(detail)
		if err := h.Handle(context.Background(), ev); err == nil {
			t.Errorf("%s: Handle succeeded", name)
		}
	}
	if len(srv.Keys(bucket, "")) != 0 {
		t.Errorf("malformed events wrote %v", srv.Keys(bucket, ""))
	}
}

func TestStorageFailureIsAnError(t *testing.T) {
	srv, h := newHandler(t)
	srv.FailNextPuts(1, http.StatusForbidden, "AccessDenied")
	err := h.Handle(context.Background(), exampleEvent(t))
	if err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("error = %v, want AccessDenied", err)
	}
	if got := Key("e1"); got != "audit/e1.json" {
		t.Errorf("Key = %q", got)
	}
}
