package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/dragons-dev/dragons/bench/load"
	"github.com/dragons-dev/dragons/bench/moto"
	"github.com/dragons-dev/dragons/local/durable"
	"github.com/dragons-dev/dragons/local/edge"
	"github.com/dragons-dev/dragons/local/eventbus"
	"github.com/dragons-dev/dragons/local/objstore"
	"github.com/dragons-dev/dragons/local/queue"
)

// backend is one set of S3, SQS and EventBridge endpoints under test.
type backend struct {
	name    string
	depth   int  // messages in the queue of the receive workload
	ceiling bool // the bare server: plain S3 PUT and GET only
	cfg     aws.Config
	pgid    int // process group of the server, for its CPU time
	close   func()
}

func (b *backend) s3() *s3.Client {
	return s3.NewFromConfig(b.cfg, func(o *s3.Options) { o.UsePathStyle = true })
}
func (b *backend) sqs() *sqs.Client            { return sqs.NewFromConfig(b.cfg) }
func (b *backend) events() *eventbridge.Client { return eventbridge.NewFromConfig(b.cfg) }

// sdkConfig is the client configuration every workload uses: static
// credentials, the endpoint override and no retries, so a failure is counted
// instead of hidden behind a retry.
func sdkConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// localBackend starts the local S3, SQS and EventBridge on an edge on
// 127.0.0.1:0, registered the way the local cloud registers them. dataDir ""
// keeps everything in memory; level is the data directory's durability.
func localBackend(name, dataDir string, level durable.Level) (*backend, error) {
	s3svc, err := objstore.New(objstore.Options{DataDir: sub(dataDir, "s3"), Durability: level})
	if err != nil {
		return nil, fmt.Errorf("start s3: %w", err)
	}
	e := edge.New(nil)
	addr, err := e.Start("127.0.0.1:0")
	if err != nil {
		s3svc.Close()
		return nil, fmt.Errorf("start edge: %w", err)
	}
	url := "http://" + addr
	sqsSvc, err := queue.New(queue.Options{DataDir: sub(dataDir, "sqs"), Durability: level, Endpoint: url})
	if err != nil {
		s3svc.Close()
		_ = e.Close(context.Background())
		return nil, fmt.Errorf("start sqs: %w", err)
	}
	bus, err := eventbus.New(eventbus.Options{DataDir: sub(dataDir, "events"), Durability: level, Queues: queueSender{sqsSvc}})
	if err != nil {
		s3svc.Close()
		sqsSvc.Close()
		_ = e.Close(context.Background())
		return nil, fmt.Errorf("start eventbridge: %w", err)
	}
	e.Handle("s3", s3svc)
	e.HandleTarget("AmazonSQS", sqsSvc)
	e.Handle("sqs", sqsSvc)
	e.HandleTarget("AWSEvents", bus)
	e.Handle("events", bus)
	e.HandleFallback(s3svc)
	return &backend{name: name, depth: localReceiveDepth, cfg: sdkConfig(url), close: func() {
		_ = e.Close(context.Background())
		_ = bus.Close()
		_ = sqsSvc.Close()
		_ = s3svc.Close()
	}}, nil
}

func sub(dir, name string) string {
	if dir == "" {
		return ""
	}
	return dir + string(os.PathSeparator) + name
}

// queueSender delivers EventBridge's SQS targets to the local SQS.
type queueSender struct{ q *queue.Service }

func (s queueSender) SendMessage(ctx context.Context, queueARN, body string, attributes map[string]string) error {
	var attrs map[string]queue.Attribute
	if len(attributes) > 0 {
		attrs = make(map[string]queue.Attribute, len(attributes))
		for k, v := range attributes {
			attrs[k] = queue.Attribute{DataType: "String", StringValue: v}
		}
	}
	if _, err := s.q.SendMessage(ctx, queueARN, body, attrs); err != nil {
		return fmt.Errorf("send to %s: %w", queueARN, err)
	}
	return nil
}

// errUnsupported marks a workload the backend cannot run faithfully.
var errUnsupported = errors.New("unsupported")

// serviceWorkload is one issue 3 workload. prepare sets it up on a backend
// and returns the operation and a check to run after the measurement. An
// operation that makes several calls may time each one with calls.
type serviceWorkload struct {
	name    string
	prepare func(ctx context.Context, b *backend, workers int, calls *load.Recorder) (load.Op, func(context.Context) error, error)
}

type serviceResult struct {
	res   load.Result
	calls load.Result   // the single calls inside the operations, when recorded
	cpu   time.Duration // the server's CPU time during the measured phase; <0 unknown
	ccpu  time.Duration // the clients' CPU time (this process) during the measured phase
	err   error         // setup failure, unsupported, or a failed check
}

// clientCPUPerOp is the clients' CPU time per successful operation.
func (r serviceResult) clientCPUPerOp() time.Duration {
	if r.res.Ops == 0 {
		return -1
	}
	return r.ccpu / time.Duration(r.res.Ops)
}

// cpuPerOp is the server's CPU time per successful operation.
func (r serviceResult) cpuPerOp() time.Duration {
	if r.cpu < 0 || r.res.Ops == 0 {
		return -1
	}
	return r.cpu / time.Duration(r.res.Ops)
}

func cpuCell(d time.Duration) string {
	if d < 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}

func benchServices(ctx context.Context, o options) error {
	fmt.Print("## Issue 3: S3, SQS and EventBridge through aws-sdk-go-v2, local edge vs moto_server\n\n")
	progress("starting moto_server")
	mt, err := moto.Start(ctx, 90*time.Second)
	if err != nil {
		return err
	}
	defer mt.Close()
	dir, err := os.MkdirTemp("", "dragons-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	prof := func(name string) string {
		if o.serverProf == "" {
			return ""
		}
		return filepath.Join(o.serverProf, name)
	}
	mem, err := startLocalProcess(ctx, "local (in memory)", serverSpec{}, prof("memory.prof"))
	if err != nil {
		return err
	}
	defer mem.close()
	disk, err := startLocalProcess(ctx, "local (data dir)", serverSpec{dataDir: filepath.Join(dir, "default")}, prof("datadir.prof"))
	if err != nil {
		return err
	}
	defer disk.close()
	synced, err := startLocalProcess(ctx, "local (data dir, --fsync)", serverSpec{dataDir: filepath.Join(dir, "fsync"), level: durable.Disk}, prof("fsync.prof"))
	if err != nil {
		return err
	}
	defer synced.close()
	bare, err := startLocalProcess(ctx, "bare net/http (ceiling)", serverSpec{bare: true}, "")
	if err != nil {
		return err
	}
	defer bare.close()
	mb := &backend{name: "moto_server", depth: motoReceiveDepth, cfg: sdkConfig(mt.URL), pgid: mt.PID(), close: func() {}}
	backends := []*backend{mem, disk, synced, bare, mb}

	workloads := []serviceWorkload{
		{"S3 PutObject 1 KiB", prepS3Put},
		{"S3 GetObject 1 KiB", prepS3Get},
		{"S3 conditional append (GET + PUT If-Match, retry on 412)", prepS3Append},
		{"SQS SendMessage", prepSQSSend},
		{"SQS ReceiveMessage + DeleteMessage (a full queue)", prepSQSReceive},
		{"EventBridge PutEvents until received from the target SQS queue", prepEvents},
	}
	var selected []serviceWorkload
	for _, w := range workloads {
		if strings.Contains(w.name, o.only) {
			selected = append(selected, w)
		}
	}
	workloads = selected
	results := map[string]map[string]serviceResult{}
	for _, w := range workloads {
		results[w.name] = map[string]serviceResult{}
		for _, b := range backends {
			if b.ceiling && !ceilingWorkload(w.name) {
				continue
			}
			progress("%s on %s", w.name, b.name)
			results[w.name][b.name] = runServiceWorkload(ctx, o, w, b)
		}
	}

	t := table{head: []string{"workload", "backend", "throughput", "p50", "p99", "p99 of one call", "errors", "server CPU/op", "clients' CPU/op", "vs moto"}}
	for _, w := range workloads {
		base := results[w.name][mb.name]
		for _, b := range backends {
			r, ok := results[w.name][b.name]
			if !ok {
				continue
			}
			if r.err != nil {
				t.add(w.name, b.name, "-", "-", "-", "-", "-", "-", "-", shorten(r.err.Error(), 100))
				continue
			}
			vs := "baseline"
			if b != mb {
				vs = "n/a (moto: no result)"
				if base.err == nil {
					vs = ratio(r.res.Throughput(), base.res.Throughput())
				}
			}
			call := "(one call)"
			if r.calls.Ops > 0 {
				call = ms(r.calls.Percentile(0.99))
			}
			t.add(w.name, b.name, rate(r.res), ms(r.res.Percentile(0.5)), ms(r.res.Percentile(0.99)), call, errCell(r.res), cpuCell(r.cpuPerOp()), cpuCell(r.clientCPUPerOp()), vs)
		}
	}
	t.print()
	fmt.Print("The bare net/http row is a Go HTTP server that stores nothing: it reads each PUT's body and answers with fixed headers, and answers each GET with the same 1 KiB and its checksum. It is the most any Go server could reach here while the SDK clients share the two cores, so it bounds our ratio to moto_server on those workloads.\n\n")

	fmt.Printf("Goals (issue 3): throughput >= 20x moto_server's and p99 < 5 ms at concurrency %d, for the two modes `dragons up` offers without flags (--ephemeral: in memory; the default: a data directory whose acknowledged writes survive kill -9). The --fsync rows, whose journals also sync to the disk before every answer, are for information. The last column, moto_server's server CPU time per operation divided by ours, does not depend on how busy the machine is.\n\n", o.concurrency)
	g := table{head: []string{"workload", "backend", "ours/moto", ">= 20x moto", "p99 judged", "p99 < 5 ms", "moto CPU/op ÷ ours"}}
	judgedCalls := false
	for _, w := range workloads {
		base := results[w.name][mb.name]
		for _, b := range backends[:3] {
			r := results[w.name][b.name]
			if r.err != nil {
				g.add(w.name, b.name, "-", "not measured", "-", "not measured", "-")
				continue
			}
			x, xv := "-", "no moto baseline"
			if base.err == nil && base.res.Throughput() > 0 {
				f := r.res.Throughput() / base.res.Throughput()
				x, xv = fmt.Sprintf("%.1fx", f), verdict(f >= 20)
			}
			p99, p99cell := r.res.Percentile(0.99), ms(r.res.Percentile(0.99))
			if r.calls.Ops > 0 {
				p99, p99cell, judgedCalls = r.calls.Percentile(0.99), ms(r.calls.Percentile(0.99))+" (per call)", true
			}
			eff := "-"
			if base.err == nil && base.cpuPerOp() > 0 && r.cpuPerOp() > 0 {
				eff = fmt.Sprintf("%.0fx", float64(base.cpuPerOp())/float64(r.cpuPerOp()))
			}
			g.add(w.name, b.name, x, xv, p99cell, verdict(p99 < 5*time.Millisecond && r.res.Errors == 0), eff)
		}
	}
	g.print()
	if judgedCalls {
		fmt.Printf("Where a workload makes several calls to the service, the p99 judged is that of its single calls, the operations the goal names (\"SQS send, receive and delete\"): ReceiveMessage and DeleteMessage; for the conditional append, every GET and every PUT answered 200 or 412. The append's %d writers take turns on one object, so an append waits for the others' turns: by Little's law its mean latency is writers ÷ throughput (%d ÷ %.0f/s = %.1f ms on the in-memory backend above), which measures the workload's contention rather than the service's latency. The per-append p99 is in the first table.\n\n",
			o.concurrency, o.concurrency, appendThroughput(results, mem.name), 1000*float64(o.concurrency)/max(appendThroughput(results, mem.name), 1))
	}
	return nil
}

// appendThroughput is the conditional append's throughput on backend name
// (0 when it was not measured).
func appendThroughput(results map[string]map[string]serviceResult, name string) float64 {
	for w, byBackend := range results {
		if strings.HasPrefix(w, "S3 conditional append") {
			if r, ok := byBackend[name]; ok && r.err == nil {
				return r.res.Throughput()
			}
		}
	}
	return 0
}

func runServiceWorkload(ctx context.Context, o options, w serviceWorkload, b *backend) serviceResult {
	var calls load.Recorder
	op, check, err := w.prepare(ctx, b, o.concurrency, &calls)
	if err != nil {
		return serviceResult{err: err}
	}
	cfg := o.load()
	var cpu0, cpu1, self0, self1 time.Duration
	cfg.BeforeMeasure = func() { cpu0, self0 = groupCPU(b.pgid), selfCPU(); calls.Start() }
	cfg.AfterMeasure = func() { calls.Stop(); cpu1, self1 = groupCPU(b.pgid), selfCPU() }
	res, err := load.Run(ctx, cfg, op)
	if err != nil {
		return serviceResult{err: err}
	}
	out := serviceResult{res: res, calls: calls.Result(), cpu: cpu1 - cpu0, ccpu: self1 - self0}
	if o.percentiles {
		progress("  %s", percentiles("operations", res))
		if out.calls.Ops > 0 {
			progress("  %s", percentiles("calls", out.calls))
		}
	}
	if cpu0 < 0 || cpu1 < 0 {
		out.cpu = -1
	}
	if res.Ops == 0 {
		out.err = fmt.Errorf("no operation completed in %v (errors: %d, %v)", o.duration, res.Errors, res.FirstErr)
		return out
	}
	if check != nil {
		if err := check(ctx); err != nil {
			out.err = fmt.Errorf("check failed: %w", err)
		}
	}
	return out
}

var kib = bytes.Repeat([]byte("0123456789abcdef"), 64)

func makeBucket(ctx context.Context, c *s3.Client, name string) error {
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	return nil
}

func prepS3Put(ctx context.Context, b *backend, _ int, _ *load.Recorder) (load.Op, func(context.Context) error, error) {
	c := b.s3()
	if err := makeBucket(ctx, c, "bench-put"); err != nil {
		return nil, nil, err
	}
	return func(ctx context.Context, w, i int) error {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String("bench-put"), Key: aws.String(fmt.Sprintf("obj/%d/%d", w, i%64)),
			Body: bytes.NewReader(kib), ContentType: aws.String("application/octet-stream"),
		})
		return err
	}, nil, nil
}

func prepS3Get(ctx context.Context, b *backend, _ int, _ *load.Recorder) (load.Op, func(context.Context) error, error) {
	c := b.s3()
	if err := makeBucket(ctx, c, "bench-get"); err != nil {
		return nil, nil, err
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench-get"), Key: aws.String("obj"), Body: bytes.NewReader(kib)}); err != nil {
		return nil, nil, fmt.Errorf("put the object to read: %w", err)
	}
	return func(ctx context.Context, w, i int) error {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bench-get"), Key: aws.String("obj")})
		if err != nil {
			return err
		}
		n, err := io.Copy(io.Discard, out.Body)
		out.Body.Close()
		if err != nil {
			return fmt.Errorf("read body: %w", err)
		}
		if n != int64(len(kib)) {
			return fmt.Errorf("read %d bytes, want %d", n, len(kib))
		}
		return nil
	}, nil, nil
}

// appendDoc is the JSON object the conditional append loop rewrites: a
// counter of appends and the most recent entries (bounded, so the object's
// size stays constant).
type appendDoc struct {
	Count int      `json:"count"`
	Tail  []string `json:"tail"`
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func prepS3Append(ctx context.Context, b *backend, _ int, calls *load.Recorder) (load.Op, func(context.Context) error, error) {
	c := b.s3()
	const bucket, key = "bench-append", "catalog.json"
	if err := makeBucket(ctx, c, bucket); err != nil {
		return nil, nil, err
	}
	initial, _ := json.Marshal(appendDoc{Tail: []string{}})
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(initial), IfNoneMatch: aws.String("*")}); err != nil {
		return nil, nil, fmt.Errorf("create %s with If-None-Match: %w", key, err)
	}
	// Probe: a PUT with a stale ETag must be refused with 412.
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(initial), IfMatch: aws.String(`"00000000000000000000000000000000"`)})
	switch {
	case err == nil:
		return nil, nil, fmt.Errorf("%w: PutObject with a stale If-Match ETag succeeded (conditional writes ignored)", errUnsupported)
	case httpStatus(err) != http.StatusPreconditionFailed:
		return nil, nil, fmt.Errorf("%w: PutObject with a stale If-Match ETag: %v", errUnsupported, err)
	}
	// appended counts acknowledged appends; unknown counts PUTs whose outcome
	// the client never learned (cut short at the end of a phase).
	var appended, conflicts, unknown atomic.Int64
	op := func(ctx context.Context, w, i int) error {
		entry := fmt.Sprintf("w%d-%d", w, i)
		for {
			began := time.Now()
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
			if err != nil {
				return err
			}
			raw, err := io.ReadAll(out.Body)
			out.Body.Close()
			calls.Since(began)
			if err != nil {
				return fmt.Errorf("read %s: %w", key, err)
			}
			var doc appendDoc
			if err := json.Unmarshal(raw, &doc); err != nil {
				return fmt.Errorf("decode %s: %w", key, err)
			}
			doc.Count++
			doc.Tail = append(doc.Tail, entry)
			if len(doc.Tail) > 20 {
				doc.Tail = doc.Tail[len(doc.Tail)-20:]
			}
			body, _ := json.Marshal(doc)
			began = time.Now()
			_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body), IfMatch: out.ETag, ContentType: aws.String("application/json")})
			if err == nil || httpStatus(err) == http.StatusPreconditionFailed {
				calls.Since(began) // a 412 is an answer too
			}
			if err == nil {
				appended.Add(1)
				return nil
			}
			if s := httpStatus(err); s == http.StatusPreconditionFailed || s == http.StatusConflict {
				conflicts.Add(1)
				continue
			}
			if ctx.Err() != nil {
				unknown.Add(1)
			}
			return err
		}
	}
	check := func(ctx context.Context) error {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			return err
		}
		defer out.Body.Close()
		var doc appendDoc
		if err := json.NewDecoder(out.Body).Decode(&doc); err != nil {
			return fmt.Errorf("decode %s: %w", key, err)
		}
		got, acked, maybe := int64(doc.Count), appended.Load(), unknown.Load()
		if got < acked {
			return fmt.Errorf("%d appends acknowledged, the object counts %d (lost updates)", acked, got)
		}
		if got > acked+maybe {
			return fmt.Errorf("%d appends acknowledged (+%d unknown), the object counts %d", acked, maybe, got)
		}
		progress("  %d appends acknowledged, %d retries after 412/409, none lost", acked, conflicts.Load())
		return nil
	}
	return op, check, nil
}

const (
	benchQueue   = "bench-sqs"
	receiveQueue = "bench-sqs-receive"
	// motoReceiveDepth and localReceiveDepth are how many messages the
	// receive workload starts with: enough that the queue does not drain
	// before the measurement ends (moto_server consumes a few dozen; ours
	// over ten thousand). A deeper queue would only slow moto_server down.
	motoReceiveDepth  = 2000
	localReceiveDepth = 40000
)

func prepSQSSend(ctx context.Context, b *backend, _ int, _ *load.Recorder) (load.Op, func(context.Context) error, error) {
	c := b.sqs()
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(benchQueue)})
	if err != nil {
		return nil, nil, fmt.Errorf("create queue: %w", err)
	}
	url := out.QueueUrl
	body := strings.Repeat("m", 100)
	return func(ctx context.Context, w, i int) error {
		_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url, MessageBody: aws.String(body)})
		return err
	}, nil, nil
}

// prepSQSReceive fills a queue with b.depth messages and consumes it; a
// worker that finds it empty stops (and the measured time ends with the last
// worker). The check afterwards fails when the queue drained, since the
// measurement then includes the workers running dry.
func prepSQSReceive(ctx context.Context, b *backend, workers int, calls *load.Recorder) (load.Op, func(context.Context) error, error) {
	c := b.sqs()
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(receiveQueue)})
	if err != nil {
		return nil, nil, fmt.Errorf("create queue: %w", err)
	}
	url := out.QueueUrl
	body := aws.String(strings.Repeat("m", 100))
	fill := func(ctx context.Context, w, i int) error {
		if (i*workers+w)*10 >= b.depth {
			return load.ErrDone
		}
		entries := make([]sqstypes.SendMessageBatchRequestEntry, 10)
		for k := range entries {
			entries[k] = sqstypes.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(k)), MessageBody: body}
		}
		r, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url, Entries: entries})
		if err != nil {
			return err
		}
		if len(r.Failed) > 0 {
			return fmt.Errorf("SendMessageBatch: %d failed", len(r.Failed))
		}
		return nil
	}
	res, err := load.Run(ctx, load.Config{Workers: workers, Duration: 2 * time.Minute}, fill)
	if err != nil {
		return nil, nil, err
	}
	if b.depth <= 0 || res.Errors > 0 || res.Ops*10 != b.depth {
		return nil, nil, fmt.Errorf("fill the queue: %d batches sent, %d errors (%v)", res.Ops, res.Errors, res.FirstErr)
	}
	return func(ctx context.Context, w, i int) error {
			began := time.Now()
			r, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 1})
			if err != nil {
				return err
			}
			if len(r.Messages) == 0 {
				return load.ErrDone
			}
			calls.Since(began)
			began = time.Now()
			_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: url, ReceiptHandle: r.Messages[0].ReceiptHandle})
			if err == nil {
				calls.Since(began)
			}
			return err
		}, func(ctx context.Context) error {
			a, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
			if err != nil {
				return err
			}
			if left := a.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)]; left == "0" {
				return fmt.Errorf("the queue of %d messages drained before the measurement ended; raise its depth", b.depth)
			}
			return nil
		}, nil
}

// prepEvents gives each worker its own rule and target queue, so a worker's
// event arrives only in its queue.
func prepEvents(ctx context.Context, b *backend, workers int, _ *load.Recorder) (load.Op, func(context.Context) error, error) {
	ev, q := b.events(), b.sqs()
	const bus = "bench-bus"
	if _, err := ev.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
		return nil, nil, fmt.Errorf("create event bus: %w", err)
	}
	urls := make([]*string, workers)
	for w := 0; w < workers; w++ {
		name := fmt.Sprintf("bench-events-%d", w)
		cq, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
		if err != nil {
			return nil, nil, fmt.Errorf("create queue %s: %w", name, err)
		}
		urls[w] = cq.QueueUrl
		attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: cq.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			return nil, nil, fmt.Errorf("queue %s arn: %w", name, err)
		}
		pattern := fmt.Sprintf(`{"source":["bench.load"],"detail":{"worker":[%d]}}`, w)
		if _, err := ev.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventBusName: aws.String(bus), EventPattern: aws.String(pattern)}); err != nil {
			return nil, nil, fmt.Errorf("put rule %s: %w", name, err)
		}
		tr, err := ev.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), EventBusName: aws.String(bus),
			Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(attrs.Attributes["QueueArn"])}}})
		if err != nil {
			return nil, nil, fmt.Errorf("put targets %s: %w", name, err)
		}
		if tr.FailedEntryCount != 0 {
			return nil, nil, fmt.Errorf("put targets %s: %d failed", name, tr.FailedEntryCount)
		}
	}
	return func(ctx context.Context, w, i int) error {
		id := fmt.Sprintf("%d-%d", w, i)
		out, err := ev.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
			EventBusName: aws.String(bus), Source: aws.String("bench.load"), DetailType: aws.String("Load"),
			Detail: aws.String(fmt.Sprintf(`{"worker":%d,"id":%q}`, w, id)),
		}}})
		if err != nil {
			return err
		}
		if out.FailedEntryCount != 0 {
			return fmt.Errorf("PutEvents: %d failed entries", out.FailedEntryCount)
		}
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			// A long visibility timeout instead of a delete keeps received
			// events out of later receives without another call.
			r, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: urls[w], MaxNumberOfMessages: 10, WaitTimeSeconds: 2, VisibilityTimeout: 3600})
			if err != nil {
				return err
			}
			for _, m := range r.Messages {
				var ev struct {
					Detail struct {
						ID string `json:"id"`
					} `json:"detail"`
				}
				if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
					return fmt.Errorf("target queue message is not an event: %w", err)
				}
				if ev.Detail.ID == id {
					return nil
				}
			}
		}
		return fmt.Errorf("event %s not received within 10s", id)
	}, nil, nil
}
