//go:build unix

package lambdahost

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"
)

// processGone reports whether no process has the pid any more.
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func TestIdleProcessesAreStopped(t *testing.T) {
	var mu sync.Mutex
	var colds []bool
	h := newHost(t, Options{IdleTimeout: 100 * time.Millisecond, OnInvoke: func(r InvokeRecord) {
		mu.Lock()
		colds = append(colds, r.ColdStart)
		mu.Unlock()
	}}, FunctionConfig{Name: "f"})
	// An invocation longer than the idle timeout is not cut short: the clock
	// only runs while the process waits in the pool.
	res, first := invokeJSON(t, h, "f", map[string]any{"sleepMs": 400}, InvokeOptions{})
	if res.FunctionError != "" {
		t.Fatalf("long invocation = %+v %v", res, first)
	}
	pid := int(first["pid"].(float64))
	f, _ := h.lookup("f")
	waitUntil(t, "the idle process is stopped", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return len(f.all) == 0 && len(f.idle) == 0 && processGone(pid)
	})
	_, second := invokeJSON(t, h, "f", map[string]any{"echo": 1}, InvokeOptions{})
	if int(second["pid"].(float64)) == pid {
		t.Fatalf("the invocation after the idle timeout ran in the stopped process %d", pid)
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(colds) != "[true true]" {
		t.Fatalf("cold starts = %v, want both invocations cold", colds)
	}
}

func TestNegativeIdleTimeoutKeepsProcesses(t *testing.T) {
	h := newHost(t, Options{IdleTimeout: -1}, FunctionConfig{Name: "f"})
	_, first := invokeJSON(t, h, "f", map[string]any{}, InvokeOptions{})
	f, _ := h.lookup("f")
	f.mu.Lock()
	w := f.idle[0]
	timer := w.idleTimer
	f.mu.Unlock()
	if timer != nil {
		t.Fatal("an idle timer was set although IdleTimeout is negative")
	}
	_, second := invokeJSON(t, h, "f", map[string]any{}, InvokeOptions{})
	if second["pid"] != first["pid"] {
		t.Fatalf("pids %v and %v, want the same warm process", first["pid"], second["pid"])
	}
}
