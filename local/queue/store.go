package queue

import (
	"container/heap"
	"sync"
)

type msgState uint8

const (
	stReady msgState = iota + 1
	stDelayed
	stInflight
	stGone
)

// message is one stored message. Its immutable part (id, body, attributes,
// digests, sender data) is fixed at send time; the delivery part changes under the
// owning queue's lock.
type message struct {
	seq       uint64 // unique per stored copy; journal key
	id        string
	body      string
	attrs     map[string]Attribute
	trace     string // AWSTraceHeader system attribute
	md5Body   string
	md5Attrs  string
	md5Sys    string
	sent      int64 // unix ms
	sender    string
	group     string
	dedup     string
	dlqSource string // DeadLetterQueueSourceArn, set when moved to a DLQ

	receives  int
	firstRecv int64 // unix ms, 0 before the first receive
	visibleAt int64 // unix ns
	nonce     uint64
	state     msgState
	heapIdx   int
}

// ring is a growable FIFO of messages.
type ring struct {
	buf  []*message
	head int
	n    int
}

func (r *ring) push(m *message) {
	if r.n == len(r.buf) {
		nb := make([]*message, max(16, 2*len(r.buf)))
		for i := 0; i < r.n; i++ {
			nb[i] = r.buf[(r.head+i)%len(r.buf)]
		}
		r.buf, r.head = nb, 0
	}
	r.buf[(r.head+r.n)%len(r.buf)] = m
	r.n++
}

func (r *ring) pop() *message {
	if r.n == 0 {
		return nil
	}
	m := r.buf[r.head]
	r.buf[r.head] = nil
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	return m
}

func (r *ring) reset() { *r = ring{} }

// msgHeap orders delayed and in-flight messages by the time they become visible.
type msgHeap []*message

func (h msgHeap) Len() int           { return len(h) }
func (h msgHeap) Less(i, j int) bool { return h[i].visibleAt < h[j].visibleAt }
func (h msgHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx = i
	h[j].heapIdx = j
}
func (h *msgHeap) Push(x any) {
	m := x.(*message)
	m.heapIdx = len(*h)
	*h = append(*h, m)
}
func (h *msgHeap) Pop() any {
	old := *h
	m := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	m.heapIdx = -1
	return m
}

// dedupEntry remembers a FIFO send for the deduplication interval.
type dedupEntry struct {
	key    string
	at     int64 // unix ms
	result SendResult
}

// dedupWindowMs is FIFO queues' deduplication interval.
const dedupWindowMs = 5 * 60 * 1000

// queue is one SQS queue. Every field below mu is guarded by it.
type queue struct {
	name    string
	arn     string
	fifo    bool
	created int64 // unix s

	mu        sync.Mutex
	deleted   bool
	attrs     map[string]string
	tags      map[string]string
	modified  int64 // unix s
	cfg       queueConfig
	msgs      map[uint64]*message
	ready     ring       // standard queues: visible messages in arrival order, gone ones skipped
	order     []*message // FIFO queues: every message in send order, gone ones skipped
	orderGone int
	waiting   msgHeap // delayed and in-flight messages
	nReady    int
	nDelayed  int
	nInflight int
	groups    map[string]int // FIFO: in-flight messages per message group
	dedup     map[string]*dedupEntry
	dedupLog  []*dedupEntry // in insertion order, for expiry
	scanning  bool          // candidates is walking order
	waiters   int
	avail     chan struct{} // closed (and replaced) when messages may have become visible
}

func newQueue(name, arn string, fifo bool, created int64, attrs, tags map[string]string) *queue {
	if tags == nil {
		tags = map[string]string{}
	}
	q := &queue{
		name: name, arn: arn, fifo: fifo, created: created, modified: created,
		attrs: attrs, tags: tags, cfg: parseConfig(attrs),
		msgs:  map[uint64]*message{},
		avail: make(chan struct{}),
	}
	if fifo {
		q.groups = map[string]int{}
		q.dedup = map[string]*dedupEntry{}
	}
	return q
}

// insert stores m, visible at m.visibleAt.
func (q *queue) insert(m *message, nowNs int64) {
	q.msgs[m.seq] = m
	if q.fifo {
		q.order = append(q.order, m)
	}
	switch {
	case m.state == stInflight && m.visibleAt > nowNs:
		q.nInflight++
		if q.fifo {
			q.groups[m.group]++
		}
		heap.Push(&q.waiting, m)
	case m.visibleAt > nowNs:
		m.state = stDelayed
		q.nDelayed++
		heap.Push(&q.waiting, m)
	default:
		q.makeReady(m)
	}
}

func (q *queue) makeReady(m *message) {
	m.state = stReady
	q.nReady++
	if !q.fifo {
		q.ready.push(m)
	}
}

// promote makes every delayed or in-flight message whose time has come visible.
// It reports whether any message became visible.
func (q *queue) promote(nowNs int64) bool {
	any := false
	for len(q.waiting) > 0 && q.waiting[0].visibleAt <= nowNs {
		m := heap.Pop(&q.waiting).(*message)
		q.leaveWaiting(m)
		q.makeReady(m)
		any = true
	}
	return any
}

// leaveWaiting updates the counters of a message leaving the delayed or in-flight
// state (the caller has taken it out of the heap).
func (q *queue) leaveWaiting(m *message) {
	if m.state == stDelayed {
		q.nDelayed--
	} else {
		q.nInflight--
		if q.fifo {
			if q.groups[m.group]--; q.groups[m.group] <= 0 {
				delete(q.groups, m.group)
			}
		}
	}
}

// setInflight makes m in flight until visibleAt.
func (q *queue) setInflight(m *message, visibleAt int64) {
	switch m.state {
	case stReady:
		q.nReady--
	case stDelayed, stInflight:
		heap.Remove(&q.waiting, m.heapIdx)
		q.leaveWaiting(m)
	}
	m.state = stInflight
	m.visibleAt = visibleAt
	q.nInflight++
	if q.fifo {
		q.groups[m.group]++
	}
	heap.Push(&q.waiting, m)
}

// remove takes m out of the queue.
func (q *queue) remove(m *message) {
	switch m.state {
	case stReady:
		q.nReady--
	case stDelayed, stInflight:
		heap.Remove(&q.waiting, m.heapIdx)
		q.leaveWaiting(m)
	case stGone:
		return
	}
	m.state = stGone
	delete(q.msgs, m.seq)
	if q.fifo {
		q.orderGone++
		q.compactOrder()
	}
}

// compactOrder drops gone messages from a FIFO queue's order once they are the
// majority; never while candidates is walking the order.
func (q *queue) compactOrder() {
	if !q.scanning {
		if q.orderGone > 64 && q.orderGone > len(q.order)/2 {
			live := q.order[:0]
			for _, o := range q.order {
				if o.state != stGone {
					live = append(live, o)
				}
			}
			clear(q.order[len(live):])
			q.order = live
			q.orderGone = 0
		}
	}
}

// clearMessages drops every message (PurgeQueue, DeleteQueue).
func (q *queue) clearMessages() {
	for _, m := range q.msgs {
		m.state = stGone
	}
	q.msgs = map[uint64]*message{}
	q.ready.reset()
	q.order = nil
	q.orderGone = 0
	q.waiting = nil
	q.nReady, q.nDelayed, q.nInflight = 0, 0, 0
	if q.fifo {
		q.groups = map[string]int{}
	}
}

// nextVisible returns when the next delayed or in-flight message becomes visible
// (unix ns), or 0 when none is waiting.
func (q *queue) nextVisible() int64 {
	if len(q.waiting) == 0 {
		return 0
	}
	return q.waiting[0].visibleAt
}

// wake tells long-polling receivers that messages may be visible.
func (q *queue) wake() {
	if q.waiters > 0 {
		close(q.avail)
		q.avail = make(chan struct{})
	}
}

// candidates returns up to max visible messages in delivery order, without taking
// them: for FIFO queues, in send order, skipping message groups that have messages
// in flight (a group's messages may all come in one batch).
func (q *queue) candidates(max int, fn func(m *message) bool) {
	if !q.fifo {
		for q.ready.n > 0 && max > 0 {
			m := q.ready.pop()
			if m.state != stReady {
				continue // gone, or re-queued elsewhere
			}
			if fn(m) {
				max--
			}
		}
		return
	}
	taken := map[string]bool{}
	q.scanning = true
	defer func() {
		q.scanning = false
		q.compactOrder()
	}()
	for _, m := range q.order {
		if max == 0 {
			return
		}
		if m.state != stReady {
			continue
		}
		if q.groups[m.group] > 0 && !taken[m.group] {
			continue
		}
		if fn(m) {
			taken[m.group] = true
			max--
		}
	}
}

// expireDedup forgets FIFO deduplication entries older than the interval.
func (q *queue) expireDedup(nowMs int64) {
	i := 0
	for ; i < len(q.dedupLog) && nowMs-q.dedupLog[i].at >= dedupWindowMs; i++ {
		e := q.dedupLog[i]
		if q.dedup[e.key] == e {
			delete(q.dedup, e.key)
		}
	}
	if i > 0 {
		q.dedupLog = append(q.dedupLog[:0], q.dedupLog[i:]...)
	}
}

func (q *queue) addDedup(e *dedupEntry) {
	q.dedup[e.key] = e
	q.dedupLog = append(q.dedupLog, e)
}
