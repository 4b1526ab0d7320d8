package jsonata

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"sync"
	"testing"
	"time"
)

func mustJSON(t *testing.T, s string) any {
	t.Helper()
	if s == "" {
		return Undefined
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad JSON %q: %v", s, err)
	}
	return v
}

// assertJSONShape fails unless v is made only of encoding/json's types.
func assertJSONShape(t *testing.T, v any) {
	t.Helper()
	switch x := v.(type) {
	case nil, bool, float64, string:
	case []any:
		for _, it := range x {
			assertJSONShape(t, it)
		}
	case map[string]any:
		for _, it := range x {
			assertJSONShape(t, it)
		}
	default:
		t.Fatalf("result contains %T, which is not an encoding/json type", v)
	}
}

type sfnCase struct {
	name    string
	expr    string
	input   string // $states.input as JSON
	vars    map[string]any
	want    string // JSON, or "" for undefined
	wantErr string // error code
}

func runSFNCases(t *testing.T, cases []sfnCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vars := map[string]any{}
			for k, v := range c.vars {
				vars[k] = v
			}
			vars["states"] = map[string]any{"input": mustJSON(t, c.input), "context": map[string]any{"Execution": map[string]any{"Name": "exec-1"}}}
			got, err := evalString(c.expr, Undefined, vars)
			if !wantOutcome(t, c.expr, got, err, c.want, c.wantErr) {
				return
			}
			assertJSONShape(t, got)
			if !jsonEqual(t, got, json.RawMessage(c.want)) {
				t.Fatalf("%s: want %s, got %s", c.expr, c.want, show(got))
			}
		})
	}
}

// The expressions of the JSONata conformance cases in
// shared/conformance/asl, evaluated on their own.
func TestConformanceExpressions(t *testing.T) {
	runSFNCases(t, []sfnCase{
		{name: "choice condition", expr: "$states.input.condition", input: `{"condition": true}`, want: `true`},
		{name: "fail error", expr: "$states.input.error", input: `{"error": "Exception"}`, want: `"Exception"`},
		{name: "map items literal", expr: "1", input: `{}`, want: `1`},
		{name: "partition", expr: "$partition($states.input.FunctionInput.fst, $states.input.FunctionInput.snd)", input: `{"FunctionInput": {"fst": [0,1,2,3], "snd": 3}}`, want: `[[0,1,2],[3]]`},
		{name: "range singleton unwrapped", expr: "$range($states.input.FunctionInput.fst, $states.input.FunctionInput.snd, $states.input.FunctionInput.trd)", input: `{"FunctionInput": {"fst": 1, "snd": 9, "trd": 9}}`, want: `1`},
		{name: "undefined output", expr: "$doesNotExist", input: `{}`, want: ""},
		{name: "variables", expr: "$year & ' ' & $make & ' ' & $model", input: `{}`, vars: map[string]any{"make": "Infiniti", "model": "G35", "year": 2006.0}, want: `"2006 Infiniti G35"`},
		{name: "whole input", expr: "$states.input", input: `{"input_data": "test"}`, want: `{"input_data": "test"}`},
		{name: "context", expr: "$states.context.Execution.Name", input: `{}`, want: `"exec-1"`},
	})
}

func TestStepFunctionsFunctions(t *testing.T) {
	runSFNCases(t, []sfnCase{
		// $partition
		{name: "partition exact", expr: "$partition([1,2,3,4,5,6,7,8,9], 3)", want: `[[1,2,3],[4,5,6],[7,8,9]]`},
		{name: "partition bigger chunk", expr: "$partition([1,2], 5)", want: `[[1,2]]`},
		{name: "partition single", expr: "$partition([1], 1)", want: `[[1]]`},
		{name: "partition empty", expr: "$partition([], 2)", want: `[]`},
		{name: "partition scalar wraps", expr: "$partition('a', 2)", want: `[["a"]]`},
		{name: "partition objects", expr: "$partition($states.input.items, 2)", input: `{"items": [{"a":1},{"b":2},{"c":3}]}`, want: `[[{"a":1},{"b":2}],[{"c":3}]]`},
		{name: "partition zero", expr: "$partition([1,2], 0)", wantErr: CodePartitionSize},
		{name: "partition fraction", expr: "$partition([1,2], 1.5)", wantErr: CodePartitionSize},
		{name: "partition string size", expr: "$partition([1,2], '2')", wantErr: "T0410"},
		{name: "partition undefined", expr: "$partition($states.input.none, 2)", input: `{}`, want: ""},
		{name: "partition count", expr: "$count($partition([1..10], 3))", want: `4`},
		// $range
		{name: "range evens", expr: "$range(0, 10, 2)", want: `[0,2,4,6,8,10]`},
		{name: "range overshoot", expr: "$range(0, 10, 3)", want: `[0,3,6,9]`},
		{name: "range default step", expr: "$range(1, 4)", want: `[1,2,3,4]`},
		{name: "range negative step", expr: "$range(5, 1, -2)", want: `[5,3,1]`},
		{name: "range singleton", expr: "$range(3, 3, 1)", want: `3`},
		{name: "range singleton kept in array constructor", expr: "[$range(3, 3, 1)]", want: `[3]`},
		{name: "range empty", expr: "$range(5, 1, 1)", want: ""},
		{name: "range zero step", expr: "$range(1, 5, 0)", wantErr: CodeRangeArgs},
		{name: "range fraction", expr: "$range(1.5, 5, 1)", wantErr: CodeRangeArgs},
		{name: "range too big", expr: "$range(0, 1e8, 1)", wantErr: CodeRangeSize},
		{name: "range sum", expr: "$sum($range(1, 100, 1))", want: `5050`},
		// $hash
		{name: "hash md5", expr: "$hash('input data', 'MD5')", want: `"812f45842bc6d66ee14572ce20db8e86"`},
		{name: "hash sha1", expr: "$hash('input data', 'SHA-1')", want: `"aaff4a450a104cd177d28d18d74485e8cae074b7"`},
		{name: "hash sha256", expr: "$hash('input data', 'SHA-256')", want: `"b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3"`},
		{name: "hash sha384", expr: "$hash('input data', 'SHA-384')", want: `"d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562"`},
		{name: "hash sha512", expr: "$hash('input data', 'SHA-512')", want: `"6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4"`},
		{name: "hash utf8", expr: "$hash('héllo', 'SHA-256')", want: `"3c48591d8d098a4538f5e013dfcf406e948eac4d3277b10bf614e295d6068179"`},
		{name: "hash bad algorithm", expr: "$hash('x', 'SHA-3')", wantErr: CodeHashAlgorithm},
		{name: "hash lower-case algorithm", expr: "$hash('x', 'sha-256')", wantErr: CodeHashAlgorithm},
		{name: "hash number", expr: "$hash(5, 'MD5')", wantErr: "T0410"},
		{name: "hash of input", expr: "$hash($states.input.content, 'SHA-1')", input: `{"content": "input data"}`, want: `"aaff4a450a104cd177d28d18d74485e8cae074b7"`},
		// $parse
		{name: "parse object", expr: "$parse('{\"a\": [1, 2.5, null, true]}')", want: `{"a": [1, 2.5, null, true]}`},
		{name: "parse then path", expr: "$parse($states.input.body).items[1]", input: `{"body": "{\"items\": [\"x\", \"y\"]}"}`, want: `"y"`},
		{name: "parse number", expr: "$parse('42')", want: `42`},
		{name: "parse string", expr: "$parse('\"s\"')", want: `"s"`},
		{name: "parse null", expr: "$parse('null')", want: `null`},
		{name: "parse invalid", expr: "$parse('{a:1}')", wantErr: CodeParse},
		{name: "parse trailing", expr: "$parse('1 2')", wantErr: CodeParse},
		{name: "parse empty", expr: "$parse('')", wantErr: CodeParse},
		{name: "parse undefined", expr: "$parse($states.input.none)", input: `{}`, want: ""},
		// $uuid and $random
		{name: "uuid type", expr: "$type($uuid())", want: `"string"`},
		{name: "uuids differ", expr: "$uuid() = $uuid()", want: `false`},
		{name: "random range", expr: "$random() >= 0 and $random() < 1", want: `true`},
		{name: "seeded random repeatable", expr: "$random(42) = $random(42)", want: `true`},
		{name: "seeded random varies by seed", expr: "$random(1) = $random(2)", want: `false`},
		{name: "seeded random range", expr: "$count($filter($map([1..200], $random), function($v){$v < 0 or $v >= 1}))", want: `0`},
	})
}

func TestUUIDFormat(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for i := 0; i < 20; i++ {
		v, err := evalString("$uuid()", Undefined, nil)
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := v.(string); !re.MatchString(s) {
			t.Fatalf("$uuid() = %v, not a version 4 UUID", v)
		}
	}
}

func TestSeededRandomIsJavaLCG(t *testing.T) {
	// java.util.Random(42).nextDouble() is 0.7275636800328681
	if got := seededRandom(42); got != 0.7275636800328681 {
		t.Fatalf("seededRandom(42) = %v", got)
	}
	if got := seededRandom(0); got != 0.730967787376657 {
		t.Fatalf("seededRandom(0) = %v", got)
	}
}

func TestUndefinedIsNotNull(t *testing.T) {
	vars := map[string]any{"states": map[string]any{"input": map[string]any{"n": nil}}}
	got, err := evalString("$states.input.n", Undefined, vars)
	if err != nil || got != nil {
		t.Fatalf("null field: got %v, %v; want nil", show(got), err)
	}
	got, err = evalString("$states.input.missing", Undefined, vars)
	if err != nil || !IsUndefined(got) {
		t.Fatalf("missing field: got %v, %v; want Undefined", show(got), err)
	}
	got, err = evalString("{'a': $states.input.missing, 'b': $states.input.n}", Undefined, vars)
	if err != nil {
		t.Fatal(err)
	}
	m := got.(map[string]any)
	if _, ok := m["a"]; ok {
		t.Fatalf("undefined value kept as a key: %v", m)
	}
	if v, ok := m["b"]; !ok || v != nil {
		t.Fatalf("null value lost: %v", m)
	}
}

func TestVariablesAreNotModified(t *testing.T) {
	vars := map[string]any{"x": 1.0}
	got, err := evalString("($x := 5; $y := 6; $x + $y)", Undefined, vars)
	if err != nil || got != 11.0 {
		t.Fatalf("got %v, %v", got, err)
	}
	if len(vars) != 1 || vars["x"] != 1.0 {
		t.Fatalf("caller's variables modified: %v", vars)
	}
}

func TestNumericKindsInVariables(t *testing.T) {
	vars := map[string]any{"i": 3, "i64": int64(4), "f32": float32(0.5), "n": json.Number("2"),
		"m": map[string]any{"k": 7}}
	got, err := evalString("$i + $i64 + $f32 + $n + $m.k", Undefined, vars)
	if err != nil || got != 16.5 {
		t.Fatalf("got %v, %v; want 16.5", got, err)
	}
}

func TestErrorsAreTyped(t *testing.T) {
	_, err := evalString("$states.input.a + 1", Undefined, map[string]any{"states": map[string]any{"input": map[string]any{"a": "x"}}})
	var je *Error
	if !errors.As(err, &je) {
		t.Fatalf("want *Error, got %T %v", err, err)
	}
	if je.Code != "T2001" || je.Position != 17 || je.Token != "+" || je.Value != "x" {
		t.Fatalf("unexpected error fields: %+v", je)
	}
	_, err = Compile("$states.input.a +")
	if !errors.As(err, &je) || je.Code != "S0207" || je.Position != 17 {
		t.Fatalf("compile error: %#v", err)
	}
	_, err = Compile("{'a': 1")
	if !errors.As(err, &je) || je.Code != "S0203" || je.Position != 7 {
		t.Fatalf("compile error: %#v", err)
	}
	_, err = evalString("  $sum('a')", Undefined, nil)
	if !errors.As(err, &je) || je.Code != "T0412" || je.Position != 7 || je.Token != "sum" {
		t.Fatalf("$sum: %#v", err)
	}
	_, err = evalString("$error('custom')", Undefined, nil)
	if !errors.As(err, &je) || je.Code != "D3137" || je.Message != "custom" {
		t.Fatalf("$error: %#v", err)
	}
}

func TestEvalOptions(t *testing.T) {
	e := MustCompile("[$now(), $millis(), $fromMillis($millis(), '[H01]:[m01]'), $toMillis('13:45', '[H]:[m]'), $random(), $uuid()]")
	fixed := time.Date(2024, 5, 6, 7, 8, 9, 10e6, time.UTC)
	got, err := e.EvalWith(context.Background(), Undefined, nil, EvalOptions{
		Now:    func() time.Time { return fixed },
		Random: func() float64 { return 0.25 },
		UUID:   func() string { return "u-1" },
	})
	if err != nil {
		t.Fatal(err)
	}
	arr := got.([]any)
	if arr[0] != "2024-05-06T07:08:09.010Z" || arr[1] != 1714979289010.0 || arr[2] != "07:08" || arr[4] != 0.25 || arr[5] != "u-1" {
		t.Fatalf("got %s", show(got))
	}
	if arr[3] != float64(time.Date(2024, 5, 6, 13, 45, 0, 0, time.UTC).UnixMilli()) {
		t.Fatalf("$toMillis of a time uses today's date: got %v", arr[3])
	}
}

func TestLimits(t *testing.T) {
	e := MustCompile("($f := function($n){ 1 + $f($n + 1) }; $f(0))")
	_, err := e.EvalWith(context.Background(), Undefined, nil, EvalOptions{MaxDepth: 200})
	var je *Error
	if !errors.As(err, &je) || je.Code != "U1001" {
		t.Fatalf("infinite recursion: got %v", err)
	}
	e = MustCompile("$sum($map([1..100000], function($v){$v * 2}))")
	_, err = e.EvalWith(context.Background(), Undefined, nil, EvalOptions{MaxSteps: 1000})
	if !errors.As(err, &je) || je.Code != "U1002" {
		t.Fatalf("step limit: got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = e.EvalWith(ctx, Undefined, nil, EvalOptions{})
	if !errors.As(err, &je) || je.Code != "U1003" || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: got %v", err)
	}
	// calls in tail position run in constant depth
	e = MustCompile("($f := function($n, $acc){ $n = 0 ? $acc : $f($n - 1, $acc + 1) }; $f(100000, 0))")
	got, err := e.EvalWith(context.Background(), Undefined, nil, EvalOptions{MaxDepth: 50})
	if err != nil || got != 100000.0 {
		t.Fatalf("tail recursion: %v, %v", got, err)
	}
	// an endless tail-recursive loop is stopped by the step limit
	e = MustCompile("($f := function($n){ $f($n + 1) }; $f(0))")
	_, err = e.EvalWith(context.Background(), Undefined, nil, EvalOptions{MaxSteps: 50000})
	if !errors.As(err, &je) || je.Code != "U1002" {
		t.Fatalf("endless loop: got %v", err)
	}
	// the defaults allow ordinary deep recursion
	got, err = evalString("($f := function($n){$n = 0 ? 0 : 1 + $f($n - 1)}; $f(3000))", Undefined, nil)
	if err != nil || got != 3000.0 {
		t.Fatalf("recursion of 3000: %v, %v", got, err)
	}
}

func TestConcurrentEval(t *testing.T) {
	e := MustCompile("$states.input.items{k: $sum(v)} ~> $each(function($v, $k){$k & '=' & $v}) ~> $join(',')")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				vars := map[string]any{"states": map[string]any{"input": map[string]any{"items": []any{
					map[string]any{"k": "a", "v": 1.0}, map[string]any{"k": "b", "v": 2.0}, map[string]any{"k": "a", "v": float64(i)}}}}}
				got, err := e.Eval(Undefined, vars)
				if err != nil {
					errs <- err
					return
				}
				if want := "a=" + formatNumberJS(float64(1+i)) + ",b=2"; got != want {
					errs <- errors.New("got " + show(got) + " want " + want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestResultsAreJSONShaped(t *testing.T) {
	for _, expr := range []string{
		"{'a': [1, {'b': [$range(1, 3)]}], 'c': $partition([1,2,3], 2)}",
		"[1,2,3]{$string($): [$]}",
		"$merge([{'a': 1}, {'b': [1, [2]]}])",
		"[function($x){$x}, {'f': $sum, 'g': 1}]",
		"[1/0, 0/0]",
		"$spread({'a': 1, 'b': 2})",
		"$states ~> |input|{'new': [1]}|",
	} {
		got, err := evalString(expr, Undefined, map[string]any{"states": map[string]any{"input": map[string]any{"x": 1.0}}})
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		assertJSONShape(t, got)
	}
	got, _ := evalString("[1/0]", Undefined, nil)
	if arr := got.([]any); arr[0] != nil {
		t.Fatalf("infinity should export as null, got %v", arr[0])
	}
	got, _ = evalString("$sum", Undefined, nil)
	if got != Undefined {
		t.Fatalf("function result should be Undefined, got %v", got)
	}
}

func TestInputContext(t *testing.T) {
	// the evaluator also supports a context value, as JSONata does
	got, err := evalString("a.b", map[string]any{"a": map[string]any{"b": 2.0}}, nil)
	if err != nil || got != 2.0 {
		t.Fatalf("got %v, %v", got, err)
	}
	got, err = evalString("$[1]", []any{1.0, 2.0}, nil)
	if err != nil || got != 2.0 {
		t.Fatalf("array input: got %v, %v", got, err)
	}
	got, err = evalString("$", nil, nil)
	if err != nil || got != nil {
		t.Fatalf("null input: got %v, %v", got, err)
	}
	got, err = evalString("$", Undefined, nil)
	if err != nil || got != Undefined {
		t.Fatalf("undefined input: got %v, %v", got, err)
	}
}
