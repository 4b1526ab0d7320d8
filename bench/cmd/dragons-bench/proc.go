package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dragons-dev/dragons/local/durable"
)

// serveServices is the child side of startLocalProcess: it serves the local
// S3, SQS and EventBridge on an edge, prints "URL <edge url>" and runs until
// its standard input closes or it is told to stop.
func serveServices(dataDir string, level durable.Level, cpuprofile string) int {
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "serve services:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "serve services:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	b, err := localBackend("local", dataDir, level)
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve services:", err)
		return 1
	}
	defer b.close()
	fmt.Printf("URL %s\n", *b.cfg.BaseEndpoint)
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(done)
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	select {
	case <-done:
	case <-sig:
	}
	return 0
}

// startLocalProcess runs the local services in a child process (this
// program with -serve-services), so that, like moto_server, they have their
// own process whose CPU time can be measured apart from the clients'.
// profile, when not empty, is the file for the process's CPU profile.
func startLocalProcess(ctx context.Context, name, dataDir string, level durable.Level, profile string) (*backend, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this program: %w", err)
	}
	cmd := exec.Command(exe, "-serve-services", "-serve-data-dir", dataDir, "-serve-cpuprofile", profile, fmt.Sprintf("-serve-fsync=%t", level == durable.Disk))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the services process: %w", err)
	}
	stop := func() {
		_ = stdin.Close()
		waited := make(chan struct{})
		go func() {
			_ = cmd.Wait()
			close(waited)
		}()
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-waited
		}
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	select {
	case line := <-lines:
		url, ok := strings.CutPrefix(line, "URL ")
		if !ok {
			stop()
			return nil, fmt.Errorf("services process said %q", line)
		}
		return &backend{name: name, depth: localReceiveDepth, cfg: sdkConfig(url), pgid: cmd.Process.Pid, close: stop}, nil
	case <-time.After(30 * time.Second):
		stop()
		return nil, fmt.Errorf("services process did not start within 30s")
	case <-ctx.Done():
		stop()
		return nil, ctx.Err()
	}
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat; it is
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// groupCPU sums the user and system CPU time of every process in process
// group pgid, from /proc. It returns -1 when /proc cannot be read.
func groupCPU(pgid int) time.Duration {
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil || len(dirs) == 0 {
		return -1
	}
	var ticks int64
	for _, d := range dirs {
		stat, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 {
			continue
		}
		// After the command name: state ppid pgrp session tty tpgid flags
		// minflt cminflt majflt cmajflt utime stime ...
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 13 {
			continue
		}
		if g, _ := strconv.Atoi(f[2]); g != pgid {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + s
	}
	return time.Duration(ticks) * time.Second / clockTicks
}
