package queue

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dragons-dev/dragons/local/awsproto"
	"github.com/dragons-dev/dragons/local/durable"
)

// DefaultAccountID is the local cloud's account id.
const DefaultAccountID = "000000000000"

// Options configures a Service.
type Options struct {
	// DataDir holds the journal and snapshots; "" keeps everything in memory.
	DataDir string
	// Region and AccountID form queue ARNs; defaults us-east-1 and 000000000000.
	Region    string
	AccountID string
	// Endpoint is the base URL of the queue URLs the Go API returns (HTTP requests
	// get URLs on the host they were sent to). Default http://127.0.0.1:4566.
	Endpoint string
	// CompactAfterBytes is the journal size that triggers a snapshot; 0 means 64 MiB.
	CompactAfterBytes int64
	// Logger receives background errors; nil discards them.
	Logger *slog.Logger
	// Durability is how far a change travels before it is acknowledged
	// (with a DataDir); the zero value, durable.Process, survives kill -9.
	Durability durable.Level
}

// Queue identifies a queue.
type Queue struct {
	Name string
	URL  string
	ARN  string
}

// Service is the local SQS. It is an http.Handler for both SQS protocols and
// offers the same operations to in-process callers.
type Service struct {
	region   string
	account  string
	log      *slog.Logger
	endpoint atomic.Pointer[string]

	mu     sync.RWMutex
	queues map[string]*queue

	seq   atomic.Uint64 // last message seq handed out
	nonce atomic.Uint64 // last receipt nonce handed out

	j     *journal // nil in memory
	json  *awsproto.JSONService
	tasks taskSet

	closed    chan struct{}
	closeOnce sync.Once
	bg        sync.WaitGroup
}

// New opens the service, replaying DataDir when it holds earlier state.
func New(opts Options) (*Service, error) {
	s := &Service{
		region:  opts.Region,
		account: opts.AccountID,
		log:     opts.Logger,
		queues:  map[string]*queue{},
		closed:  make(chan struct{}),
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.account == "" {
		s.account = DefaultAccountID
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	ep := strings.TrimSuffix(opts.Endpoint, "/")
	if ep == "" {
		ep = "http://127.0.0.1:4566"
	}
	s.endpoint.Store(&ep)
	s.nonce.Store(uint64(time.Now().UnixNano()))
	s.tasks.init()
	s.json = &awsproto.JSONService{
		Version:   "1.0",
		Namespace: "com.amazonaws.sqs",
		Ops:       s.jsonOps(),
		MaxBody:   16 << 20,
		ErrorHook: withQueryError,
	}
	if opts.DataDir != "" {
		limit := opts.CompactAfterBytes
		if limit <= 0 {
			limit = 64 << 20
		}
		j, err := openJournal(opts.DataDir, opts.Durability, limit, s.apply, s.writeSnapshot, s.log)
		if err != nil {
			return nil, fmt.Errorf("open queue data in %q: %w", opts.DataDir, err)
		}
		s.j = j
	}
	return s, nil
}

// Close stops move tasks and long polls and flushes the journal. Operations after
// Close fail.
func (s *Service) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closed)
		s.tasks.cancelAll()
		s.bg.Wait()
		if s.j != nil {
			err = s.j.close()
		}
	})
	return err
}

// SetEndpoint sets the base URL of queue URLs returned by the Go API (for example
// once the edge knows its port).
func (s *Service) SetEndpoint(u string) {
	u = strings.TrimSuffix(u, "/")
	s.endpoint.Store(&u)
}

func (s *Service) arnOf(name string) string {
	return "arn:aws:sqs:" + s.region + ":" + s.account + ":" + name
}

// urlOf returns the URL of queue name on base ("" = the configured endpoint).
func (s *Service) urlOf(base, name string) string {
	if base == "" {
		base = *s.endpoint.Load()
	}
	return base + "/" + s.account + "/" + name
}

func (s *Service) info(base string, q *queue) Queue {
	return Queue{Name: q.name, URL: s.urlOf(base, q.name), ARN: q.arn}
}

// resolve finds a queue by name, URL or ARN.
func (s *Service) resolve(ref string) (*queue, error) {
	name := ref
	switch {
	case strings.HasPrefix(ref, "arn:"):
		n, ok := parseQueueARN(ref)
		if !ok || ref != s.arnOf(n) {
			return nil, errNoQueue()
		}
		name = n
	case strings.Contains(ref, "/"):
		u, err := url.Parse(ref)
		if err != nil {
			return nil, sqsError("InvalidAddress", "The address %s is not valid for this endpoint.", ref)
		}
		parts := strings.Split(strings.Trim(u.Path, "/"), "/")
		name = parts[len(parts)-1]
		if len(parts) >= 2 && parts[len(parts)-2] != s.account {
			return nil, errNoQueue()
		}
	case ref == "":
		return nil, errMissing("QueueUrl")
	}
	s.mu.RLock()
	q := s.queues[name]
	s.mu.RUnlock()
	if q == nil {
		return nil, errNoQueue()
	}
	return q, nil
}

func (s *Service) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// log appends a journal record and returns the batch to wait for; nil in memory.
func (s *Service) logRecord(rec []byte) *batch {
	if s.j == nil {
		return nil
	}
	return s.j.append(rec)
}

// CreateQueue creates a queue (or returns the existing one when every given
// attribute matches) and returns its identity.
func (s *Service) CreateQueue(ctx context.Context, name string, attrs map[string]string) (Queue, error) {
	return s.createQueue(ctx, "", name, attrs, nil)
}

func (s *Service) createQueue(_ context.Context, base, name string, attrs, tags map[string]string) (Queue, error) {
	if name == "" {
		return Queue{}, errMissing("QueueName")
	}
	if !validQueueName(name) {
		return Queue{}, errInvalidParam("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	fifo := strings.HasSuffix(name, ".fifo")
	canon := make(map[string]string, len(attrs))
	for k, v := range attrs {
		c, err := canonicalAttr(k, v, fifo, true)
		if err != nil {
			return Queue{}, err
		}
		canon[k] = c
	}
	if v, ok := canon[attrFifoQueue]; ok && (v == "true") != fifo {
		return Queue{}, errInvalidParam("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
	} else if !ok && fifo {
		return Queue{}, errInvalidParam("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	if err := s.checkRedrive(name, fifo, canon); err != nil {
		return Queue{}, err
	}
	if len(tags) > 50 {
		return Queue{}, errInvalidParam("Too many tags added for queue %s.", name)
	}
	if s.isClosed() {
		return Queue{}, errClosed()
	}
	s.mu.Lock()
	if q := s.queues[name]; q != nil {
		s.mu.Unlock()
		q.mu.Lock()
		defer q.mu.Unlock()
		for k, v := range canon {
			if q.attrs[k] != v {
				return Queue{}, sqsError(CodeQueueNameExists, "A queue already exists with the same name and a different value for attribute %s", k)
			}
		}
		return s.info(base, q), nil
	}
	full := defaultAttrs(fifo)
	for k, v := range canon {
		if v == "" {
			delete(full, k)
		} else {
			full[k] = v
		}
	}
	t := make(map[string]string, len(tags))
	maps.Copy(t, tags)
	q := newQueue(name, s.arnOf(name), fifo, time.Now().Unix(), full, t)
	s.queues[name] = q
	b := s.logRecord(encodeQueueMeta(q))
	s.mu.Unlock()
	if err := b.wait(); err != nil {
		return Queue{}, err
	}
	return s.info(base, q), nil
}

// checkRedrive validates a RedrivePolicy being set on queue name: the dead-letter
// queue must exist, be of the same type and allow this source.
func (s *Service) checkRedrive(name string, fifo bool, canon map[string]string) error {
	p, ok := canon[attrRedrivePolicy]
	if !ok || p == "" {
		return nil
	}
	rp, err := parseRedrivePolicy(p)
	if err != nil {
		return err
	}
	dlq, err := s.resolve(rp.Target)
	if err != nil {
		return errBadValue(attrRedrivePolicy, p, "Dead-letter target does not exist.")
	}
	if dlq.fifo != fifo {
		return errBadValue(attrRedrivePolicy, p, "Dead-letter queue must be same type of queue as the source.")
	}
	dlq.mu.Lock()
	allow := dlq.attrs[attrRedriveAllowPolicy]
	dlq.mu.Unlock()
	if allow != "" {
		if ap, err := parseRedriveAllowPolicy(allow); err == nil && !ap.allows(s.arnOf(name)) {
			return errBadValue(attrRedrivePolicy, p, "Dead-letter queue does not allow this queue as a source (RedriveAllowPolicy).")
		}
	}
	return nil
}

// GetQueue returns the identity of a queue given by name, URL or ARN.
func (s *Service) GetQueue(_ context.Context, ref string) (Queue, error) {
	q, err := s.resolve(ref)
	if err != nil {
		return Queue{}, err
	}
	return s.info("", q), nil
}

// QueueURL returns the URL of the named queue.
func (s *Service) QueueURL(ctx context.Context, name string) (string, error) {
	q, err := s.GetQueue(ctx, name)
	return q.URL, err
}

// QueueARN returns the ARN of the queue given by name or URL.
func (s *Service) QueueARN(ctx context.Context, ref string) (string, error) {
	q, err := s.GetQueue(ctx, ref)
	return q.ARN, err
}

// ListQueues returns the queues whose names start with prefix, sorted by name.
func (s *Service) ListQueues(_ context.Context, prefix string) []Queue {
	names := s.queueNames(prefix)
	out := make([]Queue, 0, len(names))
	for _, n := range names {
		out = append(out, Queue{Name: n, URL: s.urlOf("", n), ARN: s.arnOf(n)})
	}
	return out
}

func (s *Service) queueNames(prefix string) []string {
	s.mu.RLock()
	names := make([]string, 0, len(s.queues))
	for n := range s.queues {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	s.mu.RUnlock()
	sort.Strings(names)
	return names
}

// listQueuesPage pages ListQueues: the token is the last name of the previous page.
func (s *Service) listQueuesPage(prefix, token string, max int) (names []string, next string, err error) {
	all := s.queueNames(prefix)
	if token != "" {
		after, derr := base64.RawURLEncoding.DecodeString(token)
		if derr != nil {
			return nil, "", errInvalidParam("Invalid NextToken value.")
		}
		i := sort.SearchStrings(all, string(after))
		if i < len(all) && all[i] == string(after) {
			i++
		}
		all = all[i:]
	}
	if max > 0 && len(all) > max {
		all = all[:max]
		next = base64.RawURLEncoding.EncodeToString([]byte(all[len(all)-1]))
	}
	return all, next, nil
}

// DeleteQueue deletes a queue and its messages.
func (s *Service) DeleteQueue(_ context.Context, ref string) error {
	q, err := s.resolve(ref)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.queues[q.name] != q {
		s.mu.Unlock()
		return errNoQueue()
	}
	delete(s.queues, q.name)
	q.mu.Lock()
	q.deleted = true
	q.clearMessages()
	close(q.avail)
	q.avail = make(chan struct{})
	b := s.logRecord(encodeName(recDeleteQueue, q.name))
	q.mu.Unlock()
	s.mu.Unlock()
	return b.wait()
}

// PurgeQueue deletes every message of a queue.
func (s *Service) PurgeQueue(_ context.Context, ref string) error {
	q, err := s.resolve(ref)
	if err != nil {
		return err
	}
	return s.update(q, func() ([]byte, error) {
		q.clearMessages()
		return encodeName(recPurge, q.name), nil
	})
}

// update runs change on q under its lock, unless q has been deleted, and
// journals the record change returns.
func (s *Service) update(q *queue, change func() ([]byte, error)) error {
	q.mu.Lock()
	if q.deleted {
		q.mu.Unlock()
		return errNoQueue()
	}
	rec, err := change()
	if err != nil {
		q.mu.Unlock()
		return err
	}
	b := s.logRecord(rec)
	q.mu.Unlock()
	return b.wait()
}

// QueueAttributes returns the named attributes ("All" for every one).
func (s *Service) QueueAttributes(_ context.Context, ref string, names []string) (map[string]string, error) {
	q, err := s.resolve(ref)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if !knownAttr(n) {
			return nil, sqsError(CodeInvalidAttributeName, "Unknown Attribute %s.", n)
		}
	}
	want := func(n string) bool {
		for _, w := range names {
			if w == "All" || w == n {
				return true
			}
		}
		return false
	}
	out := map[string]string{}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return nil, errNoQueue()
	}
	q.promote(time.Now().UnixNano())
	for k, v := range q.attrs {
		if want(k) {
			out[k] = v
		}
	}
	dyn := map[string]string{
		attrQueueArn:              q.arn,
		attrApproxMessages:        strconv.Itoa(q.nReady),
		attrApproxNotVisible:      strconv.Itoa(q.nInflight),
		attrApproxDelayed:         strconv.Itoa(q.nDelayed),
		attrCreatedTimestamp:      fmtInt(q.created),
		attrLastModifiedTimestamp: fmtInt(q.modified),
	}
	for k, v := range dyn {
		if want(k) {
			out[k] = v
		}
	}
	return out, nil
}

// SetQueueAttributes changes queue attributes; an empty RedrivePolicy, Policy or
// RedriveAllowPolicy removes it.
func (s *Service) SetQueueAttributes(_ context.Context, ref string, attrs map[string]string) error {
	q, err := s.resolve(ref)
	if err != nil {
		return err
	}
	canon := make(map[string]string, len(attrs))
	for k, v := range attrs {
		c, err := canonicalAttr(k, v, q.fifo, false)
		if err != nil {
			return err
		}
		canon[k] = c
	}
	if err := s.checkRedrive(q.name, q.fifo, canon); err != nil {
		return err
	}
	return s.update(q, func() ([]byte, error) {
		for k, v := range canon {
			if v == "" {
				delete(q.attrs, k)
			} else {
				q.attrs[k] = v
			}
		}
		q.cfg = parseConfig(q.attrs)
		q.modified = time.Now().Unix()
		return encodeQueueMeta(q), nil
	})
}

// TagQueue adds or replaces tags.
func (s *Service) TagQueue(_ context.Context, ref string, tags map[string]string) error {
	return s.changeTags(ref, func(t map[string]string) error {
		for k, v := range tags {
			t[k] = v
		}
		if len(t) > 50 {
			return errInvalidParam("Too many tags added for queue.")
		}
		return nil
	})
}

// UntagQueue removes tags.
func (s *Service) UntagQueue(_ context.Context, ref string, keys []string) error {
	return s.changeTags(ref, func(t map[string]string) error {
		for _, k := range keys {
			delete(t, k)
		}
		return nil
	})
}

func (s *Service) changeTags(ref string, f func(map[string]string) error) error {
	q, err := s.resolve(ref)
	if err != nil {
		return err
	}
	return s.update(q, func() ([]byte, error) {
		t := make(map[string]string, len(q.tags))
		maps.Copy(t, q.tags)
		if err := f(t); err != nil {
			return nil, err
		}
		q.tags = t
		return encodeQueueMeta(q), nil
	})
}

// QueueTags returns a queue's tags.
func (s *Service) QueueTags(_ context.Context, ref string) (map[string]string, error) {
	q, err := s.resolve(ref)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make(map[string]string, len(q.tags))
	maps.Copy(out, q.tags)
	return out, nil
}

// DeadLetterSourceQueues returns the names of the queues whose RedrivePolicy
// targets the given queue.
func (s *Service) DeadLetterSourceQueues(_ context.Context, ref string) ([]string, error) {
	dlq, err := s.resolve(ref)
	if err != nil {
		return nil, err
	}
	return s.sourcesOf(dlq.arn), nil
}

func (s *Service) sourcesOf(arn string) []string {
	s.mu.RLock()
	qs := make([]*queue, 0, len(s.queues))
	for _, q := range s.queues {
		qs = append(qs, q)
	}
	s.mu.RUnlock()
	var out []string
	for _, q := range qs {
		q.mu.Lock()
		if rp := q.cfg.redrive; rp != nil && rp.Target == arn && !q.deleted {
			out = append(out, q.name)
		}
		q.mu.Unlock()
	}
	sort.Strings(out)
	return out
}

func errClosed() *awsproto.Error {
	return &awsproto.Error{Code: "ServiceUnavailable", Message: "the queue service is closed", Status: http.StatusServiceUnavailable}
}
