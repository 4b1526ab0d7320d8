package asl

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSuspendResume(t *testing.T) {
	def := `{"StartAt":"A","States":{
	  "A":{"Type":"Pass","Assign":{"who":"dragon"},"Result":{"n":1},"Next":"W"},
	  "W":{"Type":"Wait","SecondsPath":"$.n","Assign":{"waited":true},"Next":"M"},
	  "M":{"Type":"Map","ItemsPath":"$.xs","MaxConcurrency":1,"ItemProcessor":{"StartAt":"IW","States":{"IW":{"Type":"Wait","Seconds":5,"End":true}}},"ResultPath":null,"Next":"B"},
	  "B":{"Type":"Pass","Parameters":{"who.$":"$who","waited.$":"$waited","start.$":"$$.Execution.Input.k"},"End":true}}}`
	sm, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	clock := NewFakeClock(t0)
	var events []Event
	opts := RunOptions{Clock: clock, SuspendWaits: true, History: func(e Event) { events = append(events, e) },
		Execution: ExecutionInfo{StartTime: t0, Name: "e"}}
	_, err = sm.Run(context.Background(), map[string]any{"k": "v"}, opts)
	var s *Suspended
	if !errors.As(err, &s) {
		t.Fatalf("Run err = %v, want *Suspended", err)
	}
	if s.State != "W" || !s.Until.Equal(t0.Add(time.Second)) || s.Variables["who"] != "dragon" {
		t.Fatalf("suspended = %+v", s)
	}
	if !clock.Now().Equal(t0) {
		t.Fatalf("clock moved while suspending: %v", clock.Now())
	}
	// The suspension survives a JSON round trip.
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var restored Suspended
	if err := json.Unmarshal(b, &restored); err != nil {
		t.Fatal(err)
	}
	restored.Input = map[string]any{"n": 1.0, "xs": []any{1.0, 2.0}} // the waiting state's input, edited to give the Map items
	clock.AdvanceTo(restored.Until)
	out, err := sm.Resume(context.Background(), &restored, opts)
	if err != nil {
		t.Fatalf("Resume: %v", err)
	}
	if compactJSON(out) != `{"start":"v","waited":true,"who":"dragon"}` {
		t.Errorf("output = %s", compactJSON(out))
	}
	var types []string
	for i, e := range events {
		types = append(types, e.Type)
		if e.ID != int64(i+1) {
			t.Errorf("event %d has id %d", i, e.ID)
		}
	}
	got := strings.Join(types, ",")
	if !strings.HasPrefix(got, "ExecutionStarted,PassStateEntered,PassStateExited,WaitStateEntered,WaitStateExited,MapStateEntered") ||
		!strings.HasSuffix(got, "PassStateExited,ExecutionSucceeded") || strings.Count(got, "WaitStateEntered") != 3 {
		t.Errorf("events = %s", got)
	}
	// Waits inside a Map do not suspend: they ran (one after the other) in
	// virtual time.
	if !clock.Now().Equal(t0.Add(11 * time.Second)) {
		t.Errorf("clock = %v", clock.Now())
	}
	if _, err := sm.Resume(context.Background(), &Suspended{State: "A"}, opts); err == nil {
		t.Error("Resume at a non-Wait state succeeded")
	}
}
