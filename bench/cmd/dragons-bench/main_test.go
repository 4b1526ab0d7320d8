package main

import (
	"context"
	"os/exec"
	"testing"

	"github.com/dragons-dev/dragons/local/asl"
)

func TestPassChainIsAValidTenStateMachine(t *testing.T) {
	sm, err := asl.Parse([]byte(passChain(10)))
	if err != nil {
		t.Fatal(err)
	}
	out, err := sm.Run(context.Background(), map[string]any{"name": "dragon", "count": 3.0}, asl.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	last, _ := out.(map[string]any)["last"].(map[string]any)
	if last["step"] != 9.0 || last["name"] != "dragon" || last["prev"] != 3.0 {
		t.Fatalf("output = %v, want $.last from the tenth state", out)
	}
	if _, err := asl.Parse([]byte(idleDefinition)); err != nil {
		t.Fatalf("idle definition: %v", err)
	}
}

func TestChildRSSFindsChildren(t *testing.T) {
	before, _ := childRSS()
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	n, rss := childRSS()
	if n != before+1 || rss == 0 {
		t.Fatalf("childRSS = %d processes, %d bytes; want %d processes and a resident size", n, rss, before+1)
	}
}

func TestRatioAndVerdict(t *testing.T) {
	if got := ratio(50, 2); got != "25.0x" {
		t.Errorf("ratio(50, 2) = %q", got)
	}
	if got := ratio(1, 0); got != "n/a" {
		t.Errorf("ratio(1, 0) = %q", got)
	}
	if verdict(true) != "met" || verdict(false) != "MISSED" {
		t.Error("verdict words changed")
	}
}
