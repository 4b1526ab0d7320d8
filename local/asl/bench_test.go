package asl

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time the process has used (all threads, GC
// included), so benchmarks can report throughput per CPU second, which
// stays meaningful on a machine shared with other work.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportTransitions(b *testing.B, perOp int, cpuStart time.Duration) {
	n := float64(b.N * perOp)
	b.ReportMetric(n/b.Elapsed().Seconds(), "transitions/s")
	if cpu := cpuTime() - cpuStart; cpu > 0 {
		b.ReportMetric(n/cpu.Seconds(), "transitions/cpu-s")
	}
}

// passChain returns a definition of n Pass states, each with Parameters and
// a ResultPath.
func passChain(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"StartAt":"S0","States":{`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"S%d":{"Type":"Pass","Parameters":{"step":%d,"name.$":"$.name","prev.$":"$.count"},"ResultPath":"$.last"`, i, i)
		if i == n-1 {
			b.WriteString(`,"End":true}`)
		} else {
			fmt.Fprintf(&b, `,"Next":"S%d"}`, i+1)
		}
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

// BenchmarkPassChain runs a 10-state Pass chain; transitions/s is reported.
func BenchmarkPassChain(b *testing.B) {
	sm, err := Parse(passChain(10))
	if err != nil {
		b.Fatal(err)
	}
	input := map[string]any{"name": "dragon", "count": 3.0}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := sm.Run(ctx, input, RunOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	reportTransitions(b, 10, cpu)
}

// BenchmarkMap1000 runs a Map state over 1,000 items whose processor is a
// Pass state with Parameters.
func BenchmarkMap1000(b *testing.B) {
	def := `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemSelector":{"v.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},
	  "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"x.$":"$.v"},"ResultPath":"$.r","End":true}}},"End":true}}}`
	sm, err := Parse([]byte(def))
	if err != nil {
		b.Fatal(err)
	}
	items := make([]any, 1000)
	for i := range items {
		items[i] = map[string]any{"n": float64(i)}
	}
	input := map[string]any{"items": items}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		out, err := sm.Run(ctx, input, RunOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(out.([]any)) != 1000 {
			b.Fatal("wrong result length")
		}
	}
	// one Map transition plus one Pass transition per item
	reportTransitions(b, 1001, cpu)
}

// BenchmarkPassChainHistory is BenchmarkPassChain with a history callback,
// as a service recording GetExecutionHistory would run it.
func BenchmarkPassChainHistory(b *testing.B) {
	sm, err := Parse(passChain(10))
	if err != nil {
		b.Fatal(err)
	}
	input := map[string]any{"name": "dragon", "count": 3.0, "tags": []any{"red", "old"}}
	ctx := context.Background()
	events := 0
	opts := RunOptions{History: func(Event) { events++ }}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := sm.Run(ctx, input, opts); err != nil {
			b.Fatal(err)
		}
	}
	reportTransitions(b, 10, cpu)
	if events != b.N*22 {
		b.Fatalf("events = %d, want %d", events, b.N*22)
	}
}

// idleMachine is the machine of the idle benchmarks: it assigns a variable
// and then waits a day.
func idleMachine(b *testing.B) *StateMachine {
	b.Helper()
	sm, err := Parse([]byte(`{"StartAt":"A","States":{
	  "A":{"Type":"Pass","Assign":{"customer":"c-1"},"Next":"W"},
	  "W":{"Type":"Wait","Seconds":86400,"Next":"B"},
	  "B":{"Type":"Pass","End":true}}}`))
	if err != nil {
		b.Fatal(err)
	}
	return sm
}

// BenchmarkIdleSuspended measures the heap an execution parked in a Wait
// state keeps when the embedder uses SuspendWaits (no goroutine, just the
// *Suspended value); it reports bytes per idle execution.
func BenchmarkIdleSuspended(b *testing.B) {
	sm := idleMachine(b)
	clock := NewFakeClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	const n = 10000
	var parked []*Suspended
	var before, after runtime.MemStats
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		parked = nil
		runtime.GC()
		parked = make([]*Suspended, 0, n)
		runtime.ReadMemStats(&before)
		for j := 0; j < n; j++ {
			input := map[string]any{"order": float64(j), "item": "dragon egg"}
			_, err := sm.Run(context.Background(), input, RunOptions{Clock: clock, SuspendWaits: true})
			s, ok := err.(*Suspended)
			if !ok {
				b.Fatalf("Run = %v, want *Suspended", err)
			}
			parked = append(parked, s)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/idle-execution")
	runtime.KeepAlive(parked)
}

// BenchmarkIdleBlocked is the baseline for BenchmarkIdleSuspended: the same
// executions blocked in their Wait state on goroutines.
func BenchmarkIdleBlocked(b *testing.B) {
	sm := idleMachine(b)
	const n = 2000
	var before, after runtime.MemStats
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		var entered sync.WaitGroup
		entered.Add(n)
		var done sync.WaitGroup
		done.Add(n)
		runtime.GC()
		runtime.ReadMemStats(&before)
		for j := 0; j < n; j++ {
			input := map[string]any{"order": float64(j), "item": "dragon egg"}
			go func() {
				defer done.Done()
				var once sync.Once
				_, _ = sm.Run(ctx, input, RunOptions{History: func(e Event) {
					if e.Type == "WaitStateEntered" {
						once.Do(entered.Done)
					}
				}})
			}()
		}
		entered.Wait()
		time.Sleep(10 * time.Millisecond) // let every goroutine park in its timer
		runtime.GC()
		runtime.ReadMemStats(&after)
		cancel()
		done.Wait()
	}
	used := (after.HeapAlloc + after.StackInuse) - (before.HeapAlloc + before.StackInuse)
	b.ReportMetric(float64(used)/n, "bytes/idle-execution")
}
