package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/dragons-dev/dragons/bench/load"
	"github.com/dragons-dev/dragons/local/cloud"
	"github.com/dragons-dev/dragons/seed"
)

// app is the dragons application running on the local cloud, with the
// clients the workloads use.
type app struct {
	c      *cloud.Cloud
	http   *http.Client
	token  string
	bucket string
	s3     *s3.Client
	sqs    *sqs.Client
	events *eventbridge.Client
}

func benchApp(ctx context.Context, o options) error {
	fmt.Print("## Issue 5: the dragons application on the local cloud\n\n")
	dir, err := os.MkdirTemp("", "dragons-bench-app-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	progress("starting the local cloud (builds the handlers on the first run)")
	t0 := time.Now()
	c, err := cloud.Start(ctx, cloud.Config{
		Template: filepath.Join(o.root, "template.yaml"),
		DataDir:  filepath.Join(dir, "data"),
		EdgeAddr: "127.0.0.1:0", APIAddr: "127.0.0.1:0",
		BuildDir: filepath.Join(os.TempDir(), "dragons-bench-build"),
		Seed:     seed.Dragons(), SeedBucketParam: "/dragons/bucket", SeedKeyParam: "/dragons/key",
		User: cloud.DefaultUser(),
		// The stage's default throttle (50 req/s) would measure the throttle.
		Params: map[string]any{"ApiThrottleRateLimit": "1000000", "ApiThrottleBurstLimit": "1000000"},
	})
	if err != nil {
		return fmt.Errorf("start the local cloud: %w", err)
	}
	defer c.Close(context.Background())
	startup := time.Since(t0)
	tok, err := cloud.FetchToken(ctx, c.EdgeURL)
	if err != nil {
		return fmt.Errorf("fetch a token: %w", err)
	}
	bucket, _ := c.Stack.Resources["DragonsBucket"].Ref.(string)
	if bucket == "" {
		return errors.New("the stack has no DragonsBucket")
	}
	cfg := sdkConfig(c.EdgeURL)
	a := &app{
		c: c, token: tok, bucket: bucket,
		http:   &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: time.Minute},
		s3:     s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		sqs:    sqs.NewFromConfig(cfg),
		events: eventbridge.NewFromConfig(cfg),
	}
	time.Sleep(time.Second)
	idleStart := settledMemory()
	fmt.Printf("Local cloud started in %v (template deployed, handlers built or taken from the build cache, data dir on disk).\n\n", startup.Round(time.Millisecond))

	sections := []struct {
		name string
		run  func(context.Context, options) error
	}{
		{"GET /dragons", a.benchGets},
		{"POST latency", a.benchLatencies},
		{"sustained adds", a.benchAdds},
	}
	for _, s := range sections {
		if !strings.Contains(s.name, o.only) {
			continue
		}
		if err := s.run(ctx, o); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	time.Sleep(2 * time.Second)
	idleEnd := settledMemory()
	a.reportMemory(idleStart, idleEnd)
	if o.memprofile != "" {
		if err := writeHeapProfile(o.memprofile); err != nil {
			return err
		}
	}
	return nil
}

func (a *app) get(ctx context.Context, url string, hdr map[string]string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", a.token)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, shorten(string(body), 200))
	}
	return resp, body, nil
}

// benchGets compares cached and uncached GET /dragons with a bare net/http
// server that returns the same bytes.
func (a *app) benchGets(ctx context.Context, o options) error {
	url := a.c.APIURL + "/dragons"
	a.c.FlushAPICaches()
	_, body, err := a.get(ctx, url, nil)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	bare := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	})}
	go func() { _ = bare.Serve(ln) }()
	defer bare.Close()
	bareURL := "http://" + ln.Addr().String() + "/dragons"

	getOp := func(url string, flush bool, wantCache string, misses *atomic.Int64) load.Op {
		return func(ctx context.Context, w, i int) error {
			if flush {
				// Cognito users cannot invalidate with Cache-Control (as on
				// AWS), so the uncached run flushes the stage cache instead.
				a.c.FlushAPICaches()
			}
			resp, got, err := a.get(ctx, url, nil)
			if err != nil {
				return err
			}
			if len(got) != len(body) {
				return fmt.Errorf("GET returned %d bytes, want %d", len(got), len(body))
			}
			if wantCache != "" && resp.Header.Get("X-Local-Cache") != wantCache {
				misses.Add(1)
			}
			return nil
		}
	}
	var cachedMisses, uncachedHits atomic.Int64
	rows := []struct {
		name string
		op   load.Op
		res  load.Result
	}{
		{name: "bare net/http server, same bytes (baseline)", op: getOp(bareURL, false, "", nil)},
		{name: "GET /dragons, cached at the gateway", op: getOp(url, false, "hit", &cachedMisses)},
		{name: "GET /dragons, uncached (stage cache flushed before each request)", op: getOp(url, true, "miss", &uncachedHits)},
	}
	fmt.Printf("### GET /dragons (%d dragons, %d-byte body, Cognito ID token, concurrency %d)\n\n", bytes.Count(body, []byte("dragon_name_str")), len(body), o.concurrency)
	t := table{head: []string{"workload", "requests/s", "p50", "p99", "errors", "vs bare"}}
	for i := range rows {
		progress("%s", rows[i].name)
		if rows[i].res, err = load.Run(ctx, o.load(), rows[i].op); err != nil {
			return err
		}
		r := rows[i].res
		t.add(rows[i].name, rate(r), ms(r.Percentile(0.5)), ms(r.Percentile(0.99)), errCell(r), ratio(r.Throughput(), rows[0].res.Throughput()))
	}
	t.print()
	if n := cachedMisses.Load(); n > 0 {
		fmt.Printf("Note: %d of the cached requests were not served from the cache.\n", n)
	}
	if n := uncachedHits.Load(); n > 0 {
		fmt.Printf("Note: %d of the uncached requests were served from the cache.\n", n)
	}
	cached, base := rows[1].res, rows[0].res
	f := 0.0
	if base.Throughput() > 0 {
		f = cached.Throughput() / base.Throughput()
	}
	fmt.Printf("Goal: cached GET /dragons >= 0.5x the bare server's requests/s: %s (%.2fx).\n\n", verdict(f >= 0.5 && cached.Errors == 0), f)
	return nil
}

func dragonBody(name, family string) []byte {
	b, _ := json.Marshal(map[string]any{
		"dragonName": name, "family": family, "description": "A benchmark dragon of the " + family + " family.",
		"city": "reno", "state": "nevada", "country": "usa", "neighborhood": "midtown",
	})
	return b
}

// post submits a dragon and returns its execution id.
func (a *app) post(ctx context.Context, name string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.c.APIURL+"/dragons", bytes.NewReader(dragonBody(name, "bench")))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		return "", fmt.Errorf("POST /dragons: %d %s", resp.StatusCode, shorten(string(raw), 200))
	}
	var out struct {
		ExecutionID string `json:"executionId"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.ExecutionID == "" {
		return "", fmt.Errorf("POST /dragons: 202 body %s", shorten(string(raw), 200))
	}
	return out.ExecutionID, nil
}

// waitSucceeded polls the execution's status record in S3 (what GET
// /dragons/executions/{id} serves) every millisecond until it leaves
// ACCEPTED.
func (a *app) waitSucceeded(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	key := "executions/" + id + ".json"
	for {
		out, err := a.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(a.bucket), Key: aws.String(key)})
		if err == nil {
			var rec struct {
				Status string `json:"status"`
				Error  string `json:"error"`
				Cause  string `json:"cause"`
			}
			err = json.NewDecoder(out.Body).Decode(&rec)
			out.Body.Close()
			if err != nil {
				return fmt.Errorf("decode %s: %w", key, err)
			}
			switch rec.Status {
			case "SUCCEEDED":
				return nil
			case "ACCEPTED":
			default:
				return fmt.Errorf("execution %s ended %s: %s %s", id, rec.Status, rec.Error, shorten(rec.Cause, 200))
			}
		} else if httpStatus(err) != http.StatusNotFound {
			return fmt.Errorf("read %s: %w", key, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("execution %s not finished: %w", id, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

// subscribe creates a queue with a rule on the dragons bus that receives
// every DragonAdded event, as a downstream consumer would.
func (a *app) subscribe(ctx context.Context, name string) (*string, error) {
	q, err := a.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("create queue %s: %w", name, err)
	}
	attrs, err := a.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return nil, fmt.Errorf("queue %s arn: %w", name, err)
	}
	if _, err := a.events.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventBusName: aws.String("dragons"),
		EventPattern: aws.String(`{"source":["dragons.app"],"detail-type":["DragonAdded"]}`)}); err != nil {
		return nil, fmt.Errorf("put rule %s: %w", name, err)
	}
	if _, err := a.events.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), EventBusName: aws.String("dragons"),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(attrs.Attributes["QueueArn"])}}}); err != nil {
		return nil, fmt.Errorf("put targets %s: %w", name, err)
	}
	return q.QueueUrl, nil
}

// waitEvent long-polls the subscribed queue until the DragonAdded event of
// execution id arrives.
func (a *app) waitEvent(ctx context.Context, url *string, id string) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		r, err := a.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 5, VisibilityTimeout: 3600})
		if err != nil {
			return fmt.Errorf("receive DragonAdded events: %w", err)
		}
		for _, m := range r.Messages {
			got, err := dragonAddedEventID(m.Body)
			if err != nil {
				return err
			}
			if got == id {
				return nil
			}
		}
	}
	return fmt.Errorf("no DragonAdded event for %s within a minute", id)
}

// dragonAddedEventID returns the event id in the detail of a DragonAdded
// event delivered to a queue.
func dragonAddedEventID(body *string) (string, error) {
	var ev struct {
		Detail struct {
			EventID string `json:"eventId"`
		} `json:"detail"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(body)), &ev); err != nil {
		return "", fmt.Errorf("DragonAdded message: %w", err)
	}
	return ev.Detail.EventID, nil
}

// benchLatencies measures one POST at a time: until the execution's status
// record says SUCCEEDED, and until a subscriber receives DragonAdded.
func (a *app) benchLatencies(ctx context.Context, o options) error {
	queueURL, err := a.subscribe(ctx, "bench-dragon-added")
	if err != nil {
		return err
	}
	seq := load.Config{Workers: 1, Duration: o.duration, Warmup: o.warmup}
	progress("POST -> SUCCEEDED, one at a time")
	succeeded, err := load.Run(ctx, seq, func(ctx context.Context, w, i int) error {
		id, err := a.post(ctx, fmt.Sprintf("latency-%d", i))
		if err != nil {
			return err
		}
		return a.waitSucceeded(ctx, id)
	})
	if err != nil {
		return err
	}
	// Events of the adds above are still in the queue; waitEvent skips them.
	progress("POST -> DragonAdded received, one at a time")
	event, err := load.Run(ctx, seq, func(ctx context.Context, w, i int) error {
		id, err := a.post(ctx, fmt.Sprintf("event-%d", i))
		if err != nil {
			return err
		}
		return a.waitEvent(ctx, queueURL, id)
	})
	if err != nil {
		return err
	}
	fmt.Print("### POST /dragons latency (one request at a time)\n\n")
	t := table{head: []string{"workload", "count", "p50", "p90", "p99", "max", "errors"}}
	for _, r := range []struct {
		name string
		res  load.Result
	}{
		{"POST -> status record SUCCEEDED (polled in S3 every 1 ms)", succeeded},
		{"POST -> DragonAdded received by a subscribed SQS queue (long poll)", event},
	} {
		t.add(r.name, strconv.Itoa(r.res.Ops), ms(r.res.Percentile(0.5)), ms(r.res.Percentile(0.9)), ms(r.res.Percentile(0.99)), ms(r.res.Percentile(1)), errCell(r.res))
	}
	t.print()
	p50 := succeeded.Percentile(0.5)
	fmt.Printf("Goal: POST -> SUCCEEDED p50 < 15 ms: %s (%s).\n\n", verdict(succeeded.Ops > 0 && succeeded.Errors == 0 && p50 < 15*time.Millisecond), ms(p50))
	return nil
}

// seedCatalog replaces Dragons.json with n generated dragons.
func (a *app) seedCatalog(ctx context.Context, n int) error {
	type record struct {
		Name         string `json:"dragon_name_str"`
		Family       string `json:"family_str"`
		Description  string `json:"description_str"`
		City         string `json:"location_city_str"`
		State        string `json:"location_state_str"`
		Country      string `json:"location_country_str"`
		Neighborhood string `json:"location_neighborhood_str"`
	}
	families := []string{"red", "green", "blue", "black", "white", "bronze"}
	recs := make([]record, n)
	for i := range recs {
		f := families[i%len(families)]
		recs[i] = record{Name: fmt.Sprintf("seeded-%05d", i), Family: f, Description: "A seeded dragon of the " + f + " family that guards an old mine.",
			City: "reno", State: "nevada", Country: "usa", Neighborhood: "midtown"}
	}
	body, err := json.Marshal(recs)
	if err != nil {
		return err
	}
	if _, err := a.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(a.bucket), Key: aws.String(seed.Key), Body: bytes.NewReader(body), ContentType: aws.String("application/json")}); err != nil {
		return fmt.Errorf("seed %d dragons: %w", n, err)
	}
	return nil
}

// eventWaiter hands DragonAdded events received from a subscribed queue to
// the workers waiting for them, so many workers can wait without polling.
type eventWaiter struct {
	mu      sync.Mutex
	waiting map[string]chan struct{}
	arrived map[string]bool
	err     error
}

// dispatchEvents long-polls url until ctx ends and wakes the waiters.
func (a *app) dispatchEvents(ctx context.Context, url *string) *eventWaiter {
	ew := &eventWaiter{waiting: map[string]chan struct{}{}, arrived: map[string]bool{}}
	go func() {
		for ctx.Err() == nil {
			r, err := a.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 3600})
			if err != nil {
				if ctx.Err() == nil {
					ew.mu.Lock()
					ew.err = err
					ew.mu.Unlock()
					time.Sleep(10 * time.Millisecond)
				}
				continue
			}
			ew.mu.Lock()
			for _, m := range r.Messages {
				id, err := dragonAddedEventID(m.Body)
				if err != nil {
					continue
				}
				if ch, ok := ew.waiting[id]; ok {
					close(ch)
					delete(ew.waiting, id)
				} else {
					ew.arrived[id] = true
				}
			}
			ew.mu.Unlock()
		}
	}()
	return ew
}

func (ew *eventWaiter) wait(ctx context.Context, id string) error {
	ew.mu.Lock()
	if ew.arrived[id] {
		delete(ew.arrived, id)
		ew.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	ew.waiting[id] = ch
	ew.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(2 * time.Minute):
		ew.mu.Lock()
		defer ew.mu.Unlock()
		delete(ew.waiting, id)
		return fmt.Errorf("no DragonAdded event for %s within 2 minutes (last receive error: %v)", id, ew.err)
	}
}

// catalogSize counts the records in Dragons.json.
func (a *app) catalogSize(ctx context.Context) (int, error) {
	out, err := a.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(a.bucket), Key: aws.String(seed.Key)})
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", seed.Key, err)
	}
	defer out.Body.Close()
	var recs []json.RawMessage
	if err := json.NewDecoder(out.Body).Decode(&recs); err != nil {
		return 0, fmt.Errorf("decode %s: %w", seed.Key, err)
	}
	return len(recs), nil
}

// benchAdds measures sustained adds at the configured concurrency with 1,000
// and with 10,000 dragons stored. An add is complete when its DragonAdded
// event (published after the catalog write) reaches a subscribed queue; one
// long-polling receiver wakes the workers, so waiting costs no polling.
func (a *app) benchAdds(ctx context.Context, o options) error {
	fmt.Printf("### Sustained adds (POST until DragonAdded received, concurrency %d)\n\n", o.concurrency)
	queueURL, err := a.subscribe(ctx, "bench-adds")
	if err != nil {
		return err
	}
	dctx, stop := context.WithCancel(ctx)
	defer stop()
	ew := a.dispatchEvents(dctx, queueURL)
	t := table{head: []string{"stored dragons", "adds/s", "p50", "p99", "errors", "catalog check"}}
	var rates []float64
	for k, n := range []int{1000, 10000} {
		progress("adds with %d stored dragons", n)
		if err := a.seedCatalog(ctx, n); err != nil {
			return err
		}
		cfg := o.load()
		if k > 0 {
			cfg.Warmup = 0 // the function processes are warm already
		}
		var added atomic.Int64
		res, err := load.Run(ctx, cfg, func(ctx context.Context, w, i int) error {
			id, err := a.post(ctx, fmt.Sprintf("add-%d-%d-%d", n, w, i))
			if err != nil {
				return err
			}
			if err := ew.wait(ctx, id); err != nil {
				return err
			}
			added.Add(1)
			return nil
		})
		if err != nil {
			return err
		}
		check := "ok"
		if size, err := a.catalogSize(ctx); err != nil {
			check = err.Error()
		} else if want := n + int(added.Load()); size < want {
			check = fmt.Sprintf("LOST UPDATES: %d records, want %d", size, want)
		} else {
			check = fmt.Sprintf("ok (%d records)", size)
		}
		rates = append(rates, res.Throughput())
		t.add(fmt.Sprintf("%d", n), fmt.Sprintf("%.1f/s", res.Throughput()), ms(res.Percentile(0.5)), ms(res.Percentile(0.99)), errCell(res), check)
	}
	t.print()
	if rates[0] > 0 {
		fmt.Printf("Scaling: with 10x the stored dragons, adds/s is %.2fx (every add reads, decodes and rewrites the whole catalog object, and concurrent adds retry on 412).\n\n", rates[1]/rates[0])
	}
	return nil
}

func (a *app) reportMemory(start, end memSample) {
	fmt.Print("### Idle memory of the local cloud\n\n")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t := table{head: []string{"when", "Go heap in use", "Go stacks", "goroutines"}}
	t.add("idle, just after start", mib(start.heap), mib(start.stack), strconv.Itoa(start.goroutines))
	t.add("idle, after the workloads above", mib(end.heap), mib(end.stack), strconv.Itoa(end.goroutines))
	t.print()
	fmt.Printf("Memory obtained from the OS by the Go runtime (MemStats.Sys): %s. The services run in the benchmark's own process, so these figures include the benchmark's clients.\n", mib(ms.Sys))
	n, rss := childRSS()
	fmt.Printf("Lambda function processes (children of this process): %d, total RSS %s.\n\n", n, mib(rss))
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	return nil
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// childRSS sums the resident set size of this process's direct children
// (the Lambda host's function processes), from /proc.
func childRSS() (int, uint64) {
	self := os.Getpid()
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	n, total := 0, uint64(0)
	for _, d := range dirs {
		stat, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		// The command name is in parentheses and may hold spaces; the fields
		// after it are state, ppid, ...
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid != self {
			continue
		}
		status, err := os.ReadFile(filepath.Join(d, "status"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(line, "VmRSS:") {
				fields := strings.Fields(line)
				if len(fields) >= 2 {
					kb, _ := strconv.ParseUint(fields[1], 10, 64)
					total += kb * 1024
					n++
				}
			}
		}
	}
	return n, total
}
