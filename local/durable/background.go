package durable

import (
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// SyncInterval is how often journals at the Process level sync what they
// wrote to the disk in the background. Their writes already survive kill -9;
// this bounds what a crash of the machine itself can take.
const SyncInterval = 200 * time.Millisecond

// Background syncs a journal's file every interval, when something was
// written to it since the last sync (Mark).
type Background struct {
	dirty    atomic.Bool
	syncs    atomic.Int64
	stop     chan struct{}
	stopOnce sync.Once
	stopped  chan struct{}
}

// StartBackground starts syncing the file that current returns (nil: none
// now) every interval while marked; onErr receives failed syncs.
func StartBackground(interval time.Duration, current func() *os.File, onErr func(error)) *Background {
	b := &Background{stop: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(b.stopped)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-b.stop:
				return
			case <-t.C:
			}
			if !b.dirty.Swap(false) {
				continue
			}
			if f := current(); f != nil {
				if err := Disk.Flush(f); err != nil && onErr != nil {
					onErr(err)
				}
				b.syncs.Add(1)
			}
		}
	}()
	return b
}

// Mark records that the file has writes to sync.
func (b *Background) Mark() { b.dirty.Store(true) }

// Stop ends the background syncs and waits for a running one.
func (b *Background) Stop() {
	b.stopOnce.Do(func() { close(b.stop) })
	<-b.stopped
}

// Syncs counts the background syncs done so far.
func (b *Background) Syncs() int64 { return b.syncs.Load() }
