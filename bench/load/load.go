// Package load drives one operation from a fixed number of concurrent workers
// for a fixed time and summarizes what happened: completed operations,
// throughput and latency percentiles.
//
// It knows nothing about what the operation does, and it does not judge
// results against goals: callers compare results measured in the same run.
package load

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"
)

// ErrDone, returned by an operation, stops its worker without counting an
// error: the workload has run out of work (a drained queue, for example).
var ErrDone = errors.New("load: no more work")

// Op is one operation. worker is the worker's index (0..Workers-1) and i
// counts that worker's calls from 0.
type Op func(ctx context.Context, worker, i int) error

// Config says how to run a workload.
type Config struct {
	// Workers is the number of concurrent workers (at least 1).
	Workers int
	// Duration is how long the measured phase lasts.
	Duration time.Duration
	// Warmup runs the operation unmeasured for this long first (0 = none).
	Warmup time.Duration
	// BeforeMeasure and AfterMeasure, when set, run right before the measured
	// phase starts and right after its last operation finished (to sample a
	// server's CPU time, for example).
	BeforeMeasure, AfterMeasure func()
}

// Result summarizes a measured phase.
type Result struct {
	// Ops counts operations that returned nil.
	Ops int
	// Errors counts operations that failed; FirstErr is one of them.
	Errors   int
	FirstErr error
	// Elapsed is the measured phase's wall time: from its start until the
	// last worker finished its last operation (a little more than Duration,
	// or less when every worker ran out of work early).
	Elapsed time.Duration
	// Latencies of the successful operations, sorted ascending.
	Latencies []time.Duration
}

// Throughput is successful operations per second.
func (r Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Ops) / r.Elapsed.Seconds()
}

// Percentile returns the nearest-rank q-quantile (0 < q <= 1) of the
// latencies, or 0 when there are none.
func (r Result) Percentile(q float64) time.Duration {
	n := len(r.Latencies)
	if n == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(n))) - 1
	if i < 0 {
		i = 0
	}
	if i >= n {
		i = n - 1
	}
	return r.Latencies[i]
}

// Run runs op from cfg.Workers workers, first for cfg.Warmup unmeasured and
// then for cfg.Duration measured. Workers start no operation after a phase's
// time is up but finish the one in flight, which the phase counts. Run
// returns when every worker has finished; ctx cancels everything.
func Run(ctx context.Context, cfg Config, op Op) (Result, error) {
	if cfg.Workers < 1 {
		return Result{}, fmt.Errorf("load: %d workers", cfg.Workers)
	}
	if cfg.Duration <= 0 {
		return Result{}, fmt.Errorf("load: duration %v", cfg.Duration)
	}
	next := make([]int, cfg.Workers)
	if cfg.Warmup > 0 {
		phase(ctx, cfg.Workers, cfg.Warmup, next, op)
	}
	if cfg.BeforeMeasure != nil {
		cfg.BeforeMeasure()
	}
	res := phase(ctx, cfg.Workers, cfg.Duration, next, op)
	if cfg.AfterMeasure != nil {
		cfg.AfterMeasure()
	}
	return res, nil
}

type workerResult struct {
	ops, errs int
	firstErr  error
	lat       []time.Duration
	finished  time.Time
}

// phase runs the workers for d: each starts operations until d has passed
// (or it runs out of work) and then finishes the operation in flight, so
// slow operations are counted rather than cut off. The phase lasts until the
// last worker finished. next holds each worker's call counter so a measured
// phase continues the warm-up's numbering.
func phase(ctx context.Context, workers int, d time.Duration, next []int, op Op) Result {
	results := make([]workerResult, workers)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			res := &results[w]
			defer func() { res.finished = time.Now() }()
			res.lat = make([]time.Duration, 0, 1024)
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t0 := time.Now()
				err := op(ctx, w, next[w])
				next[w]++
				el := time.Since(t0)
				switch {
				case err == nil:
					res.ops++
					res.lat = append(res.lat, el)
				case errors.Is(err, ErrDone):
					return
				case ctx.Err() != nil:
					// the caller gave up: neither counted nor an error
				default:
					res.errs++
					if res.firstErr == nil {
						res.firstErr = err
					}
				}
			}
		}(w)
	}
	wg.Wait()
	var out Result
	for _, r := range results {
		if el := r.finished.Sub(start); el > out.Elapsed {
			out.Elapsed = el
		}
		out.Ops += r.ops
		out.Errors += r.errs
		if out.FirstErr == nil {
			out.FirstErr = r.firstErr
		}
		out.Latencies = append(out.Latencies, r.lat...)
	}
	sort.Slice(out.Latencies, func(i, j int) bool { return out.Latencies[i] < out.Latencies[j] })
	return out
}

// Recorder collects the latencies of the calls inside operations that make
// several (an operation that retries, for example), during the measured
// phase only. It is safe for concurrent use; the zero value is ready.
type Recorder struct {
	mu  sync.Mutex
	on  bool
	lat []time.Duration
}

// Start and Stop bracket the measured phase (Config.BeforeMeasure and
// AfterMeasure).
func (r *Recorder) Start() { r.mu.Lock(); r.on = true; r.mu.Unlock() }

// Stop ends recording.
func (r *Recorder) Stop() { r.mu.Lock(); r.on = false; r.mu.Unlock() }

// Since records the time elapsed since start, while recording.
func (r *Recorder) Since(start time.Time) {
	d := time.Since(start)
	r.mu.Lock()
	if r.on {
		r.lat = append(r.lat, d)
	}
	r.mu.Unlock()
}

// Result returns the recorded calls as a Result (Ops and sorted Latencies;
// no Elapsed).
func (r *Recorder) Result() Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	lat := append([]time.Duration(nil), r.lat...)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return Result{Ops: len(lat), Latencies: lat}
}
