package queue

import (
	"container/heap"
	"fmt"
	"sort"
	"strings"
	"time"
)

// apply replays one journal or snapshot record into memory. It runs only while
// the service is being opened, before it serves anything.
func (s *Service) apply(rec []byte) error {
	d := &dec{b: rec}
	kind := d.byte1()
	now := time.Now()
	nowNs := now.UnixNano()
	switch kind {
	case recQueue:
		name := d.str()
		created, modified := d.i(), d.i()
		attrs, tags := d.strMap(), d.strMap()
		if d.err != nil {
			break
		}
		if q := s.queues[name]; q != nil {
			q.attrs, q.tags, q.modified, q.cfg = attrs, tags, modified, parseConfig(attrs)
			break
		}
		q := newQueue(name, s.arnOf(name), strings.HasSuffix(name, ".fifo"), created, attrs, tags)
		q.modified = modified
		s.queues[name] = q
	case recDeleteQueue:
		name := d.str()
		if q := s.queues[name]; q != nil && d.err == nil {
			q.deleted = true
			q.clearMessages()
			delete(s.queues, name)
		}
	case recPurge:
		if q := s.queues[d.str()]; q != nil && d.err == nil {
			q.clearMessages()
		}
	case recSend:
		q := s.queues[d.str()]
		m := d.message()
		if q != nil && d.err == nil {
			s.restore(q, m, nowNs)
		}
	case recDelete:
		q := s.queues[d.str()]
		seq := d.u()
		if q != nil && d.err == nil {
			if m := q.msgs[seq]; m != nil {
				q.remove(m)
			}
		}
	case recState:
		q := s.queues[d.str()]
		seq := d.u()
		receives, first, visibleAt, nonce, state := int(d.u()), d.i(), d.i(), d.u(), msgState(d.byte1())
		if q == nil || d.err != nil {
			break
		}
		m := q.msgs[seq]
		if m == nil {
			break
		}
		m.receives, m.firstRecv, m.nonce = receives, first, nonce
		s.bumpNonce(nonce)
		if state == stInflight && visibleAt > nowNs {
			q.setInflight(m, visibleAt)
		} else {
			q.makeVisibleNow(m)
		}
	case recMove:
		src := s.queues[d.str()]
		seq := d.u()
		dst := s.queues[d.str()]
		m := d.message()
		if d.err != nil {
			break
		}
		if src != nil {
			if old := src.msgs[seq]; old != nil {
				src.remove(old)
			}
		}
		if dst != nil {
			s.restore(dst, m, nowNs)
		}
	case recDedup:
		q := s.queues[d.str()]
		e := &dedupEntry{key: d.str(), at: d.i()}
		e.result = SendResult{MessageID: d.str(), MD5OfBody: d.str(), MD5OfAttributes: d.str(), MD5OfSystemAttributes: d.str(), SequenceNumber: d.str()}
		if q != nil && q.fifo && d.err == nil && now.UnixMilli()-e.at < dedupWindowMs {
			q.addDedup(e)
		}
	case recSeq:
		if n := d.u(); d.err == nil && n > s.seq.Load() {
			s.seq.Store(n)
		}
	default:
		return fmt.Errorf("unknown record kind %d", kind)
	}
	if d.err != nil {
		return fmt.Errorf("decode record kind %d: %w", kind, d.err)
	}
	return nil
}

// restore puts a replayed message into q, replacing an earlier copy.
func (s *Service) restore(q *queue, m *message, nowNs int64) {
	if old := q.msgs[m.seq]; old != nil {
		q.remove(old)
	}
	if m.seq > s.seq.Load() {
		s.seq.Store(m.seq)
	}
	s.bumpNonce(m.nonce)
	q.insert(m, nowNs)
	if q.fifo && m.dedup != "" && time.Now().UnixMilli()-m.sent < dedupWindowMs {
		key := m.dedup
		if q.cfg.groupScope {
			key = m.group + "\x00" + key
		}
		if q.dedup[key] == nil {
			q.addDedup(&dedupEntry{key: key, at: m.sent, result: resultOf(q, m)})
		}
	}
}

func (s *Service) bumpNonce(n uint64) {
	if n >= s.nonce.Load() {
		s.nonce.Store(n + 1)
	}
}

// makeVisibleNow makes a delayed or in-flight message visible at once.
func (q *queue) makeVisibleNow(m *message) {
	if m.state == stDelayed || m.state == stInflight {
		heap.Remove(&q.waiting, m.heapIdx)
		q.leaveWaiting(m)
		q.makeReady(m)
	}
}

// writeSnapshot emits records that recreate the current state: the message seq
// high-water mark (so that seqs of deleted messages are never handed out again
// and old receipt handles never name a new message), then each queue's metadata,
// its messages in delivery order and its FIFO deduplication entries.
func (s *Service) writeSnapshot(emit func([]byte) error) error {
	e := enc{}
	e.byte1(recSeq)
	e.u(s.seq.Load())
	if err := emit(e.b); err != nil {
		return err
	}
	s.mu.RLock()
	qs := make([]*queue, 0, len(s.queues))
	for _, q := range s.queues {
		qs = append(qs, q)
	}
	s.mu.RUnlock()
	sort.Slice(qs, func(i, k int) bool { return qs[i].name < qs[k].name })
	for _, q := range qs {
		recs := q.snapshotRecords()
		for _, r := range recs {
			if err := emit(r); err != nil {
				return err
			}
		}
	}
	return nil
}

func (q *queue) snapshotRecords() [][]byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return nil
	}
	recs := [][]byte{encodeQueueMeta(q)}
	var msgs []*message
	if q.fifo {
		for _, m := range q.order {
			if m.state != stGone {
				msgs = append(msgs, m)
			}
		}
	} else {
		msgs = make([]*message, 0, len(q.msgs))
		for _, m := range q.msgs {
			msgs = append(msgs, m)
		}
		sort.Slice(msgs, func(i, k int) bool { return msgs[i].seq < msgs[k].seq })
	}
	for _, m := range msgs {
		recs = append(recs, encodeSend(q.name, m))
	}
	for _, e := range q.dedupLog {
		if q.dedup[e.key] == e {
			recs = append(recs, encodeDedup(q.name, e))
		}
	}
	return recs
}
