package lambdahost

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/dragons-dev/dragons/local/awsproto"
	"github.com/dragons-dev/dragons/local/tracing"
)

// Payload limits, as Lambda enforces them.
const (
	MaxSyncPayload  = 6 << 20 // request and response of a RequestResponse invoke
	MaxAsyncPayload = 1 << 20 // request of an Event invoke
)

// Defaults of Options.
const (
	DefaultIdleTimeout      = 5 * time.Minute
	DefaultThrottleRetryFor = 5 * time.Minute
	// MaxThrottleBackoff caps the wait between throttled async attempts.
	MaxThrottleBackoff = 30 * time.Second
)

// LogSink receives function output, one line at a time.
type LogSink interface {
	AppendLog(group, stream string, t time.Time, message string)
}

// FunctionConfig describes one function.
type FunctionConfig struct {
	Name    string
	ARN     string
	Binary  string // path of the executable (the function's bootstrap)
	WorkDir string // working directory of the process; "" = the binary's directory
	Env     map[string]string
	Timeout time.Duration // default 3s
	Memory  int           // MB, default 128
	// ReservedConcurrency, when set, throttles invocations beyond that many
	// at once; 0 throttles every invocation, as Lambda does. nil: no
	// reservation (the host's MaxProcesses caps the processes).
	ReservedConcurrency *int
	LogGroup            string // default /aws/lambda/<name>
	// DeadLetterARN is the SQS queue of the function's DeadLetterConfig: an
	// async invocation that is finally given up receives its original event
	// there, with the message attributes RequestID, ErrorCode and ErrorMessage.
	DeadLetterARN string
	// OnFailure is the SQS queue of the function's EventInvokeConfig OnFailure
	// destination: it receives an invocation record (request and response
	// context and payloads) for an async invocation given up.
	OnFailure string
	// MaxRetryAttempts is how often a failed async invocation is retried, 0
	// to 2; nil means AWS's default, 2.
	MaxRetryAttempts *int
	// MaxEventAge is how long an async event is kept trying; 0 means AWS's
	// default, 6 hours. AWS accepts 60 s to 6 h; any positive value is used
	// here, so tests can use short ones.
	MaxEventAge time.Duration
}

// DefaultMaxEventAge is how long Lambda keeps an async event by default.
const DefaultMaxEventAge = 6 * time.Hour

// retries returns the function's async retry budget, within 0-2.
func (c FunctionConfig) retries() int {
	if c.MaxRetryAttempts == nil {
		return 2
	}
	return min(max(*c.MaxRetryAttempts, 0), 2)
}

func (c FunctionConfig) maxEventAge() time.Duration {
	if c.MaxEventAge <= 0 {
		return DefaultMaxEventAge
	}
	return c.MaxEventAge
}

// InvokeRecord describes a finished invocation, for tracing and metrics.
type InvokeRecord struct {
	Function  string
	ARN       string
	RequestID string
	Start     time.Time
	End       time.Time
	// TraceHeader is the X-Amzn-Trace-Id the caller sent, or a new trace (with
	// no Parent) when it sent none; ServiceSegment and
	// FunctionSegment are the ids the host used for the AWS::Lambda and
	// AWS::Lambda::Function segments (the function's Parent).
	TraceHeader     string
	ServiceSegment  string
	FunctionSegment string
	ErrorType       string
	Kind            ErrorKind
	ColdStart       bool
}

// Options configure a Host.
type Options struct {
	Region string
	// Endpoint is set as AWS_ENDPOINT_URL for functions (the local edge).
	Endpoint string
	// XRayDaemon is set as AWS_XRAY_DAEMON_ADDRESS.
	XRayDaemon string
	Logs       LogSink
	// MaxProcesses caps the processes of one function without reserved
	// concurrency; further invocations wait for one. Default 8.
	MaxProcesses int
	// MaxResponseBytes limits a response; default MaxSyncPayload.
	MaxResponseBytes int64
	// AsyncRetryDelay is the wait before the first async retry (doubled for the
	// second). AWS waits about a minute; default 1s. It is also the first wait
	// after a throttled async attempt, doubled each time up to MaxThrottleBackoff.
	AsyncRetryDelay time.Duration
	// ThrottleRetryFor bounds how long an async event whose attempts are
	// throttled (the function at its reserved concurrency) is kept trying.
	// Throttles do not count against MaxRetryAttempts; AWS keeps trying for
	// the event's maximum age (up to 6 hours), which is of no use on a
	// developer's machine, so here the event is given up after the smaller of
	// its maximum age and ThrottleRetryFor (default 5 minutes), with the
	// condition EventAgeExceeded.
	ThrottleRetryFor time.Duration
	// Logger receives what the host cannot return to a caller, such as a
	// failed delivery to a dead-letter queue; nil discards it.
	Logger *slog.Logger
	// IdleTimeout stops a process that has had no invocation for that long;
	// the next invocation starts a new one (a cold start). Default 5 minutes;
	// negative keeps idle processes until Close.
	IdleTimeout time.Duration
	// OnInvoke, when set, is called after every invocation.
	OnInvoke func(InvokeRecord)
	// Deliver sends a message to an SQS queue ARN with message attributes
	// (nil for none): a given-up async event to the function's dead-letter
	// queue, or an invocation record to its OnFailure destination.
	Deliver func(ctx context.Context, queueARN string, body []byte, attrs map[string]Attribute) error
	Now     func() time.Time
}

// Attribute is an SQS message attribute: its data type ("String" or
// "Number") and value.
type Attribute struct {
	DataType string
	Value    string
}

// Host runs functions.
type Host struct {
	opts    Options
	mu      sync.Mutex
	fns     map[string]*function // by name
	async   sync.WaitGroup
	stop    chan struct{}
	closing sync.Once
}

// New returns a Host.
func New(opts Options) *Host {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.MaxProcesses <= 0 {
		opts.MaxProcesses = 8
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = MaxSyncPayload
	}
	if opts.AsyncRetryDelay <= 0 {
		opts.AsyncRetryDelay = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ThrottleRetryFor <= 0 {
		opts.ThrottleRetryFor = DefaultThrottleRetryFor
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	return &Host{opts: opts, fns: map[string]*function{}, stop: make(chan struct{})}
}

func (h *Host) now() time.Time { return h.opts.Now() }

// function is a registered function and its pool of processes.
type function struct {
	host  *Host
	cfg   FunctionConfig
	slots chan struct{} // one per process allowed
	mu    sync.Mutex
	idle  []*worker
	busy  int
	all   map[*worker]bool
	fault Fault
}

func (f *function) logGroup() string {
	if f.cfg.LogGroup != "" {
		return f.cfg.LogGroup
	}
	return "/aws/lambda/" + f.cfg.Name
}

func (f *function) environment(runtimeAPI, stream string) []string {
	env := baseEnvironment()
	for k, v := range f.cfg.Env {
		env = append(env, k+"="+v)
	}
	h := f.host.opts
	env = append(env,
		"AWS_REGION="+h.Region,
		"AWS_DEFAULT_REGION="+h.Region,
		"AWS_LAMBDA_FUNCTION_NAME="+f.cfg.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(f.cfg.Memory),
		"AWS_LAMBDA_LOG_GROUP_NAME="+f.logGroup(),
		"AWS_LAMBDA_LOG_STREAM_NAME="+stream,
		"AWS_LAMBDA_RUNTIME_API="+runtimeAPI,
		"LAMBDA_TASK_ROOT="+f.cfg.WorkDir,
	)
	if h.Endpoint != "" {
		env = append(env, "AWS_ENDPOINT_URL="+h.Endpoint)
	}
	if h.XRayDaemon != "" {
		env = append(env, "AWS_XRAY_DAEMON_ADDRESS="+h.XRayDaemon)
	}
	return env
}

// AddFunction registers a function. Processes start on first use.
func (h *Host) AddFunction(cfg FunctionConfig) error {
	if cfg.Name == "" || cfg.Binary == "" {
		return fmt.Errorf("add function: name and binary are required")
	}
	if cfg.ARN == "" {
		cfg.ARN = fmt.Sprintf("arn:aws:lambda:%s:000000000000:function:%s", h.opts.Region, cfg.Name)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.Memory <= 0 {
		cfg.Memory = 128
	}
	n := h.opts.MaxProcesses
	if rc := cfg.ReservedConcurrency; rc != nil {
		if *rc < 0 {
			return fmt.Errorf("function %s: reserved concurrency %d is negative", cfg.Name, *rc)
		}
		n = *rc
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.fns[cfg.Name]; ok {
		old.shutdown()
	}
	h.fns[cfg.Name] = &function{host: h, cfg: cfg, slots: make(chan struct{}, n), all: map[*worker]bool{}}
	return nil
}

// Functions returns the registered function configurations, sorted by name.
func (h *Host) Functions() []FunctionConfig {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]FunctionConfig, 0, len(h.fns))
	for _, f := range h.fns {
		out = append(out, f.cfg)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// lookup finds a function by name, ARN or partial ARN.
func (h *Host) lookup(nameOrARN string) (*function, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if f, ok := h.fns[nameOrARN]; ok {
		return f, nil
	}
	for _, f := range h.fns {
		if f.cfg.ARN == nameOrARN || f.cfg.ARN+":$LATEST" == nameOrARN {
			return f, nil
		}
	}
	return nil, awsproto.Errorf(http.StatusNotFound, "ResourceNotFoundException", "Function not found: %s", nameOrARN)
}

// InvokeOptions are the optional parts of an invocation.
type InvokeOptions struct {
	TraceHeader   string // X-Amzn-Trace-Id of the caller
	ClientContext string // base64 client context
	// LogTail asks for the end of the invocation's log in Result.LogTail.
	LogTail bool
}

// Result is the outcome of a synchronous invocation.
type Result struct {
	RequestID string
	Payload   []byte
	// FunctionError is "Unhandled" when the function failed, as the Invoke API's
	// X-Amz-Function-Error header; ErrorType and Kind say how.
	FunctionError string
	ErrorType     string
	Kind          ErrorKind
	// LogTail is the last TailBytes of the invocation's log lines (START to
	// REPORT), when InvokeOptions.LogTail asked for them.
	LogTail string
}

// Invoke runs one synchronous invocation. Errors are *awsproto.Error values for the
// Invoke API's own failures (unknown function, throttling, payload too large);
// function failures are reported in the Result.
func (h *Host) Invoke(ctx context.Context, name string, payload []byte, o InvokeOptions) (*Result, error) {
	f, err := h.lookup(name)
	if err != nil {
		return nil, err
	}
	if len(payload) > MaxSyncPayload {
		return nil, tooLarge(MaxSyncPayload, "InvokeFunction")
	}
	return f.invoke(ctx, payload, o, "")
}

func newRequestID() string { return awsproto.NewRequestID() }

func newSegmentID() string { return tracing.NewSegmentID() }

// invoke runs one invocation in a process of f, with the given request id
// ("" = a new one; retries of an async event keep its id, as in Lambda).
func (f *function) invoke(ctx context.Context, payload []byte, o InvokeOptions, requestID string) (*Result, error) {
	if requestID == "" {
		requestID = newRequestID()
	}
	if f.cfg.ReservedConcurrency != nil {
		select {
		case f.slots <- struct{}{}:
		default:
			return nil, &awsproto.Error{Code: "TooManyRequestsException", Message: "Rate Exceeded.", Status: http.StatusTooManyRequests, Sender: true,
				Header: http.Header{"Retry-After": {"1"}}}
		}
	} else {
		select {
		case f.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for a %s process: %w", f.cfg.Name, ctx.Err())
		}
	}
	defer func() { <-f.slots }()

	w, cold, err := f.acquire()
	if err != nil {
		return nil, err
	}
	rec := InvokeRecord{
		Function: f.cfg.Name, ARN: f.cfg.ARN, RequestID: requestID,
		Start: f.host.now(), TraceHeader: callerTrace(o.TraceHeader, f.host.now()), ColdStart: cold,
		ServiceSegment: newSegmentID(), FunctionSegment: newSegmentID(),
	}
	inv := &invocation{
		id:       rec.RequestID,
		payload:  payload,
		deadline: rec.Start.Add(f.cfg.Timeout),
		trace:    runtimeTraceHeader(rec.TraceHeader, rec.FunctionSegment),
		client:   o.ClientContext,
	}
	if o.LogTail {
		w.captureTail()
	}
	w.log(fmt.Sprintf("START RequestId: %s Version: $LATEST", inv.id))
	var out outcome
	switch crash, fail := f.takeFault(); {
	case fail != "":
		out = injectedFailure(fail)
	case crash:
		w.kill()
		out = w.invoke(ctx, inv)
	default:
		out = w.invoke(ctx, inv)
	}
	rec.End = f.host.now()
	w.drainOutput()
	w.log(fmt.Sprintf("END RequestId: %s", inv.id))
	dur := rec.End.Sub(rec.Start)
	w.log(fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB",
		inv.id, float64(dur.Microseconds())/1000, dur.Milliseconds()+1, f.cfg.Memory, maxRSSMB(w)))
	tail := w.takeTail()
	f.release(w)
	rec.ErrorType, rec.Kind = out.errorType, out.kind
	if f.host.opts.OnInvoke != nil {
		f.host.opts.OnInvoke(rec)
	}
	res := &Result{RequestID: inv.id, Payload: out.payload, ErrorType: out.errorType, Kind: out.kind, LogTail: tail}
	if out.kind != ErrorNone {
		res.FunctionError = "Unhandled"
	}
	return res, nil
}

// acquire returns an idle process or starts a new one.
func (f *function) acquire() (*worker, bool, error) {
	f.mu.Lock()
	for len(f.idle) > 0 {
		w := f.idle[len(f.idle)-1]
		f.idle = f.idle[:len(f.idle)-1]
		if w.idleTimer != nil {
			w.idleTimer.Stop()
			w.idleTimer = nil
		}
		if w.alive() {
			f.busy++
			f.mu.Unlock()
			return w, false, nil
		}
		delete(f.all, w)
	}
	f.busy++
	f.mu.Unlock()
	w, err := startWorker(f)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		f.busy--
		return nil, false, &awsproto.Error{Code: "ServiceException", Message: err.Error(), Status: http.StatusInternalServerError}
	}
	f.all[w] = true
	return w, true, nil
}

func (f *function) release(w *worker) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.busy--
	if w.alive() {
		f.idle = append(f.idle, w)
		if d := f.host.opts.IdleTimeout; d > 0 {
			w.idleTimer = time.AfterFunc(d, func() { f.reap(w) })
		}
		return
	}
	delete(f.all, w)
}

// reap stops w if it is still idle (an invocation may have taken it since its
// idle timer fired).
func (f *function) reap(w *worker) {
	f.mu.Lock()
	i := slices.Index(f.idle, w)
	if i < 0 {
		f.mu.Unlock()
		return
	}
	f.idle = slices.Delete(f.idle, i, i+1)
	delete(f.all, w)
	w.idleTimer = nil
	f.mu.Unlock()
	w.kill()
}

func (f *function) shutdown() {
	f.mu.Lock()
	ws := make([]*worker, 0, len(f.all))
	for w := range f.all {
		ws = append(ws, w)
		if w.idleTimer != nil {
			w.idleTimer.Stop()
			w.idleTimer = nil
		}
	}
	f.idle = nil
	f.mu.Unlock()
	for _, w := range ws {
		w.kill()
	}
}

// Close stops every process and waits for async invocations in flight. It may
// be called more than once.
func (h *Host) Close() {
	h.closing.Do(func() { close(h.stop) })
	h.async.Wait()
	h.mu.Lock()
	fns := make([]*function, 0, len(h.fns))
	for _, f := range h.fns {
		fns = append(fns, f)
	}
	h.mu.Unlock()
	for _, f := range fns {
		f.shutdown()
	}
}
