package cloud

import (
	"net/http"
	"sync"

	"github.com/dragons-dev/dragons/local/awsproto"
)

// faultInjector answers the next n requests to a handler with an error, for
// tests of client retries. It injects nothing unless armed.
type faultInjector struct {
	next  http.Handler
	write func(w http.ResponseWriter, e *awsproto.Error)

	mu    sync.Mutex
	left  int
	fault *awsproto.Error
}

func (f *faultInjector) arm(n int, e *awsproto.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.left, f.fault = n, e
}

func (f *faultInjector) remaining() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.left
}

func (f *faultInjector) take() *awsproto.Error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.left <= 0 {
		return nil
	}
	f.left--
	return f.fault
}

func (f *faultInjector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if e := f.take(); e != nil {
		f.write(w, e)
		return
	}
	f.next.ServeHTTP(w, r)
}

// InjectS3Faults makes the next n S3 requests that arrive over HTTP fail with
// the given S3 error code ("SlowDown" is a 503, anything else a 500). n = 0
// disarms it.
func (c *Cloud) InjectS3Faults(n int, code string) {
	status := http.StatusInternalServerError
	if code == "SlowDown" {
		status = http.StatusServiceUnavailable
	}
	c.s3Faults.arm(n, &awsproto.Error{Code: code, Message: "injected fault", Status: status})
}

// S3FaultsLeft reports how many armed S3 faults have not fired yet.
func (c *Cloud) S3FaultsLeft() int { return c.s3Faults.remaining() }
