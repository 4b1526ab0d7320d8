package lambdahost

import (
	"bytes"
	"fmt"
	"os"
	"sync"
)

// maxLine is the longest output line kept whole; a longer one is split.
const maxLine = 256 << 10

// output turns one of a process's output streams into log lines.
type output struct {
	w       *worker
	f       *os.File // the read end of the process's stdout or stderr
	mu      sync.Mutex
	partial []byte // the start of a line whose end has not arrived
	buf     []byte
}

// newOutput returns a pipe for a process's output stream and the output that
// reads its other end; the caller passes the write end to the process and
// closes it once the process has started.
func newOutput(w *worker) (*output, *os.File, error) {
	r, wr, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("output pipe for %s: %w", w.fn.cfg.Name, err)
	}
	return &output{w: w, f: r, buf: make([]byte, 32<<10)}, wr, nil
}

// consumeLocked logs the complete lines of b, keeping a trailing partial line.
func (o *output) consumeLocked(b []byte) {
	o.partial = append(o.partial, b...)
	for {
		i := bytes.IndexByte(o.partial, '\n')
		if i < 0 {
			if len(o.partial) >= maxLine {
				i = maxLine
			} else {
				break
			}
		}
		o.w.log(string(bytes.TrimSuffix(o.partial[:i], []byte("\r"))))
		o.partial = o.partial[min(i+1, len(o.partial)):]
	}
	if len(o.partial) == 0 {
		o.partial = o.partial[:0:0] // let a large buffer go
	}
}

// flushLocked logs a final line that had no newline.
func (o *output) flushLocked() {
	if len(o.partial) > 0 {
		o.w.log(string(o.partial))
		o.partial = nil
	}
}
