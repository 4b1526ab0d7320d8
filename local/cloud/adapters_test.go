package cloud

import (
	"context"
	"testing"

	"github.com/dragons-dev/dragons/local/lambdahost"
	"github.com/dragons-dev/dragons/local/queue"
)

// TestFunctionDeadLetterAttributesKeepTheirTypes sends a function's
// dead-letter message through the adapter the local cloud gives the Lambda
// host and reads it back: ErrorCode is a Number, as Lambda sends it.
func TestFunctionDeadLetterAttributesKeepTheirTypes(t *testing.T) {
	ctx := context.Background()
	sqs, err := queue.New(queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sqs.Close()
	q, err := sqs.CreateQueue(ctx, "fn-dlq", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = queues{sqs}.sendTyped(ctx, q.ARN, `{"dragon":"x"}`, map[string]lambdahost.Attribute{
		"RequestID": {DataType: "String", Value: "req-1"}, "ErrorCode": {DataType: "Number", Value: "200"},
	})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := sqs.Receive(ctx, q.URL, queue.ReceiveInput{MaxMessages: 1, MessageAttributeNames: []string{"All"}})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("receive = %v, %v", msgs, err)
	}
	got := msgs[0].MessageAttributes
	if got["ErrorCode"].DataType != "Number" || got["ErrorCode"].StringValue != "200" || got["RequestID"].DataType != "String" || got["RequestID"].StringValue != "req-1" {
		t.Fatalf("message attributes = %+v", got)
	}
}
