package eventbus

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// notifyQueues is a QueueSender that tells waiters when the event with their id
// arrives.
type notifyQueues struct {
	mu      sync.Mutex
	waiters map[string]chan struct{}
	early   map[string]bool
}

func (n *notifyQueues) SendMessage(_ context.Context, _, body string, _ map[string]string) error {
	var ev struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if ch, ok := n.waiters[ev.ID]; ok {
		close(ch)
		delete(n.waiters, ev.ID)
	} else {
		n.early[ev.ID] = true
	}
	return nil
}

// wait returns a channel closed when the event id has been delivered.
func (n *notifyQueues) wait(id string) <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	ch := make(chan struct{})
	if n.early[id] {
		delete(n.early, id)
		close(ch)
		return ch
	}
	n.waiters[id] = ch
	return ch
}

func reportLatencies(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkPutEventsToTarget measures PutEvents through the SDK until the event
// reaches an SQS target (a QueueSender that records arrivals), with 8 concurrent
// clients.
func BenchmarkPutEventsToTarget(b *testing.B) {
	nq := &notifyQueues{waiters: map[string]chan struct{}{}, early: map[string]bool{}}
	h := newHarness(b, Options{Queues: nq, Workers: 8})
	setupRule(b, h.client, "bench", `{"source":["bench"]}`, sqsTarget("q", "bench"))
	in := &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{entry("bench", "tick", `{"n":1}`)}}
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(4) // 4 x GOMAXPROCS(2) = 8 clients
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			start := time.Now()
			out, err := h.client.PutEvents(context.Background(), in)
			if err != nil {
				b.Error(err)
				return
			}
			<-nq.wait(aws.ToString(out.Entries[0].EventId))
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	reportLatencies(b, lat)
}

// BenchmarkPutEventsToLocalSQS measures PutEvents until the message is received
// from the local SQS service through the SQS SDK (one client).
func BenchmarkPutEventsToLocalSQS(b *testing.B) {
	env := newSQSEnv(b)
	h := newHarness(b, Options{Queues: sqsSender{env.q}})
	url, arn := env.create(b, "bench")
	setupRule(b, h.client, "bench", `{"source":["bench"]}`, types.Target{Id: aws.String("q"), Arn: aws.String(arn)})
	in := &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{entry("bench", "tick", `{"n":1}`)}}
	ctx := context.Background()
	var lat []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := h.client.PutEvents(ctx, in); err != nil {
			b.Fatal(err)
		}
		for {
			out, err := env.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 5})
			if err != nil {
				b.Fatal(err)
			}
			if len(out.Messages) == 0 {
				continue
			}
			lat = append(lat, time.Since(start))
			if _, err := env.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: out.Messages[0].ReceiptHandle}); err != nil {
				b.Fatal(err)
			}
			break
		}
	}
	b.StopTimer()
	reportLatencies(b, lat)
}
