package asl

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dragons-dev/dragons/local/asl/jsonpath"
)

// conformanceDir finds shared/conformance/asl by walking up from the
// package directory (the repository sits next to shared/).
func conformanceDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		for _, cand := range []string{
			filepath.Join(dir, "shared", "conformance", "asl"),
			filepath.Join(dir, "..", "shared", "conformance", "asl"),
		} {
			if _, err := os.Stat(filepath.Join(cand, "index.json")); err == nil {
				return cand
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("shared/conformance/asl not found next to the repository; the conformance corpus is an external prerequisite")
		}
		dir = parent
	}
}

type conformanceCase struct {
	Name           string          `json:"name"`
	Definition     json.RawMessage `json:"definition"`
	Input          json.RawMessage `json:"input"`
	ExpectedOutput json.RawMessage `json:"expectedOutput"`
	ExpectedError  *struct {
		Error string  `json:"Error"`
		Cause *string `json:"Cause"`
	} `json:"expectedError"`
}

func TestConformance(t *testing.T) {
	dir := conformanceDir(t)
	var index struct {
		Cases []struct {
			File string `json:"file"`
		} `json:"cases"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &index); err != nil {
		t.Fatal(err)
	}
	if len(index.Cases) == 0 {
		t.Fatal("index.json lists no cases")
	}
	for _, c := range index.Cases {
		t.Run(c.File, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, c.File))
			if err != nil {
				t.Fatal(err)
			}
			var tc conformanceCase
			if err := json.Unmarshal(raw, &tc); err != nil {
				t.Fatal(err)
			}
			sm, err := Parse(tc.Definition)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var input any
			if len(tc.Input) > 0 {
				if err := json.Unmarshal(tc.Input, &input); err != nil {
					t.Fatal(err)
				}
			}
			clock := NewFakeClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
			out, err := sm.Run(context.Background(), input, RunOptions{
				Clock:        clock,
				Execution:    ExecutionInfo{ID: "arn:aws:states:us-east-1:000000000000:execution:conf:" + tc.Name, Name: tc.Name},
				StateMachine: StateMachineInfo{ID: "arn:aws:states:us-east-1:000000000000:stateMachine:conf", Name: "conf"},
			})
			if tc.ExpectedError != nil {
				var ee *ExecError
				if !errors.As(err, &ee) {
					t.Fatalf("want error %s, got output %s (err %v)", tc.ExpectedError.Error, compactJSON(out), err)
				}
				if ee.ErrorName != tc.ExpectedError.Error {
					t.Fatalf("error = %s (cause %q), want %s", ee.ErrorName, ee.Cause, tc.ExpectedError.Error)
				}
				return
			}
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			var want any
			if err := json.Unmarshal(tc.ExpectedOutput, &want); err != nil {
				t.Fatal(err)
			}
			if !jsonpath.Equal(out, want) {
				t.Fatalf("output = %s, want %s", compactJSON(out), compactJSON(want))
			}
		})
	}
}
