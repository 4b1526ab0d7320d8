package lambdahost

import (
	"context"
	"fmt"
	"sync"
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
