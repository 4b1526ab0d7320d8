package asl

import (
	"context"
	"sync"
	"time"
)

// Clock is the time source of an execution: Wait states, retry back-off,
// task timeouts and timestamps in history events and the context object.
type Clock interface {
	Now() time.Time
	// SleepUntil blocks until the clock reaches t or ctx is done.
	SleepUntil(ctx context.Context, t time.Time) error
	// Timer returns a channel that is closed when the clock reaches t, and a
	// function that releases the timer early.
	Timer(t time.Time) (<-chan struct{}, func())
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// SleepUntil sleeps until t.
func (SystemClock) SleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Timer returns a channel closed at t.
func (SystemClock) Timer(t time.Time) (<-chan struct{}, func()) {
	ch := make(chan struct{})
	tm := time.AfterFunc(time.Until(t), func() { close(ch) })
	return ch, func() { tm.Stop() }
}

// FakeClock is a virtual clock for tests: SleepUntil moves the clock forward
// to its deadline at once, so Wait states and retry back-off take no real
// time, and timers (task timeouts, execution timeouts) fire when virtual time
// passes them. It is safe for concurrent use, but there is one virtual
// timeline: waits in concurrently running branches or Map iterations each
// move it forward, so total virtual time can exceed the longest branch.
type FakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at   time.Time
	ch   chan struct{}
	done bool
}

// NewFakeClock returns a virtual clock that starts at start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start} }

// Now returns the virtual time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// SleepUntil advances the clock to t (if it is in the future) and returns.
func (c *FakeClock) SleepUntil(ctx context.Context, t time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.AdvanceTo(t)
	return ctx.Err()
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) { c.AdvanceTo(c.Now().Add(d)) }

// AdvanceTo moves the clock forward to t, firing timers that are due.
func (c *FakeClock) AdvanceTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if tm.done {
			continue
		}
		if !tm.at.After(c.now) {
			tm.done = true
			close(tm.ch)
			continue
		}
		kept = append(kept, tm)
	}
	c.timers = kept
}

// Timer returns a channel closed when virtual time reaches t.
func (c *FakeClock) Timer(t time.Time) (<-chan struct{}, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tm := &fakeTimer{at: t, ch: make(chan struct{})}
	if !t.After(c.now) {
		tm.done = true
		close(tm.ch)
		return tm.ch, func() {}
	}
	c.timers = append(c.timers, tm)
	return tm.ch, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		tm.done = true
	}
}
