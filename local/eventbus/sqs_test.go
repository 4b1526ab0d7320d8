package eventbus

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/dragons-dev/dragons/local/awsproto"
	"github.com/dragons-dev/dragons/local/edge"
	"github.com/dragons-dev/dragons/local/queue"
)

// sqsSender connects the event bus to the local SQS service, as the local cloud
// does: string attributes become String message attributes and a missing queue
// is reported as ErrTargetNotFound.
type sqsSender struct{ q *queue.Service }

func (s sqsSender) SendMessage(ctx context.Context, arn, body string, attributes map[string]string) error {
	attrs := map[string]queue.Attribute{}
	for k, v := range attributes {
		attrs[k] = queue.Attribute{DataType: "String", StringValue: v}
	}
	_, err := s.q.SendMessage(ctx, arn, body, attrs)
	if awsproto.IsCode(err, queue.CodeQueueDoesNotExist) {
		return fmt.Errorf("%w: %v", ErrTargetNotFound, err)
	}
	return err
}

type sqsEnv struct {
	q   *queue.Service
	sqs *sqs.Client
}

func newSQSEnv(t testing.TB) *sqsEnv {
	t.Helper()
	q, err := queue.New(queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := edge.New(nil)
	e.HandleTarget("AmazonSQS", q)
	e.Handle("sqs", q)
	srv := httptest.NewServer(e)
	q.SetEndpoint(srv.URL)
	t.Cleanup(func() {
		srv.Close()
		q.Close()
	})
	c := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	return &sqsEnv{q: q, sqs: c}
}

func (e *sqsEnv) create(t testing.TB, name string) (url, arn string) {
	t.Helper()
	out, err := e.q.CreateQueue(context.Background(), name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out.URL, out.ARN
}

// receive long-polls the queue through the SQS SDK until n messages arrived.
func (e *sqsEnv) receive(t testing.TB, url string, n int) []sqstypes.Message {
	t.Helper()
	var got []sqstypes.Message
	deadline := time.Now().Add(10 * time.Second)
	for len(got) < n && time.Now().Before(deadline) {
		out, err := e.sqs.ReceiveMessage(ctxT(t), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url),
			MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, out.Messages...)
	}
	if len(got) < n {
		t.Fatalf("received %d messages from %s, want %d", len(got), url, n)
	}
	return got
}

// TestDeliveryThroughLocalSQS runs targets and dead letters through the real local
// SQS service and reads them back with the SQS SDK.
func TestDeliveryThroughLocalSQS(t *testing.T) {
	env := newSQSEnv(t)
	h := newHarness(t, Options{Queues: sqsSender{env.q}})
	targetURL, targetArn := env.create(t, "audit")
	dlqURL, dlqArn := env.create(t, "audit-dlq")
	gone := "arn:aws:sqs:us-east-1:000000000000:deleted-queue"

	ok := types.Target{Id: aws.String("ok"), Arn: aws.String(targetArn), InputPath: aws.String("$.detail")}
	missing := types.Target{Id: aws.String("missing"), Arn: aws.String(gone), DeadLetterConfig: &types.DeadLetterConfig{Arn: aws.String(dlqArn)}}
	ruleArn := setupRule(t, h.client, "audit", `{"source":["dragons.app"],"detail-type":["DragonAdded"]}`, ok, missing)
	out, err := h.client.PutEvents(ctxT(t), &eventbridge.PutEventsInput{Entries: []types.PutEventsRequestEntry{
		entry("dragons.app", "DragonAdded", `{"eventId":"e-1","dragon":{"name":"Smaug"}}`),
		entry("dragons.app", "DragonRemoved", `{"eventId":"e-2"}`),
	}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("put events = %+v %v", out, err)
	}
	msgs := env.receive(t, targetURL, 1)
	if body := aws.ToString(msgs[0].Body); body != `{"eventId":"e-1","dragon":{"name":"Smaug"}}` {
		t.Fatalf("target got %s", body)
	}
	dl := env.receive(t, dlqURL, 1)
	if id := decodeJSON(t, aws.ToString(dl[0].Body))["id"]; id != aws.ToString(out.Entries[0].EventId) {
		t.Fatalf("dead letter body has id %v", id)
	}
	attrs := dl[0].MessageAttributes
	want := map[string]string{"RULE_ARN": ruleArn, "TARGET_ARN": gone, "ERROR_CODE": "RESOURCE_NOT_FOUND", "RETRY_ATTEMPTS": "0"}
	for k, v := range want {
		a, found := attrs[k]
		if !found || aws.ToString(a.DataType) != "String" || aws.ToString(a.StringValue) != v {
			t.Errorf("attribute %s = %+v, want String %q", k, a, v)
		}
	}
	if aws.ToString(attrs["ERROR_MESSAGE"].StringValue) == "" {
		t.Error("ERROR_MESSAGE is empty")
	}
	if err := h.svc.WaitIdle(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	// Only the DragonAdded event matched.
	extra, err := env.sqs.ReceiveMessage(ctxT(t), &sqs.ReceiveMessageInput{QueueUrl: aws.String(targetURL), WaitTimeSeconds: 0})
	if err != nil || len(extra.Messages) != 0 {
		t.Fatalf("unexpected extra messages %+v %v", extra, err)
	}
}
