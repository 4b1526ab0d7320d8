package sfntest

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dragons-dev/dragons/local/asl"
)

const retryDef = `{"StartAt":"Call","States":{
	"Call":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f","Payload.$":"$"},
		"Retry":[{"ErrorEquals":["Transient"],"IntervalSeconds":3600,"MaxAttempts":3,"BackoffRate":2}],
		"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Handle"}],
		"ResultSelector":{"v.$":"$.Payload"},"ResultPath":"$.result","Next":"Wait"},
	"Wait":{"Type":"Wait","Seconds":86400,"Next":"Stamp"},
	"Stamp":{"Type":"Pass","Parameters":{"result.$":"$.result","at.$":"$$.State.EnteredTime","exec.$":"$$.Execution.Name"},"End":true},
	"Handle":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl":"${Queue}","MessageBody.$":"$"},"ResultPath":null,"Next":"Failed"},
	"Failed":{"Type":"Fail","ErrorPath":"$.error.Error","CausePath":"$.error.Cause"}}}`

const retryConfig = `{
  "StateMachines": {"M": {"TestCases": {
    "Happy": {"Call": "Ok"},
    "RetryThenOk": {"Call": "TransientTwiceThenOk"},
    "Exhausted": {"Call": "AlwaysTransient", "Handle": "Sent"},
    "NotMocked": {"Call": "AlwaysTransient"},
    "TooFew": {"Call": "OnceTransient", "Handle": "Sent"}
  }}},
  "MockedResponses": {
    "Ok": {"0": {"Return": {"StatusCode": 200, "Payload": 7}}},
    "TransientTwiceThenOk": {
      "0-1": {"Throw": {"Error": "Transient", "Cause": "try again"}},
      "2": {"Return": {"Payload": 8}}
    },
    "AlwaysTransient": {"0-3": {"Throw": {"Error": "Transient", "Cause": "down"}}},
    "OnceTransient": {"0": {"Throw": {"Error": "Transient", "Cause": "down"}}},
    "Sent": {"0": {"Return": {"MessageId": "m1"}}}
  }
}`

func newMachine(t *testing.T) (*Machine, *MockConfig) {
	t.Helper()
	cfg, err := ParseMockConfig([]byte(retryConfig))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New("M", []byte(retryDef), WithSubstitutions(map[string]string{"Queue": "https://sqs/q"}), WithExecutionName("exec-1"))
	if err != nil {
		t.Fatal(err)
	}
	return m, cfg
}

func TestRunCases(t *testing.T) {
	m, cfg := newMachine(t)
	ctx := context.Background()
	began := time.Now()

	res, err := m.Run(ctx, cfg, "Happy", map[string]any{"id": "a"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"at":"2024-01-02T00:00:00.000Z","exec":"exec-1","result":{"v":7}}`
	if res.Status != "SUCCEEDED" || res.OutputJSON != want {
		t.Fatalf("happy = %s %s", res.Status, res.OutputJSON)
	}
	if c := res.CallsTo("Call"); len(c) != 1 || !reflect.DeepEqual(c[0].Input, map[string]any{"FunctionName": "f", "Payload": map[string]any{"id": "a"}}) {
		t.Fatalf("calls = %+v", res.Calls)
	}

	// Two retries of an hour and a wait of a day take no real time.
	res, err = m.Run(ctx, cfg, "RetryThenOk", json.RawMessage(`{"id":"b"}`))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "SUCCEEDED" || len(res.CallsTo("Call")) != 3 || res.Output.(map[string]any)["at"] != "2024-01-02T03:00:00.000Z" {
		t.Fatalf("retry = %s %s calls %d", res.Status, res.OutputJSON, len(res.Calls))
	}
	if n := res.CallsTo("Call")[2].Invocation; n != 2 {
		t.Fatalf("third call invocation = %d", n)
	}

	// Retries exhausted: caught, sent on, failed with the original error.
	res, err = m.Run(ctx, cfg, "Exhausted", map[string]any{"id": "c"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "FAILED" || res.Error != "Transient" || res.Cause != "down" || len(res.CallsTo("Call")) != 4 {
		t.Fatalf("exhausted = %s %s %s, %d calls", res.Status, res.Error, res.Cause, len(res.Calls))
	}
	sent := res.CallsTo("Handle")
	if len(sent) != 1 || sent[0].Resource != "arn:aws:states:::sqs:sendMessage" || sent[0].Input.(map[string]any)["QueueUrl"] != "https://sqs/q" {
		t.Fatalf("handle calls = %+v", sent)
	}
	if time.Since(began) > time.Hour {
		t.Fatal("virtual time leaked into real time")
	}
}

func TestRunReportsTestProblems(t *testing.T) {
	m, cfg := newMachine(t)
	ctx := context.Background()
	// A state the test case does not mock fails the test even though the
	// machine would catch the error.
	_, err := m.Run(ctx, cfg, "NotMocked", map[string]any{})
	if err == nil || !strings.Contains(err.Error(), "Handle") {
		t.Fatalf("unmocked state: %v", err)
	}
	// More invocations than the response defines.
	_, err = m.Run(ctx, cfg, "TooFew", map[string]any{})
	if err == nil || !strings.Contains(err.Error(), "invocation 1") {
		t.Fatalf("too few responses: %v", err)
	}
	if _, err := m.Run(ctx, cfg, "Nope", nil); err == nil {
		t.Fatal("unknown test case accepted")
	}
	// A fallback answers what is not mocked.
	fb, err := New("M", []byte(retryDef), WithSubstitutions(map[string]string{"Queue": "q"}),
		WithFallback(asl.TaskFunc(func(_ context.Context, req *asl.TaskRequest) (any, error) {
			return map[string]any{"from": req.StateName}, nil
		})))
	if err != nil {
		t.Fatal(err)
	}
	res, err := fb.Run(ctx, cfg, "NotMocked", map[string]any{})
	if err != nil || res.Status != "FAILED" || len(res.CallsTo("Handle")) != 1 {
		t.Fatalf("fallback = %v, %v", res.Calls, err)
	}
}

func TestParseMockConfigErrors(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown response": `{"StateMachines":{"M":{"TestCases":{"T":{"S":"Missing"}}}},"MockedResponses":{}}`,
		"both":             `{"MockedResponses":{"R":{"0":{"Return":1,"Throw":{"Error":"E"}}}}}`,
		"neither":          `{"MockedResponses":{"R":{"0":{}}}}`,
		"bad key":          `{"MockedResponses":{"R":{"x":{"Return":1}}}}`,
		"backwards range":  `{"MockedResponses":{"R":{"3-1":{"Return":1}}}}`,
		"overlap":          `{"MockedResponses":{"R":{"0-2":{"Return":1},"2":{"Return":2}}}}`,
		"throw no error":   `{"MockedResponses":{"R":{"0":{"Throw":{"Cause":"c"}}}}}`,
		"not json":         `{`,
	} {
		if _, err := ParseMockConfig([]byte(doc)); err == nil {
			t.Errorf("%s: accepted %s", name, doc)
		}
	}
	if _, err := LoadMockConfig("testdata/missing.json"); err == nil {
		t.Error("missing file accepted")
	}
}

func TestInvalidDefinition(t *testing.T) {
	_, err := New("M", []byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}`))
	var de *asl.DefinitionError
	if err == nil || !strings.Contains(err.Error(), "MISSING_TRANSITION_TARGET") || !errorsAs(err, &de) {
		t.Fatalf("err = %v", err)
	}
}

func FuzzParseMockConfig(f *testing.F) {
	f.Add([]byte(retryConfig))
	f.Add([]byte(`{"MockedResponses":{"R":{"0-2":{"Return":1},"3":{"Throw":{"Error":"E"}}}}}`))
	f.Add([]byte(`{"MockedResponses":{"R":{"-1":{"Return":1}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseMockConfig(data)
		if err != nil {
			return
		}
		// A valid config resolves every test case, and each response gives
		// a step for its first mocked invocation.
		for m, mm := range cfg.StateMachines {
			for tc := range mm.TestCases {
				mocks, err := cfg.TestCase(m, tc)
				if err != nil {
					t.Fatalf("valid config, broken test case %s/%s: %v", m, tc, err)
				}
				for _, r := range mocks {
					steps, err := r.steps()
					if err != nil {
						t.Fatalf("valid config, invalid steps: %v", err)
					}
					if _, ok := stepAt(steps, steps[0].from); !ok {
						t.Fatal("first step not found")
					}
				}
			}
		}
	})
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func TestDefaultStart(t *testing.T) {
	m, err := New("M", []byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"start.$":"$$.Execution.StartTime"},"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.RunMocks(context.Background(), nil, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultStart().Format(time.RFC3339)
	if got, _ := res.Output.(map[string]any)["start"].(string); !strings.HasPrefix(got, strings.TrimSuffix(want, "Z")) {
		t.Fatalf("$$.Execution.StartTime = %q, want %s", got, want)
	}
	if !DefaultStart().Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("DefaultStart() = %v", DefaultStart())
	}
}
