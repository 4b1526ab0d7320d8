package asl

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestEventJSON(t *testing.T) {
	r := run(t, pass(`"Result":{"a":1},"Assign":{"v":2},`), `{"in":true}`, nil)
	if len(r.events) != 4 {
		t.Fatalf("events = %v", r.eventTypes())
	}
	b, err := json.Marshal(r.events)
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if ts, ok := got[0]["timestamp"].(float64); !ok || ts != float64(t0.Unix()) {
		t.Errorf("timestamp = %v", got[0]["timestamp"])
	}
	started := got[0]["executionStartedEventDetails"].(map[string]any)
	if got[0]["type"] != "ExecutionStarted" || started["input"] != `{"in":true}` || started["roleArn"] != "arn:aws:iam::000000000000:role/r" {
		t.Errorf("ExecutionStarted = %v", got[0])
	}
	entered := got[1]["stateEnteredEventDetails"].(map[string]any)
	if got[1]["type"] != "PassStateEntered" || entered["name"] != "P" || got[1]["previousEventId"] != 1.0 || got[1]["id"] != 2.0 {
		t.Errorf("PassStateEntered = %v", got[1])
	}
	exited := got[2]["stateExitedEventDetails"].(map[string]any)
	if exited["output"] != `{"a":1}` || exited["assignedVariables"].(map[string]any)["v"] != "2" {
		t.Errorf("PassStateExited = %v", got[2])
	}
	if got[3]["executionSucceededEventDetails"].(map[string]any)["output"] != `{"a":1}` {
		t.Errorf("ExecutionSucceeded = %v", got[3])
	}
	// Each event carries exactly the details of its type.
	for _, e := range got {
		n := 0
		for k := range e {
			if strings.HasSuffix(k, "EventDetails") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%v has %d detail objects", e["type"], n)
		}
	}
}

func TestNoHistoryCallback(t *testing.T) {
	sm, err := Parse([]byte(pass(`"Result":1,`)))
	if err != nil {
		t.Fatal(err)
	}
	out, err := sm.Run(context.Background(), map[string]any{}, RunOptions{})
	if err != nil || out != 1.0 {
		t.Fatalf("Run = %v, %v", out, err)
	}
}

func TestEventDataDetailsAreNotShared(t *testing.T) {
	def := `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","End":true}}}`
	sm, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	var events []Event
	_, err = sm.Run(context.Background(), map[string]any{"a": 1.0}, RunOptions{Clock: NewFakeClock(t0), History: func(e Event) {
		// A consumer that marks one payload truncated changes that event only.
		if e.StateEntered != nil && e.StateEntered.Name == "A" {
			e.StateEntered.InputDetails.Truncated = true
		}
		events = append(events, e)
	}})
	if err != nil {
		t.Fatal(err)
	}
	var marked, clean int
	for _, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		switch s := string(b); {
		case strings.Contains(s, `"truncated":true`):
			marked++
		case strings.Contains(s, `"truncated":false`):
			clean++
		}
	}
	// ExecutionStarted, B entered, A and B exited, ExecutionSucceeded.
	if marked != 1 || clean != 5 {
		t.Fatalf("%d events marked truncated and %d not, want 1 and 5: %v", marked, clean, events)
	}

	// No payload, no details; a decoded event encodes the same again.
	b, _ := json.Marshal(TaskDetails{ResourceType: "lambda", Resource: "invoke"})
	if strings.Contains(string(b), "outputDetails") {
		t.Errorf("TaskDetails without output = %s", b)
	}
	in := `{"name":"A","input":"{}","inputDetails":{"truncated":false}}`
	var d StateEnteredDetails
	if err := json.Unmarshal([]byte(in), &d); err != nil {
		t.Fatal(err)
	}
	if out, _ := json.Marshal(d); string(out) != in {
		t.Errorf("round trip = %s, want %s", out, in)
	}
}
