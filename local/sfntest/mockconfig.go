package sfntest

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// MockConfig is a Step Functions Local mock configuration file
// (MockConfigFile.json): test cases per state machine, each mapping state
// names to named mocked responses.
type MockConfig struct {
	StateMachines   map[string]MachineMocks   `json:"StateMachines"`
	MockedResponses map[string]MockedResponse `json:"MockedResponses"`
}

// MachineMocks holds one state machine's test cases: test case name ->
// state name -> mocked response name.
type MachineMocks struct {
	TestCases map[string]map[string]string `json:"TestCases"`
}

// MockedResponse maps invocation numbers to what the task does. Keys are a
// zero-based invocation number ("0") or an inclusive range ("1-3"), counted
// per state within one execution.
type MockedResponse map[string]MockStep

// MockStep is one mocked outcome: a result (Return) or an error (Throw).
type MockStep struct {
	Return json.RawMessage `json:"Return,omitempty"`
	Throw  *MockError      `json:"Throw,omitempty"`
}

// MockError is a mocked task failure.
type MockError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// LoadMockConfig reads and validates a mock configuration file.
func LoadMockConfig(path string) (*MockConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mock config: %w", err)
	}
	cfg, err := ParseMockConfig(b)
	if err != nil {
		return nil, fmt.Errorf("mock config %s: %w", path, err)
	}
	return cfg, nil
}

// ParseMockConfig parses and validates a mock configuration: every test case
// names existing responses, every response step is exactly one of Return
// and Throw, and invocation numbers do not overlap.
func ParseMockConfig(data []byte) (*MockConfig, error) {
	cfg := &MockConfig{}
	if err := json.Unmarshal(data, cfg); err != nil {
		return nil, fmt.Errorf("decode mock config: %w", err)
	}
	var problems []string
	for _, name := range sortedKeys(cfg.MockedResponses) {
		if _, err := cfg.MockedResponses[name].steps(); err != nil {
			problems = append(problems, fmt.Sprintf("MockedResponses.%s: %v", name, err))
		}
	}
	for _, m := range sortedKeys(cfg.StateMachines) {
		for _, tc := range sortedKeys(cfg.StateMachines[m].TestCases) {
			for _, st := range sortedKeys(cfg.StateMachines[m].TestCases[tc]) {
				resp := cfg.StateMachines[m].TestCases[tc][st]
				if _, ok := cfg.MockedResponses[resp]; !ok {
					problems = append(problems, fmt.Sprintf("StateMachines.%s.TestCases.%s.%s: unknown mocked response %q", m, tc, st, resp))
				}
			}
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("invalid mock config: %s", strings.Join(problems, "; "))
	}
	return cfg, nil
}

// TestCase returns the mocks of one test case: state name -> response.
func (c *MockConfig) TestCase(machine, testCase string) (map[string]MockedResponse, error) {
	m, ok := c.StateMachines[machine]
	if !ok {
		return nil, fmt.Errorf("the mock config has no state machine %q", machine)
	}
	tc, ok := m.TestCases[testCase]
	if !ok {
		return nil, fmt.Errorf("state machine %q has no test case %q", machine, testCase)
	}
	out := make(map[string]MockedResponse, len(tc))
	for state, resp := range tc {
		out[state] = c.MockedResponses[resp]
	}
	return out, nil
}

// stepRange is a parsed invocation-number key.
type stepRange struct {
	from, to int
	step     MockStep
}

// steps validates the response and returns its ranges in order.
func (r MockedResponse) steps() ([]stepRange, error) {
	if len(r) == 0 {
		return nil, fmt.Errorf("no steps")
	}
	var out []stepRange
	for key, st := range r {
		from, to, err := parseRange(key)
		if err != nil {
			return nil, err
		}
		if (len(st.Return) > 0) == (st.Throw != nil) {
			return nil, fmt.Errorf("step %q must have exactly one of Return and Throw", key)
		}
		if st.Throw != nil && st.Throw.Error == "" {
			return nil, fmt.Errorf("step %q: Throw needs an Error", key)
		}
		if len(st.Return) > 0 && !json.Valid(st.Return) {
			return nil, fmt.Errorf("step %q: Return is not valid JSON", key)
		}
		out = append(out, stepRange{from, to, st})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].from < out[j].from })
	for i := 1; i < len(out); i++ {
		if out[i].from <= out[i-1].to {
			return nil, fmt.Errorf("invocation %d is mocked twice", out[i].from)
		}
	}
	return out, nil
}

// stepAt returns the step for invocation n (zero-based).
func stepAt(steps []stepRange, n int) (MockStep, bool) {
	for _, s := range steps {
		if n >= s.from && n <= s.to {
			return s.step, true
		}
	}
	return MockStep{}, false
}

func parseRange(key string) (int, int, error) {
	a, b, isRange := strings.Cut(key, "-")
	from, err := strconv.Atoi(strings.TrimSpace(a))
	if err != nil || from < 0 {
		return 0, 0, fmt.Errorf("invocation key %q is not a number or a range like \"1-3\"", key)
	}
	to := from
	if isRange {
		to, err = strconv.Atoi(strings.TrimSpace(b))
		if err != nil || to < from {
			return 0, 0, fmt.Errorf("invocation key %q is not a number or a range like \"1-3\"", key)
		}
	}
	return from, to, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
