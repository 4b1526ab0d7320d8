package stepfunctions

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/dragons-dev/dragons/local/asl"
)

// wakeups wakes parked executions on the service's clock. One goroutine
// sleeps until the earliest wake time (through Clock.SleepUntil, so a fake
// clock's virtual time moves as it did when each execution slept itself)
// and hands the due executions to fire.
type wakeups struct {
	clock asl.Clock
	fire  func(*parked)

	mu      sync.Mutex
	queue   parkedHeap
	kick    chan struct{} // a new earliest wake time, or the first entry
	stopNap context.CancelFunc
}

func newWakeups(clock asl.Clock, fire func(*parked)) *wakeups {
	return &wakeups{clock: clock, fire: fire, kick: make(chan struct{}, 1)}
}

// add queues p for p.wake, unless its execution no longer waits on it
// (stopped between parking and queueing).
func (w *wakeups) add(p *parked) {
	w.mu.Lock()
	p.ex.mu.Lock()
	current := p.ex.parked == p
	p.ex.mu.Unlock()
	if !current {
		w.mu.Unlock()
		return
	}
	heap.Push(&w.queue, p)
	first := p.index == 0
	stop := w.stopNap
	w.mu.Unlock()
	if first {
		if stop != nil {
			stop()
		}
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
}

// remove takes p out of the queue, if it is there. Lock order: w.mu, then
// an execution's mu; callers of remove do not hold the execution's.
func (w *wakeups) remove(p *parked) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if p.index >= 0 && p.index < len(w.queue) && w.queue[p.index] == p {
		heap.Remove(&w.queue, p.index)
	}
}

// len reports how many executions are queued.
func (w *wakeups) len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queue)
}

// run wakes executions until ctx ends.
func (w *wakeups) run(ctx context.Context) {
	for {
		w.mu.Lock()
		var next time.Time
		has := len(w.queue) > 0
		var napCtx context.Context
		var cancel context.CancelFunc
		if has {
			next = w.queue[0].wake
			napCtx, cancel = context.WithCancel(ctx)
			w.stopNap = cancel
		}
		w.mu.Unlock()
		if !has {
			select {
			case <-w.kick:
				continue
			case <-ctx.Done():
				return
			}
		}
		_ = w.clock.SleepUntil(napCtx, next)
		w.mu.Lock()
		w.stopNap = nil
		w.mu.Unlock()
		cancel()
		if ctx.Err() != nil {
			return
		}
		select { // a kick for the entry just slept on is stale
		case <-w.kick:
		default:
		}
		now := w.clock.Now()
		var due []*parked
		w.mu.Lock()
		for len(w.queue) > 0 && !w.queue[0].wake.After(now) {
			due = append(due, heap.Pop(&w.queue).(*parked))
		}
		w.mu.Unlock()
		for _, p := range due {
			w.fire(p)
		}
	}
}

// parkedHeap orders parked executions by wake time.
type parkedHeap []*parked

func (h parkedHeap) Len() int           { return len(h) }
func (h parkedHeap) Less(i, j int) bool { return h[i].wake.Before(h[j].wake) }
func (h parkedHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}

func (h *parkedHeap) Push(x any) {
	p := x.(*parked)
	p.index = len(*h)
	*h = append(*h, p)
}

func (h *parkedHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	old[len(old)-1] = nil
	p.index = -1
	*h = old[:len(old)-1]
	return p
}
