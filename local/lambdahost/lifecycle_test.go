package lambdahost

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Replacing a function stops its processes, even one in the middle of an
// invocation (which then fails as a crash), while the pool is still using them:
// run with -race, this also checks the process state is shared safely.
func TestReplacingAFunctionStopsItsBusyProcess(t *testing.T) {
	h := newHost(t, Options{}, FunctionConfig{Name: "f", Timeout: 10 * time.Second})
	_, warm := invokeJSON(t, h, "f", map[string]any{"echo": 1}, InvokeOptions{})
	done := make(chan *Result, 1)
	go func() {
		res, err := h.Invoke(context.Background(), "f", []byte(`{"sleepMs": 5000}`), InvokeOptions{})
		if err != nil {
			t.Errorf("invoke: %v", err)
		}
		done <- res
	}()
	waitUntil(t, "the invocation is running", func() bool {
		f, _ := h.lookup("f")
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.busy == 1
	})
	if err := h.AddFunction(FunctionConfig{Name: "f", Binary: fnBinary}); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if res == nil || res.Kind != ErrorCrash {
		t.Fatalf("invocation on a replaced function = %+v, want a crash", res)
	}
	_, out := invokeJSON(t, h, "f", map[string]any{"echo": 2}, InvokeOptions{})
	if out["echo"] != float64(2) || out["pid"] == warm["pid"] {
		t.Fatalf("after replacing: %v (old process %v)", out, warm["pid"])
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Replacing a function while it is invoked in a loop: every invocation either
// succeeds or fails as a crash of a stopped process, and (with -race) the pool
// and the killers agree on which processes are dead without a data race.
func TestReplacingAFunctionUnderLoad(t *testing.T) {
	h := newHost(t, Options{MaxProcesses: 3}, FunctionConfig{Name: "f"})
	stop := make(chan struct{})
	errs := make(chan string, 100)
	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := h.Invoke(context.Background(), "f", []byte(`{"echo":1}`), InvokeOptions{})
				switch {
				case err != nil:
					errs <- err.Error()
				case res.Kind != ErrorNone && res.Kind != ErrorCrash:
					errs <- fmt.Sprintf("unexpected outcome %+v", res)
				}
			}
		}()
	}
	for i := 0; i < 8; i++ {
		time.Sleep(30 * time.Millisecond)
		if err := h.AddFunction(FunctionConfig{Name: "f", Binary: fnBinary}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

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
