package queue

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/dragons-dev/dragons/local/awsproto"
)

// The query protocol: form-encoded Action=...&Version=2012-11-05 requests (POSTed
// to the endpoint or to a queue URL) answered with XML documents.

const xmlNamespace = "http://queue.amazonaws.com/doc/2012-11-05/"

// maxQueryBody bounds a query request: a 1 MiB batch, percent-encoded.
const maxQueryBody = 16 << 20

func (s *Service) serveQuery(w http.ResponseWriter, r *http.Request, ri reqInfo) {
	form, err := readQueryForm(r)
	if err != nil {
		writeQueryErr(w, err)
		return
	}
	action := form.Get("Action")
	if action == "" {
		writeQueryErr(w, errMissing("Action"))
		return
	}
	// Old clients post to the queue URL and may leave QueueUrl out.
	if form.Get("QueueUrl") == "" && strings.Count(strings.Trim(r.URL.Path, "/"), "/") == 1 {
		form.Set("QueueUrl", ri.base+r.URL.Path)
	}
	ctx := context.WithValue(r.Context(), reqInfoKey{}, ri)
	result, err := s.queryAction(ctx, action, form)
	if err != nil {
		writeQueryErr(w, err)
		return
	}
	id := awsproto.NewRequestID()
	w.Header().Set("X-Amzn-RequestId", id)
	awsproto.WriteXML(w, http.StatusOK, &xmlResponse{
		XMLName:   xml.Name{Space: xmlNamespace, Local: action + "Response"},
		Result:    result,
		RequestID: id,
	})
}

// readQueryForm merges the URL query and a form-encoded body.
func readQueryForm(r *http.Request) (url.Values, error) {
	form := r.URL.Query()
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxQueryBody+1))
		if err != nil {
			return nil, errInvalidParam("cannot read request body: %v", err)
		}
		if len(body) > maxQueryBody {
			return nil, errInvalidParam("request body exceeds %d bytes", maxQueryBody)
		}
		bv, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, errInvalidParam("malformed form body: %v", err)
		}
		for k, v := range bv {
			form[k] = append(form[k], v...)
		}
	}
	return form, nil
}

func writeQueryErr(w http.ResponseWriter, err error) {
	e := *awsproto.AsError(err)
	e.Code = queryCode(e.Code)
	awsproto.WriteQueryError(w, &e)
}

type xmlResponse struct {
	XMLName   xml.Name
	Result    any
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

// members groups prefix.N.rest parameters by N (in ascending order); each group
// maps rest ("" for prefix.N itself) to its value.
func members(v url.Values, prefix string) []map[string]string {
	groups := map[int]map[string]string{}
	p := prefix + "."
	for k, vals := range v {
		if !strings.HasPrefix(k, p) || len(vals) == 0 {
			continue
		}
		idx, rest, _ := strings.Cut(k[len(p):], ".")
		n, err := strconv.Atoi(idx)
		if err != nil || n < 1 {
			continue
		}
		g := groups[n]
		if g == nil {
			g = map[string]string{}
			groups[n] = g
		}
		g[rest] = vals[0]
	}
	keys := make([]int, 0, len(groups))
	for n := range groups {
		keys = append(keys, n)
	}
	sort.Ints(keys)
	out := make([]map[string]string, len(keys))
	for i, n := range keys {
		out[i] = groups[n]
	}
	return out
}

func strList(v url.Values, prefix string) []string {
	var out []string
	for _, g := range members(v, prefix) {
		if s, ok := g[""]; ok {
			out = append(out, s)
		}
	}
	return out
}

func nameValueMap(v url.Values, prefix, key, value string) map[string]string {
	ms := members(v, prefix)
	if len(ms) == 0 {
		return nil
	}
	out := make(map[string]string, len(ms))
	for _, g := range ms {
		out[g[key]] = g[value]
	}
	return out
}

func optInt(v url.Values, name string) (*int, error) {
	s, ok := v[name]
	if !ok || len(s) == 0 {
		return nil, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s[0]))
	if err != nil {
		return nil, errBadValue(name, s[0], "must be an integer")
	}
	return &n, nil
}

// queryAttrs decodes MessageAttribute.N.{Name,Value.DataType,Value.StringValue,
// Value.BinaryValue} (or MessageSystemAttribute.N...) parameters.
func queryAttrs(g map[string]string, prefix string) (map[string]jsonAttrValue, error) {
	sub := url.Values{}
	for k, v := range g {
		sub.Set(k, v)
	}
	ms := members(sub, prefix)
	if len(ms) == 0 {
		return nil, nil
	}
	out := make(map[string]jsonAttrValue, len(ms))
	for _, m := range ms {
		name := m["Name"]
		if name == "" {
			return nil, errMissing(prefix + ".N.Name")
		}
		a := jsonAttrValue{DataType: m["Value.DataType"]}
		if sv, ok := m["Value.StringValue"]; ok {
			a.StringValue = &sv
		}
		if bv, ok := m["Value.BinaryValue"]; ok {
			b, err := base64.StdEncoding.DecodeString(bv)
			if err != nil {
				return nil, errBadValue("MessageAttribute."+name+".BinaryValue", "(binary)", "not valid base64")
			}
			a.BinaryValue = b
		}
		out[name] = a
	}
	return out, nil
}

// sendFieldsFrom decodes one message's fields from a flat parameter group.
func sendFieldsFrom(g map[string]string) (sendFields, error) {
	var f sendFields
	if b, ok := g["MessageBody"]; ok {
		f.MessageBody = &b
	}
	if d, ok := g["DelaySeconds"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(d))
		if err != nil {
			return f, errBadValue("DelaySeconds", d, "must be an integer")
		}
		f.DelaySeconds = &n
	}
	f.MessageDeduplicationId = g["MessageDeduplicationId"]
	f.MessageGroupId = g["MessageGroupId"]
	var err error
	if f.MessageAttributes, err = queryAttrs(g, "MessageAttribute"); err != nil {
		return f, err
	}
	f.MessageSystemAttributes, err = queryAttrs(g, "MessageSystemAttribute")
	return f, err
}

func flat(v url.Values) map[string]string {
	g := make(map[string]string, len(v))
	for k, vals := range v {
		if len(vals) > 0 {
			g[k] = vals[0]
		}
	}
	return g
}

// decodeSendBatch decodes SendMessageBatch parameters.
func decodeSendBatch(v url.Values) (*sendBatchIn, error) {
	in := &sendBatchIn{QueueUrl: v.Get("QueueUrl")}
	for _, g := range members(v, "SendMessageBatchRequestEntry") {
		f, err := sendFieldsFrom(g)
		if err != nil {
			return nil, err
		}
		in.Entries = append(in.Entries, sendBatchEntry{Id: g["Id"], sendFields: f})
	}
	return in, nil
}

// decodeHandleBatch decodes DeleteMessageBatch and ChangeMessageVisibilityBatch
// parameters.
func decodeHandleBatch(v url.Values, prefix string) (*handleBatchIn, error) {
	in := &handleBatchIn{QueueUrl: v.Get("QueueUrl")}
	for _, g := range members(v, prefix) {
		e := handleEntry{Id: g["Id"], ReceiptHandle: g["ReceiptHandle"]}
		if t, ok := g["VisibilityTimeout"]; ok {
			n, err := strconv.Atoi(strings.TrimSpace(t))
			if err != nil {
				return nil, errBadValue("VisibilityTimeout", t, "must be an integer")
			}
			e.VisibilityTimeout = &n
		}
		in.Entries = append(in.Entries, e)
	}
	return in, nil
}

func decodeReceive(v url.Values) (*receiveIn, error) {
	in := &receiveIn{
		QueueUrl:                    v.Get("QueueUrl"),
		AttributeNames:              strList(v, "AttributeName"),
		MessageSystemAttributeNames: strList(v, "MessageSystemAttributeName"),
		MessageAttributeNames:       strList(v, "MessageAttributeName"),
		ReceiveRequestAttemptId:     v.Get("ReceiveRequestAttemptId"),
	}
	max, err := optInt(v, "MaxNumberOfMessages")
	if err != nil {
		return nil, err
	}
	in.MaxNumberOfMessages = intOr(max, 0)
	if in.VisibilityTimeout, err = optInt(v, "VisibilityTimeout"); err != nil {
		return nil, err
	}
	if in.WaitTimeSeconds, err = optInt(v, "WaitTimeSeconds"); err != nil {
		return nil, err
	}
	return in, nil
}

// XML result shapes.

type xNameValue struct {
	Name  string
	Value string
}

type xKeyValue struct {
	Key   string
	Value string
}

func nameValues(m map[string]string) []xNameValue {
	out := make([]xNameValue, 0, len(m))
	for k, v := range m {
		out = append(out, xNameValue{k, v})
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Name < out[k].Name })
	return out
}

type xAttrValue struct {
	StringValue string `xml:",omitempty"`
	BinaryValue string `xml:",omitempty"`
	DataType    string
}

type xMsgAttr struct {
	Name  string
	Value xAttrValue
}

type xMessage struct {
	MessageId              string
	ReceiptHandle          string
	MD5OfBody              string
	Body                   string
	Attribute              []xNameValue
	MD5OfMessageAttributes string `xml:",omitempty"`
	MessageAttribute       []xMsgAttr
}

type xQueueURLResult struct {
	XMLName  xml.Name
	QueueUrl string
}

type xListQueuesResult struct {
	XMLName   xml.Name `xml:"ListQueuesResult"`
	QueueUrl  []string
	NextToken string `xml:",omitempty"`
}

type xDLQSourcesResult struct {
	XMLName   xml.Name `xml:"ListDeadLetterSourceQueuesResult"`
	QueueUrl  []string
	NextToken string `xml:",omitempty"`
}

type xAttributesResult struct {
	XMLName   xml.Name `xml:"GetQueueAttributesResult"`
	Attribute []xNameValue
}

type xTagsResult struct {
	XMLName xml.Name `xml:"ListQueueTagsResult"`
	Tag     []xKeyValue
}

type xSendResult struct {
	XMLName                      xml.Name `xml:"SendMessageResult"`
	MD5OfMessageBody             string
	MD5OfMessageAttributes       string `xml:",omitempty"`
	MD5OfMessageSystemAttributes string `xml:",omitempty"`
	MessageId                    string
	SequenceNumber               string `xml:",omitempty"`
}

type xSendBatchEntry struct {
	Id                           string
	MessageId                    string
	MD5OfMessageBody             string
	MD5OfMessageAttributes       string `xml:",omitempty"`
	MD5OfMessageSystemAttributes string `xml:",omitempty"`
	SequenceNumber               string `xml:",omitempty"`
}

type xBatchError struct {
	Id          string
	SenderFault bool
	Code        string
	Message     string
}

type xSendBatchResult struct {
	XMLName    xml.Name          `xml:"SendMessageBatchResult"`
	Successful []xSendBatchEntry `xml:"SendMessageBatchResultEntry"`
	Failed     []xBatchError     `xml:"BatchResultErrorEntry"`
}

type xIDEntry struct{ Id string }

type xReceiveResult struct {
	XMLName xml.Name `xml:"ReceiveMessageResult"`
	Message []xMessage
}

func xBatchErrors(in []batchError) []xBatchError {
	out := make([]xBatchError, len(in))
	for i, e := range in {
		e.Code = queryCode(e.Code)
		out[i] = xBatchError(e)
	}
	return out
}

func idBatchXML(name, entry string, o *idBatchOut) any {
	w := &xIDBatchWrapper{XMLName: xml.Name{Local: name}, EntryName: entry, Failed: xBatchErrors(o.Failed)}
	for _, s := range o.Successful {
		w.Entries = append(w.Entries, xIDEntry(s))
	}
	return w
}

// xIDBatchWrapper renders successful id entries under an operation-specific name.
type xIDBatchWrapper struct {
	XMLName   xml.Name
	Entries   []xIDEntry
	EntryName string
	Failed    []xBatchError
}

// MarshalXML implements xml.Marshaler.
func (b *xIDBatchWrapper) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	start.Name = b.XMLName
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, s := range b.Entries {
		if err := e.EncodeElement(s, xml.StartElement{Name: xml.Name{Local: b.EntryName}}); err != nil {
			return err
		}
	}
	for _, f := range b.Failed {
		if err := e.EncodeElement(f, xml.StartElement{Name: xml.Name{Local: "BatchResultErrorEntry"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

func xMessages(msgs []Message) []xMessage {
	out := make([]xMessage, len(msgs))
	for i, m := range msgs {
		x := xMessage{
			MessageId: m.MessageID, ReceiptHandle: m.ReceiptHandle, MD5OfBody: m.MD5OfBody, Body: m.Body,
			Attribute: nameValues(m.Attributes), MD5OfMessageAttributes: m.MD5OfMessageAttributes,
		}
		names := make([]string, 0, len(m.MessageAttributes))
		for n := range m.MessageAttributes {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			a := m.MessageAttributes[n]
			v := xAttrValue{DataType: a.DataType}
			if a.isBinary() {
				v.BinaryValue = base64.StdEncoding.EncodeToString(a.BinaryValue)
			} else {
				v.StringValue = a.StringValue
			}
			x.MessageAttribute = append(x.MessageAttribute, xMsgAttr{Name: n, Value: v})
		}
		out[i] = x
	}
	return out
}

// queryAction runs one query-protocol action and returns its result element (nil
// for actions without one).
func (s *Service) queryAction(ctx context.Context, action string, v url.Values) (any, error) {
	qurl := v.Get("QueueUrl")
	switch action {
	case "CreateQueue":
		q, err := s.createQueue(ctx, requestInfo(ctx).base, v.Get("QueueName"),
			nameValueMap(v, "Attribute", "Name", "Value"), nameValueMap(v, "Tag", "Key", "Value"))
		if err != nil {
			return nil, err
		}
		return &xQueueURLResult{XMLName: xml.Name{Local: "CreateQueueResult"}, QueueUrl: q.URL}, nil
	case "GetQueueUrl":
		u, err := s.getQueueURL(ctx, v.Get("QueueName"), v.Get("QueueOwnerAWSAccountId"))
		if err != nil {
			return nil, err
		}
		return &xQueueURLResult{XMLName: xml.Name{Local: "GetQueueUrlResult"}, QueueUrl: u}, nil
	case "ListQueues":
		max, err := optInt(v, "MaxResults")
		if err != nil {
			return nil, err
		}
		urls, next, err := s.listQueueURLs(ctx, v.Get("QueueNamePrefix"), v.Get("NextToken"), max)
		if err != nil {
			return nil, err
		}
		return &xListQueuesResult{QueueUrl: urls, NextToken: next}, nil
	case "GetQueueAttributes":
		a, err := s.QueueAttributes(ctx, qurl, strList(v, "AttributeName"))
		if err != nil {
			return nil, err
		}
		return &xAttributesResult{Attribute: nameValues(a)}, nil
	case "SetQueueAttributes":
		attrs := nameValueMap(v, "Attribute", "Name", "Value")
		if n := v.Get("Attribute.Name"); n != "" { // the oldest clients' single attribute form
			attrs = map[string]string{n: v.Get("Attribute.Value")}
		}
		return nil, s.SetQueueAttributes(ctx, qurl, attrs)
	case "DeleteQueue":
		return nil, s.DeleteQueue(ctx, qurl)
	case "PurgeQueue":
		return nil, s.PurgeQueue(ctx, qurl)
	case "SendMessage":
		f, err := sendFieldsFrom(flat(v))
		if err != nil {
			return nil, err
		}
		si, err := f.input(requestInfo(ctx).sender)
		if err != nil {
			return nil, err
		}
		r, err := s.Send(ctx, qurl, si)
		if err != nil {
			return nil, err
		}
		return &xSendResult{MD5OfMessageBody: r.MD5OfBody, MD5OfMessageAttributes: r.MD5OfAttributes,
			MD5OfMessageSystemAttributes: r.MD5OfSystemAttributes, MessageId: r.MessageID, SequenceNumber: r.SequenceNumber}, nil
	case "SendMessageBatch":
		in, err := decodeSendBatch(v)
		if err != nil {
			return nil, err
		}
		o, err := s.jsonSendBatch(ctx, in)
		if err != nil {
			return nil, err
		}
		r := &xSendBatchResult{Failed: xBatchErrors(o.Failed)}
		for _, e := range o.Successful {
			r.Successful = append(r.Successful, xSendBatchEntry{Id: e.Id, MessageId: e.MessageId, MD5OfMessageBody: e.MD5OfMessageBody,
				MD5OfMessageAttributes: e.MD5OfMessageAttributes, MD5OfMessageSystemAttributes: e.MD5OfMessageSystemAttributes,
				SequenceNumber: e.SequenceNumber})
		}
		return r, nil
	case "ReceiveMessage":
		in, err := decodeReceive(v)
		if err != nil {
			return nil, err
		}
		msgs, err := s.Receive(ctx, qurl, ReceiveInput{
			MaxMessages: in.MaxNumberOfMessages, VisibilityTimeout: in.VisibilityTimeout, WaitTimeSeconds: in.WaitTimeSeconds,
			AttributeNames:        receiveNames(in.AttributeNames, in.MessageSystemAttributeNames),
			MessageAttributeNames: in.MessageAttributeNames,
		})
		if err != nil {
			return nil, err
		}
		return &xReceiveResult{Message: xMessages(msgs)}, nil
	case "DeleteMessage":
		return nil, s.DeleteMessage(ctx, qurl, v.Get("ReceiptHandle"))
	case "DeleteMessageBatch":
		in, err := decodeHandleBatch(v, "DeleteMessageBatchRequestEntry")
		if err != nil {
			return nil, err
		}
		o, err := s.handleBatch(ctx, in, false)
		if err != nil {
			return nil, err
		}
		return idBatchXML("DeleteMessageBatchResult", "DeleteMessageBatchResultEntry", o), nil
	case "ChangeMessageVisibility":
		t, err := optInt(v, "VisibilityTimeout")
		if err != nil {
			return nil, err
		}
		if t == nil {
			return nil, errMissing("VisibilityTimeout")
		}
		return nil, s.ChangeMessageVisibility(ctx, qurl, v.Get("ReceiptHandle"), *t)
	case "ChangeMessageVisibilityBatch":
		in, err := decodeHandleBatch(v, "ChangeMessageVisibilityBatchRequestEntry")
		if err != nil {
			return nil, err
		}
		o, err := s.handleBatch(ctx, in, true)
		if err != nil {
			return nil, err
		}
		return idBatchXML("ChangeMessageVisibilityBatchResult", "ChangeMessageVisibilityBatchResultEntry", o), nil
	case "TagQueue":
		tags := nameValueMap(v, "Tag", "Key", "Value")
		if tags == nil {
			tags = nameValueMap(v, "Tags", "Key", "Value")
		}
		return nil, s.TagQueue(ctx, qurl, tags)
	case "UntagQueue":
		return nil, s.UntagQueue(ctx, qurl, strList(v, "TagKey"))
	case "ListQueueTags":
		t, err := s.QueueTags(ctx, qurl)
		if err != nil {
			return nil, err
		}
		r := &xTagsResult{}
		for _, nv := range nameValues(t) {
			r.Tag = append(r.Tag, xKeyValue{Key: nv.Name, Value: nv.Value})
		}
		return r, nil
	case "ListDeadLetterSourceQueues":
		urls, next, err := s.dlqSourceURLs(ctx, qurl, v.Get("NextToken"), nil)
		if err != nil {
			return nil, err
		}
		return &xDLQSourcesResult{QueueUrl: urls, NextToken: next}, nil
	}
	return nil, sqsError(CodeInvalidAction, "The action %s is not valid for this endpoint.", action)
}
