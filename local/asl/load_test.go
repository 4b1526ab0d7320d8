package asl

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseValid(t *testing.T) {
	sm, err := Parse([]byte(`{"Comment":"c","Version":"1.0","TimeoutSeconds":30,"StartAt":"B","States":{"B":{"Type":"Pass","Next":"A"},"A":{"Type":"Succeed"}}}`), WithType(Express))
	if err != nil {
		t.Fatal(err)
	}
	if sm.Type() != Express || sm.Comment() != "c" || sm.StartAt() != "B" || sm.QueryLanguage() != JSONPath {
		t.Errorf("accessors: %v %q %q %v", sm.Type(), sm.Comment(), sm.StartAt(), sm.QueryLanguage())
	}
	if got := strings.Join(sm.StateNames(), ","); got != "A,B" {
		t.Errorf("StateNames = %s", got)
	}
}

func TestParseProblems(t *testing.T) {
	cases := []struct {
		name, def string
		opts      []Option
		code, loc string
	}{
		{"invalid json", `{"StartAt":`, nil, CodeInvalidJSON, ""},
		{"trailing content", `{} {}`, nil, CodeInvalidJSON, ""},
		{"not an object", `[]`, nil, CodeSchema, ""},
		{"unknown top-level field", `{"StartAt":"A","Foo":1,"States":{"A":{"Type":"Succeed"}}}`, nil, CodeSchema, ""},
		{"missing StartAt", `{"States":{"A":{"Type":"Succeed"}}}`, nil, CodeSchema, ""},
		{"empty StartAt", `{"StartAt":"","States":{"A":{"Type":"Succeed"}}}`, nil, CodeSchema, "/StartAt"},
		{"StartAt not a string", `{"StartAt":1,"States":{"A":{"Type":"Succeed"}}}`, nil, CodeSchema, "/StartAt"},
		{"empty StartAt in a branch", `{"StartAt":"A","States":{"A":{"Type":"Parallel","Branches":[{"StartAt":"","States":{"X":{"Type":"Succeed"}}}],"End":true}}}`, nil, CodeSchema, "/States/A/Branches/0/StartAt"},
		{"StartAt target", `{"StartAt":"X","States":{"A":{"Type":"Succeed"}}}`, nil, CodeMissingTarget, "/StartAt"},
		{"bad version", `{"Version":"2","StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, nil, CodeSchema, "/Version"},
		{"bad timeout", `{"TimeoutSeconds":0,"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, nil, CodeSchema, "/TimeoutSeconds"},
		{"missing Type", `{"StartAt":"A","States":{"A":{"End":true}}}`, nil, CodeSchema, "/States/A"},
		{"unknown Type", `{"StartAt":"A","States":{"A":{"Type":"Nope"}}}`, nil, CodeSchema, "/States/A/Type"},
		{"unknown state field", `{"StartAt":"A","States":{"A":{"Type":"Pass","Foo":1,"End":true}}}`, nil, CodeSchema, "/States/A"},
		{"field of another type", `{"StartAt":"A","States":{"A":{"Type":"Pass","Resource":"x","End":true}}}`, nil, CodeSchema, "/States/A"},
		{"JSONPath field in JSONata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$","End":true}}}`, nil, CodeSchema, "/States/A"},
		{"JSONata field in JSONPath", `{"StartAt":"A","States":{"A":{"Type":"Pass","Output":"x","End":true}}}`, nil, CodeSchema, "/States/A"},
		{"JSONPath state in JSONata machine", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","QueryLanguage":"JSONPath","End":true}}}`, nil, CodeSchema, "/States/A"},
		{"no terminal state", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}}`, nil, CodeNoTerminalState, ""},
		{"processor cannot set QueryLanguage", `{"StartAt":"A","States":{"A":{"Type":"Map","ItemProcessor":{"QueryLanguage":"JSONata","StartAt":"X","States":{"X":{"Type":"Succeed"}}},"End":true}}}`, nil, CodeSchema, "/States/A/ItemProcessor"},
		{"processor states inherit the machine language", `{"StartAt":"A","States":{"A":{"Type":"Map","QueryLanguage":"JSONata","ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Pass","Output":"{% 1 %}","End":true}}},"End":true}}}`, nil, CodeSchema, "/States/A/ItemProcessor/States/X"},
		{"missing Next and End", `{"StartAt":"A","States":{"A":{"Type":"Pass"}}}`, nil, CodeSchema, "/States/A"},
		{"both Next and End", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B","End":true},"B":{"Type":"Succeed"}}}`, nil, CodeSchema, "/States/A"},
		{"Next target", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Z"}}}`, nil, CodeMissingTarget, "/States/A/Next"},
		{"Next on Succeed", `{"StartAt":"A","States":{"A":{"Type":"Succeed","Next":"A"}}}`, nil, CodeSchema, "/States/A"},
		{"unreachable", `{"StartAt":"A","States":{"A":{"Type":"Succeed"},"B":{"Type":"Succeed"}}}`, nil, CodeUnreachable, "/States/B"},
		{"bad InputPath", `{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"a.b","End":true}}}`, nil, CodeInvalidPath, "/States/A/InputPath"},
		{"ResultPath not a reference path", `{"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$.a[*]","End":true}}}`, nil, CodeInvalidPath, "/States/A/ResultPath"},
		{"ResultPath to context", `{"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$$.a","End":true}}}`, nil, CodeInvalidPath, "/States/A/ResultPath"},
		{"bad parameter path", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"nope"},"End":true}}}`, nil, CodeInvalidPath, "/States/A/Parameters/x.$"},
		{"unknown intrinsic", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"States.Nope(1)"},"End":true}}}`, nil, CodeInvalidIntrinsic, "/States/A/Parameters/x.$"},
		{"intrinsic arity", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"States.ArrayRange(1,2)"},"End":true}}}`, nil, CodeInvalidIntrinsic, "/States/A/Parameters/x.$"},
		{"duplicate parameter", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x":1,"x.$":"$"},"End":true}}}`, nil, CodeSchema, "/States/A/Parameters/x.$"},
		{"missing Resource", `{"StartAt":"A","States":{"A":{"Type":"Task","End":true}}}`, nil, CodeSchema, "/States/A"},
		{"bad Resource", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"lambda","End":true}}}`, nil, CodeInvalidResource, "/States/A/Resource"},
		{"sync in express", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync","End":true}}}`, []Option{WithType(Express)}, CodeSchema, "/States/A/Resource"},
		{"token in express", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true}}}`, []Option{WithType(Express)}, CodeSchema, "/States/A/Resource"},
		{"activity in express", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:us-east-1:000000000000:activity:approve","End":true}}}`, []Option{WithType(Express)}, CodeSchema, "/States/A/Resource"},
		{"heartbeat not below timeout", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":5,"HeartbeatSeconds":5,"End":true}}}`, nil, CodeSchema, "/States/A/HeartbeatSeconds"},
		{"timeout and path", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":5,"TimeoutSecondsPath":"$.t","End":true}}}`, nil, CodeSchema, "/States/A"},
		{"retry States.ALL not last", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["E"]}],"End":true}}}`, nil, CodeSchema, "/States/A/Retry/0/ErrorEquals/0"},
		{"retry empty ErrorEquals", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":[]}],"End":true}}}`, nil, CodeSchema, "/States/A/Retry/0"},
		{"retry backoff", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["E"],"BackoffRate":0.5}],"End":true}}}`, nil, CodeSchema, "/States/A/Retry/0/BackoffRate"},
		{"retry jitter", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["E"],"JitterStrategy":"SOME"}],"End":true}}}`, nil, CodeSchema, "/States/A/Retry/0/JitterStrategy"},
		{"unknown States error", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["States.Nope"]}],"End":true}}}`, nil, CodeSchema, "/States/A/Retry/0/ErrorEquals/0"},
		{"catch target", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[{"ErrorEquals":["E"],"Next":"Z"}],"End":true}}}`, nil, CodeMissingTarget, "/States/A/Catch/0/Next"},
		{"retry on Pass", `{"StartAt":"A","States":{"A":{"Type":"Pass","Retry":[],"End":true}}}`, nil, CodeSchema, "/States/A"},
		{"choice without choices", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[]}}}`, nil, CodeSchema, "/States/A/Choices"},
		{"choice two operators", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.a","StringEquals":"x","NumericEquals":1,"Next":"B"}]},"B":{"Type":"Succeed"}}}`, nil, CodeSchema, "/States/A/Choices/0"},
		{"choice rule without Next", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.a","StringEquals":"x"}],"Default":"B"},"B":{"Type":"Succeed"}}}`, nil, CodeSchema, "/States/A/Choices/0"},
		{"choice operand type", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.a","NumericEquals":"x","Next":"B"}]},"B":{"Type":"Succeed"}}}`, nil, CodeSchema, "/States/A/Choices/0/NumericEquals"},
		{"choice bad timestamp", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.a","TimestampEquals":"yesterday","Next":"B"}]},"B":{"Type":"Succeed"}}}`, nil, CodeSchema, "/States/A/Choices/0/TimestampEquals"},
		{"choice default target", `{"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true,"Next":"B"}],"Default":"Z"},"B":{"Type":"Succeed"}}}`, nil, CodeMissingTarget, "/States/A/Default"},
		{"wait two fields", `{"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":1,"Timestamp":"2024-01-01T00:00:00Z","End":true}}}`, nil, CodeSchema, "/States/A"},
		{"wait bad timestamp", `{"StartAt":"A","States":{"A":{"Type":"Wait","Timestamp":"soon","End":true}}}`, nil, CodeSchema, "/States/A/Timestamp"},
		{"fail error and path", `{"StartAt":"A","States":{"A":{"Type":"Fail","Error":"E","ErrorPath":"$.e"}}}`, nil, CodeSchema, "/States/A"},
		{"parallel no branches", `{"StartAt":"A","States":{"A":{"Type":"Parallel","Branches":[],"End":true}}}`, nil, CodeSchema, "/States/A/Branches"},
		{"problem inside a branch", `{"StartAt":"A","States":{"A":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Pass","Next":"Y"}}}],"End":true}}}`, nil, CodeMissingTarget, "/States/A/Branches/0/States/X/Next"},
		{"branch cannot target outer state", `{"StartAt":"A","States":{"A":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Pass","Next":"A"}}}],"End":true}}}`, nil, CodeMissingTarget, "/States/A/Branches/0/States/X/Next"},
		{"map without processor", `{"StartAt":"A","States":{"A":{"Type":"Map","End":true}}}`, nil, CodeSchema, "/States/A"},
		{"map processor problem", `{"StartAt":"A","States":{"A":{"Type":"Map","ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Pass","Foo":1,"End":true}}},"End":true}}}`, nil, CodeSchema, "/States/A/ItemProcessor/States/X"},
		{"map bad mode", `{"StartAt":"A","States":{"A":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"FAST"},"StartAt":"X","States":{"X":{"Type":"Succeed"}}},"End":true}}}`, nil, CodeSchema, "/States/A/ItemProcessor/ProcessorConfig/Mode"},
		{"map negative concurrency", `{"StartAt":"A","States":{"A":{"Type":"Map","MaxConcurrency":-1,"ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Succeed"}}},"End":true}}}`, nil, CodeSchema, "/States/A/MaxConcurrency"},
		{"invalid JSONata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% $states.input. %}","End":true}}}`, nil, CodeInvalidJSONata, "/States/A/Output"},
		{"assign reserved name", `{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"states":1},"End":true}}}`, nil, CodeSchema, "/States/A/Assign/states"},
		{"assign invalid name", `{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"a-b":1},"End":true}}}`, nil, CodeSchema, "/States/A/Assign/a-b"},
		{"state name reused in a branch", `{"StartAt":"A","States":{"A":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}],"Next":"B"},"B":{"Type":"Succeed"}}}`, nil, CodeDuplicateState, "/States/B"},
		{"state name reused across branches", `{"StartAt":"A","States":{"A":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Succeed"}}},{"StartAt":"X","States":{"X":{"Type":"Succeed"}}}],"End":true}}}`, nil, CodeDuplicateState, "/States/A/Branches/1/States/X"},
		{"state name reused in an item processor", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"M","States":{"M":{"Type":"Succeed"}}},"End":true}}}`, nil, CodeDuplicateState, "/States/M/ItemProcessor/States/M"},
		{"escaped location", `{"StartAt":"a/b","States":{"a/b":{"Type":"Pass","Foo":1,"End":true}}}`, nil, CodeSchema, "/States/a~1b"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.def), c.opts...)
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("Parse error = %v, want *DefinitionError", err)
			}
			for _, p := range de.Problems {
				if p.Code == c.code && p.Location == c.loc {
					return
				}
			}
			t.Fatalf("no problem %s at %q in: %v", c.code, c.loc, de)
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	def := `{"StartAt":"A","Bogus":true,"States":{
	  "A":{"Type":"Pass","Next":"Missing","InputPath":"bad"},
	  "B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","End":true},
	  "C":{"Type":"Pass","Parameters":{"x.$":"States.Unknown()"}}}}`
	_, err := Parse([]byte(def), WithType(Express))
	var de *DefinitionError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v", err)
	}
	want := []string{
		"SCHEMA_VALIDATION_FAILED: Field 'Bogus' is not supported,",
		"MISSING_TRANSITION_TARGET: Missing 'Next' target: Missing at /States/A/Next",
		"INVALID_JSONPATH",
		"/States/B/Resource",
		"INVALID_INTRINSIC_FUNCTION",
		"UNREACHABLE_STATE: State \"B\" is not reachable. at /States/B",
		"at /States/C,",
	}
	msg := de.Error()
	if !strings.HasPrefix(msg, "Invalid State Machine Definition: '") {
		t.Errorf("message = %s", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("message lacks %q:\n%s", w, msg)
		}
	}
}

func FuzzParse(f *testing.F) {
	seeds := []string{
		pass(`"Parameters":{"x.$":"$.a","y.$":"States.Format('{}', $.b)"},"ResultPath":"$.r",`),
		`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"And":[{"Variable":"$.a","IsPresent":true},{"Not":{"Variable":"$.b","StringMatches":"x*"}}],"Next":"D"}],"Default":"D"},"D":{"Type":"Succeed"}}}`,
		`{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.i","MaxConcurrency":2,"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"Retry":[{"ErrorEquals":["States.ALL"]}],"End":true}}}`,
		`{"QueryLanguage":"JSONata","StartAt":"W","States":{"W":{"Type":"Wait","Seconds":"{% $states.input.s %}","Assign":{"a":"{% 1 %}"},"Next":"F"},"F":{"Type":"Fail","Error":"E"}}}`,
		`{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":3,"End":true}}}],"Catch":[{"ErrorEquals":["E"],"Next":"P2"}],"Next":"P2"},"P2":{"Type":"Pass","End":true}}}`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, def string) {
		sm, err := Parse([]byte(def))
		if err != nil {
			var de *DefinitionError
			if !errors.As(err, &de) || len(de.Problems) == 0 {
				t.Fatalf("error %v is not a *DefinitionError with problems", err)
			}
			return
		}
		if sm.top.start == nil {
			t.Fatal("valid machine without a start state")
		}
		// A valid machine runs without panicking (loops are cut short).
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		_, err = sm.Run(ctx, map[string]any{"a": 1.0, "i": []any{1.0, 2.0}, "s": 1.0}, RunOptions{Clock: NewFakeClock(t0), Tasks: &recorder{}})
		var ee *ExecError
		if err != nil && !errors.As(err, &ee) && ctx.Err() == nil {
			t.Fatalf("Run returned %v", err)
		}
	})
}

func TestParseMessages(t *testing.T) {
	// Step Functions' wording for the integrations an Express machine
	// cannot use.
	for res, want := range map[string]string{
		"arn:aws:states:us-east-1:000000000000:activity:approve": "SCHEMA_VALIDATION_FAILED: Express state machine does not support Activity ARN at /States/A/Resource",
		"arn:aws:states:::states:startExecution.sync:2":          "SCHEMA_VALIDATION_FAILED: Express state machine does not support '.sync' service integration at /States/A/Resource",
		"arn:aws:states:::sqs:sendMessage.waitForTaskToken":      "SCHEMA_VALIDATION_FAILED: Express state machine does not support '.waitForTaskToken' service integration at /States/A/Resource",
	} {
		_, err := Parse([]byte(`{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"`+res+`","End":true}}}`), WithType(Express))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error = %v, want %q", res, err, want)
		}
	}
}

func TestDuplicateStateNameMessage(t *testing.T) {
	def := `{"StartAt":"A","States":{"A":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}],"Next":"B"},"B":{"Type":"Succeed"}}}`
	_, err := Parse([]byte(def))
	want := "DUPLICATE_STATE_NAME: Duplicate State name: B at /States/B"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v, want %q", err, want)
	}
	// TestState tests one state of a machine by name.
	res, err := TestState(context.Background(), TestStateInput{Definition: []byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`), StateName: "A", Input: map[string]any{}})
	if err != nil || res.Status != TestSucceeded {
		t.Fatalf("TestState = %+v, %v", res, err)
	}
}

func TestHTTPSocketErrorName(t *testing.T) {
	def := task(`"Retry":[{"ErrorEquals":["States.Http.Socket"],"MaxAttempts":1}],"Catch":[{"ErrorEquals":["States.Http.Socket"],"Next":"Caught"}],`)
	r := run(t, def, `{}`, withTasks(map[string]taskFn{lambdaInvoke: fails(ErrHTTPSocket, "no answer in 60 seconds")}))
	r.wantOutput(t, `{"Error":"States.Http.Socket","Cause":"no answer in 60 seconds"}`)
	if n := r.tasks.calls(lambdaInvoke); n != 2 {
		t.Errorf("calls = %d, want 2 (one retry)", n)
	}
}
