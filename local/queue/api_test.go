package queue

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/dragons-dev/dragons/local/awsproto"
)

func TestGoAPI(t *testing.T) {
	svc, err := New(Options{Region: "eu-west-1", Endpoint: "http://127.0.0.1:4566/"})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	ctx := context.Background()

	q, err := svc.CreateQueue(ctx, "events-target", map[string]string{"VisibilityTimeout": "5"})
	if err != nil {
		t.Fatal(err)
	}
	if q.URL != "http://127.0.0.1:4566/000000000000/events-target" || q.ARN != "arn:aws:sqs:eu-west-1:000000000000:events-target" {
		t.Fatalf("queue = %+v", q)
	}
	svc.SetEndpoint("http://127.0.0.1:9999")
	if u, _ := svc.QueueURL(ctx, "events-target"); u != "http://127.0.0.1:9999/000000000000/events-target" {
		t.Fatalf("QueueURL after SetEndpoint = %s", u)
	}
	if arn, _ := svc.QueueARN(ctx, q.URL); arn != q.ARN {
		t.Fatalf("QueueARN(URL) = %s", arn)
	}

	// Callers may name the queue by ARN, URL or name.
	id, err := svc.SendMessage(ctx, q.ARN, `{"detail":1}`, map[string]Attribute{"RULE_ARN": {DataType: "String", StringValue: "arn:rule"}})
	if err != nil || id == "" {
		t.Fatalf("SendMessage by ARN = %q, %v", id, err)
	}
	res, err := svc.Send(ctx, q.URL, SendInput{Body: "traced", TraceHeader: "Root=1-abc"})
	if err != nil || res.MD5OfBody != md5Hex("traced") || res.MD5OfSystemAttributes == "" {
		t.Fatalf("Send = %+v, %v", res, err)
	}
	msgs, err := svc.Receive(ctx, "events-target", ReceiveInput{MaxMessages: 10, AttributeNames: []string{"All"}, MessageAttributeNames: []string{"All"}})
	if err != nil || len(msgs) != 2 {
		t.Fatalf("Receive = %+v, %v", msgs, err)
	}
	for _, m := range msgs {
		switch m.Body {
		case `{"detail":1}`:
			if m.MessageID != id || m.MessageAttributes["RULE_ARN"].StringValue != "arn:rule" {
				t.Errorf("message = %+v", m)
			}
		case "traced":
			if m.Attributes["AWSTraceHeader"] != "Root=1-abc" {
				t.Errorf("trace header = %v", m.Attributes)
			}
		default:
			t.Errorf("unexpected body %q", m.Body)
		}
		if err := svc.DeleteMessage(ctx, q.ARN, m.ReceiptHandle); err != nil {
			t.Fatal(err)
		}
	}

	// What the Go API sends is visible through the wire protocols too.
	e := newEnv(t, Options{})
	e.svc.SendMessage(ctx, mustCreate(t, e.svc, "shared").ARN, "from Go", nil)
	out, err := e.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(e.srv.URL + "/000000000000/shared")})
	if err != nil || len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != "from Go" {
		t.Fatalf("SDK receive of a Go API send = %v, %v", out, err)
	}

	// Errors carry SQS's codes.
	if _, err := svc.SendMessage(ctx, "arn:aws:sqs:eu-west-1:000000000000:missing", "x", nil); !awsproto.IsCode(err, CodeQueueDoesNotExist) {
		t.Fatalf("send to missing queue: %v", err)
	}
	if _, err := svc.SendMessage(ctx, "arn:aws:sqs:us-east-1:000000000000:events-target", "x", nil); !awsproto.IsCode(err, CodeQueueDoesNotExist) {
		t.Fatalf("send to another region's ARN: %v", err)
	}
	if err := svc.DeleteMessage(ctx, q.Name, "junk"); !awsproto.IsCode(err, CodeReceiptHandleIsInvalid) {
		t.Fatalf("bad handle: %v", err)
	}
	if list := svc.ListQueues(ctx, "events"); len(list) != 1 || list[0].ARN != q.ARN {
		t.Fatalf("ListQueues = %+v", list)
	}
	if err := svc.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SendMessage(ctx, q.ARN, "late", nil); err == nil {
		t.Fatal("send after Close succeeded")
	}
}

func mustCreate(t *testing.T, s *Service, name string) Queue {
	t.Helper()
	q, err := s.CreateQueue(context.Background(), name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return q
}
