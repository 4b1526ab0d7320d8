package load

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	var r Result
	for i := 1; i <= 100; i++ {
		r.Latencies = append(r.Latencies, time.Duration(i)*time.Millisecond)
	}
	cases := []struct {
		q    float64
		want time.Duration
	}{
		{0.5, 50 * time.Millisecond},
		{0.99, 99 * time.Millisecond},
		{1, 100 * time.Millisecond},
		{0.001, 1 * time.Millisecond},
	}
	for _, c := range cases {
		if got := r.Percentile(c.q); got != c.want {
			t.Errorf("Percentile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if got := (Result{}).Percentile(0.5); got != 0 {
		t.Errorf("empty Percentile = %v, want 0", got)
	}
}

func TestThroughput(t *testing.T) {
	r := Result{Ops: 300, Elapsed: 2 * time.Second}
	if got := r.Throughput(); got != 150 {
		t.Fatalf("Throughput = %v, want 150", got)
	}
	if got := (Result{Ops: 3}).Throughput(); got != 0 {
		t.Fatalf("Throughput with no elapsed time = %v, want 0", got)
	}
}

func TestRunCountsEveryCall(t *testing.T) {
	var calls atomic.Int64
	var mu sync.Mutex
	seen := map[int]int{} // worker -> next expected i
	var before, after int64 = -1, -1
	res, err := Run(context.Background(), Config{Workers: 3, Duration: 30 * time.Millisecond, Warmup: 10 * time.Millisecond,
		BeforeMeasure: func() { before = calls.Load() }, AfterMeasure: func() { after = calls.Load() }},
		func(ctx context.Context, w, i int) error {
			mu.Lock()
			if seen[w] != i {
				t.Errorf("worker %d got i=%d, want %d", w, i, seen[w])
			}
			seen[w] = i + 1
			mu.Unlock()
			calls.Add(1)
			time.Sleep(time.Millisecond)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if res.Ops == 0 || res.Ops > int(calls.Load()) {
		t.Fatalf("Ops = %d, calls = %d", res.Ops, calls.Load())
	}
	if len(res.Latencies) != res.Ops {
		t.Fatalf("%d latencies for %d ops", len(res.Latencies), res.Ops)
	}
	for i := 1; i < len(res.Latencies); i++ {
		if res.Latencies[i] < res.Latencies[i-1] {
			t.Fatal("latencies not sorted")
		}
	}
	if len(seen) != 3 {
		t.Fatalf("workers seen = %v, want 3", seen)
	}
	if before <= 0 || after-before != int64(res.Ops) {
		t.Fatalf("hooks saw %d calls before and %d after the measured phase, which counted %d", before, after, res.Ops)
	}
}

func TestRunErrorsAndDone(t *testing.T) {
	boom := errors.New("boom")
	res, err := Run(context.Background(), Config{Workers: 2, Duration: time.Minute},
		func(ctx context.Context, w, i int) error {
			switch {
			case i >= 10:
				return ErrDone
			case i%2 == 1:
				return boom
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if res.Ops != 10 || res.Errors != 10 || !errors.Is(res.FirstErr, boom) {
		t.Fatalf("Ops=%d Errors=%d FirstErr=%v, want 10, 10, boom", res.Ops, res.Errors, res.FirstErr)
	}
	if res.Elapsed >= time.Minute {
		t.Fatalf("Elapsed = %v: workers that ran out of work did not end the phase", res.Elapsed)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	op := func(context.Context, int, int) error { return nil }
	if _, err := Run(context.Background(), Config{Workers: 0, Duration: time.Second}, op); err == nil {
		t.Error("0 workers accepted")
	}
	if _, err := Run(context.Background(), Config{Workers: 1}, op); err == nil {
		t.Error("0 duration accepted")
	}
}

func TestRunCountsSlowOperations(t *testing.T) {
	// Every operation outlasts the phase: each worker still completes one.
	res, err := Run(context.Background(), Config{Workers: 4, Duration: time.Millisecond},
		func(ctx context.Context, w, i int) error {
			time.Sleep(20 * time.Millisecond)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if res.Ops != 4 {
		t.Fatalf("Ops = %d, want 4 (one per worker)", res.Ops)
	}
	if res.Elapsed < 20*time.Millisecond {
		t.Fatalf("Elapsed = %v, shorter than the operations it counted", res.Elapsed)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	res, err := Run(ctx, Config{Workers: 2, Duration: time.Hour},
		func(ctx context.Context, w, i int) error {
			if w == 0 {
				cancel()
			}
			<-ctx.Done()
			return ctx.Err()
		})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 0 || res.Ops != 0 {
		t.Fatalf("cancelled run counted Ops=%d Errors=%d", res.Ops, res.Errors)
	}
}

func TestRecorderKeepsOnlyTheMeasuredPhase(t *testing.T) {
	var r Recorder
	r.Since(time.Now().Add(-time.Hour)) // before Start: dropped
	r.Start()
	r.Since(time.Now().Add(-3 * time.Millisecond))
	r.Since(time.Now().Add(-1 * time.Millisecond))
	r.Stop()
	r.Since(time.Now().Add(-time.Hour)) // after Stop: dropped
	res := r.Result()
	if res.Ops != 2 || len(res.Latencies) != 2 {
		t.Fatalf("recorded %d calls (%v), want 2", res.Ops, res.Latencies)
	}
	if res.Latencies[0] > res.Latencies[1] || res.Latencies[1] < 3*time.Millisecond || res.Latencies[1] > time.Minute {
		t.Fatalf("latencies %v: want sorted, about 1 ms and 3 ms", res.Latencies)
	}
	if p := res.Percentile(1); p != res.Latencies[1] {
		t.Fatalf("max = %v, want %v", p, res.Latencies[1])
	}
}
