package stepfunctions

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dragons-dev/dragons/local/asl"
	"github.com/dragons-dev/dragons/local/awsproto"
)

// taskRouter runs the Task states of one execution: it dispatches each
// resource to its integration and turns failures into the error names AWS
// uses for that integration.
type taskRouter struct {
	s        *Service
	trace    string // X-Amzn-Trace-Id for downstream calls
	execARN  string
	standard bool
}

// InvokeTask implements asl.TaskInvoker.
func (r *taskRouter) InvokeTask(ctx context.Context, req *asl.TaskRequest) (any, error) {
	return r.s.invoke(ctx, req, r.trace)
}

// invoke runs one task with the service's integrations.
func (s *Service) invoke(ctx context.Context, req *asl.TaskRequest, trace string) (any, error) {
	if strings.HasPrefix(req.Resource, "arn:aws:lambda:") {
		return s.lambdaFunction(ctx, req.Resource, req.Input, trace)
	}
	svc, action, pattern := req.Service()
	params, _ := req.Input.(map[string]any)
	switch {
	case svc == "lambda" && action == "invoke" && pattern == "":
		return s.lambdaInvoke(ctx, params, trace)
	case svc == "sqs" && action == "sendMessage" && pattern == "":
		return s.sqsSend(ctx, params)
	case svc == "events" && action == "putEvents" && pattern == "":
		return s.putEvents(ctx, params, trace)
	case svc == "states" && action == "startExecution":
		return s.startChild(ctx, params, pattern, req, trace)
	case svc == "aws-sdk:s3" && pattern == "":
		return s.s3Call(ctx, action, params)
	}
	return nil, asl.NewError(asl.ErrTaskFailed, fmt.Sprintf("The resource %s is not supported by the local Step Functions", req.Resource))
}

func notConfigured(what string) error {
	return asl.NewError(asl.ErrTaskFailed, "The local Step Functions service has no "+what+" configured")
}

// jsonText renders a parameter the way integrations send a text field: a
// string as is, anything else as JSON.
func jsonText(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// decodePayload parses a response payload as JSON, falling back to the text.
func decodePayload(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return string(b)
	}
	return v
}

// sdkMetadata is the SdkHttpMetadata/SdkResponseMetadata pair that optimized
// integrations add to their results.
func sdkMetadata(out map[string]any, requestID string, contentLength int, extra map[string]string) map[string]any {
	date := time.Now().UTC().Format(http.TimeFormat)
	headers := map[string]any{
		"Content-Type":     "application/x-amz-json-1.0",
		"Content-Length":   strconv.Itoa(contentLength),
		"Date":             date,
		"x-amzn-RequestId": requestID,
	}
	for k, v := range extra {
		headers[k] = v
	}
	all := make(map[string]any, len(headers))
	for k, v := range headers {
		all[k] = []any{v}
	}
	out["SdkHttpMetadata"] = map[string]any{"AllHttpHeaders": all, "HttpHeaders": headers, "HttpStatusCode": float64(200)}
	out["SdkResponseMetadata"] = map[string]any{"RequestId": requestID}
	return out
}

// serviceError names a failure of a downstream service the way Step
// Functions does for an integration: prefix + "." + the exception name.
// Errors without an AWS code become prefix + "." + fallback.
func serviceError(prefix, fallback, serviceName string, err error) error {
	var ae *awsproto.Error
	if !errors.As(err, &ae) {
		return asl.NewError(prefix+"."+fallback, fmt.Sprintf("%v (Service: %s; Status Code: 500; Error Code: %s)", err, serviceName, fallback))
	}
	status := ae.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	name := ae.Code
	if !strings.HasSuffix(name, "Exception") {
		name += "Exception"
	}
	return asl.NewError(prefix+"."+name, fmt.Sprintf("%s (Service: %s; Status Code: %d; Error Code: %s; Request ID: %s; Proxy: null)", ae.Message, serviceName, status, ae.Code, awsproto.NewRequestID()))
}

// ---- Lambda ----

func (s *Service) callLambda(ctx context.Context, fn string, payload []byte, trace string) (LambdaResult, error) {
	if s.opts.Lambda == nil {
		return LambdaResult{}, notConfigured("Lambda invoker")
	}
	res, err := s.opts.Lambda.Invoke(ctx, fn, payload, trace)
	if err != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		var ee *asl.ExecError
		if errors.As(err, &ee) {
			return res, err
		}
		return res, serviceError("Lambda", "ServiceException", "AWSLambda", err)
	}
	if res.Unknown {
		return res, asl.NewError("Lambda.Unknown", "The cause could not be determined because Lambda did not return an error type. Returned payload: "+string(res.Payload))
	}
	if res.FunctionError != "" {
		typ := res.ErrorType
		if typ == "" {
			var doc struct {
				ErrorType string `json:"errorType"`
			}
			_ = json.Unmarshal(res.Payload, &doc)
			typ = doc.ErrorType
		}
		if typ == "" {
			return res, asl.NewError("Lambda.Unknown", "The cause could not be determined because Lambda did not return an error type. Returned payload: "+string(res.Payload))
		}
		return res, asl.NewError(typ, string(res.Payload))
	}
	return res, nil
}

// lambdaFunction runs a Task whose Resource is a function ARN: the result is
// the function's payload.
func (s *Service) lambdaFunction(ctx context.Context, arn string, input any, trace string) (any, error) {
	payload, err := json.Marshal(input)
	if err != nil {
		return nil, asl.NewError(asl.ErrRuntime, fmt.Sprintf("cannot encode the function input: %v", err))
	}
	res, err := s.callLambda(ctx, arn, payload, trace)
	if err != nil {
		return nil, err
	}
	return decodePayload(res.Payload), nil
}

// lambdaInvoke runs arn:aws:states:::lambda:invoke.
func (s *Service) lambdaInvoke(ctx context.Context, params map[string]any, trace string) (any, error) {
	fn, _ := params["FunctionName"].(string)
	if fn == "" {
		return nil, asl.NewError(asl.ErrRuntime, "The field 'FunctionName' is required by the lambda:invoke integration")
	}
	if q, ok := params["Qualifier"].(string); ok && q != "" && strings.Count(fn, ":") < 7 {
		fn += ":" + q
	}
	payload := []byte("{}")
	if p, ok := params["Payload"]; ok {
		b, err := json.Marshal(p)
		if err != nil {
			return nil, asl.NewError(asl.ErrRuntime, fmt.Sprintf("cannot encode Payload: %v", err))
		}
		payload = b
	}
	if typ, _ := params["InvocationType"].(string); typ == "Event" {
		id := awsproto.NewRequestID()
		if ai, ok := s.opts.Lambda.(AsyncLambdaInvoker); ok {
			rid, err := ai.InvokeAsync(ctx, fn, payload, trace)
			if err != nil {
				return nil, serviceError("Lambda", "ServiceException", "AWSLambda", err)
			}
			if rid != "" {
				id = rid
			}
		} else if _, err := s.callLambda(ctx, fn, payload, trace); err != nil && ctx.Err() != nil {
			return nil, err
		}
		out := map[string]any{"Payload": "", "StatusCode": float64(202)}
		return sdkMetadata(out, id, 0, nil), nil
	}
	res, err := s.callLambda(ctx, fn, payload, trace)
	if err != nil {
		return nil, err
	}
	id := res.RequestID
	if id == "" {
		id = awsproto.NewRequestID()
	}
	ver := res.ExecutedVersion
	if ver == "" {
		ver = "$LATEST"
	}
	out := map[string]any{
		"ExecutedVersion": ver,
		"Payload":         decodePayload(res.Payload),
		"StatusCode":      float64(200),
	}
	extra := map[string]string{"X-Amz-Executed-Version": ver, "Connection": "keep-alive", "x-amzn-Remapped-Content-Length": "0"}
	if trace != "" {
		extra["X-Amzn-Trace-Id"] = trace
	}
	out = sdkMetadata(out, id, len(res.Payload), extra)
	out["SdkHttpMetadata"].(map[string]any)["HttpHeaders"].(map[string]any)["Content-Type"] = "application/json"
	return out, nil
}

// ---- SQS ----

// sqsSend runs arn:aws:states:::sqs:sendMessage.
func (s *Service) sqsSend(ctx context.Context, params map[string]any) (any, error) {
	if s.opts.Queues == nil {
		return nil, notConfigured("SQS queue sender")
	}
	in := SendMessageInput{}
	in.QueueURL, _ = params["QueueUrl"].(string)
	if in.QueueURL == "" {
		return nil, asl.NewError(asl.ErrRuntime, "The field 'QueueUrl' is required by the sqs:sendMessage integration")
	}
	body, ok := params["MessageBody"]
	if !ok {
		return nil, asl.NewError(asl.ErrRuntime, "The field 'MessageBody' is required by the sqs:sendMessage integration")
	}
	text, err := jsonText(body)
	if err != nil {
		return nil, asl.NewError(asl.ErrRuntime, fmt.Sprintf("cannot encode MessageBody: %v", err))
	}
	in.Body = text
	if d, ok := params["DelaySeconds"].(float64); ok {
		in.DelaySeconds = int(d)
	}
	in.MessageGroupID, _ = params["MessageGroupId"].(string)
	in.MessageDeduplicationID, _ = params["MessageDeduplicationId"].(string)
	if attrs, ok := params["MessageAttributes"].(map[string]any); ok {
		in.Attributes = map[string]MessageAttribute{}
		for k, v := range attrs {
			m, _ := v.(map[string]any)
			a := MessageAttribute{}
			a.DataType, _ = m["DataType"].(string)
			a.StringValue, _ = m["StringValue"].(string)
			in.Attributes[k] = a
		}
	}
	res, err := s.opts.Queues.SendMessage(ctx, in)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, serviceError("SQS", "AmazonSQSException", "AmazonSQS", err)
	}
	if res.MD5OfMessageBody == "" {
		sum := md5.Sum([]byte(in.Body))
		res.MD5OfMessageBody = hex.EncodeToString(sum[:])
	}
	out := map[string]any{"MessageId": res.MessageID, "MD5OfMessageBody": res.MD5OfMessageBody}
	if res.MD5OfMessageAttributes != "" {
		out["MD5OfMessageAttributes"] = res.MD5OfMessageAttributes
	}
	if res.SequenceNumber != "" {
		out["SequenceNumber"] = res.SequenceNumber
	}
	return sdkMetadata(out, awsproto.NewRequestID(), 0, nil), nil
}

// ---- EventBridge ----

// putEvents runs arn:aws:states:::events:putEvents. Entries EventBridge
// rejects fail the task with EventBridge.FailedEntry.
func (s *Service) putEvents(ctx context.Context, params map[string]any, trace string) (any, error) {
	if s.opts.Events == nil {
		return nil, notConfigured("EventBridge publisher")
	}
	raw, ok := params["Entries"].([]any)
	if !ok || len(raw) == 0 {
		return nil, asl.NewError(asl.ErrRuntime, "The field 'Entries' must be a non-empty array for the events:putEvents integration")
	}
	entries := make([]EventEntry, 0, len(raw))
	for i, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			return nil, asl.NewError(asl.ErrRuntime, fmt.Sprintf("Entries[%d] must be an object", i))
		}
		e := EventEntry{TraceHeader: trace}
		e.EventBusName, _ = m["EventBusName"].(string)
		e.Source, _ = m["Source"].(string)
		e.DetailType, _ = m["DetailType"].(string)
		if d, ok := m["Detail"]; ok {
			text, err := jsonText(d)
			if err != nil {
				return nil, asl.NewError(asl.ErrRuntime, fmt.Sprintf("cannot encode Entries[%d].Detail: %v", i, err))
			}
			e.Detail = text
		}
		if rs, ok := m["Resources"].([]any); ok {
			for _, r := range rs {
				if s, ok := r.(string); ok {
					e.Resources = append(e.Resources, s)
				}
			}
		}
		if ts, ok := m["Time"].(string); ok {
			if t, err := time.Parse(time.RFC3339, ts); err == nil {
				e.Time = t
			}
		}
		entries = append(entries, e)
	}
	results, err := s.opts.Events.PutEvents(ctx, entries)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, serviceError("EventBridge", "AmazonEventBridgeException", "AmazonEventBridge", err)
	}
	failed := 0
	list := make([]any, len(results))
	for i, r := range results {
		if r.ErrorCode != "" {
			failed++
			list[i] = map[string]any{"ErrorCode": r.ErrorCode, "ErrorMessage": r.ErrorMessage}
		} else {
			list[i] = map[string]any{"EventId": r.EventID}
		}
	}
	out := map[string]any{"Entries": list, "FailedEntryCount": float64(failed)}
	if failed > 0 {
		b, _ := json.Marshal(out)
		return nil, asl.NewError("EventBridge.FailedEntry", string(b))
	}
	return out, nil
}

// ---- S3 (AWS SDK integration) ----

// s3Modeled are the S3 error codes with their own exception class in the
// SDK; other codes are S3.S3Exception.
var s3Modeled = map[string]bool{
	"NoSuchKey": true, "NoSuchBucket": true, "NoSuchUpload": true, "BucketAlreadyExists": true,
	"BucketAlreadyOwnedByYou": true, "InvalidObjectState": true, "ObjectAlreadyInActiveTierError": true,
	"ObjectNotInActiveTierError": true, "InvalidRequest": true, "InvalidWriteOffset": true,
	"TooManyParts": true, "EncryptionTypeMismatch": true, "IdempotencyParameterMismatch": true,
}

// s3Error names an S3 failure as the aws-sdk:s3 integration does.
func s3Error(err error) error {
	var ae *awsproto.Error
	if !errors.As(err, &ae) {
		return asl.NewError("S3.SdkClientException", err.Error())
	}
	status := ae.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	name := "S3.S3Exception"
	if s3Modeled[ae.Code] {
		name = "S3." + ae.Code + "Exception"
	}
	return asl.NewError(name, fmt.Sprintf("%s (Service: S3, Status Code: %d, Request ID: %s)", ae.Message, status, awsproto.NewRequestID()))
}

// s3Call runs arn:aws:states:::aws-sdk:s3:getObject, putObject and deleteObject.
func (s *Service) s3Call(ctx context.Context, action string, params map[string]any) (any, error) {
	if s.opts.Objects == nil {
		return nil, notConfigured("S3 object store")
	}
	bucket, _ := params["Bucket"].(string)
	key, _ := params["Key"].(string)
	if bucket == "" || key == "" {
		return nil, asl.NewError(asl.ErrRuntime, "The fields 'Bucket' and 'Key' are required by the aws-sdk:s3 integration")
	}
	switch action {
	case "getObject":
		obj, err := s.opts.Objects.GetObject(ctx, bucket, key)
		if err != nil {
			return nil, s3Error(err)
		}
		out := map[string]any{
			"Body":          string(obj.Body),
			"ContentLength": float64(len(obj.Body)),
			"ContentType":   obj.ContentType,
			"ETag":          obj.ETag,
			"Metadata":      map[string]any{},
			"AcceptRanges":  "bytes",
		}
		if !obj.LastModified.IsZero() {
			out["LastModified"] = obj.LastModified.UTC().Format("2006-01-02T15:04:05Z")
		}
		for k, v := range obj.Metadata {
			out["Metadata"].(map[string]any)[k] = v
		}
		return out, nil
	case "putObject":
		var body string
		if b, ok := params["Body"]; ok {
			text, err := jsonText(b)
			if err != nil {
				return nil, asl.NewError(asl.ErrRuntime, fmt.Sprintf("cannot encode Body: %v", err))
			}
			body = text
		}
		opts := PutObjectOptions{}
		opts.ContentType, _ = params["ContentType"].(string)
		if md, ok := params["Metadata"].(map[string]any); ok {
			opts.Metadata = map[string]string{}
			for k, v := range md {
				if s, ok := v.(string); ok {
					opts.Metadata[k] = s
				}
			}
		}
		etag, err := s.opts.Objects.PutObject(ctx, bucket, key, []byte(body), opts)
		if err != nil {
			return nil, s3Error(err)
		}
		return map[string]any{"ETag": etag, "ServerSideEncryption": "AES256"}, nil
	case "deleteObject":
		if err := s.opts.Objects.DeleteObject(ctx, bucket, key); err != nil {
			return nil, s3Error(err)
		}
		return map[string]any{}, nil
	}
	return nil, asl.NewError(asl.ErrTaskFailed, "The action s3:"+action+" is not supported by the local Step Functions")
}
