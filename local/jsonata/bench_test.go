package jsonata

import "testing"

// BenchmarkEvalStatesInput measures a typical Step Functions field such as
// "{% $states.input.a + 1 %}".
func BenchmarkEvalStatesInput(b *testing.B) {
	e := MustCompile("$states.input.a + 1")
	vars := map[string]any{"states": map[string]any{
		"input":   map[string]any{"a": 41.0, "b": "x", "c": []any{1.0, 2.0}},
		"context": map[string]any{"Execution": map[string]any{"Name": "n"}},
	}}
	b.ReportAllocs()
	for b.Loop() {
		v, err := e.Eval(Undefined, vars)
		if err != nil || v != 42.0 {
			b.Fatalf("got %v, %v", v, err)
		}
	}
}

// BenchmarkEvalObject measures an Arguments-style object constructor.
func BenchmarkEvalObject(b *testing.B) {
	e := MustCompile("{'id': $states.input.id, 'total': $sum($states.input.items.price), 'name': $uppercase($states.input.name)}")
	vars := map[string]any{"states": map[string]any{"input": map[string]any{
		"id": "x1", "name": "dragon", "items": []any{map[string]any{"price": 1.5}, map[string]any{"price": 2.5}},
	}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Eval(Undefined, vars); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile("$states.input.items[price > 2]{category: $sum(price)}"); err != nil {
			b.Fatal(err)
		}
	}
}
