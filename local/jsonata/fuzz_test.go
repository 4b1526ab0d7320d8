package jsonata

import (
	"context"
	"encoding/json"
	"os"
	"testing"
)

// FuzzCompile checks that compiling, and evaluating what compiles, never
// panics whatever the expression text.
func FuzzCompile(f *testing.F) {
	seeds := []string{
		"$states.input.a + 1", "a.b[0].c", "$sum(Account.Order.Product.(Price * Quantity))",
		"Account.Order@$o.Product#$i[$i > 0]{$o.OrderID: Price}", "[1..5]^(>$)", "{'a': [1, 2]}.a[]",
		"($f := function($n){$n <= 1 ? 1 : $n * $f($n - 1)}; $f(5))", "$replace('abc', /(b)/i, '$1$1')",
		"| a | {'b': 1}, ['c'] |", "function($x)<n-n?:n>{$x}", "$partition($range(1, 9, 2), 2)",
		"/* c */ `a b` ~> $uppercase()", "'\\u00e9\\ud83d\\ude00'", "$fromMillis(0, '[Y0001]-[M01]-[D01]')",
		"$formatNumber(1234.5, '#,##0.00')", "**[*]", "%.a", "a ? b : c", "$x := 1", "(1; 2;", "{", "\"",
	}
	if b, err := os.ReadFile("testdata/reference.json"); err == nil {
		var cases []referenceCase
		if json.Unmarshal(b, &cases) == nil {
			for i, c := range cases {
				if i%7 == 0 {
					seeds = append(seeds, c.Expr)
				}
			}
		}
	}
	for _, s := range seeds {
		f.Add(s)
	}
	input := map[string]any{"a": map[string]any{"b": []any{1.0, "x", nil, true}}, "n": 3.0}
	f.Fuzz(func(t *testing.T, expr string) {
		e, err := Compile(expr)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Compile(%q) returned %T, want *Error", expr, err)
			}
			return
		}
		_, err = e.EvalWith(context.Background(), input, map[string]any{"states": map[string]any{"input": input}},
			EvalOptions{MaxSteps: 20000, MaxDepth: 300})
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Eval(%q) returned %T, want *Error", expr, err)
			}
		}
	})
}
