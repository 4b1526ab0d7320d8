package lambdahost

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"
)

// ErrorKind classifies how an invocation failed.
type ErrorKind int

// The ways an invocation can fail.
const (
	ErrorNone    ErrorKind = iota
	ErrorHandled           // the function returned an error
	ErrorTimeout           // the function ran past its timeout and was killed
	ErrorCrash             // the process exited during the invocation
	ErrorInit              // the runtime reported an initialization error
)

// worker is one running function process with its own Runtime API.
type worker struct {
	fn     *function
	api    *runtimeAPI
	cmd    *exec.Cmd
	stream string
	exited chan struct{}
	logWG  sync.WaitGroup
	// dead is set once the process is known to be gone or being killed; kill
	// and the invocation's goroutine write it while the pool reads it.
	dead atomic.Bool
	// idleTimer stops the process after Options.IdleTimeout in the idle
	// pool; guarded by fn.mu.
	idleTimer *time.Timer
	outputs   []*output // stdout and stderr
	tailMu    sync.Mutex
	tail      *tailBuffer // the current invocation's log lines, when asked for
}

func newStreamName(now time.Time) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("2006/01/02") + "/[$LATEST]" + hex.EncodeToString(b[:])
}

// startWorker starts a process for fn.
func startWorker(fn *function) (*worker, error) {
	api, err := newRuntimeAPI(fn.cfg.ARN, fn.host.opts.MaxResponseBytes)
	if err != nil {
		return nil, err
	}
	w := &worker{fn: fn, api: api, stream: newStreamName(fn.host.now()), exited: make(chan struct{})}
	cmd := exec.Command(fn.cfg.Binary)
	cmd.Dir = fn.cfg.WorkDir
	cmd.Env = fn.environment(api.addr(), w.stream)
	stdout, stdoutW, err := newOutput(w)
	if err != nil {
		api.close()
		return nil, err
	}
	stderr, stderrW, err := newOutput(w)
	if err != nil {
		api.close()
		stdout.f.Close()
		stdoutW.Close()
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = stdoutW, stderrW
	err = cmd.Start()
	stdoutW.Close() // the process has its own copies now
	stderrW.Close()
	if err != nil {
		api.close()
		stdout.f.Close()
		stderr.f.Close()
		return nil, fmt.Errorf("start %s (%s): %w", fn.cfg.Name, fn.cfg.Binary, err)
	}
	w.cmd = cmd
	w.outputs = []*output{stdout, stderr}
	w.logWG.Add(2)
	go stdout.pump()
	go stderr.pump()
	go func() {
		w.logWG.Wait()
		_ = cmd.Wait()
		api.close()
		close(w.exited)
	}()
	return w, nil
}

// drainOutput logs what the process has written so far.
func (w *worker) drainOutput() {
	for _, o := range w.outputs {
		o.drain()
	}
}

// captureTail starts keeping the log lines of an invocation for its tail.
func (w *worker) captureTail() {
	w.tailMu.Lock()
	w.tail = &tailBuffer{}
	w.tailMu.Unlock()
}

// takeTail stops keeping log lines and returns the last TailBytes of them.
func (w *worker) takeTail() string {
	w.tailMu.Lock()
	defer w.tailMu.Unlock()
	t := w.tail
	w.tail = nil
	if t == nil {
		return ""
	}
	return t.String()
}

// TailBytes is how much of an invocation's log the Invoke API returns with
// X-Amz-Log-Type: Tail.
const TailBytes = 4 << 10

// tailBuffer keeps the last TailBytes (at least) of the lines added.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) add(line string) {
	t.b = append(append(t.b, line...), '\n')
	if len(t.b) > 4*TailBytes {
		t.b = append(t.b[:0:0], t.b[len(t.b)-TailBytes:]...)
	}
}

func (t *tailBuffer) String() string {
	return string(t.b[max(0, len(t.b)-TailBytes):])
}

func (w *worker) log(msg string) {
	if sink := w.fn.host.opts.Logs; sink != nil {
		sink.AppendLog(w.fn.logGroup(), w.stream, w.fn.host.now(), msg)
	}
	w.tailMu.Lock()
	if w.tail != nil {
		w.tail.add(msg)
	}
	w.tailMu.Unlock()
}

// kill stops the process and waits until it has exited.
func (w *worker) kill() {
	w.dead.Store(true)
	if w.cmd.Process != nil {
		_ = w.cmd.Process.Kill()
	}
	<-w.exited
}

// alive reports whether the process is still running.
func (w *worker) alive() bool {
	if w.dead.Load() {
		return false
	}
	select {
	case <-w.exited:
		w.dead.Store(true)
		return false
	default:
		return true
	}
}

// invoke hands inv to the process and waits for its outcome, the deadline or the
// process's exit.
func (w *worker) invoke(ctx context.Context, inv *invocation) outcome {
	timer := time.NewTimer(time.Until(inv.deadline))
	defer timer.Stop()
	timedOut := func() outcome {
		w.kill()
		secs := w.fn.cfg.Timeout.Seconds()
		msg := fmt.Sprintf("%s %s Task timed out after %.2f seconds", w.fn.host.now().UTC().Format("2006-01-02T15:04:05.000Z"), inv.id, secs)
		w.log(msg)
		return outcome{payload: errorPayload(msg, "Sandbox.Timedout"), errorType: "Sandbox.Timedout", kind: ErrorTimeout}
	}
	crashed := func() outcome {
		w.dead.Store(true)
		state := "signal: killed"
		if w.cmd.ProcessState != nil {
			state = w.cmd.ProcessState.String()
		}
		msg := fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", inv.id, state)
		w.log(msg)
		return outcome{payload: errorPayload(msg, "Runtime.ExitError"), errorType: "Runtime.ExitError", kind: ErrorCrash}
	}
	cancelled := func() outcome {
		w.kill()
		return outcome{payload: errorPayload("invocation cancelled: "+ctx.Err().Error(), "Runtime.Cancelled"), errorType: "Runtime.Cancelled", kind: ErrorCrash}
	}
	// exited reports how the invocation ended once the process is gone: with
	// what the runtime reported just before exiting (an init error), if anything.
	exited := func() outcome {
		for {
			select {
			case rep := <-w.api.reports:
				if rep.init || rep.requestID == inv.id {
					w.dead.Store(true)
					return rep.out
				}
			default:
				return crashed()
			}
		}
	}
	// Hand over the invocation once the runtime asks for one, then wait for
	// its report. next is nil once handed over, which disables that case.
	next := w.api.next
	for {
		select {
		case next <- inv:
			next = nil
		case rep := <-w.api.reports:
			if rep.init {
				w.kill()
				return rep.out
			}
			if next != nil || rep.requestID != inv.id {
				continue // a report for no invocation in flight, or a late one for an earlier invocation
			}
			return rep.out
		case <-w.exited:
			return exited()
		case <-timer.C:
			return timedOut()
		case <-ctx.Done():
			return cancelled()
		}
	}
}

// baseEnvironment is the part of a function's environment that Lambda sets
// whatever the template says.
func baseEnvironment() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"TZ=:UTC",
		"LANG=en_US.UTF-8",
		"AWS_ACCESS_KEY_ID=local",
		"AWS_SECRET_ACCESS_KEY=local",
		"AWS_SESSION_TOKEN=local",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_INITIALIZATION_TYPE=on-demand",
		"AWS_EXECUTION_ENV=AWS_Lambda_provided.al2023",
		"_HANDLER=bootstrap",
		"AWS_XRAY_CONTEXT_MISSING=LOG_ERROR",
	}
}
