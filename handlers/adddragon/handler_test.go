package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/dragons-dev/dragons/dragons"
	"github.com/dragons-dev/dragons/dragons/awstest"
	"github.com/dragons-dev/dragons/dragons/catalog"
	"github.com/dragons-dev/dragons/events"
	"github.com/dragons-dev/dragons/handlers/internal/handlertest"
	"github.com/dragons-dev/dragons/handlers/internal/telemetry"
	"github.com/dragons-dev/dragons/schemas"
)

func TestMain(m *testing.M) { handlertest.Run(m, nil) }

const bucket = handlertest.Bucket

type fixture struct {
	s3      *awstest.S3
	api     *s3.Client
	metrics *syncBuffer
	logs    *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the concurrent test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv, api := handlertest.NewS3(t)
	return &fixture{s3: srv, api: api, metrics: &syncBuffer{}, logs: &syncBuffer{}}
}

// handler is one function instance: its own catalog (and cache), with the
// production defaults.
func (f *fixture) handler(t *testing.T) *Handler {
	t.Helper()
	return &Handler{Catalog: handlertest.NewCatalog(t, f.api), Validator: handlertest.NewValidator(t),
		Log:     slog.New(slog.NewJSONHandler(f.logs, nil)),
		Metrics: telemetry.NewMetrics(f.metrics, "addDragon", nil)}
}

func input(t *testing.T, execID, dragon string) dragons.WorkflowInput {
	t.Helper()
	var in dragons.WorkflowInput
	doc := `{"executionId":"` + execID + `","submittedAt":"2026-03-14T09:26:53.589Z","dragon":` + dragon + `}`
	if err := json.Unmarshal([]byte(doc), &in); err != nil {
		t.Fatal(err)
	}
	return in
}

func execID(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }

func TestAddStoresTheRecordAndReturnsIt(t *testing.T) {
	f := newFixture(t)
	h := f.handler(t)
	out, err := h.Handle(context.Background(), input(t, execID(1),
		`{"dragonName":" Frost ","family":"blue","city":"Nome","reportingPhoneNumber":"+19075550100","confirmationRequired":true}`))
	if err != nil {
		t.Fatal(err)
	}
	want := dragons.Record{DragonName: "Frost", Family: "blue", City: "Nome"}
	if out.Record != want || out.Version != 1 {
		t.Errorf("output = %+v", out)
	}
	// The output is what the workflow passes on: check its JSON shape.
	b, _ := json.Marshal(out)
	var shape struct {
		Record  json.RawMessage `json:"record"`
		Version int             `json:"version"`
	}
	_ = json.Unmarshal(b, &shape)
	if vs, err := schemas.MustCompile(schemas.DragonRecord).ValidateJSON(shape.Record); err != nil || len(vs) > 0 {
		t.Errorf("output record %s fails the record schema: %v %v", shape.Record, vs, err)
	}
	data, _, _ := f.s3.Object(bucket, "Dragons.json")
	stored, err := dragons.DecodeCatalog(data)
	if err != nil || len(stored) != 1 || stored[0].Record != want || stored[0].ExecutionID != execID(1) {
		t.Fatalf("stored = %+v, %v", stored, err)
	}
	m := f.metrics.String()
	if !strings.Contains(m, `"DragonsAdded":1`) || !strings.Contains(m, `"AddLatency":`) {
		t.Errorf("metrics = %s", m)
	}
}

func TestRerunOfTheSameExecutionIsASuccessWithoutASecondCopy(t *testing.T) {
	f := newFixture(t)
	first, err := f.handler(t).Handle(context.Background(), input(t, execID(1), `{"dragonName":"Frost","family":"blue"}`))
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.handler(t).Handle(context.Background(), input(t, execID(1), `{"dragonName":"Frost","family":"blue"}`))
	if err != nil {
		t.Fatalf("re-run: %v", err)
	}
	if !reflect.DeepEqual(first, again) {
		t.Errorf("re-run output %+v differs from %+v", again, first)
	}
	data, _, _ := f.s3.Object(bucket, "Dragons.json")
	if stored, _ := dragons.DecodeCatalog(data); len(stored) != 1 {
		t.Errorf("%d records after a re-run", len(stored))
	}
	if n := strings.Count(f.metrics.String(), `"DragonsAdded":1`); n != 1 {
		t.Errorf("DragonsAdded counted %d times", n)
	}
}

func TestDuplicateAndInvalidAreDragonValidationExceptions(t *testing.T) {
	f := newFixture(t)
	h := f.handler(t)
	if _, err := h.Handle(context.Background(), input(t, execID(1), `{"dragonName":"Frost","family":"blue"}`)); err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string]dragons.WorkflowInput{
		"duplicate":     input(t, execID(2), `{"dragonName":"  FROST","family":"white"}`),
		"invalid":       input(t, execID(3), `{"dragonName":"","family":"white","size":3}`),
		"missing field": input(t, execID(4), `{"family":"white"}`),
	} {
		_, err := h.Handle(context.Background(), in)
		handlertest.CheckDragonValidationException(t, name, err)
	}
	if n := strings.Count(f.metrics.String(), `"DragonsRejected":1`); n != 3 {
		t.Errorf("DragonsRejected counted %d times, want 3", n)
	}
}

func TestUnparseableCatalogFailsLoudlyAndIsKept(t *testing.T) {
	f := newFixture(t)
	broken := []byte(`[{"dragon_name_str":"Atlas","family_str":"red",`)
	f.s3.PutObject(bucket, "Dragons.json", broken)
	_, err := f.handler(t).Handle(context.Background(), input(t, execID(1), `{"dragonName":"Frost","family":"blue"}`))
	// Not retried by the workflow (no retry can fix it): straight to the DLQ.
	var corruptEx *events.DragonCatalogCorruptException
	var corrupt *catalog.CorruptError
	if !errors.As(err, &corruptEx) || !errors.As(err, &corrupt) {
		t.Fatalf("error = %T %v, want a DragonCatalogCorruptException wrapping the CorruptError", err, err)
	}
	if data, _, _ := f.s3.Object(bucket, "Dragons.json"); !bytes.Equal(data, broken) {
		t.Fatalf("catalog overwritten: %q", data)
	}
	if !strings.Contains(f.metrics.String(), `"DragonsFailed":1`) || !strings.Contains(f.logs.String(), "unreadable") {
		t.Errorf("no loud failure: metrics %s logs %s", f.metrics, f.logs)
	}
}

func TestServiceErrorsAreClassifiedForTheWorkflow(t *testing.T) {
	f := newFixture(t)
	f.s3.FailNextPuts(1, http.StatusServiceUnavailable, "ServiceUnavailable")
	h := f.handler(t)
	in := input(t, execID(1), `{"dragonName":"Frost","family":"blue"}`)
	// The SDK retries a 503 by itself; the add then succeeds.
	if _, err := h.Handle(context.Background(), in); err != nil {
		t.Fatalf("add after one 503: %v", err)
	}

	// An add that keeps losing the conditional-write race is a storage
	// failure the workflow retries.
	racing := f.handler(t)
	racing.Catalog = handlertest.NewCatalog(t, f.api, catalog.WithMaxAttempts(2), catalog.WithBackoff(time.Millisecond, time.Millisecond))
	f.s3.FailNextPuts(2, http.StatusPreconditionFailed, "PreconditionFailed")
	_, err := racing.Handle(context.Background(), input(t, execID(2), `{"dragonName":"Ember","family":"red"}`))
	var storage *events.DragonStorageException
	if !errors.As(err, &storage) || !errors.Is(err, catalog.ErrContention) {
		t.Fatalf("error = %T %v, want a DragonStorageException wrapping ErrContention", err, err)
	}
	if strings.Contains(f.metrics.String(), "DragonsFailed") {
		t.Errorf("a retryable failure was counted as failed: %s", f.metrics)
	}

	// Access denied is not transient: a plain error, which the workflow
	// sends to the DLQ without retrying.
	f.s3.FailNextPuts(10, http.StatusForbidden, "AccessDenied")
	_, err = h.Handle(context.Background(), input(t, execID(3), `{"dragonName":"Ember","family":"red"}`))
	var dve *events.DragonValidationException
	var corrupt *events.DragonCatalogCorruptException
	if err == nil || errors.As(err, &dve) || errors.As(err, &storage) || errors.As(err, &corrupt) || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("error = %T %v, want AccessDenied as a plain error", err, err)
	}
	if n := strings.Count(f.metrics.String(), `"DragonsFailed":1`); n != 1 {
		t.Errorf("DragonsFailed counted %d times after one non-retryable failure: %s", n, f.metrics)
	}
	if n := strings.Count(f.metrics.String(), `"DragonsAdded":1`); n != 1 {
		t.Errorf("DragonsAdded counted %d times for one stored dragon: %s", n, f.metrics)
	}
}

// TestConcurrentAddsThroughTheHandler repeats, at the function level and
// smaller, the concurrency check of package catalog (64 + 16 adds there):
// distinct dragons and adds of one name, each from its own function instance.
func TestConcurrentAddsThroughTheHandler(t *testing.T) {
	f := newFixture(t)
	const distinct, same = 16, 4
	errs := make([]error, distinct+same)
	var wg sync.WaitGroup
	for i := range distinct + same {
		h := f.handler(t)
		dragon := fmt.Sprintf(`{"dragonName":"Dragon %d","family":"red"}`, i)
		if i >= distinct {
			dragon = `{"dragonName":"Twin","family":"gold"}`
		}
		in := input(t, execID(i), dragon)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = h.Handle(context.Background(), in)
		}()
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		var dve *events.DragonValidationException
		switch {
		case i < distinct && err != nil:
			t.Errorf("add %d: %v", i, err)
		case i >= distinct && err == nil:
			ok++
		case i >= distinct && !errors.As(err, &dve):
			t.Errorf("contested add %d: %v", i, err)
		}
	}
	if ok != 1 {
		t.Errorf("%d adds of the contested name succeeded, want 1", ok)
	}
	data, _, _ := f.s3.Object(bucket, "Dragons.json")
	stored, err := dragons.DecodeCatalog(data)
	if err != nil || len(stored) != distinct+1 {
		t.Fatalf("%d records stored (%v), want %d", len(stored), err, distinct+1)
	}
}

// TestGoldenWorkflowInput runs the task on the contract's workflow input,
// decoded as the runtime decodes it, and compares its output with the
// golden output the workflow keeps at $.added.
func TestGoldenWorkflowInput(t *testing.T) {
	f := newFixture(t)
	data, err := os.ReadFile("testdata/workflow-input.json")
	if err != nil {
		t.Fatal(err)
	}
	var in dragons.WorkflowInput
	if err := json.Unmarshal(data, &in); err != nil {
		t.Fatal(err)
	}
	out, err := f.handler(t).Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(out)
	want, err := os.ReadFile("testdata/output.json")
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	_ = json.Unmarshal(got, &g)
	_ = json.Unmarshal(want, &w)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("output\n got %s\nwant %s", got, want)
	}
}
