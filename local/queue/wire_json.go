package queue

import (
	"context"
	"net/http"
	"strings"

	"github.com/dragons-dev/dragons/local/awsproto"
)

// reqInfo is what the wire layers need to know about the HTTP request.
type reqInfo struct {
	base   string // scheme://host of the request, for queue URLs
	sender string // SenderId of sent messages
}

type reqInfoKey struct{}

func requestInfo(ctx context.Context) reqInfo {
	ri, _ := ctx.Value(reqInfoKey{}).(reqInfo)
	return ri
}

func newReqInfo(r *http.Request, account string) reqInfo {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	ri := reqInfo{base: scheme + "://" + r.Host, sender: account}
	if sc, ok := awsproto.SigV4Scope(r); ok && sc.AccessKey != "" {
		ri.sender = sc.AccessKey
	}
	return ri
}

// ServeHTTP serves both SQS protocols: requests with an X-Amz-Target of
// AmazonSQS.<Operation> speak JSON 1.0, all others the query protocol.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ri := newReqInfo(r, s.account)
	if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.") {
		s.json.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, ri)))
		return
	}
	s.serveQuery(w, r, ri)
}

// JSON wire shapes (member names as in SQS's service model).

type jsonAttrValue struct {
	DataType         string
	StringValue      *string  `json:",omitempty"`
	BinaryValue      []byte   `json:",omitempty"`
	StringListValues []string `json:",omitempty"`
	BinaryListValues [][]byte `json:",omitempty"`
}

func fromJSONAttrs(in map[string]jsonAttrValue) (map[string]Attribute, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]Attribute, len(in))
	for n, v := range in {
		if len(v.StringListValues) > 0 || len(v.BinaryListValues) > 0 {
			return nil, errInvalidParam("Message attribute list values in SendMessage operation are not supported.")
		}
		a := Attribute{DataType: v.DataType, BinaryValue: v.BinaryValue}
		if v.StringValue != nil {
			a.StringValue = *v.StringValue
		}
		out[n] = a
	}
	return out, nil
}

func toJSONAttrs(in map[string]Attribute) map[string]jsonAttrValue {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]jsonAttrValue, len(in))
	for n, a := range in {
		v := jsonAttrValue{DataType: a.DataType}
		if a.isBinary() {
			v.BinaryValue = a.BinaryValue
		} else {
			sv := a.StringValue
			v.StringValue = &sv
		}
		out[n] = v
	}
	return out
}

// traceHeader extracts AWSTraceHeader from MessageSystemAttributes.
func traceHeader(in map[string]jsonAttrValue) (string, error) {
	var trace string
	for n, v := range in {
		if n != "AWSTraceHeader" {
			return "", errInvalidParam("Message system attribute name '%s' is invalid.", n)
		}
		if v.DataType != "String" || v.StringValue == nil || *v.StringValue == "" {
			return "", errInvalidParam("Message system attribute 'AWSTraceHeader' must have data type String and a non-empty value.")
		}
		trace = *v.StringValue
	}
	return trace, nil
}

type queueURLIn struct{ QueueUrl string }

type createQueueIn struct {
	QueueName  string
	Attributes map[string]string
	Tags       map[string]string `json:"tags"`
}

type queueURLOut struct{ QueueUrl string }

type getQueueURLIn struct {
	QueueName              string
	QueueOwnerAWSAccountId string
}

type listQueuesIn struct {
	QueueNamePrefix string
	NextToken       string
	MaxResults      *int
}

type listQueuesOut struct {
	QueueUrls []string `json:",omitempty"`
	NextToken string   `json:",omitempty"`
}

type getAttrsIn struct {
	QueueUrl       string
	AttributeNames []string
}

type attrsOut struct {
	Attributes map[string]string `json:",omitempty"`
}

type setAttrsIn struct {
	QueueUrl   string
	Attributes map[string]string
}

type sendFields struct {
	MessageBody             *string
	DelaySeconds            *int
	MessageAttributes       map[string]jsonAttrValue
	MessageSystemAttributes map[string]jsonAttrValue
	MessageDeduplicationId  string
	MessageGroupId          string
}

func (f *sendFields) input(sender string) (SendInput, error) {
	attrs, err := fromJSONAttrs(f.MessageAttributes)
	if err != nil {
		return SendInput{}, err
	}
	trace, err := traceHeader(f.MessageSystemAttributes)
	if err != nil {
		return SendInput{}, err
	}
	in := SendInput{
		DelaySeconds: f.DelaySeconds, Attributes: attrs, TraceHeader: trace,
		GroupID: f.MessageGroupId, DeduplicationID: f.MessageDeduplicationId, SenderID: sender,
	}
	if f.MessageBody != nil {
		in.Body = *f.MessageBody
	}
	return in, nil
}

type sendIn struct {
	QueueUrl string
	sendFields
}

type sendOut struct {
	MessageId                    string
	MD5OfMessageBody             string
	MD5OfMessageAttributes       string `json:",omitempty"`
	MD5OfMessageSystemAttributes string `json:",omitempty"`
	SequenceNumber               string `json:",omitempty"`
}

func toSendOut(r SendResult) sendOut {
	return sendOut{MessageId: r.MessageID, MD5OfMessageBody: r.MD5OfBody, MD5OfMessageAttributes: r.MD5OfAttributes,
		MD5OfMessageSystemAttributes: r.MD5OfSystemAttributes, SequenceNumber: r.SequenceNumber}
}

type sendBatchEntry struct {
	Id string
	sendFields
}

type sendBatchIn struct {
	QueueUrl string
	Entries  []sendBatchEntry
}

type sendBatchResult struct {
	Id string
	sendOut
}

type batchError struct {
	Id          string
	SenderFault bool
	Code        string
	Message     string
}

type sendBatchOut struct {
	Successful []sendBatchResult
	Failed     []batchError
}

type receiveIn struct {
	QueueUrl                    string
	AttributeNames              []string
	MessageSystemAttributeNames []string
	MessageAttributeNames       []string
	MaxNumberOfMessages         int
	VisibilityTimeout           *int
	WaitTimeSeconds             *int
	ReceiveRequestAttemptId     string
}

type jsonMessage struct {
	MessageId              string
	ReceiptHandle          string
	MD5OfBody              string
	Body                   string
	Attributes             map[string]string        `json:",omitempty"`
	MD5OfMessageAttributes string                   `json:",omitempty"`
	MessageAttributes      map[string]jsonAttrValue `json:",omitempty"`
}

type receiveOut struct {
	Messages []jsonMessage `json:",omitempty"`
}

type deleteIn struct {
	QueueUrl      string
	ReceiptHandle string
}

type handleEntry struct {
	Id                string
	ReceiptHandle     string
	VisibilityTimeout *int
}

type handleBatchIn struct {
	QueueUrl string
	Entries  []handleEntry
}

type idResult struct{ Id string }

type idBatchOut struct {
	Successful []idResult
	Failed     []batchError
}

type changeVisibilityIn struct {
	QueueUrl          string
	ReceiptHandle     string
	VisibilityTimeout *int
}

type tagIn struct {
	QueueUrl string
	Tags     map[string]string
}

type untagIn struct {
	QueueUrl string
	TagKeys  []string
}

type tagsOut struct {
	Tags map[string]string `json:",omitempty"`
}

type dlqSourcesIn struct {
	QueueUrl   string
	NextToken  string
	MaxResults *int
}

type dlqSourcesOut struct {
	QueueUrls []string `json:"queueUrls"`
	NextToken string   `json:",omitempty"`
}

type startMoveIn struct {
	SourceArn                    string
	DestinationArn               string
	MaxNumberOfMessagesPerSecond *int
}

type startMoveOut struct{ TaskHandle string }

type cancelMoveIn struct{ TaskHandle string }

type cancelMoveOut struct{ ApproximateNumberOfMessagesMoved int64 }

type listMovesIn struct {
	SourceArn  string
	MaxResults *int
}

type jsonMoveTask struct {
	TaskHandle                        string `json:",omitempty"`
	Status                            string
	SourceArn                         string
	DestinationArn                    string `json:",omitempty"`
	MaxNumberOfMessagesPerSecond      *int   `json:",omitempty"`
	ApproximateNumberOfMessagesMoved  int64
	ApproximateNumberOfMessagesToMove *int64 `json:",omitempty"`
	FailureReason                     string `json:",omitempty"`
	StartedTimestamp                  int64
}

type listMovesOut struct {
	Results []jsonMoveTask
}

type empty struct{}

func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

// receiveNames merges the deprecated AttributeNames with MessageSystemAttributeNames.
func receiveNames(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	return append(append([]string(nil), a...), b...)
}

func toJSONMessages(msgs []Message) []jsonMessage {
	out := make([]jsonMessage, len(msgs))
	for i, m := range msgs {
		out[i] = jsonMessage{
			MessageId: m.MessageID, ReceiptHandle: m.ReceiptHandle, MD5OfBody: m.MD5OfBody, Body: m.Body,
			Attributes: m.Attributes, MD5OfMessageAttributes: m.MD5OfMessageAttributes,
			MessageAttributes: toJSONAttrs(m.MessageAttributes),
		}
	}
	return out
}

// checkBatchIDs validates batch entry ids: present, well-formed and distinct.
func checkBatchIDs(ids []string) error {
	if err := checkBatchSize(len(ids)); err != nil {
		return err
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !validBatchID(id) {
			return sqsError(CodeInvalidBatchEntryID, "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return sqsError(CodeBatchEntryIdsNotDistinct, "Id %s repeated.", id)
		}
		seen[id] = true
	}
	return nil
}

func validBatchID(id string) bool {
	if id == "" || len(id) > 80 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func toBatchError(id string, err error) batchError {
	e := awsproto.AsError(err)
	return batchError{Id: id, SenderFault: e.Sender, Code: e.Code, Message: e.Message}
}

func (s *Service) jsonOps() map[string]awsproto.Operation {
	return map[string]awsproto.Operation{
		"CreateQueue": awsproto.Op(func(ctx context.Context, in *createQueueIn) (*queueURLOut, error) {
			q, err := s.createQueue(ctx, requestInfo(ctx).base, in.QueueName, in.Attributes, in.Tags)
			if err != nil {
				return nil, err
			}
			return &queueURLOut{QueueUrl: q.URL}, nil
		}),
		"GetQueueUrl": awsproto.Op(func(ctx context.Context, in *getQueueURLIn) (*queueURLOut, error) {
			u, err := s.getQueueURL(ctx, in.QueueName, in.QueueOwnerAWSAccountId)
			if err != nil {
				return nil, err
			}
			return &queueURLOut{QueueUrl: u}, nil
		}),
		"ListQueues": awsproto.Op(func(ctx context.Context, in *listQueuesIn) (*listQueuesOut, error) {
			urls, next, err := s.listQueueURLs(ctx, in.QueueNamePrefix, in.NextToken, in.MaxResults)
			if err != nil {
				return nil, err
			}
			return &listQueuesOut{QueueUrls: urls, NextToken: next}, nil
		}),
		"GetQueueAttributes": awsproto.Op(func(ctx context.Context, in *getAttrsIn) (*attrsOut, error) {
			a, err := s.QueueAttributes(ctx, in.QueueUrl, in.AttributeNames)
			if err != nil {
				return nil, err
			}
			return &attrsOut{Attributes: a}, nil
		}),
		"SetQueueAttributes": awsproto.Op(func(ctx context.Context, in *setAttrsIn) (*empty, error) {
			return nil, s.SetQueueAttributes(ctx, in.QueueUrl, in.Attributes)
		}),
		"DeleteQueue": awsproto.Op(func(ctx context.Context, in *queueURLIn) (*empty, error) {
			return nil, s.DeleteQueue(ctx, in.QueueUrl)
		}),
		"PurgeQueue": awsproto.Op(func(ctx context.Context, in *queueURLIn) (*empty, error) {
			return nil, s.PurgeQueue(ctx, in.QueueUrl)
		}),
		"SendMessage": awsproto.Op(func(ctx context.Context, in *sendIn) (*sendOut, error) {
			si, err := in.input(requestInfo(ctx).sender)
			if err != nil {
				return nil, err
			}
			r, err := s.Send(ctx, in.QueueUrl, si)
			if err != nil {
				return nil, err
			}
			out := toSendOut(r)
			return &out, nil
		}),
		"SendMessageBatch": awsproto.Op(func(ctx context.Context, in *sendBatchIn) (*sendBatchOut, error) {
			return s.jsonSendBatch(ctx, in)
		}),
		"ReceiveMessage": awsproto.Op(func(ctx context.Context, in *receiveIn) (*receiveOut, error) {
			msgs, err := s.Receive(ctx, in.QueueUrl, ReceiveInput{
				MaxMessages: in.MaxNumberOfMessages, VisibilityTimeout: in.VisibilityTimeout, WaitTimeSeconds: in.WaitTimeSeconds,
				AttributeNames:        receiveNames(in.AttributeNames, in.MessageSystemAttributeNames),
				MessageAttributeNames: in.MessageAttributeNames,
			})
			if err != nil {
				return nil, err
			}
			return &receiveOut{Messages: toJSONMessages(msgs)}, nil
		}),
		"DeleteMessage": awsproto.Op(func(ctx context.Context, in *deleteIn) (*empty, error) {
			return nil, s.DeleteMessage(ctx, in.QueueUrl, in.ReceiptHandle)
		}),
		"DeleteMessageBatch": awsproto.Op(func(ctx context.Context, in *handleBatchIn) (*idBatchOut, error) {
			return s.handleBatch(ctx, in, false)
		}),
		"ChangeMessageVisibility": awsproto.Op(func(ctx context.Context, in *changeVisibilityIn) (*empty, error) {
			if in.VisibilityTimeout == nil {
				return nil, errMissing("VisibilityTimeout")
			}
			return nil, s.ChangeMessageVisibility(ctx, in.QueueUrl, in.ReceiptHandle, *in.VisibilityTimeout)
		}),
		"ChangeMessageVisibilityBatch": awsproto.Op(func(ctx context.Context, in *handleBatchIn) (*idBatchOut, error) {
			return s.handleBatch(ctx, in, true)
		}),
		"TagQueue": awsproto.Op(func(ctx context.Context, in *tagIn) (*empty, error) {
			return nil, s.TagQueue(ctx, in.QueueUrl, in.Tags)
		}),
		"UntagQueue": awsproto.Op(func(ctx context.Context, in *untagIn) (*empty, error) {
			return nil, s.UntagQueue(ctx, in.QueueUrl, in.TagKeys)
		}),
		"ListQueueTags": awsproto.Op(func(ctx context.Context, in *queueURLIn) (*tagsOut, error) {
			t, err := s.QueueTags(ctx, in.QueueUrl)
			if err != nil {
				return nil, err
			}
			return &tagsOut{Tags: t}, nil
		}),
		"ListDeadLetterSourceQueues": awsproto.Op(func(ctx context.Context, in *dlqSourcesIn) (*dlqSourcesOut, error) {
			urls, next, err := s.dlqSourceURLs(ctx, in.QueueUrl, in.NextToken, in.MaxResults)
			if err != nil {
				return nil, err
			}
			return &dlqSourcesOut{QueueUrls: urls, NextToken: next}, nil
		}),
		"StartMessageMoveTask": awsproto.Op(func(ctx context.Context, in *startMoveIn) (*startMoveOut, error) {
			h, err := s.StartMessageMoveTask(ctx, in.SourceArn, in.DestinationArn, intOr(in.MaxNumberOfMessagesPerSecond, 0))
			if err != nil {
				return nil, err
			}
			return &startMoveOut{TaskHandle: h}, nil
		}),
		"CancelMessageMoveTask": awsproto.Op(func(ctx context.Context, in *cancelMoveIn) (*cancelMoveOut, error) {
			n, err := s.CancelMessageMoveTask(ctx, in.TaskHandle)
			if err != nil {
				return nil, err
			}
			return &cancelMoveOut{ApproximateNumberOfMessagesMoved: n}, nil
		}),
		"ListMessageMoveTasks": awsproto.Op(func(ctx context.Context, in *listMovesIn) (*listMovesOut, error) {
			ts, err := s.ListMessageMoveTasks(ctx, in.SourceArn, intOr(in.MaxResults, 1))
			if err != nil {
				return nil, err
			}
			out := &listMovesOut{Results: []jsonMoveTask{}}
			for _, t := range ts {
				jt := jsonMoveTask{
					TaskHandle: t.TaskHandle, Status: t.Status, SourceArn: t.SourceArn, DestinationArn: t.DestinationArn,
					ApproximateNumberOfMessagesMoved: t.ApproximateNumberOfMessagesMoved, FailureReason: t.FailureReason,
					StartedTimestamp: t.StartedTimestamp,
				}
				if t.MaxNumberOfMessagesPerSecond > 0 {
					r := t.MaxNumberOfMessagesPerSecond
					jt.MaxNumberOfMessagesPerSecond = &r
				}
				if t.Status == TaskRunning {
					n := t.ApproximateNumberOfMessagesToMove
					jt.ApproximateNumberOfMessagesToMove = &n
				}
				out.Results = append(out.Results, jt)
			}
			return out, nil
		}),
	}
}

func (s *Service) jsonSendBatch(ctx context.Context, in *sendBatchIn) (*sendBatchOut, error) {
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = e.Id
	}
	if err := checkBatchIDs(ids); err != nil {
		return nil, err
	}
	out := &sendBatchOut{Successful: []sendBatchResult{}, Failed: []batchError{}}
	var inputs []SendInput
	var idx []int
	for i, e := range in.Entries {
		si, err := e.input(requestInfo(ctx).sender)
		if err != nil {
			out.Failed = append(out.Failed, toBatchError(e.Id, err))
			continue
		}
		inputs = append(inputs, si)
		idx = append(idx, i)
	}
	if len(inputs) == 0 {
		if _, err := s.resolve(in.QueueUrl); err != nil {
			return nil, err
		}
		return out, nil
	}
	res, errs, err := s.SendBatch(ctx, in.QueueUrl, inputs)
	if err != nil {
		return nil, err
	}
	for k, i := range idx {
		id := in.Entries[i].Id
		if errs[k] != nil {
			out.Failed = append(out.Failed, toBatchError(id, errs[k]))
			continue
		}
		out.Successful = append(out.Successful, sendBatchResult{Id: id, sendOut: toSendOut(res[k])})
	}
	return out, nil
}

// handleBatch serves DeleteMessageBatch and ChangeMessageVisibilityBatch.
func (s *Service) handleBatch(ctx context.Context, in *handleBatchIn, visibility bool) (*idBatchOut, error) {
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = e.Id
	}
	if err := checkBatchIDs(ids); err != nil {
		return nil, err
	}
	var errs []error
	var err error
	if visibility {
		changes := make([]VisibilityChange, len(in.Entries))
		for i, e := range in.Entries {
			changes[i] = VisibilityChange{ReceiptHandle: e.ReceiptHandle, VisibilityTimeout: intOr(e.VisibilityTimeout, 0)}
		}
		errs, err = s.ChangeMessageVisibilityBatch(ctx, in.QueueUrl, changes)
	} else {
		handles := make([]string, len(in.Entries))
		for i, e := range in.Entries {
			handles[i] = e.ReceiptHandle
		}
		errs, err = s.DeleteMessageBatch(ctx, in.QueueUrl, handles)
	}
	if err != nil {
		return nil, err
	}
	out := &idBatchOut{Successful: []idResult{}, Failed: []batchError{}}
	for i, e := range in.Entries {
		if errs[i] != nil {
			out.Failed = append(out.Failed, toBatchError(e.Id, errs[i]))
		} else {
			out.Successful = append(out.Successful, idResult{Id: e.Id})
		}
	}
	return out, nil
}

func (s *Service) getQueueURL(ctx context.Context, name, owner string) (string, error) {
	if name == "" {
		return "", errMissing("QueueName")
	}
	if owner != "" && owner != s.account {
		return "", errNoQueue()
	}
	if strings.ContainsAny(name, "/:") {
		return "", errNoQueue()
	}
	q, err := s.resolve(name)
	if err != nil {
		return "", err
	}
	return s.urlOf(requestInfo(ctx).base, q.name), nil
}

func (s *Service) listQueueURLs(ctx context.Context, prefix, token string, max *int) ([]string, string, error) {
	m := 0
	if max != nil {
		if *max < 1 || *max > 1000 {
			return nil, "", errBadValue("MaxResults", *max, "MaxResults must be an integer between 1 and 1000.")
		}
		m = *max
	} else {
		m = 1000
	}
	names, next, err := s.listQueuesPage(prefix, token, m)
	if err != nil {
		return nil, "", err
	}
	if max == nil {
		next = ""
	}
	base := requestInfo(ctx).base
	urls := make([]string, len(names))
	for i, n := range names {
		urls[i] = s.urlOf(base, n)
	}
	return urls, next, nil
}

func (s *Service) dlqSourceURLs(ctx context.Context, ref, token string, max *int) ([]string, string, error) {
	names, err := s.DeadLetterSourceQueues(ctx, ref)
	if err != nil {
		return nil, "", err
	}
	base := requestInfo(ctx).base
	urls := make([]string, 0, len(names))
	for _, n := range names {
		urls = append(urls, s.urlOf(base, n))
	}
	return urls, "", nil
}
