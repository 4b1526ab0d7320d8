package queue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// wantCode asserts err is an API error with the given code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var api smithy.APIError
	if !errors.As(err, &api) {
		t.Fatalf("error = %v, want API error %s", err, code)
	}
	if api.ErrorCode() != code {
		t.Fatalf("error code = %s (%v), want %s", api.ErrorCode(), err, code)
	}
}

func wantType[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error = %v (%T), want %T", err, err, target)
	}
	return target
}

func TestQueueLifecycle(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	c := e.c

	u := e.createQueue(t, "orders", map[string]string{"VisibilityTimeout": "45"})
	if want := e.srv.URL + "/000000000000/orders"; u != want {
		t.Fatalf("queue URL = %s, want %s", u, want)
	}
	// Same attributes: idempotent. Different: QueueNameExists.
	if again := e.createQueue(t, "orders", map[string]string{"VisibilityTimeout": "45"}); again != u {
		t.Fatalf("second CreateQueue = %s, want %s", again, u)
	}
	if again := e.createQueue(t, "orders", nil); again != u {
		t.Fatalf("CreateQueue without attributes = %s", again)
	}
	_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders"), Attributes: map[string]string{"VisibilityTimeout": "46"}})
	wantType[*types.QueueNameExists](t, err)

	for _, bad := range []string{"has space", strings.Repeat("x", 81), "bad.fifo"} {
		_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(bad)})
		wantCode(t, err, "InvalidParameterValue")
	}
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("x"), Attributes: map[string]string{"Bogus": "1"}})
	wantType[*types.InvalidAttributeName](t, err)
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("x"), Attributes: map[string]string{"VisibilityTimeout": "50000"}})
	wantType[*types.InvalidAttributeValue](t, err)

	got, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("orders")})
	if err != nil || aws.ToString(got.QueueUrl) != u {
		t.Fatalf("GetQueueUrl = %v, %v", got, err)
	}
	_, err = c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("missing")})
	nq := wantType[*types.QueueDoesNotExist](t, err)
	if nq.ErrorCode() != "AWS.SimpleQueueService.NonExistentQueue" {
		t.Errorf("query-compatible code = %s", nq.ErrorCode())
	}

	// Attributes: defaults and the dynamic ones.
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []types.QueueAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"QueueArn": "arn:aws:sqs:us-east-1:000000000000:orders", "VisibilityTimeout": "45",
		"MessageRetentionPeriod": "345600", "DelaySeconds": "0", "ReceiveMessageWaitTimeSeconds": "0",
		"MaximumMessageSize": "1048576", "ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0",
		"ApproximateNumberOfMessagesDelayed": "0",
	}
	for k, v := range want {
		if attrs.Attributes[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, attrs.Attributes[k], v)
		}
	}
	if ts, err := strconv.ParseInt(attrs.Attributes["CreatedTimestamp"], 10, 64); err != nil || ts < 1_700_000_000 {
		t.Errorf("CreatedTimestamp = %q", attrs.Attributes["CreatedTimestamp"])
	}
	one, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []types.QueueAttributeName{"QueueArn"}})
	if err != nil || len(one.Attributes) != 1 || one.Attributes["QueueArn"] == "" {
		t.Fatalf("named attribute = %v, %v", one.Attributes, err)
	}
	_, err = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []types.QueueAttributeName{"Nope"}})
	wantType[*types.InvalidAttributeName](t, err)

	if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &u, Attributes: map[string]string{
		"DelaySeconds": "3", "ReceiveMessageWaitTimeSeconds": "2", "MessageRetentionPeriod": "600",
	}}); err != nil {
		t.Fatal(err)
	}
	attrs, _ = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []types.QueueAttributeName{"All"}})
	if attrs.Attributes["DelaySeconds"] != "3" || attrs.Attributes["ReceiveMessageWaitTimeSeconds"] != "2" || attrs.Attributes["MessageRetentionPeriod"] != "600" {
		t.Fatalf("after SetQueueAttributes: %v", attrs.Attributes)
	}
	_, err = c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &u, Attributes: map[string]string{"QueueArn": "x"}})
	wantType[*types.InvalidAttributeName](t, err)
	_, err = c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &u, Attributes: map[string]string{"DelaySeconds": "901"}})
	wantType[*types.InvalidAttributeValue](t, err)

	// Tags.
	if _, err := c.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: &u, Tags: map[string]string{"team": "dragons", "env": "local"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: &u, TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: &u})
	if err != nil || len(tags.Tags) != 1 || tags.Tags["team"] != "dragons" {
		t.Fatalf("tags = %v, %v", tags, err)
	}
	created, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("tagged"), Tags: map[string]string{"a": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if tags, _ := c.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: created.QueueUrl}); tags.Tags["a"] != "b" {
		t.Fatalf("CreateQueue tags = %v", tags.Tags)
	}

	// Listing with prefix and pages.
	for i := 0; i < 5; i++ {
		e.createQueue(t, fmt.Sprintf("page-%d", i), nil)
	}
	list, err := c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("page-")})
	if err != nil || len(list.QueueUrls) != 5 || list.NextToken != nil {
		t.Fatalf("ListQueues(prefix) = %v, %v", list, err)
	}
	var paged []string
	p := sqs.NewListQueuesPaginator(c, &sqs.ListQueuesInput{QueueNamePrefix: aws.String("page-"), MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.QueueUrls) > 2 {
			t.Fatalf("page of %d", len(page.QueueUrls))
		}
		paged = append(paged, page.QueueUrls...)
	}
	if !sort.StringsAreSorted(paged) || len(paged) != 5 || !strings.HasSuffix(paged[0], "/page-0") {
		t.Fatalf("paged = %v", paged)
	}

	// Delete.
	if _, err := c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &u}); err != nil {
		t.Fatal(err)
	}
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("x")})
	wantType[*types.QueueDoesNotExist](t, err)
	_, err = c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &u})
	wantType[*types.QueueDoesNotExist](t, err)
}

func TestQueueURLFollowsRequestHost(t *testing.T) {
	e := newEnv(t, Options{})
	e.createQueue(t, "hosted", nil)
	other := newClient(strings.Replace(e.srv.URL, "127.0.0.1", "localhost", 1))
	out, err := other.GetQueueUrl(testCtx(t), &sqs.GetQueueUrlInput{QueueName: aws.String("hosted")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(aws.ToString(out.QueueUrl), "http://localhost:") {
		t.Fatalf("URL = %s, want the request's host", aws.ToString(out.QueueUrl))
	}
	// A URL naming another host still resolves by its name.
	if _, err := e.c.SendMessage(testCtx(t), &sqs.SendMessageInput{QueueUrl: out.QueueUrl, MessageBody: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
}

func strAttr(v string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

func TestSendReceiveDelete(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	c := e.c
	u := e.createQueue(t, "work", nil)
	trace := "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	attrs := map[string]types.MessageAttributeValue{
		"color":      strAttr("red"),
		"count":      {DataType: aws.String("Number"), StringValue: aws.String("42")},
		"blob":       {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 0xff}},
		"meta.owner": {DataType: aws.String("String.person"), StringValue: aws.String("Ünïcode ✓")},
	}
	body := "hello <world> & \"friends\"\r\nline 2\ttab ✓"
	sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: &u, MessageBody: &body, MessageAttributes: attrs,
		MessageSystemAttributes: map[string]types.MessageSystemAttributeValue{
			"AWSTraceHeader": {DataType: aws.String("String"), StringValue: &trace},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantAttrs := map[string]Attribute{
		"color": {DataType: "String", StringValue: "red"}, "count": {DataType: "Number", StringValue: "42"},
		"blob": {DataType: "Binary", BinaryValue: []byte{0, 1, 2, 0xff}}, "meta.owner": {DataType: "String.person", StringValue: "Ünïcode ✓"},
	}
	if got, want := aws.ToString(sent.MD5OfMessageAttributes), attributesMD5(wantAttrs); got != want {
		t.Errorf("MD5OfMessageAttributes = %s, want %s", got, want)
	}
	if got, want := aws.ToString(sent.MD5OfMessageSystemAttributes), attributesMD5(map[string]Attribute{"AWSTraceHeader": {DataType: "String", StringValue: trace}}); got != want || got == "" {
		t.Errorf("MD5OfMessageSystemAttributes = %s, want %s", got, want)
	}

	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: &u, MessageAttributeNames: []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("received %d messages", len(out.Messages))
	}
	m := out.Messages[0]
	if aws.ToString(m.Body) != body || aws.ToString(m.MessageId) != aws.ToString(sent.MessageId) {
		t.Fatalf("message = %q %s", aws.ToString(m.Body), aws.ToString(m.MessageId))
	}
	if aws.ToString(m.MD5OfMessageAttributes) != aws.ToString(sent.MD5OfMessageAttributes) {
		t.Errorf("receive MD5OfMessageAttributes = %s", aws.ToString(m.MD5OfMessageAttributes))
	}
	if len(m.MessageAttributes) != 4 || !bytes.Equal(m.MessageAttributes["blob"].BinaryValue, []byte{0, 1, 2, 0xff}) ||
		aws.ToString(m.MessageAttributes["meta.owner"].StringValue) != "Ünïcode ✓" || aws.ToString(m.MessageAttributes["count"].DataType) != "Number" {
		t.Errorf("message attributes = %+v", m.MessageAttributes)
	}
	if m.Attributes["ApproximateReceiveCount"] != "1" || m.Attributes["SenderId"] != "AKIDLOCAL" || m.Attributes["AWSTraceHeader"] != trace {
		t.Errorf("system attributes = %v", m.Attributes)
	}
	for _, k := range []string{"SentTimestamp", "ApproximateFirstReceiveTimestamp"} {
		if ms, err := strconv.ParseInt(m.Attributes[k], 10, 64); err != nil || ms < 1_700_000_000_000 {
			t.Errorf("%s = %q, want unix milliseconds", k, m.Attributes[k])
		}
	}

	// In flight: invisible to others, and counted as not visible.
	again, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u})
	if err != nil || len(again.Messages) != 0 {
		t.Fatalf("in-flight message received again: %v %v", again, err)
	}
	qa, _ := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []types.QueueAttributeName{"ApproximateNumberOfMessagesNotVisible"}})
	if qa.Attributes["ApproximateNumberOfMessagesNotVisible"] != "1" {
		t.Errorf("NotVisible = %v", qa.Attributes)
	}

	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	// Deleting again succeeds, as SQS does; a malformed handle does not.
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: m.ReceiptHandle}); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: aws.String("not-a-handle")})
	wantType[*types.ReceiptHandleIsInvalid](t, err)
	qa, _ = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []types.QueueAttributeName{"All"}})
	if qa.Attributes["ApproximateNumberOfMessages"] != "0" || qa.Attributes["ApproximateNumberOfMessagesNotVisible"] != "0" {
		t.Errorf("after delete: %v", qa.Attributes)
	}
}

func TestMessageAttributeSelection(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	u := e.createQueue(t, "sel", nil)
	attrs := map[string]types.MessageAttributeValue{"app.a": strAttr("1"), "app.b": strAttr("2"), "other": strAttr("3")}
	cases := []struct {
		names []string
		want  []string
	}{
		{nil, nil},
		{[]string{"All"}, []string{"app.a", "app.b", "other"}},
		{[]string{".*"}, []string{"app.a", "app.b", "other"}},
		{[]string{"app.*"}, []string{"app.a", "app.b"}},
		{[]string{"other", "missing"}, []string{"other"}},
	}
	for _, tc := range cases {
		if _, err := e.c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("b"), MessageAttributes: attrs}); err != nil {
			t.Fatal(err)
		}
		out, err := e.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, MessageAttributeNames: tc.names})
		if err != nil || len(out.Messages) != 1 {
			t.Fatalf("receive: %v %v", out, err)
		}
		m := out.Messages[0]
		var got []string
		sel := map[string]Attribute{}
		for n, a := range m.MessageAttributes {
			got = append(got, n)
			sel[n] = Attribute{DataType: aws.ToString(a.DataType), StringValue: aws.ToString(a.StringValue)}
		}
		sort.Strings(got)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("names %v returned %v, want %v", tc.names, got, tc.want)
		}
		if len(sel) > 0 && aws.ToString(m.MD5OfMessageAttributes) != attributesMD5(sel) {
			t.Errorf("names %v: MD5OfMessageAttributes does not match the returned attributes", tc.names)
		}
		if _, err := e.c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSendValidation(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	c := e.c
	u := e.createQueue(t, "v", nil)
	send := func(in *sqs.SendMessageInput) error {
		in.QueueUrl = &u
		_, err := c.SendMessage(ctx, in)
		return err
	}
	wantType[*types.InvalidMessageContents](t, send(&sqs.SendMessageInput{MessageBody: aws.String("bad \x00 byte")}))
	wantType[*types.InvalidMessageContents](t, send(&sqs.SendMessageInput{MessageBody: aws.String("bad \uFFFF char")}))
	wantCode(t, send(&sqs.SendMessageInput{MessageBody: aws.String("")}), "MissingParameter")
	wantCode(t, send(&sqs.SendMessageInput{MessageBody: aws.String("x"), DelaySeconds: 901}), "InvalidParameterValue")
	wantCode(t, send(&sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
		"AWS.reserved": strAttr("x")}}), "InvalidParameterValue")
	wantCode(t, send(&sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
		"n": {DataType: aws.String("Number"), StringValue: aws.String("abc")}}}), "InvalidParameterValue")
	wantCode(t, send(&sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: map[string]types.MessageAttributeValue{
		"n": {DataType: aws.String("Weird"), StringValue: aws.String("abc")}}}), "InvalidParameterValue")
	wantCode(t, send(&sqs.SendMessageInput{MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")}), "InvalidParameterValue")
	many := map[string]types.MessageAttributeValue{}
	for i := 0; i < 11; i++ {
		many[fmt.Sprint("a", i)] = strAttr("v")
	}
	wantCode(t, send(&sqs.SendMessageInput{MessageBody: aws.String("x"), MessageAttributes: many}), "InvalidParameterValue")
}

func TestMessageSizeLimit(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	// A visibility timeout of 0 keeps the message visible should the SDK retry
	// the receive: with a response this large, aws-sdk-go-v2 sometimes closes the
	// request body while net/http is still finishing the request (the body's
	// WriteTo then reports io.EOF), the connection is torn down under the
	// response and the SDK retries an attempt the service already answered.
	u := e.createQueue(t, "big", map[string]string{"VisibilityTimeout": "0"})
	body := strings.Repeat("x", MaxMessageSize)
	if _, err := e.c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: &body}); err != nil {
		t.Fatalf("1 MiB message: %v", err)
	}
	out, err := e.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u})
	if err != nil || len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != body {
		t.Fatalf("1 MiB message did not round-trip: %v", err)
	}
	over := body + "y"
	_, err = e.c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: &over})
	wantCode(t, err, "InvalidParameterValue")
	// Attributes count toward the limit.
	_, err = e.c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: &body,
		MessageAttributes: map[string]types.MessageAttributeValue{"a": strAttr("b")}})
	wantCode(t, err, "InvalidParameterValue")
	// A smaller MaximumMessageSize is honoured.
	small := e.createQueue(t, "small", map[string]string{"MaximumMessageSize": "1024"})
	_, err = e.c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &small, MessageBody: aws.String(strings.Repeat("z", 1025))})
	wantCode(t, err, "InvalidParameterValue")
}

func TestSendMessageBatch(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	c := e.c
	u := e.createQueue(t, "batch", nil)
	entry := func(id, body string) types.SendMessageBatchRequestEntry {
		return types.SendMessageBatchRequestEntry{Id: aws.String(id), MessageBody: aws.String(body),
			MessageAttributes: map[string]types.MessageAttributeValue{"k": strAttr(id)}}
	}
	out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &u, Entries: []types.SendMessageBatchRequestEntry{
		entry("a", "one"), entry("b", "two"), entry("bad", "nul \x00"), entry("c", "three"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 3 || len(out.Failed) != 1 {
		t.Fatalf("successful %d failed %d", len(out.Successful), len(out.Failed))
	}
	f := out.Failed[0]
	if aws.ToString(f.Id) != "bad" || !f.SenderFault || aws.ToString(f.Code) != "InvalidMessageContents" {
		t.Errorf("failed entry = %+v", f)
	}
	for _, s := range out.Successful {
		want := attributesMD5(map[string]Attribute{"k": {DataType: "String", StringValue: aws.ToString(s.Id)}})
		if aws.ToString(s.MD5OfMessageAttributes) != want || aws.ToString(s.MessageId) == "" {
			t.Errorf("entry %s: %+v", aws.ToString(s.Id), s)
		}
	}
	recv, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, MaxNumberOfMessages: 10})
	if err != nil || len(recv.Messages) != 3 {
		t.Fatalf("received %v, %v", recv, err)
	}

	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &u, Entries: []types.SendMessageBatchRequestEntry{entry("a", "x"), entry("a", "y")}})
	wantType[*types.BatchEntryIdsNotDistinct](t, err)
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &u, Entries: []types.SendMessageBatchRequestEntry{}})
	wantType[*types.EmptyBatchRequest](t, err)
	var eleven []types.SendMessageBatchRequestEntry
	for i := 0; i < 11; i++ {
		eleven = append(eleven, entry(fmt.Sprint("e", i), "x"))
	}
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &u, Entries: eleven})
	wantType[*types.TooManyEntriesInBatchRequest](t, err)
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &u, Entries: []types.SendMessageBatchRequestEntry{entry("bad id!", "x")}})
	wantType[*types.InvalidBatchEntryId](t, err)
	half := strings.Repeat("h", MaxMessageSize/2+1)
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &u, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("x"), MessageBody: &half}, {Id: aws.String("y"), MessageBody: &half}}})
	wantType[*types.BatchRequestTooLong](t, err)
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(e.srv.URL + "/000000000000/none"), Entries: []types.SendMessageBatchRequestEntry{entry("a", "x")}})
	wantType[*types.QueueDoesNotExist](t, err)
}

func TestReceiveOptions(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	c := e.c
	u := e.createQueue(t, "many", nil)
	for i := 0; i < 15; i++ {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String(fmt.Sprint("m", i))}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, MaxNumberOfMessages: 10})
	if err != nil || len(out.Messages) != 10 {
		t.Fatalf("MaxNumberOfMessages 10 returned %d, %v", len(out.Messages), err)
	}
	one, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u})
	if err != nil || len(one.Messages) != 1 {
		t.Fatalf("default receive returned %d, %v", len(one.Messages), err)
	}
	for _, n := range []int32{11, -1} {
		_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, MaxNumberOfMessages: n})
		wantCode(t, err, "InvalidParameterValue")
	}
	_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, WaitTimeSeconds: 21})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, VisibilityTimeout: 43201})
	wantCode(t, err, "InvalidParameterValue")
}

func TestVisibilityTimeout(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	c := e.c
	u := e.createQueue(t, "vis", nil)
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("v")}); err != nil {
		t.Fatal(err)
	}
	recv := func(vis int32) *types.Message {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, VisibilityTimeout: vis,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{"ApproximateReceiveCount"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return nil
		}
		return &out.Messages[0]
	}
	first := recv(1)
	if first == nil || first.Attributes["ApproximateReceiveCount"] != "1" {
		t.Fatalf("first receive = %+v", first)
	}
	// The 1-second override expires and the message is delivered again.
	var second *types.Message
	eventually(t, "message visible again after its visibility timeout", func() bool {
		second = recv(30)
		return second != nil
	})
	if second.Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("receive count = %v", second.Attributes)
	}
	// ChangeMessageVisibility to 0 makes it visible at once.
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &u, ReceiptHandle: second.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	// Its old handle no longer names an in-flight message.
	_, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &u, ReceiptHandle: second.ReceiptHandle, VisibilityTimeout: 10})
	wantType[*types.MessageNotInflight](t, err)
	third := recv(30)
	if third == nil || third.Attributes["ApproximateReceiveCount"] != "3" {
		t.Fatalf("after ChangeMessageVisibility(0): %+v", third)
	}
	// Extending works; the batch form reports per entry.
	out, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &u, Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("ok"), ReceiptHandle: third.ReceiptHandle, VisibilityTimeout: 60},
		{Id: aws.String("bad"), ReceiptHandle: aws.String("garbage"), VisibilityTimeout: 60},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Successful) != 1 || aws.ToString(out.Successful[0].Id) != "ok" || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Code) != "ReceiptHandleIsInvalid" {
		t.Fatalf("batch = %+v", out)
	}
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &u, ReceiptHandle: third.ReceiptHandle, VisibilityTimeout: 43201})
	wantCode(t, err, "InvalidParameterValue")
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: third.ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &u, ReceiptHandle: third.ReceiptHandle, VisibilityTimeout: 10})
	wantCode(t, err, "InvalidParameterValue")
}

func TestDeleteMessageBatch(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	c := e.c
	u := e.createQueue(t, "del", nil)
	for i := 0; i < 3; i++ {
		c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("d")})
	}
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, MaxNumberOfMessages: 10})
	if err != nil || len(out.Messages) != 3 {
		t.Fatalf("receive: %v %v", out, err)
	}
	entries := []types.DeleteMessageBatchRequestEntry{{Id: aws.String("junk"), ReceiptHandle: aws.String("AAAA")}}
	for i, m := range out.Messages {
		entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("m", i)), ReceiptHandle: m.ReceiptHandle})
	}
	res, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &u, Entries: entries})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Successful) != 3 || len(res.Failed) != 1 || aws.ToString(res.Failed[0].Id) != "junk" || aws.ToString(res.Failed[0].Code) != "ReceiptHandleIsInvalid" {
		t.Fatalf("batch delete = %+v", res)
	}
	qa, _ := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []types.QueueAttributeName{"All"}})
	if qa.Attributes["ApproximateNumberOfMessagesNotVisible"] != "0" || qa.Attributes["ApproximateNumberOfMessages"] != "0" {
		t.Fatalf("after batch delete: %v", qa.Attributes)
	}
	_, err = c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &u, Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("a"), ReceiptHandle: aws.String("x")}, {Id: aws.String("a"), ReceiptHandle: aws.String("y")}}})
	wantType[*types.BatchEntryIdsNotDistinct](t, err)
	_, err = c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &u, Entries: []types.DeleteMessageBatchRequestEntry{}})
	wantType[*types.EmptyBatchRequest](t, err)
}

func TestLongPollingWakesUp(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	u := e.createQueue(t, "poll", nil)
	q, _ := e.svc.resolve("poll")
	type result struct {
		out *sqs.ReceiveMessageOutput
		err error
	}
	done := make(chan result, 1)
	go func() {
		// The request's own deadline is shorter than its wait time, so only a
		// wake-up by the send below can deliver the message.
		rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		out, err := e.c.ReceiveMessage(rctx, &sqs.ReceiveMessageInput{QueueUrl: &u, WaitTimeSeconds: 20})
		done <- result{out, err}
	}()
	eventually(t, "the receiver to wait", func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		return q.waiters == 1
	})
	if _, err := e.c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("wake")}); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || len(r.out.Messages) != 1 || aws.ToString(r.out.Messages[0].Body) != "wake" {
		t.Fatalf("long poll = %+v, %v", r.out, r.err)
	}
	// An empty queue answers empty once the wait is over.
	out, err := e.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, WaitTimeSeconds: 1})
	if err != nil || len(out.Messages) != 0 {
		t.Fatalf("empty long poll = %v, %v", out, err)
	}
	// Deleting the queue ends a long poll with QueueDoesNotExist.
	go func() {
		out, err := e.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, WaitTimeSeconds: 20})
		done <- result{out, err}
	}()
	eventually(t, "the receiver to wait", func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		return q.waiters == 1
	})
	e.c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &u})
	r = <-done
	wantType[*types.QueueDoesNotExist](t, r.err)
}

func TestDelayedMessages(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	c := e.c
	u := e.createQueue(t, "delay", nil)
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("later"), DelaySeconds: 1}); err != nil {
		t.Fatal(err)
	}
	qa, _ := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []types.QueueAttributeName{"All"}})
	if qa.Attributes["ApproximateNumberOfMessagesDelayed"] != "1" || qa.Attributes["ApproximateNumberOfMessages"] != "0" {
		t.Fatalf("delayed counts = %v", qa.Attributes)
	}
	if out, _ := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u}); len(out.Messages) != 0 {
		t.Fatal("delayed message delivered at once")
	}
	eventually(t, "the delayed message", func() bool {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u})
		return err == nil && len(out.Messages) == 1
	})
	// A queue-level delay applies when the message names none.
	e.c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &u, Attributes: map[string]string{"DelaySeconds": "1"}})
	c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("queue delay")})
	qa, _ = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []types.QueueAttributeName{"ApproximateNumberOfMessagesDelayed"}})
	if qa.Attributes["ApproximateNumberOfMessagesDelayed"] != "1" {
		t.Fatalf("queue delay not applied: %v", qa.Attributes)
	}
}

func TestPurgeQueue(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	u := e.createQueue(t, "purge", nil)
	for i := 0; i < 5; i++ {
		e.c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("p")})
	}
	e.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, MaxNumberOfMessages: 2})
	if _, err := e.c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: &u}); err != nil {
		t.Fatal(err)
	}
	qa, _ := e.c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []types.QueueAttributeName{"All"}})
	if qa.Attributes["ApproximateNumberOfMessages"] != "0" || qa.Attributes["ApproximateNumberOfMessagesNotVisible"] != "0" {
		t.Fatalf("after purge: %v", qa.Attributes)
	}
	_, err := e.c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(e.srv.URL + "/000000000000/nope")})
	wantType[*types.QueueDoesNotExist](t, err)
}

func TestFIFOQueue(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	c := e.c
	_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("nofifo"), Attributes: map[string]string{"FifoQueue": "true"}})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("std"), Attributes: map[string]string{"ContentBasedDeduplication": "true"}})
	wantType[*types.InvalidAttributeName](t, err)
	u := e.createQueue(t, "jobs.fifo", map[string]string{"FifoQueue": "true"})
	attrs, _ := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []types.QueueAttributeName{"All"}})
	if attrs.Attributes["FifoQueue"] != "true" || attrs.Attributes["ContentBasedDeduplication"] != "false" {
		t.Fatalf("FIFO attributes = %v", attrs.Attributes)
	}

	send := func(group, dedup, body string) *sqs.SendMessageOutput {
		t.Helper()
		out, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: &body, MessageGroupId: &group, MessageDeduplicationId: &dedup})
		if err != nil {
			t.Fatalf("send %s: %v", body, err)
		}
		return out
	}
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")})
	wantCode(t, err, "MissingParameter")
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("x"), MessageGroupId: aws.String("g")})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &u, MessageBody: aws.String("x"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d"), DelaySeconds: 5})
	wantCode(t, err, "InvalidParameterValue")

	a1 := send("A", "a1", "A1")
	send("A", "a2", "A2")
	send("B", "b1", "B1")
	send("A", "a3", "A3")
	dup := send("A", "a1", "A1 again")
	if aws.ToString(dup.MessageId) != aws.ToString(a1.MessageId) || aws.ToString(dup.SequenceNumber) != aws.ToString(a1.SequenceNumber) {
		t.Fatalf("duplicate send got %s, want the original %s", aws.ToString(dup.MessageId), aws.ToString(a1.MessageId))
	}
	if len(aws.ToString(a1.SequenceNumber)) != 20 {
		t.Fatalf("SequenceNumber = %q", aws.ToString(a1.SequenceNumber))
	}
	qa, _ := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []types.QueueAttributeName{"ApproximateNumberOfMessages"}})
	if qa.Attributes["ApproximateNumberOfMessages"] != "4" {
		t.Fatalf("deduplicated count = %v", qa.Attributes)
	}
	bodies := func(out *sqs.ReceiveMessageOutput) []string {
		var b []string
		for _, m := range out.Messages {
			b = append(b, aws.ToString(m.Body))
		}
		return b
	}
	recv := func(max int32) *sqs.ReceiveMessageOutput {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &u, MaxNumberOfMessages: max,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	first := recv(1)
	if got := bodies(first); fmt.Sprint(got) != "[A1]" {
		t.Fatalf("first = %v", got)
	}
	m := first.Messages[0]
	if m.Attributes["MessageGroupId"] != "A" || m.Attributes["MessageDeduplicationId"] != "a1" || m.Attributes["SequenceNumber"] != aws.ToString(a1.SequenceNumber) {
		t.Errorf("FIFO attributes = %v", m.Attributes)
	}
	// Group A is locked while A1 is in flight.
	if got := bodies(recv(10)); fmt.Sprint(got) != "[B1]" {
		t.Fatalf("while A1 in flight = %v, want [B1]", got)
	}
	c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: m.ReceiptHandle})
	if got := bodies(recv(10)); fmt.Sprint(got) != "[A2 A3]" {
		t.Fatalf("after deleting A1 = %v, want [A2 A3]", got)
	}

	// Content-based deduplication.
	cb := e.createQueue(t, "cb.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"})
	r1, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &cb, MessageBody: aws.String("same"), MessageGroupId: aws.String("g")})
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &cb, MessageBody: aws.String("same"), MessageGroupId: aws.String("g")})
	r3, _ := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &cb, MessageBody: aws.String("other"), MessageGroupId: aws.String("g")})
	if aws.ToString(r1.MessageId) != aws.ToString(r2.MessageId) || aws.ToString(r1.MessageId) == aws.ToString(r3.MessageId) {
		t.Fatalf("content dedup ids: %s %s %s", aws.ToString(r1.MessageId), aws.ToString(r2.MessageId), aws.ToString(r3.MessageId))
	}
	// Batches keep their order within a group.
	var entries []types.SendMessageBatchRequestEntry
	for i := 0; i < 10; i++ {
		entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint("e", i)), MessageBody: aws.String(fmt.Sprint(i)),
			MessageGroupId: aws.String("ordered"), MessageDeduplicationId: aws.String(fmt.Sprint("o", i))})
	}
	ordered := e.createQueue(t, "ordered.fifo", map[string]string{"FifoQueue": "true"})
	if out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &ordered, Entries: entries}); err != nil || len(out.Successful) != 10 {
		t.Fatalf("FIFO batch: %v %v", out, err)
	}
	got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &ordered, MaxNumberOfMessages: 10})
	if err != nil || fmt.Sprint(bodies(got)) != "[0 1 2 3 4 5 6 7 8 9]" {
		t.Fatalf("FIFO batch order = %v, %v", bodies(got), err)
	}
}

func TestRedriveToDeadLetterQueue(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	c := e.c
	dlq := e.createQueue(t, "work-dlq", nil)
	dlqArn := "arn:aws:sqs:us-east-1:000000000000:work-dlq"
	policy := fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":"2"}`, dlqArn)
	// VisibilityTimeout 0 (the SDK does not send a zero override) makes every
	// received message visible again at once.
	src := e.createQueue(t, "work-src", map[string]string{"RedrivePolicy": policy, "VisibilityTimeout": "0"})
	qa, _ := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &src, AttributeNames: []types.QueueAttributeName{"RedrivePolicy"}})
	var rp map[string]any
	if err := json.Unmarshal([]byte(qa.Attributes["RedrivePolicy"]), &rp); err != nil || rp["deadLetterTargetArn"] != dlqArn || rp["maxReceiveCount"] != float64(2) {
		t.Fatalf("RedrivePolicy = %q", qa.Attributes["RedrivePolicy"])
	}
	sent, _ := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &src, MessageBody: aws.String("poison"),
		MessageAttributes: map[string]types.MessageAttributeValue{"k": strAttr("v")}})
	for i := 1; i <= 2; i++ {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &src})
		if err != nil || len(out.Messages) != 1 {
			t.Fatalf("receive %d: %v %v", i, out, err)
		}
	}
	// The third receive would exceed maxReceiveCount: the message moves instead.
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &src})
	if err != nil || len(out.Messages) != 0 {
		t.Fatalf("third receive = %v, %v; want nothing", out, err)
	}
	moved, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &dlq, MessageAttributeNames: []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{"All"}})
	if err != nil || len(moved.Messages) != 1 {
		t.Fatalf("DLQ receive = %v, %v", moved, err)
	}
	m := moved.Messages[0]
	if aws.ToString(m.MessageId) != aws.ToString(sent.MessageId) || aws.ToString(m.Body) != "poison" ||
		m.Attributes["DeadLetterQueueSourceArn"] != "arn:aws:sqs:us-east-1:000000000000:work-src" ||
		aws.ToString(m.MessageAttributes["k"].StringValue) != "v" {
		t.Fatalf("DLQ message = %+v", m)
	}
	srcs, err := c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: &dlq})
	if err != nil || len(srcs.QueueUrls) != 1 || srcs.QueueUrls[0] != src {
		t.Fatalf("ListDeadLetterSourceQueues = %v, %v", srcs, err)
	}

	// Invalid policies.
	_, err = c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &src, Attributes: map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:missing","maxReceiveCount":3}`}})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &src, Attributes: map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":0}`, dlqArn)}})
	wantCode(t, err, "InvalidParameterValue")
	e.createQueue(t, "closed-dlq", map[string]string{"RedriveAllowPolicy": `{"redrivePermission":"denyAll"}`})
	_, err = c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &src, Attributes: map[string]string{
		"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:closed-dlq","maxReceiveCount":3}`}})
	wantCode(t, err, "InvalidParameterValue")
	// Removing the policy stops redrive.
	if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &src, Attributes: map[string]string{"RedrivePolicy": ""}}); err != nil {
		t.Fatal(err)
	}
	if srcs, _ := c.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: &dlq}); len(srcs.QueueUrls) != 0 {
		t.Fatalf("sources after removing policy = %v", srcs.QueueUrls)
	}
}

// fillDLQ sends n messages to src (a queue with VisibilityTimeout 0 and
// maxReceiveCount 1) and receives until every one has moved to the DLQ.
func fillDLQ(t *testing.T, e *testEnv, src string, n int) {
	t.Helper()
	ctx := testCtx(t)
	for i := 0; i < n; i++ {
		if _, err := e.c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &src, MessageBody: aws.String(fmt.Sprint("msg-", i))}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "source queue drained into the DLQ", func() bool {
		out, err := e.c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &src, MaxNumberOfMessages: 10})
		return err == nil && len(out.Messages) == 0
	})
}

func approx(t *testing.T, e *testEnv, u, name string) int {
	t.Helper()
	qa, err := e.c.GetQueueAttributes(testCtx(t), &sqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []types.QueueAttributeName{types.QueueAttributeName(name)}})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(qa.Attributes[name])
	return n
}

func TestMessageMoveTasks(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := testCtx(t)
	c := e.c
	dlq := e.createQueue(t, "mv-dlq", nil)
	dlqArn := "arn:aws:sqs:us-east-1:000000000000:mv-dlq"
	src := e.createQueue(t, "mv-src", map[string]string{"VisibilityTimeout": "0",
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":1}`, dlqArn)})
	fillDLQ(t, e, src, 5)
	if n := approx(t, e, dlq, "ApproximateNumberOfMessages"); n != 5 {
		t.Fatalf("DLQ holds %d messages, want 5", n)
	}

	// Back to the original source.
	start, err := c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: &dlqArn})
	if err != nil || aws.ToString(start.TaskHandle) == "" {
		t.Fatalf("StartMessageMoveTask = %v, %v", start, err)
	}
	var task types.ListMessageMoveTasksResultEntry
	eventually(t, "the move task to complete", func() bool {
		out, err := c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: &dlqArn})
		if err != nil || len(out.Results) != 1 {
			return false
		}
		task = out.Results[0]
		return aws.ToString(task.Status) == "COMPLETED"
	})
	if task.ApproximateNumberOfMessagesMoved != 5 || aws.ToString(task.SourceArn) != dlqArn || task.StartedTimestamp == 0 {
		t.Fatalf("task = %+v", task)
	}
	if n := approx(t, e, src, "ApproximateNumberOfMessages"); n != 5 {
		t.Fatalf("source holds %d messages after redrive, want 5", n)
	}
	// Redriven messages start their receive count over.
	out, _ := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &src, MessageSystemAttributeNames: []types.MessageSystemAttributeName{"ApproximateReceiveCount"}})
	if len(out.Messages) != 1 || out.Messages[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Fatalf("redriven message = %+v", out.Messages)
	}

	// To an explicit destination, rate limited, then cancelled.
	fillDLQ(t, e, src, 6)
	inDLQ := approx(t, e, dlq, "ApproximateNumberOfMessages")
	if inDLQ < 6 {
		t.Fatalf("DLQ holds %d messages, want at least 6", inDLQ)
	}
	other := e.createQueue(t, "mv-other", nil)
	otherArn := "arn:aws:sqs:us-east-1:000000000000:mv-other"
	slow, err := c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: &dlqArn, DestinationArn: &otherArn, MaxNumberOfMessagesPerSecond: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: &dlqArn})
	wantType[*types.UnsupportedOperation](t, err)
	running, err := c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: &dlqArn, MaxResults: aws.Int32(10)})
	if err != nil || len(running.Results) != 2 || aws.ToString(running.Results[0].Status) != "RUNNING" ||
		aws.ToString(running.Results[0].TaskHandle) != aws.ToString(slow.TaskHandle) || aws.ToString(running.Results[0].DestinationArn) != otherArn {
		t.Fatalf("tasks = %+v, %v", running, err)
	}
	if _, err := c.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: slow.TaskHandle}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the task to be cancelled", func() bool {
		out, _ := c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: &dlqArn})
		return len(out.Results) == 1 && aws.ToString(out.Results[0].Status) == "CANCELLED"
	})
	movedOut := approx(t, e, other, "ApproximateNumberOfMessages")
	left := approx(t, e, dlq, "ApproximateNumberOfMessages")
	if movedOut+left != inDLQ || left == 0 {
		t.Fatalf("after cancel: %d moved, %d left; want %d in all with some left", movedOut, left, inDLQ)
	}
	_, err = c.CancelMessageMoveTask(ctx, &sqs.CancelMessageMoveTaskInput{TaskHandle: slow.TaskHandle})
	wantType[*types.ResourceNotFoundException](t, err)

	// Errors.
	_, err = c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:nope")})
	wantType[*types.ResourceNotFoundException](t, err)
	srcArn := "arn:aws:sqs:us-east-1:000000000000:mv-src"
	_, err = c.StartMessageMoveTask(ctx, &sqs.StartMessageMoveTaskInput{SourceArn: &srcArn})
	wantCode(t, err, "InvalidParameterValue")
	_, err = c.ListMessageMoveTasks(ctx, &sqs.ListMessageMoveTasksInput{SourceArn: aws.String("arn:aws:sqs:us-east-1:000000000000:nope")})
	wantType[*types.ResourceNotFoundException](t, err)
}

func TestJSONErrorsCarryQueryCode(t *testing.T) {
	e := newEnv(t, Options{})
	req, _ := http.NewRequest("POST", e.srv.URL, strings.NewReader(`{"QueueUrl":"http://x/000000000000/none","MessageBody":"b"}`))
	req.Header.Set("X-Amz-Target", "AmazonSQS.SendMessage")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 400 || body["__type"] != "com.amazonaws.sqs#QueueDoesNotExist" ||
		resp.Header.Get("x-amzn-query-error") != "AWS.SimpleQueueService.NonExistentQueue;Sender" {
		t.Fatalf("status %d body %v query header %q", resp.StatusCode, body, resp.Header.Get("x-amzn-query-error"))
	}
	// An unknown operation is named in the error.
	req, _ = http.NewRequest("POST", e.srv.URL, strings.NewReader(`{}`))
	req.Header.Set("X-Amz-Target", "AmazonSQS.Frobnicate")
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	json.NewDecoder(resp2.Body).Decode(&body)
	if resp2.StatusCode != 400 || !strings.Contains(body["message"], "Frobnicate") {
		t.Fatalf("unknown operation: %d %v", resp2.StatusCode, body)
	}
}
