package queue

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// SendInput is one message to send.
type SendInput struct {
	Body string
	// DelaySeconds overrides the queue's DelaySeconds (0 to 900) when set.
	DelaySeconds *int
	Attributes   map[string]Attribute
	// TraceHeader is the AWSTraceHeader system attribute.
	TraceHeader string
	// GroupID and DeduplicationID are FIFO queues' MessageGroupId and
	// MessageDeduplicationId.
	GroupID         string
	DeduplicationID string
	// SenderID is reported as the SenderId attribute; default the account id.
	SenderID string
}

// SendResult describes a sent message.
type SendResult struct {
	MessageID             string
	MD5OfBody             string
	MD5OfAttributes       string
	MD5OfSystemAttributes string
	SequenceNumber        string // FIFO queues only
}

// ReceiveInput controls a receive.
type ReceiveInput struct {
	// MaxMessages is 1 to 10; 0 means 1.
	MaxMessages int
	// VisibilityTimeout overrides the queue's visibility timeout when set.
	VisibilityTimeout *int
	// WaitTimeSeconds (0 to 20) overrides ReceiveMessageWaitTimeSeconds when set.
	WaitTimeSeconds *int
	// AttributeNames are the system attributes to return ("All" for every one).
	AttributeNames []string
	// MessageAttributeNames selects message attributes: "All", ".*", a name, or a
	// prefix followed by ".*".
	MessageAttributeNames []string
}

// Message is a received message.
type Message struct {
	MessageID              string
	ReceiptHandle          string
	Body                   string
	MD5OfBody              string
	MD5OfMessageAttributes string
	Attributes             map[string]string
	MessageAttributes      map[string]Attribute
}

// SendMessage sends body with optional message attributes to the queue given by
// name, URL or ARN and returns the message id.
func (s *Service) SendMessage(ctx context.Context, queueRef, body string, attrs map[string]Attribute) (string, error) {
	r, err := s.Send(ctx, queueRef, SendInput{Body: body, Attributes: attrs})
	return r.MessageID, err
}

// Send sends one message.
func (s *Service) Send(ctx context.Context, queueRef string, in SendInput) (SendResult, error) {
	q, err := s.resolve(queueRef)
	if err != nil {
		return SendResult{}, err
	}
	out := s.sendMany(ctx, q, []SendInput{in})
	return out[0].res, out[0].err
}

// SendBatch sends up to 10 messages; each has its own result or error. The error
// return is for problems with the whole request.
func (s *Service) SendBatch(ctx context.Context, queueRef string, in []SendInput) ([]SendResult, []error, error) {
	q, err := s.resolve(queueRef)
	if err != nil {
		return nil, nil, err
	}
	if err := checkBatchSize(len(in)); err != nil {
		return nil, nil, err
	}
	total := 0
	for _, e := range in {
		total += messageSize(e)
	}
	if total > MaxMessageSize {
		return nil, nil, sqsError(CodeBatchRequestTooLong, "Batch requests cannot be longer than %d bytes. You have sent %d bytes.", MaxMessageSize, total)
	}
	out := s.sendMany(ctx, q, in)
	res := make([]SendResult, len(out))
	errs := make([]error, len(out))
	for i, o := range out {
		res[i], errs[i] = o.res, o.err
	}
	return res, errs, nil
}

func checkBatchSize(n int) error {
	if n == 0 {
		return sqsError(CodeEmptyBatchRequest, "There should be at least one entry in the request.")
	}
	if n > 10 {
		return sqsError(CodeTooManyEntriesInBatchRequest, "Maximum number of entries per request are 10. You have sent %d.", n)
	}
	return nil
}

func messageSize(in SendInput) int {
	n := len(in.Body)
	for name, a := range in.Attributes {
		n += a.size(name)
	}
	return n
}

type sendOutcome struct {
	res SendResult
	err error
}

// prepared is a validated message ready to be stored.
type prepared struct {
	m        *message
	delay    *int
	size     int
	contentD string // content-based deduplication id
}

// validBody reports whether body holds only the characters SQS allows.
func validBody(body string) bool {
	for i := 0; i < len(body); {
		c := body[i]
		if c >= 0x20 && c < 0x80 || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		if c < 0x80 {
			return false
		}
		r, n := utf8.DecodeRuneInString(body[i:])
		if r == utf8.RuneError && n <= 1 {
			return false
		}
		if r >= 0xD800 && r <= 0xDFFF || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += n
	}
	return true
}

// validAttrName reports whether a message attribute name is acceptable.
func validAttrName(n string) bool {
	if n == "" || len(n) > 256 || n[0] == '.' || n[len(n)-1] == '.' || strings.Contains(n, "..") {
		return false
	}
	low := strings.ToLower(n)
	if strings.HasPrefix(low, "aws.") || strings.HasPrefix(low, "amazon.") {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func validateAttributes(attrs map[string]Attribute) error {
	if len(attrs) > 10 {
		return errInvalidParam("Number of message attributes [%d] exceeds the allowed maximum [10].", len(attrs))
	}
	for n, a := range attrs {
		if !validAttrName(n) {
			return errInvalidParam("Message attribute name '%s' is invalid.", n)
		}
		base, custom, _ := strings.Cut(a.DataType, ".")
		if a.DataType == "" {
			return errInvalidParam("The message attribute '%s' must contain a non-empty message attribute type.", n)
		}
		if len(a.DataType) > 256 || strings.Contains(a.DataType, ".") && custom == "" {
			return errInvalidParam("The message attribute '%s' has an invalid message attribute type.", n)
		}
		switch base {
		case "String":
			if a.StringValue == "" {
				return errInvalidParam("The message attribute '%s' must contain a non-empty message attribute value for message attribute type '%s'.", n, a.DataType)
			}
			if !validBody(a.StringValue) {
				return sqsError(CodeInvalidMessageContents, "Invalid characters in the value of message attribute '%s'.", n)
			}
		case "Number":
			if !validNumber(a.StringValue) {
				return errInvalidParam("Could not cast message attribute '%s' value to number.", n)
			}
		case "Binary":
			if len(a.BinaryValue) == 0 {
				return errInvalidParam("The message attribute '%s' must contain a non-empty message attribute value for message attribute type '%s'.", n, a.DataType)
			}
		default:
			return errInvalidParam("The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", n)
		}
	}
	return nil
}

// validNumber reports whether v is a decimal number as SQS's Number attributes
// take it: an optional sign, digits with an optional fraction, an optional
// exponent, and at most 38 significant digits.
func validNumber(v string) bool {
	i, digits := 0, 0
	if i < len(v) && (v[i] == '+' || v[i] == '-') {
		i++
	}
	start := i
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
		digits++
	}
	if i < len(v) && v[i] == '.' {
		i++
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 || i == start {
		return false
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < len(v) && (v[i] == '+' || v[i] == '-') {
			i++
		}
		exp := i
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		if i == exp {
			return false
		}
	}
	return i == len(v) && digits <= 38
}

// prepare validates what can be checked without the queue's lock and builds the
// message.
func (s *Service) prepare(q *queue, in SendInput) (*prepared, error) {
	if in.Body == "" {
		return nil, errMissing("MessageBody")
	}
	if !validBody(in.Body) {
		return nil, sqsError(CodeInvalidMessageContents, "Invalid binary character in the message body.")
	}
	if err := validateAttributes(in.Attributes); err != nil {
		return nil, err
	}
	if in.DelaySeconds != nil {
		if d := *in.DelaySeconds; d < 0 || d > 900 {
			return nil, errBadValue("DelaySeconds", d, "Must be >= 0 and <= 900.")
		}
		if q.fifo && *in.DelaySeconds != 0 {
			return nil, errBadValue("DelaySeconds", *in.DelaySeconds, "The request include parameter that is not valid for this queue type.")
		}
	}
	p := &prepared{delay: in.DelaySeconds, size: messageSize(in)}
	if q.fifo {
		if in.GroupID == "" {
			return nil, errMissing("MessageGroupId")
		}
		if len(in.GroupID) > 128 || len(in.DeduplicationID) > 128 {
			return nil, errInvalidParam("MessageGroupId and MessageDeduplicationId can be at most 128 characters.")
		}
		if in.DeduplicationID == "" {
			sum := sha256.Sum256([]byte(in.Body))
			p.contentD = hex.EncodeToString(sum[:])
		}
	} else if in.DeduplicationID != "" {
		return nil, errBadValue("MessageDeduplicationId", in.DeduplicationID, "The request include parameter that is not valid for this queue type.")
	}
	sender := in.SenderID
	if sender == "" {
		sender = s.account
	}
	var attrs map[string]Attribute
	if len(in.Attributes) > 0 {
		attrs = make(map[string]Attribute, len(in.Attributes))
		for k, v := range in.Attributes {
			if !v.isBinary() {
				v.BinaryValue = nil
			} else {
				v.StringValue = ""
			}
			attrs[k] = v
		}
	}
	p.m = &message{
		id:       uuid.NewString(),
		body:     in.Body,
		attrs:    attrs,
		trace:    in.TraceHeader,
		md5Body:  md5Hex(in.Body),
		md5Attrs: attributesMD5(attrs),
		sender:   sender,
		group:    in.GroupID,
		dedup:    in.DeduplicationID,
	}
	if in.TraceHeader != "" {
		p.m.md5Sys = attributesMD5(map[string]Attribute{"AWSTraceHeader": {DataType: "String", StringValue: in.TraceHeader}})
	}
	return p, nil
}

func sequenceNumber(seq uint64) string { return fmt.Sprintf("%020d", seq) }

func resultOf(q *queue, m *message) SendResult {
	r := SendResult{MessageID: m.id, MD5OfBody: m.md5Body, MD5OfAttributes: m.md5Attrs, MD5OfSystemAttributes: m.md5Sys}
	if q.fifo {
		r.SequenceNumber = sequenceNumber(m.seq)
	}
	return r
}

func (s *Service) sendMany(_ context.Context, q *queue, ins []SendInput) []sendOutcome {
	out := make([]sendOutcome, len(ins))
	preps := make([]*prepared, len(ins))
	for i, in := range ins {
		preps[i], out[i].err = s.prepare(q, in)
	}
	if s.isClosed() {
		for i := range out {
			out[i].err = errClosed()
		}
		return out
	}
	now := time.Now()
	nowNs, nowMs := now.UnixNano(), now.UnixMilli()
	var b *batch
	q.mu.Lock()
	if q.deleted {
		q.mu.Unlock()
		for i := range out {
			out[i].err = errNoQueue()
		}
		return out
	}
	if q.fifo {
		q.expireDedup(nowMs)
	}
	stored := false
	for i, p := range preps {
		if p == nil {
			continue
		}
		if p.size > q.cfg.maxSize {
			out[i].err = errInvalidParam("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", q.cfg.maxSize)
			continue
		}
		m := p.m
		if q.fifo {
			if m.dedup == "" {
				if !q.cfg.contentDedup {
					out[i].err = errInvalidParam("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
					continue
				}
				m.dedup = p.contentD
			}
			key := m.dedup
			if q.cfg.groupScope {
				key = m.group + "\x00" + key
			}
			if e := q.dedup[key]; e != nil {
				// The original message's id; digests of what this request sent, which
				// is what clients check.
				r := e.result
				r.MD5OfBody, r.MD5OfAttributes, r.MD5OfSystemAttributes = m.md5Body, m.md5Attrs, m.md5Sys
				out[i].res = r
				continue
			}
			m.seq = s.seq.Add(1)
			q.addDedup(&dedupEntry{key: key, at: nowMs, result: resultOf(q, m)})
		} else {
			m.seq = s.seq.Add(1)
		}
		delay := q.cfg.delay
		if p.delay != nil {
			delay = *p.delay
		}
		m.sent = nowMs
		m.visibleAt = nowNs + int64(delay)*int64(time.Second)
		q.insert(m, nowNs)
		out[i].res = resultOf(q, m)
		b = s.logRecord(encodeSend(q.name, m))
		stored = true
	}
	if stored {
		q.wake()
	}
	q.mu.Unlock()
	if err := b.wait(); err != nil {
		for i := range out {
			if out[i].err == nil {
				out[i].err = err
			}
		}
	}
	return out
}

// receiveSpec is a validated ReceiveInput.
type receiveSpec struct {
	max        int
	visibility int // -1 = queue default
	wait       time.Duration
	sysAll     bool
	sys        map[string]bool
	attrAll    bool
	attrNames  map[string]bool
	attrPrefix []string
}

func (s *Service) receiveSpec(q *queue, in ReceiveInput) (*receiveSpec, error) {
	sp := &receiveSpec{max: in.MaxMessages, visibility: -1}
	if sp.max == 0 {
		sp.max = 1
	}
	if sp.max < 1 || sp.max > 10 {
		return nil, errBadValue("MaxNumberOfMessages", in.MaxMessages, "Must be between 1 and 10, if provided.")
	}
	if in.VisibilityTimeout != nil {
		v := *in.VisibilityTimeout
		if v < 0 || v > 43200 {
			return nil, errBadValue("VisibilityTimeout", v, "Must be >= 0 and <= 43200, if provided.")
		}
		sp.visibility = v
	}
	if in.WaitTimeSeconds != nil {
		w := *in.WaitTimeSeconds
		if w < 0 || w > 20 {
			return nil, errBadValue("WaitTimeSeconds", w, "Must be >= 0 and <= 20, if provided.")
		}
		sp.wait = time.Duration(w) * time.Second
	} else {
		q.mu.Lock()
		sp.wait = time.Duration(q.cfg.wait) * time.Second
		q.mu.Unlock()
	}
	for _, n := range in.AttributeNames {
		if n == "All" {
			sp.sysAll = true
		}
		if sp.sys == nil {
			sp.sys = map[string]bool{}
		}
		sp.sys[n] = true
	}
	for _, n := range in.MessageAttributeNames {
		switch {
		case n == "All" || n == ".*":
			sp.attrAll = true
		case strings.HasSuffix(n, ".*"):
			sp.attrPrefix = append(sp.attrPrefix, strings.TrimSuffix(n, "*"))
		default:
			if sp.attrNames == nil {
				sp.attrNames = map[string]bool{}
			}
			sp.attrNames[n] = true
		}
	}
	return sp, nil
}

func (sp *receiveSpec) wantSys(n string) bool { return sp.sysAll || sp.sys[n] }

func (sp *receiveSpec) wantAttr(n string) bool {
	if sp.attrAll || sp.attrNames[n] {
		return true
	}
	for _, p := range sp.attrPrefix {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// Receive receives up to in.MaxMessages messages, long-polling up to the wait time
// when none is visible.
func (s *Service) Receive(ctx context.Context, queueRef string, in ReceiveInput) ([]Message, error) {
	q, err := s.resolve(queueRef)
	if err != nil {
		return nil, err
	}
	sp, err := s.receiveSpec(q, in)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(sp.wait)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		msgs, moved, ch, next, err := s.tryReceive(q, sp, time.Now(), sp.wait > 0)
		if len(moved) > 0 {
			s.moveToDLQ(q, moved)
		}
		if err != nil || len(msgs) > 0 || ch == nil {
			return msgs, err
		}
		now := time.Now()
		until := deadline
		if next != 0 && time.Unix(0, next).Before(until) {
			until = time.Unix(0, next)
		}
		d := until.Sub(now)
		if d < 0 {
			d = 0
		}
		if timer == nil {
			timer = time.NewTimer(d)
		} else {
			timer.Reset(d)
		}
		select {
		case <-ch:
		case <-timer.C:
		case <-ctx.Done():
		case <-s.closed:
		}
		q.mu.Lock()
		q.waiters--
		q.mu.Unlock()
		if ctx.Err() != nil || s.isClosed() {
			// Nobody would see what this receive took.
			return nil, nil
		}
		if !time.Now().Before(deadline) {
			// One last look so a message that arrived at the deadline is not missed.
			msgs, moved, _, _, err := s.tryReceive(q, sp, time.Now(), false)
			if len(moved) > 0 {
				s.moveToDLQ(q, moved)
			}
			return msgs, err
		}
		timer.Stop()
	}
}

// tryReceive takes visible messages. When none is taken and wait is set it
// registers as a waiter and returns the channel to wait on and when the next
// hidden message becomes visible.
func (s *Service) tryReceive(q *queue, sp *receiveSpec, now time.Time, wait bool) (msgs []Message, moved []*message, ch chan struct{}, next int64, err error) {
	nowNs, nowMs := now.UnixNano(), now.UnixMilli()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return nil, nil, nil, 0, errNoQueue()
	}
	q.promote(nowNs)
	vis := sp.visibility
	if vis < 0 {
		vis = q.cfg.visibility
	}
	retentionMs := int64(q.cfg.retention) * 1000
	rp := q.cfg.redrive
	q.candidates(sp.max, func(m *message) bool {
		if nowMs-m.sent > retentionMs {
			q.remove(m)
			s.logRecord(encodeDelete(q.name, m.seq))
			return false
		}
		if rp != nil && m.receives >= rp.MaxReceives {
			q.remove(m)
			moved = append(moved, m)
			return false
		}
		m.receives++
		if m.firstRecv == 0 {
			m.firstRecv = nowMs
		}
		m.nonce = s.nonce.Add(1)
		q.setInflight(m, nowNs+int64(vis)*int64(time.Second))
		msgs = append(msgs, s.view(q, m, sp))
		s.logRecord(encodeState(q.name, m))
		return true
	})
	if vis == 0 && len(msgs) > 0 {
		q.promote(nowNs)
	}
	if len(msgs) == 0 && wait {
		q.waiters++
		ch = q.avail
		next = q.nextVisible()
	}
	return msgs, moved, ch, next, nil
}

// view builds what a receiver sees of m.
func (s *Service) view(q *queue, m *message, sp *receiveSpec) Message {
	v := Message{
		MessageID:     m.id,
		ReceiptHandle: encodeHandle(m.seq, m.nonce),
		Body:          m.body,
		MD5OfBody:     m.md5Body,
	}
	if sp.sysAll || len(sp.sys) > 0 {
		a := map[string]string{}
		set := func(n, val string) {
			if val != "" && sp.wantSys(n) {
				a[n] = val
			}
		}
		set("SenderId", m.sender)
		set("SentTimestamp", fmtInt(m.sent))
		set("ApproximateReceiveCount", strconv.Itoa(m.receives))
		set("ApproximateFirstReceiveTimestamp", fmtInt(m.firstRecv))
		set("AWSTraceHeader", m.trace)
		set("DeadLetterQueueSourceArn", m.dlqSource)
		set("MessageGroupId", m.group)
		if q.fifo {
			set("MessageDeduplicationId", m.dedup)
			set("SequenceNumber", sequenceNumber(m.seq))
		}
		if len(a) > 0 {
			v.Attributes = a
		}
	}
	if len(m.attrs) > 0 {
		v.MD5OfMessageAttributes = m.md5Attrs
		var sel map[string]Attribute
		for n, a := range m.attrs {
			if sp.wantAttr(n) {
				if sel == nil {
					sel = make(map[string]Attribute, len(m.attrs))
				}
				sel[n] = a
			}
		}
		if len(sel) > 0 {
			v.MessageAttributes = sel
			if len(sel) != len(m.attrs) {
				v.MD5OfMessageAttributes = attributesMD5(sel)
			}
		}
	}
	return v
}

// moveToDLQ stores messages taken from src in its dead-letter queue, or puts them
// back when that queue is gone.
func (s *Service) moveToDLQ(src *queue, msgs []*message) {
	src.mu.Lock()
	rp := src.cfg.redrive
	src.mu.Unlock()
	var dlq *queue
	if rp != nil {
		dlq, _ = s.resolve(rp.Target)
	}
	if dlq == nil || !s.transfer(src, dlq, msgs, true) {
		s.putBack(src, msgs)
	}
}

// putBack returns messages taken from q (but not yet journaled as gone) to it.
func (s *Service) putBack(q *queue, msgs []*message) {
	now := time.Now().UnixNano()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return
	}
	for _, m := range msgs {
		m.state = stReady
		m.visibleAt = now
		q.insert(m, now)
	}
	q.wake()
}

// transfer stores copies of msgs (already taken from src) in dst, journaling each
// as one move record. toDLQ marks them with their source; otherwise (redrive out of
// a DLQ) their receive count starts over. It reports false when dst is deleted.
func (s *Service) transfer(src, dst *queue, msgs []*message, toDLQ bool) bool {
	now := time.Now()
	nowNs := now.UnixNano()
	dst.mu.Lock()
	if dst.deleted {
		dst.mu.Unlock()
		return false
	}
	var b *batch
	for _, m := range msgs {
		c := *m
		c.seq = s.seq.Add(1)
		c.state = stReady
		c.visibleAt = nowNs
		c.heapIdx = -1
		if toDLQ {
			c.dlqSource = src.arn
		} else {
			c.receives, c.firstRecv, c.nonce = 0, 0, 0
			c.dlqSource = ""
		}
		if dst.fifo {
			c.sent = now.UnixMilli()
		}
		dst.insert(&c, nowNs)
		b = s.logRecord(encodeMove(src.name, m.seq, dst.name, &c))
	}
	dst.wake()
	dst.mu.Unlock()
	_ = b.wait()
	return true
}

// DeleteMessage deletes the message a receipt handle names. Deleting a message
// that is already gone succeeds, as in SQS.
func (s *Service) DeleteMessage(ctx context.Context, queueRef, receiptHandle string) error {
	q, err := s.resolve(queueRef)
	if err != nil {
		return err
	}
	return s.deleteMany(ctx, q, []string{receiptHandle})[0]
}

// DeleteMessageBatch deletes up to 10 messages; each handle has its own error.
func (s *Service) DeleteMessageBatch(ctx context.Context, queueRef string, handles []string) ([]error, error) {
	q, err := s.resolve(queueRef)
	if err != nil {
		return nil, err
	}
	if err := checkBatchSize(len(handles)); err != nil {
		return nil, err
	}
	return s.deleteMany(ctx, q, handles), nil
}

func errBadHandle(h string) error {
	return sqsError(CodeReceiptHandleIsInvalid, "The input receipt handle \"%s\" is not a valid receipt handle.", h)
}

func (s *Service) deleteMany(_ context.Context, q *queue, handles []string) []error {
	errs := make([]error, len(handles))
	type ref struct{ seq, nonce uint64 }
	refs := make([]ref, len(handles))
	for i, h := range handles {
		if h == "" {
			errs[i] = errMissing("ReceiptHandle")
			continue
		}
		seq, nonce, ok := decodeHandle(h)
		if !ok {
			errs[i] = errBadHandle(h)
			continue
		}
		refs[i] = ref{seq, nonce}
	}
	var b *batch
	q.mu.Lock()
	if q.deleted {
		q.mu.Unlock()
		for i := range errs {
			errs[i] = errNoQueue()
		}
		return errs
	}
	for i, r := range refs {
		if errs[i] != nil {
			continue
		}
		m := q.msgs[r.seq]
		if m == nil || m.state == stInflight && m.nonce != r.nonce && m.visibleAt > time.Now().UnixNano() {
			continue // already deleted, or received again by someone else
		}
		q.remove(m)
		b = s.logRecord(encodeDelete(q.name, m.seq))
	}
	q.mu.Unlock()
	if err := b.wait(); err != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
	return errs
}

// VisibilityChange is one ChangeMessageVisibility request.
type VisibilityChange struct {
	ReceiptHandle     string
	VisibilityTimeout int
}

// ChangeMessageVisibility sets how long a received message stays hidden,
// counted from now; 0 makes it visible at once.
func (s *Service) ChangeMessageVisibility(ctx context.Context, queueRef, receiptHandle string, timeout int) error {
	q, err := s.resolve(queueRef)
	if err != nil {
		return err
	}
	return s.changeMany(ctx, q, []VisibilityChange{{receiptHandle, timeout}})[0]
}

// ChangeMessageVisibilityBatch changes up to 10 visibility timeouts.
func (s *Service) ChangeMessageVisibilityBatch(ctx context.Context, queueRef string, in []VisibilityChange) ([]error, error) {
	q, err := s.resolve(queueRef)
	if err != nil {
		return nil, err
	}
	if err := checkBatchSize(len(in)); err != nil {
		return nil, err
	}
	return s.changeMany(ctx, q, in), nil
}

func (s *Service) changeMany(_ context.Context, q *queue, in []VisibilityChange) []error {
	errs := make([]error, len(in))
	now := time.Now().UnixNano()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		for i := range errs {
			errs[i] = errNoQueue()
		}
		return errs
	}
	q.promote(now)
	woke := false
	for i, c := range in {
		if c.VisibilityTimeout < 0 || c.VisibilityTimeout > 43200 {
			errs[i] = errBadValue("VisibilityTimeout", c.VisibilityTimeout, "Must be >= 0 and <= 43200.")
			continue
		}
		if c.ReceiptHandle == "" {
			errs[i] = errMissing("ReceiptHandle")
			continue
		}
		seq, _, ok := decodeHandle(c.ReceiptHandle)
		if !ok {
			errs[i] = errBadHandle(c.ReceiptHandle)
			continue
		}
		m := q.msgs[seq]
		if m == nil {
			errs[i] = errBadValue("ReceiptHandle", c.ReceiptHandle, "Message does not exist or is not available for visibility timeout change.")
			continue
		}
		if m.state != stInflight {
			errs[i] = sqsError(CodeMessageNotInflight, "Message %s is not in flight.", m.id)
			continue
		}
		q.setInflight(m, now+int64(c.VisibilityTimeout)*int64(time.Second))
		if c.VisibilityTimeout == 0 {
			q.promote(now)
			woke = true
		}
		s.logRecord(encodeState(q.name, m))
	}
	if woke {
		q.wake()
	}
	return errs
}

// Receipt handles carry the message's seq and the nonce of the receive that
// produced them, with a checksum so that garbage is rejected.
const handleLen = 1 + 8 + 8 + 4

func encodeHandle(seq, nonce uint64) string {
	var b [handleLen]byte
	b[0] = 1
	binary.BigEndian.PutUint64(b[1:], seq)
	binary.BigEndian.PutUint64(b[9:], nonce)
	binary.BigEndian.PutUint32(b[17:], crc32.ChecksumIEEE(b[:17]))
	return base64.StdEncoding.EncodeToString(b[:])
}

func decodeHandle(h string) (seq, nonce uint64, ok bool) {
	if base64.StdEncoding.DecodedLen(len(h)) > handleLen+2 {
		return 0, 0, false
	}
	b, err := base64.StdEncoding.DecodeString(h)
	if err != nil || len(b) != handleLen || b[0] != 1 || binary.BigEndian.Uint32(b[17:]) != crc32.ChecksumIEEE(b[:17]) {
		return 0, 0, false
	}
	return binary.BigEndian.Uint64(b[1:]), binary.BigEndian.Uint64(b[9:]), true
}
