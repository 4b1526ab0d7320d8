package queue

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"testing"
)

// encodeSendBatchForm is the query-protocol encoding of a SendMessageBatch input,
// as botocore writes it.
func encodeSendBatchForm(in *sendBatchIn) url.Values {
	v := url.Values{"Action": {"SendMessageBatch"}, "QueueUrl": {in.QueueUrl}}
	for i, e := range in.Entries {
		p := fmt.Sprintf("SendMessageBatchRequestEntry.%d.", i+1)
		v.Set(p+"Id", e.Id)
		if e.MessageBody != nil {
			v.Set(p+"MessageBody", *e.MessageBody)
		}
		if e.DelaySeconds != nil {
			v.Set(p+"DelaySeconds", fmt.Sprint(*e.DelaySeconds))
		}
		if e.MessageGroupId != "" {
			v.Set(p+"MessageGroupId", e.MessageGroupId)
		}
		if e.MessageDeduplicationId != "" {
			v.Set(p+"MessageDeduplicationId", e.MessageDeduplicationId)
		}
		k := 1
		for name, a := range e.MessageAttributes {
			ap := fmt.Sprintf("%sMessageAttribute.%d.", p, k)
			v.Set(ap+"Name", name)
			v.Set(ap+"Value.DataType", a.DataType)
			if a.StringValue != nil {
				v.Set(ap+"Value.StringValue", *a.StringValue)
			}
			if a.BinaryValue != nil {
				v.Set(ap+"Value.BinaryValue", base64.StdEncoding.EncodeToString(a.BinaryValue))
			}
			k++
		}
	}
	return v
}

// FuzzQueryForm feeds arbitrary form bodies to the query-protocol decoders, and
// checks that a decoded SendMessageBatch re-encodes to the same input.
func FuzzQueryForm(f *testing.F) {
	f.Add("Action=SendMessageBatch&QueueUrl=http%3A%2F%2Fh%2F000000000000%2Fq&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=hi&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=k&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=v&SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=x&SendMessageBatchRequestEntry.2.DelaySeconds=3")
	f.Add("Action=ReceiveMessage&AttributeName.1=All&MessageAttributeName.1=.*&MaxNumberOfMessages=10&WaitTimeSeconds=1")
	f.Add("Action=DeleteMessageBatch&DeleteMessageBatchRequestEntry.1.Id=x&DeleteMessageBatchRequestEntry.1.ReceiptHandle=abc&DeleteMessageBatchRequestEntry.10.Id=y")
	f.Add("Action=SendMessage&MessageBody=b&MessageAttribute.1.Name=bin&MessageAttribute.1.Value.DataType=Binary&MessageAttribute.1.Value.BinaryValue=AAE%3D&MessageSystemAttribute.1.Name=AWSTraceHeader&MessageSystemAttribute.1.Value.DataType=String&MessageSystemAttribute.1.Value.StringValue=t")
	f.Add("Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=5&Attribute.0.Name=x&Attribute.a.Name=y&Tag.1.Key=k")
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		_, _ = sendFieldsFrom(flat(v))
		_, _ = decodeReceive(v)
		_, _ = decodeHandleBatch(v, "DeleteMessageBatchRequestEntry")
		_ = nameValueMap(v, "Attribute", "Name", "Value")
		_ = strList(v, "AttributeName")
		in, err := decodeSendBatch(v)
		if err != nil {
			return
		}
		again, err := decodeSendBatch(encodeSendBatchForm(in))
		if err != nil {
			t.Fatalf("re-encoded batch does not decode: %v", err)
		}
		if !reflect.DeepEqual(normalizeBatch(in), normalizeBatch(again)) {
			t.Fatalf("round trip changed the batch:\n%+v\n%+v", in, again)
		}
	})
}

// normalizeBatch makes empty and nil collections compare equal.
func normalizeBatch(in *sendBatchIn) *sendBatchIn {
	c := *in
	c.Entries = append([]sendBatchEntry{}, in.Entries...)
	for i := range c.Entries {
		if len(c.Entries[i].MessageAttributes) == 0 {
			c.Entries[i].MessageAttributes = nil
		}
		if len(c.Entries[i].MessageSystemAttributes) == 0 {
			c.Entries[i].MessageSystemAttributes = nil
		}
		for k, a := range c.Entries[i].MessageAttributes {
			if len(a.BinaryValue) == 0 {
				a.BinaryValue = nil
			}
			c.Entries[i].MessageAttributes[k] = a
		}
	}
	return &c
}

// FuzzJSONSendBatch decodes arbitrary SendMessageBatch JSON the way the JSON
// protocol does and sends it: every entry must end up either successful or failed.
func FuzzJSONSendBatch(f *testing.F) {
	f.Add([]byte(`{"QueueUrl":"q","Entries":[{"Id":"a","MessageBody":"x"},{"Id":"b","MessageBody":"y","DelaySeconds":2,"MessageAttributes":{"k":{"DataType":"String","StringValue":"v"}}}]}`))
	f.Add([]byte(`{"QueueUrl":"q","Entries":[{"Id":"a","MessageBody":"\u0000"},{"Id":"a"}]}`))
	f.Add([]byte(`{"QueueUrl":"q","Entries":[{"Id":"z","MessageBody":"b","MessageAttributes":{"bin":{"DataType":"Binary","BinaryValue":"AAE="}},"MessageSystemAttributes":{"AWSTraceHeader":{"DataType":"String","StringValue":"t"}}}]}`))
	f.Add([]byte(`{"QueueUrl":"q","Entries":[]}`))
	svc, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer svc.Close()
	ctx := context.Background()
	if _, err := svc.CreateQueue(ctx, "q", nil); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var in sendBatchIn
		if err := json.Unmarshal(raw, &in); err != nil {
			return
		}
		in.QueueUrl = "q"
		out, err := svc.jsonSendBatch(ctx, &in)
		if err != nil {
			return
		}
		if len(out.Successful)+len(out.Failed) != len(in.Entries) {
			t.Fatalf("%d entries, %d successful, %d failed", len(in.Entries), len(out.Successful), len(out.Failed))
		}
		for _, s := range out.Successful {
			if s.MD5OfMessageBody == "" || s.MessageId == "" {
				t.Fatalf("successful entry without id or digest: %+v", s)
			}
		}
		_ = svc.PurgeQueue(ctx, "q")
	})
}

// FuzzJournalRecord replays arbitrary bytes as a journal record: decoding must
// fail cleanly, never panic; and an encoded message decodes to itself.
func FuzzJournalRecord(f *testing.F) {
	m := &message{seq: 7, id: "id", body: "body", attrs: map[string]Attribute{"a": {DataType: "Binary", BinaryValue: []byte{1}}},
		md5Body: md5Hex("body"), sent: 1, visibleAt: 5, receives: 2, nonce: 9, state: stInflight}
	f.Add(encodeSend("q", m))
	f.Add(encodeState("q", m))
	f.Add(encodeMove("q", 7, "d", m))
	f.Add(encodeName(recPurge, "q"))
	f.Add([]byte{recQueue, 1, 'q', 2, 2, 0, 0})
	f.Fuzz(func(t *testing.T, rec []byte) {
		s := &Service{queues: map[string]*queue{}, region: "us-east-1", account: DefaultAccountID}
		s.queues["q"] = newQueue("q", s.arnOf("q"), false, 1, defaultAttrs(false), nil)
		s.queues["d.fifo"] = newQueue("d.fifo", s.arnOf("d.fifo"), true, 1, defaultAttrs(true), nil)
		_ = s.apply(rec)
		d := &dec{b: rec[min(len(rec), 1):]}
		_ = d.str()
		got := d.message()
		if d.err != nil {
			return
		}
		again := &dec{b: encodeSend("q", got)[1:]}
		_ = again.str()
		if back := again.message(); again.err != nil || !reflect.DeepEqual(back, got) {
			t.Fatalf("message does not round-trip: %+v vs %+v (%v)", got, back, again.err)
		}
	})
}

// FuzzReceiptHandle checks that arbitrary handles are rejected or decode, and
// that encoded handles decode to what was encoded.
func FuzzReceiptHandle(f *testing.F) {
	f.Add("AQAAAAAAAAAHAAAAAAAAAAkAAAAA", uint64(7), uint64(9))
	f.Add("", uint64(0), uint64(0))
	f.Fuzz(func(t *testing.T, h string, seq, nonce uint64) {
		_, _, _ = decodeHandle(h)
		s, n, ok := decodeHandle(encodeHandle(seq, nonce))
		if !ok || s != seq || n != nonce {
			t.Fatalf("handle (%d,%d) decoded to (%d,%d,%v)", seq, nonce, s, n, ok)
		}
	})
}
