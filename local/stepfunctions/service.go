package stepfunctions

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dragons-dev/dragons/local/durable"
	"github.com/dragons-dev/dragons/local/epochtime"

	"github.com/dragons-dev/dragons/local/asl"
	"github.com/dragons-dev/dragons/local/awsproto"
	"github.com/dragons-dev/dragons/local/sfntest"
)

// Account is the account id in every local ARN.
const Account = "000000000000"

// TargetPrefix is the X-Amz-Target prefix of the Step Functions API.
const TargetPrefix = "AWSStepFunctions"

// SigV4Service is the service name in the SigV4 credential scope.
const SigV4Service = "states"

// maxStateData is Step Functions' limit on execution input and output.
const maxStateData = 256 * 1024

// Options configure a Service.
type Options struct {
	// Region goes into ARNs; empty means us-east-1.
	Region string
	// DataDir holds state machines, Standard execution records and the
	// journal of Express executions; "" keeps everything in memory.
	DataDir string
	// Durability is how far an accepted Express execution's record
	// travels before StartExecution answers (with DataDir); the zero value,
	// durable.Process, survives kill -9.
	Durability durable.Level
	// Clock is the executions' time source (Wait states, retries, timeouts,
	// timestamps); nil is the system clock.
	Clock asl.Clock

	// Integrations; each may be nil.
	Lambda  LambdaInvoker
	Objects ObjectStore
	Queues  QueueSender
	Events  EventPublisher

	// MockConfig, when set, lets StartExecution and StartSyncExecution run a
	// test case of a Step Functions Local mock configuration: the state
	// machine ARN "ARN#TestCase" answers the tasks the test case mocks with
	// its mocked responses (the others run for real).
	MockConfig *sfntest.MockConfig

	// Logs receives execution logs per each machine's loggingConfiguration.
	Logs LogSink
	// Tracer receives an AWS::StepFunctions::StateMachine segment per traced
	// execution.
	Tracer Tracer
	// Log reports internal problems (a record that cannot be persisted);
	// nil discards them.
	Log *slog.Logger

	// HoldRecovery, with DataDir, keeps the work found at startup (Express
	// executions that had not finished, Standard executions parked in a
	// Wait state) until Recover is called, so that the caller can first make
	// the integrations ready (deploy the functions the workflows call).
	// Without it, New starts that work itself.
	HoldRecovery bool
}

// Service is the local Step Functions. It is safe for concurrent use.
type Service struct {
	opts  Options
	clock asl.Clock
	log   *slog.Logger
	api   *awsproto.JSONService
	store *store // nil without DataDir
	// journal records accepted Express executions (nil without DataDir).
	journal *expressJournal
	// recovered and recoveredParked are the work found at startup,
	// waiting for Recover.
	recovered       []expressRecord
	recoveredParked []*parked
	recoverOnce     sync.Once
	// wakeups resumes Standard executions parked in Wait states.
	wakeups *wakeups

	mu         sync.RWMutex
	machines   map[string]*machine   // by ARN
	executions map[string]*execution // Standard executions by ARN
	byMachine  map[string][]*execution
	closed     bool

	// running tracks every running execution (Standard and Express) so
	// Close can stop them and wait.
	runCtx  context.Context
	stopAll context.CancelFunc
	wg      sync.WaitGroup
}

// New returns a Service, loading any state found under opts.DataDir.
func New(opts Options) (*Service, error) {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	s := &Service{
		opts:       opts,
		clock:      opts.Clock,
		log:        opts.Log,
		machines:   map[string]*machine{},
		executions: map[string]*execution{},
		byMachine:  map[string][]*execution{},
	}
	if s.clock == nil {
		s.clock = asl.SystemClock{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.runCtx, s.stopAll = context.WithCancel(context.Background())
	s.wakeups = newWakeups(s.clock, s.wake)
	if opts.DataDir != "" {
		s.store = &store{dir: opts.DataDir}
		if err := s.load(); err != nil {
			return nil, err
		}
		j, pending, err := openExpressJournal(filepath.Join(opts.DataDir, "express.journal"), opts.Durability, s.log)
		if err != nil {
			return nil, fmt.Errorf("open the Express journal: %w", err)
		}
		s.journal, s.recovered = j, pending
	}
	s.api = &awsproto.JSONService{
		Version: "1.0",
		Ops: map[string]awsproto.Operation{
			"CreateStateMachine":   awsproto.Op(s.CreateStateMachine),
			"UpdateStateMachine":   awsproto.Op(s.UpdateStateMachine),
			"DescribeStateMachine": awsproto.Op(s.DescribeStateMachine),
			"ListStateMachines":    awsproto.Op(s.ListStateMachines),
			"DeleteStateMachine":   awsproto.Op(s.DeleteStateMachine),
			"StartExecution":       awsproto.Op(s.StartExecution),
			"StartSyncExecution":   awsproto.Op(s.StartSyncExecution),
			"DescribeExecution":    awsproto.Op(s.DescribeExecution),
			"GetExecutionHistory":  awsproto.Op(s.GetExecutionHistory),
			"ListExecutions":       awsproto.Op(s.ListExecutions),
			"StopExecution":        awsproto.Op(s.StopExecution),
			"TestState":            awsproto.Op(s.TestState),
		},
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.wakeups.run(s.runCtx)
	}()
	if !opts.HoldRecovery {
		s.Recover()
	}
	return s, nil
}

// Recover starts the work found under DataDir at startup: it runs again,
// with the same execution ARN, name and input, every Express execution that
// had been accepted and had not finished (at-least-once, as AWS runs Express
// executions), and queues the Standard executions that were waiting in a
// Wait state (those whose wait has passed resume at once). New calls it
// unless Options.HoldRecovery is set; later calls do nothing.
func (s *Service) Recover() {
	s.recoverOnce.Do(func() {
		pending, parkedList := s.recovered, s.recoveredParked
		s.recovered, s.recoveredParked = nil, nil
		for _, p := range parkedList {
			s.wakeups.add(p)
		}
		for _, rec := range pending {
			s.rerunExpress(rec)
		}
	})
}

// ServeHTTP implements http.Handler.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.api.ServeHTTP(w, r) }

// Close stops every running execution, waits for them and releases the
// service. Standard executions in a state end ABORTED; those parked in a Wait
// state stay RUNNING in the data directory, to resume after a restart
// (without a data directory they end ABORTED too). Express executions cut
// short stay journaled, to run again. It is safe to call more than once.
func (s *Service) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	var parkedList []*execution
	for _, ex := range s.executions {
		ex.mu.Lock()
		if ex.status == StatusRunning {
			ex.stopErr, ex.stopCause = asl.ErrRuntime, causeServiceStopped
			if ex.parked != nil {
				parkedList = append(parkedList, ex)
			}
		}
		ex.mu.Unlock()
	}
	s.mu.Unlock()
	s.stopAll()
	s.wg.Wait()
	if s.store == nil {
		for _, ex := range parkedList {
			ex.mu.Lock()
			p := ex.parked
			ex.parked = nil
			ex.mu.Unlock()
			if p != nil {
				s.abortWaiting(ex, p)
			}
		}
	}
	if s.journal != nil {
		if err := s.journal.close(); err != nil {
			return err
		}
	}
	return nil
}

// Region returns the service's region.
func (s *Service) Region() string { return s.opts.Region }

// StateMachineARN returns the ARN a state machine named name has.
func (s *Service) StateMachineARN(name string) string {
	return "arn:aws:states:" + s.opts.Region + ":" + Account + ":stateMachine:" + name
}

// ---- errors in the shapes the SDKs decode ----

func apiErr(code, format string, args ...any) error {
	return awsproto.Errorf(http.StatusBadRequest, code, format, args...)
}

func errInvalidArn(arn string) error { return apiErr("InvalidArn", "Invalid Arn: '%s'", arn) }

func errMachineMissing(arn string) error {
	return apiErr("StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", arn)
}

func errExecutionMissing(arn string) error {
	return apiErr("ExecutionDoesNotExist", "Execution Does Not Exist: '%s'", arn)
}

func errExpressArn() error {
	return apiErr("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: express'")
}

func errTypeNotSupported() error {
	return apiErr("StateMachineTypeNotSupported", "This operation is not supported by this type of state machine")
}

func errValidation(format string, args ...any) error {
	return apiErr("ValidationException", format, args...)
}

// ---- names and ARNs ----

// validName reports whether name is a valid state machine or execution name:
// 1 to 80 characters, none of them white space, brackets, wildcards, the
// special characters " # % \ ^ | ~ ` $ & , ; : / or control characters.
func validName(name string) bool {
	if name == "" || len([]rune(name)) > 80 {
		return false
	}
	for _, r := range name {
		if r <= 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x85 || r == 0xa0 || r == 0x1680 || (r >= 0x2000 && r <= 0x200a) || r == 0x2028 || r == 0x2029 || r == 0x202f || r == 0x205f || r == 0x3000 {
			return false
		}
		if strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) {
			return false
		}
	}
	return true
}

// arnParts splits an arn:aws:states:REGION:ACCOUNT:TYPE:... ARN.
type arnParts struct {
	region, account, kind string
	rest                  []string
}

func parseStatesARN(arn string) (arnParts, bool) {
	parts := strings.Split(arn, ":")
	if len(parts) < 7 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[2] != "states" || parts[3] == "" || parts[4] == "" {
		return arnParts{}, false
	}
	for _, p := range parts[6:] {
		if p == "" {
			return arnParts{}, false
		}
	}
	return arnParts{region: parts[3], account: parts[4], kind: parts[5], rest: parts[6:]}, true
}

// checkMachineARN validates the shape of a state machine ARN.
func checkMachineARN(arn string) error {
	p, ok := parseStatesARN(arn)
	if !ok || p.kind != "stateMachine" || len(p.rest) != 1 {
		return errInvalidArn(arn)
	}
	return nil
}

// checkExecutionARN validates the shape of an execution ARN and rejects
// Express execution ARNs the way AWS does for the Standard-only operations.
func checkExecutionARN(arn string) error {
	p, ok := parseStatesARN(arn)
	if !ok {
		return errInvalidArn(arn)
	}
	switch {
	case p.kind == "express" && len(p.rest) == 3:
		return errExpressArn()
	case p.kind == "execution" && len(p.rest) == 2:
		return nil
	}
	return errInvalidArn(arn)
}

// ---- timestamps ----

// epoch is a timestamp in the JSON protocol's form: seconds since the epoch.
type epoch = epochtime.Time

func ptrEpoch(t time.Time) *epoch {
	if t.IsZero() {
		return nil
	}
	e := epoch(t)
	return &e
}

// decodeInput parses an execution input ("" means {}), enforcing the state
// data limit.
func decodeInput(in *string) (string, any, error) {
	if in == nil || strings.TrimSpace(*in) == "" {
		return "{}", map[string]any{}, nil
	}
	if len(*in) > maxStateData {
		return "", nil, apiErr("InvalidExecutionInput", "The input exceeds the maximum size of %d bytes", maxStateData)
	}
	var v any
	if err := json.Unmarshal([]byte(*in), &v); err != nil {
		return "", nil, apiErr("InvalidExecutionInput", "Invalid State Machine Execution Input: '%v'", err)
	}
	return *in, v, nil
}

func errClosed() error {
	return awsproto.Errorf(http.StatusServiceUnavailable, "ServiceUnavailable", "the local Step Functions service is shutting down")
}
