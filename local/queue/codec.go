package queue

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Journal record kinds. Every record states the result of a change (not the
// request that caused it), so replaying a suffix of the journal over a snapshot
// taken while that suffix was being written converges to the same state.
const (
	recQueue       byte = 1 // queue metadata: name, created, modified, attributes, tags
	recDeleteQueue byte = 2 // queue name
	recSend        byte = 3 // queue name, message
	recDelete      byte = 4 // queue name, seq
	recState       byte = 5 // queue name, seq, delivery state
	recPurge       byte = 6 // queue name
	recMove        byte = 7 // source queue, source seq, destination queue, message
	recDedup       byte = 8 // queue name, FIFO deduplication entry
	recSeq         byte = 9 // highest message seq handed out (snapshots only)
)

// enc appends varint-framed fields to a buffer.
type enc struct{ b []byte }

func (e *enc) byte1(v byte)   { e.b = append(e.b, v) }
func (e *enc) u(v uint64)     { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) i(v int64)      { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) str(v string)   { e.u(uint64(len(v))); e.b = append(e.b, v...) }
func (e *enc) bytes(v []byte) { e.u(uint64(len(v))); e.b = append(e.b, v...) }

func (e *enc) strMap(m map[string]string) {
	e.u(uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		e.str(k)
		e.str(m[k])
	}
}

func (e *enc) message(m *message) {
	e.u(m.seq)
	e.str(m.id)
	e.str(m.body)
	e.u(uint64(len(m.attrs)))
	for _, n := range slices.Sorted(maps.Keys(m.attrs)) {
		a := m.attrs[n]
		e.str(n)
		e.str(a.DataType)
		e.str(a.StringValue)
		e.bytes(a.BinaryValue)
	}
	e.str(m.trace)
	e.str(m.md5Body)
	e.str(m.md5Attrs)
	e.str(m.md5Sys)
	e.i(m.sent)
	e.str(m.sender)
	e.str(m.group)
	e.str(m.dedup)
	e.str(m.dlqSource)
	e.delivery(m)
}

// delivery writes the fields of m that change as it is received and released.
func (e *enc) delivery(m *message) {
	e.u(uint64(m.receives))
	e.i(m.firstRecv)
	e.i(m.visibleAt)
	e.u(m.nonce)
	e.byte1(byte(m.state))
}

// dec reads what enc wrote; the first problem sticks in err.
type dec struct {
	b   []byte
	err error
}

var errShort = errors.New("record truncated")

func (d *dec) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *dec) byte1() byte {
	if len(d.b) < 1 {
		d.fail(errShort)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *dec) u() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) i() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) raw() []byte {
	n := d.u()
	if n > uint64(len(d.b)) {
		d.fail(errShort)
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *dec) str() string { return string(d.raw()) }

func (d *dec) bytes() []byte {
	r := d.raw()
	if len(r) == 0 {
		return nil
	}
	return append([]byte(nil), r...)
}

// count reads a collection length, rejecting lengths the remaining bytes cannot hold.
func (d *dec) count() int {
	n := d.u()
	if n > uint64(len(d.b)) {
		d.fail(errShort)
		return 0
	}
	return int(n)
}

func (d *dec) strMap() map[string]string {
	n := d.count()
	m := make(map[string]string, n)
	for i := 0; i < n && d.err == nil; i++ {
		k := d.str()
		m[k] = d.str()
	}
	return m
}

func (d *dec) message() *message {
	m := &message{heapIdx: -1}
	m.seq = d.u()
	m.id = d.str()
	m.body = d.str()
	if n := d.count(); n > 0 {
		m.attrs = make(map[string]Attribute, n)
		for i := 0; i < n && d.err == nil; i++ {
			name := d.str()
			m.attrs[name] = Attribute{DataType: d.str(), StringValue: d.str(), BinaryValue: d.bytes()}
		}
	}
	m.trace = d.str()
	m.md5Body = d.str()
	m.md5Attrs = d.str()
	m.md5Sys = d.str()
	m.sent = d.i()
	m.sender = d.str()
	m.group = d.str()
	m.dedup = d.str()
	m.dlqSource = d.str()
	m.receives = int(d.u())
	m.firstRecv = d.i()
	m.visibleAt = d.i()
	m.nonce = d.u()
	m.state = msgState(d.byte1())
	if d.err == nil && (m.state < stReady || m.state > stInflight) {
		d.fail(fmt.Errorf("message %d has invalid state %d", m.seq, m.state))
	}
	return m
}

func encodeQueueMeta(q *queue) []byte {
	e := enc{b: make([]byte, 0, 256)}
	e.byte1(recQueue)
	e.str(q.name)
	e.i(q.created)
	e.i(q.modified)
	e.strMap(q.attrs)
	e.strMap(q.tags)
	return e.b
}

func encodeName(kind byte, name string) []byte {
	e := enc{b: make([]byte, 0, len(name)+4)}
	e.byte1(kind)
	e.str(name)
	return e.b
}

func encodeSend(qname string, m *message) []byte {
	e := enc{b: make([]byte, 0, len(m.body)+256)}
	e.byte1(recSend)
	e.str(qname)
	e.message(m)
	return e.b
}

func encodeDelete(qname string, seq uint64) []byte {
	e := enc{b: make([]byte, 0, len(qname)+16)}
	e.byte1(recDelete)
	e.str(qname)
	e.u(seq)
	return e.b
}

func encodeState(qname string, m *message) []byte {
	e := enc{b: make([]byte, 0, len(qname)+48)}
	e.byte1(recState)
	e.str(qname)
	e.u(m.seq)
	e.delivery(m)
	return e.b
}

func encodeMove(src string, srcSeq uint64, dst string, m *message) []byte {
	e := enc{b: make([]byte, 0, len(m.body)+256)}
	e.byte1(recMove)
	e.str(src)
	e.u(srcSeq)
	e.str(dst)
	e.message(m)
	return e.b
}

func encodeDedup(qname string, d *dedupEntry) []byte {
	e := enc{b: make([]byte, 0, 256)}
	e.byte1(recDedup)
	e.str(qname)
	e.str(d.key)
	e.i(d.at)
	e.str(d.result.MessageID)
	e.str(d.result.MD5OfBody)
	e.str(d.result.MD5OfAttributes)
	e.str(d.result.MD5OfSystemAttributes)
	e.str(d.result.SequenceNumber)
	return e.b
}
