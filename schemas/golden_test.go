package schemas_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/dragons-dev/dragons/dragons"
	"github.com/dragons-dev/dragons/events"
	"github.com/dragons-dev/dragons/schemas"
)

// roundTrip decodes data strictly into a fresh value of the type that newV
// returns, encodes it again and returns the result.
func roundTrip(t *testing.T, data []byte, v any) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode into %T: %v", v, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode %T: %v", v, err)
	}
	return out
}

func assertSameJSON(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("round trip changed the document\n got %s\nwant %s", got, want)
	}
}

func assertValid(t *testing.T, name string, doc []byte) {
	t.Helper()
	vs, err := schemas.MustCompile(name).ValidateJSON(doc)
	if err != nil || len(vs) > 0 {
		t.Errorf("re-encoded document fails %s: %v %v\n%s", name, vs, err, doc)
	}
}

func validExamples(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("examples", dir, "valid", "*.json"))
	if len(files) == 0 {
		t.Fatalf("no valid examples in %s", dir)
	}
	out := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = data
	}
	return out
}

func TestGoldenRequestExamples(t *testing.T) {
	for f, data := range validExamples(t, "dragon-request") {
		t.Run(f, func(t *testing.T) {
			out := roundTrip(t, data, &dragons.Submission{})
			assertSameJSON(t, out, data)
			assertValid(t, schemas.DragonRequest, out)
		})
	}
}

func TestGoldenRecordExamples(t *testing.T) {
	for f, data := range validExamples(t, "dragon-record") {
		t.Run(f, func(t *testing.T) {
			out := roundTrip(t, data, &dragons.Record{})
			assertSameJSON(t, out, data)
			assertValid(t, schemas.DragonRecord, out)
		})
	}
}

func TestGoldenStatusExamples(t *testing.T) {
	for f, data := range validExamples(t, "execution-status") {
		t.Run(f, func(t *testing.T) {
			var e dragons.Execution
			out := roundTrip(t, data, &e)
			assertSameJSON(t, out, data)
			assertValid(t, schemas.ExecutionStatus, out)
			if !dragons.ValidExecutionID(e.ExecutionID) {
				t.Errorf("example execution id %q is not valid", e.ExecutionID)
			}
		})
	}
}

func TestGoldenDragonAddedExamples(t *testing.T) {
	for f, data := range validExamples(t, "dragon-added") {
		t.Run(f, func(t *testing.T) {
			var env lambdaevents.EventBridgeEvent
			out := roundTrip(t, data, &env)
			assertSameJSON(t, out, data)
			assertValid(t, schemas.DragonAddedEvent, out)
			if env.Source != events.Source || env.DetailType != events.DetailTypeDragonAdded {
				t.Errorf("example source/detail-type = %s/%s", env.Source, env.DetailType)
			}
			var detail events.DragonAdded
			detailOut := roundTrip(t, env.Detail, &detail)
			assertSameJSON(t, detailOut, env.Detail)
			if err := detail.Check(); err != nil {
				t.Errorf("example detail fails Check: %v", err)
			}
		})
	}
}

// TestGoldenInvalidDragonAddedFailsCheck: the registry schema and the Go
// consumer-side check agree on the details the Go type can represent.
func TestGoldenInvalidDragonAddedFailsCheck(t *testing.T) {
	for _, name := range []string{"future-version.json", "unsafe-event-id.json"} {
		data, err := os.ReadFile(filepath.Join("examples", "dragon-added", "invalid", name))
		if err != nil {
			t.Fatal(err)
		}
		var env lambdaevents.EventBridgeEvent
		if err := json.Unmarshal(data, &env); err != nil {
			t.Fatal(err)
		}
		var detail events.DragonAdded
		if err := json.Unmarshal(env.Detail, &detail); err != nil {
			t.Fatal(err)
		}
		if err := detail.Check(); err == nil {
			t.Errorf("%s: Check accepted a detail the schema rejects", name)
		}
	}
}
