package main

import (
	"bufio"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
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
func serveServices(spec serverSpec, cpuprofile string) int {
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
	var url string
	if spec.bare {
		u, stop, err := startBare()
		if err != nil {
			fmt.Fprintln(os.Stderr, "serve bare:", err)
			return 1
		}
		defer stop()
		url = u
	} else {
		b, err := localBackend("local", spec.dataDir, spec.level)
		if err != nil {
			fmt.Fprintln(os.Stderr, "serve services:", err)
			return 1
		}
		defer b.close()
		url = *b.cfg.BaseEndpoint
	}
	fmt.Printf("URL %s\n", url)
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
// serverSpec says what a services process serves: the local services
// (in memory when dataDir is "") or the bare ceiling server.
type serverSpec struct {
	dataDir string
	level   durable.Level
	bare    bool
}

// profile, when not empty, is the file for the process's CPU profile.
func startLocalProcess(ctx context.Context, name string, spec serverSpec, profile string) (*backend, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this program: %w", err)
	}
	cmd := exec.Command(exe, "-serve-services", "-serve-data-dir", spec.dataDir, "-serve-cpuprofile", profile,
		fmt.Sprintf("-serve-fsync=%t", spec.level == durable.Disk), fmt.Sprintf("-serve-bare=%t", spec.bare))
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
		return &backend{name: name, depth: localReceiveDepth, ceiling: spec.bare, cfg: sdkConfig(url), pgid: cmd.Process.Pid, close: stop}, nil
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

// ceilingWorkload reports whether the bare server can answer workload.
func ceilingWorkload(name string) bool {
	return strings.HasPrefix(name, "S3 PutObject") || strings.HasPrefix(name, "S3 GetObject")
}

// startBare serves the ceiling: a net/http server that answers S3 PUTs
// (any bucket or key; the body is read and hashed for the ETag, as a store
// must) and GETs (always the workloads' 1 KiB object, with the CRC32 the SDK
// validates), and stores nothing. It returns the URL and a stop function.
func startBare() (string, func(), error) {
	sum := crc32.ChecksumIEEE(kib)
	crc := base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, sum))
	md := md5.Sum(kib)
	etag := `"` + hex.EncodeToString(md[:]) + `"`
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Amz-Request-Id", "0")
		if r.Method == http.MethodPut {
			hash := md5.New()
			_, _ = io.Copy(hash, r.Body)
			h.Set("ETag", `"`+hex.EncodeToString(hash.Sum(nil))+`"`)
			h.Set("Content-Length", "0")
			return
		}
		h.Set("ETag", etag)
		h.Set("Content-Type", "binary/octet-stream")
		h.Set("Content-Length", strconv.Itoa(len(kib)))
		h.Set("X-Amz-Checksum-Crc32", crc)
		h.Set("X-Amz-Checksum-Type", "FULL_OBJECT")
		_, _ = w.Write(kib)
	})}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// selfCPU is this process's user and system CPU time (the clients, during
// the issue 3 workloads: the servers run in other processes).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
