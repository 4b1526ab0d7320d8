package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/dragons-dev/dragons/dragons"
	"github.com/dragons-dev/dragons/dragons/awstest"
	"github.com/dragons-dev/dragons/dragons/catalog"
	"github.com/dragons-dev/dragons/events"
	"github.com/dragons-dev/dragons/handlers/internal/handlertest"
	"github.com/dragons-dev/dragons/handlers/internal/telemetry"
)

func TestMain(m *testing.M) { handlertest.Run(m, nil) }

const (
	bucket = handlertest.Bucket
	execID = "0f8fad5b-d9cb-469f-a165-70867728950e"
)

type fixture struct {
	s3      *awstest.S3
	h       *Handler
	metrics *bytes.Buffer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv, api := handlertest.NewS3(t)
	var metrics bytes.Buffer
	return &fixture{s3: srv, metrics: &metrics, h: &Handler{
		Catalog: handlertest.NewCatalog(t, api), Validator: handlertest.NewValidator(t),
		Log:     handlertest.Logger(),
		Metrics: telemetry.NewMetrics(&metrics, "validateDragon", nil),
	}}
}

// input decodes a workflow input the way the Lambda runtime does.
func input(t *testing.T, doc string) dragons.WorkflowInput {
	t.Helper()
	var in dragons.WorkflowInput
	if err := json.Unmarshal([]byte(doc), &in); err != nil {
		t.Fatal(err)
	}
	return in
}

func withDragon(dragon string) string {
	return `{"executionId":"` + execID + `","submittedAt":"2026-03-14T09:26:53.589Z","dragon":` + dragon + `}`
}

const stored = `[{"dragon_name_str":"Ember","family_str":"red","description_str":"","location_city_str":"","location_state_str":"","location_country_str":"","location_neighborhood_str":"","execution_id_str":"` + execID + `"}]`

func TestValidDragon(t *testing.T) {
	f := newFixture(t)
	res, err := f.h.Handle(context.Background(), input(t, withDragon(`{"dragonName":"  Frost ","family":"blue"}`)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res, Result{Valid: true, DragonName: "Frost"}) {
		t.Errorf("result = %+v", res)
	}
	if f.metrics.Len() != 0 {
		t.Errorf("metrics written for a valid dragon: %s", f.metrics)
	}
}

func TestInvalidDragonsAreDragonValidationExceptions(t *testing.T) {
	f := newFixture(t)
	for _, dragon := range []string{`{}`, `{"dragonName":"x"}`, `{"dragonName":"x","family":"y","wings":2}`, `"Ember"`, `null`} {
		_, err := f.h.Handle(context.Background(), input(t, withDragon(dragon)))
		handlertest.CheckDragonValidationException(t, "dragon "+dragon, err)
	}
	// Missing dragon altogether.
	_, err := f.h.Handle(context.Background(), input(t, `{"executionId":"`+execID+`"}`))
	var dve *events.DragonValidationException
	if !errors.As(err, &dve) || !strings.Contains(dve.Message, "empty") {
		t.Errorf("no dragon: error = %v", err)
	}
	if n := strings.Count(f.metrics.String(), `"DragonsRejected":1`); n != 6 {
		t.Errorf("%d rejection metrics, want 6:\n%s", n, f.metrics)
	}
}

func TestDuplicateIsRejectedButTheSameExecutionIsNot(t *testing.T) {
	f := newFixture(t)
	f.s3.PutObject(bucket, "Dragons.json", []byte(stored))
	// Another execution, the same name spelt differently.
	other := strings.Replace(withDragon(`{"dragonName":" EMBER ","family":"gold"}`), execID, "6c1b2a3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", 1)
	_, err := f.h.Handle(context.Background(), input(t, other))
	var dve *events.DragonValidationException
	if !errors.As(err, &dve) || !strings.Contains(dve.Message, `"Ember" already exists`) {
		t.Fatalf("duplicate: error = %v", err)
	}
	// A re-run of the execution that stored Ember validates fine.
	if _, err := f.h.Handle(context.Background(), input(t, withDragon(`{"dragonName":"Ember","family":"red"}`))); err != nil {
		t.Fatalf("re-run: %v", err)
	}
}

// slowFinder is a catalog whose reads run out of time.
type slowFinder struct{}

func (slowFinder) Lookup(ctx context.Context, name string) (dragons.StoredRecord, bool, error) {
	return dragons.StoredRecord{}, false, fmt.Errorf("get object s3://b/Dragons.json: %w", context.DeadlineExceeded)
}

func TestInfrastructureErrorsAreClassifiedForTheWorkflow(t *testing.T) {
	f := newFixture(t)
	f.s3.PutObject(bucket, "Dragons.json", []byte(`not json`))
	_, err := f.h.Handle(context.Background(), input(t, withDragon(`{"dragonName":"Frost","family":"blue"}`)))
	var dve *events.DragonValidationException
	var corruptEx *events.DragonCatalogCorruptException
	if !errors.As(err, &corruptEx) || errors.As(err, &dve) {
		t.Fatalf("unreadable catalog: error = %T %v, want a DragonCatalogCorruptException", err, err)
	}
	var corrupt *catalog.CorruptError
	if !errors.As(err, &corrupt) {
		t.Errorf("error %v does not wrap the CorruptError", err)
	}
	// A malformed execution id is the workflow's fault, not the dragon's.
	in := input(t, withDragon(`{"dragonName":"Frost","family":"blue"}`))
	in.ExecutionID = "../x"
	var storage *events.DragonStorageException
	if _, err := f.h.Handle(context.Background(), in); err == nil || errors.As(err, &dve) || errors.As(err, &storage) || errors.As(err, &corruptEx) {
		t.Fatalf("bad execution id: error = %T %v, want a plain error", err, err)
	}
	// Both end the execution without a retry: counted as failed.
	if n := strings.Count(f.metrics.String(), `"DragonsFailed":1`); n != 2 {
		t.Errorf("DragonsFailed counted %d times, want 2: %s", n, f.metrics)
	}
	// A read that runs out of time is a storage failure the workflow retries;
	// it is not an outcome yet, so nothing is counted.
	f.h.Catalog = slowFinder{}
	f.metrics.Reset()
	_, err = f.h.Handle(context.Background(), input(t, withDragon(`{"dragonName":"Frost","family":"blue"}`)))
	if !errors.As(err, &storage) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timed-out read: error = %T %v, want a DragonStorageException", err, err)
	}
	if f.metrics.Len() != 0 {
		t.Errorf("metrics written for a retryable failure: %s", f.metrics)
	}
}
