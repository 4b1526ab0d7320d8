package tracing

import (
	"fmt"
	"testing"
	"time"
)

func recordIn(s *Service, traceID string) {
	now := time.Now()
	s.Record(Segment{Name: "s", ID: NewSegmentID(), TraceID: traceID, Start: now, End: now})
}

func TestEvictsTheTraceUpdatedLongestAgo(t *testing.T) {
	s := New(Options{MaxTraces: 3})
	ids := make([]string, 6)
	for i := range ids {
		ids[i] = fmt.Sprintf("1-00000000-%024d", i)
	}
	recordIn(s, ids[0])
	recordIn(s, ids[1])
	recordIn(s, ids[2])
	recordIn(s, ids[0]) // ids[0] is now the most recently updated
	recordIn(s, ids[3]) // evicts ids[1]
	recordIn(s, ids[4]) // evicts ids[2]
	want := map[string]bool{ids[0]: true, ids[1]: false, ids[2]: false, ids[3]: true, ids[4]: true}
	for id, kept := range want {
		if got := s.Trace(id) != nil; got != kept {
			t.Errorf("trace %s kept = %v, want %v", id, got, kept)
		}
	}
	recordIn(s, ids[5]) // evicts ids[0], now the oldest update
	if s.Trace(ids[0]) != nil || s.Trace(ids[5]) == nil {
		t.Errorf("after a sixth trace: %s kept = %v, %s kept = %v", ids[0], s.Trace(ids[0]) != nil, ids[5], s.Trace(ids[5]) != nil)
	}
	if n := len(s.TraceIDs(time.Time{}, time.Now().Add(time.Hour))); n != 3 {
		t.Fatalf("%d traces kept, want 3", n)
	}
}

// BenchmarkNewTraceAtCapacity measures storing a segment of a new trace when the
// store is full, so every call evicts one trace.
func BenchmarkNewTraceAtCapacity(b *testing.B) {
	s := New(Options{})
	for i := 0; i < MaxTraces; i++ {
		recordIn(s, fmt.Sprintf("1-00000000-%024d", i))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		recordIn(s, fmt.Sprintf("1-00000001-%024d", i))
	}
}
