package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dragons-dev/dragons/local/awsproto"
	"github.com/dragons-dev/dragons/local/durable"
	"github.com/dragons-dev/dragons/local/eventpattern"
)

// DefaultBus is the name of the bus every account has.
const DefaultBus = "default"

// QueueSender delivers a message to an SQS queue named by its ARN. The local SQS
// service satisfies it; attributes are String message attributes.
type QueueSender interface {
	SendMessage(ctx context.Context, queueARN, body string, attributes map[string]string) error
}

// Invoker delivers an event to a target that is not a queue (a Lambda function or
// a Step Functions state machine, for example). Register one per ARN service name
// ("lambda", "states") with SetInvoker or Options.Invokers.
type Invoker interface {
	Invoke(ctx context.Context, targetARN string, payload []byte) error
}

// traceKey carries an event's X-Ray trace header to invokers.
type traceKey struct{}

// TraceHeader returns the X-Ray trace header of the event an Invoker is
// delivering (the TraceHeader its PutEvents entry carried), or "".
func TraceHeader(ctx context.Context) string {
	s, _ := ctx.Value(traceKey{}).(string)
	return s
}

// InvokerFunc adapts a function to an Invoker.
type InvokerFunc func(ctx context.Context, targetARN string, payload []byte) error

// Invoke implements Invoker.
func (f InvokerFunc) Invoke(ctx context.Context, targetARN string, payload []byte) error {
	return f(ctx, targetARN, payload)
}

// ErrTargetNotFound, wrapped in an error a QueueSender or Invoker returns, says the
// target does not exist: the delivery goes to the dead-letter queue at once,
// without retries, as EventBridge does.
var ErrTargetNotFound = errors.New("target resource not found")

// errUnreachable reports a target nothing can deliver to (no queue sender or no
// invoker for its service); such deliveries are retried.
var errUnreachable = errors.New("target unreachable")

// Options configure a Service.
type Options struct {
	// Region and AccountID go into ARNs and events (defaults us-east-1 and
	// 000000000000).
	Region    string
	AccountID string
	// DataDir keeps buses, rules, targets, archives, archived events and events
	// not yet delivered. "" keeps everything in memory.
	DataDir string
	// Queues delivers to SQS targets and dead-letter queues.
	Queues QueueSender
	// Invokers deliver to other targets, by ARN service name.
	Invokers map[string]Invoker
	// RetryBaseDelay is the first retry's delay; each retry doubles it, up to
	// RetryMaxDelay (defaults 1s and 1m). Tests set them small.
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	// Workers is the number of delivery goroutines (default 4).
	Workers int
	// Logger receives delivery failures and warnings (nil discards them).
	Logger *slog.Logger
	// Durability is how far accepted events travel before PutEvents answers
	// (with a DataDir). The zero value, durable.Process, hands them to the
	// operating system (they survive kill -9) and syncs the journals every
	// 200 ms; durable.Disk syncs before answering.
	Durability durable.Level
}

// Service is the local EventBridge service: an http.Handler for the JSON 1.1
// protocol (X-Amz-Target AWSEvents.<Op>) and a Go API for in-process callers.
type Service struct {
	region, account string
	dataDir         string
	durability      durable.Level
	log             *slog.Logger
	baseDelay       time.Duration
	maxDelay        time.Duration
	api             *awsproto.JSONService

	mu       sync.RWMutex
	buses    map[string]*bus
	archives map[string]*archive
	replays  map[string]*replay
	queues   QueueSender
	invokers map[string]Invoker

	pending *pendingLog // nil in memory mode
	work    *workQueue
	workers sync.WaitGroup
	bg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc

	timerMu sync.Mutex
	timers  map[*time.Timer]struct{}
	closed  bool

	inflight atomic.Int64 // events accepted and not yet fully delivered
}

type bus struct {
	Name        string           `json:"name"`
	Arn         string           `json:"arn"`
	Description string           `json:"description,omitempty"`
	Created     time.Time        `json:"created"`
	Modified    time.Time        `json:"modified"`
	Rules       map[string]*rule `json:"rules"`
}

type rule struct {
	Name               string   `json:"name"`
	Arn                string   `json:"arn"`
	EventPattern       string   `json:"eventPattern,omitempty"`
	ScheduleExpression string   `json:"scheduleExpression,omitempty"`
	State              string   `json:"state"`
	Description        string   `json:"description,omitempty"`
	RoleArn            string   `json:"roleArn,omitempty"`
	EventBusName       string   `json:"eventBusName"`
	Targets            []Target `json:"targets"`

	pattern *eventpattern.Pattern
}

// New starts a Service. With Options.DataDir set it loads the state kept there
// and resumes delivering the events that were accepted but not delivered.
func New(opts Options) (*Service, error) {
	s := &Service{
		region:     opts.Region,
		account:    opts.AccountID,
		dataDir:    opts.DataDir,
		durability: opts.Durability,
		log:        opts.Logger,
		baseDelay:  opts.RetryBaseDelay,
		maxDelay:   opts.RetryMaxDelay,
		buses:      map[string]*bus{},
		archives:   map[string]*archive{},
		replays:    map[string]*replay{},
		queues:     opts.Queues,
		invokers:   map[string]Invoker{},
		timers:     map[*time.Timer]struct{}{},
		work:       newWorkQueue(),
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.account == "" {
		s.account = "000000000000"
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.baseDelay <= 0 {
		s.baseDelay = time.Second
	}
	if s.maxDelay <= 0 {
		s.maxDelay = time.Minute
	}
	if s.maxDelay < s.baseDelay {
		s.maxDelay = s.baseDelay
	}
	for k, v := range opts.Invokers {
		s.invokers[k] = v
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.api = &awsproto.JSONService{Version: "1.1", Ops: s.operations()}

	var resume []*event
	if s.dataDir != "" {
		var err error
		if resume, err = s.load(); err != nil {
			s.cancel()
			return nil, err
		}
	}
	if _, ok := s.buses[DefaultBus]; !ok {
		now := time.Now().UTC()
		s.buses[DefaultBus] = &bus{Name: DefaultBus, Arn: s.busArn(DefaultBus), Created: now, Modified: now, Rules: map[string]*rule{}}
		if err := s.save(); err != nil {
			s.cancel()
			return nil, err
		}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = 4
	}
	for range workers {
		s.workers.Add(1)
		go func() {
			defer s.workers.Done()
			s.work.run()
		}()
	}
	for _, ev := range resume {
		s.inflight.Add(1)
		s.enqueueDispatch(ev)
	}
	return s, nil
}

// ServeHTTP implements http.Handler for the EventBridge JSON 1.1 protocol.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.api.ServeHTTP(w, r)
}

// SetQueueSender sets the queue sender used for SQS targets and dead-letter queues.
func (s *Service) SetQueueSender(q QueueSender) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queues = q
}

// SetInvoker registers the invoker for targets whose ARN names service (for
// example "lambda" or "states").
func (s *Service) SetInvoker(service string, inv Invoker) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invokers[service] = inv
}

// BusArn returns the ARN of the bus with the given name.
func (s *Service) BusArn(name string) string { return s.busArn(name) }

// WaitIdle waits until every accepted event has been delivered, dead-lettered or
// dropped, or ctx ends.
func (s *Service) WaitIdle(ctx context.Context) error {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for s.inflight.Load() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for deliveries: %w", ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// Close stops delivering and releases files. Events not yet delivered stay in the
// data directory and are delivered by the next Service on it.
func (s *Service) Close() error {
	s.timerMu.Lock()
	if s.closed {
		s.timerMu.Unlock()
		return nil
	}
	s.closed = true
	for t := range s.timers {
		t.Stop()
	}
	s.timers = nil
	s.timerMu.Unlock()
	s.cancel()
	s.work.close()
	s.workers.Wait()
	s.bg.Wait()
	var errs []error
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending != nil {
		errs = append(errs, s.pending.close())
	}
	for _, a := range s.archives {
		if a.log != nil {
			errs = append(errs, a.log.close())
		}
	}
	return errors.Join(errs...)
}

// after runs f after d unless the service closes first.
func (s *Service) after(d time.Duration, f func()) {
	s.timerMu.Lock()
	defer s.timerMu.Unlock()
	if s.closed {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		s.timerMu.Lock()
		closed := s.closed
		if !closed {
			delete(s.timers, t)
		}
		s.timerMu.Unlock()
		if !closed {
			f()
		}
	})
	s.timers[t] = struct{}{}
}

// ARNs.

func (s *Service) busArn(name string) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:event-bus/%s", s.region, s.account, name)
}

func (s *Service) ruleArn(busName, name string) string {
	if busName == DefaultBus {
		return fmt.Sprintf("arn:aws:events:%s:%s:rule/%s", s.region, s.account, name)
	}
	return fmt.Sprintf("arn:aws:events:%s:%s:rule/%s/%s", s.region, s.account, busName, name)
}

func (s *Service) archiveArn(name string) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:archive/%s", s.region, s.account, name)
}

func (s *Service) replayArn(name string) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:replay/%s", s.region, s.account, name)
}

// busName resolves a bus name or ARN ("" is the default bus).
func busName(nameOrArn string) string {
	if nameOrArn == "" {
		return DefaultBus
	}
	if strings.HasPrefix(nameOrArn, "arn:") {
		if i := strings.Index(nameOrArn, ":event-bus/"); i >= 0 {
			return nameOrArn[i+len(":event-bus/"):]
		}
	}
	return nameOrArn
}

// arnService returns the service part of an ARN ("sqs", "lambda", ...).
func arnService(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[2]
}

// Errors.

// eventsErrors gives the HTTP status EventBridge sends with each error name this
// package reports. Every error is built with eventsErrors.New; errors_test.go
// checks that each code used has an entry.
var eventsErrors = awsproto.ErrorTable{
	"ResourceNotFoundException":      http.StatusBadRequest,
	"ValidationException":            http.StatusBadRequest,
	"ResourceAlreadyExistsException": http.StatusBadRequest,
	"InvalidEventPatternException":   http.StatusBadRequest,
	"LimitExceededException":         http.StatusBadRequest,
}

func notFound(format string, args ...any) error {
	return eventsErrors.New("ResourceNotFoundException", format, args...)
}

func validation(format string, args ...any) error {
	return eventsErrors.New("ValidationException", format, args...)
}

func alreadyExists(format string, args ...any) error {
	return eventsErrors.New("ResourceAlreadyExistsException", format, args...)
}

func invalidPattern(err error) error {
	return eventsErrors.New("InvalidEventPatternException", "%s", err.Error())
}

var (
	busNameRe  = regexp.MustCompile(`^[/\.\-_A-Za-z0-9]{1,256}$`)
	ruleNameRe = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,64}$`)
	archNameRe = regexp.MustCompile(`^[\.\-_A-Za-z0-9]{1,48}$`)
)

func checkName(value, field string, re *regexp.Regexp) error {
	if !re.MatchString(value) {
		pat := strings.TrimSuffix(strings.TrimPrefix(re.String(), "^"), "$")
		return validation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", value, field, pat)
	}
	return nil
}

// page returns the slice bounds for a list call and the next token.
func page(n int, token string, limit int) (int, int, string, error) {
	start := 0
	if token != "" {
		v, err := strconv.Atoi(token)
		if err != nil || v < 0 || v > n {
			return 0, 0, "", validation("The NextToken provided is invalid.")
		}
		start = v
	}
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	end := min(start+limit, n)
	next := ""
	if end < n {
		next = strconv.Itoa(end)
	}
	return start, end, next, nil
}

// Persistence.

type snapshot struct {
	Buses    []*bus     `json:"buses"`
	Archives []*archive `json:"archives"`
	Replays  []*replay  `json:"replays"`
}

func (s *Service) statePath() string { return filepath.Join(s.dataDir, "state.json") }

// save writes the control-plane state; callers hold s.mu for writing.
func (s *Service) save() error {
	if s.dataDir == "" {
		return nil
	}
	var snap snapshot
	for _, b := range s.buses {
		snap.Buses = append(snap.Buses, b)
	}
	for _, a := range s.archives {
		snap.Archives = append(snap.Archives, a)
	}
	for _, r := range s.replays {
		snap.Replays = append(snap.Replays, r)
	}
	sort.Slice(snap.Buses, func(i, j int) bool { return snap.Buses[i].Name < snap.Buses[j].Name })
	sort.Slice(snap.Archives, func(i, j int) bool { return snap.Archives[i].Name < snap.Archives[j].Name })
	sort.Slice(snap.Replays, func(i, j int) bool { return snap.Replays[i].Name < snap.Replays[j].Name })
	b, err := json.MarshalIndent(snap, "", " ")
	if err != nil {
		return fmt.Errorf("encode event bus state: %w", err)
	}
	if err := durable.WriteFile(s.statePath(), b, 0o644); err != nil {
		return fmt.Errorf("save event bus state: %w", err)
	}
	return nil
}

// load reads the state, archives and the journal of undelivered events.
func (s *Service) load() ([]*event, error) {
	if err := os.MkdirAll(s.dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create event bus data directory: %w", err)
	}
	b, err := os.ReadFile(s.statePath())
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read event bus state: %w", err)
	default:
		var snap snapshot
		if err := json.Unmarshal(b, &snap); err != nil {
			return nil, fmt.Errorf("parse event bus state %s: %w", s.statePath(), err)
		}
		for _, bs := range snap.Buses {
			if bs.Rules == nil {
				bs.Rules = map[string]*rule{}
			}
			for _, r := range bs.Rules {
				if r.EventPattern != "" {
					if r.pattern, err = eventpattern.Compile([]byte(r.EventPattern)); err != nil {
						return nil, fmt.Errorf("rule %s: %w", r.Arn, err)
					}
				}
			}
			s.buses[bs.Name] = bs
		}
		for _, a := range snap.Archives {
			if err := s.openArchive(a); err != nil {
				return nil, err
			}
			s.archives[a.Name] = a
		}
		for _, r := range snap.Replays {
			if r.State == replayStarting || r.State == replayRunning {
				r.State = replayFailed
				r.StateReason = "The replay was interrupted by a restart."
			}
			s.replays[r.Name] = r
		}
	}
	pending, events, err := openPendingLog(filepath.Join(s.dataDir, "pending.jsonl"), s.durability, s.log)
	if err != nil {
		return nil, err
	}
	s.pending = pending
	var resume []*event
	for _, rec := range events {
		ev, err := newEventFromRaw(rec.ID, rec.Bus, rec.Event, time.Unix(0, rec.At).UTC())
		if err != nil {
			s.log.Warn("skip unreadable journaled event", "id", rec.ID, "err", err)
			continue
		}
		ev.journaled = true
		ev.trace = rec.Trace
		resume = append(resume, ev)
	}
	return resume, nil
}
