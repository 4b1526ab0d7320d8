package stepfunctions

import (
	"context"
	"time"

	"github.com/dragons-dev/dragons/local/tracing"
)

// The services a task integration calls. Each is optional: a Task state whose
// integration has no implementation fails with States.TaskFailed. Errors the
// implementations return should be *awsproto.Error values carrying the AWS
// error code (for example "ResourceNotFoundException" or "NoSuchKey"): the
// integrations turn the code into the error name a state machine catches.

// LambdaInvoker runs a Lambda function synchronously (or, for the "Event"
// invocation type of lambda:invoke, asynchronously through InvokeAsync).
type LambdaInvoker interface {
	// Invoke calls the function named by functionARN (a name, a partial or a
	// full ARN, optionally with a qualifier) with payload. traceHeader is the
	// X-Amzn-Trace-Id to hand to the function ("" when not traced). A
	// function error is reported in the result, not as an error.
	Invoke(ctx context.Context, functionARN string, payload []byte, traceHeader string) (LambdaResult, error)
}

// AsyncLambdaInvoker is implemented by invokers that also queue asynchronous
// ("Event") invocations. Without it, InvocationType "Event" runs the function
// synchronously and discards its result.
type AsyncLambdaInvoker interface {
	InvokeAsync(ctx context.Context, functionARN string, payload []byte, traceHeader string) (requestID string, err error)
}

// LambdaResult is the outcome of one synchronous invocation.
type LambdaResult struct {
	// Payload is the function's response, or its error document when
	// FunctionError is set.
	Payload []byte
	// FunctionError is the Invoke API's X-Amz-Function-Error ("Unhandled" or
	// "Handled"); empty when the function succeeded.
	FunctionError string
	// ErrorType is the error's type as the runtime reported it (aws-lambda-go
	// reports the Go type name). When empty the payload's "errorType" is used.
	ErrorType string
	// Unknown reports a failure without an error type: the function timed
	// out, ran out of memory or its process crashed. It becomes Lambda.Unknown.
	Unknown bool
	// RequestID and ExecutedVersion are echoed in lambda:invoke results; they
	// default to a random id and "$LATEST".
	RequestID       string
	ExecutedVersion string
}

// ObjectStore is the S3 subset of the aws-sdk:s3 integration.
type ObjectStore interface {
	GetObject(ctx context.Context, bucket, key string) (StoredObject, error)
	PutObject(ctx context.Context, bucket, key string, body []byte, opts PutObjectOptions) (etag string, err error)
	DeleteObject(ctx context.Context, bucket, key string) error
}

// StoredObject is an object read from the store.
type StoredObject struct {
	Body         []byte
	ContentType  string
	ETag         string // quoted, as S3 sends it
	LastModified time.Time
	Metadata     map[string]string
}

// PutObjectOptions are the optional parts of a put.
type PutObjectOptions struct {
	ContentType string
	Metadata    map[string]string
}

// QueueSender is the SQS subset of the sqs:sendMessage integration.
type QueueSender interface {
	SendMessage(ctx context.Context, in SendMessageInput) (SendMessageOutput, error)
}

// SendMessageInput is one message to send.
type SendMessageInput struct {
	QueueURL               string
	Body                   string
	DelaySeconds           int
	MessageGroupID         string
	MessageDeduplicationID string
	Attributes             map[string]MessageAttribute
}

// MessageAttribute is an SQS message attribute.
type MessageAttribute struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}

// SendMessageOutput is what SQS answers.
type SendMessageOutput struct {
	MessageID              string
	MD5OfMessageBody       string
	MD5OfMessageAttributes string
	SequenceNumber         string
}

// EventPublisher is the EventBridge subset of the events:putEvents integration.
type EventPublisher interface {
	// PutEvents publishes entries and returns one result per entry, in order.
	// A rejected entry has ErrorCode set; err is for the whole call.
	PutEvents(ctx context.Context, entries []EventEntry) ([]EventResult, error)
}

// EventEntry is one PutEvents entry. Detail is a JSON document.
type EventEntry struct {
	EventBusName string
	Source       string
	DetailType   string
	Detail       string
	Resources    []string
	Time         time.Time // zero: now
	TraceHeader  string
}

// EventResult is the outcome of one entry.
type EventResult struct {
	EventID      string
	ErrorCode    string
	ErrorMessage string
}

// LogSink receives execution log records (local/logs.Service satisfies it).
// The group is the one named in the state machine's logging destination.
type LogSink interface {
	AppendLog(group, stream string, t time.Time, message string)
}

// Tracer records X-Ray segments (local/tracing.Service satisfies it).
type Tracer interface {
	Record(seg tracing.Segment)
}
