package asl

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParallel(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","InputPath":"$.in","Parameters":{"v.$":"$.v"},
	  "Branches":[
	    {"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"a.$":"$.v"},"End":true}}},
	    {"StartAt":"B","States":{"B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}],
	  "ResultSelector":{"first.$":"$[0].a","second.$":"$[1].v"},"ResultPath":"$.out","End":true}}}`
	r := run(t, def, `{"in":{"v":3}}`, nil)
	r.wantOutput(t, `{"in":{"v":3},"out":{"first":3,"second":3}}`)
	types := strings.Join(r.eventTypes(), ",")
	for _, want := range []string{"ParallelStateEntered", "ParallelStateStarted", "ParallelStateSucceeded", "ParallelStateExited"} {
		if !strings.Contains(types, want) {
			t.Errorf("missing %s in %s", want, types)
		}
	}

	// Branches run concurrently: each waits for the other to start.
	var started atomic.Int32
	both := make(chan struct{})
	tasks := withTasks(map[string]taskFn{lambdaInvoke: func(ctx context.Context, req *TaskRequest, _ int) (any, error) {
		if started.Add(1) == 2 {
			close(both)
		}
		select {
		case <-both:
			return req.Input, nil
		case <-time.After(5 * time.Second):
			return nil, NewError("NotConcurrent", "branches did not run concurrently")
		}
	}})
	def = `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
	    {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"b":1},"End":true}}},
	    {"StartAt":"B","States":{"B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"b":2},"End":true}}}],"End":true}}}`
	run(t, def, `{}`, tasks).wantOutput(t, `[{"b":1},{"b":2}]`)

	// A failing branch fails the state with the branch's error; Retry applies.
	def = `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[
	    {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}],
	    "Retry":[{"ErrorEquals":["E"],"MaxAttempts":1}],"End":true}}}`
	r = run(t, def, `{}`, withTasks(map[string]taskFn{lambdaInvoke: fails("E", "x")}))
	r.wantError(t, "E")
	if n := r.tasks.calls(lambdaInvoke); n != 2 {
		t.Errorf("calls = %d, want 2", n)
	}
}

func TestMap(t *testing.T) {
	runOutCases(t, []outCase{
		{"items path and selector",
			`{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemSelector":{"v.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index","k.$":"$.key"},
			"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"ResultPath":"$.out","End":true}}}`,
			`{"key":"K","items":["a","b"]}`, `{"key":"K","items":["a","b"],"out":[{"v":"a","i":0,"k":"K"},{"v":"b","i":1,"k":"K"}]}`},
		{"legacy iterator and parameters",
			`{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","Parameters":{"x.$":"$$.Map.Item.Value"},
			"Iterator":{"StartAt":"P","States":{"P":{"Type":"Pass","OutputPath":"$.x","End":true}}},"End":true}}}`,
			`{"items":[1,2,3]}`, `[1,2,3]`},
		{"context inside iterations",
			`{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"i.$":"$$.Map.Item.Index","v.$":"$$.Map.Item.Value"},"End":true}}},"End":true}}}`,
			`["a","b"]`, `[{"i":0,"v":"a"},{"i":1,"v":"b"}]`},
		{"empty", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`, `[]`, `[]`},
		{"nested map",
			`{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"N","States":{"N":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Result":1,"End":true}}},"End":true}}},"End":true}}}`,
			`[[1,2],[3]]`, `[[1,1],[1]]`},
	})
	runErrCases(t, []errCase{
		{"items not array", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.x","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`, `{"x":1}`, ErrRuntime},
		{"item fails", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Bad"}}},"End":true}}}`, `[1]`, "Bad"},
	})

	// Tolerated failures.
	def := func(tol string) string {
		return `{"StartAt":"M","States":{"M":{"Type":"Map",` + tol + `"ItemProcessor":{"StartAt":"C","States":{
		  "C":{"Type":"Choice","Choices":[{"Variable":"$","NumericGreaterThan":2,"Next":"F"}],"Default":"OK"},
		  "F":{"Type":"Fail","Error":"Big"},"OK":{"Type":"Pass","End":true}}},"End":true}}}`
	}
	run(t, def(`"ToleratedFailureCount":2,`), `[1,2,3,4]`, nil).wantOutput(t, `[1,2,{"Error":"Big","Cause":""},{"Error":"Big","Cause":""}]`)
	run(t, def(`"ToleratedFailureCount":1,`), `[1,2,3,4]`, nil).wantError(t, ErrExceedToleratedFailureThreshold)
	run(t, def(`"ToleratedFailurePercentage":50,`), `[1,2,3,4]`, nil).wantOutput(t, `[1,2,{"Error":"Big","Cause":""},{"Error":"Big","Cause":""}]`)
	run(t, def(`"ToleratedFailurePercentage":25,`), `[1,2,3,4]`, nil).wantError(t, ErrExceedToleratedFailureThreshold)
	run(t, def(`"ToleratedFailureCountPath":"$[0]",`), `[1,2,3,4]`, nil).wantError(t, ErrExceedToleratedFailureThreshold)

	// MaxConcurrency bounds the running iterations.
	var running, peak atomic.Int32
	tasks := withTasks(map[string]taskFn{lambdaInvoke: func(ctx context.Context, req *TaskRequest, _ int) (any, error) {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		running.Add(-1)
		return req.Input, nil
	}})
	mapDef := func(conc string) string {
		return `{"StartAt":"M","States":{"M":{"Type":"Map",` + conc + `"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + lambdaInvoke + `","End":true}}},"End":true}}}`
	}
	items := make([]string, 20)
	for i := range items {
		items[i] = fmt.Sprint(i)
	}
	in := "[" + strings.Join(items, ",") + "]"
	run(t, mapDef(`"MaxConcurrency":3,`), in, tasks).wantOutput(t, in)
	if p := peak.Load(); p > 3 {
		t.Errorf("peak concurrency = %d, want <= 3", p)
	}
	peak.Store(0)
	run(t, mapDef(`"MaxConcurrencyPath":"$[1]",`), in, tasks).wantOutput(t, in) // $[1] = 1
	if p := peak.Load(); p != 1 {
		t.Errorf("peak concurrency with MaxConcurrencyPath 1 = %d", p)
	}

	// History of a Map.
	r := run(t, `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`, `[7]`, nil)
	want := "ExecutionStarted,MapStateEntered,MapStateStarted,MapIterationStarted,PassStateEntered,PassStateExited,MapIterationSucceeded,MapStateSucceeded,MapStateExited,ExecutionSucceeded"
	if got := strings.Join(r.eventTypes(), ","); got != want {
		t.Errorf("events = %s", got)
	}
	if r.events[2].MapStateStarted.Length != 1 || r.events[3].MapIterationStarted.Name != "M" {
		t.Errorf("map event details: %+v %+v", r.events[2].MapStateStarted, r.events[3].MapIterationStarted)
	}
}

func TestItemReaderAndBatcher(t *testing.T) {
	get := "arn:aws:states:::s3:getObject"
	tasks := withTasks(map[string]taskFn{get: func(_ context.Context, req *TaskRequest, _ int) (any, error) {
		key := req.Input.(map[string]any)["Key"]
		switch key {
		case "a.json":
			return map[string]any{"Body": `[{"n":1},{"n":2},{"n":3}]`}, nil
		case "a.csv":
			return map[string]any{"Body": "name,n\nx,1\ny,2\n"}, nil
		case "a.jsonl":
			return map[string]any{"Body": "{\"n\":1}\n{\"n\":2}\n"}, nil
		}
		return nil, NewError("S3.NoSuchKey", "no such key")
	}})
	reader := func(key, cfg string) string {
		return `{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{"Resource":"` + get + `","ReaderConfig":` + cfg + `,"Parameters":{"Bucket":"b","Key":"` + key + `"}},
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`
	}
	run(t, reader("a.json", `{"InputType":"JSON"}`), `{}`, tasks).wantOutput(t, `[{"n":1},{"n":2},{"n":3}]`)
	run(t, reader("a.json", `{"InputType":"JSON","MaxItems":2}`), `{}`, tasks).wantOutput(t, `[{"n":1},{"n":2}]`)
	run(t, reader("a.csv", `{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"}`), `{}`, tasks).wantOutput(t, `[{"name":"x","n":"1"},{"name":"y","n":"2"}]`)
	run(t, reader("a.jsonl", `{"InputType":"JSONL"}`), `{}`, tasks).wantOutput(t, `[{"n":1},{"n":2}]`)
	run(t, reader("missing", `{"InputType":"JSON"}`), `{}`, tasks).wantError(t, ErrItemReaderFailed)

	batch := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{"MaxItemsPerBatch":2,"BatchInput":{"tag":"t"}},
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`
	run(t, batch, `[1,2,3]`, nil).wantOutput(t, `[{"Items":[1,2],"BatchInput":{"tag":"t"}},{"Items":[3],"BatchInput":{"tag":"t"}}]`)
}

func TestVariables(t *testing.T) {
	runOutCases(t, []outCase{
		{"assign sees the result; next state sees the variable",
			`{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"r":1},"ResultPath":"$.res","Assign":{"x.$":"$.r","lit":"L","ctx.$":"$$.State.Name"},"Next":"B"},
			"B":{"Type":"Pass","Parameters":{"x.$":"$x","lit.$":"$lit","ctx.$":"$ctx","f.$":"States.Format('{}{}', $lit, $x)"},"End":true}}}`,
			`{}`, `{"x":1,"lit":"L","ctx":"A","f":"L1"}`},
		{"assign values are from state entry",
			`{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"a":1,"b":2},"Next":"B"},
			"B":{"Type":"Pass","Assign":{"a.$":"$b","b.$":"$a"},"Next":"C"},
			"C":{"Type":"Pass","Parameters":{"a.$":"$a","b.$":"$b"},"End":true}}}`,
			`{}`, `{"a":2,"b":1}`},
		{"task assign sees the raw result",
			`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + lambdaInvoke + `","Parameters":{"p":5},"ResultSelector":{"q.$":"$.p"},"Assign":{"raw.$":"$.p"},"Next":"B"},
			"B":{"Type":"Pass","Parameters":{"raw.$":"$raw","in.$":"$"},"End":true}}}`,
			`{}`, `{"raw":5,"in":{"q":5}}`},
		{"choice rule assign",
			`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Assign":{"branch":"one"},"Next":"D"}],"Default":"D","Assign":{"branch":"default"}},
			"D":{"Type":"Pass","Parameters":{"b.$":"$branch"},"End":true}}}`,
			`{"n":2}`, `{"b":"default"}`},
		{"catch assign",
			`{"StartAt":"F","States":{"F":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Fail","Error":"Oops","Cause":"c"}}}],
			"Catch":[{"ErrorEquals":["States.ALL"],"Assign":{"err.$":"$.Error"},"ResultPath":null,"Next":"D"}],"Next":"D"},
			"D":{"Type":"Pass","Parameters":{"e.$":"$err"},"End":true}}}`,
			`{}`, `{"e":"Oops"}`},
		{"inner scope reads outer variables",
			`{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"outer":"o"},"Next":"M"},
			"M":{"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","Assign":{"inner.$":"$outer"},"Next":"J"},"J":{"Type":"Pass","Parameters":{"v.$":"$inner"},"End":true}}},"End":true}}}`,
			`[1,2]`, `[{"v":"o"},{"v":"o"}]`},
		{"variables as InputPath",
			`{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"v":{"x":[1,2]}},"Next":"B"},"B":{"Type":"Pass","InputPath":"$v.x","End":true}}}`,
			`{}`, `[1,2]`},
	})
	runErrCases(t, []errCase{
		{"undefined variable", pass(`"Parameters":{"x.$":"$nope"},`), `{}`, ErrRuntime},
		{"assign to an outer variable",
			`{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"outer":"o"},"Next":"M"},
			"M":{"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","Assign":{"outer":"x"},"End":true}}},"End":true}}}`,
			`[1]`, ErrRuntime},
		{"distributed map cannot see outer variables",
			`{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"outer":"o"},"Next":"M"},
			"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"I","States":{"I":{"Type":"Pass","Parameters":{"v.$":"$outer"},"End":true}}},"End":true}}}`,
			`[1]`, ErrRuntime},
	})
	// Assigned variables are recorded in the exited event.
	r := run(t, pass(`"Assign":{"a":{"k":1},"s":"str"},`), `{}`, nil)
	ex := r.events[2].StateExited
	if ex.AssignedVariables["a"] != `{"k":1}` || ex.AssignedVariables["s"] != `"str"` {
		t.Errorf("assignedVariables = %v", ex.AssignedVariables)
	}
}

func TestJSONataStates(t *testing.T) {
	runOutCases(t, []outCase{
		{"task arguments output result",
			`{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + lambdaInvoke + `",
			"Arguments":{"n":"{% $states.input.n * 2 %}","fixed":1},"Output":{"res":"{% $states.result.n %}","in":"{% $states.input.n %}"},"Assign":{"r":"{% $states.result.n %}"},"Next":"B"},
			"B":{"Type":"Pass","Output":"{% $r + 1 %}","End":true}}}`,
			`{"n":3}`, `7`},
		{"choice conditions",
			`{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n > 5 %}","Next":"Big","Output":"big"}],"Default":"Small"},
			"Big":{"Type":"Pass","End":true},"Small":{"Type":"Pass","Output":"small","End":true}}}`,
			`{"n":10}`, `"big"`},
		{"wait seconds expression",
			`{"QueryLanguage":"JSONata","StartAt":"W","States":{"W":{"Type":"Wait","Seconds":"{% $states.input.s %}","Next":"D"},"D":{"Type":"Pass","Output":"{% $states.context.State.EnteredTime %}","End":true}}}`,
			`{"s":60}`, `"2024-05-01T12:01:00.000Z"`},
		{"map items and item selector",
			`{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":"{% $states.input.xs %}","ItemSelector":{"v":"{% $states.context.Map.Item.Value %}","i":"{% $states.context.Map.Item.Index %}"},
			"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $states.input.v * 10 + $states.input.i %}","End":true}}},"Output":"{% $sum($states.result) %}","End":true}}}`,
			`{"xs":[1,2,3]}`, `63`},
		{"parallel arguments",
			`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Parallel","Arguments":{"x":"{% $states.input.x %}"},"Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% $states.input.x + 1 %}","End":true}}}],"End":true}}}`,
			`{"x":1}`, `[2]`},
		{"fail with expressions",
			`{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Parallel","Branches":[{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"{% 'E' & $states.input.n %}","Cause":"{% 'C' %}"}}}],
			"Catch":[{"ErrorEquals":["E1"],"Next":"D"}],"End":true},"D":{"Type":"Succeed"}}}`,
			`{"n":1}`, `{"Error":"E1","Cause":"C"}`},
	})
	r0 := run(t, `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $nope %}","End":true}}}`, `{}`, nil)
	r0.wantError(t, ErrQueryEvaluationError)
	if got := strings.Join(r0.eventTypes(), ","); got != "ExecutionStarted,PassStateEntered,EvaluationFailed,ExecutionFailed" {
		t.Errorf("events = %s", got)
	} else if d := r0.events[2].EvaluationFailed; d.State != "P" || d.Location != "Output" || d.Error != ErrQueryEvaluationError {
		t.Errorf("EvaluationFailed = %+v", d)
	}
	r1 := run(t, `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":{"a":{"b":[1,"{% $nope %}"]}},"End":true}}}`, `{}`, nil)
	if ee := r1.wantError(t, ErrQueryEvaluationError); !strings.Contains(ee.Cause, "the field 'Output/a/b[1]'") {
		t.Errorf("cause = %s", ee.Cause)
	}
	tasks := withTasks(map[string]taskFn{"arn:aws:states:::fail:x": fails("Boom", "bad")})
	r := run(t, `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::fail:x","Catch":[{"ErrorEquals":["States.ALL"],"Output":{"e":"{% $states.errorOutput.Error %}"},"Assign":{"c":"{% $states.errorOutput.Cause %}"},"Next":"D"}],"End":true},
			"D":{"Type":"Pass","Output":"{% $states.input.e & '/' & $c %}","End":true}}}`, `{}`, tasks)
	r.wantOutput(t, `"Boom/bad"`)
	runErrCases(t, []errCase{
		{"nested undefined", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":{"a":"{% $states.input.nope %}","b":1},"End":true}}}`, `{}`, ErrQueryEvaluationError},
		{"undefined in an array", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":[1,"{% $nope %}"],"End":true}}}`, `{}`, ErrQueryEvaluationError},
		{"undefined assign", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Assign":{"x":"{% $nope %}"},"End":true}}}`, `{}`, ErrQueryEvaluationError},
		{"condition not boolean", `{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"{% 1 %}","Next":"D"}]},"D":{"Type":"Succeed"}}}`, `{}`, ErrQueryEvaluationError},
		{"expression error", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $number('x') + {} %}","End":true}}}`, `{}`, ErrQueryEvaluationError},
		{"timeout not a number", `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + lambdaInvoke + `","TimeoutSeconds":"{% 'x' %}","End":true}}}`, `{}`, ErrQueryEvaluationError},
	})
}

func TestCausePrefix(t *testing.T) {
	r := run(t, `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Parameters":{"x.$":"$.nope"},"End":true}}}`, `{"flagged":false}`, nil)
	ee := r.wantError(t, ErrRuntime)
	want := `An error occurred while executing the state 'B' (entered at the event id #4). The JSONPath '$.nope' specified for the field 'x.$' could not be found in the input '{"flagged":false}'`
	if ee.Cause != want {
		t.Errorf("cause = %s\nwant    %s", ee.Cause, want)
	}
	r = run(t, `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $sum('a') %}","End":true}}}`, `{}`, nil)
	ee = r.wantError(t, ErrQueryEvaluationError)
	if !strings.HasPrefix(ee.Cause, "An error occurred while executing the state 'P' (entered at the event id #2). The JSONata expression '$sum('a')' specified for the field 'Output' threw an error during evaluation. T") {
		t.Errorf("cause = %s", ee.Cause)
	}
}
