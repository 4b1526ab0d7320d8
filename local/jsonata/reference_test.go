package jsonata

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"
)

// referenceCase is one entry of testdata/reference.json. The expected
// values were recorded from the JSONata 2.0.6 reference implementation
// (the version Step Functions documents); cases where this package
// deliberately differs are in deviations_test.go instead.
type referenceCase struct {
	Expr      string          `json:"expr"`
	Data      string          `json:"data"`
	Result    json.RawMessage `json:"result"`
	Undefined bool            `json:"undefined"`
	Error     string          `json:"error"`
}

func loadJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
}

// jsonEqual compares two values after a JSON round trip, so that key
// order does not matter and numbers compare as float64.
func jsonEqual(t *testing.T, got any, want json.RawMessage) bool {
	t.Helper()
	gb, err := json.Marshal(got)
	if err != nil {
		t.Fatalf("marshal result %#v: %v", got, err)
	}
	var g, w any
	if err := json.Unmarshal(gb, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(g, w)
}

func TestReference(t *testing.T) {
	var cases []referenceCase
	loadJSON(t, "testdata/reference.json", &cases)
	var datasets map[string]any
	loadJSON(t, "testdata/datasets.json", &datasets)
	if len(cases) < 1000 {
		t.Fatalf("only %d reference cases loaded", len(cases))
	}
	for _, c := range cases {
		var input any = Undefined
		if c.Data != "" {
			v, ok := datasets[c.Data]
			if !ok {
				t.Fatalf("case %q: unknown dataset %q", c.Expr, c.Data)
			}
			input = v
		}
		got, err := evalString(c.Expr, input, nil)
		switch {
		case c.Error != "":
			var je *Error
			if !errors.As(err, &je) {
				t.Errorf("[%s] %s: want error %s, got %s (err %v)", c.Data, c.Expr, c.Error, show(got), err)
			} else if je.Code != c.Error {
				t.Errorf("[%s] %s: want error %s, got %s", c.Data, c.Expr, c.Error, je)
			}
		case err != nil:
			t.Errorf("[%s] %s: unexpected error %v", c.Data, c.Expr, err)
		case c.Undefined:
			if got != Undefined {
				t.Errorf("[%s] %s: want undefined, got %s", c.Data, c.Expr, show(got))
			}
		case got == Undefined:
			t.Errorf("[%s] %s: want %s, got undefined", c.Data, c.Expr, c.Result)
		case !jsonEqual(t, got, c.Result):
			t.Errorf("[%s] %s: want %s, got %s", c.Data, c.Expr, c.Result, show(got))
		}
	}
}

// wantOutcome checks the result of evaluating expr: the error code wantErr
// when it is set, otherwise no error and, when want is "", undefined. It
// returns true when got is a value the caller is still to compare with want.
func wantOutcome(t *testing.T, expr string, got any, err error, want, wantErr string) bool {
	t.Helper()
	if wantErr != "" {
		var je *Error
		if !errors.As(err, &je) || je.Code != wantErr {
			t.Fatalf("%s: want error %s, got %s, %v", expr, wantErr, show(got), err)
		}
		return false
	}
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	if want == "" {
		if got != Undefined {
			t.Fatalf("%s: want undefined, got %s", expr, show(got))
		}
		return false
	}
	if got == Undefined {
		t.Fatalf("%s: want %s, got undefined", expr, want)
	}
	return true
}

func evalString(expr string, input any, vars map[string]any) (any, error) {
	e, err := Compile(expr)
	if err != nil {
		return nil, err
	}
	return e.Eval(input, vars)
}

func show(v any) string {
	if v == Undefined {
		return "undefined"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "<unmarshalable>"
	}
	return string(b)
}
