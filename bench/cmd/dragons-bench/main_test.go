package main

import (
	"context"
	"os/exec"
	"syscall"
	"testing"
	"time"

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
	if got := ratio(1, 4); got != "0.25x" {
		t.Errorf("ratio(1, 4) = %q", got)
	}
	if got := ratio(1, 0); got != "n/a" {
		t.Errorf("ratio(1, 0) = %q", got)
	}
	if verdict(true) != "met" || verdict(false) != "MISSED" {
		t.Error("verdict words changed")
	}
}

func TestGroupCPUCountsABusyChild(t *testing.T) {
	cmd := exec.Command("sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start sh: %v", err)
	}
	pgid := cmd.Process.Pid
	var seen time.Duration
	for i := 0; i < 200; i++ {
		if c := groupCPU(pgid); c > seen {
			seen = c
		}
		if seen > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if seen <= 0 {
		t.Fatalf("groupCPU never saw CPU time for a busy process group (%v)", seen)
	}
	if got := groupCPU(pgid); got != 0 {
		t.Fatalf("groupCPU of an exited group = %v, want 0", got)
	}
}
