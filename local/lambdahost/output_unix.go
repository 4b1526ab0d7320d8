//go:build unix

package lambdahost

import (
	"errors"
	"fmt"
	"syscall"
)

// pump logs the stream's lines until the process and any children holding the
// pipe have exited. Reads happen with o.mu held so that drain can take every
// byte already written without racing with pump.
func (o *output) pump() {
	defer o.w.logWG.Done()
	defer o.f.Close()
	rc, err := o.f.SyscallConn()
	if err == nil {
		err = rc.Read(func(fd uintptr) bool {
			o.mu.Lock()
			defer o.mu.Unlock()
			return o.readLocked(fd)
		})
	}
	if err != nil {
		o.w.log(fmt.Sprintf("lambdahost: reading the function's output failed: %v", err))
	}
	o.mu.Lock()
	o.flushLocked()
	o.mu.Unlock()
}

// readLocked reads what the pipe holds without blocking; it reports true at the
// end of the stream.
func (o *output) readLocked(fd uintptr) (done bool) {
	for {
		n, err := syscall.Read(int(fd), o.buf)
		switch {
		case n > 0:
			o.consumeLocked(o.buf[:n])
		case errors.Is(err, syscall.EINTR):
		case errors.Is(err, syscall.EAGAIN):
			return false
		default: // end of stream, or a broken pipe
			return true
		}
	}
}

// drain logs every complete line the process has written so far. Called when
// the runtime has reported an invocation's result, it puts the function's own
// output before the END line, as Lambda does.
func (o *output) drain() {
	o.mu.Lock()
	defer o.mu.Unlock()
	rc, err := o.f.SyscallConn()
	if err != nil {
		return // the pipe is closed: pump has logged everything
	}
	_ = rc.Control(func(fd uintptr) { o.readLocked(fd) })
}
