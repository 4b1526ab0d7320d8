// Package crashtest runs a test binary's own helper test as a child process,
// for tests that kill it with SIGKILL and then check what survived on disk.
package crashtest

import (
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// Child is a running helper process.
type Child struct {
	// Stdout is the child's standard output, where helpers report what
	// they acknowledged.
	Stdout io.Reader
	cmd    *exec.Cmd
}

// Start runs the current test binary with only the test named helper
// selected, env added to its environment and its standard error passed
// through. The child is killed when the test ends, if it still runs.
func Start(t testing.TB, helper string, env ...string) *Child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+helper+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("start %s: %v", helper, err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", helper, err)
	}
	c := &Child{Stdout: stdout, cmd: cmd}
	t.Cleanup(func() {
		_ = c.Kill()
		c.Wait()
	})
	return c
}

// Kill sends SIGKILL without waiting; read Stdout to its end, then Wait.
func (c *Child) Kill() error { return c.cmd.Process.Signal(syscall.SIGKILL) }

// Wait waits for the child to exit; its exit status (killed, as a rule) is
// not an error here.
func (c *Child) Wait() { _ = c.cmd.Wait() }
