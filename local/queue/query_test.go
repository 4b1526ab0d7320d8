package queue

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// queryCall posts a query-protocol form, signed for sqs as clients sign it (the
// edge routes query requests by their SigV4 scope), and returns the status and
// body.
func queryCall(t *testing.T, endpoint string, form url.Values) (int, string) {
	t.Helper()
	form.Set("Version", "2012-11-05")
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestQueryProtocol(t *testing.T) {
	e := newEnv(t, Options{})
	ep := e.srv.URL

	code, body := queryCall(t, ep, url.Values{"Action": {"CreateQueue"}, "QueueName": {"qp"},
		"Attribute.1.Name": {"VisibilityTimeout"}, "Attribute.1.Value": {"50"}, "Tag.1.Key": {"k"}, "Tag.1.Value": {"v"}})
	var created struct {
		XMLName   xml.Name `xml:"http://queue.amazonaws.com/doc/2012-11-05/ CreateQueueResponse"`
		QueueURL  string   `xml:"CreateQueueResult>QueueUrl"`
		RequestID string   `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal([]byte(body), &created); err != nil || code != 200 || created.QueueURL != ep+"/000000000000/qp" || created.RequestID == "" {
		t.Fatalf("CreateQueue: %d %s (%v)", code, body, err)
	}
	u := created.QueueURL

	code, body = queryCall(t, ep, url.Values{"Action": {"SendMessage"}, "QueueUrl": {u}, "MessageBody": {"a <b> & c"},
		"MessageAttribute.1.Name": {"bin"}, "MessageAttribute.1.Value.DataType": {"Binary"}, "MessageAttribute.1.Value.BinaryValue": {"AAH/"},
		"MessageAttribute.2.Name": {"s"}, "MessageAttribute.2.Value.DataType": {"String"}, "MessageAttribute.2.Value.StringValue": {"x"}})
	var sent struct {
		MD5Body  string `xml:"SendMessageResult>MD5OfMessageBody"`
		MD5Attrs string `xml:"SendMessageResult>MD5OfMessageAttributes"`
		ID       string `xml:"SendMessageResult>MessageId"`
	}
	wantAttrs := attributesMD5(map[string]Attribute{"bin": {DataType: "Binary", BinaryValue: []byte{0, 1, 0xff}}, "s": {DataType: "String", StringValue: "x"}})
	if err := xml.Unmarshal([]byte(body), &sent); err != nil || code != 200 || sent.MD5Body != md5Hex("a <b> & c") || sent.MD5Attrs != wantAttrs || sent.ID == "" {
		t.Fatalf("SendMessage: %d %s", code, body)
	}

	// Old clients post to the queue URL itself and leave QueueUrl out.
	code, body = queryCall(t, u, url.Values{"Action": {"SendMessageBatch"},
		"SendMessageBatchRequestEntry.1.Id": {"one"}, "SendMessageBatchRequestEntry.1.MessageBody": {"b1"},
		"SendMessageBatchRequestEntry.2.Id": {"two"}, "SendMessageBatchRequestEntry.2.MessageBody": {"bad \x01"}})
	var batch struct {
		OK   []string `xml:"SendMessageBatchResult>SendMessageBatchResultEntry>Id"`
		Fail []struct {
			ID          string `xml:"Id"`
			Code        string
			SenderFault bool
		} `xml:"SendMessageBatchResult>BatchResultErrorEntry"`
	}
	if err := xml.Unmarshal([]byte(body), &batch); err != nil || code != 200 || len(batch.OK) != 1 || batch.OK[0] != "one" || len(batch.Fail) != 1 || !batch.Fail[0].SenderFault || batch.Fail[0].Code != "InvalidMessageContents" {
		t.Fatalf("SendMessageBatch: %d %s", code, body)
	}

	code, body = queryCall(t, ep, url.Values{"Action": {"ReceiveMessage"}, "QueueUrl": {u}, "MaxNumberOfMessages": {"10"},
		"AttributeName.1": {"All"}, "MessageAttributeName.1": {"All"}})
	var recv struct {
		Messages []struct {
			Body, ReceiptHandle, MD5OfBody, MD5OfMessageAttributes string
			Attribute                                              []struct{ Name, Value string }
			MessageAttribute                                       []struct {
				Name  string
				Value struct{ StringValue, BinaryValue, DataType string }
			}
		} `xml:"ReceiveMessageResult>Message"`
	}
	if err := xml.Unmarshal([]byte(body), &recv); err != nil || code != 200 || len(recv.Messages) != 2 {
		t.Fatalf("ReceiveMessage: %d %s", code, body)
	}
	var handles []string
	for _, m := range recv.Messages {
		handles = append(handles, m.ReceiptHandle)
		if m.MD5OfBody != md5Hex(m.Body) {
			t.Errorf("MD5OfBody of %q = %s", m.Body, m.MD5OfBody)
		}
		if m.Body != "a <b> & c" {
			continue
		}
		if m.MD5OfMessageAttributes != wantAttrs || len(m.MessageAttribute) != 2 || m.MessageAttribute[0].Name != "bin" || m.MessageAttribute[0].Value.BinaryValue != "AAH/" {
			t.Errorf("message attributes: %+v", m)
		}
		found := false
		for _, a := range m.Attribute {
			found = found || a.Name == "ApproximateReceiveCount" && a.Value == "1"
		}
		if !found {
			t.Errorf("system attributes: %+v", m.Attribute)
		}
	}

	code, body = queryCall(t, ep, url.Values{"Action": {"DeleteMessageBatch"}, "QueueUrl": {u},
		"DeleteMessageBatchRequestEntry.1.Id": {"a"}, "DeleteMessageBatchRequestEntry.1.ReceiptHandle": {handles[0]},
		"DeleteMessageBatchRequestEntry.2.Id": {"b"}, "DeleteMessageBatchRequestEntry.2.ReceiptHandle": {handles[1]},
		"DeleteMessageBatchRequestEntry.3.Id": {"c"}, "DeleteMessageBatchRequestEntry.3.ReceiptHandle": {"junk"}})
	if code != 200 || strings.Count(body, "<DeleteMessageBatchResultEntry>") != 2 || !strings.Contains(body, "<Code>ReceiptHandleIsInvalid</Code>") {
		t.Fatalf("DeleteMessageBatch: %d %s", code, body)
	}

	code, body = queryCall(t, ep, url.Values{"Action": {"GetQueueAttributes"}, "QueueUrl": {u}, "AttributeName.1": {"All"}})
	if code != 200 || !strings.Contains(body, "<Name>VisibilityTimeout</Name><Value>50</Value>") ||
		!strings.Contains(body, "<Name>ApproximateNumberOfMessagesNotVisible</Name><Value>0</Value>") {
		t.Fatalf("GetQueueAttributes: %d %s", code, body)
	}
	code, body = queryCall(t, ep, url.Values{"Action": {"ListQueueTags"}, "QueueUrl": {u}})
	if code != 200 || !strings.Contains(body, "<Tag><Key>k</Key><Value>v</Value></Tag>") {
		t.Fatalf("ListQueueTags: %d %s", code, body)
	}
	code, body = queryCall(t, ep, url.Values{"Action": {"ListQueues"}, "QueueNamePrefix": {"q"}})
	if code != 200 || !strings.Contains(body, "<QueueUrl>"+u+"</QueueUrl>") {
		t.Fatalf("ListQueues: %d %s", code, body)
	}

	// Errors use the query codes and the Sender/Receiver type.
	for _, c := range []struct {
		form   url.Values
		status int
		code   string
	}{
		{url.Values{"Action": {"GetQueueUrl"}, "QueueName": {"nope"}}, 400, "AWS.SimpleQueueService.NonExistentQueue"},
		{url.Values{"Action": {"CreateQueue"}, "QueueName": {"qp"}, "Attribute.1.Name": {"VisibilityTimeout"}, "Attribute.1.Value": {"1"}}, 400, "QueueAlreadyExists"},
		{url.Values{"Action": {"DeleteMessage"}, "QueueUrl": {u}, "ReceiptHandle": {"junk"}}, 404, "ReceiptHandleIsInvalid"},
		{url.Values{"Action": {"SendMessageBatch"}, "QueueUrl": {u}}, 400, "AWS.SimpleQueueService.EmptyBatchRequest"},
		{url.Values{"Action": {"SendMessage"}, "QueueUrl": {u}, "MessageBody": {"x"}, "DelaySeconds": {"soon"}}, 400, "InvalidParameterValue"},
		{url.Values{"Action": {"Frobnicate"}}, 400, "InvalidAction"},
	} {
		code, body := queryCall(t, ep, c.form)
		if code != c.status || !strings.Contains(body, "<Code>"+c.code+"</Code>") || !strings.Contains(body, "<Type>Sender</Type>") {
			t.Errorf("%s: %d %s, want %d %s", c.form.Get("Action"), code, body, c.status, c.code)
		}
	}
}
