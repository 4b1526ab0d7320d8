package workflows

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/dragons-dev/dragons/local/sfntest"
)

const (
	mockConfigFile = "testdata/add_dragon.mock.json"
	casesFile      = "testdata/add_dragon.cases.json"
	// machineName is the workflow's name in template.yaml and the mock config.
	machineName = "dragons-add-dragon"
)

// mockedCases is testdata/add_dragon.cases.json: the expected outcome of each
// test case of the mock configuration.
type mockedCases struct {
	Substitutions map[string]string `json:"substitutions"`
	ExecutionID   string            `json:"executionId"`
	Input         json.RawMessage   `json:"input"`
	Record        json.RawMessage   `json:"record"`
	Cases         []mockedCase      `json:"cases"`
}

type mockedCase struct {
	TestCase string           `json:"testCase"`
	Status   string           `json:"status"`
	Output   any              `json:"output"`
	Error    string           `json:"error"`
	Cause    string           `json:"cause"`
	Calls    map[string][]any `json:"calls"`
}

// loadCases reads the expectations, replacing the placeholders with the
// shared input, record, execution id and the execution ARN.
func loadCases(t *testing.T, arn string) mockedCases {
	t.Helper()
	raw, err := os.ReadFile(casesFile)
	if err != nil {
		t.Fatal(err)
	}
	var first mockedCases
	if err := json.Unmarshal(raw, &first); err != nil {
		t.Fatalf("%s: %v", casesFile, err)
	}
	text := string(raw)
	text = strings.ReplaceAll(text, `"${INPUT}"`, string(first.Input))
	text = strings.ReplaceAll(text, `"${RECORD}"`, string(first.Record))
	text = strings.ReplaceAll(text, "${ID}", first.ExecutionID)
	text = strings.ReplaceAll(text, "${ARN}", arn)
	var out mockedCases
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		t.Fatalf("%s after substitution: %v", casesFile, err)
	}
	return out
}

func TestAddDragonWithMockedTasks(t *testing.T) {
	def, err := os.ReadFile(definitionFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := sfntest.LoadMockConfig(mockConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	base := loadCases(t, "")
	m, err := sfntest.New(machineName, def, sfntest.WithExpress(),
		sfntest.WithSubstitutions(base.Substitutions), sfntest.WithExecutionName(base.ExecutionID))
	if err != nil {
		t.Fatal(err)
	}

	// Every test case in the mock config has expectations, and the reverse.
	var inConfig, inCases []string
	for name := range cfg.StateMachines[machineName].TestCases {
		inConfig = append(inConfig, name)
	}
	for _, c := range base.Cases {
		inCases = append(inCases, c.TestCase)
	}
	sort.Strings(inConfig)
	sort.Strings(inCases)
	if !reflect.DeepEqual(inConfig, inCases) {
		t.Fatalf("test cases in %s %v != expectations in %s %v", mockConfigFile, inConfig, casesFile, inCases)
	}

	for i := range base.Cases {
		name := base.Cases[i].TestCase
		t.Run(name, func(t *testing.T) {
			res, err := m.Run(context.Background(), cfg, name, base.Input)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if !strings.HasPrefix(res.ExecutionARN, "arn:aws:states:us-east-1:000000000000:express:"+machineName+":"+base.ExecutionID+":") {
				t.Fatalf("execution ARN %s", res.ExecutionARN)
			}
			want := loadCases(t, res.ExecutionARN).Cases[i]
			if res.Status != want.Status || res.Error != want.Error || res.Cause != want.Cause {
				t.Fatalf("status %s error %q cause %q, want %s %q %q", res.Status, res.Error, res.Cause, want.Status, want.Error, want.Cause)
			}
			if want.Output != nil {
				for _, p := range match("output", want.Output, res.Output) {
					t.Error(p)
				}
			}
			// Exactly the expected calls, each with exactly the expected parameters.
			for _, c := range res.Calls {
				if _, ok := want.Calls[c.State]; !ok {
					t.Errorf("unexpected call to %s with %s", c.State, mustMarshal(c.Input))
				}
			}
			for state, calls := range want.Calls {
				got := res.CallsTo(state)
				if len(got) != len(calls) {
					t.Errorf("%s called %d times, want %d", state, len(got), len(calls))
					continue
				}
				for n, w := range calls {
					for _, p := range match(fmt.Sprintf("%s[%d]", state, n), w, got[n].Input) {
						t.Error(p)
					}
				}
			}
		})
	}
}

// match compares an expectation with a value: objects must have the same
// fields, {"$json": doc} matches a string holding doc as JSON text, and
// "$any" matches anything. It returns one line per difference.
func match(path string, want, got any) []string {
	switch w := want.(type) {
	case string:
		if w == "$any" {
			return nil
		}
	case map[string]any:
		if doc, ok := w["$json"]; ok && len(w) == 1 {
			s, ok := got.(string)
			if !ok {
				return []string{fmt.Sprintf("%s: want a JSON text string, got %s", path, mustMarshal(got))}
			}
			var v any
			if err := json.Unmarshal([]byte(s), &v); err != nil {
				return []string{fmt.Sprintf("%s: not JSON text (%v): %s", path, err, s)}
			}
			return match(path, doc, v)
		}
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: want an object, got %s", path, mustMarshal(got))}
		}
		var out []string
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			out = append(out, match(path+"."+k, wv, gv)...)
		}
		for k, gv := range g {
			if _, ok := w[k]; !ok {
				out = append(out, fmt.Sprintf("%s.%s: unexpected field with %s", path, k, mustMarshal(gv)))
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: want %s, got %s", path, mustMarshal(w), mustMarshal(got))}
		}
		var out []string
		for i := range w {
			out = append(out, match(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	}
	if !reflect.DeepEqual(want, got) {
		return []string{fmt.Sprintf("%s: want %s, got %s", path, mustMarshal(want), mustMarshal(got))}
	}
	return nil
}

func mustMarshal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}

func TestMatchReportsDifferences(t *testing.T) {
	want := map[string]any{"a": 1.0, "b": map[string]any{"$json": map[string]any{"c": "$any"}}, "l": []any{"x"}}
	if p := match("v", want, map[string]any{"a": 1.0, "b": `{"c":5}`, "l": []any{"x"}}); len(p) != 0 {
		t.Fatalf("equal values differ: %v", p)
	}
	for _, got := range []any{
		map[string]any{"a": 2.0, "b": `{"c":5}`, "l": []any{"x"}},
		map[string]any{"a": 1.0, "b": `{"c":5,"d":1}`, "l": []any{"x"}},
		map[string]any{"a": 1.0, "b": `not json`, "l": []any{"x"}},
		map[string]any{"a": 1.0, "b": `{"c":5}`, "l": []any{"x", "y"}},
		map[string]any{"a": 1.0, "b": `{"c":5}`, "l": []any{"x"}, "extra": true},
		map[string]any{"b": `{"c":5}`, "l": []any{"x"}},
	} {
		if p := match("v", want, got); len(p) == 0 {
			t.Errorf("no difference found for %s", mustMarshal(got))
		}
	}
}
