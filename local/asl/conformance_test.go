package asl

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dragons-dev/dragons/local/asl/jsonpath"
)

// conformanceCases is how many cases shared/conformance/asl holds.
const conformanceCases = 41

// conformanceDir finds shared/conformance/asl by walking up from the
// package directory (the repository sits next to shared/). It returns ""
// when there is none.
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
			return ""
		}
		dir = parent
	}
}

// requireConformanceDir is conformanceDir for a test: without the corpus
// the test is skipped, or fails when DRAGONS_REQUIRE_REFERENCE=1 (as in CI).
func requireConformanceDir(t *testing.T) string {
	t.Helper()
	dir := conformanceDir(t)
	if dir == "" {
		const why = "conformance cases not found: no shared/conformance/asl folder above the package directory"
		if os.Getenv("DRAGONS_REQUIRE_REFERENCE") == "1" {
			t.Fatal(why + " (DRAGONS_REQUIRE_REFERENCE=1 requires them)")
		}
		t.Skip(why + "; the corpus is an external prerequisite, set DRAGONS_REQUIRE_REFERENCE=1 to make this a failure")
	}
	return dir
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
	dir := requireConformanceDir(t)
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
	if len(index.Cases) != conformanceCases {
		t.Fatalf("index.json lists %d cases, want %d", len(index.Cases), conformanceCases)
	}
	ran := 0
	for _, c := range index.Cases {
		t.Run(c.File, func(t *testing.T) {
			ran++
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
	if ran != conformanceCases && !selectsSubtests() {
		t.Fatalf("%d conformance cases ran, want %d (a -run filter selects fewer)", ran, conformanceCases)
	}
}

// selectsSubtests reports whether -test.run picks subtests (then fewer
// conformance cases run on purpose).
func selectsSubtests() bool {
	f := flag.Lookup("test.run")
	return f != nil && strings.Contains(f.Value.String(), "/")
}

// TestConformanceRequired runs TestConformance in a child process whose
// working directory has no shared/ folder above it: a skip normally, a
// failure with DRAGONS_REQUIRE_REFERENCE=1.
func TestConformanceRequired(t *testing.T) {
	if _, err := os.Stat("/shared/conformance/asl"); err == nil {
		t.Skip("/shared/conformance/asl exists, so no working directory lacks the corpus")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, require := range []string{"0", "1"} {
		cmd := exec.Command(exe, "-test.run=^TestConformance$", "-test.v", "-test.count=1")
		cmd.Dir = "/" // no shared/ folder above it
		cmd.Env = append(os.Environ(), "DRAGONS_REQUIRE_REFERENCE="+require)
		out, err := cmd.CombinedOutput()
		switch {
		case require == "1" && (err == nil || !strings.Contains(string(out), "DRAGONS_REQUIRE_REFERENCE=1 requires them")):
			t.Errorf("with DRAGONS_REQUIRE_REFERENCE=1: err %v, output:\n%s", err, out)
		case require == "0" && (err != nil || !strings.Contains(string(out), "--- SKIP: TestConformance")):
			t.Errorf("without DRAGONS_REQUIRE_REFERENCE: err %v, output:\n%s", err, out)
		}
	}
}
