package cloud

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/dragons-dev/dragons/local/awsproto"
	"github.com/dragons-dev/dragons/local/eventbus"
	"github.com/dragons-dev/dragons/local/lambdahost"
	"github.com/dragons-dev/dragons/local/objstore"
	"github.com/dragons-dev/dragons/local/queue"
	"github.com/dragons-dev/dragons/local/stack"
	"github.com/dragons-dev/dragons/local/stepfunctions"
)

func (c *Cloud) newStepFunctions() (*stepfunctions.Service, error) {
	return stepfunctions.New(stepfunctions.Options{
		Region:     c.cfg.Region,
		DataDir:    c.dir("states"),
		Durability: c.cfg.Durability,
		Lambda:     sfnLambda{c.Lambda},
		Objects:    sfnObjects{c.S3},
		Queues:     sfnQueues{c.SQS},
		Events:     sfnEvents{c.Events},
		Logs:       c.Logs,
		Tracer:     c.XRay,
		Log:        c.log.With("component", "states"),
		// Unfinished executions found on disk call functions that the deploy
		// registers, so they wait for Recover.
		HoldRecovery: true,
	})
}

// sfnLambda lets workflows call functions on the Lambda host.
type sfnLambda struct{ host *lambdahost.Host }

func (l sfnLambda) Invoke(ctx context.Context, fn string, payload []byte, trace string) (stepfunctions.LambdaResult, error) {
	res, err := l.host.Invoke(ctx, fn, payload, lambdahost.InvokeOptions{TraceHeader: trace})
	if err != nil {
		return stepfunctions.LambdaResult{}, err
	}
	out := stepfunctions.LambdaResult{Payload: res.Payload, FunctionError: res.FunctionError, ErrorType: res.ErrorType, RequestID: res.RequestID}
	switch res.Kind {
	case lambdahost.ErrorTimeout, lambdahost.ErrorCrash:
		out.Unknown = true
	}
	return out, nil
}

func (l sfnLambda) InvokeAsync(ctx context.Context, fn string, payload []byte, trace string) (string, error) {
	return l.host.InvokeAsync(ctx, fn, payload, lambdahost.InvokeOptions{TraceHeader: trace})
}

// sfnObjects serves the aws-sdk:s3 integration from the local S3.
type sfnObjects struct{ s3 *objstore.Service }

func (o sfnObjects) GetObject(ctx context.Context, bucket, key string) (stepfunctions.StoredObject, error) {
	obj, err := o.s3.GetObject(ctx, bucket, key, objstore.GetOptions{})
	if err != nil {
		return stepfunctions.StoredObject{}, err
	}
	defer obj.Body.Close()
	body, err := io.ReadAll(obj.Body)
	if err != nil {
		return stepfunctions.StoredObject{}, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	return stepfunctions.StoredObject{Body: body, ContentType: obj.ContentType, ETag: obj.ETag, LastModified: obj.LastModified, Metadata: obj.Metadata}, nil
}

func (o sfnObjects) PutObject(ctx context.Context, bucket, key string, body []byte, opts stepfunctions.PutObjectOptions) (string, error) {
	info, err := o.s3.PutObject(ctx, bucket, key, bytes.NewReader(body), objstore.PutOptions{ContentType: opts.ContentType, Metadata: opts.Metadata})
	if err != nil {
		return "", err
	}
	return info.ETag, nil
}

func (o sfnObjects) DeleteObject(ctx context.Context, bucket, key string) error {
	_, err := o.s3.DeleteObject(ctx, bucket, key, objstore.DeleteOptions{})
	return err
}

// sfnQueues serves the sqs:sendMessage integration from the local SQS.
type sfnQueues struct{ sqs *queue.Service }

func (q sfnQueues) SendMessage(ctx context.Context, in stepfunctions.SendMessageInput) (stepfunctions.SendMessageOutput, error) {
	send := queue.SendInput{Body: in.Body, GroupID: in.MessageGroupID, DeduplicationID: in.MessageDeduplicationID}
	if in.DelaySeconds > 0 {
		d := in.DelaySeconds
		send.DelaySeconds = &d
	}
	if len(in.Attributes) > 0 {
		send.Attributes = map[string]queue.Attribute{}
		for k, a := range in.Attributes {
			send.Attributes[k] = queue.Attribute{DataType: a.DataType, StringValue: a.StringValue, BinaryValue: a.BinaryValue}
		}
	}
	res, err := q.sqs.Send(ctx, in.QueueURL, send)
	if err != nil {
		return stepfunctions.SendMessageOutput{}, err
	}
	return stepfunctions.SendMessageOutput{MessageID: res.MessageID, MD5OfMessageBody: res.MD5OfBody,
		MD5OfMessageAttributes: res.MD5OfAttributes, SequenceNumber: res.SequenceNumber}, nil
}

// sfnEvents serves the events:putEvents integration from the local EventBridge.
type sfnEvents struct{ eb *eventbus.Service }

func (e sfnEvents) PutEvents(ctx context.Context, entries []stepfunctions.EventEntry) ([]stepfunctions.EventResult, error) {
	in := &eventbus.PutEventsInput{}
	for _, x := range entries {
		entry := eventbus.PutEventsRequestEntry{EventBusName: x.EventBusName, Source: x.Source, DetailType: x.DetailType,
			Detail: x.Detail, Resources: x.Resources, TraceHeader: x.TraceHeader}
		if !x.Time.IsZero() {
			entry.Time = eventbus.NewTimestamp(x.Time)
		}
		in.Entries = append(in.Entries, entry)
	}
	out, err := e.eb.PutEvents(ctx, in)
	if err != nil {
		return nil, err
	}
	res := make([]stepfunctions.EventResult, len(out.Entries))
	for i, r := range out.Entries {
		res[i] = stepfunctions.EventResult{EventID: r.EventId, ErrorCode: r.ErrorCode, ErrorMessage: r.ErrorMessage}
	}
	return res, nil
}

// stateMachines adapts the local Step Functions to the stack: a machine that
// exists with another definition (the template changed) is updated.
type stateMachines struct{ sfn *stepfunctions.Service }

func (m stateMachines) EnsureStateMachine(ctx context.Context, s stack.StateMachineSpec) (string, error) {
	in := stepfunctions.CreateStateMachineInput{Name: s.Name, Definition: s.Definition, RoleArn: s.RoleARN, Type: s.Type,
		TracingConfiguration: &stepfunctions.TracingConfig{Enabled: s.Tracing}}
	if s.LogLevel != "" {
		in.LoggingConfiguration = &stepfunctions.LoggingConfig{Level: s.LogLevel, IncludeExecutionData: s.IncludeExecutionData}
		if s.LogGroupARN != "" {
			d := stepfunctions.LogDestination{}
			d.CloudWatchLogsLogGroup = &struct {
				LogGroupArn string `json:"logGroupArn"`
			}{LogGroupArn: s.LogGroupARN}
			in.LoggingConfiguration.Destinations = []stepfunctions.LogDestination{d}
		}
	}
	arn, err := m.sfn.CreateMachine(ctx, in)
	if err == nil {
		return arn, nil
	}
	if !awsproto.IsCode(err, "StateMachineAlreadyExists") {
		return "", fmt.Errorf("create state machine %s: %w", s.Name, err)
	}
	arn = m.sfn.StateMachineARN(s.Name)
	if _, err := m.sfn.UpdateStateMachine(ctx, &stepfunctions.UpdateStateMachineInput{StateMachineArn: arn, Definition: &in.Definition,
		RoleArn: &in.RoleArn, LoggingConfiguration: in.LoggingConfiguration, TracingConfiguration: in.TracingConfiguration}); err != nil {
		return "", fmt.Errorf("update state machine %s: %w", s.Name, err)
	}
	return arn, nil
}

// stateMachineTarget starts executions for EventBridge rules that target state
// machines; the event is the execution input.
func (c *Cloud) stateMachineTarget() eventbus.Invoker {
	return eventbus.InvokerFunc(func(ctx context.Context, arn string, payload []byte) error {
		in := string(payload)
		_, err := c.States.StartExecution(ctx, &stepfunctions.StartExecutionInput{StateMachineArn: arn, Input: &in, TraceHeader: eventbus.TraceHeader(ctx)})
		if awsproto.IsCode(err, "StateMachineDoesNotExist") {
			return fmt.Errorf("%w: %v", eventbus.ErrTargetNotFound, err)
		}
		return err
	})
}
