// Package mockconfig runs state machines against mocked task results
// described in AWS Step Functions Local's MockConfigFile.json format, so the
// files users already keep for Step Functions Local drive asl executions in
// plain Go tests.
//
// A file names test cases per state machine ("StateMachines" → machine →
// "TestCases" → case → state name → mocked response name) and the mocked
// responses ("MockedResponses" → name → invocation index or range such as
// "0", "1-2" → {"Return": value} or {"Throw": {"Error", "Cause"}}). Invoker
// turns one test case into an asl.TaskInvoker: each call of a mocked Task
// state answers with the response for that state's invocation count (counted
// from 0, retries included); calls past the last defined invocation repeat
// the last response. States are matched by name, so states inside Map and
// Parallel states can be mocked too.
//
// It does not start Step Functions Local or call AWS; Task states without a
// mock go to an optional fallback invoker, or fail.
package mockconfig

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/dragons-dev/dragons/local/asl"
)

// Config is a parsed MockConfigFile.
type Config struct {
	machines  map[string]map[string]map[string]string // machine → test case → state → response name
	responses map[string]*response
}

type response struct {
	steps []step // sorted by first invocation index
}

type step struct {
	from, to int // invocation indexes, inclusive
	ret      any
	throw    *asl.ExecError
}

type fileFormat struct {
	StateMachines map[string]struct {
		TestCases map[string]map[string]string `json:"TestCases"`
	} `json:"StateMachines"`
	MockedResponses map[string]map[string]json.RawMessage `json:"MockedResponses"`
}

// Load reads and parses a MockConfigFile.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mock config: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("mock config %s: %w", path, err)
	}
	return c, nil
}

// Parse parses a MockConfigFile. It checks that every test case refers to
// a defined response and that each response's invocation ranges are valid
// and do not overlap.
func Parse(data []byte) (*Config, error) {
	var f fileFormat
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("parse mock config: %w", err)
	}
	c := &Config{machines: map[string]map[string]map[string]string{}, responses: map[string]*response{}}
	for name, raw := range f.MockedResponses {
		r, err := parseResponse(raw)
		if err != nil {
			return nil, fmt.Errorf("mocked response %q: %w", name, err)
		}
		c.responses[name] = r
	}
	for machine, m := range f.StateMachines {
		c.machines[machine] = m.TestCases
		for tc, states := range m.TestCases {
			for st, resp := range states {
				if c.responses[resp] == nil {
					return nil, fmt.Errorf("state machine %q test case %q: state %q uses undefined mocked response %q", machine, tc, st, resp)
				}
			}
		}
	}
	return c, nil
}

func parseResponse(raw map[string]json.RawMessage) (*response, error) {
	r := &response{}
	for key, body := range raw {
		from, to, err := parseRange(key)
		if err != nil {
			return nil, err
		}
		var s struct {
			Return json.RawMessage `json:"Return"`
			Throw  *struct {
				Error string `json:"Error"`
				Cause string `json:"Cause"`
			} `json:"Throw"`
		}
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return nil, fmt.Errorf("invocation %q: %w", key, err)
		}
		st := step{from: from, to: to}
		switch {
		case s.Throw != nil && s.Return != nil:
			return nil, fmt.Errorf("invocation %q has both Return and Throw", key)
		case s.Throw != nil:
			if s.Throw.Error == "" {
				return nil, fmt.Errorf("invocation %q: Throw needs an Error", key)
			}
			st.throw = asl.NewError(s.Throw.Error, s.Throw.Cause)
		case s.Return != nil:
			if err := json.Unmarshal(s.Return, &st.ret); err != nil {
				return nil, fmt.Errorf("invocation %q: %w", key, err)
			}
		default:
			return nil, fmt.Errorf("invocation %q needs Return or Throw", key)
		}
		r.steps = append(r.steps, st)
	}
	if len(r.steps) == 0 {
		return nil, fmt.Errorf("no invocations defined")
	}
	sort.Slice(r.steps, func(i, j int) bool { return r.steps[i].from < r.steps[j].from })
	next := 0
	for _, s := range r.steps {
		if s.from != next {
			return nil, fmt.Errorf("invocations must be numbered consecutively from 0: expected %d, found %d", next, s.from)
		}
		next = s.to + 1
	}
	return r, nil
}

func parseRange(key string) (int, int, error) {
	a, b, isRange := strings.Cut(key, "-")
	from, err := strconv.Atoi(strings.TrimSpace(a))
	if err != nil || from < 0 {
		return 0, 0, fmt.Errorf("invalid invocation index %q", key)
	}
	if !isRange {
		return from, from, nil
	}
	to, err := strconv.Atoi(strings.TrimSpace(b))
	if err != nil || to < from {
		return 0, 0, fmt.Errorf("invalid invocation range %q", key)
	}
	return from, to, nil
}

// TestCases returns the names of a machine's test cases, sorted.
func (c *Config) TestCases(machine string) []string {
	var out []string
	for tc := range c.machines[machine] {
		out = append(out, tc)
	}
	sort.Strings(out)
	return out
}

// Invoker returns a TaskInvoker for one test case of a state machine. Each
// Invoker keeps its own invocation counts, so use a new one per execution.
// Task states without a mock call fallback, or fail with
// States.TaskFailed when fallback is nil.
func (c *Config) Invoker(machine, testCase string, fallback asl.TaskInvoker) (asl.TaskInvoker, error) {
	cases, ok := c.machines[machine]
	if !ok {
		return nil, fmt.Errorf("mock config has no state machine %q", machine)
	}
	states, ok := cases[testCase]
	if !ok {
		return nil, fmt.Errorf("state machine %q has no test case %q", machine, testCase)
	}
	inv := &invoker{fallback: fallback, mocks: map[string]*response{}, calls: map[string]int{}}
	for st, name := range states {
		inv.mocks[st] = c.responses[name]
	}
	return inv, nil
}

type invoker struct {
	fallback asl.TaskInvoker
	mocks    map[string]*response
	mu       sync.Mutex
	calls    map[string]int
}

func (i *invoker) InvokeTask(ctx context.Context, req *asl.TaskRequest) (any, error) {
	r := i.mocks[req.StateName]
	if r == nil {
		if i.fallback != nil {
			return i.fallback.InvokeTask(ctx, req)
		}
		return nil, asl.NewError(asl.ErrTaskFailed, fmt.Sprintf("no mocked response for state %q", req.StateName))
	}
	i.mu.Lock()
	n := i.calls[req.StateName]
	i.calls[req.StateName] = n + 1
	i.mu.Unlock()
	s := r.steps[len(r.steps)-1] // later invocations repeat the last response
	for _, c := range r.steps {
		if n >= c.from && n <= c.to {
			s = c
			break
		}
	}
	if s.throw != nil {
		return nil, asl.NewError(s.throw.ErrorName, s.throw.Cause)
	}
	return s.ret, nil
}
