package asl

import (
	"context"
	"errors"
	"testing"
)

func testState(t *testing.T, in TestStateInput) *TestStateResult {
	t.Helper()
	if in.Clock == nil {
		in.Clock = NewFakeClock(t0)
	}
	res, err := TestState(context.Background(), in)
	if err != nil {
		t.Fatalf("TestState: %v", err)
	}
	return res
}

func TestTestStateTask(t *testing.T) {
	def := `{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","InputPath":"$.in","Parameters":{"x.$":"$.x"},
	  "ResultSelector":{"y.$":"$.x"},"ResultPath":"$.out","Assign":{"v.$":"$.x"},"Next":"Elsewhere",
	  "Retry":[{"ErrorEquals":["Flaky"],"MaxAttempts":2,"IntervalSeconds":3}],
	  "Catch":[{"ErrorEquals":["Bad"],"ResultPath":"$.err","Next":"Handler"}]}`
	res := testState(t, TestStateInput{Definition: []byte(def), Input: js(t, `{"in":{"x":1}}`), Tasks: &recorder{}, Variables: map[string]any{"pre": "p"}})
	if res.Status != TestSucceeded || res.NextState != "Elsewhere" || res.Output != `{"in":{"x":1},"out":{"y":1}}` {
		t.Fatalf("result = %+v", res)
	}
	in := res.Inspection
	if in.Input != `{"in":{"x":1}}` || in.AfterInputPath != `{"x":1}` || in.AfterParameters != `{"x":1}` || in.Result != `{"x":1}` ||
		in.AfterResultSelector != `{"y":1}` || in.AfterResultPath != `{"in":{"x":1},"out":{"y":1}}` || in.Variables != `{"pre":"p","v":1}` {
		t.Errorf("inspection = %+v", in)
	}

	// A retriable error.
	res = testState(t, TestStateInput{Definition: []byte(def), Input: js(t, `{"in":{"x":1}}`), Mock: &TestStateMock{Error: "Flaky", Cause: "c"}, RetrierRetryCount: 1})
	if res.Status != TestRetriable || res.Error != "Flaky" || *res.Inspection.ErrorDetails.RetryIndex != 0 || *res.Inspection.ErrorDetails.RetryBackoffIntervalSeconds != 6 {
		t.Fatalf("retriable = %+v %+v", res, res.Inspection.ErrorDetails)
	}
	// Retries exhausted: not caught, so FAILED.
	res = testState(t, TestStateInput{Definition: []byte(def), Input: js(t, `{"in":{"x":1}}`), Mock: &TestStateMock{Error: "Flaky"}, RetrierRetryCount: 2})
	if res.Status != TestFailed || res.Error != "Flaky" {
		t.Fatalf("exhausted = %+v", res)
	}
	// Caught.
	res = testState(t, TestStateInput{Definition: []byte(def), Input: js(t, `{"in":{"x":1}}`), Mock: &TestStateMock{Error: "Bad", Cause: "why"}})
	if res.Status != TestCaughtError || res.Error != "Bad" || res.Cause != "why" || res.NextState != "Handler" || res.Output != `{"err":{"Cause":"why","Error":"Bad"},"in":{"x":1}}` || *res.Inspection.ErrorDetails.CatchIndex != 0 {
		t.Fatalf("caught = %+v", res)
	}
	// Mocked result.
	res = testState(t, TestStateInput{Definition: []byte(def), Input: js(t, `{"in":{"x":1}}`), Mock: &TestStateMock{Result: js(t, `{"x":9}`)}})
	if res.Status != TestSucceeded || res.Output != `{"in":{"x":1},"out":{"y":9}}` {
		t.Fatalf("mocked = %+v", res)
	}
}

func TestTestStateOthers(t *testing.T) {
	res := testState(t, TestStateInput{Definition: []byte(`{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"One"}],"Default":"Other"}`), Input: js(t, `{"n":1}`)})
	if res.Status != TestSucceeded || res.NextState != "One" {
		t.Errorf("choice = %+v", res)
	}
	res = testState(t, TestStateInput{Definition: []byte(`{"Type":"Fail","Error":"E","Cause":"C"}`), Input: js(t, `{}`)})
	if res.Status != TestFailed || res.Error != "E" || res.Cause != "C" {
		t.Errorf("fail = %+v", res)
	}
	res = testState(t, TestStateInput{Definition: []byte(`{"Type":"Wait","Seconds":86400,"End":true}`), Input: js(t, `{"a":1}`)})
	if res.Status != TestSucceeded || res.Output != `{"a":1}` || res.NextState != "" {
		t.Errorf("wait = %+v", res)
	}
	res = testState(t, TestStateInput{Definition: []byte(`{"QueryLanguage":"JSONata","Type":"Pass","Output":"{% $states.input.a + $v %}","End":true}`), Input: js(t, `{"a":1}`), Variables: map[string]any{"v": 2.0}})
	if res.Status != TestSucceeded || res.Output != `3` {
		t.Errorf("jsonata pass = %+v", res)
	}
	res = testState(t, TestStateInput{Definition: []byte(`{"Type":"Map","ItemsPath":"$.xs","MaxConcurrency":2,"ItemSelector":{"v.$":"$$.Map.Item.Value"},"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}`), Input: js(t, `{"xs":[1,2]}`)})
	if res.Status != TestSucceeded || res.Output != `[{"v":1},{"v":2}]` || res.Inspection.AfterItemsPath != `[1,2]` || res.Inspection.AfterItemSelector != `[{"v":1},{"v":2}]` || *res.Inspection.MaxConcurrency != 2 {
		t.Errorf("map = %+v %+v", res, res.Inspection)
	}
	res = testState(t, TestStateInput{Definition: []byte(`{"Type":"Parallel","Branches":[{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}],"End":true}`), Input: js(t, `{}`), Mock: &TestStateMock{Result: js(t, `["m"]`)}})
	if res.Status != TestSucceeded || res.Output != `["m"]` {
		t.Errorf("parallel = %+v", res)
	}
	// A whole machine with StateName.
	res = testState(t, TestStateInput{Definition: []byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Result":"b","End":true}}}`), StateName: "B", Input: js(t, `{}`)})
	if res.Status != TestSucceeded || res.Output != `"b"` {
		t.Errorf("state name = %+v", res)
	}
}

func TestTestStateErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		in   TestStateInput
	}{
		{"bad json", TestStateInput{Definition: []byte(`{`)}},
		{"unknown field", TestStateInput{Definition: []byte(`{"Type":"Pass","Foo":1,"End":true}`)}},
		{"unknown state", TestStateInput{Definition: []byte(`{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`), StateName: "B"}},
	} {
		_, err := TestState(context.Background(), c.in)
		var de *DefinitionError
		if !errors.As(err, &de) {
			t.Errorf("%s: err = %v, want *DefinitionError", c.name, err)
		}
	}
	_, err := TestState(context.Background(), TestStateInput{Definition: []byte(`{"Type":"Pass","End":true}`), Mock: &TestStateMock{Result: 1.0}})
	if err == nil {
		t.Error("mock on a Pass state accepted")
	}
	_, err = TestState(context.Background(), TestStateInput{Definition: []byte(`{"Type":"Pass","Foo":1,"End":true}`)})
	var de *DefinitionError
	if !errors.As(err, &de) || de.Problems[0].Location != "" || de.Problems[0].Message != "Field 'Foo' is not supported" {
		t.Errorf("problem = %+v, want Field 'Foo' is not supported at the state", de)
	}
}
