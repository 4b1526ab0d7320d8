// Package tracing is the local X-Ray: a UDP daemon endpoint that collects the
// segment documents the X-Ray SDK sends from functions, a way for local services
// to record their own segments (API Gateway stages, state machines, the Lambda
// service), and the read API (GetTraceSummaries, BatchGetTraces) plus
// PutTraceSegments. Standalone subsegments are folded into their parents, so a
// trace reads like X-Ray's.
//
// It keeps traces in memory (the most recently updated MaxTraces; the trace
// updated longest ago is dropped first); it does not sample, build service graphs
// or persist traces.
package tracing

import (
	"bytes"
	"container/list"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"sync"
	"time"
)

// MaxTraces is the default bound on how many traces are kept.
const MaxTraces = 10000

// Segment is a segment a local service records.
type Segment struct {
	Name        string
	ID          string
	TraceID     string
	ParentID    string
	Origin      string // e.g. AWS::ApiGateway::Stage
	Start, End  time.Time
	Error       bool // a 4xx, or a handled failure
	Fault       bool // a 5xx, or an unhandled failure
	HTTP        map[string]any
	AWS         map[string]any
	Annotations map[string]any
}

// doc is a stored segment or subsegment document.
type doc map[string]any

type trace struct {
	id       string
	segments map[string]doc // by id: top-level segments
	orphans  []doc          // subsegments whose parent has not arrived
	updated  time.Time
	age      *list.Element // its place in Service.byAge
}

// Options configure a Service.
type Options struct {
	Log *slog.Logger
	Now func() time.Time
	// MaxTraces bounds how many traces are kept; default MaxTraces.
	MaxTraces int
}

// Service collects and serves traces.
type Service struct {
	opts   Options
	mu     sync.Mutex
	traces map[string]*trace
	// byAge holds the trace ids from least to most recently updated, so the
	// trace to evict at capacity is at the front.
	byAge *list.List
	conn  net.PacketConn
	wg    sync.WaitGroup
}

// New returns an empty Service.
func New(opts Options) *Service {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxTraces <= 0 {
		opts.MaxTraces = MaxTraces
	}
	return &Service{opts: opts, traces: map[string]*trace{}, byAge: list.New()}
}

// ListenUDP starts the daemon endpoint on addr ("127.0.0.1:0" picks a port) and
// returns the bound address.
func (s *Service) ListenUDP(addr string) (string, error) {
	conn, err := net.ListenPacket("udp", addr)
	if err != nil {
		return "", fmt.Errorf("listen for X-Ray segments on %s: %w", addr, err)
	}
	s.conn = conn
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		buf := make([]byte, 64*1024)
		for {
			n, _, err := conn.ReadFrom(buf)
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					s.opts.Log.Error("read X-Ray segment", "err", err)
				}
				return
			}
			if err := s.PutPacket(buf[:n]); err != nil {
				s.opts.Log.Warn("bad X-Ray segment", "err", err)
			}
		}
	}()
	return conn.LocalAddr().String(), nil
}

// Close stops the daemon endpoint.
func (s *Service) Close() error {
	if s.conn != nil {
		_ = s.conn.Close()
	}
	s.wg.Wait()
	return nil
}

// PutPacket stores one daemon packet: a JSON header line then a document.
func (s *Service) PutPacket(p []byte) error {
	if i := bytes.IndexByte(p, '\n'); i >= 0 {
		var hdr struct {
			Format string `json:"format"`
		}
		if json.Unmarshal(p[:i], &hdr) == nil && hdr.Format != "" {
			p = p[i+1:]
		}
	}
	return s.PutDocument(p)
}

// PutDocument stores one segment or subsegment document.
func (s *Service) PutDocument(b []byte) error {
	var d doc
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("decode segment document: %w", err)
	}
	traceID, _ := d["trace_id"].(string)
	id, _ := d["id"].(string)
	if traceID == "" || id == "" {
		return fmt.Errorf("segment document lacks trace_id or id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.traceLocked(traceID)
	if typ, _ := d["type"].(string); typ == "subsegment" {
		delete(d, "type")
		if !t.attach(d) {
			t.orphans = append(t.orphans, d)
		}
		return nil
	}
	if old, ok := t.segments[id]; ok {
		// An in-progress segment completed: keep subsegments already attached.
		if subs, ok := old["subsegments"]; ok {
			if _, has := d["subsegments"]; !has {
				d["subsegments"] = subs
			}
		}
	}
	t.segments[id] = d
	t.adoptOrphans()
	return nil
}

// Record stores a segment a local service produced.
func (s *Service) Record(seg Segment) {
	d := doc{
		"name":       seg.Name,
		"id":         seg.ID,
		"trace_id":   seg.TraceID,
		"start_time": unixSeconds(seg.Start),
		"end_time":   unixSeconds(seg.End),
	}
	if seg.ParentID != "" {
		d["parent_id"] = seg.ParentID
	}
	if seg.Origin != "" {
		d["origin"] = seg.Origin
	}
	if seg.Error {
		d["error"] = true
	}
	if seg.Fault {
		d["fault"] = true
	}
	if seg.HTTP != nil {
		d["http"] = seg.HTTP
	}
	if seg.AWS != nil {
		d["aws"] = seg.AWS
	}
	if seg.Annotations != nil {
		d["annotations"] = seg.Annotations
	}
	b, _ := json.Marshal(d)
	_ = s.PutDocument(b)
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func (s *Service) traceLocked(id string) *trace {
	t, ok := s.traces[id]
	if !ok {
		for len(s.traces) >= s.opts.MaxTraces {
			s.evictOldestLocked()
		}
		t = &trace{id: id, segments: map[string]doc{}}
		t.age = s.byAge.PushBack(id)
		s.traces[id] = t
	} else {
		s.byAge.MoveToBack(t.age)
	}
	t.updated = s.opts.Now()
	return t
}

// evictOldestLocked drops the trace updated longest ago, in constant time.
func (s *Service) evictOldestLocked() {
	front := s.byAge.Front()
	if front == nil {
		return
	}
	delete(s.traces, s.byAge.Remove(front).(string))
}

// attach puts a subsegment under its parent (a segment or a subsegment).
func (t *trace) attach(sub doc) bool {
	parent, _ := sub["parent_id"].(string)
	for _, seg := range t.segments {
		if p := find(seg, parent); p != nil {
			subs, _ := p["subsegments"].([]any)
			id := sub["id"]
			for i, existing := range subs {
				if m, ok := existing.(map[string]any); ok && m["id"] == id {
					subs[i] = map[string]any(sub)
					return true
				}
			}
			p["subsegments"] = append(subs, map[string]any(sub))
			return true
		}
	}
	return false
}

func (t *trace) adoptOrphans() {
	for progress := true; progress && len(t.orphans) > 0; {
		progress = false
		rest := t.orphans[:0]
		for _, o := range t.orphans {
			if t.attach(o) {
				progress = true
			} else {
				rest = append(rest, o)
			}
		}
		t.orphans = rest
	}
}

// find returns the document with the given id within d's tree.
func find(d map[string]any, id string) map[string]any {
	if d["id"] == id {
		return d
	}
	subs, _ := d["subsegments"].([]any)
	for _, s := range subs {
		if m, ok := s.(map[string]any); ok {
			if f := find(m, id); f != nil {
				return f
			}
		}
	}
	return nil
}

// TraceSegment is one segment of a trace as the API returns it.
type TraceSegment struct {
	ID       string
	Document map[string]any
}

// Trace returns the segments of a trace (subsegments folded in), ordered by start
// time; orphans whose parent never arrived are returned as segments too.
func (s *Service) Trace(id string) []TraceSegment {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.traces[id]
	if !ok {
		return nil
	}
	var out []TraceSegment
	for sid, d := range t.segments {
		out = append(out, TraceSegment{ID: sid, Document: deepCopy(d)})
	}
	for _, o := range t.orphans {
		id, _ := o["id"].(string)
		out = append(out, TraceSegment{ID: id, Document: deepCopy(o)})
	}
	sort.Slice(out, func(i, j int) bool {
		a, _ := out[i].Document["start_time"].(float64)
		b, _ := out[j].Document["start_time"].(float64)
		return a < b
	})
	return out
}

// TraceIDs returns the ids of traces updated in [from, to].
func (s *Service) TraceIDs(from, to time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, t := range s.traces {
		if !t.updated.Before(from) && !t.updated.After(to) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

func deepCopy(d map[string]any) map[string]any {
	b, _ := json.Marshal(d)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}
