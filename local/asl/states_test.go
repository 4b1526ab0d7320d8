package asl

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

type outCase struct {
	name, def, input, want string
}

func runOutCases(t *testing.T, cases []outCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run(t, c.def, c.input, nil).wantOutput(t, c.want)
		})
	}
}

type errCase struct {
	name, def, input, wantErr string
}

func runErrCases(t *testing.T, cases []errCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run(t, c.def, c.input, nil).wantError(t, c.wantErr)
		})
	}
}

func pass(fields string) string {
	return `{"StartAt":"P","States":{"P":{"Type":"Pass",` + fields + `"End":true}}}`
}

func TestPass(t *testing.T) {
	runOutCases(t, []outCase{
		{"identity", pass(``), `{"a":1}`, `{"a":1}`},
		{"result", pass(`"Result":{"x":1},`), `{"a":1}`, `{"x":1}`},
		{"result path", pass(`"Result":"r","ResultPath":"$.b.c",`), `{"a":1}`, `{"a":1,"b":{"c":"r"}}`},
		{"result path null", pass(`"Result":"r","ResultPath":null,`), `{"a":1}`, `{"a":1}`},
		{"result path array index", pass(`"Result":"r","ResultPath":"$.a[1]",`), `{"a":[1,2]}`, `{"a":[1,"r"]}`},
		{"input path", pass(`"InputPath":"$.a",`), `{"a":{"b":2}}`, `{"b":2}`},
		{"input path null", pass(`"InputPath":null,`), `{"a":1}`, `{}`},
		{"output path", pass(`"OutputPath":"$.a.b",`), `{"a":{"b":2}}`, `2`},
		{"output path null", pass(`"OutputPath":null,`), `{"a":1}`, `{}`},
		{"parameters", pass(`"Parameters":{"static":"s","dyn.$":"$.a","nested":{"arr":[1,{"deep.$":"$.b"}]}},`), `{"a":1,"b":[true]}`,
			`{"static":"s","dyn":1,"nested":{"arr":[1,{"deep":[true]}]}}`},
		{"parameters after input path", pass(`"InputPath":"$.in","Parameters":{"v.$":"$.x"},"ResultPath":"$.out",`), `{"in":{"x":5}}`, `{"in":{"x":5},"out":{"v":5}}`},
		{"result wins over parameters", pass(`"Parameters":{"p":1},"Result":{"r":1},`), `{}`, `{"r":1}`},
		{"indefinite path", pass(`"Parameters":{"names.$":"$.items[*].name","cheap.$":"$.items[?(@.price < 5)].name"},`),
			`{"items":[{"name":"a","price":3},{"name":"b","price":9}]}`, `{"names":["a","b"],"cheap":["a"]}`},
		{"context object", pass(`"Parameters":{"id.$":"$$.Execution.Id","name.$":"$$.Execution.Name","state.$":"$$.State.Name","sm.$":"$$.StateMachine.Name","in.$":"$$.Execution.Input.a","role.$":"$$.Execution.RoleArn","start.$":"$$.Execution.StartTime","retry.$":"$$.State.RetryCount"},`),
			`{"a":7}`, `{"id":"arn:aws:states:us-east-1:000000000000:execution:m:e1","name":"e1","state":"P","sm":"m","in":7,"role":"arn:aws:iam::000000000000:role/r","start":"2024-05-01T12:00:00.000Z","retry":0}`},
		{"intrinsics", pass(`"Parameters":{"f.$":"States.Format('{}-{}', $.a, States.ArrayLength($.b))","u.$":"States.ArrayUnique($.b)"},`),
			`{"a":"x","b":[1,1,2]}`, `{"f":"x-3","u":[1,2]}`},
		{"whole input via $", pass(`"Parameters":{"all.$":"$"},`), `[1,2]`, `{"all":[1,2]}`},
		{"chain", `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"ResultPath":"$.a","Next":"B"},"B":{"Type":"Pass","Result":2,"ResultPath":"$.b","End":true}}}`, `{}`, `{"a":1,"b":2}`},
	})
	runErrCases(t, []errCase{
		{"missing input path", pass(`"InputPath":"$.nope",`), `{}`, ErrRuntime},
		{"missing parameter path", pass(`"Parameters":{"x.$":"$.nope.deep"},`), `{"other":1}`, ErrRuntime},
		{"missing output path", pass(`"OutputPath":"$.nope",`), `{}`, ErrRuntime},
		{"result path on non-object", pass(`"Result":1,"ResultPath":"$.a.b",`), `{"a":"str"}`, ErrResultPathMatchFailure},
		{"intrinsic failure", pass(`"Parameters":{"x.$":"States.ArrayGetItem($.a, 9)"},`), `{"a":[1]}`, ErrIntrinsicFailure},
		{"intrinsic missing path", pass(`"Parameters":{"x.$":"States.ArrayLength($.missing)"},`), `{}`, ErrRuntime},
	})
}

func TestSucceedFail(t *testing.T) {
	runOutCases(t, []outCase{
		{"succeed", `{"StartAt":"S","States":{"S":{"Type":"Succeed","InputPath":"$.a","OutputPath":"$.b"}}}`, `{"a":{"b":3}}`, `3`},
	})
	r := run(t, `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"MyError","Cause":"because"}}}`, `{}`, nil)
	if ee := r.wantError(t, "MyError"); ee.Cause != "because" {
		t.Errorf("cause = %q", ee.Cause)
	}
	r = run(t, `{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"States.Format('bad {}', $.n)"}}}`, `{"e":"E1","n":2}`, nil)
	if ee := r.wantError(t, "E1"); ee.Cause != "bad 2" {
		t.Errorf("cause = %q", ee.Cause)
	}
	run(t, `{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e"}}}`, `{"e":5}`, nil).wantError(t, ErrRuntime)
	want := []string{"ExecutionStarted", "FailStateEntered", "ExecutionFailed"}
	if got := run(t, `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E"}}}`, `{}`, nil).eventTypes(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("events = %v, want %v", got, want)
	}
}

func TestChoice(t *testing.T) {
	choice := func(rule string) string {
		return `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[` + rule + `],"Default":"No"},
		"Yes":{"Type":"Pass","Result":"yes","End":true},"No":{"Type":"Pass","Result":"no","End":true}}}`
	}
	input := `{"s":"abc","n":10,"f":1.5,"b":true,"nul":null,"t":"2024-01-02T03:04:05Z","t2":"2024-01-02T03:04:06Z","s2":"abd","n2":10,"arr":[1]}`
	cases := []struct {
		rule string
		want string
	}{
		{`{"Variable":"$.s","StringEquals":"abc","Next":"Yes"}`, "yes"},
		{`{"Variable":"$.s","StringEquals":"abd","Next":"Yes"}`, "no"},
		{`{"Variable":"$.n","StringEquals":"10","Next":"Yes"}`, "no"},
		{`{"Variable":"$.s","StringLessThan":"abd","Next":"Yes"}`, "yes"},
		{`{"Variable":"$.s","StringGreaterThan":"abb","Next":"Yes"}`, "yes"},
		{`{"Variable":"$.s","StringLessThanEquals":"abc","Next":"Yes"}`, "yes"},
		{`{"Variable":"$.s","StringGreaterThanEquals":"abd","Next":"Yes"}`, "no"},
		{`{"Variable":"$.s","StringMatches":"a*c","Next":"Yes"}`, "yes"},
		{`{"Variable":"$.s","StringMatches":"*b","Next":"Yes"}`, "no"},
		{`{"Variable":"$.s","StringEqualsPath":"$.s2","Next":"Yes"}`, "no"},
		{`{"Variable":"$.s","StringLessThanPath":"$.s2","Next":"Yes"}`, "yes"},
		{`{"Variable":"$.n","NumericEquals":10,"Next":"Yes"}`, "yes"},
		{`{"Variable":"$.f","NumericLessThan":2,"Next":"Yes"}`, "yes"},
		{`{"Variable":"$.f","NumericGreaterThan":1.5,"Next":"Yes"}`, "no"},
		{`{"Variable":"$.f","NumericGreaterThanEquals":1.5,"Next":"Yes"}`, "yes"},
		{`{"Variable":"$.n","NumericLessThanEquals":9,"Next":"Yes"}`, "no"},
		{`{"Variable":"$.n","NumericEqualsPath":"$.n2","Next":"Yes"}`, "yes"},
		{`{"Variable":"$.f","NumericLessThanPath":"$.n","Next":"Yes"}`, "yes"},
		{`{"Variable":"$.s","NumericEquals":10,"Next":"Yes"}`, "no"},
		{`{"Variable":"$.b","BooleanEquals":true,"Next":"Yes"}`, "yes"},
		{`{"Variable":"$.b","BooleanEqualsPath":"$.b","Next":"Yes"}`, "yes"},
		{`{"Variable":"$.t","TimestampEquals":"2024-01-02T03:04:05Z","Next":"Yes"}`, "yes"},
		{`{"Variable":"$.t","TimestampLessThan":"2024-01-02T03:04:06Z","Next":"Yes"}`, "yes"},
		{`{"Variable":"$.t","TimestampGreaterThan":"2024-01-02T03:04:06Z","Next":"Yes"}`, "no"},
		{`{"Variable":"$.t","TimestampLessThanEquals":"2024-01-02T03:04:05Z","Next":"Yes"}`, "yes"},
		{`{"Variable":"$.t","TimestampGreaterThanEquals":"2024-01-02T03:04:05+00:00","Next":"Yes"}`, "yes"},
		{`{"Variable":"$.t","TimestampLessThanPath":"$.t2","Next":"Yes"}`, "yes"},
		{`{"Variable":"$.s","TimestampEquals":"2024-01-02T03:04:05Z","Next":"Yes"}`, "no"},
		{`{"Variable":"$.nul","IsNull":true,"Next":"Yes"}`, "yes"},
		{`{"Variable":"$.s","IsNull":true,"Next":"Yes"}`, "no"},
		{`{"Variable":"$.missing","IsPresent":false,"Next":"Yes"}`, "yes"},
		{`{"Variable":"$.s","IsPresent":true,"Next":"Yes"}`, "yes"},
		{`{"Variable":"$.n","IsNumeric":true,"Next":"Yes"}`, "yes"},
		{`{"Variable":"$.s","IsString":true,"Next":"Yes"}`, "yes"},
		{`{"Variable":"$.b","IsBoolean":false,"Next":"Yes"}`, "no"},
		{`{"Variable":"$.t","IsTimestamp":true,"Next":"Yes"}`, "yes"},
		{`{"Variable":"$.s","IsTimestamp":true,"Next":"Yes"}`, "no"},
		{`{"And":[{"Variable":"$.n","NumericEquals":10},{"Variable":"$.b","BooleanEquals":true}],"Next":"Yes"}`, "yes"},
		{`{"And":[{"Variable":"$.n","NumericEquals":10},{"Variable":"$.b","BooleanEquals":false}],"Next":"Yes"}`, "no"},
		{`{"Or":[{"Variable":"$.n","NumericEquals":1},{"Variable":"$.b","BooleanEquals":true}],"Next":"Yes"}`, "yes"},
		{`{"Not":{"Variable":"$.s","StringEquals":"abc"},"Next":"Yes"}`, "no"},
		{`{"Not":{"Variable":"$.missing","IsPresent":true},"Next":"Yes"}`, "yes"},
		{`{"Variable":"$$.Execution.Name","StringEquals":"e1","Next":"Yes"}`, "yes"},
		{`{"Variable":"$.arr[0]","NumericEquals":1,"Next":"Yes"}`, "yes"},
	}
	for _, c := range cases {
		t.Run(c.rule, func(t *testing.T) {
			run(t, choice(c.rule), input, nil).wantOutput(t, `"`+c.want+`"`)
		})
	}
	// Errors.
	run(t, choice(`{"Variable":"$.missing","StringEquals":"x","Next":"Yes"}`), input, nil).wantError(t, ErrRuntime)
	run(t, choice(`{"Variable":"$.s","StringEqualsPath":"$.missing","Next":"Yes"}`), input, nil).wantError(t, ErrRuntime)
	noDefault := `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"Y"}]},"Y":{"Type":"Succeed"}}}`
	run(t, noDefault, `{"n":2}`, nil).wantError(t, ErrNoChoiceMatched)
	// Choice output is its (filtered) input.
	run(t, `{"StartAt":"C","States":{"C":{"Type":"Choice","InputPath":"$.in","OutputPath":"$.v","Choices":[{"Variable":"$.v","NumericEquals":1,"Next":"Y"}]},"Y":{"Type":"Succeed"}}}`, `{"in":{"v":1}}`, nil).wantOutput(t, `1`)
}

func TestWildcardMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"*.log", "a.log", true},
		{"*.log", "a.txt", false},
		{"log-*.txt", "log-2024.txt", true},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{`a\*b`, "a*b", true},
		{`a\*b`, "aXb", false},
		{`a\\b`, `a\b`, true},
		{"*", "", true},
		{"", "", true},
		{"", "x", false},
		{"**a", "bba", true},
	}
	for _, c := range cases {
		if got := wildcardMatch(c.pattern, c.s); got != c.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", c.pattern, c.s, got)
		}
	}
}

func TestWait(t *testing.T) {
	wait := func(fields string) string {
		return `{"StartAt":"W","States":{"W":{"Type":"Wait",` + fields + `"Next":"D"},"D":{"Type":"Pass","Parameters":{"now.$":"$$.State.EnteredTime"},"End":true}}}`
	}
	cases := []struct {
		fields, input string
		want          time.Time
	}{
		{`"Seconds":90,`, `{}`, t0.Add(90 * time.Second)},
		{`"SecondsPath":"$.s",`, `{"s":5}`, t0.Add(5 * time.Second)},
		{`"Timestamp":"2024-05-01T13:00:00Z",`, `{}`, t0.Add(time.Hour)},
		{`"TimestampPath":"$.ts",`, `{"ts":"2024-05-02T12:00:00Z"}`, t0.Add(24 * time.Hour)},
		{`"Timestamp":"2020-01-01T00:00:00Z",`, `{}`, t0},
		{`"Seconds":0,`, `{}`, t0},
	}
	for _, c := range cases {
		r := run(t, wait(c.fields), c.input, nil)
		r.wantOutput(t, `{"now":"`+c.want.Format("2006-01-02T15:04:05.000Z")+`"}`)
		if !r.clock.Now().Equal(c.want) {
			t.Errorf("%s: clock at %v, want %v", c.fields, r.clock.Now(), c.want)
		}
	}
	run(t, wait(`"SecondsPath":"$.s",`), `{"s":"x"}`, nil).wantError(t, ErrRuntime)
	run(t, wait(`"SecondsPath":"$.s",`), `{}`, nil).wantError(t, ErrRuntime)
	run(t, wait(`"SecondsPath":"$.s",`), `{"s":-1}`, nil).wantError(t, ErrRuntime)
	run(t, wait(`"TimestampPath":"$.ts",`), `{"ts":"tomorrow"}`, nil).wantError(t, ErrRuntime)
	// Wait keeps its input.
	run(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"InputPath":"$.a","End":true}}}`, `{"a":[1]}`, nil).wantOutput(t, `[1]`)
}

func TestContextCancel(t *testing.T) {
	sm, err := Parse([]byte(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	var events []Event
	done := make(chan error, 1)
	go func() {
		_, err := sm.Run(ctx, map[string]any{}, RunOptions{History: func(e Event) { events = append(events, e) }})
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	cancel(NewError("Stopped", "by the user"))
	err = <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	last := events[len(events)-1]
	if last.Type != "ExecutionAborted" || last.ExecutionAborted.Error != "Stopped" || last.ExecutionAborted.Cause != "by the user" {
		t.Errorf("last event = %+v %+v", last, last.ExecutionAborted)
	}
	if prev := events[len(events)-2]; prev.Type != "WaitStateAborted" {
		t.Errorf("event before the abort = %s, want WaitStateAborted", prev.Type)
	}
}

func TestExecutionTimeout(t *testing.T) {
	def := `{"TimeoutSeconds":10,"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}`
	tasks := &recorder{funcs: map[string]func(context.Context, *TaskRequest, int) (any, error){
		"arn:aws:states:::lambda:invoke": func(ctx context.Context, req *TaskRequest, _ int) (any, error) {
			clock := ctx.Value(clockKey{}).(*FakeClock)
			clock.Advance(11 * time.Second)
			<-ctx.Done()
			return nil, ctx.Err()
		},
	}}
	sm, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	clock := NewFakeClock(t0)
	ctx := context.WithValue(context.Background(), clockKey{}, clock)
	var last string
	_, err = sm.Run(ctx, map[string]any{}, RunOptions{Tasks: tasks, Clock: clock, History: func(e Event) { last = e.Type }})
	var ee *ExecError
	if !errors.As(err, &ee) || ee.ErrorName != ErrTimeout || !ee.ExecutionTimedOut() {
		t.Fatalf("err = %v, want the execution's States.Timeout", err)
	}
	if last != "ExecutionTimedOut" {
		t.Errorf("last event = %s", last)
	}
}

type clockKey struct{}
