package queue

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// The benchmarks drive the service through the SDK with 8 concurrent callers
// (SetParallelism(4) on 2 CPUs gives 8; more on more CPUs) and report p99
// latency. QUEUE_BENCH_ENDPOINT points them at another SQS endpoint (for
// example moto_server) to measure a baseline in the same way.

// benchTarget returns an SDK client and a fresh queue URL for a benchmark.
func benchTarget(b *testing.B, dataDir bool) (*sqs.Client, string) {
	b.Helper()
	var c *sqs.Client
	if ep := os.Getenv("QUEUE_BENCH_ENDPOINT"); ep != "" {
		c = newClient(ep)
	} else {
		opts := Options{}
		if dataDir {
			opts.DataDir = b.TempDir()
		}
		c = newEnv(b, opts).c
	}
	name := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	out, err := c.CreateQueue(testCtx(b), &sqs.CreateQueueInput{QueueName: &name})
	if err != nil {
		b.Fatal(err)
	}
	return c, aws.ToString(out.QueueUrl)
}

// latencies collects per-operation durations from parallel workers.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d...)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B) {
	if len(l.all) == 0 {
		return
	}
	slices.Sort(l.all)
	p := func(q float64) float64 {
		return float64(l.all[int(q*float64(len(l.all)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(p(0.5), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
	b.ReportMetric(float64(len(l.all))/b.Elapsed().Seconds(), "ops/s")
}

// measure runs op from the parallel callers and reports the latency of the
// calls for which it returns true. An error fails the benchmark and stops
// that caller.
func measure(b *testing.B, op func() (bool, error)) {
	var lat latencies
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			t0 := time.Now()
			timed, err := op()
			if err != nil {
				b.Error(err)
				return
			}
			if timed {
				mine = append(mine, time.Since(t0))
			}
		}
		lat.add(mine)
	})
	b.StopTimer()
	lat.report(b)
}

// forStorage runs bench in memory and with a data directory.
func forStorage(b *testing.B, bench func(b *testing.B, disk bool)) {
	b.Run("memory", func(b *testing.B) { bench(b, false) })
	b.Run("disk", func(b *testing.B) { bench(b, true) })
}

func BenchmarkSDKSend(b *testing.B) {
	forStorage(b, func(b *testing.B, disk bool) {
		c, u := benchTarget(b, disk)
		ctx := testCtx(b)
		body := aws.String("a benchmark message body of modest size, about one hundred bytes long ........")
		measure(b, func() (bool, error) {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: body})
			return true, err
		})
	})
}

// BenchmarkSDKReceiveDelete receives one message and deletes it per operation,
// from a queue filled beforehand.
func BenchmarkSDKReceiveDelete(b *testing.B) {
	forStorage(b, func(b *testing.B, disk bool) {
		c, u := benchTarget(b, disk)
		ctx := testCtx(b)
		for i := 0; i < b.N+100; i += 10 {
			var entries []types.SendMessageBatchRequestEntry
			for k := 0; k < 10; k++ {
				entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("e", k)), MessageBody: aws.String("payload")})
			}
			if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &u, Entries: entries}); err != nil {
				b.Fatal(err)
			}
		}
		var empty atomic.Int64
		measure(b, func() (bool, error) {
			out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u})
			if err != nil {
				return false, err
			}
			if len(out.Messages) == 0 {
				empty.Add(1)
				return false, nil
			}
			_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: out.Messages[0].ReceiptHandle})
			return true, err
		})
		if n := empty.Load(); n > 0 {
			b.ReportMetric(float64(n), "empty-receives")
		}
	})
}

// BenchmarkSDKSendReceiveDelete is the whole life of a message per operation.
func BenchmarkSDKSendReceiveDelete(b *testing.B) {
	forStorage(b, func(b *testing.B, disk bool) {
		c, u := benchTarget(b, disk)
		ctx := testCtx(b)
		measure(b, func() (bool, error) {
			if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("cycle")}); err != nil {
				return false, err
			}
			out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u})
			if err != nil {
				return false, err
			}
			for _, m := range out.Messages {
				if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: m.ReceiptHandle}); err != nil {
					return false, err
				}
			}
			return true, nil
		})
	})
}

// BenchmarkHandlerCycle measures the service alone: a JSON-protocol send,
// receive and delete per operation through ServeHTTP, without the SDK or sockets.
func BenchmarkHandlerCycle(b *testing.B) {
	forStorage(b, func(b *testing.B, disk bool) {
		opts := Options{}
		if disk {
			opts.DataDir = b.TempDir()
		}
		svc, err := New(opts)
		if err != nil {
			b.Fatal(err)
		}
		defer svc.Close()
		if _, err := svc.CreateQueue(testCtx(b), "h", nil); err != nil {
			b.Fatal(err)
		}
		call := func(op, body string) []byte {
			r := httptest.NewRequest("POST", "http://127.0.0.1:4566/", strings.NewReader(body))
			r.Header.Set("X-Amz-Target", "AmazonSQS."+op)
			r.Header.Set("Content-Type", "application/x-amz-json-1.0")
			w := httptest.NewRecorder()
			svc.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatalf("%s: %d %s", op, w.Code, w.Body.String())
			}
			return w.Body.Bytes()
		}
		const u = `"QueueUrl":"http://127.0.0.1:4566/000000000000/h"`
		b.SetParallelism(4)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				call("SendMessage", `{`+u+`,"MessageBody":"cycle"}`)
				var out receiveOut
				if err := json.Unmarshal(call("ReceiveMessage", `{`+u+`}`), &out); err != nil {
					b.Fatal(err)
				}
				for _, m := range out.Messages {
					call("DeleteMessage", `{`+u+`,"ReceiptHandle":"`+m.ReceiptHandle+`"}`)
				}
			}
		})
	})
}

// BenchmarkSDKFloor is the reference for the SDK benchmarks: the same client and
// concurrency against a handler that answers every call with a fixed response, so
// it measures what the SDK and HTTP cost without any queue behind them.
func BenchmarkSDKFloor(b *testing.B) {
	canned := []byte(`{"QueueUrl":"http://127.0.0.1/000000000000/floor"}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write(canned)
	}))
	defer srv.Close()
	c := newClient(srv.URL)
	ctx := testCtx(b)
	measure(b, func() (bool, error) {
		_, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("floor")})
		return true, err
	})
}
