package durable

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

func TestBackgroundSyncsOnlyAfterAMark(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "journal"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var syncs atomic.Int32
	b := StartBackground(5*time.Millisecond, func() *os.File { syncs.Add(1); return f }, func(err error) { t.Error(err) })
	time.Sleep(50 * time.Millisecond)
	if n := syncs.Load(); n != 0 {
		t.Fatalf("%d syncs with nothing written", n)
	}
	b.Mark()
	deadline := time.Now().Add(5 * time.Second)
	for syncs.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if syncs.Load() != 1 {
		t.Fatalf("%d syncs after one mark, want 1", syncs.Load())
	}
	time.Sleep(30 * time.Millisecond)
	if n := syncs.Load(); n != 1 {
		t.Fatalf("%d syncs after one mark and a quiet spell, want 1", n)
	}
	b.Stop()
	b.Stop() // twice is fine
	b.Mark()
	time.Sleep(30 * time.Millisecond)
	if n := syncs.Load(); n != 1 {
		t.Fatalf("a stopped Background synced (%d)", n)
	}
}

func TestBackgroundReportsAFailedSync(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "closed"))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	errs := make(chan error, 1)
	b := StartBackground(time.Millisecond, func() *os.File { return f }, func(err error) {
		select {
		case errs <- err:
		default:
		}
	})
	defer b.Stop()
	b.Mark()
	select {
	case err := <-errs:
		if err == nil {
			t.Fatal("nil error reported")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a sync of a closed file reported no error")
	}
}
