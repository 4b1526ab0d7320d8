package queue

import (
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// TestNoDuplicateDeliveryWithinVisibilityTimeout has many receivers race for
// messages whose visibility timeout outlasts the test, half of them deleting
// what they get and half not (on the FIFO queue all delete, since an undeleted
// message locks its group): every message must be delivered exactly once.
func TestNoDuplicateDeliveryWithinVisibilityTimeout(t *testing.T) {
	for _, name := range []string{"race", "race.fifo"} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, Options{DataDir: t.TempDir()})
			ctx := testCtx(t)
			attrs := map[string]string{"VisibilityTimeout": "600"}
			fifo := name == "race.fifo"
			if fifo {
				attrs["FifoQueue"] = "true"
				attrs["ContentBasedDeduplication"] = "true"
			}
			u := e.createQueue(t, name, attrs)
			const total = 600
			var sendWG sync.WaitGroup
			for w := 0; w < 4; w++ {
				sendWG.Add(1)
				go func(w int) {
					defer sendWG.Done()
					for i := w; i < total; i += 40 {
						var entries []types.SendMessageBatchRequestEntry
						for k := i; k < i+10 && k < total; k++ {
							en := types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("e", k)), MessageBody: aws.String(fmt.Sprint("m-", k))}
							if fifo {
								en.MessageGroupId = aws.String(fmt.Sprint("g", k%7))
							}
							entries = append(entries, en)
						}
						if out, err := e.c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &u, Entries: entries}); err != nil || len(out.Failed) > 0 {
							t.Errorf("send batch: %v %v", out, err)
							return
						}
					}
				}(w * 10)
			}
			var mu sync.Mutex
			seen := map[string]int{}
			var recvWG sync.WaitGroup
			done := make(chan struct{})
			for r := 0; r < 8; r++ {
				recvWG.Add(1)
				go func(r int) {
					defer recvWG.Done()
					for {
						select {
						case <-done:
							return
						default:
						}
						out, err := e.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
						if err != nil {
							t.Errorf("receive: %v", err)
							return
						}
						mu.Lock()
						for _, m := range out.Messages {
							seen[aws.ToString(m.Body)]++
						}
						mu.Unlock()
						if fifo || r%2 == 0 {
							for _, m := range out.Messages {
								if _, err := e.c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: m.ReceiptHandle}); err != nil {
									t.Errorf("delete: %v", err)
								}
							}
						}
					}
				}(r)
			}
			sendWG.Wait()
			eventually(t, "every message delivered", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(seen) == total
			})
			close(done)
			recvWG.Wait()
			for body, n := range seen {
				if n != 1 {
					t.Errorf("%s delivered %d times", body, n)
				}
			}
		})
	}
}
