//go:build !unix

package lambdahost

import (
	"errors"
	"fmt"
	"io"
)

// pump logs the stream's lines until the process has exited.
func (o *output) pump() {
	defer o.w.logWG.Done()
	defer o.f.Close()
	for {
		n, err := o.f.Read(o.buf)
		o.mu.Lock()
		o.consumeLocked(o.buf[:n])
		o.mu.Unlock()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				o.w.log(fmt.Sprintf("lambdahost: reading the function's output failed: %v", err))
			}
			break
		}
	}
	o.mu.Lock()
	o.flushLocked()
	o.mu.Unlock()
}

// drain is best effort here: lines still in the pipe are logged when pump
// reads them.
func (o *output) drain() {}
