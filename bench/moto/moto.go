// Package moto starts moto_server (the Python AWS mock) as a child process on
// a free loopback port, waits until it answers, and stops it again. The
// benchmarks use it as the baseline the local services are compared with.
//
// It does not install moto, reset its state between workloads or talk to any
// AWS service itself.
package moto

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// Server is a running moto_server.
type Server struct {
	// URL is the server's endpoint, http://127.0.0.1:PORT.
	URL string
	cmd *exec.Cmd
	// exited is closed when the process has been waited for.
	exited chan struct{}
	err    error
}

// ErrNotInstalled reports that moto_server is not on PATH.
var ErrNotInstalled = errors.New("moto_server not found on PATH (pip install 'moto[server]')")

// Start launches moto_server on a free 127.0.0.1 port and waits up to
// timeout for it to answer HTTP requests.
func Start(ctx context.Context, timeout time.Duration) (*Server, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, ErrNotInstalled
	}
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("find a free port for moto_server: %w", err)
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	// Own process group, so the Python process (behind any shim) is stopped
	// with it; killed if this process dies without stopping it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, exited: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	if err := s.wait(ctx, timeout); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// wait polls the server's dashboard endpoint until it answers.
func (s *Server) wait(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/moto-api/", nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("moto_server exited before it was ready: %v", s.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("moto_server at %s not ready after %v", s.URL, timeout)
		}
	}
}

// PID is the server's process id, which is also its process group id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Close stops the server's process group and waits for it to exit.
func (s *Server) Close() {
	pgid := s.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-s.exited:
		return
	case <-time.After(5 * time.Second):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-s.exited
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
