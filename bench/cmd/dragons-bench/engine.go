package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/dragons-dev/dragons/bench/load"
	"github.com/dragons-dev/dragons/local/edge"
	"github.com/dragons-dev/dragons/local/stepfunctions"
)

func benchEngine(ctx context.Context, o options) error {
	fmt.Print("## Issue 4: the ASL engine and the Step Functions API\n\n")
	engineErr := engineBenchmarks(ctx, o)
	if engineErr != nil {
		fmt.Printf("engine benchmarks not measured: %v\n\n", engineErr)
	}
	apiErr := apiBenchmarks(ctx, o)
	if engineErr != nil {
		return engineErr
	}
	return apiErr
}

// engineBenchmarks runs the go test benchmarks of the engine on one core
// and those of the service (when it has any) with the default GOMAXPROCS,
// and prints them.
func engineBenchmarks(ctx context.Context, o options) error {
	fmt.Print("### Package benchmarks (go test -bench)\n\n")
	metrics := map[string]map[string]float64{} // benchmark (without -N) -> unit -> value
	runs := [][]string{{"-cpu", "1", "./local/asl/"}}
	if hasBenchmarks(filepath.Join(o.root, "local", "stepfunctions")) {
		runs = append(runs, []string{"./local/stepfunctions/"})
	}
	for _, extra := range runs {
		args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchtime", "1s", "-count", "1"}, extra...)
		if err := goBench(ctx, o.root, args, metrics); err != nil {
			return err
		}
	}
	pass, ok := metrics["BenchmarkPassChain"]
	if !ok {
		fmt.Print("Goal (>= 500,000 Pass transitions/s on one core): BenchmarkPassChain not found.\n\n")
		return nil
	}
	tps := pass["transitions/s"]
	fmt.Printf("- Goal: >= 500,000 Pass transitions/s on one core (10-state Pass chain with Parameters/ResultPath): %s (%.0f transitions/s wall clock, %.0f per CPU second).\n",
		verdict(tps >= 500000), tps, pass["transitions/cpu-s"])
	if m, ok := metrics["BenchmarkMap1000"]; ok {
		fmt.Printf("- Map of 1,000 items: %.0f transitions/s (%.0f per CPU second), %.2f ms per Map.\n", m["transitions/s"], m["transitions/cpu-s"], m["ns/op"]/1e6)
	}
	if m, ok := metrics["BenchmarkSyncExecutionVsNoop"]; ok {
		r := m["sync/noop"]
		fmt.Printf("- Goal: a 10-state sync execution costs <= 2x a no-op round trip (stepfunctions benchmark): %s (%.2fx).\n", verdict(r > 0 && r <= 2), r)
	}
	if m, ok := metrics["BenchmarkIdleStandardExecutionMemory"]; ok {
		v := m["B/idle-execution"]
		fmt.Printf("- Goal: an idle Standard execution holds < 4 KiB (stepfunctions benchmark): %s (%.0f B).\n", verdict(v > 0 && v < 4096), v)
	}
	fmt.Println()
	return nil
}

// goBench runs one go test -bench command in root, prints its benchmark
// lines and adds their metrics to metrics.
func goBench(ctx context.Context, root string, args []string, metrics map[string]map[string]float64) error {
	progress("go %s", strings.Join(args, " "))
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()
	var lines []string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		lines = append(lines, line)
		f := strings.Fields(line)
		m := map[string]float64{}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				m[f[i+1]] = v
			}
		}
		name := f[0]
		if i := strings.LastIndex(name, "-"); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		metrics[name] = m
	}
	if runErr != nil || len(lines) == 0 {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), runErr, out.String())
	}
	fmt.Printf("`go %s`\n\n```\n%s\n```\n\n", strings.Join(args, " "), strings.Join(lines, "\n"))
	return nil
}

func hasBenchmarks(dir string) bool {
	files, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil && bytes.Contains(b, []byte("\nfunc Benchmark")) {
			return true
		}
	}
	return false
}

// passChain is a definition of n Pass states, each with Parameters and a
// ResultPath (the shape the engine benchmark uses).
func passChain(n int) string {
	var b strings.Builder
	b.WriteString(`{"StartAt":"S0","States":{`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"S%d":{"Type":"Pass","Parameters":{"step":%d,"name.$":"$.name","prev.$":"$.count"},"ResultPath":"$.last"`, i, i)
		if i == n-1 {
			b.WriteString(`,"End":true}`)
		} else {
			fmt.Fprintf(&b, `,"Next":"S%d"}`, i+1)
		}
	}
	b.WriteString(`}}`)
	return b.String()
}

// idleDefinition is the machine of local/stepfunctions'
// TestIdleStandardExecutionMemory: a Pass state, then a one-day Wait.
const idleDefinition = `{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"W"},"W":{"Type":"Wait","Seconds":86400,"End":true}}}`

// apiBenchmarks measures executions through the Step Functions API on the
// edge, with the real SDK, against a no-op round trip in the same run.
func apiBenchmarks(ctx context.Context, o options) error {
	fmt.Printf("### Step Functions API through aws-sdk-go-v2 (edge in process, concurrency %d)\n\n", o.concurrency)
	svc, err := stepfunctions.New(stepfunctions.Options{})
	if err != nil {
		return fmt.Errorf("start step functions: %w", err)
	}
	e := edge.New(nil)
	addr, err := e.Start("127.0.0.1:0")
	if err != nil {
		svc.Close()
		return fmt.Errorf("start edge: %w", err)
	}
	defer func() {
		_ = e.Close(context.Background())
		_ = svc.Close()
	}()
	e.HandleTarget("AWSStepFunctions", svc)
	e.Handle("states", svc)
	c := sfn.NewFromConfig(sdkConfig("http://"+addr), func(opt *sfn.Options) {
		opt.APIOptions = append(opt.APIOptions, stepfunctions.NoHostPrefix)
	})
	create := func(name, def string, typ sfntypes.StateMachineType) (*string, error) {
		out, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
			Name: aws.String(name), Definition: aws.String(def), Type: typ,
			RoleArn: aws.String("arn:aws:iam::000000000000:role/bench"),
		})
		if err != nil {
			return nil, fmt.Errorf("create state machine %s: %w", name, err)
		}
		return out.StateMachineArn, nil
	}
	express, err := create("bench-express", passChain(10), sfntypes.StateMachineTypeExpress)
	if err != nil {
		return err
	}
	standard, err := create("bench-standard", passChain(10), sfntypes.StateMachineTypeStandard)
	if err != nil {
		return err
	}
	idle, err := create("bench-idle", idleDefinition, sfntypes.StateMachineTypeStandard)
	if err != nil {
		return err
	}
	input := aws.String(`{"name":"dragon","count":3}`)

	noop := func(ctx context.Context, w, i int) error {
		_, err := c.ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
		return err
	}
	sync := func(ctx context.Context, w, i int) error {
		out, err := c.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: express, Input: input})
		if err != nil {
			return err
		}
		if out.Status != sfntypes.SyncExecutionStatusSucceeded {
			return fmt.Errorf("sync execution %s: %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
		}
		return nil
	}
	startDescribe := func(ctx context.Context, w, i int) error {
		out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: standard, Input: input})
		if err != nil {
			return err
		}
		for {
			d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: out.ExecutionArn})
			if err != nil {
				return err
			}
			switch d.Status {
			case sfntypes.ExecutionStatusRunning:
				time.Sleep(100 * time.Microsecond)
				continue
			case sfntypes.ExecutionStatusSucceeded:
				return nil
			default:
				return fmt.Errorf("standard execution ended %s", d.Status)
			}
		}
	}
	type row struct {
		name string
		op   load.Op
		res  load.Result
	}
	rows := []*row{
		{name: "ListStateMachines (no-op round trip)", op: noop},
		{name: "StartSyncExecution, EXPRESS, 10 Pass states", op: sync},
		{name: "StartExecution + DescribeExecution until SUCCEEDED, STANDARD, 10 Pass states", op: startDescribe},
	}
	t := table{head: []string{"workload", "per second", "p50", "p99", "errors"}}
	for _, r := range rows {
		progress("%s", r.name)
		if r.res, err = load.Run(ctx, o.load(), r.op); err != nil {
			return err
		}
		t.add(r.name, rate(r.res), ms(r.res.Percentile(0.5)), ms(r.res.Percentile(0.99)), errCell(r.res))
	}
	t.print()
	base, syn := rows[0].res, rows[1].res
	if base.Ops == 0 || syn.Ops == 0 || base.Errors > 0 || syn.Errors > 0 {
		fmt.Print("Goal (a 10-state sync execution costs <= 2x a no-op round trip): not measured (errors above).\n\n")
	} else {
		// At the same concurrency, mean cost per call is concurrency/throughput.
		cost := base.Throughput() / syn.Throughput()
		p50 := float64(syn.Percentile(0.5)) / float64(base.Percentile(0.5))
		fmt.Printf("Goal: a 10-state sync execution costs <= 2x a no-op round trip: %s (mean cost %.2fx, p50 %.2fx).\n\n", verdict(cost <= 2), cost, p50)
	}
	return idleMemory(ctx, c, idle, input)
}

// idleMemory measures what an idle Standard execution (parked in a Wait
// state) holds, the way local/stepfunctions' TestIdleStandardExecutionMemory
// does, so that both report the same figure: one start at a time over the
// one warmed connection (so no extra connections, server goroutines or
// load-generator records are counted), a wait until every execution has
// parked (its goroutine gone), several collections so that stacks shrink,
// and the delta of heap and stacks in use divided by the count. What the
// SDK and the HTTP layers allocate per call is garbage by then, so the
// delta is what the service keeps.
func idleMemory(ctx context.Context, c *sfn.Client, machine, input *string) error {
	const n = 2000
	start := func(ctx context.Context) error {
		_, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: machine, Input: input})
		return err
	}
	if err := start(ctx); err != nil { // warms the client and its connection
		return fmt.Errorf("start idle execution: %w", err)
	}
	goroutines, err := quietGoroutines(ctx, -1)
	if err != nil {
		return err
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	progress("starting %d idle Standard executions, one at a time", n)
	for i := 0; i < n; i++ {
		if err := start(ctx); err != nil {
			return fmt.Errorf("start idle execution %d of %d: %w", i+1, n, err)
		}
	}
	// A parked execution holds no goroutine: wait for the count to fall
	// back to where it was.
	if _, err := quietGoroutines(ctx, goroutines); err != nil {
		return err
	}
	for i := 0; i < 4; i++ {
		runtime.GC()
	}
	runtime.ReadMemStats(&after)
	heap := float64(int64(after.HeapInuse)-int64(before.HeapInuse)) / n
	stack := float64(int64(after.StackInuse)-int64(before.StackInuse)) / n
	per := heap + stack
	fmt.Printf("Idle Standard execution (Pass then a 1-day Wait; %d started one at a time through the SDK): %.0f B heap + %.0f B goroutine stack = %.0f B (%.2f KiB) each.\n",
		n, heap, stack, per, per/1024)
	fmt.Printf("Goal: an idle Standard execution holds < 4 KiB: %s.\n\n", verdict(per < 4096))
	return nil
}

// quietGoroutines waits until the number of goroutines stops changing, or,
// with target >= 0, falls to target or below, and returns it.
func quietGoroutines(ctx context.Context, target int) (int, error) {
	deadline := time.Now().Add(30 * time.Second)
	prev := -1
	for {
		n := runtime.NumGoroutine()
		if (target >= 0 && n <= target) || (target < 0 && n == prev) {
			return n, nil
		}
		if time.Now().After(deadline) {
			return n, fmt.Errorf("idle executions: %d goroutines still running after 30 s (want %d)", n, target)
		}
		prev = n
		select {
		case <-ctx.Done():
			return n, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

type memSample struct {
	heap, stack uint64
	goroutines  int
}

// settledMemory collects garbage until the heap stops shrinking and returns
// the memory in use.
func settledMemory() memSample {
	var ms runtime.MemStats
	prev := ^uint64(0)
	for i := 0; i < 5; i++ {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse >= prev {
			break
		}
		prev = ms.HeapInuse
		time.Sleep(50 * time.Millisecond)
	}
	return memSample{heap: ms.HeapInuse, stack: ms.StackInuse, goroutines: runtime.NumGoroutine()}
}
