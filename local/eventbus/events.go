package eventbus

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/dragons-dev/dragons/local/eventpattern"
)

// maxPutEventsSize is the PutEvents payload limit (1 MB as of 2026), computed the
// way EventBridge documents it.
const maxPutEventsSize = 1 << 20

// event is an event on its way to the rules of a bus.
type event struct {
	id       string
	bus      string
	raw      []byte
	doc      any
	ingested time.Time
	// filter restricts a replay to some rules (by ARN); nil means every rule.
	filter    map[string]bool
	journaled bool
	// trace is the X-Ray trace header PutEvents received, passed to targets.
	trace     string
	remaining atomic.Int32
}

// envelope is the JSON shape of an event, with EventBridge's field order.
type envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

func newEventFromRaw(id, busName string, raw []byte, ingested time.Time) (*event, error) {
	doc, err := eventpattern.Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("decode event %s: %w", id, err)
	}
	return &event{id: id, bus: busName, raw: raw, doc: doc, ingested: ingested}, nil
}

// entrySize is the size of an entry as EventBridge counts it.
func entrySize(e *PutEventsRequestEntry) int {
	n := len(e.Source) + len(e.DetailType) + len(e.Detail)
	if e.Time != nil {
		n += 14
	}
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

func entryError(code, msg string) PutEventsResultEntry {
	return PutEventsResultEntry{ErrorCode: code, ErrorMessage: msg}
}

// checkEntry returns the error result for an invalid entry, or nil.
func checkEntry(e *PutEventsRequestEntry) *PutEventsResultEntry {
	var r PutEventsResultEntry
	switch {
	case e.Source == "":
		r = entryError("InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument.")
	case e.DetailType == "":
		r = entryError("InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument.")
	case e.Detail == "":
		r = entryError("InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument.")
	case !isJSONObject(e.Detail):
		r = entryError("MalformedDetail", "Detail is malformed.")
	case strings.HasPrefix(e.Source, "aws."):
		r = entryError("NotAuthorizedForSourceException", "Not authorized for the source.")
	default:
		return nil
	}
	return &r
}

func isJSONObject(s string) bool {
	b := bytes.TrimSpace([]byte(s))
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}

// PutEvents accepts 1 to 10 events and returns per-entry results. Accepted events
// are delivered to the matching rules' targets asynchronously (at least once).
// As on AWS, an event sent to a bus that does not exist is accepted and dropped.
func (s *Service) PutEvents(_ context.Context, in *PutEventsInput) (*PutEventsOutput, error) {
	if len(in.Entries) < 1 {
		return nil, validation("1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if len(in.Entries) > 10 {
		return nil, validation("1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10")
	}
	total := 0
	for i := range in.Entries {
		total += entrySize(&in.Entries[i])
	}
	if total > maxPutEventsSize {
		return nil, validation("Total size of the entries in the request is over the limit.")
	}
	out := &PutEventsOutput{Entries: make([]PutEventsResultEntry, len(in.Entries))}
	now := time.Now().UTC()
	var accepted []*event
	for i := range in.Entries {
		e := &in.Entries[i]
		if bad := checkEntry(e); bad != nil {
			out.Entries[i] = *bad
			out.FailedEntryCount++
			continue
		}
		ev, err := s.newEvent(e, now)
		if err != nil {
			out.Entries[i] = entryError("InternalFailure", err.Error())
			out.FailedEntryCount++
			continue
		}
		out.Entries[i] = PutEventsResultEntry{EventId: ev.id}
		accepted = append(accepted, ev)
	}
	if err := s.accept(accepted, now); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) newEvent(e *PutEventsRequestEntry, now time.Time) (*event, error) {
	t := now
	if e.Time != nil {
		t = e.Time.Time().UTC()
	}
	var detail bytes.Buffer
	if err := json.Compact(&detail, []byte(e.Detail)); err != nil {
		return nil, fmt.Errorf("compact detail: %w", err)
	}
	resources := e.Resources
	if resources == nil {
		resources = []string{}
	}
	env := envelope{
		Version: "0", ID: uuid.NewString(), DetailType: e.DetailType, Source: e.Source,
		Account: s.account, Time: t.Format("2006-01-02T15:04:05Z"), Region: s.region,
		Resources: resources, Detail: detail.Bytes(),
	}
	raw, err := marshalNoEscape(env)
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	ev, err := newEventFromRaw(env.ID, busName(e.EventBusName), raw, now)
	if err != nil {
		return nil, err
	}
	ev.trace = e.TraceHeader
	return ev, nil
}

// marshalNoEscape encodes v as compact JSON without HTML escaping.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// accept archives and journals new events and queues them for delivery.
func (s *Service) accept(events []*event, now time.Time) error {
	if len(events) == 0 {
		return nil
	}
	s.mu.RLock()
	var live []*event
	for _, ev := range events {
		b, ok := s.buses[ev.bus]
		if !ok {
			s.log.Warn("event sent to a bus that does not exist is dropped", "bus", ev.bus, "id", ev.id)
			continue
		}
		for _, a := range s.archives {
			if a.SourceArn == b.Arn {
				if err := a.add(ev, now); err != nil {
					s.mu.RUnlock()
					return err
				}
			}
		}
		live = append(live, ev)
	}
	s.mu.RUnlock()
	if s.pending != nil && len(live) > 0 {
		recs := make([]pendingRecord, len(live))
		for i, ev := range live {
			recs[i] = pendingRecord{Op: "put", ID: ev.id, Bus: ev.bus, At: ev.ingested.UnixNano(), Event: ev.raw, Trace: ev.trace}
			ev.journaled = true
		}
		if err := s.pending.add(recs); err != nil {
			return err
		}
	}
	for _, ev := range live {
		s.inflight.Add(1)
		s.enqueueDispatch(ev)
	}
	return nil
}

func (s *Service) enqueueDispatch(ev *event) {
	if !s.work.push(func() { s.dispatch(ev) }) {
		s.inflight.Add(-1)
	}
}

// dispatch matches an event against its bus's rules and queues one delivery per
// target of every enabled matching rule.
func (s *Service) dispatch(ev *event) {
	var tasks []*task
	s.mu.RLock()
	if b, ok := s.buses[ev.bus]; ok {
		for _, r := range b.Rules {
			if r.State == StateDisabled || r.pattern == nil {
				continue
			}
			if ev.filter != nil && !ev.filter[r.Arn] {
				continue
			}
			if !r.pattern.MatchValue(ev.doc) {
				continue
			}
			for _, t := range r.Targets {
				tasks = append(tasks, &task{ev: ev, ruleArn: r.Arn, ruleName: r.Name, target: t})
			}
		}
	}
	s.mu.RUnlock()
	if len(tasks) == 0 {
		s.finish(ev)
		return
	}
	ev.remaining.Store(int32(len(tasks)))
	for _, t := range tasks {
		if !s.work.push(func() { s.deliver(t) }) {
			return
		}
	}
}

// finish records that every delivery of ev has ended.
func (s *Service) finish(ev *event) {
	if ev.journaled && s.pending != nil {
		if err := s.pending.done(ev.id); err != nil {
			s.log.Warn("journal delivered event", "id", ev.id, "err", err)
		}
	}
	s.inflight.Add(-1)
}
