package asl

import (
	"context"
	"testing"
)

func TestGoValuesAreConverted(t *testing.T) {
	type order struct {
		ID    int      `json:"id"`
		Items []string `json:"items"`
	}
	def := `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":5,"Next":"T"}],"Default":"F"},
	  "T":{"Type":"Task","Resource":"` + lambdaInvoke + `","ResultSelector":{"first.$":"$.items[0]","id.$":"$.id"},"End":true},
	  "F":{"Type":"Fail","Error":"Small"}}}`
	sm, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	tasks := TaskFunc(func(context.Context, *TaskRequest) (any, error) {
		return order{ID: 7, Items: []string{"egg"}}, nil
	})
	out, err := sm.Run(context.Background(), map[string]any{"n": 9}, RunOptions{Tasks: tasks, Clock: NewFakeClock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	if got := compactJSON(out); got != `{"first":"egg","id":7}` {
		t.Errorf("output = %s", got)
	}
	if _, err := sm.Run(context.Background(), map[string]any{"bad": make(chan int)}, RunOptions{}); err == nil {
		t.Error("non-JSON input accepted")
	}
	// Canonical values are used without copying.
	in := map[string]any{"a": []any{1.0}}
	if v, _ := canonical(in); v.(map[string]any)["a"].([]any)[0] != 1.0 {
		t.Error("canonical changed a canonical value")
	}
}
