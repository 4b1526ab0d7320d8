// Command dragons-bench measures the local cloud against baselines run in the
// same process and prints the ratios: the data and messaging services against
// moto_server (issue 3), the Step Functions engine and API against a no-op
// API round trip (issue 4), and the dragons application on the local cloud
// against a bare net/http server (issue 5).
//
// It prints numbers and whether each goal is met; it never fails because a
// goal is missed. It exits non-zero only when a measurement could not be made.
//
// Usage (from the module root; `make bench` runs it):
//
//	go run ./bench/cmd/dragons-bench [-duration 2s] [-concurrency 8] [-parts services,engine,app]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/dragons-dev/dragons/bench/load"
	"github.com/dragons-dev/dragons/local/durable"
)

// options are the command-line settings shared by every part.
type options struct {
	duration    time.Duration
	warmup      time.Duration
	concurrency int
	parts       map[string]bool
	root        string // module root (for go test and template.yaml)
	only        string // run only workloads whose name contains this
	percentiles bool   // print each issue 3 workload's latency distribution
	memprofile  string // heap profile of the local cloud, written when it is idle
	serverProf  string // directory for CPU profiles of the issue 3 services processes
}

func (o options) load() load.Config {
	return load.Config{Workers: o.concurrency, Duration: o.duration, Warmup: o.warmup}
}

func main() {
	var o options
	parts := flag.String("parts", "services,engine,app", "comma-separated parts to run: services (issue 3), engine (issue 4), app (issue 5)")
	flag.DurationVar(&o.duration, "duration", 2*time.Second, "measured time per workload")
	flag.DurationVar(&o.warmup, "warmup", 300*time.Millisecond, "unmeasured warm-up per workload")
	flag.IntVar(&o.concurrency, "concurrency", 8, "concurrent clients per workload")
	flag.StringVar(&o.root, "root", ".", "module root")
	flag.BoolVar(&o.percentiles, "percentiles", false, "print the latency distribution of each issue 3 workload (on stderr)")
	flag.StringVar(&o.only, "only", "", "run only the issue 3 workloads whose name contains this text")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.StringVar(&o.memprofile, "memprofile", "", "write a heap profile of the idle local cloud (after the issue 5 workloads) to this file")
	serve := flag.Bool("serve-services", false, "internal: serve the local S3, SQS and EventBridge for the issue 3 workloads")
	serveDir := flag.String("serve-data-dir", "", "internal: data directory of -serve-services (empty: in memory)")
	serveProf := flag.String("serve-cpuprofile", "", "internal: CPU profile file of -serve-services")
	serveFsync := flag.Bool("serve-fsync", false, "internal: -serve-services syncs every write to the disk (dragons up --fsync)")
	serveBare := flag.Bool("serve-bare", false, "internal: -serve-services serves the bare ceiling server instead")
	flag.StringVar(&o.serverProf, "server-cpuprofile", "", "write CPU profiles of the issue 3 services processes into this directory (memory.prof, datadir.prof)")
	flag.Parse()
	if *serve {
		spec := serverSpec{dataDir: *serveDir, bare: *serveBare}
		if *serveFsync {
			spec.level = durable.Disk
		}
		os.Exit(serveServices(spec, *serveProf))
	}
	o.parts = map[string]bool{}
	for _, p := range strings.Split(*parts, ",") {
		if p = strings.TrimSpace(p); p != "" {
			o.parts[p] = true
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "dragons-bench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "dragons-bench:", err)
			os.Exit(1)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	if err := run(ctx, o); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "dragons-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	start := time.Now()
	fmt.Printf("# dragons-bench %s\n\n", start.UTC().Format(time.RFC3339))
	fmt.Printf("machine: %s/%s, %d CPUs, GOMAXPROCS=%d, %s; load average at start: %s\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), loadAvg())
	fmt.Printf("settings: concurrency %d, %v measured per workload after %v warm-up\n\n", o.concurrency, o.duration, o.warmup)
	var failed []string
	step := func(name string, f func(context.Context, options) error) {
		if !o.parts[name] {
			return
		}
		if err := f(ctx, o); err != nil {
			fmt.Printf("\n**%s: not measured: %v**\n\n", name, err)
			failed = append(failed, name)
		}
	}
	step("services", benchServices)
	step("engine", benchEngine)
	step("app", benchApp)
	fmt.Printf("load average at end: %s; total time %v\n", loadAvg(), time.Since(start).Round(time.Second))
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
	if len(failed) > 0 {
		return fmt.Errorf("parts not measured: %s", strings.Join(failed, ", "))
	}
	return nil
}

// loadAvg returns the 1, 5 and 15 minute load averages from /proc/loadavg.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// progress reports what is running, on stderr, so stdout holds only results.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "... "+format+"\n", args...)
}
